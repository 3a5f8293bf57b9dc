"""SIP601 refer.refer-to-missing."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import chain_label, uri_count


@register
class ReferToMissing(Rule):
    """A REFER must carry exactly one Refer-To.

    RFC 3515 §2.4.1: a REFER request MUST contain exactly one Refer-To header field
    value. Fires where a user agent originates a REFER with no ``Refer-To`` (required even
    in sketches, sip-rules.md §1.2), an empty one, or one holding more than one URI (two
    ``<...>`` groups, or a comma outside ``<>`` and quotes). Points at the REFER.
    """

    code = "SIP601"
    name = "refer.refer-to-missing"
    severity = Severity.ERROR
    summary = "A REFER must carry exactly one Refer-To."
    source = CITATIONS["SIP601"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for chain in model.chains:
            if chain.method != "REFER" or not model.is_ua(chain.origin):
                continue
            refer_to = model.resolved[chain.first].header("Refer-To")
            if refer_to is None:
                problem = "has no Refer-To header"
            else:
                count = uri_count(refer_to)
                if count == 1:
                    continue
                problem = (
                    "has an empty Refer-To"
                    if count == 0
                    else f"has a Refer-To naming {count} URIs; it must name exactly one"
                )
            yield Finding(model.messages[chain.first].loc, f"{chain_label(chain)} {problem}")
