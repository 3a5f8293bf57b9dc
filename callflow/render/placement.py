"""Placement: a scenario (and a view of it) -> logical columns, header rows and rows.

The first of the renderer's three stages (placement -> geometry -> drawing). No pixels
here: columns are indices, rows are a list in drawing order, text is still text. A view
decides which rows appear: the full diagram, or an entity's *interface view* (only the
messages it sends or receives, plus headings, remarks and what stands on its own
lifeline). Message numbers are the scenario's (fdl.md §6) in every view.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from callflow import ir

DEFAULT_WRAP = 48

RowKind = Literal[
    "feature",
    "heading",
    "message",
    "action",
    "begin",
    "end",
    "state",
    "timer-start",
    "timer-stop",
    "timeout",
    "allocate",
    "free",
    "create",
    "delete",
    "remark",
    "media",
    "media-stop",
    "mix",
    "stop-mixing",
    "group-start",
    "group-end",
]


@dataclass(frozen=True, slots=True)
class Column:
    """One lifeline. ``undeclared`` columns come from names no declaration gives."""

    index: int
    name: str
    label: str
    role: str | None = None
    dynamic: bool = False
    undeclared: bool = False
    highlighted: bool = False  # the entity whose interface view this is
    color: str | None = None


@dataclass(frozen=True, slots=True)
class HeaderCell:
    """A cell of a hierarchy row spanning columns ``first``..``last`` (inclusive)."""

    label: str
    first: int
    last: int
    name: str | None = None  # None: no group at this level above these columns
    color: str | None = None


@dataclass(frozen=True, slots=True)
class HeaderRow:
    level: ir.GroupLevel
    cells: tuple[HeaderCell, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One logical row. ``columns`` are the lifelines it touches (sender first)."""

    kind: RowKind
    text: str
    columns: tuple[int, ...] = ()
    remark: str | None = None
    number: int | None = None  # message number
    params: tuple[str, ...] = ()  # parameter texts written on the statement
    tooltip: str = ""
    call: str | None = None  # logical Call-ID (hover highlights the call)
    response: bool = False
    lost: bool = False
    depth: int = 0  # sequence-group nesting depth
    line: int = 0  # source line (stable ids, debugging)


@dataclass(frozen=True, slots=True)
class Placement:
    """Everything the geometry stage needs, with no pixel in it."""

    title: str
    scenario: str
    view: str  # "full" or "interface:<ENTITY>"
    columns: tuple[Column, ...]
    header_rows: tuple[HeaderRow, ...]
    rows: tuple[Row, ...]
    numbering: bool = True
    remarks: bool = True
    wrap: int = DEFAULT_WRAP
    theme: str = "default"

    @property
    def message_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.kind == "message")


# ----------------------------------------------------------------------------- columns


def _columns(flow: ir.Flow, scenarios: Sequence[ir.Scenario], focus: str | None) -> list[Column]:
    """Declared entities in declaration order, then undeclared names in order of use."""
    columns = [
        Column(
            index=i,
            name=e.name,
            label=e.label,
            role=e.role,
            dynamic=e.dynamic,
            highlighted=e.name == focus,
            color=e.attribute("color"),
        )
        for i, e in enumerate(flow.architecture.entities)
    ]
    known = {c.name for c in columns}
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


def _header_rows(flow: ir.Flow, columns: Sequence[Column]) -> tuple[HeaderRow, ...]:
    """One row per grouping level in use; adjacent columns under one group share a cell."""
    arch = flow.architecture
    levels = [lv for lv in ir.GROUP_LEVELS if any(g.level == lv for g in arch.groups)]
    rows: list[HeaderRow] = []
    for level in levels:
        owners: list[ir.Group | None] = []
        for column in columns:
            owner = next((g for g in arch.ancestors(column.name) if g.level == level), None)
            owners.append(owner)
        cells: list[HeaderCell] = []
        for index, owner in enumerate(owners):
            if cells and owner is not None and cells[-1].name == owner.name:
                previous = cells[-1]
                cells[-1] = HeaderCell(
                    previous.label, previous.first, index, owner.name, previous.color
                )
            elif owner is None:
                cells.append(HeaderCell("", index, index))
            else:
                color = next((a.value for a in owner.attributes if a.key == "color"), None)
                cells.append(HeaderCell(owner.label, index, index, owner.name, color))
        rows.append(HeaderRow(level, tuple(cells)))
    return tuple(rows)


