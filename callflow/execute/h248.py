"""H.248/MEGACO text encoding (ITU-T H.248.1 Annex B, RFC 3525): builders, a parser, Annex D.1.

Builders emit the long token forms (``Transaction``, ``Reply``, ``Context``, ``Add``, ``Media``,
``Stream``, ``LocalControl``, ``Local``, ``Remote`` ...) with CRLF line ends, one descriptor per
line, SDP lines unindented inside ``Local { }``/``Remote { }`` (what Wireshark's MEGACO
dissector hands to its SDP dissector). ``mid`` is always the *sender's own* MId, e.g.
``[127.0.0.4]:2944`` (see :func:`mid_for`).

:func:`parse_megaco` reads what the builders write and the usual real-world variants: short
tokens (``!/1``, ``T``, ``P``, ``C``, ``A``, ``S``, ``M``, ``ST``, ``L``, ``R``, ``O``, ``MO``,
``N``, ``OE`` ...), any whitespace, ``;`` comments, LF or CRLF, ``O-``/``W-`` command prefixes,
several transactions in one message. It raises :class:`MegacoError` (never another exception)
on anything that is not a MEGACO text message.

Transport over UDP (Annex D.1), what the engine must do
-------------------------------------------------------
* Commands go to the peer's port (2944 for text when none is known); replies go back to the
  address *and port the command came from*.
* Requests are retransmitted by their sender until a ``Reply`` (or a ``Pending``) with the
  same transaction id arrives: :class:`RetransmitPolicy` gives the waits (exponential back-off,
  capped, giving up after ``give_up`` seconds). After a ``Pending`` the sender stops
  retransmitting for ``pending_wait`` seconds and then starts again.
* "At most once" (D.1.1): the receiver remembers, per sender MId, the replies it sent to recent
  transactions (for LONG-TIMER) and the transactions still being executed. A request whose
  transaction id is already answered is *not executed again*: the stored reply is re-sent
  byte for byte. A request still being executed is answered with :func:`transaction_pending`.
  :class:`ReplyCache` keeps that state. A ``TransactionResponseAck`` (see :func:`response_ack`)
  lets the receiver forget replies early.
* A lost reply therefore costs the requester one retransmission and the MG executes the
  command once: Context ids chosen with ``$`` stay stable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "DEFAULT_PORT",
    "LONG_TIMER",
    "MegacoError",
    "MegacoMessage",
    "MegacoTransaction",
    "ReplyCache",
    "RetransmitPolicy",
    "TransactionState",
    "add_reply",
    "add_request",
    "classify_name",
    "error_reply",
    "mid_for",
    "modify_reply",
    "modify_request",
    "notify_reply",
    "notify_request",
    "parse_megaco",
    "response_ack",
    "service_change_reply",
    "service_change_request",
    "subtract_reply",
    "subtract_request",
    "transaction_pending",
]

#: default UDP port for the text encoding (Annex D.1)
DEFAULT_PORT = 2944
#: seconds a receiver keeps a sent reply for duplicate requests (Annex D.1.1 LONG-TIMER)
LONG_TIMER = 30.0
#: line end the builders use
EOL = "\r\n"
_UINT32_MAX = 0xFFFFFFFF
_MAX_DEPTH = 48


class MegacoError(ValueError):
    """The bytes are not a MEGACO text message (the message says why and where)."""


# --------------------------------------------------------------------------------------
# Tokens (RFC 3525 Annex B.2): long form -> short form; lookups are case-insensitive.

_TOKENS: dict[str, str] = {
    "Add": "A",
    "Audit": "AT",
    "AuditCapability": "AC",
    "AuditValue": "AV",
    "Authentication": "AU",
    "Bothway": "BW",
    "Brief": "BR",
    "Buffer": "BF",
    "Context": "C",
    "ContextAudit": "CA",
    "DigitMap": "DM",
    "Disconnected": "DC",
    "Delay": "DL",
    "Duration": "DR",
    "Emergency": "EG",
    "EmergencyOff": "EGO",
    "Error": "ER",
    "EventBuffer": "EB",
    "Events": "E",
    "Failover": "FL",
    "Forced": "FO",
    "Graceful": "GR",
    "ImmAckRequired": "IA",
    "Inactive": "IN",
    "InService": "IV",
    "Isolate": "IS",
    "KeepActive": "KA",
    "Local": "L",
    "LocalControl": "O",
    "Loopback": "LB",
    "Media": "M",
    "Method": "MT",
    "MgcIdToTry": "MG",
    "Mode": "MO",
    "Modify": "MF",
    "Modem": "MD",
    "Move": "MV",
    "Mux": "MX",
    "Notify": "N",
    "ObservedEvents": "OE",
    "Oneway": "OW",
    "OutOfService": "OS",
    "Packages": "PG",
    "Pending": "PN",
    "Priority": "PR",
    "Profile": "PF",
    "Reason": "RE",
    "ReceiveOnly": "RC",
    "Remote": "R",
    "Reply": "P",
    "ReservedGroup": "RG",
    "ReservedValue": "RV",
    "Restart": "RS",
    "SendOnly": "SO",
    "SendReceive": "SR",
    "ServiceChange": "SC",
    "ServiceChangeAddress": "AD",
    "ServiceStates": "SI",
    "Services": "SV",
    "Signals": "SG",
    "Statistics": "SA",
    "Stream": "ST",
    "Subtract": "S",
    "TerminationState": "TS",
    "Topology": "TP",
    "Transaction": "T",
    "TransactionResponseAck": "K",
    "Version": "V",
}
_CANONICAL: dict[str, str] = {}
for _long, _short in _TOKENS.items():
    _CANONICAL[_long.upper()] = _long
    _CANONICAL[_short.upper()] = _long

#: commands (H.248.1 §7.2) a transaction may carry
COMMANDS = (
    "Add",
    "Modify",
    "Move",
    "Subtract",
    "AuditValue",
    "AuditCapability",
    "Notify",
    "ServiceChange",
)
_MODES = ("SendOnly", "ReceiveOnly", "SendReceive", "Inactive", "Loopback")


def _canonical(token: str) -> str:
    """The long form of a token (case-insensitive); unknown tokens come back unchanged."""
    return _CANONICAL.get(token.upper(), token)


# --------------------------------------------------------------------------------------
# Parsed form


@dataclass(frozen=True)
class MegacoTransaction:
    """One transaction of a message (request, reply, pending, response ack or error)."""

    kind: str  # "request" | "reply" | "pending" | "ack" | "error"
    transaction_id: int
    context_id: str
    commands: tuple[tuple[str, str], ...] = ()
    local_sdp: bytes | None = None
    remote_sdp: bytes | None = None
    contexts: tuple[str, ...] = ()
    immediate_ack: bool = False
    error_code: int | None = None
    error_text: str | None = None
    events: tuple[str, ...] = ()
    statistics: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    acked: tuple[tuple[int, int], ...] = ()
    mode: str | None = None


@dataclass(frozen=True)
class MegacoMessage:
    """A parsed message; the flat fields are those of its first transaction.

    ``kind`` is "request", "reply", "pending" (TransactionPending), "ack"
    (TransactionResponseAck: ``acked`` holds the acknowledged id ranges) or "error" (a
    message-level Error descriptor, transaction id 0). ``commands`` are (long command name,
    termination id); ``local_sdp``/``remote_sdp`` the first Local/Remote descriptor of the
    transaction (lines unindented, line ends as sent). ``error_code`` is set by an Error
    descriptor anywhere in the transaction, ``events`` lists observed event names of a Notify,
    ``statistics`` (termination id, ((name, value), ...)) of a Subtract reply.
    """

    mid: str
    kind: str
    transaction_id: int
    context_id: str
    commands: tuple[tuple[str, str], ...]
    local_sdp: bytes | None
    remote_sdp: bytes | None
    version: int = 1
    contexts: tuple[str, ...] = ()
    immediate_ack: bool = False
    error_code: int | None = None
    error_text: str | None = None
    events: tuple[str, ...] = ()
    statistics: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    acked: tuple[tuple[int, int], ...] = ()
    mode: str | None = None
    transactions: tuple[MegacoTransaction, ...] = field(default=(), repr=False)


# --------------------------------------------------------------------------------------
# Lexer / generic parser: every H.248 text construct is `atoms [ "{" body "}" ]`, with
# Local/Remote bodies being raw octet strings (SDP) ended by an unescaped "}".

_DELIMS = frozenset(' \t\r\n,{}=;"[]()<>#!')
_SEP_CHARS = " \t\r\n"


@dataclass
class _Item:
    atoms: list[str]
    body: list[_Item] | None = None
    raw: str | None = None
    offset: int = 0

    @property
    def name(self) -> str:
        return _canonical(self.atoms[0])

    @property
    def value(self) -> str | None:
        if len(self.atoms) >= 3 and self.atoms[1] == "=":
            return " ".join(self.atoms[2:])
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, what: str) -> MegacoError:
        return MegacoError(f"{what} at offset {self.pos}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_lwsp(self) -> bool:
        """Skip whitespace and ``;`` comments; True if anything was skipped."""
        start = self.pos
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in _SEP_CHARS:
                self.pos += 1
            elif c == ";":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            else:
                break
        return self.pos > start

    def header(self) -> tuple[int, str]:
        self.skip_lwsp()
        auth = re.compile(
            r"(?i)(?:Authentication|AU)[ \t]*=[ \t]*0x[0-9a-f]{8}:0x[0-9a-f]{8}:0x[0-9a-f]{24,64}"
        ).match(self.text, self.pos)
        if auth:
            self.pos = auth.end()
            if not self.skip_lwsp():
                raise self.error("expected whitespace after the authentication header")
        m = re.compile(r"(?i)(?:MEGACO|!)/([0-9]{1,2})").match(self.text, self.pos)
        if not m:
            raise self.error("expected 'MEGACO/<version>'")
        self.pos = m.end()
        version = int(m.group(1))
        if not self.skip_lwsp():
            raise self.error("expected whitespace after the version")
        mid = self.mid()
        self.skip_lwsp()
        return version, mid

    def mid(self) -> str:
        text, start = self.text, self.pos
        c = self.peek()
        if c in "[<":
            close = "]" if c == "[" else ">"
            end = text.find(close, start + 1)
            if end < 0:
                raise self.error(f"unclosed '{c}' in the MId")
            inner = text[start + 1 : end]
            if c == "[":
                try:
                    ipaddress.ip_address(inner)
                except ValueError as exc:
                    raise self.error(f"bad address {inner!r} in the MId") from exc
            elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,63}", inner):
                raise self.error(f"bad domain name {inner!r} in the MId")
            self.pos = end + 1
            port = re.compile(r":([0-9]{1,5})").match(text, self.pos)
            if port:
                if int(port.group(1)) > 65535:
                    raise self.error("port out of range in the MId")
                self.pos = port.end()
        elif mtp := re.compile(r"(?i)MTP[ \t]*\{[ \t]*[0-9a-f]{4,8}[ \t]*\}").match(text, start):
            self.pos = mtp.end()
        else:
            m = re.compile(r"[A-Za-z][A-Za-z0-9_/$*@.\-]{0,63}").match(text, start)
            if not m:
                raise self.error("expected an MId")
            self.pos = m.end()
        if self.pos < len(text) and text[self.pos] not in _SEP_CHARS + ";":
            raise self.error("expected whitespace after the MId")
        return text[start : self.pos]

    def atom(self) -> str:
        text, start = self.text, self.pos
        c = text[start]
        if c == '"':
            end = text.find('"', start + 1)
            if end < 0:
                raise self.error("unclosed quoted string")
            self.pos = end + 1
        elif c in "[(":
            end = text.find("]" if c == "[" else ")", start + 1)
            if end < 0:
                raise self.error(f"unclosed '{c}'")
            self.pos = end + 1
        elif c == "!" and text[start + 1 : start + 2] == "=":
            self.pos += 2
        elif c in "=<>#":
            self.pos += 1
        else:
            while self.pos < len(text) and text[self.pos] not in _DELIMS:
                self.pos += 1
            if self.pos == start:
                raise self.error(f"unexpected {c!r}")
        return text[start : self.pos]

    def item(self) -> _Item:
        self.skip_lwsp()
        offset = self.pos
        atoms: list[str] = []
        while True:
            self.skip_lwsp()
            c = self.peek()
            if c in ("", ",", "{", "}"):
                break
            atoms.append(self.atom())
        if not atoms:
            raise self.error("expected a token")
        item = _Item(atoms, offset=offset)
        if self.peek() == "{":
            self.pos += 1
            if len(atoms) == 1 and item.name in ("Local", "Remote"):
                item.raw = self.octet_string()
            else:
                self.depth += 1
                if self.depth > _MAX_DEPTH:
                    raise self.error("descriptors nested too deeply")
                item.body = self.items("}")
                self.depth -= 1
                self.pos += 1  # the "}" items() stopped at
        return item

    def items(self, end: str) -> list[_Item]:
        """Comma-separated items up to (not including) ``end``; "" means end of text."""
        out: list[_Item] = []
        self.skip_lwsp()
        if self.peek() == end:
            return out
        while True:
            out.append(self.item())
            self.skip_lwsp()
            c = self.peek()
            if c == ",":
                self.pos += 1
                continue
            if c == end:
                return out
            raise self.error("expected ','" + (f" or '{end}'" if end else " or end of message"))

    def octet_string(self) -> str:
        text, start = self.text, self.pos
        i = start
        while True:
            end = text.find("}", i)
            if end < 0:
                raise self.error("unclosed Local/Remote descriptor")
            if end > start and text[end - 1] == "\\":
                i = end + 1
                continue
            self.pos = end + 1
            return text[start:end].replace("\\}", "}")

    def transactions(self) -> list[_Item]:
        out: list[_Item] = []
        while True:
            self.skip_lwsp()
            if self.pos >= len(self.text):
                return out
            out.append(self.item())
            self.skip_lwsp()
            if self.peek() == ",":  # tolerated, not in the ABNF
                self.pos += 1


def _uint32(value: str | None, what: str) -> int:
    if value is None or not value.isdigit() or not value.isascii() or len(value) > 10:
        raise MegacoError(f"bad {what} {value!r}")
    number = int(value)
    if number > _UINT32_MAX:
        raise MegacoError(f"{what} {value} out of range")
    return number


_CONTEXT_RE = re.compile(r"\$|-|\*|[0-9]{1,10}")
_TERMINATION_RE = re.compile(r"[A-Za-z0-9_/$*@.\-:#]+|\[[^\]]*\]")


def _context_id(item: _Item) -> str:
    value = item.value
    if value is None or not _CONTEXT_RE.fullmatch(value):
        raise MegacoError(f"bad context id {value!r} at offset {item.offset}")
    if value.isdigit():
        _uint32(value, "context id")
    return value


def _termination_id(item: _Item) -> str:
    value = item.value
    if value is None or not _TERMINATION_RE.fullmatch(value):
        raise MegacoError(f"bad termination id {value!r} at offset {item.offset}")
    return value


def _command_name(item: _Item) -> str | None:
    """The long command name of an item (``O-``/``W-`` prefixes dropped), else None."""
    token = item.atoms[0]
    while len(token) > 2 and token[:2].upper() in ("O-", "W-"):
        token = token[2:]
    name = _canonical(token)
    return name if name in COMMANDS else None


def _sdp_bytes(raw: str) -> bytes:
    """SDP from an octet string: lines unindented, blank lines dropped, line ends kept."""
    eol = "\r\n" if "\r\n" in raw else "\n"
    lines = [line.strip(" \t\r") for line in raw.split("\n")]
    lines = [line for line in lines if line]
    return "".join(line + eol for line in lines).encode("latin-1")


class _Collector:
    """Walks a transaction's items and gathers what MegacoTransaction reports."""

    def __init__(self) -> None:
        self.contexts: list[str] = []
        self.commands: list[tuple[str, str]] = []
        self.local: bytes | None = None
        self.remote: bytes | None = None
        self.error_code: int | None = None
        self.error_text: str | None = None
        self.events: list[str] = []
        self.statistics: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self.mode: str | None = None

    def error(self, item: _Item) -> None:
        code = _uint32(item.value, "error code")
        if self.error_code is None:
            self.error_code = code
            for sub in item.body or ():
                if sub.atoms[0].startswith('"'):
                    self.error_text = sub.atoms[0].strip('"')
                    break

    def action(self, item: _Item, *, reply: bool) -> None:
        if item.name != "Context":
            if item.name == "Error" and reply:
                self.error(item)
                return
            raise MegacoError(f"expected 'Context' at offset {item.offset}")
        self.contexts.append(_context_id(item))
        if item.body is None:
            raise MegacoError(f"Context without '{{' at offset {item.offset}")
        if not item.body and not reply:
            raise MegacoError(f"empty Context at offset {item.offset}")
        for sub in item.body:
            command = _command_name(sub)
            if command is not None:
                termination = _termination_id(sub)
                self.commands.append((command, termination))
                self.descriptors(sub.body or (), termination, command)
            elif sub.name == "Error":
                self.error(sub)
            # other items are context properties (Priority, Emergency, Topology, ...)

    def descriptors(self, items: Sequence[_Item], termination: str, command: str) -> None:
        for sub in items:
            name = sub.name
            if sub.raw is not None:
                sdp = _sdp_bytes(sub.raw)
                if name == "Local" and self.local is None:
                    self.local = sdp
                elif name == "Remote" and self.remote is None:
                    self.remote = sdp
            elif name == "Error":
                self.error(sub)
            elif name == "Mode" and self.mode is None and sub.value is not None:
                self.mode = _canonical(sub.value)
            elif name == "ObservedEvents":
                _uint32(sub.value, "request id")
                for event in sub.body or ():
                    self.events.append(event.atoms[-1].rsplit(":", 1)[-1])
            elif name == "Statistics":
                pairs = tuple((s.atoms[0], s.value or "") for s in sub.body or ())
                self.statistics.append((termination, pairs))
            elif sub.body:
                self.descriptors(sub.body, termination, command)

    def transaction(self, kind: str, tid: int, *, immediate_ack: bool = False) -> MegacoTransaction:
        return MegacoTransaction(
            kind=kind,
            transaction_id=tid,
            context_id=self.contexts[0] if self.contexts else "",
            commands=tuple(self.commands),
            local_sdp=self.local,
            remote_sdp=self.remote,
            contexts=tuple(self.contexts),
            immediate_ack=immediate_ack,
            error_code=self.error_code,
            error_text=self.error_text,
            events=tuple(self.events),
            statistics=tuple(self.statistics),
            mode=self.mode,
        )


