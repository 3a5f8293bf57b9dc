"""Geometry's header: the title, the hierarchy rows and the entity boxes.

The part of a page that every page repeats (the HTML pages also draw it apart, in a
sticky container). Header cells tile halfway between lifelines
(:func:`~callflow.render.geometry_spacing.column_bounds`), so a group's cell covers its
columns however far apart the lifelines moved; the entity boxes are as tall as the
longest wrapped label (plus a line for the parent labels of EventStudio's single-tier
header); the remarks column gets its heading here.
"""

from __future__ import annotations

from callflow.render.geometry_css import css_for_box, css_for_text
from callflow.render.geometry_primitives import Item, Rect, Style, Text, round_px
from callflow.render.geometry_spacing import column_bounds, entity_lines
from callflow.render.placement_model import Placement


def header_shapes(
    placement: Placement,
    widths: list[float],
    centers: list[float],
    s: Style,
    width: float,
    remarks_x: float | None,
) -> tuple[list[Item], float]:
    """The header's primitives (title, a row of cells per level, the entity boxes, the
    remarks column's heading at ``remarks_x``) and the height it takes."""
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
            items.append(
                Rect(round_px(x1), y, round_px(x2 - x1), s.header_row, cls, style=css_for_box(look))
            )
            if cell.label:
                items.append(
                    Text(
                        round_px((x1 + x2) / 2),
                        y + 15,
                        cell.label,
                        cls.split()[0] + "-t",
                        "middle",
                        style=css_for_text(look),
                    )
                )
        y += s.header_row + s.header_gap
    lines_per_column = [entity_lines(c, s) for c in placement.columns]
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
        items.append(
            Rect(round_px(cx - w / 2), y, round_px(w), box_h, cls, rx=3, style=css_for_box(look))
        )
        shown = len(lines) + (1 if column.parent_label else 0)
        top = y + box_h / 2 - 13 * shown / 2 + 10
        text_css = css_for_text(look)
        for i, text in enumerate(lines):
            items.append(
                Text(round_px(cx), round_px(top + 13 * i), text, "ent-t", "middle", style=text_css)
            )
        if column.parent_label:  # EventStudio's displayParentInLightWeightHeader
            fill = f"fill:{look.textcolor}" if look is not None and look.textcolor else None
            y_parent = round_px(top + 13 * len(lines))
            items.append(
                Text(round_px(cx), y_parent, column.parent_label, "ent-p-t", "middle", style=fill)
            )
    if remarks_x is not None:
        top = 40.0
        h = y + box_h - top
        items.append(Rect(round_px(remarks_x), top, s.remark_width, round_px(h), "remhdr"))
        items.append(
            Text(
                round_px(remarks_x + s.remark_width / 2),
                round_px(top + h / 2 + 4),
                "Remarks",
                "remhdr-t",
                "middle",
            )
        )
    return items, y + box_h
