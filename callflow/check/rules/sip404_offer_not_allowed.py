"""SIP404 sdp.offer-not-allowed."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.offer_answer import build_offer_answer


@register
class OfferNotAllowed(Rule):
    """An offer appears in a message that cannot carry one.

    A UA originates ``sdp=offer`` in (a) an ACK, CANCEL or BYE; (b) an unreliable 1xx;
    (c) a response to an INVITE after that INVITE's offer/answer finished (the UAS sent
    or received the answer to the initial offer), the 2xx included, or to an INVITE that
    itself carried the offer (RFC 3261 §13.2.1: the UAC takes the first SDP of a response
    to it as the answer, so it can never be an offer); (d) a failure response (>= 300).
    Such an offer changes no offer/answer state (no SIP401, no SIP403 for the same
    statement). Proxies relaying a body are SIP405's business. RFC 3261 §13.2.1,
    RFC 6337.
    """

    code = "SIP404"
    name = "sdp.offer-not-allowed"
    severity = Severity.ERROR
    summary = "An offer appears in a message that cannot carry one."
    source = CITATIONS["SIP404"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_offer_answer).sip404:
            yield Finding(model.messages[index].loc, text)
