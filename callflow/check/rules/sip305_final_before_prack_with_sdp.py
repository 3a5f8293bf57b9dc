"""SIP305 prack.final-before-prack-with-sdp."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import build_reliable


@register
class FinalBeforePrackWithSdp(Rule):
    """A UAS sends 2xx to INVITE while a reliable provisional that carried SDP is still
    unacknowledged.

    The UAS originates a 2xx to an INVITE while a reliable provisional it sent for that
    INVITE with ``sdp=offer`` or ``sdp=answer`` has no matching PRACK received by it. A
    non-2xx final, or a 2xx when the unacknowledged provisionals carry no SDP, is
    allowed. RFC 3262 §3.
    """

    code = "SIP305"
    name = "prack.final-before-prack-with-sdp"
    severity = Severity.ERROR
    summary = (
        "A UAS sends 2xx to INVITE while a reliable provisional that carried SDP is "
        "still unacknowledged."
    )
    source = CITATIONS["SIP305"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_reliable).sip305:
            yield Finding(model.messages[index].loc, text)
