"""Transactions and routing: the SIP1xx and SIP7xx part of the model (sip-rules.md §2, §8).

One pass over a scenario's SIP messages, on top of the core model's links and chains,
records what the transaction rules (SIP101-SIP104) and the proxy and routing rules
(SIP701-SIP704) report:

* per transaction (keyed by the index of its request): the final response that completed
  it, the responses sent on it (newest per code), the branches a proxy forwarded of it,
  the branches whose 2xx it relayed, and whether a CANCEL from upstream targets it;
* which entities lie upstream of which on every request chain, so that a response that
  matches nothing can be told apart from one that skips proxies (SIP702 vs SIP101);
* when each side of a dialog holds it (a 101-299 response to the creating request), and
  then, once per in-dialog chain, the first hop that leaves the dialog's route (SIP704).

Rules read the results through ``ctx.sip(scenario).part(build_routing)``: every
collection below is filled once and never rescanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from callflow import ir
from callflow.sip.model import Chain, Dialog, MessageInfo, SipModel
from callflow.sip.resolve import Transaction

#: methods sent only inside a dialog (RFC 3261 §12.2, §15; RFC 3262, 3311, 6086, 6665):
#: a chain of one that a proxy absorbed is still checked against its dialog's route
IN_DIALOG_METHODS = frozenset({"ACK", "BYE", "PRACK", "UPDATE", "INFO", "NOTIFY"})


def describe_transaction(txn: Transaction) -> str:
    """``INVITE transaction A->P (Call-ID c1)``: how diagnostics name a transaction."""
    return f"{txn.method} transaction {txn.client}->{txn.server} (Call-ID {txn.call})"


def describe_dialog(dialog: Dialog) -> str:
    """``dialog A-B (Call-ID c1)``: how diagnostics name a dialog."""
    return f"dialog {dialog.uac}-{dialog.uas} (Call-ID {dialog.call})"


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A response that answers no transaction on its reverse hop (SIP101 or SIP702)."""

    index: int
    #: SIP702: the newest request hop whose chain has the response's receiver upstream of
    #: its sender (the response skipped the proxies between them); None: SIP101
    bypassed_hop: int | None = None
    #: the entities that request passed, origin first, up to the response's sender
    bypassed_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LateResponse:
    """A response matched to a transaction that a final had completed (SIP102/SIP103)."""

    index: int
    transaction: Transaction
    completed_by: int  # index of the final response that completed it


@dataclass(frozen=True, slots=True)
class LocalResponse:
    """A response a forwarding proxy made up instead of relaying (SIP701)."""

    index: int
    transaction: Transaction  # r_in's transaction (the proxy is its server)
    branch: int  # index of the first branch the proxy forwarded


@dataclass(frozen=True, slots=True)
class SwallowedResponse:
    """A response a proxy received on a branch and did not pass upstream (SIP703)."""

    index: int  # the response the proxy received
    transaction: Transaction  # r_in's transaction, where the proxy should answer
    variant: Literal["a", "b", "c"]


@dataclass(frozen=True, slots=True)
class OffRoute:
    """The first hop of an in-dialog request chain that leaves the dialog's route (SIP704)."""

    index: int  # the hop
    chain: Chain
    dialog: Dialog
    route: tuple[str, ...]  # the allowed entity sequence, origin to destination
    expected: str | None  # the entity the hop should have gone to


@dataclass(slots=True)
class RoutingState:
    """What SIP101-SIP104 and SIP701-SIP704 report for one scenario, in message order."""

    unmatched: list[Unmatched] = field(default_factory=list)
    multiple_final: list[LateResponse] = field(default_factory=list)
    provisional_after_final: list[LateResponse] = field(default_factory=list)
    no_final: list[Transaction] = field(default_factory=list)
    not_relayed: list[LocalResponse] = field(default_factory=list)
    not_forwarded: list[SwallowedResponse] = field(default_factory=list)
    off_route: list[OffRoute] = field(default_factory=list)


