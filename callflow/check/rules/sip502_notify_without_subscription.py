"""SIP502 event.notify-without-subscription."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions


@register
class NotifyWithoutSubscription(Rule):
    """A NOTIFY is sent for a subscription that does not exist.

    A notifier sends NOTIFY only for subscriptions it holds (RFC 6665 §4.2.2); the
    subscriber answers any other NOTIFY with 481 (§4.1.3). A UA N originating a NOTIFY
    to UA S with Event E (and ``id``) fires when N holds no subscription (sip-rules.md
    §1.8) from S with that key in that dialog: no SUBSCRIBE from S for E that N answered
    with 2xx before the NOTIFY, and for E = ``refer`` no REFER from S that N answered with
    2xx (RFC 3515 §2.4.4; a REFER with ``Refer-Sub=false`` on both sides creates none,
    RFC 4488). A NOTIFY without ``id`` for ``refer`` belongs to the dialog's first REFER
    (RFC 3515 §2.4.6). Points at the NOTIFY.
    """

    code = "SIP502"
    name = "event.notify-without-subscription"
    severity = Severity.ERROR
    summary = "A NOTIFY is sent for a subscription that does not exist."
    source = CITATIONS["SIP502"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for notify in model.part(build_subscriptions).notifies:
            if notify.subscription is not None:
                continue
            ident = f";id={notify.id}" if notify.id is not None else ""
            creator = "REFER" if notify.event == "refer" else f"SUBSCRIBE for {notify.event}"
            yield Finding(
                model.messages[notify.index].loc,
                f"NOTIFY {notify.notifier}->{notify.subscriber} (Call-ID {notify.chain.call}, "
                f"Event {notify.event}{ident}) matches no subscription: "
                f"{notify.subscriber} sent no {creator} in this dialog "
                f"that {notify.notifier} accepted with 2xx",
            )
