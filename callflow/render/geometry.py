"""Geometry: a placement -> pages of frozen primitives with pixel coordinates.

The second stage of the renderer, and a pure function: the same placement gives the same
numbers, with no SVG in sight. Column spacing grows until every label fits between the
lifelines it spans; rows grow to hold their wrapped text and their remark; long flows
give one tall page, or pages of ``page_height`` that each repeat the title and header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import ClassVar

from callflow.render.placement import ENV_LEFT, ENV_RIGHT, Column, Placement, Row
from callflow.render.styles import Look
from callflow.render.textwidth import text_width, wrap_chars, wrap_text

# ----------------------------------------------------------------------------- style


@dataclass(frozen=True, slots=True)
class Style:
    """Sizes in pixels. Fonts are DejaVu Sans (its widths are in textwidth's table)."""

    margin: float = 40
    title_size: float = 15
    meta_size: float = 10
    group_size: float = 11
    entity_size: float = 10.5
    name_size: float = 11
    param_size: float = 9.5
    number_size: float = 9
    box_size: float = 9.5
    heading_size: float = 11.5
    remark_size: float = 10
    line: float = 12  # baseline distance of small text
    header_row: float = 22
    header_gap: float = 4
    min_column: float = 112
    max_entity_text: float = 96
    #: parameter lines may spill past the lifelines (white halos keep them readable):
    #: they widen a column gap by at most this much
    max_param_span: float = 200
    column_gap: float = 6
    arrow_pad: float = 14
    remark_width: float = 250
    remark_gap: float = 24
    box_max: float = 190
    self_loop: float = 36
    group_inset: float = 6
    separator_width: float = 40  # an empty column (EventStudio's ``separator``)
    env_pad: float = 28  # room between an environment edge and the first/last column
    tag_size: float = 7.5  # text of a tagged arrow end
    name_line: float = 13  # baseline distance of a multi-line message name


STYLE = Style()


# ----------------------------------------------------------------------------- primitives


@dataclass(frozen=True, slots=True)
class Text:
    kind: ClassVar[str] = "text"  # what the template draws
    x: float
    y: float
    text: str
    cls: str
    anchor: str = "start"
    #: inline CSS from a validated style (styles.Look): colours, numbers, plain words
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Rect:
    kind: ClassVar[str] = "rect"  # what the template draws
    x: float
    y: float
    w: float
    h: float
    cls: str
    rx: float = 0
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    kind: ClassVar[str] = "line"  # what the template draws
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str
    marker_start: str | None = None
    marker_end: str | None = None
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Path:
    kind: ClassVar[str] = "path"  # what the template draws
    d: str
    cls: str
    marker_end: str | None = None
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """A link around primitives (``<a href>``): a statement's safe ``<link>``."""

    kind: ClassVar[str] = "anchor"

    href: str
    items: tuple[Text | Rect | Line | Path, ...]


Primitive = Text | Rect | Line | Path | Anchor


@dataclass(frozen=True, slots=True)
class Group:
    """A group of primitives with an id: every message is one (``<g id="m12">``)."""

    kind: ClassVar[str] = "group"

    id: str
    cls: str
    title: str
    items: tuple[Primitive, ...]
    call: str | None = None
    number: int | None = None
    href: str | None = None  # the message's safe link: its primitives are one <a>


Item = Primitive | Group


@dataclass(frozen=True, slots=True)
class Marker:
    """An arrowhead beyond the template's own: a style's colour, or a call's."""

    id: str
    cls: str
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page: the repeated header (title, hierarchy rows, entity boxes) and the body."""

    index: int  # 1-based
    count: int
    width: float
    height: float
    header: tuple[Item, ...]
    header_height: float
    body: tuple[Item, ...]
    meta: str


@dataclass(frozen=True, slots=True)
class Layout:
    title: str
    description: str
    width: float
    pages: tuple[Page, ...]
    centers: tuple[float, ...]  # lifeline x of each column
    column_widths: tuple[float, ...]
    theme: str = "default"
    messages: tuple[int, ...] = field(default=())  # the message numbers drawn
    #: the EventStudio constructs' CSS is needed (sequence-eventstudio.css)
    extra_css: bool = False
    markers: tuple[Marker, ...] = ()  # extra arrowheads the pages use


def _fmt(value: float) -> float:
    """Round to 0.1 px: stable output, and no float noise in the SVG."""
    return round(value + 0.0, 1)


# ----------------------------------------------------------------------------- styles
# Inline CSS is built here from a Look's validated fields only (CSS colours, numbers, a
# dash array, a font family of plain words): never from text the user wrote.


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _line_css(look: Look | None) -> str | None:
    if look is None:
        return None
    parts = []
    if look.color is not None:
        parts.append(f"stroke:{look.color}")
    if look.width is not None:
        parts.append(f"stroke-width:{_num(look.width)}")
    if look.dash is not None:
        parts.append(f"stroke-dasharray:{look.dash}")
    return ";".join(parts) or None


def _box_css(look: Look | None) -> str | None:
    if look is None:
        return None
    fill = f"fill:{look.bgcolor}" if look.bgcolor is not None else None
    parts = [p for p in (fill, _line_css(look)) if p]
    return ";".join(parts) or None


def _text_css(look: Look | None, *, param: bool = False) -> str | None:
    if look is None:
        return None
    parts = []
    color = look.paramcolor if param else look.textcolor
    if color is not None:
        parts.append(f"fill:{color}")
    if look.font is not None:
        parts.append(f"font-family:{look.font}")
    if look.size is not None and not param:
        parts.append(f"font-size:{_num(look.size)}px")
    return ";".join(parts) or None


def _marker(look: Look | None, default: str = "ah") -> str:
    """The arrowhead of a styled line: one per colour (``ah-red``, ``ah-x1e90ff``)."""
    if look is None or look.color is None:
        return default
    color = look.color
    return "ah-x" + color[1:] if color.startswith("#") else "ah-" + color


def _size(look: Look | None, default: float) -> float:
    return look.size if look is not None and look.size is not None else default


# ----------------------------------------------------------------------------- columns


def _entity_lines(column: Column, s: Style) -> list[str]:
    if column.separator:
        return []
    label = column.label + (" (undeclared)" if column.undeclared else "")
    return wrap_text(label, s.max_entity_text, s.entity_size)


def _param_lines(row: Row, wrap: int) -> list[str]:
    if not row.params:
        return []
    return wrap_chars(" · ".join(row.params), wrap)


def _name_lines(row: Row) -> list[str]:
    """A message name's lines (EventStudio's ``"Setup" + "- part one"``)."""
    return row.text.split("\n")


def _tag_width(tag: object, s: Style) -> float:
    """Width of a tag box (0 without a tag)."""
    text = getattr(tag, "text", None)
    return text_width(text, s.tag_size) + 8 if text else 0.0


def _receiver_tag(row: Row, i: int) -> object:
    return row.receiver_tags[i] if i < len(row.receiver_tags) else None


def _column_positions(
    placement: Placement, s: Style
) -> tuple[list[float], list[float], float, float]:
    """Column widths, lifeline x positions and the room left and right for environment
    edges: labels fit between the lifelines (or edges) they span."""
    columns = placement.columns
    widths = [
        s.separator_width
        if c.separator
        else max(
            s.min_column,
            max(text_width(t, s.entity_size) for t in _entity_lines(c, s)) + 16,
            text_width(c.parent_label or "", s.group_size) + 16,
        )
        for c in columns
    ]
    n = len(columns)
    if n == 0:
        return [], [], 0.0, 0.0
    for cell_row in placement.header_rows:  # a one-column group label widens its column
        for cell in cell_row.cells:
            if cell.first == cell.last and cell.label:
                size = s.group_size
                widths[cell.first] = max(widths[cell.first], text_width(cell.label, size) + 14)
    gaps = [(widths[i] + widths[i + 1]) / 2 + s.column_gap for i in range(n - 1)]
    need: dict[tuple[int, int], float] = {}
    edge_need: list[tuple[int, int, float]] = []  # (edge, column or other edge, distance)

    def require(a: int, b: int, distance: float) -> None:
        if a < 0 or b < 0:
            edge, other = (a, b) if a < 0 else (b, a)
            edge_need.append((edge, other, distance))
            return
        if a > b:
            a, b = b, a
        if distance > need.get((a, b), 0.0):
            need[(a, b)] = distance

    number_pad = 18 if placement.numbering else 0
    for row in placement.rows:
        if row.kind in ("message", "chain"):
            for hop in row.hops or (row,):
                size = _size(hop.look, s.name_size)
                label = max(text_width(t, size, bold=True) for t in _name_lines(hop))
                params = max(
                    (text_width(t, s.param_size) for t in _param_lines(hop, placement.wrap)),
                    default=0,
                )
                width = max(label + 2 * number_pad, min(params, s.max_param_span)) + 2 * s.arrow_pad
                sender = hop.columns[0]
                sender_tag = _tag_width(hop.sender_tag, s) / 2
                for i, receiver in enumerate(hop.columns[1:]):
                    if receiver == sender:
                        if 0 <= sender < n - 1:
                            require(sender, sender + 1, s.self_loop + 12 + max(label, params))
                    else:
                        tags = sender_tag + _tag_width(_receiver_tag(hop, i), s) / 2
                        require(sender, receiver, width + tags)
        elif row.kind in ("media", "media-stop"):
            require(row.columns[0], row.columns[1], text_width(row.text, s.param_size) + 40)
        elif row.kind == "create":
            a, b = row.columns
            if a != b and b >= 0:
                label = max(
                    [text_width("creates", s.param_size)]
                    + [text_width(t, s.param_size) for t in _param_lines(row, placement.wrap)]
                )
                require(a, b, label + widths[b] / 2 + 30)
    for cell_row in placement.header_rows:
        for cell in cell_row.cells:
            if cell.first != cell.last and cell.label:
                inner = widths[cell.first] / 2 + widths[cell.last] / 2 + 12
                require(cell.first, cell.last, text_width(cell.label, s.group_size) + 16 - inner)
    for (a, b), distance in sorted(need.items(), key=lambda kv: (kv[0][1] - kv[0][0], kv[0])):
        current = sum(gaps[a:b])
        if current < distance:
            extra = (distance - current) / (b - a)
            for i in range(a, b):
                gaps[i] += extra
    centers = [s.margin + widths[0] / 2]
    for gap in gaps:
        centers.append(centers[-1] + gap)
    # environment edges: the columns move right (env_l) or the right edge moves (env_r)
    # until every label fits between its edge and its lifeline
    pad_left = pad_right = 0.0
    if any(edge == ENV_LEFT or other == ENV_LEFT for edge, other, _ in edge_need):
        pad_left = s.env_pad
        for edge, other, distance in edge_need:
            if edge == ENV_LEFT and other >= 0:
                pad_left = max(pad_left, distance - (centers[other] - s.margin))
    right = centers[-1] + widths[-1] / 2
    if any(edge == ENV_RIGHT or other == ENV_RIGHT for edge, other, _ in edge_need):
        pad_right = s.env_pad
        for edge, other, distance in edge_need:
            if edge == ENV_RIGHT and other >= 0:
                pad_right = max(pad_right, distance - (right - centers[other]))
            elif ENV_LEFT in (edge, other) and ENV_RIGHT in (edge, other):
                pad_right = max(pad_right, distance - (right + pad_left - s.margin))
    if pad_left:
        centers = [c + pad_left for c in centers]
    return widths, centers, pad_left, pad_right


def column_bounds(widths: Sequence[float], centers: Sequence[float]) -> list[tuple[float, float]]:
    """Each column's horizontal extent: neighbours meet halfway between their lifelines,
    so header cells tile without gaps however far apart the lifelines moved."""
    n = len(centers)
    bounds = []
    for i in range(n):
        left = (centers[i - 1] + centers[i]) / 2 if i > 0 else centers[0] - widths[0] / 2
        right = (centers[i] + centers[i + 1]) / 2 if i + 1 < n else centers[i] + widths[i] / 2
        bounds.append((left, right))
    return bounds


# ----------------------------------------------------------------------------- header


def _header(
    placement: Placement,
    widths: list[float],
    centers: list[float],
    s: Style,
    width: float,
    remarks_x: float | None,
) -> tuple[list[Item], float]:
    items: list[Item] = [Text(s.margin, 26, placement.title, "title")]
    bounds = column_bounds(widths, centers)
    y = 40.0
    for row in placement.header_rows:
        for cell in row.cells:
            x1 = bounds[cell.first][0] + 2
            x2 = bounds[cell.last][1] - 2
            cls = "sys" if row.level == "system" else ("sub" if row.level == "subsystem" else "mod")
            if not cell.label:
                cls += " empty"
            look = cell.look
            items.append(Rect(_fmt(x1), y, _fmt(x2 - x1), s.header_row, cls, style=_box_css(look)))
            if cell.label:
                items.append(
                    Text(
                        _fmt((x1 + x2) / 2),
                        y + 15,
                        cell.label,
                        cls.split()[0] + "-t",
                        "middle",
                        style=_text_css(look),
                    )
                )
        y += s.header_row + s.header_gap
    lines_per_column = [_entity_lines(c, s) for c in placement.columns]
    parents = any(c.parent_label for c in placement.columns)  # one more line for them
    box_h = max(
        34.0,
        10 + 13 * (max((len(lines) for lines in lines_per_column), default=1) + parents),
    )
    for column, lines in zip(placement.columns, lines_per_column, strict=True):
        if column.separator:
            continue  # an empty space: no box
        cx = centers[column.index]
        w = widths[column.index] - 8
        cls = "ent"
        if column.highlighted:
            cls += " focus"
        if column.undeclared:
            cls += " undeclared"
        if column.dynamic:
            cls += " dynamic"
        look = column.look
        items.append(Rect(_fmt(cx - w / 2), y, _fmt(w), box_h, cls, rx=3, style=_box_css(look)))
        shown = len(lines) + (1 if column.parent_label else 0)
        top = y + box_h / 2 - 13 * shown / 2 + 10
        text_css = _text_css(look)
        for i, text in enumerate(lines):
            items.append(
                Text(_fmt(cx), _fmt(top + 13 * i), text, "ent-t", "middle", style=text_css)
            )
        if column.parent_label:  # EventStudio's displayParentInLightWeightHeader
            fill = f"fill:{look.textcolor}" if look is not None and look.textcolor else None
            y_parent = _fmt(top + 13 * len(lines))
            items.append(
                Text(_fmt(cx), y_parent, column.parent_label, "ent-p-t", "middle", style=fill)
            )
    if remarks_x is not None:
        top = 40.0
        h = y + box_h - top
        items.append(Rect(_fmt(remarks_x), top, s.remark_width, _fmt(h), "remhdr"))
        items.append(
            Text(
                _fmt(remarks_x + s.remark_width / 2),
                _fmt(top + h / 2 + 4),
                "Remarks",
                "remhdr-t",
                "middle",
            )
        )
    return items, y + box_h


# ----------------------------------------------------------------------------- rows


@dataclass
class _RowShapes:
    """A row's primitives, relative to its top (y = 0), and its height."""

    items: list[Item]
    height: float
    anchor_y: float  # where a trailing remark aligns (the statement's main line)
    right_x: float  # rightmost x of the statement (the remark's leader starts there)


