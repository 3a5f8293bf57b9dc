"""Classic libpcap capture files of the UDP datagrams a run exchanged.

Format: the original pcap file format (magic ``a1b2c3d4``, little-endian, version 2.4,
microsecond timestamps, snaplen 65535) with link type ``LINKTYPE_RAW`` (101): each record is a
bare IPv4 (or IPv6) packet, no Ethernet header; Wireshark/tshark decode it as "Raw IP". Every
packet gets a correct IPv4 header checksum (ids counting up from 1, DF set, TTL 64) and a
correct UDP checksum, so ``-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE`` report them
good. Timestamps are seconds since the epoch (a float), rounded to the microsecond.

:class:`PcapWriter` writes packets as they come; given a path it writes a temporary file next
to it and renames it into place on :meth:`PcapWriter.close` (discarded if the ``with`` block
raises), so a reader never sees half a capture. :func:`write_pcap` does the same in one call.

Reading: :func:`read_pcap` reads these files back, and real captures too (a participant's
``voice=`` may name one): classic pcap in either byte order with microsecond or nanosecond
timestamps, and pcapng (every section, either byte order, per-interface link type,
``if_tsresol`` and ``if_tsoffset``; Enhanced, Simple and obsolete Packet Blocks; other blocks
skipped). Link types: Ethernet (802.1Q/802.1ad tags skipped), BSD null/loopback, raw IP, and
Linux cooked captures v1 and v2. It returns the UDP datagrams; anything else (ARP, TCP, IP
fragments, which are not reassembled, packets of other link types in a pcapng file) is
skipped, and so is a datagram cut short by the capture's snapshot length. A file that is not
a capture, ends mid-record or holds self-contradicting headers raises :class:`PcapError`.

The checksum flags say "verified": ``ip_checksum_ok`` is True when the IPv4 header checksum
verifies (always for IPv6, which has none); ``udp_checksum_ok`` when the UDP checksum is
present and verifies. False does not mean corrupt: IPv4 allows UDP checksum 0 (none), and
packets captured on the sending host usually carry a checksum the network card fills in after
the capture (checksum offloading). Readers of foreign captures should not drop packets on it.
"""

from __future__ import annotations

import ipaddress
import os
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

__all__ = [
    "LINKTYPE_RAW",
    "PcapError",
    "PcapPacket",
    "PcapWriter",
    "internet_checksum",
    "read_pcap",
    "udp_packet",
    "write_pcap",
]

#: link type "Raw IP" (the packet begins with the IPv4/IPv6 header)
LINKTYPE_RAW = 101
PCAP_MAGIC = 0xA1B2C3D4
SNAPLEN = 65535
_FILE_HEADER = struct.Struct("<IHHiIII")
_RECORD_HEADER = struct.Struct("<IIII")
_IPV4_HEADER = struct.Struct("!BBHHHBBH4s4s")
_UDP_HEADER = struct.Struct("!HHHH")
_TTL = 64
_UDP = 17
_MAX_PAYLOAD_V4 = 65535 - 20 - 8
#: classic pcap magic numbers as the first four bytes -> (struct byte order, ticks per second)
_CLASSIC_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
_SHB = 0x0A0D0D0A  # a palindrome: the same in both byte orders
_SHB_TYPE = b"\x0a\x0d\x0d\x0a"
_BYTE_ORDER_MAGICS = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
_IDB, _OPB, _SPB, _EPB = 1, 2, 3, 6
_IF_TSRESOL, _IF_TSOFFSET = 9, 14
_AF_INET_ANY = {2, 10, 24, 28, 30}  # AF_INET; AF_INET6 on Linux, NetBSD, FreeBSD, macOS
_ETHERTYPES_IP = {0x0800, 0x86DD}
_VLAN_TAGS = {0x8100, 0x88A8, 0x9100}
_IPV6_FRAGMENT, _IPV6_AH = 44, 51
_IPV6_EXTENSIONS = {0, 43, _IPV6_FRAGMENT, _IPV6_AH, 60}  # hop-by-hop, routing, ..., dst opts

Address = tuple[str, int]


