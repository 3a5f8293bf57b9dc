"""Build the IR while Lark parses: an inline transformer, called bottom-up per rule.

Lark's LALR parser calls these methods as it reduces, so no parse tree is ever built.
Locations come from tokens (never from ``propagate_positions``, which costs ~40 %),
mapped back through the preprocessor's line origins to the file the user wrote.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

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

#: arrow text -> (drawn style, lost, written receiver first)
_ARROWS: dict[str, tuple[ir.ArrowStyle, bool, bool]] = {
    "->": ("normal", False, False),
    "-x": ("normal", True, False),
    "->X": ("normal", True, False),
    "<-": ("normal", False, True),
    "=>": ("bold", False, False),
    "<=": ("bold", False, True),
    "<->": ("bidirectional", False, False),
    "<=>": ("bold-bidirectional", False, False),
}
#: a tagged end (``"San Francisco"-"94123"``, ``SMF-N4``): the name, the tag
_TAGGED = re.compile(r'("(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*)-(.*)', re.DOTALL)

_QUOTED_STATUS = re.compile(r"([1-6][0-9][0-9]) +(\S.*)")


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


def _amend(statement: ir.Statement, **changes: Any) -> None:
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
                _amend(previous, remark=text)
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


def _is(token: Any, kind: str) -> bool:
    return getattr(token, "type", None) == kind


class IRBuilder(Transformer):
    """Turns each reduced rule into IR nodes. ``ctx`` is set before every parse."""

    ctx: BuildContext

    # ------------------------------------------------------------ helpers
    def _name(self, token: Any) -> ir.Name:
        """A name token: an identifier, or a quoted name (EventStudio) of any text."""
        text = str(token)
        loc = self.ctx.loc(token)
        if _is(token, "STRING"):
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

    @staticmethod
    def _tokens(children: list[Any]) -> list[Any]:
        """The children that are present (optional parts absent are None)."""
        return [c for c in children if c is not None]

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

    def style_prefix(self, children: list[Any]) -> tuple[str, str, Any]:
        (name,) = children
        return ("style", str(name), name)

    def decl_item(self, children: list[Any]) -> tuple[Any, ...]:
        style, name, label, type_name, _in, parent, attrs = children
        return ("item", style, name, label, type_name, parent, attrs, ())

    def shared_axis(self, children: list[Any]) -> tuple[Any, ...]:
        style, first, *rest = children
        *others, _in, parent, attrs = rest
        return ("item", style, first, None, None, parent, attrs, tuple(others))

    def separator(self, children: list[Any]) -> tuple[Any, ...]:
        style, keyword, _in, parent = children
        return ("separator", style, keyword, parent)

    def declaration(self, children: list[Any]) -> list[Any]:
        children, end = self._split_end(children)
        remark = end["remark"]
        line_style, kind_tok, *items = children
        kind = str(kind_tok)
        if kind == "processor":  # classic FDL: processors are the objects with lifelines
            kind = "eternal"
        level = kind
        nodes: list[Any] = []
        for item in items:
            if item[0] == "separator":
                _, style, keyword, parent_tok = item
                parent = self._name(parent_tok).text if parent_tok is not None else None
                style_name = (style or line_style or (None, None))[1]
                nodes.append(ir.Separator(0, parent, self.ctx.loc(keyword, parent_tok), style_name))
                continue
            _, style, name_tok, label_tok, type_tok, parent_tok, attrs, sharing = item
            style_name = (style or line_style or (None, None))[1]
            attributes = attrs if attrs is not None else ()
            parent = self._name(parent_tok).text if parent_tok is not None else None
            for index, tok in enumerate((name_tok, *sharing)):
                name = self._name(tok)
                label = unquote(str(label_tok)) if label_tok is not None else name.text
                last = parent_tok or type_tok or label_tok or tok
                loc = self.ctx.loc(tok, last if index == 0 else tok)
                if kind in ("eternal", "dynamic"):
                    nodes.append(
                        ir.Entity(
                            name.text,
                            label,
                            parent,
                            kind,  # type: ignore[arg-type]
                            attributes,
                            loc,
                            type_name=self._name(type_tok).text if type_tok is not None else None,
                            style=style_name,
                            axis=self._name(name_tok).text if index else None,
                            remark=remark,
                        )
                    )
                else:
                    if type_tok is not None:
                        self.ctx.warning(
                            "FDL310",
                            "semantic.unsupported",
                            self.ctx.loc(type_tok),
                            f"a type belongs to an object (eternal or dynamic), not a {kind}: "
                            "callflow ignores it",
                        )
                    nodes.append(
                        ir.Group(
                            level,  # type: ignore[arg-type]
                            name.text,
                            label,
                            parent,
                            loc,
                            attributes,
                            style=style_name,
                        )
                    )
        return nodes

    def style_def(self, children: list[Any]) -> ir.StyleDef:
        children, _end = self._split_end(children)
        keyword, name, *attrs = children
        kind = "theme" if str(keyword) == "theme" else "style"
        return ir.StyleDef(kind, self._name(name).text, tuple(attrs), self.ctx.loc(keyword, name))

    def style_attr(self, children: list[Any]) -> ir.Attribute:
        key, value = children
        text, _ = self._value(value)
        return ir.Attribute(str(key), text, self.ctx.loc(key, value))

    def attributes(self, children: list[Any]) -> tuple[ir.Attribute, ...]:
        return tuple(children)

    def attribute(self, children: list[Any]) -> ir.Attribute:
        key, value = children
        text, _ = self._value(value)
        return ir.Attribute(str(key), text, self.ctx.loc(key, value))

    def intro_remark(self, children: list[Any]) -> ir.Remark:
        keyword, string = children
        return ir.Remark(text=unquote(str(string)), loc=self.ctx.loc(keyword, string))

    def theme_prefix(self, children: list[Any]) -> str:
        return str(children[0])

    def feature(self, children: list[Any]) -> ir.Feature:
        children, _end = self._split_end(children)
        theme, keyword, name, *body = children
        if body and _is(body[-1], "KW_ENDFEATURE"):
            body.pop()
        return ir.Feature(
            unquote(str(name)), attach_remarks(body), self.ctx.loc(keyword, name), theme=theme
        )

    def file_case(self, children: list[Any]) -> ir.FileCase:
        keyword, *legs = children
        return ir.FileCase(tuple(legs), self.ctx.loc(keyword))

    def file_leg(self, children: list[Any]) -> ir.FileLeg:
        keyword, label, *items = children
        body: list[ir.Feature | ir.FileCase] = []
        for item in items:
            if not isinstance(item, LooseRemark):
                body.append(item)
            elif body and isinstance(body[-1], ir.Feature):  # as between top-level features
                feature = body[-1]
                body[-1] = dataclasses.replace(feature, body=attach_remarks([*feature.body, item]))
            else:
                self.ctx.warning(
                    "FDL310",
                    "semantic.unsupported",
                    item.loc,
                    "a remark here belongs to no statement: callflow does not draw it "
                    "(move it into a feature)",
                )
        return ir.FileLeg(unquote(str(label)), tuple(body), self.ctx.loc(keyword, label))

    def loose_remark(self, children: list[Any]) -> LooseRemark:
        text = " ".join(remark_text(str(t)) for t in children)
        return LooseRemark(text, self.ctx.loc(children[0], children[-1]))

    def decorated(self, children: list[Any]) -> Any:
        """``[_style]`` and ``<link>`` in front of a statement (a cascade: each message)."""
        *decorations, statement = children
        changes: dict[str, str] = {}
        for item in decorations:
            if isinstance(item, tuple):
                changes["style"] = item[1]
            else:
                changes["link"] = str(item)[1:-1]
        if isinstance(statement, LooseRemark):
            return statement
        for built in statement.statements if isinstance(statement, Several) else (statement,):
            _amend(built, **changes)
        return statement

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

    def multiline_name(self, children: list[Any]) -> tuple[str, str, Any, Any]:
        """``"M" + "- line 2" + "- line 3"``: one name drawn on several lines."""
        first, *more = children
        lines = [self._name(first).text, *(unquote(str(t)) for t in more)]
        return ("lines", "\n".join(lines), first, more[-1])

    def _head(self, head: Any) -> tuple[str, int | None, str | None, Any, ir.SourceLocation]:
        """(name, code, reason, first token, name location) of a message's name part."""
        if isinstance(head, tuple) and head[0] == "lines":
            _, text, first, last = head
            return text, None, None, first, self.ctx.loc(first, last)
        if isinstance(head, tuple):
            code_tok, reason, last_name_tok = head
            return (
                f"{code_tok} {reason}",
                int(str(code_tok)),
                reason,
                code_tok,
                self.ctx.loc(code_tok, last_name_tok),
            )
        named = self._name(head)  # reserved words cannot name messages either
        name = named.text
        if head.type == "STRING":  # "200 OK": a quoted status line is still one
            status = _QUOTED_STATUS.fullmatch(name)
            if status is not None:
                return name, int(status.group(1)), status.group(2), head, named.loc
        return name, None, None, head, named.loc

    def _endpoint(self, token: Any) -> tuple[ir.Name, str | None, Any]:
        """(name, tag, token) of a message's end: a name, or a TAGGED ``name-tag``."""
        if not _is(token, "TAGGED"):
            return self._name(token), None, token
        match = _TAGGED.match(str(token))
        assert match is not None  # the terminal's own shape
        name_text, tag = match.groups()
        loc = self.ctx.loc(token)
        name = unquote(name_text) if name_text.startswith('"') else name_text
        return ir.Name(name, loc), unquote(tag) if tag.startswith('"') else tag, token

    def message(self, children: list[Any]) -> Any:
        children, end = self._split_end(children)
        head, params, *rest = children
        name, code, reason, first, name_loc = self._head(head)
        if len(rest) == 3 and "TAGGED" not in (rest[0].type, rest[2].type):
            # the common case, one arrow between two names without tags: one message
            style, lost, reversed_ = _ARROWS[str(rest[1])]
            left, right = self._name(rest[0]), self._name(rest[2])
            return ir.Message(
                name=name,
                code=code,
                reason=reason,
                params=params or (),
                sender=right if reversed_ else left,
                receivers=(left if reversed_ else right,),
                lost=lost,
                arrow=style,
                written_reversed=reversed_,
                name_loc=name_loc,
                loc=self.ctx.loc(first, rest[2]),
                **end,
            )
        origin = self._endpoint(rest[0])
        hops: list[tuple[Any, list[tuple[ir.Name, str | None, Any]]]] = []
        for item in rest[1:]:
            if _is(item, "ARROW"):
                hops.append((item, []))
            else:
                hops[-1][1].append(self._endpoint(item))
        last_tok = hops[-1][1][-1][2]
        loc = self.ctx.loc(first, last_tok)
        if len(hops) > 1 and any(len(targets) > 1 for _, targets in hops):
            self.ctx.error(
                "FDL108",
                "syntax.bad-cascade",
                loc,
                "a cascade (A -> B -> C) passes one entity per arrow: write the multicast "
                "(A -> B, C) as a statement of its own",
            )
        messages: list[ir.Message] = []
        start = origin
        for arrow, targets in hops:
            style, lost, reversed_ = _ARROWS[str(arrow)]
            if reversed_:
                if len(targets) > 1:
                    self.ctx.error(
                        "FDL108",
                        "syntax.bad-cascade",
                        self.ctx.loc(arrow),
                        f"'{arrow}' reads 'receiver {arrow} sender': it has one sender, "
                        "so no list after it",
                    )
                sender, receivers = targets[0], [start]
            else:
                sender, receivers = start, targets
            messages.append(
                ir.Message(
                    name=name,
                    code=code,
                    reason=reason,
                    params=params or (),
                    sender=sender[0],
                    receivers=tuple(r[0] for r in receivers),
                    lost=lost,
                    arrow=style,
                    written_reversed=reversed_,
                    sender_tag=sender[1],
                    receiver_tags=tuple(r[1] for r in receivers)
                    if any(r[1] is not None for r in receivers)
                    else (),
                    name_loc=name_loc,
                    loc=loc,
                    **end,
                )
            )
            start = targets[-1]
        if len(messages) == 1:
            return messages[0]
        if all(m.written_reversed for m in messages):  # A <- B <- C: C sends first
            messages.reverse()
        # the remark and the link belong to the statement once: on its last message
        for built in messages[:-1]:
            _amend(built, remark=None, link=None)
        for built in messages:
            _amend(built, cascade=True)
        return Several(tuple(messages))

    def multicast(self, children: list[Any]) -> ir.Message:
        """``A multicasts M(params) to B, C``: one message to several receivers."""
        children, end = self._split_end(children)
        sender, _kw, head, params, _to, *receivers = children
        name, code, reason, _first, name_loc = self._head(head)
        return ir.Message(
            name=name,
            code=code,
            reason=reason,
            params=params or (),
            sender=self._name(sender),
            receivers=tuple(self._name(r) for r in receivers),
            name_loc=name_loc,
            loc=self.ctx.loc(sender, receivers[-1]),
            **end,
        )

    def invoke(self, children: list[Any]) -> ir.Message:
        """``A invokes B.method(params)``: a method call, drawn as a call arrow."""
        children, end = self._split_end(children)
        caller, _kw, callee, method_tok, params = children
        method = self._name(method_tok).text
        caller_name, callee_name = self._name(caller), self._name(callee)
        self.ctx.open_calls.setdefault((callee_name.text, method), []).append(caller_name)
        return ir.Message(
            name=str(method),
            code=None,
            reason=None,
            params=params or (),
            sender=caller_name,
            receivers=(callee_name,),
            call_kind="invoke",
            name_loc=self.ctx.loc(method_tok),
            loc=self.ctx.loc(caller, method_tok),
            **end,
        )

    def method_return(self, children: list[Any]) -> ir.Message:
        """``B.method returns(values)``: back to whoever invoked ``B.method`` last."""
        children, end = self._split_end(children)
        callee, method_tok, keyword, params = children
        method = self._name(method_tok).text
        callee_name = self._name(callee)
        loc = self.ctx.loc(callee, keyword)
        callers = self.ctx.open_calls.get((callee_name.text, method))
        if callers:
            caller = callers.pop()
        else:
            self.ctx.error(
                "FDL311",
                "semantic.return-without-call",
                loc,
                f"'{callee_name.text}.{method} returns' has no 'invokes "
                f"{callee_name.text}.{method}' before it to return to",
            )
            caller = callee_name
        return ir.Message(
            name=str(method),
            code=None,
            reason=None,
            params=params or (),
            sender=callee_name,
            receivers=(ir.Name(caller.text, caller.loc),),
            call_kind="return",
            name_loc=self.ctx.loc(method_tok),
            loc=loc,
            **end,
        )

    # ------------------------------------------------------------ entity statements
    def _entities(self, children: list[Any]) -> tuple[ir.Name, list[ir.Name], list[Any]]:
        """The leading names of a statement (``A, B action``) and the children after them."""
        names: list[ir.Name] = []
        index = 0
        while index < len(children) and (
            _is(children[index], "IDENT") or _is(children[index], "STRING")
        ):
            names.append(self._name(children[index]))
            index += 1
        return names[0], names[1:], children[index:]

    def _text(self, token: Any) -> str:
        return unquote(str(token)) if _is(token, "STRING") else str(token)

    def _entity_box(self, cls: type, children: list[Any], field_name: str) -> Any:
        """Action-like statements: ``NAMES [keywords] text`` (the text is the last child)."""
        children, end = self._split_end(children)
        entity, others, rest = self._entities(children)
        text = rest[-1]
        return cls(
            entity=entity,
            others=tuple(others),
            loc=self.ctx.loc(children[0], text),
            **{field_name: self._text(text)},
            **end,
        )

    def action(self, children: list[Any]) -> ir.Action:
        return self._entity_box(ir.Action, children, "text")  # type: ignore[no-any-return]

    def begin_action(self, children: list[Any]) -> ir.BeginAction:
        return self._entity_box(ir.BeginAction, children, "text")  # type: ignore[no-any-return]

    def end_action(self, children: list[Any]) -> ir.EndAction:
        return self._entity_box(ir.EndAction, children, "text")  # type: ignore[no-any-return]

    def resource_allocate(self, children: list[Any]) -> ir.ResourceAllocate:
        return self._entity_box(ir.ResourceAllocate, children, "resource")  # type: ignore[no-any-return]

    def resource_free(self, children: list[Any]) -> ir.ResourceFree:
        return self._entity_box(ir.ResourceFree, children, "resource")  # type: ignore[no-any-return]

    def state_change(self, children: list[Any]) -> ir.StateChange:
        return self._entity_box(ir.StateChange, children, "state")  # type: ignore[no-any-return]

    def timer_start(self, children: list[Any]) -> ir.TimerStart:
        (entity, verb, periodic, _kw2, timer, duration), end = self._split_end(children)
        duration_ms: int | None = None
        duration_text: str | None = None
        if duration is not None:
            duration_text = str(duration)
            match = _DURATION.fullmatch(duration_text)
            if match:
                duration_ms = int(match.group(1)) * _UNIT_MS[match.group(2)]
        owner = self._name(entity)
        timer_name = self._name(timer)
        self.ctx.timer_owners[timer_name.text] = owner
        return ir.TimerStart(
            entity=owner,
            timer=timer_name,
            duration_ms=duration_ms,
            duration_text=duration_text,
            periodic=periodic is not None,
            restart=_is(verb, "KW_RESTARTS"),
            loc=self.ctx.loc(entity, duration or timer),
            **end,
        )

    def timer_stop(self, children: list[Any]) -> ir.TimerStop:
        (entity, _kw, _kw2, timer), end = self._split_end(children)
        return ir.TimerStop(
            entity=self._name(entity),
            timer=self._name(timer),
            loc=self.ctx.loc(entity, timer),
            **end,
        )

    def timer_timeout(self, children: list[Any]) -> ir.TimerTimeout:
        """``timeout T : A``, or EventStudio's ``timeout T``: the entity that started T."""
        (keyword, timer, entity), end = self._split_end(children)
        timer_name = self._name(timer)
        loc = self.ctx.loc(keyword, entity or timer)
        if entity is not None:
            owner = self._name(entity)
        elif timer_name.text in self.ctx.timer_owners:
            started = self.ctx.timer_owners[timer_name.text]
            owner = ir.Name(started.text, self.ctx.loc(timer))
        else:
            self.ctx.error(
                "FDL312",
                "semantic.timeout-owner",
                loc,
                f"'timeout {timer_name.text}' names no entity and no statement before it "
                f"starts {timer_name.text}: write 'timeout {timer_name.text} : ENTITY'",
            )
            owner = ir.Name(timer_name.text, self.ctx.loc(timer))
        return ir.TimerTimeout(entity=owner, timer=timer_name, loc=loc, **end)

    def create(self, children: list[Any]) -> ir.Create:
        """``A creates B(params)``, or ``create B`` with no creator (B creates itself)."""
        children, end = self._split_end(children)
        if _is(children[0], "KW_CREATE"):
            keyword, created, params = children
            name = self._name(created)
            return ir.Create(
                creator=name,
                created=name,
                params=params or (),
                loc=self.ctx.loc(keyword, created),
                **end,
            )
        creator, _kw, created, params = children
        return ir.Create(
            creator=self._name(creator),
            created=self._name(created),
            params=params or (),
            loc=self.ctx.loc(creator, created),
            **end,
        )

    def delete(self, children: list[Any]) -> ir.Delete:
        """``A deletes B``, ``A deletes self``, or ``delete B`` with no deleter."""
        children, end = self._split_end(children)
        if _is(children[0], "KW_DELETE"):
            keyword, deleted = children
            name = self._name(deleted)
            return ir.Delete(deleter=name, deleted=name, loc=self.ctx.loc(keyword, deleted), **end)
        deleter, _kw, deleted = children
        deleter_name = self._name(deleter)
        deleted_name = deleter_name if str(deleted) == "self" else self._name(deleted)
        return ir.Delete(
            deleter=deleter_name,
            deleted=deleted_name,
            loc=self.ctx.loc(deleter, deleted),
            **end,
        )

    # ------------------------------------------------------------ document statements
    def heading(self, children: list[Any]) -> ir.Heading:
        (keyword, text), end = self._split_end(children)
        return ir.Heading(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), **end)

    def remark(self, children: list[Any]) -> ir.Remark:
        (keyword, text), end = self._split_end(children)
        return ir.Remark(text=unquote(str(text)), loc=self.ctx.loc(keyword, text), **end)

    def block_remark(self, children: list[Any]) -> ir.BlockRemark:
        (token,) = children
        text = str(token)
        return ir.BlockRemark(
            text=remark_text(text), lines=verbatim_lines(text[2:-2]), loc=self.ctx.loc(token)
        )

    def pause(self, children: list[Any]) -> ir.Pause:
        (token,), end = self._split_end(children)
        return ir.Pause(loc=self.ctx.loc(token), **end)

    def media_start(self, children: list[Any]) -> ir.MediaStart:
        (keyword, a, _arrow, b, attrs), end = self._split_end(children)
        return ir.MediaStart(
            a=self._name(a),
            b=self._name(b),
            attributes=attrs or (),
            loc=self.ctx.loc(keyword, b),
            **end,
        )

    def media_stop(self, children: list[Any]) -> ir.MediaStop:
        (keyword, _stop, a, _arrow, b), end = self._split_end(children)
        return ir.MediaStop(a=self._name(a), b=self._name(b), loc=self.ctx.loc(keyword, b), **end)

    def mix(self, children: list[Any]) -> ir.Mix:
        (mixer, _kw, *parties), end = self._split_end(children)
        return ir.Mix(
            mixer=self._name(mixer),
            parties=tuple(self._name(p) for p in parties),
            loc=self.ctx.loc(mixer, parties[-1]),
            **end,
        )

    def stop_mixing(self, children: list[Any]) -> ir.StopMixing:
        (mixer, _kw, last), end = self._split_end(children)
        return ir.StopMixing(mixer=self._name(mixer), loc=self.ctx.loc(mixer, last), **end)

    _GROUP_KINDS: ClassVar[dict[str, tuple[ir.GroupKind, str]]] = {
        "KW_PRECONDITIONS": ("preconditions", "Preconditions"),
        "KW_CHAIN": ("chain", "Chain"),
    }

    def sequence(self, children: list[Any]) -> ir.Sequence:
        """``sequence "name" { }``, ``loop "name" { }``, ``preconditions { }``, ``chain { }``."""
        children, end = self._split_end(children)
        keyword = children[0]
        if keyword.type in self._GROUP_KINDS:
            kind, name = self._GROUP_KINDS[keyword.type]
            last, body = keyword, children[1:]
        else:
            kind = "loop" if keyword.type == "KW_LOOP" else "sequence"
            last, body = children[1], children[2:]
            name = unquote(str(last))
        return ir.Sequence(
            name=name,
            body=attach_remarks(body),
            kind=kind,
            loc=self.ctx.loc(keyword, last),
            **end,
        )

    def case(self, children: list[Any]) -> ir.Case:
        (keyword, *legs), end = self._split_end(children)
        return ir.Case(legs=tuple(legs), loc=self.ctx.loc(keyword), **end)

    def leg(self, children: list[Any]) -> ir.Leg:
        keyword, label, *body = children
        return ir.Leg(unquote(str(label)), attach_remarks(body), self.ctx.loc(keyword, label))
