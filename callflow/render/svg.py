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

from callflow.render.geometry import Group, Item, Layout, Page

Part = Literal["page", "header", "body"]


class _GroupEnd:
    """Marks where a group's primitives end in :func:`flatten`'s sequence."""

    kind = "end"


_GROUP_END = _GroupEnd()


def flatten(items: Iterable[Item]) -> Iterator[Item | _GroupEnd]:
    """Groups opened, their primitives, groups closed: one flat sequence, so the template
    draws a page in a single loop (a recursive macro costs a call per shape)."""
    for item in items:
        yield item
        if isinstance(item, Group):
            yield from item.items
            yield _GROUP_END


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
def stylesheet() -> str:
    """The diagram CSS (embedded in every SVG so each file stands alone)."""
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), "sequence.css")
    return " ".join(line.strip() for line in source.splitlines() if line.strip())


def render_page(layout: Layout, page: Page, part: Part = "page") -> str:
    """One page as SVG: the whole page, or its header or body part (HTML sticky header)."""
    template = environment().get_template("sequence.svg.j2")
    text = template.render(
        part=part,
        page=page,
        title=layout.title,
        description=layout.description,
        theme=layout.theme,
        css=stylesheet(),
        flatten=flatten,
    )
    return text.lstrip()


def render_svg(layout: Layout) -> list[str]:
    """Every page of a layout as a standalone SVG document."""
    return [render_page(layout, page) for page in layout.pages]
