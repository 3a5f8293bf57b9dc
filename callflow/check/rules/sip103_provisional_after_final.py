"""SIP103 transaction.provisional-after-final."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing, describe_transaction


@register
class ProvisionalAfterFinal(Rule):
    """A 1xx is sent after the transaction got its final response (RFC 3261 §17.2.1,
    §17.2.2).

    A 1xx matches (sip-rules.md §1.4 step 2) a transaction that a final already
    completed: a server transaction in the Completed state passes no provisional.
    """

    code = "SIP103"
    name = "transaction.provisional-after-final"
    severity = Severity.ERROR
    summary = "A 1xx is sent after the transaction got its final response."
    source = CITATIONS["SIP103"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for late in model.part(build_routing).provisional_after_final:
            message = model.messages[late.index]
            final = model.messages[late.completed_by]
            yield Finding(
                message.loc,
                f"'{message.name}' comes after the final '{final.name}' "
                f"(line {final.loc.line}) of {describe_transaction(late.transaction)}",
            )
