"""Geometry: a placement -> pages of frozen primitives with pixel coordinates.

The second stage of the renderer, and a pure function: the same placement gives the same
numbers, with no SVG in sight. Column spacing grows until every label fits between the
lifelines it spans; rows grow to hold their wrapped text and their remark; long flows
give one tall page, or pages of ``page_height`` that each repeat the title and header.

This module is the page layout loop, :func:`layout`: it measures every row, places the
remarks (in the remarks column, or as callouts beside their statements), splits the rows
into pages and draws what runs down a page (lifelines, action bars, group frames). The
parts it puts together live beside it: the primitives and sizes
(:mod:`~callflow.render.geometry_primitives`), inline CSS and the stylesheet a layout needs
(:mod:`~callflow.render.geometry_css`), column spacing
(:mod:`~callflow.render.geometry_spacing`), the header
(:mod:`~callflow.render.geometry_header`) and each row's shapes
(:mod:`~callflow.render.geometry_rows`). The public names callers used from here are
re-exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callflow.render.geometry_css import (
    BASE_MARKERS,
    css_for_line,
    css_for_text,
    extra_classes,
    size_for,
    used_css_and_markers,
)
from callflow.render.geometry_header import header_shapes
from callflow.render.geometry_primitives import (
    STYLE,
    Anchor,
    Group,
    Item,
    Layout,
    Line,
    Marker,
    Page,
    Path,
    Primitive,
    Rect,
    Style,
    Text,
    round_px,
    shift_item,
)
from callflow.render.geometry_rows import (
    RowShapes,
    action_bar,
    group_frame,
    message_group,
    row_shapes,
)
from callflow.render.geometry_spacing import column_bounds, column_positions
from callflow.render.placement_model import Placement, Row
from callflow.render.textwidth import text_width, wrap_text

__all__ = [
    "BASE_MARKERS",
    "STYLE",
    "Anchor",
    "Group",
    "Item",
    "Layout",
    "Line",
    "Marker",
    "Page",
    "Path",
    "Primitive",
    "Rect",
    "Style",
    "Text",
    "column_bounds",
    "extra_classes",
    "layout",
]


@dataclass
class _PlacedRow:
    """A row measured for the page: its shapes, its wrapped remark, its full height."""

    row: Row
    shapes: RowShapes
    remark_lines: list[str]
    height: float


def layout(
    placement: Placement,
    *,
    page_height: float | None = None,
    date: str | None = None,
    style: Style = STYLE,
) -> Layout:
    """Pixel geometry of a placement: a pure function returning frozen values."""
    s = style
    widths, centers, pad_left, pad_right = column_positions(placement, s)
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
    header, header_height = header_shapes(placement, widths, centers, s, width, remarks_x)
    body_top = header_height + 8

    placed: list[_PlacedRow] = []
    for row in placement.rows:
        shapes = row_shapes(row, centers, placement, s, lifeline_left, lifeline_right)
        remark_text = row.text if row.kind == "remark" else row.remark
        lines: list[str] = []
        if remark_text and has_remarks:
            size = size_for(row.remark_look, s.remark_size)
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
    life_css = {c.index: css_for_line(c.look) for c in placement.columns}
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
            shifted = [shift_item(item, y) for item in p.shapes.items]
            if row.kind == "message":
                body.append(message_group(row, shifted))
            else:
                body.extend(shifted)
            if p.remark_lines and remarks_x is not None:
                ry = y + p.shapes.anchor_y - 4
                if row.kind != "remark":
                    body.append(
                        Line(
                            round_px(p.shapes.right_x + 4),
                            round_px(y + p.shapes.anchor_y),
                            round_px(remarks_x),
                            round_px(ry),
                            "remlink",
                        )
                    )
                remark_css = css_for_text(row.remark_look)
                for i, t in enumerate(p.remark_lines):
                    body.append(
                        Text(
                            round_px(remarks_x + 6),
                            round_px(ry + 4 + s.line * i),
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
                        action_bar(body, centers[key[0]], bar_start.pop(key), y + 4)
                        open_bars.pop(key, None)
            elif row.kind == "group-start":
                group_stack.append((row, y))
                groups_open.append(row)
            elif row.kind == "group-end" and group_stack:
                start_row, top = group_stack.pop()
                if groups_open:
                    groups_open.pop()
                group_frame(body, start_row, top, y + 4, lifeline_left, lifeline_right, s)
            y += p.height
        bottom = y + 8
        for key, start in bar_start.items():  # still running at the page end
            action_bar(body, centers[key[0]], start, bottom)
        for start_row, top in group_stack:
            group_frame(body, start_row, top, bottom, lifeline_left, lifeline_right, s)
        for column, start in life_start.items():
            if start is not None:
                life_segments.append((column, start, bottom, "life"))
        lifelines = [
            Line(
                round_px(centers[c]),
                round_px(a),
                round_px(centers[c]),
                round_px(b),
                cls,
                style=life_css[c],
            )
            for c, a, b, cls in sorted(life_segments)
        ]
        meta = f"callflow · scenario “{placement.scenario}” · page {index} of {count}"
        if date:
            meta += f" · {date}"
        page_items = [Text(round_px(width - s.margin / 2), 26, meta, "meta", "end")]
        pages.append(
            Page(
                index=index,
                count=count,
                width=round_px(width),
                height=round_px(bottom + 12),
                header=tuple(header + page_items),
                header_height=round_px(header_height),
                body=tuple(lifelines + body),
                meta=meta,
            )
        )
    description = (
        f"Sequence diagram of scenario “{placement.scenario}”: {len(placement.columns)} entities, "
        f"{len(numbers)} messages."
    )
    extra_css, markers = used_css_and_markers(pages)
    return Layout(
        title=placement.title,
        description=description,
        width=round_px(width),
        pages=tuple(pages),
        centers=tuple(round_px(c) for c in centers),
        column_widths=tuple(round_px(w) for w in widths),
        theme=placement.theme,
        messages=numbers,
        extra_css=extra_css,
        markers=markers,
    )


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
    size = size_for(p.row.remark_look, s.remark_size)
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
                round_px(p.shapes.right_x + 4),
                round_px(y + p.shapes.anchor_y),
                round_px(x),
                round_px(top + h / 2),
                "calloutlink",
            )
        )
    items.append(Rect(round_px(x), round_px(top), round_px(w), round_px(h), "callout", rx=3))
    css = css_for_text(p.row.remark_look)
    for i, t in enumerate(p.remark_lines):
        items.append(
            Text(round_px(x + 6), round_px(top + 12 + s.line * i), t, "callout-t", style=css)
        )
    return items