def _box(
    cx: float,
    text: str,
    cls: str,
    s: Style,
    top: float = 4,
    max_w: float | None = None,
    look: Look | None = None,
    span: tuple[float, float] | None = None,
) -> tuple[list[Item], float, float]:
    """A box on a lifeline; ``span``: one box across lifelines ``span[0]``..``span[1]``
    (a joint or module-level statement), its text centred between them."""
    size = _size(look, s.box_size)
    if span is not None:
        cx = (span[0] + span[1]) / 2
        max_w = max(max_w or s.box_max, span[1] - span[0] + 24)
    lines = wrap_text(text, max_w or s.box_max, size)
    w = max(text_width(t, size) for t in lines) + 16
    if span is not None:
        w = max(w, span[1] - span[0] + 36)
    h = s.line * len(lines) + 10
    items: list[Item] = [Rect(_fmt(cx - w / 2), top, _fmt(w), h, cls, rx=2, style=_box_css(look))]
    text_css = _text_css(look)
    for i, t in enumerate(lines):
        items.append(
            Text(_fmt(cx), _fmt(top + 15 + s.line * i), t, cls + "-t", "middle", style=text_css)
        )
    return items, h + top + 8, cx + w / 2


_BOX_PREFIX = {
    "action": ("", "action"),
    "begin": ("begin: ", "action long"),
    "end": ("end: ", "action long"),
    "state": ("", "state"),
    "timer-start": ("start timer ", "timer"),
    "timer-periodic": ("start periodic timer ", "timer"),
    "timer-stop": ("stop timer ", "timer"),
    "timeout": ("timeout ", "timer expired"),
    "allocate": ("allocate ", "resource"),
    "free": ("free ", "resource"),
    "stop-mixing": ("", "mix"),
}


