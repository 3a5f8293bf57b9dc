"""Geometry: a placement -> pages of frozen primitives with pixel coordinates.

The second stage of the renderer, and a pure function: the same placement gives the same
numbers, with no SVG in sight. Column spacing grows until every label fits between the
lifelines it spans; rows grow to hold their wrapped text and their remark; long flows
give one tall page, or pages of ``page_height`` that each repeat the title and header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from callflow.render.placement import Column, Placement, Row
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


@dataclass(frozen=True, slots=True)
class Rect:
    kind: ClassVar[str] = "rect"  # what the template draws
    x: float
    y: float
    w: float
    h: float
    cls: str
    rx: float = 0


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


@dataclass(frozen=True, slots=True)
class Path:
    kind: ClassVar[str] = "path"  # what the template draws
    d: str
    cls: str
    marker_end: str | None = None


Primitive = Text | Rect | Line | Path


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


Item = Primitive | Group


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


def _fmt(value: float) -> float:
    """Round to 0.1 px: stable output, and no float noise in the SVG."""
    return round(value + 0.0, 1)


# ----------------------------------------------------------------------------- columns


def _entity_lines(column: Column, s: Style) -> list[str]:
    label = column.label + (" (undeclared)" if column.undeclared else "")
    return wrap_text(label, s.max_entity_text, s.entity_size)


def _param_lines(row: Row, wrap: int) -> list[str]:
    if not row.params:
        return []
    return wrap_chars(" · ".join(row.params), wrap)


def _column_positions(placement: Placement, s: Style) -> tuple[list[float], list[float]]:
    """Column widths and lifeline x positions: labels fit between the lifelines they span."""
    columns = placement.columns
    widths = [
        max(s.min_column, max(text_width(t, s.entity_size) for t in _entity_lines(c, s)) + 16)
        for c in columns
    ]
    n = len(columns)
    if n == 0:
        return [], []
    for cell_row in placement.header_rows:  # a one-column group label widens its column
        for cell in cell_row.cells:
            if cell.first == cell.last and cell.label:
                size = s.group_size
                widths[cell.first] = max(widths[cell.first], text_width(cell.label, size) + 14)
    gaps = [(widths[i] + widths[i + 1]) / 2 + s.column_gap for i in range(n - 1)]
    need: dict[tuple[int, int], float] = {}

    def require(a: int, b: int, distance: float) -> None:
        if a > b:
            a, b = b, a
        if distance > need.get((a, b), 0.0):
            need[(a, b)] = distance

    number_pad = 18 if placement.numbering else 0
    for row in placement.rows:
        if row.kind == "message":
            label = text_width(row.text, s.name_size, bold=True)
            params = max(
                (text_width(t, s.param_size) for t in _param_lines(row, placement.wrap)), default=0
            )
            width = max(label + 2 * number_pad, min(params, s.max_param_span)) + 2 * s.arrow_pad
            sender = row.columns[0]
            for receiver in row.columns[1:]:
                if receiver == sender:
                    if sender + 1 < n:
                        require(sender, sender + 1, s.self_loop + 12 + max(label, params))
                else:
                    require(sender, receiver, width)
        elif row.kind in ("media", "media-stop"):
            require(row.columns[0], row.columns[1], text_width(row.text, s.param_size) + 40)
        elif row.kind == "create":
            a, b = row.columns
            if a != b:
                require(a, b, text_width("creates", s.param_size) + widths[b] / 2 + 30)
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
    return widths, centers


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
            items.append(Rect(_fmt(x1), y, _fmt(x2 - x1), s.header_row, cls))
            if cell.label:
                items.append(
                    Text(_fmt((x1 + x2) / 2), y + 15, cell.label, cls.split()[0] + "-t", "middle")
                )
        y += s.header_row + s.header_gap
    lines_per_column = [_entity_lines(c, s) for c in placement.columns]
    box_h = max(34.0, 10 + 13 * max((len(lines) for lines in lines_per_column), default=1))
    for column, lines in zip(placement.columns, lines_per_column, strict=True):
        cx = centers[column.index]
        w = widths[column.index] - 8
        cls = "ent"
        if column.highlighted:
            cls += " focus"
        if column.undeclared:
            cls += " undeclared"
        if column.dynamic:
            cls += " dynamic"
        items.append(Rect(_fmt(cx - w / 2), y, _fmt(w), box_h, cls, rx=3))
        top = y + box_h / 2 - 13 * len(lines) / 2 + 10
        for i, text in enumerate(lines):
            items.append(Text(_fmt(cx), _fmt(top + 13 * i), text, "ent-t", "middle"))
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
    cx: float, text: str, cls: str, s: Style, top: float = 4, max_w: float | None = None
) -> tuple[list[Item], float, float]:
    lines = wrap_text(text, max_w or s.box_max, s.box_size)
    w = max(text_width(t, s.box_size) for t in lines) + 16
    h = s.line * len(lines) + 10
    items: list[Item] = [Rect(_fmt(cx - w / 2), top, _fmt(w), h, cls, rx=2)]
    for i, t in enumerate(lines):
        items.append(Text(_fmt(cx), _fmt(top + 15 + s.line * i), t, cls + "-t", "middle"))
    return items, h + top + 8, cx + w / 2


_BOX_PREFIX = {
    "action": ("", "action"),
    "begin": ("begin: ", "action long"),
    "end": ("end: ", "action long"),
    "state": ("", "state"),
    "timer-start": ("start timer ", "timer"),
    "timer-stop": ("stop timer ", "timer"),
    "timeout": ("timeout ", "timer expired"),
    "allocate": ("allocate ", "resource"),
    "free": ("free ", "resource"),
    "stop-mixing": ("", "mix"),
}


def _message_shapes(
    row: Row, centers: Sequence[float], placement: Placement, s: Style, right_limit: float
) -> _RowShapes:
    sender = row.columns[0]
    x1 = centers[sender]
    params = _param_lines(row, placement.wrap)
    items: list[Primitive] = []
    dash = " response" if row.response else ""
    name_y = 12.0
    arrow_y = 17.0
    if len(row.columns) == 2 and row.columns[1] == sender:  # self message: a loop
        loop = s.self_loop
        items.append(
            Path(
                f"M{_fmt(x1)},{arrow_y} h{loop} v16 h-{loop}",
                "arrow" + dash,
                marker_end="ah",
            )
        )
        items.append(Text(_fmt(x1 + loop + 6), arrow_y + 4, row.text, "msg-t"))
        for i, t in enumerate(params):
            items.append(Text(_fmt(x1 + loop + 6), arrow_y + 16 + s.line * i, t, "param-t"))
        if placement.numbering and row.number is not None:
            items.append(Text(_fmt(x1 + 4), name_y, str(row.number), "num"))
        height = arrow_y + 16 + s.line * max(len(params), 1) + 8
        right = (
            x1
            + loop
            + 6
            + max(
                [text_width(row.text, s.name_size, bold=True)]
                + [text_width(t, s.param_size) for t in params]
            )
        )
        return _RowShapes(list(items), height, arrow_y, right)
    targets = [centers[c] for c in row.columns[1:]]
    far = max(targets, key=lambda x: abs(x - x1))
    direction = 1 if far >= x1 else -1
    for x2 in targets:
        if row.lost:
            end = x1 + (x2 - x1) * 0.8
            items.append(Line(_fmt(x1), arrow_y, _fmt(end), arrow_y, "arrow lost" + dash))
            items.append(
                Path(
                    f"M{_fmt(end - 5)},{arrow_y - 5} l10,10 M{_fmt(end - 5)},{arrow_y + 5} l10,-10",
                    "lost-x",
                )
            )
        else:
            items.append(Line(_fmt(x1), arrow_y, _fmt(x2), arrow_y, "arrow" + dash, None, "ah"))
    mid = (x1 + far) / 2
    items.append(Text(_fmt(mid), name_y, row.text, "msg-t", "middle"))
    for i, t in enumerate(params):
        half = text_width(t, s.param_size) / 2
        x = min(max(mid, s.margin / 2 + half), right_limit - half)  # spill, but stay on the page
        items.append(Text(_fmt(x), arrow_y + 12 + s.line * i, t, "param-t", "middle"))
    if placement.numbering and row.number is not None:
        if direction > 0:
            items.append(Text(_fmt(x1 + 5), name_y, str(row.number), "num"))
        else:
            items.append(Text(_fmt(x1 - 5), name_y, str(row.number), "num", "end"))
    height = arrow_y + s.line * len(params) + 14
    right = max(x1, far) + 4
    return _RowShapes(list(items), height, arrow_y, right)


def _row_shapes(
    row: Row,
    centers: Sequence[float],
    placement: Placement,
    s: Style,
    lifeline_left: float,
    lifeline_right: float,
) -> _RowShapes:
    kind = row.kind
    if kind == "message":
        return _message_shapes(row, centers, placement, s, lifeline_right + s.remark_gap - 4)
    if kind in ("feature", "heading"):
        cls = "heading" if kind == "feature" else "heading sub"
        items: list[Item] = [
            Rect(_fmt(lifeline_left), 6, _fmt(lifeline_right - lifeline_left), 22, cls),
            Text(_fmt((lifeline_left + lifeline_right) / 2), 21, row.text, "heading-t", "middle"),
        ]
        return _RowShapes(items, 36, 21, lifeline_right)
    if kind in _BOX_PREFIX:
        prefix, cls = _BOX_PREFIX[kind]
        items, height, right = _box(centers[row.columns[0]], prefix + row.text, cls, s)
        return _RowShapes(items, height, 16, right)
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
        creator, created = (centers[c] for c in row.columns)
        items, height, right = _box(created, row.text, "ent created", s)
        box_left = created - (right - created)
        edge = box_left if created > creator else right
        items.append(Line(_fmt(creator), 15, _fmt(edge), 15, "arrow create", None, "ah"))
        items.append(Text(_fmt((creator + edge) / 2), 11, "creates", "param-t", "middle"))
        return _RowShapes(items, height, 15, max(right, creator))
    if kind == "delete":
        deleter, deleted = (centers[c] for c in row.columns)
        items = [Path(f"M{_fmt(deleted - 8)},8 l16,16 M{_fmt(deleted - 8)},24 l16,-16", "delete-x")]
        if deleter != deleted:
            edge = deleted - 10 if deleted > deleter else deleted + 10
            items.append(Line(_fmt(deleter), 16, _fmt(edge), 16, "arrow create", None, "ah"))
            items.append(Text(_fmt((deleter + edge) / 2), 12, "deletes", "param-t", "middle"))
        return _RowShapes(items, 32, 16, max(deleted, deleter) + 10)
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
            tuple(_shift(i, dy) for i in item.items),
            item.call,
            item.number,
        )  # type: ignore[arg-type]
    if isinstance(item, Text):
        return Text(item.x, _fmt(item.y + dy), item.text, item.cls, item.anchor)
    if isinstance(item, Rect):
        return Rect(item.x, _fmt(item.y + dy), item.w, item.h, item.cls, item.rx)
    if isinstance(item, Line):
        return Line(
            item.x1,
            _fmt(item.y1 + dy),
            item.x2,
            _fmt(item.y2 + dy),
            item.cls,
            item.marker_start,
            item.marker_end,
        )
    return Path(_shift_path(item.d, dy), item.cls, item.marker_end)


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
    widths, centers = _column_positions(placement, s)
    if centers:
        lifeline_left = centers[0] - widths[0] / 2
        lifeline_right = centers[-1] + widths[-1] / 2
    else:
        lifeline_left, lifeline_right = s.margin, s.margin + s.min_column
    has_remarks = placement.remarks
    remarks_x = lifeline_right + s.remark_gap if has_remarks else None
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
            lines = wrap_text(remark_text, s.remark_width - 12, s.remark_size, italic=True)
        height = max(shapes.height, shapes.anchor_y - 10 + s.line * len(lines) + 8)
        placed.append(_PlacedRow(row, shapes, lines, height))

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

    numbers = tuple(r.number for r in placement.rows if r.kind == "message" and r.number)
    pages: list[Page] = []
    count = len(pages_rows)
    open_bars: dict[tuple[int, str], float] = {}  # begin/end action bars across pages
    alive: dict[int, bool] = {c.index: not c.dynamic for c in placement.columns}
    groups_open: list[tuple[str, int]] = []  # sequence groups open at the page start
    for index, rows in enumerate(pages_rows, start=1):
        body: list[Item] = []
        y = body_top
        life_start = {c: (body_top if alive[c] else None) for c in alive}
        life_segments: list[tuple[int, float, float]] = []
        bar_start = {key: body_top for key in open_bars}
        group_stack = [(name, depth, body_top) for name, depth in groups_open]
        for p in rows:
            row = p.row
            shifted = [_shift(item, y) for item in p.shapes.items]
            if row.kind == "message":
                body.append(
                    Group(
                        f"m{row.number}",
                        "msg" + (" response" if row.response else ""),
                        row.tooltip,
                        tuple(shifted),
                        row.call,
                        row.number,
                    )  # type: ignore[arg-type]
                )
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
                for i, t in enumerate(p.remark_lines):
                    body.append(Text(_fmt(remarks_x + 6), _fmt(ry + 4 + s.line * i), t, "rem-t"))
            if row.kind == "create":
                created = row.columns[1]
                life_start[created] = y + p.height - 4
                alive[created] = True
            elif row.kind == "delete":
                deleted = row.columns[1]
                if life_start.get(deleted) is not None:
                    life_segments.append((deleted, life_start[deleted], y + 16))  # type: ignore[arg-type]
                life_start[deleted] = None
                alive[deleted] = False
            elif row.kind == "begin":
                bar_start[(row.columns[0], row.text)] = y + p.height
                open_bars[(row.columns[0], row.text)] = 0
            elif row.kind == "end":
                key = (row.columns[0], row.text)
                if key in bar_start:
                    _bar(body, centers[key[0]], bar_start.pop(key), y + 4)
                    open_bars.pop(key, None)
            elif row.kind == "group-start":
                group_stack.append((row.text, row.depth, y))
                groups_open.append((row.text, row.depth))
            elif row.kind == "group-end" and group_stack:
                name, depth, top = group_stack.pop()
                if groups_open:
                    groups_open.pop()
                _frame(body, name, depth, top, y + 4, lifeline_left, lifeline_right, s)
            y += p.height
        bottom = y + 8
        for key, start in bar_start.items():  # still running at the page end
            _bar(body, centers[key[0]], start, bottom)
        for name, depth, top in group_stack:
            _frame(body, name, depth, top, bottom, lifeline_left, lifeline_right, s)
        for column, start in life_start.items():
            if start is not None:
                life_segments.append((column, start, bottom))
        lifelines = [
            Line(_fmt(centers[c]), _fmt(a), _fmt(centers[c]), _fmt(b), "life")
            for c, a, b in sorted(life_segments)
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
    return Layout(
        title=placement.title,
        description=description,
        width=_fmt(width),
        pages=tuple(pages),
        centers=tuple(_fmt(c) for c in centers),
        column_widths=tuple(_fmt(w) for w in widths),
        theme=placement.theme,
        messages=numbers,
    )


def _bar(body: list[Item], x: float, top: float, bottom: float) -> None:
    if bottom > top:
        body.append(Rect(_fmt(x - 3), _fmt(top), 6, _fmt(bottom - top), "actbar"))


def _frame(
    body: list[Item],
    name: str,
    depth: int,
    top: float,
    bottom: float,
    left: float,
    right: float,
    s: Style,
) -> None:
    inset = s.group_inset * (depth + 1)
    x, w = left + inset - 12, right - left - 2 * inset + 24
    body.append(Rect(_fmt(x), _fmt(top + 4), _fmt(w), _fmt(bottom - top - 4), "group"))
    tab_w = text_width(name, s.box_size, bold=True) + 14
    body.append(Rect(_fmt(x), _fmt(top + 4), _fmt(tab_w), 15, "group-tab"))
    body.append(Text(_fmt(x + 7), _fmt(top + 15), name, "group-t"))
