"""The text the preprocessor reads and the map from its output back to it.

Reading a source file is its own concern: the size is checked before anything is loaded,
the bytes must be UTF-8 text (a NUL, UTF-16 or an undecodable byte is reported at its own
line and column), and a BOM and CR line ends are normalised away so that lines and columns
mean the same on every platform. The other half is the way back: :class:`LineOrigin` and
:class:`PreprocessedSource` carry, for every output line and column, the ``file:line:col``
the user wrote, through any ``#include`` and macro replacement; the parser, the IR builder
and the semantic checks only ever see these types. The FDL2xx codes (and the helper that
makes their diagnostics) live here because reading, includes and directives all report
them. See :mod:`callflow.fdl.preprocess` for the pass that produces the text.
"""

from __future__ import annotations

import os
import re
import stat
from bisect import bisect_right
from dataclasses import dataclass

from callflow.diagnostics import Diagnostic, Severity
from callflow.ir import SourceLocation, Suppression

__all__ = [
    "DEFAULT_MAX_INPUT_SIZE",
    "FDL201",
    "FDL202",
    "FDL203",
    "FDL204",
    "FDL205",
    "FDL206",
    "FDL207",
    "FDL208",
    "FDL209",
    "IncludeChain",
    "LineOrigin",
    "PathArg",
    "PreprocessedSource",
    "Segment",
    "load_source",
    "make_diagnostic",
    "normalise",
    "text_position",
    "too_large",
]

DEFAULT_MAX_INPUT_SIZE = 16 * 1024 * 1024

Segment = tuple[int, int, bool]
IncludeChain = tuple[SourceLocation, ...]
PathArg = str | os.PathLike[str]

# --------------------------------------------------------------------------- codes

# FDL201-203 reading, FDL204-206 and FDL209 includes, FDL207-208 directives and macros
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

_NEWLINES_RE = re.compile(r"\r\n?")

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


# --------------------------------------------------------------------------- reading


def make_diagnostic(
    code: str,
    loc: SourceLocation,
    message: str,
    source_line: str | None,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    """A diagnostic with one of the FDL2xx codes above (and its name)."""
    return Diagnostic(code, _NAMES[code], severity, loc, message, source_line=source_line)


def normalise(text: str) -> str:
    """Strip a BOM and turn CRLF / lone CR into LF, so lines and columns are the same everywhere."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = _NEWLINES_RE.sub("\n", text)
    return text


def text_position(text: str, index: int) -> tuple[int, int, str]:
    """1-based (line, column) of ``index`` in normalised ``text``, and that line's text."""
    line_start = text.rfind("\n", 0, index) + 1
    line_end = text.find("\n", index)
    if line_end < 0:
        line_end = len(text)
    return text.count("\n", 0, index) + 1, index - line_start + 1, text[line_start:line_end]


def too_large(
    display: str, size: int, limit: int, where: SourceLocation, where_line: str | None
) -> Diagnostic:
    """FDL203: ``display`` has ``size`` bytes, over ``limit`` (reported at ``where``)."""
    message = f"{display} is too large to read ({size:,} bytes; the limit is {limit:,} bytes)"
    return make_diagnostic(FDL203, where, message, where_line)


def load_source(
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
        return None, make_diagnostic(FDL201, where, f"cannot read {display}: {reason}", where_line)

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
        return None, too_large(display, info.st_size, max_size, where, where_line)
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
        return None, too_large(display, len(data), max_size, where, where_line)

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        loc = SourceLocation(display, 1, 1, 1, 1, chain)
        message = f"{display} is not UTF-8 text: it looks like UTF-16; save it as UTF-8"
        return None, make_diagnostic(FDL202, loc, message, None)
    nul = data.find(b"\0")
    if nul >= 0:
        line, col, src = _byte_position(data, nul)
        loc = SourceLocation(display, line, col, line, col + 1, chain)
        message = (
            f"{display} is not a text file: it contains a NUL byte at line {line}, column {col}"
        )
        return None, make_diagnostic(FDL202, loc, message, src)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col, src = _byte_position(data, exc.start)
        loc = SourceLocation(display, line, col, line, col + 1, chain)
        message = (
            f"{display} is not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {col} cannot be decoded (save the file as UTF-8)"
        )
        return None, make_diagnostic(FDL202, loc, message, src)
    return normalise(text), None


def _byte_position(data: bytes, index: int) -> tuple[int, int, str]:
    """(line, column, line text) of the byte at ``index``, counting columns in characters."""
    prefix = normalise(data[:index].decode("utf-8", "replace"))
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    start = data.rfind(b"\n", 0, index) + 1
    end = data.find(b"\n", index)
    raw = data[start : end if end >= 0 else len(data)]
    src = raw.decode("utf-8", "replace").replace("\0", "\ufffd").rstrip("\r")
    if line == 1 and src.startswith("\ufeff"):
        src = src[1:]
    return line, col, src
