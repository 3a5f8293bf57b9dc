"""Drawing: geometry -> SVG text, through a Jinja2 template (markup lives there).

Every user text passes through Jinja2's autoescaping, so labels with ``<``, ``&``, quotes
or ``]]>`` come out as literal text in valid XML. No timestamps: the output is a function
of the layout alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Literal

import jinja2

from callflow.render.geometry import Anchor, Group, Item, Layout, Page

Part = Literal["page", "header", "body"]


class _GroupEnd:
    """Marks where a group's (or a link's) primitives end in :func:`flatten`'s sequence."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


_GROUP_END = _GroupEnd("end")
_LINKED_GROUP_END = _GroupEnd("end-linked")  # </a></g>
_ANCHOR_END = _GroupEnd("end-anchor")  # </a>


def flatten(items: Iterable[Item]) -> Iterator[Item | _GroupEnd]:
    """Groups opened, their primitives, groups closed: one flat sequence, so the template
    draws a page in a single loop (a recursive macro costs a call per shape)."""
    for item in items:
        yield item
        if isinstance(item, Group):
            yield from item.items
            yield _LINKED_GROUP_END if item.href is not None else _GROUP_END
        elif isinstance(item, Anchor):
            yield from item.items
            yield _ANCHOR_END


@cache
def environment() -> jinja2.Environment:
    """One Jinja2 environment for the renderer's templates (package data)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("callflow.render", "templates"),
        autoescape=True,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def stylesheet(extra: bool = False) -> str:
    """The diagram CSS (embedded in every SVG so each file stands alone); ``extra`` adds
    the EventStudio constructs' rules (only a diagram that draws one of them has them)."""
    loader = environment().loader
    assert loader is not None
    names = ("sequence.css", "sequence-eventstudio.css") if extra else ("sequence.css",)
    lines: list[str] = []
    for name in names:
        source, _, _ = loader.get_source(environment(), name)
        lines.extend(line.strip() for line in source.splitlines() if line.strip())
    return " ".join(lines)


def render_page(layout: Layout, page: Page, part: Part = "page") -> str:
    """One page as SVG: the whole page, or its header or body part (HTML sticky header)."""
    template = environment().get_template("sequence.svg.j2")
    text = template.render(
        part=part,
        page=page,
        title=layout.title,
        description=layout.description,
        theme=layout.theme,
        css=stylesheet(layout.extra_css),
        markers=layout.markers,
        flatten=flatten,
    )
    return text.lstrip()


def render_svg(layout: Layout) -> list[str]:
    """Every page of a layout as a standalone SVG document."""
    return [render_page(layout, page) for page in layout.pages]
