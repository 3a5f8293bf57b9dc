"""pcap writer: classic libpcap, raw IP, correct checksums, atomic; checked by tshark."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflow.execute import h248
from callflow.execute.pcap import (
    LINKTYPE_RAW,
    PcapWriter,
    internet_checksum,
    read_pcap,
    udp_packet,
    write_pcap,
)

MGC = ("127.0.0.4", 2944)
MG = ("127.0.0.5", 2944)
OFFER = (
    b"v=0\r\no=alice 1 1 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
)
ANSWER = (
    b"v=0\r\no=- 2 2 IN IP4 127.0.0.5\r\ns=-\r\nc=IN IP4 127.0.0.5\r\nt=0 0\r\n"
    b"m=audio 50000 RTP/AVP 0\r\n"
)
INVITE = (
    b"INVITE sip:bob@home2.net SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:bob@home2.net>\r\n"
    b"From: <sip:alice@home1.net>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@127.0.0.11\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.11:5060>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(OFFER)).encode() + b"\r\n\r\n" + OFFER
)


def _independent_checksum(data: bytes) -> int:
    """RFC 1071 written out byte by byte (not the module's implementation)."""
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) + (data[i + 1] if i + 1 < len(data) else 0)
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# ---------------------------------------------------------------- format, no tshark needed


def test_internet_checksum_vectors() -> None:
    # RFC 1071 §3 example and the textbook IPv4 header (checksum field zeroed)
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert internet_checksum(header) == 0xB861
    assert internet_checksum(b"\x01") == _independent_checksum(b"\x01")


def test_file_header_is_classic_pcap_raw_ip(tmp_path: Path) -> None:
    path = tmp_path / "x.pcap"
    write_pcap(path, [(1.5, MGC, MG, b"hello")])
    data = path.read_bytes()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, zone, sigfigs) == (0xA1B2C3D4, 2, 4, 0, 0)
    assert (snaplen, linktype) == (65535, LINKTYPE_RAW) == (65535, 101)
    seconds, micros, caplen, origlen = struct.unpack("<IIII", data[24:40])
    assert (seconds, micros) == (1, 500000)
    assert caplen == origlen == 20 + 8 + 5 == len(data) - 40


def test_ipv4_and_udp_headers() -> None:
    payload = b"MEGACO/1 [127.0.0.4]:2944\r\n"
    packet = udp_packet(MGC, ("127.0.0.5", 5060), payload, ip_id=0x1234)
    ver_ihl, tos, total, ident, frag, ttl, proto, checksum = struct.unpack("!BBHHHBBH", packet[:12])
    assert (ver_ihl, tos, total, ident) == (0x45, 0, len(packet), 0x1234)
    assert (frag, ttl, proto) == (0x4000, 64, 17)  # DF, no fragment offset
    assert packet[12:20] == bytes([127, 0, 0, 4, 127, 0, 0, 5])
    assert _independent_checksum(packet[:20]) == 0
    assert checksum != 0
    sport, dport, length, udp_sum = struct.unpack("!HHHH", packet[20:28])
    assert (sport, dport, length) == (2944, 5060, 8 + len(payload))
    pseudo = packet[12:20] + struct.pack("!BBH", 0, 17, length)
    assert udp_sum != 0
    assert _independent_checksum(pseudo + packet[20:]) == 0
    assert packet[28:] == payload


def test_ip_ids_are_unique_and_timestamps_microseconds(tmp_path: Path) -> None:
    path = tmp_path / "ids.pcap"
    stamps = [1700000000.123456, 1700000000.999999, 1700000001.000001, 0.0, 0.0000005]
    write_pcap(path, [(t, MGC, MG, b"x%d" % i) for i, t in enumerate(stamps)])
    data = path.read_bytes()
    ids, offset = [], 24
    while offset < len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, offset)
        ids.append(struct.unpack_from("!H", data, offset + 16 + 4)[0])
        offset += 16 + caplen
    assert len(set(ids)) == len(ids) == 5
    packets = read_pcap(path)
    assert [(p.seconds, p.microseconds) for p in packets] == [
        (1700000000, 123456),
        (1700000000, 999999),
        (1700000001, 1),
        (0, 0),
        (0, 0),  # rounds half to even at the microsecond
    ]
    assert all(p.ip_checksum_ok and p.udp_checksum_ok for p in packets)


addresses = st.ip_addresses(v=4).map(str)
ports = st.integers(0, 65535)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**32 - 1),
            st.integers(0, 999_999),
            st.tuples(addresses, ports),
            st.tuples(addresses, ports),
            st.binary(max_size=1500),
        ),
        max_size=8,
    )
)
def test_round_trip(
    packets: list[tuple[int, int, tuple[str, int], tuple[str, int], bytes]],
) -> None:
    out = io.BytesIO()
    with PcapWriter(out) as writer:
        for sec, usec, src, dst, payload in packets:
            writer.write_udp(timestamp=sec + usec / 1e6, src=src, dst=dst, payload=payload)
    back = read_pcap(out.getvalue())
    assert [(p.seconds, p.microseconds, p.src, p.dst, p.payload) for p in back] == packets
    for p in back:
        assert p.ip_checksum_ok and p.udp_checksum_ok


