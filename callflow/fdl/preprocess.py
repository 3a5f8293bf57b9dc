"""The FDL preprocessor: comments, ``#include``, ``#define`` and ``#ifdef`` before lexing.

It turns the files the user wrote into one text for the Lark lexer, plus a map from every
output line and column back to the original ``file:line:col``, so that every later error
still points at what the user wrote. Comments are blanked with spaces (not removed) so that
columns stay exact and a statement still ends at its line end. Nothing here prints, exits or
raises at the caller: problems come back as :class:`~callflow.diagnostics.Diagnostic`.
"""

from __future__ import annotations

import os
import re
import stat
from bisect import bisect_right
from collections.abc import Mapping
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

Segment = tuple[int, int, bool]
IncludeChain = tuple[SourceLocation, ...]

# --------------------------------------------------------------------------- codes

FDL201 = "FDL201"
FDL202 = "FDL202"
FDL203 = "FDL203"
FDL204 = "FDL204"
FDL205 = "FDL205"
FDL206 = "FDL206"
FDL207 = "FDL207"
FDL208 = "FDL208"

_NAMES: dict[str, str] = {
    FDL201: "input.unreadable",
    FDL202: "input.not-text",
    FDL203: "input.too-large",
    FDL204: "include.not-found",
    FDL205: "include.cycle",
    FDL206: "include.outside-root",
    FDL207: "directive.unbalanced",
    FDL208: "directive.malformed",
}

# --------------------------------------------------------------------------- regexes

#: the next spot in code where a string, comment or remark starts
_SPECIAL_RE = re.compile(r'//|/\*|\(\*|"')
#: a string on one line; group 1 is None when it is unterminated (it then ends at line end)
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*(")?')
_SUPPRESS_RE = re.compile(
    r"//\s*callflow\s*:\s*ignore\s*\[\s*"
    r"([A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)\s*,?\s*\]"
)
_CODE_SPLIT_RE = re.compile(r"\s*,\s*")
_DIRECTIVE_RE = re.compile(r"\s*#\s*([A-Za-z_][A-Za-z0-9_]*)?(.*)\Z", re.DOTALL)
_INCLUDE_ARG_RE = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*\Z')
_UNESCAPE_RE = re.compile(r"\\(.)")
_DEFINE_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)(.*)\Z", re.DOTALL)
_COND_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)\s*\Z")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NEWLINES_RE = re.compile(r"\r\n?")

# scanner modes: where a line starts (block comments and remarks may span lines)
_CODE = 0
_BLOCK = 1
_REMARK = 2

_DIRECTIVES = "#include, #define, #ifdef, #ifndef, #else or #endif"


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
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
) -> tuple[PreprocessedSource | None, list[Diagnostic]]:
    """Preprocess the file at ``path``.

    Returns ``(None, diagnostics)`` when the main file cannot be read as text; otherwise the
    source and any problems found on the way (a missing include is reported and skipped).
    ``root`` (default: the main file's directory) bounds what ``#include`` may reach.
    """
    display = os.fsdecode(os.fspath(path))
    abs_path = os.path.abspath(display)
    where = SourceLocation(display, 1, 1, 1, 1)
    text, problem = _load(abs_path, display, max_input_size, where, None, ())
    if problem is not None:
        return None, [problem]
    assert text is not None
    root_dir = os.fspath(root) if root is not None else os.path.dirname(abs_path)
    pre = _Preprocessor(os.path.realpath(root_dir), defines, max_input_size)
    pre.run(text, display, os.path.dirname(abs_path), os.path.realpath(abs_path))
    return pre.result(display), pre.diagnostics


def preprocess_text(
    text: str,
    filename: str = "<string>",
    *,
    root: str | os.PathLike[str] | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
) -> tuple[PreprocessedSource | None, list[Diagnostic]]:
    """Preprocess ``text`` as if it were the file ``filename`` (stdin, tests, editors).

    ``#include`` paths are relative to ``filename``'s directory, or to ``root`` (else the
    current directory) for a pseudo-name such as ``<string>``; ``root`` defaults to the
    current directory.
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
    pre = _Preprocessor(os.path.realpath(root_dir), defines, max_input_size)
    pre.run(text, filename, base_dir, real)
    return pre.result(filename), pre.diagnostics


# --------------------------------------------------------------------------- reading


def _make(code: str, loc: SourceLocation, message: str, source_line: str | None) -> Diagnostic:
    return Diagnostic(code, _NAMES[code], Severity.ERROR, loc, message, source_line=source_line)


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
    """One open ``#ifdef``/``#ifndef`` (kept per file: conditionals must balance in a file)."""

    __slots__ = ("line", "loc", "name", "parent_active", "seen_else", "source", "taking")

    def __init__(
        self, parent_active: bool, taking: bool, loc: SourceLocation, name: str, source: str
    ) -> None:
        self.parent_active = parent_active
        self.taking = taking
        self.seen_else = False
        self.loc = loc
        self.line = loc.line
        self.name = name
        self.source = source

    @property
    def active(self) -> bool:
        return self.parent_active and self.taking


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