class PcapError(ValueError):
    """A file that is not a readable capture: unknown format, truncated or garbled."""


def internet_checksum(data: bytes) -> int:
    """The 16-bit one's complement of the one's complement sum (RFC 1071)."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(value)
    except ValueError as exc:
        raise ValueError(f"bad IP address {value!r}") from exc


def _port(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"bad UDP port {value!r}")
    return value


def udp_packet(src: Address, dst: Address, payload: bytes, *, ip_id: int = 1) -> bytes:
    """An IPv4 (or IPv6) packet carrying one UDP datagram, both checksums filled in."""
    src_ip, dst_ip = _address(src[0]), _address(dst[0])
    sport, dport = _port(src[1]), _port(dst[1])
    if src_ip.version != dst_ip.version:
        raise ValueError(f"cannot mix IPv{src_ip.version} and IPv{dst_ip.version}")
    payload = bytes(payload)
    udp_length = 8 + len(payload)
    if src_ip.version == 4:
        if len(payload) > _MAX_PAYLOAD_V4:
            raise ValueError(f"UDP payload of {len(payload)} bytes does not fit in IPv4")
        pseudo = src_ip.packed + dst_ip.packed + struct.pack("!BBH", 0, _UDP, udp_length)
    else:
        if udp_length > 65535:
            raise ValueError(f"UDP payload of {len(payload)} bytes is too large")
        pseudo = src_ip.packed + dst_ip.packed + struct.pack("!I3xB", udp_length, _UDP)
    header = _UDP_HEADER.pack(sport, dport, udp_length, 0)
    checksum = internet_checksum(pseudo + header + payload) or 0xFFFF
    udp = _UDP_HEADER.pack(sport, dport, udp_length, checksum) + payload
    if src_ip.version == 6:
        first = 6 << 28
        return (
            struct.pack("!IHBB", first, len(udp), _UDP, _TTL) + src_ip.packed + dst_ip.packed + udp
        )
    total = 20 + len(udp)
    fields = [0x45, 0, total, ip_id & 0xFFFF, 0x4000, _TTL, _UDP, 0, src_ip.packed, dst_ip.packed]
    fields[7] = internet_checksum(_IPV4_HEADER.pack(*fields))
    return _IPV4_HEADER.pack(*fields) + udp


def _split_time(timestamp: float) -> tuple[int, int]:
    if not timestamp >= 0:  # also rejects NaN
        raise ValueError(f"bad timestamp {timestamp!r}")
    seconds, micros = divmod(round(timestamp * 1_000_000), 1_000_000)
    if seconds > 0xFFFFFFFF:
        raise ValueError(f"timestamp {timestamp!r} beyond 2106")
    return seconds, micros


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


class PcapWriter:
    """Writes a classic pcap file with raw IP packets (see the module docstring).

    ``path_or_file``: a path (written atomically: temporary file, renamed on ``close``) or a
    binary file object (written directly; ``close`` flushes it but leaves it open).
    """

    def __init__(self, path_or_file: str | os.PathLike[str] | BinaryIO) -> None:
        self._path: Path | None = None
        self._temp: Path | None = None
        self._owned = False
        if isinstance(path_or_file, str | os.PathLike):
            self._path = Path(path_or_file)
            fd, temp = tempfile.mkstemp(
                dir=self._path.parent, prefix=f".{self._path.name}.", suffix=".tmp"
            )
            self._temp = Path(temp)
            os.chmod(fd, _file_mode())  # mkstemp creates 0600; give the usual umask'd mode
            self._file: BinaryIO = os.fdopen(fd, "wb")
            self._owned = True
        else:
            self._file = path_or_file
        self._next_id = 1
        self._closed = False
        self.count = 0
        self._file.write(_FILE_HEADER.pack(PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_RAW))

    def write_packet(self, *, timestamp: float, packet: bytes) -> None:
        """Append one raw IP packet."""
        if self._closed:
            raise ValueError("PcapWriter is closed")
        seconds, micros = _split_time(timestamp)
        captured = packet[:SNAPLEN]
        self._file.write(_RECORD_HEADER.pack(seconds, micros, len(captured), len(packet)))
        self._file.write(captured)
        self.count += 1

    def write_udp(self, *, timestamp: float, src: Address, dst: Address, payload: bytes) -> None:
        """Append one UDP datagram from ``src`` (ip, port) to ``dst`` (ip, port)."""
        packet = udp_packet(src, dst, payload, ip_id=self._next_id)
        self._next_id = self._next_id % 0xFFFF + 1
        self.write_packet(timestamp=timestamp, packet=packet)

    def close(self) -> None:
        """Finish the file (rename it into place when writing to a path)."""
        if self._closed:
            return
        self._closed = True
        self._file.flush()
        if not self._owned:
            return
        os.fsync(self._file.fileno())
        self._file.close()
        assert self._temp is not None and self._path is not None
        os.replace(self._temp, self._path)

    def abort(self) -> None:
        """Give up: the temporary file is removed and the target left untouched."""
        if self._closed:
            return
        self._closed = True
        if self._owned:
            self._file.close()
            assert self._temp is not None
            self._temp.unlink(missing_ok=True)

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_pcap(
    path: str | os.PathLike[str],
    packets: Iterable[tuple[float, Address, Address, bytes]],
) -> None:
    """Write (timestamp, (src_ip, sport), (dst_ip, dport), payload) datagrams atomically."""
    with PcapWriter(path) as writer:
        for timestamp, src, dst, payload in packets:
            writer.write_udp(timestamp=timestamp, src=src, dst=dst, payload=payload)


@dataclass(frozen=True)
class PcapPacket:
    """One UDP datagram read back; the checksum flags say whether they verified.

    ``microseconds`` is the sub-second part truncated to the microsecond (finer captures
    keep their precision in ``timestamp`` as far as a float can).
    """

    timestamp: float
    seconds: int
    microseconds: int
    src: Address
    dst: Address
    payload: bytes
    ip_checksum_ok: bool
    udp_checksum_ok: bool


def read_pcap(source: str | os.PathLike[str] | bytes) -> list[PcapPacket]:
    """The UDP datagrams of a capture, ours or anyone's (see "Reading" in the module docstring).

    Packets that are not UDP over IP are skipped; a file that is not a capture, or is cut
    short or garbled, raises :class:`PcapError`.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    frames = _pcapng_frames(data) if data[:4] == _SHB_TYPE else _classic_frames(data)
    packets: list[PcapPacket] = []
    unsupported: set[int] = set()
    supported = 0
    for frame in frames:
        if frame.linktype not in _LINK_LAYERS:
            unsupported.add(frame.linktype)
            continue
        supported += 1
        packet = _decode(frame)
        if packet is not None:
            packets.append(packet)
    if unsupported and not supported:
        raise PcapError(f"link type {_names(unsupported)}: {_SUPPORTED}")
    return packets


