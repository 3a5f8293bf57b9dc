"""What a participant says when media is executed: a test tone of its own, or a recording.

A voice is an endless 8 kHz mono timeline: the executor keeps each participant's position
and asks for the next frame, so speech continues across media segments. Recordings come from
the entity's ``voice=`` attribute (FDL section 2): a WAV file, or the G.711 RTP of a capture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from callflow.execute.pcap import PcapError, PcapPacket, read_pcap
from callflow.media import g711
from callflow.media.rtp import RtpError, RtpPacket, parse_rtp, signed_delta
from callflow.media.wav import RATE, WavError, read_wav

__all__ = [
    "TONE_FREQUENCIES",
    "RecordingVoice",
    "ToneVoice",
    "Voice",
    "VoiceError",
    "capture_audio",
    "load_voice",
    "tone_voice",
]

#: One tone per participant, in Hz, inside the telephone band (300-3400 Hz). Each is more
#: than 30 Hz (at least 36) away from every other member, from every harmonic 2f and 3f of a
#: member and from every third-order intermodulation product 2a-b and a+b-c of members: the
#: sum of several voices goes through G.711's non-linear companding, and those products must
#: not pass for another participant in a spectrum. The set is a 12-mark Golomb ruler (marks
#: 0 2 6 24 29 40 43 55 68 75 76 85, all differences distinct, hence all sums a+b distinct)
#: scaled by 36 Hz from 306 Hz; a search over rulers, scales and offsets found no margin
#: larger than 36 Hz. The first four, the usual conference, are mid-band and far apart in
#: pitch. tests/media/test_voice.py checks the property.
TONE_FREQUENCIES: tuple[float, ...] = (
    1170.0, 1746.0, 522.0, 2286.0, 1350.0, 2754.0, 378.0, 3006.0, 1854.0, 306.0, 3042.0, 3366.0,
)  # fmt: skip
#: a tone's default amplitude: four voices summed peak at 24000, below G.711's largest
#: code (32124 for mu-law, 32256 for A-law), so a mix of up to four never clips
TONE_AMPLITUDE = 6000
#: longest audio taken from a capture (RTP timestamps can jump: keep memory bounded)
MAX_CAPTURE_SECONDS = 3600
_CAPTURES = (".pcap", ".pcapng", ".cap")


class VoiceError(ValueError):
    """A ``voice=`` that cannot be used: unknown kind of file, unreadable, or no audio."""


class Voice(Protocol):
    """An endless, deterministic 8 kHz mono timeline of what a participant says."""

    @property
    def description(self) -> str:
        """For reports: "tone 440 Hz", "g711a.pcap (PCMA, 7.08 s, ...)"."""
        ...

    def samples(self, start: int, count: int) -> npt.NDArray[np.int16]:
        """Samples ``start .. start + count`` of the timeline."""
        ...


def _check_range(start: int, count: int) -> None:
    if start < 0 or count < 0:
        raise VoiceError(f"bad sample range start={start} count={count}")


@dataclass(frozen=True, slots=True)
class ToneVoice:
    """A sine at ``frequency``; each sample computed from its index, so any two calls agree."""

    frequency: float
    amplitude: int = TONE_AMPLITUDE

    def __post_init__(self) -> None:
        if not 0 < self.frequency < RATE / 2:
            raise VoiceError(f"tone frequency {self.frequency} Hz outside 0..{RATE // 2} Hz")
        if not 0 <= self.amplitude <= 32767:
            raise VoiceError(f"tone amplitude {self.amplitude} outside 0..32767")

    @property
    def description(self) -> str:
        return f"tone {self.frequency:g} Hz"

    def samples(self, start: int, count: int) -> npt.NDArray[np.int16]:
        _check_range(start, count)
        n = np.arange(start, start + count, dtype=np.float64)
        cycles = np.mod(n * self.frequency, RATE) / RATE  # exact for whole-Hz tones
        return np.rint(self.amplitude * np.sin(2 * np.pi * cycles)).astype(np.int16)


@dataclass(frozen=True, slots=True, eq=False)
class RecordingVoice:
    """A recording, played in a loop when the timeline runs past its end.

    ``recording`` is kept as a read-only copy: the caller's array may change afterwards.
    """

    recording: npt.NDArray[np.int16]
    description: str

    def __post_init__(self) -> None:
        samples = np.array(self.recording, dtype=np.int16).reshape(-1)
        if samples.size == 0:
            raise VoiceError(f"{self.description}: no audio")
        samples.flags.writeable = False
        object.__setattr__(self, "recording", samples)

    @property
    def duration(self) -> float:
        """Seconds of audio before the loop starts again."""
        return len(self.recording) / RATE

    def samples(self, start: int, count: int) -> npt.NDArray[np.int16]:
        _check_range(start, count)
        index = np.arange(start, start + count, dtype=np.int64) % len(self.recording)
        return self.recording[index]


def tone_voice(index: int) -> ToneVoice:
    """The tone of participant ``index`` (0-based, in declaration order).

    Beyond ``len(TONE_FREQUENCIES)`` participants the frequencies cycle: participant 12 sounds
    like participant 0 (a spectrum can no longer tell them apart).
    """
    if index < 0:
        raise VoiceError(f"participant index {index} is negative")
    return ToneVoice(TONE_FREQUENCIES[index % len(TONE_FREQUENCIES)])


def load_voice(spec: str, base: Path) -> Voice:
    """The voice a ``voice=`` attribute names; ``spec`` is relative to ``base`` (the FDL
    file's directory) unless absolute."""
    path = Path(spec)
    if not path.is_absolute():
        path = base / path
    suffix = path.suffix.lower()
    if suffix != ".wav" and suffix not in _CAPTURES:
        raise VoiceError(f"{path}: voice= names a WAV file (.wav) or a capture (.pcap, .pcapng)")
    if not path.is_file():
        raise VoiceError(f"{path}: no such file")
    if suffix == ".wav":
        try:
            samples = read_wav(path)
        except WavError as exc:
            raise VoiceError(str(exc)) from exc
        return RecordingVoice(samples, f"{spec} ({len(samples) / RATE:.2f} s)")
    try:
        packets = read_pcap(path)
    except (PcapError, OSError) as exc:
        raise VoiceError(f"{path}: not a readable capture: {exc}") from exc
    try:
        codecs, stream, samples = capture_audio(packets)
    except VoiceError as exc:
        raise VoiceError(f"{path}: {exc}") from exc
    return RecordingVoice(
        samples, f"{spec} ({'/'.join(codecs)}, {len(samples) / RATE:.2f} s, {stream})"
    )


def capture_audio(
    packets: Sequence[PcapPacket],
) -> tuple[tuple[str, ...], str, npt.NDArray[np.int16]]:
    """(codecs, stream, samples): the decoded G.711 RTP stream with the most packets.

    Datagrams that parse as RTP version 2 with payload type 0 (PCMU) or 8 (PCMA) are grouped
    by (source, destination, SSRC); the biggest group wins (the first seen among equals). Its
    packets are put in extended sequence-number order, duplicates dropped, and each payload is
    placed by its timestamp relative to the first packet; gaps are silence.
    """
    streams: dict[tuple[tuple[str, int], tuple[str, int], int], list[RtpPacket]] = {}
    for datagram in packets:
        try:
            rtp = parse_rtp(datagram.payload)
        except RtpError:
            continue
        if rtp.payload_type in g711.CODECS:
            streams.setdefault((datagram.src, datagram.dst, rtp.ssrc), []).append(rtp)
    if not streams:
        raise VoiceError(
            f"no G.711 RTP (payload type 0 or 8) among its {len(packets)} UDP datagrams"
        )
    (src, dst, ssrc), chosen = max(streams.items(), key=lambda item: len(item[1]))
    ordered = _in_sequence_order(chosen)
    placed: list[tuple[int, npt.NDArray[np.int16]]] = []
    offset, previous = 0, ordered[0].timestamp
    for packet in ordered:
        offset += signed_delta(packet.timestamp - previous, 1 << 32)
        previous = packet.timestamp
        if offset >= 0:
            placed.append((offset, g711.decode(packet.payload, g711.CODECS[packet.payload_type])))
    length = max(start + len(samples) for start, samples in placed)
    if length > MAX_CAPTURE_SECONDS * RATE:
        raise VoiceError(
            f"the RTP timestamps span {length / RATE:.0f} s (more than {MAX_CAPTURE_SECONDS} s)"
        )
    if length == 0:
        raise VoiceError("the RTP stream carries no audio (empty payloads)")
    audio = np.zeros(length, dtype=np.int16)
    for start, samples in placed:
        audio[start : start + len(samples)] = samples
    codecs = tuple(dict.fromkeys(g711.CODECS[p.payload_type] for p in ordered))
    stream = f"{_address(src)} -> {_address(dst)} SSRC {ssrc:#010x}"
    return codecs, stream, audio


def _in_sequence_order(packets: list[RtpPacket]) -> list[RtpPacket]:
    """Sorted by extended sequence number (wraps unrolled from the highest seen), first copy
    of each kept."""
    highest = packets[0].sequence
    extended: dict[int, RtpPacket] = {}
    for packet in packets:
        number = highest + signed_delta(packet.sequence - highest, 1 << 16)
        highest = max(highest, number)
        extended.setdefault(number, packet)
    return [extended[number] for number in sorted(extended)]


def _address(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
