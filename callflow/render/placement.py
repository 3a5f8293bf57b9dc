"""Placement: a scenario (and a view of it) -> logical columns, header rows and rows.

The first of the renderer's three stages (placement -> geometry -> drawing). No pixels
here: columns are indices, rows are a list in drawing order, text is still text. A view
decides which rows appear: the full diagram, or an entity's *interface view* (only the
messages it sends or receives, plus headings, remarks and what stands on its own
lifeline). Message numbers are the scenario's (fdl.md §6) in every view.

This module is the stage's entry point, :func:`place`: it applies a view (the interface
filter, the excluded kinds, the level, the header and remark styles) to what its siblings
build. The types are :mod:`~callflow.render.placement_model`; the columns and header rows
:mod:`~callflow.render.placement_columns`; each statement's row
:mod:`~callflow.render.placement_rows`; the folding at an interaction level
:mod:`~callflow.render.placement_levels`. Every public name of those that callers used
from here is re-exported.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from callflow import ir
from callflow.render.placement_columns import (
    build_columns,
    build_header_rows,
    column_index,
    highlight_members,
    with_parent_labels,
)
from callflow.render.placement_levels import fold_columns, fold_row
from callflow.render.placement_model import (
    DEFAULT_WRAP,
    ENV_COLUMNS,
    ENV_LEFT,
    ENV_RIGHT,
    Column,
    HeaderCell,
    HeaderRow,
    Placement,
    Row,
    RowKind,
    Tag,
)
from callflow.render.placement_rows import (
    ChainRun,
    GroupMark,
    RowExtras,
    Walked,
    message_tooltip,
    param_text,
    statement_row,
    walk_body,
    without_params,
)
from callflow.render.views import (
    excluded_statement,
    group_members,
    resolve_interface,
    theme_callouts,
    theme_header,
    theme_parent_in_header,
)

__all__ = [
    "DEFAULT_WRAP",
    "ENV_COLUMNS",
    "ENV_LEFT",
    "ENV_RIGHT",
    "Column",
    "HeaderCell",
    "HeaderRow",
    "Placement",
    "Row",
    "RowKind",
    "Tag",
    "Walked",
    "column_index",
    "message_tooltip",
    "param_text",
    "place",
]


def _walked_names(item: Walked, groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The entities a walked item names (a group name stands for every entity below it);
    empty for what names none (headings, remarks, group marks, pauses)."""
    if isinstance(item, GroupMark):
        return frozenset()
    statements = item.messages if isinstance(item, ChainRun) else (item,)
    names: set[str] = set()
    for statement in statements:
        for name in statement.entity_names():
            names.add(name.text)
            names |= groups.get(name.text, frozenset())
    return frozenset(names)


def _involves(names: frozenset[str], members: frozenset[str]) -> bool:
    """An interface view keeps what names one of its entities, and what names none
    (headings, remarks, block remarks, pauses, sequence groups)."""
    return not names or not names.isdisjoint(members)


def _drop_empty_groups(rows: list[Row]) -> list[Row]:
    """In a view, a sequence group none of whose rows remain is not drawn."""
    out: list[Row] = []
    for row in rows:
        if row.kind == "group-end" and out and out[-1].kind == "group-start":
            out.pop()
        else:
            out.append(row)
    return out


def place(
    flow: ir.Flow,
    scenario: ir.Scenario,
    *,
    entity: str | None = None,
    numbering: bool | None = None,
    remarks: bool | None = None,
    wrap: int | None = None,
    theme: str | None = None,
    all_scenarios: Sequence[ir.Scenario] | None = None,
    level: str | None = None,
    level_internal: str = "show",
    exclude: Collection[str] = (),
    header: bool | None = None,
    callouts: bool | None = None,
) -> Placement:
    """Lay a scenario out logically; ``entity`` selects an interface view.

    Columns are the same in every scenario and view of a flow (``all_scenarios`` adds the
    undeclared names any of them uses), so diagrams of one flow line up.

    EventStudio's document views (docs/rendering.md, "Views"): ``entity`` may name an
    object, an object type or a group (the rows involving any entity it covers);
    ``level`` folds every column into its group at that level, and messages that then
    stay inside one column are self-messages (``level_internal="show"``) or not drawn
    (``"hide"``); ``exclude`` leaves out element kinds (:data:`views.EXCLUDES`);
    ``header`` False keeps only the entity boxes, True or None a row per level in use;
    ``callouts`` draws remarks beside their statements (None: as the features' themes say).
    """
    if level is not None and level not in ir.GROUP_LEVELS:
        raise ValueError(f"unknown interaction level {level!r}")
    chosen = resolve_interface(flow, entity) if entity is not None else None
    members: frozenset[str] | None = None
    if entity is not None:
        members = chosen.members if chosen is not None else frozenset({entity})
    columns = build_columns(flow, all_scenarios or (scenario,), entity)
    if members is not None:
        columns = highlight_members(columns, members)
    col = column_index(columns)
    labels = {c.name: c.label for c in columns}
    object_columns = columns
    folded: frozenset[int] = frozenset()
    if level is not None:
        columns, col, folded = fold_columns(flow, columns, col, level)
        labels = {name: columns[index].label for name, index in col.items()}
    numbers = {
        id(m): (i + 1, resolved)
        for i, (m, resolved) in enumerate(zip(scenario.messages(), scenario.resolved, strict=True))
    }
    extras = RowExtras(flow, columns, col, scenario)
    groups = group_members(flow.architecture) if members is not None else {}
    rows: list[Row] = []
    for feature in scenario.features:
        feature_rows: list[Row] = []
        involved = False
        for item, depth in walk_body(feature.body):
            if isinstance(item, ir.Statement) and excluded_statement(item, tuple(exclude)):
                continue
            names = _walked_names(item, groups) if members is not None else frozenset()
            if members is not None and not _involves(names, members):
                continue
            row = statement_row(item, col, labels, depth, numbers, extras)
            if row is not None and level is not None:
                row = fold_row(row, item, flow, level_internal, labels, folded)
            if row is None:
                continue
            if "parameters" in exclude:
                row = without_params(row)
            feature_rows.append(row)
            involved = involved or bool(names)
        if members is not None:
            feature_rows = _drop_empty_groups(feature_rows)
            if not involved:
                continue  # nothing of this feature involves the entity
        rows.append(Row("feature", feature.name, line=feature.loc.line))
        rows.extend(feature_rows)
    title = flow.display_title
    view = "full"
    if entity is not None:
        label = next((c.label for c in object_columns if c.name == entity), None)
        if label is None:
            label = chosen.label if chosen is not None else entity
        title = f"{label} Interfaces ({flow.display_title})"
        view = f"interface:{entity}"
    if header is None:
        header = theme_header(flow, scenario)
    if header is False and theme_parent_in_header(flow, scenario):
        columns = with_parent_labels(flow, columns)
    return Placement(
        title=title,
        scenario=scenario.name,
        view=view,
        columns=tuple(columns),
        header_rows=() if header is False else build_header_rows(flow, columns, level),
        rows=tuple(rows),
        numbering=numbering if numbering is not None else flow.option("numbering") != "off",
        remarks=remarks if remarks is not None else flow.option("remarks") != "off",
        wrap=wrap if wrap is not None else int(flow.option("wrap", str(DEFAULT_WRAP)) or 48),
        theme=theme if theme is not None else (flow.option("theme") or "default"),
        callouts=callouts if callouts is not None else theme_callouts(flow, scenario),
    )
