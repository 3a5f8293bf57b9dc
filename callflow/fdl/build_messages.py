"""IR builder rules for messages: names and status lines, parameters, arrows, cascades,
tagged ends, multicasts, and EventStudio's method calls (``invokes`` / ``returns``)."""

from __future__ import annotations

import re
from typing import Any

from callflow import ir
from callflow.fdl.build_common import BuilderBase, Several, amend, is_kind, unquote

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


class MessageRules(BuilderBase):
    """The rule methods that build :class:`~callflow.ir.Message` statements."""

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
        if len(words) == 1 and is_kind(words[0], "STRING"):
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
        if not is_kind(token, "TAGGED"):
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
            if is_kind(item, "ARROW"):
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
            amend(built, remark=None, link=None)
        for built in messages:
            amend(built, cascade=True)
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
