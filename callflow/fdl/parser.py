"""The FDL parser: one cached Lark LALR parser, friendly syntax errors, and recovery.

Syntax errors say what was expected in words, quote the line and put a caret under the
spot. Statements are line based, so after an error the parser blanks the offending
statement's lines and parses again, reporting several errors in one run.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from callflow import ir
from callflow.diagnostics import Diagnostic, FatalInputError, Severity
from callflow.fdl.build_ir import BuildContext, IRBuilder, LooseRemark, attach_remarks
from callflow.fdl.preprocess import PreprocessedSource

#: how many syntax errors one run reports before giving up
MAX_SYNTAX_ERRORS = 20

_LOCK = threading.Lock()


def grammar_text() -> str:
    """The FDL grammar shipped as package data (``grammars/fdl.lark``)."""
    return resources.files("callflow.grammars").joinpath("fdl.lark").read_text(encoding="utf-8")


def _cython_plugins() -> dict[str, Any] | None:
    """lark-cython's LALR parser and lexer, when installed and not disabled."""
    if os.environ.get("CALLFLOW_NO_CYTHON"):
        return None
    return _load_cython()


@cache
def _load_cython() -> dict[str, Any] | None:
    try:
        import lark_cython  # type: ignore[import-not-found]
    except ImportError:
        return None
    return lark_cython.plugins  # type: ignore[no-any-return]


def fdl_parser() -> tuple[Lark, IRBuilder]:
    """The parser instance (lark-cython's when available, see :func:`using_cython`)."""
    return build_parser(cython=using_cython())


@cache
def build_parser(*, cython: bool) -> tuple[Lark, IRBuilder]:
    """One cached parser per flavour. Building the LALR tables costs ~60 ms, a sixth of
    `callflow check` on a small file: Lark keeps them in a per-user file in the temporary
    folder (keyed by the grammar, the options and the Lark and Python versions) and loads
    them in ~7 ms in every later process. ``CALLFLOW_NO_LARK_CACHE=1`` builds them afresh."""
    builder = IRBuilder()
    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": "contextual",
        "transformer": builder,
        "propagate_positions": False,
        "maybe_placeholders": True,
        "cache": not os.environ.get("CALLFLOW_NO_LARK_CACHE"),
    }
    if cython:
        plugins = _load_cython()
        if plugins is None:
            raise RuntimeError("lark-cython is not installed")
        options["_plugins"] = plugins
    return Lark(grammar_text(), **options), builder


def using_cython() -> bool:
    """Whether the cached parser runs on lark-cython (reported by the benchmarks)."""
    return _cython_plugins() is not None


# --------------------------------------------------------------------------- error words

_TERMINAL_WORDS = {
    "IDENT": "a name",
    "INT": "a number",
    "VALUE_WORD": "a value",
    "REASON_WORD": "a reason phrase",
    "DURATION": "a duration such as 500ms, 32s or 2m",
    "STRING": 'a string in double quotes ("...")',
    "REMARK": "a remark (* ... *)",
    "ARROW": "'->'",
    "LOST_ARROW": "'-x'",
    "MEDIA_ARROW": "'<->'",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
}

_STATEMENT_STARTS = {"KW_HEADING", "KW_REMARK", "KW_MEDIA", "KW_TIMEOUT", "KW_SEQUENCE"}
_TOP_STARTS = {"KW_TITLE", "KW_OPTION", "KW_FEATURE", "KW_SYSTEM", "KW_ETERNAL"}


def _terminal_word(name: str) -> str:
    if name.startswith("KW_"):
        return "'" + name[3:].lower() + "'"
    return _TERMINAL_WORDS.get(name, name)


def _found_word(token: Any) -> str:
    kind = getattr(token, "type", None)
    if kind in ("_NL", "$END"):
        return _TERMINAL_WORDS[kind]
    text = str(token)
    if kind == "STRING":
        return "a string"
    if len(text) > 30:
        text = text[:27] + "..."
    return f"'{text}'"


#: terminals every statement or declaration may end with (EventStudio's link and remark
#: forms): listing them in every "expected ..." would drown what is missing
_QUIET = {"LINK", "REMARK", "PCT_REMARK", "BAR_REMARK", "VBAR", "TAGGED"}