def _column_x(index: int, centers: Sequence[float], edges: tuple[float, float]) -> float:
    """A lifeline's x, or an environment edge's."""
    if index == ENV_LEFT:
        return edges[0]
    if index == ENV_RIGHT:
        return edges[1]
    return centers[index]


def _tag_shapes(tag: object, x: float, y: float, s: Style) -> list[Primitive]:
    """A tagged arrow end: a small labelled box centred on the lifeline at the arrow."""
    text = getattr(tag, "text", None)
    if not text:
        return []
    look = getattr(tag, "look", None)
    w = _tag_width(tag, s)
    return [
        Rect(_fmt(x - w / 2), _fmt(y - 6), _fmt(w), 12, "tag", rx=2, style=_box_css(look)),
        Text(_fmt(x), _fmt(y + 2.7), text, "tag-t", "middle", style=_text_css(look)),
    ]


def _message_shapes(
    row: Row,
    centers: Sequence[float],
    placement: Placement,
    s: Style,
    right_limit: float,
    edges: tuple[float, float] = (0.0, 0.0),
) -> _RowShapes:
    sender = row.columns[0]
    x1 = _column_x(sender, centers, edges)
    params = _param_lines(row, placement.wrap)
    names = _name_lines(row)
    extra = s.name_line * (len(names) - 1)  # a multi-line name pushes the arrow down
    look = row.look
    name_css = _text_css(look)
    param_css = _text_css(look, param=True)
    line_css = _line_css(look)
    items: list[Primitive] = []
    cls = "arrow"
    if row.response:
        cls += " response"
    if row.call_kind in ("invoke", "return"):
        cls += " " + row.call_kind
    if row.arrow in ("bold", "bold-bidirectional"):
        cls += " bold"
    both = row.arrow in ("bidirectional", "bold-bidirectional")
    if both:
        cls += " both"
    head = _marker(look, "ahi" if row.call_kind != "message" else "ah")
    numbered = placement.numbering and row.number is not None and row.show_number
    name_y = 12.0
    arrow_y = 17.0
    if len(row.columns) == 2 and row.columns[1] == sender:  # self message: a loop
        loop = s.self_loop
        items.append(
            Path(
                f"M{_fmt(x1)},{arrow_y} h{loop} v16 h-{loop}",
                cls,
                marker_end=head,
                style=line_css,
            )
        )
        for i, t in enumerate(names):
            y = arrow_y + 4 + s.name_line * i
            items.append(Text(_fmt(x1 + loop + 6), y, t, "msg-t", style=name_css))
        for i, t in enumerate(params):
            y = arrow_y + 16 + extra + s.line * i
            items.append(Text(_fmt(x1 + loop + 6), y, t, "param-t", style=param_css))
        if numbered:
            items.append(Text(_fmt(x1 + 4), name_y, str(row.number), "num"))
        height = arrow_y + 16 + extra + s.line * max(len(params), 1) + 8
        right = (
            x1
            + loop
            + 6
            + max(
                [text_width(t, _size(look, s.name_size), bold=True) for t in names]
                + [text_width(t, s.param_size) for t in params]
            )
        )
        return _RowShapes(list(items), height, arrow_y, right)
    name_y += extra
    arrow_y += extra
    targets = [_column_x(c, centers, edges) for c in row.columns[1:]]
    far = max(targets, key=lambda x: abs(x - x1))
    direction = 1 if far >= x1 else -1
    start_tag = _tag_width(row.sender_tag, s) / 2
    for i, x2 in enumerate(targets):
        step = 1 if x2 >= x1 else -1
        start = x1 + step * start_tag
        end_tag = _tag_width(_receiver_tag(row, i), s) / 2
        if row.lost:
            end = x1 + (x2 - x1) * 0.8
            items.append(
                Line(
                    _fmt(start),
                    arrow_y,
                    _fmt(end),
                    arrow_y,
                    "arrow lost" + cls[5:],
                    head if both else None,
                    style=line_css,
                )
            )
            items.append(
                Path(
                    f"M{_fmt(end - 5)},{arrow_y - 5} l10,10 M{_fmt(end - 5)},{arrow_y + 5} l10,-10",
                    "lost-x",
                )
            )
        else:
            end = x2 - step * end_tag
            items.append(
                Line(
                    _fmt(start),
                    arrow_y,
                    _fmt(end),
                    arrow_y,
                    cls,
                    head if both else None,
                    head,
                    style=line_css,
                )
            )
        items.extend(_tag_shapes(_receiver_tag(row, i), x2, arrow_y, s))
    if len(targets) > 1:  # EventStudio marks a multicast's source with a circle
        items.append(Rect(_fmt(x1 - 4), arrow_y - 4, 8, 8, "mcast", rx=4, style=_box_css(look)))
    items.extend(_tag_shapes(row.sender_tag, x1, arrow_y, s))
    mid = (x1 + far) / 2
    for i, t in enumerate(names):
        y = name_y - s.name_line * (len(names) - 1 - i)
        items.append(Text(_fmt(mid), y, t, "msg-t", "middle", style=name_css))
    for i, t in enumerate(params):
        half = text_width(t, s.param_size) / 2
        x = min(max(mid, s.margin / 2 + half), right_limit - half)  # spill, but stay on the page
        items.append(
            Text(_fmt(x), arrow_y + 12 + s.line * i, t, "param-t", "middle", style=param_css)
        )
    if numbered:
        clear = 5 + start_tag + (8 if both else 0)  # off the tag and the tail's arrowhead
        if direction > 0:
            items.append(Text(_fmt(x1 + clear), name_y, str(row.number), "num"))
        else:
            items.append(Text(_fmt(x1 - clear), name_y, str(row.number), "num", "end"))
    height = arrow_y + s.line * len(params) + 14
    far_tags = [_tag_width(_receiver_tag(row, i), s) / 2 for i in range(len(targets))]
    right = max(x1 + start_tag, far + max(far_tags, default=0.0)) + 4
    return _RowShapes(list(items), height, arrow_y, right)