@dataclass(frozen=True, slots=True)
class _Frame:
    """One captured frame, before its link layer is looked at."""

    number: int  # 1-based, as Wireshark counts
    linktype: int
    seconds: int
    fraction: int  # of a second, in 1/ticks
    ticks: int  # per second
    data: bytes
    whole: bool  # not cut by the snapshot length


def _names(linktypes: set[int]) -> str:
    return ", ".join(str(t) for t in sorted(linktypes))


# ------------------------------------------------------------------ file formats


def _classic_frames(data: bytes) -> Iterator[_Frame]:
    if len(data) < _FILE_HEADER.size:
        raise PcapError("file too short for a pcap header")
    magic = data[:4]
    if magic not in _CLASSIC_MAGICS:
        raise PcapError("not a pcap or pcapng file (unknown magic number)")
    order, ticks = _CLASSIC_MAGICS[magic]
    header = struct.Struct(order + "IHHiIII")
    _, major, minor, _, _, _, linkfield = header.unpack_from(data)
    if major != 2:
        raise PcapError(f"pcap version {major}.{minor}, expected 2.x")
    linktype = linkfield & 0xFFFF  # the upper bits may say whether frames end in an FCS
    if linktype not in _LINK_LAYERS:
        raise PcapError(f"link type {linktype}: {_SUPPORTED}")
    record = struct.Struct(order + "IIII")
    offset, number = header.size, 0
    while offset < len(data):
        number += 1
        if offset + record.size > len(data):
            raise PcapError(f"truncated record header at offset {offset}")
        seconds, fraction, caplen, origlen = record.unpack_from(data, offset)
        offset += record.size
        seconds += fraction // ticks  # some writers let the sub-second part overflow
        fraction %= ticks
        packet = data[offset : offset + caplen]
        if len(packet) != caplen:
            raise PcapError(f"truncated packet at offset {offset}")
        offset += caplen
        yield _Frame(number, linktype, seconds, fraction, ticks, packet, caplen >= origlen)


