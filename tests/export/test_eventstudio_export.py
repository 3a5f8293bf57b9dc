"""PlantUML and Mermaid exports of EventStudio's constructs: each maps to the closest
thing the format knows, nothing crashes, and user text stays escaped."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from callflow import ir
from callflow.export.mermaid import to_mermaid
from callflow.export.plantuml import to_plantuml
from callflow.fdl import parse_text
from callflow.scenarios import expand_scenarios

ES = (
    'style _err: color=RED, linepattern="- -"\n'
    "module: Peru\n"
    'eternal: A in Peru, separator, B in Peru, "Los <&\\"Angeles"\n'
    "dynamic: D | E\n"
    'feature "f" {\n'
    '    preconditions {\n        A state = "Idle"\n    }\n'
    "    |= What this feature shows =|\n"
    "    Data : A => B\n"  # 1
    "    Sync : A <-> B\n"  # 2
    "    Both : A <=> B\n"  # 3
    "    Reply : A <- B\n"  # 4
    "    [_err] Lost : A ->X B\n"  # 5
    '    Hello : A-"5060" -> B-N4\n'  # 6
    '    "Setup" + "- part one" : A -> B\n'  # 7
    '    A multicasts "News" to B, "Los <&\\"Angeles"\n'  # 8
    "    Ext : env_l -> A\n"  # 9
    "    Out : B -> env_r\n"  # 10
    "    In : B <- env_r\n"  # 11
    "    Back : A -> env_l\n"  # 12
    "    A invokes B.Book(seat)\n"  # 13
    "    B.Book returns (ticket)\n"  # 14
    "    create D\n"
    "    A creates E(driver = Ann)\n"
    "    delete D\n"
    '    A, B action "Joint"\n'
    '    Peru action "Module-wide"\n'
    "    A starts periodic Beat\n"
    "    ...\n"
    "    A stops Beat\n"
    '    loop "Retry" {\n        Again : A -> B\n    }\n'  # 15
    '    chain {\n        S1 : A -> B\n        S2 : B -> "Los <&\\"Angeles"\n    }\n'  # 16, 17
    "    |* the chain *|\n"
    "    Open : A -> B <javascript:alert(1)>\n"  # 18
    "}\n"
)


@pytest.fixture(scope="module")
def es() -> tuple[ir.Flow, ir.Scenario]:
    result = parse_text(ES, "es.fdl")
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    assert result.flow is not None
    (scenario,) = expand_scenarios(result.flow).scenarios
    return result.flow, scenario


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


# ------------------------------------------------------------------------------ PlantUML


def test_plantuml_arrows(es) -> None:
    text = lines(to_plantuml(*es))
    assert "A -[bold]> B : Data" in text
    assert "A <-> B : Sync" in text
    assert "A <-[bold]> B : Both" in text
    assert "B -> A : Reply" in text
    assert "A -[#red,dashed]>x B : Lost" in text
    assert "A -> B : Hello\\n<U+005B>5060<U+005D> -<U+003E> <U+005B>N4<U+005D>" in text
    assert "A -> B : Setup\\n- part one" in text
    assert "A -> B : Book(seat)" in text and "B --> A : Book(ticket)" in text


def test_plantuml_environment_edges(es) -> None:
    text = to_plantuml(*es)
    assert "[-> A : Ext" in lines(text)
    assert "B ->] : Out" in lines(text)
    assert "B <-] : In" in lines(text)
    assert "[<- A : Back" in lines(text)
    assert "participant" not in "".join(ln for ln in text.splitlines() if "env_" in ln)


def test_plantuml_groups_notes_and_objects(es) -> None:
    text = to_plantuml(*es)
    assert re.search(r"^group Preconditions\n  rnote over A : state: Idle\nend$", text, re.M)
    assert "note across : What this feature shows" in text
    assert "hnote over A, B : Joint" in text
    assert "hnote over A, B : Module-wide" in text  # Peru's entities, no Peru participant
    assert "note over A : starts periodic timer Beat\n...\nnote over A : stops timer Beat" in text
    assert re.search(r"^loop Retry\n  A -> B : Again\nend$", text, re.M)
    assert re.search(r"^group Chain\n.*the chain\n  A -> B : S1\n  B -> \w+ : S2\nend$", text, re.M)
    assert "create D\ncreate E\n" in text  # `create D` has no creator: no arrow
    assert "A -> E : «create»(driver=Ann)" in text
    assert "destroy D" in text and "«delete»" not in text
    assert "A -> B : Open" in text and "javascript" not in text  # links are not exported


def test_plantuml_quoted_names_get_safe_aliases(es) -> None:
    text = to_plantuml(*es)
    (line,) = [ln for ln in text.splitlines() if ln.startswith('participant "Los')]
    alias = line.rsplit(" as ", 1)[1]
    assert re.fullmatch(r"\w+", alias)
    assert line == f'participant "Los <U+003C><U+0026><U+0022>Angeles" as {alias}'
    assert f"A -> {alias} : News" in text


def test_plantuml_numbering_counts_every_message(es) -> None:
    text = to_plantuml(*es)
    numbered = 0
    running = False
    for line in lines(text):
        if line in ("autonumber", "autonumber resume"):
            running = True
        elif line == "autonumber stop":
            running = False
        elif running and " : " in line and not re.match(r"(h|r)?note |participant |title ", line):
            head = line.split(" : ")[0]
            numbered += "-" in head and (">" in head or "<" in head)
    assert numbered == len(es[1].messages())


@pytest.mark.skipif(shutil.which("plantuml") is None, reason="PlantUML is not installed")
def test_plantuml_accepts_the_eventstudio_syntax(es) -> None:
    proc = subprocess.run(
        ["plantuml", "-syntax"],
        input=to_plantuml(*es),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.splitlines()[0] == "SEQUENCE", proc.stdout


# ------------------------------------------------------------------------------ Mermaid


def test_mermaid_arrows_and_edges(es) -> None:
    text = lines(to_mermaid(*es))
    assert "A->>B: 1. Data" in text  # no bold arrow in Mermaid
    assert "A<<->>B: 2. Sync" in text and "A<<->>B: 3. Both" in text
    assert "B->>A: 4. Reply" in text
    assert "A-xB: 5. Lost" in text
    assert "A->>B: 6. Hello<br/>[5060] -#gt; [N4]" in text
    assert "A->>B: 7. Setup<br/>- part one" in text
    assert "env_l->>A: 9. Ext" in text and "B->>env_r: 10. Out" in text
    assert "env_r->>B: 11. In" in text and "A->>env_l: 12. Back" in text
    assert "B-->>A: 14. Book(ticket)" in text
    participants = [ln for ln in text if ln.startswith("participant ")]
    assert participants[0] == "participant env_l as environment"
    assert participants[-1] == "participant env_r as environment"


def test_mermaid_groups_notes_and_escaping(es) -> None:
    text = to_mermaid(*es)
    assert re.search(r"^    loop Retry\n        A->>B: 15\. Again\n    end$", text, re.M)
    assert "Note over A,B: Module-wide" in text and "Note over A,B: Joint" in text
    assert "Note over D: «create» D" in text
    assert "Note over env_l,env_r: What this feature shows" in text
    assert "Note over env_l,env_r: …" in text
    assert "participant Peru" not in text
    (line,) = [ln for ln in text.splitlines() if "Angeles" in ln and "participant" in ln]
    assert line.strip().startswith("participant Los") and "#lt;#amp;#quot;" in line
    assert "<&" not in text
