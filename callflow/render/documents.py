"""Which documents a render produces, and writing them atomically.

``plan_documents`` decides the file set (pure: a list of :class:`Document` with their
paths and how to make them); ``write_documents`` makes each one and renames it into
place, so an interrupted render never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callflow import ir
from callflow.diagnostics import Diagnostic
from callflow.render.geometry import Layout, layout
from callflow.render.placement import Placement, place
from callflow.render.svg import render_page
from callflow.render.views import level_owner, page_height_for, resolve_interface

VIEWS = ("full", "interface", "collab")
FORMATS = ("svg", "html")


@dataclass(frozen=True)
class RenderOptions:
    """What a render draws, and how. The EventStudio document settings (the second part)
    are explained in docs/rendering.md ("Views"); :mod:`callflow.render.views` resolves
    them against a flow."""

    views: tuple[str, ...] = VIEWS
    formats: tuple[str, ...] = FORMATS
    #: only the interface views of this object, object type or group
    entity: str | None = None
    #: page the sequence diagrams (wins over ``page``)
    page_height: float | None = None
    numbering: bool | None = None
    remarks: bool | None = None
    wrap: int | None = None
    theme: str | None = None
    date: str | None = None  # shown on diagrams: from SOURCE_DATE_EPOCH only
    # EventStudio document settings (project.scn.json, and render's options of the same
    # names)
    level: str | None = None  # interactionLevel: system/subsystem/module/component; None: objects
    level_internal: str = "show"  # "show" or "hide" interactions inside a folded entity
    #: interfaceFilter: the full view keeps only what involves this object, type or group
    interface: str | None = None
    #: views.EXCLUDES: "remarks", "parameters", "actions", "blockRemarks", "states"
    exclude: tuple[str, ...] = ()
    page: str | None = None  # "poster" / "presentation" (the POSTER/PRESENTATION defines)
    #: None: a header row per level in use (callflow's own); False: EventStudio's
    #: single-tier light-weight header (entity boxes only); True: USE_MULTI_TIER_HEADER
    multi_tier_header: bool | None = None
    #: USE_CALLOUT_REMARKS (False: a feature's theme may still say remarkType="callout")
    callout_remarks: bool = False
    #: a level view's file names say the level (``sequence-subsystem.svg``), as the
    #: command line's ``--level`` does; False where a folder says it (project documents)
    level_suffix: bool = False


@dataclass(frozen=True)
class DiagramView:
    """One sequence diagram: a scenario's full view or an entity's interface view."""

    scenario: ir.Scenario
    entity: str | None  # None: the full diagram
    layout: Layout
    stem: str  # path without extension, relative to the output folder
    #: how pages name an interface view (an entity's or group's label, a type's name)
    label: str | None = None
    level: str | None = None  # the interaction level drawn (None: objects)

    @property
    def kind(self) -> str:
        return "full" if self.entity is None else "interface"


@dataclass(frozen=True)
class Document:
    """A file to write: its path relative to the output folder and how to make it."""

    path: str
    make: Callable[[], str] = field(repr=False)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def entity_file_name(name: str) -> str:
    """An entity's part of a file name: an identifier as it is (``S_CSCF_A``), any other
    name (EventStudio's quoted ``"Los Angeles"``, ``"P-CSCF"``, ``"a/../b"``) a bounded
    slug plus a short stable hash, never the raw name."""
    if _IDENTIFIER.fullmatch(name) and len(name) <= 64:
        return name
    from callflow.scenarios import safe_slug

    return safe_slug(name)


def date_from_environment() -> str | None:
    """A date only from ``SOURCE_DATE_EPOCH`` (reproducible builds): never the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value or not value.isdigit():
        return None
    import datetime

    moment = datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d")


def level_stem_suffix(options: RenderOptions) -> str:
    """``-subsystem`` for a level view whose file names say the level, else ``""``."""
    return f"-{options.level}" if options.level and options.level_suffix else ""


def interface_names(flow: ir.Flow, options: RenderOptions) -> list[str]:
    """Whose interface views a render draws: ``options.entity``, else every declared
    entity, or at a level every column of that level (its groups and the entities
    standing alone), in column order."""
    if options.entity is not None:
        return [options.entity]
    arch = flow.architecture
    if options.level is None:
        return [e.name for e in arch.entities]
    names: dict[str, None] = {}
    for entity in arch.entities:
        owner = level_owner(arch, entity.name, options.level)
        names.setdefault(owner.name if owner is not None else entity.name)
    return list(names)


def _placed_layout(placement: Placement, options: RenderOptions) -> Layout:
    """The layout, paged by ``page_height`` or else by the ``page`` paper size."""
    if options.page_height is not None or options.page is None:
        return layout(placement, page_height=options.page_height, date=options.date)
    single = layout(placement, date=options.date)
    height = page_height_for(options.page, single.width)
    return layout(placement, page_height=height, date=options.date)


def diagram_views(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    options: RenderOptions,
    *,
    all_scenarios: Sequence[ir.Scenario] | None = None,
) -> list[DiagramView]:
    """Layouts of every selected sequence diagram, in a stable order."""
    every = all_scenarios or scenarios
    views: list[DiagramView] = []
    entities = interface_names(flow, options)
    suffix = level_stem_suffix(options)
    exclude = tuple(options.exclude)
    for scenario in scenarios:
        wanted: list[tuple[str | None, str]] = []
        if "full" in options.views:
            wanted.append((options.interface, f"{scenario.slug}/sequence{suffix}"))
        if "interface" in options.views:
            wanted.extend(
                (name, f"{scenario.slug}/interface-{entity_file_name(name)}{suffix}")
                for name in entities
            )
        for index, (entity, stem) in enumerate(wanted):
            placement = place(
                flow,
                scenario,
                entity=entity,
                numbering=options.numbering,
                remarks=False if "remarks" in exclude else options.remarks,
                wrap=options.wrap,
                theme=options.theme,
                all_scenarios=every,
                level=options.level,
                level_internal=options.level_internal,
                exclude=exclude,
                header=options.multi_tier_header,
                callouts=True if options.callout_remarks else None,
            )
            full = index == 0 and "full" in options.views
            chosen = resolve_interface(flow, entity) if entity is not None else None
            views.append(
                DiagramView(
                    scenario,
                    None if full else entity,
                    _placed_layout(placement, options),
                    stem,
                    label=chosen.label if chosen is not None else entity,
                    level=options.level,
                )
            )
    return views


def svg_documents(view: DiagramView) -> list[Document]:
    """One SVG per page (``-pN`` suffixes only when the diagram has several pages)."""
    pages = view.layout.pages
    if len(pages) == 1:
        return [Document(f"{view.stem}.svg", lambda: render_page(view.layout, pages[0]))]
    return [
        Document(
            f"{view.stem}-p{page.index}.svg",
            lambda page=page: render_page(view.layout, page),  # type: ignore[misc]
        )
        for page in pages
    ]


def plan_documents(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    options: RenderOptions,
    findings: Sequence[Diagnostic] = (),
    *,
    all_scenarios: Sequence[ir.Scenario] | None = None,
) -> list[Document]:
    """Every document of a render, in a stable order."""
    documents: list[Document] = []
    views = diagram_views(flow, scenarios, options, all_scenarios=all_scenarios)
    if "svg" in options.formats:
        for view in views:
            documents.extend(svg_documents(view))
    collab: dict[str, Callable[[], str]] = {}
    if "collab" in options.views:
        from callflow.render.collab import collaboration_graph, render_graph

        for scenario in scenarios:

            def make(scenario: ir.Scenario = scenario) -> str:
                graph = collaboration_graph(
                    flow,
                    scenario,
                    level=options.level,
                    interface=options.interface,
                    internal=options.level_internal,
                )
                return render_graph(graph)

            collab[scenario.slug] = make
            if "svg" in options.formats:
                suffix = level_stem_suffix(options)
                documents.append(Document(f"{scenario.slug}/collaboration{suffix}.svg", make))
    if "html" in options.formats:
        from callflow.render import html

        documents.extend(
            html.site_documents(
                flow,
                scenarios,
                views,
                collab,
                findings,
                options,
                all_scenarios=all_scenarios or scenarios,
            )
        )
    return documents


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_documents(documents: Sequence[Document], out_dir: Path) -> list[Path]:
    """Make and write each document; returns the paths written, in order."""
    written: list[Path] = []
    for document in documents:
        path = out_dir / document.path
        write_atomic(path, document.make())
        written.append(path)
    return written