def expected_in_words(expected: Iterable[str]) -> str:
    """Describe what the parser expected, the way a user thinks of it."""
    names = set(expected)
    if names - _QUIET:
        names -= _QUIET
    if "IDENT" in names:
        names.discard("STRING")  # a quoted name is a name too
    if "KW_IN" in names:
        names.discard("COLON")  # a declaration's `: Type` is EventStudio's, and optional
    if "COLON" in names and ("LPAR" in names or "REASON_WORD" in names or "KW_TAKES" in names):
        return "a message needs ':' and a 'from -> to' part (NAME(params) : A -> B)"
    if "ARROW" in names and "_NL" not in names:
        return "expected '->' (or '-x' for a lost message) between the sender and the receiver"
    if "MEDIA_ARROW" in names:
        return "expected '<->' between the two media endpoints (media A <-> B)"
    if "REASON_WORD" in names:
        return "a status line needs a reason phrase (200 OK, 183 Session Progress)"
    if names >= _STATEMENT_STARTS:
        return (
            "expected a statement: a message 'NAME : A -> B', 'A takes action \"...\"', "
            "a timer, resource or state statement, or heading, remark, media, sequence, case"
            + (", leg or '}'" if "KW_LEG" in names else (" or '}'" if "RBRACE" in names else ""))
        )
    if names >= _TOP_STARTS:
        return (
            "expected a declaration (system:, subsystem:, module:, eternal:, dynamic:), "
            "title, option, remark, feature or case"
        )
    if names == {"KW_LEG", "RBRACE"} or names == {"KW_LEG", "RBRACE", "_NL"}:
        return "expected 'leg \"name\":' or '}' inside a case"
    words = sorted({_terminal_word(n) for n in names})
    if len(words) == 1:
        return f"expected {words[0]}"
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]


# --------------------------------------------------------------------------- parsing

_BRACES = re.compile(r'"(?:[^"\\\n]|\\.)*"|\(\*[\s\S]*?\*\)|[{}]')


def _unclosed_brace(text: str) -> tuple[int, int] | None:
    """(line, col) of the last '{' that is never closed, ignoring strings and remarks."""
    stack: list[int] = []
    for match in _BRACES.finditer(text):
        token = match.group()
        if token == "{":
            stack.append(match.start())
        elif token == "}" and stack:
            stack.pop()
    if not stack:
        return None
    offset = stack[-1]
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


_FEATURE_WORD = re.compile(r"[ \t]*feature(?![A-Za-z0-9_])")


def _unclosed_brace_error(
    source: PreprocessedSource, loc: ir.SourceLocation, brace: tuple[int, int], message: str
) -> Diagnostic:
    """FDL104 at ``loc`` with a note at the '{' (``message`` ends with 'at line')."""
    open_loc = source.locate(*brace)
    note = Diagnostic(
        "FDL104",
        "syntax.unclosed-brace",
        Severity.NOTE,
        open_loc,
        "'{' opened here",
        source_line=source.source_line(open_loc),
    )
    return Diagnostic(
        "FDL104",
        "syntax.unclosed-brace",
        Severity.ERROR,
        loc,
        f"{message} {open_loc.line}",
        source_line=source.source_line(loc),
        notes=(note,),
    )


def _end_of_input(text: str) -> tuple[int, int]:
    """(line, col) just past the last character that is not white space (clang's spot
    for "expected '}'"), or (1, 1) for a blank text."""
    end = len(text.rstrip())
    if end == 0:
        return 1, 1
    line = text.count("\n", 0, end) + 1
    col = end - (text.rfind("\n", 0, end) + 1) + 1
    return line, col


def _statement_first_line(lines: list[str], line: int) -> int:
    """The first line of the statement that contains ``line`` (continuations end in
    ',', '(' or '[', or leave a bracket open)."""
    first = line
    while first > 1 and first - line < 50:
        above = lines[first - 2].rstrip()
        depth = above.count("(") + above.count("[") - above.count(")") - above.count("]")
        if above.endswith((",", "(", "[")) or depth > 0:
            first -= 1
        else:
            break
    return first


#: the remarks that may span lines, by their opening pair
_CLOSERS = {"(*": "*)", "|*": "*|", "|=": "=|"}


def _remark_opener(text: str, pos: int) -> str | None:
    """The remark opener (``(*``, ``|*``, ``|=``) that starts at ``pos``, if any."""
    pair = text[pos : pos + 2]
    return pair if pair in _CLOSERS else None


class _SyntaxErrorFound(Exception):
    def __init__(self, diagnostic: Diagnostic, line: int, stop: bool) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.line = line
        self.stop = stop


