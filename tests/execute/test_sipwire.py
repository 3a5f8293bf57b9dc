"""RFC 3261 wire format: parse, build, identifiers, and tshark's view of what we send."""

from __future__ import annotations

import importlib.util
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callflow.execute import bodies, sdp
from callflow.execute.sipwire import (
    SipMessage,
    SipParseError,
    cseq_value,
    header_param,
    make_response,
    name_addr,
    new_branch,
    new_call_id,
    new_tag,
    parse_cseq,
    parse_message,
    parse_via,
    parse_via_branch,
    request_line,
    split_list,
    status_line,
    tag_of,
    uri_of,
    via_value,
)

INVITE = (
    b"INVITE sip:bob@home2.net SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.12:5060;branch=z9hG4bK2, SIP/2.0/UDP 127.0.0.11:5060"
    b";branch=z9hG4bK1\r\n"
    b"Max-Forwards: 69\r\n"
    b'From: "Alice" <sip:alice@home1.net>;tag=a1\r\n'
    b"To: <sip:bob@home2.net>\r\n"
    b"Call-ID: 3848276298220188511@127.0.0.11\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.11:5060>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 5\r\n"
    b"\r\n"
    b"hello"
)


def test_parse_request() -> None:
    m = parse_message(INVITE, strict=True)
    assert m.is_request and m.method == "INVITE" and m.request_uri == "sip:bob@home2.net"
    assert m.status is None and m.reason is None
    assert m.body == b"hello"
    assert m.headers_named("via") == [
        "SIP/2.0/UDP 127.0.0.12:5060;branch=z9hG4bK2",
        "SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bK1",
    ]
    # one Via header with two values becomes two entries, in order
    assert [n for n, _ in m.headers][:2] == ["Via", "Via"]
    assert m.header("call-id") == "3848276298220188511@127.0.0.11"
    assert m.header("i") == m.header("Call-ID")
    assert uri_of(m.header("From") or "") == "sip:alice@home1.net"
    assert tag_of(m.header("From") or "") == "a1"
    assert tag_of(m.header("To") or "") is None


def test_parse_status_line() -> None:
    m = parse_message(b"SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\n\r\n")
    assert not m.is_request and m.method is None and m.request_uri is None
    assert (m.status, m.reason) == (486, "Busy Here")
    empty = parse_message(b"SIP/2.0 200 \r\n\r\n")
    assert (empty.status, empty.reason) == (200, "")
    assert parse_message(b"SIP/2.0 200\r\n\r\n").start_line == "SIP/2.0 200 "
    assert parse_message(b"sip/2.0 180 Ringing\r\n\r\n").start_line == "SIP/2.0 180 Ringing"


def test_lone_lf_folding_and_compact_forms() -> None:
    raw = (
        b"\r\nBYE sip:bob@127.0.0.12 SIP/2.0\n"
        b"v: SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bKx\n"
        b"f: <sip:alice@home1.net>;tag=1\n"
        b"t: <sip:bob@home2.net>\n ;tag=2\n"
        b"i: c@h\n"
        b"CSeq: 2\n\t BYE\n"
        b"Max-Forwards: 70\n"
        b"m: <sip:a@1.2.3.4>, <sip:b@1.2.3.4>\n"
        b"k: timer\nl: 0\n\n"
    )
    m = parse_message(raw, strict=True)
    names = [n for n, _ in m.headers]
    assert names[:4] == ["Via", "From", "To", "Call-ID"]
    assert "Supported" in names and "Content-Length" in names
    assert m.header("To") == "<sip:bob@home2.net> ;tag=2"
    assert tag_of(m.header("t") or "") == "2"
    assert m.header("CSeq") == "2 BYE"
    assert m.headers_named("Contact") == ["<sip:a@1.2.3.4>", "<sip:b@1.2.3.4>"]
    out = m.to_bytes()
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert out.endswith(b"\r\n\r\n")


