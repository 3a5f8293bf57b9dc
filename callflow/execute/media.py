"""The media plane of a run: real RTP between participants and mixers, on loopback.

Media has its own clock (fdl.md section 6): signalling takes no media time, and every
statement that changes media (``media``, ``media stop``, ``mixes``, ``stops mixing``) is
followed by ``--media-seconds`` of audio in the new configuration: a *segment*. A segment is
a run of *ticks*, one packet interval (``ptime``) each. In every tick:

1. each participant sends one G.711 frame of its voice on each of its open streams;
2. each mixer takes one frame from every source's jitter buffer, computes for every party
   it mixes the sum of all the *other* parties (:func:`callflow.media.mixer.mix_minus_g711`),
   and sends it back; parties it does not mix (and everyone, before the first ``mixes`` and
   after ``stops mixing``) get silence;
3. each participant takes one frame from each of its jitter buffers: what it heard.

A tick waits for its datagrams to arrive (never for a timer), so media runs much faster than
real time unless ``--realtime`` paces the ticks at ``ptime``. The pcap still shows the media
at its real pace: RTP datagrams carry media-clock stamps (tick x ptime) and the signalling
after a segment is shifted by the segment's length.

Addresses are the ones the executed SDP negotiated: every SDP body the run builds is
recorded (call, address); ``media A <-> B`` streams between the newest addresses of A and B
advertised in one call (the MRFC's answer carries the MRFP's address from its H.248 reply).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from callflow import ir
from callflow.execute.addresses import AddressPlan
from callflow.media import g711
from callflow.media.mixer import mix_minus_g711
from callflow.media.rtp import JitterBuffer, RtpError, RtpSender, parse_rtp
from callflow.media.voice import Voice, VoiceError, load_voice, tone_voice
from callflow.sip.model import NON_UA_ROLES

Address = tuple[str, int]
SAMPLE_RATE = 8000
#: how long one tick waits for its datagrams before it goes on without them (seconds)
ARRIVAL_TIMEOUT = 1.0

MEDIA_STATEMENTS = (ir.MediaStart, ir.MediaStop, ir.Mix, ir.StopMixing)


class MediaError(ValueError):
    """A media statement the plane cannot execute (the runner reports it)."""

    def __init__(self, message: str, loc: ir.SourceLocation, code: str = "RUN109") -> None:
        super().__init__(message)
        self.loc = loc
        self.code = code


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One direction of an RTP stream pair, as it went."""

    sender: str
    receiver: str
    src: Address
    dst: Address
    codec: str
    ssrc: int
    packets_sent: int
    packets_received: int
    lost: int
    duplicates: int
    late: int


@dataclass(frozen=True, slots=True)
class MediaSegment:
    """``--media-seconds`` of audio after one media statement, in that configuration."""

    index: int
    start: float  # seconds on the media clock
    end: float
    loc: ir.SourceLocation
    statement: str
    streams: tuple[tuple[str, str, str], ...]  # (a, b, codec), open during the segment
    mixing: tuple[tuple[str, tuple[str, ...] | None], ...]  # mixer -> parties (None: silent)
    # measurements (not in the timeline, which stays byte-identical run after run)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # the whole process
    mix_cpu_seconds: float = 0.0  # the mixing step alone


