"""FLOW005 flow.deleted-entity-used."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity


@register
class DeletedEntityUsed(Rule):
    """A statement uses a dynamic entity outside its life.

    A dynamic entity exists from its ``creates`` to its ``deletes``. Any statement that
    uses it outside that span fires: before its creation or after its deletion (creating
    it again after a deletion starts a new life). The ``deletes`` itself is no use: it fires
    only when the entity was deleted before and not created again. Eternal entities
    always exist. Points at the statement.
    """

    code = "FLOW005"
    name = "flow.deleted-entity-used"
    severity = Severity.ERROR
    summary = "A statement uses a dynamic entity outside its life (before creates, after deletes)."
    source = CITATIONS["FLOW005"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        dynamic = {name for name, e in ctx.entities.items() if e.dynamic}
        if not dynamic:
            return
        alive: set[str] = set()
        deleted_at: dict[str, int] = {}
        for statement in scenario.statements():
            if isinstance(statement, ir.Create) and statement.created.text in dynamic:
                target = statement.created.text
                if target in alive:
                    yield Finding(statement.loc, f"{target} is created again while it exists")
                alive.add(target)
                users = (statement.creator,)
            elif isinstance(statement, ir.Delete) and statement.deleted.text in dynamic:
                target = statement.deleted.text
                # `delete X` / `X deletes self`: the entity ends its own life
                users = (statement.deleter,) if statement.deleter.text != target else ()
                # the deletes closes the span, it is no use of it: only a second deletion
                # fires (sip-rules.md §12: the failing snippet fires once, at the use)
                if target not in alive and target in deleted_at:
                    yield Finding(statement.loc, self._why(target, deleted_at, "deleted"))
                alive.discard(target)
                deleted_at[target] = statement.loc.line
            else:
                users = statement.entity_names()
            for name in users:
                if name.text in dynamic and name.text not in alive:
                    yield Finding(statement.loc, self._why(name.text, deleted_at, "used"))

    @staticmethod
    def _why(name: str, deleted_at: dict[str, int], verb: str) -> str:
        if name in deleted_at:
            return f"{name} is {verb} after it was deleted (line {deleted_at[name]})"
        return f"{name} is {verb} before it is created"
