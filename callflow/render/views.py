"""EventStudio's document views, resolved against a flow (no pixels, no markup).

An EventStudio document draws a *view* of its scenarios: at an ``interactionLevel``
(every object folded into its ancestor at that tier), through an ``interfaceFilter``
(an object, an object type or a group: only the interactions involving it), with some
element kinds ``exclude``\\ d, on a standard page (the ``POSTER`` and ``PRESENTATION``
defines), with a single-tier or a multi-tier header and remarks in a column or as
callouts. This module answers the questions those settings ask of a flow; placement
(:func:`callflow.render.placement.place`) applies the answers, and
:mod:`callflow.render.collab` uses the same ones for collaboration and context diagrams.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from callflow import ir

__all__ = [
    "DPI",
    "EXCLUDES",
    "LEVELS",
    "LEVEL_INTERNAL",
    "PAGE_SIZES",
    "InterfaceFilter",
    "PageSize",
    "excluded_statement",
    "group_members",
    "interface_choices",
    "level_owner",
    "page_height_for",
    "resolve_interface",
    "theme_callouts",
    "theme_header",
]

#: ``interactionLevel`` values, highest first (None: the objects themselves)
LEVELS: tuple[ir.GroupLevel, ...] = ir.GROUP_LEVELS
#: what to do with an interaction between objects folded into one column
LEVEL_INTERNAL = ("show", "hide")
#: EventStudio's document ``exclude`` values (``states`` is callflow's own addition)
EXCLUDES = ("remarks", "parameters", "actions", "blockRemarks", "states")
#: CSS pixels per inch: the page sizes below are paper sizes at this resolution
DPI = 96


@dataclass(frozen=True, slots=True)
class PageSize:
    """A paper size in CSS pixels (``DPI`` per inch)."""

    description: str
    width: float
    height: float


#: ``POSTER`` (US B, 11 x 17 in, portrait) and ``PRESENTATION`` (US legal, 14 x 8.5 in,
#: landscape), the standard defines of EventStudio documents
PAGE_SIZES: dict[str, PageSize] = {
    "poster": PageSize("US B 11x17 in, portrait", 11 * DPI, 17 * DPI),
    "presentation": PageSize("US legal 14x8.5 in, landscape", 14 * DPI, 8.5 * DPI),
}


def page_height_for(page: str, diagram_width: float) -> float:
    """The ``page_height`` (diagram pixels) that pages a diagram on a paper size.

    A diagram no wider than the paper is paged at the paper's height. A wider one is
    printed scaled down to the paper's width, so a page holds proportionally more of it:
    its pages keep the paper's aspect ratio (``height * diagram_width / paper width``).
    """
    size = PAGE_SIZES[page]
    return size.height * max(1.0, diagram_width / size.width)


# ------------------------------------------------------------------------------ levels


def level_owner(arch: ir.Architecture, name: str, level: str) -> ir.Group | None:
    """The group at ``level`` above an entity (or group), or None when it has none."""
    return next((g for g in arch.ancestors(name) if g.level == level), None)


# ------------------------------------------------------------------------------ interfaces

FilterKind = Literal["entity", "type", "group"]


@dataclass(frozen=True, slots=True)
class InterfaceFilter:
    """What an interface filter names: the entities whose interactions it keeps."""

    name: str  # as given
    kind: FilterKind
    label: str  # how the diagram's title names it
    members: frozenset[str]  # entity names


def _type_names(entity: ir.Entity) -> tuple[str, ...]:
    """An entity's object type: ``"Label": Type``, or a ``type=`` attribute."""
    types = []
    if entity.type_name:
        types.append(entity.type_name)
    attribute = entity.attribute("type")
    if attribute:
        types.append(attribute)
    return tuple(types)


def _below(arch: ir.Architecture, group: str) -> frozenset[str]:
    return frozenset(
        e.name for e in arch.entities if any(g.name == group for g in arch.ancestors(e.name))
    )


def group_members(arch: ir.Architecture) -> dict[str, frozenset[str]]:
    """Every group with the entities below it (at any depth); groups with none left out."""
    below: dict[str, set[str]] = {}
    for entity in arch.entities:
        for group in arch.ancestors(entity.name):
            below.setdefault(group.name, set()).add(entity.name)
    return {name: frozenset(names) for name, names in below.items()}