class _Preprocessor:
    """State of one run: output so far, macros, the include stack and the diagnostics."""

    def __init__(self, root_real: str, defines: Mapping[str, str] | None, max_size: int) -> None:
        self.root = root_real
        self.max_size = max_size
        self.cwd = os.getcwd()
        self.out: list[str] = []
        self.origins: list[LineOrigin] = []
        self.suppressions: list[Suppression] = []
        self.source_lines: dict[str, list[str]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[tuple[str, str]] = []  # (real path, display path) being read
        # a newline in a -D value would break "one origin per output line"
        self.macros: dict[str, str] = {
            name: value.replace("\r", " ").replace("\n", " ")
            for name, value in (defines or {}).items()
        }
        self.macro_re: re.Pattern[str] | None = None
        self.lineno = 0  # the line being scanned, and where the open block comment began
        self.block_open = (0, 0)
        self._compile_macros()

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

    def report(self, code: str, loc: SourceLocation, message: str, source: str | None) -> None:
        self.diagnostics.append(_make(code, loc, message, source))

    def _compile_macros(self) -> None:
        """One alternation of the defined names; ``None`` skips the identifier scan entirely."""
        names = sorted((n for n in self.macros if _IDENT_RE.match(n)), key=len, reverse=True)
        if names:
            self.macro_re = re.compile(
                r"(?<![A-Za-z0-9_])(?:" + "|".join(names) + r")(?![A-Za-z0-9_])"
            )
        else:
            self.macro_re = None

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
        conds: list[_Cond] = []
        mode = _CODE
        active = True
        for index, line in enumerate(lines):
            lineno = index + 1
            self.lineno = lineno
            if mode == _CODE and "#" in line and line.lstrip().startswith("#"):
                blanked, mode, _, _ = self.scan(line, mode, None, False)
                spliced = self.directive(blanked, line, lineno, display, base_dir, chain, conds)
                active = conds[-1].active if conds else True
                if not spliced:
                    out.append("")
                    origins.append(LineOrigin(display, lineno, chain))
                continue
            if not active:
                # still follow comments, so a "#endif" inside /* */ is not a directive
                if mode != _CODE or "/" in line or '"' in line or "(*" in line:
                    _, mode, _, _ = self.scan(line, mode, None, False)
                out.append("")
                origins.append(LineOrigin(display, lineno, chain))
                continue
            macro_re = self.macro_re
            if (
                mode == _CODE
                and "/" not in line
                and '"' not in line
                and "(*" not in line
                and (macro_re is None or macro_re.search(line) is None)
            ):
                out.append(line)  # the fast path: most lines
                origins.append(LineOrigin(display, lineno, chain))
                continue
            result, mode, segments, suppression = self.scan(line, mode, macro_re, True)
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
        self, line: str, mode: int, macro_re: re.Pattern[str] | None, suppress: bool
    ) -> tuple[str, int, list[Segment] | None, tuple[int, tuple[str, ...]] | None]:
        """Blank the comments of one line, expand macros in its code, note a suppression.

        Returns the output line, the mode the next line starts in, the column segments (or
        ``None`` when no macro changed the line) and ``(column, codes)`` of a suppression.
        """
        parts: list[str] = []
        segments: list[Segment] | None = None
        shift = 0
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
            if mode == _REMARK:
                close = line.find("*)", pos)
                if close < 0:
                    parts.append(line[pos:])
                    break
                parts.append(line[pos : close + 2])
                pos = close + 2
                mode = _CODE
                continue
            match = _SPECIAL_RE.search(line, pos)
            stop = match.start() if match is not None else n
            if stop > pos:
                if macro_re is None:
                    parts.append(line[pos:stop])
                else:
                    shift, segments = self.expand(line, pos, stop, macro_re, parts, segments, shift)
            if match is None:
                break
            token = match.group()
            if token == '"':
                string = _STRING_RE.match(line, stop)
                assert string is not None
                end = string.end() if string.group(1) is not None else n
                parts.append(line[stop:end])
                pos = end
            elif token == "//":
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
            else:
                parts.append("(*")
                pos = stop + 2
                mode = _REMARK
        return "".join(parts), mode, segments, found

    def expand(
        self,
        line: str,
        start: int,
        end: int,
        macro_re: re.Pattern[str],
        parts: list[str],
        segments: list[Segment] | None,
        shift: int,
    ) -> tuple[int, list[Segment] | None]:
        """Replace macros in the code ``line[start:end]``, appending to ``parts``.

        ``shift`` is output length minus source length so far; the returned segments put
        the replacement at the macro's column and shift the columns after it back.
        """
        macros = self.macros
        last = start
        for match in macro_re.finditer(line, start, end):
            s, e = match.span()
            name = match.group()
            value = macros[name]
            if value == name or _in_word(line, s, e):
                continue
            if segments is None:
                segments = [(1, 1, False)] if s > 0 or shift else []
            parts.append(line[last:s])
            if value:
                _push(segments, (s + 1 + shift, s + 1, True))
            parts.append(value)
            shift += len(value) - (e - s)
            _push(segments, (e + 1 + shift, e + 1, False))
            last = e
        parts.append(line[last:end])
        return shift, segments

    # ---------------------------------------------------------------- directives

    def directive(
        self,
        blanked: str,
        line: str,
        lineno: int,
        display: str,
        base_dir: str,
        chain: IncludeChain,
        conds: list[_Cond],
    ) -> bool:
        """Handle one directive line; True when an include was spliced in its place."""
        match = _DIRECTIVE_RE.match(blanked)
        assert match is not None
        word = match.group(1) or ""
        rest = match.group(2)
        hash_col = blanked.index("#") + 1
        loc = SourceLocation(display, lineno, hash_col, lineno, len(line.rstrip()) + 1, chain)
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
        if word in ("else", "endif"):
            if not conds:
                self.report(FDL207, loc, f"#{word} without a matching #ifdef or #ifndef", line)
                return False
            cond = conds[-1]
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
                cond.taking = not cond.taking
            return False
        if not active:
            return False  # other directives in a skipped branch are skipped, like C
        if word == "define":
            self.define(rest, loc, line)
            return False
        if word == "include":
            return self.include(rest, match.start(2), line, loc, base_dir, chain)
        if not word:
            message = f"'#' must start a directive: {_DIRECTIVES}"
        else:
            message = f"unknown directive '#{word}' (expected {_DIRECTIVES})"
        self.report(FDL208, loc, message, line)
        return False

    def define(self, rest: str, loc: SourceLocation, line: str) -> None:
        """``#define NAME value``: the value is the rest of the line (comments blanked)."""
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
        if tail and not tail[0].isspace():
            if tail[0] == "(":
                message = f"macros take no arguments: #define {name}(...) is not supported"
            else:
                bad = name + tail.split()[0]
                message = f"'{bad}' is not a valid macro name (use letters, digits and _)"
            self.report(FDL208, loc, message, line)
            return
        self.macros[name] = tail.strip()
        self._compile_macros()

    def include(
        self,
        rest: str,
        rest_start: int,
        line: str,
        loc: SourceLocation,
        base_dir: str,
        chain: IncludeChain,
    ) -> bool:
        """``#include "path"``: splice the file in, or report why not and go on without it."""
        arg = _INCLUDE_ARG_RE.match(rest)
        if arg is None or not arg.group(1):
            self.report(
                FDL208,
                loc,
                '#include needs a file path in double quotes, as in #include "common.fdl"',
                line,
            )
            return False
        path = _UNESCAPE_RE.sub(r"\1", arg.group(1))
        # point at the quoted path: its opening quote is 0-based index rest_start+start(1)-1
        col = rest_start + arg.start(1)
        end_col = rest_start + arg.end(1) + 2
        where = SourceLocation(loc.file, loc.line, col, loc.line, end_col, chain)
        target = os.path.normpath(os.path.join(base_dir, path))
        real = os.path.realpath(target)
        try:
            inside = os.path.commonpath([self.root, real]) == self.root
        except ValueError:  # different drives
            inside = False
        if not inside:
            self.report(
                FDL206,
                where,
                f'cannot include "{path}": {real} is outside the project root {self.root} '
                "(use --root to allow it)",
                line,
            )
            return False
        for index, (open_real, _) in enumerate(self.stack):
            if open_real == real:
                names = [shown for _, shown in self.stack[index:]] + [self.display(target)]
                self.report(FDL205, where, "include cycle: " + " includes ".join(names), line)
                return False
        if not os.path.exists(target):
            self.report(
                FDL204,
                where,
                f'cannot include "{path}": no such file (looked in {base_dir})',
                line,
            )
            return False
        shown = self.display(target)
        inner_chain = (loc, *chain)
        text, problem = _load(target, shown, self.max_size, where, line, inner_chain)
        if problem is not None:
            self.diagnostics.append(problem)
            return False
        assert text is not None
        self.run(text, shown, os.path.dirname(target), real, inner_chain)
        return True