def _transaction(item: _Item) -> MegacoTransaction:
    name = item.name
    collector = _Collector()
    if name == "Transaction":
        tid = _uint32(item.value, "transaction id")
        if not item.body:
            raise MegacoError(f"Transaction without actions at offset {item.offset}")
        for action in item.body:
            collector.action(action, reply=False)
        return collector.transaction("request", tid)
    if name == "Reply":
        tid = _uint32(item.value, "transaction id")
        if not item.body:
            raise MegacoError(f"Reply without actions at offset {item.offset}")
        body = item.body
        immediate = body[0].name == "ImmAckRequired" and len(body[0].atoms) == 1
        for action in body[1:] if immediate else body:
            collector.action(action, reply=True)
        return collector.transaction("reply", tid, immediate_ack=immediate)
    if name == "Pending":
        tid = _uint32(item.value, "transaction id")
        if item.body is None or item.body:
            raise MegacoError(f"Pending needs an empty '{{ }}' at offset {item.offset}")
        return MegacoTransaction(kind="pending", transaction_id=tid, context_id="")
    if name == "TransactionResponseAck":
        if not item.body or len(item.atoms) != 1:
            raise MegacoError(f"bad TransactionResponseAck at offset {item.offset}")
        ranges: list[tuple[int, int]] = []
        for sub in item.body:
            if len(sub.atoms) != 1 or sub.body is not None:
                raise MegacoError(f"bad acknowledged id at offset {sub.offset}")
            first, _, last = sub.atoms[0].partition("-")
            low = _uint32(first, "acknowledged id")
            high = _uint32(last, "acknowledged id") if last else low
            if high < low:
                raise MegacoError(f"bad acknowledged range at offset {sub.offset}")
            ranges.append((low, high))
        return MegacoTransaction(
            kind="ack", transaction_id=ranges[0][0], context_id="", acked=tuple(ranges)
        )
    if name == "Error":
        collector.error(item)
        return collector.transaction("error", 0)
    raise MegacoError(f"expected a transaction, got {item.atoms[0]!r} at offset {item.offset}")


