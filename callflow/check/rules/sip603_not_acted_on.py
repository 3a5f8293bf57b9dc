"""SIP603 refer.not-acted-on."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.subscriptions import build_subscriptions, chain_label


@register
class ReferNotActedOn(Rule):
    """The referee accepted a REFER but never sent the request it was asked to send.

    A referee that accepts a REFER contacts the resource in Refer-To (RFC 3515 §2.4.3)
    with the method the URI's ``method`` parameter names, INVITE by default (§2.1;
    RFC 4579 §5 for joining a conference). Fires at scenario end when UA R sent a 2xx to
    a REFER whose Refer-To is a SIP or SIPS URI and R originated no request of that
    method after it; points at the 2xx. A triggered request that writes ``Request-URI``
    must name the Refer-To URI (both compared without parameters and ``?headers``); when
    R sent requests of that method only to other URIs, the rule points at the first of
    them instead.
    """

    code = "SIP603"
    name = "refer.not-acted-on"
    severity = Severity.WARNING
    summary = "The referee accepted a REFER but never sent the request it asked for."
    source = CITATIONS["SIP603"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for referral in model.part(build_subscriptions).referrals:
            if referral.triggered is not None:
                continue
            refer_line = model.messages[referral.request].loc.line
            asked = (
                f"the REFER from {referral.referrer} (Call-ID {referral.call}, line "
                f"{refer_line}) asks {referral.referee} to send {referral.method} to "
                f"{referral.uri}"
            )
            if referral.mismatch is not None:
                written = model.resolved[referral.mismatch].header("Request-URI")
                info = model.infos[referral.mismatch]
                label = chain_label(info.chain) if info and info.chain else referral.method
                yield Finding(
                    model.messages[referral.mismatch].loc,
                    f"{label} names Request-URI {written}, but {asked}",
                )
            else:
                yield Finding(
                    model.messages[referral.index].loc,
                    f"{referral.referee} accepted the REFER from {referral.referrer} "
                    f"(Call-ID {referral.call}) with 2xx but never sent the "
                    f"{referral.method} to {referral.uri} that its Refer-To asks for",
                )