@dataclass(slots=True)
class _Interface:
    linktype: int
    snaplen: int
    ticks: int = 1_000_000
    offset: int = 0  # if_tsoffset, seconds


def _pcapng_frames(data: bytes) -> Iterator[_Frame]:
    """Packets of every section: EPB, SPB and the obsolete PB; other blocks are skipped."""
    order = "<"
    interfaces: list[_Interface] = []
    offset, number = 0, 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise PcapError(f"truncated pcapng block at offset {offset}")
        if data[offset : offset + 4] == _SHB_TYPE:
            bom = data[offset + 8 : offset + 12]
            if bom not in _BYTE_ORDER_MAGICS:
                raise PcapError(f"pcapng section at offset {offset} has no byte-order magic")
            order = _BYTE_ORDER_MAGICS[bom]
            interfaces = []  # interface ids are per section
        kind, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or length % 4 or offset + length > len(data):
            raise PcapError(f"pcapng block at offset {offset}: bad or truncated length {length}")
        (trailer,) = struct.unpack_from(order + "I", data, offset + length - 4)
        if trailer != length:
            raise PcapError(f"pcapng block at offset {offset}: lengths {length} and {trailer}")
        body = data[offset + 8 : offset + length - 4]
        where = offset
        offset += length
        if kind == _SHB:
            if len(body) < 16:
                raise PcapError(f"pcapng section header at offset {where} too short")
            (major,) = struct.unpack_from(order + "H", body, 4)
            if major != 1:
                raise PcapError(f"pcapng version {major}, expected 1")
        elif kind == _IDB:
            interfaces.append(_interface(body, order, where))
        elif kind in (_EPB, _OPB, _SPB):
            number += 1
            yield _pcapng_packet(kind, body, order, interfaces, number, where)


def _interface(body: bytes, order: str, where: int) -> _Interface:
    if len(body) < 8:
        raise PcapError(f"pcapng interface block at offset {where} too short")
    linktype, _, snaplen = struct.unpack_from(order + "HHI", body)
    interface = _Interface(linktype, snaplen)
    for code, value in _options(body[8:], order, where):
        if code == _IF_TSRESOL and value:
            exponent = value[0] & 0x7F
            interface.ticks = 2**exponent if value[0] & 0x80 else 10**exponent
        elif code == _IF_TSOFFSET and len(value) == 8:
            (interface.offset,) = struct.unpack(order + "q", value)
    return interface


def _options(data: bytes, order: str, where: int) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 4 <= len(data):
        code, length = struct.unpack_from(order + "HH", data, offset)
        if code == 0:  # opt_endofopt
            return
        value = data[offset + 4 : offset + 4 + length]
        if len(value) != length:
            raise PcapError(f"pcapng block at offset {where}: option {code} runs past the end")
        yield code, value
        offset += 4 + (length + 3) // 4 * 4


