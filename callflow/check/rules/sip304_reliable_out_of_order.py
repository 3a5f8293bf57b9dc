"""SIP304 prack.reliable-out-of-order."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import build_reliable


@register
class ReliableOutOfOrder(Rule):
    """A UAS sends a second reliable provisional before the first is PRACKed, or RSeq
    does not step by one.

    Per INVITE server transaction at the UAS: (a) a reliable provisional originated while
    an earlier one of the same transaction has not yet been PRACKed (no matching PRACK
    has reached the UAS); (b) both carry a valid RSeq and the new one is not the
    previous RSeq + 1. Points at the later provisional. RFC 3262 §3.
    """

    code = "SIP304"
    name = "prack.reliable-out-of-order"
    severity = Severity.ERROR
    summary = (
        "A UAS sends a second reliable provisional before the first is PRACKed, "
        "or RSeq does not step by one."
    )
    source = CITATIONS["SIP304"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_reliable).sip304:
            yield Finding(model.messages[index].loc, text)
