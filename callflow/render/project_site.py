"""The documents of an EventStudio project render (``callflow render PROJECT_DIR``).

Output tree, relative to the output folder (``out/<project-folder-name>/``)::

    index.html                      the project: every document and every scenario
    assets/site.css, site.js
    <document-slug>/index.html      a sequence-diagram document: its scenarios
    <document-slug>/<scenario-slug>/sequence.svg|.html, summary.html ...
    <document-slug>/model-<n>.html  a model's overview (architecture, context, review)
    <document-slug>/assets/...
    <document-slug>/context.svg     a context-diagram document (and index.html)

A sequence-diagram document is what :func:`~callflow.render.documents.plan_documents`
makes for each project scenario it covers, with the document's options; its per-flow
``index.html`` becomes ``model-<n>.html`` beside the others (same folder, so its links
hold) and the document gets an index of its own. Pure: nothing is written here.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from callflow import ir
from callflow.diagnostics import Diagnostic
from callflow.project import (
    CONTEXT_DIAGRAM,
    Project,
    ProjectDocument,
    ProjectFlow,
    interface_members,
)
from callflow.render.documents import Document, RenderOptions, plan_documents
from callflow.render.views import resolve_interface

__all__ = ["DocumentPlan", "document_options", "plan_project"]


def document_options(
    base: RenderOptions, document: ProjectDocument, formats: Sequence[str] | None = None
) -> RenderOptions:
    """The render options of one document: the command line's, with the document's
    level, filter, exclusions, page and standard defines (``formats`` from the command
    line wins over documentFormat)."""
    return dataclasses.replace(
        base,
        formats=tuple(formats) if formats else document.formats,
        level=document.interaction_level,
        interface=document.interface_filter,
        exclude=document.exclude,
        page=document.page,
        multi_tier_header=document.multi_tier_header,
        callout_remarks=document.callout_remarks,
    )


@dataclass
class _ScenarioPages:
    """Links to one scenario's pages inside one document."""

    diagram: str | None = None  # sequence.html, else the first SVG
    svgs: list[str] = field(default_factory=list)
    summary: str | None = None
    interfaces: list[tuple[str, str]] = field(default_factory=list)  # (entity, path)
    collab: str | None = None


@dataclass
class DocumentPlan:
    """One document's files and the links the indexes need."""

    document: ProjectDocument
    options: RenderOptions
    documents: list[Document] = field(default_factory=list)
    index: str | None = None  # the document's entry page
    pages: dict[str, _ScenarioPages] = field(default_factory=dict)  # by scenario slug
    models: list[tuple[ProjectFlow, str]] = field(default_factory=list)  # overview pages
    context: str | None = None  # context.svg
    note: str | None = None  # why a document has no drawing


def _pages_of(slug: str, paths: Sequence[str], prefix: str) -> _ScenarioPages:
    pages = _ScenarioPages()
    start = f"{prefix}{slug}/"
    for path in paths:
        if not path.startswith(start) or "/" in path[len(start) :]:
            continue
        name = path[len(start) :]
        if name == "sequence.html":
            pages.diagram = path
        elif name.startswith("sequence") and name.endswith(".svg"):
            pages.svgs.append(path)
        elif name == "summary.html":
            pages.summary = path
        elif name == "collaboration.html" or (name == "collaboration.svg" and not pages.collab):
            pages.collab = path
        elif name.startswith("interface-") and name.endswith(".html"):
            pages.interfaces.append((name[len("interface-") : -len(".html")], path))
    if pages.diagram is None and pages.svgs:
        pages.diagram = pages.svgs[0]
    return pages


def _prefixed(documents: Sequence[Document], prefix: str) -> list[Document]:
    return [Document(prefix + d.path, d.make) for d in documents]


def _sequence_plan(
    document: ProjectDocument,
    options: RenderOptions,
    flows: Sequence[ProjectFlow],
    findings: Mapping[int, Sequence[Diagnostic]],
    project: Project,
) -> DocumentPlan:
    plan = DocumentPlan(document, options)
    prefix = f"{document.slug}/"
    assets: set[str] = set()
    for number, flow in enumerate(flows, start=1):
        if flow.flow is None or not flow.scenarios:
            continue
        chosen = options
        if options.entity is not None and resolve_interface(flow.flow, options.entity) is None:
            chosen = dataclasses.replace(
                options, views=tuple(v for v in options.views if v != "interface")
            )
        planned = plan_documents(
            flow.flow,
            flow.scenarios,
            chosen,
            findings.get(id(flow), ()),
            all_scenarios=flow.every or flow.scenarios,
        )
        model_page = f"model-{number}.html"
        for item in planned:
            if item.path == "index.html":  # the model's overview, beside the others
                plan.documents.append(Document(prefix + model_page, item.make))
                plan.models.append((flow, prefix + model_page))
            elif item.path.startswith("assets/"):
                if item.path not in assets:
                    assets.add(item.path)
                    plan.documents.append(Document(prefix + item.path, item.make))
            else:
                plan.documents.append(Document(prefix + item.path, item.make))
        paths = [prefix + item.path for item in planned]
        for scenario in flow.scenarios:
            plan.pages[scenario.slug] = _pages_of(scenario.slug, paths, prefix)
    if "html" in options.formats:
        plan.index = prefix + "index.html"
        plan.documents.insert(
            0,
            Document(plan.index, lambda: _document_index(project, plan, flows)),
        )
    else:
        first = next((p.diagram for p in plan.pages.values() if p.diagram), None)
        plan.index = first
    return plan