def parse_megaco(data: bytes) -> MegacoMessage:
    """Parse one MEGACO text message; raises :class:`MegacoError` on anything else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MegacoError("expected bytes")
    raw = bytes(data)
    if b"\x00" in raw:
        raise MegacoError("NUL byte in message")
    parser = _Parser(raw.decode("latin-1"))
    try:
        version, mid = parser.header()
        transactions = tuple(_transaction(item) for item in parser.transactions())
    except (RecursionError, IndexError) as exc:  # defensive: never anything but MegacoError
        raise MegacoError(f"unparsable message ({type(exc).__name__})") from exc
    if not transactions:
        raise MegacoError("message has no transaction")
    first = transactions[0]
    return MegacoMessage(
        mid=mid,
        kind=first.kind,
        transaction_id=first.transaction_id,
        context_id=first.context_id,
        commands=first.commands,
        local_sdp=first.local_sdp,
        remote_sdp=first.remote_sdp,
        version=version,
        contexts=first.contexts,
        immediate_ack=first.immediate_ack,
        error_code=first.error_code,
        error_text=first.error_text,
        events=first.events,
        statistics=first.statistics,
        acked=first.acked,
        mode=first.mode,
        transactions=transactions,
    )


# --------------------------------------------------------------------------------------
# Builders


@dataclass
class _Node:
    head: str
    children: list[_Node] | None = None
    sdp: bytes | None = None


def _render(node: _Node, depth: int) -> str:
    indent = " " * depth
    if node.sdp is not None:
        lines = node.sdp.decode("latin-1").replace("\r\n", "\n").split("\n")
        body = "".join(
            line.strip(" \t\r").replace("}", "\\}") + EOL for line in lines if line.strip(" \t\r")
        )
        # the closing brace starts its line: Wireshark hands everything between the braces
        # to its SDP dissector, and an indented last line would be an invalid SDP line
        return f"{indent}{node.head} {{{EOL}{body}}}"
    if node.children is None:
        return f"{indent}{node.head}"
    if not node.children:
        return f"{indent}{node.head} {{ }}"
    inner = ("," + EOL).join(_render(child, depth + 1) for child in node.children)
    return f"{indent}{node.head} {{{EOL}{inner}{EOL}{indent}}}"


def _message(mid: str, transactions: Sequence[_Node]) -> bytes:
    _check_mid(mid)
    body = "".join(_render(t, 0) + EOL for t in transactions)
    return f"MEGACO/1 {mid}{EOL}{body}".encode("latin-1")


def _check_mid(mid: str) -> None:
    parser = _Parser(mid)
    try:
        parser.mid()
    except (MegacoError, IndexError) as exc:
        raise ValueError(f"bad MId {mid!r}: {exc}") from None
    if parser.pos != len(mid):
        raise ValueError(f"bad MId {mid!r}")


def _check_tid(transaction_id: int) -> int:
    if isinstance(transaction_id, bool) or not isinstance(transaction_id, int):
        raise ValueError(f"transaction id must be an int, not {transaction_id!r}")
    if not 1 <= transaction_id <= _UINT32_MAX:
        raise ValueError(f"transaction id {transaction_id} out of range 1..{_UINT32_MAX}")
    return transaction_id


def _check_context(context: str | int) -> str:
    value = str(context)
    if not _CONTEXT_RE.fullmatch(value) or (value.isdigit() and int(value) > _UINT32_MAX):
        raise ValueError(f"bad context id {context!r} (UINT32, '$', '-' or '*')")
    return value


def _check_termination(termination: str) -> str:
    if not isinstance(termination, str) or not _TERMINATION_RE.fullmatch(termination):
        raise ValueError(f"bad termination id {termination!r}")
    return termination


def _check_mode(mode: str) -> str:
    canonical = _canonical(mode)
    if canonical not in _MODES:
        raise ValueError(f"bad stream mode {mode!r} (one of {', '.join(_MODES)})")
    return canonical


def _media(
    *,
    stream_id: int = 1,
    mode: str | None = None,
    local: bytes | None = None,
    remote: bytes | None = None,
) -> _Node:
    parms: list[_Node] = []
    if mode is not None:
        parms.append(_Node("LocalControl", [_Node(f"Mode = {_check_mode(mode)}")]))
    if local is not None:
        parms.append(_Node("Local", sdp=local))
    if remote is not None:
        parms.append(_Node("Remote", sdp=remote))
    return _Node("Media", [_Node(f"Stream = {int(stream_id)}", parms)])


def _transaction_node(tid: int, context: str, commands: list[_Node]) -> _Node:
    return _Node(
        f"Transaction = {_check_tid(tid)}",
        [_Node(f"Context = {_check_context(context)}", commands)],
    )


def _reply_node(tid: int, context: str, commands: list[_Node]) -> _Node:
    return _Node(
        f"Reply = {_check_tid(tid)}", [_Node(f"Context = {_check_context(context)}", commands)]
    )


def _payload_types(sdp: bytes | None) -> list[str]:
    if sdp:
        for line in sdp.decode("latin-1").splitlines():
            parts = line.strip().split()
            if line.startswith("m=") and len(parts) >= 4:
                formats = [p for p in parts[3:] if p.isdigit()]
                if formats:
                    return formats
    return ["0"]


def mid_for(host: str, port: int = DEFAULT_PORT) -> str:
    """The MId of an entity at ``host``:``port``, e.g. ``[127.0.0.4]:2944``."""
    address = ipaddress.ip_address(host)
    if not 0 < port <= 65535:
        raise ValueError(f"port {port} out of range")
    return f"[{address}]:{port}"


def add_request(
    *,
    transaction_id: int,
    mid: str,
    context: str = "$",
    termination: str = "$",
    remote_sdp: bytes | None = None,
    local_sdp_request: bool = True,
    mode: str = "SendReceive",
    stream_id: int = 1,
    local_sdp: bytes | None = None,
) -> bytes:
    """An Add (``$`` lets the MG choose the context / termination id).

    With ``local_sdp_request`` (and no explicit ``local_sdp``) the Local descriptor is an
    underspecified SDP (``c=IN IP4 $``, ``m=audio $ RTP/AVP <pt>``, payload types taken from
    ``remote_sdp`` or PCMU) asking the MG to choose its address and port.
    """
    local = local_sdp
    if local is None and local_sdp_request:
        formats = " ".join(_payload_types(remote_sdp))
        local = f"v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP {formats}\r\n".encode()
    media = _media(stream_id=stream_id, mode=mode, local=local, remote=remote_sdp)
    command = _Node(f"Add = {_check_termination(termination)}", [media])
    return _message(mid, [_transaction_node(transaction_id, context, [command])])


def add_reply(
    *,
    transaction_id: int,
    mid: str,
    context_id: str,
    termination_id: str,
    local_sdp: bytes,
    stream_id: int = 1,
) -> bytes:
    """The MG's reply to an Add: the context and termination ids it chose, its Local SDP."""
    media = _media(stream_id=stream_id, local=local_sdp)
    command = _Node(f"Add = {_check_termination(termination_id)}", [media])
    return _message(mid, [_reply_node(transaction_id, context_id, [command])])


