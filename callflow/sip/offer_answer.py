"""Offer/answer state per invite usage at the UAs (sip-rules.md §1.7, SIP401-SIP404).

An **invite usage** (RFC 5057) is keyed like a dialog: (Call-ID, {UA1, UA2}). A request
chain of an invite-usage method (INVITE, ACK, PRACK, UPDATE, INFO, BYE) between two UAs
belongs to the usage of its origin and each UA it reaches (a forked INVITE belongs to
one usage per branch, as each branch is its own early dialog); a response made by a UA
belongs to the usage of that UA and the request's origin.

SDP events happen only where a UA *originates* a message: a request chain's first hop,
or a response at the UA that made it. What proxies relay is SIP405's business. The state
of a usage is ``stable`` or an :class:`Offer` pending (by whom, carried in what). An
answer from the other UA settles it; a final >= 300 that reaches the offering UA for the
request that carried the offer rejects it; an offer in a request that its receiving UA
rejects with 491 is glare (SIP401's exception) and never becomes pending.

Sketch rule: a usage where no message (any hop) writes ``sdp=`` is skipped entirely.

Two short passes over the chains (usage keys, which usages write ``sdp``, glare) and one
over the messages (events in order); each message costs a few dictionary lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from callflow.sip.model import Chain, ResponseChain, SipModel, has_option_tag
from callflow.sip.reliable import build_reliable, describe_transaction, sdp_role

#: requests of the invite usage (RFC 5057 §5; sip-rules.md §1.6)
INVITE_USAGE_METHODS = frozenset({"INVITE", "ACK", "PRACK", "UPDATE", "INFO", "BYE"})
#: requests whose bodies are never offers (SIP404 (a))
NO_OFFER_METHODS = frozenset({"ACK", "CANCEL", "BYE"})

UsageKey = tuple[str, frozenset[str]]
Carrier = Literal["request", "provisional", "2xx"]
#: the role of an offer SIP404 refused: no offer, and no missing answer either
REFUSED = "refused"


@dataclass(eq=False, slots=True)
class Offer:
    """An offer waiting for its answer."""

    by: str  # the UA that made it
    index: int  # the statement that carried it
    carrier: Carrier
    #: the request chain that carried it, or whose response carried it
    chain: Chain
    response: ResponseChain | None = None  # the response that carried it


@dataclass(eq=False, slots=True)
class InviteExchange:
    """Offer/answer of one INVITE transaction inside one usage."""

    initial: bool  # sent before the usage was confirmed (not a re-INVITE)
    had_offer: bool  # the INVITE itself carried an offer
    offer_in_reliable: bool = False  # a reliable 1xx to it carried an offer
    finished: bool = False  # the answer to its initial offer was sent


@dataclass(eq=False, slots=True)
class Usage:
    """One invite usage's offer/answer state."""

    call: str
    uac: str  # the origin of its first request
    uas: str
    pending: Offer | None = None
    confirmed: bool = False  # a 2xx to an INVITE was sent
    invites: dict[int, InviteExchange] = field(default_factory=dict)  # chain index ->

    def describe(self) -> str:
        return f"invite usage {self.uac}-{self.uas} (Call-ID {self.call})"


@dataclass(slots=True)
class OfferAnswerState:
    """The SIP401-SIP404 findings of one scenario: (message index, text)."""

    usages: dict[UsageKey, Usage] = field(default_factory=dict)
    sip401: list[tuple[int, str]] = field(default_factory=list)
    sip402: list[tuple[int, str]] = field(default_factory=list)
    sip403: list[tuple[int, str]] = field(default_factory=list)
    sip404: list[tuple[int, str]] = field(default_factory=list)


def _line(model: SipModel, index: int) -> int:
    return model.messages[index].loc.line


