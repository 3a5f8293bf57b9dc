"""SIP505 conference.change-not-notified."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions


@register
class ConferenceChangeNotNotified(Rule):
    """The focus's conference membership changes and a conference subscriber is not told.

    A conference notifier sends a NOTIFY whenever the conference state changes,
    membership included (RFC 4575 §3.6); it may merge several changes into one NOTIFY
    (§3.9). A UA F is a focus when its role is ``focus`` or it has sent a Contact with
    ``isfocus``. A membership change is F's INVITE usage with another UA starting (F
    sends a 2xx to an INVITE, or receives the 2xx to its own dial-out INVITE, RFC 4579)
    or ending (a BYE sent or received by F). For every ``Event=conference``
    subscription at F that is active or pending at the change, F must originate a
    NOTIFY for it after the change and before scenario end; a NOTIFY that terminates the
    subscription covers it. Warning (at scenario end). Points at the change (the 2xx or
    the BYE at F) and names the subscriber.
    """

    code = "SIP505"
    name = "conference.change-not-notified"
    severity = Severity.WARNING
    summary = "The focus's conference membership changes and a subscriber is not told."
    source = CITATIONS["SIP505"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for change, sub in model.part(build_subscriptions).unnotified_changes():
            yield Finding(
                model.messages[change.index].loc,
                f"{change.other} {change.kind} the conference at {change.focus} "
                f"(Call-ID {change.call}) and subscriber {sub.subscriber} was not told: "
                f"no NOTIFY for its conference subscription (Call-ID {sub.call}) followed",
            )
