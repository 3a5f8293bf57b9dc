"""The HTML site: an index and one page per diagram, summary and collaboration diagram.

Every page is a Jinja2 template with autoescaping on, so whatever the user wrote (titles,
labels, remarks, parameters) is shown as text, never read as markup. The diagrams are
embedded *inline* (the SVG text :mod:`callflow.render.svg` makes, already escaped), so
the pages need no server: they work from ``file://`` and keep working when the folder is
moved (every link is relative). Nothing is fetched from the network: the stylesheet and
the script are two local files, ``assets/site.css`` and ``assets/site.js``, written with
the pages; fonts are the system's.

A diagram page draws each page of the layout in two parts: the header (title, hierarchy
rows, entity boxes) in a ``position: sticky`` container, and the body below it, so the
hierarchy rows stay in view while scrolling. Every message is a ``<g id="mN">`` group,
so ``page.html#m12`` is an anchor; the script scrolls it clear of the sticky header and
highlights, while the pointer (or keyboard focus) is on a message, every message of the
same Call-ID. Tooltips are the SVG ``<title>`` elements.

The output is a function of the input alone (no clock; a date only from
``options.date``), and every document is made lazily, when it is written.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from callflow import __version__, ir
from callflow.diagnostics import Diagnostic
from callflow.render.documents import (
    DiagramView,
    Document,
    RenderOptions,
    level_stem_suffix,
    svg_documents,
)
from callflow.render.svg import render_page

__all__ = ["ASSETS", "hierarchy_rows", "href", "inline_svg", "site_documents"]

#: the shared static files, written under ``assets/``
ASSETS = ("site.css", "site.js")

_SVG_START = re.compile(r"<svg[\s>]")
_DEFS = re.compile(r"<defs>.*?</defs>\n?", re.DOTALL)


@cache
def environment() -> jinja2.Environment:
    """The site's Jinja2 environment: autoescape on for every template."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("callflow.render", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _asset(name: str) -> str:
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), name)
    return source


# ------------------------------------------------------------------------------ helpers


def href(from_path: str, to_path: str, fragment: str | None = None) -> str:
    """A relative link from one output document to another (both relative to the root)."""
    start = posixpath.dirname(from_path) or "."
    target = posixpath.relpath(to_path, start)
    link = quote(target, safe="/")
    return f"{link}#{quote(fragment, safe='')}" if fragment else link


def inline_svg(text: str) -> Markup:
    """An SVG document as an element to embed in HTML: the XML prolog (declaration,
    doctype, generator comments) dropped. The text is trusted: our own renderers made it
    and escaped every user text in it."""
    match = _SVG_START.search(text)
    return Markup(text[match.start() :] if match else text)


@dataclass(frozen=True)
class Link:
    label: str
    path: str  # the target document, relative to the output root
    title: str = ""
    fragment: str | None = None


@dataclass(frozen=True)
class _Cell:
    """A hierarchy-table cell; ``rowspan`` > 1 merges rows with the same group."""

    label: str
    name: str
    rowspan: int = 1


@dataclass(frozen=True)
class _EntityRow:
    cells: tuple[_Cell | None, ...]  # None: covered by a cell above
    entity: ir.Entity
    attributes: str


def hierarchy_rows(arch: ir.Architecture) -> tuple[list[str], list[_EntityRow]]:
    """The architecture as table rows: group levels in use (columns), one row per entity."""
    levels = [level for level in ir.GROUP_LEVELS if any(g.level == level for g in arch.groups)]
    chains: list[list[ir.Group | None]] = []
    for entity in arch.entities:
        by_level = {g.level: g for g in arch.ancestors(entity.name)}
        chains.append([by_level.get(level) for level in levels])
    columns: list[list[_Cell | None]] = []
    for i in range(len(levels)):
        cells: list[_Cell | None] = []
        last_key: tuple[str | None, ...] | None = None
        last_index = -1
        for row, chain in enumerate(chains):
            group = chain[i]
            key = tuple(g.name if g else None for g in chain[: i + 1])
            if group is not None and key == last_key:
                head = cells[last_index]
                assert head is not None
                cells[last_index] = _Cell(head.label, head.name, head.rowspan + 1)
                cells.append(None)
                continue
            cells.append(_Cell(group.label, group.name) if group else _Cell("", ""))
            last_key, last_index = (key, row) if group is not None else (None, -1)
        columns.append(cells)
    rows = []
    for row, entity in enumerate(arch.entities):
        attributes = ", ".join(f"{a.key}={a.value}" for a in entity.attributes if a.key != "role")
        rows.append(_EntityRow(tuple(col[row] for col in columns), entity, attributes))
    return [level.capitalize() for level in levels], rows


