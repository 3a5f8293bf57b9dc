"""What an EventStudio project is: the types ``project.scn.json`` is read into.

:class:`Project` (the folder and its file), :class:`ProjectScenario` (one entry of
``scenarios``: a model and its defines) and :class:`ProjectDocument` (one entry of
``documents``: what to draw, and how), the ``PRJ0xx`` codes and the values the file may
use. Plain frozen data and small queries on it, nothing read or parsed here: the reader
and checker of the file (:mod:`callflow.project_file`) builds these, and the loader of
the models (:mod:`callflow.project`) and the renderer read them. A module of its own so
that both can import it without importing each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from callflow.diagnostics import Severity
from callflow.ir import SourceLocation

__all__ = [
    "CODES",
    "CONTEXT_DIAGRAM",
    "DEFAULT_MAX_SIZE",
    "DOCUMENT_TYPES",
    "EXCLUDES",
    "LEVELS",
    "OBJECT_LEVELS",
    "PROJECT_FILE",
    "SEQUENCE_DIAGRAM",
    "STANDARD_DEFINES",
    "Project",
    "ProjectDocument",
    "ProjectScenario",
    "find_project",
    "unique_slug",
]

PROJECT_FILE = "project.scn.json"
DEFAULT_MAX_SIZE = 16 * 1024 * 1024

PRJ001 = "PRJ001"
PRJ002 = "PRJ002"
PRJ003 = "PRJ003"
PRJ004 = "PRJ004"
PRJ005 = "PRJ005"
PRJ006 = "PRJ006"
PRJ007 = "PRJ007"
PRJ008 = "PRJ008"

#: code -> (dotted name, severity, summary)
CODES: dict[str, tuple[str, Severity, str]] = {
    PRJ001: ("project.invalid-json", Severity.ERROR, "project.scn.json is not valid JSON"),
    PRJ002: ("project.missing-model", Severity.ERROR, "a modelPath names no file"),
    PRJ003: ("project.bad-entry", Severity.ERROR, "a key has a value of the wrong kind"),
    PRJ004: ("project.unknown-key", Severity.WARNING, "a key callflow does not know"),
    PRJ005: ("project.unsupported", Severity.WARNING, "a value callflow answers otherwise"),
    PRJ006: ("project.unreadable", Severity.ERROR, "project.scn.json cannot be read"),
    PRJ007: ("project.duplicate-name", Severity.WARNING, "a name or key given twice"),
    PRJ008: ("project.path-case", Severity.WARNING, "a modelPath differs in letter case"),
}

SEQUENCE_DIAGRAM = "sequence-diagram"
CONTEXT_DIAGRAM = "context-diagram"
DOCUMENT_TYPES = (SEQUENCE_DIAGRAM, CONTEXT_DIAGRAM)
#: interactionLevel values; "object" (and "none") is the default: every entity drawn
LEVELS = ("system", "subsystem", "module", "component")
OBJECT_LEVELS = ("object", "none")
#: what EventStudio's "exclude" lists name
EXCLUDES = ("remarks", "parameters", "actions", "blockRemarks", "states")
#: the standard defines EventStudio's documents read (page size and layout)
STANDARD_DEFINES = ("POSTER", "PRESENTATION", "USE_MULTI_TIER_HEADER", "USE_CALLOUT_REMARKS")

# ------------------------------------------------------------------------------ types


@dataclass(frozen=True)
class ProjectScenario:
    """One entry of ``scenarios``: a model and the defines that select its flow."""

    name: str
    model_path: str  # the model file: the project folder joined with modelPath
    defines: tuple[tuple[str, str], ...]
    loc: SourceLocation  # the entry
    model_loc: SourceLocation | None = None  # the modelPath value
    name_loc: SourceLocation | None = None  # the scenarioName value

    @property
    def define_map(self) -> dict[str, str]:
        return dict(self.defines)


@dataclass(frozen=True)
class ProjectDocument:
    """One entry of ``documents``: what to draw, and how."""

    name: str
    type: str  # "sequence-diagram" or "context-diagram"
    format: str  # documentFormat as written (default "pdf", as in EventStudio)
    interaction_level: str | None  # system/subsystem/module/component; None: objects
    interface_filter: str | None
    defines: tuple[tuple[str, str], ...]
    exclude: tuple[str, ...]
    scenarios: tuple[str, ...] | None  # the scenario names it covers; None: all
    loc: SourceLocation
    #: what callflow writes for this document: "svg" and/or "html"
    formats: tuple[str, ...] = ("svg", "html")
    slug: str = ""
    interface_loc: SourceLocation | None = None

    @property
    def define_map(self) -> dict[str, str]:
        return dict(self.defines)

    @property
    def page(self) -> str | None:
        """``poster`` or ``presentation`` from the standard defines, else None."""
        names = self.define_map
        if "POSTER" in names:
            return "poster"
        if "PRESENTATION" in names:
            return "presentation"
        return None

    @property
    def multi_tier_header(self) -> bool:
        return "USE_MULTI_TIER_HEADER" in self.define_map

    @property
    def callout_remarks(self) -> bool:
        return "USE_CALLOUT_REMARKS" in self.define_map


@dataclass(frozen=True)
class Project:
    """A project folder and what its ``project.scn.json`` says."""

    path: str  # the folder, as given
    scenarios: tuple[ProjectScenario, ...]
    documents: tuple[ProjectDocument, ...]
    file: str = ""  # project.scn.json inside it

    @property
    def name(self) -> str:
        return Path(os.path.abspath(self.path)).name or "project"

    @property
    def include_dir(self) -> str | None:
        """The project's ``include/`` folder (for ``#include <...>``), when it has one."""
        candidate = os.path.join(self.path, "include")
        return candidate if os.path.isdir(candidate) else None

    def covered(self, document: ProjectDocument) -> list[ProjectScenario]:
        """The scenarios a document draws, in project order."""
        if document.scenarios is None:
            return list(self.scenarios)
        wanted = set(document.scenarios)
        return [s for s in self.scenarios if s.name in wanted]


def find_project(path: str | os.PathLike[str]) -> Path | None:
    """The project folder ``path`` names: a folder holding ``project.scn.json``, or that
    file itself. None for anything else (an FDL file, a folder without a project)."""
    candidate = Path(path)
    if candidate.is_dir() and (candidate / PROJECT_FILE).is_file():
        return candidate
    if candidate.name.lower() == PROJECT_FILE and candidate.is_file():
        return candidate.parent
    return None


def unique_slug(slug: str, used: set[str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... when ``used`` has it; the result is added."""
    candidate, n = slug, 2
    while candidate in used:
        candidate = f"{slug}-{n}"
        n += 1
    used.add(candidate)
    return candidate
