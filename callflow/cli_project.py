"""The EventStudio project branches of ``callflow check``, ``scenarios`` and ``render``.

A folder holding ``project.scn.json`` (or that file) is an EventStudio project
(``docs/eventstudio.md``): ``check`` reviews every scenario of it, ``scenarios`` lists
them with their models, ``render`` draws each of its documents. The commands in
:mod:`callflow.cli` ask :func:`project_folder` whether a path is a project and hand it to
:func:`check_project`, :func:`project_scenarios` or :func:`render_project`; ``run`` and
``export`` take one model file and :func:`refuse_project` says so. The project model and
its loading are :mod:`callflow.project`; this module is what the command line does with
them, and like the rest of the command line it prints and exits.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from callflow.cli_common import (
    EXIT_USAGE,
    FrontEnd,
    Loaded,
    design_review,
    parse_defines,
    plural,
    summary_line,
    use_color,
    write_and_list,
)

if TYPE_CHECKING:
    from callflow.check import Selection
    from callflow.diagnostics import Diagnostic, Severity
    from callflow.project import Project, ProjectDocument, ProjectFlow
    from callflow.render.documents import RenderOptions

__all__ = [
    "check_project",
    "project_folder",
    "project_scenarios",
    "refuse_project",
    "render_project",
]


def project_folder(path: str) -> Path | None:
    """The EventStudio project ``path`` names (a folder holding project.scn.json, or
    that file), else None: a plain FDL file keeps its own path."""
    from callflow.project import find_project

    return find_project(path)


def _project_flows(
    project: Project,
    front_end: FrontEnd,
    document: ProjectDocument | None = None,
    cache: dict[Any, Any] | None = None,
) -> list[ProjectFlow]:
    """The project's scenarios (all, or a document's), each model parsed with its defines
    and -D, narrowed by --scenario (the caller checks that something matched)."""
    import fnmatch

    from callflow.project import load_flows
    from callflow.scenarios import safe_slug, select_scenarios

    flows = load_flows(
        project,
        None if document is None else project.covered(document),
        defines=parse_defines(front_end.defines),
        document=document,
        root=front_end.root,
        max_input_size=front_end.max_input_size,
        max_scenarios=front_end.max_scenarios,
        # -I, once the front end has it (the preprocessor's include folders)
        include_dirs=tuple(getattr(front_end, "include_dirs", None) or ()),
        cache=cache,
    )
    glob = front_end.scenario_glob
    if glob is None:
        return flows
    chosen = []
    for flow in flows:
        if flow.fatal:  # not expanded: match the project scenario's own name
            name = flow.scenario.name
            if fnmatch.fnmatchcase(name.lower(), glob.lower()) or fnmatch.fnmatchcase(
                safe_slug(name), glob.lower()
            ):
                chosen.append(flow)
            continue
        selected = tuple(select_scenarios(flow.scenarios, glob))
        if selected:
            chosen.append(dataclasses.replace(flow, scenarios=selected))
    return chosen


def refuse_project(path: str, command: str) -> None:
    """A command that takes one model file names an EventStudio project: say so."""
    if project_folder(path) is not None:
        raise click.UsageError(
            f"{path} is an EventStudio project; `callflow {command}` takes one model file "
            f"(`callflow scenarios {path}` lists each scenario's model)"
        )


def _no_project_match(project: Project, front_end: FrontEnd) -> click.UsageError:
    names = ", ".join(s.name for s in project.scenarios)
    return click.UsageError(
        f"no scenario of {project.file} matches {front_end.scenario_glob!r} (it has: {names})"
    )


def _as_loaded(flow: ProjectFlow) -> Loaded:
    return Loaded(
        flow.scenario.model_path,
        flow.flow,
        list(flow.scenarios),
        list(flow.diagnostics),
        flow.fatal,
        list(flow.every),
    )


def check_project(
    path: str,
    front_end: FrontEnd,
    selection: Selection,
    overrides: Sequence[Mapping[str, Severity]],
) -> tuple[list[Diagnostic], list[str], bool]:
    """`callflow check PROJECT_DIR`: (findings, summary lines, fatal). Findings of one
    model checked under several scenarios' defines are merged, listing every scenario."""
    from callflow.check import check_flow
    from callflow.diagnostics import merge_scenarios, sort_diagnostics
    from callflow.project import check_interface_filters, load_project

    project, found = load_project(path, max_size=front_end.max_input_size)
    if project is None:
        return found, [], True
    flows = _project_flows(project, front_end)
    if front_end.scenario_glob is not None and not flows:
        raise _no_project_match(project, front_end)
    found = sort_diagnostics(
        found + check_interface_filters(project, {d.slug: flows for d in project.documents})
    )
    groups: dict[str, list[ProjectFlow]] = {}
    per_model: dict[str, list[Diagnostic]] = {}
    for flow in flows:
        diagnostics = list(flow.diagnostics)
        if not flow.fatal:
            diagnostics += check_flow(
                flow.flow, list(flow.scenarios), selection=selection, severity=overrides
            )
        groups.setdefault(flow.scenario.model_path, []).append(flow)
        per_model.setdefault(flow.scenario.model_path, []).extend(diagnostics)
    everything = list(found)
    summaries = [_project_summary(project, flows, found)]
    for model, group in groups.items():
        merged = sort_diagnostics(merge_scenarios(per_model[model]))
        everything += merged
        if not any(flow.fatal for flow in group):
            combined = dataclasses.replace(
                _as_loaded(group[0]), scenarios=[s for f in group for s in f.scenarios]
            )
            summaries.append(summary_line(combined, merged))
    return merge_scenarios(everything), summaries, any(flow.fatal for flow in flows)


