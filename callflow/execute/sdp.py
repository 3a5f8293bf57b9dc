"""SDP bodies (RFC 4566) and the offer/answer model (RFC 3264) for executed calls.

An offer has one audio stream: ``v=``, ``o=``, ``s=``, ``c=IN IP4``, ``t=0 0``,
``m=audio PORT RTP/AVP PTs`` with ``a=rtpmap``, ``a=ptime`` and a direction attribute.
An answer has as many m-lines as the offer, in the same order; the first audio stream
it can take gets the answerer's port and the first offered codec the answerer supports
(plus telephone-event when both offer it); every other stream is rejected with port 0.
:func:`parse_sdp` raises only :class:`SdpError`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "CODECS",
    "Codec",
    "SdpError",
    "SdpInfo",
    "SdpMedia",
    "make_answer",
    "make_offer",
    "parse_sdp",
]

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


class SdpError(ValueError):
    """A body that is not usable SDP; the message says why."""


@dataclass(frozen=True)
class Codec:
    """An RTP payload format: its name as in ``a=rtpmap``, payload type, clock rate."""

    name: str
    payload_type: int
    clock_rate: int
    fmtp: str | None = None

    @property
    def rtpmap(self) -> str:
        return f"{self.payload_type} {self.name}/{self.clock_rate}"


#: codecs by upper-case name; static payload types from RFC 3551, dynamic ones (96+) our own
CODECS: dict[str, Codec] = {
    c.name.upper(): c
    for c in (
        Codec("PCMU", 0, 8000),
        Codec("GSM", 3, 8000),
        Codec("G723", 4, 8000),
        Codec("PCMA", 8, 8000),
        Codec("G722", 9, 8000),
        Codec("G728", 15, 8000),
        Codec("G729", 18, 8000),
        Codec("AMR", 96, 8000, "octet-align=1"),
        Codec("AMR-WB", 97, 16000, "octet-align=1"),
        Codec("telephone-event", 101, 8000, "0-16"),
    )
}
_STATIC_NAMES = {c.payload_type: c.name for c in CODECS.values() if c.payload_type < 96}
_DTMF = "TELEPHONE-EVENT"


@dataclass(frozen=True)
class SdpMedia:
    """One m-line with its attributes (media-level ``c=`` or the session's)."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    address: str | None
    codecs: tuple[str, ...]
    payload_types: tuple[int, ...]
    ptime_ms: int | None
    direction: str
    rtpmap: tuple[tuple[int, str, int], ...] = ()


@dataclass(frozen=True)
class SdpInfo:
    """A parsed SDP body; ``address``/``port``/``codecs``... describe its first audio
    stream (or first stream; port 0 and no codecs if it has none)."""

    address: str
    port: int
    codecs: tuple[str, ...]
    payload_types: tuple[int, ...]
    ptime_ms: int | None
    session_id: int = 0
    session_version: int = 0
    direction: str = "sendrecv"
    media: tuple[SdpMedia, ...] = ()


def _conn(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"IN IP4 {address}"  # a host name: RFC 4566 allows an FQDN
    return f"IN IP{ip.version} {address}"


def _session_lines(session_id: int, version: int | None, address: str) -> list[str]:
    if session_id < 0 or (version is not None and version < 0):
        raise ValueError("SDP session id and version must not be negative")
    return [
        "v=0",
        f"o=- {session_id} {session_id if version is None else version} {_conn(address)}",
        "s=-",
        f"c={_conn(address)}",
        "t=0 0",
    ]


def _codec(name: str) -> Codec:
    try:
        return CODECS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown codec {name!r} (known: {', '.join(CODECS)})") from None


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} out of range")


def make_offer(
    *,
    session_id: int,
    address: str,
    port: int,
    codecs: Sequence[str] = ("PCMU",),
    ptime_ms: int = 20,
    direction: str = "sendrecv",
    version: int | None = None,
) -> bytes:
    """An SDP offer of one audio stream at ``address:port`` with ``codecs`` in order of
    preference (names from :data:`CODECS`). ``version`` (default ``session_id``) must
    grow in each new offer of the same session (RFC 3264 §8). Raises ValueError."""
    _check_port(port)
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    chosen = [_codec(n) for n in codecs]
    if not chosen:
        raise ValueError("an offer needs at least one codec")
    lines = _session_lines(session_id, version, address)
    lines.append(f"m=audio {port} RTP/AVP {' '.join(str(c.payload_type) for c in chosen)}")
    lines += [f"a=rtpmap:{c.rtpmap}" for c in chosen]
    lines += [f"a=fmtp:{c.payload_type} {c.fmtp}" for c in chosen if c.fmtp]
    lines += [f"a=ptime:{ptime_ms}", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def make_answer(
    offer: bytes,
    *,
    session_id: int,
    address: str,
    port: int,
    codecs: Sequence[str] | None = None,
    version: int | None = None,
) -> bytes:
    """The RFC 3264 answer to ``offer``: same m-lines in the same order; the first
    RTP/AVP audio stream with a codec in ``codecs`` (default: every known codec) is
    accepted at ``address:port`` with the first such codec in the offer's order and the
    offer's payload type, ptime, and reversed direction; the others get port 0.
    Raises SdpError for an offer that does not parse."""
    _check_port(port)
    info = parse_sdp(offer)
    supported = {c.upper() for c in codecs} if codecs is not None else set(CODECS)
    lines = _session_lines(session_id, version, address)
    accepted = False
    for media in info.media:
        chosen: list[tuple[int, str, int]] = []
        if not accepted and media.media == "audio" and media.port and media.proto == "RTP/AVP":
            maps = {pt: (name, rate) for pt, name, rate in media.rtpmap}
            offered = [
                (pt, *maps.get(pt, (name, _rate_of(name))))
                for pt, name in zip(media.payload_types, media.codecs, strict=True)
            ]
            first = next(
                (o for o in offered if o[1].upper() in supported and o[1].upper() != _DTMF),
                None,
            )
            if first is not None:
                chosen.append(first)
                dtmf = next((o for o in offered if o[1].upper() == _DTMF), None)
                if dtmf is not None and _DTMF in supported:
                    chosen.append(dtmf)
        if not chosen:
            lines.append(f"m={media.media} 0 {media.proto} {media.formats[0]}")
            continue
        accepted = True
        lines.append(f"m=audio {port} RTP/AVP {' '.join(str(pt) for pt, _, _ in chosen)}")
        for pt, name, rate in chosen:
            lines.append(f"a=rtpmap:{pt} {CODECS[name.upper()].name}/{rate}")
        for pt, name, _ in chosen:
            fmtp = CODECS[name.upper()].fmtp
            if fmtp:
                lines.append(f"a=fmtp:{pt} {fmtp}")
        if media.ptime_ms is not None:
            lines.append(f"a=ptime:{media.ptime_ms}")
        lines.append(f"a={_REVERSE[media.direction]}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _rate_of(name: str) -> int:
    known = CODECS.get(name.upper())
    return known.clock_rate if known else 8000


# -- parsing --------------------------------------------------------------------------

_LINE_RE = re.compile(r"^([a-z])=(.*)$")
_ORIGIN_RE = re.compile(r"^(\S+) ([0-9]{1,20}) ([0-9]{1,20}) (\S+) (\S+) (\S+)$")
_CONN_RE = re.compile(r"^IN (IP4|IP6) ([^\s/]+)(?:/[0-9]+(?:/[0-9]+)?)?$")
_MEDIA_RE = re.compile(r"^([a-z][a-z0-9\-]*) ([0-9]{1,5})(?:/[0-9]+)? (\S+)((?: \S+)+)$")
_RTPMAP_RE = re.compile(r"^([0-9]{1,3}) ([^/\s]+)/([0-9]{1,7})(?:/[0-9]+)?$")
_PTIME_RE = re.compile(r"^([0-9]{1,5})(?:\.[0-9]+)?$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass
class _MediaDraft:
    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    address: str | None = None
    ptime_ms: int | None = None
    direction: str | None = None
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)


def parse_sdp(data: bytes) -> SdpInfo:
    """Parse an SDP body (CRLF or LF line ends); raise :class:`SdpError` on anything
    that is not RFC 4566 SDP with a connection address for each stream."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SdpError(f"expected bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines or lines[0] != "v=0":
        raise SdpError("SDP must start with v=0")
    session_id = session_version = 0
    session_addr: str | None = None
    session_dir = "sendrecv"
    seen: set[str] = set()
    medias: list[_MediaDraft] = []
    for number, line in enumerate(lines, 1):
        m = _LINE_RE.match(line)
        if not m or _CONTROL_RE.search(line):
            raise SdpError(f"line {number}: not a type=value line: {line[:60]!r}")
        kind, value = m.groups()
        current = medias[-1] if medias else None
        if number == 2 and kind != "o":
            raise SdpError("the second line must be o=")
        if kind == "o":
            om = _ORIGIN_RE.match(value)
            if number != 2 or not om:
                raise SdpError(f"line {number}: bad o= line {value[:60]!r}")
            session_id, session_version = int(om.group(2)), int(om.group(3))
        elif kind == "c":
            cm = _CONN_RE.match(value)
            if not cm:
                raise SdpError(f"line {number}: bad c= line {value[:60]!r}")
            if current is None:
                session_addr = cm.group(2)
            else:
                current.address = cm.group(2)
        elif kind == "m":
            mm = _MEDIA_RE.match(value)
            if not mm:
                raise SdpError(f"line {number}: bad m= line {value[:60]!r}")
            port = int(mm.group(2))
            if port > 65535:
                raise SdpError(f"line {number}: port {port} out of range")
            formats = tuple(mm.group(4).split())
            if mm.group(3).startswith("RTP/") and not all(
                f.isdigit() and int(f) <= 127 for f in formats
            ):
                raise SdpError(f"line {number}: RTP payload types must be 0-127")
            medias.append(_MediaDraft(mm.group(1), port, mm.group(3), formats))
        elif kind == "a":
            name, _, arg = value.partition(":")
            if name in DIRECTIONS:
                if current is None:
                    session_dir = name
                else:
                    current.direction = name
            elif name == "rtpmap" and current is not None:
                rm = _RTPMAP_RE.match(arg)
                if not rm:
                    raise SdpError(f"line {number}: bad rtpmap {arg[:60]!r}")
                current.rtpmap[int(rm.group(1))] = (rm.group(2), int(rm.group(3)))
            elif name == "ptime" and current is not None:
                pm = _PTIME_RE.match(arg)
                if not pm or int(pm.group(1)) == 0:
                    raise SdpError(f"line {number}: bad ptime {arg[:60]!r}")
                current.ptime_ms = int(pm.group(1))
        if not medias or kind == "m":
            seen.add(kind)
    for required in "st":
        if required not in seen:
            raise SdpError(f"SDP has no session-level {required}= line")
    done: list[SdpMedia] = []
    for number, draft in enumerate(medias, 1):
        address = draft.address or session_addr
        if address is None:
            raise SdpError(f"m-line {number} has no connection address (c=)")
        pts: list[int] = []
        names: list[str] = []
        maps = draft.rtpmap
        if draft.proto.startswith("RTP/"):
            for fmt in draft.formats:
                pt = int(fmt)
                pts.append(pt)
                names.append(maps[pt][0] if pt in maps else _STATIC_NAMES.get(pt, f"PT{pt}"))
        done.append(
            SdpMedia(
                media=draft.media,
                port=draft.port,
                proto=draft.proto,
                formats=draft.formats,
                address=address,
                codecs=tuple(names),
                payload_types=tuple(pts),
                ptime_ms=draft.ptime_ms,
                direction=draft.direction or session_dir,
                rtpmap=tuple((pt, n, r) for pt, (n, r) in maps.items()),
            )
        )
    main = next((m for m in done if m.media == "audio"), done[0] if done else None)
    return SdpInfo(
        address=(main.address if main else session_addr) or "",
        port=main.port if main else 0,
        codecs=main.codecs if main else (),
        payload_types=main.payload_types if main else (),
        ptime_ms=main.ptime_ms if main else None,
        session_id=session_id,
        session_version=session_version,
        direction=main.direction if main else session_dir,
        media=tuple(done),
    )
