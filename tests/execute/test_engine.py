"""The executor's engine: the reference flow on loopback, loss, order, faults, clean-up.

Runs use ``time_scale`` 0.02 (T1 = 10 ms) so that retransmissions and timers cost little.
Every run binds 127.0.0.11.. on its SIP, H.248 and other ports; this process's own port
numbers keep two test runs at the same time apart.
"""

from __future__ import annotations

import asyncio
import os
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from callflow import ir
from callflow.execute import bodies, h248, sdp, sipwire
from callflow.execute.engine import RunOptions, ScenarioRun, execute, run_scenario
from callflow.execute.report import executed_scenario, executed_svg, format_text, report_dict
from callflow.execute.uas import SippLikeUas
from callflow.fdl import parse_file, parse_text
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "flows" / "ims-conference.fdl"
BASIC = ROOT / "flows" / "basic-call.fdl"
FAST = 0.02
SIP = 21000 + (os.getpid() % 4000) * 3
H248, OTHER = SIP + 1, SIP + 2
RTP = 55000 + (os.getpid() % 250) * 40


def load(path: Path) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(str(path))
    assert result.ok, result.diagnostics
    return result.flow, expand_scenarios(result.flow).scenarios


def load_text(text: str) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_text(text, "test.fdl")
    assert result.ok, result.diagnostics
    return result.flow, expand_scenarios(result.flow).scenarios


def options(**kw: object) -> RunOptions:
    base: dict[str, object] = {
        "seed": 1,
        "time_scale": FAST,
        "timeout": 20.0,
        "sip_port": SIP,
        "h248_port": H248,
        "generic_port": OTHER,
        "rtp_port": RTP,
        # signalling only: with timers 50x faster, a BYE answered two media segments later
        # would be re-sent; tests/execute/test_media_run.py runs the media
        "media": False,
    }
    base.update(kw)
    return RunOptions(**base)  # type: ignore[arg-type]


def codes(run: ScenarioRun) -> list[str]:
    return [d.code for d in run.diagnostics]


def sip(run: ScenarioRun, number: int, attempt: int = 0) -> sipwire.SipMessage:
    """The SIP datagram sent for flow message ``number`` (1-based)."""
    for d in run.datagrams:
        if d.message == number - 1 and d.attempt == attempt:
            return sipwire.parse_message(d.payload, strict=True)
    raise AssertionError(f"no datagram for message {number}")


def payload(run: ScenarioRun, number: int) -> bytes:
    return next(d.payload for d in run.datagrams if d.message == number - 1 and d.attempt == 0)


def assert_free(*addresses: tuple[str, int]) -> None:
    """Every socket of a run is closed: its addresses can be bound again."""
    for address in addresses:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(address)
        finally:
            probe.close()


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    return load(REFERENCE)


@pytest.fixture(scope="module")
def clean_runs(reference: tuple[ir.Flow, list[ir.Scenario]]) -> list[ScenarioRun]:
    flow, scenarios = reference
    return [run_scenario(flow, s, options()) for s in scenarios]


# ------------------------------------------------------------------ the reference flow


def test_reference_flow_runs_every_scenario(clean_runs: list[ScenarioRun]) -> None:
    assert [r.scenario.name for r in clean_runs] == ["Participant joins", "Participant declines"]
    for run in clean_runs:
        assert run.ok, run.diagnostics
        assert run.diagnostics == []
        assert run.delivered == run.messages == len(run.scenario.messages())
        assert run.dropped == 0
    assert [r.messages for r in clean_runs] == [126, 54]
    assert_free(("127.0.0.11", SIP), ("127.0.0.14", H248), ("127.0.0.15", H248))


def test_strict_order_puts_the_flow_on_the_wire(clean_runs: list[ScenarioRun]) -> None:
    for run in clean_runs:
        first_sends = [d.message for d in run.datagrams if d.attempt == 0]
        assert first_sends == list(range(run.messages))
        for d in run.datagrams:
            m = run.scenario.messages()[d.message]
            assert (d.sender, d.receiver) == (m.sender.text, m.receivers[0].text)
            assert d.src[0] == run.addresses.hosts[d.sender]
            assert d.dst == run.addresses.address(
                d.receiver, "h248" if d.protocol == "h248" else "sip"
            )


