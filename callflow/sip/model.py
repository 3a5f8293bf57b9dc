"""The SIP model the checker's rules share (sip-rules.md §1), built once per scenario.

The core (this module) adds to the forwarding links of :mod:`callflow.sip.resolve`:

* **request chains** (§1.5): a request, the branches proxies forward of it, and so on;
  each chain has an origin (its first sender) and a destination (its last receiver);
* **response chains**: a response and the relays of it, back towards the origin;
* **dialogs** (§1.6): keyed by (Call-ID, {UA1, UA2}) from the endpoints of the chain of a
  dialog-creating request; which chains belong to which dialog; each dialog's *path*
  (the creating chain's entities, UAC to UAS) and *route set* (the proxies on the path
  that record-route; fixed when the dialog is created).

Every part is computed in one linear pass. Families of rules add their own parts
(per-UA dialog states, offer/answer, reliable provisionals, subscriptions) as modules
next to this one, each computed once per scenario on first use through
:meth:`SipModel.part` and shared by every rule that asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from callflow import ir
from callflow.sip.registry import DIALOG_CREATING_METHODS
from callflow.sip.resolve import SipLink, Transaction, link_messages

T = TypeVar("T")

#: roles that act as user agents (sip-rules.md §1.3: "a UA is any role except proxy,
#: mgc, mg"; no role and `other` are treated as `ue`)
NON_UA_ROLES = frozenset({"proxy", "mgc", "mg"})


@dataclass(eq=False, slots=True)
class Chain:
    """A request and every branch forwarded from it, origin to destination."""

    index: int  # position in SipModel.chains
    method: str
    call: str
    hops: list[int]  # message indices, in order; hops[0] is the origin's request
    origin: str
    destination: str
    #: the chain's entity path: origin, the proxies it passed, destination (a fork's
    #: branches share a prefix; the path follows the last branch)
    path: list[str] = field(default_factory=list)
    dialog: Dialog | None = None
    creates_dialog: bool = False

    @property
    def first(self) -> int:
        return self.hops[0]


@dataclass(eq=False, slots=True)
class ResponseChain:
    """A response and its relays: who made it (``origin``) and every hop it took."""

    index: int
    code: int
    hops: list[int]
    origin: str  # the entity that made the response (a UAS, or a proxy locally)
    request_chain: Chain | None  # the chain of the request it answers (None: unmatched)

    @property
    def first(self) -> int:
        return self.hops[0]

    @property
    def last(self) -> int:
        return self.hops[-1]


@dataclass(eq=False, slots=True)
class Dialog:
    """A dialog (§1.6) and its route (§1.6 and SIP704)."""

    call: str
    uac: str
    uas: str
    creating: Chain
    path: tuple[str, ...]  # UAC, proxies of the creating chain, UAS
    route_set: tuple[str, ...]  # path proxies with record_route=yes, UAC to UAS
    chains: list[Chain] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, frozenset[str]]:
        return (self.call, frozenset((self.uac, self.uas)))


@dataclass(slots=True)
class MessageInfo:
    """What the model knows about one SIP message of the scenario."""

    index: int
    message: ir.Message
    link: SipLink
    chain: Chain | None = None  # requests
    response_chain: ResponseChain | None = None  # responses


class SipModel:
    """The shared SIP view of one scenario. Build with :func:`build_model`."""

    def __init__(
        self,
        scenario: ir.Scenario,
        entities: Mapping[str, ir.Entity],
        infos: list[MessageInfo | None],
        chains: list[Chain],
        response_chains: list[ResponseChain],
        dialogs: dict[tuple[str, frozenset[str]], Dialog],
    ) -> None:
        self.scenario = scenario
        self.messages: tuple[ir.Message, ...] = scenario.messages()
        self.resolved: tuple[ir.ResolvedMessage, ...] = scenario.resolved
        self.entities = entities
        self.infos = infos
        self.chains = chains
        self.response_chains = response_chains
        self.dialogs = dialogs
        self._parts: dict[Callable[[SipModel], Any], Any] = {}

    # ------------------------------------------------------------------ roles
    def role(self, name: str) -> str:
        entity = self.entities.get(name)
        role = entity.role if entity is not None else None
        return role or "ue"

    def is_proxy(self, name: str) -> bool:
        return self.role(name) == "proxy"

    def is_ua(self, name: str) -> bool:
        return self.role(name) not in NON_UA_ROLES

    def record_routes(self, name: str) -> bool:
        entity = self.entities.get(name)
        return entity.record_route if entity is not None else True

    # ------------------------------------------------------------------ messages
    def info(self, index: int) -> MessageInfo | None:
        return self.infos[index]

    def sip_infos(self) -> list[MessageInfo]:
        """Every SIP message's info, in scenario order."""
        return [i for i in self.infos if i is not None]

    def transaction(self, index: int) -> Transaction | None:
        info = self.infos[index]
        return info.link.transaction if info is not None else None

    def dialog_of(self, chain: Chain) -> Dialog | None:
        return chain.dialog

    # ------------------------------------------------------------------ parts
    def part(self, builder: Callable[[SipModel], T]) -> T:
        """A family's part of the model, built on first use (one pass) and shared."""
        if builder not in self._parts:
            self._parts[builder] = builder(self)
        return self._parts[builder]  # type: ignore[no-any-return]


