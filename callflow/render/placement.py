"""Placement: a scenario (and a view of it) -> logical columns, header rows and rows.

The first of the renderer's three stages (placement -> geometry -> drawing). No pixels
here: columns are indices, rows are a list in drawing order, text is still text. A view
decides which rows appear: the full diagram, or an entity's *interface view* (only the
messages it sends or receives, plus headings, remarks and what stands on its own
lifeline). Message numbers are the scenario's (fdl.md §6) in every view.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from callflow import ir
from callflow.render.styles import Look, StyleBook, safe_link
from callflow.render.views import (
    excluded_statement,
    group_members,
    level_owner,
    resolve_interface,
    theme_callouts,
    theme_header,
    theme_parent_in_header,
)

DEFAULT_WRAP = 48

#: ``Row.columns`` entries for EventStudio's environment edges (``env_l`` / ``env_r``):
#: the left and right edge of the diagram, not columns
ENV_LEFT = -1
ENV_RIGHT = -2
ENV_COLUMNS = {"env_l": ENV_LEFT, "env_r": ENV_RIGHT}

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
    "timer-periodic",
    "pause",
    "block-remark",
    "chain",
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
    #: EventStudio's ``separator``: an empty column (no box, no lifeline)
    separator: bool = False
    #: a separator's group (header cells follow it)
    parent: str | None = None
    #: the other entities sharing this column's axis (``dynamic: A | B``)
    aliases: tuple[str, ...] = ()
    look: Look | None = None  # the entity's (or its default) style
    #: the parent group's label, shown under the name in EventStudio's single-tier
    #: header when a theme says ``displayParentInLightWeightHeader = "true"``
    parent_label: str | None = None


@dataclass(frozen=True, slots=True)
class HeaderCell:
    """A cell of a hierarchy row spanning columns ``first``..``last`` (inclusive)."""

    label: str
    first: int
    last: int
    name: str | None = None  # None: no group at this level above these columns
    color: str | None = None
    look: Look | None = None  # the group's (or its level's default) style


@dataclass(frozen=True, slots=True)
class HeaderRow:
    level: ir.GroupLevel
    cells: tuple[HeaderCell, ...]


@dataclass(frozen=True, slots=True)
class Tag:
    """A tagged arrow end (``"Lima"-"5060"``): the text and its style."""

    text: str
    look: Look | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One logical row. ``columns`` are the lifelines it touches (sender first);
    ``ENV_LEFT`` / ``ENV_RIGHT`` stand for the diagram's edges."""

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
    #: messages: "normal", "bold", "bidirectional" or "bold-bidirectional"
    arrow: str = "normal"
    call_kind: str = "message"  # "message", "invoke" or "return"
    sender_tag: Tag | None = None
    receiver_tags: tuple[Tag | None, ...] = ()  # one per receiver
    look: Look | None = None  # the statement's style
    remark_look: Look | None = None  # default_remark_style
    link: str | None = None  # a safe link (styles.safe_link)
    show_number: bool = True  # a theme may turn message numbers off for a feature
    group_kind: str = "sequence"  # group-start rows: sequence, preconditions, loop
    hops: tuple[Row, ...] = ()  # a chain row's messages, in order, on one line


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
    #: remarks drawn as callouts beside their statement (no remarks column)
    callouts: bool = False

    @property
    def message_rows(self) -> tuple[Row, ...]:
        """Every message row in order, a chain's hops included."""
        out: list[Row] = []
        for row in self.rows:
            if row.kind == "message":
                out.append(row)
            elif row.kind == "chain":
                out.extend(row.hops)
        return tuple(out)


# ----------------------------------------------------------------------------- columns


def _columns(flow: ir.Flow, scenarios: Sequence[ir.Scenario], focus: str | None) -> list[Column]:
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