def test_sip_headers_on_the_wire(clean_runs: list[ScenarioRun]) -> None:
    run = clean_runs[0]
    invite1, invite3, invite5 = sip(run, 1), sip(run, 3), sip(run, 5)
    assert invite1.start_line == "INVITE sip:conference-factory@home1.net SIP/2.0"
    # a Via per hop, each with its own z9hG4bK branch; Max-Forwards counts down
    vias = invite5.headers_named("Via")
    assert len(vias) == 3 and all(";branch=z9hG4bK" in v for v in vias)
    assert len({sipwire.parse_via_branch(v) for v in vias}) == 3
    assert [m.header("Max-Forwards") for m in (invite1, invite3, invite5)] == ["70", "69", "68"]
    # record-routing proxies; the response retraces the Vias, one removed per hop
    assert invite5.headers_named("Record-Route") == [
        f"<sip:127.0.0.13:{SIP};lr>",
        f"<sip:127.0.0.12:{SIP};lr>",
    ]
    ok9, ok11 = sip(run, 9), sip(run, 11)
    assert len(ok9.headers_named("Via")) == 3 and len(ok11.headers_named("Via")) == 1
    assert ok9.header("Contact") == "<sip:conf1@home1.net>;isfocus"  # as the flow writes it
    to_tag = sipwire.tag_of(ok11.header("To") or "")
    assert to_tag and sipwire.tag_of(invite1.header("From") or "")
    assert invite1.header("CSeq") == "1 INVITE"
    # the ACK and the BYE are in-dialog: Route from the record-route set, Request-URI =
    # the focus's Contact
    ack = sip(run, 12)
    assert ack.start_line == "ACK sip:conf1@home1.net SIP/2.0"
    assert ack.headers_named("Route") == [
        f"<sip:127.0.0.12:{SIP};lr>",
        f"<sip:127.0.0.13:{SIP};lr>",
    ]
    assert sipwire.tag_of(ack.header("To") or "") == to_tag
    bye = next(
        sipwire.parse_message(d.payload)
        for d in run.datagrams
        if d.payload.startswith(b"BYE") and d.sender == "UE_A"
    )
    assert bye.header("Call-ID") == invite1.header("Call-ID")
    assert bye.header("CSeq") == "2 BYE"
    # the in-dialog NOTIFY of the refer subscription skips the I-CSCF (no record-route)
    notify = sip(run, 39)
    assert notify.headers_named("Route") == [
        f"<sip:127.0.0.18:{SIP};lr>",
        f"<sip:127.0.0.17:{SIP};lr>",
        f"<sip:127.0.0.13:{SIP};lr>",
        f"<sip:127.0.0.12:{SIP};lr>",
    ]


def test_real_call_ids_one_per_logical_call(clean_runs: list[ScenarioRun]) -> None:
    run = clean_runs[0]
    by_call: dict[str, set[str]] = {}
    for d in run.datagrams:
        if d.protocol != "sip":
            continue
        call = run.scenario.resolved[d.message].call or "main"
        by_call.setdefault(call, set()).add(
            sipwire.parse_message(d.payload).header("Call-ID") or ""
        )
    assert set(by_call) == {"conf_a", "sub_a", "refer_ab", "conf_b", "sub_b"}
    assert all(len(ids) == 1 for ids in by_call.values())
    assert len({next(iter(ids)) for ids in by_call.values()}) == 5


def test_bodies_sdp_h248_conference_info_sipfrag(clean_runs: list[ScenarioRun]) -> None:
    run = clean_runs[0]
    offer = sip(run, 1).body
    add = h248.parse_megaco(payload(run, 7))
    assert add.kind == "request" and add.context_id == "$"
    assert (
        add.remote_sdp is not None
        and sdp.parse_sdp(add.remote_sdp).port == sdp.parse_sdp(offer).port
    )
    reply = h248.parse_megaco(payload(run, 8))
    assert reply.kind == "reply" and reply.local_sdp is not None
    mrfp = sdp.parse_sdp(reply.local_sdp)
    answer = sdp.parse_sdp(sip(run, 9).body)
    assert (answer.address, answer.port) == (mrfp.address, mrfp.port) == ("127.0.0.15", mrfp.port)
    assert sip(run, 11).body == sip(run, 9).body  # proxies pass it on unchanged
    # the second Add joins the context the MRFP chose
    add_b = h248.parse_megaco(payload(run, 55))
    assert add_b.context_id == reply.context_id
    notify = sip(run, 21)
    assert notify.header("Content-Type") == bodies.CONFERENCE_INFO_TYPE
    ET.fromstring(notify.body)  # well-formed
    info = bodies.parse_conference_info(notify.body)
    assert (info.entity, info.state, info.users) == (
        "sip:conf1@home1.net",
        "full",
        (("sip:alice@home1.net", "connected"),),
    )
    frag = sip(run, 39)
    assert frag.header("Content-Type") == "message/sipfrag"
    assert bodies.parse_sipfrag(frag.body)[0] == 100


