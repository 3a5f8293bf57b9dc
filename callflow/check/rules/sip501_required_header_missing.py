"""SIP501 event.required-header-missing."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import SUBSTATES, chain_label, parse_event, substate


@register
class EventRequiredHeaderMissing(Rule):
    """A SUBSCRIBE or NOTIFY lacks the headers that name its subscription.

    RFC 6665 §8.2.1 makes ``Event`` mandatory in SUBSCRIBE and NOTIFY, and §8.2.3
    ``Subscription-State`` in NOTIFY, whose substate is ``active``, ``pending`` or
    ``terminated`` (§4.1.2, §4.2.2). Without them no subscription can be matched, so the
    rule requires them even in sketches (sip-rules.md §1.2). Fires on (a) a SUBSCRIBE
    without ``Event``, (b) a NOTIFY without ``Event``, (c) a NOTIFY without
    ``Subscription-State`` or with another substate. Checked where a user agent
    originates the request (proxies pass headers on unchanged); one finding per request
    names everything missing. Points at the request.
    """

    code = "SIP501"
    name = "event.required-header-missing"
    severity = Severity.ERROR
    summary = "SUBSCRIBE or NOTIFY lacks the headers that name its subscription."
    source = CITATIONS["SIP501"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for chain in model.chains:
            if chain.method not in ("SUBSCRIBE", "NOTIFY") or not model.is_ua(chain.origin):
                continue
            resolved = model.resolved[chain.first]
            problems: list[str] = []
            if parse_event(resolved.header("Event")) is None:
                problems.append("no Event header")
            if chain.method == "NOTIFY":
                written = resolved.header("Subscription-State")
                state = substate(written)
                if state is None:
                    problems.append("no Subscription-State header")
                elif state not in SUBSTATES:
                    problems.append(
                        f'Subscription-State "{written}" that is not active, pending or terminated'
                    )
            if problems:
                yield Finding(
                    model.messages[chain.first].loc,
                    f"{chain_label(chain)} has {' and '.join(problems)}",
                )
