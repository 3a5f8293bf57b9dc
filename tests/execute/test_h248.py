"""H.248 text encoding (H.248.1 Annex B / RFC 3525): builders, parser, Annex D.1 helpers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callflow.execute import h248
from callflow.execute.h248 import MegacoError, parse_megaco

MGC = "[127.0.0.4]:2944"
MG = "[127.0.0.5]:2944"
OFFER = (
    b"v=0\r\no=alice 1 1 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
)
ANSWER = (
    b"v=0\r\no=- 2 2 IN IP4 127.0.0.5\r\ns=-\r\nc=IN IP4 127.0.0.5\r\nt=0 0\r\n"
    b"m=audio 50000 RTP/AVP 0\r\n"
)


def test_add_request_layout() -> None:
    data = h248.add_request(transaction_id=7, mid=MGC, remote_sdp=OFFER)
    text = data.decode()
    assert text.startswith("MEGACO/1 [127.0.0.4]:2944\r\nTransaction = 7 {\r\n Context = $ {\r\n")
    assert "  Add = $ {\r\n   Media {\r\n    Stream = 1 {\r\n" in text
    assert "LocalControl {\r\n      Mode = SendReceive\r\n     }" in text
    # SDP lines start their line; the closing brace directly follows the last SDP line
    assert "Local {\r\nv=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0 8\r\n}" in text
    assert "Remote {\r\n" + OFFER.decode() + "}" in text
    assert text.endswith("}\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only


def test_add_request_round_trip() -> None:
    msg = parse_megaco(h248.add_request(transaction_id=7, mid=MGC, remote_sdp=OFFER))
    assert (msg.mid, msg.version, msg.kind, msg.transaction_id) == (MGC, 1, "request", 7)
    assert msg.context_id == "$"
    assert msg.commands == (("Add", "$"),)
    assert msg.remote_sdp == OFFER
    assert msg.local_sdp == b"v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0 8\r\n"
    assert msg.mode == "SendReceive"


def test_add_request_options() -> None:
    plain = parse_megaco(h248.add_request(transaction_id=1, mid=MGC))
    assert plain.local_sdp == b"v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n"
    assert plain.remote_sdp is None
    bare = parse_megaco(
        h248.add_request(
            transaction_id=2, mid=MGC, context="1", termination="RTP/$", local_sdp_request=False
        )
    )
    assert (bare.context_id, bare.commands, bare.local_sdp) == ("1", (("Add", "RTP/$"),), None)
    given_local = parse_megaco(
        h248.add_request(transaction_id=3, mid=MGC, local_sdp=ANSWER, mode="ReceiveOnly")
    )
    assert (given_local.local_sdp, given_local.mode) == (ANSWER, "ReceiveOnly")


def test_add_reply_round_trip() -> None:
    data = h248.add_reply(
        transaction_id=7, mid=MG, context_id="1", termination_id="RTP/1", local_sdp=ANSWER
    )
    assert data.startswith(b"MEGACO/1 [127.0.0.5]:2944\r\nReply = 7 {\r\n Context = 1 {\r\n")
    assert b"  Add = RTP/1 {\r\n" in data
    msg = parse_megaco(data)
    assert (msg.kind, msg.transaction_id, msg.context_id) == ("reply", 7, "1")
    assert msg.commands == (("Add", "RTP/1"),)
    assert msg.local_sdp == ANSWER
    assert msg.remote_sdp is None


def test_lf_sdp_is_sent_with_crlf() -> None:
    data = h248.add_reply(
        transaction_id=7,
        mid=MG,
        context_id="1",
        termination_id="RTP/1",
        local_sdp=ANSWER.replace(b"\r\n", b"\n"),
    )
    assert parse_megaco(data).local_sdp == ANSWER


def test_subtract_round_trip() -> None:
    req = parse_megaco(h248.subtract_request(transaction_id=8, mid=MGC, context_id="1"))
    assert (req.kind, req.context_id, req.commands) == ("request", "1", (("Subtract", "*"),))
    data = h248.subtract_reply(
        transaction_id=8,
        mid=MG,
        context_id="1",
        termination_ids=["RTP/1", "RTP/2"],
        statistics={"RTP/1": {"nt/os": 45123, "nt/dur": 40}},
    )
    reply = parse_megaco(data)
    assert reply.kind == "reply"
    assert reply.commands == (("Subtract", "RTP/1"), ("Subtract", "RTP/2"))
    assert reply.statistics == (("RTP/1", (("nt/os", "45123"), ("nt/dur", "40"))),)


def test_notify_round_trip() -> None:
    data = h248.notify_request(
        transaction_id=9,
        mid=MG,
        termination_id="RTP/1",
        context_id="1",
        request_id=2222,
        event="al/of",
        parameters={"strict": "state"},
        timestamp="19990729T22000000",
    )
    assert b"ObservedEvents = 2222 {" in data
    assert b"19990729T22000000:al/of {" in data
    msg = parse_megaco(data)
    assert (msg.kind, msg.commands, msg.events) == ("request", (("Notify", "RTP/1"),), ("al/of",))
    reply = parse_megaco(h248.notify_reply(transaction_id=9, mid=MGC, termination_id="RTP/1"))
    assert (reply.kind, reply.context_id, reply.commands) == ("reply", "-", (("Notify", "RTP/1"),))


def test_modify_and_service_change_round_trip() -> None:
    msg = parse_megaco(
        h248.modify_request(
            transaction_id=10, mid=MGC, context_id="1", termination_id="RTP/1", remote_sdp=OFFER
        )
    )
    assert (msg.commands, msg.remote_sdp, msg.mode) == (
        (("Modify", "RTP/1"),),
        OFFER,
        "SendReceive",
    )
    reply = parse_megaco(
        h248.modify_reply(transaction_id=10, mid=MG, context_id="1", termination_id="RTP/1")
    )
    assert (reply.kind, reply.commands, reply.local_sdp) == ("reply", (("Modify", "RTP/1"),), None)
    sc = parse_megaco(h248.service_change_request(transaction_id=11, mid=MG))
    assert (sc.context_id, sc.commands) == ("-", (("ServiceChange", "ROOT"),))
    sc_reply = parse_megaco(h248.service_change_reply(transaction_id=11, mid=MGC))
    assert (sc_reply.kind, sc_reply.commands) == ("reply", (("ServiceChange", "ROOT"),))


def test_error_pending_and_ack() -> None:
    err = parse_megaco(
        h248.error_reply(
            transaction_id=12, mid=MG, code=510, text="Insufficient resources", context_id="-"
        )
    )
    assert (err.kind, err.error_code, err.error_text) == ("reply", 510, "Insufficient resources")
    bare = parse_megaco(h248.error_reply(transaction_id=12, mid=MG, code=400, text="Syntax error"))
    assert (bare.error_code, bare.contexts) == (400, ())
    pending = parse_megaco(h248.transaction_pending(transaction_id=13, mid=MG))
    assert (pending.kind, pending.transaction_id, pending.commands) == ("pending", 13, ())
    ack = parse_megaco(h248.response_ack(mid=MGC, transaction_ids=[7, 8]))
    assert (ack.kind, ack.transaction_id, ack.acked) == ("ack", 7, ((7, 7), (8, 8)))


def test_mid_for() -> None:
    assert h248.mid_for("127.0.0.4") == "[127.0.0.4]:2944"
    assert h248.mid_for("::1", 2945) == "[::1]:2945"
    with pytest.raises(ValueError):
        h248.mid_for("mg.example")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"transaction_id": 0}, "transaction id"),
        ({"transaction_id": 2**32}, "transaction id"),
        ({"mid": "127.0.0.4:2944 x"}, "MId"),
        ({"mid": "[300.0.0.1]:2944"}, "MId"),
        ({"context": "one"}, "context id"),
        ({"termination": "RTP 1"}, "termination id"),
        ({"mode": "Both"}, "stream mode"),
    ],
)
def test_builders_reject_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"transaction_id": 1, "mid": MGC, **kwargs}
    with pytest.raises(ValueError, match=match):
        h248.add_request(**args)  # type: ignore[arg-type]


def test_sdp_braces_are_escaped() -> None:
    sdp = b"v=0\r\na=x-odd:{1}\r\n"
    data = h248.add_reply(
        transaction_id=1, mid=MG, context_id="1", termination_id="RTP/1", local_sdp=sdp
    )
    assert b"a=x-odd:{1\\}\r\n" in data
    assert parse_megaco(data).local_sdp == sdp


RFC_STYLE = b"""MEGACO/1 [123.123.123.4]:55555
Transaction = 10003 {
   Context = $ {
      Add = A4444,
      Add = $ {
        Media {
          Stream = 1 {
             LocalControl {
                Mode = ReceiveOnly,
                nt/jit=40 ; in ms
             },
             Local {
v=0
c=IN IP4 $
m=audio $ RTP/AVP 4
a=ptime:30
             },
             Remote {
v=0
c=IN IP4 124.124.124.222
m=audio 2222 RTP/AVP 4
a=ptime:30
             } ; RTP profile for G.723.1 is 4
          }
        }
      }
   }
}
"""


def test_parses_indented_lf_message_with_comments() -> None:
    msg = parse_megaco(RFC_STYLE)
    assert (msg.mid, msg.transaction_id, msg.context_id) == ("[123.123.123.4]:55555", 10003, "$")
    assert msg.commands == (("Add", "A4444"), ("Add", "$"))
    assert msg.mode == "ReceiveOnly"
    assert msg.local_sdp == b"v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 4\na=ptime:30\n"
    assert msg.remote_sdp is not None and b"m=audio 2222 RTP/AVP 4\n" in msg.remote_sdp


def test_parses_short_tokens_and_compact_whitespace() -> None:
    data = (
        b"!/1 [124.124.124.222]:55555\nP=10003{C=2000{A=A4444,A=A4445{M{ST=1{O{MO=SR},"
        b"L{\nv=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 4\n}}}}}}"
    )
    msg = parse_megaco(data)
    assert (msg.kind, msg.transaction_id, msg.context_id) == ("reply", 10003, "2000")
    assert msg.commands == (("Add", "A4444"), ("Add", "A4445"))
    assert msg.mode == "SendReceive"
    assert msg.local_sdp == b"v=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 4\n"


def test_parses_variants() -> None:
    # lower-case tokens, tabs, O-/W- prefixes, ImmAckRequired, several transactions
    data = (
        b"  ; leading comment\r\nmegaco/1\t<mg1.example.net>:2944 ; who\r\n"
        b"reply = 5 { immackrequired, context = 3 { o-w-subtract = rtp/7 } }\r\n"
        b"Pending=6{}\r\nK { 1, 3-4 }\r\n"
        b"T = 9 { C = - { N = ROOT { OE = 1 { 20240101T00000000 : g/sc } } } }"
    )
    msg = parse_megaco(data)
    assert msg.mid == "<mg1.example.net>:2944"
    assert (msg.kind, msg.immediate_ack, msg.commands) == ("reply", True, (("Subtract", "rtp/7"),))
    kinds = [(t.kind, t.transaction_id) for t in msg.transactions]
    assert kinds == [("reply", 5), ("pending", 6), ("ack", 1), ("request", 9)]
    assert msg.transactions[2].acked == ((1, 1), (3, 4))
    assert msg.transactions[3].events == ("g/sc",)
    assert parse_megaco(b"MEGACO/1 MG_7/box\nT=1{C=1{S=*}}").mid == "MG_7/box"
    assert parse_megaco(b"MEGACO/1 MTP{0A1B}\nT=1{C=1{S=*}}").mid == "MTP{0A1B}"


def test_message_level_error() -> None:
    msg = parse_megaco(b'MEGACO/1 [10.0.0.1]:2944\nError = 401 { "Protocol Error" }\n')
    assert (msg.kind, msg.transaction_id, msg.error_code, msg.error_text) == (
        "error",
        0,
        401,
        "Protocol Error",
    )


GARBAGE = [
    b"",
    b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n",
    b"MEGACO/1",
    b"MEGACO/1 [127.0.0.1]:2944\r\n",
    b"MEGACO/1 [127.0.0.1:2944\r\nT=1{C=1{S=*}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=1{S=*}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=1{S=*}}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=x{C=1{S=*}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=99999999999{C=1{S=*}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=one{S=*}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=1{S}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=1{A=$ {M{L{v=0}}}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nHello=1{}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nT=1{C=1{S=*}}\x00",
    b'MEGACO/1 [127.0.0.1]:2944\r\nP=1{ER=400{"unterminated}}',
    b"MEGACO/1 [127.0.0.1]:2944\r\nK{3-1}",
    b"MEGACO/1 [127.0.0.1]:2944\r\nPN=1",
    b"MEGACO/1 [127.0.0.1]:2944\r\n" + b"T=1{" + b"M{" * 5000 + b"}" * 5001,
]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_raises_megaco_error(data: bytes) -> None:
    with pytest.raises(MegacoError):
        parse_megaco(data)


def _parse_or_error(data: bytes) -> None:
    try:
        msg = parse_megaco(data)
    except MegacoError:
        return
    assert msg.kind in {"request", "reply", "pending", "ack", "error"}
    assert msg.transactions


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_megaco_error(data: bytes) -> None:
    _parse_or_error(data)


H248_ALPHABET = [
    *' \t\r\n{}=,;"[]()<>#!:/$*-0123456789',
    "Transaction",
    "T",
    "Reply",
    "P",
    "Pending",
    "K",
    "Context",
    "C",
    "Add",
    "Subtract",
    "Notify",
    "Media",
    "Stream",
    "Local",
    "L",
    "Remote",
    "R",
    "LocalControl",
    "Mode",
    "SendReceive",
    "Error",
    "ObservedEvents",
    "ImmAckRequired",
    "RTP/1",
    "\\}",
    "v=0",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(H248_ALPHABET), max_size=80))
def test_random_token_soup_only_raises_megaco_error(tokens: list[str]) -> None:
    _parse_or_error(b"MEGACO/1 [127.0.0.1]:2944\r\n" + "".join(tokens).encode())


VALID = [
    h248.add_request(transaction_id=7, mid=MGC, remote_sdp=OFFER),
    h248.subtract_reply(
        transaction_id=8, mid=MG, context_id="1", termination_ids=["RTP/1"], statistics=None
    ),
    RFC_STYLE,
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 8), st.binary(max_size=3)), max_size=4),
)
def test_mutated_messages_only_raise_megaco_error(
    data: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    for pos, cut, insert in edits:
        pos %= len(data) + 1
        data = data[:pos] + insert + data[pos + cut :]
    _parse_or_error(data)


sdp_lines = st.lists(
    st.from_regex(r"[a-z]=[A-Za-z0-9 ./:${}-]{0,20}", fullmatch=True), min_size=1, max_size=6
)


@settings(max_examples=200, deadline=None)
@given(
    tid=st.integers(1, 2**32 - 1),
    context=st.integers(1, 2**32 - 2),
    termination=st.from_regex(r"[A-Za-z][A-Za-z0-9_/]{0,15}", fullmatch=True),
    lines=sdp_lines,
)
def test_add_reply_round_trips(tid: int, context: int, termination: str, lines: list[str]) -> None:
    sdp = "".join(line.strip() + "\r\n" for line in lines).encode()
    msg = parse_megaco(
        h248.add_reply(
            transaction_id=tid,
            mid=MG,
            context_id=str(context),
            termination_id=termination,
            local_sdp=sdp,
        )
    )
    assert (msg.transaction_id, msg.context_id, msg.commands) == (
        tid,
        str(context),
        (("Add", termination),),
    )
    assert msg.local_sdp == sdp


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Add", ("Add", False)),
        ("AddReply", ("Add", True)),
        ("Add Reply", ("Add", True)),
        ("subtract_reply", ("Subtract", True)),
        ("Reply(Modify)", ("Modify", True)),
        ("MF", ("Modify", False)),
        ("Notify", ("Notify", False)),
        ("NotifyResponse", ("Notify", True)),
        ("INVITE", None),
        ("Reply", None),
        ("200 OK", None),
    ],
)
def test_classify_name(name: str, expected: tuple[str, bool] | None) -> None:
    assert h248.classify_name(name) == expected


def test_reply_cache_at_most_once() -> None:
    cache = h248.ReplyCache(long_timer=30.0)
    peer = MGC
    assert cache.begin(peer, 7, now=0.0) == (h248.TransactionState.NEW, None)
    assert cache.begin(peer, 7, now=0.1) == (h248.TransactionState.IN_PROGRESS, None)
    reply = h248.add_reply(
        transaction_id=7, mid=MG, context_id="1", termination_id="RTP/1", local_sdp=ANSWER
    )
    cache.store(peer, 7, reply, now=0.2)
    assert cache.begin(peer, 7, now=1.0) == (h248.TransactionState.REPLIED, reply)
    assert cache.begin("[127.0.0.9]:2944", 7, now=1.0)[0] is h248.TransactionState.NEW
    assert cache.reply_for(peer, 7) == reply
    cache.expire(30.3)
    assert cache.reply_for(peer, 7) is None
    cache.store(peer, 8, reply, now=40.0)
    cache.store(peer, 9, reply, now=40.0)
    cache.acknowledge(peer, parse_megaco(h248.response_ack(mid=MGC, transaction_ids=[8])).acked)
    assert (cache.reply_for(peer, 8), cache.reply_for(peer, 9)) == (None, reply)
    assert len(cache) == 1


def test_retransmit_policy() -> None:
    policy = h248.RetransmitPolicy(initial=0.5, maximum=4.0, give_up=32.0)
    delays = list(policy.delays())
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert sum(delays) <= 32.0 < sum(delays) + 4.0
    fast = list(h248.RetransmitPolicy(initial=0.01, maximum=0.04, give_up=0.1).delays())
    assert fast == pytest.approx([0.01, 0.02, 0.04])
