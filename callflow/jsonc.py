"""JSON with comments, read with the line and column of every value.

EventStudio writes ``project.scn.json`` as JSON with ``/* */`` and ``//`` comments and
trailing commas, which :mod:`json` refuses; and a checker of what the file says wants to
point at the value it complains about (``file:line:col``, the line quoted, like an FDL
error), which :mod:`json` cannot tell it. :func:`parse_json` reads such text into
:class:`JsonValue` nodes that keep their span, and raises :class:`JsonError` with a worded
message and a position when the text is not JSON. The reader knows nothing of projects:
it is general JSON-with-comments, kept apart from the project model that uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonError", "JsonValue", "normalise", "parse_json"]


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A JSON value with the span it was read from (1-based; end exclusive).

    ``value`` is the Python value for scalars, a list of :class:`JsonValue` for an
    array, and a list of ``(key, value)`` pairs of :class:`JsonValue` for an object (in
    file order, duplicates kept, so a checker can report them).
    """

    kind: str  # "object", "array", "string", "number", "bool", "null"
    value: Any
    line: int
    col: int
    end_line: int
    end_col: int

    def members(self) -> list[tuple[JsonValue, JsonValue]]:
        return self.value if self.kind == "object" else []

    def items(self) -> list[JsonValue]:
        return self.value if self.kind == "array" else []

    def plain(self) -> Any:
        """The value as plain Python (dict, list, str, int/float, bool, None)."""
        if self.kind == "object":
            return {k.value: v.plain() for k, v in self.value}
        if self.kind == "array":
            return [item.plain() for item in self.value]
        return self.value


class JsonError(Exception):
    """Where and why a text is not JSON (``line``/``col`` 1-based, ``length`` >= 1)."""

    def __init__(self, message: str, line: int, col: int, length: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.length = length


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MAX_DEPTH = 200


class _JsonReader:
    """Recursive descent over JSON with ``/* */`` and ``//`` comments and trailing commas."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # -- positions
    def where(self, index: int) -> tuple[int, int]:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:  # the last line start <= index
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, index - self.line_starts[lo] + 1

    def fail(self, message: str, index: int | None = None, length: int = 1) -> JsonError:
        line, col = self.where(self.pos if index is None else index)
        return JsonError(message, line, col, max(1, length))

    def found(self) -> str:
        """What stands at the current position, for an error message."""
        if self.pos >= len(self.text):
            return "the end of the file"
        word = _WORD.match(self.text, self.pos)
        if word:
            return f"'{word.group()}'"
        char = self.text[self.pos]
        if char == "\n":
            return "the end of the line"
        if char == "'":
            return "a single quote (JSON strings use double quotes)"
        return f"'{char}'" if char.isprintable() else f"the character U+{ord(char):04X}"

    def found_length(self) -> int:
        word = _WORD.match(self.text, self.pos)
        return len(word.group()) if word else 1

    def value_node(self, kind: str, value: Any, start: int) -> JsonValue:
        line, col = self.where(start)
        end_line, end_col = self.where(self.pos)
        return JsonValue(kind, value, line, col, end_line, end_col)

    # -- lexing
    def skip(self) -> None:
        """Skip whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\n\r\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("this /* comment is never closed with */", length=2)
                self.pos = end + 2
            else:
                return

    def document(self) -> JsonValue:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("the file is empty: expected a JSON object ({ ... })")
        node = self.value(0)
        self.skip()
        if self.pos < len(self.text):
            raise self.fail(
                f"expected the end of the file after the JSON value; found {self.found()}",
                length=self.found_length(),
            )
        return node

    def value(self, depth: int) -> JsonValue:
        if depth > _MAX_DEPTH:
            raise self.fail(f"values are nested more than {_MAX_DEPTH} deep")
        text, start = self.text, self.pos
        char = text[start] if start < len(text) else ""
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return self.value_node("string", self.string(), start)
        number = _NUMBER.match(text, start)
        if number:
            self.pos = number.end()
            literal = number.group()
            parsed: int | float = (
                float(literal) if any(c in literal for c in ".eE") else int(literal)
            )
            return self.value_node("number", parsed, start)
        word = _WORD.match(text, start)
        if word and word.group() in ("true", "false", "null"):
            self.pos = word.end()
            if word.group() == "null":
                return self.value_node("null", None, start)
            return self.value_node("bool", word.group() == "true", start)
        raise self.fail(
            "expected a value (an object, array, string, number, true, false or null); "
            f"found {self.found()}",
            length=self.found_length(),
        )

    def string(self) -> str:
        text, start = self.text, self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise self.fail("this string is not closed with '\"' on its line", start)
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                escape = text[self.pos + 1 : self.pos + 2]
                if escape in _ESCAPES:
                    out.append(_ESCAPES[escape])
                    self.pos += 2
                elif escape == "u":
                    out.append(self.unicode_escape())
                else:
                    raise self.fail(
                        "unknown escape in a string: use \\\\ for a backslash "
                        '(\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t, \\uXXXX)',
                        length=2,
                    )
            elif ord(char) < 0x20:
                raise self.fail(
                    f"a control character (U+{ord(char):04X}) inside a string: write it "
                    "as an escape such as \\t"
                )
            else:
                out.append(char)
                self.pos += 1

    def unicode_escape(self) -> str:
        digits = self.text[self.pos + 2 : self.pos + 6]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            raise self.fail("\\u needs four hexadecimal digits", length=2)
        code = int(digits, 16)
        self.pos += 6
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            low = self.text[self.pos + 2 : self.pos + 6]
            if re.fullmatch(r"[0-9A-Fa-f]{4}", low) and 0xDC00 <= int(low, 16) < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        if 0xD800 <= code < 0xE000:
            return "\ufffd"  # a lone surrogate cannot be text
        return chr(code)

    def object(self, depth: int) -> JsonValue:
        start = self.pos
        self.pos += 1
        members: list[tuple[JsonValue, JsonValue]] = []
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return self.value_node("object", members, start)
            if not self.text.startswith('"', self.pos):
                raise self.fail(
                    f"expected a key in double quotes or '}}'; found {self.found()}",
                    length=self.found_length(),
                )
            key_start = self.pos
            key = self.value_node("string", self.string(), key_start)
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail(
                    f"expected ':' after the key \"{key.value}\"; found {self.found()}",
                    length=self.found_length(),
                )
            self.pos += 1
            self.skip()
            members.append((key, self.value(depth + 1)))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                continue
            hint = " (a ',' is missing?)" if self.text.startswith('"', self.pos) else ""
            raise self.fail(
                f"expected ',' or '}}' after the value of \"{key.value}\"; "
                f"found {self.found()}{hint}",
                length=self.found_length(),
            )

    def array(self, depth: int) -> JsonValue:
        start = self.pos
        self.pos += 1
        items: list[JsonValue] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return self.value_node("array", items, start)
            items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                continue
            hint = (
                " (a ',' is missing?)"
                if self.pos < len(self.text) and self.text[self.pos] in '"{[-0123456789'
                else ""
            )
            raise self.fail(
                f"expected ',' or ']' after an array item; found {self.found()}{hint}",
                length=self.found_length(),
            )


def parse_json(text: str) -> JsonValue:
    """Read JSON with comments (``/* */``, ``//``) and trailing commas, keeping positions.

    ``text`` should have LF line ends. Raises :class:`JsonError` with a worded message
    and the 1-based line and column of the problem.
    """
    return _JsonReader(text).document()


def normalise(text: str) -> str:
    """Text as :func:`parse_json` wants it: no byte-order mark, LF line ends."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")