def _merged_flow(title: str, flows: Sequence[ProjectFlow]) -> ir.Flow | None:
    """One flow whose architecture declares every entity and group of the models (the
    first declaration of a name wins), for a context diagram over all of them."""
    parsed = [f.flow for f in flows if f.flow is not None]
    if not parsed:
        return None
    entities: dict[str, ir.Entity] = {}
    groups: dict[str, ir.Group] = {}
    for flow in parsed:
        for entity in flow.architecture.entities:
            entities.setdefault(entity.name, entity)
        for group in flow.architecture.groups:
            groups.setdefault(group.name, group)
    architecture = dataclasses.replace(
        parsed[0].architecture,
        groups=tuple(groups.values()),
        entities=tuple(entities.values()),
    )
    return dataclasses.replace(parsed[0], title=title, architecture=architecture)


def _filtered(scenario: ir.Scenario, members: set[str]) -> ir.Scenario:
    """The scenario with only the messages a member sends or receives."""
    keep = [
        i
        for i, message in enumerate(scenario.messages())
        if message.sender.text in members or any(r.text in members for r in message.receivers)
    ]
    messages, resolved = scenario.messages(), scenario.resolved
    aligned = len(resolved) == len(messages)
    return dataclasses.replace(
        scenario,
        message_list=tuple(messages[i] for i in keep),
        resolved=tuple(resolved[i] for i in keep) if aligned else (),
    )


def _context_plan(
    document: ProjectDocument,
    options: RenderOptions,
    flows: Sequence[ProjectFlow],
    project: Project,
) -> DocumentPlan:
    from callflow.render.collab import context_graph, render_graph

    plan = DocumentPlan(document, options)
    prefix = f"{document.slug}/"
    merged = _merged_flow(document.name, flows)
    scenarios: list[ir.Scenario] = []
    for flow in flows:
        if flow.flow is None:
            continue
        if document.interface_filter:
            members = interface_members(flow.flow, document.interface_filter)
            scenarios.extend(_filtered(s, members) for s in flow.scenarios)
        else:
            scenarios.extend(flow.scenarios)
    if merged is None:
        plan.note = "no model of this document could be drawn"
        return plan

    def make() -> str:
        # the document's interactionLevel folds the nodes as in its sequence diagrams
        return render_graph(context_graph(merged, scenarios, level=options.level))

    if "svg" in options.formats:
        plan.context = prefix + "context.svg"
        plan.documents.append(Document(plan.context, make))
    if "html" in options.formats:
        plan.index = prefix + "index.html"
        plan.documents.append(
            Document(plan.index, lambda: _context_page(project, plan, make, flows))
        )
        for name in _asset_names():
            plan.documents.append(Document(f"{prefix}assets/{name}", _asset_maker(name)))
    else:
        plan.index = plan.context
    return plan


def plan_project(
    project: Project,
    flows_of: Mapping[str, Sequence[ProjectFlow]],
    base: RenderOptions,
    *,
    findings: Mapping[int, Sequence[Diagnostic]] | None = None,
    formats: Sequence[str] | None = None,
    project_findings: Sequence[Diagnostic] = (),
) -> list[Document]:
    """Every file of a project render, in a stable order.

    ``flows_of`` maps each document's slug to its loaded flows (:func:`load_flows` with
    the document); ``findings`` maps ``id(flow)`` to the design review shown on a
    model's overview page; ``formats`` (the command line's ``--format``) overrides each
    document's documentFormat. ``project_findings`` (the PRJ warnings) are listed on the
    project index.
    """
    plans: list[DocumentPlan] = []
    for document in project.documents:
        options = document_options(base, document, formats)
        flows = list(flows_of.get(document.slug, ()))
        if document.type == CONTEXT_DIAGRAM:
            plans.append(_context_plan(document, options, flows, project))
        else:
            plans.append(_sequence_plan(document, options, flows, findings or {}, project))
    documents: list[Document] = []
    wants_html = formats is None or "html" in formats
    if wants_html:
        documents.append(
            Document(
                "index.html",
                lambda: _project_index(project, plans, flows_of, project_findings),
            )
        )
        for name in _asset_names():
            documents.append(Document(f"assets/{name}", _asset_maker(name)))
    for plan in plans:
        documents.extend(plan.documents)
    return documents


# ------------------------------------------------------------------------------ pages


def _asset_names() -> tuple[str, ...]:
    from callflow.render.html import ASSETS

    return ASSETS


def _asset_maker(name: str) -> Callable[[], str]:
    def make() -> str:
        from callflow.render.html import environment

        loader = environment().loader
        assert loader is not None
        source, _, _ = loader.get_source(environment(), name)
        return source

    return make


