"""message/sipfrag and RFC 4575 conference-info bodies."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflow.execute.bodies import (
    CONFERENCE_INFO_NS,
    CONFERENCE_INFO_TYPE,
    ENDPOINT_STATUSES,
    SIPFRAG_TYPE,
    BodyError,
    ConferenceSummary,
    body_from_param,
    conference_info,
    parse_conference_info,
    parse_conference_summary,
    parse_sipfrag,
    sipfrag,
)

NS = "{" + CONFERENCE_INFO_NS + "}"


def test_sipfrag() -> None:
    assert sipfrag("SIP/2.0 100 Trying") == b"SIP/2.0 100 Trying\r\n"
    assert sipfrag("SIP/2.0 200 OK\r\n") == b"SIP/2.0 200 OK\r\n"
    assert parse_sipfrag(b"SIP/2.0 603 Declined\r\n") == (603, "Declined")
    assert parse_sipfrag(b"SIP/2.0 180 Ringing\r\nContact: <sip:b@x>\r\n") == (180, "Ringing")
    for bad in ("", "hello", "SIP/2.0 999 Nope", "SIP/2.0 200 OK\r\nVia: x"):
        with pytest.raises(BodyError):
            sipfrag(bad)
    with pytest.raises(BodyError):
        parse_sipfrag(b"INVITE sip:b@x SIP/2.0\r\n")
    with pytest.raises(BodyError):
        parse_sipfrag(b"\xff")


def test_conference_info_is_rfc4575() -> None:
    doc = conference_info(
        entity="sip:conf1@mrfc.home1.net",
        version=3,
        state="full",
        users=[("sip:alice@home1.net", "connected"), ("sip:bob@home2.net", "disconnected")],
    )
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(doc)
    assert root.tag == NS + "conference-info"
    assert root.attrib == {"entity": "sip:conf1@mrfc.home1.net", "state": "full", "version": "3"}
    assert root.findtext(f"{NS}conference-state/{NS}user-count") == "1"
    users = root.findall(f"{NS}users/{NS}user")
    assert [u.get("entity") for u in users] == ["sip:alice@home1.net", "sip:bob@home2.net"]
    statuses = [u.findtext(f"{NS}endpoint/{NS}status") for u in users]
    assert statuses == ["connected", "disconnected"]
    # schema order inside endpoint: status before disconnection-method
    endpoint = users[1].find(f"{NS}endpoint")
    assert endpoint is not None
    assert [c.tag for c in endpoint] == [NS + "status", NS + "disconnection-method"]
    info = parse_conference_info(doc)
    assert (info.entity, info.version, info.state) == ("sip:conf1@mrfc.home1.net", 3, "full")
    assert info.users == (
        ("sip:alice@home1.net", "connected"),
        ("sip:bob@home2.net", "disconnected"),
    )


def test_partial_conference_info() -> None:
    doc = conference_info(
        entity="sip:c@x", version=4, state="partial", users=[("sip:a@x", "connected")]
    )
    root = ET.fromstring(doc)
    assert root.get("state") == "partial"
    assert root.find(f"{NS}conference-state") is None
    users = root.find(f"{NS}users")
    assert users is not None and users.get("state") == "partial"


def test_conference_info_escapes_and_validates() -> None:
    doc = conference_info(
        entity='sip:c@x;a="1"&b=<2>', version=0, state="full", users=[("sip:é@x", "alerting")]
    )
    assert parse_conference_info(doc).entity == 'sip:c@x;a="1"&b=<2>'
    assert parse_conference_info(doc).users == (("sip:é@x", "alerting"),)
    for kwargs in (
        {"state": "half"},
        {"version": -1},
        {"version": 2**32},
        {"entity": ""},
        {"entity": "sip:\x00@x"},
        {"users": [("sip:a@x", "gone")]},
        {"users": [("", "connected")]},
    ):
        args = {"entity": "sip:c@x", "version": 1, "state": "full", "users": []} | kwargs
        with pytest.raises(BodyError):
            conference_info(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<conference-info/>",
        b"<x xmlns='urn:ietf:params:xml:ns:conference-info'/>",
        b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='e' "
        b"state='full' version='\xc2\xb2'/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b"<unclosed",
    ],
)
def test_bad_conference_info(raw: bytes) -> None:
    with pytest.raises(BodyError):
        parse_conference_info(raw)


@settings(max_examples=300)
@given(
    st.text(max_size=30),
    st.integers(-5, 2**33),
    st.sampled_from(["full", "partial", "deleted", "other"]),
    st.lists(st.tuples(st.text(max_size=20), st.sampled_from([*ENDPOINT_STATUSES, "x"]))),
)
def test_conference_info_is_well_formed_or_refused(
    entity: str, version: int, state: str, users: list[tuple[str, str]]
) -> None:
    try:
        doc = conference_info(entity=entity, version=version, state=state, users=users)
    except BodyError:
        return
    info = parse_conference_info(doc)
    assert (info.entity, info.version, info.state) == (entity, version, state)
    assert info.users == tuple(users)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_parsers_only_raise_body_error(data: bytes) -> None:
    for parse in (parse_conference_info, parse_sipfrag):
        with contextlib.suppress(BodyError):
            parse(data)


def test_summaries() -> None:
    assert parse_conference_summary("conference-info full: alice (connected), bob (connected)") == (
        ConferenceSummary("full", (("alice", "connected"), ("bob", "connected")))
    )
    assert parse_conference_summary("conference-info partial: alice (disconnected)") == (
        ConferenceSummary("partial", (("alice", "disconnected"),))
    )
    assert parse_conference_summary("conference-info full:") == ConferenceSummary("full", ())
    assert parse_conference_summary("SIP/2.0 100 Trying") is None
    with pytest.raises(BodyError):
        parse_conference_summary("conference-info full: alice connected")
    with pytest.raises(BodyError):
        parse_conference_summary("conference-info full: alice (asleep)")


def test_body_from_param() -> None:
    ctype, body = body_from_param(
        "conference-info full: alice (connected), bob (disconnected)",
        CONFERENCE_INFO_TYPE,
        conference_entity="sip:conf1@x",
        version=7,
        user_uri=lambda name: f"sip:{name}@home.net",
    )
    assert ctype == CONFERENCE_INFO_TYPE
    info = parse_conference_info(body)
    assert info.version == 7 and info.users[1] == ("sip:bob@home.net", "disconnected")
    assert body_from_param("SIP/2.0 200 OK", SIPFRAG_TYPE) == (SIPFRAG_TYPE, b"SIP/2.0 200 OK\r\n")
    assert body_from_param("SIP/2.0 180 Ringing") == (SIPFRAG_TYPE, b"SIP/2.0 180 Ringing\r\n")
    assert body_from_param("hi there") == ("text/plain", b"hi there")
    assert body_from_param("x", "application/foo") == ("application/foo", b"x")