@dataclass(frozen=True)
class MediaResult:
    """What the media plane of one scenario produced."""

    sample_rate: int
    ptime_ms: int
    media_seconds: float
    realtime: bool
    voices: Mapping[str, str]  # participant -> description of its voice
    frequencies: Mapping[str, float]  # participant -> tone frequency (tone voices only)
    mixers: tuple[str, ...]
    heard: Mapping[str, npt.NDArray[np.int16]]
    sent: Mapping[str, npt.NDArray[np.int16]]
    segments: tuple[MediaSegment, ...]
    streams: tuple[StreamInfo, ...]
    mix_cpu_seconds: float  # CPU time spent in the mixing step (decode, mix, encode)
    wall_seconds: float  # wall-clock time the segments took

    def summary(self) -> dict[str, Any]:
        """The figures the run report shows."""
        return {
            "seconds": self.segments[-1].end if self.segments else 0.0,
            "segments": len(self.segments),
            "streams": len(self.streams),
            "rtp_packets": sum(s.packets_sent for s in self.streams),
            "rtp_lost": sum(s.lost for s in self.streams),
            "mixer_cpu_s": round(self.mix_cpu_seconds, 6),
            "media_wall_s": round(self.wall_seconds, 6),
        }

    def timeline(self) -> dict[str, Any]:
        """The JSON-able timeline written beside the WAV files."""
        return {
            "sample_rate": self.sample_rate,
            "ptime_ms": self.ptime_ms,
            "media_seconds": self.media_seconds,
            "duration": self.segments[-1].end if self.segments else 0.0,
            "participants": {
                name: {
                    "voice": self.voices[name],
                    **({"frequency": self.frequencies[name]} if name in self.frequencies else {}),
                    "heard": f"heard-{name}.wav",
                    "sent": f"sent-{name}.wav",
                }
                for name in self.voices
            },
            "mixers": list(self.mixers),
            "segments": [
                {
                    "index": seg.index,
                    "start": seg.start,
                    "end": seg.end,
                    "line": seg.loc.line,
                    "file": seg.loc.file,
                    "statement": seg.statement,
                    "streams": [{"a": a, "b": b, "codec": codec} for a, b, codec in seg.streams],
                    "mixing": {
                        mixer: list(parties) if parties is not None else None
                        for mixer, parties in seg.mixing
                    },
                }
                for seg in self.segments
            ],
            "streams": [
                {
                    "from": s.sender,
                    "to": s.receiver,
                    "src": f"{s.src[0]}:{s.src[1]}",
                    "dst": f"{s.dst[0]}:{s.dst[1]}",
                    "codec": s.codec,
                    "ssrc": f"0x{s.ssrc:08X}",
                    "packets_sent": s.packets_sent,
                    "packets_received": s.packets_received,
                    "lost": s.lost,
                    "duplicates": s.duplicates,
                    "late": s.late,
                }
                for s in self.streams
            ],
        }


@dataclass(slots=True)
class _Direction:
    """One direction of an open stream: its sender state and the receiver's buffer."""

    sender: str
    receiver: str
    src: Address
    dst: Address
    codec: str
    rtp: RtpSender
    buffer: JitterBuffer
    received: int = 0


@dataclass(slots=True)
class _Stream:
    a: str
    b: str
    codec: str
    forward: _Direction  # a -> b
    backward: _Direction  # b -> a


@dataclass(slots=True)
class _Recording:
    """Frames by global tick; missing ticks are silence."""

    frames: dict[int, npt.NDArray[np.int16]] = field(default_factory=dict)

    def add(self, tick: int, frame: npt.NDArray[np.int16]) -> None:
        have = self.frames.get(tick)
        if have is None:
            self.frames[tick] = frame
        else:
            total = have.astype(np.int32) + frame
            self.frames[tick] = np.clip(total, -32768, 32767).astype(np.int16)

    def samples(self, ticks: int, frame: int) -> npt.NDArray[np.int16]:
        out = np.zeros(ticks * frame, dtype=np.int16)
        for tick, data in self.frames.items():
            out[tick * frame : (tick + 1) * frame] = data
        return out


class _RtpEndpoint(asyncio.DatagramProtocol):
    def __init__(self, plane: MediaPlane, local: Address) -> None:
        self.plane, self.local = plane, local

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.plane.on_rtp(self.local, data, (str(addr[0]), int(addr[1])))


def media_roles(
    architecture: ir.Architecture, statements: tuple[ir.Statement, ...] | list[ir.Statement]
) -> tuple[list[str], list[str]]:
    """(mixers, voice order): mixers are entities that mix somewhere in the scenario or
    terminate another entity's media (``media=``); every other user agent is a participant,
    numbered in declaration order so its test tone is the same in every scenario."""
    mixers: set[str] = set()
    for statement in statements:
        if isinstance(statement, ir.Mix | ir.StopMixing):
            mixers.add(statement.mixer.text)
    delegating = set()
    for entity in architecture.entities:
        target = entity.attribute("media")
        if target:
            mixers.add(target)
            delegating.add(entity.name)
    order = [
        e.name
        for e in architecture.entities
        if e.name not in mixers
        and e.name not in delegating
        and (e.role or "ue") not in NON_UA_ROLES
    ]
    return [e.name for e in architecture.entities if e.name in mixers], order


