"""Mutation test: seed realistic defects into the reference flow; each must be caught.

Every mutation is an edit a person could make by mistake while writing or maintaining
the IMS conference flow. The test asserts that the checker reports the expected rule for
each, in at least one scenario, and that the unmutated flow is clean. The detection
rate over all mutations is printed by ``test_detection_rate`` (run with ``-s``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from callflow.check import check_flow
from callflow.diagnostics import Diagnostic
from callflow.fdl import parse_text
from callflow.scenarios import expand_scenarios

REFERENCE = (Path(__file__).resolve().parents[1] / "flows" / "ims-conference.fdl").read_text(
    encoding="utf-8"
)


def _line_index(lines: list[str], pattern: str, nth: int = 0) -> int:
    """Index of the nth line that matches a regex (fails loudly if the flow changed)."""
    hits = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert len(hits) > nth, f"no line #{nth} matching {pattern!r}: the reference flow changed"
    return hits[nth]


def delete(pattern: str, nth: int = 0) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        del lines[_line_index(lines, pattern, nth)]
        return "\n".join(lines)

    return edit


def duplicate(pattern: str, nth: int = 0) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        i = _line_index(lines, pattern, nth)
        lines.insert(i, lines[i])
        return "\n".join(lines)

    return edit


def replace(pattern: str, old: str, new: str, nth: int = 0) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        i = _line_index(lines, pattern, nth)
        assert old in lines[i], (old, lines[i])
        lines[i] = lines[i].replace(old, new, 1)
        return "\n".join(lines)

    return edit


def insert_after(pattern: str, new_lines: list[str], nth: int = 0) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        i = _line_index(lines, pattern, nth)
        indent = re.match(r"\s*", lines[i]).group()  # type: ignore[union-attr]
        lines[i + 1 : i + 1] = [indent + n for n in new_lines]
        return "\n".join(lines)

    return edit


def delete_block(first: str, last: str) -> Callable[[str], str]:
    """Delete from the line matching ``first`` to the next line matching ``last``."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        start = _line_index(lines, first)
        end = next(i for i in range(start, len(lines)) if re.search(last, lines[i]))
        del lines[start : end + 1]
        return "\n".join(lines)

    return edit


