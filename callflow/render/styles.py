"""EventStudio styles and links as the renderer draws them: validated values only.

A ``style _name: color=RED, linepattern="- -"`` definition becomes a :class:`Look`, whose
fields hold only what was checked here: CSS colours (:func:`callflow.colors.css_color`),
numbers, an SVG dash pattern and a font family of plain words. The geometry stage turns a
look into inline ``style`` text from those fields alone, so no text the user wrote ever
reaches the SVG as markup or CSS (and the template escapes it all the same). Attributes
callflow does not draw are ignored here (the semantic check warns about them).

A statement's look is its ``[_style]`` when the flow defines that style, else EventStudio's
default style for its kind (``default_message_style``, ``default_action_style``...) when the
flow defines one, else None (callflow's own look).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from callflow import ir
from callflow.colors import css_color

__all__ = ["Look", "StyleBook", "look_of", "safe_link"]

#: EventStudio's line patterns, as SVG ``stroke-dasharray`` values ("none": solid)
_DASHES = {"- -": "6 3", "-": "none", "solid": "none", ".": "1 3", ". .": "1 3"}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: a font family callflow writes into CSS unquoted: plain words only
_FONT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z][A-Za-z0-9_-]*){0,5}")


@dataclass(frozen=True, slots=True)
class Look:
    """What a style changes in the drawing; every field is validated (None: unchanged)."""

    color: str | None = None  # line, arrow or box border
    bgcolor: str | None = None  # box fill
    textcolor: str | None = None  # name text
    paramcolor: str | None = None  # parameter text
    dash: str | None = None  # an SVG dash array, or "none" for a solid line
    width: float | None = None  # line width in px
    font: str | None = None  # font family (plain words)
    size: float | None = None  # font size in px
    #: ``blockRemarkFormatting = "verbatim"``: a block remark keeps its lines as written
    verbatim: bool = False


def _number(value: str, low: float, high: float) -> float | None:
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if low <= number <= high else None


def look_of(attributes: Iterable[ir.Attribute]) -> Look | None:
    """The look of a style's attributes (None when none of them is something drawn)."""
    values: dict[str, object] = {}
    for attr in attributes:
        key, value = attr.key.lower(), attr.value
        if key in ("color", "bgcolor", "textcolor", "paramcolor"):
            color = css_color(value)
            if color is not None:
                values[key] = color
        elif key == "linepattern":
            dash = _DASHES.get(" ".join(value.split()))
            if dash is not None:
                values["dash"] = dash
        elif key == "linewidth":
            width = _number(value, 0.1, 12)
            if width is not None:
                values["width"] = width
        elif key == "fontsize":
            size = _number(value, 4, 48)
            if size is not None:
                values["size"] = size
        elif key == "font":
            family = " ".join(value.split())
            if _FONT.fullmatch(family):
                values["font"] = family
        elif key == "blockremarkformatting" and value.strip().lower() == "verbatim":
            values["verbatim"] = True
    return Look(**values) if values else None  # type: ignore[arg-type]


class StyleBook:
    """A flow's style and theme definitions, looked up by name."""

    def __init__(self, flow: ir.Flow) -> None:
        self.looks: dict[str, Look] = {}
        self.themes: dict[str, ir.StyleDef] = {}
        # a later definition of a name replaces an earlier one: a project's inc.FDL
        # redefines the default styles of the theme file it includes first
        for definition in flow.styles:
            if definition.kind == "theme":
                self.themes[definition.name] = definition
            else:
                look = look_of(definition.attributes)
                if look is not None:
                    self.looks[definition.name] = look
                else:
                    self.looks.pop(definition.name, None)

    def __bool__(self) -> bool:
        return bool(self.looks)

    def look(self, name: str | None, *defaults: str) -> Look | None:
        """The look of style ``name`` when defined, else of the first default style defined."""
        if name is not None and name in self.looks:
            return self.looks[name]
        for default in defaults:
            look = self.looks.get(default)
            if look is not None:
                return look
        return None

    def theme(self, name: str | None) -> ir.StyleDef | None:
        return self.themes.get(name) if name is not None else None


# ----------------------------------------------------------------------------- links

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_link(value: str | None) -> str | None:
    """A statement's ``<link>`` when it may become a link: http, https, mailto, or a
    relative or fragment link (``#anchor``, ``page.html#x``, ``HYPERLINK#x``). Anything
    else (``javascript:``, ``data:``...) gives None: the statement is drawn without a link.
    A link with a space or a control character is refused too (browsers drop those
    characters, so ``java\\tscript:`` would be read as a scheme)."""
    if value is None:
        return None
    text = value.strip()
    if not text or any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in text):
        return None
    scheme = _SCHEME.match(text)
    if scheme is not None and scheme.group(1).lower() not in LINK_SCHEMES:
        return None
    return text
