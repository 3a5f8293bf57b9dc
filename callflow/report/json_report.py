"""``--format json``: a list of objects, one per diagnostic (documented in docs/cli.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from callflow.diagnostics import Diagnostic
from callflow.report.base import Reporter


def diagnostic_to_dict(diag: Diagnostic) -> dict[str, Any]:
    loc = diag.loc
    return {
        "file": loc.file,
        "line": loc.line,
        "col": loc.col,
        "end_line": loc.end_line,
        "end_col": loc.end_col,
        "severity": str(diag.severity),
        "code": diag.code,
        "name": diag.name,
        "message": diag.message,
        "scenarios": list(diag.scenarios),
    }


class JsonReporter(Reporter):
    def render(self, diagnostics: Sequence[Diagnostic]) -> str:
        return json.dumps([diagnostic_to_dict(d) for d in diagnostics], indent=2) + "\n"