# ------------------------------------------------------------------ loss and retransmission


def test_loss_is_recovered_by_retransmissions(reference: tuple[ir.Flow, list[ir.Scenario]]) -> None:
    flow, scenarios = reference
    # T1 = 25 ms: a busy machine adds no early retransmission, which would shift the
    # attempts and so which datagrams are dropped
    lossy = options(seed=7, loss=0.2, time_scale=0.05)
    runs = [run_scenario(flow, s, lossy) for s in scenarios]
    for run in runs:
        assert run.ok, run.diagnostics
        assert run.delivered == run.messages
        assert run.dropped > 0 and run.retransmissions > 0
        assert sum(1 for d in run.datagrams if d.dropped) == run.dropped
    # decided per message and attempt from the seed: a second run repeats it
    again = run_scenario(flow, scenarios[1], lossy)
    assert [d.dropped for d in again.datagrams] == [d.dropped for d in runs[1].datagrams]
    assert "retransmission" in executed_svg(flow, runs[1])


LOST = """\
eternal: A [role=ue], B [role=ue]
feature "f" {
    OPTIONS(Call-ID=o1) : A -x B
    OPTIONS(Call-ID=o1) : A -> B
    200 OK : B -> A
}
"""


def test_a_drawn_lost_message_is_dropped_once_and_retried_as_drawn() -> None:
    flow, (scenario,) = load_text(LOST)
    run = run_scenario(flow, scenario, options(time_scale=1.0))  # counts datagrams
    assert run.ok, run.diagnostics
    first, retry, answer = run.datagrams
    assert first.drawn_lost and not retry.drawn_lost and first.payload == retry.payload
    assert [first.message, retry.message, answer.message] == [0, 1, 2]
    lost = executed_scenario(run).messages()[0]
    assert lost.lost


# ------------------------------------------------------------------ order


OVERTAKE = """\
eternal: A, B, C
feature "f" {
    Ping : B -> A
    First : A -> C
    Second : B -> C
}
"""


def test_causal_order_reports_a_message_that_overtakes() -> None:
    flow, (scenario,) = load_text(OVERTAKE)
    strict = run_scenario(flow, scenario, options())
    assert strict.ok and strict.diagnostics == []
    causal = run_scenario(flow, scenario, options(order="causal"))
    assert causal.ok
    assert codes(causal) == ["RUN106"]
    assert "Second (message 3" in causal.diagnostics[0].message
    assert causal.diagnostics[0].loc.line == 5


def test_causal_order_runs_the_reference_flow(reference: tuple[ir.Flow, list[ir.Scenario]]) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        run = run_scenario(flow, scenario, options(order="causal"))
        assert run.ok, run.diagnostics
        assert set(codes(run)) <= {"RUN106"}


# ------------------------------------------------------------------ faults


def test_garbled_datagram_fails_the_run_with_a_located_diagnostic() -> None:
    flow, (scenario,) = load(BASIC)

    async def scenario_with_garbage() -> ScenarioRun:
        task = asyncio.create_task(execute(flow, scenario, options(time_scale=0.2)))
        await asyncio.sleep(0.15)  # inside the 0.6 s of conversation
        garbage = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        garbage.sendto(b"\x00\x01garbage that is not SIP\r\n\r\n", ("127.0.0.12", SIP))
        garbage.close()
        run = await task
        assert asyncio.all_tasks() == {asyncio.current_task()}  # nothing left behind
        return run

    run = asyncio.run(scenario_with_garbage())
    assert not run.ok
    assert codes(run) == ["RUN105"]
    assert "UE_B received a garbled SIP datagram from 127.0.0.1:" in run.diagnostics[0].message
    assert run.diagnostics[0].loc.file.endswith("basic-call.fdl")
    assert_free(("127.0.0.11", SIP), ("127.0.0.12", SIP))


