"""SIP405 sdp.proxy-altered."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.reliable import describe_transaction, sdp_role


@register
class ProxyAltered(Rule):
    """A proxy changes the offer/answer role of a body it relays.

    A proxy forwards a request branch or relays a response and *writes* an ``sdp`` value
    that differs from what the message it received effectively carried (an offer became
    an answer, a body appeared or vanished; absent means ``none``). A forwarded or
    relayed message that writes no ``sdp`` inherits it, so it never fires. Only the role
    is compared, not SDP contents. RFC 3261 §16.6, RFC 3264 §4.
    """

    code = "SIP405"
    name = "sdp.proxy-altered"
    severity = Severity.ERROR
    summary = "A proxy changes the offer/answer role of a body it relays."
    source = CITATIONS["SIP405"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for info in model.infos:
            if info is None:
                continue
            message = info.message
            written = message.sdp
            if written is None:
                continue
            source = info.link.forwards if info.link.forwards is not None else info.link.relays
            if source is None:
                continue
            received = sdp_role(model.resolved[source].sdp)
            sent = sdp_role(written)
            if sent == received:
                continue
            verb = "forwards" if info.link.forwards is not None else "relays"
            txn = info.link.transaction
            where = f", in {describe_transaction(txn)}" if txn is not None else ""
            yield Finding(
                message.loc,
                f"{message.sender.text} {verb} {message.name} with sdp={sent} but received "
                f"it with sdp={received} (line {model.messages[source].loc.line}){where}",
            )