def _header_rows(
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


# ----------------------------------------------------------------------------- rows


#: EventStudio's default style for each statement kind (used when a statement has none)
_DEFAULT_STYLES: dict[type[ir.Statement], tuple[str, ...]] = {
    ir.Create: ("default_create_style",),
    ir.Delete: ("default_delete_style",),
    ir.Remark: ("default_remark_style",),
    ir.BlockRemark: ("default_block_remark_style",),
    ir.TimerStart: ("default_timer_style",),
    ir.TimerStop: ("default_timer_style",),
    ir.TimerTimeout: ("default_timer_style",),
    ir.StateChange: ("default_state_style",),
    ir.Action: ("default_action_style",),
    ir.BeginAction: ("default_continuous_action_style",),
    ir.EndAction: ("default_continuous_action_style",),
    ir.ResourceAllocate: ("default_allocate_style",),
    ir.ResourceFree: ("default_free_style",),
    ir.Heading: ("default_heading_style",),
}


def _message_defaults(message: ir.Message) -> tuple[str, ...]:
    if message.call_kind == "invoke":
        return ("default_invokes_style",)
    if message.call_kind == "return":
        return ("default_returns_style",)
    if message.is_multicast:
        return ("default_multicast_style", "default_message_style")
    if message.cascade:
        return ("default_cascaded_message_style", "default_message_style")
    return ("default_message_style",)


def _unnumbered_features(flow: ir.Flow, book: StyleBook) -> set[ir.SourceLocation]:
    """Features whose theme says ``assignSequenceNumbersInSequenceDiagrams = "false"``."""
    found: set[ir.SourceLocation] = set()

    def visit(items: tuple[ir.Feature | ir.FileCase, ...]) -> None:
        for item in items:
            if isinstance(item, ir.Feature):
                theme = book.theme(item.theme)
                key = "assignSequenceNumbersInSequenceDiagrams"
                value = theme.attribute(key) if theme is not None else None
                if value is not None and value.strip().lower() == "false":
                    found.add(item.loc)
            else:
                for leg in item.legs:
                    visit(leg.body)

    visit(flow.body)
    return found


class _RowExtras:
    """What rows need beyond the column map: styles, group spans, environment edges,
    the messages a theme leaves unnumbered."""

    def __init__(
        self, flow: ir.Flow, columns: Sequence[Column], col: dict[str, int], scenario: ir.Scenario
    ) -> None:
        self.book = StyleBook(flow)
        self.col = col
        arch = flow.architecture
        self.groups: dict[str, tuple[int, ...]] = {}
        for group in arch.groups:
            below = sorted(
                {
                    col[e.name]
                    for e in arch.entities
                    if e.name in col and any(g.name == group.name for g in arch.ancestors(e.name))
                }
            )
            if below:
                self.groups[group.name] = tuple(below)
        self.unnumbered: set[int] = set()
        unnumbered = _unnumbered_features(flow, self.book) if self.book.themes else set()
        for feature in scenario.features:
            if feature.loc in unnumbered:
                self.unnumbered.update(
                    id(s) for s in ir.walk_statements(feature.body) if isinstance(s, ir.Message)
                )

    def columns_of(self, name: ir.Name) -> tuple[int, ...]:
        """The columns a name stands for: its own, an environment edge, or every column
        of a group (EventStudio's module-level actions)."""
        text = name.text
        if text in self.col:
            return (self.col[text],)
        if text in ENV_COLUMNS:
            return (ENV_COLUMNS[text],)
        return self.groups[text]

    def column_of(self, name: ir.Name) -> int:
        """One column for an arrow end (a group: its first column)."""
        return self.columns_of(name)[0]

    def spanned(self, names: Sequence[ir.Name]) -> tuple[int, ...]:
        """The columns of a (joint) statement, the first name's first."""
        out: list[int] = []
        for name in names:
            for index in self.columns_of(name):
                if index not in out:
                    out.append(index)
        return tuple(out)

    def look(self, statement: ir.Statement) -> Look | None:
        if not self.book:
            return None
        if isinstance(statement, ir.Message):
            defaults = _message_defaults(statement)
        else:
            defaults = _DEFAULT_STYLES.get(type(statement), ())
        return self.book.look(statement.style, *defaults)

    def remark_look(self, statement: ir.Statement) -> Look | None:
        if not self.book or statement.remark is None:
            return None
        return self.book.look(None, "default_remark_style")

    def tag(self, text: str | None) -> Tag | None:
        if text is None:
            return None
        look = self.book.look(f"{text}_tag_style", "default_tag_style") if self.book else None
        return Tag(text, look)


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


_TOOLTIP_ARROWS = {
    "normal": " -> ",
    "bold": " => ",
    "bidirectional": " <-> ",
    "bold-bidirectional": " <=> ",
}


def message_tooltip(number: int, message: ir.Message, resolved: ir.ResolvedMessage) -> str:
    """The full header list, written and inherited, for the hover tooltip (and how the
    arrow is drawn, when that is not a plain arrow)."""
    arrow = " -x " if message.lost else _TOOLTIP_ARROWS.get(message.arrow, " -> ")
    name = " ".join(message.name.split("\n"))
    head = f"{number}. {name}  {message.sender.text}{arrow}"
    head += ", ".join(r.text for r in message.receivers)
    lines = [head]
    if message.call_kind == "invoke":
        lines.append("Method call (invokes)")
    elif message.call_kind == "return":
        lines.append("Return of a method call (returns)")
    if message.arrow == "bold":
        lines.append("Bold arrow")
    elif message.arrow in ir.BIDIRECTIONAL:
        lines.append("Both ways" + (", bold arrow" if message.arrow.startswith("bold") else ""))
    if message.sender_tag is not None:
        lines.append(f"Tag at {message.sender.text}: {message.sender_tag}")
    for receiver, tag in zip(message.receivers, message.receiver_tags, strict=False):
        if tag is not None:
            lines.append(f"Tag at {receiver.text}: {tag}")
    if message.is_multicast:
        lines.append("Multicast to " + ", ".join(r.text for r in message.receivers))
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


@dataclass(frozen=True, slots=True)
class _GroupMark:
    """Where a (non-chain) group opens or closes in :func:`_walk`'s sequence."""

    group: ir.Sequence
    start: bool


@dataclass(frozen=True, slots=True)
class _Chain:
    """Consecutive messages of a ``chain { }``: drawn on one row."""

    messages: tuple[ir.Message, ...]
    remark: str | None  # the chain's own remark (on its first row)
    loc: ir.SourceLocation


Walked = ir.Statement | _GroupMark | _Chain


def _message_row(
    statement: ir.Message,
    extras: _RowExtras,
    depth: int,
    numbers: dict[int, tuple[int, ir.ResolvedMessage]],
) -> Row:
    number, resolved = numbers[id(statement)]
    params = tuple(t for t in (param_text(p) for p in statement.params) if t)
    return Row(
        "message",
        statement.name,
        (
            extras.column_of(statement.sender),
            *(extras.column_of(r) for r in statement.receivers),
        ),
        statement.remark,
        number=number,
        params=params,
        tooltip=message_tooltip(number, statement, resolved),
        call=resolved.call,
        response=statement.code is not None,
        lost=statement.lost,
        depth=depth,
        line=statement.loc.line,
        arrow=statement.arrow,
        call_kind=statement.call_kind,
        sender_tag=extras.tag(statement.sender_tag),
        receiver_tags=tuple(extras.tag(t) for t in statement.receiver_tags),
        look=extras.look(statement),
        remark_look=extras.remark_look(statement),
        link=safe_link(statement.link),
        show_number=id(statement) not in extras.unnumbered,
    )


def _statement_row(
    statement: Walked,
    col: dict[str, int],
    labels: dict[str, str],
    depth: int,
    numbers: dict[int, tuple[int, ir.ResolvedMessage]],
    extras: _RowExtras,
) -> Row | None:
    if isinstance(statement, _GroupMark):
        group = statement.group
        if not statement.start:
            return Row("group-end", "", depth=depth, group_kind=group.kind)
        look = extras.look(group)
        return Row(
            "group-start",
            f"loop: {group.name}" if group.kind == "loop" else group.name,
            (),
            group.remark,
            depth=depth,
            line=group.loc.line,
            look=look,
            remark_look=extras.remark_look(group),
            link=safe_link(group.link),
            group_kind=group.kind,
        )
    if isinstance(statement, _Chain):
        hops = tuple(_message_row(m, extras, depth, numbers) for m in statement.messages)
        remarks = [r for r in (statement.remark, *(h.remark for h in hops)) if r]
        columns: list[int] = []
        for hop in hops:
            columns.extend(c for c in hop.columns if c not in columns)
        return Row(
            "chain",
            "",
            tuple(columns),
            " ".join(remarks) if remarks else None,
            depth=depth,
            line=statement.loc.line,
            remark_look=extras.book.look(None, "default_remark_style") if remarks else None,
            hops=hops,
        )
    remark, line = statement.remark, statement.loc.line
    look = extras.look(statement)
    remark_look = extras.remark_look(statement)
    link = safe_link(statement.link)

    def one(kind: RowKind, names: Sequence[ir.Name], text: str) -> Row:
        return Row(
            kind,
            text,
            extras.spanned(names),
            remark,
            depth=depth,
            line=line,
            look=look,
            remark_look=remark_look,
            link=link,
        )

    match statement:
        case ir.Message():
            return _message_row(statement, extras, depth, numbers)
        case ir.Action():
            return one("action", statement.entity_names(), statement.text)
        case ir.BeginAction():
            return one("begin", statement.entity_names(), statement.text)
        case ir.EndAction():
            return one("end", statement.entity_names(), statement.text)
        case ir.StateChange():
            return one("state", statement.entity_names(), statement.state)
        case ir.TimerStart():
            text = statement.timer.text
            if statement.duration_text:
                text += f" {statement.duration_text}"
            kind: RowKind = "timer-periodic" if statement.periodic else "timer-start"
            return one(kind, (statement.entity,), text)
        case ir.TimerStop():
            return one("timer-stop", (statement.entity,), statement.timer.text)
        case ir.TimerTimeout():
            return one("timeout", (statement.entity,), statement.timer.text)
        case ir.ResourceAllocate():
            return one("allocate", statement.entity_names(), statement.resource)
        case ir.ResourceFree():
            return one("free", statement.entity_names(), statement.resource)
        case ir.Create():
            cols = (extras.column_of(statement.creator), extras.column_of(statement.created))
            params = tuple(t for t in (param_text(p) for p in statement.params) if t)
            return Row(
                "create",
                statement.created.text,
                cols,
                remark,
                params=params,
                depth=depth,
                line=line,
                look=look,
                remark_look=remark_look,
                link=link,
            )
        case ir.Delete():
            cols = (extras.column_of(statement.deleter), extras.column_of(statement.deleted))
            return Row(
                "delete",
                statement.deleted.text,
                cols,
                remark,
                depth=depth,
                line=line,
                look=look,
                remark_look=remark_look,
                link=link,
            )
        case ir.Heading():
            return Row(
                "heading", statement.text, (), remark, depth=depth, line=line, look=look, link=link
            )
        case ir.Remark():
            return Row(
                "remark",
                statement.text,
                (),
                statement.remark,
                depth=depth,
                line=line,
                remark_look=look,
                link=link,
            )
        case ir.BlockRemark():
            verbatim = look is not None and look.verbatim and statement.lines
            return Row(
                "block-remark",
                "\n".join(statement.lines) if verbatim else statement.text,
                (),
                remark,
                depth=depth,
                line=line,
                look=look,
                remark_look=remark_look,
                link=link,
            )
        case ir.Pause():
            return Row("pause", "", (), remark, depth=depth, line=line, remark_look=remark_look)
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
            return one("stop-mixing", (statement.mixer,), "stops mixing")
    return None


def _walk(body: Sequence[ir.Statement], depth: int = 0) -> Iterator[tuple[Walked, int]]:
    """Statements with their group depth; groups open and close with marks, and the
    consecutive messages of a chain come as one :class:`_Chain`."""
    for statement in body:
        if not isinstance(statement, ir.Sequence):
            yield statement, depth
        elif statement.kind == "chain":
            yield from _walk_chain(statement, depth)
        else:
            yield _GroupMark(statement, True), depth
            yield from _walk(statement.body, depth + 1)
            yield _GroupMark(statement, False), depth


def _walk_chain(chain: ir.Sequence, depth: int) -> Iterator[tuple[Walked, int]]:
    """A chain's messages on one row (its remark on the first); anything else in it on
    rows of its own."""
    remark = chain.remark
    run: list[ir.Message] = []
    for statement in chain.body:
        if isinstance(statement, ir.Message):
            run.append(statement)
            continue
        if run:
            yield _Chain(tuple(run), remark, run[0].loc), depth
            run, remark = [], None
        yield from _walk((statement,), depth)
    if run:
        yield _Chain(tuple(run), remark, run[0].loc), depth


def _walked_names(item: Walked, groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The entities a walked item names (a group name stands for every entity below it);
    empty for what names none (headings, remarks, group marks, pauses)."""
    if isinstance(item, _GroupMark):
        return frozenset()
    statements = item.messages if isinstance(item, _Chain) else (item,)
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
    columns = _columns(flow, all_scenarios or (scenario,), entity)
    if members is not None:
        columns = _highlight(columns, members)
    col = column_index(columns)
    labels = {c.name: c.label for c in columns}
    object_columns = columns
    folded: frozenset[int] = frozenset()
    if level is not None:
        columns, col, folded = _fold_columns(flow, columns, col, level)
        labels = {name: columns[index].label for name, index in col.items()}
    numbers = {
        id(m): (i + 1, resolved)
        for i, (m, resolved) in enumerate(zip(scenario.messages(), scenario.resolved, strict=True))
    }
    extras = _RowExtras(flow, columns, col, scenario)
    groups = group_members(flow.architecture) if members is not None else {}
    rows: list[Row] = []
    for feature in scenario.features:
        feature_rows: list[Row] = []
        involved = False
        for item, depth in _walk(feature.body):
            if isinstance(item, ir.Statement) and excluded_statement(item, tuple(exclude)):
                continue
            names = _walked_names(item, groups) if members is not None else frozenset()
            if members is not None and not _involves(names, members):
                continue
            row = _statement_row(item, col, labels, depth, numbers, extras)
            if row is not None and level is not None:
                row = _fold_row(row, item, flow, level_internal, labels, folded)
            if row is None:
                continue
            if "parameters" in exclude:
                row = _without_params(row)
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
        columns = _with_parent_labels(flow, columns)
    return Placement(
        title=title,
        scenario=scenario.name,
        view=view,
        columns=tuple(columns),
        header_rows=() if header is False else _header_rows(flow, columns, level),
        rows=tuple(rows),
        numbering=numbering if numbering is not None else flow.option("numbering") != "off",
        remarks=remarks if remarks is not None else flow.option("remarks") != "off",
        wrap=wrap if wrap is not None else int(flow.option("wrap", str(DEFAULT_WRAP)) or 48),
        theme=theme if theme is not None else (flow.option("theme") or "default"),
        callouts=callouts if callouts is not None else theme_callouts(flow, scenario),
    )


def _with_parent_labels(flow: ir.Flow, columns: Sequence[Column]) -> list[Column]:
    """Each entity column with its nearest group's label (a folded column has none)."""
    out: list[Column] = []
    for column in columns:
        entity = flow.architecture.entity(column.name)
        parents = flow.architecture.ancestors(column.name) if entity is not None else ()
        if parents and not column.separator:
            column = replace(column, parent_label=parents[0].label)
        out.append(column)
    return out


def _drop_empty_groups(rows: list[Row]) -> list[Row]:
    """In a view, a sequence group none of whose rows remain is not drawn."""
    out: list[Row] = []
    for row in rows:
        if row.kind == "group-end" and out and out[-1].kind == "group-start":
            out.pop()
        else:
            out.append(row)
    return out


# ----------------------------------------------------------------------------- views


def _highlight(columns: Sequence[Column], members: frozenset[str]) -> list[Column]:
    """An interface view's columns: every column of an entity it covers highlighted."""
    out = []
    for column in columns:
        mine = not column.separator and (
            column.name in members or any(a in members for a in column.aliases)
        )
        out.append(column if mine == column.highlighted else replace(column, highlighted=mine))
    return out


def _levels_above(levels: Sequence[str], level: str) -> int:
    """How many of ``levels`` (in ``GROUP_LEVELS`` order) lie above ``level``."""
    top = ir.GROUP_LEVELS.index(level)  # type: ignore[arg-type]
    return sum(1 for lv in levels if ir.GROUP_LEVELS.index(lv) < top)  # type: ignore[arg-type]


def _fold_columns(
    flow: ir.Flow, columns: Sequence[Column], col: Mapping[str, int], level: str
) -> tuple[list[Column], dict[str, int], frozenset[int]]:
    """The columns of a view at an interaction level: each column folded into its group
    at that level, where its first entity stood (an entity with no group there keeps its
    column); a separator inside a folded group goes. Returns the columns, the entity
    name -> column map and the folded (group) columns."""
    arch = flow.architecture
    book = StyleBook(flow)
    depth = ir.GROUP_LEVELS.index(level)  # type: ignore[arg-type]
    out: list[Column] = []
    moved: dict[int, int] = {}  # old column index -> new
    slot: dict[str, int] = {}  # group name -> its column
    for column in columns:
        if column.separator:
            parent = arch.group(column.parent) if column.parent is not None else None
            if parent is None or ir.GROUP_LEVELS.index(parent.level) < depth:
                out.append(replace(column, index=len(out)))
            continue
        owner = None if column.undeclared else level_owner(arch, column.name, level)
        if owner is None:
            moved[column.index] = len(out)
            out.append(replace(column, index=len(out)))
        elif owner.name in slot:
            index = moved[column.index] = slot[owner.name]
            if column.highlighted and not out[index].highlighted:
                out[index] = replace(out[index], highlighted=True)
        else:
            index = moved[column.index] = slot[owner.name] = len(out)
            out.append(
                Column(
                    index=index,
                    name=owner.name,
                    label=owner.label,
                    highlighted=column.highlighted,
                    color=next((a.value for a in owner.attributes if a.key == "color"), None),
                    look=book.look(owner.style, f"default_{owner.level}_style") if book else None,
                )
            )
    folded = frozenset(slot.values())
    return out, {name: moved[index] for name, index in col.items()}, folded


def _without_params(row: Row) -> Row:
    """A row with no parameter lines (``exclude: parameters``)."""
    if row.hops:
        row = replace(row, hops=tuple(_without_params(h) for h in row.hops))
    return replace(row, params=()) if row.params else row


def _fold_message(row: Row, internal: str, was_self: bool) -> Row | None:
    """A message row at a level: receivers folded into the sender's column leave the
    arrow (two into one column make one arrow); when none is left, the message is a
    self-message, or gone with ``internal="hide"``. A written self-message stays."""
    sender, *receivers = row.columns
    if was_self or not receivers:
        return row
    tags = list(row.receiver_tags) + [None] * (len(receivers) - len(row.receiver_tags))
    kept: list[tuple[int, Tag | None]] = []
    for column, tag in zip(receivers, tags, strict=False):
        if column != sender and all(column != c for c, _ in kept):
            kept.append((column, tag))
    if len(kept) == len(receivers):
        return row
    if not kept:
        if internal == "hide":
            return None
        kept = [(sender, tags[0] if tags else None)]
    return replace(
        row,
        columns=(sender, *(c for c, _ in kept)),
        receiver_tags=tuple(t for _, t in kept) if row.receiver_tags else (),
    )


def _entity_label(flow: ir.Flow, name: str) -> str:
    entity = flow.architecture.entity(name)
    return entity.label if entity is not None else name


def _fold_row(
    row: Row,
    item: Walked,
    flow: ir.Flow,
    internal: str,
    labels: Mapping[str, str],
    folded: frozenset[int],
) -> Row | None:
    """A row at an interaction level (its columns are folded already): see
    docs/rendering.md, "Views". None: not drawn at this level."""
    if row.kind == "message":
        return _fold_message(row, internal, isinstance(item, ir.Message) and item.is_self)
    if row.kind == "chain" and isinstance(item, _Chain):
        hops = [
            hop
            for hop in (
                _fold_message(h, internal, m.is_self)
                for h, m in zip(row.hops, item.messages, strict=False)
            )
            if hop is not None
        ]
        if not hops:
            return None
        columns: list[int] = []
        for hop in hops:
            columns.extend(c for c in hop.columns if c not in columns)
        return replace(row, hops=tuple(hops), columns=tuple(columns))
    if isinstance(item, ir.Create | ir.Delete) and row.kind in ("create", "delete"):
        source, target = row.columns
        if target not in folded:
            return row  # the entity has a column (and a lifeline) of its own
        if source == target and internal == "hide":
            return None
        # a folded group's column lives throughout: the lifecycle is a box on it
        actor, subject = item.entity_names()
        verb = "create" if isinstance(item, ir.Create) else "delete"
        name = _entity_label(flow, subject.text)
        text = f"{verb} {name}"
        if actor.text != subject.text:
            text = f"{_entity_label(flow, actor.text)} {verb}s {name}"
        return replace(row, kind="action", text=text, columns=(target,), params=())
    if row.kind in ("media", "media-stop") and isinstance(item, ir.MediaStart | ir.MediaStop):
        a, b = row.columns
        if a != b:
            return row
        if internal == "hide":
            return None
        ends = f"{_entity_label(flow, item.a.text)} \u2194 {_entity_label(flow, item.b.text)}"
        return replace(row, kind="action", text=f"{row.text} ({ends})", columns=(a,))
    if row.kind == "mix" and isinstance(item, ir.Mix):
        mixer, *parties = row.columns
        others = tuple(dict.fromkeys(p for p in parties if p != mixer))
        if not others and internal == "hide":
            return None
        names = dict.fromkeys(labels.get(p.text, p.text) for p in item.parties)
        return replace(row, columns=(mixer, *others), text="mixes " + ", ".join(names))
    return row