def _message_group(row: Row, items: Sequence[Item]) -> Group:
    cls = "msg" + (" response" if row.response else "")
    if row.call_kind in ("invoke", "return"):
        cls += " " + row.call_kind
    return Group(
        f"m{row.number}",
        cls,
        row.tooltip,
        tuple(items),  # type: ignore[arg-type]
        row.call,
        row.number,
        row.link,
    )


def _linked(items: list[Item], link: str | None) -> list[Item]:
    """A statement's primitives inside its link (when it has a safe one)."""
    if link is None or not items:
        return items
    return [Anchor(link, tuple(items))]  # type: ignore[arg-type]


def _row_shapes(
    row: Row,
    centers: Sequence[float],
    placement: Placement,
    s: Style,
    lifeline_left: float,
    lifeline_right: float,
) -> _RowShapes:
    kind = row.kind
    edges = (lifeline_left, lifeline_right)
    if kind == "message":
        return _message_shapes(row, centers, placement, s, lifeline_right + s.remark_gap - 4, edges)
    if kind == "chain":  # EventStudio's chain: every hop on one line, each its own group
        groups: list[Item] = []
        height, anchor_y, right = 0.0, 17.0, lifeline_left
        for hop in row.hops:
            shapes = _message_shapes(
                hop, centers, placement, s, lifeline_right + s.remark_gap - 4, edges
            )
            groups.append(_message_group(hop, shapes.items))
            height = max(height, shapes.height)
            anchor_y = max(anchor_y, shapes.anchor_y)
            right = max(right, shapes.right_x)
        return _RowShapes(groups, height, anchor_y, right)
    look = row.look
    if kind in ("feature", "heading"):
        cls = "heading" if kind == "feature" else "heading sub"
        items: list[Item] = [
            Rect(
                _fmt(lifeline_left),
                6,
                _fmt(lifeline_right - lifeline_left),
                22,
                cls,
                style=_box_css(look),
            ),
            Text(
                _fmt((lifeline_left + lifeline_right) / 2),
                21,
                row.text,
                "heading-t",
                "middle",
                style=_text_css(look),
            ),
        ]
        return _RowShapes(_linked(items, row.link), 36, 21, lifeline_right)
    if kind in _BOX_PREFIX:
        prefix, cls = _BOX_PREFIX[kind]
        xs = sorted({_column_x(c, centers, edges) for c in row.columns})
        span = (xs[0], xs[-1]) if len(xs) > 1 else None
        items, height, right = _box(xs[0], prefix + row.text, cls, s, look=look, span=span)
        return _RowShapes(_linked(items, row.link), height, 16, right)
    if kind == "block-remark":  # EventStudio's |= =|: across the whole diagram
        width = lifeline_right - lifeline_left
        size = _size(look, s.remark_size)
        verbatim = look is not None and look.verbatim
        # verbatim: the lines as written (a code fragment), spaces kept; else wrapped
        lines = row.text.split("\n") if verbatim else wrap_text(row.text, width - 16, size)
        h = s.line * len(lines) + 10
        text_css = _text_css(look)
        if verbatim:
            text_css = ";".join(p for p in (text_css, "white-space:pre") if p)
        items = [Rect(_fmt(lifeline_left), 6, _fmt(width), h, "blockrem", style=_box_css(look))]
        for i, t in enumerate(lines):
            y = _fmt(6 + 15 + s.line * i)
            items.append(Text(_fmt(lifeline_left + 8), y, t, "blockrem-t", style=text_css))
        return _RowShapes(_linked(items, row.link), h + 14, 16, lifeline_right)
    if kind == "pause":  # the lifelines are dotted here (layout draws them)
        return _RowShapes([], 28, 14, lifeline_right)
    if kind == "mix":
        mixer = centers[row.columns[0]]
        items, height, right = _box(mixer, row.text, "mix", s)
        for party in row.columns[1:]:
            x = centers[party]
            items.append(Line(_fmt(mixer), height - 6, _fmt(x), height - 6, "mixlink"))
            items.append(Rect(_fmt(x - 3), height - 9, 6, 6, "mixdot", rx=3))
        return _RowShapes(items, height + 4, 16, max(right, *(centers[p] for p in row.columns)))
    if kind in ("media", "media-stop"):
        a, b = sorted((centers[row.columns[0]], centers[row.columns[1]]))
        cls = "media" if kind == "media" else "media stopped"
        items = [
            Line(_fmt(a + 2), 20, _fmt(b - 2), 20, cls, "ahms", "ahm"),
            Text(_fmt((a + b) / 2), 12, row.text, "media-t", "middle"),
        ]
        return _RowShapes(items, 32, 20, b)
    if kind == "create":
        creator, created = (_column_x(c, centers, edges) for c in row.columns)
        items, height, right = _box(created, row.text, "ent created", s)
        if row.columns[0] == row.columns[1]:  # `create X`: no creator, no arrow
            return _RowShapes(_linked(items, row.link), height, 15, right)
        box_left = created - (right - created)
        edge = box_left if created > creator else right
        line_css = _line_css(look)
        items.append(
            Line(_fmt(creator), 15, _fmt(edge), 15, "arrow create", None, _marker(look), line_css)
        )
        mid = (creator + edge) / 2
        items.append(Text(_fmt(mid), 11, "creates", "param-t", "middle", style=_text_css(look)))
        params = _param_lines(row, placement.wrap)
        param_css = _text_css(look, param=True)
        for i, t in enumerate(params):
            items.append(Text(_fmt(mid), 15 + 12 + s.line * i, t, "param-t", "middle", param_css))
        if params:
            height = max(height, 15 + 12 + s.line * len(params))
        return _RowShapes(_linked(items, row.link), height, 15, max(right, creator))
    if kind == "delete":
        deleter, deleted = (_column_x(c, centers, edges) for c in row.columns)
        items = [Path(f"M{_fmt(deleted - 8)},8 l16,16 M{_fmt(deleted - 8)},24 l16,-16", "delete-x")]
        if deleter != deleted:
            edge = deleted - 10 if deleted > deleter else deleted + 10
            items.append(
                Line(
                    _fmt(deleter),
                    16,
                    _fmt(edge),
                    16,
                    "arrow create",
                    None,
                    _marker(look),
                    _line_css(look),
                )
            )
            mid = (deleter + edge) / 2
            items.append(Text(_fmt(mid), 12, "deletes", "param-t", "middle", style=_text_css(look)))
        return _RowShapes(_linked(items, row.link), 32, 16, max(deleted, deleter) + 10)
    if kind == "remark":
        return _RowShapes([], 4, 10, lifeline_right)
    if kind == "group-start":
        return _RowShapes([], 22, 14, lifeline_right)
    if kind == "group-end":
        return _RowShapes([], 8, 4, lifeline_right)
    raise ValueError(f"no geometry for row kind {kind!r}")  # pragma: no cover


