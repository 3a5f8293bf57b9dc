"""SIP504 event.notify-not-sent."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions


@register
class NotifyNotSent(Rule):
    """The notifier accepted a SUBSCRIBE but sent no NOTIFY after it.

    On accepting a SUBSCRIBE (initial, refresh, or ``Expires=0``) the notifier sends a
    NOTIFY at once (RFC 6665 §4.2.1.2); for ``Expires=0`` that NOTIFY carries
    ``Subscription-State=terminated`` (§4.2.1.4). Fires at scenario end when a UA N sent
    a 2xx to a SUBSCRIBE and originated no NOTIFY for that subscription key after it; for
    ``Expires=0`` also when the first NOTIFY after the 2xx writes another substate.
    Warning: a scenario may stop on purpose right after the 2xx. Points at the 2xx.
    """

    code = "SIP504"
    name = "event.notify-not-sent"
    severity = Severity.WARNING
    summary = "The notifier accepted a SUBSCRIBE but sent no NOTIFY after it."
    source = CITATIONS["SIP504"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for accepted in model.part(build_subscriptions).acceptances:
            sub = accepted.subscription
            if accepted.method != "SUBSCRIBE" or sub is None:
                continue
            after = accepted.notifies_after()
            ident = f";id={sub.id}" if sub.id is not None else ""
            what = (
                f"{accepted.notifier} accepted the {sub.event}{ident} SUBSCRIBE from "
                f"{accepted.subscriber} (Call-ID {accepted.call}) with 2xx"
            )
            loc = model.messages[accepted.index].loc
            if not after:
                yield Finding(loc, f"{what} and sent no NOTIFY for it afterwards")
            elif accepted.expires_zero and after[0].state not in (None, "terminated"):
                line = model.messages[after[0].index].loc.line
                yield Finding(
                    loc,
                    f"{what} to an Expires=0 SUBSCRIBE, but the NOTIFY at line {line} "
                    f"carries Subscription-State {after[0].state}, not terminated",
                )
