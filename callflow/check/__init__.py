"""``callflow check``: run every selected rule over every scenario of a flow.

Findings equal in (code, location, message) across scenarios are reported once with the
list of scenarios; ``// callflow: ignore[CODE]`` comments on a statement's line suppress
its findings, and a suppression that suppresses nothing is itself reported (FLOW008).
Which rules run is a :class:`Selection` (``--select``/``--ignore``, layered over the
configuration); severity overrides (``severity = {SIP104 = "error"}``) are applied to the
findings last.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, all_rules
from callflow.diagnostics import Diagnostic, Severity, merge_scenarios, sort_diagnostics
from callflow.gcpause import gc_paused


class UnusedSuppression(Rule):
    """A ``// callflow: ignore[...]`` comment suppressed nothing.

    The comment names codes, code prefixes or dotted names; it suppresses the findings of
    those rules whose statement starts on (or spans) the comment's line. When one of the
    names suppressed no finding there, the comment is stale or misspelt, and it is reported
    at the comment. Not reported for codes of rules that ``--select``/``--ignore`` left
    out, nor on statements of scenarios that ``--scenario`` left out: those could not
    have fired. Not one of the catalogue's rules: the checker itself produces it after
    the rules ran, so it is not registered, but it is selected, ignored and documented
    like one.
    """

    code = "FLOW008"
    name = "flow.unused-suppression"
    severity = Severity.WARNING
    summary = "A 'callflow: ignore[...]' comment suppressed nothing."
    source = CITATIONS["FLOW008"]
    scope = "file"


UNUSED_SUPPRESSION = (UnusedSuppression.code, UnusedSuppression.name)


def known_rules() -> list[type[Rule]]:
    """Every rule a user can select, look up or see documented: the registry's, plus
    FLOW008 (made by the checker, not registered), by code."""
    return sorted([*all_rules(), UnusedSuppression], key=lambda r: r.code)


def find_rule(query: str) -> type[Rule] | None:
    """The rule whose code (any case) or dotted name is exactly ``query``."""
    for rule in known_rules():
        if rule.code == query.upper() or rule.name == query:
            return rule
    return None


def rules_matching(selector: str) -> list[type[Rule]]:
    """The rules a ``--select``/``--ignore`` selector names (code prefix or dotted name)."""
    return [r for r in known_rules() if _matches(selector, r.code, r.name)]


def close_matches(query: str, limit: int = 3) -> list[str]:
    """Codes and names like ``query`` (for 'did you mean' messages)."""
    words = [w for r in known_rules() for w in (r.code, r.name)]
    upper = {w.upper(): w for w in words}
    found = difflib.get_close_matches(query.upper(), list(upper), n=limit, cutoff=0.6)
    return [upper[w] for w in found]


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


@dataclass(frozen=True)
class Layer:
    """One source of selectors: the config file, or the command line.

    ``select`` None means the layer does not restrict which rules run."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    def decides(self, code: str, name: str) -> bool | None:
        """True/False when this layer says whether the rule runs; None to defer."""
        if self.select is not None:
            return is_selected(code, name, self.select, self.ignore)
        if any(_matches(s, code, name) for s in self.ignore):
            return False
        return None


@dataclass(frozen=True)
class Selection:
    """Which rules run: layers, lowest first (config, then command line).

    For each rule the last layer that decides wins: a layer with ``select`` always
    decides (within it the longest match wins, ``--ignore SIP2 --select SIP201`` keeps
    SIP201); a layer with only ``ignore`` decides only for the rules it names. So
    ``--select`` on the command line replaces the config's selection, and ``--ignore`` on
    the command line adds to it.
    """

    layers: tuple[Layer, ...] = ()

    @classmethod
    def of(
        cls, select: Sequence[str] | None = None, ignore: Sequence[str] | None = None
    ) -> Selection:
        return cls((Layer(tuple(select) if select else None, tuple(ignore or ())),))

    def then(self, layer: Layer) -> Selection:
        """This selection with ``layer`` applied over it."""
        return Selection((*self.layers, layer))

    def selects(self, code: str, name: str) -> bool:
        for layer in reversed(self.layers):
            decided = layer.decides(code, name)
            if decided is not None:
                return decided
        return True


def _override_for(
    diag: Diagnostic, overrides: Mapping[str, Severity]
) -> tuple[int, Severity] | None:
    best: tuple[int, Severity] | None = None
    for selector, severity in overrides.items():
        score = _matches(selector, diag.code, diag.name)
        if score and (best is None or score > best[0]):
            best = (score, severity)
    return best


def apply_severity(
    diagnostics: Iterable[Diagnostic],
    overrides: Mapping[str, Severity] | Sequence[Mapping[str, Severity]] | None,
) -> list[Diagnostic]:
    """Findings with their severity replaced per ``overrides``: selector -> severity, the
    longest matching selector wins (as for ``--select``). Several mappings are layers
    applied in turn (config, then command line), so a later layer wins where it matches.
    Applied after the rules ran, so it changes every finding of a rule, whatever severity
    the rule chose for it."""
    layers = [overrides] if isinstance(overrides, Mapping) else list(overrides or ())
    out = list(diagnostics)
    for layer in layers:
        if not layer:
            continue
        for i, diag in enumerate(out):
            found = _override_for(diag, layer)
            if found is not None and found[1] is not diag.severity:
                out[i] = replace(diag, severity=found[1])
    return out


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
    selection: Selection | None = None,
    severity: Mapping[str, Severity] | Sequence[Mapping[str, Severity]] | None = None,
) -> list[Diagnostic]:
    """Run the selected rules over every scenario; sorted, merged, suppressions applied,
    then severities overridden.

    ``selection`` (layered, as the CLI builds it) or ``select``/``ignore`` (one layer);
    ``severity``: selector -> severity (see :func:`apply_severity`).
    """
    if selection is None:
        selection = Selection.of(select, ignore)
    rules = [r for r in all_rules() if selection.selects(r.code, r.name)]
    skipped = [r for r in all_rules() if r not in rules]
    # SIP models are many small objects and few cycles: with the collector running, its
    # full collections rescan the growing heap and the rules' time grows faster than the
    # flow (bench/check.py: x1.4 per message from 5000 to 20000 messages)
    with gc_paused():
        found = run_rules(flow, scenarios, rules)
    report_unused = selection.selects(*UNUSED_SUPPRESSION)
    kept = apply_suppressions(
        flow, found, report_unused=report_unused, scenarios=scenarios, skipped_rules=skipped
    )
    return sort_diagnostics(apply_severity(kept, severity))