def _pcapng_packet(
    kind: int, body: bytes, order: str, interfaces: list[_Interface], number: int, where: int
) -> _Frame:
    stamp: int | None
    if kind == _SPB:  # no interface id (always 0), no timestamp, no captured length
        if len(body) < 4:
            raise PcapError(f"pcapng simple packet block at offset {where} too short")
        (origlen,) = struct.unpack_from(order + "I", body)
        interface_id, stamp, header = 0, None, 4
        caplen = min(origlen, len(body) - 4)
        if interfaces and interfaces[0].snaplen:
            caplen = min(caplen, interfaces[0].snaplen)
    elif kind == _EPB:
        if len(body) < 20:
            raise PcapError(f"pcapng packet block at offset {where} too short")
        interface_id, high, low, caplen, origlen = struct.unpack_from(order + "IIIII", body)
        stamp, header = high << 32 | low, 20
    else:  # the obsolete Packet Block
        if len(body) < 20:
            raise PcapError(f"pcapng packet block at offset {where} too short")
        interface_id, _, high, low, caplen, origlen = struct.unpack_from(order + "HHIIII", body)
        stamp, header = high << 32 | low, 20
    if interface_id >= len(interfaces):
        raise PcapError(f"pcapng packet at offset {where}: no interface {interface_id} declared")
    packet = body[header : header + caplen]
    if len(packet) != caplen:
        raise PcapError(f"pcapng packet at offset {where}: captured length {caplen} too long")
    interface = interfaces[interface_id]
    if stamp is None:
        seconds, fraction = 0, 0
    else:
        seconds, fraction = divmod(stamp, interface.ticks)
        seconds = max(seconds + interface.offset, 0)
    return _Frame(
        number, interface.linktype, seconds, fraction, interface.ticks, packet, caplen >= origlen
    )


# ------------------------------------------------------------------ link layers


def _null(data: bytes) -> bytes | None:
    """BSD loopback: a 4-byte address family in the capturing host's byte order (or, for
    LINKTYPE_LOOP, network order): try both, the family is small."""
    if len(data) < 4:
        return None
    (family,) = struct.unpack_from("<I", data)
    if family > 0xFFFF:
        (family,) = struct.unpack_from(">I", data)
    return data[4:] if family in _AF_INET_ANY else None


def _ethertype(data: bytes, offset: int) -> bytes | None:
    """The IP packet after an EtherType at ``offset``, past any 802.1Q/802.1ad tags."""
    while offset + 2 <= len(data):
        (ethertype,) = struct.unpack_from("!H", data, offset)
        if ethertype in _VLAN_TAGS:
            offset += 4
            continue
        return data[offset + 2 :] if ethertype in _ETHERTYPES_IP else None
    return None


def _ethernet(data: bytes) -> bytes | None:
    return _ethertype(data, 12)


def _sll(data: bytes) -> bytes | None:
    """Linux cooked capture v1: 16-byte header ending with the protocol (an EtherType)."""
    return _ethertype(data, 14)


def _sll2(data: bytes) -> bytes | None:
    """Linux cooked capture v2: the protocol comes first, the payload after 20 bytes."""
    return _ethertype(data[:2] + data[20:], 0) if len(data) >= 20 else None


def _raw(data: bytes) -> bytes | None:
    return data


_RAW_IP = (LINKTYPE_RAW, 228, 229)
_LINK_LAYERS: dict[int, Callable[[bytes], bytes | None]] = {
    0: _null,  # LINKTYPE_NULL (BSD loopback)
    1: _ethernet,  # LINKTYPE_ETHERNET
    LINKTYPE_RAW: _raw,
    108: _null,  # LINKTYPE_LOOP (OpenBSD loopback)
    113: _sll,  # LINKTYPE_LINUX_SLL
    228: _raw,  # LINKTYPE_IPV4
    229: _raw,  # LINKTYPE_IPV6
    276: _sll2,  # LINKTYPE_LINUX_SLL2
}
_SUPPORTED = (
    "not supported (Ethernet 1, null/loopback 0 and 108, raw IP 101, 228 and 229, "
    "Linux cooked 113 and 276)"
)


# ------------------------------------------------------------------ IP and UDP