def test_datagram_from_an_unknown_address_is_unexpected() -> None:
    flow, (scenario,) = load(BASIC)

    async def inject() -> ScenarioRun:
        task = asyncio.create_task(execute(flow, scenario, options(time_scale=0.2)))
        await asyncio.sleep(0.15)
        stray = sipwire.SipMessage("SIP/2.0 486 Busy Here")
        stray.headers = [
            ("Via", "SIP/2.0/UDP 127.0.0.11:5060;branch=z9hG4bKstray"),
            ("From", "<sip:alice@example.com>;tag=1"),
            ("To", "<sip:bob@example.com>;tag=2"),
            ("Call-ID", "stray@127.0.0.1"),
            ("CSeq", "1 INVITE"),
        ]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(stray.to_bytes(), ("127.0.0.11", SIP))
        s.close()
        return await task

    run = asyncio.run(inject())
    assert not run.ok and codes(run) == ["RUN102"]
    assert "486 Busy Here (INVITE) from 127.0.0.1:" in run.diagnostics[0].message


def test_wrong_response_code_points_at_the_expected_line() -> None:
    flow, (scenario,) = load(BASIC)
    with SippLikeUas(provisional=None, final=486) as peer:
        run = run_scenario(flow, scenario, options(external={"UE_B": peer.address}))
    assert not run.ok and codes(run) == ["RUN103"]
    diag = run.diagnostics[0]
    assert diag.loc.line == 17  # 180 Ringing : UE_B -> UE_A
    assert "expected 180 Ringing (message 2" in diag.message and "486 Busy Here" in diag.message


def test_missing_sdp_is_a_content_mismatch() -> None:
    flow, (scenario,) = load(BASIC)
    with SippLikeUas(answer_sdp=False) as peer:
        run = run_scenario(flow, scenario, options(external={"UE_B": peer.address}))
    assert not run.ok and codes(run) == ["RUN104"]
    assert run.diagnostics[0].loc.line == 18
    assert "carries no SDP answer" in run.diagnostics[0].message


def test_external_peer_plays_the_callee() -> None:
    flow, (scenario,) = load(BASIC)
    with SippLikeUas() as peer:
        run = run_scenario(flow, scenario, options(time_scale=0.1, external={"UE_B": peer.address}))
        received = list(peer.received)
    assert run.ok, run.diagnostics
    assert [line.split()[0] for line in received] == ["INVITE", "ACK", "BYE"]
    assert run.entities["UE_B"].sent == 3 and run.entities["UE_B"].received == 3
    # what the peer sent is in the capture too
    assert sum(1 for d in run.datagrams if d.sender == "UE_B") == 3


def test_port_in_use_is_named_and_nothing_is_left_open() -> None:
    flow, (scenario,) = load(BASIC)
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.12", SIP))
    try:
        run = run_scenario(flow, scenario, options())
    finally:
        blocker.close()
    assert not run.ok and codes(run) == ["RUN101"]
    assert (
        f"UE_B's SIP socket on 127.0.0.12:{SIP}: address already in use"
        in run.diagnostics[0].message
    )
    assert_free(("127.0.0.11", SIP))


def test_timeout_names_what_is_awaited() -> None:
    flow, (scenario,) = load(BASIC)
    with SippLikeUas(silent=True) as peer:
        run = run_scenario(
            flow, scenario, options(time_scale=1.0, timeout=0.3, external={"UE_B": peer.address})
        )
    assert not run.ok and codes(run) == ["RUN107"]
    assert run.duration < 2
    assert "180 Ringing (message 2, UE_B -> UE_A) at UE_A" in run.diagnostics[0].message
    assert_free(("127.0.0.11", SIP))


def test_transaction_timeout_after_64_t1() -> None:
    flow, (scenario,) = load(BASIC)
    with SippLikeUas(silent=True) as peer:
        run = run_scenario(
            flow, scenario, options(time_scale=0.01, external={"UE_B": peer.address})
        )
    assert not run.ok and codes(run) == ["RUN108"]
    assert "Timer B" in run.diagnostics[0].message
    sent = [d.time for d in run.datagrams if d.sender == "UE_A"]
    assert len(sent) == 7  # Timer A: 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1
    assert run.duration >= 0.63 * 0.5


