"""SIP bodies other than SDP: message/sipfrag (RFC 3420, as REFER's NOTIFYs carry it,
RFC 3515 §2.4.5) and conference-info documents (RFC 4575), built and parsed.

FDL writes these bodies as short summaries (``body="SIP/2.0 100 Trying"``,
``body="conference-info full: alice (connected), bob (connected)"``);
:func:`body_from_param` turns such a summary into the real body. Parsers raise only
:class:`BodyError`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from callflow.execute.sipwire import SipParseError, parse_message

__all__ = [
    "CONFERENCE_INFO_NS",
    "CONFERENCE_INFO_TYPE",
    "ENDPOINT_STATUSES",
    "SIPFRAG_TYPE",
    "BodyError",
    "ConferenceInfo",
    "ConferenceSummary",
    "body_from_param",
    "conference_info",
    "parse_conference_info",
    "parse_conference_summary",
    "parse_sipfrag",
    "sipfrag",
]

CONFERENCE_INFO_NS = "urn:ietf:params:xml:ns:conference-info"
CONFERENCE_INFO_TYPE = "application/conference-info+xml"
SIPFRAG_TYPE = "message/sipfrag"

#: RFC 4575 §5.7.3 endpoint status values
ENDPOINT_STATUSES = frozenset(
    {
        "pending",
        "dialing-out",
        "dialing-in",
        "alerting",
        "on-hold",
        "connected",
        "muted-via-focus",
        "disconnecting",
        "disconnected",
    }
)
_DOCUMENT_STATES = frozenset({"full", "partial", "deleted"})
#: characters XML 1.0 can carry (§2.2 Char)
_XML_TEXT_RE = re.compile(r"[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


class BodyError(ValueError):
    """A body that is not what its content type promises; the message says why."""


# -- message/sipfrag ---------------------------------------------------------------------


def sipfrag(status_line: str) -> bytes:
    """A message/sipfrag body holding one start line, e.g. ``b"SIP/2.0 100 Trying\\r\\n"``.

    Raises BodyError unless ``status_line`` is one well-formed SIP start line."""
    text = status_line.strip()
    if "\r" in text or "\n" in text:
        raise BodyError("a sipfrag status line must be one line")
    try:
        parse_message(text.encode("utf-8"))
    except SipParseError as exc:
        raise BodyError(f"not a SIP start line: {exc}") from None
    return text.encode("utf-8") + b"\r\n"


def parse_sipfrag(data: bytes) -> tuple[int, str]:
    """``(status, reason)`` of a message/sipfrag body that starts with a status line."""
    try:
        fragment = parse_message(data)
    except SipParseError as exc:
        raise BodyError(f"bad sipfrag: {exc}") from None
    if fragment.status is None:
        raise BodyError("sipfrag does not start with a status line")
    return fragment.status, fragment.reason or ""


# -- conference-info -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConferenceInfo:
    """What a conference-info document says: its entity, version, state and
    ``(user uri, endpoint status)`` pairs in document order."""

    entity: str
    version: int
    state: str
    users: tuple[tuple[str, str], ...]


def conference_info(
    *, entity: str, version: int, state: str, users: Sequence[tuple[str, str]]
) -> bytes:
    """An RFC 4575 ``application/conference-info+xml`` document (UTF-8, well-formed).

    ``users`` are ``(uri, status)`` pairs, status one of :data:`ENDPOINT_STATUSES`; each
    becomes a ``user`` with one ``endpoint``. A full document also carries the number of
    users not disconnected in ``conference-state/user-count``. Raises BodyError."""
    if state not in _DOCUMENT_STATES:
        raise BodyError(f"conference-info state must be full, partial or deleted, not {state!r}")
    if not 0 <= version < 2**32:
        raise BodyError(f"conference-info version {version} is not an unsigned int")
    if not entity:
        raise BodyError("conference-info needs an entity URI")
    if not _XML_TEXT_RE.fullmatch(entity):
        raise BodyError(f"entity {entity!r} has characters XML cannot carry")
    for uri, status in users:
        if not uri or not _XML_TEXT_RE.fullmatch(uri):
            raise BodyError(f"bad conference user URI {uri!r}")
        if status not in ENDPOINT_STATUSES:
            raise BodyError(f"unknown endpoint status {status!r}")
    root = ET.Element(
        "conference-info",
        {"xmlns": CONFERENCE_INFO_NS, "entity": entity, "state": state, "version": str(version)},
    )
    if state == "full":
        conf_state = ET.SubElement(root, "conference-state")
        count = sum(1 for _, status in users if status != "disconnected")
        ET.SubElement(conf_state, "user-count").text = str(count)
    users_el = ET.SubElement(root, "users", {"state": state} if state == "partial" else {})
    for uri, status in users:
        user = ET.SubElement(users_el, "user", {"entity": uri, "state": "full"})
        endpoint = ET.SubElement(user, "endpoint", {"entity": uri})
        ET.SubElement(endpoint, "status").text = status
        if status == "disconnected":
            ET.SubElement(endpoint, "disconnection-method").text = "departed"
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def parse_conference_info(data: bytes) -> ConferenceInfo:
    """Read a conference-info document back (namespace checked); raises BodyError."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BodyError("conference-info must not carry a DTD")
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError) as exc:
        raise BodyError(f"conference-info is not well-formed XML: {exc}") from None
    ns = "{" + CONFERENCE_INFO_NS + "}"
    if root.tag != ns + "conference-info":
        raise BodyError(f"root element is {root.tag!r}, not {ns}conference-info")
    entity = root.get("entity") or ""
    state = root.get("state", "full")
    version_text = root.get("version", "")
    if (
        not entity
        or state not in _DOCUMENT_STATES
        or not re.fullmatch(r"[0-9]{1,10}", version_text)
    ):
        raise BodyError("conference-info needs entity, state and version attributes")
    users: list[tuple[str, str]] = []
    for user in root.iterfind(f"{ns}users/{ns}user"):
        status = user.findtext(f"{ns}endpoint/{ns}status", default="").strip()
        users.append((user.get("entity", ""), status))
    return ConferenceInfo(entity, int(version_text), state, tuple(users))


