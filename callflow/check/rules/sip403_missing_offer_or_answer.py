"""SIP403 sdp.missing-offer-or-answer."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.offer_answer import build_offer_answer


@register
class MissingOfferOrAnswer(Rule):
    """The message that must carry the answer (or the initial offer) goes by without it.

    (a) While an offer is pending, the peer originates its answer slot without SDP: the
    2xx to the INVITE, PRACK or UPDATE that carried the offer (for an INVITE a reliable
    1xx without SDP does not fire: the 2xx is the last chance), the PRACK for a reliable
    1xx that carried it, the ACK for a 2xx that carried it. A final >= 300 rejects the
    offer and never fires; an unreliable 1xx answer is only a preview. (b) An initial
    INVITE carried no offer and neither a reliable 1xx nor its 2xx carries one. Usages
    where no message writes ``sdp`` are skipped. RFC 3261 §13.2.1, RFC 3262 §5, RFC 3311
    §5.2, RFC 6337.
    """

    code = "SIP403"
    name = "sdp.missing-offer-or-answer"
    severity = Severity.ERROR
    summary = "The message that must carry the answer (or the initial offer) goes by without it."
    source = CITATIONS["SIP403"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for index, text in model.part(build_offer_answer).sip403:
            yield Finding(model.messages[index].loc, text)
