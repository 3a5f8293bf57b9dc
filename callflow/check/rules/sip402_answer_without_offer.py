"""SIP402 sdp.answer-without-offer."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.offer_answer import build_offer_answer


@register
class AnswerWithoutOffer(Rule):
    """An answer is sent with no offer pending from the peer.

    A UA originates ``sdp=answer`` while its invite usage is stable, or while the pending
    offer is its own. An unreliable 1xx answer while the peer's offer is pending is a
    preview and fires nothing. A later response to an INVITE that carried the offer, once
    the answer was sent, may repeat the answer (RFC 3261 §13.2.1: the UAC ignores SDP in
    later responses to the INVITE), so it does not fire. Usages where no message writes
    ``sdp`` are skipped.
    RFC 3264 §4, §6; RFC 3261 §13.2.1.
    """

    code = "SIP402"
    name = "sdp.answer-without-offer"
    severity = Severity.ERROR
    summary = "An answer is sent with no offer pending from the peer."
    source = CITATIONS["SIP402"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_offer_answer).sip402:
            yield Finding(model.messages[index].loc, text)
