"""Execute one scenario: every entity a UDP endpoint on loopback, every message a datagram.

One asyncio event loop runs the whole scenario. Each entity that callflow plays has one
UDP socket per protocol it speaks (SIP 5060, H.248 2944, others 7060; see
:mod:`callflow.execute.addresses`) and one task that walks through its part of the flow:
its sends, what it must receive, and its local statements (actions, timers, media...).

* ``strict`` order (the default): a statement starts only when every earlier statement
  has happened (a message has happened when every receiver accepted it), so the wire
  order is the flow's and a run repeats.
* ``causal`` order: an entity sends as soon as it has received every message addressed to
  it that comes before the send; a message that overtakes an earlier one at its receiver
  is reported (RUN106), which shows an order the flow assumes but the network does not
  guarantee.

Every datagram that arrives is parsed and compared with the flow: what the receiver is
waiting for, from whom, and the headers the flow names. SIP runs over the RFC 3261
transaction layer (retransmissions, absorbed duplicates, 2xx retransmitted until the ACK,
reliable provisionals retransmitted until the PRACK, RFC 3262) so that ``--loss`` only
delays a run. Nothing here prints or exits: problems come back as
:class:`~callflow.diagnostics.Diagnostic` values with RUN1xx codes.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from callflow import ir
from callflow.diagnostics import Diagnostic, Severity
from callflow.execute import bodies, h248, sdp, sipwire
from callflow.execute.addresses import (
    GENERIC_PORT,
    H248_PORT,
    RTP_BASE_PORT,
    SIP_PORT,
    Address,
    AddressPlan,
    executable_architecture,
    plan_addresses,
    protocol_of,
)
from callflow.execute.sipwire import SipMessage
from callflow.execute.transactions import (
    ClientTransaction,
    H248Request,
    ResponseKey,
    Retransmitter,
    Sent,
    ServerTransaction,
    TimerValues,
)
from callflow.sip.model import NON_UA_ROLES, Chain, build_model
from callflow.sip.registry import REASON_PHRASES
from callflow.sip.reliable import Provisional, build_reliable, parse_rack, parse_rseq
from callflow.sip.resolve import MAIN_CALL, link_messages

if TYPE_CHECKING:
    from callflow.execute.media import MediaPlane, MediaResult

Order = Literal["strict", "causal"]

#: RUN codes (docs/run.md)
RUN_CODES: dict[str, str] = {
    "RUN101": "run.address-unavailable",
    "RUN102": "run.unexpected-message",
    "RUN103": "run.wrong-message",
    "RUN104": "run.content-mismatch",
    "RUN105": "run.garbled-datagram",
    "RUN106": "run.out-of-order",
    "RUN107": "run.timeout",
    "RUN108": "run.transaction-timeout",
    "RUN109": "run.cannot-execute",
    "RUN110": "run.send-failed",
    "RUN111": "run.provisional-lost",
    "RUN112": "run.voice-unreadable",
    "RUN113": "run.media-problem",
}

_DIALOG_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER"})
_CONTACT_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY", "UPDATE"})
_HOP_HEADERS = frozenset({"via", "max-forwards", "route", "record-route", "content-length"})
_NOT_WRITTEN = frozenset({"call-id", "request-uri", "content-length"})
SYNTHETIC_EPOCH = 1_700_000_000.0  # --deterministic: timestamps start here, 1 ms apart


@dataclass(frozen=True)
class RunOptions:
    """How to run (the ``callflow run`` options)."""

    order: Order = "strict"
    seed: int | None = None
    loss: float = 0.0
    time_scale: float = 1.0
    timeout: float = 60.0
    deterministic: bool = False
    external: Mapping[str, Address] = field(default_factory=dict)
    force: bool = False
    sip_port: int = SIP_PORT
    h248_port: int = H248_PORT
    generic_port: int = GENERIC_PORT
    rtp_port: int = RTP_BASE_PORT  # an entity's RTP port: this + 2 x its declaration index
    #: keep every datagram (pcap, executed diagram); off saves memory in benchmarks
    keep_datagrams: bool = True
    #: fault injection for tests: drop(message index, sender, attempt) -> True drops that
    #: datagram (on top of --loss)
    drop: Callable[[int, str, int], bool] | None = None
    #: media: RTP for ``media`` statements, the mixing step, WAV recordings (fdl.md 6)
    media: bool = True
    media_seconds: float = 2.0  # of audio after each statement that changes media
    realtime: bool = False  # pace RTP at ptime (default: as fast as the datagrams go)


@dataclass(slots=True)
class Datagram:
    """One datagram a run put on the wire (or dropped: ``dropped`` by ``--loss``,
    ``drawn_lost`` for a ``-x`` message)."""

    time: float  # seconds since the run started
    src: Address
    dst: Address
    payload: bytes
    message: int  # index of the flow message it carries (a copy of)
    sender: str
    receiver: str
    protocol: str
    attempt: int  # 0: first send of that message by that sender; >0: re-sent
    dropped: bool = False
    drawn_lost: bool = False
    media: float = 0.0  # the media clock when it was sent (seconds of audio played before)
    after: int = 0  # signalling datagrams sent before it (its place in a synthetic capture)

    @property
    def retransmission(self) -> bool:
        return self.attempt > 0


@dataclass(slots=True)
class EntityStats:
    """Per entity: flow messages sent and received, re-sent and dropped datagrams."""

    sent: int = 0
    received: int = 0
    retransmissions: int = 0
    dropped: int = 0
    duplicates: int = 0
    datagrams_out: int = 0
    datagrams_in: int = 0
    first: float | None = None
    last: float | None = None

    def touch(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    @property
    def active(self) -> float:
        return (self.last - self.first) if self.first is not None and self.last else 0.0


@dataclass(slots=True)
class TraceEvent:
    """What happened, in order: a datagram, or a statement executed without one."""

    time: float
    statement: int  # index into scenario.statements()
    datagram: Datagram | None = None


@dataclass
class ScenarioRun:
    """The outcome of running one scenario."""

    scenario: ir.Scenario
    ok: bool
    diagnostics: list[Diagnostic]
    duration: float
    seed: int
    order: Order
    loss: float
    time_scale: float
    messages: int  # messages the flow draws
    delivered: int  # drawn (not lost) messages every receiver accepted
    drawn_lost: int
    unrecovered: int  # unreliable provisionals --loss dropped for good, and their relays
    entities: dict[str, EntityStats]
    datagrams: list[Datagram]
    trace: list[TraceEvent]
    addresses: AddressPlan
    started_at: float  # wall-clock time of the start (epoch seconds)
    deterministic: bool = False
    media: MediaResult | None = None
    media_datagrams: list[Datagram] = field(default_factory=list)  # RTP

    @property
    def retransmissions(self) -> int:
        return sum(s.retransmissions for s in self.entities.values())

    @property
    def dropped(self) -> int:
        return sum(s.dropped for s in self.entities.values())

    def pcap_packets(self) -> list[tuple[float, Address, Address, bytes]]:
        """(timestamp, src, dst, payload) per datagram, as sent (drops included), RTP
        among them at its media-clock time. --deterministic: signalling datagrams 1 ms
        apart (10 us when there is media: signalling takes no media time, and RTP keeps its
        pace across it), media at its own pace in between."""
        out = []
        spacing = 0.00001 if self.media_datagrams else 0.001
        for d in (*self.datagrams, *self.media_datagrams):
            if self.deterministic:
                stamp = SYNTHETIC_EPOCH + d.after * spacing + d.media
            else:
                stamp = self.started_at + d.time
            out.append((stamp, d.src, d.dst, d.payload))
        out.sort(key=lambda packet: packet[0])
        return out


class RunAborted(Exception):
    """Raised inside the engine to stop a scenario with a diagnostic."""


# ---------------------------------------------------------------------------- per entity


@dataclass(slots=True)
class _Rx:
    """What an entity received for one flow message."""

    message: Any  # SipMessage | h248.MegacoMessage | dict (CALLFLOW/1)
    src: Address
    server: ServerTransaction | None = None
    client: ClientTransaction | None = None


@dataclass(slots=True)
class _Dialog:
    local_uri: str
    local_tag: str | None
    remote_uri: str
    remote_tag: str | None
    remote_target: str
    route_set: list[str]
    local_cseq: int
    conference_version: int = 0
    local_contact: str | None = None


@dataclass(slots=True)
class _H248In:
    message: h248.MegacoMessage
    src: Address
    reply: Sent | None = None


class _Agent:
    """One entity callflow plays: its sockets and its SIP/H.248 state."""

    def __init__(self, entity: ir.Entity, plan: AddressPlan) -> None:
        self.name = entity.name
        self.entity = entity
        role = entity.role or "ue"
        self.is_proxy = role == "proxy"
        self.is_ua = role not in NON_UA_ROLES
        self.record_route = entity.record_route
        self.ip = plan.hosts[entity.name]
        self.sip_port = plan.sip_port
        self.uri = entity.attribute("uri") or f"sip:{entity.name.lower()}@{self.ip}"
        user = self.uri.split(":", 1)[-1].split("@", 1)[0] if "@" in self.uri else ""
        self.contact = f"<sip:{user + '@' if user else ''}{self.ip}:{plan.sip_port}>"
        self.media_entity = entity.attribute("media")
        self.transports: dict[str, asyncio.DatagramTransport] = {}
        # SIP
        self.client_txns: dict[tuple[str, str], ClientTransaction] = {}
        self.client_by_msg: dict[int, ClientTransaction] = {}
        self.server_txns: dict[tuple[str, str], ServerTransaction] = {}
        self.rx: dict[int, _Rx] = {}
        self.acks_seen: set[str] = set()
        self.ack_forwarded: dict[str, Sent] = {}
        self.dialogs: dict[object, _Dialog] = {}
        self.cseq: dict[str, int] = {}
        self.pending_2xx: dict[tuple[str, int], ServerTransaction] = {}
        #: reliable provisionals retransmitted until their PRACK, by (Call-ID, INVITE CSeq
        #: number, RSeq): what a PRACK's RAck names
        self.pending_prack: dict[tuple[str, int, int], Retransmitter] = {}
        self.last_sdp: dict[str, bytes] = {}
        self.open_invites: list[tuple[str, ServerTransaction]] = []
        self.last_bye_call: str | None = None
        self.sdp_sessions: dict[str, list[int]] = {}
        self.media: dict[str, tuple[str, int]] = {}
        self.last_media: tuple[str, int] | None = None
        self.lost_hop: dict[tuple[str, str, str | None], tuple[Sent, Any]] = {}
        # H.248
        self.h248_out: dict[tuple[str, int], H248Request] = {}
        self.h248_in: dict[tuple[str, int], _H248In] = {}
        self.h248_unanswered: list[tuple[str, int]] = []
        self.next_tid = 1
        self.contexts: dict[str, list[str]] = {}  # MG: context -> terminations
        self.next_context = 1
        self.next_termination = 1
        self.next_rtp = plan.rtp_port(entity.name)
        self.current_context: dict[str, str] = {}  # MGC: peer -> context id
        self.terminations: dict[str, str] = {}  # MGC: call -> termination id
        # flow timers
        self.timers: dict[str, float] = {}


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, runner: _Runner, agent: _Agent, protocol: str) -> None:
        self.runner, self.agent, self.protocol = runner, agent, protocol

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.runner.on_datagram(self.agent, self.protocol, data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        self.runner.on_socket_error(self.agent, self.protocol, exc)


# ---------------------------------------------------------------------------- the runner


class _Runner:
    """Runs one scenario (create, then ``await run()``)."""

    def __init__(
        self, flow: ir.Flow, scenario: ir.Scenario, options: RunOptions, seed: int
    ) -> None:
        self.flow = flow
        self.scenario = scenario
        self.options = options
        self.seed = seed
        self.rng = random.Random(f"{seed}:{scenario.slug}")
        self.timers = TimerValues.scaled(options.time_scale)
        #: the declared entities, and EventStudio's env_l / env_r where the flow uses them
        self.architecture = executable_architecture(flow.architecture, scenario)
        self.plan = plan_addresses(
            self.architecture,
            external=options.external,
            sip_port=options.sip_port,
            h248_port=options.h248_port,
            generic_port=options.generic_port,
            rtp_port=options.rtp_port,
        )
        self.entities = {e.name: e for e in self.architecture.entities}
        self.statements = scenario.statements()
        self.messages = scenario.messages()
        self.resolved = scenario.resolved
        self.links = link_messages(self.messages, self.entities).links
        self.model = build_model(scenario, self.entities)
        self.reliable = self.model.part(build_reliable)
        self.stmt_of: list[int] = []
        msg_index = {id(m): i for i, m in enumerate(self.messages)}
        self.msg_of_stmt: dict[int, int] = {}
        for s, statement in enumerate(self.statements):
            if isinstance(statement, ir.Message):
                i = msg_index[id(statement)]
                self.stmt_of.append(s)
                self.msg_of_stmt[s] = i
        self.protocols = [protocol_of(m) for m in self.messages]
        self.call_ids: dict[str, str] = {}
        self.call_names: dict[str, str] = {}
        self.user_uris = self._user_uris()
        # progress
        n = len(self.statements)
        self.done = [False] * n
        self.prefix = 0
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.remaining_rx: dict[int, set[str]] = {}
        self.rx_waiters: dict[tuple[int, str], asyncio.Future[None]] = {}
        self.received: set[tuple[int, str]] = set()
        self.pending: dict[str, list[int]] = {}
        self.pending_head: dict[str, int] = {}
        self.taken: set[tuple[int, str]] = set()
        self.attempts: dict[tuple[int, str], int] = {}
        self.diagnostics: list[Diagnostic] = []
        self.datagrams: list[Datagram] = []
        self.trace: list[TraceEvent] = []
        self.stats: dict[str, EntityStats] = {e.name: EntityStats() for e in self.entities.values()}
        self.agents: dict[str, _Agent] = {}
        self.owners: dict[Address, str] = {}
        self.crash: BaseException | None = None
        self._codec_choice: list[str] | None = None
        self._incoming: Datagram | None = None
        #: messages lost for good (an unreliable provisional dropped by --loss, its relays)
        self.unrecovered: set[int] = set()
        self._refused: set[str] = set()
        self._durations: dict[tuple[str, str], int | None] = {}
        self.media_plane: MediaPlane | None = None
        self.media_datagrams: list[Datagram] = []
        self.media_shift = 0.0  # media time played beyond the wall clock (fast media)

    # ------------------------------------------------------------------ helpers
    def _user_uris(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for entity in self.architecture.entities:
            uri = entity.attribute("uri")
            if uri and "@" in uri:
                user = uri.split(":", 1)[-1].split("@", 1)[0]
                table.setdefault(user.lower(), uri)
            table.setdefault(entity.name.lower(), uri or f"sip:{entity.name.lower()}@localhost")
        return table

    def now(self) -> float:
        """Seconds since the start on the run's clock: wall time plus the media time
        played faster than real time."""
        return self.loop.time() - self.t0 + self.media_shift

    def describe(self, i: int) -> str:
        m = self.messages[i]
        arrow = " -x " if m.lost else " -> "
        return f"{m.name} (message {i + 1}, {m.sender.text}{arrow}{m.receivers[0].text})"

    def diag(
        self,
        code: str,
        loc: ir.SourceLocation,
        message: str,
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        d = Diagnostic(code, RUN_CODES[code], severity, loc, message, (self.scenario.name,))
        self.diagnostics.append(d)
        return d

    def fail(self, code: str, loc: ir.SourceLocation, message: str) -> None:
        """Record an error and stop the scenario."""
        self.diag(code, loc, message)
        if not self.failed.done():
            self.failed.set_result(None)

    def current_loc(self, agent: str | None = None) -> ir.SourceLocation:
        """Where the run stands: the agent's next expected message, else the first
        statement not yet done."""
        if agent is not None:
            i = self._first_pending(agent)
            if i is not None:
                return self.messages[i].loc
        if self.prefix < len(self.statements):
            return self.statements[self.prefix].loc
        if self.statements:
            return self.statements[-1].loc
        return ir.SourceLocation(self.flow.path, 1, 1, 1, 1)

    def call_id(self, call: str | None, agent: _Agent) -> str:
        name = call or MAIN_CALL
        real = self.call_ids.get(name)
        if real is None:
            real = sipwire.new_call_id(self.rng, agent.ip)
            self.call_ids[name] = real
            self.call_names[real] = name
        return real

    # ------------------------------------------------------------------ progress
    def mark_done(self, s: int) -> None:
        if self.done[s]:
            return
        self.done[s] = True
        n = len(self.done)
        while self.prefix < n and self.done[self.prefix]:
            self.prefix += 1
        if self.waiters:
            for key in [k for k in self.waiters if k <= self.prefix]:
                fut = self.waiters.pop(key)
                if not fut.done():
                    fut.set_result(None)
        if self.prefix == n and not self.finished.done():
            self.finished.set_result(None)

    async def until_prefix(self, s: int) -> None:
        """Wait until every statement before ``s`` has happened (strict order)."""
        if self.prefix >= s:
            return
        fut = self.waiters.get(s)
        if fut is None:
            fut = self.waiters[s] = self.loop.create_future()
        await fut

    async def until_received(self, i: int, entity: str) -> None:
        if (i, entity) in self.received:
            return
        key = (i, entity)
        fut = self.rx_waiters.get(key)
        if fut is None:
            fut = self.rx_waiters[key] = self.loop.create_future()
        await fut

    def mark_received(self, i: int, entity: str) -> None:
        self.received.add((i, entity))
        fut = self.rx_waiters.pop((i, entity), None)
        if fut is not None and not fut.done():
            fut.set_result(None)
        left = self.remaining_rx.get(i)
        if left is not None:
            left.discard(entity)
            if not left:
                self.mark_done(self.stmt_of[i])

    def _first_pending(self, agent: str) -> int | None:
        queue = self.pending.get(agent)
        if not queue:
            return None
        head = self.pending_head.get(agent, 0)
        while head < len(queue) and (queue[head], agent) in self.taken:
            head += 1
        self.pending_head[agent] = head
        return queue[head] if head < len(queue) else None

    # ------------------------------------------------------------------ setup
    def _plan_programs(self) -> dict[str, list[tuple[str, int]]]:
        """Each played entity's steps: ("send"|"recv"|"local", statement index)."""
        programs: dict[str, list[tuple[str, int]]] = {a: [] for a in self.agents}
        for s, statement in enumerate(self.statements):
            if isinstance(statement, ir.Message):
                i = self.msg_of_stmt[s]
                sender = statement.sender.text
                receivers = [r.text for r in statement.receivers]
                if statement.is_self or statement.lost:
                    if sender in programs:
                        programs[sender].append(("send", s))
                    else:
                        self.done[s] = True
                    continue
                waiting = {r for r in receivers if r in self.agents}
                if sender in programs:
                    programs[sender].append(("send", s))
                if waiting:
                    self.remaining_rx[i] = set(waiting)
                    for r in receivers:
                        if r in self.agents:
                            programs[r].append(("recv", s))
                            self.pending.setdefault(r, []).append(i)
                elif sender not in programs:
                    self.done[s] = True  # between two external peers: nothing to observe
                else:
                    self.remaining_rx[i] = set()  # to an external peer: done when sent
                continue
            names = [n.text for n in statement.entity_names() if n.text in programs]
            if names:
                programs[names[0]].append(("local", s))
            else:
                self.done[s] = True
        return programs

    async def _open(self) -> None:
        used: dict[str, set[str]] = {}
        for m, protocol in zip(self.messages, self.protocols, strict=True):
            for name in (m.sender.text, *(r.text for r in m.receivers)):
                used.setdefault(name, set()).add(protocol)
        for entity in self.architecture.entities:
            if entity.name in self.plan.external:
                continue
            self.agents[entity.name] = _Agent(entity, self.plan)
        for name, agent in self.agents.items():
            for protocol in sorted(used.get(name, ())):
                address = self.plan.address(name, protocol)
                try:
                    transport, _ = await self.loop.create_datagram_endpoint(
                        lambda agent=agent, protocol=protocol: _Endpoint(self, agent, protocol),
                        local_addr=address,
                    )
                except OSError as error:
                    reason = _os_reason(error)
                    self.fail(
                        "RUN101",
                        agent.entity.loc,
                        f"cannot open {name}'s {protocol.upper()} socket on "
                        f"{address[0]}:{address[1]}: {reason}",
                    )
                    raise RunAborted from None
                agent.transports[protocol] = transport  # type: ignore[assignment]
        for name in self.entities:
            for protocol in used.get(name, ()):
                self.owners[self.plan.address(name, protocol)] = name

    # ------------------------------------------------------------------ run
    async def run(self) -> ScenarioRun:
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        started_at = time.time()
        self.finished: asyncio.Future[None] = self.loop.create_future()
        self.failed: asyncio.Future[None] = self.loop.create_future()
        tasks: list[asyncio.Task[None]] = []
        try:
            await self._open()
            self._open_media()
            programs = self._plan_programs()
            for s, flag in enumerate(self.done):
                if flag:
                    self.done[s] = False
                    self.mark_done(s)
            if not self.statements and not self.finished.done():
                self.finished.set_result(None)
            for name, steps in programs.items():
                tasks.append(self.loop.create_task(self._program(self.agents[name], steps)))
            waited = await asyncio.wait(
                {self.finished, self.failed},
                timeout=self.options.timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not waited[0]:
                self._timed_out()
        except RunAborted:
            pass
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            self._stop_timers()
            for agent in self.agents.values():
                for transport in agent.transports.values():
                    transport.close()
            if self.media_plane is not None:
                self.media_plane.close()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        if self.crash is not None:
            raise self.crash
        duration = self.now()
        media = None
        if self.media_plane is not None:
            plane = self.media_plane
            plane.finish()
            for problem in plane.problems:
                self.diag(problem.code, problem.loc if problem.loc.line else self.current_loc(),
                          str(problem))  # fmt: skip
            media = plane.result()
        errors = any(d.is_error for d in self.diagnostics)
        drawn_lost = sum(1 for m in self.messages if m.lost)
        delivered = sum(
            1
            for i, m in enumerate(self.messages)
            if not m.lost and self.done[self.stmt_of[i]] and i not in self.unrecovered
        )
        return ScenarioRun(
            scenario=self.scenario,
            ok=not errors and self.finished.done(),
            diagnostics=list(self.diagnostics),
            duration=duration,
            seed=self.seed,
            order=self.options.order,
            loss=self.options.loss,
            time_scale=self.options.time_scale,
            messages=len(self.messages),
            delivered=delivered,
            drawn_lost=drawn_lost,
            unrecovered=len(self.unrecovered),
            entities=self.stats,
            datagrams=self.datagrams,
            trace=self.trace,
            addresses=self.plan,
            started_at=started_at,
            deterministic=self.options.deterministic,
            media=media,
            media_datagrams=self.media_datagrams,
        )

    def _open_media(self) -> None:
        """The media plane, when the scenario has media statements and --no-media is off
        (NumPy is imported only then)."""
        if not self.options.media:
            return
        from callflow.execute.media import MEDIA_STATEMENTS, MediaError, MediaPlane

        if not any(isinstance(st, MEDIA_STATEMENTS) for st in self.statements):
            return
        try:
            self.media_plane = MediaPlane(
                architecture=self.architecture,
                statements=self.statements,
                plan=self.plan,
                seed_rng=self.rng.getrandbits,
                loss=self._media_loss,
                record=self._record_rtp,
                clock=self.now,
                media_seconds=self.options.media_seconds,
                realtime=self.options.realtime,
            )
        except MediaError as error:
            self.fail(error.code, error.loc, str(error))
            raise RunAborted from None

    def _media_loss(self, stream: str, packet: int) -> bool:
        if self.options.loss <= 0:
            return False
        digest = hashlib.blake2b(
            f"{self.seed}|{self.scenario.slug}|rtp|{stream}|{packet}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64 < self.options.loss

    def _record_rtp(
        self,
        stamp: float,
        media: float,
        src: Address,
        dst: Address,
        data: bytes,
        sender: str,
        receiver: str,
        dropped: bool,
    ) -> None:
        if self.options.keep_datagrams:
            after = len(self.datagrams)
            datagram = Datagram(stamp, src, dst, data, -1, sender, receiver, "rtp", 0, dropped)
            datagram.media, datagram.after = media, after
            self.media_datagrams.append(datagram)

    def _timed_out(self) -> None:
        waiting: list[str] = []
        for s in range(self.prefix, len(self.statements)):
            if self.done[s]:
                continue
            statement = self.statements[s]
            if isinstance(statement, ir.Message):
                i = self.msg_of_stmt[s]
                left = sorted(self.remaining_rx.get(i, ()))
                who = f" at {', '.join(left)}" if left else ""
                waiting.append(f"{self.describe(i)}{who}")
            else:
                waiting.append(f"line {statement.loc.line}")
            if len(waiting) == 3:
                break
        first = self.statements[self.prefix].loc if self.prefix < len(self.statements) else None
        self.fail(
            "RUN107",
            first or self.current_loc(),
            f"the scenario did not finish within --timeout {self.options.timeout:g}s; "
            f"still waiting for {'; '.join(waiting) or 'nothing'}",
        )

    def _stop_timers(self) -> None:
        for agent in self.agents.values():
            for ctx in agent.client_txns.values():
                ctx.stop()
            for stx in agent.server_txns.values():
                stx.stop()
            for timer in agent.pending_prack.values():
                timer.stop()
            for req in agent.h248_out.values():
                req.stop()

    async def _program(self, agent: _Agent, steps: list[tuple[str, int]]) -> None:
        strict = self.options.order == "strict"
        try:
            for kind, s in steps:
                if kind == "recv":
                    await self.until_received(self.msg_of_stmt[s], agent.name)
                    continue
                if strict:
                    await self.until_prefix(s)
                if self.failed.done():
                    return
                if kind == "send":
                    await self._send(agent, self.msg_of_stmt[s])
                else:
                    await self._local(agent, s)
        except asyncio.CancelledError:
            raise
        except RunAborted:
            pass
        except _BUILD_ERRORS as error:
            self.fail("RUN109", self.current_loc(), f"{agent.name} cannot go on: {error}")
        except Exception as error:  # a bug: surface it from run()
            self.crash = error
            if not self.failed.done():
                self.failed.set_result(None)

    async def _local(self, agent: _Agent, s: int) -> None:
        statement = self.statements[s]
        if isinstance(statement, ir.TimerStart):
            agent.timers[statement.timer.text] = self.loop.time()
            self._durations[(agent.name, statement.timer.text)] = statement.duration_ms
        elif isinstance(statement, ir.TimerTimeout):
            durations = self._durations
            started = agent.timers.pop(statement.timer.text, None)
            duration = durations.get((agent.name, statement.timer.text))
            if started is not None and duration:
                wait = started + duration / 1000 * self.options.time_scale - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
        elif isinstance(statement, ir.TimerStop):
            agent.timers.pop(statement.timer.text, None)
        elif self.media_plane is not None and isinstance(
            statement, ir.MediaStart | ir.MediaStop | ir.Mix | ir.StopMixing
        ):
            await self._media_statement(statement)
        self.trace.append(TraceEvent(self.now(), s))
        self.mark_done(s)

    async def _media_statement(self, statement: ir.Statement) -> None:
        from callflow.execute.media import MediaError

        assert self.media_plane is not None
        wall = self.loop.time()
        try:
            segment = await self.media_plane.apply(statement, self.loop)
        except MediaError as error:
            self.fail(error.code, error.loc if error.loc.line else statement.loc, str(error))
            raise RunAborted from None
        if not self.options.realtime:
            # the segment played faster than real time: the clock (and the capture) jumps
            self.media_shift += (segment.end - segment.start) - (self.loop.time() - wall)

    # ------------------------------------------------------------------ the wire
    def transmit(
        self,
        agent: _Agent,
        protocol: str,
        data: bytes,
        dst: Address,
        i: int,
        *,
        drawn_lost: bool = False,
    ) -> bool:
        """Put one datagram on the wire (or drop it: ``--loss``, a drawn lost message);
        True when it was dropped."""
        key = (i, agent.name)
        attempt = self.attempts.get(key, 0)
        self.attempts[key] = attempt + 1
        dropped = False
        if not drawn_lost and self.options.loss > 0 and protocol in ("sip", "h248"):
            digest = hashlib.blake2b(
                f"{self.seed}|{self.scenario.slug}|{i}|{agent.name}|{attempt}".encode(),
                digest_size=8,
            ).digest()
            dropped = int.from_bytes(digest, "big") / 2**64 < self.options.loss
        if not drawn_lost and self.options.drop is not None:
            dropped = dropped or self.options.drop(i, agent.name, attempt)
        now = self.now()
        stats = self.stats[agent.name]
        stats.touch(now)
        stats.datagrams_out += 1
        if attempt:
            stats.retransmissions += 1
        if dropped:
            stats.dropped += 1
        receiver = self.owners.get(dst, f"{dst[0]}:{dst[1]}")
        src = (agent.ip, self.plan.port(protocol))
        datagram = Datagram(
            now, src, dst, data, i, agent.name, receiver, protocol, attempt, dropped, drawn_lost,
            self.media_plane.media_clock if self.media_plane is not None else 0.0,
            len(self.datagrams),
        )  # fmt: skip
        if self.options.keep_datagrams:
            self.datagrams.append(datagram)
            self.trace.append(TraceEvent(now, self.stmt_of[i], datagram))
        if dropped or drawn_lost:
            return True
        transport = agent.transports.get(protocol)
        if transport is None or transport.is_closing():
            return False
        try:
            transport.sendto(data, dst)
        except OSError as error:
            self.fail(
                "RUN110",
                self.messages[i].loc,
                f"{agent.name} could not send to {dst[0]}:{dst[1]}: {_os_reason(error)}",
            )
        return False

    def resend(self, agent: _Agent, protocol: str, sent: Sent) -> None:
        data, dst, i = sent
        self.transmit(agent, protocol, data, dst, i)

    def on_socket_error(self, agent: _Agent, protocol: str, exc: Exception) -> None:
        # ICMP port unreachable from a peer that went away: the retransmissions and the
        # timeout report it; an external peer that is not there is worth a word
        if isinstance(exc, ConnectionRefusedError) and self.plan.external:
            if agent.name in self._refused:
                return
            self._refused.add(agent.name)
            self.diag(
                "RUN110",
                self.current_loc(agent.name),
                f"{agent.name}: a peer refused a datagram (port unreachable): is the "
                "external peer running?",
                Severity.WARNING,
            )

    def on_datagram(self, agent: _Agent, protocol: str, data: bytes, src: Address) -> None:
        if self.failed.done() or self.finished.done():
            return
        stats = self.stats[agent.name]
        stats.datagrams_in += 1
        stats.touch(self.now())
        sender = self.owners.get(src)
        self._incoming = None
        if (sender is None or sender in self.plan.external) and self.options.keep_datagrams:
            # from outside callflow: nobody recorded it when it was sent
            self._incoming = Datagram(
                self.now(), src, (agent.ip, self.plan.port(protocol)), data, -1,
                sender or f"{src[0]}:{src[1]}", agent.name, protocol, 0,
            )  # fmt: skip
            self.datagrams.append(self._incoming)
        try:
            if protocol == "sip":
                self._on_sip(agent, data, src, sender)
            elif protocol == "h248":
                self._on_h248(agent, data, src, sender)
            else:
                self._on_generic(agent, protocol, data, src, sender)
        except RunAborted:
            pass
        except _BUILD_ERRORS as error:
            self.fail("RUN109", self.current_loc(agent.name), f"{agent.name}: {error}")
        except Exception as error:  # a bug: surface it from run()
            self.crash = error
            if not self.failed.done():
                self.failed.set_result(None)

    def _garbled(self, agent: _Agent, src: Address, protocol: str, why: str) -> None:
        self.fail(
            "RUN105",
            self.current_loc(agent.name),
            f"{agent.name} received a garbled {protocol.upper()} datagram from "
            f"{_who(src, self.owners)}: {why}",
        )

    # ------------------------------------------------------------------ matching
    def _deliver(
        self,
        agent: _Agent,
        protocol: str,
        message: Any,
        src: Address,
        sender: str | None,
        identity: Callable[[int], bool],
        check: Callable[[int], str | None],
        summary: str,
        supersedes: Callable[[int], bool] | None = None,
    ) -> int | None:
        """Match an arrival with what ``agent`` waits for; fail the run when it fits
        nothing. Returns the flow message index it was taken for.

        ``supersedes(k)``: the arrival makes expected message ``k`` impossible (a final
        response after a provisional response to the same request that never came:
        nothing retransmits it now); such messages are given up (RUN111)."""
        queue = self.pending.get(agent.name, [])
        head = self.pending_head.get(agent.name, 0)
        while head < len(queue) and (queue[head], agent.name) in self.taken:
            head += 1
        self.pending_head[agent.name] = head
        first: int | None = None
        first_from_sender: int | None = None
        superseded: list[int] = []
        for pos in range(head, len(queue)):
            j = queue[pos]
            if (j, agent.name) in self.taken:
                continue
            if first is None:
                first = j
            m = self.messages[j]
            if m.sender.text != sender or self.protocols[j] != protocol:
                continue
            if first_from_sender is None:
                first_from_sender = j
            if not identity(j):
                if supersedes is not None and supersedes(j):
                    superseded.append(j)
                    continue
                if self.options.order == "strict" and first_from_sender == j:
                    # strict order: the sender sends nothing out of turn
                    break
                continue
            problem = check(j)
            if problem is not None:
                self.fail(
                    "RUN104",
                    m.loc,
                    f"{agent.name} received {summary} from {sender} for {self.describe(j)}, "
                    f"but {problem}",
                )
                raise RunAborted
            for k in superseded:
                self.diag(
                    "RUN111",
                    self.messages[k].loc,
                    f"{self.describe(k)} never reached {agent.name}, and {self.describe(j)} "
                    "answered the same request first: provisional responses are not "
                    "retransmitted (RFC 3261 §17.1.1.2); the run goes on without it",
                    Severity.WARNING,
                )
                self._never_arrives(k)
                if first == k:
                    first = None
            if first is None:
                first = self._first_pending(agent.name)
            if first is not None and first != j and self.options.order == "causal":
                early = self.messages[first]
                self.diag(
                    "RUN106",
                    m.loc,
                    f"{agent.name} received {self.describe(j)} before {self.describe(first)} "
                    f"(line {early.loc.line}): the flow assumes an order the network does not "
                    "guarantee",
                    Severity.WARNING,
                )
            self.taken.add((j, agent.name))
            self.stats[agent.name].received += 1
            if sender in self.plan.external:
                self.stats[sender].sent += 1
                self.stats[sender].touch(self.now())
                if self._incoming is not None:
                    self._incoming.message = j
                    self.trace.append(
                        TraceEvent(self._incoming.time, self.stmt_of[j], self._incoming)
                    )
            return j
        if sender is None:
            self.fail(
                "RUN102",
                self.current_loc(agent.name),
                f"{agent.name} received {summary} from {src[0]}:{src[1]}, an address no "
                "entity of the flow uses",
            )
        elif first_from_sender is not None:
            self.fail(
                "RUN103",
                self.messages[first_from_sender].loc,
                f"{agent.name} expected {self.describe(first_from_sender)} but received "
                f"{summary} from {sender}",
            )
        else:
            self.fail(
                "RUN102",
                self.current_loc(agent.name),
                f"{agent.name} received {summary} from {sender}, which the flow does not "
                f"send it here"
                + (f" (it waits for {self.describe(first)})" if first is not None else ""),
            )
        raise RunAborted

    # ------------------------------------------------------------------ SIP: receive
    def _on_sip(self, agent: _Agent, data: bytes, src: Address, sender: str | None) -> None:
        try:
            msg = sipwire.parse_message(data, strict=True)
        except sipwire.SipParseError as error:
            self._garbled(agent, src, "sip", str(error))
            return
        branch = sipwire.parse_via_branch(_hdr(msg, "via") or "") or ""
        if msg.is_request:
            self._sip_request_in(agent, msg, src, sender, branch)
        else:
            self._sip_response_in(agent, msg, src, sender, branch)

    def _sip_request_in(
        self, agent: _Agent, msg: SipMessage, src: Address, sender: str | None, branch: str
    ) -> None:
        method = msg.method or ""
        stats = self.stats[agent.name]
        if method == "ACK":
            stx = agent.server_txns.get((branch, "INVITE"))
            if stx is not None and stx.final is not None and stx.final >= 300:
                if stx.acked:
                    stats.duplicates += 1
                    return
                stx.acked = True
                stx.stop()
                self._sip_deliver(agent, msg, src, sender, None, None)
                return
            if branch in agent.acks_seen:
                stats.duplicates += 1
                forwarded = agent.ack_forwarded.get(branch)
                if forwarded is not None:
                    self.resend(agent, "sip", forwarded)
                return
            agent.acks_seen.add(branch)
            cseq = sipwire.parse_cseq(_hdr(msg, "cseq") or "")
            waiting = agent.pending_2xx.pop(
                (_hdr(msg, "call-id") or "", cseq[0] if cseq else -1), None
            )
            if waiting is not None:
                waiting.acked = True
                waiting.stop()
            self._sip_deliver(agent, msg, src, sender, None, None)
            return
        key = (branch, method)
        stx = agent.server_txns.get(key)
        if stx is not None:
            stats.duplicates += 1
            if stx.last_response is not None:
                self.resend(agent, "sip", stx.last_response)
            return
        stx = ServerTransaction(branch, method, None, sender, msg)
        agent.server_txns[key] = stx
        self._sip_deliver(agent, msg, src, sender, stx, None)

    def _sip_response_in(
        self, agent: _Agent, msg: SipMessage, src: Address, sender: str | None, branch: str
    ) -> None:
        cseq = sipwire.parse_cseq(_hdr(msg, "cseq") or "")
        method = cseq[1] if cseq else ""
        ctx = agent.client_txns.get((branch, method))
        status = msg.status or 0
        if ctx is None:
            self._sip_deliver(agent, msg, src, sender, None, None)
            return
        key = _response_key(msg)
        if key in ctx.seen:
            self.stats[agent.name].duplicates += 1
            if status >= 200 and ctx.is_invite:
                if ctx.ack is not None:
                    self.resend(agent, "sip", ctx.ack)
                elif status < 300 and key in ctx.relayed:
                    self.resend(agent, "sip", ctx.relayed[key])
            elif status < 200 and key in ctx.relayed:
                # a proxy passes every provisional on (RFC 3261 §16.7): a reliable one
                # comes again until the PRACK, and each copy is forwarded
                self.resend(agent, "sip", ctx.relayed[key])
            return
        if status >= 200 and ctx.final is not None and ctx.is_invite and status < 300:
            pass  # a 2xx from another fork: new, delivered below
        ctx.seen.add(key)
        if status >= 200:
            if ctx.final is None:
                ctx.final = status
                ctx.final_message = msg
            ctx.stop()
        elif ctx.timer is not None:
            if ctx.is_invite:
                ctx.stop()
            else:
                ctx.timer.hold_at(self.timers.t2)
        self._sip_deliver(agent, msg, src, sender, None, ctx)

    def _sip_deliver(
        self,
        agent: _Agent,
        msg: SipMessage,
        src: Address,
        sender: str | None,
        stx: ServerTransaction | None,
        ctx: ClientTransaction | None,
    ) -> None:
        call_id = _hdr(msg, "call-id") or ""
        cseq = sipwire.parse_cseq(_hdr(msg, "cseq") or "")

        def identity(j: int) -> bool:
            m = self.messages[j]
            if msg.is_request:
                if m.code is not None or m.name != msg.method:
                    return False
            else:
                if m.code != msg.status:
                    return False
                answers = self.resolved[j].answers
                if (
                    answers is not None
                    and cseq is not None
                    and self.messages[answers - 1].name != cseq[1]
                ):
                    return False
            call = self.resolved[j].call or MAIN_CALL
            real = self.call_ids.get(call)
            if real is not None and real != call_id:
                return False
            return not (real is None and call_id in self.call_names)

        summary = msg.start_line if msg.is_request else f"{msg.status} {msg.reason}".strip()
        if not msg.is_request and cseq:
            summary += f" ({cseq[1]})"
        supersedes: Callable[[int], bool] | None = None
        if ctx is not None and not msg.is_request:
            request_number = ctx.stmt + 1
            status = msg.status or 0

            def earlier_provisional(k: int) -> bool:
                code = self.messages[k].code
                return (
                    code is not None
                    and 100 <= code <= 199
                    and status > code
                    and self.resolved[k].answers == request_number
                    and self._reliable(k) is None  # retransmitted until the PRACK: it comes
                )

            supersedes = earlier_provisional

        j = self._deliver(
            agent, "sip", msg, src, sender, identity, lambda j: self._sip_check(j, msg), summary,
            supersedes,
        )  # fmt: skip
        if j is None:
            return
        call = self.resolved[j].call or MAIN_CALL
        if call not in self.call_ids:
            self.call_ids[call] = call_id
            self.call_names[call_id] = call
        if stx is not None:
            stx.stmt = j
        agent.rx[j] = _Rx(msg, src, stx, ctx)
        self._sip_after_receipt(agent, j, msg, ctx, stx)
        self.mark_received(j, agent.name)

    def _sip_check(self, j: int, msg: SipMessage) -> str | None:
        """What differs between the arrival and what the flow names (None: nothing)."""
        m = self.messages[j]
        own = {h.key for h in m.headers}
        for header in self.resolved[j].headers:
            key = header.key
            if key in ("call-id", "content-length") or (key in _HOP_HEADERS and key not in own):
                continue
            expected = _norm(self._substitute(header))
            if key == "request-uri":
                if msg.is_request and _norm(msg.request_uri or "") != expected:
                    return f"its Request-URI is {msg.request_uri}, not {header.value}"
                continue
            values = msg.headers_named(header.name)
            if not values:
                return f"it has no {header.name} header (the flow says {header.value!r})"
            if expected not in (_norm(values[0]), _norm(", ".join(values))):
                return f"its {header.name} is {values[0]!r}, not {header.value!r}"
        ctype = (_hdr(msg, "content-type") or "").split(";")[0].strip().lower()
        wanted = self.resolved[j].sdp
        if wanted in ("offer", "answer"):
            if ctype != "application/sdp" or not msg.body:
                return f"it carries no SDP {wanted}"
            try:
                sdp.parse_sdp(msg.body)
            except sdp.SdpError as error:
                return f"its SDP does not parse: {error}"
        body = self.resolved[j].body
        if body is not None and wanted not in ("offer", "answer"):
            return self._body_check(body, ctype, msg.body)
        return None

    def _body_check(self, text: str, ctype: str, data: bytes) -> str | None:
        if not data:
            return f"it has no body (the flow says {text!r})"
        if ctype == bodies.SIPFRAG_TYPE:
            try:
                code, _ = bodies.parse_sipfrag(data)
            except bodies.BodyError as error:
                return f"its message/sipfrag body does not parse: {error}"
            parts = text.split()
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) != code:
                return f"its sipfrag says {code}, not {parts[1]}"
        elif ctype == bodies.CONFERENCE_INFO_TYPE:
            try:
                info = bodies.parse_conference_info(data)
                summary = bodies.parse_conference_summary(text)
            except bodies.BodyError as error:
                return f"its conference-info body is not valid: {error}"
            if summary is not None:
                got = [status for _, status in info.users]
                want = [status for _, status in summary.users]
                if info.state != summary.state or got != want:
                    return f"its conference-info is {info.state} {got}, not {summary.state} {want}"
        return None

    def _substitute(self, header: ir.Header) -> str:
        """A written value as sent: a Replaces naming a logical call gets the real id."""
        if header.key == "replaces":
            name, sep, rest = header.value.partition(";")
            real = self.call_ids.get(name.strip())
            if real is not None:
                return real + sep + rest
        return header.value

    def _sip_after_receipt(
        self,
        agent: _Agent,
        j: int,
        msg: SipMessage,
        ctx: ClientTransaction | None,
        stx: ServerTransaction | None,
    ) -> None:
        if not agent.is_ua:
            return
        call = self.resolved[j].call or MAIN_CALL
        ctype = (_hdr(msg, "content-type") or "").split(";")[0].strip().lower()
        if msg.body and ctype == "application/sdp":
            agent.last_sdp[call] = msg.body
        if msg.is_request:
            if msg.method == "INVITE" and stx is not None:
                agent.open_invites.append((call, stx))
            elif msg.method == "BYE":
                agent.last_bye_call = call
            elif msg.method == "PRACK":
                self._prack_received(agent, msg)
            return
        status = msg.status or 0
        if ctx is None or ctx.method not in _DIALOG_METHODS or not 101 <= status <= 299:
            return
        to_tag = sipwire.tag_of(_hdr(msg, "to") or "")
        if to_tag is None or ctx.dialog_key is None:
            return
        request = ctx.request
        contact = _hdr(msg, "contact")
        target = sipwire.uri_of(contact) if contact else None
        dialog = agent.dialogs.get(ctx.dialog_key)
        if dialog is None or status >= 200:
            agent.dialogs[ctx.dialog_key] = _Dialog(
                local_uri=sipwire.uri_of(_hdr(request, "from") or "") or agent.uri,
                local_tag=sipwire.tag_of(_hdr(request, "from") or ""),
                remote_uri=sipwire.uri_of(_hdr(request, "to") or "") or "",
                remote_tag=to_tag,
                remote_target=target or request.request_uri or "",
                route_set=list(reversed(_hdrs(msg, "record-route"))),
                local_cseq=max(
                    (sipwire.parse_cseq(_hdr(request, "cseq") or "") or (1, ""))[0],
                    dialog.local_cseq if dialog else 0,
                ),
                conference_version=dialog.conference_version if dialog else 0,
                local_contact=_hdr(request, "contact"),
            )

    # ------------------------------------------------------------------ SIP: send
    async def _send(self, agent: _Agent, i: int) -> None:
        m = self.messages[i]
        protocol = self.protocols[i]
        s = self.stmt_of[i]
        if m.is_self:
            self.trace.append(TraceEvent(self.now(), s))
            self.stats[agent.name].sent += 1
            self.mark_done(s)
            return
        self.stats[agent.name].sent += 1
        for receiver in m.receivers:
            if receiver.text in self.plan.external and not m.lost:
                self.stats[receiver.text].received += 1
                self.stats[receiver.text].touch(self.now())
        if protocol == "sip":
            if m.is_multicast:
                raise _CannotExecute(f"{self.describe(i)}: a SIP message has one receiver")
            self._send_sip(agent, i)
        elif protocol == "h248":
            for receiver in m.receivers:
                self._send_h248(agent, i, receiver.text)
        else:
            for receiver in m.receivers:
                self._send_generic(agent, i, receiver.text, protocol)
        if m.lost or not self.remaining_rx.get(i):
            self.mark_done(s)

    def _send_sip(self, agent: _Agent, i: int) -> None:
        m = self.messages[i]
        receiver = m.receivers[0].text
        dst = self.plan.address(receiver, "sip")
        hop_key = (receiver, m.name, self.resolved[i].call)
        prior = agent.lost_hop.pop(hop_key, None)
        if prior is not None:
            # the flow draws the retry of a message it drew lost: the same datagram again
            (data, _, _), txn = prior
            self.transmit(agent, "sip", data, dst, i)
            if isinstance(txn, ClientTransaction):
                txn.stmt = i
                agent.client_by_msg[i] = txn
                self._start_client_timer(agent, txn)
            elif isinstance(txn, ServerTransaction):
                txn.last_response = (data, dst, i)
                self._retransmit_reliable(agent, txn, txn.last_response)
            return
        if m.code is None:
            self._send_request(agent, i, receiver, dst)
        else:
            self._send_response(agent, i, receiver, dst)

    def _send_request(self, agent: _Agent, i: int, receiver: str, dst: Address) -> None:
        m = self.messages[i]
        link = self.links[i]
        method = m.name
        if method == "ACK":
            self._send_ack(agent, i, receiver, dst)
            return
        if method == "CANCEL":
            msg = self._build_cancel(agent, i, receiver)
        elif link is not None and link.forwards is not None and link.forwards in agent.rx:
            msg = self._build_forward(agent, i, agent.rx[link.forwards].message)
        else:
            msg = self._build_request(agent, i, receiver)
        branch = sipwire.parse_via_branch(_hdr(msg, "via") or "") or ""
        data = msg.to_bytes()
        chain = self.model.infos[i].chain if self.model.infos[i] is not None else None
        dialog_key = chain.dialog.key if chain is not None and chain.dialog is not None else None
        ctx = ClientTransaction(
            branch, method, i, receiver, dst, msg, data, self.resolved[i].call, dialog_key
        )
        agent.client_txns[(branch, method)] = ctx
        agent.client_by_msg[i] = ctx
        self.transmit(agent, "sip", data, dst, i, drawn_lost=m.lost)
        if m.lost:
            ctx.drawn_lost = True
            agent.lost_hop[(receiver, m.name, self.resolved[i].call)] = ((data, dst, i), ctx)
            return
        self._start_client_timer(agent, ctx)

    def _start_client_timer(self, agent: _Agent, ctx: ClientTransaction) -> None:
        t = self.timers

        def resend() -> None:
            self.transmit(agent, "sip", ctx.data, ctx.dst, ctx.stmt)

        def give_up() -> None:
            if ctx.final is None and not self.finished.done():
                which = "B" if ctx.is_invite else "F"
                self.fail(
                    "RUN108",
                    self.messages[ctx.stmt].loc,
                    f"{agent.name} had no final response to {self.describe(ctx.stmt)} after "
                    f"64*T1 = {t.give_up:g}s (Timer {which}); {self._retries(ctx.stmt, agent)}"
                    + self._peer_hint(ctx.peer),
                )

        ctx.timer = Retransmitter(
            first=t.t1,
            cap=None if ctx.is_invite else t.t2,
            give_up=t.give_up,
            resend=resend,
            on_give_up=give_up,
        )

    def _peer_hint(self, peer: str) -> str:
        if peer not in self.plan.external:
            return ""
        host, port = self.plan.external[peer]
        return f" (is the external peer {peer} at {host}:{port} running?)"

    def _retries(self, i: int, agent: _Agent) -> str:
        sent = self.attempts.get((i, agent.name), 0)
        return f"sent {sent} time{'s' if sent != 1 else ''}"

    def _build_request(self, agent: _Agent, i: int, receiver: str) -> SipMessage:
        m = self.messages[i]
        res = self.resolved[i]
        call = res.call or MAIN_CALL
        info = self.model.infos[i]
        chain = info.chain if info is not None else None
        dialog = None
        if chain is not None and chain.dialog is not None and chain.dialog.creating is not chain:
            dialog = agent.dialogs.get(chain.dialog.key)
        call_id = self.call_id(call, agent)
        branch = sipwire.new_branch(self.rng)
        if dialog is not None:
            dialog.local_cseq += 1
            ruri = res.header("Request-URI") or dialog.remote_target
            from_value = sipwire.name_addr(dialog.local_uri, dialog.local_tag)
            to_value = sipwire.name_addr(dialog.remote_uri, dialog.remote_tag)
            number = dialog.local_cseq
            routes = list(dialog.route_set)
        else:
            destination = chain.destination if chain is not None else receiver
            ruri = res.header("Request-URI") or self._target_uri(destination)
            from_value = sipwire.name_addr(agent.uri, sipwire.new_tag(self.rng))
            to_value = sipwire.name_addr(ruri)
            number = agent.cseq.get(call, 0) + 1
            agent.cseq[call] = number
            routes = []
        msg = SipMessage(sipwire.request_line(m.name, ruri))
        msg.headers = [
            ("Via", sipwire.via_value(agent.ip, agent.sip_port, branch)),
            ("Max-Forwards", "70"),
            ("From", from_value),
            ("To", to_value),
            ("Call-ID", call_id),
            ("CSeq", sipwire.cseq_value(number, m.name)),
        ]
        msg.headers += [("Route", route) for route in routes]
        if m.name in _CONTACT_METHODS:
            contact = dialog.local_contact if dialog is not None else None
            msg.headers.append(("Contact", contact or agent.contact))
        if m.name == "PRACK":
            rack = self._rack(agent, chain)
            if rack is not None:
                msg.headers.append(("RAck", rack))
        self._apply_written(msg, res.headers)
        self._attach_body(agent, i, msg, call, dialog)
        return msg

    def _rack(self, agent: _Agent, chain: Chain | None) -> str | None:
        """The RAck of a PRACK (RFC 3262 §7.2): the RSeq and CSeq of the reliable
        provisional it acknowledges, as ``agent`` received it (None: it received none)."""
        provisional = self.reliable.prack_target.get(chain.index) if chain is not None else None
        if provisional is None or provisional.delivered is None:
            return None
        rx = agent.rx.get(provisional.delivered)
        if rx is None:
            return None
        rseq = parse_rseq(_hdr(rx.message, "rseq"))
        cseq = sipwire.parse_cseq(_hdr(rx.message, "cseq") or "")
        return f"{rseq} {cseq[0]} {cseq[1]}" if rseq is not None and cseq else None

    def _target_uri(self, entity: str) -> str:
        e = self.entities.get(entity)
        uri = e.attribute("uri") if e is not None else None
        if uri:
            return uri
        host = self.plan.hosts.get(entity, "127.0.0.1")
        return f"sip:{entity.lower()}@{host}"

    def _build_forward(self, agent: _Agent, i: int, received: SipMessage) -> SipMessage:
        m = self.messages[i]
        msg = received.copy()
        try:
            hops = int(_hdr(msg, "max-forwards") or "70")
        except ValueError:
            hops = 70
        msg.set_header("Max-Forwards", str(max(hops - 1, 0)))
        routes = _hdrs(msg, "route")
        if routes and self._is_me(agent, routes[0]):
            msg.remove_header("Route", first_only=True)
        branch = sipwire.new_branch(self.rng)
        msg.add_header("Via", sipwire.via_value(agent.ip, agent.sip_port, branch), first=True)
        to_tag = sipwire.tag_of(_hdr(msg, "to") or "")
        if agent.record_route and m.name in _DIALOG_METHODS and to_tag is None:
            record = ("Record-Route", f"<sip:{agent.ip}:{agent.sip_port};lr>")
            names = [name.lower() for name, _ in msg.headers]
            if "record-route" in names:
                msg.headers.insert(names.index("record-route"), record)
            else:  # after the Vias and Max-Forwards
                at = max(i for i, n in enumerate(names) if n in ("via", "v", "max-forwards"))
                msg.headers.insert(at + 1, record)
        self._apply_written(msg, m.headers)
        ruri = m.header("Request-URI")
        if ruri:
            msg.start_line = sipwire.request_line(m.name, ruri)
        return msg

    def _is_me(self, agent: _Agent, route: str) -> bool:
        uri = sipwire.uri_of(route) or ""
        hostport = uri.split(":", 1)[-1].split(";", 1)[0].split("@")[-1]
        host, _, port = hostport.partition(":")
        return host == agent.ip and (not port or port == str(agent.sip_port))

    def _build_cancel(self, agent: _Agent, i: int, receiver: str) -> SipMessage:
        call = self.resolved[i].call
        invite = self._newest_invite(agent, receiver, call)
        if invite is None:
            raise _CannotExecute(f"{self.describe(i)}: {agent.name} sent no INVITE to cancel")
        req = invite.request
        cseq = sipwire.parse_cseq(_hdr(req, "cseq") or "") or (1, "INVITE")
        msg = SipMessage(sipwire.request_line("CANCEL", req.request_uri or ""))
        msg.headers = [
            ("Via", _hdr(req, "via") or ""),
            ("Max-Forwards", "70"),
            ("From", _hdr(req, "from") or ""),
            ("To", _hdr(req, "to") or ""),
            ("Call-ID", _hdr(req, "call-id") or ""),
            ("CSeq", sipwire.cseq_value(cseq[0], "CANCEL")),
        ]
        msg.headers += [("Route", r) for r in _hdrs(req, "route")]
        self._apply_written(msg, self.messages[i].headers)
        return msg

    def _newest_invite(
        self, agent: _Agent, receiver: str | None, call: str | None
    ) -> ClientTransaction | None:
        """The newest INVITE ``agent`` sent to ``receiver`` (to anyone: None) in a call."""
        for ctx in reversed(agent.client_txns.values()):
            if (
                ctx.method == "INVITE"
                and (receiver is None or ctx.peer == receiver)
                and (call is None or ctx.call == call)
            ):
                return ctx
        return None

    def _send_ack(self, agent: _Agent, i: int, receiver: str, dst: Address) -> None:
        m = self.messages[i]
        link = self.links[i]
        if link is not None and link.forwards is not None and link.forwards in agent.rx:
            received = agent.rx[link.forwards].message
            msg = self._build_forward(agent, i, received)
            data = msg.to_bytes()
            branch = sipwire.parse_via_branch(_hdr(received, "via") or "") or ""
            agent.ack_forwarded[branch] = (data, dst, i)
            self.transmit(agent, "sip", data, dst, i, drawn_lost=m.lost)
            return
        ctx = None
        if link is not None and link.transaction is not None:
            ctx = agent.client_by_msg.get(link.transaction.request)
        call = self.resolved[i].call
        if ctx is None:
            ctx = self._newest_invite(agent, receiver, call)
        if ctx is None:  # an end-to-end ACK to the UAS itself, past a proxy
            ctx = self._newest_invite(agent, None, call)
        if ctx is None or ctx.final_message is None:
            raise _CannotExecute(
                f"{self.describe(i)}: {agent.name} has no final response to acknowledge"
            )
        req, final = ctx.request, ctx.final_message
        number = (sipwire.parse_cseq(_hdr(req, "cseq") or "") or (1, ""))[0]
        if 200 <= (ctx.final or 0) < 300:
            dialog = agent.dialogs.get(ctx.dialog_key) if ctx.dialog_key is not None else None
            branch = sipwire.new_branch(self.rng)
            if dialog is not None:
                ruri, routes = dialog.remote_target, list(dialog.route_set)
            else:
                contact = _hdr(final, "contact")
                ruri = (sipwire.uri_of(contact) if contact else None) or req.request_uri or ""
                routes = list(reversed(_hdrs(final, "record-route")))
            via = sipwire.via_value(agent.ip, agent.sip_port, branch)
        else:
            ruri, routes = req.request_uri or "", _hdrs(req, "route")
            via = _hdr(req, "via") or ""
        msg = SipMessage(sipwire.request_line("ACK", ruri))
        msg.headers = [
            ("Via", via),
            ("Max-Forwards", "70"),
            ("From", _hdr(req, "from") or ""),
            ("To", _hdr(final, "to") or ""),
            ("Call-ID", _hdr(req, "call-id") or ""),
            ("CSeq", sipwire.cseq_value(number, "ACK")),
        ]
        msg.headers += [("Route", r) for r in routes]
        self._apply_written(msg, self.resolved[i].headers if agent.is_ua else m.headers)
        call = self.resolved[i].call or MAIN_CALL
        if self.resolved[i].sdp or self.resolved[i].body:
            self._attach_body(agent, i, msg, call, None)
        data = msg.to_bytes()
        ctx.ack = (data, dst, i)
        self.transmit(agent, "sip", data, dst, i, drawn_lost=m.lost)

    def _send_response(self, agent: _Agent, i: int, receiver: str, dst: Address) -> None:
        m = self.messages[i]
        link = self.links[i]
        status = m.code or 0
        answered = link.transaction.request if link is not None and link.transaction else None
        upstream = agent.rx.get(answered) if answered is not None else None
        if link is not None and link.relays is not None and link.relays in self.unrecovered:
            self._never_arrives(i)  # the provisional it relays never reached this proxy
            return
        if link is not None and link.relays is not None and link.relays in agent.rx:
            rx = agent.rx[link.relays]
            msg = rx.message.copy()
            msg.remove_header("Via", first_only=True)
            self._apply_written(msg, m.headers)
            data = msg.to_bytes()
            sent = (data, dst, i)
            if rx.client is not None:
                rx.client.relayed[_response_key(msg)] = sent
            if self.transmit(agent, "sip", data, dst, i, drawn_lost=m.lost):
                self._check_recoverable(i, receiver, msg, status)
            if upstream is not None and upstream.server is not None:
                self._response_sent(agent, upstream.server, status, sent, proxy=True)
            return
        if upstream is None or upstream.server is None:
            raise _CannotExecute(
                f"{self.describe(i)}: {agent.name} received no request this response answers"
            )
        stx = upstream.server
        request = upstream.message
        to_tag = None
        if status > 100:
            if stx.to_tag is None:
                stx.to_tag = sipwire.tag_of(_hdr(request, "to") or "") or sipwire.new_tag(self.rng)
            to_tag = stx.to_tag
        reason = m.reason if m.reason else REASON_PHRASES.get(status, "")
        msg = sipwire.make_response(request, status, reason, to_tag=to_tag)
        method = request.method or ""
        if agent.is_ua and 101 <= status <= 299 and method in _DIALOG_METHODS | {"UPDATE"}:
            msg.headers.append(("Contact", agent.contact))
        res = self.resolved[i]
        self._apply_written(msg, res.headers)
        call = res.call or MAIN_CALL
        dialog = None
        info = self.model.infos[answered] if answered is not None else None
        dkey = info.chain.dialog.key if info and info.chain and info.chain.dialog else None
        if agent.is_ua and dkey is not None:
            dialog = agent.dialogs.get(dkey)
        self._attach_body(agent, i, msg, call, dialog)
        data = msg.to_bytes()
        sent = (data, dst, i)
        if self.transmit(agent, "sip", data, dst, i, drawn_lost=m.lost) and not m.lost:
            self._check_recoverable(i, receiver, msg, status)
        if m.lost:
            agent.lost_hop[(receiver, m.name, res.call)] = (sent, stx)
        else:
            self._retransmit_reliable(agent, stx, sent)
        self._response_sent(agent, stx, status, sent, proxy=not agent.is_ua)
        creates = method in _DIALOG_METHODS and 101 <= status <= 299 and to_tag is not None
        if agent.is_ua and creates and dkey is not None and dkey not in agent.dialogs:
            contact = _hdr(request, "contact")
            agent.dialogs[dkey] = _Dialog(
                local_uri=sipwire.uri_of(_hdr(request, "to") or "") or agent.uri,
                local_tag=to_tag,
                remote_uri=sipwire.uri_of(_hdr(request, "from") or "") or "",
                remote_tag=sipwire.tag_of(_hdr(request, "from") or ""),
                remote_target=(sipwire.uri_of(contact) if contact else None)
                or sipwire.uri_of(_hdr(request, "from") or "")
                or "",
                route_set=_hdrs(request, "record-route"),
                local_cseq=0,
                local_contact=_hdr(msg, "contact"),
            )

    def _check_recoverable(self, i: int, receiver: str, msg: SipMessage, status: int) -> None:
        """A provisional response to INVITE that ``--loss`` dropped comes back only if the
        client still retransmits its INVITE, i.e. has seen no provisional response yet
        (RFC 3261 §17.1.1.2), or if it is reliable (its UAS retransmits it until the PRACK,
        and each proxy forwards every copy); otherwise it is lost for good and the run goes
        on without it."""
        if not 101 <= status <= 199 or self._reliable(i) is not None:
            return
        cseq = sipwire.parse_cseq(_hdr(msg, "cseq") or "")
        peer = self.agents.get(receiver)
        if cseq is None or cseq[1] != "INVITE" or peer is None:
            return
        branch = sipwire.parse_via_branch(_hdr(msg, "via") or "") or ""
        ctx = peer.client_txns.get((branch, "INVITE"))
        if ctx is None or not any(seen[0] < 200 for seen in ctx.seen):
            return
        self.diag(
            "RUN111",
            self.messages[i].loc,
            f"{self.describe(i)} was dropped by --loss and nothing brings it back: {receiver} "
            "had already received a provisional response, so its INVITE is no longer "
            "retransmitted (RFC 3261 §17.1.1.2); the run goes on without it",
            Severity.WARNING,
        )
        self._never_arrives(i)

    def _reliable(self, i: int) -> Provisional | None:
        """The reliable provisional (RFC 3262) that message ``i`` is a hop of, as the SIP
        model found it (sip-rules.md §1.9); None for anything else, and for one with a
        malformed RSeq (no PRACK can name it)."""
        info = self.model.infos[i]
        rchain = info.response_chain if info is not None else None
        provisional = self.reliable.by_response.get(rchain.index) if rchain is not None else None
        return provisional if provisional is not None and provisional.rseq is not None else None

    def _retransmit_reliable(self, agent: _Agent, stx: ServerTransaction, sent: Sent) -> None:
        """RFC 3262 §3: a UAS retransmits a reliable provisional response at T1, doubling
        (no T2 cap), until the PRACK naming its RSeq; after 64*T1 without one, RUN108."""
        i = sent[2]
        provisional = self._reliable(i)
        if provisional is None or provisional.rseq is None or not agent.is_ua:
            return
        request = stx.request
        cseq = sipwire.parse_cseq(_hdr(request, "cseq") or "")
        key = (_hdr(request, "call-id") or "", cseq[0] if cseq else -1, provisional.rseq)
        t = self.timers

        def no_prack() -> None:
            agent.pending_prack.pop(key, None)
            if not self.finished.done():
                self.fail(
                    "RUN108",
                    self.messages[i].loc,
                    f"{agent.name} got no PRACK for {self.describe(i)} within 64*T1 = "
                    f"{t.give_up:g}s (RFC 3262 §3); {self._retries(i, agent)}",
                )

        previous = agent.pending_prack.pop(key, None)
        if previous is not None:
            previous.stop()
        agent.pending_prack[key] = Retransmitter(
            first=t.t1,
            cap=None,
            give_up=t.give_up,
            resend=lambda: self.resend(agent, "sip", sent),
            on_give_up=no_prack,
        )

    def _prack_received(self, agent: _Agent, msg: SipMessage) -> None:
        """A PRACK reached its UAS: the reliable provisional its RAck names is no longer
        retransmitted."""
        rack = parse_rack(_hdr(msg, "rack") or "")
        if rack is None:
            return
        timer = agent.pending_prack.pop((_hdr(msg, "call-id") or "", rack[1], rack[0]), None)
        if timer is not None:
            timer.stop()

    def _never_arrives(self, i: int) -> None:
        """Message ``i`` is lost for good: nobody waits for it any more (and a relay of it
        is never sent)."""
        self.unrecovered.add(i)
        for r in self.messages[i].receivers:
            if r.text in self.agents and (i, r.text) not in self.taken:
                self.taken.add((i, r.text))
                self.mark_received(i, r.text)

    def _response_sent(
        self, agent: _Agent, stx: ServerTransaction, status: int, sent: Sent, *, proxy: bool
    ) -> None:
        stx.last_response = sent
        if status < 200:
            return
        stx.final = status
        if stx.method != "INVITE":
            return
        t = self.timers
        if status >= 300:
            stx.stop()

            def no_ack() -> None:
                if not stx.acked and not self.finished.done():
                    self.fail(
                        "RUN108",
                        self.messages[sent[2]].loc,
                        f"{agent.name} got no ACK for {self.describe(sent[2])} within 64*T1 = "
                        f"{t.give_up:g}s (Timer H)",
                    )

            stx.timer = Retransmitter(
                first=t.t1,
                cap=t.t2,
                give_up=t.give_up,
                resend=lambda: self.resend(agent, "sip", sent),
                on_give_up=no_ack,
            )
        elif not proxy:
            # RFC 3261 §13.3.1.4: the UAS retransmits its 2xx until the ACK
            request = stx.request
            cseq = sipwire.parse_cseq(_hdr(request, "cseq") or "") or (0, "")
            agent.pending_2xx[(_hdr(request, "call-id") or "", cseq[0])] = stx
            stx.stop()

            def no_2xx_ack() -> None:
                if not stx.acked and not self.finished.done():
                    self.fail(
                        "RUN108",
                        self.messages[sent[2]].loc,
                        f"{agent.name} got no ACK for {self.describe(sent[2])} within 64*T1 = "
                        f"{t.give_up:g}s",
                    )

            stx.timer = Retransmitter(
                first=t.t1,
                cap=t.t2,
                give_up=t.give_up,
                resend=lambda: self.resend(agent, "sip", sent),
                on_give_up=no_2xx_ack,
            )
            if agent.open_invites and agent.open_invites[-1][1] is stx:
                agent.open_invites.pop()
        else:
            agent.open_invites = [(c, s) for c, s in agent.open_invites if s is not stx]

    def _apply_written(self, msg: SipMessage, headers: tuple[ir.Header, ...]) -> None:
        """The headers the flow writes, sent as written (logical names made real)."""
        for header in headers:
            if header.key in _NOT_WRITTEN:
                continue
            msg.set_header(header.name, self._substitute(header))

    # ------------------------------------------------------------------ bodies
    def _media_of(self, agent: _Agent, call: str) -> tuple[str, int]:
        """Where ``agent``'s media for ``call`` ends: itself, or its ``media=`` entity at
        the address and port that entity's H.248 reply gave."""
        if agent.media_entity:
            if call in agent.media:
                return agent.media[call]
            if agent.last_media is not None:
                return agent.last_media
            host = self.plan.hosts.get(agent.media_entity, agent.ip)
            return host, self.plan.rtp_port(agent.media_entity)
        return agent.ip, self.plan.rtp_port(agent.name)

    def _session(self, agent: _Agent, call: str) -> tuple[int, int]:
        session = agent.sdp_sessions.get(call)
        if session is None:
            session = agent.sdp_sessions[call] = [self.rng.getrandbits(31), 0]
        else:
            session[1] += 1
        return session[0], session[0] + session[1]

    def _attach_body(
        self, agent: _Agent, i: int, msg: SipMessage, call: str, dialog: _Dialog | None
    ) -> None:
        res = self.resolved[i]
        kind = res.sdp
        written_type = res.header("Content-Type")
        if kind == "offer" or (kind == "answer" and call not in agent.last_sdp):
            address, port = self._media_of(agent, call)
            session, version = self._session(agent, call)
            codecs = self._codecs(agent, i)
            msg.body = sdp.make_offer(
                session_id=session, address=address, port=port, codecs=codecs, version=version
            )
            ctype = "application/sdp"
            self._advertise(call, address, port)
        elif kind == "answer":
            address, port = self._media_of(agent, call)
            session, version = self._session(agent, call)
            msg.body = sdp.make_answer(
                agent.last_sdp[call], session_id=session, address=address, port=port,
                version=version,
            )  # fmt: skip
            ctype = "application/sdp"
            self._advertise(call, address, port)
        elif res.body is not None:
            entity = dialog.local_uri if dialog is not None else agent.uri
            version = 1
            if dialog is not None:
                dialog.conference_version += 1
                version = dialog.conference_version
            ctype, msg.body = bodies.body_from_param(
                res.body,
                written_type,
                conference_entity=entity,
                version=version,
                user_uri=lambda name: self.user_uris.get(name.lower(), f"sip:{name}@{agent.ip}"),
            )
        else:
            return
        if written_type is None:
            msg.set_header("Content-Type", ctype)

    def _advertise(self, call: str, address: str, port: int) -> None:
        """Tell the media plane which RTP address an SDP body gave in ``call``."""
        if self.media_plane is not None:
            self.media_plane.advertise(call, (address, port))

    def _codecs(self, agent: _Agent, i: int) -> list[str]:
        """What an offer proposes: the codec of the next ``media`` statement of the
        offering entity (or of the entity terminating its media), else the scenario's first
        media codec, else PCMU."""
        names = {agent.name, agent.media_entity}
        for statement in self.statements[self.stmt_of[i] + 1 :]:
            if not isinstance(statement, ir.MediaStart):
                continue
            if names.intersection((statement.a.text, statement.b.text)):
                codec = (statement.attribute("codec") or "PCMU").upper()
                if codec in sdp.CODECS:
                    return [codec]
                break
        if self._codec_choice is None:
            self._codec_choice = ["PCMU"]
            for statement in self.statements:
                if isinstance(statement, ir.MediaStart):
                    codec = (statement.attribute("codec") or "").upper()
                    if codec in sdp.CODECS:
                        self._codec_choice = [codec]
                        break
        return list(self._codec_choice)

    # ------------------------------------------------------------------ H.248
    def _send_h248(self, agent: _Agent, i: int, receiver: str) -> None:
        m = self.messages[i]
        dst = self.plan.address(receiver, "h248")
        mid = h248.mid_for(agent.ip, self.plan.h248_port)
        kind = h248.classify_name(m.name)
        if kind is None:
            raise _CannotExecute(f"{self.describe(i)}: {m.name} is not an H.248 command")
        command, is_reply = kind
        words = " ".join(p.value.lower() for p in m.free_params)
        if not is_reply:
            tid = agent.next_tid
            agent.next_tid += 1
            call = self._setting_up(agent)
            context = agent.current_context.get(receiver)
            if command == "Add":
                remote = agent.last_sdp.get(call) if call is not None else None
                new = "new context" in words or context is None
                data = h248.add_request(
                    transaction_id=tid, mid=mid, context="$" if new else context,
                    remote_sdp=remote,
                )  # fmt: skip
            elif command == "Subtract":
                termination = "*"
                if "all" not in words:
                    gone = agent.last_bye_call
                    if gone is not None and gone in agent.terminations:
                        termination = agent.terminations.pop(gone)
                        call = gone
                data = h248.subtract_request(
                    transaction_id=tid, mid=mid, context_id=context or "-", termination=termination
                )
            elif command == "Modify":
                termination = agent.terminations.get(call or "", "*")
                data = h248.modify_request(
                    transaction_id=tid, mid=mid, context_id=context or "-",
                    termination_id=termination,
                    remote_sdp=agent.last_sdp.get(call) if call is not None else None,
                )  # fmt: skip
            elif command == "Notify":
                termination = next(iter(agent.contexts.get(context or "", [])), "ROOT")
                data = h248.notify_request(
                    transaction_id=tid, mid=mid, termination_id=termination,
                    context_id=context or "-",
                )  # fmt: skip
            elif command == "ServiceChange":
                data = h248.service_change_request(transaction_id=tid, mid=mid)
            else:
                raise _CannotExecute(f"{self.describe(i)}: callflow does not execute {command}")
            request = H248Request(tid, i, receiver, (data, dst, i), call)
            agent.h248_out[(receiver, tid)] = request
            self.transmit(agent, "h248", data, dst, i, drawn_lost=m.lost)
            if not m.lost:
                self._start_h248_timer(agent, request)
            return
        key = self._h248_request_for(agent, receiver, command)
        if key is None:
            raise _CannotExecute(f"{self.describe(i)}: {receiver} sent no {command} to answer")
        record = agent.h248_in[key]
        req = record.message
        tid = req.transaction_id
        if command == "Add":
            context = req.context_id
            if context in ("$", "-", "*"):
                context = str(agent.next_context)
                agent.next_context += 1
            termination = req.commands[0][1] if req.commands else "$"
            if termination in ("$", "*", ""):
                termination = f"RTP/{agent.next_termination:05d}"
                agent.next_termination += 1
            agent.contexts.setdefault(context, []).append(termination)
            port = agent.next_rtp
            agent.next_rtp += 2
            if req.remote_sdp:
                local = sdp.make_answer(
                    req.remote_sdp, session_id=self.rng.getrandbits(31), address=agent.ip,
                    port=port,
                )  # fmt: skip
            else:
                local = sdp.make_offer(
                    session_id=self.rng.getrandbits(31), address=agent.ip, port=port
                )
            data = h248.add_reply(
                transaction_id=tid, mid=mid, context_id=context, termination_id=termination,
                local_sdp=local,
            )  # fmt: skip
        elif command == "Subtract":
            context = req.context_id
            asked = req.commands[0][1] if req.commands else "*"
            present = agent.contexts.get(context, [])
            if asked in ("*", "$", ""):
                removed = list(present)
                agent.contexts.pop(context, None)
            else:
                removed = [asked]
                if asked in present:
                    present.remove(asked)
            data = h248.subtract_reply(
                transaction_id=tid, mid=mid, context_id=context, termination_ids=removed or ["*"]
            )
        elif command == "Modify":
            data = h248.modify_reply(
                transaction_id=tid, mid=mid, context_id=req.context_id,
                termination_id=req.commands[0][1] if req.commands else "*",
            )  # fmt: skip
        elif command == "Notify":
            data = h248.notify_reply(
                transaction_id=tid, mid=mid,
                termination_id=req.commands[0][1] if req.commands else "ROOT",
                context_id=req.context_id,
            )  # fmt: skip
        elif command == "ServiceChange":
            data = h248.service_change_reply(transaction_id=tid, mid=mid)
        else:
            raise _CannotExecute(f"{self.describe(i)}: callflow does not execute {command}")
        record.reply = (data, dst, i)
        agent.h248_unanswered.remove(key)
        self.transmit(agent, "h248", data, dst, i, drawn_lost=m.lost)

    def _setting_up(self, agent: _Agent) -> str | None:
        """The call whose dialog ``agent`` is setting up (its newest unanswered INVITE)."""
        for call, stx in reversed(agent.open_invites):
            if stx.final is None or stx.final < 200:
                return call
        return agent.open_invites[-1][0] if agent.open_invites else None

    def _h248_request_for(self, agent: _Agent, peer: str, command: str) -> tuple[str, int] | None:
        for key in reversed(agent.h248_unanswered):
            record = agent.h248_in[key]
            if key[0] == peer and (
                not record.message.commands or record.message.commands[0][0] == command
            ):
                return key
        return None

    def _start_h248_timer(self, agent: _Agent, request: H248Request) -> None:
        t = self.timers
        expects_reply = any(
            self.messages[j].sender.text == request.peer
            and (h248.classify_name(self.messages[j].name) or ("", False))[1]
            for j in range(request.stmt + 1, len(self.messages))
        )

        def give_up() -> None:
            if not request.replied and expects_reply and not self.finished.done():
                self.fail(
                    "RUN108",
                    self.messages[request.stmt].loc,
                    f"{agent.name} had no reply to {self.describe(request.stmt)} after "
                    f"{t.give_up:g}s; {self._retries(request.stmt, agent)}",
                )

        request.timer = Retransmitter(
            first=t.t1,
            cap=t.t2,
            give_up=t.give_up,
            resend=lambda: self.resend(agent, "h248", request.sent),
            on_give_up=give_up,
        )

    def _on_h248(self, agent: _Agent, data: bytes, src: Address, sender: str | None) -> None:
        try:
            mm = h248.parse_megaco(data)
        except h248.MegacoError as error:
            self._garbled(agent, src, "h248", str(error))
            return
        stats = self.stats[agent.name]
        peer = sender or f"{src[0]}:{src[1]}"
        if mm.kind == "request":
            record = agent.h248_in.get((peer, mm.transaction_id))
            if record is not None:
                stats.duplicates += 1
                if record.reply is not None:
                    self.resend(agent, "h248", record.reply)
                return
        elif mm.kind == "reply":
            request = agent.h248_out.get((peer, mm.transaction_id))
            if request is not None and request.replied:
                stats.duplicates += 1
                return
        elif mm.kind in ("pending", "ack"):
            stats.duplicates += 1
            return
        command = mm.commands[0][0] if mm.commands else "?"
        summary = f"H.248 {command}{' reply' if mm.kind == 'reply' else ''}"
        if mm.kind == "error" or mm.error_code is not None:
            summary += f" (error {mm.error_code} {mm.error_text or ''})".rstrip()

        def identity(j: int) -> bool:
            kind = h248.classify_name(self.messages[j].name)
            if kind is None or mm.error_code is not None:
                return False
            if kind[1] != (mm.kind == "reply"):
                return False
            if mm.kind == "reply" and (peer, mm.transaction_id) not in agent.h248_out:
                return False
            return not mm.commands or mm.commands[0][0] == kind[0]

        j = self._deliver(agent, "h248", mm, src, sender, identity, lambda j: None, summary)
        if j is None:
            return
        agent.rx[j] = _Rx(mm, src)
        if mm.kind == "request":
            agent.h248_in[(peer, mm.transaction_id)] = _H248In(mm, src)
            agent.h248_unanswered.append((peer, mm.transaction_id))
        else:
            request = agent.h248_out[(peer, mm.transaction_id)]
            request.replied = True
            request.stop()
            if mm.context_id not in ("$", "-", "*", ""):
                agent.current_context[peer] = mm.context_id
            if mm.commands and mm.commands[0][0] == "Add":
                if request.call is not None:
                    agent.terminations[request.call] = mm.commands[0][1]
                if mm.local_sdp:
                    try:
                        info = sdp.parse_sdp(mm.local_sdp)
                    except sdp.SdpError as error:
                        self.fail(
                            "RUN104",
                            self.messages[j].loc,
                            f"{agent.name} received an Add reply whose local SDP does not "
                            f"parse: {error}",
                        )
                        raise RunAborted from None
                    media = (info.address, info.port)
                    agent.last_media = media
                    if request.call is not None:
                        agent.media[request.call] = media
        self.mark_received(j, agent.name)

    # ------------------------------------------------------------------ other protocols
    def _send_generic(self, agent: _Agent, i: int, receiver: str, protocol: str) -> None:
        m = self.messages[i]
        lines = [
            f"CALLFLOW/1 {m.name}",
            f"Protocol: {protocol}",
            f"From: {agent.name}",
            f"To: {receiver}",
            f"Message: {i + 1}",
        ]
        for param in m.params:
            if param.key is None:
                lines.append(f"Param: {param.value}")
            elif param.key.lower() != "protocol":
                lines.append(f"{param.key}: {param.value}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        dst = self.plan.address(receiver, protocol)
        self.transmit(agent, protocol, data, dst, i, drawn_lost=m.lost)

    def _on_generic(
        self, agent: _Agent, protocol: str, data: bytes, src: Address, sender: str | None
    ) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self._garbled(agent, src, protocol, "not UTF-8 text")
            return
        head, _, rest = text.partition("\r\n")
        if not head.startswith("CALLFLOW/1 ") or len(head) <= len("CALLFLOW/1 "):
            self._garbled(agent, src, protocol, f"expected 'CALLFLOW/1 NAME', got {head[:40]!r}")
            return
        name = head[len("CALLFLOW/1 ") :]
        fields: dict[str, str] = {}
        for line in rest.split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                fields.setdefault(key.lower(), value)
        number = fields.get("message", "")

        def identity(j: int) -> bool:
            return self.messages[j].name == name and (not number or number == str(j + 1))

        j = self._deliver(agent, protocol, fields, src, sender, identity, lambda j: None, name)
        if j is None:
            return
        agent.rx[j] = _Rx(fields, src)
        self.mark_received(j, agent.name)


class _CannotExecute(ValueError):
    """A statement the engine cannot turn into a datagram."""


_BUILD_ERRORS = (
    _CannotExecute,
    ValueError,
    sdp.SdpError,
    bodies.BodyError,
    h248.MegacoError,
)


def _response_key(msg: SipMessage) -> ResponseKey:
    """How a client transaction tells responses apart: status, To tag and RSeq (copies
    of one reliable provisional share its RSeq, RFC 3262 §4)."""
    rseq = parse_rseq(_hdr(msg, "rseq"))
    return (msg.status or 0, sipwire.tag_of(_hdr(msg, "to") or ""), rseq)


def _hdr(msg: SipMessage, key: str) -> str | None:
    """The first value of a header (``key`` in lower case, full name). Parsed messages
    have compact names expanded and list headers split, so no re-scan is needed."""
    for name, value in msg.headers:
        if name.lower() == key:
            return value
    return None


def _hdrs(msg: SipMessage, key: str) -> list[str]:
    """Every value of a list header (Route, Record-Route), one per entry."""
    return [value for name, value in msg.headers if name.lower() == key]


def _norm(value: str) -> str:
    return " ".join(value.split())


def _who(src: Address, owners: Mapping[Address, str]) -> str:
    name = owners.get(src)
    return f"{name} ({src[0]}:{src[1]})" if name else f"{src[0]}:{src[1]}"


def _os_reason(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "address already in use (another program, or another callflow run, has it)"
    if error.errno == errno.EADDRNOTAVAIL:
        return "address not available on this host (loopback 127.0.0.0/8 needed)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


# ---------------------------------------------------------------------------- public API


def new_seed() -> int:
    """A seed for a run given none (printed in the report so it can be repeated)."""
    return random.SystemRandom().randrange(1, 2**31)


async def execute(
    flow: ir.Flow, scenario: ir.Scenario, options: RunOptions, *, seed: int | None = None
) -> ScenarioRun:
    """Run one scenario in the running event loop."""
    chosen = seed if seed is not None else options.seed if options.seed is not None else new_seed()
    runner = _Runner(flow, scenario, options, chosen)
    return await runner.run()


def run_scenario(flow: ir.Flow, scenario: ir.Scenario, options: RunOptions) -> ScenarioRun:
    """Run one scenario in a fresh event loop; every socket is closed on return, also
    after an error, a timeout or Ctrl-C (KeyboardInterrupt propagates)."""
    return asyncio.run(execute(flow, scenario, options))


__all__ = [
    "RUN_CODES",
    "Datagram",
    "EntityStats",
    "RunOptions",
    "ScenarioRun",
    "TraceEvent",
    "execute",
    "new_seed",
    "run_scenario",
]