def _tagless_to(resolved: ir.ResolvedMessage) -> bool:
    """A ``To`` (written or relayed) without ``tag=``: the provisional creates no early
    dialog (sip-rules.md §1.6)."""
    to = resolved.header("To")
    return to is not None and "tag=" not in to.lower()


class _Builder:
    """The single pass; every table is keyed by transaction (request index), hop or dialog."""

    def __init__(self, model: SipModel) -> None:
        self.model = model
        self.state = RoutingState()
        #: transaction (request index) -> index of the final that completed it
        self.first_final: dict[int, int] = {}
        #: transaction -> status code -> index of the newest response sent on it
        self.sent: dict[int, dict[int, int]] = {}
        #: transaction of r_in -> the branch transactions a proxy forwarded of it
        self.branches: dict[int, list[Transaction]] = {}
        #: r_in's transaction -> branch transactions whose 2xx the proxy relayed on it
        self.relayed_2xx: dict[int, set[int]] = {}
        #: INVITE transaction -> index of the first CANCEL from its client that targets it
        self.cancelled: dict[int, int] = {}
        #: (client, server, call) -> the newest INVITE transaction on that hop
        self.newest_invite: dict[tuple[str, str, str], Transaction] = {}
        #: request hop -> the entities upstream of its receiver, origin first
        self.upstream: dict[int, tuple[str, ...]] = {}
        #: (upstream X, downstream Y) -> (call, method) -> newest hop into Y with X upstream
        self.reach: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
        #: dialog -> index at which its UAC / UAS holds it (a 101-299 to the creating request)
        self.uac_holds: dict[int, int] = {}
        self.uas_holds: dict[int, int] = {}
        #: (Call-ID, UA) -> the dialogs the UA is in (for chains absorbed at a proxy)
        self.dialogs_of: dict[tuple[str, str], list[Dialog]] = {}
        for dialog in model.dialogs.values():
            for party in (dialog.uac, dialog.uas):
                self.dialogs_of.setdefault((dialog.call, party), []).append(dialog)
        #: (received response index, r_in's transaction, code, variant) checked at the end
        self.must_pass: list[tuple[int, Transaction, int, Literal["a", "b"]]] = []

    # ------------------------------------------------------------------ the pass
    def run(self) -> RoutingState:
        for info in self.model.infos:
            if info is None:
                continue
            if info.message.code is None:
                self.request(info)
            else:
                self.response(info)
        self.finish()
        return self.state

    def request(self, info: MessageInfo) -> None:
        index, message, link, chain = info.index, info.message, info.link, info.chain
        txn = link.transaction
        if chain is not None and chain.first == index:
            self.check_route(index, chain)
        if message.name == "ACK" or txn is None:
            return
        sender, receiver = message.sender.text, message.receivers[0].text
        # branch bookkeeping (SIP701, SIP703)
        if txn.parent is not None:
            self.branches.setdefault(txn.parent.request, []).append(txn)
        # what lies upstream of whom (SIP702)
        above = self.upstream.get(link.forwards, ()) if link.forwards is not None else ()
        here = (*above, sender)
        self.upstream[index] = here
        for entity in here[:-1]:
            self.reach.setdefault((entity, receiver), {})[(txn.call, txn.method)] = index
        # CANCEL targets (SIP703 (a) exception)
        if message.name == "INVITE":
            self.newest_invite[(sender, receiver, txn.call)] = txn
        elif message.name == "CANCEL":
            target = self.newest_invite.get((sender, receiver, txn.call))
            if target is not None:
                self.cancelled.setdefault(target.request, index)

    def response(self, info: MessageInfo) -> None:
        index, message, link = info.index, info.message, info.link
        txn = link.transaction
        code = message.code or 0
        if txn is None:
            self.unmatched(index, message)
            return
        key = txn.request
        completed_by = self.first_final.get(key)
        model = self.model
        sender = message.sender.text
        relayed_from: Transaction | None = None
        if link.relays is not None:
            relayed_from = model.transaction(link.relays)
        # SIP102 / SIP103: a response on a completed transaction
        if completed_by is not None:
            late = LateResponse(index, txn, completed_by)
            if code < 200:
                self.state.provisional_after_final.append(late)
            elif not self.forked_2xx(txn, code, sender, relayed_from):
                self.state.multiple_final.append(late)
        # SIP701: a forwarding proxy makes up a response only the UAS may make
        if (
            relayed_from is None
            and model.is_proxy(sender)
            and key in self.branches
            and txn.method != "CANCEL"
            and 101 <= code <= 299
            and code not in (181, 182)
        ):
            self.state.not_relayed.append(LocalResponse(index, txn, self.branches[key][0].request))
        if 200 <= code <= 299 and txn.method == "INVITE" and relayed_from is not None:
            self.relayed_2xx.setdefault(key, set()).add(relayed_from.request)
        # SIP703 (a)/(b): responses a proxy must pass upstream
        parent = txn.parent
        if parent is not None and not message.lost and txn.method == "INVITE":
            if 200 <= code <= 299:
                self.must_pass.append((index, parent, code, "b"))
            elif 101 <= code <= 199:
                parent_done = parent.request in self.first_final
                cancel = self.cancelled.get(parent.request)
                if not parent_done and cancel is None:
                    self.must_pass.append((index, parent, code, "a"))
        # SIP704: the dialog is held from a 101-299 response to its creating request
        self.dialog_held(index, message, txn, code)
        # bookkeeping last: the checks above see the state before this response
        self.sent.setdefault(key, {})[code] = index
        if code >= 200 and completed_by is None:
            self.first_final[key] = index

    def forked_2xx(
        self, txn: Transaction, code: int, sender: str, relayed_from: Transaction | None
    ) -> bool:
        """SIP102's exception (RFC 3261 §16.7 step 5): a proxy relays every 2xx to INVITE,
        also after a final, as long as no 2xx of the same branch was relayed before."""
        return (
            200 <= code <= 299
            and txn.method == "INVITE"
            and relayed_from is not None
            and self.model.is_proxy(sender)
            and relayed_from.request not in self.relayed_2xx.get(txn.request, ())
        )

    def unmatched(self, index: int, message: ir.Message) -> None:
        """SIP101, or SIP702 when a request chain ran from the receiver to the sender."""
        sender, receiver = message.sender.text, message.receivers[0].text
        call = message.header("Call-ID")
        method = message.param("for")
        best: int | None = None
        for (c, m), hop in self.reach.get((receiver, sender), {}).items():
            if (call is None or c == call) and (method is None or m == method):
                best = hop if best is None else max(best, hop)
        if best is None:
            self.state.unmatched.append(Unmatched(index))
        else:
            self.state.unmatched.append(Unmatched(index, best, self.upstream[best]))

    def dialog_held(self, index: int, message: ir.Message, txn: Transaction, code: int) -> None:
        if not 101 <= code <= 299 or (code < 200 and _tagless_to(self.model.resolved[index])):
            return
        info = self.model.infos[txn.request]
        chain = info.chain if info is not None else None
        if chain is None or not chain.creates_dialog or chain.dialog is None:
            return
        dialog = chain.dialog
        key = id(dialog)
        if message.sender.text == dialog.uas and txn.server == dialog.uas:
            self.uas_holds.setdefault(key, index)
        if message.receivers[0].text == dialog.uac and txn.request == chain.first:
            self.uac_holds.setdefault(key, index)

    # ------------------------------------------------------------------ SIP704
    def route_of(self, dialog: Dialog, origin: str, index: int) -> tuple[str, ...] | None:
        """The route ``origin`` must take in ``dialog`` at ``index``; None while ``origin``
        does not hold the dialog (no route set yet) or is not one of its UAs."""
        if dialog.uac == dialog.uas:
            return None
        if origin == dialog.uac:
            held = self.uac_holds.get(id(dialog))
            route = (dialog.uac, *dialog.route_set, dialog.uas)
        elif origin == dialog.uas:
            held = self.uas_holds.get(id(dialog))
            route = (dialog.uas, *reversed(dialog.route_set), dialog.uac)
        else:
            return None
        return route if held is not None and held < index else None

    def absorbed_in(self, index: int, chain: Chain) -> tuple[Dialog, tuple[str, ...]] | None:
        """The one dialog of a chain that a proxy absorbed, when its method exists only
        inside a dialog and its origin holds exactly one dialog with its Call-ID."""
        model = self.model
        if chain.method not in IN_DIALOG_METHODS or not model.is_proxy(chain.destination):
            return None
        found = [
            (dialog, route)
            for dialog in self.dialogs_of.get((chain.call, chain.origin), ())
            if (route := self.route_of(dialog, chain.origin, index)) is not None
        ]
        return found[0] if len(found) == 1 else None

    def check_route(self, index: int, chain: Chain) -> None:
        """Walk an in-dialog chain once, at its first hop, against the dialog's route."""
        if chain.creates_dialog or chain.method == "CANCEL":
            return  # RFC 3261 §9.1: a CANCEL follows the INVITE it cancels, not the route set
        if chain.method == "ACK" and self.acks_failure(index):
            return  # RFC 3261 §17.1.1.3: a non-2xx ACK is hop by hop, part of the transaction
        dialog = chain.dialog
        if dialog is not None:
            route = self.route_of(dialog, chain.origin, index)
        else:
            absorbed = self.absorbed_in(index, chain)
            if absorbed is None:
                return
            dialog, route = absorbed
        if route is None:
            return
        infos = self.model.infos
        messages = self.model.messages
        position: dict[int, int] = {}
        for hop in chain.hops:
            if hop == chain.first:
                at = 0
            else:
                forwards = infos[hop].link.forwards  # type: ignore[union-attr]
                if forwards is None or forwards not in position:
                    continue
                at = position[forwards]
            receiver = messages[hop].receivers[0].text
            expected = route[at + 1] if at + 1 < len(route) else None
            if receiver != expected:
                self.state.off_route.append(OffRoute(hop, chain, dialog, route, expected))
                return
            position[hop] = at + 1

    def acks_failure(self, index: int) -> bool:
        """Whether an ACK acknowledges a non-2xx final (the INVITE's first final >= 300)."""
        txn = self.model.transaction(index)
        if txn is None:
            return False
        final = self.first_final.get(txn.request)
        return final is not None and (self.model.messages[final].code or 0) >= 300

    # ------------------------------------------------------------------ scenario end
    def finish(self) -> None:
        model = self.model
        state = self.state
        # SIP104: every transaction (not ACK, not a lost request) ends with a final
        for info in model.infos:
            if info is None or info.message.code is not None or info.message.name == "ACK":
                continue
            txn = info.link.transaction
            if txn is not None and txn.request not in self.first_final and not info.message.lost:
                state.no_final.append(txn)
        # SIP703 (a)/(b): the same code passed upstream after it was received
        reported: set[int] = set()
        swallowed: list[SwallowedResponse] = []
        for index, parent, code, variant in self.must_pass:
            if self.sent.get(parent.request, {}).get(code, -1) < index:
                swallowed.append(SwallowedResponse(index, parent, variant))
                reported.add(index)
        # SIP703 (c): the last final of all branches, and r_in never gets a final
        for parent_key, branches in self.branches.items():
            if parent_key in self.first_final:
                continue
            finals = [self.first_final.get(b.request) for b in branches]
            if any(f is None for f in finals):
                continue  # a branch is still pending: SIP104's business
            last = max(f for f in finals if f is not None)
            if last in reported or model.messages[last].lost:
                continue
            parent = branches[0].parent
            assert parent is not None
            swallowed.append(SwallowedResponse(last, parent, "c"))
        swallowed.sort(key=lambda s: s.index)
        state.not_forwarded.extend(swallowed)


def build_routing(model: SipModel) -> RoutingState:
    """The SIP1xx/SIP7xx part of a scenario's model, in one pass over its messages."""
    return _Builder(model).run()
