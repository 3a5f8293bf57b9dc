"""SIP301 prack.without-reliable."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import build_reliable


@register
class PrackWithoutReliable(Rule):
    """A PRACK acknowledges no reliable provisional response.

    A UA U originates a PRACK chain to UA V (same Call-ID) while no reliable provisional
    (101-199 to an INVITE, ``Require`` lists ``100rel``, ``RSeq`` given) from V has
    reached U and is still waiting for its PRACK. When the PRACK writes ``RAck``, its
    RSeq, CSeq number (compared when the INVITE's ``CSeq`` is written) and method must
    match such a provisional. Each provisional is PRACKed once, so a second PRACK for it
    fires too. RFC 3262 §4 (the UAC sends PRACK only for reliable provisionals), §7.2.
    """

    code = "SIP301"
    name = "prack.without-reliable"
    severity = Severity.ERROR
    summary = "A PRACK acknowledges no reliable provisional response."
    source = CITATIONS["SIP301"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_reliable).sip301:
            yield Finding(model.messages[index].loc, text)
