"""Invite usages over time: per-UA dialog state, INVITE/ACK and CANCEL bookkeeping.

The SIP2xx (INVITE dialogs and ACK) and SIP8xx (CANCEL, BYE) rules share this part of
the model (sip-rules.md §1.6, §3, §9). It is built by :func:`build_dialog_states` in one
pass over the scenario's messages, on top of the core model's transactions and chains,
and read through ``ctx.sip(scenario).part(build_dialog_states)``.

What it answers, for other families too:

* **Dialogs of the invite usage** (RFC 3261 §12, RFC 5057), keyed like
  :attr:`callflow.sip.model.Dialog.key`: ``(Call-ID, {UA1, UA2})``. A response from UA
  ``R`` to an INVITE chain from UA ``U`` belongs to ``(call, {U, R})`` (so each branch of
  a fork has its own dialog, RFC 3261 §13.2.2.4); a request to the key of its chain's
  endpoints; a request absorbed at a proxy to the one invite dialog its origin has with
  that Call-ID, if there is exactly one.
* **Each UA's view** of that dialog (§1.6): ``none`` → ``early`` (a 101-199 to an
  INVITE, unless its ``To`` is written without ``tag=``) → ``confirmed`` (a 2xx to an
  INVITE) → ``terminated`` (BYE sent or received), updated when the UA sends or receives.
  A non-2xx final to an INVITE takes an ``early`` view back to ``none`` (RFC 3261
  §13.2.2.3: the early dialog ends), so a retried initial INVITE with the same Call-ID
  (after a 407 or 422) is a new attempt, not a re-INVITE. :meth:`state_before` is the
  sender's view just before a message.
* **Transaction timeline**: the first provisional and the first final response of each
  transaction (the core's :class:`Transaction` objects end in their last state; rules
  need the state *at* a message), the ACKs matched to each INVITE transaction, and each
  CANCEL's target (the newest INVITE transaction on its hop and Call-ID, §1.4).
* **Invite usage bookkeeping**: every 2xx that reached the UAC of its INVITE and the ACK
  that answers it (SIP201), the kind of each ACK (SIP203/SIP205/SIP804), the INVITE
  transactions in progress at a UA when it starts another INVITE (SIP204), and a 2xx a
  UA sent that is not yet ACKed when it sends BYE (SIP205).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from callflow.sip.model import Chain, SipModel
from callflow.sip.resolve import Transaction

DialogState = Literal["none", "early", "confirmed", "terminated"]
DialogKey = tuple[str, frozenset[str]]
#: "2xx": end-to-end ACK of a 2xx (or an ACK on a hop with no INVITE transaction);
#: "non-2xx": hop-by-hop ACK of a 300-699; "premature": the INVITE on its hop has no
#: final response yet
AckKind = Literal["2xx", "non-2xx", "premature"]
OverlapSide = Literal["client", "server", "server-ack"]

_RANK: dict[DialogState, int] = {"none": 0, "early": 1, "confirmed": 2, "terminated": 3}


@dataclass(eq=False, slots=True)
class InviteDialog:
    """The invite usage of a dialog: created by the first 101-199 (with a To tag) or 2xx
    that UA ``uas`` sends to an INVITE chain from UA ``uac``."""

    key: DialogKey
    call: str
    uac: str  # origin of the INVITE whose response created it (the caller)
    uas: str  # the UA that answered (the callee)
    created: int  # index of the creating response


@dataclass(eq=False, slots=True)
class Received2xx:
    """A 2xx to an INVITE chain that reached the chain's origin (the UAC), SIP201."""

    response: int  # index of the 2xx hop that reached the UAC
    invite: Chain
    uac: str
    responder: str  # who made the 2xx (the response chain's origin)
    call: str
    #: the UAC's view of the dialog just before the 2xx arrived
    view_before: DialogState
    ack: int | None = None  # first hop of the ACK chain that answers it
    #: the UAC's next INVITE to the same peer, sent before any ACK (the 2xx is then lost)
    superseded_by: int | None = None
    #: an ACK chain from the UAC that ended at a proxy while this 2xx waited
    absorbed_ack: int | None = None