# ----------------------------------------------------------------------------- layout


@dataclass
class _PlacedRow:
    row: Row
    shapes: _RowShapes
    remark_lines: list[str]
    height: float


def _shift(item: Item, dy: float) -> Item:
    if isinstance(item, Group):
        return Group(
            item.id,
            item.cls,
            item.title,
            tuple(_shift(i, dy) for i in item.items),  # type: ignore[misc]
            item.call,
            item.number,
            item.href,
        )
    if isinstance(item, Text):
        return Text(item.x, _fmt(item.y + dy), item.text, item.cls, item.anchor, item.style)
    if isinstance(item, Rect):
        return Rect(item.x, _fmt(item.y + dy), item.w, item.h, item.cls, item.rx, item.style)
    if isinstance(item, Line):
        return Line(
            item.x1,
            _fmt(item.y1 + dy),
            item.x2,
            _fmt(item.y2 + dy),
            item.cls,
            item.marker_start,
            item.marker_end,
            item.style,
        )
    if isinstance(item, Anchor):
        return Anchor(item.href, tuple(_shift(i, dy) for i in item.items))  # type: ignore[misc]
    return Path(_shift_path(item.d, dy), item.cls, item.marker_end, item.style)


def _shift_path(d: str, dy: float) -> str:
    """Shift the absolute 'Mx,y' moves of the simple paths geometry makes."""
    out = []
    for part in d.split("M"):
        if not part:
            continue
        head, _, rest = part.partition(" ")
        x, _, y = head.partition(",")
        out.append(f"M{x},{_fmt(float(y) + dy)}" + (" " + rest if rest else ""))
    return " ".join(out)