def test_cancelling_a_run_closes_everything() -> None:
    flow, (scenario,) = load(BASIC)

    async def cancel_midway() -> None:
        task = asyncio.create_task(execute(flow, scenario, options(time_scale=1.0)))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(cancel_midway())
    assert_free(("127.0.0.11", SIP), ("127.0.0.12", SIP))


# ------------------------------------------------------------------ determinism, report


def test_same_seed_same_bytes(reference: tuple[ir.Flow, list[ir.Scenario]]) -> None:
    flow, scenarios = reference
    steady = options(deterministic=True, time_scale=1.0)  # no timer fires, however busy
    one = run_scenario(flow, scenarios[1], steady)
    two = run_scenario(flow, scenarios[1], steady)
    assert one.pcap_packets() == two.pcap_packets()
    other = run_scenario(flow, scenarios[1], options(seed=2, deterministic=True, time_scale=1.0))
    assert other.pcap_packets() != one.pcap_packets()


def test_report_text_json_and_executed_diagram(clean_runs: list[ScenarioRun]) -> None:
    flow, _ = load(REFERENCE)
    text = format_text("flows/ims-conference.fdl", clean_runs)
    assert 'scenario "Participant joins": passed' in text
    assert "126/126 messages delivered" in text and "MRFC_AS" in text
    data = report_dict("flows/ims-conference.fdl", clean_runs)
    assert data["ok"] is True and len(data["scenarios"]) == 2
    joins = data["scenarios"][0]
    assert joins["delivered"] == 126 and joins["entities"]["MRFP"]["received"] == 5
    executed = executed_scenario(clean_runs[1])
    assert len(executed.messages()) == 54
    assert [m.name for m in executed.messages()] == [
        m.name for m in clean_runs[1].scenario.messages()
    ]
    svg = executed_svg(flow, clean_runs[1])
    ET.fromstring(svg)
    assert "IMS Conference Call (executed)" in svg


PROXIED = """\
eternal: A [role=ue], P [role=proxy], B [role=ue]
feature "f" {
    INVITE(Call-ID=c1, sdp=offer) : A -> P
    100 Trying : P -> A
    INVITE : P -> B
    180 Ringing : B -> P
    180 Ringing : P -> A
    200 OK(sdp=answer) : B -> P
    200 OK : P -> A
    ACK(Call-ID=c1) : A -> P
    ACK : P -> B
    BYE(Call-ID=c1) : A -> P
    BYE : P -> B
    200 OK : B -> P
    200 OK : P -> A
}
"""


@pytest.mark.parametrize(
    ("number", "sender", "resent_by"),
    [
        (1, "A", "A"),  # INVITE: Timer A
        (2, "P", "P"),  # 100 Trying: re-sent on the INVITE's retransmission
        (4, "B", "B"),  # 180 before any provisional reached P: P's INVITE fetches it again
        (6, "B", "B"),  # 200 OK: the UAS retransmits its 2xx until the ACK
        (7, "P", "P"),  # ... which the proxy forwards again
        (8, "A", "A"),  # ACK: re-sent on the 2xx retransmission
        (9, "P", "P"),  # ... and forwarded again
        (12, "B", "B"),  # 200 OK to BYE: re-sent on the BYE's retransmission
    ],
)
def test_each_lost_datagram_is_recovered(number: int, sender: str, resent_by: str) -> None:
    flow, (scenario,) = load_text(PROXIED)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == number - 1 and who == sender and attempt == 0

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok, run.diagnostics
    assert run.diagnostics == [] and run.delivered == run.messages == 13
    assert run.dropped == 1
    again = [d for d in run.datagrams if d.message == number - 1 and d.attempt == 1]
    assert [d.sender for d in again] == [resent_by]


def test_a_provisional_lost_for_good_is_reported_and_the_call_goes_on() -> None:
    flow, (scenario,) = load_text(PROXIED)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == 4  # 180 Ringing P -> A: A had its 100 Trying, so nothing re-sends it

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok
    assert codes(run) == ["RUN111"] and run.diagnostics[0].loc.line == 7
    assert run.unrecovered == 1 and run.delivered == 12


