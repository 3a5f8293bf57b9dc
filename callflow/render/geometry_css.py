"""Geometry's CSS: the inline styles primitives carry, and what a layout's pages need.

Inline CSS is built here and only here, from a :class:`~callflow.render.styles.Look`'s
validated fields (CSS colours, numbers, a dash array, a font family of plain words), never
from text the user wrote. The other half is the reverse question, asked once the pages
are drawn: do they use a class only ``sequence-eventstudio.css`` styles, a link or an
arrowhead beyond the template's own? Only then does the SVG embed that stylesheet and
those markers, so a flow without EventStudio constructs renders byte for byte as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

from callflow.render.geometry_primitives import Anchor, Group, Item, Line, Marker, Page, Path
from callflow.render.styles import Look

# ----------------------------------------------------------------------------- inline CSS


def _num(value: float) -> str:
    """A number as CSS writes it: at most two decimals, no trailing zeros."""
    return f"{round(value, 2):g}"


def css_for_line(look: Look | None) -> str | None:
    """A line's (or a border's) stroke: colour, width, dash pattern (None: no style)."""
    if look is None:
        return None
    parts: list[str] = []
    if look.color is not None:
        parts.append(f"stroke:{look.color}")
    if look.width is not None:
        parts.append(f"stroke-width:{_num(look.width)}")
    if look.dash is not None:
        parts.append(f"stroke-dasharray:{look.dash}")
    return ";".join(parts) or None


def css_for_box(look: Look | None) -> str | None:
    """A box's fill and border (None: no style)."""
    if look is None:
        return None
    fill = f"fill:{look.bgcolor}" if look.bgcolor is not None else None
    parts = [p for p in (fill, css_for_line(look)) if p]
    return ";".join(parts) or None


def css_for_text(look: Look | None, *, param: bool = False) -> str | None:
    """A text's colour and font (``param``: a parameter line, its own colour, no size)."""
    if look is None:
        return None
    parts: list[str] = []
    color = look.paramcolor if param else look.textcolor
    if color is not None:
        parts.append(f"fill:{color}")
    if look.font is not None:
        parts.append(f"font-family:{look.font}")
    if look.size is not None and not param:
        parts.append(f"font-size:{_num(look.size)}px")
    return ";".join(parts) or None


def arrowhead_for(look: Look | None, default: str = "ah") -> str:
    """The arrowhead of a styled line: one per colour (``ah-red``, ``ah-x1e90ff``)."""
    if look is None or look.color is None:
        return default
    color = look.color
    return "ah-x" + color[1:] if color.startswith("#") else "ah-" + color


def size_for(look: Look | None, default: float) -> float:
    """The style's font size, else ``default``."""
    return look.size if look is not None and look.size is not None else default


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
    """The marker an :func:`arrowhead_for` id stands for (``ahi``: a method call's)."""
    if marker_id == "ahi":
        return Marker("ahi", "ah inv")
    color = marker_id[3:]
    color = "#" + color[1:] if color.startswith("x") else color
    return Marker(marker_id, "ah", f"fill:{color}")


def used_css_and_markers(pages: Sequence[Page]) -> tuple[bool, tuple[Marker, ...]]:
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
