"""Geometry's column spacing: how wide each column is and where its lifeline stands.

Column gaps grow until every label fits between the lifelines it spans: message names
(with their number and tags), parameter lines up to ``Style.max_param_span``, media
labels, the "creates" arrow, group labels in the header. The constraints are processed
from the shortest span up, and EventStudio's environment edges (``env_l`` / ``env_r``)
push the columns right or the right edge out. The line-splitting helpers that measuring
and drawing share (entity labels, parameters, multi-line names, tag boxes) are here too.
"""

from __future__ import annotations

from collections.abc import Sequence

from callflow.render.geometry_css import size_for
from callflow.render.geometry_primitives import Style
from callflow.render.placement_model import ENV_LEFT, ENV_RIGHT, Column, Placement, Row, Tag
from callflow.render.textwidth import text_width, wrap_chars, wrap_text


def entity_lines(column: Column, s: Style) -> list[str]:
    """An entity box's label, wrapped (a separator has none)."""
    if column.separator:
        return []
    label = column.label + (" (undeclared)" if column.undeclared else "")
    return wrap_text(label, s.max_entity_text, s.entity_size)


def param_lines(row: Row, wrap: int) -> list[str]:
    """A row's parameters as drawn: joined with middle dots, ``wrap`` characters a line."""
    if not row.params:
        return []
    return wrap_chars(" · ".join(row.params), wrap)


def name_lines(row: Row) -> list[str]:
    """A message name's lines (EventStudio's ``"Setup" + "- part one"``)."""
    return row.text.split("\n")


def tag_width(tag: Tag | None, s: Style) -> float:
    """Width of a tag box (0 without a tag)."""
    text = tag.text if tag is not None else None
    return text_width(text, s.tag_size) + 8 if text else 0.0


def receiver_tag(row: Row, i: int) -> Tag | None:
    """The tag at the ``i``-th receiver's end of a message, if it has one."""
    return row.receiver_tags[i] if i < len(row.receiver_tags) else None


def column_positions(
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
            max(text_width(t, s.entity_size) for t in entity_lines(c, s)) + 16,
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
                size = size_for(hop.look, s.name_size)
                label = max(text_width(t, size, bold=True) for t in name_lines(hop))
                params = max(
                    (text_width(t, s.param_size) for t in param_lines(hop, placement.wrap)),
                    default=0,
                )
                width = max(label + 2 * number_pad, min(params, s.max_param_span)) + 2 * s.arrow_pad
                sender = hop.columns[0]
                sender_tag = tag_width(hop.sender_tag, s) / 2
                for i, receiver in enumerate(hop.columns[1:]):
                    if receiver == sender:
                        if 0 <= sender < n - 1:
                            require(sender, sender + 1, s.self_loop + 12 + max(label, params))
                    else:
                        tags = sender_tag + tag_width(receiver_tag(hop, i), s) / 2
                        require(sender, receiver, width + tags)
        elif row.kind in ("media", "media-stop"):
            require(row.columns[0], row.columns[1], text_width(row.text, s.param_size) + 40)
        elif row.kind == "create":
            a, b = row.columns
            if a != b and b >= 0:
                label = max(
                    [text_width("creates", s.param_size)]
                    + [text_width(t, s.param_size) for t in param_lines(row, placement.wrap)]
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
    bounds: list[tuple[float, float]] = []
    for i in range(n):
        left = (centers[i - 1] + centers[i]) / 2 if i > 0 else centers[0] - widths[0] / 2
        right = (centers[i] + centers[i + 1]) / 2 if i + 1 < n else centers[i] + widths[i] / 2
        bounds.append((left, right))
    return bounds
