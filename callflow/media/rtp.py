"""RTP packets (RFC 3550), the sending side of a stream and a small receive jitter buffer.

:class:`RtpPacket` and :func:`parse_rtp` are the wire format; :class:`RtpSender` numbers the
packets of one outgoing stream; :class:`JitterBuffer` puts one incoming source's packets back
in timestamp order and hands the mixer one frame per packet interval.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

__all__ = ["JitterBuffer", "RtpError", "RtpPacket", "RtpSender", "parse_rtp", "signed_delta"]

VERSION = 2
_HEADER = struct.Struct("!BBHII")
_SEQ_MOD = 1 << 16
_TS_MOD = 1 << 32
#: RFC 3550 appendix A.1: a forward jump this large is not a loss but a restart (or garbage)
MAX_DROPOUT = 3000
#: RFC 3550 appendix A.1: a packet this far behind the highest is reordered, not a restart
MAX_MISORDER = 100


class RtpError(ValueError):
    """A datagram that is not a well-formed RTP packet, or a field out of range."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet; header fields as on the wire (padding and extension not kept)."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _check("payload type", self.payload_type, 128)
        _check("sequence number", self.sequence, _SEQ_MOD)
        _check("timestamp", self.timestamp, _TS_MOD)
        _check("SSRC", self.ssrc, _TS_MOD)
        if len(self.csrcs) > 15:
            raise RtpError(f"{len(self.csrcs)} CSRCs: an RTP header holds at most 15")
        for csrc in self.csrcs:
            _check("CSRC", csrc, _TS_MOD)

    def to_bytes(self) -> bytes:
        """The datagram: version 2, no padding, no header extension."""
        first = VERSION << 6 | len(self.csrcs)
        second = (0x80 if self.marker else 0) | self.payload_type
        header = _HEADER.pack(first, second, self.sequence, self.timestamp, self.ssrc)
        csrcs = struct.pack(f"!{len(self.csrcs)}I", *self.csrcs)
        return header + csrcs + self.payload


