"""PlantUML and Mermaid exports: structure, numbering, escaping, and (when installed) a
real PlantUML syntax check and render.

Mermaid has no offline validator here, so its output is checked structurally: the
properties below are the ones its sequence-diagram grammar depends on (``#`` and ``;``
end a text, keywords cannot be participant ids, ``autonumber`` counts arrows).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from callflow import ir
from callflow.export.mermaid import to_mermaid
from callflow.export.plantuml import to_plantuml
from callflow.fdl import parse_file, parse_text
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]

needs_plantuml = pytest.mark.skipif(
    shutil.which("plantuml") is None,
    reason="PlantUML is not installed (Debian: apt install plantuml); syntax not validated",
)

SMALL = (
    'title "Small"\n'
    'system: S "Sys"\n'
    'eternal: A "Alice" in S [role=ue], P "Proxy" in S [role=proxy], B "Bob" [role=ue]\n'
    'dynamic: D "Worker"\n'
    'feature "Basic call" {\n'
    "  INVITE(Call-ID=c1, sdp=offer) : A -> P\n"  # 1
    "  100 Trying : P -> A\n"  # 2
    "  INVITE(sdp=offer) : P -> B\n"  # 3
    "  A starts timer T_answer 30s\n"
    "  180 Ringing : B -x P\n"  # 4 (lost response)
    '  heading "Answered"\n'
    "  200 OK(sdp=answer) : B -> P (* relayed *)\n"  # 5
    "  200 OK : P -> A\n"  # 6
    "  A stops timer T_answer\n"
    "  ACK(Call-ID=c1) : A -> B\n"  # 7
    "  media A <-> B [codec=PCMU]\n"
    '  remark "talking"\n'
    "  Ping : A -> A\n"  # 8 (self)
    "  P creates D\n"
    '  sequence "Fan out" {\n'
    "    Alert : P -> A, B, D\n"  # 9 (multicast)
    "  }\n"
    "  P deletes D\n"
    "  media stop A <-> B\n"
    "  Bye : A -> B\n"  # 10
    "}\n"
)

REFERENCE = ROOT / "flows" / "ims-conference.fdl"


def parse(text: str) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_text(text, "flow.fdl")
    assert result.ok, result.diagnostics
    assert result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(REFERENCE)
    assert result.ok and result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


# ------------------------------------------------------------------------------ PlantUML

_PUML_ARROW = re.compile(r"^\s*(\w+) (--?>x?|<-\[[^\]]*\]->) (\w+) : (.*)$")


def numbered_arrows(text: str) -> list[tuple[int, str, str, str, str]]:
    """(number, sender, arrow, receiver, text) of every arrow PlantUML numbers."""
    number, running, out = 0, False, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("autonumber", "autonumber resume"):
            running = True
        elif stripped == "autonumber stop":
            running = False
        elif (m := _PUML_ARROW.match(line)) and running:
            number += 1
            out.append((number, *m.groups()))
    return out


def test_plantuml_participants_boxes_and_frame(reference) -> None:
    flow, scenarios = reference
    text = to_plantuml(flow, scenarios[0])
    lines = text.splitlines()
    assert lines[0] == "@startuml" and lines[-1] == "@enduml"
    assert lines[1] == "title IMS Conference Call: Participant joins"
    participants = re.findall(r'^\s*participant "([^"]*)" as (\w+)$', text, re.M)
    assert participants == [(e.label, e.name) for e in flow.architecture.entities]
    assert re.findall(r'^box "([^"]*)"', text, re.M) == ["Calling UE", "IMS Network", "Called UE"]
    assert text.count("end box") == 3
    assert "== Conference creation ==" in lines
    assert "== Conference in progress ==" in lines


def test_plantuml_numbering_matches_the_flow(reference) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        arrows = numbered_arrows(to_plantuml(flow, scenario))
        messages = scenario.messages()
        assert len(arrows) == len(messages)
        for number, sender, arrow, receiver, text in arrows:
            message = messages[number - 1]
            assert text.startswith(message.name)
            assert (sender, receiver) == (message.sender.text, message.receiver.text)
            assert arrow == ("-->" if message.is_response else "->")


def test_plantuml_arrow_kinds_and_notes() -> None:
    flow, (scenario,) = parse(SMALL)
    text = to_plantuml(flow, scenario)
    arrows = numbered_arrows(text)
    assert [(n, s, a, r) for n, s, a, r, _ in arrows] == [
        (1, "A", "->", "P"),
        (2, "P", "-->", "A"),
        (3, "P", "->", "B"),
        (4, "B", "-->x", "P"),
        (5, "B", "-->", "P"),
        (6, "P", "-->", "A"),
        (7, "A", "->", "B"),
        (8, "A", "->", "A"),
        (9, "P", "->", "A"),  # the multicast's first arrow carries its number
        (10, "A", "->", "B"),
    ]
    assert arrows[0][4] == "INVITE(Call-ID=c1, sdp=offer)"
    assert "P -> B : Alert" in text and "P -> D : Alert" in text  # unnumbered copies
    assert "autonumber stop\nA <-[#2E7D32,bold]-> B : RTP media\\n(codec=PCMU)" in text
    assert "note over A : starts timer T_answer (30s)" in text
    assert "== Answered ==" in text
    assert "note right of D : relayed" in text
    assert "note right of D : talking" in text
    assert "create D\nautonumber stop\nP -> D : «create»\nautonumber resume" in text
    assert "destroy D" in text
    assert re.search(r"^group Fan out\n(  .*\n)+end$", text, re.M)


def test_plantuml_without_numbering_or_remarks() -> None:
    flow, (scenario,) = parse("option numbering = off\noption remarks = off\n" + SMALL)
    text = to_plantuml(flow, scenario)
    assert "autonumber" not in text
    assert "relayed" not in text and "talking" not in text
    assert "autonumber" in to_plantuml(flow, scenario, numbering=True)


def test_plantuml_wraps_long_parameter_lists() -> None:
    flow, (scenario,) = parse(
        "eternal: A, B\n"
        'feature "F" {\n'
        '  INVITE(Call-ID=abcdef, Request-URI="sip:conference-factory@home1.net", sdp=offer)'
        " : A -> B\n}\n"
    )
    text = to_plantuml(flow, scenario, wrap=40)
    assert (
        'A -> B : INVITE\\n(Call-ID=abcdef,\\nRequest-URI="sip:conference-factory@home1.net",'
        "\\nsdp=offer)"
    ) in text


TRICKY = (
    'title "T <script>alert(1)</script> & \\"q\\" %date()"\n'
    'system: S1 "Sys \\"one\\" <b>x</b> ; # : --> %date()"\n'
    'eternal: A "Alice \\"A\\" <&icon> & ]]>\\nsecond" in S1, end "End ; # : --> \\\\n",\n'
    '         note "Note [[link]] **b** //i// ~x $x", Blank ""\n'
    'feature "F <b>1</b> == x == ; # :" {\n'
    '  MSG(p1, "a \\"b\\" <c> & d ; # : --> %% wrap: //e//") : A -> end (* r ; # "q" *)\n'
    "  200 OK : end -> A\n"
    '  A takes action "act <b> ; # \\"q\\" %date()"\n'
    '  heading "Head ; # : --> %% == x =="\n'
    '  remark "wrap: lifestyle:\\"q\\" a: b"\n'
    '  sequence "Seq <b> ; #" {\n'
    "    IN : A -> note\n"
    "  }\n"
    "}\n"
)


def test_plantuml_escapes_user_text() -> None:
    flow, (scenario,) = parse(TRICKY)
    text = to_plantuml(flow, scenario)
    for line in text.splitlines():
        quoted = re.match(r'^\s*(?:participant|box) "(.*)"( as \w+|\s#\w+)$', line)
        if quoted:
            assert '"' not in quoted.group(1)
    assert "%" not in text  # the preprocessor never sees a builtin call
    assert "<b>" not in text and "<&" not in text and "<script" not in text
    assert "//" not in text and "**" not in text and "~x" not in text
    assert 'participant "End ; <U+0023> : <U+002D><U+002D><U+003E> <U+005C>n" as end_' in text
    assert "A -> end_ : MSG" in text  # a keyword id gets an underscore
    assert 'participant "Blank" as Blank' in text  # an empty label falls back to the name


@needs_plantuml
@pytest.mark.parametrize("which", ["reference", "small", "tricky"])
def test_plantuml_accepts_the_syntax(which: str, reference) -> None:
    if which == "reference":
        flow, scenarios = reference
    else:
        flow, scenarios = parse(SMALL if which == "small" else TRICKY)
    for scenario in scenarios:
        proc = subprocess.run(
            ["plantuml", "-syntax"],
            input=to_plantuml(flow, scenario),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.splitlines()[0] == "SEQUENCE", proc.stdout


@needs_plantuml
def test_plantuml_renders_user_text_literally(tmp_path: Path) -> None:
    import html
    import xml.etree.ElementTree as ET

    flow, (scenario,) = parse(TRICKY)
    source = tmp_path / "tricky.puml"
    source.write_text(to_plantuml(flow, scenario), encoding="utf-8")
    proc = subprocess.run(
        ["plantuml", "-tsvg", "-charset", "UTF-8", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = ET.fromstring((tmp_path / "tricky.svg").read_text(encoding="utf-8"))
    texts = [html.unescape(e.text or "") for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'T <script>alert(1)</script> & "q" %date(): main' in texts
    assert 'Sys "one" <b>x</b> ; # : --> %date()' in texts
    assert 'Alice "A" <&icon> & ]]>' in texts and "second" in texts
    assert "End ; # : --> \\n" in texts
    assert "Note [[link]] **b** //i// ~x $x" in texts
    assert "F <b>1</b> == x == ; # :" in texts
    assert '"a "b" <c> & d ; # : --> %% wrap: //e//")' in texts
    assert 'act <b> ; # "q" %date()' in texts
    assert "Head ; # : --> %% == x ==" in texts
    assert "Seq <b> ; #" in texts


# ------------------------------------------------------------------------------ Mermaid

_MMD_ARROW = re.compile(r"^\s*(\w+)(-->>|->>|--x|-x)(\w+): (.*)$")
_MMD_ENTITY = re.compile(r"#(?:\d+|[a-z]+);")


def test_mermaid_participants_boxes_and_autonumber(reference) -> None:
    flow, scenarios = reference
    text = to_mermaid(flow, scenarios[0])
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    assert lines[1].strip() == "title IMS Conference Call: Participant joins"
    assert lines[2].strip() == "autonumber"
    participants = re.findall(r"^\s*participant (\w+) as (.*)$", text, re.M)
    assert participants == [(e.name, e.label) for e in flow.architecture.entities]
    boxes = re.findall(r"^\s*box rgba\(128, 128, 128, 0\.1\) (.*)$", text, re.M)
    assert boxes == ["Calling UE", "IMS Network", "Called UE"]
    opened = sum(1 for ln in lines if re.match(r"\s*(box|rect) ", ln))
    assert opened == sum(1 for ln in lines if ln.strip() == "end")
    assert "    Note over UE_A,UE_B: Conference creation" in lines


def test_mermaid_one_arrow_per_message_in_order(reference) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        arrows = [
            m.groups()
            for ln in to_mermaid(flow, scenario).splitlines()
            if (m := _MMD_ARROW.match(ln))
        ]
        messages = scenario.messages()
        assert len(arrows) == len(messages)
        for (sender, arrow, receiver, _), message in zip(arrows, messages, strict=True):
            assert (sender, receiver) == (message.sender.text, message.receiver.text)
            assert arrow == ("-->>" if message.is_response else "->>")


def test_mermaid_arrow_kinds_notes_and_explicit_numbers_for_multicast() -> None:
    flow, (scenario,) = parse(SMALL)
    text = to_mermaid(flow, scenario)
    assert "autonumber" not in text  # a multicast is one number on several arrows
    arrows = [m.groups() for ln in text.splitlines() if (m := _MMD_ARROW.match(ln))]
    assert [(s, a, r, t.split(".")[0]) for s, a, r, t in arrows] == [
        ("A", "->>", "P", "1"),
        ("P", "-->>", "A", "2"),
        ("P", "->>", "B", "3"),
        ("B", "--x", "P", "4"),
        ("B", "-->>", "P", "5"),
        ("P", "-->>", "A", "6"),
        ("A", "->>", "B", "7"),
        ("A", "->>", "A", "8"),
        ("P", "->>", "A", "9"),
        ("P", "->>", "B", "9"),
        ("P", "->>", "D", "9"),
        ("A", "->>", "B", "10"),
    ]
    assert arrows[0][3] == "1. INVITE(Call-ID=c1, sdp=offer)"
    assert "Note over A: starts timer T_answer (30s)" in text
    assert "Note over A,D: Answered" in text
    assert "Note right of D: relayed" in text
    assert "Note over A,B: RTP media Alice ⇄ Bob<br/>(codec=PCMU)" in text
    assert "Note over P,D: «create» Proxy creates Worker" in text
    assert re.search(r"rect rgba\(128, 128, 128, 0\.08\)\n\s+Note over A,D: Fan out\n", text)


def test_mermaid_autonumber_without_multicast() -> None:
    flow, (scenario,) = parse('eternal: A, B\nfeature "F" {\n  X : A -> B\n  Y : B -> A\n}\n')
    text = to_mermaid(flow, scenario)
    assert "    autonumber" in text.splitlines()
    assert "A->>B: X" in text
    assert "autonumber" not in to_mermaid(flow, scenario, numbering=False)


def test_mermaid_escapes_user_text_and_keyword_ids() -> None:
    flow, (scenario,) = parse(TRICKY)
    text = to_mermaid(flow, scenario)
    for line in text.splitlines()[1:]:
        plain = _MMD_ENTITY.sub("", line).replace("<br/>", "")
        plain = re.sub(r"^(\s*\w+)(-->>|->>)(\w+:)", r"\1\3", plain)
        assert "#" not in plain and ";" not in plain, line  # comment / statement ends
        assert "<" not in plain and ">" not in plain, line
        assert '"' not in plain and "%" not in plain, line
    ids = re.findall(r"^\s*participant (\w+) as", text, re.M)
    assert ids == ["A", "end_", "note_", "Blank"]
    assert "participant Blank as Blank" in text  # an empty label falls back to the name
    # a leading "wrap:" is not a directive; ':' before '#' never meets Mermaid's style pass
    assert "Note right of Blank: wrap#58; lifestyle#58;#quot;q#quot; a: b" in text
    assert "A->>end_: MSG<br/>(p1,<br/>#quot;a #quot;b#quot; #lt;c#gt; #amp; d #59; #35; " in text
    assert "participant A as Alice #quot;A#quot; #lt;#amp;icon#gt; #amp; ]]#gt;<br/>second" in text


def test_exports_are_deterministic(reference) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        assert to_plantuml(flow, scenario) == to_plantuml(flow, scenario)
        assert to_mermaid(flow, scenario) == to_mermaid(flow, scenario)
    again = parse_file(REFERENCE).flow
    assert again is not None
    other = expand_scenarios(again).scenarios
    assert to_plantuml(flow, scenarios[1]) == to_plantuml(again, other[1])
    assert to_mermaid(flow, scenarios[1]) == to_mermaid(again, other[1])
