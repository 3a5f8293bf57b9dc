"""Hops, transactions and forwarding links (sip-rules.md §1.4-1.5), and call resolution.

One pass over a scenario's messages answers, for every SIP message: which logical call
(``Call-ID``) it belongs to, which transaction it opens or answers, which request a proxy
forwards and which response it relays, and so which headers, ``sdp`` and ``body`` it
effectively carries (fdl.md §4). The checker, renderer and executor all read this answer.

State is keyed by hop, proxy and method: each message costs a dictionary lookup and a
short scan over the *open* transactions of its hop, never a scan back over the flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from callflow import ir

MAIN_CALL = "main"

TransactionState = Literal["calling", "proceeding", "completed"]


@dataclass(eq=False, slots=True)
class Transaction:
    """One request on one hop: the client is its sender, the server its receiver."""

    call: str
    client: str
    server: str
    method: str
    request: int  # index of the request in the scenario's message list
    state: TransactionState = "calling"
    #: the transaction of the request a proxy forwarded to open this one (a branch)
    parent: Transaction | None = None
    #: responses received on this transaction's branches, newest per code (for relaying)
    branch_responses: dict[int, int] = field(default_factory=dict)
    responses: list[int] = field(default_factory=list)
    linked: bool = False  # an ACK r_in already forwarded (ACKs are not forked)


@dataclass(frozen=True, slots=True)
class SipLink:
    """What one pass learnt about one SIP message (index = position in the messages)."""

    call: str
    #: requests: the transaction it opened (ACK: the INVITE transaction it acknowledges)
    #: responses: the transaction it answers (None: no matching request, SIP101)
    transaction: Transaction | None
    #: requests sent by a proxy: index of the request it forwards (a branch of it)
    forwards: int | None = None
    #: responses sent by a proxy: index of the response it relays
    relays: int | None = None
    #: a request sent by a proxy that forwards nothing (CANCEL, hop-by-hop ACK, own requests)
    proxy_originated: bool = False


def _newest_with_call(items: dict[int, Transaction], call: str | None) -> Transaction | None:
    """The newest item with the call (any call when None).

    ``items`` holds only live entries (requests a proxy may still forward, ACKs it has not
    forwarded yet), in arrival order: dead ones are deleted when they die, so a scan
    only passes over other calls' live entries, never over the flow's history.
    """
    for key in reversed(items):
        item = items[key]
        if call is None or item.call == call:
            return item
    return None


class _Linker:
    def __init__(self, proxies: frozenset[str]) -> None:
        self.proxies = proxies
        #: (client, server) -> transactions not yet completed, by request index, oldest first
        self.open_by_hop: dict[tuple[str, str], dict[int, Transaction]] = {}
        #: (client, server) -> every transaction, newest last (for completed fallbacks)
        self.all_by_hop: dict[tuple[str, str], list[Transaction]] = {}
        #: (proxy, method) -> requests the proxy received and has not answered finally,
        #: by message index in arrival order
        self.received: dict[tuple[str, str], dict[int, Transaction]] = {}
        #: proxy -> ACKs it received and has not forwarded yet, by message index
        self.acks_received: dict[str, dict[int, Transaction]] = {}
        self.links: list[SipLink | None] = []
        #: (client, server, call or None) -> the newest INVITE transaction on that hop
        self.invites: dict[tuple[str, str, str | None], Transaction] = {}

    # -------------------------------------------------------------- requests
    def request(self, index: int, message: ir.Message) -> SipLink:
        sender, receiver = message.sender.text, message.receivers[0].text
        method = message.name
        written_call = message.header("Call-ID")
        forwards: Transaction | None = None
        if sender in self.proxies and method != "CANCEL":
            # CANCEL is hop by hop (RFC 3261 §16.10): a proxy makes its own, never a branch
            forwards = self._find_forwarded(sender, method, written_call)
        if written_call is not None:
            call = written_call
        elif forwards is not None:
            call = forwards.call
        elif sender in self.proxies and method in ("CANCEL", "ACK"):
            invite = self._newest_invite(sender, receiver, None)
            call = invite.call if invite is not None else MAIN_CALL
        else:
            call = MAIN_CALL
        proxy_originated = sender in self.proxies and forwards is None
        if method == "ACK":
            acked = self._newest_invite(sender, receiver, call)
            marker = Transaction(call, sender, receiver, "ACK", index)
            if forwards is not None:
                forwards.linked = True
                del self.acks_received[sender][forwards.request]  # ACKs are not forked
            if receiver in self.proxies:
                self.acks_received.setdefault(receiver, {})[index] = marker
            return SipLink(
                call,
                acked,
                forwards=forwards.request if forwards else None,
                proxy_originated=proxy_originated,
            )
        txn = Transaction(call, sender, receiver, method, index, parent=forwards)
        self.open_by_hop.setdefault((sender, receiver), {})[index] = txn
        if method == "INVITE":
            self.invites[(sender, receiver, call)] = txn
            self.invites[(sender, receiver, None)] = txn
        self.all_by_hop.setdefault((sender, receiver), []).append(txn)
        if receiver in self.proxies:
            self.received.setdefault((receiver, method), {})[index] = txn
        return SipLink(
            call,
            txn,
            forwards=forwards.request if forwards else None,
            proxy_originated=proxy_originated,
        )

    def _find_forwarded(self, proxy: str, method: str, call: str | None) -> Transaction | None:
        """The newest request of this method the proxy received and may still forward."""
        if method == "ACK":
            acks = self.acks_received.get(proxy)
            return _newest_with_call(acks, call) if acks else None
        pending = self.received.get((proxy, method))
        return _newest_with_call(pending, call) if pending else None

    def _newest_invite(self, client: str, server: str, call: str | None) -> Transaction | None:
        """The newest INVITE transaction on a hop (of a call, or of any call)."""
        return self.invites.get((client, server, call))

    # -------------------------------------------------------------- responses
    def response(self, index: int, message: ir.Message) -> SipLink:
        sender, receiver = message.sender.text, message.receivers[0].text
        code = message.code or 0
        written_call = message.header("Call-ID")
        for_method = message.param("for")
        txn = self._match(receiver, sender, written_call, for_method)
        call = written_call or (txn.call if txn is not None else MAIN_CALL)
        relays: int | None = None
        if txn is not None:
            if sender in self.proxies:
                relays = txn.branch_responses.get(code)
            if txn.parent is not None and receiver == txn.client:
                txn.parent.branch_responses[code] = index
            txn.responses.append(index)
            if code >= 200:
                if txn.state != "completed":  # a completed request is never forwarded
                    pending = self.received.get((txn.server, txn.method))
                    if pending is not None:
                        pending.pop(txn.request, None)
                txn.state = "completed"
                self.open_by_hop[(txn.client, txn.server)].pop(txn.request, None)
            elif txn.state == "calling":
                txn.state = "proceeding"
        return SipLink(call, txn, relays=relays)

    def _match(
        self, client: str, server: str, call: str | None, method: str | None
    ) -> Transaction | None:
        """sip-rules.md §1.4: newest open transaction on the reverse hop, else newest
        completed one (a duplicate final or a late provisional), else none."""

        def fits(txn: Transaction) -> bool:
            return (call is None or txn.call == call) and (method is None or txn.method == method)

        for txn in reversed(self.open_by_hop.get((client, server), {}).values()):
            if fits(txn):
                return txn
        for txn in reversed(self.all_by_hop.get((client, server), ())):
            if fits(txn):
                return txn
        return None


@dataclass(frozen=True, slots=True)
class LinkedScenario:
    """The SIP links of one scenario's messages (None for non-SIP messages)."""

    links: tuple[SipLink | None, ...]