def test_content_length_checked() -> None:
    head = b"MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 10\r\n\r\n"
    with pytest.raises(SipParseError, match="shorter than Content-Length"):
        parse_message(head + b"short")
    assert parse_message(head + b"0123456789trailing").body == b"0123456789"
    # no Content-Length: the datagram's rest is the body
    assert parse_message(b"MESSAGE sip:b@x SIP/2.0\r\n\r\nabc").body == b"abc"
    with pytest.raises(SipParseError, match="conflicting"):
        parse_message(b"MESSAGE sip:b@x SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab")
    with pytest.raises(SipParseError, match="Content-Length"):
        parse_message(b"MESSAGE sip:b@x SIP/2.0\r\nContent-Length: -1\r\n\r\n")
    with pytest.raises(SipParseError):
        parse_message(b"MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 3\r\n")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"INVITE sip:b@x SIP/3.0\r\n\r\n",
        b"SIP/3.0 200 OK\r\n\r\n",
        b"SIP/2.0 099 Too Low\r\n\r\n",
        b"SIP/2.0 700 Too High\r\n\r\n",
        b"SIP/2.0 2OO OK\r\n\r\n",
        b"INVITE bob SIP/2.0\r\n\r\n",
        b"INVITE  sip:b@x SIP/2.0\r\n\r\n",
        b"IN VITE sip:b@x SIP/2.0\r\n\r\n",
        b" INVITE sip:b@x SIP/2.0\r\n\r\n",
        b"INVITE sip:b@x SIP/2.0\r\n folded-first\r\n\r\n",
        b"INVITE sip:b@x SIP/2.0\r\nNo colon here\r\n\r\n",
        b"INVITE sip:b@x SIP/2.0\r\nBad\x00: x\r\n\r\n",
        b"INVITE sip:b@x SIP/2.0\r\nSubject: a\rb\r\n\r\n",
        b"INVITE sip:b@x SIP/2.0\r\nSubject: \xff\xfe\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ],
)
def test_garbage_is_a_parse_error(raw: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_message(raw)


def test_strict_requires_mandatory_headers() -> None:
    with pytest.raises(SipParseError, match="Max-Forwards"):
        parse_message(INVITE.replace(b"Max-Forwards: 69\r\n", b""), strict=True)
    with pytest.raises(SipParseError, match="CSeq method"):
        parse_message(INVITE.replace(b"1 INVITE", b"1 BYE"), strict=True)
    parse_message(INVITE.replace(b"Max-Forwards: 69\r\n", b""))  # lenient by default


def test_to_bytes_rewrites_content_length_and_refuses_injection() -> None:
    m = SipMessage("MESSAGE sip:b@x SIP/2.0", [("Content-Length", "99"), ("l", "1")], b"abc")
    out = m.to_bytes()
    assert out == b"MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 3\r\n\r\nabc"
    assert bytes(SipMessage("OPTIONS sip:b@x SIP/2.0")).endswith(b"Content-Length: 0\r\n\r\n")
    with pytest.raises(ValueError):
        SipMessage("MESSAGE sip:b@x SIP/2.0", [("Subject", "a\r\nVia: evil")]).to_bytes()
    with pytest.raises(ValueError):
        SipMessage("MESSAGE sip:b@x SIP/2.0", [("Bad Name", "x")]).to_bytes()


def test_header_editing() -> None:
    m = parse_message(INVITE)
    m.add_header("Via", "SIP/2.0/UDP 127.0.0.13:5060;branch=z9hG4bK3", first=True)
    assert parse_via_branch(m.header("v") or "") == "z9hG4bK3"
    m.add_header("Record-Route", "<sip:127.0.0.13;lr>", first=True)
    assert m.headers[0][0] == "Record-Route"
    m.add_header("Record-Route", "<sip:127.0.0.14;lr>")
    assert m.headers_named("Record-Route") == ["<sip:127.0.0.13;lr>", "<sip:127.0.0.14;lr>"]
    assert m.remove_header("Via", first_only=True) == [
        "SIP/2.0/UDP 127.0.0.13:5060;branch=z9hG4bK3"
    ]
    assert len(m.headers_named("Via")) == 2
    m.set_header("max-forwards", "68")
    assert m.headers_named("Max-Forwards") == ["68"]
    m.set_header("Subject", "new")
    assert m.headers[-1] == ("Subject", "new")
    assert m.remove_header("Subject") == ["new"] and m.header("Subject") is None
    # a comma-joined Via keeps its other values when the top one goes
    joined = SipMessage(
        "SIP/2.0 200 OK", [("Via", "SIP/2.0/UDP a:1;branch=z9hG4bKa, SIP/2.0/UDP b:2")]
    )
    assert joined.remove_header("via", first_only=True) == ["SIP/2.0/UDP a:1;branch=z9hG4bKa"]
    assert joined.headers_named("Via") == ["SIP/2.0/UDP b:2"]
    copy = m.copy()
    copy.set_header("Subject", "x")
    assert m.header("Subject") is None


def test_identifiers_repeat_under_a_seed() -> None:
    def draw(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [new_branch(rng), new_tag(rng), new_call_id(rng, "127.0.0.11")]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)
    branch, tag, call_id = draw(5)
    assert branch.startswith("z9hG4bK") and len(branch) > 7 + 8
    assert len(tag) >= 8 and call_id.endswith("@127.0.0.11")
    rng = random.Random(1)
    assert len({new_branch(rng) for _ in range(1000)}) == 1000


def test_header_value_helpers() -> None:
    via = via_value("127.0.0.11", 5060, "z9hG4bKabc")
    assert via == "SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bKabc"
    parsed = parse_via(via + ";received=10.0.0.1;rport")
    assert parsed is not None
    assert (parsed.transport, parsed.host, parsed.port) == ("UDP", "127.0.0.11", 5060)
    assert parsed.params["received"] == "10.0.0.1" and parsed.params["rport"] is None
    assert parse_via("SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1") is not None
    assert parse_via_branch("SIP/2.0/UDP host") is None
    assert parse_via("garbage") is None and parse_via_branch("SIP/2.0/UDP h:99999") is None
    assert cseq_value(7, "BYE") == "7 BYE"
    assert parse_cseq(" 7  BYE ") == (7, "BYE")
    assert parse_cseq("2147483648 BYE") is None and parse_cseq("x BYE") is None
    assert name_addr("sip:alice@home1.net") == "<sip:alice@home1.net>"
    value = name_addr("sip:alice@home1.net", "t1", display='Al "<x>;tag=no"')
    assert uri_of(value) == "sip:alice@home1.net" and tag_of(value) == "t1"
    assert uri_of("sip:bob@home2.net;tag=9") == "sip:bob@home2.net"
    assert tag_of("sip:bob@home2.net;tag=9") == "9"
    assert uri_of("<sip:x") is None and uri_of("nothing") is None
    assert header_param("active;expires=3600", "Expires") == "3600"
    assert header_param("terminated;reason=noresource", "retry-after") is None
    assert split_list('"Doe, J" <sip:j@x>, <sip:k@x;a=1,2>') == [
        '"Doe, J" <sip:j@x>',
        "<sip:k@x;a=1,2>",
    ]
    assert request_line("ACK", "sip:b@x") == "ACK sip:b@x SIP/2.0"
    assert status_line(487) == "SIP/2.0 487 Request Terminated"
    assert status_line(299, "Odd") == "SIP/2.0 299 Odd"


def test_make_response_copies_what_rfc3261_says() -> None:
    request = parse_message(INVITE)
    request.add_header("Record-Route", "<sip:127.0.0.12;lr>", first=True)
    trying = make_response(request, 100, to_tag="zz")
    assert trying.start_line == "SIP/2.0 100 Trying"
    assert tag_of(trying.header("To") or "") is None
    assert trying.header("Record-Route") is None
    ok = make_response(request, 200, to_tag="zz", body=b"v=0\r\n")
    assert tag_of(ok.header("To") or "") == "zz"
    assert ok.headers_named("Via") == request.headers_named("Via")
    assert [ok.header(h) for h in ("From", "Call-ID", "CSeq", "Record-Route")] == [
        request.header(h) for h in ("From", "Call-ID", "CSeq", "Record-Route")
    ]
    assert ok.header("Contact") is None and ok.header("Max-Forwards") is None
    reparsed = parse_message(ok.to_bytes(), strict=True)
    assert reparsed.status == 200 and reparsed.body == b"v=0\r\n"


# -- robustness ------------------------------------------------------------------------


def _fixed_point(m: SipMessage) -> None:
    """What parses also writes, and what it writes parses to the same message."""
    once = parse_message(m.to_bytes())
    twice = parse_message(once.to_bytes())
    assert once == twice
    assert once.start_line == m.start_line and once.body == m.body
    strip = [h for h in m.headers if h[0].lower() not in ("content-length", "l")]
    assert [h for h in once.headers if h[0] != "Content-Length"] == strip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_sip_parse_error(data: bytes) -> None:
    try:
        m = parse_message(data)
    except SipParseError:
        return
    _fixed_point(m)


@st.composite
def _mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([INVITE, INVITE.replace(b"\r\n", b"\n")])))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[i] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b"\r\n", b"\n", b" ", b"\t", b",", b":", b"\x00"]))
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[i:]
        else:
            data[i:i] = data[i : i + draw(st.integers(1, 40))]
    return bytes(data)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_mutated_messages_only_raise_sip_parse_error(data: bytes) -> None:
    for strict in (False, True):
        try:
            m = parse_message(data, strict=strict)
        except SipParseError:
            continue
        _fixed_point(m)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,12}", fullmatch=True), _TEXT),
        max_size=8,
    ),
    st.binary(max_size=60),
)
def test_built_messages_round_trip(headers: list[tuple[str, str]], body: bytes) -> None:
    m = SipMessage("MESSAGE sip:bob@home2.net SIP/2.0", headers, body)
    parsed = parse_message(m.to_bytes())
    assert parsed.body == body
    assert parsed.headers_named("Content-Length") == [str(len(body))]


