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

This module is the pass itself: the entry points, the line scanner (comments, strings,
remarks, suppression comments) and the directives, with the include stack and the
``#if`` nesting. What each step needs but is its own concern lives beside it:
:mod:`~callflow.fdl.sources` (reading files, the output types and the way back to the
source), :mod:`~callflow.fdl.macros` (the macro table and expansion),
:mod:`~callflow.fdl.conditions` (``#if`` expressions) and :mod:`~callflow.fdl.includes`
(the search path and where an include may be found).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence

from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl.conditions import ConditionError, evaluate_condition
from callflow.fdl.includes import EVENTSTUDIO_INCLUDE as EVENTSTUDIO_INCLUDE  # re-exported
from callflow.fdl.includes import IncludeResolver, search_path
from callflow.fdl.macros import REMARK_CLOSERS, STRING_RE, WORD_RE, MacroTable, Span
from callflow.fdl.sources import DEFAULT_MAX_INPUT_SIZE as DEFAULT_MAX_INPUT_SIZE  # re-exported
from callflow.fdl.sources import (
    FDL202,
    FDL205,
    FDL207,
    FDL208,
    FDL209,
    IncludeChain,
    LineOrigin,
    PathArg,
    PreprocessedSource,
    Segment,
    load_source,
    make_diagnostic,
    normalise,
    text_position,
    too_large,
)
from callflow.ir import SourceLocation, Suppression

__all__ = [
    "LineOrigin",
    "PreprocessedSource",
    "preprocess_file",
    "preprocess_text",
]

# --------------------------------------------------------------------------- regexes

#: the next spot in code where a string, comment or remark starts
_SPECIAL_RE = re.compile(r'//|/\*|\(\*|\|\*|\|=|%|"')
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
#: where a ``#define``'s value starts (for the ``//`` rule: a URL in a value is not a comment)
_DEFINE_HEAD_RE = re.compile(r"[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?")
_COND_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)\s*\Z")

# scanner modes: where a line starts (block comments and remarks may span lines)
_CODE = 0
_BLOCK = 1
_REMARK = 2  # (* ... *)
_BAR_REMARK = 3  # |* ... *|
_EQ_REMARK = 4  # |= ... =|

_REMARK_MODES = {"(*": _REMARK, "|*": _BAR_REMARK, "|=": _EQ_REMARK}
_REMARK_CLOSE = {_REMARK: "*)", _BAR_REMARK: "*|", _EQ_REMARK: "=|"}

_DIRECTIVES = "#include, #define, #if, #ifdef, #ifndef, #elif, #else or #endif"

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
    text, problem = load_source(abs_path, display, max_input_size, where, None, ())
    if problem is not None:
        return None, [problem]
    assert text is not None
    main_dir = os.path.dirname(abs_path)
    root_dir = os.fspath(root) if root is not None else main_dir
    search = search_path(include_dirs, main_dir)
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
        return None, [too_large(filename, size, max_input_size, where, None)]
    text = normalise(text)
    nul = text.find("\0")
    if nul >= 0:
        line, col, src = text_position(text, nul)
        loc = SourceLocation(filename, line, col, line, col + 1)
        message = (
            f"{filename} is not a text file: it contains a NUL byte at line {line}, column {col}"
        )
        return None, [make_diagnostic(FDL202, loc, message, src)]
    root_dir = os.path.abspath(os.fspath(root) if root is not None else os.getcwd())
    if filename.startswith("<"):
        base_dir, real = root_dir, filename
    else:
        abs_path = os.path.abspath(filename)
        base_dir, real = os.path.dirname(abs_path), os.path.realpath(abs_path)
    search = search_path(include_dirs, base_dir)
    pre = _Preprocessor(os.path.realpath(root_dir), defines, max_input_size, search, filename)
    pre.run(text, filename, base_dir, real)
    return pre.result(filename), pre.diagnostics


# --------------------------------------------------------------------------- directive state


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


# ----------------------------------------------------------------- the preprocessor


class _Preprocessor:
    """State of one run: output so far, the macro table, the include resolver and stack,
    and the diagnostics."""

    def __init__(
        self,
        root_real: str,
        defines: Mapping[str, str] | None,
        max_size: int,
        search: list[str],
        main_display: str,
    ) -> None:
        self.includes = IncludeResolver(root_real, search, main_display)
        self.max_size = max_size
        self.out: list[str] = []
        self.origins: list[LineOrigin] = []
        self.suppressions: list[Suppression] = []
        self.source_lines: dict[str, list[str]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[tuple[str, str]] = []  # (real path, display path) being read
        self.macros = MacroTable(defines)
        self.lineno = 0  # the line being scanned, and where the open block comment began
        self.block_open = (0, 0)

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
        self.diagnostics.append(make_diagnostic(code, loc, message, source, severity))

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
        table = self.macros
        macros = table.definitions
        names = macros.keys()  # a live view: defines made while reading count
        findall = WORD_RE.findall
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
            if (  # strings need no scan here: without these, nothing in them is special
                mode == _CODE
                and "/" not in line
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
                result, segments, problems = table.expand_line(result, opaque)
                for start, end, message in problems:  # each call left as written
                    loc = SourceLocation(display, lineno, start + 1, lineno, end + 1, chain)
                    self.report(FDL208, loc, message, line)
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
                string = STRING_RE.match(line, stop)
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
                close = line.find(REMARK_CLOSERS[token], stop + 2)
                end = n if close < 0 else close + 2
                parts.append(line[stop:end])
                opaque.append((stop, end))
                if close < 0:
                    mode = _REMARK_MODES[token]
                    break
                pos = end
        return "".join(parts), mode, opaque, found

    # ---------------------------------------------------------------- macros

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
            problem = self.macros.define(rest)
            if problem is not None:
                self.report(FDL208, loc, problem, line)
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
            return evaluate_condition(rest, offset, self.macros.definitions)
        except ConditionError as error:
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
        includes = self.includes
        quoted = arg.group(1) is not None
        group = 1 if quoted else 2
        if quoted:
            path = _UNESCAPE_RE.sub(r"\1", arg.group(1))
            shown = f'"{path}"'
        else:
            path = arg.group(2).strip()
            shown = f"<{path}>"
        folders = includes.folders(quoted, base_dir)
        # point at the path and its delimiters (the opening one is just before the group)
        where, line = directive.locate(
            rest_start + arg.start(group) - 1, rest_start + arg.end(group) + 1
        )

        found = includes.find(path, folders)
        target, real = found.target, found.real
        if target is None:
            code, message = includes.not_found(shown, path, folders, found.outside)
            self.report(code, where, message, line)
            return False
        if found.respelled:
            self.report(
                FDL209,
                where,
                f"no file is named {shown} exactly; using {includes.display(target)} "
                "(file names are case-sensitive here: fix the #include or rename the file)",
                line,
                Severity.WARNING,
            )
        for index, (open_real, _) in enumerate(self.stack):
            if open_real == real:
                names = [display for _, display in self.stack[index:]] + [includes.display(target)]
                self.report(FDL205, where, "include cycle: " + " includes ".join(names), line)
                return False
        display = includes.display(target)
        inner_chain = (loc, *chain)
        text, problem = load_source(target, display, self.max_size, where, line, inner_chain)
        if problem is not None:
            self.diagnostics.append(problem)
            return False
        assert text is not None
        self.run(text, display, os.path.dirname(target), real, inner_chain)
        return True