def test_causal_order_gives_up_a_provisional_that_a_later_response_superseded() -> None:
    flow, (scenario,) = load_text(PROXIED)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == 1 and attempt == 0  # the 100 Trying P -> A

    # causal: P forwards the INVITE at once; when A retransmits it (T1 = 500 ms later),
    # P's last response is the 180, which answers the same INVITE: the 100 is gone for good
    run = run_scenario(flow, scenario, options(order="causal", time_scale=1.0, drop=drop))
    assert run.ok, run.diagnostics
    assert codes(run) == ["RUN111"]
    assert "100 Trying (message 2, P -> A) never reached A" in run.diagnostics[0].message
    assert run.unrecovered == 1 and run.delivered == 12


# ------------------------------------------------------------------ reliable provisionals

RELIABLE = """\
eternal: A [role=ue], B [role=ue]
feature "f" {
    INVITE(Call-ID=c1, sdp=offer, Supported=100rel) : A -> B
    100 Trying : B -> A
    183 Session Progress(Require=100rel, RSeq=1, sdp=answer) : B -> A
    PRACK(Call-ID=c1) : A -> B
    200 OK : B -> A
    180 Ringing : B -> A
    200 OK : B -> A
    ACK(Call-ID=c1) : A -> B
}
"""
# message indices (0-based, as drop() sees them): the 183 is 2, the PRACK 3, the 180 5


def test_a_reliable_provisional_dropped_once_is_resent_by_its_uas() -> None:
    # 40 s of flow timer (0.8 s here) after the call: longer than 64*T1 (0.64 s), so a
    # retransmission the PRACK failed to stop would show, and time out (RUN108)
    waiting = "    A starts timer T_wait 40s\n    timeout T_wait : A\n}\n"
    flow, (scenario,) = load_text(RELIABLE.replace("}\n", waiting))

    def drop(i: int, who: str, attempt: int) -> bool:
        # the 100 Trying stopped A's Timer A: only the UAS's RFC 3262 timer brings it back
        return i == 2 and attempt == 0

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok, run.diagnostics
    assert run.diagnostics == [] and run.unrecovered == 0
    assert run.delivered == run.messages == 8
    copies = [(d.sender, d.attempt, d.dropped) for d in run.datagrams if d.message == 2]
    assert copies[:2] == [("B", 0, True), ("B", 1, False)]
    assert sip(run, 3, attempt=1).header("RSeq") == "1"
    in_capture = [p for _, _, _, p in run.pcap_packets() if p.startswith(b"SIP/2.0 183")]
    assert len(in_capture) == len(copies) >= 2
    # the flow at A took it once and sent one PRACK (re-sent by Timer E at most, the same
    # datagram), with the RAck of RFC 3262 §7.2
    pracks = [d for d in run.datagrams if d.message == 3]
    assert pracks[0].attempt == 0 and len({d.payload for d in pracks}) == 1
    assert sip(run, 4).header("RAck") == "1 1 INVITE"
    assert run.entities["A"].received == 5 and run.entities["A"].sent == 3
    # the PRACK stopped the retransmissions: no copy after B answered it
    answered = next(d.time for d in run.datagrams if d.message == 4)
    assert all(d.time <= answered for d in run.datagrams if d.message == 2)
    assert run.duration > 0.64


def test_a_lost_prack_is_resent_by_its_transaction_while_the_uas_resends_the_183() -> None:
    flow, (scenario,) = load_text(RELIABLE)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == 3 and attempt == 0  # the PRACK

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok, run.diagnostics
    assert run.diagnostics == [] and run.delivered == 8
    pracks = [(d.attempt, d.dropped) for d in run.datagrams if d.message == 3]
    assert pracks[:2] == [(0, True), (1, False)]  # Timer E
    # the same PRACK re-sent (same transaction), not a second one from the flow
    assert sip(run, 4, attempt=1).header("Via") == sip(run, 4).header("Via")
    # B went on re-sending the 183 until the PRACK came; A absorbed the copies
    assert any(d.message == 2 and d.attempt > 0 for d in run.datagrams)
    assert run.entities["A"].duplicates >= 1


