"""`callflow render` with EventStudio's view options: --level, --level-internal, --entity
on types and groups, --exclude, --page, --header, --callout-remarks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from callflow.cli import cli, main

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = str(ROOT / "flows" / "ims-conference.fdl")
SVG = "{http://www.w3.org/2000/svg}"

FLOW = """\
title "Levels"

system:    S1 "System One", S2 "System Two"
subsystem: Sub1 "Sub One" in S1, Sub2 "Sub Two" in S2
module:    M1 "Module One" in Sub1
component: C1 "Comp One" in M1, C2 "Comp Two" in M1
eternal:   A "Alpha": Proxy in C1, B "Beta" in C1, C "Gamma": Proxy in C2,
           D "Delta" in Sub2, E "Epsilon"

feature "F" {
    Ping(x=1) : A -> B   % inside C1
    Pong : B -> C
    Hello : C -> D
    Bye : D -> E
    A takes action "think"
}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def flow(tmp_path: Path) -> str:
    path = tmp_path / "levels.fdl"
    path.write_text(FLOW, encoding="utf-8")
    return str(path)


def texts(path: Path, cls: str) -> list[str]:
    root = ET.parse(path).getroot()
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def test_level_view_of_the_reference_flow(tmp_path: Path) -> None:
    code, out, _ = run(
        "render", REFERENCE, "--level", "subsystem", "--view", "full", "--view", "collab",
        "-o", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    written = {Path(p).relative_to(tmp_path).as_posix() for p in out.split()}
    assert {
        "participant-joins/sequence-subsystem.svg",
        "participant-joins/sequence-subsystem.html",
        "participant-joins/collaboration-subsystem.svg",
        "participant-joins/collaboration-subsystem.html",
        "index.html",
    } <= written
    assert not any(p.endswith("/sequence.svg") for p in written)
    svg = tmp_path / "participant-joins" / "sequence-subsystem.svg"
    assert texts(svg, "ent-t") == [
        "Caller User", "Equipment", "IMS 1", "IMS 1 MRF", "IMS 2", "Called User", "Equipment",
    ]  # fmt: skip
    assert texts(svg, "sys-t") == ["Calling UE", "IMS Network", "Called UE"]
    assert texts(svg, "sub-t") == []  # no subsystem row: the columns are the subsystems
    html = (tmp_path / "participant-joins" / "sequence-subsystem.html").read_text("utf-8")
    assert "Sequence diagram (subsystem level)" in html
    assert "collaboration-subsystem.html" in (tmp_path / "index.html").read_text("utf-8")


def test_level_internal_hide_drops_messages(tmp_path: Path) -> None:
    counts = {}
    for mode in ("show", "hide"):
        code, _, _ = run(
            "render", REFERENCE, "--level", "system", "--level-internal", mode,
            "--view", "full", "--format", "svg", "-o", str(tmp_path / mode),
        )  # fmt: skip
        assert code == 0
        svg = tmp_path / mode / "participant-joins" / "sequence-system.svg"
        counts[mode] = len(texts(svg, "msg-t"))
        assert texts(svg, "ent-t") == ["Calling UE", "IMS Network", "Called UE"]
    assert counts["show"] == 126 and 0 < counts["hide"] < 126


def test_entity_names_a_type_or_a_group(flow: str, tmp_path: Path) -> None:
    for name, title in (("Proxy", "Proxy Interfaces"), ("M1", "Module One Interfaces")):
        code, out, _ = run(
            "render", flow, "--view", "interface", "--entity", name, "--format", "svg",
            "-o", str(tmp_path),
        )  # fmt: skip
        assert code == 0
        assert out.split() == [str(tmp_path / "main" / f"interface-{name}.svg")]
        svg = tmp_path / "main" / f"interface-{name}.svg"
        assert texts(svg, "title")[0].startswith(title)
        assert texts(svg, "msg-t") == ["Ping", "Pong", "Hello"]


def test_exclude_header_page_and_callouts(flow: str, tmp_path: Path) -> None:
    code, _, _ = run(
        "render", flow, "--view", "full", "--format", "svg", "--exclude", "parameters,actions",
        "--header", "single", "--callout-remarks", "-o", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    svg = tmp_path / "main" / "sequence.svg"
    assert texts(svg, "param-t") == [] and texts(svg, "action-t") == []
    assert texts(svg, "sys-t") == [] and texts(svg, "sub-t") == []
    assert texts(svg, "callout-t") == ["inside C1"] and texts(svg, "remhdr-t") == []
    code, out, _ = run(
        "render", REFERENCE, "--view", "full", "--format", "svg", "--page", "presentation",
        "--scenario", "Participant joins", "-o", str(tmp_path / "paged"),
    )  # fmt: skip
    assert code == 0
    pages = out.split()
    assert len(pages) > 2 and pages[0].endswith("sequence-p1.svg")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "planet"], "--level"),
        (["--level-internal", "maybe"], "--level-internal"),
        (["--exclude", "remarks,colours"], "--exclude"),
        (["--page", "A4"], "--page"),
        (["--header", "double"], "--header"),
        (["--entity", "Nobody"], "declares no such entity, type or group"),
    ],
)
def test_view_usage_errors_exit_2(flow: str, tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = run("render", flow, "-o", str(tmp_path), *args)
    assert code == 2
    assert message in out + err
    assert not (tmp_path / "main").exists()


def test_unknown_entity_lists_objects_types_and_groups(
    flow: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["render", flow, "--entity", "Nobody", "-o", str(tmp_path)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "objects: A, B, C, D, E" in err
    assert "types: Proxy" in err
    assert "groups: S1, S2, Sub1, Sub2, M1, C1, C2" in err


def test_unknown_level_through_main_exits_2(flow: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["render", flow, "--level", "planet"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "planet" in err
