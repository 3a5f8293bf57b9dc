"""SIP303 prack.bad-reliable-marking."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import build_reliable


@register
class BadReliableMarking(Rule):
    """A provisional is half-marked as reliable, or marked reliable where it cannot be.

    Fires on a provisional response when (a) ``Require`` lists ``100rel`` without
    ``RSeq``, or ``RSeq`` is given without ``100rel`` in ``Require``; (b) it is a 100,
    which is never sent reliably; (c) it answers a request other than INVITE and carries
    either; (d) ``RSeq`` is not an integer in 1..2^31-1. Judged on what the response
    effectively carries, at the statement that makes it and at a relay that writes its
    own ``Require`` or ``RSeq`` (a bare relay repeats its source's marking). One finding
    per statement lists every variant that holds. RFC 3262 §3, §7.1.
    """

    code = "SIP303"
    name = "prack.bad-reliable-marking"
    severity = Severity.ERROR
    summary = "A provisional is half-marked as reliable, or marked reliable where it cannot be."
    source = CITATIONS["SIP303"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_reliable).sip303:
            message = model.messages[index]
            yield Finding(message.loc, f"{message.name}: {text}")
