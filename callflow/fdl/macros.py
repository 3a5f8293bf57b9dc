"""Macros: the table of ``#define``s and the expansion of one line's code.

Expansion is the subtle part of the preprocessor and needs none of its other state: it
reads a line whose comments are already blanked, with the spans of its strings and remarks
(where nothing is replaced), and returns the new text and the column segments that map it
back (:class:`~callflow.fdl.sources.LineOrigin`). Object-like macros are replaced by their
value; function-like ones (:class:`FunctionMacro`) have their arguments split, expanded,
put in place of the parameters (inside strings and remarks too, as EventStudio does) and
the result rescanned with C's recursion guard. Nesting and the characters one line may
produce are bounded, so no input can hang or exhaust the stack; a call that cannot be
expanded comes back as a problem for the caller to report (FDL208) and is left as written.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from callflow.fdl.sources import Segment

__all__ = [
    "REMARK_CLOSERS",
    "STRING_RE",
    "WORD_RE",
    "ExpansionProblem",
    "FunctionMacro",
    "MacroTable",
    "Span",
]

#: ``[start, end)`` offsets in a text
Span = tuple[int, int]
#: a macro use that could not be expanded: its ``[start, end)`` offsets on the line and why
ExpansionProblem = tuple[int, int, str]

#: the next spot in a text without comments (a macro's value, its arguments) where a
#: string or remark starts
_PROTECT_RE = re.compile(r'"|\(\*|\|\*|\|=|%')
#: a string on one line; group 1 is None when it is unterminated (it then ends at line end)
STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*(")?')
#: what closes each remark that may span lines (shared with the line scanner)
REMARK_CLOSERS = {"(*": "*)", "|*": "*|", "|=": "=|"}
#: the one identifier scan, each name found looked up in the macro table (one right after
#: a digit, the ``ID`` of ``5ID``, is not a name: see ``_WORD_CHARS``)
WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
#: what splits a macro call's arguments
_ARG_PUNCT_RE = re.compile(r"[(),]")
_DEFINE_ARG_RE = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)(.*)\Z", re.DOTALL)
_PARAMS_RE = re.compile(r"\(([^()]*)\)(.*)\Z", re.DOTALL)
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: bounds on one line's macro expansion, so that no input can hang or exhaust the stack
_MAX_NESTING = 64
_MAX_EXPANSION = 1_000_000  # characters produced by function-like macros on one line
_CALL_COST = 32  # what one call costs of that budget beyond its characters

# --------------------------------------------------------------------------- helpers


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
            string = STRING_RE.match(text, start)
            assert string is not None
            end = string.end() if string.group(1) is not None else n
        elif token == "%":
            end = n
        else:
            close = text.find(REMARK_CLOSERS[token], start + 2)
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
    for match in WORD_RE.finditer(text):
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
class FunctionMacro:
    """A function-like macro: its parameters and its value cut at each parameter's use.

    ``template`` holds ``(0, code)``, ``(1, string or remark)`` and ``(2, parameter index)``
    parts, in order.
    """

    params: tuple[str, ...]
    template: tuple[tuple[int, str | int], ...]

    @classmethod
    def build(cls, params: tuple[str, ...], body: str) -> FunctionMacro:
        """The macro with parameters ``params`` and value ``body`` (comments blanked)."""
        index = {param: i for i, param in enumerate(params)}
        parts: list[tuple[int, str | int]] = []
        pos = 0
        n = len(body)
        for start, end in [*_opaque_spans(body), (n, n)]:
            last = pos
            for match in WORD_RE.finditer(body, pos, start):
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
    """A macro call that cannot be expanded (caught per use on the line: a problem)."""

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


# --------------------------------------------------------------------------- the table


class MacroTable:
    """The macros defined so far, and the expansion of a line's code with them.

    ``definitions`` maps each name to its value (object-like) or its :class:`FunctionMacro`.
    It is only ever added to in place, so a ``keys()`` view taken once stays current (the
    line scanner's fast path relies on it).
    """

    __slots__ = ("_problems", "budget", "definitions")

    def __init__(self, defines: Mapping[str, str] | None) -> None:
        # a newline in a -D value would break "one origin per output line"
        self.definitions: dict[str, str | FunctionMacro] = {
            name: value.replace("\r", " ").replace("\n", " ")
            for name, value in (defines or {}).items()
        }
        self.budget = _MAX_EXPANSION  # what is left of the line's budget of characters
        self._problems: list[ExpansionProblem] = []

    def __contains__(self, name: object) -> bool:
        return name in self.definitions

    def define(self, rest: str) -> str | None:
        """``#define NAME value`` or ``#define NAME(a, b) value`` (comments blanked).

        ``rest`` is what follows the word ``define``. Returns what is wrong with it (then
        nothing is defined), or None.
        """
        arg = _DEFINE_ARG_RE.match(rest)
        if arg is None:
            word = rest.split()[0] if rest.strip() else ""
            if word:
                return f"'{word}' is not a valid macro name (use letters, digits and _)"
            return "#define needs a name, as in #define NAME value"
        name, tail = arg.group(1), arg.group(2)
        if tail.startswith("("):
            params_body = _PARAMS_RE.match(tail)
            if params_body is None:
                return (
                    f"#define {name}(...) needs parameter names and a closing ')', "
                    f"as in #define {name}(a, b) value"
                )
            inside, body = params_body.groups()
            params = tuple(p.strip() for p in inside.split(",")) if inside.strip() else ()
            for param in params:
                if not _IDENT_RE.match(param):
                    what = (
                        f"'{param}' is not a valid parameter name"
                        if param
                        else "a parameter is missing"
                    )
                    return (
                        f"{what} in #define {name}(...) (parameters are names of letters, "
                        "digits and _, separated by commas)"
                    )
            for i, param in enumerate(params):
                if param in params[:i]:
                    return f"parameter '{param}' appears twice in #define {name}"
            self.definitions[name] = FunctionMacro.build(params, body.strip())
            return None
        if tail and not tail[0].isspace():
            bad = name + tail.split()[0]
            return f"'{bad}' is not a valid macro name (use letters, digits and _)"
        self.definitions[name] = tail.strip()
        return None

    # ---------------------------------------------------------------- expansion

    def expand_line(
        self, line: str, opaque: list[Span]
    ) -> tuple[str, list[Segment] | None, Sequence[ExpansionProblem]]:
        """Replace the macros in the code of a source line (comments blanked).

        ``opaque`` are the spans of its strings and remarks, where nothing is replaced.
        Returns the new text, its column segments (None: the line is unchanged) and the
        calls that could not be expanded (each left as written), in the order they occur.
        """
        self.budget = _MAX_EXPANSION
        text, segments = self._expand(line, opaque, frozenset(), 0)
        if not self._problems:
            return text, segments, ()
        problems, self._problems = self._problems, []
        return text, segments, problems

    def _expand(
        self, text: str, opaque: list[Span], disabled: frozenset[str], depth: int
    ) -> tuple[str, list[Segment] | None]:
        """Replace the macros in the code of ``text`` (outside the ``opaque`` spans).

        At depth 0 ``text`` is a source line (comments blanked): the returned segments put
        each replacement at its macro's column and shift the columns after it back. Deeper,
        ``text`` is an argument or a function-like macro's value after substitution, and
        ``disabled`` the macros being expanded around it (none expands inside itself).
        """
        macros = self.definitions
        parts: list[str] = []
        segments: list[Segment] | None = None
        shift = 0
        last = 0
        resume = 0  # after a call, the identifiers inside its arguments are done
        starts: list[int] | None = None
        for gap_start, gap_end in _gaps(opaque, len(text)):
            if gap_end <= resume:
                continue
            for match in WORD_RE.finditer(text, max(gap_start, resume), gap_end):
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
                        call = self._call(name, macro, text, e, opaque, starts, disabled, depth)
                    except _ExpandError as error:
                        if depth:
                            raise
                        self._problem(error, name, s, e)
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

    def _call(
        self,
        name: str,
        macro: FunctionMacro,
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
            return self._substitute(name, macro, text, spans, opaque, starts, disabled, depth), end
        except _ExpandError as error:
            if depth == 0 and error.end is None:
                error.end = end  # a failed call on the line is skipped as a whole
            raise

    def _substitute(
        self,
        name: str,
        macro: FunctionMacro,
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
            self._expand(text[a:b], _inner(opaque, starts, a, b), disabled, depth + 1)[0].strip()
            for a, b in spans
        ]
        body, body_opaque = macro.substitute(args)
        self.budget -= len(body) + _CALL_COST
        if self.budget < 0:
            raise _ExpandError(
                f"the macros on this line expand too much (more than {_MAX_EXPANSION:,} "
                "characters of calls)"
            )
        return self._expand(body, body_opaque, disabled | {name}, depth + 1)[0]

    def _problem(self, error: _ExpandError, name: str, start: int, name_end: int) -> None:
        """Note the failed use of ``name`` at ``[start, name_end)`` for :meth:`expand_line`."""
        end = error.end if error.end is not None else name_end
        message = error.message
        if not message.startswith(("macro " + name, "the arguments of " + name)):
            message = f"in the expansion of {name}: {message}"
        self._problems.append((start, max(end, name_end), message))
