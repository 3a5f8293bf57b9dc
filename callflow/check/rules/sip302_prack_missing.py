"""SIP302 prack.missing."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import build_reliable


@register
class PrackMissing(Rule):
    """A reliable provisional reached the caller and was never PRACKed.

    At scenario end, every reliable provisional a UAS originated that reached the UAC
    (the origin of the INVITE chain) and that the UAC answered with no matching PRACK
    (SIP301 matching) fires at the statement that reached the UAC. A 2xx arriving
    meanwhile does not excuse the missing PRACK. RFC 3262 §4.
    """

    code = "SIP302"
    name = "prack.missing"
    severity = Severity.ERROR
    summary = "A reliable provisional reached the caller and was never PRACKed."
    source = CITATIONS["SIP302"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_reliable).sip302(model):
            yield Finding(model.messages[index].loc, text)
