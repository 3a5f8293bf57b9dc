"""Geometry's row shapes: the primitives of one row, relative to the row's top.

Each placement row kind has its drawing here: messages (arrows, self loops, multicast,
lost, tagged ends, multi-line names, parameters, the number at the tail), a chain's hops
on one line, feature and heading bars, boxes on lifelines (actions, states, timers,
resources, joint statements spanning their columns), block remarks, media, mixing,
creation and deletion. Each returns :class:`RowShapes`: its primitives, its height and
where a remark attaches. What spans rows is drawn here too, once the layout loop knows
where it starts and ends: begin/end action bars and sequence-group frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callflow.render.geometry_css import (
    arrowhead_for,
    css_for_box,
    css_for_line,
    css_for_text,
    size_for,
)
from callflow.render.geometry_primitives import (
    Anchor,
    Group,
    Item,
    Line,
    Path,
    Primitive,
    Rect,
    Style,
    Text,
    round_px,
)
from callflow.render.geometry_spacing import name_lines, param_lines, receiver_tag, tag_width
from callflow.render.placement_model import ENV_LEFT, ENV_RIGHT, Placement, Row, Tag
from callflow.render.styles import Look
from callflow.render.textwidth import text_width, wrap_text


@dataclass
class RowShapes:
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
    size = size_for(look, s.box_size)
    if span is not None:
        cx = (span[0] + span[1]) / 2
        max_w = max(max_w or s.box_max, span[1] - span[0] + 24)
    lines = wrap_text(text, max_w or s.box_max, size)
    w = max(text_width(t, size) for t in lines) + 16
    if span is not None:
        w = max(w, span[1] - span[0] + 36)
    h = s.line * len(lines) + 10
    items: list[Item] = [
        Rect(round_px(cx - w / 2), top, round_px(w), h, cls, rx=2, style=css_for_box(look))
    ]
    text_css = css_for_text(look)
    for i, t in enumerate(lines):
        items.append(
            Text(
                round_px(cx),
                round_px(top + 15 + s.line * i),
                t,
                cls + "-t",
                "middle",
                style=text_css,
            )
        )
    return items, h + top + 8, cx + w / 2


#: the boxes on a lifeline: the text before the row's own, and the box's class
_BOX_PREFIX: dict[str, tuple[str, str]] = {
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


def _tag_shapes(tag: Tag | None, x: float, y: float, s: Style) -> list[Primitive]:
    """A tagged arrow end: a small labelled box centred on the lifeline at the arrow."""
    text = tag.text if tag is not None else None
    if not text:
        return []
    look = tag.look
    w = tag_width(tag, s)
    return [
        Rect(
            round_px(x - w / 2),
            round_px(y - 6),
            round_px(w),
            12,
            "tag",
            rx=2,
            style=css_for_box(look),
        ),
        Text(round_px(x), round_px(y + 2.7), text, "tag-t", "middle", style=css_for_text(look)),
    ]


def _message_shapes(
    row: Row,
    centers: Sequence[float],
    placement: Placement,
    s: Style,
    right_limit: float,
    edges: tuple[float, float] = (0.0, 0.0),
) -> RowShapes:
    """A message (or one hop of a chain): an arrow per receiver, or a loop to itself;
    parameters may spill sideways up to ``right_limit``."""
    sender = row.columns[0]
    x1 = _column_x(sender, centers, edges)
    params = param_lines(row, placement.wrap)
    names = name_lines(row)
    extra = s.name_line * (len(names) - 1)  # a multi-line name pushes the arrow down
    look = row.look
    name_css = css_for_text(look)
    param_css = css_for_text(look, param=True)
    line_css = css_for_line(look)
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
    head = arrowhead_for(look, "ahi" if row.call_kind != "message" else "ah")
    numbered = placement.numbering and row.number is not None and row.show_number
    name_y = 12.0
    arrow_y = 17.0
    if len(row.columns) == 2 and row.columns[1] == sender:  # self message: a loop
        loop = s.self_loop
        items.append(
            Path(
                f"M{round_px(x1)},{arrow_y} h{loop} v16 h-{loop}",
                cls,
                marker_end=head,
                style=line_css,
            )
        )
        for i, t in enumerate(names):
            y = arrow_y + 4 + s.name_line * i
            items.append(Text(round_px(x1 + loop + 6), y, t, "msg-t", style=name_css))
        for i, t in enumerate(params):
            y = arrow_y + 16 + extra + s.line * i
            items.append(Text(round_px(x1 + loop + 6), y, t, "param-t", style=param_css))
        if numbered:
            items.append(Text(round_px(x1 + 4), name_y, str(row.number), "num"))
        height = arrow_y + 16 + extra + s.line * max(len(params), 1) + 8
        right = (
            x1
            + loop
            + 6
            + max(
                [text_width(t, size_for(look, s.name_size), bold=True) for t in names]
                + [text_width(t, s.param_size) for t in params]
            )
        )
        return RowShapes(list(items), height, arrow_y, right)
    name_y += extra
    arrow_y += extra
    targets = [_column_x(c, centers, edges) for c in row.columns[1:]]
    far = max(targets, key=lambda x: abs(x - x1))
    direction = 1 if far >= x1 else -1
    start_tag = tag_width(row.sender_tag, s) / 2
    for i, x2 in enumerate(targets):
        step = 1 if x2 >= x1 else -1
        start = x1 + step * start_tag
        end_tag = tag_width(receiver_tag(row, i), s) / 2
        if row.lost:
            end = x1 + (x2 - x1) * 0.8
            items.append(
                Line(
                    round_px(start),
                    arrow_y,
                    round_px(end),
                    arrow_y,
                    "arrow lost" + cls[5:],
                    head if both else None,
                    style=line_css,
                )
            )
            items.append(
                Path(
                    f"M{round_px(end - 5)},{arrow_y - 5} l10,10 "
                    f"M{round_px(end - 5)},{arrow_y + 5} l10,-10",
                    "lost-x",
                )
            )
        else:
            end = x2 - step * end_tag
            items.append(
                Line(
                    round_px(start),
                    arrow_y,
                    round_px(end),
                    arrow_y,
                    cls,
                    head if both else None,
                    head,
                    style=line_css,
                )
            )
        items.extend(_tag_shapes(receiver_tag(row, i), x2, arrow_y, s))
    if len(targets) > 1:  # EventStudio marks a multicast's source with a circle
        items.append(
            Rect(round_px(x1 - 4), arrow_y - 4, 8, 8, "mcast", rx=4, style=css_for_box(look))
        )
    items.extend(_tag_shapes(row.sender_tag, x1, arrow_y, s))
    mid = (x1 + far) / 2
    for i, t in enumerate(names):
        y = name_y - s.name_line * (len(names) - 1 - i)
        items.append(Text(round_px(mid), y, t, "msg-t", "middle", style=name_css))
    for i, t in enumerate(params):
        half = text_width(t, s.param_size) / 2
        x = min(max(mid, s.margin / 2 + half), right_limit - half)  # spill, but stay on the page
        items.append(
            Text(round_px(x), arrow_y + 12 + s.line * i, t, "param-t", "middle", style=param_css)
        )
    if numbered:
        clear = 5 + start_tag + (8 if both else 0)  # off the tag and the tail's arrowhead
        if direction > 0:
            items.append(Text(round_px(x1 + clear), name_y, str(row.number), "num"))
        else:
            items.append(Text(round_px(x1 - clear), name_y, str(row.number), "num", "end"))
    height = arrow_y + s.line * len(params) + 14
    far_tags = [tag_width(receiver_tag(row, i), s) / 2 for i in range(len(targets))]
    right = max(x1 + start_tag, far + max(far_tags, default=0.0)) + 4
    return RowShapes(list(items), height, arrow_y, right)


def message_group(row: Row, items: Sequence[Item]) -> Group:
    """A message's primitives as its ``<g id="mN">``, with its tooltip, call and link."""
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


