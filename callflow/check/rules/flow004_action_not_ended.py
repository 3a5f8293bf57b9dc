"""FLOW004 flow.action-not-ended."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity


@register
class ActionNotEnded(Rule):
    """An action is begun and never ended.

    Per (entity, action text): ``begins action`` opens it, ``ends action`` closes it.
    Fires at scenario end for each open action (points at the ``begins``). ``ends
    action`` with no open action of that text is an error under this code.
    """

    code = "FLOW004"
    name = "flow.action-not-ended"
    severity = Severity.WARNING
    summary = "An action is begun and never ended."
    source = CITATIONS["FLOW004"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        open_actions: dict[tuple[str, str], list[ir.BeginAction]] = {}
        for statement in scenario.statements():
            if isinstance(statement, ir.BeginAction):
                open_actions.setdefault((statement.entity.text, statement.text), []).append(
                    statement
                )
            elif isinstance(statement, ir.EndAction):
                stack = open_actions.get((statement.entity.text, statement.text))
                if stack:
                    stack.pop()
                else:
                    yield Finding(
                        statement.loc,
                        f'{statement.entity.text} ends action "{statement.text}" '
                        "that it never began",
                        Severity.ERROR,
                    )
        for (entity, text), stack in open_actions.items():
            for begin in stack:
                yield Finding(begin.loc, f'{entity} begins action "{text}" and never ends it')