def build_model(scenario: ir.Scenario, entities: Mapping[str, ir.Entity]) -> SipModel:
    """Chains, response chains and dialogs of a scenario, in one pass over its messages."""
    messages = scenario.messages()
    links = link_messages(messages, entities).links
    infos: list[MessageInfo | None] = []
    chains: list[Chain] = []
    response_chains: list[ResponseChain] = []
    dialogs: dict[tuple[str, frozenset[str]], Dialog] = {}
    proxies = {n for n, e in entities.items() if e.role == "proxy"}

    def is_ua(name: str) -> bool:
        entity = entities.get(name)
        return entity is None or (entity.role or "ue") not in NON_UA_ROLES

    for index, (message, link) in enumerate(zip(messages, links, strict=True)):
        if link is None:
            infos.append(None)
            continue
        info = MessageInfo(index, message, link)
        sender, receiver = message.sender.text, message.receivers[0].text
        if message.code is None:
            if link.forwards is not None and infos[link.forwards] is not None:
                chain = infos[link.forwards].chain  # type: ignore[union-attr]
                assert chain is not None
                chain.hops.append(index)
                chain.destination = receiver
                # a fork's later branch replaces the previous branch's tail in the path
                at = chain.path.index(sender) if sender in chain.path else len(chain.path) - 1
                del chain.path[at + 1 :]
                chain.path.append(receiver)
            else:
                chain = Chain(
                    len(chains), message.name, link.call, [index], sender, receiver,
                    [sender, receiver],
                )  # fmt: skip
                chains.append(chain)
            info.chain = chain
        else:
            txn = link.transaction
            request_chain = None
            if txn is not None and infos[txn.request] is not None:
                request_chain = infos[txn.request].chain  # type: ignore[union-attr]
            if link.relays is not None and infos[link.relays] is not None:
                rchain = infos[link.relays].response_chain  # type: ignore[union-attr]
                assert rchain is not None
                rchain.hops.append(index)
            else:
                rchain = ResponseChain(
                    len(response_chains), message.code, [index], sender, request_chain
                )
                response_chains.append(rchain)
            info.response_chain = rchain
        infos.append(info)

    # dialogs: from the chains of dialog-creating requests, in order of their first hop
    for chain in chains:
        if not (is_ua(chain.origin) and is_ua(chain.destination)):
            continue  # absorbed at a proxy, or not between user agents
        key = (chain.call, frozenset((chain.origin, chain.destination)))
        dialog = dialogs.get(key)
        if dialog is None and chain.method in DIALOG_CREATING_METHODS:
            path = tuple(chain.path)
            route = tuple(
                e for e in path[1:-1]
                if e in proxies and (entities[e].record_route if e in entities else True)
            )  # fmt: skip
            dialog = Dialog(chain.call, chain.origin, chain.destination, chain, path, route)
            dialogs[key] = dialog
            chain.creates_dialog = True
        if dialog is not None:
            chain.dialog = dialog
            dialog.chains.append(chain)
    return SipModel(scenario, entities, infos, chains, response_chains, dialogs)


def header_values(value: str | None) -> list[str]:
    """A list-valued header split on commas (``Require="100rel, timer"``), trimmed."""
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def has_option_tag(value: str | None, tag: str) -> bool:
    """Whether a list header (Require, Supported) names an option tag (case-insensitive)."""
    return any(v.lower() == tag.lower() for v in header_values(value))
