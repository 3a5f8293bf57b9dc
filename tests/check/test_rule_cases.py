"""Run the YAML rule cases in ``tests/cases/rules/*.yml`` (one file per rule).

A case file is::

    rule: FLOW002                  # the rule under test
    cases:
      - name: spec failing         # unique within the file
        fdl: |                     # a statement list (sip-rules.md §1.10) ...
          A starts timer T_Options
        expect:                    # ... and where findings must appear
          - {code: FLOW002, line: 1, col: 1}

Each case has exactly one of

* ``fdl``: a statement list. The harness wraps it in the snippet cast of sip-rules.md
  §1.10 (``A``, ``B`` role=ue; ``P``, ``P2``, ``S`` role=proxy; ``F`` role=focus; ``MGC``
  role=mgc; ``MG`` role=mg; ``CallCtx`` dynamic, no role) and one ``feature``, each
  snippet line indented by four spaces. ``line`` and ``col`` in ``expect`` are relative
  to the snippet: line 1 is the snippet's first line, col 1 its first character (the
  harness subtracts the wrapper's lines and the indentation).
* ``file``: a whole file, for cases that need their own declarations or file-level
  structure (a file-level ``case``, a role-less entity). ``line``/``col`` are the file's own.

Optional keys of a case: ``select`` / ``ignore`` (lists, passed to ``check_flow``),
``scenario`` (a ``--scenario`` glob: only matching scenarios are checked), ``codes``
(the codes whose findings are compared exactly; default: the rule under test, plus every
code that appears in ``expect``).

Each ``expect`` entry is ``{code, line, col}`` with optional ``severity``, ``scenarios``
(the exact list of scenario names) and ``message`` (a substring of the message).

Oracle (sip-rules.md §1.10): the findings whose code is compared are exactly those
expected, at those positions (other rules may fire too). A passing case (``expect: []``)
additionally has no error of any rule (warnings of other rules are allowed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from callflow.check import check_flow
from callflow.check.registry import all_rules
from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl import parse_text
from callflow.scenarios import expand_scenarios, select_scenarios

CASES_DIR = Path(__file__).resolve().parent.parent / "cases" / "rules"

CAST = """\
eternal: A "Alice" [role=ue], B "Bob" [role=ue],
         P "Proxy" [role=proxy], P2 "Proxy 2" [role=proxy], S "S-CSCF" [role=proxy],
         F "Focus" [role=focus], MGC "MGC" [role=mgc], MG "MG" [role=mg]
dynamic: CallCtx "Call context"
feature "Snippet" {
"""
SNIPPET_LINE_OFFSET = CAST.count("\n")  # snippet line 1 is file line OFFSET + 1
SNIPPET_INDENT = "    "
CASE_KEYS = {"name", "fdl", "file", "expect", "select", "ignore", "scenario", "codes"}
EXPECT_KEYS = {"code", "line", "col", "severity", "scenarios", "message"}


@dataclass(frozen=True)
class RuleCase:
    path: Path
    rule: str
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.rule}: {self.spec['name']}"


def wrap_snippet(snippet: str) -> str:
    body = "".join(
        (SNIPPET_INDENT + line if line.strip() else "") + "\n" for line in snippet.splitlines()
    )
    return CAST + body + "}\n"


def load_cases() -> list[RuleCase]:
    cases: list[RuleCase] = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rule = data["rule"]
        assert path.stem == rule, f"{path.name} must hold the cases of {path.stem}"
        names = [c["name"] for c in data["cases"]]
        assert len(names) == len(set(names)), f"{path.name}: duplicate case names"
        cases.extend(RuleCase(path, rule, spec) for spec in data["cases"])
    return cases


CASES = load_cases()


def run_case(case: RuleCase) -> tuple[list[Diagnostic], int, int]:
    """Check the case's flow; returns the findings and the (line, col) offsets."""
    spec = case.spec
    assert set(spec) <= CASE_KEYS, f"unknown keys {set(spec) - CASE_KEYS}"
    assert ("fdl" in spec) != ("file" in spec), "a case has exactly one of fdl: and file:"
    if "fdl" in spec:
        text, line_offset, col_offset = wrap_snippet(spec["fdl"]), SNIPPET_LINE_OFFSET, 4
    else:
        text, line_offset, col_offset = spec["file"], 0, 0
    parsed = parse_text(text, f"{case.rule}.fdl")
    assert parsed.ok, "the case does not parse:\n" + "\n".join(
        f"{d.loc}: {d.code} {d.message}" for d in parsed.diagnostics
    )
    assert parsed.flow is not None
    expansion = expand_scenarios(parsed.flow)
    assert not expansion.diagnostics
    scenarios = select_scenarios(expansion.scenarios, spec.get("scenario"))
    assert scenarios, f"no scenario matches {spec.get('scenario')!r}"
    found = check_flow(parsed.flow, scenarios, select=spec.get("select"), ignore=spec.get("ignore"))
    return found, line_offset, col_offset


def describe(diagnostics: list[Diagnostic], line_offset: int, col_offset: int) -> str:
    return "\n".join(
        f"  {d.code} {d.severity} at {d.loc.line - line_offset}:{d.loc.col - col_offset}: "
        f"{d.message} {list(d.scenarios)}"
        for d in diagnostics
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase) -> None:
    found, line_offset, col_offset = run_case(case)
    expected: list[dict[str, Any]] = case.spec["expect"] or []
    for entry in expected:
        assert set(entry) <= EXPECT_KEYS, f"unknown expect keys {set(entry) - EXPECT_KEYS}"
    codes = set(case.spec.get("codes", [case.rule])) | {e["code"] for e in expected}
    shown = describe(found, line_offset, col_offset)

    def position(d: Diagnostic) -> tuple[str, int, int]:
        return (d.code, d.loc.line - line_offset, d.loc.col - col_offset)

    relevant = [d for d in found if d.code in codes]
    got = Counter(position(d) for d in relevant)
    want = Counter((e["code"], e["line"], e["col"]) for e in expected)
    assert got == want, f"findings differ from expect; all findings:\n{shown}"

    unmatched = list(relevant)
    for entry in expected:
        candidates = [
            d
            for d in unmatched
            if position(d) == (entry["code"], entry["line"], entry["col"])
            and ("severity" not in entry or d.severity == Severity(entry["severity"]))
            and ("scenarios" not in entry or list(d.scenarios) == entry["scenarios"])
            and ("message" not in entry or entry["message"] in d.message)
        ]
        assert candidates, f"no finding matches {entry}; all findings:\n{shown}"
        unmatched.remove(candidates[0])

    if not expected:  # a passing case: no error from any rule either
        errors = [d for d in found if d.is_error]
        assert not errors, f"a passing case has errors:\n{describe(errors, 0, 0)}"


def test_every_rule_has_failing_and_passing_cases() -> None:
    """sip-rules.md §12: each rule has at least its failing and its passing snippet."""
    by_rule: dict[str, list[RuleCase]] = {}
    for case in CASES:
        by_rule.setdefault(case.rule, []).append(case)
    for rule in all_rules():
        cases = by_rule.get(rule.code, [])
        assert any(c.spec["expect"] for c in cases), f"{rule.code}: no failing case"
        assert any(not c.spec["expect"] for c in cases), f"{rule.code}: no passing case"
        names = {c.spec["name"] for c in cases}
        assert {"spec failing", "spec passing"} <= names, f"{rule.code}: spec snippets missing"
