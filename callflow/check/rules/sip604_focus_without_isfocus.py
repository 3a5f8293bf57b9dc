"""SIP604 conference.focus-without-isfocus."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import has_isfocus


@register
class FocusWithoutIsfocus(Rule):
    """A conference focus answers an INVITE with a Contact that does not say it is a focus.

    A focus puts the ``isfocus`` feature tag (RFC 3840 §9) in the Contact of its
    dialog-creating and target-refresh responses so that participants learn the
    conference URI (RFC 4579 §3.1, §3.2). Fires when an entity with role ``focus``
    originates a 101-199 or 2xx response to an INVITE whose ``Contact`` lacks
    ``isfocus``; a 2xx with no Contact written fires as a warning (cannot verify).
    Points at the response.
    """

    code = "SIP604"
    name = "conference.focus-without-isfocus"
    severity = Severity.ERROR
    summary = "A conference focus answers an INVITE with a Contact lacking isfocus."
    source = CITATIONS["SIP604"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for rchain in model.response_chains:
            request = rchain.request_chain
            code = rchain.code
            if (
                request is None
                or request.method != "INVITE"
                or not (101 <= code <= 299)
                or model.role(rchain.origin) != "focus"
                or rchain.origin != request.destination
            ):
                continue
            message = model.messages[rchain.first]
            contact = model.resolved[rchain.first].header("Contact")
            label = (
                f"{message.name} from focus {rchain.origin} to the INVITE from "
                f"{request.origin} (Call-ID {request.call})"
            )
            if contact is None:
                if code >= 200:
                    yield Finding(
                        message.loc,
                        f"{label} has no Contact: cannot verify that it carries isfocus",
                        Severity.WARNING,
                    )
            elif not has_isfocus(contact):
                hint = (
                    " as a Contact header parameter (after the '>')"
                    if "isfocus" in contact.lower()
                    else ""
                )
                yield Finding(message.loc, f"{label} has Contact {contact} without isfocus{hint}")