def linked(items: list[Item], link: str | None) -> list[Item]:
    """A statement's primitives inside its link (when it has a safe one)."""
    if link is None or not items:
        return items
    return [Anchor(link, tuple(items))]  # type: ignore[arg-type]


def row_shapes(
    row: Row,
    centers: Sequence[float],
    placement: Placement,
    s: Style,
    lifeline_left: float,
    lifeline_right: float,
) -> RowShapes:
    """The shapes of one row of any kind, between the lifelines' outer edges."""
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
            groups.append(message_group(hop, shapes.items))
            height = max(height, shapes.height)
            anchor_y = max(anchor_y, shapes.anchor_y)
            right = max(right, shapes.right_x)
        return RowShapes(groups, height, anchor_y, right)
    look = row.look
    if kind in ("feature", "heading"):
        cls = "heading" if kind == "feature" else "heading sub"
        items: list[Item] = [
            Rect(
                round_px(lifeline_left),
                6,
                round_px(lifeline_right - lifeline_left),
                22,
                cls,
                style=css_for_box(look),
            ),
            Text(
                round_px((lifeline_left + lifeline_right) / 2),
                21,
                row.text,
                "heading-t",
                "middle",
                style=css_for_text(look),
            ),
        ]
        return RowShapes(linked(items, row.link), 36, 21, lifeline_right)
    if kind in _BOX_PREFIX:
        prefix, cls = _BOX_PREFIX[kind]
        xs = sorted({_column_x(c, centers, edges) for c in row.columns})
        span = (xs[0], xs[-1]) if len(xs) > 1 else None
        items, height, right = _box(xs[0], prefix + row.text, cls, s, look=look, span=span)
        return RowShapes(linked(items, row.link), height, 16, right)
    if kind == "block-remark":  # EventStudio's |= =|: across the whole diagram
        width = lifeline_right - lifeline_left
        size = size_for(look, s.remark_size)
        verbatim = look is not None and look.verbatim
        # verbatim: the lines as written (a code fragment), spaces kept; else wrapped
        lines = row.text.split("\n") if verbatim else wrap_text(row.text, width - 16, size)
        h = s.line * len(lines) + 10
        text_css = css_for_text(look)
        if verbatim:
            text_css = ";".join(p for p in (text_css, "white-space:pre") if p)
        items = [
            Rect(
                round_px(lifeline_left), 6, round_px(width), h, "blockrem", style=css_for_box(look)
            )
        ]
        for i, t in enumerate(lines):
            y = round_px(6 + 15 + s.line * i)
            items.append(Text(round_px(lifeline_left + 8), y, t, "blockrem-t", style=text_css))
        return RowShapes(linked(items, row.link), h + 14, 16, lifeline_right)
    if kind == "pause":  # the lifelines are dotted here (layout draws them)
        return RowShapes([], 28, 14, lifeline_right)
    if kind == "mix":
        mixer = centers[row.columns[0]]
        items, height, right = _box(mixer, row.text, "mix", s)
        for party in row.columns[1:]:
            x = centers[party]
            items.append(Line(round_px(mixer), height - 6, round_px(x), height - 6, "mixlink"))
            items.append(Rect(round_px(x - 3), height - 9, 6, 6, "mixdot", rx=3))
        return RowShapes(items, height + 4, 16, max(right, *(centers[p] for p in row.columns)))
    if kind in ("media", "media-stop"):
        a, b = sorted((centers[row.columns[0]], centers[row.columns[1]]))
        cls = "media" if kind == "media" else "media stopped"
        items = [
            Line(round_px(a + 2), 20, round_px(b - 2), 20, cls, "ahms", "ahm"),
            Text(round_px((a + b) / 2), 12, row.text, "media-t", "middle"),
        ]
        return RowShapes(items, 32, 20, b)
    if kind == "create":
        creator, created = (_column_x(c, centers, edges) for c in row.columns)
        items, height, right = _box(created, row.text, "ent created", s)
        if row.columns[0] == row.columns[1]:  # `create X`: no creator, no arrow
            return RowShapes(linked(items, row.link), height, 15, right)
        box_left = created - (right - created)
        edge = box_left if created > creator else right
        line_css = css_for_line(look)
        items.append(
            Line(
                round_px(creator),
                15,
                round_px(edge),
                15,
                "arrow create",
                None,
                arrowhead_for(look),
                line_css,
            )
        )
        mid = (creator + edge) / 2
        items.append(
            Text(round_px(mid), 11, "creates", "param-t", "middle", style=css_for_text(look))
        )
        params = param_lines(row, placement.wrap)
        param_css = css_for_text(look, param=True)
        for i, t in enumerate(params):
            items.append(
                Text(round_px(mid), 15 + 12 + s.line * i, t, "param-t", "middle", param_css)
            )
        if params:
            height = max(height, 15 + 12 + s.line * len(params))
        return RowShapes(linked(items, row.link), height, 15, max(right, creator))
    if kind == "delete":
        deleter, deleted = (_column_x(c, centers, edges) for c in row.columns)
        items = [
            Path(
                f"M{round_px(deleted - 8)},8 l16,16 M{round_px(deleted - 8)},24 l16,-16", "delete-x"
            )
        ]
        if deleter != deleted:
            edge = deleted - 10 if deleted > deleter else deleted + 10
            items.append(
                Line(
                    round_px(deleter),
                    16,
                    round_px(edge),
                    16,
                    "arrow create",
                    None,
                    arrowhead_for(look),
                    css_for_line(look),
                )
            )
            mid = (deleter + edge) / 2
            items.append(
                Text(round_px(mid), 12, "deletes", "param-t", "middle", style=css_for_text(look))
            )
        return RowShapes(linked(items, row.link), 32, 16, max(deleted, deleter) + 10)
    if kind == "remark":
        return RowShapes([], 4, 10, lifeline_right)
    if kind == "group-start":
        return RowShapes([], 22, 14, lifeline_right)
    if kind == "group-end":
        return RowShapes([], 8, 4, lifeline_right)
    raise ValueError(f"no geometry for row kind {kind!r}")  # pragma: no cover


def action_bar(body: list[Item], x: float, top: float, bottom: float) -> None:
    """A begin/end action's bar on a lifeline, from ``top`` to ``bottom`` of a page."""
    if bottom > top:
        body.append(Rect(round_px(x - 3), round_px(top), 6, round_px(bottom - top), "actbar"))


def group_frame(
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
            round_px(x),
            round_px(top + 4),
            round_px(w),
            round_px(bottom - top - 4),
            "group" + kind,
            style=css_for_line(look),
        )
    )
    tab_w = text_width(name, s.box_size, bold=True) + 14
    tab = [
        Rect(
            round_px(x),
            round_px(top + 4),
            round_px(tab_w),
            15,
            "group-tab" + kind,
            style=css_for_box(look),
        ),
        Text(round_px(x + 7), round_px(top + 15), name, "group-t", style=css_for_text(look)),
    ]
    body.extend(linked(tab, row.link))  # type: ignore[arg-type]