def test_an_unreliable_provisional_dropped_is_still_lost_for_good() -> None:
    flow, (scenario,) = load_text(RELIABLE)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == 5  # the 180 Ringing, sent without 100rel

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok
    assert codes(run) == ["RUN111"] and run.diagnostics[0].loc.line == 8
    assert run.unrecovered == 1 and run.delivered == 7
    assert [d.attempt for d in run.datagrams if d.message == 5] == [0]


def test_a_reliable_provisional_never_prack_ed_times_out_after_64_t1() -> None:
    flow, (scenario,) = load_text(RELIABLE)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == 2  # every copy of the 183

    run = run_scenario(flow, scenario, options(time_scale=0.01, drop=drop))
    assert not run.ok and codes(run) == ["RUN108"]
    diag = run.diagnostics[0]
    assert diag.loc.line == 5  # the 183
    assert "B got no PRACK for 183 Session Progress (message 3, B -> A)" in diag.message
    assert "sent 7 times" in diag.message
    # T1 doubling without the T2 cap (T2 = 8 T1 would give 11 sends in 64 T1):
    # 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1, then 64 T1 gives up
    sent = [d.time for d in run.datagrams if d.message == 2]
    assert len(sent) == 7 and all(d.dropped for d in run.datagrams if d.message == 2)
    assert sent[-1] - sent[0] >= 0.63 * 0.5
    assert run.duration >= 0.64 * 0.5


TWO_RELIABLE = """\
eternal: A [role=ue], B [role=ue]
feature "f" {
    INVITE(Call-ID=c1, sdp=offer, Supported=100rel) : A -> B
    100 Trying : B -> A
    183 Session Progress(Require=100rel, RSeq=1, sdp=answer) : B -> A
    PRACK(Call-ID=c1) : A -> B
    200 OK : B -> A
    183 Session Progress(Require=100rel, RSeq=2) : B -> A
    PRACK(Call-ID=c1) : A -> B
    200 OK : B -> A
    200 OK : B -> A
    ACK(Call-ID=c1) : A -> B
}
"""


def test_two_reliable_provisionals_with_one_status_differ_by_rseq() -> None:
    # same status and To tag: only the RSeq tells the second 183 from a copy of the first
    flow, (scenario,) = load_text(TWO_RELIABLE)
    run = run_scenario(flow, scenario, options())
    assert run.ok, run.diagnostics
    assert run.diagnostics == [] and run.delivered == 10
    assert [sip(run, n).header("RAck") for n in (4, 7)] == ["1 1 INVITE", "2 1 INVITE"]
    assert run.entities["A"].duplicates == 0


RELIABLE_PROXIED = """\
eternal: A [role=ue], P [role=proxy], B [role=ue]
feature "f" {
    INVITE(Call-ID=c1, sdp=offer, Supported=100rel) : A -> P
    100 Trying : P -> A
    INVITE : P -> B
    100 Trying : B -> P
    183 Session Progress(Require=100rel, RSeq=1, sdp=answer) : B -> P
    183 Session Progress : P -> A
    PRACK(Call-ID=c1) : A -> P
    PRACK : P -> B
    200 OK : B -> P
    200 OK : P -> A
    200 OK : B -> P
    200 OK : P -> A
    ACK(Call-ID=c1) : A -> P
    ACK : P -> B
}
"""


@pytest.mark.parametrize(
    ("index", "sender"),
    [
        (4, "B"),  # 183 B -> P: B re-sends it, P forwards it
        (5, "P"),  # 183 P -> A: B's next copy reaches P, which forwards it again
    ],
)
def test_a_proxy_forwards_each_copy_of_a_reliable_provisional(index: int, sender: str) -> None:
    flow, (scenario,) = load_text(RELIABLE_PROXIED)

    def drop(i: int, who: str, attempt: int) -> bool:
        return i == index and attempt == 0

    run = run_scenario(flow, scenario, options(drop=drop))
    assert run.ok, run.diagnostics
    assert run.diagnostics == [] and run.delivered == run.messages == 14
    assert [d.sender for d in run.datagrams if d.message == index and d.attempt == 1] == [sender]
    assert [d.attempt for d in run.datagrams if d.message == 6] == [0]  # one PRACK from A