def layout(
    placement: Placement,
    *,
    page_height: float | None = None,
    date: str | None = None,
    style: Style = STYLE,
) -> Layout:
    """Pixel geometry of a placement: a pure function returning frozen values."""
    s = style
    widths, centers, pad_left, pad_right = _column_positions(placement, s)
    if centers:
        lifeline_left = centers[0] - widths[0] / 2 - pad_left
        lifeline_right = centers[-1] + widths[-1] / 2 + pad_right
    else:
        lifeline_left, lifeline_right = s.margin, s.margin + s.min_column
    has_remarks = placement.remarks
    callouts = has_remarks and placement.callouts  # remarks beside their statements
    remarks_x = lifeline_right + s.remark_gap if has_remarks and not callouts else None
    width = (remarks_x + s.remark_width if remarks_x is not None else lifeline_right) + s.margin
    # self loops or long labels on the last column may reach past the lifelines
    header, header_height = _header(placement, widths, centers, s, width, remarks_x)
    body_top = header_height + 8

    placed: list[_PlacedRow] = []
    for row in placement.rows:
        shapes = _row_shapes(row, centers, placement, s, lifeline_left, lifeline_right)
        remark_text = row.text if row.kind == "remark" else row.remark
        lines: list[str] = []
        if remark_text and has_remarks:
            size = _size(row.remark_look, s.remark_size)
            room = _CALLOUT_WIDTH - 12 if callouts else s.remark_width - 12
            lines = wrap_text(remark_text, room, size, italic=True)
        height = max(shapes.height, shapes.anchor_y - 10 + s.line * len(lines) + 8)
        if callouts and lines:
            height = max(height, shapes.anchor_y + s.line * len(lines) + 6)
        placed.append(_PlacedRow(row, shapes, lines, height))
    if callouts:  # the callouts may reach past the last lifeline
        for p in placed:
            if p.remark_lines:
                x, w = _callout_box(p, lifeline_left, s)
                width = max(width, x + w + s.margin)

    # pages: greedy split between rows
    available = None
    if page_height is not None:
        available = max(page_height - body_top - 24, 40.0)
    pages_rows: list[list[_PlacedRow]] = [[]]
    used = 0.0
    for p in placed:
        if available is not None and pages_rows[-1] and used + p.height > available:
            pages_rows.append([])
            used = 0.0
        pages_rows[-1].append(p)
        used += p.height

    numbers = tuple(r.number for r in placement.message_rows if r.number)
    pages: list[Page] = []
    count = len(pages_rows)
    open_bars: dict[tuple[int, str], float] = {}  # begin/end action bars across pages
    alive: dict[int, bool] = {c.index: not c.dynamic for c in placement.columns if not c.separator}
    life_css = {c.index: _line_css(c.look) for c in placement.columns}
    groups_open: list[Row] = []  # sequence groups open at the page start
    for index, rows in enumerate(pages_rows, start=1):
        body: list[Item] = []
        y = body_top
        life_start = {c: (body_top if alive[c] else None) for c in alive}
        life_segments: list[tuple[int, float, float, str]] = []
        bar_start = {key: body_top for key in open_bars}
        group_stack = [(row, body_top) for row in groups_open]
        for p in rows:
            row = p.row
            shifted = [_shift(item, y) for item in p.shapes.items]
            if row.kind == "message":
                body.append(_message_group(row, shifted))
            else:
                body.extend(shifted)
            if p.remark_lines and remarks_x is not None:
                ry = y + p.shapes.anchor_y - 4
                if row.kind != "remark":
                    body.append(
                        Line(
                            _fmt(p.shapes.right_x + 4),
                            _fmt(y + p.shapes.anchor_y),
                            _fmt(remarks_x),
                            _fmt(ry),
                            "remlink",
                        )
                    )
                remark_css = _text_css(row.remark_look)
                for i, t in enumerate(p.remark_lines):
                    body.append(
                        Text(
                            _fmt(remarks_x + 6),
                            _fmt(ry + 4 + s.line * i),
                            t,
                            "rem-t",
                            style=remark_css,
                        )
                    )
            elif p.remark_lines and callouts:
                body.extend(_callout(p, y, lifeline_left, s))
            if row.kind == "create":
                created = row.columns[1]
                if created in alive:
                    life_start[created] = y + p.height - 4
                    alive[created] = True
            elif row.kind == "delete":
                deleted = row.columns[1]
                if life_start.get(deleted) is not None:
                    life_segments.append((deleted, life_start[deleted], y + 16, "life"))  # type: ignore[arg-type]
                life_start[deleted] = None
                alive[deleted] = False
            elif row.kind == "pause":  # EventStudio's `...`: time passes, the axes dotted
                for column, start in life_start.items():
                    if start is not None:
                        life_segments.append((column, start, y, "life"))
                        life_segments.append((column, y, y + p.height, "life pause"))
                        life_start[column] = y + p.height
            elif row.kind == "begin":
                for column in dict.fromkeys(c for c in row.columns if c >= 0):
                    bar_start[(column, row.text)] = y + p.height
                    open_bars[(column, row.text)] = 0
            elif row.kind == "end":
                for column in dict.fromkeys(c for c in row.columns if c >= 0):
                    key = (column, row.text)
                    if key in bar_start:
                        _bar(body, centers[key[0]], bar_start.pop(key), y + 4)
                        open_bars.pop(key, None)
            elif row.kind == "group-start":
                group_stack.append((row, y))
                groups_open.append(row)
            elif row.kind == "group-end" and group_stack:
                start_row, top = group_stack.pop()
                if groups_open:
                    groups_open.pop()
                _frame(body, start_row, top, y + 4, lifeline_left, lifeline_right, s)
            y += p.height
        bottom = y + 8
        for key, start in bar_start.items():  # still running at the page end
            _bar(body, centers[key[0]], start, bottom)
        for start_row, top in group_stack:
            _frame(body, start_row, top, bottom, lifeline_left, lifeline_right, s)
        for column, start in life_start.items():
            if start is not None:
                life_segments.append((column, start, bottom, "life"))
        lifelines = [
            Line(_fmt(centers[c]), _fmt(a), _fmt(centers[c]), _fmt(b), cls, style=life_css[c])
            for c, a, b, cls in sorted(life_segments)
        ]
        meta = f"callflow · scenario “{placement.scenario}” · page {index} of {count}"
        if date:
            meta += f" · {date}"
        page_items = [Text(_fmt(width - s.margin / 2), 26, meta, "meta", "end")]
        pages.append(
            Page(
                index=index,
                count=count,
                width=_fmt(width),
                height=_fmt(bottom + 12),
                header=tuple(header + page_items),
                header_height=_fmt(header_height),
                body=tuple(lifelines + body),
                meta=meta,
            )
        )
    description = (
        f"Sequence diagram of scenario “{placement.scenario}”: {len(placement.columns)} entities, "
        f"{len(numbers)} messages."
    )
    extra_css, markers = _uses(pages)
    return Layout(
        title=placement.title,
        description=description,
        width=_fmt(width),
        pages=tuple(pages),
        centers=tuple(_fmt(c) for c in centers),
        column_widths=tuple(_fmt(w) for w in widths),
        theme=placement.theme,
        messages=numbers,
        extra_css=extra_css,
        markers=markers,
    )


