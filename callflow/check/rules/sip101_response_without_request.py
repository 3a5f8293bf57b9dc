"""SIP101 transaction.response-without-request."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing


@register
class ResponseWithoutRequest(Rule):
    """A response answers nothing pending on its reverse hop (RFC 3261 §17.1.3, §8.1.3).

    For ``R : Y -> X``, response matching (sip-rules.md §1.4) finds no transaction on hop
    X->Y with R's Call-ID (any Call-ID when R writes none) and ``for=`` method. Also
    fires for ``for=ACK``: an ACK is never answered. When a request chain ran from X
    through proxies to Y, SIP702 reports the response instead.
    """

    code = "SIP101"
    name = "transaction.response-without-request"
    severity = Severity.ERROR
    summary = "A response answers nothing pending on its reverse hop."
    source = CITATIONS["SIP101"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for unmatched in model.part(build_routing).unmatched:
            if unmatched.bypassed_hop is not None:
                continue  # SIP702 replaces this rule for the statement
            message = model.messages[unmatched.index]
            sender, receiver = message.sender.text, message.receiver.text
            what = f"no request from {receiver} to {sender}"
            call = message.header("Call-ID")
            method = message.param("for")
            if method is not None:
                what = f"no {method} from {receiver} to {sender}"
            if call is not None:
                what += f" with Call-ID {call}"
            note = " (an ACK is never answered)" if method == "ACK" else ""
            yield Finding(message.loc, f"'{message.name}' answers {what}{note}")
