"""EventStudio scenario projects: a folder holding ``project.scn.json``.

EventHelix EventStudio keeps a project in one JSON file beside its models::

    {
      /* comments like this one, and // line comments */
      "scenarios": [
        {"modelPath": "model/login.FDL", "scenarioName": "Login", "defines": ["VALID"]}
      ],
      "documents": [
        {"documentName": "overview", "interactionLevel": "component"},
        {"documentName": "context", "documentType": "context-diagram"}
      ]
    }

Each entry of ``scenarios`` is one model parsed with its preprocessor ``defines`` (a
model's own ``case``/``leg`` still expands it further); each entry of ``documents`` is
one output drawn from every scenario (or the scenarios it names), parsed again with the
document's own ``defines`` added.

This module is the one callers import. It loads the models of a project
(:func:`load_flows`: each scenario's model parsed with its defines and expanded, pure:
diagnostics, no printing) and re-exports the rest of the project API, which lives in
modules of its own:

- :mod:`callflow.project_model`: the types (:class:`Project`, :class:`ProjectScenario`,
  :class:`ProjectDocument`), the ``PRJ0xx`` codes and the values the file may use;
- :mod:`callflow.project_file`: :func:`load_project`, the reader and checker of
  ``project.scn.json`` (every problem located as ``project.scn.json:line:col``);
- :mod:`callflow.jsonc`: the JSON-with-comments reader that keeps positions.

Codes (``PRJ0xx``): errors stop the command with exit 2, warnings do not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from callflow import ir
from callflow.diagnostics import Diagnostic
from callflow.jsonc import JsonError, JsonValue, normalise, parse_json
from callflow.project_file import load_project
from callflow.project_model import (
    CODES,
    CONTEXT_DIAGRAM,
    DEFAULT_MAX_SIZE,
    DOCUMENT_TYPES,
    EXCLUDES,
    LEVELS,
    OBJECT_LEVELS,
    PRJ001,
    PRJ002,
    PRJ003,
    PRJ004,
    PRJ005,
    PRJ006,
    PRJ007,
    PRJ008,
    PROJECT_FILE,
    SEQUENCE_DIAGRAM,
    STANDARD_DEFINES,
    Project,
    ProjectDocument,
    ProjectScenario,
    find_project,
    unique_slug,
)

__all__ = [
    "CODES",
    "CONTEXT_DIAGRAM",
    "DEFAULT_MAX_SIZE",
    "DOCUMENT_TYPES",
    "EXCLUDES",
    "LEVELS",
    "OBJECT_LEVELS",
    "PRJ001",
    "PRJ002",
    "PRJ003",
    "PRJ004",
    "PRJ005",
    "PRJ006",
    "PRJ007",
    "PRJ008",
    "PROJECT_FILE",
    "SEQUENCE_DIAGRAM",
    "STANDARD_DEFINES",
    "JsonError",
    "JsonValue",
    "Parser",
    "Project",
    "ProjectDocument",
    "ProjectFlow",
    "ProjectScenario",
    "check_interface_filters",
    "find_project",
    "interface_members",
    "load_flows",
    "load_project",
    "name_scenarios",
    "parse_json",
]

# ------------------------------------------------------------------------------ models


@dataclass(frozen=True)
class ProjectFlow:
    """A project scenario's model parsed with its defines, and its named scenarios."""

    scenario: ProjectScenario
    flow: ir.Flow | None
    #: the model's case/leg scenarios, renamed "scenarioName" or "scenarioName / leg"
    scenarios: tuple[ir.Scenario, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    fatal: bool = False
    defines: tuple[tuple[str, str], ...] = ()  # every define the model was parsed with
    every: tuple[ir.Scenario, ...] = field(default=(), repr=False)  # before --scenario


#: parse_file(path, root=, defines=, max_input_size=[, include_dirs=]) -> ParseResult
Parser = Callable[..., Any]


def _parser_takes_include_dirs(parse: Parser) -> bool:
    import inspect

    try:
        return "include_dirs" in inspect.signature(parse).parameters
    except (TypeError, ValueError):
        return False


def load_flows(
    project: Project,
    scenarios: Sequence[ProjectScenario] | None = None,
    *,
    defines: Mapping[str, str] | None = None,
    document: ProjectDocument | None = None,
    root: str | None = None,
    max_input_size: int = 16 * 1024 * 1024,
    max_scenarios: int = 1024,
    include_dirs: Sequence[str] = (),
    cache: dict[Any, Any] | None = None,
) -> list[ProjectFlow]:
    """Parse and expand the model of each project scenario (all, or ``scenarios``).

    A model is parsed with the scenario's defines, then the document's, then
    ``defines`` (the command line's ``-D``), later ones winning. ``#include`` may reach
    anything inside the project folder (``root``, default the folder); when the front
    end has include folders, ``include_dirs`` (the command line's ``-I``) and then the
    project's ``include/`` folder are searched for included files. Scenario names are
    made unique across the project (a repeated name gets ``-2`` in its slug); ``cache``
    (shared between calls) parses a model once per set of defines.
    """
    from callflow.fdl import parse_file
    from callflow.scenarios import expand_scenarios

    cache = {} if cache is None else cache
    chosen = list(project.scenarios if scenarios is None else scenarios)
    search = [*include_dirs, *([project.include_dir] if project.include_dir else [])]
    takes_dirs = _parser_takes_include_dirs(parse_file)
    used: set[str] = set()
    flows: list[ProjectFlow] = []
    for entry in chosen:
        merged = dict(entry.defines)
        if document is not None:
            merged.update(document.defines)
        merged.update(defines or {})
        key = (entry.model_path, tuple(sorted(merged.items())), root, max_input_size)
        key += (tuple(search),)
        if key not in cache:
            kwargs: dict[str, Any] = {
                "root": root if root is not None else project.path,
                "defines": merged,
                "max_input_size": max_input_size,
            }
            if takes_dirs and search:
                kwargs["include_dirs"] = list(search)
            result = parse_file(entry.model_path, **kwargs)
            expansion = (
                expand_scenarios(result.flow, max_scenarios=max_scenarios) if result.ok else None
            )
            cache[key] = (result, expansion)
        result, expansion = cache[key]
        pairs = tuple(merged.items())
        if expansion is None:
            flows.append(
                ProjectFlow(entry, result.flow, (), tuple(result.diagnostics), True, pairs)
            )
            continue
        if expansion.diagnostics:
            diagnostics = tuple(result.diagnostics) + tuple(expansion.diagnostics)
            flows.append(ProjectFlow(entry, result.flow, (), diagnostics, True, pairs))
            continue
        named = tuple(name_scenarios(entry, expansion.scenarios, used))
        flow = result.flow
        if flow.title is None:  # EventStudio titles a scenario's diagrams with its name
            flow = replace(flow, title=entry.name)
        flows.append(
            ProjectFlow(entry, flow, named, tuple(result.diagnostics), False, pairs, named)
        )
    return flows


def name_scenarios(
    entry: ProjectScenario, scenarios: Sequence[ir.Scenario], used: set[str]
) -> Iterator[ir.Scenario]:
    """The model's scenarios named after the project scenario: ``scenarioName`` for a
    model without case/leg, ``scenarioName / leg`` for each leg; slugs unique in ``used``."""
    from callflow.scenarios import MAIN_SCENARIO, safe_slug, scenario_slug

    for scenario in scenarios:
        plain = not scenario.path and scenario.name == MAIN_SCENARIO
        name = entry.name if plain else f"{entry.name} / {scenario.name}"
        slug = safe_slug(entry.name) if plain else scenario_slug((entry.name, *scenario.path))
        yield replace(scenario, name=name, slug=unique_slug(slug, used))


def interface_members(flow: ir.Flow, name: str) -> set[str]:
    """The entities an interfaceFilter names in a flow: an entity (by name or label),
    every entity below a group (by name or label), or every entity of a type (the
    ``type`` attribute, or the ``"Label": Type`` declaration when the IR has it)."""
    arch = flow.architecture
    wanted = name.strip()
    members: set[str] = set()
    for entity in arch.entities:
        types = {entity.attribute("type") or ""}
        declared = getattr(entity, "type_name", None)  # "Label": Type, when the IR has it
        if isinstance(declared, str):
            types.add(declared)
        if wanted in (entity.name, entity.label) or wanted in types:
            members.add(entity.name)
            continue
        if any(wanted in (g.name, g.label) for g in arch.ancestors(entity.name)):
            members.add(entity.name)
    return members


def check_interface_filters(
    project: Project, flows_of: Mapping[str, Sequence[ProjectFlow]]
) -> list[Diagnostic]:
    """A warning for each interfaceFilter that names nothing in the document's models
    (``flows_of``: a document's slug -> its loaded flows; documents not in it are skipped)."""
    diagnostics: list[Diagnostic] = []
    lines: list[str] | None = None
    for document in project.documents:
        name = document.interface_filter
        if name is None or document.slug not in flows_of:
            continue
        parsed = [f.flow for f in flows_of[document.slug] if f.flow is not None]
        if not parsed or any(interface_members(flow, name) for flow in parsed):
            continue
        if lines is None:
            try:
                lines = normalise(Path(project.file).read_text(encoding="utf-8")).split("\n")
            except (OSError, UnicodeDecodeError):
                lines = []
        loc = document.interface_loc or document.loc
        code_name, severity, _ = CODES[PRJ005]
        diagnostics.append(
            Diagnostic(
                PRJ005,
                code_name,
                severity,
                loc,
                f"interfaceFilter {name!r} of document {document.name!r} names no entity, "
                "type or group of its models; the document shows every interaction",
                source_line=lines[loc.line - 1] if 0 < loc.line <= len(lines) else None,
            )
        )
    return diagnostics
