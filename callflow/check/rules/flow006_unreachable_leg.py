"""FLOW006 flow.unreachable-leg."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity


@register
class UnreachableLeg(Rule):
    """A ``case`` leg cannot be told apart or reached as its own scenario.

    Every leg yields scenarios (fdl.md §5), so a leg is unreachable when (a) an earlier
    leg of the same ``case`` has the same label (scenario names collide and
    ``--scenario`` can never pick the second), or (b) the leg has no statements (its
    scenario equals the one without the ``case``). Checked once per file; points at the
    ``leg`` label.
    """

    code = "FLOW006"
    name = "flow.unreachable-leg"
    severity = Severity.WARNING
    summary = "A case leg cannot be told apart or reached as its own scenario."
    source = CITATIONS["FLOW006"]
    scope = "file"

    def check_flow(self, flow: ir.Flow, ctx: CheckContext) -> Iterator[Finding]:
        for item in flow.body:
            yield from self._items(item)

    def _items(self, item: ir.Feature | ir.FileCase) -> Iterator[Finding]:
        if isinstance(item, ir.Feature):
            yield from self._statements(item.body)
            return
        yield from self._legs(item.legs)
        for leg in item.legs:
            for inner in leg.body:
                yield from self._items(inner)

    def _statements(self, body: Sequence[ir.Statement]) -> Iterator[Finding]:
        for statement in body:
            if isinstance(statement, ir.Case):
                yield from self._legs(statement.legs)
                for leg in statement.legs:
                    yield from self._statements(leg.body)
            elif isinstance(statement, ir.Sequence):
                yield from self._statements(statement.body)

    @staticmethod
    def _legs(legs: Sequence[ir.Leg | ir.FileLeg]) -> Iterator[Finding]:
        seen: dict[str, ir.SourceLocation] = {}
        for leg in legs:
            if leg.label in seen:
                yield Finding(
                    leg.loc,
                    f'leg "{leg.label}" has the same label as the leg at line '
                    f"{seen[leg.label].line}: their scenarios get the same name, and "
                    "--scenario cannot select this one by name",
                )
            else:
                seen[leg.label] = leg.loc
            if not leg.body:
                yield Finding(
                    leg.loc,
                    f'leg "{leg.label}" is empty: its scenario is the same as having no case',
                )
