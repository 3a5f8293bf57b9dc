"""Geometry's output: the sizes it works with and the frozen primitives it returns.

Everything the drawing stage (:mod:`~callflow.render.svg` and its template) reads from a
layout is defined here: the primitives (:class:`Text`, :class:`Rect`, :class:`Line`,
:class:`Path`, a link :class:`Anchor`, a message's :class:`Group`), the pages and the
layout that holds them, and the :class:`Style` of sizes in pixels every part of geometry
measures with. Two small operations on primitives live beside them: rounding to 0.1 px
(:func:`round_px`, so the SVG carries no float noise) and moving a row's primitives down
to where the row stands (:func:`shift_item`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


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


@dataclass(frozen=True, slots=True)
class Text:
    """A line of text at (x, y), its baseline; ``anchor`` is SVG's ``text-anchor``."""

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
    """A box: top-left corner, size, corner radius."""

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
    """A straight line, with an arrowhead id at either end when it is an arrow."""

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
    """An SVG path (self loops, crosses) of absolute ``M`` moves and relative steps."""

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
    """A whole diagram: its pages and what the drawing stage needs to know of them."""

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


def round_px(value: float) -> float:
    """Round to 0.1 px: stable output, and no float noise in the SVG."""
    return round(value + 0.0, 1)


def shift_item(item: Item, dy: float) -> Item:
    """The same primitive ``dy`` lower (a row's shapes are drawn relative to its top)."""
    if isinstance(item, Group):
        return Group(
            item.id,
            item.cls,
            item.title,
            tuple(shift_item(i, dy) for i in item.items),  # type: ignore[misc]
            item.call,
            item.number,
            item.href,
        )
    if isinstance(item, Text):
        return Text(item.x, round_px(item.y + dy), item.text, item.cls, item.anchor, item.style)
    if isinstance(item, Rect):
        return Rect(item.x, round_px(item.y + dy), item.w, item.h, item.cls, item.rx, item.style)
    if isinstance(item, Line):
        return Line(
            item.x1,
            round_px(item.y1 + dy),
            item.x2,
            round_px(item.y2 + dy),
            item.cls,
            item.marker_start,
            item.marker_end,
            item.style,
        )
    if isinstance(item, Anchor):
        return Anchor(item.href, tuple(shift_item(i, dy) for i in item.items))  # type: ignore[misc]
    return Path(_shift_path(item.d, dy), item.cls, item.marker_end, item.style)


def _shift_path(d: str, dy: float) -> str:
    """Shift the absolute 'Mx,y' moves of the simple paths geometry makes."""
    out: list[str] = []
    for part in d.split("M"):
        if not part:
            continue
        head, _, rest = part.partition(" ")
        x, _, y = head.partition(",")
        out.append(f"M{x},{round_px(float(y) + dy)}" + (" " + rest if rest else ""))
    return " ".join(out)
