"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE name::message [scenarios]``
(``warning`` for warnings, ``notice`` for notes). GitHub shows them on the pull request's
changed lines and in the run's summary. Values are escaped as the runner requires:
``%``, CR and LF in the message; also ``:`` and ``,`` in the properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from callflow.diagnostics import Diagnostic, Severity
from callflow.report.base import Reporter

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message (what follows ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    def annotation(self, diag: Diagnostic, title: str | None = None) -> str:
        loc = diag.loc
        props = [("file", loc.file)]
        if loc.line > 0:
            props.append(("line", str(loc.line)))
            if loc.col > 0:
                props.append(("col", str(loc.col)))
            if loc.end_line > loc.line or (loc.end_line == loc.line and loc.end_col > loc.col):
                props += [("endLine", str(loc.end_line)), ("endColumn", str(loc.end_col))]
        props.append(("title", title or f"{diag.code} {diag.name}"))
        properties = ",".join(f"{key}={escape_property(value)}" for key, value in props)
        scenarios = f" [{', '.join(diag.scenarios)}]" if diag.scenarios else ""
        message = escape_data(diag.message + scenarios)
        return f"::{COMMANDS[diag.severity]} {properties}::{message}"

    def render(self, diagnostics: Sequence[Diagnostic]) -> str:
        lines = []
        for diag in diagnostics:
            lines.append(self.annotation(diag))
            # a note points elsewhere ('{' opened here): its own annotation, same title
            lines += [
                self.annotation(note, f"{diag.code} {diag.name} (note)") for note in diag.notes
            ]
        return "".join(line + "\n" for line in lines)
