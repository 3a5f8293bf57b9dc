"""SIP401 sdp.offer-while-pending."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.offer_answer import build_offer_answer


@register
class OfferWhilePending(Rule):
    """A UA sends a new offer while an offer is still unanswered in the dialog.

    A UA originates ``sdp=offer`` while its invite usage has an offer pending (sent by
    either side). Exception: the request carrying the new offer is rejected by its
    receiving UA with 491 (glare shown correctly); such an offer never becomes pending
    and its rejection leaves the pending offer alone. Offers SIP404 refuses (in ACK,
    CANCEL, BYE, unreliable 1xx, failures, late responses) are not counted here. Usages
    where no message writes ``sdp`` are skipped. RFC 3264 §4, RFC 3261 §14.1, RFC 3311
    §5.1-§5.2.
    """

    code = "SIP401"
    name = "sdp.offer-while-pending"
    severity = Severity.ERROR
    summary = "A UA sends a new offer while an offer is still unanswered in the dialog."
    source = CITATIONS["SIP401"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_offer_answer).sip401:
            yield Finding(model.messages[index].loc, text)