def test_ipv6_round_trip() -> None:
    out = io.BytesIO()
    with PcapWriter(out) as writer:
        writer.write_udp(timestamp=2.0, src=("::1", 5060), dst=("fe80::2", 5062), payload=b"abc")
    (packet,) = read_pcap(out.getvalue())
    assert (packet.src, packet.dst, packet.payload) == (("::1", 5060), ("fe80::2", 5062), b"abc")
    assert packet.udp_checksum_ok


def test_file_object_is_left_open() -> None:
    out = io.BytesIO()
    writer = PcapWriter(out)
    writer.write_udp(timestamp=1.0, src=MGC, dst=MG, payload=b"x")
    writer.close()
    writer.close()  # idempotent
    assert not out.closed
    assert writer.count == 1
    with pytest.raises(ValueError, match="closed"):
        writer.write_udp(timestamp=1.0, src=MGC, dst=MG, payload=b"x")


def test_atomic_write(tmp_path: Path) -> None:
    path = tmp_path / "run.pcap"
    writer = PcapWriter(path)
    writer.write_udp(timestamp=1.0, src=MGC, dst=MG, payload=b"x")
    assert not path.exists()  # only the temporary file so far
    writer.close()
    assert len(read_pcap(path)) == 1
    assert os.listdir(tmp_path) == ["run.pcap"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask

    def failing():
        yield (2.0, MGC, MG, b"y")
        raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError):
        write_pcap(path, failing())
    assert len(read_pcap(path)) == 1  # the old capture is untouched
    assert os.listdir(tmp_path) == ["run.pcap"]  # and no temporary file is left


@pytest.mark.parametrize(
    ("src", "dst", "payload", "timestamp", "match"),
    [
        (("not-an-ip", 1), MG, b"", 1.0, "IP address"),
        (MGC, ("127.0.0.5", 70000), b"", 1.0, "port"),
        (MGC, ("::1", 5060), b"", 1.0, "mix"),
        (MGC, MG, b"x" * 65508, 1.0, "does not fit"),
        (MGC, MG, b"", -1.0, "timestamp"),
        (MGC, MG, b"", float("nan"), "timestamp"),
    ],
)
def test_bad_packets_raise_value_error(
    src: tuple[str, int], dst: tuple[str, int], payload: bytes, timestamp: float, match: str
) -> None:
    with PcapWriter(io.BytesIO()) as writer, pytest.raises(ValueError, match=match):
        writer.write_udp(timestamp=timestamp, src=src, dst=dst, payload=payload)


def test_largest_ipv4_datagram_fits() -> None:
    out = io.BytesIO()
    with PcapWriter(out) as writer:
        writer.write_udp(timestamp=1.0, src=MGC, dst=MG, payload=b"x" * 65507)
    (packet,) = read_pcap(out.getvalue())
    assert len(packet.payload) == 65507 and packet.udp_checksum_ok


# ---------------------------------------------------------------- tshark

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None,
    reason="tshark is not installed (apt-get install tshark); CI installs it and runs these",
)
CHECKSUMS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]


