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
document's own ``defines`` added. :func:`load_project` reads the file with a small JSON
reader of our own that keeps every value's line and column, so every problem is reported
as ``project.scn.json:line:col`` with the line quoted, like an FDL error.
:func:`load_flows` parses the models of a project (pure: diagnostics, no printing).

Codes (``PRJ0xx``): errors stop the command with exit 2, warnings do not.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from callflow import ir
from callflow.diagnostics import Diagnostic, Severity, sort_diagnostics
from callflow.ir import SourceLocation

__all__ = [
    "CODES",
    "PROJECT_FILE",
    "JsonError",
    "JsonValue",
    "Project",
    "ProjectDocument",
    "ProjectFlow",
    "ProjectScenario",
    "check_interface_filters",
    "find_project",
    "interface_members",
    "load_flows",
    "load_project",
    "parse_json",
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


# ------------------------------------------------------------------------------ JSON


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A JSON value with the span it was read from (1-based; end exclusive).

    ``value`` is the Python value for scalars, a list of :class:`JsonValue` for an
    array, and a list of ``(key, value)`` pairs of :class:`JsonValue` for an object (in
    file order, duplicates kept, so a checker can report them).
    """

    kind: str  # "object", "array", "string", "number", "bool", "null"
    value: Any
    line: int
    col: int
    end_line: int
    end_col: int

    def members(self) -> list[tuple[JsonValue, JsonValue]]:
        return self.value if self.kind == "object" else []

    def items(self) -> list[JsonValue]:
        return self.value if self.kind == "array" else []

    def plain(self) -> Any:
        """The value as plain Python (dict, list, str, int/float, bool, None)."""
        if self.kind == "object":
            return {k.value: v.plain() for k, v in self.value}
        if self.kind == "array":
            return [item.plain() for item in self.value]
        return self.value


class JsonError(Exception):
    """Where and why a text is not JSON (``line``/``col`` 1-based, ``length`` >= 1)."""

    def __init__(self, message: str, line: int, col: int, length: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.length = length


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MAX_DEPTH = 200


class _JsonReader:
    """Recursive descent over JSON with ``/* */`` and ``//`` comments and trailing commas."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # -- positions
    def where(self, index: int) -> tuple[int, int]:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:  # the last line start <= index
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, index - self.line_starts[lo] + 1

    def fail(self, message: str, index: int | None = None, length: int = 1) -> JsonError:
        line, col = self.where(self.pos if index is None else index)
        return JsonError(message, line, col, max(1, length))

    def found(self) -> str:
        """What stands at the current position, for an error message."""
        if self.pos >= len(self.text):
            return "the end of the file"
        word = _WORD.match(self.text, self.pos)
        if word:
            return f"'{word.group()}'"
        char = self.text[self.pos]
        if char == "\n":
            return "the end of the line"
        if char == "'":
            return "a single quote (JSON strings use double quotes)"
        return f"'{char}'" if char.isprintable() else f"the character U+{ord(char):04X}"

    def found_length(self) -> int:
        word = _WORD.match(self.text, self.pos)
        return len(word.group()) if word else 1

    def value_node(self, kind: str, value: Any, start: int) -> JsonValue:
        line, col = self.where(start)
        end_line, end_col = self.where(self.pos)
        return JsonValue(kind, value, line, col, end_line, end_col)

    # -- lexing
    def skip(self) -> None:
        """Skip whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\n\r\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("this /* comment is never closed with */", length=2)
                self.pos = end + 2
            else:
                return

    def document(self) -> JsonValue:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("the file is empty: expected a JSON object ({ ... })")
        node = self.value(0)
        self.skip()
        if self.pos < len(self.text):
            raise self.fail(
                f"expected the end of the file after the JSON value; found {self.found()}",
                length=self.found_length(),
            )
        return node

    def value(self, depth: int) -> JsonValue:
        if depth > _MAX_DEPTH:
            raise self.fail(f"values are nested more than {_MAX_DEPTH} deep")
        text, start = self.text, self.pos
        char = text[start] if start < len(text) else ""
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return self.value_node("string", self.string(), start)
        number = _NUMBER.match(text, start)
        if number:
            self.pos = number.end()
            literal = number.group()
            parsed: int | float = (
                float(literal) if any(c in literal for c in ".eE") else int(literal)
            )
            return self.value_node("number", parsed, start)
        word = _WORD.match(text, start)
        if word and word.group() in ("true", "false", "null"):
            self.pos = word.end()
            if word.group() == "null":
                return self.value_node("null", None, start)
            return self.value_node("bool", word.group() == "true", start)
        raise self.fail(
            "expected a value (an object, array, string, number, true, false or null); "
            f"found {self.found()}",
            length=self.found_length(),
        )

    def string(self) -> str:
        text, start = self.text, self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise self.fail("this string is not closed with '\"' on its line", start)
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                escape = text[self.pos + 1 : self.pos + 2]
                if escape in _ESCAPES:
                    out.append(_ESCAPES[escape])
                    self.pos += 2
                elif escape == "u":
                    out.append(self.unicode_escape())
                else:
                    raise self.fail(
                        "unknown escape in a string: use \\\\ for a backslash "
                        '(\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t, \\uXXXX)',
                        length=2,
                    )
            elif ord(char) < 0x20:
                raise self.fail(
                    f"a control character (U+{ord(char):04X}) inside a string: write it "
                    "as an escape such as \\t"
                )
            else:
                out.append(char)
                self.pos += 1

    def unicode_escape(self) -> str:
        digits = self.text[self.pos + 2 : self.pos + 6]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            raise self.fail("\\u needs four hexadecimal digits", length=2)
        code = int(digits, 16)
        self.pos += 6
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            low = self.text[self.pos + 2 : self.pos + 6]
            if re.fullmatch(r"[0-9A-Fa-f]{4}", low) and 0xDC00 <= int(low, 16) < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        if 0xD800 <= code < 0xE000:
            return "\ufffd"  # a lone surrogate cannot be text
        return chr(code)

    def object(self, depth: int) -> JsonValue:
        start = self.pos
        self.pos += 1
        members: list[tuple[JsonValue, JsonValue]] = []
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return self.value_node("object", members, start)
            if not self.text.startswith('"', self.pos):
                raise self.fail(
                    f"expected a key in double quotes or '}}'; found {self.found()}",
                    length=self.found_length(),
                )
            key_start = self.pos
            key = self.value_node("string", self.string(), key_start)
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail(
                    f"expected ':' after the key \"{key.value}\"; found {self.found()}",
                    length=self.found_length(),
                )
            self.pos += 1
            self.skip()
            members.append((key, self.value(depth + 1)))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                continue
            hint = " (a ',' is missing?)" if self.text.startswith('"', self.pos) else ""
            raise self.fail(
                f"expected ',' or '}}' after the value of \"{key.value}\"; "
                f"found {self.found()}{hint}",
                length=self.found_length(),
            )

    def array(self, depth: int) -> JsonValue:
        start = self.pos
        self.pos += 1
        items: list[JsonValue] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return self.value_node("array", items, start)
            items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                continue
            hint = (
                " (a ',' is missing?)"
                if self.pos < len(self.text) and self.text[self.pos] in '"{[-0123456789'
                else ""
            )
            raise self.fail(
                f"expected ',' or ']' after an array item; found {self.found()}{hint}",
                length=self.found_length(),
            )


def parse_json(text: str) -> JsonValue:
    """Read JSON with comments (``/* */``, ``//``) and trailing commas, keeping positions.

    ``text`` should have LF line ends. Raises :class:`JsonError` with a worded message
    and the 1-based line and column of the problem.
    """
    return _JsonReader(text).document()


# ------------------------------------------------------------------------------ reading


def _normalise(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
        yield replace(document, slug=_unique(safe_slug(document.name), used))


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate = f"{slug}-{n}"
        n += 1
    used.add(candidate)
    return candidate


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
        text = _normalise(data.decode("utf-8"))
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
        yield replace(scenario, name=name, slug=_unique(slug, used))


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
                lines = _normalise(Path(project.file).read_text(encoding="utf-8")).split("\n")
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
