"""Reliable provisional responses and their PRACKs (sip-rules.md §1.9, SIP301-SIP305).

One pass over a scenario's SIP messages finds every reliable provisional a UAS
originates (§1.9: 101-199 to an INVITE, ``Require`` lists ``100rel``, ``RSeq`` given),
follows it to the UAC, matches the UAC's PRACKs to it (by Call-ID, UAS and, when
written, ``RAck``) and notes when the PRACK reaches the UAS. The SIP3xx rules read the
findings recorded here; the offer/answer part reads which provisional a PRACK answers.

State is keyed by INVITE server transaction (for SIP304/SIP305) and by (Call-ID, UAC)
(provisionals awaiting a PRACK), so each message costs a few dictionary lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callflow.sip.model import Chain, ResponseChain, SipModel, has_option_tag
from callflow.sip.resolve import Transaction

#: RFC 3262 §7.1: RSeq is 1 .. 2**31 - 1
RSEQ_MAX = 2**31 - 1


def sdp_role(value: str | None) -> str:
    """``offer``, ``answer`` or ``none`` (absent and unknown values mean none, §1.2)."""
    return value if value in ("offer", "answer") else "none"


def describe_transaction(txn: Transaction) -> str:
    """How a finding names a transaction: ``INVITE transaction A->B (Call-ID main)``."""
    return f"{txn.method} transaction {txn.client}->{txn.server} (Call-ID {txn.call})"


def parse_rseq(value: str | None) -> int | None:
    """An RSeq value as an integer in range, or None (absent or malformed)."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= RSEQ_MAX else None


def parse_cseq_number(value: str | None) -> int | None:
    """The sequence number of a ``CSeq`` value (``"314 INVITE"``), or None."""
    if value is None:
        return None
    parts = value.split()
    return int(parts[0]) if parts and parts[0].isdigit() else None


def parse_rack(value: str) -> tuple[int, int, str] | None:
    """``RAck="1 314 INVITE"`` as (RSeq, CSeq number, method); None when malformed."""
    parts = value.split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2]


@dataclass(eq=False, slots=True)
class Provisional:
    """One reliable provisional a UAS originated, and what became of it."""

    response: ResponseChain
    index: int  # the statement the UAS sent
    uas: str
    uac: str
    call: str
    invite: Chain
    txn: Transaction  # the INVITE server transaction at the UAS
    code: int
    rseq: int | None  # None when RSeq is malformed (SIP303 says so)
    cseq: int | None  # the INVITE's CSeq number, when written
    sdp: str  # "offer" | "answer" | "none"
    delivered: int | None = None  # the statement that reached the UAC
    prack: Chain | None = None  # the UAC's PRACK chain that matched it
    prack_received: int | None = None  # the PRACK statement that reached the UAS

    def describe(self, model: SipModel) -> str:
        name = model.messages[self.index].name
        rseq = f", RSeq {self.rseq}" if self.rseq is not None else ""
        return f"reliable {name} (line {model.messages[self.index].loc.line}{rseq})"


@dataclass(slots=True)
class ReliableState:
    """Reliable provisionals and the SIP3xx findings of one scenario (message indices)."""

    provisionals: list[Provisional] = field(default_factory=list)
    #: PRACK chain index -> the provisional it acknowledges
    prack_target: dict[int, Provisional] = field(default_factory=dict)
    #: response-chain index -> its provisional
    by_response: dict[int, Provisional] = field(default_factory=dict)
    sip301: list[tuple[int, str]] = field(default_factory=list)
    sip303: list[tuple[int, str]] = field(default_factory=list)
    sip304: list[tuple[int, str]] = field(default_factory=list)
    sip305: list[tuple[int, str]] = field(default_factory=list)

    def sip302(self, model: SipModel) -> list[tuple[int, str]]:
        """Reliable provisionals that reached the UAC and were never PRACKed."""
        found: list[tuple[int, str]] = []
        for p in self.provisionals:
            if p.delivered is None or p.prack is not None:
                continue
            txn = model.transaction(p.delivered)
            where = f", in {describe_transaction(txn)}" if txn is not None else ""
            found.append(
                (
                    p.delivered,
                    f"{p.describe(model)} from {p.uas} reached {p.uac} "
                    f"and {p.uac} never sends a PRACK for it{where}",
                )
            )
        return found