def _describe(error: UnexpectedInput, source: PreprocessedSource, text: str) -> _SyntaxErrorFound:
    """Turn Lark's exception into a located, worded diagnostic."""
    line = getattr(error, "line", 1) or 1
    col = getattr(error, "column", 1) or 1
    stop = False
    if isinstance(error, UnexpectedToken):
        token = error.token
        kind = token.type
        if kind == "$END":
            brace = _unclosed_brace(text)
            last_line, last_col = _end_of_input(source.text)
            loc = source.locate(last_line, last_col)
            if brace is not None:
                diag = _unclosed_brace_error(
                    source, loc, brace, "the file ends before '}' closes the block opened at line"
                )
            else:
                diag = Diagnostic(
                    "FDL101",
                    "syntax.unexpected",
                    Severity.ERROR,
                    loc,
                    "unexpected end of the file: " + expected_in_words(error.expected),
                    source_line=source.source_line(loc),
                )
            return _SyntaxErrorFound(diag, last_line, stop=True)
        line, col = token.line, token.column
        opener = _remark_opener(text, token.start_pos or 0)
        if opener is not None:
            code, name = "FDL103", "syntax.unterminated-remark"
            loc = source.locate(line, col)
            message = f"unterminated remark: '{opener}' has no closing '{_CLOSERS[opener]}'"
            diag = Diagnostic(
                code, name, Severity.ERROR, loc, message, source_line=source.source_line(loc)
            )
            return _SyntaxErrorFound(diag, line, stop=True)
        if "KW_TAKES" in error.expected or kind == "KW_FEATURE":  # after a first name
            start = text.rfind("\n", 0, token.start_pos or 0) + 1
            feature = _FEATURE_WORD.match(text, start)
            brace = _unclosed_brace(text[:start]) if feature else None
            if feature and brace is not None:  # 'feature' read as a name inside a block
                loc = source.locate(line, feature.end() - len("feature") - start + 1)
                diag = _unclosed_brace_error(
                    source,
                    loc,
                    brace,
                    "a feature cannot start inside a block: '}' is missing "
                    "before this line to close the block opened at line",
                )
                return _SyntaxErrorFound(diag, line, stop=True)
        wanted = expected_in_words(error.expected)
        if str(token)[:1].isdigit() and "DURATION" in error.expected:
            wanted = "a duration needs a unit: ms, s or m (500ms, 32s, 2m)"
        if str(token) in ("{", "}"):
            stop = True
        message = f"{wanted}; found {_found_word(token)}"
        if set(error.expected) >= _TOP_STARTS and (
            kind in _STATEMENT_STARTS or str(token)[:1].isalnum()
        ):
            message += ' (statements go inside a feature "name" { ... })'
        code, name = "FDL101", "syntax.unexpected"
        if kind == "_NL" and "STRING" in error.expected and len(error.expected) <= 2:
            message = f"{wanted}; found the end of the line"
    elif isinstance(error, UnexpectedCharacters):
        char = error.char
        allowed = error.allowed or set()
        if char == '"':
            code, name = "FDL103", "syntax.unterminated-string"
            message = "unterminated string: a string must end with '\"' on the same line"
        elif (opener := _remark_opener(text, error.pos_in_stream)) is not None:
            code, name = "FDL103", "syntax.unterminated-remark"
            message = f"unterminated remark: '{opener}' has no closing '{_CLOSERS[opener]}'"
            stop = True
        elif char.isdigit() and "DURATION" in allowed:
            code, name = "FDL102", "syntax.unexpected-character"
            message = "a duration needs a unit: ms, s or m (500ms, 32s, 2m)"
        else:
            code, name = "FDL102", "syntax.unexpected-character"
            shown = repr(char) if not char.isprintable() or char == "'" else f"'{char}'"
            message = f"{expected_in_words(allowed)}; found {shown}"
        if char in "{}":
            stop = True
    else:  # pragma: no cover - other Lark errors are not raised by LALR
        code, name, message = "FDL101", "syntax.unexpected", str(error)
    loc = source.locate(line, col)
    diag = Diagnostic(code, name, Severity.ERROR, loc, message, source_line=source.source_line(loc))
    return _SyntaxErrorFound(diag, line, stop)


def _parse_once(text: str, source: PreprocessedSource) -> tuple[list[Any], list[Diagnostic]]:
    lark, builder = fdl_parser()
    ctx = BuildContext(source)
    with _LOCK:
        builder.ctx = ctx
        try:
            items = lark.parse(text)
        except UnexpectedInput as error:
            raise _describe(error, source, text) from None
        except VisitError as error:  # an IR builder bug, not a user error: keep the cause
            raise error.orig_exc from error
        finally:
            del builder.ctx
    return items, ctx.diagnostics