def _project_summary(
    project: Project, flows: Sequence[ProjectFlow], found: Sequence[Diagnostic]
) -> str:
    errors = sum(1 for d in found if d.is_error)
    warnings = len(found) - errors
    outcome = (
        "no findings" if not found else f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    )
    models = len({flow.scenario.model_path for flow in flows})
    count = sum(len(flow.scenarios) for flow in flows)
    return (
        f"{project.file}: {plural(count, 'scenario')} from {plural(models, 'model')}, "
        f"{plural(len(project.documents), 'document')}: {outcome}"
    )


def project_scenarios(path: str, front_end: FrontEnd) -> None:
    """`callflow scenarios PROJECT_DIR`: every scenario of the project, with its model."""
    from callflow.project import load_project
    from callflow.report import TextReporter

    reporter = TextReporter(color=use_color())
    project, found = load_project(path, max_size=front_end.max_input_size)
    if found:
        click.echo(reporter.render(found), nl=False, err=project is not None)
    if project is None:
        sys.exit(EXIT_USAGE)
    flows = _project_flows(project, front_end)
    if front_end.scenario_glob is not None and not flows:
        raise _no_project_match(project, front_end)
    broken = [d for flow in flows if flow.fatal for d in flow.diagnostics]
    if broken:
        from callflow.diagnostics import merge_scenarios

        click.echo(reporter.render(merge_scenarios(broken)), nl=False)
        sys.exit(EXIT_USAGE)
    rows = [("#", "scenario", "slug", "model", "statements", "messages")]
    number = 0
    for flow in flows:
        model = os.path.relpath(flow.scenario.model_path, project.path).replace(os.sep, "/")
        for s in flow.scenarios:
            number += 1
            counts = (str(len(s.statements())), str(len(s.messages())))
            rows.append((str(number), s.name, s.slug, model, *counts))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(w) if i in (0, 4, 5) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


def render_project(
    path: str,
    front_end: FrontEnd,
    output: str | None,
    several: bool,
    options: RenderOptions,
    views_given: bool,
) -> bool:
    """`callflow render PROJECT_DIR`: every document into out/<project>/ (or -o DIR).
    ``options`` are the command line's render options; a sequence-diagram document draws
    the full view only unless --view was given. True when a model could not be read."""
    from callflow.diagnostics import merge_scenarios
    from callflow.project import check_interface_filters, load_project
    from callflow.render.project_site import plan_project
    from callflow.report import TextReporter

    reporter = TextReporter(color=use_color())
    project, found = load_project(path, max_size=front_end.max_input_size)
    if project is None:
        click.echo(reporter.render(found), nl=False, err=True)
        return True
    cache: dict[Any, Any] = {}
    flows_of = {d.slug: _project_flows(project, front_end, d, cache) for d in project.documents}
    every = [flow for flows in flows_of.values() for flow in flows]
    if front_end.scenario_glob is not None and not every:
        raise _no_project_match(project, front_end)
    found = found + check_interface_filters(project, flows_of)
    if found:
        click.echo(reporter.render(found), nl=False, err=True)
    broken = merge_scenarios([d for flow in every if flow.fatal for d in flow.diagnostics])
    if broken:
        click.echo(reporter.render(broken), nl=False, err=True)
        return True
    from callflow.render.views import resolve_interface

    if options.entity is not None and not any(
        flow.flow is not None and resolve_interface(flow.flow, options.entity) is not None
        for flow in every
    ):
        raise click.UsageError(f"--entity {options.entity}: no model of {path} declares it")
    if not views_given:  # EventStudio draws a document's sequence diagrams
        chosen = ("full", "interface") if options.entity is not None else ("full",)
        options = dataclasses.replace(options, views=chosen)
    formats = None
    source = click.get_current_context().get_parameter_source("formats")
    if source is not None and source is not click.core.ParameterSource.DEFAULT:
        formats = options.formats
    wants_html = formats is None or "html" in formats
    findings: dict[int, list[Diagnostic]] = {}
    reviews: dict[Any, list[Diagnostic]] = {}
    for flow in every if wants_html else ():
        key = (flow.scenario.model_path, flow.defines, tuple(s.name for s in flow.every))
        if key not in reviews:
            reviews[key] = design_review(_as_loaded(flow))
        findings[id(flow)] = reviews[key]
    if output is None:
        out_dir = Path("out") / project.name
    else:
        out_dir = Path(output) / project.name if several else Path(output)
    documents = plan_project(
        project, flows_of, options, findings=findings, formats=formats, project_findings=found
    )
    write_and_list(documents, out_dir)
    review = merge_scenarios([d for items in reviews.values() for d in items])
    if review:
        errors = sum(1 for d in review if d.is_error)
        click.echo(
            f"{path}: drawn; the design review has {len(review)} finding(s) "
            f"({errors} error(s)): run callflow check {path}",
            err=True,
        )
    return False
