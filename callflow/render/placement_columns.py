"""Placement's columns and header rows: which lifelines a flow has and what stands above.

The columns are the same in every scenario and view of a flow (declared entities and
separators in declaration order, a shared axis as one column, then the names no
declaration gives), so its diagrams line up; the header rows are one per grouping level in
use, adjacent columns under one group sharing a cell. The view options that change only
columns (an interface view's highlighted columns, the parent labels of EventStudio's
single-tier header) are here too; folding columns at a level is
:mod:`~callflow.render.placement_levels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from callflow import ir
from callflow.render.placement_model import ENV_COLUMNS, Column, HeaderCell, HeaderRow
from callflow.render.styles import StyleBook


def build_columns(
    flow: ir.Flow, scenarios: Sequence[ir.Scenario], focus: str | None
) -> list[Column]:
    """Declared entities (and separators) in declaration order, then undeclared names in
    order of use. ``env_l`` / ``env_r`` and group names (module-level actions) are not
    columns."""
    columns = _declared_columns(flow, focus)
    known = {name for c in columns for name in (c.name, *c.aliases)}
    known |= ENV_COLUMNS.keys() | _groups_with_entities(flow.architecture)
    for scenario in scenarios:
        for statement in scenario.statements():
            for name in statement.entity_names():
                if name.text not in known:
                    known.add(name.text)
                    columns.append(
                        Column(
                            len(columns),
                            name.text,
                            name.text,
                            undeclared=True,
                            highlighted=name.text == focus,
                        )
                    )
    return columns


def _declared_columns(flow: ir.Flow, focus: str | None) -> list[Column]:
    """The declared columns: one per entity, except that the entities of a shared axis
    (``dynamic: A | B``) are one column labelled ``A | B``; separators where declared."""
    arch = flow.architecture
    book = StyleBook(flow)
    shared: dict[str, list[ir.Entity]] = {}
    for entity in arch.entities:
        if entity.axis is not None:
            shared.setdefault(entity.axis, []).append(entity)
    heads = {e.name for e in arch.entities if e.axis is None}
    columns: list[Column] = []

    def separators(position: int) -> None:
        for separator in arch.separators:
            if separator.position == position:
                columns.append(
                    Column(len(columns), "", "", separator=True, parent=separator.parent)
                )

    for position, entity in enumerate(arch.entities):
        separators(position)
        if entity.axis is not None and entity.axis in heads:
            continue  # drawn on its axis's column
        others = shared.get(entity.name, [])
        aliases = tuple(e.name for e in others)
        columns.append(
            Column(
                index=len(columns),
                name=entity.name,
                label=" | ".join([entity.label, *(e.label for e in others)]),
                role=entity.role,
                dynamic=entity.dynamic,
                highlighted=focus is not None and focus in (entity.name, *aliases),
                color=entity.attribute("color"),
                aliases=aliases,
                look=book.look(entity.style, f"default_{entity.kind}_style") if book else None,
            )
        )
    separators(len(arch.entities))
    return columns


def _groups_with_entities(arch: ir.Architecture) -> set[str]:
    """Groups with an entity below them: a statement naming one spans its columns."""
    return {g.name for e in arch.entities for g in arch.ancestors(e.name)}


def column_index(columns: Sequence[Column]) -> dict[str, int]:
    """Entity name -> column index (every name of a shared axis; no separators)."""
    index: dict[str, int] = {}
    for column in columns:
        if column.separator:
            continue
        index[column.name] = column.index
        for alias in column.aliases:
            index[alias] = column.index
    return index


def _column_ancestors(arch: ir.Architecture, column: Column) -> tuple[ir.Group, ...]:
    """The groups above a column: a separator's are its parent and the parent's."""
    if not column.separator:
        return arch.ancestors(column.name)
    group = arch.group(column.parent) if column.parent is not None else None
    return (group, *arch.ancestors(group.name)) if group is not None else ()


def build_header_rows(
    flow: ir.Flow, columns: Sequence[Column], level: str | None = None
) -> tuple[HeaderRow, ...]:
    """One row per grouping level in use; adjacent columns under one group share a cell.
    In a view at an interaction ``level``, only the levels above it have rows."""
    arch = flow.architecture
    book = StyleBook(flow)
    levels = [lv for lv in ir.GROUP_LEVELS if any(g.level == lv for g in arch.groups)]
    if level is not None:
        levels = levels[: _levels_above(levels, level)]
    rows: list[HeaderRow] = []
    for level in levels:
        owners: list[ir.Group | None] = []
        for column in columns:
            owner = next((g for g in _column_ancestors(arch, column) if g.level == level), None)
            owners.append(owner)
        cells: list[HeaderCell] = []
        for index, owner in enumerate(owners):
            if cells and owner is not None and cells[-1].name == owner.name:
                previous = cells[-1]
                cells[-1] = HeaderCell(
                    previous.label, previous.first, index, owner.name, previous.color, previous.look
                )
            elif owner is None:
                cells.append(HeaderCell("", index, index))
            else:
                color = next((a.value for a in owner.attributes if a.key == "color"), None)
                look = book.look(owner.style, f"default_{owner.level}_style") if book else None
                cells.append(HeaderCell(owner.label, index, index, owner.name, color, look))
        rows.append(HeaderRow(level, tuple(cells)))
    return tuple(rows)


def _levels_above(levels: Sequence[str], level: str) -> int:
    """How many of ``levels`` (in ``GROUP_LEVELS`` order) lie above ``level``."""
    top = ir.GROUP_LEVELS.index(level)  # type: ignore[arg-type]
    return sum(1 for lv in levels if ir.GROUP_LEVELS.index(lv) < top)  # type: ignore[arg-type]


def highlight_members(columns: Sequence[Column], members: frozenset[str]) -> list[Column]:
    """An interface view's columns: every column of an entity it covers highlighted."""
    out: list[Column] = []
    for column in columns:
        mine = not column.separator and (
            column.name in members or any(a in members for a in column.aliases)
        )
        out.append(column if mine == column.highlighted else replace(column, highlighted=mine))
    return out


def with_parent_labels(flow: ir.Flow, columns: Sequence[Column]) -> list[Column]:
    """Each entity column with its nearest group's label (a folded column has none)."""
    out: list[Column] = []
    for column in columns:
        entity = flow.architecture.entity(column.name)
        parents = flow.architecture.ancestors(column.name) if entity is not None else ()
        if parents and not column.separator:
            column = replace(column, parent_label=parents[0].label)
        out.append(column)
    return out
