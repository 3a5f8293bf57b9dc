"""FLOW001 flow.undeclared-entity."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity

#: statements EventStudio lets a system, subsystem, module or component take part in
_GROUP_LEVEL_STATEMENTS = (
    ir.Action,
    ir.BeginAction,
    ir.EndAction,
    ir.StateChange,
    ir.ResourceAllocate,
    ir.ResourceFree,
)


@register
class UndeclaredEntity(Rule):
    """A statement names an entity that is not declared.

    Any entity name in a message, action, timer, resource, state, media, mixing, create
    or delete statement must be declared with ``eternal:`` or ``dynamic:``. Declared
    dynamic entities count as declared here; whether they exist at that point is
    FLOW005's business. The renderer still draws an undeclared entity, as an extra
    column marked undeclared. EventStudio's environment edges ``env_l`` and ``env_r`` are
    not entities, and an action, state or resource statement may name a declared group
    (a module-level action spans the module's columns). Checked once on the parsed file
    (every leg, whichever scenarios are selected), not per scenario. Points at the name
    token.
    """

    code = "FLOW001"
    name = "flow.undeclared-entity"
    severity = Severity.ERROR
    summary = "A statement names an entity that is not declared."
    source = CITATIONS["FLOW001"]
    scope = "file"

    def check_flow(self, flow: ir.Flow, ctx: CheckContext) -> Iterator[Finding]:
        declared = ctx.entities
        groups = {g.name for g in flow.architecture.groups}
        for statement in ir.walk_flow(flow):
            for name in statement.entity_names():
                if name.text in declared:
                    continue
                if name.text in ir.ENVIRONMENT_EDGES and isinstance(statement, ir.Message):
                    continue  # EventStudio's env_l / env_r: the diagram's edges
                if name.text in groups and isinstance(statement, _GROUP_LEVEL_STATEMENTS):
                    continue  # a module-level action or state spans the module
                close = difflib.get_close_matches(name.text, list(declared), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                yield Finding(name.loc, f"entity '{name.text}' is not declared{hint}")
