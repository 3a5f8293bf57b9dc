"""`callflow render` and `callflow export` from the command line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from callflow.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = str(ROOT / "flows" / "ims-conference.fdl")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_render_svg_full_view_prints_every_file_written(tmp_path: Path) -> None:
    code, out, _ = run(
        "render", REFERENCE, "--view", "full", "--format", "svg", "-o", str(tmp_path)
    )
    assert code == 0
    written = out.split()
    assert written == [
        str(tmp_path / "participant-joins" / "sequence.svg"),
        str(tmp_path / "participant-declines" / "sequence.svg"),
    ]
    for path in written:
        ET.parse(path)  # valid XML


def test_render_interface_view_of_one_entity(tmp_path: Path) -> None:
    code, out, _ = run(
        "render",
        REFERENCE,
        "--view",
        "interface",
        "--entity",
        "S_CSCF_A",
        "--format",
        "svg",
        "--scenario",
        "*joins",
        "-o",
        str(tmp_path),
    )
    assert code == 0
    assert out.split() == [str(tmp_path / "participant-joins" / "interface-S_CSCF_A.svg")]


def test_render_page_height_writes_pages(tmp_path: Path) -> None:
    code, out, _ = run(
        "render",
        REFERENCE,
        "--view",
        "full",
        "--format",
        "svg",
        "--page-height",
        "1000",
        "--scenario",
        "*declines",
        "-o",
        str(tmp_path),
    )
    assert code == 0
    pages = out.split()
    assert len(pages) > 2 and pages[0].endswith("sequence-p1.svg")
    last = Path(pages[-1]).read_text(encoding="utf-8")
    assert f"page {len(pages)} of {len(pages)}" in last


def test_render_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run("render", REFERENCE, "-o", str(tmp_path / name))[0] == 0
    files_a = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert files_a == files_b and len(files_a) > 40
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_render_draws_a_flow_with_findings(tmp_path: Path) -> None:
    flow = tmp_path / "f.fdl"
    flow.write_text('eternal: A [role=ue]\nfeature "F" {\n  X : A -> Ghost\n}\n', encoding="utf-8")
    code, out, err = run(
        "render", str(flow), "--format", "svg", "--view", "full", "-o", str(tmp_path / "o")
    )
    assert code == 0
    assert "undeclared" in Path(out.split()[0]).read_text(encoding="utf-8")
    assert "design review" not in err  # SVG alone: drawn, not reviewed
    code, out, err = run("render", str(flow), "--view", "full", "-o", str(tmp_path / "h"))
    assert code == 0
    assert "design review has 1 finding" in err  # the HTML index lists it


def test_render_and_run_review_with_the_projects_rule_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule [tool.callflow] turns off is off for render's HTML index and run's
    pre-check too, not only for `callflow check`."""
    flow = tmp_path / "f.fdl"
    flow.write_text(
        'eternal: A [role=ue], B [role=ue]\nfeature "F" {\n  A starts timer T1\n'
        "  Hello : A -> B\n}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run("render", str(flow), "--view", "full", "-o", str(tmp_path / "a"))
    assert code == 0 and "design review has 1 finding" in err
    index = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    assert "FLOW002" in index
    (tmp_path / "pyproject.toml").write_text(
        '[tool.callflow]\nignore = ["FLOW002"]\n', encoding="utf-8"
    )
    code, _, err = run("render", str(flow), "--view", "full", "-o", str(tmp_path / "b"))
    assert code == 0 and "design review" not in err
    assert "FLOW002" not in (tmp_path / "b" / "index.html").read_text(encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.callflow]\nseverity = { FLOW002 = "error" }\n', encoding="utf-8"
    )
    code, _, err = run("run", str(flow), "-o", str(tmp_path / "c"))
    assert code == 1 and "1 check error" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "--format"),
        (["--entity", "NOPE"], "declares no such entity"),
        (["--scenario", "nothing*"], "matches"),
        (["--view", "bogus"], "--view"),
    ],
)
def test_render_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = run("render", REFERENCE, "-o", str(tmp_path), *args)
    assert code == 2
    assert message in out + err


def test_render_parse_error_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    flow = tmp_path / "bad.fdl"
    flow.write_text('eternal: A\nfeature "F" {\n  180 Ringing A -> A\n}\n', encoding="utf-8")
    code, _out, err = run("render", str(flow), "-o", str(tmp_path / "o"))
    assert code == 2
    assert "bad.fdl:3:" in err and "^" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("kind", "suffix", "marker"),
    [("plantuml", ".puml", "@startuml"), ("mermaid", ".mmd", "sequenceDiagram")],
)
def test_export_writes_one_file_per_scenario(
    tmp_path: Path, kind: str, suffix: str, marker: str
) -> None:
    code, out, _ = run("export", kind, REFERENCE, "-o", str(tmp_path))
    assert code == 0
    assert out.split() == [
        str(tmp_path / f"participant-joins{suffix}"),
        str(tmp_path / f"participant-declines{suffix}"),
    ]
    assert marker in Path(out.split()[0]).read_text(encoding="utf-8")