def modify_request(
    *,
    transaction_id: int,
    mid: str,
    context_id: str,
    termination_id: str,
    remote_sdp: bytes | None = None,
    local_sdp: bytes | None = None,
    mode: str | None = "SendReceive",
    stream_id: int = 1,
) -> bytes:
    """A Modify of one termination's stream (mode, Local and/or Remote SDP)."""
    children: list[_Node] = []
    if mode is not None or local_sdp is not None or remote_sdp is not None:
        children = [_media(stream_id=stream_id, mode=mode, local=local_sdp, remote=remote_sdp)]
    head = f"Modify = {_check_termination(termination_id)}"
    command = _Node(head, children) if children else _Node(head)
    return _message(mid, [_transaction_node(transaction_id, context_id, [command])])


def modify_reply(
    *,
    transaction_id: int,
    mid: str,
    context_id: str,
    termination_id: str,
    local_sdp: bytes | None = None,
    stream_id: int = 1,
) -> bytes:
    """The reply to a Modify (with the MG's Local SDP when it changed)."""
    head = f"Modify = {_check_termination(termination_id)}"
    command = (
        _Node(head, [_media(stream_id=stream_id, local=local_sdp)])
        if local_sdp is not None
        else _Node(head)
    )
    return _message(mid, [_reply_node(transaction_id, context_id, [command])])