def resolve_interface(flow: ir.Flow, name: str) -> InterfaceFilter | None:
    """An object, an object type or a group, by name (then by label); None: nothing.

    An entity's name wins over a type of that name, a type over a group; labels are
    tried only when no name matches. A type keeps every entity of that type, a group
    every entity below it (at any depth).
    """
    arch = flow.architecture
    wanted = name.strip()
    entity = arch.entity(wanted)
    if entity is not None:
        return InterfaceFilter(name, "entity", entity.label, frozenset({entity.name}))
    typed = frozenset(e.name for e in arch.entities if wanted in _type_names(e))
    if typed:
        return InterfaceFilter(name, "type", wanted, typed)
    group = arch.group(wanted)
    if group is not None:
        return InterfaceFilter(name, "group", group.label, _below(arch, group.name))
    for entity in arch.entities:
        if entity.label == wanted:
            return InterfaceFilter(name, "entity", entity.label, frozenset({entity.name}))
    for group in arch.groups:
        if group.label == wanted:
            return InterfaceFilter(name, "group", group.label, _below(arch, group.name))
    return None


def interface_choices(flow: ir.Flow) -> tuple[list[str], list[str], list[str]]:
    """What an interface filter may name in a flow: objects, types and groups."""
    arch = flow.architecture
    types = dict.fromkeys(t for e in arch.entities for t in _type_names(e))
    return [e.name for e in arch.entities], list(types), [g.name for g in arch.groups]


# ------------------------------------------------------------------------------ exclusions


def excluded_statement(statement: ir.Statement, exclude: Sequence[str]) -> bool:
    """Whether a document's ``exclude`` list drops this statement (with its remark)."""
    if not exclude:
        return False
    if isinstance(statement, ir.Action | ir.BeginAction | ir.EndAction):
        return "actions" in exclude
    if isinstance(statement, ir.BlockRemark):
        return "blockRemarks" in exclude
    if isinstance(statement, ir.StateChange):
        return "states" in exclude
    return False


# ------------------------------------------------------------------------------ themes


def _features(items: Sequence[ir.Feature | ir.FileCase]) -> Iterator[ir.Feature]:
    for item in items:
        if isinstance(item, ir.Feature):
            yield item
        else:
            for leg in item.legs:
                yield from _features(leg.body)


def _scenario_themes(flow: ir.Flow, scenario: ir.Scenario) -> list[ir.StyleDef]:
    """The ``{Theme}`` definitions of the features a scenario draws, in order."""
    drawn = {(f.name, f.loc) for f in scenario.features}
    themes: list[ir.StyleDef] = []
    for feature in _features(flow.body):
        if feature.theme is None or (feature.name, feature.loc) not in drawn:
            continue
        definition = flow.style(feature.theme, "theme")
        if definition is not None and definition not in themes:
            themes.append(definition)
    return themes


def _theme_value(flow: ir.Flow, scenario: ir.Scenario, key: str) -> list[str]:
    values = []
    for definition in _scenario_themes(flow, scenario):
        value = definition.attribute(key)
        if value is not None:
            values.append(value.strip().strip('"').lower())
    return values


def theme_callouts(flow: ir.Flow, scenario: ir.Scenario) -> bool:
    """A feature of the scenario is themed ``remarkType = "callout"``."""
    return "callout" in _theme_value(flow, scenario, "remarkType")


def theme_parent_in_header(flow: ir.Flow, scenario: ir.Scenario) -> bool:
    """A feature theme of the scenario says ``displayParentInLightWeightHeader = "true"``:
    the single-tier header names each entity's parent under its name."""
    return "true" in _theme_value(flow, scenario, "displayParentInLightWeightHeader")


def theme_header(flow: ir.Flow, scenario: ir.Scenario) -> bool | None:
    """``sequenceDiagramHeader`` of the scenario's feature themes: True for
    ``multi-tier-header``, False for ``single-tier-light-weight``, None when unset."""
    values = _theme_value(flow, scenario, "sequenceDiagramHeader")
    if "multi-tier-header" in values:
        return True
    if any(v.startswith("single-tier") for v in values):
        return False
    return None