# ----------------------------------------------------------------------------- rows


def param_text(param: ir.Param) -> str | None:
    """How a written parameter reads under the arrow (None: not shown)."""
    if param.key is None:
        return param.value
    key = param.key.lower()
    if key == "sdp":
        return f"SDP {param.value}" if param.value.lower() != "none" else None
    if key in ("protocol", "for"):
        return None
    if key == "body":
        return param.value
    return f"{param.key}: {param.value}"


def message_tooltip(number: int, message: ir.Message, resolved: ir.ResolvedMessage) -> str:
    """The full header list, written and inherited, for the hover tooltip."""
    arrow = " -x " if message.lost else " -> "
    head = f"{number}. {message.name}  {message.sender.text}{arrow}"
    head += ", ".join(r.text for r in message.receivers)
    lines = [head]
    if resolved.call is not None:
        lines.append(f"Call-ID: {resolved.call}")
    for header in resolved.headers:
        if header.key != "call-id":
            lines.append(f"{header.name}: {header.value}")
    if resolved.sdp and resolved.sdp != "none":
        lines.append(f"SDP: {resolved.sdp}")
    if resolved.body:
        lines.append(f"Body: {resolved.body}")
    protocol = message.protocol
    if protocol:
        lines.append(f"Protocol: {protocol}")
    for param in message.free_params:
        lines.append(param.value)
    if resolved.inherits_from is not None:
        lines.append(f"(passes on message {resolved.inherits_from})")
    return "\n".join(lines)


def _statement_row(
    statement: ir.Statement,
    col: dict[str, int],
    labels: dict[str, str],
    depth: int,
    numbers: dict[int, tuple[int, ir.ResolvedMessage]],
) -> Row | None:
    remark, line = statement.remark, statement.loc.line

    def one(kind: RowKind, entity: ir.Name, text: str) -> Row:
        return Row(kind, text, (col[entity.text],), remark, depth=depth, line=line)

    match statement:
        case ir.Message():
            number, resolved = numbers[id(statement)]
            params = tuple(t for t in (param_text(p) for p in statement.params) if t)
            return Row(
                "message",
                statement.name,
                (col[statement.sender.text], *(col[r.text] for r in statement.receivers)),
                remark,
                number=number,
                params=params,
                tooltip=message_tooltip(number, statement, resolved),
                call=resolved.call,
                response=statement.code is not None,
                lost=statement.lost,
                depth=depth,
                line=line,
            )
        case ir.Action():
            return one("action", statement.entity, statement.text)
        case ir.BeginAction():
            return one("begin", statement.entity, statement.text)
        case ir.EndAction():
            return one("end", statement.entity, statement.text)
        case ir.StateChange():
            return one("state", statement.entity, statement.state)
        case ir.TimerStart():
            text = statement.timer.text
            if statement.duration_text:
                text += f" {statement.duration_text}"
            return one("timer-start", statement.entity, text)
        case ir.TimerStop():
            return one("timer-stop", statement.entity, statement.timer.text)
        case ir.TimerTimeout():
            return one("timeout", statement.entity, statement.timer.text)
        case ir.ResourceAllocate():
            return one("allocate", statement.entity, statement.resource)
        case ir.ResourceFree():
            return one("free", statement.entity, statement.resource)
        case ir.Create():
            cols = (col[statement.creator.text], col[statement.created.text])
            return Row("create", statement.created.text, cols, remark, depth=depth, line=line)
        case ir.Delete():
            cols = (col[statement.deleter.text], col[statement.deleted.text])
            return Row("delete", statement.deleted.text, cols, remark, depth=depth, line=line)
        case ir.Heading():
            return Row("heading", statement.text, (), remark, depth=depth, line=line)
        case ir.Remark():
            return Row("remark", statement.text, (), statement.remark, depth=depth, line=line)
        case ir.MediaStart():
            codec = statement.attribute("codec", "PCMU")
            ptime = statement.attribute("ptime", "20ms")
            cols = (col[statement.a.text], col[statement.b.text])
            return Row("media", f"RTP {codec} {ptime}", cols, remark, depth=depth, line=line)
        case ir.MediaStop():
            cols = (col[statement.a.text], col[statement.b.text])
            return Row("media-stop", "RTP stopped", cols, remark, depth=depth, line=line)
        case ir.Mix():
            cols = (col[statement.mixer.text], *(col[p.text] for p in statement.parties))
            # the parties as their columns name them (as the PlantUML/Mermaid export does)
            text = "mixes " + ", ".join(labels[p.text] for p in statement.parties)
            return Row("mix", text, cols, remark, depth=depth, line=line)
        case ir.StopMixing():
            return one("stop-mixing", statement.mixer, "stops mixing")
    return None


