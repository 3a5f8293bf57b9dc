"""The FDL preprocessor: comments, ``#include``, ``#define`` and ``#if`` before lexing.

It turns the files the user wrote into one text for the Lark lexer, plus a map from every
output line and column back to the original ``file:line:col``, so that every later error
still points at what the user wrote. Comments are blanked with spaces (not removed) so that
columns stay exact and a statement still ends at its line end; remarks (``(* *)``,
``|* *|``, ``|= =|`` and ``% ...``) and strings pass through untouched. It is C-like, as
EventStudio's is: ``#include "file"`` and ``#include <file>`` with a search path,
object-like and function-like macros (``\\`` continues a directive onto the next line, which
then reads as an empty line), and ``#if``/``#elif`` expressions. Nothing here prints,
exits or raises at the caller: problems come back as :class:`~callflow.diagnostics.Diagnostic`.
"""

from __future__ import annotations

import os
import re
import stat
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from callflow.diagnostics import Diagnostic, Severity
from callflow.ir import SourceLocation, Suppression

__all__ = [
    "LineOrigin",
    "PreprocessedSource",
    "preprocess_file",
    "preprocess_text",
]

DEFAULT_MAX_INPUT_SIZE = 16 * 1024 * 1024

#: the folder beside the main file searched by default (EventStudio's project layout)
DEFAULT_INCLUDE_FOLDER = "include"

Segment = tuple[int, int, bool]
IncludeChain = tuple[SourceLocation, ...]
Span = tuple[int, int]
PathArg = str | os.PathLike[str]

# --------------------------------------------------------------------------- codes

FDL201 = "FDL201"
FDL202 = "FDL202"
FDL203 = "FDL203"
FDL204 = "FDL204"
FDL205 = "FDL205"
FDL206 = "FDL206"
FDL207 = "FDL207"
FDL208 = "FDL208"
FDL209 = "FDL209"

_NAMES: dict[str, str] = {
    FDL201: "input.unreadable",
    FDL202: "input.not-text",
    FDL203: "input.too-large",
    FDL204: "include.not-found",
    FDL205: "include.cycle",
    FDL206: "include.outside-root",
    FDL207: "directive.unbalanced",
    FDL208: "directive.malformed",
    FDL209: "include.case-mismatch",
}

# --------------------------------------------------------------------------- regexes

#: the next spot in code where a string, comment or remark starts
_SPECIAL_RE = re.compile(r'//|/\*|\(\*|\|\*|\|=|%|"')
#: the same in a text already without comments (a macro's value, its arguments)
_PROTECT_RE = re.compile(r'"|\(\*|\|\*|\|=|%')
#: a string on one line; group 1 is None when it is unterminated (it then ends at line end)
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*(")?')
_SUPPRESS_RE = re.compile(
    r"//\s*callflow\s*:\s*ignore\s*\[\s*"
    r"([A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)\s*,?\s*\]"
)
_CODE_SPLIT_RE = re.compile(r"\s*,\s*")
#: an EventStudio link ``<https://host/x>``: the ``//`` in it is not a comment
_LINK_RE = re.compile(r'<[^\s<>"]*>')
_DIRECTIVE_RE = re.compile(r"\s*#\s*([A-Za-z_][A-Za-z0-9_]*)?(.*)\Z", re.DOTALL)
_INCLUDE_ARG_RE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|<([^<>]*)>)\s*\Z')
_UNESCAPE_RE = re.compile(r"\\(.)")
_DEFINE_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)(.*)\Z", re.DOTALL)
#: where a ``#define``'s value starts (for the ``//`` rule: a URL in a value is not a comment)
_DEFINE_HEAD_RE = re.compile(r"[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?")
_PARAMS_RE = re.compile(r"\(([^()]*)\)(.*)\Z", re.DOTALL)
_COND_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)\s*\Z")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: the one identifier scan, each name found looked up in the macro table (one right after
#: a digit, the ``ID`` of ``5ID``, is not a name: see ``_WORD_CHARS``)
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
#: what splits a macro call's arguments
_ARG_PUNCT_RE = re.compile(r"[(),]")
_EXPR_TOKEN_RE = re.compile(
    r"[ \t]*(?:"
    r"(0[xX][0-9A-Fa-f]+|[0-9]+)[uUlL]*(?![A-Za-z0-9_])"  # 1: an integer
    r"|([A-Za-z_][A-Za-z0-9_]*)"  # 2: a name
    r"|(&&|\|\||==|!=|<=|>=|[!<>()])"  # 3: an operator
    r")"
)
_NEWLINES_RE = re.compile(r"\r\n?")

# scanner modes: where a line starts (block comments and remarks may span lines)
_CODE = 0
_BLOCK = 1
_REMARK = 2  # (* ... *)
_BAR_REMARK = 3  # |* ... *|
_EQ_REMARK = 4  # |= ... =|

_REMARK_MODES = {"(*": _REMARK, "|*": _BAR_REMARK, "|=": _EQ_REMARK}
_REMARK_CLOSE = {_REMARK: "*)", _BAR_REMARK: "*|", _EQ_REMARK: "=|"}
_OPENER_CLOSE = {"(*": "*)", "|*": "*|", "|=": "=|"}

_DIRECTIVES = "#include, #define, #if, #ifdef, #ifndef, #elif, #else or #endif"

#: bounds on one line's macro expansion, so that no input can hang or exhaust the stack
_MAX_NESTING = 64
_MAX_EXPANSION = 1_000_000  # characters produced by function-like macros on one line
_CALL_COST = 32  # what one call costs of that budget beyond its characters

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class LineOrigin:
    """Where one output line came from, so later stages can report original positions.

    ``segments`` maps columns on lines changed by macro replacement: sorted
    ``(out_col, src_col, is_macro)`` entries (1-based). For an output column ``c`` take the
    last entry with ``out_col <= c``: a macro entry maps every column of the replacement to
    the macro's use (``src_col``); otherwise the column is ``src_col + (c - out_col)``.
    ``()`` means columns are unchanged, the common case.
    """

    file: str
    line: int
    included_from: IncludeChain
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True, slots=True)
class PreprocessedSource:
    """The text the parser lexes and the map back to the files the user wrote."""

    text: str
    origins: tuple[LineOrigin, ...]
    suppressions: tuple[Suppression, ...]
    source_lines: dict[str, list[str]]

    def locate(
        self, line: int, col: int, end_line: int | None = None, end_col: int | None = None
    ) -> SourceLocation:
        """Map an output position (1-based) to the original file, line and column.

        The end defaults to the start; lines out of range clamp to the first/last line (the
        lexer reports end-of-file one line past the text).
        """
        origins = self.origins
        last = len(origins)
        start = origins[min(max(line, 1), last) - 1]
        scol = _map_col(start.segments, col, False)
        if end_line is None:
            end_line = line
        if end_col is None:
            end_col = col
        end = origins[min(max(end_line, 1), last) - 1]
        if (
            end.file != start.file
            or end.included_from != start.included_from
            or end.line < start.line
        ):
            eline, ecol = start.line, scol
        else:
            eline, ecol = end.line, _map_col(end.segments, end_col, True)
            if eline == start.line and ecol < scol:
                ecol = scol
        return SourceLocation(start.file, start.line, scol, eline, ecol, start.included_from)

    def source_line(self, loc: SourceLocation) -> str | None:
        """The original text of ``loc``'s line (for the caret display), if known."""
        lines = self.source_lines.get(loc.file)
        if lines is None or not 1 <= loc.line <= len(lines):
            return None
        return lines[loc.line - 1]


