"""``callflow rules``: the rule table, one rule's documentation, Markdown; and the
``check`` command's github and sarif formats end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callflow.check import known_rules
from callflow.cli import cli
from callflow.report.rules_doc import rules_markdown

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_rules_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "summary"]
    rows = lines[1:]
    assert [row.split()[0] for row in rows] == [r.code for r in known_rules()]
    timer = next(row for row in rows if row.startswith("FLOW002"))
    assert timer.split()[:3] == ["FLOW002", "flow.timer-left-running", "warning"]
    assert timer.endswith("A timer is started and neither stopped nor expired.")
    assert any(row.startswith("FLOW008 ") for row in rows)
    # columns are aligned: every summary starts at the same place
    start = lines[0].index("summary")
    assert all(row[start - 2 : start] == "  " and row[start] != " " for row in rows)


@pytest.mark.parametrize("query", ["FLOW002", "flow002", "flow.timer-left-running"])
def test_rules_shows_one_rule(query: str) -> None:
    result = invoke("rules", query)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:5] == [
        "FLOW002 flow.timer-left-running",
        "severity: warning (at scenario end)",
        "checked: in every scenario",
        "summary: A timer is started and neither stopped nor expired.",
        "source: EventStudio design review (stray timers).",
    ]
    assert lines[5] == ""
    assert lines[6].startswith("Per (entity, timer name): `starts timer` sets it running")


def test_rules_by_prefix_lists_those_rules() -> None:
    result = invoke("rules", "FLOW00")
    assert result.exit_code == 0
    codes = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert codes == [f"FLOW00{i}" for i in range(1, 9)]
    by_family = invoke("rules", "flow")  # a dotted-name prefix
    assert by_family.output == result.output


@pytest.mark.parametrize(
    ("query", "hint"),
    [("FLOW02", "did you mean FLOW002"), ("flow.timer-left-runing", "flow.timer-left-running")],
)
def test_unknown_rule_is_a_usage_error_with_close_matches(query: str, hint: str) -> None:
    result = invoke("rules", query)
    assert result.exit_code == 2
    assert f"no rule is named {query!r}" in result.output
    assert hint in result.output


def test_unknown_rule_without_close_matches() -> None:
    result = invoke("rules", "XYZZY")
    assert result.exit_code == 2
    assert "did you mean" not in result.output
    assert "callflow rules` lists them" in result.output


def test_rules_markdown_is_docs_rules_md() -> None:
    result = invoke("rules", "--markdown")
    assert result.exit_code == 0
    assert result.output == rules_markdown(known_rules())
    one = invoke("rules", "--markdown", "FLOW002")
    assert "## FLOW002 `flow.timer-left-running`" in one.output
    assert "## FLOW001" not in one.output


# ------------------------------------------------------------------------- check formats

WARNING_FLOW = 'eternal: A [role=ue]\nfeature "f" {\n    A starts timer T1\n}\n'
SYNTAX_FLOW = 'eternal: A [role=ue]\nfeature "f" {\n    180 Ringing A -> B\n}\n'


def test_check_github_format(tmp_path: Path) -> None:
    path = tmp_path / "w.fdl"
    path.write_text(WARNING_FLOW, encoding="utf-8")
    result = invoke("check", "--format", "github", str(path))
    assert result.exit_code == 0
    assert result.output == (
        f"::warning file={path},line=3,col=5,endLine=3,endColumn=22,"
        "title=FLOW002 flow.timer-left-running::"
        "timer T1 of A is never stopped and never expires [main]\n"
    )  # no summary line
    assert invoke("check", "--format", "github", "--strict", str(path)).exit_code == 1


def test_check_sarif_format_with_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "w.fdl").write_text(WARNING_FLOW, encoding="utf-8")
    (tmp_path / "flows" / "s.fdl").write_text(SYNTAX_FLOW, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--format", "sarif", "flows/w.fdl", "flows/s.fdl")
    assert result.exit_code == 2  # the syntax error
    (run,) = json.loads(result.output)["runs"]
    got = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    ]
    assert got == [
        ("FLOW002", "warning", "flows/w.fdl", 3),
        ("FDL101", "error", "flows/s.fdl", 3),
    ]
    absolute = invoke("check", "--format", "sarif", str(tmp_path / "flows" / "w.fdl"))
    (result_,) = json.loads(absolute.output)["runs"][0]["results"]
    location = result_["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "flows/w.fdl", "uriBaseId": "%SRCROOT%"}


def test_program_sarif_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "w.fdl"
    path.write_text(WARNING_FLOW, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CALLFLOW_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    runs = [
        subprocess.run(
            [sys.executable, "-m", "callflow", "check", "--format", "sarif", "w.fdl"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert str(tmp_path).encode() not in runs[0].stdout
