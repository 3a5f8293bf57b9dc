"""What every part of the IR builder shares: text helpers, the per-parse context, and the
base transformer with the helpers each rule method uses (names, a statement's end).

The builder is one Lark transformer (``build_ir.IRBuilder``) assembled from rule groups:
``build_messages`` (messages, calls), ``build_statements`` (every other statement) and the
file level in ``build_ir``; this module is what they stand on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lark import Transformer

from callflow import ir
from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl.preprocess import PreprocessedSource

#: reserved words of fdl.md section 1: they can never name an entity, group or timer
KEYWORDS = frozenset(
    (
        "title option system subsystem module eternal dynamic in feature case leg sequence "
        "heading remark media stop mixes mixing takes action begins ends starts stops timer "
        "timeout allocates frees resource state creates deletes"
    ).split()
)

_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\", "t": "\t"}
DURATION_RE = re.compile(r"([0-9]+)(ms|s|m)")
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}
_SPACES = re.compile(r"\s+")


def unquote(text: str) -> str:
    """The value of a double-quoted FDL string (``\\"``, ``\\\\`` and ``\\n`` escapes)."""
    body = text[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def remark_text(token_text: str) -> str:
    """The text of a remark token, whitespace (and line breaks) collapsed: ``(* *)``,
    ``|* *|`` and ``|= =|`` lose their two-character brackets, ``%`` its percent sign."""
    inner = token_text[1:] if token_text.startswith("%") else token_text[2:-2]
    return _SPACES.sub(" ", inner).strip()


def verbatim_lines(inner: str) -> tuple[str, ...]:
    """A block remark's lines as written: blank first and last lines dropped, the
    indentation the lines after the first share removed (the first line starts right
    after ``|=``), trailing blanks stripped; tabs read as four spaces."""
    lines = [line.rstrip().replace("\t", "    ") for line in inner.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ()
    first, rest = lines[0].strip(), lines[1:]
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    cut = min(indents) if indents else 0
    return (first, *(line[cut:] for line in rest))


#: tokens that end a statement as its trailing remark
REMARK_TOKENS = frozenset({"REMARK", "PCT_REMARK", "BAR_REMARK"})


@dataclass(frozen=True, slots=True)
class LooseRemark:
    """Remark tokens on a line of their own: attached to the statement before them (as in
    EventStudio), or a remark row where no statement comes before."""

    text: str
    loc: ir.SourceLocation


@dataclass(frozen=True, slots=True)
class Several:
    """One source statement that stands for several IR statements (a cascade)."""

    statements: tuple[ir.Statement, ...]


#: statements a following remark does not attach to: a case, and remark rows themselves
#: (a remark after a group's closing brace belongs to the group, as in EventStudio)
_GROUPS = (ir.Case, ir.Remark, ir.BlockRemark)


def amend(statement: ir.Statement, **changes: Any) -> None:
    """Set fields of a statement this parse has just built and nobody else has seen yet
    (a remark on the lines after it, a ``[_style]`` in front of it): cheaper than
    ``dataclasses.replace``, which would build it, and derive its headers, again."""
    for key, value in changes.items():
        object.__setattr__(statement, key, value)


def attach_remarks(items: list[Any]) -> tuple[Any, ...]:
    """A body's items with loose remarks attached to the statement before them and
    cascades flattened: what a ``feature``, ``leg`` or group body holds in the IR."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, Several):
            out.extend(item.statements)
        elif isinstance(item, LooseRemark):
            previous = out[-1] if out else None
            if isinstance(previous, ir.Statement) and not isinstance(previous, _GROUPS):
                text = item.text if previous.remark is None else f"{previous.remark} {item.text}"
                amend(previous, remark=text)
            else:
                out.append(ir.Remark(text=item.text, loc=item.loc))
        else:
            out.append(item)
    return tuple(out)


@dataclass
class BuildContext:
    """Per-parse state the transformer reads (the transformer itself is cached)."""

    source: PreprocessedSource
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: timer name -> the entity that last started it (``timeout T`` without ``: A``)
    timer_owners: dict[str, ir.Name] = field(default_factory=dict)
    #: (callee, method) -> callers of ``invokes`` not yet returned, innermost last
    open_calls: dict[tuple[str, str], list[ir.Name]] = field(default_factory=dict)

    def loc(self, first: Any, last: Any | None = None) -> ir.SourceLocation:
        last = first if last is None else last
        return self.source.locate(first.line, first.column, last.end_line, last.end_column)

    def error(self, code: str, name: str, loc: ir.SourceLocation, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                code, name, Severity.ERROR, loc, message, source_line=self.source.source_line(loc)
            )
        )

    def warning(self, code: str, name: str, loc: ir.SourceLocation, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                code,
                name,
                Severity.WARNING,
                loc,
                message,
                source_line=self.source.source_line(loc),
            )
        )


def is_kind(token: Any, kind: str) -> bool:
    """Whether a child is a token of that terminal (children are tokens, tuples or IR)."""
    return getattr(token, "type", None) == kind


class BuilderBase(Transformer):
    """The helpers of every rule method. ``ctx`` is set before every parse."""

    ctx: BuildContext

    def _name(self, token: Any) -> ir.Name:
        """A name token: an identifier, or a quoted name (EventStudio) of any text."""
        text = str(token)
        loc = self.ctx.loc(token)
        if is_kind(token, "STRING"):
            return ir.Name(unquote(text), loc)
        if text in KEYWORDS:
            self.ctx.error(
                "FDL106",
                "syntax.reserved-word",
                loc,
                f"'{text}' is a reserved keyword and cannot be used as a name",
            )
        return ir.Name(text, loc)

    @staticmethod
    def _split_end(children: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        """Separate a statement's end from its other children: the ``<link>`` and the
        trailing remarks (``(* *)``, ``%``,
        ``|* *|``; several are joined with a space). Returns the keyword arguments
        ``remark`` and ``link`` for the statement's constructor."""
        end = len(children)
        while end and getattr(children[end - 1], "type", None) in REMARK_TOKENS:
            end -= 1
        remark = None
        if end < len(children):
            remark = " ".join(remark_text(str(t)) for t in children[end:])
        link: str | None = None
        if end and getattr(children[end - 1], "type", None) == "LINK":
            link = str(children[end - 1])[1:-1]
            end -= 1
        return children[:end], {"remark": remark, "link": link}

    def _value(self, token: Any) -> tuple[str, bool]:
        text = str(token)
        if is_kind(token, "STRING"):
            return unquote(text), True
        return text, False
