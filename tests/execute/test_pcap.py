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
    PcapError,
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


# ---------------------------------------------------------------- reading foreign captures

G711A = Path("/usr/share/sip-tester/g711a.pcap")
EDITCAP = shutil.which("editcap")
needs_g711a = pytest.mark.skipif(
    not G711A.exists(), reason=f"{G711A} absent (Debian's sip-tester package ships it)"
)
SIP = (b"OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n", ("10.1.2.3", 5060), ("10.1.2.4", 5080))


def sip_ip() -> bytes:
    """A raw IPv4 packet with a UDP datagram, correct checksums."""
    payload, src, dst = SIP
    return udp_packet(src, dst, payload)


def classic(linktype: int, frames: list[bytes], *, order: str = "<", nano: bool = False) -> bytes:
    """A classic pcap file; frames at t = 1700000000 + k + 0.123456789 s."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for k, frame in enumerate(frames):
        fraction = 123456789 if nano else 123456
        out += struct.pack(order + "IIII", 1700000000 + k, fraction, len(frame), len(frame))
        out += frame
    return out


def block(order: str, kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", kind, length) + body + struct.pack(order + "I", length)


def pcapng_section(order: str, linktype: int, frames: list[bytes], tsresol: int = 6) -> bytes:
    """SHB, an IDB with if_tsresol, an unknown block, one EPB per frame and a closing SPB."""
    shb = block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    option = struct.pack(order + "HHB3x", 9, 1, tsresol) + struct.pack(order + "HH", 0, 0)
    idb = block(order, 1, struct.pack(order + "HHI", linktype, 0, 0) + option)
    out = shb + idb + block(order, 0x0BAD, b"ignore me")
    for k, frame in enumerate(frames):
        ticks = (1700000000 + k) * 10**tsresol + 123456789 * 10**tsresol // 10**9
        header = struct.pack(order + "IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(frame),
                             len(frame))  # fmt: skip
        out += block(order, 6, header + frame)
    out += block(order, 3, struct.pack(order + "I", len(frames[0])) + frames[0])
    return out


def ethernet(ip: bytes, *, ethertype: int = 0x0800, vlan: bool = False) -> bytes:
    macs = bytes.fromhex("0011223344550066778899aa")
    tag = struct.pack("!HH", 0x8100, 42) if vlan else b""
    return macs + tag + struct.pack("!H", ethertype) + ip


def assert_is_sip(packets: list, count: int = 1) -> None:
    payload, src, dst = SIP
    assert [(p.src, p.dst, p.payload) for p in packets] == [(src, dst, payload)] * count
    assert all(p.ip_checksum_ok and p.udp_checksum_ok for p in packets)


@needs_g711a
def test_reads_a_real_ethernet_capture() -> None:
    packets = read_pcap(G711A)
    assert len(packets) == 236
    assert {(p.src, p.dst) for p in packets} == {(("10.1.3.143", 5000), ("10.1.6.18", 2006))}
    assert {len(p.payload) for p in packets} == {12 + 240}  # RTP header + 30 ms of A-law
    assert packets[0].payload[:12] == bytes.fromhex("8088e6fd000000f0dee0ee8f")
    assert (packets[0].seconds, packets[0].microseconds) == (1027664343, 268118)
    assert (packets[-1].seconds, packets[-1].microseconds) == (1027664350, 317746)
    assert all(p.ip_checksum_ok and p.udp_checksum_ok for p in packets)


@needs_g711a
@pytest.mark.skipif(EDITCAP is None, reason="editcap is not installed (apt-get install tshark)")
def test_pcapng_conversion_reads_the_same_packets(tmp_path: Path) -> None:
    assert EDITCAP is not None
    converted = tmp_path / "g711a.pcapng"
    subprocess.run([EDITCAP, "-F", "pcapng", str(G711A), str(converted)], check=True, timeout=60)
    assert converted.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert read_pcap(converted) == read_pcap(G711A)


@pytest.mark.parametrize("order", ["<", ">"])
def test_hand_written_pcapng_both_byte_orders(order: str) -> None:
    packets = read_pcap(pcapng_section(order, 101, [sip_ip(), sip_ip()]))
    assert_is_sip(packets, 3)  # two EPBs and an SPB
    assert [(p.seconds, p.microseconds) for p in packets] == [
        (1700000000, 123456), (1700000001, 123456), (0, 0),  # an SPB has no timestamp
    ]  # fmt: skip


def test_pcapng_nanosecond_resolution_and_several_sections() -> None:
    data = pcapng_section("<", 1, [ethernet(sip_ip())], tsresol=9)
    data += pcapng_section(">", 113, [b"\x00\x00\x00\x01\x00\x06" + b"\x00" * 8 + b"\x08\x00"
                                      + sip_ip()])  # fmt: skip
    packets = read_pcap(data)
    assert_is_sip(packets, 4)
    assert packets[0].timestamp == pytest.approx(1700000000.123456789, abs=1e-6)
    assert packets[0].microseconds == 123456


def test_pcapng_truncated_block_raises() -> None:
    data = pcapng_section("<", 101, [sip_ip()])
    with pytest.raises(PcapError, match="block"):
        read_pcap(data[:-6])


def test_big_endian_classic_pcap() -> None:
    assert_is_sip(read_pcap(classic(101, [sip_ip(), sip_ip()], order=">")), 2)


@pytest.mark.parametrize("order", ["<", ">"])
def test_nanosecond_classic_pcap(order: str) -> None:
    packets = read_pcap(classic(101, [sip_ip()], order=order, nano=True))
    assert_is_sip(packets)
    assert (packets[0].seconds, packets[0].microseconds) == (1700000000, 123456)
    assert packets[0].timestamp == pytest.approx(1700000000.123456789, abs=1e-6)


def test_ethernet_with_vlan_tag() -> None:
    assert_is_sip(read_pcap(classic(1, [ethernet(sip_ip(), vlan=True)])))


def test_ethernet_padding_is_not_payload() -> None:
    """Short frames are padded to 60 bytes: the IP and UDP lengths say where data ends."""
    payload, src, dst = b"x", ("10.0.0.1", 1), ("10.0.0.2", 2)
    frame = ethernet(udp_packet(src, dst, payload)) + b"\x00" * 17
    (packet,) = read_pcap(classic(1, [frame]))
    assert packet.payload == b"x" and packet.udp_checksum_ok


def test_linux_cooked_v1_and_v2() -> None:
    sll = struct.pack("!HHH8sH", 0, 1, 6, b"\x00\x11\x22\x33\x44\x55\x00\x00", 0x0800)
    assert_is_sip(read_pcap(classic(113, [sll + sip_ip()])))
    sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, 3, 1, 4, 6, b"\x00" * 8)
    assert len(sll2) == 20
    assert_is_sip(read_pcap(classic(276, [sll2 + sip_ip()])))


@pytest.mark.parametrize(
    "family", [struct.pack("<I", 2), struct.pack(">I", 2), struct.pack("<I", 30)]
)
def test_bsd_null_loopback(family: bytes) -> None:
    if family == struct.pack("<I", 30):  # AF_INET6 on macOS
        ip = udp_packet(("::1", 5060), ("::1", 5062), b"v6")
        (packet,) = read_pcap(classic(0, [family + ip]))
        assert (packet.src, packet.payload) == (("::1", 5060), b"v6")
    else:
        assert_is_sip(read_pcap(classic(0, [family + sip_ip()])))


def test_raw_ipv4_and_ipv6_link_types() -> None:
    assert_is_sip(read_pcap(classic(228, [sip_ip()])))
    ip = udp_packet(("fe80::1", 1), ("fe80::2", 2), b"six")
    (packet,) = read_pcap(classic(229, [ip]))
    assert packet.payload == b"six" and packet.udp_checksum_ok


def test_ipv6_extension_headers_are_skipped() -> None:
    ip = udp_packet(("fe80::1", 1), ("fe80::2", 2), b"hop")
    hop_by_hop = bytes([17, 0]) + b"\x01\x04\x00\x00\x00\x00"  # next: UDP; PadN
    payload_len = struct.unpack_from("!H", ip, 4)[0] + 8
    with_ext = ip[:4] + struct.pack("!HB", payload_len, 0) + ip[7:40] + hop_by_hop + ip[40:]
    (packet,) = read_pcap(classic(101, [with_ext]))
    assert packet.payload == b"hop" and packet.udp_checksum_ok


def test_non_udp_and_non_ip_packets_are_skipped() -> None:
    arp = ethernet(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x00" * 20, ethertype=0x0806)
    tcp = bytearray(sip_ip())
    tcp[9] = 6  # protocol TCP (checksum now wrong: no matter, it is skipped)
    fragment = bytearray(sip_ip())
    fragment[6] = 0x20  # more fragments
    frames = [arp, ethernet(bytes(tcp)), ethernet(sip_ip()), ethernet(bytes(fragment))]
    assert_is_sip(read_pcap(classic(1, frames)))


def test_snapshot_cut_datagram_is_skipped_but_garbled_one_raises() -> None:
    whole = ethernet(sip_ip())
    cut = whole[:50]
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 50, 1)
    record = struct.pack("<IIII", 1, 0, len(cut), len(whole)) + cut
    assert read_pcap(header + record) == []
    garbled = struct.pack("<IIII", 1, 0, len(cut), len(cut)) + cut  # says it is whole
    with pytest.raises(PcapError, match="packet 1"):
        read_pcap(header + garbled)


def test_udp_checksum_zero_reads_but_is_not_verified() -> None:
    ip = bytearray(sip_ip())
    ip[26:28] = b"\x00\x00"  # IPv4 allows "no checksum"
    (packet,) = read_pcap(classic(101, [bytes(ip)]))
    assert packet.payload == SIP[0]
    assert packet.ip_checksum_ok and not packet.udp_checksum_ok


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x00" * 24, "not a pcap or pcapng"),
        (classic(127, [b"radiotap"]), "link type 127"),
        (classic(101, [sip_ip()])[:-5], "truncated packet"),
        (classic(101, [sip_ip()]) + b"\x00" * 7, "truncated record header"),
        (classic(101, [b"\x15" + sip_ip()[1:]]), "IP version 1"),
        (struct.pack("<IHHiIII", 0xA1B2C3D4, 3, 0, 0, 0, 65535, 1), "version 3"),
    ],
)
def test_unreadable_files_raise(data: bytes, reason: str) -> None:
    with pytest.raises(PcapError, match=reason):
        read_pcap(data)