def _map_col(segments: tuple[Segment, ...], col: int, is_end: bool) -> int:
    """Output column -> source column through a line's segments (see :class:`LineOrigin`).

    An exclusive end column inside a macro's replacement maps to the end of the macro's
    name, so a span over replaced text covers the name the user wrote.
    """
    if not segments:
        return col
    idx = bisect_right(segments, col, key=_seg_out) - 1
    if idx < 0:
        return col
    out_col, src_col, is_macro = segments[idx]
    if is_macro:
        if is_end and col > out_col and idx + 1 < len(segments):
            return segments[idx + 1][1]
        return src_col
    return src_col + (col - out_col)


def _seg_out(segment: Segment) -> int:
    return segment[0]


# --------------------------------------------------------------------------- entry points


def preprocess_file(
    path: PathArg,
    *,
    root: PathArg | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
    include_dirs: Sequence[PathArg] = (),
) -> tuple[PreprocessedSource | None, list[Diagnostic]]:
    """Preprocess the file at ``path``.

    Returns ``(None, diagnostics)`` when the main file cannot be read as text; otherwise the
    source and any problems found on the way (a missing include is reported and skipped).
    ``root`` (default: the main file's directory) bounds what ``#include`` may reach.
    ``include_dirs`` (the ``-I`` folders, then any the caller adds) is the include search
    path, followed by the ``include/`` folder beside the main file when there is one; each
    folder on it is a root too.
    """
    display = os.fsdecode(os.fspath(path))
    abs_path = os.path.abspath(display)
    where = SourceLocation(display, 1, 1, 1, 1)
    text, problem = _load(abs_path, display, max_input_size, where, None, ())
    if problem is not None:
        return None, [problem]
    assert text is not None
    main_dir = os.path.dirname(abs_path)
    root_dir = os.fspath(root) if root is not None else main_dir
    search = _search_path(include_dirs, main_dir)
    pre = _Preprocessor(os.path.realpath(root_dir), defines, max_input_size, search, display)
    pre.run(text, display, main_dir, os.path.realpath(abs_path))
    return pre.result(display), pre.diagnostics


def preprocess_text(
    text: str,
    filename: str = "<string>",
    *,
    root: PathArg | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
    include_dirs: Sequence[PathArg] = (),
) -> tuple[PreprocessedSource | None, list[Diagnostic]]:
    """Preprocess ``text`` as if it were the file ``filename`` (stdin, tests, editors).

    ``#include`` paths are relative to ``filename``'s directory, or to ``root`` (else the
    current directory) for a pseudo-name such as ``<string>``; ``root`` defaults to the
    current directory. ``include_dirs`` as for :func:`preprocess_file` (the default
    ``include/`` folder is looked for in that same directory).
    """
    where = SourceLocation(filename, 1, 1, 1, 1)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_input_size:
        return None, [_too_large(filename, size, max_input_size, where, None)]
    text = _normalise(text)
    nul = text.find("\0")
    if nul >= 0:
        line, col, src = _position(text, nul)
        loc = SourceLocation(filename, line, col, line, col + 1)
        message = (
            f"{filename} is not a text file: it contains a NUL byte at line {line}, column {col}"
        )
        return None, [_make(FDL202, loc, message, src)]
    root_dir = os.path.abspath(os.fspath(root) if root is not None else os.getcwd())
    if filename.startswith("<"):
        base_dir, real = root_dir, filename
    else:
        abs_path = os.path.abspath(filename)
        base_dir, real = os.path.dirname(abs_path), os.path.realpath(abs_path)
    search = _search_path(include_dirs, base_dir)
    pre = _Preprocessor(os.path.realpath(root_dir), defines, max_input_size, search, filename)
    pre.run(text, filename, base_dir, real)
    return pre.result(filename), pre.diagnostics


#: callflow's stand-ins for the include files EventStudio installs (``<colors.FDL>``, the
#: theme files ``<pastel.FDL>`` ...): last on the search path, as a system folder is, so a
#: project's own copy of any of them wins
EVENTSTUDIO_INCLUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eventstudio")