def proxies_of(entities: Mapping[str, ir.Entity]) -> frozenset[str]:
    return frozenset(name for name, e in entities.items() if e.role == "proxy")


def link_messages(
    messages: Sequence[ir.Message], entities: Mapping[str, ir.Entity]
) -> LinkedScenario:
    """One pass: transactions, forwarding and relaying for every SIP message."""
    linker = _Linker(proxies_of(entities))
    links: list[SipLink | None] = []
    for index, message in enumerate(messages):
        if not message.is_sip or message.is_multicast:
            links.append(None)
        elif message.code is None:
            links.append(linker.request(index, message))
        else:
            links.append(linker.response(index, message))
    return LinkedScenario(tuple(links))


def _merge_headers(
    own: tuple[ir.Header, ...], inherited: tuple[ir.Header, ...]
) -> tuple[ir.Header, ...]:
    """Own headers first; inherited ones only where the message writes no header of that
    name (fdl.md §4: what a proxy passes on, it passes unchanged unless it writes its own)."""
    if not inherited:
        return own
    written = {h.key for h in own}
    return own + tuple(h for h in inherited if h.key not in written)


def resolve_messages(
    messages: Sequence[ir.Message], entities: Mapping[str, ir.Entity]
) -> tuple[ir.ResolvedMessage, ...]:
    """Each message's call, effective headers, ``sdp`` and ``body`` (fdl.md §4)."""
    linked = link_messages(messages, entities)
    resolved: list[ir.ResolvedMessage] = []
    for index, (message, link) in enumerate(zip(messages, linked.links, strict=True)):
        own = message.headers
        sdp = message.sdp
        body = message.param("body")
        if link is None:
            resolved.append(ir.ResolvedMessage(index + 1, None, own, sdp, body))
            continue
        source = link.forwards if link.forwards is not None else link.relays
        headers = own
        if source is not None:
            parent = resolved[source]
            headers = _merge_headers(own, parent.headers)
            if sdp is None:
                sdp = parent.sdp
            if body is None:
                body = parent.body
        answers = None
        if message.code is not None and link.transaction is not None:
            answers = link.transaction.request + 1
        resolved.append(
            ir.ResolvedMessage(
                number=index + 1,
                call=link.call,
                headers=headers,
                sdp=sdp,
                body=body,
                answers=answers,
                inherits_from=source + 1 if source is not None else None,
            )
        )
    return tuple(resolved)
