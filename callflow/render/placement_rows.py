"""Placement's rows: each statement of a feature -> one logical row.

A feature's body is walked in drawing order (sequence groups open and close with marks,
the consecutive messages of a chain come as one run), and each walked item becomes a
:class:`~callflow.render.placement_model.Row`: its kind, its text, the columns it touches,
its remark, and for a message its number, parameters and tooltip. The EventStudio styles
a row draws with are looked up here too (a statement's own style, else the default style
for its kind), with the other per-flow facts rows need (:class:`RowExtras`). Which rows a
view keeps is :mod:`~callflow.render.placement`; how a row changes at an interaction level
is :mod:`~callflow.render.placement_levels`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from callflow import ir
from callflow.render.placement_model import ENV_COLUMNS, Column, Row, RowKind, Tag
from callflow.render.styles import Look, StyleBook, safe_link

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
    """The default styles a message takes, in order of preference."""
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


class RowExtras:
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
        """The statement's style, else its kind's default style (None: neither)."""
        if not self.book:
            return None
        if isinstance(statement, ir.Message):
            defaults = _message_defaults(statement)
        else:
            defaults = _DEFAULT_STYLES.get(type(statement), ())
        return self.book.look(statement.style, *defaults)

    def remark_look(self, statement: ir.Statement) -> Look | None:
        """``default_remark_style`` for a statement with a remark."""
        if not self.book or statement.remark is None:
            return None
        return self.book.look(None, "default_remark_style")

    def tag(self, text: str | None) -> Tag | None:
        """A tagged arrow end with its style (``"<tag>_tag_style"``, else the default)."""
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


_TOOLTIP_ARROWS: dict[str, str] = {
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
class GroupMark:
    """Where a (non-chain) group opens or closes in :func:`walk_body`'s sequence."""

    group: ir.Sequence
    start: bool


@dataclass(frozen=True, slots=True)
class ChainRun:
    """Consecutive messages of a ``chain { }``: drawn on one row."""

    messages: tuple[ir.Message, ...]
    remark: str | None  # the chain's own remark (on its first row)
    loc: ir.SourceLocation


Walked = ir.Statement | GroupMark | ChainRun


def _message_row(
    statement: ir.Message,
    extras: RowExtras,
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


def statement_row(
    statement: Walked,
    col: dict[str, int],
    labels: dict[str, str],
    depth: int,
    numbers: dict[int, tuple[int, ir.ResolvedMessage]],
    extras: RowExtras,
) -> Row | None:
    if isinstance(statement, GroupMark):
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
    if isinstance(statement, ChainRun):
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


def walk_body(body: Sequence[ir.Statement], depth: int = 0) -> Iterator[tuple[Walked, int]]:
    """Statements with their group depth; groups open and close with marks, and the
    consecutive messages of a chain come as one :class:`ChainRun`."""
    for statement in body:
        if not isinstance(statement, ir.Sequence):
            yield statement, depth
        elif statement.kind == "chain":
            yield from _walk_chain(statement, depth)
        else:
            yield GroupMark(statement, True), depth
            yield from walk_body(statement.body, depth + 1)
            yield GroupMark(statement, False), depth


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
            yield ChainRun(tuple(run), remark, run[0].loc), depth
            run, remark = [], None
        yield from walk_body((statement,), depth)
    if run:
        yield ChainRun(tuple(run), remark, run[0].loc), depth


def without_params(row: Row) -> Row:
    """A row with no parameter lines (``exclude: parameters``)."""
    if row.hops:
        row = replace(row, hops=tuple(without_params(h) for h in row.hops))
    return replace(row, params=()) if row.params else row
