"""End-to-end tests of the command line: ``callflow check``, ``callflow scenarios``.

Most tests drive ``callflow.cli.cli`` in-process with click's ``CliRunner``; a few run the
real program (``python -m callflow``, which goes through ``callflow.cli.main``, the funnel
that turns every exception into an exit code) in a subprocess.

Exit codes (docs/cli.md): 0 clean or warnings only, 1 an error (any finding with
``--strict``), 2 usage / unreadable / preprocessor / syntax / FDL3xx errors.

An empty file (or one holding only comments) is a valid, empty flow: it has no ``case``,
so it has exactly one scenario, ``main``, with no statements, and ``check`` exits 0
with "no findings" -- the same as linters do for an empty source file. Nothing in it can
be wrong, and an include-only or work-in-progress file should not fail a build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callflow import __version__
from callflow.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "flows/ims-conference.fdl"
REFERENCE_SUMMARY = f"{REFERENCE}: 2 scenarios, 9 entities, 126/54 messages: no findings"
JSON_KEYS = {
    "file",
    "line",
    "col",
    "end_line",
    "end_col",
    "severity",
    "code",
    "name",
    "message",
    "scenarios",
}

CAST = "eternal: A [role=ue], B [role=ue]\n"
CLEAN = CAST + 'feature "f" {\n    OPTIONS : A -> B\n    200 OK : B -> A\n}\n'
UNDECLARED = CAST + 'feature "f" {\n    Hello : A -> UE_C\n}\n'
WARNING_ONLY = CAST + 'feature "f" {\n    A starts timer T_Options\n}\n'
BOTH = CAST + 'feature "f" {\n    A starts timer T1\n    Hello : A -> UE_C\n}\n'


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in the output are as given, so run from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)


def invoke(*args: str) -> Result:
    """Run the CLI in-process; no exception may escape and no traceback be printed."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_program(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real program in a subprocess (through ``callflow.cli.main``)."""
    env = {k: v for k, v in os.environ.items() if k != "CALLFLOW_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "callflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


# ------------------------------------------------------------------------- the reference


def test_check_reference_flow_is_clean() -> None:
    result = invoke("check", REFERENCE)
    assert result.exit_code == 0, result.output
    assert result.output == REFERENCE_SUMMARY + "\n"


def test_check_reference_flow_strict_is_still_clean() -> None:
    result = invoke("check", "--strict", REFERENCE)
    assert result.exit_code == 0, result.output


def test_check_reference_flow_json_is_an_empty_list() -> None:
    result = invoke("check", "--format", "json", REFERENCE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_scenarios_lists_both_scenarios_with_counts() -> None:
    result = invoke("scenarios", REFERENCE)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert rows[0] == ["#", "scenario", "slug", "statements", "messages"]
    assert rows[1:] == [
        ["1", "Participant", "joins", "participant-joins", "141", "126"],
        ["2", "Participant", "declines", "participant-declines", "62", "54"],
    ]


def test_scenarios_honours_the_scenario_glob() -> None:
    result = invoke("scenarios", "--scenario", "*declines", REFERENCE)
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 2
    assert "participant-declines" in result.output


@pytest.mark.parametrize(
    ("glob", "summary"),
    [
        ("*joins", "1 scenario, 9 entities, 126 messages: no findings"),
        ("participant declines", "1 scenario, 9 entities, 54 messages: no findings"),
        ("participant-dec*", "1 scenario, 9 entities, 54 messages: no findings"),  # slug
        ("Participant*", "2 scenarios, 9 entities, 126/54 messages: no findings"),
    ],
)
def test_scenario_glob_selects(glob: str, summary: str) -> None:
    result = invoke("check", "--scenario", glob, REFERENCE)
    assert result.exit_code == 0, result.output
    assert result.output == f"{REFERENCE}: {summary}\n"


def test_unmatched_scenario_glob_is_a_usage_error() -> None:
    result = invoke("check", "--scenario", "nobody*", REFERENCE)
    assert result.exit_code == 2
    assert "no scenario of" in result.output
    assert "nobody*" in result.output
    assert "Participant joins, Participant declines" in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"callflow, version {__version__}\n"


# ------------------------------------------------------------------------- findings


def test_error_exits_1_with_the_documented_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.fdl", UNDECLARED)
    result = invoke("check", path)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{path}:3:18: error FLOW001 flow.undeclared-entity: entity 'UE_C' is not declared"
    )
    assert lines[1].startswith(f"{path}: 1 scenario, 2 entities, ")
    assert lines[1].endswith(": 1 error, 0 warnings")
    assert "\x1b[" not in result.output  # no colour when stdout is not a terminal


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path, "warn.fdl", WARNING_ONLY)
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert (
        f"{path}:3:5: warning FLOW002 flow.timer-left-running: "
        "timer T_Options of A is never stopped and never expires [main]"
    ) in result.output.splitlines()