def _walk(body: Sequence[ir.Statement], depth: int = 0) -> Iterator[tuple[ir.Statement | str, int]]:
    """Statements with their group depth; groups open and close with marker strings."""
    for statement in body:
        if isinstance(statement, ir.Sequence):
            yield (f"start:{statement.name}", depth)
            yield from _walk(statement.body, depth + 1)
            yield ("end", depth)
        else:
            yield statement, depth


def _involves(row: Row, focus: int) -> bool:
    if row.kind in ("heading", "remark", "group-start", "group-end", "feature"):
        return True
    if row.kind in ("mix",):
        return focus in row.columns
    return focus in row.columns


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
) -> Placement:
    """Lay a scenario out logically; ``entity`` selects that entity's interface view.

    Columns are the same in every scenario and view of a flow (``all_scenarios`` adds the
    undeclared names any of them uses), so diagrams of one flow line up.
    """
    columns = _columns(flow, all_scenarios or (scenario,), entity)
    col = {c.name: c.index for c in columns}
    labels = {c.name: c.label for c in columns}
    focus = col.get(entity) if entity is not None else None
    numbers = {
        id(m): (i + 1, resolved)
        for i, (m, resolved) in enumerate(zip(scenario.messages(), scenario.resolved, strict=True))
    }
    rows: list[Row] = []
    for feature in scenario.features:
        feature_rows: list[Row] = []
        for item, depth in _walk(feature.body):
            if isinstance(item, str):
                if item == "end":
                    feature_rows.append(Row("group-end", "", depth=depth))
                else:
                    feature_rows.append(Row("group-start", item[6:], depth=depth))
                continue
            row = _statement_row(item, col, labels, depth, numbers)
            if row is not None and (focus is None or _involves(row, focus)):
                feature_rows.append(row)
        if focus is not None:
            feature_rows = _drop_empty_groups(feature_rows)
            if not any(r.kind not in ("heading", "remark") for r in feature_rows):
                continue  # nothing of this feature involves the entity
        rows.append(Row("feature", feature.name, line=feature.loc.line))
        rows.extend(feature_rows)
    title = flow.display_title
    view = "full"
    if entity is not None:
        label = next((c.label for c in columns if c.name == entity), entity)
        title = f"{label} Interfaces ({flow.display_title})"
        view = f"interface:{entity}"
    return Placement(
        title=title,
        scenario=scenario.name,
        view=view,
        columns=tuple(columns),
        header_rows=_header_rows(flow, columns),
        rows=tuple(rows),
        numbering=numbering if numbering is not None else flow.option("numbering") != "off",
        remarks=remarks if remarks is not None else flow.option("remarks") != "off",
        wrap=wrap if wrap is not None else int(flow.option("wrap", str(DEFAULT_WRAP)) or 48),
        theme=theme if theme is not None else (flow.option("theme") or "default"),
    )


def _drop_empty_groups(rows: list[Row]) -> list[Row]:
    """In a view, a sequence group none of whose rows remain is not drawn."""
    out: list[Row] = []
    for row in rows:
        if row.kind == "group-end" and out and out[-1].kind == "group-start":
            out.pop()
        else:
            out.append(row)
    return out
