"""One type for every problem callflow reports: syntax, preprocessor, semantic, rule.

Stages return diagnostics; none prints or raises them at the user (the CLI does that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from callflow.ir import SourceLocation


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding at a source location.

    ``source_line`` is the text of the line (for the caret display); ``notes`` are extra
    located lines (an unclosed brace points back at where it was opened).
    """

    code: str
    name: str
    severity: Severity
    loc: SourceLocation
    message: str
    scenarios: tuple[str, ...] = ()
    source_line: str | None = field(default=None, compare=False)
    notes: tuple[Diagnostic, ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.loc.file, self.loc.line, self.loc.col, self.code, self.message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position, then code (yamllint's order)."""
    return sorted(diagnostics, key=Diagnostic.sort_key)


def merge_scenarios(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Report findings equal in (code, location, message) once, listing their scenarios.

    The location is the place in the text, whichever ``#include`` chain reached it: a
    finding in a shared include file (an EventStudio project's inc.FDL, read by every
    model) is reported once, with the first chain."""
    merged: dict[tuple[object, ...], Diagnostic] = {}
    order: list[tuple[object, ...]] = []
    for diag in diagnostics:
        loc = diag.loc
        key = (diag.code, loc.file, loc.line, loc.col, loc.end_line, loc.end_col, diag.message)
        seen = merged.get(key)
        if seen is None:
            merged[key] = diag
            order.append(key)
        else:
            scenarios = seen.scenarios + tuple(s for s in diag.scenarios if s not in seen.scenarios)
            merged[key] = Diagnostic(
                seen.code,
                seen.name,
                seen.severity,
                seen.loc,
                seen.message,
                scenarios,
                seen.source_line,
                seen.notes,
            )
    return [merged[key] for key in order]


class FatalInputError(Exception):
    """Raised inside a stage that cannot go on; carries the diagnostics to report.

    Caught by the stage's public function, which returns the diagnostics instead.
    """

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
