"""``callflow check``: run every selected rule over every scenario of a flow.

Findings equal in (code, location, message) across scenarios are reported once with the
list of scenarios; ``// callflow: ignore[CODE]`` comments on a statement's line suppress
its findings, and a suppression that suppresses nothing is itself reported (FLOW008).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from callflow import ir
from callflow.check.registry import CheckContext, Finding, Rule, all_rules
from callflow.diagnostics import Diagnostic, Severity, merge_scenarios, sort_diagnostics

UNUSED_SUPPRESSION = ("FLOW008", "flow.unused-suppression")


def _matches(selector: str, code: str, name: str) -> int:
    """How specifically a selector names a rule: length of the match, 0 for none."""
    if code.startswith(selector.upper()):
        return len(selector)
    if name == selector or name.startswith(selector.rstrip(".") + "."):
        return len(selector)
    return 0


def is_selected(
    code: str, name: str, select: Sequence[str] | None, ignore: Sequence[str] | None
) -> bool:
    """``--select``/``--ignore`` by code prefix or dotted name; the longest match wins
    (``--ignore SIP2 --select SIP201`` keeps SIP201)."""
    chosen = max((_matches(s, code, name) for s in select), default=0) if select else 1
    dropped = max((_matches(s, code, name) for s in ignore or ()), default=0)
    if chosen == 0:
        return False
    return dropped == 0 or chosen > dropped or (select is not None and chosen == dropped)


def _to_diagnostic(rule: type[Rule], finding: Finding, scenarios: tuple[str, ...]) -> Diagnostic:
    return Diagnostic(
        rule.code,
        rule.name,
        finding.severity or rule.severity,
        finding.loc,
        finding.message,
        scenarios,
    )


def run_rules(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    rules: Iterable[type[Rule]],
) -> list[Diagnostic]:
    """Every finding of the given rules, merged across scenarios (unsorted)."""
    ctx = CheckContext.for_flow(flow)
    found: list[Diagnostic] = []
    for rule_class in rules:
        rule = rule_class()
        if rule.scope == "file":
            found.extend(_to_diagnostic(rule_class, f, ()) for f in rule.check_flow(flow, ctx))
            continue
        for scenario in scenarios:
            found.extend(
                _to_diagnostic(rule_class, f, (scenario.name,))
                for f in rule.check_scenario(scenario, ctx)
            )
    return merge_scenarios(found)


def _statement_lines(statements: Iterable[ir.Statement]) -> set[tuple[str, int]]:
    lines: set[tuple[str, int]] = set()
    for statement in statements:
        if isinstance(statement, ir.Case | ir.Sequence):
            continue  # containers: their own statements count
        loc = statement.loc
        lines.update((loc.file, n) for n in range(loc.line, max(loc.line, loc.end_line) + 1))
    return lines


def _unchecked_lines(flow: ir.Flow, scenarios: Sequence[ir.Scenario]) -> set[tuple[str, int]]:
    """Lines of statements that no checked scenario holds (legs left out by --scenario)."""
    checked = _statement_lines(s for scenario in scenarios for s in scenario.statements())
    return _statement_lines(ir.walk_flow(flow)) - _statement_lines(flow.introduction) - checked


def apply_suppressions(
    flow: ir.Flow,
    diagnostics: list[Diagnostic],
    *,
    report_unused: bool = True,
    scenarios: Sequence[ir.Scenario] | None = None,
    skipped_rules: Sequence[type[Rule]] = (),
) -> list[Diagnostic]:
    """Drop findings named by a ``// callflow: ignore[...]`` on their statement's line.

    A suppression that suppressed nothing is reported (FLOW008) unless it names a rule in
    ``skipped_rules`` (not selected, so it could not fire) or stands on a statement of no
    checked scenario (``scenarios``: those checked, default all).
    """
    if not flow.suppressions:
        return diagnostics
    by_line: dict[tuple[str, int], list[ir.Suppression]] = {}
    for suppression in flow.suppressions:
        by_line.setdefault((suppression.loc.file, suppression.loc.line), []).append(suppression)
    used: set[tuple[int, str]] = set()
    kept: list[Diagnostic] = []
    for diag in diagnostics:
        suppressed = False
        for line in range(diag.loc.line, max(diag.loc.line, diag.loc.end_line) + 1):
            for suppression in by_line.get((diag.loc.file, line), ()):
                for code in suppression.codes:
                    if diag.code.startswith(code.upper()) or diag.name == code:
                        used.add((id(suppression), code))
                        suppressed = True
        if not suppressed:
            kept.append(diag)
    if report_unused:
        unchecked = _unchecked_lines(flow, scenarios) if scenarios is not None else set()
        for suppression in flow.suppressions:
            if (suppression.loc.file, suppression.loc.line) in unchecked:
                continue
            for code in suppression.codes:
                if any(_matches(code, r.code, r.name) for r in skipped_rules):
                    continue
                if (id(suppression), code) not in used:
                    kept.append(
                        Diagnostic(
                            *UNUSED_SUPPRESSION,
                            Severity.WARNING,
                            suppression.loc,
                            f"'callflow: ignore[{code}]' suppresses nothing on this line",
                        )
                    )
    return kept


def check_flow(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
) -> list[Diagnostic]:
    """Run the selected rules over every scenario; sorted, merged, suppressions applied."""
    rules = [r for r in all_rules() if is_selected(r.code, r.name, select, ignore)]
    skipped = [r for r in all_rules() if r not in rules]
    found = run_rules(flow, scenarios, rules)
    report_unused = is_selected(*UNUSED_SUPPRESSION, select, ignore)
    kept = apply_suppressions(
        flow, found, report_unused=report_unused, scenarios=scenarios, skipped_rules=skipped
    )
    return sort_diagnostics(kept)
