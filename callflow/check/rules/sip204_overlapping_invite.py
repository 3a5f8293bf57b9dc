"""SIP204 invite.overlapping-invite."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_chain, line_of

_WHY = {
    "client": "{ua} has no final response to it yet",
    "server": "{ua} has not sent its final response to it yet",
    "server-ack": "{ua} has not yet received the ACK for its non-2xx final response",
}


@register
class OverlappingInvite(Rule):
    """A re-INVITE starts while another INVITE transaction of the same dialog is still
    in progress (RFC 3261 §14.1, §14.2).

    A UA originates an INVITE chain in a dialog that is ``early`` or ``confirmed`` in its
    view while an INVITE transaction of that dialog, in either direction, is in progress
    at that UA: as client, no final response received yet; as server, no final sent yet,
    or a non-2xx final sent and its ACK not received yet. Exception: the new INVITE is
    answered 491 Request Pending (or 500) by its receiver UA; the flow then depicts the
    collision correctly. Points at the second INVITE.
    """

    code = "SIP204"
    name = "invite.overlapping-invite"
    severity = Severity.ERROR
    summary = "A re-INVITE starts while another INVITE transaction of the dialog is in progress."
    source = CITATIONS["SIP204"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for overlap in model.part(build_dialog_states).overlaps:
            if overlap.rejected_as_glare:
                continue
            ua = overlap.chain.origin
            yield Finding(
                model.messages[overlap.invite].loc,
                f"{describe_chain(overlap.chain)} starts while the INVITE at line "
                f"{line_of(model, overlap.other)} is still in progress: "
                f"{_WHY[overlap.side].format(ua=ua)} (answer the new INVITE with 491 "
                f"if this is a collision)",
            )