@dataclass(frozen=True, slots=True)
class AckInfo:
    """What one ACK hop is (every hop of an ACK chain has one)."""

    kind: AckKind
    #: the INVITE transaction on the ACK's own hop and Call-ID (None: none on this hop)
    invite: Transaction | None
    #: at the chain's first hop: the 2xx it acknowledges (None: none matched)
    answers: Received2xx | None = None
    #: at the chain's first hop: whether its origin has received a 2xx, from the chain's
    #: destination, to an INVITE it sent with this Call-ID (from anyone when the chain
    #: ends at a proxy; RFC 3261 §13.2.2.4: the UAC core ACKs the 2xx it got)
    origin_has_2xx: bool = False


@dataclass(eq=False, slots=True)
class Overlap:
    """A UA starts an INVITE in a dialog while another INVITE of it is in progress there."""

    invite: int  # first hop of the new INVITE chain
    chain: Chain
    other: int  # index of the request of the INVITE transaction still in progress
    side: OverlapSide  # the UA is its client / its server / its server awaiting the ACK
    #: the new INVITE is answered 491 or 500 by its receiver UA (RFC 3261 §14.2)
    rejected_as_glare: bool = False


@dataclass(slots=True)
class _ServerInvite:
    """An INVITE server transaction at a UA, in progress until its final (and the ACK)."""

    txn: Transaction
    key: DialogKey
    awaiting_ack: bool = False


@dataclass(slots=True)
class _ClientInvite:
    chain: Chain
    txn: Transaction
    reaches: frozenset[str]  # every receiver of the chain (the peers it may reach)


@dataclass(eq=False)
class DialogStates:
    """The invite usages of one scenario over time. Build with :func:`build_dialog_states`."""

    model: SipModel
    dialogs: dict[DialogKey, InviteDialog] = field(default_factory=dict)
    received_2xx: list[Received2xx] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    _keys: dict[int, DialogKey] = field(default_factory=dict, repr=False)
    _before: dict[int, DialogState] = field(default_factory=dict, repr=False)
    _views: dict[tuple[DialogKey, str], DialogState] = field(default_factory=dict, repr=False)
    _terminated_by: dict[tuple[DialogKey, str], int] = field(default_factory=dict, repr=False)
    _first_provisional: dict[Transaction, int] = field(default_factory=dict, repr=False)
    _first_final: dict[Transaction, int] = field(default_factory=dict, repr=False)
    _acks_of: dict[Transaction, list[int]] = field(default_factory=dict, repr=False)
    _ack_info: dict[int, AckInfo] = field(default_factory=dict, repr=False)
    _cancel_target: dict[int, Transaction | None] = field(default_factory=dict, repr=False)
    _cancels_of: dict[Transaction, list[int]] = field(default_factory=dict, repr=False)
    _branches: dict[Transaction, list[Transaction]] = field(default_factory=dict, repr=False)
    _unacked_at_bye: dict[int, int] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ dialogs
    def dialog_of(self, index: int) -> DialogKey | None:
        """The invite dialog key a SIP message belongs to (None: not between two UAs, or
        a request absorbed at a proxy whose dialog is ambiguous). The key of a request
        between two UAs is given even when no such dialog exists yet (its state is then
        ``none``)."""
        return self._keys.get(index)

    def state_before(self, index: int) -> DialogState | None:
        """The sender's view of :meth:`dialog_of` just before the message (None: the
        message has no dialog key or its sender is not one of the key's two UAs)."""
        return self._before.get(index)

    def view(self, key: DialogKey, ua: str) -> DialogState:
        """A UA's view of an invite dialog at scenario end."""
        return self._views.get((key, ua), "none")

    def terminated_by(self, key: DialogKey, ua: str) -> int | None:
        """Index of the BYE (sent or received) that terminated ``ua``'s view, if any."""
        return self._terminated_by.get((key, ua))

    # ------------------------------------------------------------------ transactions
    def first_provisional(self, txn: Transaction) -> int | None:
        """Index of the first 1xx on a transaction (any hop's transaction)."""
        return self._first_provisional.get(txn)

    def first_final(self, txn: Transaction) -> int | None:
        """Index of the first final response on a transaction: where it completed."""
        return self._first_final.get(txn)

    def completed_before(self, txn: Transaction, index: int) -> bool:
        """Whether the transaction was ``completed`` when message ``index`` was sent."""
        final = self._first_final.get(txn)
        return final is not None and final < index

    def acks_of(self, txn: Transaction) -> list[int]:
        """ACK hops matched to an INVITE transaction (§1.4: same hop, newest INVITE)."""
        return self._acks_of.get(txn, [])

    def branches(self, txn: Transaction) -> list[Transaction]:
        """The INVITE transactions a proxy opened by forwarding the INVITE of ``txn``
        (its branches, §1.5; kept for INVITE only)."""
        return self._branches.get(txn, [])

    # ------------------------------------------------------------------ ACK and CANCEL
    def ack(self, index: int) -> AckInfo | None:
        """What an ACK hop is (None for any other message)."""
        return self._ack_info.get(index)

    def cancel_target(self, index: int) -> Transaction | None:
        """The INVITE transaction a CANCEL hop targets: the newest on its hop and Call-ID
        when the CANCEL was sent (None: none, or not a CANCEL)."""
        return self._cancel_target.get(index)

    def cancels_of(self, txn: Transaction) -> list[int]:
        """CANCEL hops that target an INVITE transaction, in order."""
        return self._cancels_of.get(txn, [])

    def unacked_2xx_at(self, index: int) -> int | None:
        """For a BYE originated by a UA: a 2xx that UA sent to an INVITE of the same
        dialog and whose ACK it had not received yet (index of that 2xx), else None."""
        return self._unacked_at_bye.get(index)


