"""SIP202 invite.non2xx-ack-missing."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_transaction


@register
class Non2xxAckMissing(Rule):
    """A non-2xx final response to INVITE is not ACKed on its own hop
    (RFC 3261 §17.1.1.3, §17.2.1).

    An INVITE transaction on hop X->Y completed with 300-699 (its first final), and no
    ACK X->Y with the same Call-ID matched to that transaction follows the response. The
    ACK of a non-2xx is per hop: each proxy ACKs its downstream as soon as the failure
    arrives. A warning at scenario end, because many diagrams leave these ACKs out.
    Points at the non-2xx final response.
    """

    code = "SIP202"
    name = "invite.non2xx-ack-missing"
    severity = Severity.WARNING
    summary = "A non-2xx final response to INVITE is not ACKed on its own hop."
    source = CITATIONS["SIP202"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for info in model.infos:
            if info is None or info.message.code is None or info.message.code < 300:
                continue
            txn = info.link.transaction
            if txn is None or txn.method != "INVITE" or states.first_final(txn) != info.index:
                continue
            if any(ack > info.index for ack in states.acks_of(txn)):
                continue
            yield Finding(
                info.message.loc,
                f"{info.message.name} completes {describe_transaction(txn)}, but "
                f"{txn.client} never sends the ACK to {txn.server} on that hop",
            )