def subtract_request(
    *, transaction_id: int, mid: str, context_id: str, termination: str = "*"
) -> bytes:
    """A Subtract (``*``: every termination of the context, which the MG then deletes)."""
    command = _Node(f"Subtract = {_check_termination(termination)}")
    return _message(mid, [_transaction_node(transaction_id, context_id, [command])])


def subtract_reply(
    *,
    transaction_id: int,
    mid: str,
    context_id: str,
    termination_ids: list[str],
    statistics: Mapping[str, Mapping[str, int | str]] | None = None,
) -> bytes:
    """The reply to a Subtract: one entry per removed termination, optionally with its
    Statistics descriptor (e.g. ``{"RTP/1": {"nt/os": 45123, "nt/dur": 40}}``)."""
    if not termination_ids:
        raise ValueError("a Subtract reply names at least one termination")
    stats = statistics or {}
    commands = []
    for termination in termination_ids:
        head = f"Subtract = {_check_termination(termination)}"
        values = stats.get(termination)
        if values:
            parms = [_Node(f"{_check_name(k)}={v}") for k, v in values.items()]
            commands.append(_Node(head, [_Node("Statistics", parms)]))
        else:
            commands.append(_Node(head))
    return _message(mid, [_reply_node(transaction_id, context_id, commands)])


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_*]+(/[A-Za-z0-9_*]+)*", name):
        raise ValueError(f"bad package/property name {name!r}")
    return name


