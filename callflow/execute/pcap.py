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
:func:`read_pcap` reads such files back (for tests and tools).
"""

from __future__ import annotations

import ipaddress
import os
import struct
import tempfile
from collections.abc import Iterable
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

Address = tuple[str, int]


class PcapError(ValueError):
    """A capture file that is not classic pcap with raw IP packets."""


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
    """One UDP datagram read back; the checksum flags say whether they verified."""

    timestamp: float
    seconds: int
    microseconds: int
    src: Address
    dst: Address
    payload: bytes
    ip_checksum_ok: bool
    udp_checksum_ok: bool


def read_pcap(source: str | os.PathLike[str] | bytes) -> list[PcapPacket]:
    """Read a capture written by :class:`PcapWriter` (raw IPv4/IPv6 + UDP only)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(data) < _FILE_HEADER.size:
        raise PcapError("file too short for a pcap header")
    magic, major, minor, _, _, _, linktype = _FILE_HEADER.unpack_from(data)
    if magic != PCAP_MAGIC or (major, minor) != (2, 4):
        raise PcapError("not a little-endian microsecond pcap 2.4 file")
    if linktype != LINKTYPE_RAW:
        raise PcapError(f"link type {linktype}, expected {LINKTYPE_RAW} (raw IP)")
    packets: list[PcapPacket] = []
    offset = _FILE_HEADER.size
    while offset < len(data):
        if offset + _RECORD_HEADER.size > len(data):
            raise PcapError(f"truncated record header at offset {offset}")
        seconds, micros, caplen, _ = _RECORD_HEADER.unpack_from(data, offset)
        offset += _RECORD_HEADER.size
        packet = data[offset : offset + caplen]
        if len(packet) != caplen:
            raise PcapError(f"truncated packet at offset {offset}")
        offset += caplen
        packets.append(_decode(packet, seconds, micros))
    return packets


def _decode(packet: bytes, seconds: int, micros: int) -> PcapPacket:
    if not packet:
        raise PcapError("empty packet")
    version = packet[0] >> 4
    if version == 4:
        if len(packet) < 28:
            raise PcapError("IPv4 packet too short")
        header_len = (packet[0] & 0x0F) * 4
        proto = packet[9]
        src_ip, dst_ip = packet[12:16], packet[16:20]
        ip_ok = internet_checksum(packet[:header_len]) == 0
        pseudo_tail = struct.pack("!BB", 0, _UDP)
    elif version == 6:
        if len(packet) < 48:
            raise PcapError("IPv6 packet too short")
        header_len, proto = 40, packet[6]
        src_ip, dst_ip = packet[8:24], packet[24:40]
        ip_ok = True
        pseudo_tail = b""
    else:
        raise PcapError(f"IP version {version}")
    if proto != _UDP:
        raise PcapError(f"IP protocol {proto}, expected UDP")
    udp = packet[header_len:]
    sport, dport, length, checksum = _UDP_HEADER.unpack_from(udp)
    if length < 8 or length > len(udp):
        raise PcapError("bad UDP length")
    udp = udp[:length]
    if version == 4:
        pseudo = src_ip + dst_ip + pseudo_tail + struct.pack("!H", length)
    else:
        pseudo = src_ip + dst_ip + struct.pack("!I3xB", length, _UDP)
    udp_ok = checksum != 0 and internet_checksum(pseudo + udp) == 0
    return PcapPacket(
        timestamp=seconds + micros / 1_000_000,
        seconds=seconds,
        microseconds=micros,
        src=(str(ipaddress.ip_address(src_ip)), sport),
        dst=(str(ipaddress.ip_address(dst_ip)), dport),
        payload=bytes(udp[8:]),
        ip_checksum_ok=ip_ok,
        udp_checksum_ok=udp_ok,
    )