# -- FDL body summaries ------------------------------------------------------------------------

_SUMMARY_RE = re.compile(r"^\s*conference-info\s+(full|partial|deleted)\s*:\s*(.*?)\s*$", re.S)
_SUMMARY_USER_RE = re.compile(r"^\s*([^\s(),]+)\s*\(\s*([a-z-]+)\s*\)\s*$")


@dataclass(frozen=True)
class ConferenceSummary:
    """``conference-info full: alice (connected), bob (disconnected)`` as data."""

    state: str
    users: tuple[tuple[str, str], ...]


def parse_conference_summary(text: str) -> ConferenceSummary | None:
    """Read an FDL ``body="conference-info STATE: name (status), ..."`` summary; ``None``
    when ``text`` is not one, BodyError when it is one with a bad user list."""
    m = _SUMMARY_RE.match(text)
    if not m:
        return None
    users: list[tuple[str, str]] = []
    if m.group(2):
        for item in m.group(2).split(","):
            um = _SUMMARY_USER_RE.match(item)
            if not um:
                raise BodyError(f"bad conference-info summary user {item.strip()!r}")
            if um.group(2) not in ENDPOINT_STATUSES:
                raise BodyError(f"unknown endpoint status {um.group(2)!r}")
            users.append((um.group(1), um.group(2)))
    return ConferenceSummary(m.group(1), tuple(users))


def body_from_param(
    text: str,
    content_type: str | None = None,
    *,
    conference_entity: str = "",
    version: int = 0,
    user_uri: Callable[[str], str] = lambda name: name,
) -> tuple[str, bytes]:
    """``(Content-Type, body)`` for an FDL ``body="..."`` value: a conference-info
    summary becomes RFC 4575 XML (``user_uri`` maps a summary name such as ``alice`` to
    a URI), a SIP status line or a message/sipfrag type becomes a sipfrag, anything else
    is the text itself (``text/plain`` unless ``content_type`` says otherwise)."""
    summary = parse_conference_summary(text)
    if summary is not None:
        users = [(user_uri(name), status) for name, status in summary.users]
        body = conference_info(
            entity=conference_entity, version=version, state=summary.state, users=users
        )
        return content_type or CONFERENCE_INFO_TYPE, body
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == SIPFRAG_TYPE or (not ctype and text.startswith("SIP/2.0 ")):
        return content_type or SIPFRAG_TYPE, sipfrag(text)
    return content_type or "text/plain", text.encode("utf-8")
