"""SIP605 conference.factory-uri-reused."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions, chain_label


@register
class FactoryUriReused(Rule):
    """A request meant for an existing conference names the conference-factory URI.

    An INVITE to the conference-factory URI creates a new conference; the focus returns
    the new conference URI in its ``isfocus`` Contact, and later requests about that
    conference use it (RFC 4579 §3.2, §5; RFC 4575 §3; 3GPP TS 24.147 §5.3). The factory
    URI is the ``Request-URI`` of an INVITE whose 2xx from a focus had an ``isfocus``
    Contact naming another URI. After that 2xx, fires on a SUBSCRIBE with
    ``Event=conference`` whose ``Request-URI`` is the factory URI, a REFER whose
    ``Refer-To`` (method INVITE or none) is the factory URI, and an INVITE whose
    ``Request-URI`` is the factory URI while that conference still has members (once all
    left, a new INVITE to the factory URI rightly creates a new conference). Silent when
    the URIs are not written. Points at the offending request.
    """

    code = "SIP605"
    name = "conference.factory-uri-reused"
    severity = Severity.ERROR
    summary = "A request for an existing conference is sent to the conference-factory URI."
    source = CITATIONS["SIP605"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for use in model.part(build_subscriptions).factory_uses:
            info = model.infos[use.index]
            label = chain_label(info.chain) if info and info.chain else use.method
            conferences = ", ".join(use.conferences)
            yield Finding(
                model.messages[use.index].loc,
                f"{label} names the conference-factory URI {use.factory} in its "
                f"{use.header}; the conference it created is {conferences}: use the "
                "conference URI",
            )
