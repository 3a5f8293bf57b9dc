"""RTP (RFC 3550): the wire format, the sender's numbering and the receive jitter buffer."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callflow.media.rtp import JitterBuffer, RtpError, RtpPacket, RtpSender, parse_rtp

# the first packet of Debian sip-tester's g711a.pcap: V=2, M=1, PT=8, seq 0xe6fd, ts 240
G711A_HEADER = bytes.fromhex("8088e6fd000000f0dee0ee8f")


# ---------------------------------------------------------------- wire format


def test_header_layout_matches_a_real_capture() -> None:
    packet = RtpPacket(
        payload_type=8, sequence=0xE6FD, timestamp=0xF0, ssrc=0xDEE0EE8F, payload=b"\xd5" * 240,
        marker=True,
    )  # fmt: skip
    data = packet.to_bytes()
    assert data[:12] == G711A_HEADER
    assert data[12:] == b"\xd5" * 240
    assert parse_rtp(data) == packet


def test_parse_hand_written_header() -> None:
    packet = parse_rtp(G711A_HEADER + b"\x01\x02")
    assert (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc) == (
        8, 0xE6FD, 240, 0xDEE0EE8F,
    )  # fmt: skip
    assert packet.marker and packet.csrcs == () and packet.payload == b"\x01\x02"


@given(
    payload_type=st.integers(0, 127),
    sequence=st.integers(0, 2**16 - 1),
    timestamp=st.integers(0, 2**32 - 1),
    ssrc=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=300),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 2**32 - 1), max_size=15).map(tuple),
)
def test_round_trip(
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    marker: bool,
    csrcs: tuple[int, ...],
) -> None:
    packet = RtpPacket(payload_type, sequence, timestamp, ssrc, payload, marker, csrcs)
    data = packet.to_bytes()
    assert len(data) == 12 + 4 * len(csrcs) + len(payload)
    assert data[0] == 0x80 | len(csrcs)  # version 2, no padding, no extension
    assert parse_rtp(data) == packet


def test_padding_extension_and_csrcs_are_parsed() -> None:
    # V=2 P=1 X=1 CC=2, M=0 PT=0
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0, 7, 1000, 0x11223344)
    csrcs = struct.pack("!II", 0xAAAA0001, 0xBBBB0002)
    extension = struct.pack("!HH", 0xBEDE, 2) + b"\x10\x20\x30\x40" + b"\x50\x60\x70\x80"
    payload = b"\xff" * 160
    padding = b"\x00\x00\x00\x04"  # the last byte counts the padding, itself included
    packet = parse_rtp(header + csrcs + extension + payload + padding)
    assert packet.csrcs == (0xAAAA0001, 0xBBBB0002)
    assert packet.payload == payload
    assert (packet.sequence, packet.timestamp, packet.ssrc) == (7, 1000, 0x11223344)
    assert not packet.marker and packet.payload_type == 0


def test_padding_may_take_the_whole_payload() -> None:
    data = bytes([0xA0]) + G711A_HEADER[1:] + b"\x00\x00\x03"
    assert parse_rtp(data).payload == b""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (G711A_HEADER[:11], "too short"),
        (bytes([0x40]) + G711A_HEADER[1:], "version 1"),
        (bytes([0x00]) + G711A_HEADER[1:], "version 0"),
        (bytes([0xC0]) + G711A_HEADER[1:], "version 3"),
        (bytes([0x83]) + G711A_HEADER[1:] + b"\x00" * 8, "CSRC"),  # 3 CSRCs, room for 2
        (bytes([0x90]) + G711A_HEADER[1:] + b"\xbe\xde", "extension"),
        (bytes([0x90]) + G711A_HEADER[1:] + b"\xbe\xde\x00\x02\x00\x00\x00\x00", "extension"),
        (bytes([0xA0]) + G711A_HEADER[1:] + b"\x01\x02\x00", "padding"),  # count 0
        (bytes([0xA0]) + G711A_HEADER[1:] + b"\x01\x02\x04", "padding"),  # more than there is
        (bytes([0xA0]) + G711A_HEADER[1:], "padding"),  # the header's last byte is no count
    ],
)
def test_malformed_datagrams_raise(data: bytes, reason: str) -> None:
    with pytest.raises(RtpError, match=reason):
        parse_rtp(data)


@pytest.mark.parametrize(
    "fields",
    [
        {"payload_type": 128},
        {"sequence": 2**16},
        {"timestamp": -1},
        {"ssrc": 2**32},
        {"csrcs": tuple(range(16))},
    ],
)
def test_fields_out_of_range_raise(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "payload_type": 0, "sequence": 0, "timestamp": 0, "ssrc": 0, "payload": b"",
    }  # fmt: skip
    values.update(fields)
    with pytest.raises(RtpError):
        RtpPacket(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- sender


def test_sender_numbers_packets_and_marks_only_the_first() -> None:
    sender = RtpSender(ssrc=0x1234, payload_type=0, samples_per_packet=160, sequence=10,
                       timestamp=5000)  # fmt: skip
    packets = [parse_rtp(sender.packet(bytes([k]) * 160)) for k in range(4)]
    assert [p.sequence for p in packets] == [10, 11, 12, 13]
    assert [p.timestamp for p in packets] == [5000, 5160, 5320, 5480]
    assert [p.marker for p in packets] == [True, False, False, False]
    assert {p.ssrc for p in packets} == {0x1234}
    assert {p.payload_type for p in packets} == {0}
    assert [p.payload for p in packets] == [bytes([k]) * 160 for k in range(4)]
    assert (sender.packets_sent, sender.octets_sent) == (4, 640)


def test_sender_wraps_sequence_and_timestamp() -> None:
    sender = RtpSender(ssrc=1, payload_type=8, samples_per_packet=160, sequence=2**16 - 2,
                       timestamp=2**32 - 200)  # fmt: skip
    packets = [parse_rtp(sender.packet(b"\xd5" * 160)) for _ in range(3)]
    assert [p.sequence for p in packets] == [65534, 65535, 0]
    assert [p.timestamp for p in packets] == [2**32 - 200, 2**32 - 40, 120]


def test_sender_rejects_bad_initial_values() -> None:
    with pytest.raises(RtpError):
        RtpSender(ssrc=1, payload_type=0, samples_per_packet=160, sequence=2**16, timestamp=0)
    with pytest.raises(RtpError):
        RtpSender(ssrc=1, payload_type=0, samples_per_packet=0, sequence=0, timestamp=0)


# ---------------------------------------------------------------- jitter buffer


def stream(
    count: int, *, sequence: int = 1000, timestamp: int = 123456, ssrc: int = 0xCAFE
) -> list[RtpPacket]:
    """``count`` consecutive 20 ms packets whose payload says which frame they carry."""
    sender = RtpSender(ssrc, 0, 160, sequence, timestamp)
    return [parse_rtp(sender.packet(f"frame {k}".encode())) for k in range(count)]


def drain(buffer: JitterBuffer, ticks: int) -> list[str | None]:
    return [None if (p := buffer.pop()) is None else p.decode() for _ in range(ticks)]


def test_in_order_stream_plays_in_order() -> None:
    buffer = JitterBuffer(160)
    played = []
    for packet in stream(20):
        assert buffer.push(packet)
        played += drain(buffer, 1)
    assert played == [f"frame {k}" for k in range(20)]
    assert (buffer.received, buffer.lost, buffer.late, buffer.duplicates) == (20, 0, 0, 0)
    assert buffer.expected == 20 and buffer.sequence_errors == 0


def test_reordered_packets_play_in_timestamp_order() -> None:
    packets = stream(6)
    buffer = JitterBuffer(160, capacity=8)
    for k in (0, 2, 1, 5, 3, 4):
        assert buffer.push(packets[k])
    assert drain(buffer, 6) == [f"frame {k}" for k in range(6)]
    assert buffer.lost == buffer.late == buffer.duplicates == 0
    # 0 -> 2 skips one number (counted), the rest are reorders or steps of one
    assert buffer.sequence_errors == 2 and buffer.expected == 6


def test_duplicates_are_refused_and_counted() -> None:
    packets = stream(3)
    buffer = JitterBuffer(160)
    assert buffer.push(packets[0])
    assert not buffer.push(packets[0])  # still buffered
    assert drain(buffer, 1) == ["frame 0"]
    assert not buffer.push(packets[0])  # already played
    assert buffer.push(packets[1])
    assert drain(buffer, 2) == ["frame 1", None]
    assert buffer.duplicates == 2 and buffer.late == 0
    assert buffer.received == 4  # RFC 3550 counts duplicates as received


def test_late_packet_is_refused_after_its_frame_played() -> None:
    packets = stream(4)
    buffer = JitterBuffer(160)
    buffer.push(packets[0])
    buffer.push(packets[2])
    assert drain(buffer, 2) == ["frame 0", None]  # frame 1 missing at its turn
    assert not buffer.push(packets[1])
    assert buffer.late == 1 and buffer.lost == 1
    assert drain(buffer, 1) == ["frame 2"]


def test_loss_plays_none_and_counts_lost() -> None:
    packets = stream(5)
    buffer = JitterBuffer(160)
    for k in (0, 1, 3, 4):
        buffer.push(packets[k])
    assert drain(buffer, 5) == ["frame 0", "frame 1", None, "frame 3", "frame 4"]
    assert buffer.lost == 1
    assert buffer.expected == 5 and buffer.received == 4
    assert buffer.sequence_errors == 1


def test_playout_starts_at_the_first_packet() -> None:
    buffer = JitterBuffer(160)
    assert drain(buffer, 3) == [None, None, None]  # nothing yet: not lost, cursor stays
    assert buffer.lost == 0 and buffer.expected == 0
    packets = stream(3, timestamp=987654321)
    buffer.push(packets[0])
    assert drain(buffer, 1) == ["frame 0"]
    buffer.push(packets[1])
    buffer.push(packets[2])
    assert drain(buffer, 2) == ["frame 1", "frame 2"]
    assert buffer.lost == 0


def test_packet_older_than_the_first_is_late() -> None:
    packets = stream(3)
    buffer = JitterBuffer(160)
    buffer.push(packets[1])
    assert not buffer.push(packets[0])
    assert buffer.late == 1


def test_foreign_ssrc_is_refused() -> None:
    buffer = JitterBuffer(160)
    assert buffer.push(stream(1, ssrc=1)[0])
    assert not buffer.push(stream(2, ssrc=2)[1])
    assert buffer.foreign == 1 and buffer.received == 1
    assert drain(buffer, 2) == ["frame 0", None]


def test_window_overflow_moves_the_cursor_and_counts_skipped_frames() -> None:
    packets = stream(12)
    buffer = JitterBuffer(160, capacity=4)
    buffer.push(packets[0])
    buffer.push(packets[1])
    assert buffer.push(packets[9])  # window becomes frames 6..9: 0 and 1 discarded, 2..5 lost
    assert buffer.discarded == 2 and buffer.lost == 4
    assert buffer.buffered == 1
    assert drain(buffer, 4) == [None, None, None, "frame 9"]
    assert buffer.lost == 7


@pytest.mark.parametrize("seed", range(20))
def test_wrap_of_sequence_and_timestamp_with_random_bases(seed: int) -> None:
    rng = random.Random(seed)
    # bases just below the wrap points, so the stream crosses 2**16 and 2**32
    sequence = 2**16 - rng.randint(1, 30)
    timestamp = 2**32 - 160 * rng.randint(1, 30) - rng.randint(0, 159)
    packets = stream(60, sequence=sequence, timestamp=timestamp, ssrc=rng.getrandbits(32))
    order = list(range(60))
    for k in range(2, 58, 4):  # reorder within the pairs that arrive between two ticks
        order[k], order[k + 1] = order[k + 1], order[k]
    buffer = JitterBuffer(160)
    played: list[str | None] = []
    for position, k in enumerate(order):
        buffer.push(packets[k])
        if position % 2 == 1:  # arrivals in pairs, then two ticks
            played += drain(buffer, 2)
    assert played == [f"frame {k}" for k in range(60)]
    assert buffer.lost == buffer.late == buffer.duplicates == 0
    assert buffer.expected == 60
    assert buffer.extended_highest == sequence + 59  # one wrap: 2**16 + low bits


def test_sources_are_independent() -> None:
    """Two buffers, two random timestamp bases far apart: each plays from its own first."""
    a, b = JitterBuffer(160), JitterBuffer(160)
    a.push(stream(1, timestamp=5)[0])
    b.push(stream(1, timestamp=2**31 + 17)[0])
    assert drain(a, 1) == drain(b, 1) == ["frame 0"]


def test_sequence_restart_is_believed_after_two_packets() -> None:
    first = stream(5, sequence=100)
    buffer = JitterBuffer(160)
    for packet in first:
        buffer.push(packet)
    # the source restarts its numbering (same SSRC, timestamps continue)
    sender = RtpSender(0xCAFE, 0, 160, sequence=40000, timestamp=first[-1].timestamp + 160)
    later = [parse_rtp(sender.packet(b"x")) for _ in range(3)]
    for packet in later:
        buffer.push(packet)
    assert buffer.sequence_errors == 1
    assert buffer.expected == 5 + 3
    assert buffer.extended_highest == 40002


def test_timestamps_older_by_half_the_clock_count_as_older() -> None:
    packets = stream(2, timestamp=100)
    buffer = JitterBuffer(160)
    buffer.push(packets[0])
    older = RtpPacket(0, 999, (100 - 2**31) % 2**32, 0xCAFE, b"old")
    newer = RtpPacket(0, 1001, (100 + 2**31 - 160) % 2**32, 0xCAFE, b"new")
    assert not buffer.push(older)
    assert buffer.late == 1
    assert buffer.push(newer)  # far ahead: the window jumps, frame 0 is discarded
    assert buffer.discarded == 1
