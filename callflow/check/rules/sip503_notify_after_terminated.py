"""SIP503 event.notify-after-terminated."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions


@register
class NotifyAfterTerminated(Rule):
    """A NOTIFY is sent after the subscription was terminated.

    A NOTIFY with ``Subscription-State=terminated`` ends the subscription (RFC 6665
    §4.2.2); the subscriber answers later NOTIFYs for it with 481 (§4.1.3). Fires when a
    UA originates a NOTIFY for a subscription key (sip-rules.md §1.8) whose state is
    ``terminated`` and no new SUBSCRIBE (or REFER) for that key was accepted since.
    Points at the late NOTIFY.
    """

    code = "SIP503"
    name = "event.notify-after-terminated"
    severity = Severity.ERROR
    summary = "A NOTIFY is sent after the subscription was terminated."
    source = CITATIONS["SIP503"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for notify in model.part(build_subscriptions).notifies:
            sub = notify.subscription
            if sub is None or notify.state_before != "terminated":
                continue
            ended = notify.ended_by
            where = f" at line {model.messages[ended].loc.line}" if ended is not None else ""
            yield Finding(
                model.messages[notify.index].loc,
                f"NOTIFY {notify.notifier}->{notify.subscriber} for {sub.describe()}, "
                f"which the NOTIFY{where} already terminated",
            )
