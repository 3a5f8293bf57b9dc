"""SIP602 refer.progress-not-reported."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions, media_type

SIPFRAG = "message/sipfrag"


@register
class ReferProgressNotReported(Rule):
    """The referee accepted a REFER but never reported the outcome.

    Accepting a REFER creates an implicit ``refer`` subscription (RFC 3515 §2.4.4) unless
    both the REFER and its 2xx carry ``Refer-Sub=false`` (RFC 4488); the referee reports
    progress in NOTIFYs with a ``message/sipfrag`` body (§2.4.5) and ends the
    subscription with ``Subscription-State=terminated`` once the outcome is known
    (§2.4.7, RFC 7647). Fires at scenario end, at the 2xx, when the referee originated
    (a) no ``Event=refer`` NOTIFY for that subscription after the 2xx, or (b) its last one
    carries another substate. Also fires, as an error at the NOTIFY, on any
    ``Event=refer`` NOTIFY whose ``Content-Type``, when written, is not
    ``message/sipfrag``.
    """

    code = "SIP602"
    name = "refer.progress-not-reported"
    severity = Severity.WARNING
    summary = "The referee accepted a REFER but never reported the outcome."
    source = CITATIONS["SIP602"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        state = model.part(build_subscriptions)
        for notify in state.notifies:
            if notify.event != "refer" or notify.content_type is None:
                continue
            if media_type(notify.content_type) != SIPFRAG:
                yield Finding(
                    model.messages[notify.index].loc,
                    f"NOTIFY {notify.notifier}->{notify.subscriber} (Call-ID "
                    f"{notify.chain.call}, Event refer) carries Content-Type "
                    f"{notify.content_type}; a refer NOTIFY carries {SIPFRAG}",
                    Severity.ERROR,
                )
        for accepted in state.acceptances:
            sub = accepted.subscription
            if accepted.method != "REFER" or sub is None:
                continue
            what = (
                f"{accepted.notifier} accepted the REFER from {accepted.subscriber} "
                f"(Call-ID {accepted.call}) with 2xx"
            )
            after = accepted.notifies_after()
            loc = model.messages[accepted.index].loc
            if not after:
                yield Finding(loc, f"{what} and sent no NOTIFY with Event=refer afterwards")
            elif after[-1].state not in (None, "terminated"):
                line = model.messages[after[-1].index].loc.line
                yield Finding(
                    loc,
                    f"{what}, but its last refer NOTIFY (line {line}) carries "
                    f"Subscription-State {after[-1].state}: the implicit subscription is "
                    "never terminated",
                )
