"""The default text format: ``file:line:col: severity CODE name: message [scenarios]``.

Syntax and preprocessor errors also quote the source line with a caret under the spot,
and show the ``#include`` chain of included files.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from callflow.diagnostics import Diagnostic, Severity
from callflow.report.base import Reporter

#: quoted source lines longer than this are shown as a window around the column
MAX_QUOTED = 120

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


def caret_lines(source_line: str, col: int, end_col: int | None = None) -> list[str]:
    """The quoted line and a caret under column ``col`` (tabs kept so they align).

    Control characters (a binary file's bytes, a stray escape sequence) are shown as
    ``?``, one for one, so they neither reach the terminal nor shift the caret."""
    line = "".join(c if c == "\t" or c.isprintable() else "?" for c in source_line.rstrip("\r\n"))
    width = 1
    if end_col is not None and end_col > col:
        width = min(end_col - col, max(len(line) - col + 1, 1))
    if len(line) > MAX_QUOTED:  # a window around the spot, marked with "..." at cut ends
        start = max(0, min(col - 1 - MAX_QUOTED // 2, len(line) - MAX_QUOTED))
        end = start + MAX_QUOTED
        head = "..." if start > 0 else ""
        line = head + line[start:end] + ("..." if end < len(line) else "")
        col = col - start + len(head)
        width = min(width, MAX_QUOTED)
    prefix = "".join(c if c == "\t" else " " for c in line[: max(col - 1, 0)])
    return [f"    {line}", f"    {prefix}^{'~' * (width - 1)}"]


class TextReporter(Reporter):
    def headline(self, diag: Diagnostic, *, nested: bool = False) -> str:
        """The finding's line; a note attached to another finding (``nested``) is
        ``file:line:col: note: message``."""
        loc = diag.loc
        severity = str(diag.severity)
        if self.color:
            severity = click.style(severity, fg=_COLORS[diag.severity], bold=True)
        if nested and diag.severity is Severity.NOTE:
            return f"{loc.file}:{loc.line}:{loc.col}: {severity}: {diag.message}"
        scenarios = f" [{', '.join(diag.scenarios)}]" if diag.scenarios else ""
        return (
            f"{loc.file}:{loc.line}:{loc.col}: {severity} {diag.code} {diag.name}: "
            f"{diag.message}{scenarios}"
        )

    def lines(self, diag: Diagnostic, *, nested: bool = False) -> list[str]:
        out = [self.headline(diag, nested=nested)]
        if diag.source_line is not None:
            same_line = diag.loc.end_line == diag.loc.line
            out += caret_lines(
                diag.source_line, diag.loc.col, diag.loc.end_col if same_line else None
            )
        for include in diag.loc.included_from:
            out.append(f"    included from {include.file}:{include.line}:{include.col}")
        for note in diag.notes:
            out += self.lines(note, nested=True)
        return out

    def render(self, diagnostics: Sequence[Diagnostic]) -> str:
        text = "\n".join(line for diag in diagnostics for line in self.lines(diag))
        return text + "\n" if text else ""