def tshark(path: Path, *args: str) -> str:
    assert TSHARK is not None
    done = subprocess.run(
        [TSHARK, "-n", "-r", str(path), *CHECKSUMS, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def fields(path: Path, *names: str, display_filter: str | None = None) -> list[list[str]]:
    args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=;"]
    for name in names:
        args += ["-e", name]
    if display_filter:
        args += ["-Y", display_filter]
    return [line.split("\t") for line in tshark(path, *args).splitlines()]


def megaco_pcap(path: Path) -> None:
    add = h248.add_request(transaction_id=7, mid="[127.0.0.4]:2944", remote_sdp=OFFER)
    reply = h248.add_reply(
        transaction_id=7,
        mid="[127.0.0.5]:2944",
        context_id="1",
        termination_id="RTP/1",
        local_sdp=ANSWER,
    )
    write_pcap(path, [(1700000000.123456, MGC, MG, add), (1700000000.2345, MG, MGC, reply)])


@needs_tshark
def test_tshark_dissects_megaco_add_and_reply(tmp_path: Path) -> None:
    path = tmp_path / "megaco.pcap"
    megaco_pcap(path)
    rows = fields(
        path,
        "frame.protocols",
        "megaco.mId",
        "megaco.transaction",
        "megaco.transid",
        "megaco.context",
        "megaco.command",
        "megaco.termid",
        "megaco.mode",
        "sdp.connection_info.address",
        "sdp.media.port",
        display_filter="megaco",
    )
    assert rows == [
        [
            "raw:ip:udp:megaco:sdp:sdp",
            "[127.0.0.4]:2944",
            "Request",
            "7",
            "4294967294",  # '$': "Choose one"
            "Add",
            "WildCard any",
            "SendReceive",
            "$;127.0.0.11",
            "40000",
            # the Local template's "m=audio $" port is not a number: no sdp.media.port
        ],
        [
            "raw:ip:udp:megaco:sdp",
            "[127.0.0.5]:2944",
            "Reply",
            "7",
            "1;1",
            "Add",
            "RTP/1",
            "",
            "127.0.0.5",
            "50000",
        ],
    ]


@needs_tshark
def test_tshark_finds_nothing_malformed_and_checksums_good(tmp_path: Path) -> None:
    path = tmp_path / "megaco.pcap"
    megaco_pcap(path)
    assert tshark(path, "-Y", "_ws.malformed") == ""
    assert tshark(path, "-Y", "_ws.expert") == ""
    rows = fields(path, "ip.checksum.status", "udp.checksum.status", "udp.port")
    assert rows == [["1", "1", "2944;2944"], ["1", "1", "2944;2944"]]  # 1 = Good
    assert "Errors" not in tshark(path, "-q", "-z", "expert")


@needs_tshark
def test_tshark_notices_a_bad_checksum(tmp_path: Path) -> None:
    """The validation is really on: a flipped payload bit makes the UDP checksum bad."""
    path = tmp_path / "bad.pcap"
    megaco_pcap(path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    rows = fields(path, "udp.checksum.status")
    assert rows == [["1"], ["0"]]  # 0 = Bad
    assert tshark(path, "-Y", "_ws.expert.severity == error")


@needs_tshark
def test_tshark_timestamps_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    stamps = [1700000000.123456, 1700000000.999999, 1700000001.000001, 1234.5]
    write_pcap(path, [(t, MGC, MG, b"x") for t in stamps])
    rows = fields(path, "frame.time_epoch")
    assert [row[0] for row in rows] == [
        "1700000000.123456000",
        "1700000000.999999000",
        "1700000001.000001000",
        "1234.500000000",
    ]


@needs_tshark
def test_tshark_dissects_sip_on_5060(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    write_pcap(path, [(1.0, ("127.0.0.11", 5060), ("127.0.0.12", 5060), INVITE)])
    rows = fields(
        path,
        "frame.protocols",
        "sip.Method",
        "sip.Call-ID",
        "sip.CSeq.seq",
        "sdp.media.port",
        "udp.checksum.status",
        display_filter="sip",
    )
    assert rows == [
        ["raw:ip:udp:sip:sdp", "INVITE", "a84b4c76e66710@127.0.0.11", "314159", "40000", "1"]
    ]
    assert tshark(path, "-Y", "_ws.malformed || _ws.expert.severity >= warning") == ""


@needs_tshark
def test_tshark_dissects_every_h248_builder_cleanly(tmp_path: Path) -> None:
    mgc, mg = "[127.0.0.4]:2944", "[127.0.0.5]:2944"
    messages = [
        h248.add_request(transaction_id=7, mid=mgc, remote_sdp=OFFER),
        h248.add_request(transaction_id=8, mid=mgc, context="1", local_sdp_request=False),
        h248.add_reply(
            transaction_id=7, mid=mg, context_id="1", termination_id="RTP/1", local_sdp=ANSWER
        ),
        h248.modify_request(
            transaction_id=9, mid=mgc, context_id="1", termination_id="RTP/1", remote_sdp=OFFER
        ),
        h248.modify_reply(
            transaction_id=9, mid=mg, context_id="1", termination_id="RTP/1", local_sdp=ANSWER
        ),
        h248.subtract_request(transaction_id=10, mid=mgc, context_id="1"),
        h248.subtract_reply(
            transaction_id=10,
            mid=mg,
            context_id="1",
            termination_ids=["RTP/1", "RTP/2"],
            statistics={"RTP/1": {"nt/os": 45123, "nt/dur": 40}},
        ),
        h248.notify_request(
            transaction_id=11,
            mid=mg,
            termination_id="RTP/1",
            context_id="1",
            timestamp="20240101T12000000",
        ),
        h248.notify_reply(transaction_id=11, mid=mgc, termination_id="RTP/1", context_id="1"),
        h248.service_change_request(transaction_id=12, mid=mg),
        h248.service_change_reply(transaction_id=12, mid=mgc),
        h248.error_reply(transaction_id=13, mid=mg, code=510, text="Insufficient resources"),
        h248.transaction_pending(transaction_id=14, mid=mg),
        h248.response_ack(mid=mgc, transaction_ids=[7, 9]),
    ]
    path = tmp_path / "all.pcap"
    write_pcap(path, [(1.0 + i, MGC, MG, m) for i, m in enumerate(messages)])
    rows = fields(path, "megaco.transid", "megaco.command", display_filter="megaco")
    assert [row[0] for row in rows] == [
        "7", "8", "7", "9", "9", "10", "10", "11", "11", "12", "12", "13", "14", "7"
    ]  # fmt: skip
    assert [row[1] for row in rows][:11] == [
        "Add", "Add", "Add", "Modify", "Modify", "Subtract", "Subtract;Subtract",
        "Notify", "Notify", "ServiceChange", "ServiceChange",
    ]  # fmt: skip
    assert tshark(path, "-Y", "_ws.malformed || _ws.expert") == ""
    assert fields(path, "megaco.error_code", display_filter="megaco.transid == 13") == [["510"]]
