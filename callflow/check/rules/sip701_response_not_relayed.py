"""SIP701 route.response-not-relayed."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import build_routing, describe_transaction


@register
class ResponseNotRelayed(Rule):
    """A proxy sends upstream a response it never received from downstream, where it may
    not make one up (RFC 3261 §16.7, §16.2).

    A proxy P sends ``R : P -> U`` on the transaction of ``r_in`` after it forwarded
    ``r_in`` (at least one branch), R is *local* (no branch of ``r_in`` brought P a
    response with R's code before), and R's code is 101-299 other than 181 and 182. A
    proxy may make up 100, 181, 182 (RFC 3261 §21.1.3-21.1.4, RFC 5359 §2.8) and
    failures (408, 487, ...); other provisionals and 2xx come from the UAS. A 200 to
    CANCEL is always the proxy's own (RFC 3261 §16.10: CANCEL is hop by hop).
    """

    code = "SIP701"
    name = "route.response-not-relayed"
    severity = Severity.ERROR
    summary = "A proxy sends upstream a response it never received from downstream."
    source = CITATIONS["SIP701"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for local in model.part(build_routing).not_relayed:
            message = model.messages[local.index]
            branch = model.messages[local.branch]
            proxy = message.sender.text
            yield Finding(
                message.loc,
                f"{proxy} forwarded the {local.transaction.method} to "
                f"{branch.receiver.text} (line {branch.loc.line}) but sends "
                f"'{message.name}' on {describe_transaction(local.transaction)} without "
                f"receiving a {message.code} from a branch; only the UAS makes one up",
            )
