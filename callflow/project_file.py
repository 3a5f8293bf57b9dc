"""Reading ``project.scn.json`` into a :class:`~callflow.project_model.Project`.

:func:`load_project` reads the file (a size limit, UTF-8), parses it with the JSON
reader that keeps positions (:mod:`callflow.jsonc`) and checks every entry of
``scenarios`` and ``documents``: a missing or wrong-kind key, an unknown level, a
``modelPath`` naming no file, a key callflow does not know, a value it answers
otherwise. Every problem is a located ``PRJ0xx`` diagnostic (``project.scn.json:line:col``
with the line quoted, like an FDL error), and every one is reported, not just the first.
The checker is the bulk of what the project file means, so it has a module of its own,
apart from the model it builds and from the loading of each scenario's model
(:mod:`callflow.project`). Pure: diagnostics, no printing.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from callflow.diagnostics import Diagnostic, sort_diagnostics
from callflow.ir import SourceLocation
from callflow.jsonc import JsonError, JsonValue, normalise, parse_json
from callflow.project_model import (
    CODES,
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
    Project,
    ProjectDocument,
    ProjectScenario,
    unique_slug,
)

__all__ = ["load_project"]

_SCENARIO_KEYS = ("modelPath", "scenarioName", "defines")
_DOCUMENT_KEYS = (
    "documentName",
    "documentType",
    "documentFormat",
    "interactionLevel",
    "interfaceFilter",
    "defines",
    "exclude",
    "scenarios",
)
#: layout knobs of EventStudio documents that callflow does not have
_LAYOUT_KEYS = ("columnWidth", "remarkWidth", "internalMargin", "objectSpacing")
_TOP_KEYS = ("scenarios", "documents")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Checker:
    """Turns the JSON tree into a :class:`Project`, collecting located diagnostics."""

    def __init__(self, folder: str, file: str, lines: list[str]) -> None:
        self.folder = folder
        self.file = file
        self.lines = lines
        self.diagnostics: list[Diagnostic] = []

    # -- diagnostics
    def loc(self, node: JsonValue) -> SourceLocation:
        end_line, end_col = node.end_line, node.end_col
        if end_line != node.line:  # an object or array: point at its opening
            end_line, end_col = node.line, node.col + 1
        return SourceLocation(self.file, node.line, node.col, end_line, end_col)

    def line(self, number: int) -> str | None:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else None

    def report(self, code: str, where: JsonValue | SourceLocation, message: str) -> None:
        loc = where if isinstance(where, SourceLocation) else self.loc(where)
        name, severity, _ = CODES[code]
        self.diagnostics.append(
            Diagnostic(code, name, severity, loc, message, source_line=self.line(loc.line))
        )

    def wrong_kind(self, node: JsonValue, what: str, expected: str) -> None:
        kind = {"bool": "a boolean", "null": "null", "array": "an array", "object": "an object"}
        shown = kind.get(node.kind, f"a {node.kind}")
        self.report(PRJ003, node, f"{what} must be {expected}; found {shown}")

    def keys(
        self,
        node: JsonValue,
        known: Sequence[str],
        where: str,
        ignored: Sequence[str] = (),
    ) -> dict[str, tuple[JsonValue, JsonValue]]:
        """The members by key (the last of duplicates), reporting unknown and repeated keys."""
        found: dict[str, tuple[JsonValue, JsonValue]] = {}
        for key, value in node.members():
            name = key.value
            if name in found:
                self.report(
                    PRJ007, key, f'"{name}" is given twice in {where}; the last value is used'
                )
            if name in ignored:
                self.report(
                    PRJ005,
                    key,
                    f'"{name}" (an EventStudio layout setting) is not supported by callflow; '
                    "ignored",
                )
                continue
            if name not in known:
                lowered = {k.lower(): k for k in known}
                near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                guess = lowered.get(name.lower()) or (near[0] if near else None)
                hint = f' (did you mean "{guess}"?)' if guess else ""
                self.report(PRJ004, key, f'unknown key "{name}" in {where}{hint}; it is ignored')
                continue
            found[name] = (key, value)
        return found

    def string(self, node: JsonValue, what: str) -> str | None:
        if node.kind != "string":
            self.wrong_kind(node, what, "a string")
            return None
        if not node.value.strip():
            self.report(PRJ003, node, f"{what} is empty")
            return None
        return node.value

    def defines(self, node: JsonValue, what: str) -> tuple[tuple[str, str], ...]:
        """``["NAME", "NAME=value"]`` or ``{"NAME": value}``."""
        pairs: dict[str, str] = {}
        if node.kind == "array":
            for item in node.items():
                if item.kind != "string":
                    self.wrong_kind(item, f"each of {what}", 'a string "NAME" or "NAME=value"')
                    continue
                name, _, value = item.value.strip().partition("=")
                self._define(pairs, item, name.strip(), value.strip(), what)
        elif node.kind == "object":
            for key, value in node.members():
                if value.kind in ("string", "number"):
                    text = str(value.value)
                elif value.kind == "bool":
                    text = "1" if value.value else "0"
                elif value.kind == "null":
                    text = ""
                else:
                    self.wrong_kind(value, f'the value of define "{key.value}"', "a string")
                    continue
                self._define(pairs, key, key.value.strip(), text, what)
        else:
            self.wrong_kind(node, what, 'a list of "NAME" or "NAME=value" strings')
        return tuple(pairs.items())

    def _define(
        self, pairs: dict[str, str], node: JsonValue, name: str, value: str, what: str
    ) -> None:
        if not _IDENT.match(name):
            self.report(
                PRJ003,
                node,
                f"{what}: {name!r} is not a preprocessor name (letters, digits and _, "
                "not starting with a digit)",
            )
            return
        pairs[name] = value

    # -- the file
    def project(self, root: JsonValue) -> Project | None:
        if root.kind != "object":
            self.wrong_kind(
                root, "a project file", 'an object with "scenarios" and "documents" lists'
            )
            return None
        members = self.keys(root, _TOP_KEYS, "the project")
        scenarios: list[ProjectScenario] = []
        if "scenarios" not in members:
            self.report(PRJ003, root, 'the project has no "scenarios" list')
        else:
            node = members["scenarios"][1]
            if node.kind != "array":
                self.wrong_kind(node, '"scenarios"', "a list of scenario objects")
            else:
                for item in node.items():
                    scenario = self.scenario(item)
                    if scenario is not None:
                        scenarios.append(scenario)
                if not node.items():
                    self.report(PRJ003, node, 'the "scenarios" list is empty')
        seen: dict[str, ProjectScenario] = {}
        for scenario in scenarios:
            if scenario.name in seen:
                first = seen[scenario.name].loc
                self.report(
                    PRJ007,
                    scenario.name_loc or scenario.loc,
                    f'scenario "{scenario.name}" is named twice (first at line {first.line}); '
                    "its outputs get a numbered name",
                )
            seen.setdefault(scenario.name, scenario)
        documents: list[ProjectDocument] = []
        if "documents" in members:
            node = members["documents"][1]
            if node.kind != "array":
                self.wrong_kind(node, '"documents"', "a list of document objects")
            else:
                for item in node.items():
                    document = self.document(item, seen)
                    if document is not None:
                        documents.append(document)
        if "documents" not in members or not members["documents"][1].items():
            documents.append(  # no document: draw every scenario's sequence diagram
                ProjectDocument(
                    SEQUENCE_DIAGRAM,
                    SEQUENCE_DIAGRAM,
                    "pdf",
                    None,
                    None,
                    (),
                    (),
                    None,
                    self.loc(root),
                )
            )
        return Project(self.folder, tuple(scenarios), tuple(_slugged(documents)), self.file)

    def scenario(self, node: JsonValue) -> ProjectScenario | None:
        if node.kind != "object":
            self.wrong_kind(node, "a scenario", 'an object with "modelPath" and "scenarioName"')
            return None
        members = self.keys(node, _SCENARIO_KEYS, "a scenario")
        if "modelPath" not in members:
            self.report(PRJ003, node, 'a scenario needs a "modelPath" (the FDL file of its model)')
            return None
        model_node = members["modelPath"][1]
        model = self.string(model_node, '"modelPath"')
        if model is None:
            return None
        path = self.model_file(model, model_node)
        name: str | None = None
        name_loc: SourceLocation | None = None
        if "scenarioName" in members:
            name = self.string(members["scenarioName"][1], '"scenarioName"')
            name_loc = self.loc(members["scenarioName"][1])
        if name is None:
            name = Path(model.replace("\\", "/")).stem or model
        defines = self.defines(members["defines"][1], '"defines"') if "defines" in members else ()
        if path is None:
            return None
        return ProjectScenario(
            name.strip(), path, defines, self.loc(node), self.loc(model_node), name_loc
        )

    def model_file(self, model: str, node: JsonValue) -> str | None:
        """The model's path (the project folder joined with modelPath, ``\\`` read as ``/``)."""
        relative = model.strip().replace("\\", "/")
        joined = os.path.normpath(os.path.join(self.folder, relative))
        if os.path.isfile(joined):
            return joined
        if os.path.isdir(joined):
            self.report(PRJ002, node, f"modelPath {model!r} is a folder, not an FDL file")
            return None
        matched = _case_insensitive(self.folder, relative)
        if matched is not None:
            self.report(
                PRJ008,
                node,
                f"modelPath {model!r} names {os.path.relpath(matched, self.folder)!r} "
                "with other letter cases (EventStudio on Windows ignores case); "
                "write it as the file is named",
            )
            return matched
        self.report(
            PRJ002,
            node,
            f"model file {model!r} not found (looked for {joined}; modelPath is relative "
            "to the project folder)",
        )
        return None

    def document(
        self, node: JsonValue, scenarios: Mapping[str, ProjectScenario]
    ) -> ProjectDocument | None:
        if node.kind != "object":
            self.wrong_kind(node, "a document", 'an object with a "documentName"')
            return None
        members = self.keys(node, _DOCUMENT_KEYS, "a document", ignored=_LAYOUT_KEYS)
        if "documentName" not in members:
            self.report(PRJ003, node, 'a document needs a "documentName" (its file name)')
            return None
        name = self.string(members["documentName"][1], '"documentName"')
        if name is None:
            return None
        kind = SEQUENCE_DIAGRAM
        if "documentType" in members:
            type_node = members["documentType"][1]
            value = self.string(type_node, '"documentType"')
            if value is None:
                return None
            kind = value.strip().lower()
            if kind not in DOCUMENT_TYPES:
                self.report(
                    PRJ005,
                    type_node,
                    f"documentType {value!r} is not drawn by callflow (it draws "
                    f"{' and '.join(DOCUMENT_TYPES)}); document {name!r} is skipped",
                )
                return None
        written, formats = "pdf", ("svg", "html")
        if "documentFormat" in members:
            format_node = members["documentFormat"][1]
            value = self.string(format_node, '"documentFormat"')
            if value is not None:
                written = value.strip().lower()
                formats = self.formats(written, format_node)
        level: str | None = None
        if "interactionLevel" in members:
            level_node = members["interactionLevel"][1]
            value = self.string(level_node, '"interactionLevel"')
            if value is not None:
                lowered = value.strip().lower()
                if lowered in LEVELS:
                    level = lowered
                elif lowered not in OBJECT_LEVELS:
                    self.report(
                        PRJ003,
                        level_node,
                        f"interactionLevel {value!r} is not a level: choose from "
                        f"{', '.join(LEVELS)} (or object, the default)",
                    )
        interface: str | None = None
        interface_loc: SourceLocation | None = None
        if "interfaceFilter" in members:
            filter_node = members["interfaceFilter"][1]
            interface = self.string(
                filter_node, '"interfaceFilter" (an object, type or group name)'
            )
            interface = interface.strip() if interface else None
            interface_loc = self.loc(filter_node)
        defines = self.defines(members["defines"][1], '"defines"') if "defines" in members else ()
        exclude = self.exclude(members["exclude"][1]) if "exclude" in members else ()
        covered = (
            self.covered(members["scenarios"][1], scenarios) if "scenarios" in members else None
        )
        return ProjectDocument(
            name.strip(),
            kind,
            written,
            level,
            interface,
            defines,
            exclude,
            covered,
            self.loc(node),
            formats,
            interface_loc=interface_loc,
        )

    def formats(self, written: str, node: JsonValue) -> tuple[str, ...]:
        if written in ("svg", "html"):
            return (written,)
        if written == "pdf":
            self.report(PRJ005, node, "PDF output is not available yet; writing SVG/HTML")
            return ("svg", "html")
        if written == "emf":
            self.report(
                PRJ005, node, "EMF (MS Word Picture) is answered with SVG, which Word inserts too"
            )
            return ("svg",)
        self.report(
            PRJ005,
            node,
            f"documentFormat {written!r} is not written by callflow (svg, html; pdf and emf "
            "are answered with SVG/HTML); writing SVG/HTML",
        )
        return ("svg", "html")

    def exclude(self, node: JsonValue) -> tuple[str, ...]:
        if node.kind != "array":
            self.wrong_kind(node, '"exclude"', 'a list such as ["remarks", "parameters"]')
            return ()
        chosen: list[str] = []
        by_lower = {name.lower(): name for name in EXCLUDES}
        for item in node.items():
            if item.kind != "string":
                self.wrong_kind(item, 'each item of "exclude"', "a string")
                continue
            known = by_lower.get(item.value.strip().lower())
            if known is None:
                self.report(
                    PRJ005,
                    item,
                    f"callflow does not know what to exclude for {item.value!r} "
                    f"(it knows {', '.join(EXCLUDES)}); ignored",
                )
            elif known not in chosen:
                chosen.append(known)
        return tuple(chosen)

    def covered(
        self, node: JsonValue, scenarios: Mapping[str, ProjectScenario]
    ) -> tuple[str, ...] | None:
        if node.kind != "array":
            self.wrong_kind(node, 'a document\'s "scenarios"', "a list of scenario names")
            return None
        names: list[str] = []
        for item in node.items():
            name = self.string(item, "a scenario name")
            if name is None:
                continue
            if name.strip() not in scenarios:
                near = difflib.get_close_matches(name, list(scenarios), n=1)
                hint = f' (did you mean "{near[0]}"?)' if near else ""
                self.report(PRJ003, item, f'the project has no scenario named "{name}"{hint}')
                continue
            names.append(name.strip())
        return tuple(names)