# ------------------------------------------------------------------------------ the site


class _Site:
    """What every page needs to know about the others (links), and the page makers."""

    def __init__(
        self,
        flow: ir.Flow,
        scenarios: Sequence[ir.Scenario],
        views: Sequence[DiagramView],
        collab: Mapping[str, Callable[[], str]],
        findings: Sequence[Diagnostic],
        options: RenderOptions,
        all_scenarios: Sequence[ir.Scenario],
    ) -> None:
        self.flow = flow
        self.scenarios = list(scenarios)
        self.views = list(views)
        self.collab = collab
        self.findings = list(findings)
        self.options = options
        self.all_scenarios = list(all_scenarios)
        self.labels = {e.name: e.label for e in flow.architecture.entities}
        self.views_of: dict[str, list[DiagramView]] = {}
        for view in self.views:
            self.views_of.setdefault(view.scenario.slug, []).append(view)

    # -- paths and links
    @staticmethod
    def summary_path(scenario: ir.Scenario) -> str:
        return f"{scenario.slug}/summary.html"

    def collab_path(self, scenario: ir.Scenario) -> str:
        return f"{scenario.slug}/collaboration{level_stem_suffix(self.options)}.html"

    def full_view(self, scenario: ir.Scenario) -> DiagramView | None:
        return next((v for v in self.views_of.get(scenario.slug, ()) if v.entity is None), None)

    def view_label(self, view: DiagramView) -> str:
        if view.entity is None:
            return "Sequence diagram"
        return view.label or self.labels.get(view.entity, view.entity)

    def svg_paths(self, view: DiagramView) -> list[str]:
        if "svg" not in self.options.formats:
            return []
        return [d.path for d in svg_documents(view)]

    def scenario_links(self, scenario: ir.Scenario) -> list[Link]:
        """Every page of a scenario, in nav order."""
        links: list[Link] = []
        for view in self.views_of.get(scenario.slug, ()):
            title = "every message" if view.entity is None else f"interface view of {view.entity}"
            links.append(Link(self.view_label(view), f"{view.stem}.html", title))
        if scenario.slug in self.collab:
            links.append(Link("Collaboration", self.collab_path(scenario), "who talks to whom"))
        links.append(Link("Summary", self.summary_path(scenario), "message summary table"))
        return links

    def context(self, path: str, **values: object) -> dict[str, object]:
        """Template values every page shares."""

        def link(target: str, fragment: str | None = None) -> str:
            return href(path, target, fragment)

        return {
            "path": path,
            "link": link,
            "asset": lambda name: href(path, f"assets/{name}"),
            "index": href(path, "index.html"),
            "flow_title": self.flow.display_title,
            "version": __version__,
            "date": self.options.date,
            **values,
        }

    def render(self, template: str, path: str, **values: object) -> str:
        return environment().get_template(template).render(self.context(path, **values))

    # -- pages
    def index(self) -> str:
        from callflow.render.collab import GraphvizMissing, context_graph, render_graph

        levels, rows = hierarchy_rows(self.flow.architecture)
        context_svg: Markup | None = None
        context_note: str | None = None
        try:
            graph = context_graph(
                self.flow,
                self.all_scenarios,
                level=self.options.level,
                interface=self.options.interface,
            )
            context_svg = inline_svg(render_graph(graph))
        except GraphvizMissing as exc:
            context_note = str(exc)
        scenarios = []
        for scenario in self.scenarios:
            full = self.full_view(scenario)
            interfaces = [
                Link(self.view_label(v), f"{v.stem}.html", v.entity or "")
                for v in self.views_of.get(scenario.slug, ())
                if v.entity is not None
            ]
            scenarios.append(
                {
                    "scenario": scenario,
                    "messages": len(scenario.messages()),
                    "statements": len(scenario.statements()),
                    "full": f"{full.stem}.html" if full else None,
                    "full_svgs": self.svg_paths(full) if full else [],
                    "interfaces": interfaces,
                    "collab": self.collab_path(scenario) if scenario.slug in self.collab else None,
                    "summary": self.summary_path(scenario),
                }
            )
        counts = {"error": 0, "warning": 0, "note": 0}
        for finding in self.findings:
            counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
        return self.render(
            "index.html.j2",
            "index.html",
            flow=self.flow,
            introduction=[remark.text for remark in self.flow.introduction],
            levels=levels,
            rows=rows,
            context_svg=context_svg,
            context_note=context_note,
            scenarios=scenarios,
            scenario_total=len(self.all_scenarios),
            findings=self.findings,
            counts=counts,
        )

    def diagram(self, view: DiagramView) -> str:
        path = f"{view.stem}.html"
        pages = []
        first = True
        for page in view.layout.pages:
            parts = []
            for part in ("header", "body"):
                text = render_page(view.layout, page, part)
                if not first:  # one copy of the markers and the CSS per HTML page
                    text = _DEFS.sub("", text, count=1)
                first = False
                parts.append(inline_svg(text))
            pages.append({"page": page, "header": parts[0], "body": parts[1]})
        header_height = view.layout.pages[0].header_height + 4 if view.layout.pages else 0
        return self.render(
            "diagram.html.j2",
            path,
            view=view,
            scenario=view.scenario,
            layout=view.layout,
            kind=("Sequence diagram" if view.entity is None else "Interface view")
            + (f" ({view.level} level)" if view.level else ""),
            entity_label=self.view_label(view) if view.entity else None,
            message_count=len(view.layout.messages),
            pages=pages,
            sticky_height=header_height,
            nav=self.scenario_links(view.scenario),
            svgs=self.svg_paths(view),
        )

    def summary(self, scenario: ir.Scenario) -> str:
        from callflow.render.summary import message_summary

        path = self.summary_path(scenario)
        full = self.full_view(scenario)
        return self.render(
            "summary.html.j2",
            path,
            scenario=scenario,
            rows=message_summary(scenario),
            labels=self.labels,
            full=f"{full.stem}.html" if full else None,
            message_count=len(scenario.messages()),
            nav=self.scenario_links(scenario),
        )

    def collaboration(self, scenario: ir.Scenario) -> str:
        from callflow.render.collab import GraphvizMissing

        path = self.collab_path(scenario)
        graph_svg: Markup | None = None
        note: str | None = None
        try:
            text = self.collab[scenario.slug]()
            if text.strip():
                graph_svg = inline_svg(text)
            else:
                note = "No collaboration diagram was drawn for this scenario."
        except GraphvizMissing as exc:
            note = str(exc)
        return self.render(
            "collaboration.html.j2",
            path,
            scenario=scenario,
            graph_svg=graph_svg,
            note=note,
            nav=self.scenario_links(scenario),
        )


def site_documents(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    views: Sequence[DiagramView],
    collab: Mapping[str, Callable[[], str]],
    findings: Sequence[Diagnostic],
    options: RenderOptions,
    *,
    all_scenarios: Sequence[ir.Scenario],
) -> list[Document]:
    """The HTML documents of a render, in a stable order; each is made when written.

    ``index.html``; per scenario its diagram pages (``<stem>.html`` for each view),
    ``<slug>/summary.html`` and, when ``collab`` has the scenario, ``<slug>/collaboration.html``;
    then ``assets/site.css`` and ``assets/site.js``.
    """
    site = _Site(flow, scenarios, views, collab, findings, options, all_scenarios)
    documents = [Document("index.html", site.index)]
    for scenario in scenarios:
        for view in site.views_of.get(scenario.slug, ()):
            documents.append(Document(f"{view.stem}.html", lambda view=view: site.diagram(view)))
        documents.append(Document(site.summary_path(scenario), lambda s=scenario: site.summary(s)))
        if scenario.slug in collab:
            documents.append(
                Document(site.collab_path(scenario), lambda s=scenario: site.collaboration(s))
            )
    for name in ASSETS:
        documents.append(Document(f"assets/{name}", lambda name=name: _asset(name)))
    return documents