def _decode(frame: _Frame) -> PcapPacket | None:
    """The frame's UDP datagram; None when it carries none (or not all of one)."""
    packet = _LINK_LAYERS[frame.linktype](frame.data)
    if packet is None:
        return None
    where = f"packet {frame.number}"
    if not packet:
        return _short(frame.whole, f"{where}: no IP header after the link-layer header")
    version = packet[0] >> 4
    if version == 4:
        found = _ipv4(packet, frame.whole, where)
    elif version == 6:
        found = _ipv6(packet, frame.whole, where)
    else:
        raise PcapError(f"{where}: IP version {version} in an IP frame")
    if found is None:
        return None
    src_ip, dst_ip, udp, ip_ok = found
    if len(udp) < 8:
        return _short(frame.whole, f"{where}: {len(udp)} bytes is too short for a UDP header")
    sport, dport, length, checksum = _UDP_HEADER.unpack_from(udp)
    if length < 8:
        raise PcapError(f"{where}: bad UDP length {length}")
    if length > len(udp):
        return _short(frame.whole, f"{where}: UDP length {length} beyond the IP payload")
    udp = udp[:length]
    if version == 4:
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, _UDP, length)
    else:
        pseudo = src_ip + dst_ip + struct.pack("!I3xB", length, _UDP)
    udp_ok = checksum != 0 and internet_checksum(pseudo + udp) == 0
    return PcapPacket(
        timestamp=frame.seconds + frame.fraction / frame.ticks,
        seconds=frame.seconds,
        microseconds=frame.fraction * 1_000_000 // frame.ticks,
        src=(str(ipaddress.ip_address(src_ip)), sport),
        dst=(str(ipaddress.ip_address(dst_ip)), dport),
        payload=bytes(udp[8:]),
        ip_checksum_ok=ip_ok,
        udp_checksum_ok=udp_ok,
    )


def _short(whole: bool, message: str) -> None:
    """Too short for a header: garbled if captured whole, else cut by the snapshot length."""
    if whole:
        raise PcapError(message)
    return None


#: source address, destination address, the UDP datagram (maybe cut), IP header checksum ok
_Found = tuple[bytes, bytes, bytes, bool]


def _ipv4(packet: bytes, whole: bool, where: str) -> _Found | None:
    if len(packet) < 20:
        return _short(whole, f"{where}: IPv4 packet too short")
    header_len = (packet[0] & 0x0F) * 4
    total, fragment = struct.unpack_from("!HxxH", packet, 2)
    if total == 0:  # segmentation offload on the capturing host: no length yet
        total = len(packet)
    if header_len < 20 or total < header_len:
        raise PcapError(f"{where}: bad IPv4 header length {header_len} (total {total})")
    if total > len(packet):
        if whole:
            raise PcapError(f"{where}: IPv4 length {total} beyond the {len(packet)} bytes")
        total = len(packet)  # cut by the snapshot length: the UDP length decides
    if packet[9] != _UDP or fragment & 0x3FFF:  # not UDP, or a fragment (not reassembled)
        return None
    ip_ok = internet_checksum(packet[:header_len]) == 0
    return packet[12:16], packet[16:20], packet[header_len:total], ip_ok


def _ipv6(packet: bytes, whole: bool, where: str) -> _Found | None:
    if len(packet) < 40:
        return _short(whole, f"{where}: IPv6 packet too short")
    payload_len, proto = struct.unpack_from("!HB", packet, 4)
    if payload_len == 0:
        return None  # a jumbogram, or nothing at all
    end = 40 + payload_len
    if end > len(packet):
        if whole:
            raise PcapError(f"{where}: IPv6 payload length {payload_len} beyond the packet")
        end = len(packet)
    offset = 40
    while proto in _IPV6_EXTENSIONS:
        if offset + 8 > end:
            return _short(whole, f"{where}: IPv6 extension header runs past the packet")
        if proto == _IPV6_FRAGMENT:
            if struct.unpack_from("!H", packet, offset + 2)[0] & 0xFFF9:
                return None  # a fragment with an offset or more to come: not reassembled
            size = 8
        elif proto == _IPV6_AH:
            size = (packet[offset + 1] + 2) * 4
        else:
            size = (packet[offset + 1] + 1) * 8
        proto = packet[offset]
        offset += size
    if proto != _UDP or offset > end:
        return None
    return packet[8:24], packet[24:40], packet[offset:end], True