def _case_insensitive(folder: str, relative: str) -> str | None:
    """The file ``relative`` names under ``folder`` when only letter cases differ."""
    current = folder
    for part in [p for p in relative.split("/") if p and p != "."]:
        if part == "..":
            current = os.path.join(current, part)
            continue
        try:
            entries = os.listdir(current)
        except OSError:
            return None
        exact = [e for e in entries if e == part]
        exact = exact or [e for e in entries if e.lower() == part.lower()]
        if not exact:
            return None
        current = os.path.join(current, sorted(exact)[0])
    current = os.path.normpath(current)
    return current if os.path.isfile(current) else None


def _slugged(documents: Sequence[ProjectDocument]) -> Iterator[ProjectDocument]:
    from callflow.scenarios import safe_slug

    used: set[str] = set()
    for document in documents:
        yield replace(document, slug=unique_slug(safe_slug(document.name), used))


def load_project(
    path: str | os.PathLike[str], *, max_size: int = DEFAULT_MAX_SIZE
) -> tuple[Project | None, list[Diagnostic]]:
    """Read the project in folder ``path`` (or the ``project.scn.json`` file ``path``).

    Returns ``(None, diagnostics)`` when the file cannot be read or has an error (every
    error is reported, not just the first); warnings come back with the project.
    """
    given = os.fspath(path)
    folder = given
    if os.path.basename(given).lower() == PROJECT_FILE and not os.path.isdir(given):
        folder = os.path.dirname(given) or "."
    file = os.path.join(folder, PROJECT_FILE)
    checker = _Checker(folder, file, [])
    start = SourceLocation(file, 1, 1, 1, 1)
    try:
        size = os.stat(file).st_size
        if size > max_size:
            checker.report(
                PRJ006, start, f"{file} is too large ({size:,} bytes; the limit is {max_size:,})"
            )
            return None, checker.diagnostics
        data = Path(file).read_bytes()
    except OSError as error:
        checker.report(PRJ006, start, f"cannot read {file}: {error.strerror or error}")
        return None, checker.diagnostics
    try:
        text = normalise(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        checker.report(
            PRJ006,
            SourceLocation(file, line, col, line, col + 1),
            f"{file} is not UTF-8 text (byte 0x{data[error.start]:02X} at line {line})",
        )
        return None, checker.diagnostics
    checker.lines = text.split("\n")
    try:
        root = parse_json(text)
    except JsonError as error:
        loc = SourceLocation(file, error.line, error.col, error.line, error.col + error.length)
        checker.report(PRJ001, loc, error.message)
        return None, checker.diagnostics
    project = checker.project(root)
    diagnostics = sort_diagnostics(checker.diagnostics)
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    return project, diagnostics