def notify_request(
    *,
    transaction_id: int,
    mid: str,
    termination_id: str,
    context_id: str = "-",
    request_id: int = 1,
    event: str = "g/sc",
    parameters: Mapping[str, str] | None = None,
    timestamp: str | None = None,
) -> bytes:
    """A Notify (MG -> MGC) with one observed event, e.g. ``g/sc`` (signal completion) or
    ``al/of``; ``timestamp`` like ``20240101T12000000``."""
    if timestamp is not None and not re.fullmatch(r"[0-9]{8}T[0-9]{8}", timestamp):
        raise ValueError(f"bad timestamp {timestamp!r} (YYYYMMDDThhmmssss)")
    head = f"{timestamp}:{_check_name(event)}" if timestamp else _check_name(event)
    params = [_Node(f"{_check_name(k)}={v}") for k, v in (parameters or {}).items()]
    observed = _Node(head, params) if params else _Node(head)
    events = _Node(f"ObservedEvents = {int(request_id)}", [observed])
    command = _Node(f"Notify = {_check_termination(termination_id)}", [events])
    return _message(mid, [_transaction_node(transaction_id, context_id, [command])])


def notify_reply(
    *, transaction_id: int, mid: str, termination_id: str, context_id: str = "-"
) -> bytes:
    """The MGC's reply to a Notify."""
    command = _Node(f"Notify = {_check_termination(termination_id)}")
    return _message(mid, [_reply_node(transaction_id, context_id, [command])])