RELIABLE_IMS = """\
eternal: UE_A [role=ue, uri="sip:alice@home1.net"], P_CSCF_A [role=proxy],
         S_CSCF_A [role=proxy], MRFC_AS [role=focus]
feature "Conference creation" {
    INVITE(Call-ID=conf_a, Request-URI="sip:conference-factory@home1.net", sdp=offer,
           Supported=100rel) : UE_A -> P_CSCF_A
    100 Trying : P_CSCF_A -> UE_A
    INVITE : P_CSCF_A -> S_CSCF_A
    100 Trying : S_CSCF_A -> P_CSCF_A
    INVITE : S_CSCF_A -> MRFC_AS
    100 Trying : MRFC_AS -> S_CSCF_A
#ifdef WITH_PRACK
    183 Session Progress(Require=100rel, RSeq=1, sdp=answer) : MRFC_AS -> S_CSCF_A
    183 Session Progress : S_CSCF_A -> P_CSCF_A
    183 Session Progress : P_CSCF_A -> UE_A
    PRACK(Call-ID=conf_a) : UE_A -> P_CSCF_A
    PRACK : P_CSCF_A -> S_CSCF_A
    PRACK : S_CSCF_A -> MRFC_AS
    200 OK : MRFC_AS -> S_CSCF_A
    200 OK : S_CSCF_A -> P_CSCF_A
    200 OK : P_CSCF_A -> UE_A
    180 Ringing(Require=100rel, RSeq=2) : MRFC_AS -> S_CSCF_A
    180 Ringing : S_CSCF_A -> P_CSCF_A
    180 Ringing : P_CSCF_A -> UE_A
    PRACK(Call-ID=conf_a) : UE_A -> P_CSCF_A
    PRACK : P_CSCF_A -> S_CSCF_A
    PRACK : S_CSCF_A -> MRFC_AS
    200 OK : MRFC_AS -> S_CSCF_A
    200 OK : S_CSCF_A -> P_CSCF_A
    200 OK : P_CSCF_A -> UE_A
    200 OK(Contact="<sip:conf1@home1.net>;isfocus") : MRFC_AS -> S_CSCF_A
#else
    180 Ringing : MRFC_AS -> S_CSCF_A
    180 Ringing : S_CSCF_A -> P_CSCF_A
    180 Ringing : P_CSCF_A -> UE_A
    200 OK(Contact="<sip:conf1@home1.net>;isfocus", sdp=answer) : MRFC_AS -> S_CSCF_A
#endif
    200 OK : S_CSCF_A -> P_CSCF_A
    200 OK : P_CSCF_A -> UE_A
    ACK(Call-ID=conf_a) : UE_A -> P_CSCF_A
    ACK : P_CSCF_A -> S_CSCF_A
    ACK : S_CSCF_A -> MRFC_AS
    BYE(Call-ID=conf_a) : UE_A -> P_CSCF_A
    BYE : P_CSCF_A -> S_CSCF_A
    BYE : S_CSCF_A -> MRFC_AS
    200 OK : MRFC_AS -> S_CSCF_A
    200 OK : S_CSCF_A -> P_CSCF_A
    200 OK : P_CSCF_A -> UE_A
}
"""


def test_reliable_provisionals_through_ims_proxies_survive_loss() -> None:
    # the reference flow's conference creation, its provisionals sent reliably under
    # WITH_PRACK: at 20 % loss no provisional is lost for good
    result = parse_text(RELIABLE_IMS, "test.fdl", defines={"WITH_PRACK": ""})
    assert result.ok, result.diagnostics
    flow = result.flow
    (scenario,) = expand_scenarios(flow).scenarios
    provisionals = {
        i for i, m in enumerate(scenario.messages()) if m.code is not None and 100 < m.code < 200
    }
    lost_provisionals = 0
    for seed in (4, 11, 18):  # each drops provisionals (2 to 4 datagrams)
        run = run_scenario(flow, scenario, options(seed=seed, loss=0.2, time_scale=0.05))
        assert run.ok, (seed, run.diagnostics)
        assert "RUN111" not in codes(run) and run.unrecovered == 0
        assert run.delivered == run.messages == 36
        dropped = [d for d in run.datagrams if d.dropped and d.message in provisionals]
        lost_provisionals += len(dropped)
    assert lost_provisionals > 0