def _bar(body: list[Item], x: float, top: float, bottom: float) -> None:
    if bottom > top:
        body.append(Rect(_fmt(x - 3), _fmt(top), 6, _fmt(bottom - top), "actbar"))


def _frame(
    body: list[Item],
    row: Row,
    top: float,
    bottom: float,
    left: float,
    right: float,
    s: Style,
) -> None:
    """A group's frame and its name tab (preconditions and loops marked by class)."""
    name, depth, look = row.text, row.depth, row.look
    kind = {"preconditions": " pre", "loop": " loop"}.get(row.group_kind, "")
    inset = s.group_inset * (depth + 1)
    x, w = left + inset - 12, right - left - 2 * inset + 24
    body.append(
        Rect(
            _fmt(x),
            _fmt(top + 4),
            _fmt(w),
            _fmt(bottom - top - 4),
            "group" + kind,
            style=_line_css(look),
        )
    )
    tab_w = text_width(name, s.box_size, bold=True) + 14
    tab = [
        Rect(_fmt(x), _fmt(top + 4), _fmt(tab_w), 15, "group-tab" + kind, style=_box_css(look)),
        Text(_fmt(x + 7), _fmt(top + 15), name, "group-t", style=_text_css(look)),
    ]
    body.extend(_linked(tab, row.link))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- usage

