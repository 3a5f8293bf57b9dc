"""SIP702 route.response-bypasses-path."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing


@register
class ResponseBypassesPath(Rule):
    """A response skips the proxies its request went through (RFC 3261 §18.2.2, §16.7).

    For ``R : Y -> X``, response matching finds nothing on hop X->Y (sip-rules.md §1.4
    step 3), but an earlier request chain with R's Call-ID (any, when R writes none) and
    ``for=`` method passed X and later, not next to it, Y. Responses go back along the
    Via path one hop at a time, each proxy relaying. Replaces SIP101 for the statement.
    """

    code = "SIP702"
    name = "route.response-bypasses-path"
    severity = Severity.ERROR
    summary = "A response skips the proxies its request went through."
    source = CITATIONS["SIP702"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for unmatched in model.part(build_routing).unmatched:
            if unmatched.bypassed_hop is None:
                continue
            message = model.messages[unmatched.index]
            request = model.messages[unmatched.bypassed_hop]
            sender, receiver = message.sender.text, message.receiver.text
            path = list(unmatched.bypassed_path)
            skipped = path[path.index(receiver) + 1 :] if receiver in path else path
            call = model.resolved[unmatched.bypassed_hop].call
            went = " -> ".join((*path, request.receiver.text))
            yield Finding(
                message.loc,
                f"'{message.name}' goes from {sender} straight to {receiver}, skipping "
                f"{', '.join(skipped)}: the {request.name} (Call-ID {call}) went {went}, "
                "and a response goes back hop by hop along that path",
            )