def move_before(pattern: str, anchor: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\n")
        line = lines.pop(_line_index(lines, pattern))
        lines.insert(_line_index(lines, anchor), line)
        return "\n".join(lines)

    return edit


@dataclass(frozen=True)
class Mutation:
    name: str
    edit: Callable[[str], str]
    expected: str  # the rule code that must report it


MUTATIONS = [
    Mutation(
        "delete the last hop of the initiator's ACK (it ends at a proxy)",
        delete(r"^\s*ACK : S_CSCF_A -> MRFC_AS"),
        "SIP201",
    ),
    Mutation(
        "duplicate the focus's 200 OK to the INVITE",
        duplicate(r'200 OK\(Contact="<sip:conf1@home1.net>;isfocus", sdp=answer\) : MRFC_AS'),
        "SIP102",
    ),
    Mutation(
        "drop the S-CSCF's relay of the 200 OK",
        delete(r"^\s*200 OK\(sdp=answer\) : S_CSCF_A -> P_CSCF_A"),
        "SIP703",
    ),
    Mutation(
        "the focus answers the BYE before it arrives",
        move_before(r"^\s*200 OK : MRFC_AS -> S_CSCF_A", r"^\s*BYE : S_CSCF_A -> MRFC_AS"),
        "SIP102",
    ),
    Mutation(
        "a NOTIFY after the initiator's subscription terminated",
        insert_after(
            r"^\s*200 OK : S_CSCF_A -> MRFC_AS",
            [
                'NOTIFY(Call-ID=sub_a, Event=conference, Subscription-State="active")'
                " : MRFC_AS -> S_CSCF_A",
                "NOTIFY : S_CSCF_A -> P_CSCF_A",
                "NOTIFY : P_CSCF_A -> UE_A",
                "200 OK : UE_A -> P_CSCF_A",
                "200 OK : P_CSCF_A -> S_CSCF_A",
                "200 OK : S_CSCF_A -> MRFC_AS",
            ],
            nth=2,
        ),
        "SIP503",
    ),
    Mutation(
        "an in-dialog NOTIFY routed via the I-CSCF that did not record-route",
        replace(
            r"^\s*NOTIFY : S_CSCF_B -> S_CSCF_A", "S_CSCF_B -> S_CSCF_A", "S_CSCF_B -> I_CSCF_B"
        ),
        "SIP704",
    ),
    Mutation(
        "remove isfocus from the focus's Contact",
        replace(r"200 OK\(Contact=.*sdp=answer\) : MRFC_AS -> S_CSCF_A", ";isfocus", ""),
        "SIP604",
    ),
    Mutation(
        "an offer in the 200 OK when the INVITE had one",
        replace(r"200 OK\(Contact=.*sdp=answer\) : MRFC_AS -> S_CSCF_A", "sdp=answer", "sdp=offer"),
        "SIP404",
    ),
    Mutation(
        "SUBSCRIBE without Event",
        replace(r"SUBSCRIBE\(Call-ID=sub_a", " Event=conference,", ""),
        "SIP501",
    ),
    Mutation(
        "REFER without Refer-To",
        replace(r"Refer-To=", 'Refer-To="<sip:conf1@home1.net>"', 'Subject="join us"'),
        "SIP601",
    ),
    Mutation(
        "a request in the invite usage after the BYE",
        insert_after(
            r"^\s*200 OK : P_CSCF_A -> UE_A",
            ["INFO(Call-ID=conf_a) : UE_A -> P_CSCF_A"],
            nth=1,
        ),
        "SIP804",
    ),
    Mutation(
        "the ACK before the 200 OK reached the caller",
        move_before(
            r"^\s*ACK\(Call-ID=conf_a\) : UE_A -> P_CSCF_A",
            r"^\s*200 OK\(sdp=answer\) : P_CSCF_A -> UE_A",
        ),
        "SIP203",
    ),
    Mutation(
        "a response with no request",
        insert_after(r"^\s*media UE_A <-> MRFP", ["200 OK : UE_B -> P_CSCF_B"]),
        "SIP101",
    ),
    Mutation(
        "the focus never tells the last participant that the conference ended",
        delete_block(
            r'NOTIFY\(Call-ID=sub_b, Event=conference, Subscription-State="terminated',
            r"^\s*200 OK : S_CSCF_B -> MRFC_AS",
        ),
        "SIP505",
    ),
    Mutation(
        "the participant calls the conference-factory URI instead of the conference URI",
        replace(
            r"INVITE\(Call-ID=conf_b", "sip:conf1@home1.net", "sip:conference-factory@home1.net"
        ),
        "SIP605",
    ),
    Mutation(
        "a provisional after the final response",
        insert_after(
            r'200 OK\(Contact="<sip:conf1@home1.net>;isfocus", sdp=answer\) : MRFC_AS -> S_CSCF_A',
            ["180 Ringing : MRFC_AS -> S_CSCF_A"],
        ),
        "SIP103",
    ),
    Mutation(
        "the P-CSCF never relays the final 200 OK of the refer NOTIFY",
        delete(r"^\s*200 OK : P_CSCF_B -> UE_B", nth=1),
        "SIP703",
    ),
    Mutation(
        "a misspelt method",
        replace(r"^\s*BYE\(Call-ID=conf_a\)", "BYE(", "BYEE("),
        "FLOW007",
    ),
    Mutation(
        "the conference URI is never freed",
        delete(r'MRFC_AS frees resource "conference URI"'),
        "FLOW003",
    ),
    Mutation(
        "the mixing action never ends",
        delete(r'MRFP ends action "mixing"'),
        "FLOW004",
    ),
    Mutation(
        "the initiator's NOTIFY carries no Subscription-State",
        replace(r"NOTIFY\(Call-ID=sub_a", ' Subscription-State="active;expires=3600",', ""),
        "SIP501",
    ),
]


def findings_of(text: str) -> list[Diagnostic]:
    result = parse_text(text, "mutated.fdl")
    assert result.ok and result.flow is not None, result.diagnostics[:3]
    return check_flow(result.flow, expand_scenarios(result.flow).scenarios)


def test_reference_flow_has_no_findings() -> None:
    assert findings_of(REFERENCE) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_is_caught_with_the_right_code(mutation: Mutation) -> None:
    mutated = mutation.edit(REFERENCE)
    assert mutated != REFERENCE
    codes = sorted({d.code for d in findings_of(mutated)})
    assert mutation.expected in codes, f"{mutation.name}: got {codes}"


def test_detection_rate() -> None:
    caught = sum(
        1 for m in MUTATIONS if m.expected in {d.code for d in findings_of(m.edit(REFERENCE))}
    )
    print(
        f"\nmutation detection: {caught}/{len(MUTATIONS)} ({100 * caught / len(MUTATIONS):.0f} %)"
    )
    assert len(MUTATIONS) >= 15
    assert caught == len(MUTATIONS)