def _marking_problems(model: SipModel, index: int, txn: Transaction | None) -> list[str]:
    """SIP303 (a)-(d) on one provisional, judged on what it effectively carries."""
    message = model.messages[index]
    resolved = model.resolved[index]
    require = has_option_tag(resolved.header("Require"), "100rel")
    rseq = resolved.header("RSeq")
    problems: list[str] = []
    if require and rseq is None:
        problems.append("Require lists 100rel but RSeq is missing")
    elif rseq is not None and not require:
        problems.append("it carries RSeq but Require does not list 100rel")
    if message.code == 100 and (require or rseq is not None):
        problems.append("100 Trying is never sent reliably")
    if txn is not None and txn.method != "INVITE" and (require or rseq is not None):
        problems.append(f"it answers {txn.method}, and only INVITE has reliable provisionals")
    if rseq is not None and parse_rseq(rseq) is None:
        problems.append(f"RSeq {rseq!r} is not an integer in 1..2^31-1")
    return problems


class _Builder:
    def __init__(self, model: SipModel) -> None:
        self.model = model
        self.state = ReliableState()
        #: INVITE server transaction -> its newest reliable provisional
        self.last: dict[Transaction, Provisional] = {}
        #: INVITE server transaction -> its provisionals no PRACK has reached, oldest first
        self.unacked: dict[Transaction, dict[Provisional, None]] = {}
        #: (Call-ID, UAC) -> provisionals delivered to the UAC and not yet PRACKed
        self.awaiting: dict[tuple[str, str], list[Provisional]] = {}

    def run(self) -> ReliableState:
        for info in self.model.infos:
            if info is None:
                continue
            if info.message.code is None:
                if info.chain is not None and info.chain.method == "PRACK":
                    self._prack(info.index, info.chain)
            elif info.response_chain is not None:
                self._response(info.index, info.response_chain, info.link.transaction)
        return self.state

    # ------------------------------------------------------------------ responses
    def _response(self, index: int, rchain: ResponseChain, txn: Transaction | None) -> None:
        model = self.model
        message = model.messages[index]
        code = rchain.code
        origin_hop = rchain.first == index
        if 100 <= code <= 199 and (
            origin_hop
            or message.header("Require") is not None
            or message.header("RSeq") is not None
        ):
            problems = _marking_problems(model, index, txn)
            if problems:
                where = f", in {describe_transaction(txn)}" if txn is not None else ""
                self.state.sip303.append((index, "; ".join(problems) + where))
        if origin_hop:
            if 101 <= code <= 199:
                self._new_provisional(index, rchain, txn)
            elif 200 <= code <= 299:
                self._final_2xx(index, rchain, txn)
        provisional = self.state.by_response.get(rchain.index)
        if (
            provisional is not None
            and provisional.delivered is None
            and message.receiver.text == provisional.uac
            and not message.lost  # drawn lost (-x): it never reached the UAC
        ):
            provisional.delivered = index
            self.awaiting.setdefault((provisional.call, provisional.uac), []).append(provisional)

    def _new_provisional(self, index: int, rchain: ResponseChain, txn: Transaction | None) -> None:
        model = self.model
        invite = rchain.request_chain
        if txn is None or invite is None or txn.method != "INVITE":
            return
        resolved = model.resolved[index]
        if not has_option_tag(resolved.header("Require"), "100rel"):
            return
        rseq_text = resolved.header("RSeq")
        if rseq_text is None:
            return
        if not (model.is_ua(rchain.origin) and model.is_ua(invite.origin)):
            return  # a proxy acting for itself: only SIP1xx applies (§11)
        cseq = parse_cseq_number(resolved.header("CSeq"))
        if cseq is None:
            cseq = parse_cseq_number(model.resolved[invite.first].header("CSeq"))
        provisional = Provisional(
            rchain, index, rchain.origin, invite.origin, invite.call, invite, txn, rchain.code,
            parse_rseq(rseq_text), cseq, sdp_role(resolved.sdp),
        )  # fmt: skip
        unacked = self.unacked.setdefault(txn, {})
        previous = self.last.get(txn)
        if (
            previous is not None
            and previous in unacked
            and model.messages[previous.index].lost
            and previous.rseq is not None
            and previous.rseq == provisional.rseq
        ):
            # the drawn retransmission of a lost reliable provisional (RFC 3262 §3: the UAS
            # re-sends it until the PRACK): the same provisional, not a second one
            del unacked[previous]
            self.state.provisionals.remove(previous)
            previous = self.last[txn] = None
        problems: list[str] = []
        if unacked:
            first = next(iter(unacked))
            problems.append(
                f"{first.describe(model)} has not been PRACKed yet "
                "(one unacknowledged reliable provisional at a time)"
            )
        if previous is not None and previous.rseq is not None and provisional.rseq is not None:
            expected = previous.rseq + 1
            if provisional.rseq != expected:
                problems.append(
                    f"RSeq {provisional.rseq} does not follow the previous RSeq "
                    f"{previous.rseq} (expected {expected})"
                )
        if problems:
            self.state.sip304.append(
                (index, "; ".join(problems) + f", in {describe_transaction(txn)}")
            )
        unacked[provisional] = None
        self.last[txn] = provisional
        self.state.provisionals.append(provisional)
        self.state.by_response[rchain.index] = provisional

    def _final_2xx(self, index: int, rchain: ResponseChain, txn: Transaction | None) -> None:
        if txn is None or txn.method != "INVITE" or not self.model.is_ua(rchain.origin):
            return
        for provisional in self.unacked.get(txn, {}):
            if provisional.sdp != "none":
                self.state.sip305.append(
                    (
                        index,
                        f"{provisional.describe(self.model)} carried sdp={provisional.sdp} "
                        f"and {provisional.uas} has received no PRACK for it, in "
                        f"{describe_transaction(txn)}",
                    )
                )
                return

    # ------------------------------------------------------------------ PRACKs
    def _prack(self, index: int, chain: Chain) -> None:
        model = self.model
        if chain.first != index:
            provisional = self.state.prack_target.get(chain.index)
            if (
                provisional is not None
                and provisional.prack_received is None
                and model.messages[index].receiver.text == provisional.uas
            ):
                self._received(provisional, index)
            return
        if not model.is_ua(chain.origin):
            return  # a proxy acting for itself (§11)
        uac = chain.origin
        candidates = self.awaiting.get((chain.call, uac), [])
        source = ""
        if model.is_ua(chain.destination):  # else absorbed at a proxy: any UAS will do
            candidates = [p for p in candidates if p.uas == chain.destination]
            source = f" from {chain.destination}"
        where = f"PRACK {uac}->{chain.destination} (Call-ID {chain.call})"
        if not candidates:
            self.state.sip301.append(
                (
                    index,
                    f"{where} acknowledges no reliable provisional response: "
                    f"none{source} reached {uac} and awaits a PRACK",
                )
            )
            return
        rack_text = model.resolved[index].header("RAck")
        if rack_text is not None:
            rack = parse_rack(rack_text)
            matching = [
                p
                for p in candidates
                if rack is not None
                and p.rseq == rack[0]
                and (p.cseq is None or p.cseq == rack[1])
                and rack[2] == "INVITE"
            ]
            if not matching:
                awaiting = ", ".join(p.describe(model) for p in candidates)
                self.state.sip301.append(
                    (
                        index,
                        f"{where}: RAck {rack_text!r} matches no reliable provisional "
                        f"awaiting a PRACK (awaiting: {awaiting})",
                    )
                )
                return
            candidates = matching
        provisional = candidates[0]
        provisional.prack = chain
        self.awaiting[(chain.call, uac)].remove(provisional)
        self.state.prack_target[chain.index] = provisional
        if model.messages[index].receiver.text == provisional.uas:
            self._received(provisional, index)

    def _received(self, provisional: Provisional, index: int) -> None:
        """A PRACK for the provisional reached its UAS."""
        provisional.prack_received = index
        self.unacked[provisional.txn].pop(provisional, None)


def build_reliable(model: SipModel) -> ReliableState:
    """The scenario's reliable provisionals and SIP3xx findings, in one pass."""
    return _Builder(model).run()
