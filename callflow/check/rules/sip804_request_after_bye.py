"""SIP804 bye.request-after-bye."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_chain, line_of

#: invite-usage requests (RFC 5057) that a terminated invite usage no longer allows
_AFTER_BYE = frozenset({"INVITE", "UPDATE", "INFO", "PRACK", "BYE"})


@register
class RequestAfterBye(Rule):
    """An invite-usage request is sent in a dialog after BYE (RFC 3261 §15.1.1, §15.1.2;
    RFC 5057 §5).

    A UA originates a re-INVITE, UPDATE, INFO, PRACK, a second BYE, or the ACK of a 2xx
    that did not reach it before the BYE, in a dialog whose invite usage is
    ``terminated`` in its own view (it sent or received a BYE). Subscription usages
    survive (a NOTIFY sharing the dialog is allowed), and responses to requests already
    pending are allowed. Points at the late request.
    """

    code = "SIP804"
    name = "bye.request-after-bye"
    severity = Severity.ERROR
    summary = "An invite-usage request is sent in a dialog after BYE."
    source = CITATIONS["SIP804"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for chain in model.chains:
            method = chain.method
            if method != "ACK" and method not in _AFTER_BYE:
                continue
            index = chain.first
            if not model.is_ua(chain.origin) or states.state_before(index) != "terminated":
                continue
            key = states.dialog_of(index)
            if key is None:
                continue
            if method == "ACK":
                ack = states.ack(index)
                if ack is None or ack.kind != "2xx":
                    continue  # the hop-by-hop ACK of a pending INVITE's failure
                if ack.answers is not None and ack.answers.view_before != "terminated":
                    continue  # it acknowledges a 2xx that arrived before the BYE
            bye = states.terminated_by(key, chain.origin)
            where = f" at line {line_of(model, bye)}" if bye is not None else ""
            hint = " (a new call needs its own Call-ID)" if method == "INVITE" else ""
            yield Finding(
                model.messages[index].loc,
                f"{describe_chain(chain)} is sent after the invite usage ended with "
                f"the BYE{where}{hint}",
            )