class MediaPlane:
    """Streams, mixers and recordings of one scenario run (owned by the runner)."""

    def __init__(
        self,
        *,
        architecture: ir.Architecture,
        statements: list[ir.Statement],
        plan: AddressPlan,
        seed_rng: Callable[[int], int],
        loss: Callable[[str, int], bool],
        record: Callable[[float, float, Address, Address, bytes, str, str, bool], None],
        clock: Callable[[], float],
        media_seconds: float,
        realtime: bool,
    ) -> None:
        self.plan = plan
        self.random_bits = seed_rng
        self.loss = loss
        self.record = record
        self.clock = clock
        self.media_seconds = media_seconds
        self.realtime = realtime
        self.entities = {e.name: e for e in architecture.entities}
        self.mixer_names, voice_order = media_roles(architecture, statements)
        self.mixers = set(self.mixer_names)
        self.voice_index = {name: k for k, name in enumerate(voice_order)}
        self.ptime_ms = self._ptime(statements)
        self.frame = SAMPLE_RATE * self.ptime_ms // 1000
        self.voices: dict[str, Voice] = {}
        self.frequencies: dict[str, float] = {}
        self.positions: dict[str, int] = {}
        self.advertised: dict[str, dict[str, Address]] = {}  # call -> owner -> address
        self.advert_order: list[str] = []
        self.streams: dict[frozenset[str], _Stream] = {}
        self.finished_streams: list[StreamInfo] = []
        self.mixing: dict[str, tuple[str, ...] | None] = dict.fromkeys(self.mixer_names)
        self.sockets: dict[Address, asyncio.DatagramTransport] = {}
        self.by_path: dict[tuple[Address, Address], _Direction] = {}
        self.heard: dict[str, _Recording] = {}
        self.sent: dict[str, _Recording] = {}
        self.segments: list[MediaSegment] = []
        self.tick = 0
        self.media_clock = 0.0
        self.mix_cpu = 0.0
        self.wall = 0.0
        self.problems: list[MediaError] = []
        self._expected = 0
        self._arrived = 0
        self._waiter: asyncio.Future[None] | None = None
        self._base = 0.0
        self._one_segment = asyncio.Lock()
        self.silence = {codec: bytes([value]) * self.frame for codec, value in g711.SILENCE.items()}

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _ptime(statements: list[ir.Statement]) -> int:
        chosen: tuple[int, ir.MediaStart] | None = None
        for statement in statements:
            if not isinstance(statement, ir.MediaStart):
                continue
            ptime = _ptime_ms(statement)
            if chosen is None:
                chosen = (ptime, statement)
            elif ptime != chosen[0]:
                raise MediaError(
                    f"media streams with different ptime ({chosen[0]} ms at line "
                    f"{chosen[1].loc.line}, {ptime} ms here): callflow's media clock uses "
                    "one packet interval per run",
                    statement.loc,
                )
        return chosen[0] if chosen else 20

    def voice(self, name: str) -> Voice:
        """The participant's voice: its ``voice=`` file, else a tone of its own."""
        voice = self.voices.get(name)
        if voice is None:
            entity = self.entities[name]
            spec = entity.attribute("voice")
            if spec:
                try:
                    voice = load_voice(spec, Path(entity.loc.file).parent)
                except VoiceError as error:
                    raise MediaError(f"{name}: {error}", entity.loc, "RUN112") from None
            else:
                tone = tone_voice(self.voice_index.get(name, len(self.voice_index)))
                self.frequencies[name] = tone.frequency
                voice = tone
            self.voices[name] = voice
            self.positions[name] = 0
            self.heard.setdefault(name, _Recording())
            self.sent.setdefault(name, _Recording())
        return voice

    def advertise(self, call: str, address: Address) -> None:
        """An SDP body offered or answered ``address`` in ``call``."""
        owner = self.plan.owner_of_host(address[0])
        if owner is None:
            return
        self.advertised.setdefault(call, {})[owner] = address
        if call in self.advert_order:
            self.advert_order.remove(call)
        self.advert_order.append(call)

    def _addresses(self, a: str, b: str) -> tuple[Address, Address]:
        for call in reversed(self.advert_order):
            table = self.advertised[call]
            if a in table and b in table:
                return table[a], table[b]
        # no SDP negotiated this pair (a flow without SIP): each entity's default port
        return (
            (self.plan.hosts[a], self.plan.rtp_port(a)),
            (self.plan.hosts[b], self.plan.rtp_port(b)),
        )

    async def _socket(self, loop: asyncio.AbstractEventLoop, local: Address) -> None:
        if local in self.sockets:
            return
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _RtpEndpoint(self, local), local_addr=local
            )
        except OSError as error:
            raise MediaError(
                f"cannot open an RTP socket on {local[0]}:{local[1]}: {error.strerror or error}",
                ir.SourceLocation("", 0, 0, 0, 0),
                "RUN101",
            ) from None
        self.sockets[local] = transport  # type: ignore[assignment]

    def close(self) -> None:
        for transport in self.sockets.values():
            transport.close()
        self.sockets.clear()

    # ------------------------------------------------------------------ statements
    async def apply(self, statement: ir.Statement, loop: asyncio.AbstractEventLoop) -> MediaSegment:
        """Execute one media statement, then play its segment (one segment at a time: in
        causal order two entities may reach their media statements together)."""
        async with self._one_segment:
            return await self._apply(statement, loop)

    async def _apply(
        self, statement: ir.Statement, loop: asyncio.AbstractEventLoop
    ) -> MediaSegment:
        if isinstance(statement, ir.MediaStart):
            await self._start(statement, loop)
        elif isinstance(statement, ir.MediaStop):
            self._stop(statement)
        elif isinstance(statement, ir.Mix):
            self.mixing[statement.mixer.text] = tuple(p.text for p in statement.parties)
        elif isinstance(statement, ir.StopMixing):
            self.mixing[statement.mixer.text] = None
        return await self._segment(statement, loop)

    async def _start(self, statement: ir.MediaStart, loop: asyncio.AbstractEventLoop) -> None:
        a, b = statement.a.text, statement.b.text
        if self.plan.is_external(a) or self.plan.is_external(b):
            return  # a real peer (SIPp...) brings its own media, or none: no RTP from us
        key = frozenset((a, b))
        if key in self.streams:
            raise MediaError(f"media {a} <-> {b} is already running", statement.loc)
        codec = (statement.attribute("codec") or "PCMU").upper()
        if codec not in g711.PAYLOAD_TYPES:
            raise MediaError(
                f"codec {codec!r}: callflow executes G.711 media only (PCMU or PCMA)",
                statement.loc,
            )
        for name in (a, b):
            if name not in self.mixers:
                self.voice(name)
        addr_a, addr_b = self._addresses(a, b)
        await self._socket(loop, addr_a)
        await self._socket(loop, addr_b)
        forward = self._direction(a, b, addr_a, addr_b, codec)
        backward = self._direction(b, a, addr_b, addr_a, codec)
        self.streams[key] = _Stream(a, b, codec, forward, backward)

    def _direction(self, sender: str, receiver: str, src: Address, dst: Address, codec: str):
        rtp = RtpSender(
            ssrc=self.random_bits(32),
            payload_type=g711.PAYLOAD_TYPES[codec],
            samples_per_packet=self.frame,
            sequence=self.random_bits(16),
            timestamp=self.random_bits(32),
        )
        direction = _Direction(
            sender, receiver, src, dst, codec, rtp, JitterBuffer(self.frame, capacity=8)
        )
        self.by_path[(src, dst)] = direction
        return direction

    def _stop(self, statement: ir.MediaStop) -> None:
        a, b = statement.a.text, statement.b.text
        stream = self.streams.pop(frozenset((a, b)), None)
        if stream is None and (self.plan.is_external(a) or self.plan.is_external(b)):
            return
        if stream is None:
            raise MediaError(f"media stop {a} <-> {b}: that stream is not running", statement.loc)
        for direction in (stream.forward, stream.backward):
            self._retire(direction)

    def _retire(self, direction: _Direction) -> None:
        self.by_path.pop((direction.src, direction.dst), None)
        buffer = direction.buffer
        self.finished_streams.append(
            StreamInfo(
                sender=direction.sender,
                receiver=direction.receiver,
                src=direction.src,
                dst=direction.dst,
                codec=direction.codec,
                ssrc=direction.rtp.ssrc,
                packets_sent=direction.rtp.packets_sent,
                packets_received=direction.received,
                lost=max(direction.rtp.packets_sent - direction.received, 0),
                duplicates=buffer.duplicates,
                late=buffer.late,
            )
        )

    def finish(self) -> None:
        """Retire the streams still open at the end of the scenario."""
        for stream in list(self.streams.values()):
            self._retire(stream.forward)
            self._retire(stream.backward)
        self.streams.clear()

    # ------------------------------------------------------------------ the wire
    def on_rtp(self, local: Address, data: bytes, src: Address) -> None:
        direction = self.by_path.get((src, local))
        if direction is None:
            return  # a straggler from a stopped stream
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.problems.append(
                MediaError(
                    f"{direction.receiver} received a garbled RTP datagram from {direction.sender}",
                    ir.SourceLocation("", 0, 0, 0, 0),
                    "RUN113",
                )
            )
            return
        direction.received += 1
        direction.buffer.push(packet)
        self._arrived += 1
        waiter = self._waiter
        if waiter is not None and self._arrived >= self._expected and not waiter.done():
            waiter.set_result(None)

    def _send(self, direction: _Direction, payload: bytes, offset: float) -> None:
        """Send one packet; ``offset`` is its time within the segment (media clock)."""
        data = direction.rtp.packet(payload)
        dropped = self.loss(f"{direction.sender}>{direction.receiver}", direction.rtp.packets_sent)
        self.record(self._base + offset, self.media_clock + offset, direction.src, direction.dst,
                    data, direction.sender, direction.receiver, dropped)  # fmt: skip
        if dropped:
            return
        transport = self.sockets.get(direction.src)
        if transport is None or transport.is_closing():
            return
        transport.sendto(data, direction.dst)
        self._expected += 1

    async def _arrivals(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until every datagram sent in this phase of the tick has arrived."""
        if self._arrived >= self._expected:
            return
        self._waiter = loop.create_future()
        try:
            await asyncio.wait_for(self._waiter, ARRIVAL_TIMEOUT)
        except TimeoutError:
            pass  # lost on the way: the jitter buffers play silence
        finally:
            self._waiter = None

    # ------------------------------------------------------------------ segments
    async def _segment(
        self, statement: ir.Statement, loop: asyncio.AbstractEventLoop
    ) -> MediaSegment:
        ticks = max(1, round(self.media_seconds * 1000 / self.ptime_ms))
        start = self.media_clock
        self._base = self.clock()
        wall0, cpu0, mix0 = loop.time(), time.process_time(), self.mix_cpu
        step = self.ptime_ms / 1000
        for k in range(ticks):
            if self.realtime:
                delay = wall0 + k * step - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await self._tick(loop, k * step)
        if self.realtime:  # the last tick's 20 ms are audio too
            delay = wall0 + ticks * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        wall = loop.time() - wall0
        self.wall += wall
        end = start + ticks * step
        self.media_clock = end
        self.segments.append(
            MediaSegment(
                index=len(self.segments) + 1,
                start=round(start, 6),
                end=round(end, 6),
                loc=statement.loc,
                statement=_describe(statement),
                streams=tuple(
                    (s.a, s.b, s.codec) for s in sorted(self.streams.values(), key=_stream_key)
                ),
                mixing=tuple(sorted(self.mixing.items())),
                wall_seconds=wall,
                cpu_seconds=time.process_time() - cpu0,
                mix_cpu_seconds=self.mix_cpu - mix0,
            )
        )
        return self.segments[-1]

    async def _tick(self, loop: asyncio.AbstractEventLoop, offset: float) -> None:
        tick = self.tick
        self.tick += 1
        self._expected = self._arrived = 0
        # 1. participants speak
        spoken: dict[str, npt.NDArray[np.int16]] = {}
        order = 0
        for stream in sorted(self.streams.values(), key=_stream_key):
            for direction in (stream.forward, stream.backward):
                if direction.sender in self.mixers:
                    continue
                voice = spoken.get(direction.sender)
                if voice is None:
                    name = direction.sender
                    voice = self.voice(name).samples(self.positions[name], self.frame)
                    self.positions[name] += self.frame
                    spoken[name] = voice
                payload = g711.encode(voice, direction.codec).tobytes()
                self.sent[direction.sender].add(tick, g711.decode(payload, direction.codec))
                order += 1
                self._send(direction, payload, offset + order * 1e-6)
        await self._arrivals(loop)
        # 2. mixers mix
        self._expected = self._arrived = 0
        cpu0 = time.process_time()
        for mixer in self.mixer_names:
            order = self._mix(mixer, offset + 0.001, order)
        self.mix_cpu += time.process_time() - cpu0
        await self._arrivals(loop)
        # 3. participants listen
        for stream in self.streams.values():
            for direction in (stream.forward, stream.backward):
                if direction.receiver in self.mixers:
                    continue
                payload = direction.buffer.pop()
                if payload is not None:
                    self.heard[direction.receiver].add(tick, g711.decode(payload, direction.codec))

    def _mix(self, mixer: str, offset: float, order: int) -> int:
        inbound: dict[str, _Direction] = {}
        outbound: dict[str, _Direction] = {}
        for stream in self.streams.values():
            for direction in (stream.forward, stream.backward):
                if direction.receiver == mixer:
                    inbound[direction.sender] = direction
                elif direction.sender == mixer:
                    outbound[direction.receiver] = direction
        if not outbound and not inbound:
            return order
        payloads: dict[str, bytes] = {}
        for party, direction in inbound.items():
            payload = direction.buffer.pop()  # every source, every tick: keeps buffers moving
            if payload is not None and len(payload) == self.frame:
                payloads[party] = payload
        parties = self.mixing.get(mixer)
        mixed = [p for p in parties or () if p in outbound]
        out: dict[str, bytes] = {}
        if mixed:
            # a stream's two directions share its codec: decode and encode each row with it
            codecs = [outbound[party].codec for party in mixed]
            rows = b"".join(
                payloads.get(party) or self.silence[codec]
                for party, codec in zip(mixed, codecs, strict=True)
            )
            codes = np.frombuffer(rows, dtype=np.uint8).reshape(len(mixed), self.frame)
            for party, row in zip(mixed, mix_minus_g711(codes, codecs), strict=True):
                out[party] = row.tobytes()
        for party in sorted(outbound):
            direction = outbound[party]
            order += 1
            payload = out.get(party, self.silence[direction.codec])
            self._send(direction, payload, offset + order * 1e-6)
        return order

    # ------------------------------------------------------------------ result
    def result(self) -> MediaResult:
        ticks = self.tick
        return MediaResult(
            sample_rate=SAMPLE_RATE,
            ptime_ms=self.ptime_ms,
            media_seconds=self.media_seconds,
            realtime=self.realtime,
            voices={name: voice.description for name, voice in sorted(self.voices.items())},
            frequencies=dict(sorted(self.frequencies.items())),
            mixers=tuple(self.mixer_names),
            heard={n: r.samples(ticks, self.frame) for n, r in sorted(self.heard.items())},
            sent={n: r.samples(ticks, self.frame) for n, r in sorted(self.sent.items())},
            segments=tuple(self.segments),
            streams=tuple(self.finished_streams),
            mix_cpu_seconds=self.mix_cpu,
            wall_seconds=self.wall,
        )


def _stream_key(stream: _Stream) -> tuple[str, str]:
    return (stream.a, stream.b)


def _ptime_ms(statement: ir.MediaStart) -> int:
    raw = (statement.attribute("ptime") or "20ms").strip().lower()
    number = raw.removesuffix("ms").strip()
    if not number.isdigit() or not 5 <= int(number) <= 200:
        raise MediaError(
            f"ptime={raw!r}: callflow sends packets of 5 to 200 whole milliseconds (20ms)",
            statement.loc,
        )
    return int(number)


def _describe(statement: ir.Statement) -> str:
    if isinstance(statement, ir.MediaStart):
        return f"media {statement.a.text} <-> {statement.b.text}"
    if isinstance(statement, ir.MediaStop):
        return f"media stop {statement.a.text} <-> {statement.b.text}"
    if isinstance(statement, ir.Mix):
        return f"{statement.mixer.text} mixes {', '.join(p.text for p in statement.parties)}"
    if isinstance(statement, ir.StopMixing):
        return f"{statement.mixer.text} stops mixing"
    return type(statement).__name__


def write_media(result: MediaResult, directory: Path) -> dict[str, str]:
    """``heard-<ENTITY>.wav`` and ``sent-<ENTITY>.wav`` per participant and
    ``timeline.json`` into ``directory``; returns the line for the report."""
    import json

    from callflow.media.wav import write_wav
    from callflow.render.documents import write_atomic

    directory.mkdir(parents=True, exist_ok=True)
    for kind, recordings in (("heard", result.heard), ("sent", result.sent)):
        for name, samples in recordings.items():
            write_wav(directory / f"{kind}-{name}.wav", samples, result.sample_rate)
    write_atomic(directory / "timeline.json", json.dumps(result.timeline(), indent=2) + "\n")
    return {"media": f"{directory}/ (heard-*.wav, sent-*.wav, timeline.json)"}
