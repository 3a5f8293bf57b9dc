"""SIP102 transaction.multiple-final."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing, describe_transaction


@register
class MultipleFinal(Rule):
    """A transaction gets a second final response (RFC 3261 §17.2.1, §17.2.2, §16.7).

    A final response matches (sip-rules.md §1.4 step 2) a transaction that a final
    already completed. A drawn retransmission reads the same way. Exception (RFC 3261
    §16.7 step 5): a proxy relays every 2xx to INVITE that its branches send, also
    after a final, so a relayed 2xx from a branch whose 2xx it has not relayed yet is
    allowed (forking).
    """

    code = "SIP102"
    name = "transaction.multiple-final"
    severity = Severity.ERROR
    summary = "A transaction gets a second final response."
    source = CITATIONS["SIP102"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for late in model.part(build_routing).multiple_final:
            message = model.messages[late.index]
            first = model.messages[late.completed_by]
            yield Finding(
                message.loc,
                f"'{message.name}' is a second final response on "
                f"{describe_transaction(late.transaction)}: '{first.name}' "
                f"(line {first.loc.line}) already completed it",
            )
