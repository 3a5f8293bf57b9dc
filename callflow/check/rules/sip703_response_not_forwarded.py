"""SIP703 route.response-not-forwarded."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing, describe_transaction


@register
class ResponseNotForwarded(Rule):
    """A proxy swallows a response it must pass upstream (RFC 3261 §16.7 steps 5-10).

    Proxy P receives, on a branch of ``r_in``: (a) a 101-199 response to INVITE, or
    (b) a 2xx to INVITE; P must then send a response with the same code upstream on
    ``r_in`` after it, before scenario end. (a) is not required once ``r_in`` has a
    final or a CANCEL from upstream targets it. (c) When every branch of ``r_in`` has
    its final and ``r_in`` never gets one, the last of those finals is reported: P must
    send the best response upstream. A lost response (``-x``) never reached P.
    """

    code = "SIP703"
    name = "route.response-not-forwarded"
    severity = Severity.ERROR
    summary = "A proxy swallows a response it must pass upstream."
    source = CITATIONS["SIP703"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for swallowed in model.part(build_routing).not_forwarded:
            message = model.messages[swallowed.index]
            proxy = message.receiver.text
            upstream = describe_transaction(swallowed.transaction)
            if swallowed.variant == "c":
                must = "never sends a final response upstream on"
                why = "the last final response of its branches"
            else:
                must = f"never passes a {message.code} upstream on"
                why = "a 2xx to INVITE" if swallowed.variant == "b" else "a provisional"
            yield Finding(
                message.loc,
                f"{proxy} receives '{message.name}' from {message.sender.text} ({why}) "
                f"but {must} {upstream}",
            )
