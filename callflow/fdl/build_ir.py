"""Build the IR while Lark parses: an inline transformer, called bottom-up per rule.

Lark's LALR parser calls these methods as it reduces, so no parse tree is ever built.
Locations come from tokens (never from ``propagate_positions``, which costs ~40 %),
mapped back through the preprocessor's line origins to the file the user wrote.
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
_DURATION = re.compile(r"([0-9]+)(ms|s|m)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}
_SPACES = re.compile(r"\s+")


def unquote(text: str) -> str:
    """The value of a double-quoted FDL string (``\\"``, ``\\\\`` and ``\\n`` escapes)."""
    body = text[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def remark_text(token_text: str) -> str:
    """The text of a ``(* remark *)``, whitespace (and line breaks) collapsed."""
    return _SPACES.sub(" ", token_text[2:-2]).strip()


@dataclass
class BuildContext:
    """Per-parse state the transformer reads (the transformer itself is cached)."""

    source: PreprocessedSource
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def loc(self, first: Any, last: Any | None = None) -> ir.SourceLocation:
        last = first if last is None else last
        return self.source.locate(first.line, first.column, last.end_line, last.end_column)

    def error(self, code: str, name: str, loc: ir.SourceLocation, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                code, name, Severity.ERROR, loc, message, source_line=self.source.source_line(loc)
            )
        )


def _is(token: Any, kind: str) -> bool:
    return getattr(token, "type", None) == kind


class IRBuilder(Transformer):
    """Turns each reduced rule into IR nodes. ``ctx`` is set before every parse."""

    ctx: BuildContext

    # ------------------------------------------------------------ helpers
    def _name(self, token: Any) -> ir.Name:
        text = str(token)
        loc = self.ctx.loc(token)
        if text in KEYWORDS:
            self.ctx.error(
                "FDL106",
                "syntax.reserved-word",
                loc,
                f"'{text}' is a reserved keyword and cannot be used as a name",
            )
        return ir.Name(text, loc)

    @staticmethod
    def _split_end(children: list[Any]) -> tuple[list[Any], str | None]:
        """Separate a statement's trailing ``(* remark *)`` from its other children."""
        if children and _is(children[-1], "REMARK"):
            return children[:-1], remark_text(str(children[-1]))
        return children, None

    def _value(self, token: Any) -> tuple[str, bool]:
        text = str(token)
        if _is(token, "STRING"):
            return unquote(text), True
        return text, False

    # ------------------------------------------------------------ file level
    def start(self, children: list[Any]) -> list[Any]:
        return children

    def title(self, children: list[Any]) -> tuple[str, str, ir.SourceLocation]:
        keyword, string = children
        return ("title", unquote(str(string)), self.ctx.loc(keyword, string))

    def option(self, children: list[Any]) -> ir.Option:
        keyword, name, value = children
        text, _ = self._value(value)
        return ir.Option(str(name), text, self.ctx.loc(keyword, value))

    def option_value(self, children: list[Any]) -> Any:
        return children[0]

    def decl_kind(self, children: list[Any]) -> Any:
        return children[0]

    def decl_item(self, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def declaration(self, children: list[Any]) -> list[ir.Group | ir.Entity]:
        kind = str(children[0])
        nodes: list[ir.Group | ir.Entity] = []
        for name_tok, label_tok, _in, parent_tok, attrs in children[1:]:
            name = self._name(name_tok)
            label = unquote(str(label_tok)) if label_tok is not None else name.text
            parent = str(parent_tok) if parent_tok is not None else None
            attributes = attrs if attrs is not None else ()
            last = parent_tok or label_tok or name_tok
            loc = self.ctx.loc(name_tok, last)
            if kind in ("eternal", "dynamic"):
                nodes.append(ir.Entity(name.text, label, parent, kind, attributes, loc))  # type: ignore[arg-type]
            else:
                nodes.append(ir.Group(kind, name.text, label, parent, loc, attributes))  # type: ignore[arg-type]
        return nodes

    def attributes(self, children: list[Any]) -> tuple[ir.Attribute, ...]:
        return tuple(children)

    def attribute(self, children: list[Any]) -> ir.Attribute:
        key, value = children
        text, _ = self._value(value)
        return ir.Attribute(str(key), text, self.ctx.loc(key, value))

    def intro_remark(self, children: list[Any]) -> ir.Remark:
        keyword, string = children
        return ir.Remark(text=unquote(str(string)), loc=self.ctx.loc(keyword, string))

    def feature(self, children: list[Any]) -> ir.Feature:
        keyword, name, *body = children
        return ir.Feature(unquote(str(name)), tuple(body), self.ctx.loc(keyword, name))

    def file_case(self, children: list[Any]) -> ir.FileCase:
        keyword, *legs = children
        return ir.FileCase(tuple(legs), self.ctx.loc(keyword))

    def file_leg(self, children: list[Any]) -> ir.FileLeg:
        keyword, label, *body = children
        return ir.FileLeg(unquote(str(label)), tuple(body), self.ctx.loc(keyword, label))

    # ------------------------------------------------------------ messages
    def message_name(self, children: list[Any]) -> Any:
        return children[0]

    def status_line(self, children: list[Any]) -> tuple[Any, str, Any]:
        code, *words = children
        text = str(code)
        if len(text) != 3:
            self.ctx.error(
                "FDL105",
                "syntax.bad-status-code",
                self.ctx.loc(code),
                f"a status code has three digits, not '{text}'",
            )
        if len(words) == 1 and _is(words[0], "STRING"):
            reason = unquote(str(words[0]))
        else:
            reason = " ".join(str(w) for w in words)
        return (code, reason, words[-1])

    def params(self, children: list[Any]) -> tuple[ir.Param, ...]:
        return tuple(c for c in children if c is not None)

    def key_param(self, children: list[Any]) -> ir.Param:
        key, value = children
        text, quoted = self._value(value)
        return ir.Param(str(key), text, quoted, self.ctx.loc(key, value))

    def word_param(self, children: list[Any]) -> ir.Param:
        (word,) = children
        return ir.Param(None, str(word), False, self.ctx.loc(word))

    def string_param(self, children: list[Any]) -> ir.Param:
        (string,) = children
        return ir.Param(None, unquote(str(string)), True, self.ctx.loc(string))

    def message(self, children: list[Any]) -> ir.Message:
        children, remark = self._split_end(children)
        head, params, sender, arrow, *receivers = children
        if isinstance(head, tuple):
            code_tok, reason, last_name_tok = head
            first = code_tok
            name = f"{code_tok} {reason}"
            code: int | None = int(str(code_tok))
            name_loc = self.ctx.loc(code_tok, last_name_tok)
        else:
            first = head
            name = self._name(head).text  # reserved words cannot name messages either
            code, reason = None, None
            name_loc = self.ctx.loc(head)
        return ir.Message(
            name=name,
            code=code,
            reason=reason,
            params=params or (),
            sender=self._name(sender),
            receivers=tuple(self._name(r) for r in receivers),
            lost=_is(arrow, "LOST_ARROW"),
            name_loc=name_loc,
            loc=self.ctx.loc(first, receivers[-1]),
            remark=remark,
        )

    # ------------------------------------------------------------ entity statements
    def action(self, children: list[Any]) -> ir.Action:
        (entity, _kw, _kw2, text), remark = self._split_end(children)
        return ir.Action(
            entity=self._name(entity),
            text=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def begin_action(self, children: list[Any]) -> ir.BeginAction:
        (entity, _kw, _kw2, text), remark = self._split_end(children)
        return ir.BeginAction(
            entity=self._name(entity),
            text=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def end_action(self, children: list[Any]) -> ir.EndAction:
        (entity, _kw, _kw2, text), remark = self._split_end(children)
        return ir.EndAction(
            entity=self._name(entity),
            text=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def timer_start(self, children: list[Any]) -> ir.TimerStart:
        (entity, _kw, _kw2, timer, duration), remark = self._split_end(children)
        duration_ms: int | None = None
        duration_text: str | None = None
        if duration is not None:
            duration_text = str(duration)
            match = _DURATION.fullmatch(duration_text)
            if match:
                duration_ms = int(match.group(1)) * _UNIT_MS[match.group(2)]
        return ir.TimerStart(
            entity=self._name(entity),
            timer=self._name(timer),
            duration_ms=duration_ms,
            duration_text=duration_text,
            loc=self.ctx.loc(entity, duration or timer),
            remark=remark,
        )

    def timer_stop(self, children: list[Any]) -> ir.TimerStop:
        (entity, _kw, _kw2, timer), remark = self._split_end(children)
        return ir.TimerStop(
            entity=self._name(entity),
            timer=self._name(timer),
            loc=self.ctx.loc(entity, timer),
            remark=remark,
        )

    def timer_timeout(self, children: list[Any]) -> ir.TimerTimeout:
        (keyword, timer, entity), remark = self._split_end(children)
        return ir.TimerTimeout(
            entity=self._name(entity),
            timer=self._name(timer),
            loc=self.ctx.loc(keyword, entity),
            remark=remark,
        )

    def resource_allocate(self, children: list[Any]) -> ir.ResourceAllocate:
        (entity, _kw, _kw2, text), remark = self._split_end(children)
        return ir.ResourceAllocate(
            entity=self._name(entity),
            resource=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def resource_free(self, children: list[Any]) -> ir.ResourceFree:
        (entity, _kw, _kw2, text), remark = self._split_end(children)
        return ir.ResourceFree(
            entity=self._name(entity),
            resource=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def state_change(self, children: list[Any]) -> ir.StateChange:
        (entity, _kw, text), remark = self._split_end(children)
        return ir.StateChange(
            entity=self._name(entity),
            state=unquote(str(text)),
            loc=self.ctx.loc(entity, text),
            remark=remark,
        )

    def create(self, children: list[Any]) -> ir.Create:
        (creator, _kw, created), remark = self._split_end(children)
        return ir.Create(
            creator=self._name(creator),
            created=self._name(created),
            loc=self.ctx.loc(creator, created),
            remark=remark,
        )

    def delete(self, children: list[Any]) -> ir.Delete:
        (deleter, _kw, deleted), remark = self._split_end(children)
        return ir.Delete(
            deleter=self._name(deleter),
            deleted=self._name(deleted),
            loc=self.ctx.loc(deleter, deleted),
            remark=remark,
        )

    # ------------------------------------------------------------ document statements
    def heading(self, children: list[Any]) -> ir.Heading:
        (keyword, text), remark = self._split_end(children)
        return ir.Heading(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), remark=remark)

    def remark(self, children: list[Any]) -> ir.Remark:
        (keyword, text), remark = self._split_end(children)
        return ir.Remark(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), remark=remark)

    def media_start(self, children: list[Any]) -> ir.MediaStart:
        (keyword, a, _arrow, b, attrs), remark = self._split_end(children)
        return ir.MediaStart(
            a=self._name(a),
            b=self._name(b),
            attributes=attrs or (),
            loc=self.ctx.loc(keyword, b),
            remark=remark,
        )

    def media_stop(self, children: list[Any]) -> ir.MediaStop:
        (keyword, _stop, a, _arrow, b), remark = self._split_end(children)
        return ir.MediaStop(
            a=self._name(a), b=self._name(b), loc=self.ctx.loc(keyword, b), remark=remark
        )

    def mix(self, children: list[Any]) -> ir.Mix:
        (mixer, _kw, *parties), remark = self._split_end(children)
        return ir.Mix(
            mixer=self._name(mixer),
            parties=tuple(self._name(p) for p in parties),
            loc=self.ctx.loc(mixer, parties[-1]),
            remark=remark,
        )

    def stop_mixing(self, children: list[Any]) -> ir.StopMixing:
        (mixer, _kw, last), remark = self._split_end(children)
        return ir.StopMixing(mixer=self._name(mixer), loc=self.ctx.loc(mixer, last), remark=remark)

    def sequence(self, children: list[Any]) -> ir.Sequence:
        (keyword, name, *body), remark = self._split_end(children)
        return ir.Sequence(
            name=unquote(str(name)),
            body=tuple(body),
            loc=self.ctx.loc(keyword, name),
            remark=remark,
        )

    def case(self, children: list[Any]) -> ir.Case:
        (keyword, *legs), remark = self._split_end(children)
        return ir.Case(legs=tuple(legs), loc=self.ctx.loc(keyword), remark=remark)

    def leg(self, children: list[Any]) -> ir.Leg:
        keyword, label, *body = children
        return ir.Leg(unquote(str(label)), tuple(body), self.ctx.loc(keyword, label))
