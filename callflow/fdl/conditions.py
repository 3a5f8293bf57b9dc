"""``#if`` and ``#elif`` expressions: a small recursive-descent evaluator, never ``eval``.

An expression is C's subset that EventStudio projects use: integers (decimal, ``0x`` hex,
``0`` octal), macro names (a name that is not defined is 0; a defined one is its value read
as an expression in turn), ``defined NAME`` / ``defined(NAME)``, ``!``, the comparisons,
``&&``, ``||`` and parentheses. It is apart from the preprocessor because it needs nothing
of it but the macro definitions: :func:`evaluate_condition` gives the value, or raises
:class:`ConditionError` with the offsets of the faulty part for the caller to report.
Nesting (parentheses, ``!``, macros whose values name macros) is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from callflow.fdl.macros import FunctionMacro

__all__ = ["ConditionError", "evaluate_condition"]

_EXPR_TOKEN_RE = re.compile(
    r"[ \t]*(?:"
    r"(0[xX][0-9A-Fa-f]+|[0-9]+)[uUlL]*(?![A-Za-z0-9_])"  # 1: an integer
    r"|([A-Za-z_][A-Za-z0-9_]*)"  # 2: a name
    r"|(&&|\|\||==|!=|<=|>=|[!<>()])"  # 3: an operator
    r")"
)


class ConditionError(Exception):
    """A malformed ``#if`` expression, at ``[start, end)`` of its directive (None: the whole)."""

    def __init__(
        self, message: str, start: int | None = None, end: int | None = None, deep: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.deep = deep  # the nesting limit: reported as is, at the outermost name


def evaluate_condition(text: str, offset: int, macros: Mapping[str, str | FunctionMacro]) -> int:
    """The value of the expression ``text`` (which starts at ``offset`` of its directive).

    Raises :class:`ConditionError` when it is malformed, with offsets in the directive.
    """
    return _Expr(text, offset, macros).value()


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
        macros: Mapping[str, str | FunctionMacro],
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
                    raise ConditionError(
                        f"'{word}' is not a number", offset + pos, offset + pos + len(word)
                    )
                raise ConditionError(
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

    def _fail(self, expected: str) -> ConditionError:
        if self.pos < len(self.tokens):
            _, text, start, end = self.tokens[self.pos]
            return ConditionError(f"expected {expected}, found '{text}'", start, end)
        return ConditionError(
            f"expected {expected}, found the end of the line", self.end, self.end + 1
        )

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > _EXPR_NESTING:
            _, _, start, end = self.tokens[min(self.pos, len(self.tokens) - 1)]
            raise ConditionError("the expression is nested too deeply", start, end, deep=True)

    # ------------------------------------------------------------- grammar

    def value(self) -> int:
        if not self.tokens:
            raise ConditionError("needs an expression")
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
        if isinstance(macro, FunctionMacro):
            raise ConditionError(
                f"{name} is a function-like macro; #if can only test it with defined({name})",
                start,
                end,
            )
        value = macro.strip()
        if not value:
            return 1
        if self.depth + 1 > _EXPR_NESTING:
            raise ConditionError(f"{name}'s value nests macros too deeply", start, end, deep=True)
        try:
            return _Expr(value, 0, self.macros, self.seen | {name}, self.depth + 1).value()
        except ConditionError as error:
            if error.deep:
                raise ConditionError(error.message, start, end, deep=True) from None
            raise ConditionError(
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
            raise ConditionError(f"'{text}' is not an octal number (it starts with 0)", start, end)
        return int(text, 8)
    return int(text)
