"""SIP104 transaction.no-final-response."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing, describe_transaction


@register
class NoFinalResponse(Rule):
    """A request never gets a final response (RFC 3261 §8.2.6, §17.2).

    At scenario end, a transaction (any method except ACK) has no final response. A
    warning: a scenario may stop on purpose while a request is pending. A lost request
    (``-x``) is left out: it never reached a server, and the retransmission the author
    draws next opens the transaction that counts (timeouts are not modelled).
    """

    code = "SIP104"
    name = "transaction.no-final-response"
    severity = Severity.WARNING
    summary = "A request never gets a final response."
    source = CITATIONS["SIP104"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for txn in model.part(build_routing).no_final:
            message = model.messages[txn.request]
            yield Finding(
                message.loc,
                f"{describe_transaction(txn)} never gets a final response",
            )