def service_change_request(
    *,
    transaction_id: int,
    mid: str,
    method: str = "Restart",
    reason: str = "901 Cold Boot",
    termination_id: str = "ROOT",
    profile: str | None = None,
) -> bytes:
    """A ServiceChange (the MG registering with its MGC: ``Restart``, reason 901)."""
    parms = [_Node(f"Method = {_canonical(method)}"), _Node(f'Reason = "{reason}"')]
    if profile is not None:
        parms.append(_Node(f"Profile = {profile}"))
    command = _Node(
        f"ServiceChange = {_check_termination(termination_id)}", [_Node("Services", parms)]
    )
    return _message(mid, [_transaction_node(transaction_id, "-", [command])])


def service_change_reply(*, transaction_id: int, mid: str, termination_id: str = "ROOT") -> bytes:
    """The MGC's reply to a ServiceChange (its MId in the header)."""
    command = _Node(f"ServiceChange = {_check_termination(termination_id)}")
    return _message(mid, [_reply_node(transaction_id, "-", [command])])


def error_reply(
    *,
    transaction_id: int,
    mid: str,
    code: int,
    text: str,
    context_id: str | None = None,
) -> bytes:
    """A Reply carrying an Error descriptor (e.g. 510 "Insufficient resources"), inside a
    Context when ``context_id`` is given."""
    if not 0 <= code <= 65535:
        raise ValueError(f"error code {code} out of range")
    if not text.isascii() or not text.isprintable() or '"' in text:
        raise ValueError("error text must be printable ASCII without quotes")
    error = _Node(f"Error = {code}", [_Node(f'"{text}"')])
    inner = [_Node(f"Context = {_check_context(context_id)}", [error])] if context_id else [error]
    return _message(mid, [_Node(f"Reply = {_check_tid(transaction_id)}", inner)])