#: the template's own arrowheads; any other a page uses is listed in ``Layout.markers``
BASE_MARKERS = frozenset({"ah", "ahhl", "ahm", "ahms"})
_CLASS = re.compile(r"\.([A-Za-z][\w-]*)")


@cache
def extra_classes() -> frozenset[str]:
    """The classes only ``sequence-eventstudio.css`` styles: a page using one of them
    needs that stylesheet (a page without them stays byte-identical to before)."""
    folder = resources.files("callflow.render") / "templates"
    base = set(_CLASS.findall((folder / "sequence.css").read_text(encoding="utf-8")))
    extra = set(_CLASS.findall((folder / "sequence-eventstudio.css").read_text(encoding="utf-8")))
    return frozenset(extra - base)


def _marker_of(marker_id: str) -> Marker:
    if marker_id == "ahi":
        return Marker("ahi", "ah inv")
    color = marker_id[3:]
    color = "#" + color[1:] if color.startswith("x") else color
    return Marker(marker_id, "ah", f"fill:{color}")


def _uses(pages: Sequence[Page]) -> tuple[bool, tuple[Marker, ...]]:
    """Whether the pages need the EventStudio stylesheet, and the extra arrowheads."""
    classes = extra_classes()
    extra = False
    markers: set[str] = set()
    stack: list[Item] = [item for page in pages for item in (*page.header, *page.body)]
    while stack:
        item = stack.pop()
        if isinstance(item, (Group, Anchor)):
            extra = extra or isinstance(item, Anchor) or item.href is not None  # type: ignore[union-attr]
            stack.extend(item.items)
            continue
        if not extra and not classes.isdisjoint(item.cls.split()):
            extra = True
        if isinstance(item, (Line, Path)):
            for marker in (getattr(item, "marker_start", None), item.marker_end):
                if marker is not None and marker not in BASE_MARKERS:
                    markers.add(marker)
    return extra or bool(markers), tuple(_marker_of(m) for m in sorted(markers))


# ----------------------------------------------------------------------------- callouts

#: the widest a callout remark's note box grows (EventStudio's USE_CALLOUT_REMARKS)
_CALLOUT_WIDTH = 200.0
_CALLOUT_GAP = 14.0


def _items_right(items: Sequence[Item], s: Style) -> float:
    """The rightmost x a row's primitives reach (texts by their advance widths)."""
    right = 0.0
    for item in items:
        if isinstance(item, Group):
            right = max(right, _items_right(item.items, s))
        elif isinstance(item, Text):
            size = s.param_size if item.cls == "param-t" else s.name_size
            w = text_width(item.text, size, bold=item.cls == "msg-t")
            reach = {"start": w, "middle": w / 2}.get(item.anchor, 0.0)
            right = max(right, item.x + reach)
        elif isinstance(item, Rect):
            right = max(right, item.x + item.w)
        elif isinstance(item, Line):
            right = max(right, item.x1, item.x2)
    return right


def _callout_box(p: _PlacedRow, lifeline_left: float, s: Style) -> tuple[float, float]:
    """Where a row's callout stands (x) and how wide it is: right of the statement's
    rightmost point; a remark of its own (``remark "..."``) at the first lifeline."""
    size = _size(p.row.remark_look, s.remark_size)
    w = max(text_width(t, size, italic=True) for t in p.remark_lines) + 12
    if p.row.kind == "remark":
        return lifeline_left + 4, w
    right = max(p.shapes.right_x, _items_right(p.shapes.items, s))
    return right + _CALLOUT_GAP, w


def _callout(p: _PlacedRow, y: float, lifeline_left: float, s: Style) -> list[Item]:
    """A remark as a callout: a note box beside its statement and a short leader."""
    x, w = _callout_box(p, lifeline_left, s)
    top = y + p.shapes.anchor_y - 10
    h = s.line * len(p.remark_lines) + 6
    items: list[Item] = []
    if p.row.kind != "remark":
        items.append(
            Line(
                _fmt(p.shapes.right_x + 4),
                _fmt(y + p.shapes.anchor_y),
                _fmt(x),
                _fmt(top + h / 2),
                "calloutlink",
            )
        )
    items.append(Rect(_fmt(x), _fmt(top), _fmt(w), _fmt(h), "callout", rx=3))
    css = _text_css(p.row.remark_look)
    for i, t in enumerate(p.remark_lines):
        items.append(Text(_fmt(x + 6), _fmt(top + 12 + s.line * i), t, "callout-t", style=css))
    return items