class _Builder:
    """The one pass behind :func:`build_dialog_states`."""

    def __init__(self, model: SipModel) -> None:
        self.model = model
        self.out = DialogStates(model)
        self.chain_keys: dict[int, DialogKey | None] = {}
        self.keys_by_call_ua: dict[tuple[str, str], list[DialogKey]] = {}
        self.keys_of_invite: dict[int, set[DialogKey]] = {}  # INVITE chain -> its dialogs
        self.newest_invite: dict[tuple[str, str, str], Transaction] = {}
        #: (UAC, Call-ID) -> 2xx that reached it and wait for its ACK, oldest first
        self.pending_2xx: dict[tuple[str, str], list[Received2xx]] = {}
        #: (UAC, Call-ID) and (UAC, Call-ID, responder) of every 2xx that reached a UAC
        self.got_2xx: set[tuple[str, ...]] = set()
        self.unacked_sent: dict[tuple[DialogKey, str], list[int]] = {}
        self.clients: dict[tuple[str, str], list[_ClientInvite]] = {}
        self.servers: dict[tuple[DialogKey, str], list[_ServerInvite]] = {}
        self.server_of: dict[Transaction, _ServerInvite] = {}
        self.glare_rejected: set[int] = set()
        self.ua_cache: dict[str, bool] = {}

    # ------------------------------------------------------------------ helpers
    def is_ua(self, name: str) -> bool:
        known = self.ua_cache.get(name)
        if known is None:
            known = self.ua_cache[name] = self.model.is_ua(name)
        return known

    def key(self, call: str, a: str, b: str) -> DialogKey | None:
        if a == b or not (self.is_ua(a) and self.is_ua(b)):
            return None
        return (call, frozenset((a, b)))

    def chain_key(self, chain: Chain) -> DialogKey | None:
        """Computed at the chain's first hop (so the absorbed fallback is time-correct)."""
        if chain.index in self.chain_keys:
            return self.chain_keys[chain.index]
        key: DialogKey | None = None
        if self.is_ua(chain.origin):
            if self.is_ua(chain.destination):
                key = self.key(chain.call, chain.origin, chain.destination)
            else:  # absorbed at a proxy: the origin's one invite dialog with this Call-ID
                known = self.keys_by_call_ua.get((chain.call, chain.origin), [])
                key = known[0] if len(known) == 1 else None
        self.chain_keys[chain.index] = key
        return key

    def get_view(self, key: DialogKey, ua: str) -> DialogState:
        return self.out._views.get((key, ua), "none")

    def advance(self, key: DialogKey, ua: str, state: DialogState) -> None:
        """Move a view forward only (a 1xx after the 2xx leaves it confirmed)."""
        if _RANK[state] > _RANK[self.get_view(key, ua)]:
            self.out._views[(key, ua)] = state

    def create_dialog(self, key: DialogKey, call: str, uac: str, uas: str, index: int) -> None:
        """Record the invite dialog; an earlier one whose early state ended with a
        failure (both views back to ``none``) is replaced: the new INVITE may come from
        the other side (a call back with the same logical Call-ID)."""
        known = self.out.dialogs.get(key)
        if known is not None:
            if any(self.get_view(key, ua) != "none" for ua in key[1]):
                return
        else:
            for ua in (uac, uas):
                self.keys_by_call_ua.setdefault((call, ua), []).append(key)
        self.out.dialogs[key] = InviteDialog(key, call, uac, uas, index)

    # ------------------------------------------------------------------ the pass
    def run(self) -> DialogStates:
        for info in self.model.infos:
            if info is None:
                continue
            if info.message.code is None:
                self.request(info.index)
            else:
                self.response(info.index)
        for overlap in self.out.overlaps:
            overlap.rejected_as_glare = overlap.chain.index in self.glare_rejected
        return self.out

    def request(self, index: int) -> None:
        info = self.model.infos[index]
        assert info is not None
        chain = info.chain
        assert chain is not None
        message = info.message
        sender, receiver = message.sender.text, message.receivers[0].text
        method = message.name
        txn = info.link.transaction
        call = info.link.call
        key = self.chain_key(chain)
        if key is not None:
            self.out._keys[index] = key
            if sender in key[1]:
                self.out._before[index] = self.get_view(key, sender)
        originated = index == chain.first and self.is_ua(chain.origin)

        if method == "ACK":
            self.ack(index, chain, sender, None if message.lost else receiver, txn, originated)
            return
        if method == "CANCEL":
            target = self.newest_invite.get((sender, receiver, call))
            self.out._cancel_target[index] = target
            if target is not None:
                self.out._cancels_of.setdefault(target, []).append(index)
            return
        if method == "INVITE" and txn is not None:
            if originated:
                self.invite_originated(index, chain, key, sender, txn)
            self.newest_invite[(sender, receiver, call)] = txn
            if txn.parent is not None:
                self.out._branches.setdefault(txn.parent, []).append(txn)
            server_key = self.key(call, chain.origin, receiver)
            if server_key is not None and not message.lost:
                server = _ServerInvite(txn, server_key)
                self.servers.setdefault((server_key, receiver), []).append(server)
                self.server_of[txn] = server
        elif method == "BYE" and key is not None:
            if originated:
                pending = self.unacked_sent.get((key, sender))
                if pending:
                    self.out._unacked_at_bye[index] = pending[0]
            for party in (sender, receiver) if not message.lost else (sender,):
                if party in key[1] and self.get_view(key, party) != "terminated":
                    self.out._views[(key, party)] = "terminated"
                    self.out._terminated_by[(key, party)] = index

    def invite_originated(
        self, index: int, chain: Chain, key: DialogKey | None, ua: str, txn: Transaction
    ) -> None:
        """A UA starts an INVITE chain: SIP201 (earlier 2xx left unacknowledged) and
        SIP204 (another INVITE of the dialog still in progress)."""
        reaches = frozenset(self.model.messages[h].receivers[0].text for h in chain.hops)
        waiting = self.pending_2xx.get((ua, chain.call))
        if waiting:
            for pending in waiting:
                if pending.responder in reaches:
                    pending.superseded_by = index
            waiting[:] = [p for p in waiting if p.superseded_by is None]
        clients = self.clients.setdefault((ua, chain.call), [])
        if key is not None and self.get_view(key, ua) in ("early", "confirmed"):
            peer = next(iter(key[1] - {ua}))
            overlap: Overlap | None = None
            for client in clients:
                if peer in client.reaches:
                    overlap = Overlap(index, chain, client.chain.first, "client")
                    break
            if overlap is None:
                for server in self.servers.get((key, ua), []):
                    side: OverlapSide = "server-ack" if server.awaiting_ack else "server"
                    overlap = Overlap(index, chain, server.txn.request, side)
                    break
            if overlap is not None:
                self.out.overlaps.append(overlap)
        clients.append(_ClientInvite(chain, txn, reaches))

    def ack(
        self,
        index: int,
        chain: Chain,
        sender: str,
        receiver: str | None,
        invite: Transaction | None,
        originated: bool,
    ) -> None:
        """Classify an ACK hop; at its first hop match it to a 2xx (SIP201); where it
        reaches a UA (``receiver``; None when lost), end that UA's wait for it."""
        kind: AckKind = "2xx"
        if invite is not None:
            self.out._acks_of.setdefault(invite, []).append(index)
            final = self.out._first_final.get(invite)
            if final is None:
                kind = "premature"
            elif (self.model.messages[final].code or 0) >= 300:
                kind = "non-2xx"
        answers: Received2xx | None = None
        has_2xx = False
        if originated and kind == "2xx":
            peer = chain.destination  # absorbed at a proxy: any 2xx with this Call-ID
            has_2xx = (
                (sender, chain.call, peer) if self.is_ua(peer) else (sender, chain.call)
            ) in self.got_2xx
            answers = self.match_ack(index, chain, sender)
        self.out._ack_info[index] = AckInfo(kind, invite, answers, has_2xx)
        if receiver is None or not self.is_ua(receiver):
            return
        if kind == "non-2xx" and invite is not None:
            server = self.server_of.get(invite)
            if server is not None and server.awaiting_ack:
                self.drop_server(server, receiver)
        elif kind == "2xx":
            server_key = self.key(chain.call, chain.origin, receiver)
            pending = self.unacked_sent.get((server_key, receiver)) if server_key else None
            if pending:
                pending.pop(0)

    def match_ack(self, index: int, chain: Chain, uac: str) -> Received2xx | None:
        """The oldest unanswered 2xx the ACK chain's destination made (SIP201)."""
        if self.model.messages[chain.hops[-1]].lost:
            return None  # it never reaches anyone
        waiting = self.pending_2xx.get((uac, chain.call), [])  # unanswered ones only
        for at, pending in enumerate(waiting):
            if pending.responder == chain.destination:
                pending.ack = index
                del waiting[at]
                return pending
        if waiting and not self.is_ua(chain.destination):
            first = waiting[0]
            if first.absorbed_ack is None:
                first.absorbed_ack = index
        return None

    def drop_server(self, server: _ServerInvite, ua: str) -> None:
        servers = self.servers.get((server.key, ua))
        if servers is not None and server in servers:
            servers.remove(server)
        self.server_of.pop(server.txn, None)

    def response(self, index: int) -> None:
        info = self.model.infos[index]
        assert info is not None
        txn = info.link.transaction
        rchain = info.response_chain
        message = info.message
        code = message.code or 0
        if txn is None or rchain is None:
            return
        first_final = False
        if code < 200:
            self.out._first_provisional.setdefault(txn, index)
        elif txn not in self.out._first_final:
            self.out._first_final[txn] = index
            first_final = True
        invite = rchain.request_chain
        if invite is None:
            return
        sender, receiver = message.sender.text, message.receivers[0].text
        if message.lost:
            receiver = ""  # it reaches nobody: only the sender's side changes
        responder, uac = rchain.origin, invite.origin
        key = self.key(invite.call, uac, responder) if self.is_ua(responder) else None
        if key is None:
            key = self.chain_key(invite)
        if key is not None:
            self.out._keys[index] = key
            if sender in key[1]:
                self.out._before[index] = self.get_view(key, sender)
        if invite.method != "INVITE" or not self.is_ua(uac):
            return
        uac_view = self.get_view(key, uac) if key is not None else "none"
        if key is not None and responder in key[1]:
            self.keys_of_invite.setdefault(invite.index, set()).add(key)
            self.update_views(index, key, code, sender, receiver, responder, invite)
        if code >= 300 and receiver == uac:  # the caller's early dialogs of this INVITE end
            for other in self.keys_of_invite.get(invite.index, ()):
                if self.get_view(other, uac) == "early":
                    self.out._views[(other, uac)] = "none"
        if 200 <= code < 300 and receiver == uac:
            received = Received2xx(index, invite, uac, responder, invite.call, uac_view)
            self.out.received_2xx.append(received)
            self.pending_2xx.setdefault((uac, invite.call), []).append(received)
            self.got_2xx.add((uac, invite.call))
            self.got_2xx.add((uac, invite.call, responder))
        if code >= 200 and receiver == uac:
            clients = self.clients.get((uac, invite.call))
            if clients:
                clients[:] = [c for c in clients if c.txn is not txn]
        if first_final and sender == txn.server:
            server = self.server_of.get(txn)
            if server is not None:
                if code >= 300:
                    server.awaiting_ack = True
                else:
                    self.drop_server(server, sender)
        if code in (491, 500) and responder == invite.destination and self.is_ua(responder):
            self.glare_rejected.add(invite.index)

    def update_views(
        self,
        index: int,
        key: DialogKey,
        code: int,
        sender: str,
        receiver: str,
        responder: str,
        invite: Chain,
    ) -> None:
        """§1.6 transitions for the two UAs of ``key`` that send or receive this hop."""
        parties = [p for p in (sender, receiver) if p in key[1]]
        if not parties:
            return
        if 101 <= code <= 199:
            to = self._header(index, "To")
            if to is not None and "tag=" not in to.lower():
                return  # no To tag: no early dialog (§1.6)
            self.create_dialog(key, invite.call, invite.origin, responder, index)
            for party in parties:
                self.advance(key, party, "early")
        elif 200 <= code <= 299:
            self.create_dialog(key, invite.call, invite.origin, responder, index)
            for party in parties:
                self.advance(key, party, "confirmed")
            if sender == responder:
                self.unacked_sent.setdefault((key, responder), []).append(index)
        elif code >= 300:
            for party in parties:
                if self.get_view(key, party) == "early":
                    self.out._views[(key, party)] = "none"

    def _header(self, index: int, name: str) -> str | None:
        """A header as the message effectively carries it (written or inherited)."""
        return self.model.resolved[index].header(name)


def build_dialog_states(model: SipModel) -> DialogStates:
    """Invite usages, per-UA dialog views, ACK/CANCEL bookkeeping: one pass (see module)."""
    return _Builder(model).run()


def describe_chain(chain: Chain) -> str:
    """``INVITE A->B (Call-ID c1)``: a request chain as findings name it."""
    return f"{chain.method} {chain.origin}->{chain.destination} (Call-ID {chain.call})"


def describe_transaction(txn: Transaction) -> str:
    """``INVITE transaction A->P (Call-ID c1)``: one hop's transaction."""
    return f"{txn.method} transaction {txn.client}->{txn.server} (Call-ID {txn.call})"


def line_of(model: SipModel, index: int) -> int:
    """The source line of message ``index`` (findings refer to other statements by it)."""
    return model.messages[index].loc.line