def transaction_pending(*, transaction_id: int, mid: str) -> bytes:
    """``Pending = <id> { }``: the request arrived and is still being executed (D.1.4)."""
    return _message(mid, [_Node(f"Pending = {_check_tid(transaction_id)}", [])])


def response_ack(*, mid: str, transaction_ids: Sequence[int]) -> bytes:
    """``TransactionResponseAck { 7, 9 }``: the replies to these transactions arrived."""
    if not transaction_ids:
        raise ValueError("nothing to acknowledge")
    ids = [_Node(str(_check_tid(tid))) for tid in transaction_ids]
    return _message(mid, [_Node("TransactionResponseAck", ids)])


def classify_name(name: str) -> tuple[str, bool] | None:
    """Map an FDL message name to (long command name, is_reply).

    ``Add`` -> ("Add", False); ``AddReply``, ``Add Reply``, ``Add_Reply``, ``AddResponse``,
    ``Reply(Add)`` -> ("Add", True); short tokens work too (``MF`` -> "Modify"). Names that
    are no H.248 command give None.
    """
    text = name.strip()
    m = re.fullmatch(r"(?i)(?:reply|response)\s*\(\s*([A-Za-z]+)\s*\)", text)
    if m:
        command, reply = _canonical(m.group(1)), True
    elif text.upper() in _CANONICAL:
        command, reply = _canonical(text), False
    else:
        m = re.fullmatch(r"([A-Za-z]+?)[\s_\-]*(?i:reply|response|resp|ack)", text)
        if not m:
            return None
        long_names = {c.upper(): c for c in COMMANDS}
        command, reply = long_names.get(m.group(1).upper(), ""), True
    return (command, reply) if command in COMMANDS else None


# --------------------------------------------------------------------------------------
# Annex D.1 helpers


class TransactionState(Enum):
    """What a receiver should do with an incoming request (Annex D.1.1)."""

    NEW = "new"  # execute it, then store() the reply
    IN_PROGRESS = "in_progress"  # duplicate of one being executed: send transaction_pending
    REPLIED = "replied"  # duplicate of an answered one: re-send the stored reply


class ReplyCache:
    """Receiver side of "at most once" (Annex D.1.1), keyed by (peer, transaction id).

    ``peer`` is the sender's MId (what the standard uses) or its (host, port). Replies are
    kept for ``long_timer`` seconds after they were sent, or until acknowledged.
    """

    def __init__(self, *, long_timer: float = LONG_TIMER) -> None:
        self.long_timer = long_timer
        self._replies: dict[tuple[Hashable, int], tuple[bytes, float]] = {}
        self._in_progress: set[tuple[Hashable, int]] = set()

    def begin(
        self, peer: Hashable, transaction_id: int, *, now: float
    ) -> tuple[TransactionState, bytes | None]:
        """Classify an incoming request; NEW marks it in progress."""
        self.expire(now)
        key = (peer, transaction_id)
        stored = self._replies.get(key)
        if stored is not None:
            return TransactionState.REPLIED, stored[0]
        if key in self._in_progress:
            return TransactionState.IN_PROGRESS, None
        self._in_progress.add(key)
        return TransactionState.NEW, None

    def store(self, peer: Hashable, transaction_id: int, reply: bytes, *, now: float) -> None:
        """Remember the reply just sent for a duplicate of this request."""
        key = (peer, transaction_id)
        self._in_progress.discard(key)
        self._replies[key] = (bytes(reply), now + self.long_timer)

    def reply_for(self, peer: Hashable, transaction_id: int) -> bytes | None:
        """The stored reply, if any."""
        stored = self._replies.get((peer, transaction_id))
        return stored[0] if stored else None

    def acknowledge(self, peer: Hashable, ranges: Sequence[tuple[int, int]]) -> None:
        """Forget replies acknowledged by a TransactionResponseAck (``MegacoMessage.acked``)."""
        for key in [k for k in self._replies if k[0] == peer]:
            if any(low <= key[1] <= high for low, high in ranges):
                del self._replies[key]

    def expire(self, now: float) -> None:
        """Drop replies older than LONG-TIMER."""
        for key in [k for k, (_, until) in self._replies.items() if until <= now]:
            del self._replies[key]

    def __len__(self) -> int:
        return len(self._replies)


@dataclass(frozen=True)
class RetransmitPolicy:
    """Sender side: waits between retransmissions of a request (Annex D.1.3 leaves the values
    to the implementation; these mirror the SIP T1/T2 back-off). Scale them for fast runs."""

    initial: float = 0.5
    maximum: float = 4.0
    give_up: float = 32.0
    pending_wait: float = 4.0

    def delays(self) -> Iterator[float]:
        """Successive waits: initial, doubled each time, capped at ``maximum``, until their
        sum reaches ``give_up`` (then the transaction has failed)."""
        delay, total = self.initial, 0.0
        while total + delay <= self.give_up + 1e-9:
            yield delay
            total += delay
            delay = min(delay * 2, self.maximum)
