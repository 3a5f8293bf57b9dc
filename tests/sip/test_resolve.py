"""Call resolution and forwarding links (fdl.md §4, sip-rules.md §1.4-1.5)."""

from __future__ import annotations

from callflow import ir
from callflow.fdl import parse_text
from callflow.scenarios import expand_scenarios

CAST = (
    "eternal: A [role=ue], P [role=proxy], P2 [role=proxy], B [role=ue], C [role=ue], "
    "F [role=focus], MG [role=mg]\n"
)


def resolve(statements: str) -> list[tuple[ir.Message, ir.ResolvedMessage]]:
    body = "\n".join("  " + line.strip() for line in statements.strip().splitlines())
    result = parse_text(CAST + 'feature "F" {\n' + body + "\n}\n", "flow.fdl")
    assert result.ok and result.flow is not None, result.diagnostics
    (scenario,) = expand_scenarios(result.flow).scenarios
    return list(zip(scenario.messages(), scenario.resolved, strict=True))


def calls(statements: str) -> list[str | None]:
    return [r.call for _, r in resolve(statements)]


def test_responses_take_the_call_of_their_request() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c1, sdp=offer) : A -> B
        OPTIONS(Call-ID=c2) : A -> B
        200 OK : B -> A
        180 Ringing(for=INVITE) : B -> A
        """
    )
    assert [r.call for _, r in resolved] == ["c1", "c2", "c2", "c1"]
    assert [r.answers for _, r in resolved] == [None, None, 2, 1]


def test_forwarded_request_inherits_call_headers_sdp_and_body() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c1, Request-URI="sip:b@x", Subject=hello, sdp=offer, body="v=0") : A -> P
        INVITE(Subject=changed) : P -> B
        """
    )
    (_, first), (_, forwarded) = resolved
    assert forwarded.call == "c1" and forwarded.inherits_from == 1
    assert forwarded.header("Request-URI") == "sip:b@x"
    assert forwarded.header("subject") == "changed"  # written wins, case-insensitive names
    assert (forwarded.sdp, forwarded.body) == ("offer", "v=0")
    assert first.inherits_from is None


def test_relayed_response_inherits_what_it_relays_and_local_one_does_not() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c1, sdp=offer) : A -> P
        100 Trying : P -> A
        INVITE : P -> B
        200 OK(Contact="<sip:b@x>", sdp=answer) : B -> P
        200 OK : P -> A
        """
    )
    trying, relayed = resolved[1][1], resolved[4][1]
    assert trying.inherits_from is None and trying.call == "c1"
    assert relayed.inherits_from == 4
    assert relayed.header("Contact") == "<sip:b@x>" and relayed.sdp == "answer"
    assert relayed.answers == 1


def test_serial_fork_second_branch_inherits_too() -> None:
    assert calls(
        """
        INVITE(Call-ID=c1) : A -> P
        INVITE : P -> B
        486 Busy Here : B -> P
        ACK : P -> B
        INVITE : P -> C
        200 OK : C -> P
        200 OK : P -> A
        """
    ) == ["c1", "c1", "c1", "c1", "c1", "c1", "c1"]


def test_proxy_cancel_and_hop_by_hop_ack_take_the_call_of_their_invite() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c9) : A -> P
        INVITE : P -> B
        CANCEL : P -> B
        200 OK : B -> P
        487 Request Terminated : B -> P
        ACK : P -> B
        """
    )
    assert [r.call for _, r in resolved] == ["c9"] * 6
    assert resolved[3][1].answers == 3  # the 200 answers the CANCEL (newest open, same hop)


def test_end_to_end_ack_is_forwarded_once() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c1) : A -> P
        INVITE : P -> B
        200 OK : B -> P
        200 OK : P -> A
        ACK(Call-ID=c1) : A -> P
        ACK : P -> B
        """
    )
    assert resolved[5][1].inherits_from == 5 and resolved[5][1].call == "c1"


def test_request_without_call_id_that_forwards_nothing_belongs_to_main() -> None:
    assert calls(
        """
        OPTIONS : A -> B
        200 OK : B -> A
        """
    ) == ["main", "main"]


def test_focus_never_forwards_and_non_sip_has_no_call() -> None:
    resolved = resolve(
        """
        INVITE(Call-ID=c1, sdp=offer) : A -> F
        Add(protocol=h248) : F -> MG
        INVITE(sdp=offer) : F -> B
        """
    )
    assert [r.call for _, r in resolved] == ["c1", None, "main"]
    assert resolved[2][1].inherits_from is None


def test_response_to_nothing_is_unmatched() -> None:
    (pair,) = resolve("200 OK : B -> A")
    assert pair[1].answers is None and pair[1].call == "main"


def test_reference_flow_every_sip_message_resolves_to_a_named_call() -> None:
    from pathlib import Path

    from callflow.fdl import parse_file

    result = parse_file(Path(__file__).resolve().parents[2] / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    for scenario in expand_scenarios(result.flow).scenarios:
        for message, resolved in zip(scenario.messages(), scenario.resolved, strict=True):
            if message.is_sip:
                assert resolved.call not in (None, "main"), (scenario.name, resolved)
                if message.is_response:
                    assert resolved.answers is not None, (scenario.name, resolved)
            else:
                assert resolved.call is None
