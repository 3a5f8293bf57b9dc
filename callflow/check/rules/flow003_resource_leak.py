"""FLOW003 flow.resource-leak."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity


@register
class ResourceLeak(Rule):
    """A resource is allocated and never freed.

    Per (entity, resource name): ``allocates`` adds one, ``frees`` removes one. Fires at
    scenario end, or when its owner is deleted, for each resource still held (points at
    the ``allocates``). Freeing a resource that is not held is an error under this code
    (points at the ``frees``).
    """

    code = "FLOW003"
    name = "flow.resource-leak"
    severity = Severity.WARNING
    summary = "A resource is allocated and never freed."
    source = CITATIONS["FLOW003"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        held: dict[tuple[str, str], list[ir.ResourceAllocate]] = {}
        for statement in scenario.statements():
            if isinstance(statement, ir.ResourceAllocate):
                held.setdefault((statement.entity.text, statement.resource), []).append(statement)
            elif isinstance(statement, ir.ResourceFree):
                stack = held.get((statement.entity.text, statement.resource))
                if stack:
                    stack.pop()
                else:
                    yield Finding(
                        statement.loc,
                        f'{statement.entity.text} frees resource "{statement.resource}" '
                        "that it does not hold",
                        Severity.ERROR,
                    )
            elif isinstance(statement, ir.Delete):
                owner = statement.deleted.text
                for key in [k for k in held if k[0] == owner]:
                    for allocation in held.pop(key):
                        yield Finding(
                            allocation.loc,
                            f'resource "{key[1]}" is still held when {owner} is deleted '
                            f"(line {statement.loc.line})",
                        )
        for (entity, resource), stack in held.items():
            for allocation in stack:
                yield Finding(allocation.loc, f'{entity} never frees resource "{resource}"')