def test_warnings_with_strict_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "warn.fdl", WARNING_ONLY)
    result = invoke("check", "--strict", path)
    assert result.exit_code == 1, result.output
    assert "FLOW002" in result.output


def test_ignore_and_select_on_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, "both.fdl", BOTH)
    assert invoke("check", path).exit_code == 1
    only_warning = invoke("check", "--ignore", "FLOW001", path)
    assert only_warning.exit_code == 0
    assert "FLOW002" in only_warning.output
    assert "FLOW001" not in only_warning.output
    by_name = invoke("check", "--select", "flow.undeclared-entity", path)
    assert by_name.exit_code == 1
    assert "FLOW002" not in by_name.output
    nothing = invoke("check", "--strict", "--ignore", "FLOW", path)
    assert nothing.exit_code == 0
    assert nothing.output.endswith("no findings\n")


def test_suppression_comment(tmp_path: Path) -> None:
    text = CAST + 'feature "f" {\n    A starts timer T1  // callflow: ignore[FLOW002]\n}\n'
    path = write(tmp_path, "sup.fdl", text)
    result = invoke("check", "--strict", path)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("no findings\n")


def test_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "both.fdl", BOTH)
    result = invoke("check", "--format", "json", path)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)  # only JSON on stdout: no summary line
    assert isinstance(findings, list)
    assert [f["code"] for f in findings] == ["FLOW002", "FLOW001"]  # sorted by position
    for finding in findings:
        assert set(finding) == JSON_KEYS
        assert finding["file"] == path
        for key in ("line", "col", "end_line", "end_col"):
            assert isinstance(finding[key], int)
    timer, undeclared = findings
    assert timer == {
        "file": path,
        "line": 3,
        "col": 5,
        "end_line": 3,
        "end_col": 22,
        "severity": "warning",
        "code": "FLOW002",
        "name": "flow.timer-left-running",
        "message": "timer T1 of A is never stopped and never expires",
        "scenarios": ["main"],
    }
    assert (undeclared["line"], undeclared["col"], undeclared["end_col"]) == (4, 18, 22)
    assert undeclared["severity"] == "error"
    assert undeclared["scenarios"] == []  # FLOW001 is checked once per file


def test_json_merges_scenarios(tmp_path: Path) -> None:
    text = CAST + (
        'feature "f" {\n'
        "    A starts timer T1\n"
        "    case {\n"
        '        leg "Answered": Answer : B -> A\n'
        '        leg "Busy": Reject : B -> A\n'
        "    }\n"
        "}\n"
    )
    path = write(tmp_path, "legs.fdl", text)
    result = invoke("check", "--format", "json", path)
    assert result.exit_code == 0
    (finding,) = json.loads(result.stdout)
    assert finding["scenarios"] == ["Answered", "Busy"]


# ------------------------------------------------------------------------- the preprocessor


IFDEF_FLOW = CAST + (
    'feature "f" {\n#ifdef LEAK\n    A starts timer T1\n#endif\n    Ping : A -> PEER\n}\n'
)


def test_define_switches_ifdef(tmp_path: Path) -> None:
    path = write(tmp_path, "ifdef.fdl", IFDEF_FLOW)
    plain = invoke("check", "-D", "PEER=B", path)
    assert plain.exit_code == 0, plain.output
    assert plain.output.endswith("no findings\n")
    leaking = invoke("check", "-D", "PEER=B", "-D", "LEAK", path)
    assert leaking.exit_code == 0
    assert "FLOW002" in leaking.output
    assert invoke("check", "--strict", "--define", "LEAK", "-D", "PEER=B", path).exit_code == 1


def test_define_replaces_names(tmp_path: Path) -> None:
    path = write(tmp_path, "ifdef.fdl", IFDEF_FLOW)
    undefined = invoke("check", path)  # PEER is then an undeclared entity
    assert undefined.exit_code == 1
    assert "entity 'PEER' is not declared" in undefined.output


def test_bad_define_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "clean.fdl", CLEAN)
    result = invoke("check", "-D", "not a name", path)
    assert result.exit_code == 2
    assert "-D" in result.output


# ------------------------------------------------------------------------- bad input: exit 2


def test_missing_file(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path / "nope.fdl"))
    assert result.exit_code == 2
    assert "FDL201" in result.output
    assert "no such file" in result.output


def test_directory(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2
    assert "FDL201" in result.output
    assert "directory" in result.output


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.fdl"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x1b[31m\xff\xfe" * 8)
    result = invoke("check", str(path))
    assert result.exit_code == 2
    assert "FDL202" in result.output
    assert "not a text file" in result.output
    # the quoted line shows control characters as '?', never raw
    assert "\x00" not in result.output
    assert "\x1b" not in result.output


def test_too_large_file() -> None:
    result = invoke("check", "--max-input-size", "1K", REFERENCE)
    assert result.exit_code == 2
    assert "FDL203" in result.output
    assert "1,024 bytes" in result.output