def parse_tokens_to_items(source: PreprocessedSource) -> tuple[list[Any] | None, list[Diagnostic]]:
    """Parse preprocessed text into top-level IR items, recovering after syntax errors."""
    text = source.text
    syntax: list[Diagnostic] = []
    lines: list[str] | None = None
    while True:
        try:
            items, diagnostics = _parse_once(text, source)
        except _SyntaxErrorFound as found:
            syntax.append(found.diagnostic)
            if found.stop or len(syntax) >= MAX_SYNTAX_ERRORS:
                return None, syntax
            if lines is None:
                lines = text.split("\n")
            first = _statement_first_line(lines, found.line)
            if any(c in lines[i - 1] for i in range(first, found.line + 1) for c in "{}"):
                return None, syntax
            for i in range(first, found.line + 1):
                lines[i - 1] = ""
            text = "\n".join(lines)
            continue
        if syntax:
            return None, syntax + diagnostics
        return items, diagnostics


def assemble_flow(
    path: str, items: list[Any], source: PreprocessedSource
) -> tuple[ir.Flow, list[Diagnostic]]:
    """Collect top-level items into a :class:`Flow` (semantic checks come after)."""
    diagnostics: list[Diagnostic] = []
    title: str | None = None
    title_loc: ir.SourceLocation | None = None
    options: list[ir.Option] = []
    groups: list[ir.Group] = []
    entities: list[ir.Entity] = []
    intro: list[ir.Remark] = []
    body: list[ir.Feature | ir.FileCase] = []
    separators: list[ir.Separator] = []
    styles: list[ir.StyleDef] = []
    for item in items:
        if isinstance(item, tuple) and item[0] == "title":
            if title is not None:
                diagnostics.append(
                    Diagnostic(
                        "FDL301",
                        "semantic.duplicate-name",
                        Severity.ERROR,
                        item[2],
                        f"the title is given twice (first at line {title_loc.line})"
                        if title_loc
                        else "the title is given twice",
                        source_line=source.source_line(item[2]),
                    )
                )
            else:
                title, title_loc = item[1], item[2]
        elif isinstance(item, ir.Option):
            options.append(item)
        elif isinstance(item, ir.StyleDef):
            styles.append(item)
        elif isinstance(item, list):
            for node in item:
                if isinstance(node, ir.Separator):
                    separators.append(replace(node, position=len(entities)))
                elif isinstance(node, ir.Entity):
                    entities.append(node)
                else:
                    groups.append(node)
        elif isinstance(item, LooseRemark):
            # a remark line between features belongs to the feature before it (EventStudio
            # attaches a remark to the statement before it); before any, the introduction
            if body and isinstance(body[-1], ir.Feature):
                feature = body[-1]
                body[-1] = replace(feature, body=attach_remarks([*feature.body, item]))
            elif body:
                diagnostics.append(
                    Diagnostic(
                        "FDL310",
                        "semantic.unsupported",
                        Severity.WARNING,
                        item.loc,
                        "a remark right after a file-level case belongs to no statement: "
                        "callflow does not draw it (move it into a feature)",
                        source_line=source.source_line(item.loc),
                    )
                )
            else:
                intro.append(ir.Remark(text=item.text, loc=item.loc))
        elif isinstance(item, ir.Remark):
            if body:
                diagnostics.append(
                    Diagnostic(
                        "FDL309",
                        "semantic.misplaced-remark",
                        Severity.ERROR,
                        item.loc,
                        "a file-level remark must come before the first feature "
                        "(put it inside a feature to show it in the diagram)",
                        source_line=source.source_line(item.loc),
                    )
                )
            else:
                intro.append(item)
        else:
            body.append(item)
    flow = ir.Flow(
        path=path,
        title=title,
        title_loc=title_loc,
        options=tuple(options),
        architecture=ir.Architecture(tuple(groups), tuple(entities), tuple(separators)),
        introduction=tuple(intro),
        body=tuple(body),
        suppressions=source.suppressions,
        styles=tuple(styles),
    )
    return flow, diagnostics


def parse_preprocessed(
    path: str, source: PreprocessedSource
) -> tuple[ir.Flow | None, list[Diagnostic]]:
    """Parse preprocessed source into a Flow (None when a syntax error stops it)."""
    try:
        items, diagnostics = parse_tokens_to_items(source)
    except FatalInputError as fatal:
        return None, fatal.diagnostics
    if items is None:
        return None, diagnostics
    flow, more = assemble_flow(path, items, source)
    return flow, diagnostics + more