# -- tshark ------------------------------------------------------------------------------

TSHARK = shutil.which("tshark")
HAVE_PCAP = importlib.util.find_spec("callflow.execute.pcap") is not None


def _sample_messages() -> list[tuple[bytes, str]]:
    rng = random.Random(42)
    invite = SipMessage(
        request_line("INVITE", "sip:bob@home2.net"),
        [
            ("Via", via_value("127.0.0.11", 5060, new_branch(rng))),
            ("Max-Forwards", "70"),
            ("From", name_addr("sip:alice@home1.net", new_tag(rng))),
            ("To", name_addr("sip:bob@home2.net")),
            ("Call-ID", new_call_id(rng, "127.0.0.11")),
            ("CSeq", cseq_value(1, "INVITE")),
            ("Contact", "<sip:alice@127.0.0.11:5060>"),
            ("Content-Type", "application/sdp"),
        ],
        sdp.make_offer(session_id=1, address="127.0.0.11", port=40000, codecs=["PCMU", "PCMA"]),
    )
    answer = sdp.make_answer(invite.body, session_id=2, address="127.0.0.12", port=40002)
    ok = make_response(invite, 200, to_tag=new_tag(rng), body=answer)
    ok.add_header("Contact", "<sip:bob@127.0.0.12:5060>")
    ok.add_header("Content-Type", "application/sdp")
    notify = invite.copy()
    notify.start_line = request_line("NOTIFY", "sip:alice@127.0.0.11:5060")
    notify.set_header("CSeq", cseq_value(2, "NOTIFY"))
    notify.set_header("Event", "conference")
    notify.set_header("Subscription-State", "active;expires=3600")
    notify.set_header("Content-Type", bodies.CONFERENCE_INFO_TYPE)
    notify.body = bodies.conference_info(
        entity="sip:conf1@mrfc.home1.net",
        version=1,
        state="full",
        users=[("sip:alice@home1.net", "connected"), ("sip:bob@home2.net", "disconnected")],
    )
    refer_notify = notify.copy()
    refer_notify.set_header("Event", "refer")
    refer_notify.set_header("Content-Type", bodies.SIPFRAG_TYPE)
    refer_notify.body = bodies.sipfrag("SIP/2.0 100 Trying")
    return [
        (invite.to_bytes(), "INVITE"),
        (ok.to_bytes(), "200"),
        (notify.to_bytes(), "NOTIFY"),
        (refer_notify.to_bytes(), "NOTIFY"),
    ]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.skipif(not HAVE_PCAP, reason="callflow.execute.pcap (PcapWriter) does not exist yet")
def test_tshark_dissects_our_messages_as_sip(tmp_path: Path) -> None:
    from callflow.execute.pcap import PcapWriter  # type: ignore[import-not-found]

    assert TSHARK is not None
    messages = _sample_messages()
    path = tmp_path / "sip.pcap"
    writer = PcapWriter(str(path))
    for i, (payload, _) in enumerate(messages):
        writer.write_udp(
            timestamp=1000.0 + i,
            src=("127.0.0.11", 5060),
            dst=("127.0.0.12", 5060),
            payload=payload,
        )
    writer.close()

    def tshark(*args: str) -> str:
        done = subprocess.run(
            [TSHARK, "-n", "-r", str(path), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    assert tshark("-Y", "_ws.malformed") == ""
    fields = tshark("-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code")
    rows = [line.split("\t") for line in fields.splitlines()]
    assert len(rows) == len(messages)
    for (method, code), (_, expected) in zip(rows, messages, strict=True):
        assert expected in (method, code)
    assert "sdp" in tshark("-Y", "sdp", "-T", "fields", "-e", "frame.protocols")
