"""SDP (RFC 4566) offers and answers (RFC 3264)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callflow.execute.sdp import SdpError, make_answer, make_offer, parse_sdp


def test_offer_lines() -> None:
    offer = make_offer(session_id=1234, address="127.0.0.11", port=40000)
    assert offer == (
        b"v=0\r\n"
        b"o=- 1234 1234 IN IP4 127.0.0.11\r\n"
        b"s=-\r\n"
        b"c=IN IP4 127.0.0.11\r\n"
        b"t=0 0\r\n"
        b"m=audio 40000 RTP/AVP 0\r\n"
        b"a=rtpmap:0 PCMU/8000\r\n"
        b"a=ptime:20\r\n"
        b"a=sendrecv\r\n"
    )
    info = parse_sdp(offer)
    assert (info.address, info.port, info.codecs, info.payload_types, info.ptime_ms) == (
        "127.0.0.11",
        40000,
        ("PCMU",),
        (0,),
        20,
    )
    assert (info.session_id, info.session_version, info.direction) == (1234, 1234, "sendrecv")


def test_offer_options() -> None:
    offer = make_offer(
        session_id=1,
        address="127.0.0.11",
        port=40000,
        codecs=["PCMA", "pcmu", "AMR", "telephone-event"],
        ptime_ms=30,
        direction="sendonly",
        version=2,
    )
    info = parse_sdp(offer)
    assert info.codecs == ("PCMA", "PCMU", "AMR", "telephone-event")
    assert info.payload_types == (8, 0, 96, 101)
    assert (info.ptime_ms, info.direction, info.session_version) == (30, "sendonly", 2)
    assert b"a=fmtp:101 0-16\r\n" in offer
    with pytest.raises(ValueError, match="unknown codec"):
        make_offer(session_id=1, address="127.0.0.11", port=40000, codecs=["OPUS?"])
    with pytest.raises(ValueError):
        make_offer(session_id=1, address="127.0.0.11", port=70000)
    with pytest.raises(ValueError):
        make_offer(session_id=1, address="127.0.0.11", port=1, codecs=[])


def test_answer_takes_the_first_common_codec() -> None:
    offer = make_offer(
        session_id=1, address="127.0.0.11", port=40000, codecs=["G729", "PCMA", "PCMU"]
    )
    answer = make_answer(
        offer, session_id=9, address="127.0.0.12", port=40002, codecs=["PCMU", "PCMA"]
    )
    info = parse_sdp(answer)
    assert (info.address, info.port, info.codecs, info.payload_types) == (
        "127.0.0.12",
        40002,
        ("PCMA",),
        (8,),
    )
    assert info.ptime_ms == 20 and info.session_id == 9
    assert answer.startswith(b"v=0\r\no=- 9 9 IN IP4 127.0.0.12\r\ns=-\r\n")


def test_answer_keeps_m_line_count_order_and_dynamic_payload_types() -> None:
    offer = (
        b"v=0\n"
        b"o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\n"
        b"s= \n"
        b"c=IN IP4 127.0.0.11\n"
        b"t=0 0\n"
        b"m=video 51372 RTP/AVP 31\n"
        b"a=rtpmap:31 H261/90000\n"
        b"m=audio 49170 RTP/AVP 100 0 110\n"
        b"c=IN IP4 127.0.0.21\n"
        b"a=rtpmap:100 AMR/8000\n"
        b"a=rtpmap:110 telephone-event/8000\n"
        b"a=ptime:40\n"
        b"a=recvonly\n"
        b"m=audio 49172 RTP/AVP 0\n"
    )
    assert parse_sdp(offer).address == "127.0.0.21"  # media-level c= wins
    info = parse_sdp(make_answer(offer, session_id=5, address="127.0.0.12", port=40002))
    assert [(m.media, m.port) for m in info.media] == [
        ("video", 0),
        ("audio", 40002),
        ("audio", 0),
    ]
    assert info.payload_types == (100, 110) and info.codecs == ("AMR", "telephone-event")
    assert (info.ptime_ms, info.direction) == (40, "sendonly")


@pytest.mark.parametrize(
    ("direction", "reverse"),
    [
        ("sendrecv", "sendrecv"),
        ("sendonly", "recvonly"),
        ("recvonly", "sendonly"),
        ("inactive",) * 2,
    ],
)
def test_answer_direction(direction: str, reverse: str) -> None:
    offer = make_offer(session_id=1, address="127.0.0.11", port=4000, direction=direction)
    assert parse_sdp(make_answer(offer, session_id=2, address="a", port=4002)).direction == reverse


def test_no_common_codec_rejects_the_stream() -> None:
    offer = make_offer(session_id=1, address="127.0.0.11", port=40000, codecs=["G722"])
    info = parse_sdp(
        make_answer(offer, session_id=2, address="127.0.0.12", port=1, codecs=["PCMU"])
    )
    assert info.port == 0 and info.payload_types == (9,)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"o=- 1 1 IN IP4 x\r\n",
        b"v=1\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\n",
        b"v=0\r\ns=-\r\no=- 1 1 IN IP4 x\r\nt=0 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\nc=IN IP4 x\r\nt=0 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\nm=audio 1 RTP/AVP x\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\nm=audio 1 RTP/AVP\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\n\r\nm=audio 1 RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN XX x\r\nt=0 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 \xff\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
        b"a=rtpmap:0 PCMU\r\n",
        b"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 x\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
        b"a=ptime:0\r\n",
    ],
)
def test_bad_sdp(raw: bytes) -> None:
    with pytest.raises(SdpError):
        parse_sdp(raw)
    with pytest.raises(SdpError):
        make_answer(raw, session_id=1, address="127.0.0.1", port=1)


OFFER = make_offer(
    session_id=3, address="127.0.0.11", port=40000, codecs=["PCMU", "PCMA", "telephone-event"]
)


@st.composite
def _mutated_offer(draw: st.DrawFn) -> bytes:
    data = bytearray(OFFER)
    for _ in range(draw(st.integers(1, 5))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        if kind == "flip":
            data[i] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[i:i] = draw(
                st.sampled_from([b"\r\n", b"\n", b" ", b"/", b"=", b"m=video 0 RTP/AVP 1\r\n"])
            )
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 10))]
        else:
            data[i:i] = data[i : i + draw(st.integers(1, 30))]
    return bytes(data)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), _mutated_offer()))
def test_garbage_only_raises_sdp_error_and_answers_match_offers(data: bytes) -> None:
    try:
        offer = parse_sdp(data)
    except SdpError:
        return
    answer = parse_sdp(make_answer(data, session_id=1, address="127.0.0.12", port=40002))
    assert [m.media for m in answer.media] == [m.media for m in offer.media]
    assert sum(1 for m in answer.media if m.port) <= 1