def _render(template: str, path: str, index: str, title: str, **values: object) -> str:
    from callflow import __version__
    from callflow.render.html import environment, href

    def link(target: str, fragment: str | None = None) -> str:
        return href(path, target, fragment)

    context = {
        "path": path,
        "link": link,
        # a page's assets are in the assets/ folder beside it (each document has its own)
        "asset": lambda name: href(path, posixpath.join(posixpath.dirname(path), "assets", name)),
        "index": href(path, index),
        "flow_title": title,
        "version": __version__,
        "date": values.pop("date", None),
        **values,
    }
    return environment().get_template(template).render(context)


def _defines_text(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" if v else k for k, v in pairs)


def _scenario_rows(flows: Sequence[ProjectFlow], project: Project) -> list[dict[str, object]]:
    import os

    rows = []
    for flow in flows:
        model = os.path.relpath(flow.scenario.model_path, project.path).replace(os.sep, "/")
        for scenario in flow.scenarios:
            rows.append(
                {
                    "scenario": scenario,
                    "entry": flow.scenario,
                    "model": model,
                    "defines": _defines_text(flow.defines),
                    "messages": len(scenario.messages()),
                }
            )
    return rows


def _describe(document: ProjectDocument, options: RenderOptions) -> list[tuple[str, str]]:
    written = f"{document.format} → {', '.join(options.formats)}"
    facts = [("Type", document.type), ("Format", written)]
    facts.append(("Interaction level", document.interaction_level or "object"))
    if document.interface_filter:
        facts.append(("Interface filter", document.interface_filter))
    if document.exclude:
        facts.append(("Excluded", ", ".join(document.exclude)))
    if document.defines:
        facts.append(("Defines", _defines_text(document.defines)))
    if document.page:
        facts.append(("Page", document.page))
    if document.scenarios is not None:
        facts.append(("Scenarios", ", ".join(document.scenarios) or "none"))
    return facts


def _document_index(project: Project, plan: DocumentPlan, flows: Sequence[ProjectFlow]) -> str:
    assert plan.index is not None
    rows = _scenario_rows(flows, project)
    for row in rows:
        slug = row["scenario"].slug  # type: ignore[attr-defined]
        row["pages"] = plan.pages.get(slug, _ScenarioPages())
    return _render(
        "project_document.html.j2",
        plan.index,
        "index.html",
        project.name,
        document=plan.document,
        facts=_describe(plan.document, plan.options),
        rows=rows,
        models=[(f, path) for f, path in plan.models],
        graph=None,
        note=None,
        svg=None,
        date=plan.options.date,
    )


def _context_page(
    project: Project, plan: DocumentPlan, make: Callable[[], str], flows: Sequence[ProjectFlow]
) -> str:
    from callflow.render.collab import GraphvizMissing
    from callflow.render.html import inline_svg

    assert plan.index is not None
    graph = None
    note = None
    try:
        graph = inline_svg(make())
    except GraphvizMissing as missing:
        note = str(missing)
    return _render(
        "project_document.html.j2",
        plan.index,
        "index.html",
        project.name,
        document=plan.document,
        facts=_describe(plan.document, plan.options),
        rows=[],
        models=[],
        graph=graph,
        note=note,
        svg=plan.context,
        date=plan.options.date,
    )


def _project_index(
    project: Project,
    plans: Sequence[DocumentPlan],
    flows_of: Mapping[str, Sequence[ProjectFlow]],
    findings: Sequence[Diagnostic],
) -> str:
    import os

    sequence_plans = [p for p in plans if p.document.type != CONTEXT_DIAGRAM]
    # every scenario once, in project order, from the first document that drew it
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for plan in plans:
        for row in _scenario_rows(flows_of.get(plan.document.slug, ()), project):
            slug = row["scenario"].slug  # type: ignore[attr-defined]
            if slug in seen:
                continue
            seen.add(slug)
            row["defines"] = _defines_text(row["entry"].defines)  # type: ignore[attr-defined]
            row["links"] = [
                (p.document, p.pages[slug].diagram if slug in p.pages else None)
                for p in sequence_plans
            ]
            rows.append(row)
    order = {s.name: i for i, s in enumerate(project.scenarios)}
    rows.sort(key=lambda r: order.get(r["entry"].name, len(order)))  # type: ignore[attr-defined]
    documents = [
        {
            "document": plan.document,
            "index": plan.index,
            "facts": _describe(plan.document, plan.options),
            "count": len(plan.pages) if plan.document.type != CONTEXT_DIAGRAM else None,
            "note": plan.note,
        }
        for plan in plans
    ]
    return _render(
        "project.html.j2",
        "index.html",
        "index.html",
        project.name,
        project=project,
        project_file=os.path.basename(project.file) or "project.scn.json",
        documents=documents,
        sequence_documents=[p.document for p in sequence_plans],
        rows=rows,
        findings=list(findings),
        date=plans[0].options.date if plans else None,
    )