def test_bad_max_input_size() -> None:
    result = invoke("check", "--max-input-size", "lots", REFERENCE)
    assert result.exit_code == 2
    assert "is not a size" in result.output


def test_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.fdl", CAST + 'feature "f" {\n    180 Ringing B -> A\n}\n')
    result = invoke("check", path)
    assert result.exit_code == 2
    assert f"{path}:3:" in result.output
    assert "error FDL1" in result.output
    assert "    180 Ringing B -> A" in result.output  # the quoted line with a caret
    assert "^" in result.output


def test_syntax_error_in_json(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.fdl", CAST + 'feature "f" {\n    180 Ringing B -> A\n}\n')
    result = invoke("check", "--format", "json", path)
    assert result.exit_code == 2
    findings = json.loads(result.stdout)
    assert findings and all(set(f) == JSON_KEYS for f in findings)
    assert findings[0]["code"].startswith("FDL1")


def test_preprocessor_error_unbalanced_ifdef(tmp_path: Path) -> None:
    path = write(tmp_path, "pp.fdl", "#ifdef X\n" + CLEAN)
    result = invoke("check", path)
    assert result.exit_code == 2
    assert "error FDL2" in result.output
    assert "#endif" in result.output


def test_preprocessor_error_missing_include(tmp_path: Path) -> None:
    path = write(tmp_path, "inc.fdl", '#include "missing.fdl"\n' + CLEAN)
    result = invoke("check", path)
    assert result.exit_code == 2
    assert "error FDL2" in result.output
    assert "missing.fdl" in result.output


def test_semantic_error(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.fdl", "eternal: A [role=ue], A [role=ue]\n")
    result = invoke("check", path)
    assert result.exit_code == 2
    assert "error FDL3" in result.output


@pytest.mark.parametrize("text", ["", "   \n// only a comment\n/* and a block */\n"])
def test_empty_file_is_an_empty_flow(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.fdl", text)
    result = invoke("check", "--strict", path)
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}: 1 scenario, 0 entities, 0 messages: no findings\n"
    listed = invoke("scenarios", path)
    assert listed.exit_code == 0
    assert listed.output.splitlines()[1].split() == ["1", "main", "main", "0", "0"]


def test_scenarios_command_on_bad_input(tmp_path: Path) -> None:
    result = invoke("scenarios", str(tmp_path / "nope.fdl"))
    assert result.exit_code == 2
    assert "FDL201" in result.output


def test_no_file_is_a_usage_error() -> None:
    result = invoke("check")
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_one_bad_file_among_good_ones(tmp_path: Path) -> None:
    good = write(tmp_path, "good.fdl", CLEAN)
    result = invoke("check", good, str(tmp_path / "nope.fdl"))
    assert result.exit_code == 2
    assert f"{good}: 1 scenario, 2 entities, 2 messages: no findings" in result.output
    assert "FDL201" in result.output


# ------------------------------------------------------------------------- the real program


def test_program_checks_the_reference_flow() -> None:
    done = run_program("check", REFERENCE)
    assert done.returncode == 0, done.stderr
    assert done.stdout == REFERENCE_SUMMARY + "\n"
    assert done.stderr == ""


def test_program_json_output() -> None:
    done = run_program("check", "--format", "json", REFERENCE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_program_scenarios() -> None:
    done = run_program("scenarios", REFERENCE)
    assert done.returncode == 0, done.stderr
    assert "141" in done.stdout and "126" in done.stdout
    assert "62" in done.stdout and "54" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("check", "does-not-exist.fdl"),
        ("check", "flows"),
        ("check", "--scenario", "nobody*", REFERENCE),
        ("check", "--max-input-size", "1K", REFERENCE),
        ("check", "--no-such-option", REFERENCE),
        ("scenarios", "does-not-exist.fdl"),
    ],
)
def test_program_bad_input_exits_2_without_traceback(args: tuple[str, ...]) -> None:
    done = run_program(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)


def test_program_finding_exit_codes(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.fdl", UNDECLARED)
    warn = write(tmp_path, "warn.fdl", WARNING_ONLY)
    assert run_program("check", bad).returncode == 1
    assert run_program("check", warn).returncode == 0
    assert run_program("check", "--strict", warn).returncode == 1


def test_program_version() -> None:
    done = run_program("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"callflow, version {__version__}"


def test_program_checks_a_generated_5000_message_flow(tmp_path: Path) -> None:
    flow = tmp_path / "bench-5000.fdl"
    generated = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gen_flow.py"), "5000", "-o", str(flow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    done = run_program("check", str(flow))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"{flow}: 1 scenario, 9 entities, 5000 messages: no findings\n"
    strict = run_program("check", "--strict", "--format", "json", str(flow))
    assert strict.returncode == 0
    assert json.loads(strict.stdout) == []
