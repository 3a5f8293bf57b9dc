"""The placement's data: logical columns, header rows and rows, with no pixel in them.

What the first stage of the renderer hands to the second (placement -> geometry ->
drawing). These types live apart from the code that builds them so that every part of
placement (:mod:`~callflow.render.placement_columns`,
:mod:`~callflow.render.placement_rows`, :mod:`~callflow.render.placement_levels`) and
geometry can share them without importing one another; :mod:`~callflow.render.placement`
re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from callflow import ir
from callflow.render.styles import Look

DEFAULT_WRAP = 48

#: ``Row.columns`` entries for EventStudio's environment edges (``env_l`` / ``env_r``):
#: the left and right edge of the diagram, not columns
ENV_LEFT = -1
ENV_RIGHT = -2
ENV_COLUMNS: dict[str, int] = {"env_l": ENV_LEFT, "env_r": ENV_RIGHT}

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
    """One hierarchy row of the header: the cells of one grouping level, left to right."""

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
