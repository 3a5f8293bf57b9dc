"""RFC 3261 SIP messages as UDP datagrams: the text wire format, parsed and built.

:func:`parse_message` reads one datagram (CRLF or lone LF line ends, folded header lines,
compact header names, several comma-separated values in one Via/Route/Record-Route/
Contact/Path/Service-Route header, Content-Length honoured and checked) and raises only
:class:`SipParseError`. :meth:`SipMessage.to_bytes` writes CRLF line ends and a correct
Content-Length. Branches, tags and Call-IDs come from a caller's :class:`random.Random`,
so a run repeats under the same seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from callflow.sip.registry import REASON_PHRASES

__all__ = [
    "BRANCH_MAGIC",
    "COMPACT_FORMS",
    "LIST_HEADERS",
    "SipMessage",
    "SipParseError",
    "Via",
    "cseq_value",
    "header_param",
    "make_response",
    "name_addr",
    "new_branch",
    "new_call_id",
    "new_tag",
    "parse_cseq",
    "parse_message",
    "parse_via",
    "parse_via_branch",
    "request_line",
    "split_list",
    "status_line",
    "tag_of",
    "uri_of",
    "via_value",
]

#: RFC 3261 §8.1.1.7: every branch starts with this magic cookie
BRANCH_MAGIC = "z9hG4bK"

#: compact header names (RFC 3261 §7.3.3 and the IANA header-field registry)
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

#: headers whose comma-separated values are separate entries (RFC 3261 §7.3.1); the
#: parser splits them into one ``headers`` entry per value
LIST_HEADERS = frozenset({"via", "route", "record-route", "contact", "path", "service-route"})

#: methods whose 1xx/2xx responses establish a dialog (Record-Route is copied)
_DIALOG_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_TOKEN_RE = re.compile(_TOKEN)
_REQUEST_RE = re.compile(rf"^({_TOKEN}) (\S+) (\S+)$")
_STATUS_RE = re.compile(r"^SIP/2\.0 ([0-9]{3})(?: (.*))?$", re.IGNORECASE)
_VERSION_RE = re.compile(r"^SIP/[0-9]+\.[0-9]+$", re.IGNORECASE)
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"]+$")
_HEADER_RE = re.compile(rf"^({_TOKEN})[ \t]*:(.*)$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CSEQ_RE = re.compile(rf"^[ \t]*([0-9]{{1,10}})[ \t]+({_TOKEN})[ \t]*$")
_VIA_RE = re.compile(
    rf"^[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*({_TOKEN})[ \t]+"
    r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:[ \t]*:[ \t]*([0-9]{1,5}))?[ \t]*(;.*)?$",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"^[0-9]{1,10}$")


class SipParseError(ValueError):
    """A datagram that is not a well-formed SIP message; the message says why."""


def _key(name: str) -> str:
    """The case-insensitive identity of a header name (compact forms expanded)."""
    low = name.strip().lower()
    long = COMPACT_FORMS.get(low)
    return long.lower() if long else low


@dataclass
class SipMessage:
    """One SIP request or response.

    ``headers`` keeps the order of the wire and the names as sent (compact forms expanded
    by the parser). ``to_bytes`` rewrites Content-Length from ``body``.
    """

    start_line: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    # -- the start line -------------------------------------------------------------
    @property
    def is_request(self) -> bool:
        return self.start_line[:4].upper() != "SIP/"

    @property
    def method(self) -> str | None:
        """The request's method (``None`` for a response: see ``parse_cseq``)."""
        if not self.is_request:
            return None
        return self.start_line.split(" ", 1)[0] or None

    @property
    def request_uri(self) -> str | None:
        if not self.is_request:
            return None
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) >= 3 else None

    @property
    def status(self) -> int | None:
        if self.is_request:
            return None
        m = _STATUS_RE.match(self.start_line)
        return int(m.group(1)) if m else None

    @property
    def reason(self) -> str | None:
        if self.is_request:
            return None
        m = _STATUS_RE.match(self.start_line)
        return (m.group(2) or "") if m else None

    # -- headers ----------------------------------------------------------------------
    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive; compact forms too)."""
        values = self.headers_named(name)
        return values[0] if values else None

    def headers_named(self, name: str) -> list[str]:
        """Every value of header ``name`` in order; list headers (Via...) split at commas."""
        key = _key(name)
        out: list[str] = []
        for n, v in self.headers:
            if _key(n) == key:
                out.extend(split_list(v) if key in LIST_HEADERS else [v])
        return out

    def set_header(self, name: str, value: str) -> None:
        """Make ``value`` the only value of ``name``, in place of the first one (or last)."""
        key = _key(name)
        kept: list[tuple[str, str]] = []
        placed = False
        for n, v in self.headers:
            if _key(n) == key:
                if not placed:
                    kept.append((name, value))
                    placed = True
                continue
            kept.append((n, v))
        if not placed:
            kept.append((name, value))
        self.headers = kept

    def add_header(self, name: str, value: str, first: bool = False) -> None:
        """Add a value: on top of the others of that name (``first``, e.g. a proxy's Via)
        or after the last of them; a new name goes at the top (``first``) or the end."""
        key = _key(name)
        positions = [i for i, (n, _) in enumerate(self.headers) if _key(n) == key]
        if first:
            self.headers.insert(positions[0] if positions else 0, (name, value))
        elif positions:
            self.headers.insert(positions[-1] + 1, (name, value))
        else:
            self.headers.append((name, value))

    def remove_header(self, name: str, *, first_only: bool = False) -> list[str]:
        """Remove header ``name`` (every value, or only the top one with ``first_only``:
        a proxy removing its Via from a response) and return what was removed."""
        key = _key(name)
        removed: list[str] = []
        kept: list[tuple[str, str]] = []
        for n, v in self.headers:
            if _key(n) != key or (first_only and removed):
                kept.append((n, v))
                continue
            if first_only and key in LIST_HEADERS:
                values = split_list(v)
                if len(values) > 1:
                    removed.append(values[0])
                    kept.append((n, ", ".join(values[1:])))
                    continue
            removed.append(v)
        self.headers = kept
        return removed

    def copy(self) -> SipMessage:
        """An independent copy (headers list copied)."""
        return SipMessage(self.start_line, list(self.headers), self.body)

    # -- wire -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The datagram: CRLF line ends, one Content-Length equal to ``len(body)``.

        Raises ValueError for a start line, header name or value that cannot be written
        (CR, LF or other control characters; a name that is not a token)."""
        if not self.start_line or _CONTROL_RE.search(self.start_line):
            raise ValueError(f"bad start line {self.start_line!r}")
        lines = [self.start_line]
        length_written = False
        for name, value in self.headers:
            if not _TOKEN_RE.fullmatch(name):
                raise ValueError(f"bad header name {name!r}")
            if _CONTROL_RE.search(value):
                raise ValueError(f"control character in header {name}: {value!r}")
            if _key(name) == "content-length":
                if not length_written:
                    lines.append(f"Content-Length: {len(self.body)}")
                    length_written = True
                continue
            lines.append(f"{name}: {value}")
        if not length_written:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + bytes(self.body)

    def __bytes__(self) -> bytes:
        return self.to_bytes()


# -- parsing -------------------------------------------------------------------------


def _decode_line(raw: bytes, number: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError(f"line {number}: not UTF-8 ({exc.reason})") from None
    if _CONTROL_RE.search(text):
        raise SipParseError(f"line {number}: control character")
    return text


def _parse_start_line(line: str) -> str:
    line = line.rstrip(" \t")
    if line[:4].upper() == "SIP/":
        m = _STATUS_RE.match(line)
        if not m:
            version = line.split(" ", 1)[0]
            if _VERSION_RE.match(version) and version != "SIP/2.0":
                raise SipParseError(f"unsupported SIP version {version!r}")
            raise SipParseError(f"bad status line {line!r}")
        code = int(m.group(1))
        if not 100 <= code <= 699:
            raise SipParseError(f"status code {code} out of range 100-699")
        return f"SIP/2.0 {code} {m.group(2) or ''}"
    m = _REQUEST_RE.match(line)
    if not m:
        raise SipParseError(f"bad request line {line!r}")
    method, uri, version = m.groups()
    if not _VERSION_RE.match(version):
        raise SipParseError(f"bad SIP version {version!r} in request line")
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"unsupported SIP version {version!r}")
    if not _URI_RE.match(uri):
        raise SipParseError(f"bad Request-URI {uri!r}")
    return f"{method} {uri} SIP/2.0"


def parse_message(data: bytes, *, strict: bool = False) -> SipMessage:
    """Parse one datagram; raise :class:`SipParseError` (and nothing else) on garbage.

    Leading empty lines are skipped (RFC 3261 §7.5). A body shorter than Content-Length
    is an error; bytes beyond it are discarded (§18.3). With ``strict``, the headers every
    request/response must carry (§8.1.1, §8.2.6) are required too and CSeq must match
    the request's method.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SipParseError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    size = len(data)
    pos = 0
    while pos < size and data[pos] in (0x0D, 0x0A):
        pos += 1
    if pos >= size:
        raise SipParseError("empty message")
    lines: list[str] = []
    body_start = size
    number = 0
    while pos < size:
        end = data.find(b"\n", pos)
        raw = data[pos:] if end < 0 else data[pos:end]
        pos = size if end < 0 else end + 1
        number += 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            body_start = pos
            break
        lines.append(_decode_line(raw, number))

    start = _parse_start_line(lines[0])

    # unfold continuation lines (RFC 3261 §7.3.1: LWS folding means one space)
    raw_headers: list[str] = []
    for line in lines[1:]:
        if line[0] in " \t":
            if not raw_headers:
                raise SipParseError("continuation line before the first header")
            head = raw_headers[-1].rstrip(" \t")
            cont = line.strip(" \t")
            raw_headers[-1] = f"{head} {cont}" if cont else head
        else:
            raw_headers.append(line)

    headers: list[tuple[str, str]] = []
    lengths: list[int] = []
    for text in raw_headers:
        m = _HEADER_RE.match(text)
        if not m:
            raise SipParseError(f"bad header line {text[:60]!r}")
        name, value = m.group(1), m.group(2).strip(" \t")
        name = COMPACT_FORMS.get(name.lower(), name) if len(name) == 1 else name
        key = _key(name)
        if key == "content-length":
            if not _DIGITS_RE.match(value):
                raise SipParseError(f"bad Content-Length {value!r}")
            lengths.append(int(value))
        if key in LIST_HEADERS:
            values = split_list(value) or [value]
            headers.extend((name, v) for v in values)
        else:
            headers.append((name, value))

    body = data[body_start:]
    if lengths:
        if len(set(lengths)) > 1:
            raise SipParseError(f"conflicting Content-Length values {sorted(set(lengths))}")
        if len(body) < lengths[0]:
            raise SipParseError(
                f"body is {len(body)} bytes, shorter than Content-Length {lengths[0]}"
            )
        body = body[: lengths[0]]
    message = SipMessage(start, headers, body)
    if strict:
        _check_mandatory(message)
    return message


def _check_mandatory(message: SipMessage) -> None:
    needed = ["Via", "From", "To", "Call-ID", "CSeq"]
    if message.is_request:
        needed.append("Max-Forwards")
    missing = [n for n in needed if message.header(n) is None]
    if missing:
        raise SipParseError(f"missing mandatory header(s): {', '.join(missing)}")
    cseq = parse_cseq(message.header("CSeq") or "")
    if cseq is None:
        raise SipParseError(f"bad CSeq {message.header('CSeq')!r}")
    if message.is_request and cseq[1] != message.method:
        raise SipParseError(f"CSeq method {cseq[1]} differs from request method")
    if message.is_request and not _DIGITS_RE.match(message.header("Max-Forwards") or ""):
        raise SipParseError("bad Max-Forwards")
    if parse_via(message.header("Via") or "") is None:
        raise SipParseError(f"bad Via {message.header('Via')!r}")
    for name in ("From", "To"):
        if uri_of(message.header(name) or "") is None:
            raise SipParseError(f"bad {name} {message.header(name)!r}")


# -- lists and parameters -------------------------------------------------------------


def _scan(value: str, stops: str) -> list[str]:
    """Split ``value`` at any char of ``stops`` outside quoted strings and <...>."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angle = escaped = False
    for ch in value:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif angle:
            if ch == ">":
                angle = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle = True
        elif ch in stops:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def split_list(value: str) -> list[str]:
    """The comma-separated values of a list header (commas in quotes or <> kept)."""
    return [p.strip(" \t") for p in _scan(value, ",") if p.strip(" \t")]


def _params(value: str) -> tuple[str, dict[str, str | None]]:
    """Split ``main;p1=v1;p2`` (outside quotes and <>) into the main part and params."""
    main, *rest = _scan(value, ";")
    params: dict[str, str | None] = {}
    for item in rest:
        name, eq, val = item.partition("=")
        name = name.strip(" \t").lower()
        if name:
            params.setdefault(name, val.strip(" \t") if eq else None)
    return main.strip(" \t"), params


def header_param(value: str, name: str) -> str | None:
    """A header parameter (``expires`` of ``active;expires=3600``, ``tag`` of a To
    value); ``""`` for a parameter without value, ``None`` when absent."""
    found = _params(value)[1]
    if name.lower() not in found:
        return None
    return found[name.lower()] or ""


# -- identifiers -----------------------------------------------------------------------


def new_branch(rng: random.Random) -> str:
    """A fresh Via branch (RFC 3261 §8.1.1.7): the magic cookie and 64 random bits."""
    return f"{BRANCH_MAGIC}{rng.getrandbits(64):016x}"


def new_tag(rng: random.Random) -> str:
    """A fresh From/To tag (RFC 3261 §19.3: at least 32 random bits)."""
    return f"{rng.getrandbits(32):08x}"


def new_call_id(rng: random.Random, host: str) -> str:
    """A fresh Call-ID ``<96 random bits>@host`` (RFC 3261 §8.1.1.4)."""
    return f"{rng.getrandbits(96):024x}@{host}"


# -- header values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Via:
    """One parsed Via value (``SIP/2.0/UDP host:port;branch=...``)."""

    transport: str
    host: str
    port: int | None
    params: dict[str, str | None]

    @property
    def branch(self) -> str | None:
        return self.params.get("branch") or None


def via_value(
    host: str, port: int, branch: str, *, transport: str = "UDP", rport: bool = False
) -> str:
    """``SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bK...`` (``;rport`` on request)."""
    value = f"SIP/2.0/{transport.upper()} {host}:{port};branch={branch}"
    return value + ";rport" if rport else value


def parse_via(value: str) -> Via | None:
    """Parse one Via value, or ``None`` if it is not ``SIP/2.0/transport sent-by;...``."""
    m = _VIA_RE.match(value)
    if not m:
        return None
    transport, host, port, rest = m.groups()
    if port is not None and int(port) > 65535:
        return None
    params = _params("x" + (rest or ""))[1]
    return Via(transport.upper(), host, int(port) if port else None, params)


def parse_via_branch(value: str) -> str | None:
    """The branch parameter of one Via value, or ``None``."""
    via = parse_via(value)
    return via.branch if via else None


def cseq_value(number: int, method: str) -> str:
    """``"1 INVITE"``."""
    return f"{number} {method}"


def parse_cseq(value: str) -> tuple[int, str] | None:
    """``(number, method)`` of a CSeq value (number below 2**31), or ``None``."""
    m = _CSEQ_RE.match(value)
    if not m:
        return None
    number = int(m.group(1))
    return (number, m.group(2)) if number < 2**31 else None


def name_addr(uri: str, tag: str | None = None, *, display: str | None = None) -> str:
    """``<sip:alice@home1.net>;tag=...`` (with a quoted display name if given)."""
    value = f"<{uri}>"
    if display:
        escaped = display.replace("\\", "\\\\").replace('"', '\\"')
        value = f'"{escaped}" {value}'
    return f"{value};tag={tag}" if tag else value


def uri_of(name_addr_value: str) -> str | None:
    """The URI of a name-addr (``"A" <sip:a@x>;tag=1``) or addr-spec (``sip:a@x;tag=1``)
    value, or ``None`` if there is none."""
    text = name_addr_value
    quoted = escaped = False
    start = -1
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            start = i + 1
            break
    if start >= 0:
        end = text.find(">", start)
        if end < 0:
            return None
        uri = text[start:end].strip(" \t")
    elif quoted or '"' in text:
        return None
    else:
        uri = _scan(text, ";")[0].strip(" \t")
    return uri if _URI_RE.match(uri) else None


def tag_of(value: str) -> str | None:
    """The ``tag`` parameter of a From/To value, or ``None``."""
    return header_param(value, "tag") or None


# -- start lines and responses ---------------------------------------------------------


def request_line(method: str, uri: str) -> str:
    """``INVITE sip:bob@home2.net SIP/2.0``."""
    return f"{method} {uri} SIP/2.0"


def status_line(status: int, reason: str | None = None) -> str:
    """``SIP/2.0 200 OK`` (the registered phrase when ``reason`` is not given)."""
    if reason is None:
        reason = REASON_PHRASES.get(status, "")
    return f"SIP/2.0 {status} {reason}"


def make_response(
    request: SipMessage,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    body: bytes = b"",
) -> SipMessage:
    """A response to ``request`` as RFC 3261 §8.2.6.2 builds it: every Via in order,
    From, To (with ``to_tag`` added if it has no tag and the status is not 100), Call-ID,
    CSeq; Record-Route too for a 101-299 response to a dialog-creating request (§12.1.1).
    """
    response = SipMessage(status_line(status, reason), [], body)
    for name, value in request.headers:
        key = _key(name)
        if key == "to" and to_tag and status != 100 and tag_of(value) is None:
            value = f"{value};tag={to_tag}"
        if key in ("via", "from", "to", "call-id", "cseq") or (
            key == "record-route" and 101 <= status <= 299 and request.method in _DIALOG_METHODS
        ):
            response.headers.append((name, value))
    return response