def _project_folder_above(folder: str, levels: int = 4) -> str | None:
    """The nearest folder at or above ``folder`` (a few levels up) that holds an EventStudio
    ``project.scn.json``: a model in ``model/`` finds the project's ``include/`` then."""
    current = os.path.abspath(folder)
    for _ in range(levels):
        if os.path.isfile(os.path.join(current, "project.scn.json")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return None


def _search_path(include_dirs: Sequence[PathArg], main_dir: str) -> list[str]:
    """The include search path: the given folders (absolute, once each), then ``include/``
    beside the main file, then the ``include/`` of the EventStudio project the main file
    is in, then callflow's stand-ins for EventStudio's installed include files."""
    folders = [os.path.abspath(os.fspath(folder)) for folder in include_dirs]
    default = os.path.join(main_dir, DEFAULT_INCLUDE_FOLDER)
    if os.path.isdir(default):
        folders.append(default)
    project = _project_folder_above(main_dir)
    if project is not None and os.path.isdir(os.path.join(project, DEFAULT_INCLUDE_FOLDER)):
        folders.append(os.path.join(project, DEFAULT_INCLUDE_FOLDER))
    folders.append(EVENTSTUDIO_INCLUDE)
    unique: list[str] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


# --------------------------------------------------------------------------- reading


def _make(
    code: str,
    loc: SourceLocation,
    message: str,
    source_line: str | None,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    return Diagnostic(code, _NAMES[code], severity, loc, message, source_line=source_line)


def _normalise(text: str) -> str:
    """Strip a BOM and turn CRLF / lone CR into LF, so lines and columns are the same everywhere."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = _NEWLINES_RE.sub("\n", text)
    return text


def _position(text: str, index: int) -> tuple[int, int, str]:
    """1-based (line, column) of ``index`` in normalised ``text``, and that line's text."""
    line_start = text.rfind("\n", 0, index) + 1
    line_end = text.find("\n", index)
    if line_end < 0:
        line_end = len(text)
    return text.count("\n", 0, index) + 1, index - line_start + 1, text[line_start:line_end]


def _too_large(
    display: str, size: int, limit: int, where: SourceLocation, where_line: str | None
) -> Diagnostic:
    message = f"{display} is too large to read ({size:,} bytes; the limit is {limit:,} bytes)"
    return _make(FDL203, where, message, where_line)


def _load(
    abs_path: str,
    display: str,
    max_size: int,
    where: SourceLocation,
    where_line: str | None,
    chain: IncludeChain,
) -> tuple[str | None, Diagnostic | None]:
    """Read a source file as normalised text, or say why not.

    Problems with the file as a whole are reported at ``where`` (the main file's 1:1, or the
    ``#include`` line); a NUL or undecodable byte at its own position in the file (with the
    include ``chain``). The size is checked before reading so a huge file is never loaded.
    """

    def unreadable(reason: str) -> tuple[None, Diagnostic]:
        return None, _make(FDL201, where, f"cannot read {display}: {reason}", where_line)

    try:
        info = os.stat(abs_path)
    except FileNotFoundError:
        return unreadable("no such file")
    except NotADirectoryError:
        return unreadable("no such file (a part of its path is not a directory)")
    except PermissionError:
        return unreadable("permission denied")
    except OSError as exc:
        return unreadable(exc.strerror or str(exc))
    if stat.S_ISDIR(info.st_mode):
        return unreadable("it is a directory, not a file")
    if stat.S_ISREG(info.st_mode) and info.st_size > max_size:
        return None, _too_large(display, info.st_size, max_size, where, where_line)
    try:
        with open(abs_path, "rb") as handle:
            data = handle.read(max_size + 1)  # a pipe or device has no size: cap the read
    except PermissionError:
        return unreadable("permission denied")
    except IsADirectoryError:
        return unreadable("it is a directory, not a file")
    except OSError as exc:
        return unreadable(exc.strerror or str(exc))
    if len(data) > max_size:
        return None, _too_large(display, len(data), max_size, where, where_line)

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        loc = SourceLocation(display, 1, 1, 1, 1, chain)
        message = f"{display} is not UTF-8 text: it looks like UTF-16; save it as UTF-8"
        return None, _make(FDL202, loc, message, None)
    nul = data.find(b"\0")
    if nul >= 0:
        line, col, src = _byte_position(data, nul)
        loc = SourceLocation(display, line, col, line, col + 1, chain)
        message = (
            f"{display} is not a text file: it contains a NUL byte at line {line}, column {col}"
        )
        return None, _make(FDL202, loc, message, src)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col, src = _byte_position(data, exc.start)
        loc = SourceLocation(display, line, col, line, col + 1, chain)
        message = (
            f"{display} is not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {col} cannot be decoded (save the file as UTF-8)"
        )
        return None, _make(FDL202, loc, message, src)
    return _normalise(text), None


def _byte_position(data: bytes, index: int) -> tuple[int, int, str]:
    """(line, column, line text) of the byte at ``index``, counting columns in characters."""
    prefix = _normalise(data[:index].decode("utf-8", "replace"))
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    start = data.rfind(b"\n", 0, index) + 1
    end = data.find(b"\n", index)
    raw = data[start : end if end >= 0 else len(data)]
    src = raw.decode("utf-8", "replace").replace("\0", "\ufffd").rstrip("\r")
    if line == 1 and src.startswith("\ufeff"):
        src = src[1:]
    return line, col, src


# --------------------------------------------------------------------------- the work


class _Cond:
    """One open ``#if``/``#ifdef``/``#ifndef`` (kept per file: conditionals balance in a file).

    ``taking`` says whether the current branch is read; ``any_taken`` whether one of the
    chain's branches already was (so a later ``#elif`` or ``#else`` is skipped).
    """

    __slots__ = (
        "any_taken",
        "line",
        "loc",
        "name",
        "parent_active",
        "seen_else",
        "source",
        "taking",
    )

    def __init__(
        self, parent_active: bool, taking: bool, loc: SourceLocation, name: str, source: str
    ) -> None:
        self.parent_active = parent_active
        self.taking = taking
        self.any_taken = taking
        self.seen_else = False
        self.loc = loc
        self.line = loc.line
        self.name = name
        self.source = source

    @property
    def active(self) -> bool:
        return self.parent_active and self.taking


class _Directive:
    """One directive with its ``\\``-continued lines joined, and the way back to its lines.

    ``starts[i]`` is where physical line ``lines[i]`` (its number and text) begins in
    ``text``, and offset ``o`` on it is column ``o - bases[i] + 1`` of that line (its
    leading blanks are dropped at the join).
    """

    __slots__ = ("bases", "chain", "display", "lines", "starts", "text")

    def __init__(
        self,
        text: str,
        starts: list[int],
        bases: list[int],
        lines: list[tuple[int, str]],
        display: str,
        chain: IncludeChain,
    ) -> None:
        self.text = text
        self.starts = starts
        self.bases = bases
        self.lines = lines
        self.display = display
        self.chain = chain

    def locate(self, start: int, end: int) -> tuple[SourceLocation, str]:
        """The location of ``text[start:end]`` (cut at its line's end) and that line."""
        index = bisect_right(self.starts, start) - 1
        lineno, source = self.lines[index]
        base = self.bases[index]
        limit = len(source.rstrip()) + 1
        col = min(start - base + 1, limit)
        end_col = min(max(end - base + 1, col + 1), max(limit, col + 1))
        return SourceLocation(self.display, lineno, col, lineno, end_col, self.chain), source


def _in_link(line: str, start: int, at: int) -> bool:
    """Is the ``//`` at ``at`` inside a ``<link>`` that opens after ``start``?"""
    opening = line.rfind("<", start, at)
    if opening < 0:
        return False
    link = _LINK_RE.match(line, opening)
    return link is not None and link.end() > at + 2


def _push(segments: list[Segment], segment: Segment) -> None:
    """Append a segment; one at the same output column replaces the previous (it wins)."""
    if segments and segments[-1][0] == segment[0]:
        segments[-1] = segment
    else:
        segments.append(segment)


def _in_word(line: str, start: int, end: int) -> bool:
    """Is ``line[start:end]`` part of a hyphenated word (``Call-ID``) or of a ``-x`` arrow?

    ``-`` followed by ``>``, or by ``x`` and whitespace, is an arrow, not a hyphen.
    """
    if start >= 1 and line[start - 1] == "-":
        if start >= 2 and line[start - 2].isalnum():
            return True
        if end - start == 1 and line[start] == "x" and (end == len(line) or line[end].isspace()):
            return True  # the "x" of a lost-message arrow "-x"
    if end + 1 < len(line) and line[end] == "-":
        after = line[end + 1]
        if after.isalnum():
            arrow = after == "x" and (end + 2 == len(line) or line[end + 2].isspace())
            if not arrow:
                return True
    return False


# ----------------------------------------------------------------- macro expansion


def _opaque_spans(text: str) -> list[Span]:
    """The strings and remarks of a text without comments (a value, an argument)."""
    spans: list[Span] = []
    n = len(text)
    pos = 0
    while True:
        match = _PROTECT_RE.search(text, pos)
        if match is None:
            return spans
        start = match.start()
        token = match.group()
        if token == '"':
            string = _STRING_RE.match(text, start)
            assert string is not None
            end = string.end() if string.group(1) is not None else n
        elif token == "%":
            end = n
        else:
            close = text.find(_OPENER_CLOSE[token], start + 2)
            end = n if close < 0 else close + 2
        spans.append((start, end))
        pos = end


def _gaps(opaque: list[Span], n: int) -> Iterator[Span]:
    """The code between the opaque spans of a text of length ``n``."""
    pos = 0
    for start, end in opaque:
        if start > pos:
            yield pos, start
        pos = end
    if n > pos:
        yield pos, n


def _inner(opaque: list[Span], starts: list[int], start: int, end: int) -> list[Span]:
    """The spans inside ``[start, end)``, relative to ``start`` (none straddles its ends)."""
    spans: list[Span] = []
    for index in range(bisect_left(starts, start), len(opaque)):
        s, e = opaque[index]
        if e > end:
            break
        spans.append((s - start, e - start))
    return spans


def _substituted_text(text: str, index: dict[str, int]) -> list[tuple[int, str | int]]:
    """A string or remark of a function-like macro's value, cut at its parameters' uses.

    EventStudio (unlike C) replaces parameters inside strings and remarks too: its
    project template defines ``sequence "_m Handshake" { "_m Request" : "_s" -> "_d" }``
    and calls it as ``M(Ping, Lima, Cusco)``. A parameter is replaced there where it stands
    as a whole word; the argument goes in as written.
    """
    parts: list[tuple[int, str | int]] = []
    last = 0
    for match in _WORD_RE.finditer(text):
        found = index.get(match.group())
        at = match.start()
        if found is None or (at and text[at - 1] in _WORD_CHARS):
            continue
        if at > last:
            parts.append((1, text[last:at]))
        parts.append((2, found))
        last = match.end()
    if last < len(text):
        parts.append((1, text[last:]))
    return parts


@dataclass(frozen=True, slots=True)
class _Function:
    """A function-like macro: its parameters and its value cut at each parameter's use.

    ``template`` holds ``(0, code)``, ``(1, string or remark)`` and ``(2, parameter index)``
    parts, in order.
    """

    params: tuple[str, ...]
    template: tuple[tuple[int, str | int], ...]

    @classmethod
    def build(cls, params: tuple[str, ...], body: str) -> _Function:
        index = {param: i for i, param in enumerate(params)}
        parts: list[tuple[int, str | int]] = []
        pos = 0
        n = len(body)
        for start, end in [*_opaque_spans(body), (n, n)]:
            last = pos
            for match in _WORD_RE.finditer(body, pos, start):
                found = index.get(match.group())
                at = match.start()
                if found is None or (at and body[at - 1] in _WORD_CHARS):
                    continue
                if _in_word(body, at, match.end()):
                    continue
                if match.start() > last:
                    parts.append((0, body[last : match.start()]))
                parts.append((2, found))
                last = match.end()
            if start > last:
                parts.append((0, body[last:start]))
            if end > start:
                parts.extend(_substituted_text(body[start:end], index))
            pos = end
        return cls(params, tuple(parts))

    def substitute(self, args: list[str]) -> tuple[str, list[Span]]:
        """The value with ``args`` in place; the arguments, strings and remarks are opaque."""
        out: list[str] = []
        opaque: list[Span] = []
        length = 0
        for kind, value in self.template:
            piece = args[value] if kind == 2 else value  # type: ignore[index]
            assert isinstance(piece, str)
            if kind and piece:
                opaque.append((length, length + len(piece)))
            out.append(piece)
            length += len(piece)
        return "".join(out), opaque


class _ExpandError(Exception):
    """A macro call that cannot be expanded (caught per use, reported as FDL208)."""

    def __init__(self, message: str, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.end = end  # where the failing call ends in the line, when it is on the line


def _split_args(
    text: str, start: int, opaque: list[Span], starts: list[int]
) -> tuple[list[Span], int] | None:
    """The argument spans of a call whose ``(`` is just before ``start``, and its end.

    Commas split arguments only outside nested parentheses, strings and remarks. ``None``
    when the call does not close in ``text``.
    """
    depth = 0
    arg_start = start
    args: list[Span] = []
    pos = start
    while True:
        match = _ARG_PUNCT_RE.search(text, pos)
        if match is None:
            return None
        at = match.start()
        index = bisect_right(starts, at) - 1
        if index >= 0 and opaque[index][1] > at:
            pos = opaque[index][1]  # inside a string or remark: skip it
            continue
        char = text[at]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                args.append((arg_start, at))
                return args, at + 1
            depth -= 1
        elif depth == 0:
            args.append((arg_start, at))
            arg_start = at + 1
        pos = at + 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# ----------------------------------------------------------------- #if expressions


class _ExprError(Exception):
    """A malformed ``#if`` expression, at ``[start, end)`` of its directive (None: the whole)."""

    def __init__(
        self, message: str, start: int | None = None, end: int | None = None, deep: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.deep = deep  # the nesting limit: reported as is, at the outermost name


_NUMBER, _NAME, _OP, _BAD_NUMBER = 1, 2, 3, 4
_EXPR_NESTING = 40  # parentheses, ! and macro values inside one another
_OPERAND = "a number, a name, defined, '!' or '('"


class _Expr:
    """A recursive-descent evaluator of ``#if`` expressions; never ``eval``.

    ``||`` < ``&&`` < ``==``/``!=`` < ``<``/``>``/``<=``/``>=`` < ``!``, as in C. A name
    that is not defined is 0; a defined one is its value read as an expression (an empty
    value is 1, as ``-D NAME`` is in C).
    """

    def __init__(
        self,
        text: str,
        offset: int,
        macros: Mapping[str, str | _Function],
        seen: frozenset[str] = frozenset(),
        depth: int = 0,
    ) -> None:
        self.macros = macros
        self.seen = seen
        self.depth = depth
        self.end = offset + len(text.rstrip())
        self.tokens = self._tokens(text, offset)
        self.pos = 0

    @staticmethod
    def _tokens(text: str, offset: int) -> list[tuple[int, str, int, int]]:
        tokens: list[tuple[int, str, int, int]] = []
        pos = 0
        n = len(text)
        while True:
            while pos < n and text[pos].isspace():
                pos += 1
            if pos >= n:
                return tokens
            match = _EXPR_TOKEN_RE.match(text, pos)
            if match is None:
                bad = re.match(r"[0-9][A-Za-z0-9_]*", text[pos:])
                if bad is not None:
                    word = bad.group()
                    raise _ExprError(
                        f"'{word}' is not a number", offset + pos, offset + pos + len(word)
                    )
                raise _ExprError(
                    f"'{text[pos]}' is not allowed (an expression has names, numbers, "
                    "defined, !, &&, ||, ==, !=, <, >, <=, >= and parentheses)",
                    offset + pos,
                    offset + pos + 1,
                )
            kind = match.lastindex or _OP
            tokens.append((kind, match.group(kind), offset + match.start(), offset + match.end()))
            pos = match.end()

    # ------------------------------------------------------------- helpers

    def _peek(self) -> str | None:
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token[0] == _OP:
                return token[1]
        return None

    def _fail(self, expected: str) -> _ExprError:
        if self.pos < len(self.tokens):
            _, text, start, end = self.tokens[self.pos]
            return _ExprError(f"expected {expected}, found '{text}'", start, end)
        return _ExprError(f"expected {expected}, found the end of the line", self.end, self.end + 1)

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > _EXPR_NESTING:
            _, _, start, end = self.tokens[min(self.pos, len(self.tokens) - 1)]
            raise _ExprError("the expression is nested too deeply", start, end, deep=True)

    # ------------------------------------------------------------- grammar

    def value(self) -> int:
        if not self.tokens:
            raise _ExprError("needs an expression")
        result = self._or()
        if self.pos < len(self.tokens):
            raise self._fail("an operator (&&, ||, ==, !=, <, >, <=, >=) or the end of the line")
        return result

    def _or(self) -> int:
        result = self._and()
        while self._peek() == "||":
            self.pos += 1
            right = self._and()
            result = 1 if result or right else 0
        return result

    def _and(self) -> int:
        result = self._equality()
        while self._peek() == "&&":
            self.pos += 1
            right = self._equality()
            result = 1 if result and right else 0
        return result

    def _equality(self) -> int:
        result = self._relation()
        while (op := self._peek()) in ("==", "!="):
            self.pos += 1
            right = self._relation()
            result = int((result == right) == (op == "=="))
        return result

    def _relation(self) -> int:
        result = self._unary()
        while (op := self._peek()) in ("<", ">", "<=", ">="):
            self.pos += 1
            right = self._unary()
            if op == "<":
                result = int(result < right)
            elif op == ">":
                result = int(result > right)
            elif op == "<=":
                result = int(result <= right)
            else:
                result = int(result >= right)
        return result

    def _unary(self) -> int:
        if self._peek() == "!":
            self.pos += 1
            self._nest()
            result = 0 if self._unary() else 1
            self.depth -= 1
            return result
        return self._primary()

    def _primary(self) -> int:
        if self.pos >= len(self.tokens):
            raise self._fail(_OPERAND)
        kind, text, start, end = self.tokens[self.pos]
        if kind == _NUMBER:
            self.pos += 1
            return _number(text, start, end)
        if kind == _NAME:
            self.pos += 1
            if text == "defined":
                return self._defined()
            return self._macro_value(text, start, end)
        if text == "(":
            self.pos += 1
            self._nest()
            result = self._or()
            if self._peek() != ")":
                raise self._fail("')'")
            self.pos += 1
            self.depth -= 1
            return result
        raise self._fail(_OPERAND)

    def _defined(self) -> int:
        paren = self._peek() == "("
        if paren:
            self.pos += 1
        if self.pos >= len(self.tokens) or self.tokens[self.pos][0] != _NAME:
            raise self._fail("a macro name after defined")
        name = self.tokens[self.pos][1]
        self.pos += 1
        if paren:
            if self._peek() != ")":
                raise self._fail("')' after defined(" + name)
            self.pos += 1
        return 1 if name in self.macros else 0

    def _macro_value(self, name: str, start: int, end: int) -> int:
        macro = self.macros.get(name)
        if macro is None or name in self.seen:
            return 0
        if isinstance(macro, _Function):
            raise _ExprError(
                f"{name} is a function-like macro; #if can only test it with defined({name})",
                start,
                end,
            )
        value = macro.strip()
        if not value:
            return 1
        if self.depth + 1 > _EXPR_NESTING:
            raise _ExprError(f"{name}'s value nests macros too deeply", start, end, deep=True)
        try:
            return _Expr(value, 0, self.macros, self.seen | {name}, self.depth + 1).value()
        except _ExprError as error:
            if error.deep:
                raise _ExprError(error.message, start, end, deep=True) from None
            raise _ExprError(
                f"{name} is defined as '{value}', which is not a number or an #if expression "
                f"({error.message})",
                start,
                end,
            ) from None


def _number(text: str, start: int, end: int) -> int:
    """A C integer literal: decimal, 0x hexadecimal or 0 octal (any u/l suffix dropped)."""
    if text[:2] in ("0x", "0X"):
        return int(text[2:], 16)
    if len(text) > 1 and text[0] == "0":
        if not set(text) <= set("01234567"):
            raise _ExprError(f"'{text}' is not an octal number (it starts with 0)", start, end)
        return int(text, 8)
    return int(text)


# ----------------------------------------------------------------- the preprocessor


class _Preprocessor:
    """State of one run: output so far, macros, the include stack and the diagnostics."""

    def __init__(
        self,
        root_real: str,
        defines: Mapping[str, str] | None,
        max_size: int,
        search: list[str],
        main_display: str,
    ) -> None:
        self.root = root_real
        self.search = search  # the include search path (absolute folders)
        self.roots = [root_real]  # --root and every folder on the search path
        for folder in search:
            real = os.path.realpath(folder)
            if real not in self.roots:
                self.roots.append(real)
        self.main_display = main_display
        self.max_size = max_size
        self.cwd = os.getcwd()
        self.out: list[str] = []
        self.origins: list[LineOrigin] = []
        self.suppressions: list[Suppression] = []
        self.source_lines: dict[str, list[str]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[tuple[str, str]] = []  # (real path, display path) being read
        # a newline in a -D value would break "one origin per output line"
        self.macros: dict[str, str | _Function] = {
            name: value.replace("\r", " ").replace("\n", " ")
            for name, value in (defines or {}).items()
        }
        self.lineno = 0  # the line being scanned, and where the open block comment began
        self.block_open = (0, 0)
        #: the line being expanded, for FDL208 at a macro's use: (file, line, chain, text)
        self.where: tuple[str, int, IncludeChain, str] = ("", 0, (), "")
        self.budget = _MAX_EXPANSION
        self.listings: dict[str, dict[str, list[str]]] = {}  # folder -> lower name -> names

    # ---------------------------------------------------------------- results

    def result(self, main_display: str) -> PreprocessedSource:
        if not self.out:
            self.out.append("")
            self.origins.append(LineOrigin(main_display, 1, ()))
        return PreprocessedSource(
            text="\n".join(self.out) + "\n",
            origins=tuple(self.origins),
            suppressions=tuple(self.suppressions),
            source_lines=self.source_lines,
        )

    def report(
        self,
        code: str,
        loc: SourceLocation,
        message: str,
        source: str | None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.diagnostics.append(_make(code, loc, message, source, severity))

    def display(self, abs_path: str) -> str:
        """Included files: relative to the working directory when below it, else absolute."""
        cwd = self.cwd
        if abs_path.startswith(cwd.rstrip(os.sep) + os.sep):
            return os.path.relpath(abs_path, cwd)
        return abs_path

    # ---------------------------------------------------------------- one file

    def run(
        self, text: str, display: str, base_dir: str, real: str, chain: IncludeChain = ()
    ) -> None:
        """Append ``text``'s output lines (recursing into includes)."""
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the final newline ends the last line, it does not start one
        self.source_lines.setdefault(display, lines)
        self.stack.append((real, display))
        out = self.out
        origins = self.origins
        macros = self.macros
        names = macros.keys()  # a live view: defines made while reading count
        findall = _WORD_RE.findall
        conds: list[_Cond] = []
        mode = _CODE
        active = True
        count = len(lines)
        index = 0
        while index < count:
            line = lines[index]
            index += 1
            lineno = index
            self.lineno = lineno
            if mode == _CODE and "#" in line and line.lstrip().startswith("#"):
                index, mode = self.directive_lines(
                    lines, index, mode, display, base_dir, chain, conds
                )
                active = conds[-1].active if conds else True
                continue
            if not active:
                # still follow comments, so a "#endif" inside /* */ is not a directive
                if (
                    mode != _CODE
                    or "/" in line
                    or '"' in line
                    or "(*" in line
                    or "%" in line
                    or "|" in line
                ):
                    _, mode, _, _ = self.scan(line, mode, False)
                out.append("")
                origins.append(LineOrigin(display, lineno, chain))
                continue
            if (
                mode == _CODE
                and "/" not in line
                and '"' not in line
                and "(*" not in line
                and "%" not in line
                and "|" not in line
                and (not macros or names.isdisjoint(findall(line)))
            ):
                out.append(line)  # the fast path: most lines
                origins.append(LineOrigin(display, lineno, chain))
                continue
            result, mode, opaque, suppression = self.scan(line, mode, True)
            segments: list[Segment] | None = None
            if macros and not names.isdisjoint(findall(result)):
                self.where = (display, lineno, chain, line)
                self.budget = _MAX_EXPANSION
                result, segments = self.expand(result, opaque, frozenset(), 0)
            out.append(result)
            origins.append(LineOrigin(display, lineno, chain, tuple(segments) if segments else ()))
            if suppression is not None:
                col, codes = suppression
                loc = SourceLocation(display, lineno, col, lineno, len(line) + 1, chain)
                self.suppressions.append(Suppression(codes, loc))
        if mode == _BLOCK:
            line_no, col = self.block_open
            loc = SourceLocation(display, line_no, col, line_no, col + 2, chain)
            self.diagnostics.append(
                Diagnostic(
                    "FDL107",
                    "syntax.unterminated-comment",
                    Severity.ERROR,
                    loc,
                    "unterminated comment: '/*' has no closing '*/'",
                    source_line=lines[line_no - 1],
                )
            )
        for cond in conds:
            self.report(
                FDL207,
                cond.loc,
                f"#{cond.name} has no matching #endif (the file ends first)",
                cond.source,
            )
        self.stack.pop()

    def scan(
        self, line: str, mode: int, suppress: bool, value_start: int = -1
    ) -> tuple[str, int, list[Span], tuple[int, tuple[str, ...]] | None]:
        """Blank the comments of one line and find its strings and remarks.

        Returns the line with comments blanked (same length), the mode the next line starts
        in, the spans of its strings and remarks (where no macro is replaced) and
        ``(column, codes)`` of a suppression comment. In a ``#define`` line
        (``value_start`` >= 0: where its value starts), ``//`` is a comment only at the
        start of the value or after whitespace, so ``https://host/x`` stays whole; so does
        a link ``<https://host/x>`` anywhere.
        """
        parts: list[str] = []
        opaque: list[Span] = []
        found: tuple[int, tuple[str, ...]] | None = None
        pos = 0
        n = len(line)
        while pos < n:
            if mode == _BLOCK:
                close = line.find("*/", pos)
                if close < 0:
                    parts.append(" " * (n - pos))
                    break
                parts.append(" " * (close + 2 - pos))
                pos = close + 2
                mode = _CODE
                continue
            if mode != _CODE:  # a remark that began on an earlier line
                close = line.find(_REMARK_CLOSE[mode], pos)
                end = n if close < 0 else close + 2
                parts.append(line[pos:end])
                opaque.append((pos, end))
                if close < 0:
                    break
                pos = end
                mode = _CODE
                continue
            match = _SPECIAL_RE.search(line, pos)
            if match is None:
                parts.append(line[pos:])
                break
            stop = match.start()
            if stop > pos:
                parts.append(line[pos:stop])
            token = match.group()
            if token == '"':
                string = _STRING_RE.match(line, stop)
                assert string is not None
                end = string.end() if string.group(1) is not None else n
                parts.append(line[stop:end])
                opaque.append((stop, end))
                pos = end
            elif token == "//":
                if (
                    value_start >= 0 and stop > value_start and not line[stop - 1].isspace()
                ) or _in_link(line, pos, stop):
                    parts.append("//")  # part of a URL: in a #define's value, or a <link>
                    pos = stop + 2
                    continue
                if suppress:
                    marker = _SUPPRESS_RE.match(line, stop)
                    if marker is not None:
                        codes = tuple(_CODE_SPLIT_RE.split(marker.group(1)))
                        found = (stop + 1, codes)
                parts.append(" " * (n - stop))
                break
            elif token == "/*":
                parts.append("  ")
                pos = stop + 2
                mode = _BLOCK
                self.block_open = (self.lineno, stop + 1)
            elif token == "%":  # a remark to the end of the line
                parts.append(line[stop:])
                opaque.append((stop, n))
                break
            else:  # (* |* |= : a remark, perhaps over several lines
                close = line.find(_OPENER_CLOSE[token], stop + 2)
                end = n if close < 0 else close + 2
                parts.append(line[stop:end])
                opaque.append((stop, end))
                if close < 0:
                    mode = _REMARK_MODES[token]
                    break
                pos = end
        return "".join(parts), mode, opaque, found

    # ---------------------------------------------------------------- macros

    def expand(
        self, text: str, opaque: list[Span], disabled: frozenset[str], depth: int
    ) -> tuple[str, list[Segment] | None]:
        """Replace the macros in the code of ``text`` (outside the ``opaque`` spans).

        At depth 0 ``text`` is a source line (comments blanked): the returned segments put
        each replacement at its macro's column and shift the columns after it back. Deeper,
        ``text`` is an argument or a function-like macro's value after substitution, and
        ``disabled`` the macros being expanded around it (none expands inside itself).
        """
        macros = self.macros
        parts: list[str] = []
        segments: list[Segment] | None = None
        shift = 0
        last = 0
        resume = 0  # after a call, the identifiers inside its arguments are done
        starts: list[int] | None = None
        for gap_start, gap_end in _gaps(opaque, len(text)):
            if gap_end <= resume:
                continue
            for match in _WORD_RE.finditer(text, max(gap_start, resume), gap_end):
                s = match.start()
                if s < resume:
                    continue
                name = match.group()
                macro = macros.get(name)
                if macro is None or name in disabled or (s and text[s - 1] in _WORD_CHARS):
                    continue
                e = match.end()
                if _in_word(text, s, e):
                    continue
                if isinstance(macro, str):
                    if macro == name:
                        continue
                    replacement, end = macro, e
                else:
                    if starts is None:
                        starts = [span[0] for span in opaque]
                    try:
                        call = self.call(name, macro, text, e, opaque, starts, disabled, depth)
                    except _ExpandError as error:
                        if depth:
                            raise
                        self.expand_problem(error, name, s, e)
                        resume = error.end if error.end is not None else e
                        continue
                    if call is None:
                        continue  # a function-like macro's name without '(' stays
                    replacement, end = call
                if depth == 0:
                    if segments is None:
                        segments = [(1, 1, False)] if s > 0 else []
                    if replacement:
                        _push(segments, (s + 1 + shift, s + 1, True))
                    shift += len(replacement) - (end - s)
                    _push(segments, (end + 1 + shift, end + 1, False))
                parts.append(text[last:s])
                parts.append(replacement)
                last = resume = end
        if not parts:
            return text, None
        parts.append(text[last:])
        return "".join(parts), segments

    def call(
        self,
        name: str,
        macro: _Function,
        text: str,
        name_end: int,
        opaque: list[Span],
        starts: list[int],
        disabled: frozenset[str],
        depth: int,
    ) -> tuple[str, int] | None:
        """Expand the call of ``macro`` whose name ends at ``name_end``; None: no ``(``.

        The arguments are expanded first (so ``M(M(x))`` works), put in place of the
        parameters, and the result is rescanned with ``name`` disabled.
        """
        pos = name_end
        n = len(text)
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos >= n or text[pos] != "(":
            return None
        index = bisect_right(starts, pos) - 1
        if index >= 0 and opaque[index][1] > pos:
            return None  # '(*' starts a remark, not the arguments
        split = _split_args(text, pos + 1, opaque, starts)
        if split is None:
            if depth:
                raise _ExpandError(f"the call of {name}( has no closing ')'")
            raise _ExpandError(
                f"the arguments of {name}( do not close on this line (a macro call must "
                "end on the line where it starts)",
                n,
            )
        spans, end = split
        try:
            return self.substitute(name, macro, text, spans, opaque, starts, disabled, depth), end
        except _ExpandError as error:
            if depth == 0 and error.end is None:
                error.end = end  # a failed call on the line is skipped as a whole
            raise

    def substitute(
        self,
        name: str,
        macro: _Function,
        text: str,
        spans: list[Span],
        opaque: list[Span],
        starts: list[int],
        disabled: frozenset[str],
        depth: int,
    ) -> str:
        """The expansion of a call of ``macro`` with the arguments ``text[a:b]`` of ``spans``."""
        params = macro.params
        if not params and len(spans) == 1 and not text[spans[0][0] : spans[0][1]].strip():
            spans = []
        if len(spans) != len(params):
            wanted = f"({', '.join(params)})" if params else "()"
            raise _ExpandError(
                f"macro {name}{wanted} takes {_plural(len(params), 'argument')}, given {len(spans)}"
            )
        if depth >= _MAX_NESTING:
            raise _ExpandError(f"macro calls are nested too deeply (more than {_MAX_NESTING})")
        args = [
            self.expand(text[a:b], _inner(opaque, starts, a, b), disabled, depth + 1)[0].strip()
            for a, b in spans
        ]
        body, body_opaque = macro.substitute(args)
        self.budget -= len(body) + _CALL_COST
        if self.budget < 0:
            raise _ExpandError(
                f"the macros on this line expand too much (more than {_MAX_EXPANSION:,} "
                "characters of calls)"
            )
        return self.expand(body, body_opaque, disabled | {name}, depth + 1)[0]

    def expand_problem(self, error: _ExpandError, name: str, start: int, name_end: int) -> None:
        display, lineno, chain, source = self.where
        end = error.end if error.end is not None else name_end
        loc = SourceLocation(display, lineno, start + 1, lineno, max(end, name_end) + 1, chain)
        message = error.message
        if not message.startswith(("macro " + name, "the arguments of " + name)):
            message = f"in the expansion of {name}: {message}"
        self.report(FDL208, loc, message, source)

    # ---------------------------------------------------------------- directives

    def directive_lines(
        self,
        lines: list[str],
        index: int,
        mode: int,
        display: str,
        base_dir: str,
        chain: IncludeChain,
        conds: list[_Cond],
    ) -> tuple[int, int]:
        """Read the directive on line ``index`` (1-based) and its ``\\`` continuations.

        Every line it takes reads as an empty line (the first one is replaced by the file
        when it is an ``#include``). Returns the index of the next line and the mode.
        """
        line = lines[index - 1]
        value_start = -1
        if "define" in line:
            head = _DEFINE_HEAD_RE.match(line)
            if head is not None:
                value_start = head.end()
        text, mode, _, _ = self.scan(line, mode, False, value_start)
        starts = [0]
        bases = [0]
        taken = [(index, line)]
        while (stripped := text.rstrip()).endswith("\\"):
            text = stripped[:-1]
            if index >= len(lines):
                break
            index += 1
            self.lineno = index
            following = lines[index - 1]
            piece, mode, _, _ = self.scan(following, mode, False, 0 if value_start >= 0 else -1)
            # the backslash and line end go; whitespace around them becomes one space
            body = piece.lstrip()
            if text[-1:].isspace() or (body != piece and text):
                text = text.rstrip() + " "
            starts.append(len(text))
            bases.append(len(text) - (len(piece) - len(body)))
            taken.append((index, following))
            text += body
        directive = _Directive(text, starts, bases, taken, display, chain)
        if not self.directive(directive, base_dir, conds):
            self.out.append("")
            self.origins.append(LineOrigin(display, taken[0][0], chain))
        for lineno, _ in taken[1:]:
            self.out.append("")
            self.origins.append(LineOrigin(display, lineno, chain))
        return index, mode

    def directive(self, directive: _Directive, base_dir: str, conds: list[_Cond]) -> bool:
        """Handle one directive; True when an include was spliced in its place."""
        text = directive.text
        lineno, line = directive.lines[0]
        chain = directive.chain
        match = _DIRECTIVE_RE.match(text)
        assert match is not None
        word = match.group(1) or ""
        rest = match.group(2)
        hash_col = text.index("#") + 1
        loc = SourceLocation(
            directive.display, lineno, hash_col, lineno, len(line.rstrip()) + 1, chain
        )
        active = conds[-1].active if conds else True

        if word in ("ifdef", "ifndef"):
            arg = _COND_ARG_RE.match(rest)
            if arg is None:
                if active:
                    self.report(
                        FDL208, loc, f"#{word} needs one macro name, as in #{word} NAME", line
                    )
                conds.append(_Cond(active, False, loc, word, line))
            else:
                name = arg.group(1)
                taking = (name in self.macros) == (word == "ifdef")
                conds.append(_Cond(active, taking, loc, f"{word} {name}", line))
            return False
        if word == "if":
            taking = bool(active and self.evaluate(directive, rest, match.start(2), word, loc))
            summary = " ".join(rest.split())
            if len(summary) > 40:
                summary = summary[:37] + "..."
            conds.append(_Cond(active, taking, loc, f"if {summary}".rstrip(), line))
            return False
        if word in ("elif", "else", "endif"):
            if not conds:
                self.report(FDL207, loc, f"#{word} without a matching #if, #ifdef or #ifndef", line)
                return False
            cond = conds[-1]
            if word == "elif":
                if cond.seen_else:
                    self.report(
                        FDL207,
                        loc,
                        f"#elif after the #else of the #{cond.name} at line {cond.line}",
                        line,
                    )
                    cond.taking = False
                elif cond.parent_active and not cond.any_taken:
                    cond.taking = bool(self.evaluate(directive, rest, match.start(2), word, loc))
                    cond.any_taken = cond.taking
                else:
                    cond.taking = False
                return False
            if rest.strip() and cond.parent_active:
                self.report(FDL208, loc, f"unexpected text after #{word}", line)
            if word == "endif":
                conds.pop()
            elif cond.seen_else:
                self.report(
                    FDL207,
                    loc,
                    f"a second #else for the #{cond.name} at line {cond.line}",
                    line,
                )
            else:
                cond.seen_else = True
                cond.taking = not cond.any_taken
                cond.any_taken = True
            return False
        if not active:
            return False  # other directives in a skipped branch are skipped, like C
        if word == "define":
            self.define(rest, loc, line)
            return False
        if word == "include":
            return self.include(directive, rest, match.start(2), loc, base_dir)
        if not word:
            message = f"'#' must start a directive: {_DIRECTIVES}"
        else:
            message = f"unknown directive '#{word}' (expected {_DIRECTIVES})"
        self.report(FDL208, loc, message, line)
        return False

    def evaluate(
        self, directive: _Directive, rest: str, offset: int, word: str, loc: SourceLocation
    ) -> int | None:
        """The value of an ``#if``/``#elif`` expression, or None (reported) when malformed."""
        try:
            return _Expr(rest, offset, self.macros).value()
        except _ExprError as error:
            if error.start is None:
                where, source = loc, directive.lines[0][1]
            else:
                end = error.end if error.end is not None else error.start + 1
                where, source = directive.locate(error.start, end)
            if error.start is None:
                message = f"#{word} {error.message}, as in #{word} defined(NAME) && VERSION >= 2"
            else:
                message = f"malformed #{word} expression: {error.message}"
            self.report(FDL208, where, message, source)
            return None

    def define(self, rest: str, loc: SourceLocation, line: str) -> None:
        """``#define NAME value`` or ``#define NAME(a, b) value`` (comments blanked)."""
        arg = _DEFINE_ARG_RE.match(rest)
        if arg is None:
            word = rest.split()[0] if rest.strip() else ""
            if word:
                message = f"'{word}' is not a valid macro name (use letters, digits and _)"
            else:
                message = "#define needs a name, as in #define NAME value"
            self.report(FDL208, loc, message, line)
            return
        name, tail = arg.group(1), arg.group(2)
        if tail.startswith("("):
            params_body = _PARAMS_RE.match(tail)
            if params_body is None:
                self.report(
                    FDL208,
                    loc,
                    f"#define {name}(...) needs parameter names and a closing ')', "
                    f"as in #define {name}(a, b) value",
                    line,
                )
                return
            inside, body = params_body.groups()
            params = tuple(p.strip() for p in inside.split(",")) if inside.strip() else ()
            for param in params:
                if not _IDENT_RE.match(param):
                    what = (
                        f"'{param}' is not a valid parameter name"
                        if param
                        else "a parameter is missing"
                    )
                    self.report(
                        FDL208,
                        loc,
                        f"{what} in #define {name}(...) (parameters are names of letters, "
                        "digits and _, separated by commas)",
                        line,
                    )
                    return
            for i, param in enumerate(params):
                if param in params[:i]:
                    self.report(
                        FDL208, loc, f"parameter '{param}' appears twice in #define {name}", line
                    )
                    return
            self.macros[name] = _Function.build(params, body.strip())
            return
        if tail and not tail[0].isspace():
            bad = name + tail.split()[0]
            message = f"'{bad}' is not a valid macro name (use letters, digits and _)"
            self.report(FDL208, loc, message, line)
            return
        self.macros[name] = tail.strip()

    # ---------------------------------------------------------------- includes

    def include(
        self,
        directive: _Directive,
        rest: str,
        rest_start: int,
        loc: SourceLocation,
        base_dir: str,
    ) -> bool:
        """``#include "path"`` or ``<path>``: splice the file in, or report why not."""
        chain = directive.chain
        line = directive.lines[0][1]
        arg = _INCLUDE_ARG_RE.match(rest)
        if arg is None or not (arg.group(1) or arg.group(2) or "").strip():
            self.report(
                FDL208,
                loc,
                "#include needs a file path in double quotes or angle brackets, as in "
                '#include "common.fdl" or #include <common.fdl>',
                line,
            )
            return False
        quoted = arg.group(1) is not None
        group = 1 if quoted else 2
        if quoted:
            path = _UNESCAPE_RE.sub(r"\1", arg.group(1))
            shown = f'"{path}"'
            folders = [base_dir, *(f for f in self.search if f != base_dir)]
        else:
            path = arg.group(2).strip()
            shown = f"<{path}>"
            folders = list(self.search)
        # point at the path and its delimiters (the opening one is just before the group)
        where, line = directive.locate(
            rest_start + arg.start(group) - 1, rest_start + arg.end(group) + 1
        )

        target = real = ""
        outside: str | None = None
        found = False
        for folder in folders:
            target = os.path.normpath(os.path.join(folder, path))
            real = os.path.realpath(target)
            if not self.inside(real):
                outside = outside or real
                continue
            if os.path.exists(target):
                found = True
                break
            spelled = self.case_match(target)
            if spelled is not None and self.inside(os.path.realpath(spelled)):
                self.report(
                    FDL209,
                    where,
                    f"no file is named {shown} exactly; using {self.display(spelled)} "
                    "(file names are case-sensitive here: fix the #include or rename the file)",
                    line,
                    Severity.WARNING,
                )
                target, real, found = spelled, os.path.realpath(spelled), True
                break
        if not found:
            self.not_found(shown, path, folders, outside, where, line)
            return False
        for index, (open_real, _) in enumerate(self.stack):
            if open_real == real:
                names = [display for _, display in self.stack[index:]] + [self.display(target)]
                self.report(FDL205, where, "include cycle: " + " includes ".join(names), line)
                return False
        display = self.display(target)
        inner_chain = (loc, *chain)
        text, problem = _load(target, display, self.max_size, where, line, inner_chain)
        if problem is not None:
            self.diagnostics.append(problem)
            return False
        assert text is not None
        self.run(text, display, os.path.dirname(target), real, inner_chain)
        return True

    def not_found(
        self,
        shown: str,
        path: str,
        folders: list[str],
        outside: str | None,
        where: SourceLocation,
        line: str,
    ) -> None:
        # callflow's own stand-ins are not a folder the user chose: not named here
        folders = [folder for folder in folders if folder != EVENTSTUDIO_INCLUDE]
        if outside is not None:
            chosen = [r for r in self.roots[1:] if r != os.path.realpath(EVENTSTUDIO_INCLUDE)]
            if not chosen:
                allowed = f"the project root {self.root} (use --root to allow it)"
            else:
                others = ", ".join(chosen)
                allowed = (
                    f"the project root {self.root} and the include folders {others} "
                    "(use --root or -I to allow it)"
                )
            self.report(
                FDL206, where, f"cannot include {shown}: {outside} is outside {allowed}", line
            )
        elif not folders:
            self.report(
                FDL204,
                where,
                f"cannot include {shown}: there is no include folder to look in (add one "
                f"with -I DIR, or an {DEFAULT_INCLUDE_FOLDER}/ folder beside "
                f'{self.main_display}; "{path}" in double quotes is also looked for beside '
                "the including file)",
                line,
            )
        else:
            self.report(
                FDL204,
                where,
                f"cannot include {shown}: no such file (looked in {', '.join(folders)})",
                line,
            )

    def inside(self, real: str) -> bool:
        """Is the real path below ``--root`` or a folder of the search path?"""
        for root in self.roots:
            try:
                if os.path.commonpath([root, real]) == root:
                    return True
            except ValueError:  # different drives
                continue
        return False

    def case_match(self, target: str) -> str | None:
        """The existing file whose path equals ``target`` but for letter case, if any.

        Each missing part of the path is looked up case-insensitively in its folder (the
        first in sorted order when several match), so ``Include/Inc.FDL`` finds
        ``include/inc.fdl``: projects written on Windows spell names loosely.
        """
        drive, tail = os.path.splitdrive(target)
        current = drive + os.sep
        for part in tail.split(os.sep):
            if not part:
                continue
            candidate = os.path.join(current, part)
            if os.path.lexists(candidate):
                current = candidate
                continue
            names = self.listing(current).get(part.lower())
            if not names:
                return None
            current = os.path.join(current, names[0])
        return current if os.path.exists(current) else None

    def listing(self, folder: str) -> dict[str, list[str]]:
        cached = self.listings.get(folder)
        if cached is None:
            cached = {}
            try:
                entries = sorted(os.listdir(folder))
            except OSError:
                entries = []
            for entry in entries:
                cached.setdefault(entry.lower(), []).append(entry)
            self.listings[folder] = cached
        return cached