def _check(name: str, value: int, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise RtpError(f"RTP {name} {value!r} out of range 0..{limit - 1}")


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse one datagram; padding is stripped and a header extension skipped."""
    if len(data) < _HEADER.size:
        raise RtpError(f"{len(data)} bytes is too short for an RTP header (12 bytes)")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != VERSION:
        raise RtpError(f"RTP version {first >> 6}, expected {VERSION}")
    offset = _HEADER.size + 4 * (first & 0x0F)
    if offset > len(data):
        raise RtpError(f"CSRC list of {first & 0x0F} entries runs past the end of the packet")
    csrcs = struct.unpack_from(f"!{first & 0x0F}I", data, _HEADER.size)
    if first & 0x10:
        if offset + 4 > len(data):
            raise RtpError("header extension flag set but no extension header")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
        if offset > len(data):
            raise RtpError(f"header extension of {words} words runs past the end of the packet")
    end = len(data)
    if first & 0x20:
        padding = data[-1]
        if padding == 0 or padding > end - offset:
            raise RtpError(f"bad padding count {padding} ({end - offset} bytes after the header)")
        end -= padding
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=bytes(data[offset:end]),
        marker=bool(second & 0x80),
        csrcs=csrcs,
    )


class RtpSender:
    """Numbers the packets of one outgoing stream.

    The caller draws the initial ``sequence`` and ``timestamp`` at random (RFC 3550 section
    5.1: both start random so that known-plaintext attacks and stale packets are harder),
    from a seeded generator when runs must be reproducible. The first packet carries the
    marker bit: it starts a talkspurt (RFC 3551 section 4.1).
    """

    def __init__(
        self, ssrc: int, payload_type: int, samples_per_packet: int, sequence: int, timestamp: int
    ) -> None:
        _check("SSRC", ssrc, _TS_MOD)
        _check("payload type", payload_type, 128)
        _check("sequence number", sequence, _SEQ_MOD)
        _check("timestamp", timestamp, _TS_MOD)
        if samples_per_packet <= 0:
            raise RtpError(f"samples per packet must be positive, not {samples_per_packet}")
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.samples_per_packet = samples_per_packet
        self.sequence = sequence  # of the next packet
        self.timestamp = timestamp  # of the next packet
        self.packets_sent = 0
        self.octets_sent = 0  # payload octets, as an RTCP sender report counts them

    def packet(self, payload: bytes) -> bytes:
        """The next datagram of the stream, carrying ``payload``."""
        data = RtpPacket(
            payload_type=self.payload_type,
            sequence=self.sequence,
            timestamp=self.timestamp,
            ssrc=self.ssrc,
            payload=bytes(payload),
            marker=self.packets_sent == 0,
        ).to_bytes()
        self.sequence = (self.sequence + 1) % _SEQ_MOD
        self.timestamp = (self.timestamp + self.samples_per_packet) % _TS_MOD
        self.packets_sent += 1
        self.octets_sent += len(payload)
        return data


def signed_delta(value: int, modulus: int) -> int:
    """A difference of wrapping counters (sequence numbers: 2**16, timestamps: 2**32) as a
    signed number: ``value`` mod ``modulus``, the upper half negative (older)."""
    value %= modulus
    return value - modulus if value >= modulus // 2 else value


class JitterBuffer:
    """Reorders one source's packets by timestamp and plays one frame per :meth:`pop`.

    Frames are numbered from the first packet pushed (frame 0), by timestamp, so sources with
    independent random timestamp bases all start at their first packet; a timestamp
    difference of 2**31 or more counts as negative (older). The owner calls :meth:`pop` once
    per packet interval; playout starts with the first packet pushed. At most ``capacity``
    frames are held: a packet beyond the window moves the playout cursor forward.

    Statistics: ``received`` (packets of this source, duplicates and late ones included, as
    RFC 3550 counts them), ``duplicates``, ``late`` (arrived after their frame was played or
    skipped), ``lost`` (frames played as missing, or skipped with nothing received),
    ``discarded`` (frames received but skipped unplayed when the window moved), ``foreign``
    (packets of another SSRC, refused: a new SSRC is a new source and needs its own buffer),
    and the sequence-number bookkeeping of RFC 3550 appendix A.1: ``extended_highest``,
    ``expected`` and ``sequence_errors``.
    """

    def __init__(self, samples_per_frame: int, capacity: int = 8) -> None:
        if samples_per_frame <= 0:
            raise RtpError(f"samples per frame must be positive, not {samples_per_frame}")
        if capacity <= 0:
            raise RtpError(f"capacity must be positive, not {capacity}")
        self.samples_per_frame = samples_per_frame
        self.capacity = capacity
        self.ssrc: int | None = None
        self._first_timestamp = 0
        self._cursor = 0  # frame index played by the next pop
        self._frames: dict[int, bytes] = {}
        self._played: deque[int] = deque(maxlen=capacity)  # recently played, for duplicates
        self.received = 0
        self.duplicates = 0
        self.late = 0
        self.lost = 0
        self.discarded = 0
        self.foreign = 0
        self.sequence_errors = 0
        self._base_seq = 0
        self._max_seq = 0
        self._cycles = 0
        self._bad_seq: int | None = None
        self._expected_before = 0  # packets expected before a sequence resynchronisation

    @property
    def buffered(self) -> int:
        """Frames waiting to be played."""
        return len(self._frames)

    @property
    def extended_highest(self) -> int:
        """Highest sequence number received, extended with the count of wraps (RFC 3550)."""
        return self._cycles + self._max_seq

    @property
    def expected(self) -> int:
        """Packets expected from the sequence numbers (0 before the first packet)."""
        if self.ssrc is None:
            return 0
        return self._expected_before + self.extended_highest - self._base_seq + 1

    def push(self, packet: RtpPacket) -> bool:
        """Store a packet for playout; False when refused (duplicate, late or foreign)."""
        if self.ssrc is None:
            self.ssrc = packet.ssrc
            self._first_timestamp = packet.timestamp
            self._base_seq = self._max_seq = packet.sequence
        elif packet.ssrc != self.ssrc:
            self.foreign += 1
            return False
        else:
            self._track_sequence(packet.sequence)
        self.received += 1
        index = self._frame_index(packet.timestamp)
        if index < self._cursor:
            if index in self._played:
                self.duplicates += 1
            else:
                self.late += 1
            return False
        if index in self._frames:
            self.duplicates += 1
            return False
        if index >= self._cursor + self.capacity:
            self._advance_to(index - self.capacity + 1)
        self._frames[index] = packet.payload
        return True

    def pop(self) -> bytes | None:
        """The payload of the next frame, None when it is missing; advances one frame.

        Before the first packet there is nothing to play and the cursor stays put.
        """
        if self.ssrc is None:
            return None
        payload = self._frames.pop(self._cursor, None)
        if payload is None:
            self.lost += 1
        else:
            self._played.append(self._cursor)
        self._cursor += 1
        return payload

    def _frame_index(self, timestamp: int) -> int:
        # relative to the cursor's own timestamp, so that streams longer than 2**31 samples
        # (three days at 8 kHz) keep working
        cursor_ts = self._first_timestamp + self._cursor * self.samples_per_frame
        return self._cursor + signed_delta(timestamp - cursor_ts, _TS_MOD) // self.samples_per_frame

    def _advance_to(self, cursor: int) -> None:
        for index in range(self._cursor, cursor):
            if self._frames.pop(index, None) is None:
                self.lost += 1
            else:
                self.discarded += 1
        self._cursor = cursor

    def _track_sequence(self, sequence: int) -> None:
        """RFC 3550 appendix A.1 ``update_seq``, without the probation of new sources."""
        delta = (sequence - self._max_seq) % _SEQ_MOD
        if delta == 0:
            return  # duplicate
        if delta < MAX_DROPOUT:
            if sequence < self._max_seq:
                self._cycles += _SEQ_MOD
            if delta > 1:
                self.sequence_errors += 1
            self._max_seq = sequence
            self._bad_seq = None
        elif delta <= _SEQ_MOD - MAX_MISORDER:
            # a very large jump: believe it only when the next packet follows on from it
            if sequence == self._bad_seq:  # two in a row: the source restarted its numbering
                self._expected_before = self.expected
                self._max_seq = sequence
                self._base_seq = sequence - 1  # the packet that announced the jump counts too
                self._cycles = 0
                self._bad_seq = None
            else:
                self.sequence_errors += 1
                self._bad_seq = (sequence + 1) % _SEQ_MOD
        # else: a reordered packet, behind the highest by less than MAX_MISORDER
