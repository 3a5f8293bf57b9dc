"""``[tool.callflow]`` in pyproject.toml, severity overrides and rule selection layers.

The configuration comes from the nearest pyproject.toml upwards from the current
directory; the command line wins over it (``--select`` replaces the configured selection,
``--ignore`` adds to it, ``--strict/--no-strict``, ``--max-scenarios`` and ``--severity``
override). A bad configuration is a usage error (exit 2) naming the file and the key.

The flows here have no SIP messages, so only FLOW rules can fire on them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callflow.check import Layer, Selection, apply_severity, is_selected
from callflow.check.config import Config, ConfigError, discover, find_pyproject, load
from callflow.cli import cli
from callflow.diagnostics import Diagnostic, Severity
from callflow.ir import SourceLocation

FLOW = """\
eternal: A [role=ue], F [role=focus]
feature "f" {
    A starts timer T1
    F begins action "Mix"
    F ends action "Other"
}
"""
# line 3: FLOW002 warning; line 4: FLOW004 warning; line 5: FLOW004 error ("never began")
LEGS = """\
eternal: A [role=ue]
feature "f" {
    case {
        leg "One": A takes action "x"
        leg "Two": A takes action "y"
    }
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with flow.fdl, as the current directory."""
    (tmp_path / "flow.fdl").write_text(FLOW, encoding="utf-8")
    (tmp_path / "legs.fdl").write_text(LEGS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)
    return tmp_path


def configure(folder: Path, table: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n[tool.callflow]\n{table}\n', encoding="utf-8")
    return path


def check(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def findings(result: Result) -> list[tuple[str, str, int]]:
    """(severity, code, line) of each finding line of the text output."""
    out = []
    for line in result.output.splitlines():
        parts = line.split(" ")
        if (
            len(parts) > 3
            and parts[0].startswith("flow.fdl:")
            and parts[1]
            in {
                "error",
                "warning",
                "note",
            }
        ):
            out.append((parts[1], parts[2], int(parts[0].split(":")[1])))
    return out


ALL_FINDINGS = [("warning", "FLOW002", 3), ("warning", "FLOW004", 4), ("error", "FLOW004", 5)]


# ------------------------------------------------------------------------- selection


def test_without_configuration(project: Path) -> None:
    result = check("flow.fdl")
    assert result.exit_code == 1
    assert findings(result) == ALL_FINDINGS


def test_a_pyproject_without_the_table_is_no_configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert findings(check("flow.fdl")) == ALL_FINDINGS


def test_config_ignore(project: Path) -> None:
    configure(project, 'ignore = ["FLOW004"]')
    result = check("flow.fdl")
    assert result.exit_code == 0, result.output
    assert findings(result) == [("warning", "FLOW002", 3)]


def test_config_select_by_name(project: Path) -> None:
    configure(project, 'select = ["flow.action-not-ended"]')
    assert findings(check("flow.fdl")) == ALL_FINDINGS[1:]


def test_config_select_and_ignore_longest_match_wins(project: Path) -> None:
    configure(project, 'select = ["FLOW002"]\nignore = ["FLOW"]')
    assert findings(check("flow.fdl")) == [("warning", "FLOW002", 3)]


def test_config_strict(project: Path) -> None:
    configure(project, 'ignore = ["FLOW004"]\nstrict = true')
    assert check("flow.fdl").exit_code == 1
    assert check("--no-strict", "flow.fdl").exit_code == 0  # the command line wins


def test_warn_as_error_is_strict(project: Path) -> None:
    assert check("--disable", "FLOW004", "flow.fdl").exit_code == 0  # --disable = --ignore
    assert check("--disable", "FLOW004", "--warn-as-error", "flow.fdl").exit_code == 1


def test_config_max_scenarios(project: Path) -> None:
    configure(project, "max-scenarios = 1")
    refused = check("legs.fdl")
    assert refused.exit_code == 2
    assert check("--max-scenarios", "2", "legs.fdl").exit_code == 0  # the command line wins


def test_unused_suppression_of_an_ignored_rule_is_not_reported(project: Path) -> None:
    text = FLOW.replace('"Mix"', '"Mix"  // callflow: ignore[FLOW004]')
    (project / "flow.fdl").write_text(text, encoding="utf-8")
    configure(project, 'ignore = ["FLOW004"]')
    result = check("flow.fdl")
    assert findings(result) == [("warning", "FLOW002", 3)]  # no FLOW008
    (project / "pyproject.toml").unlink()
    # the suppression now does its job: FLOW004 at line 4 is gone, and no FLOW008
    assert findings(check("flow.fdl")) == [("warning", "FLOW002", 3), ("error", "FLOW004", 5)]


def test_config_can_ignore_flow008(project: Path) -> None:
    text = FLOW.replace("timer T1", "timer T1  // callflow: ignore[FLOW006]")
    (project / "flow.fdl").write_text(text, encoding="utf-8")
    assert ("warning", "FLOW008", 3) in findings(check("flow.fdl"))
    configure(project, 'ignore = ["flow.unused-suppression"]')
    assert ("warning", "FLOW008", 3) not in findings(check("flow.fdl"))


# ------------------------------------------------------------------------- severity


def test_severity_override_makes_an_error(project: Path) -> None:
    configure(project, 'ignore = ["FLOW004"]\nseverity = {FLOW002 = "error"}')
    result = check("flow.fdl")
    assert result.exit_code == 1
    assert findings(result) == [("error", "FLOW002", 3)]
    assert result.output.endswith("1 error, 0 warnings\n")


def test_severity_override_applies_to_every_finding_of_the_rule(project: Path) -> None:
    configure(project, 'severity = {FLOW004 = "warning"}')
    result = check("flow.fdl")
    assert result.exit_code == 0  # the FLOW004 error variant is a warning now
    assert findings(result) == [(s.replace("error", "warning"), c, n) for s, c, n in ALL_FINDINGS]


def test_severity_note_never_counts(project: Path) -> None:
    configure(project, 'severity = {FLOW = "note"}\nstrict = true')
    result = check("flow.fdl")
    assert result.exit_code == 0, result.output
    assert [f[0] for f in findings(result)] == ["note"] * 3
    assert "flow.fdl:3:5: note FLOW002 flow.timer-left-running: " in result.output
    assert result.output.endswith("0 errors, 0 warnings, 3 notes\n")


def test_severity_longest_selector_wins(project: Path) -> None:
    configure(project, 'severity = {FLOW = "error", "flow.timer-left-running" = "note"}')
    assert findings(check("flow.fdl")) == [
        ("note", "FLOW002", 3),
        ("error", "FLOW004", 4),
        ("error", "FLOW004", 5),
    ]


def test_command_line_severity_wins(project: Path) -> None:
    configure(project, 'severity = {FLOW002 = "error"}')
    result = check("--severity", "FLOW=note", "flow.fdl")  # shorter, but the later layer
    assert result.exit_code == 0
    assert [f[0] for f in findings(result)] == ["note"] * 3


def test_severity_in_json_and_sarif(project: Path) -> None:
    import json

    configure(project, 'select = ["FLOW002"]\nseverity = {FLOW002 = "error"}')
    as_json = check("--format", "json", "flow.fdl")
    assert [(f["code"], f["severity"]) for f in json.loads(as_json.output)] == [
        ("FLOW002", "error")
    ]
    as_sarif = json.loads(check("--format", "sarif", "flow.fdl").output)
    (result,) = as_sarif["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("FLOW002", "error")


# ------------------------------------------------------------------------- command line wins


def test_command_line_select_replaces_the_configured_selection(project: Path) -> None:
    configure(project, 'ignore = ["FLOW004"]')
    assert findings(check("--select", "FLOW004", "flow.fdl")) == ALL_FINDINGS[1:]
    assert findings(check("--select", "FLOW", "flow.fdl")) == ALL_FINDINGS


def test_command_line_ignore_adds_to_the_configured_selection(project: Path) -> None:
    configure(project, 'select = ["FLOW002", "FLOW004"]')
    result = check("--ignore", "FLOW002", "flow.fdl")
    assert findings(result) == ALL_FINDINGS[1:]
    nothing = check("--ignore", "FLOW004", "--ignore", "FLOW002", "flow.fdl")
    assert findings(nothing) == []
    assert nothing.output.endswith("no findings\n")


def test_no_config_and_config_path(project: Path) -> None:
    configure(project, 'ignore = ["FLOW"]')
    assert findings(check("flow.fdl")) == []
    assert findings(check("--no-config", "flow.fdl")) == ALL_FINDINGS
    other = project / "ci.toml"
    other.write_text('[tool.callflow]\nselect = ["FLOW002"]\n', encoding="utf-8")
    assert findings(check("--config", str(other), "flow.fdl")) == ALL_FINDINGS[:1]


def test_config_is_found_upwards_and_the_nearest_pyproject_wins(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(project, 'ignore = ["FLOW004"]')
    sub = project / "flows" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_pyproject() == project / "pyproject.toml"
    result = check("../../flow.fdl")
    assert "FLOW004" not in result.output and "FLOW002" in result.output
    # a nearer pyproject.toml without the table: no configuration, the outer one is not read
    (project / "flows" / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    assert "FLOW004" in check("../../flow.fdl").output
    assert discover() == Config(project / "flows" / "pyproject.toml")


# ------------------------------------------------------------------------- bad configuration


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("select = [", "not valid TOML"),
        ('selekt = ["FLOW"]', "unknown key 'selekt' (did you mean 'select'?)"),
        ('disable = ["FLOW"]', "unknown key 'disable' (did you mean 'ignore'?)"),
        ("warn-as-error = true", "unknown key 'warn-as-error' (did you mean 'strict'?)"),
        ('select = "FLOW"', "[tool.callflow] select: expected a list of rule codes"),
        ("ignore = [1]", "[tool.callflow] ignore: expected a rule code or name, got 1"),
        ('ignore = ["FLOW9"]', "[tool.callflow] ignore: 'FLOW9' names no rule"),
        ('select = ["FLOW02"]', "'FLOW02' names no rule (did you mean FLOW002"),
        ('ignore = [""]', "'' names no rule"),
        ('strict = "yes"', "[tool.callflow] strict: expected true or false, got 'yes'"),
        ("max-scenarios = 0", "max-scenarios: expected a whole number of at least 1, got 0"),
        ("max-scenarios = true", "max-scenarios: expected a whole number"),
        ('severity = "error"', "[tool.callflow] severity: expected a table"),
        ('severity = {FLOW002 = "fatal"}', "severity: FLOW002 = 'fatal': expected one of error"),
        ("severity = {FLOW002 = 2}", "severity: FLOW002 = 2: expected one of error"),
        ('severity = {SIPX = "error"}', "severity: 'SIPX' names no rule"),
    ],
)
def test_bad_config_is_a_usage_error(project: Path, table: str, expected: str) -> None:
    configure(project, table)
    result = check("flow.fdl")
    assert result.exit_code == 2, result.output
    assert "Error: pyproject.toml: " in result.output  # names the file
    assert expected in result.output


def test_bad_table_type(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool]\ncallflow = "x"\n', encoding="utf-8")
    result = check("flow.fdl")
    assert result.exit_code == 2
    assert "[tool.callflow] must be a table" in result.output


def test_config_path_problems(project: Path) -> None:
    missing = check("--config", str(project / "nope.toml"), "flow.fdl")
    assert missing.exit_code == 2
    assert "nope.toml: cannot read" in missing.output
    empty = project / "empty.toml"
    empty.write_text("", encoding="utf-8")
    result = check("--config", str(empty), "flow.fdl")
    assert result.exit_code == 2
    assert "Error: empty.toml: has no [tool.callflow] table" in result.output


def test_no_config_skips_a_broken_file(project: Path) -> None:
    configure(project, "select = [")
    assert check("--no-config", "flow.fdl").exit_code == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--select", "FLOW9"), "'FLOW9' names no rule"),
        (("--ignore", "flow.timer"), "'flow.timer' names no rule (did you mean"),
        (("--severity", "FLOW002"), "expected CODE=LEVEL"),
        (("--severity", "FLOW002=loud"), "FLOW002 = 'loud': expected one of error, warning, note"),
        (("--severity", "NOPE=error"), "'NOPE' names no rule"),
    ],
)
def test_bad_command_line_selectors(project: Path, args: tuple[str, ...], expected: str) -> None:
    result = check(*args, "flow.fdl")
    assert result.exit_code == 2, result.output
    assert expected in result.output


# ------------------------------------------------------------------------- the pieces


def test_load_returns_what_the_table_says(tmp_path: Path) -> None:
    path = configure(
        tmp_path,
        'select = ["FLOW"]\nignore = ["FLOW002"]\nstrict = true\nmax-scenarios = 3\n'
        'severity = {FLOW004 = "Error"}',
    )
    assert load(path) == Config(path, ("FLOW",), ("FLOW002",), True, 3, {"FLOW004": Severity.ERROR})
    path.write_text("[tool.other]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no"):
        load(path)
    assert load(path, required=False) == Config(path)


def test_selection_layers() -> None:
    config = Layer(("FLOW",), ("FLOW004",))
    assert not Selection((config,)).selects("FLOW004", "flow.action-not-ended")
    assert Selection((config,)).selects("FLOW002", "flow.timer-left-running")
    # a later layer with a select decides; one with only ignore decides what it names
    assert Selection((config, Layer(("FLOW004",)))).selects("FLOW004", "flow.action-not-ended")
    assert not Selection((config, Layer(("FLOW004",)))).selects("FLOW002", "x")
    only_ignore = Selection((config, Layer(None, ("FLOW002",))))
    assert not only_ignore.selects("FLOW002", "flow.timer-left-running")
    assert not only_ignore.selects("FLOW004", "flow.action-not-ended")
    assert only_ignore.selects("FLOW001", "flow.undeclared-entity")
    assert Selection().selects("SIP201", "invite.ack-missing")
    # one layer is exactly is_selected
    for select, ignore in [(None, None), (["SIP2"], ["SIP201"]), (["SIP201"], ["SIP2"])]:
        for code in ("SIP201", "SIP202", "FLOW001"):
            assert Selection.of(select, ignore).selects(code, "x.y") == is_selected(
                code, "x.y", select, ignore
            )


def test_apply_severity_layers() -> None:
    loc = SourceLocation("f.fdl", 1, 1, 1, 2)
    diag = Diagnostic("SIP104", "transaction.no-final-response", Severity.WARNING, loc, "m")
    other = Diagnostic("FLOW002", "flow.timer-left-running", Severity.WARNING, loc, "m")
    (made,) = apply_severity([diag], {"SIP1": Severity.ERROR, "SIP104": Severity.NOTE})
    assert made.severity is Severity.NOTE
    assert apply_severity([diag, other], None) == [diag, other]
    layered = apply_severity([diag, other], ({"SIP104": Severity.NOTE}, {"SIP": Severity.ERROR}))
    assert [d.severity for d in layered] == [Severity.ERROR, Severity.WARNING]
    assert layered[1] is other