class _Builder:
    def __init__(self, model: SipModel) -> None:
        self.model = model
        self.reliable = model.part(build_reliable)
        self.state = OfferAnswerState()
        #: request chain index -> the usages it belongs to (origin with each UA reached)
        self.chain_usages: dict[int, list[Usage]] = {}
        #: response chain index -> the usage of (UAS that made it, request origin)
        self.response_usage: dict[int, Usage] = {}
        #: (request chain index, UA) pairs: the UA rejected that request with 491
        self.glare: set[tuple[int, str]] = set()

    # ------------------------------------------------------------------ pre-pass
    def _usage(self, call: str, uac: str, uas: str) -> Usage:
        key = (call, frozenset((uac, uas)))
        usage = self.state.usages.get(key)
        if usage is None:
            usage = self.state.usages[key] = Usage(call, uac, uas)
        return usage

    def _collect(self) -> None:
        """Usage keys of chains and responses, the usages that write ``sdp``, glare."""
        model = self.model
        messages = model.messages
        written: set[Usage] = set()  # usages where some message writes sdp
        for chain in model.chains:
            if chain.method not in INVITE_USAGE_METHODS or not model.is_ua(chain.origin):
                continue
            usages: list[Usage] = []
            for hop in chain.hops:
                receiver = messages[hop].receiver.text
                if receiver != chain.origin and model.is_ua(receiver):
                    usage = self._usage(chain.call, chain.origin, receiver)
                    if usage not in usages:
                        usages.append(usage)
            if not usages:
                continue  # absorbed at a proxy
            self.chain_usages[chain.index] = usages
            if any(messages[hop].sdp is not None for hop in chain.hops):
                written.update(usages)
        for rchain in model.response_chains:
            request = rchain.request_chain
            if request is None or request.index not in self.chain_usages:
                continue
            if not model.is_ua(rchain.origin) or rchain.origin == request.origin:
                continue
            usage = self._usage(request.call, request.origin, rchain.origin)
            if usage not in self.chain_usages[request.index]:
                continue
            self.response_usage[rchain.index] = usage
            if rchain.code == 491:
                self.glare.add((request.index, rchain.origin))
            if any(messages[hop].sdp is not None for hop in rchain.hops):
                written.add(usage)
        # the sketch rule: forget usages where nothing writes sdp
        for index, usages in list(self.chain_usages.items()):
            kept = [u for u in usages if u in written]
            if kept:
                self.chain_usages[index] = kept
            else:
                del self.chain_usages[index]
        for index, usage in list(self.response_usage.items()):
            if usage not in written:
                del self.response_usage[index]

    # ------------------------------------------------------------------ main pass
    def run(self) -> OfferAnswerState:
        self._collect()
        model = self.model
        for info in model.infos:
            if info is None:
                continue
            index = info.index
            if info.message.code is None:
                chain = info.chain
                if chain is not None and chain.first == index and model.is_ua(chain.origin):
                    self._request(index, chain)
            elif info.response_chain is not None:
                rchain = info.response_chain
                request = rchain.request_chain
                if rchain.first == index and model.is_ua(rchain.origin):
                    self._response(index, rchain, request)
                if (
                    request is not None
                    and rchain.code >= 300
                    and info.message.receiver.text == request.origin
                ):
                    self._rejected(request)
        return self.state

    def _request(self, index: int, chain: Chain) -> None:
        model = self.model
        sdp = sdp_role(model.resolved[index].sdp)
        method = chain.method
        if sdp == "offer" and method in NO_OFFER_METHODS:
            where = f"{method} {chain.origin}->{chain.destination} (Call-ID {chain.call})"
            self.state.sip404.append(
                (index, f"{where} cannot carry an offer: its body is never an offer")
            )
            sdp = REFUSED
        for usage in self.chain_usages.get(chain.index, ()):
            peer = usage.uas if chain.origin == usage.uac else usage.uac
            self._request_event(index, chain, usage, peer, sdp)

    def _request_event(self, index: int, chain: Chain, usage: Usage, peer: str, sdp: str) -> None:
        model = self.model
        origin = chain.origin
        pending = usage.pending
        # SIP403 (a): the request that is the answer slot of a pending offer of the peer
        if pending is not None and pending.by == peer and sdp == "none":
            slot = None
            if chain.method == "PRACK" and pending.carrier == "provisional":
                target = self.reliable.prack_target.get(chain.index)
                if target is not None and target.response is pending.response:
                    slot = "the PRACK for the reliable provisional"
            elif chain.method == "ACK" and pending.carrier == "2xx":
                txn = model.transaction(index)
                info = model.info(txn.request) if txn is not None else None
                if info is not None and info.chain is pending.chain:
                    slot = "the ACK for the 2xx"
            if slot is not None:
                self.state.sip403.append(
                    (
                        index,
                        f"{chain.method} from {origin} is {slot} that carried "
                        f"{peer}'s offer (line {_line(model, pending.index)}) but carries "
                        f"no answer, in {usage.describe()}",
                    )
                )
                usage.pending = None
                self._finish(usage, pending)
        if chain.method == "INVITE":
            usage.invites[chain.index] = InviteExchange(
                initial=not usage.confirmed, had_offer=sdp == "offer"
            )
        if sdp == "offer":
            self._offer(index, usage, Offer(origin, index, "request", chain), peer)
        elif sdp == "answer":
            self._answer(index, usage, origin, chain.method)

    def _response(self, index: int, rchain: ResponseChain, request: Chain | None) -> None:
        model = self.model
        code = rchain.code
        sdp = sdp_role(model.resolved[index].sdp)
        reliable = rchain.index in self.reliable.by_response or (
            101 <= code <= 199
            and has_option_tag(model.resolved[index].header("Require"), "100rel")
            and model.resolved[index].header("RSeq") is not None
        )
        usage = self.response_usage.get(rchain.index)
        exchange = None
        if usage is not None and request is not None and request.method == "INVITE":
            exchange = usage.invites.get(request.index)
        name = model.messages[index].name
        if sdp == "offer":
            problem = None
            if code >= 300:
                problem = "a failure response cannot carry an offer"
            elif code < 200 and not reliable:
                problem = "an unreliable provisional cannot carry an offer (offers need a "
                problem += "reliable message: Require=100rel and RSeq)"
            elif exchange is not None and exchange.had_offer:
                problem = (
                    "the INVITE carried the offer, so a response to it carries the answer, "
                    "never an offer"
                )
            elif exchange is not None and exchange.finished:
                problem = (
                    "the offer/answer of this INVITE has finished; no later response to "
                    "it may carry an offer"
                )
            if problem is not None:
                txn = model.transaction(index)
                where = f", in {describe_transaction(txn)}" if txn is not None else ""
                self.state.sip404.append((index, f"{name}: {problem}{where}"))
                sdp = REFUSED
        if usage is None or request is None:
            return
        uas = rchain.origin
        if code >= 300:
            return  # a failure rejects; its rejection counts where the offerer gets it
        if request.method == "INVITE" and 200 <= code <= 299:
            self._check_initial_offer(index, usage, exchange, sdp, name)
            usage.confirmed = True
        if exchange is not None and exchange.had_offer and exchange.finished and sdp == "answer":
            return  # RFC 3261 §13.2.1: the UAC ignores SDP in later responses (a repeat)
        pending = usage.pending
        if code < 200 and not reliable:
            if sdp == "answer" and not (pending is not None and pending.by != uas):
                self._answer(index, usage, uas, name)
            return  # a preview answer (RFC 6337) leaves the offer pending
        # SIP403 (a): this response is the answer slot of the offer its request carried
        if (
            pending is not None
            and pending.by == request.origin
            and pending.carrier == "request"
            and pending.chain is request
            and sdp == "none"
            and 200 <= code <= 299
            and request.method in ("INVITE", "PRACK", "UPDATE")
        ):
            self.state.sip403.append(
                (
                    index,
                    f"{name} to {request.method} must carry the answer to "
                    f"{request.origin}'s offer (line {_line(model, pending.index)}) but "
                    f"carries none, in {usage.describe()}",
                )
            )
            usage.pending = None
            self._finish(usage, pending)
            return
        if sdp == "offer":
            carrier: Carrier = "provisional" if code < 200 else "2xx"
            offer = Offer(uas, index, carrier, request, rchain)
            if exchange is not None and carrier == "provisional":
                exchange.offer_in_reliable = True
            self._offer(index, usage, offer, request.origin)
        elif sdp == "answer":
            self._answer(index, usage, uas, name)

    def _check_initial_offer(
        self,
        index: int,
        usage: Usage,
        exchange: InviteExchange | None,
        sdp: str,
        name: str,
    ) -> None:
        """SIP403 (b): an initial INVITE without offer needs the offer in its 2xx."""
        if exchange is None or not exchange.initial or exchange.had_offer:
            return
        if exchange.offer_in_reliable or sdp == "offer":
            return
        self.state.sip403.append(
            (
                index,
                f"{name}: the initial INVITE carried no offer, so the 2xx must carry "
                f"one when no reliable 1xx did, but it carries sdp={sdp}, in "
                f"{usage.describe()}",
            )
        )

    # ------------------------------------------------------------------ transitions
    def _offer(self, index: int, usage: Usage, offer: Offer, peer: str) -> None:
        pending = usage.pending
        if pending is not None:
            if offer.carrier == "request" and (offer.chain.index, peer) in self.glare:
                return  # glare shown correctly: rejected with 491, never pending
            who = "its own" if pending.by == offer.by else f"{pending.by}'s"
            self.state.sip401.append(
                (
                    index,
                    f"{offer.by} sends a new offer while {who} offer (line "
                    f"{_line(self.model, pending.index)}) is unanswered, in "
                    f"{usage.describe()}",
                )
            )
        usage.pending = offer

    def _answer(self, index: int, usage: Usage, by: str, what: str) -> None:
        pending = usage.pending
        if pending is not None and pending.by != by:
            usage.pending = None
            self._finish(usage, pending)
            return
        if pending is None:
            reason = "no offer is pending"
        else:
            reason = f"the pending offer (line {_line(self.model, pending.index)}) is its own"
        self.state.sip402.append(
            (index, f"{what} from {by} carries an answer but {reason}, in {usage.describe()}")
        )

    @staticmethod
    def _finish(usage: Usage, offer: Offer) -> None:
        """The offer is settled: if an INVITE or a response to it carried it, it was that
        INVITE's initial offer (later ones go in PRACK or UPDATE), so its O/A is done."""
        if offer.chain.method == "INVITE":
            exchange = usage.invites.get(offer.chain.index)
            if exchange is not None:
                exchange.finished = True

    def _rejected(self, request: Chain) -> None:
        """A final >= 300 reached the request's origin: an offer it carried is rejected."""
        for usage in self.chain_usages.get(request.index, ()):
            pending = usage.pending
            if (
                pending is not None
                and pending.carrier == "request"
                and pending.chain is request
                and pending.by == request.origin
            ):
                usage.pending = None


def build_offer_answer(model: SipModel) -> OfferAnswerState:
    """Offer/answer state per invite usage and the SIP401-SIP404 findings, in one pass."""
    return _Builder(model).run()
