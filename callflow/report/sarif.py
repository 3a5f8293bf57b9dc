"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver`` is callflow with its version and every rule of the registry
(id = code, name = dotted name, shortDescription = summary, fullDescription and help =
the rule's documentation, ``properties.source`` = the RFC section it comes from,
``defaultConfiguration.level`` = its default severity), followed by the codes of any
other finding (``FDL1xx`` syntax errors...). Each result has ``ruleId``, ``ruleIndex``,
``level`` (error, warning, note), ``message.text`` (with the scenarios, as in the text
format), and one location: the file as a relative URI against ``%SRCROOT%`` (the current
directory; absolute paths outside it become ``file://`` URIs) and the region
(``startLine``/``startColumn``/``endLine``/``endColumn``; columns count Unicode code
points, end exclusive). ``#include`` chains and notes become ``relatedLocations``.

The output depends only on the findings and the current directory: no timestamps, no
absolute paths for files under the current directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from callflow import __version__
from callflow.check.registry import Rule
from callflow.diagnostics import Diagnostic, Severity
from callflow.ir import SourceLocation
from callflow.report.base import Reporter
from callflow.report.rules_doc import doc_text, severity_label

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _family(code: str) -> str:
    return code.rstrip("0123456789")


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    doc = doc_text(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc},
        "help": {
            "text": f"{doc}\n\nSource: {rule.source}",
            "markdown": f"**{rule.code} `{rule.name}`**, {severity_label(rule)}.\n\n"
            f"{doc}\n\n**Source.** {rule.source}",
        },
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "source": rule.source,
            "tags": [_family(rule.code), rule.name.split(".")[0]],
            "scope": rule.scope,
            "atScenarioEnd": rule.at_scenario_end,
        },
    }


def _other_descriptor(diag: Diagnostic) -> dict[str, Any]:
    """A code that is not a rule (FDL syntax, preprocessor and semantic errors)."""
    return {
        "id": diag.code,
        "name": diag.name,
        "shortDescription": {"text": diag.name},
        "defaultConfiguration": {"level": LEVELS[diag.severity]},
        "properties": {"tags": [_family(diag.code)]},
    }


class SarifReporter(Reporter):
    def __init__(self, *, color: bool = False, base: str | os.PathLike[str] | None = None) -> None:
        super().__init__(color=False)  # JSON: never coloured
        self.base = base

    def artifact(self, file: str) -> dict[str, str] | None:
        if not file or file.startswith("<"):
            return None  # <string>, <unknown>: no file to point at
        base = Path(self.base) if self.base is not None else Path.cwd()
        path = Path(file)
        if path.is_absolute():
            try:
                path = path.relative_to(base)
            except ValueError:
                return {"uri": path.as_uri()}
        relative = os.path.normpath(path).replace(os.sep, "/")
        if relative == ".." or relative.startswith("../"):
            return {"uri": (base / path).resolve().as_uri()}
        return {"uri": quote(relative), "uriBaseId": SRCROOT}

    def location(self, loc: SourceLocation, message: str | None = None) -> dict[str, Any] | None:
        artifact = self.artifact(loc.file)
        if artifact is None:
            return None
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if loc.line > 0:
            region: dict[str, int] = {"startLine": loc.line}
            if loc.col > 0:
                region["startColumn"] = loc.col
            if loc.end_line >= loc.line and loc.end_col > 0:
                region["endLine"] = loc.end_line
                if loc.end_line > loc.line or loc.end_col > max(loc.col, 0):
                    region["endColumn"] = loc.end_col
            physical["region"] = region
        found: dict[str, Any] = {"physicalLocation": physical}
        if message is not None:
            found["message"] = {"text": message}
        return found

    def result(self, diag: Diagnostic, index: int) -> dict[str, Any]:
        scenarios = f" [{', '.join(diag.scenarios)}]" if diag.scenarios else ""
        result: dict[str, Any] = {
            "ruleId": diag.code,
            "ruleIndex": index,
            "level": LEVELS[diag.severity],
            "message": {"text": diag.message + scenarios},
        }
        where = self.location(diag.loc)
        if where is not None:
            result["locations"] = [where]
        related = [self.location(i, "included from here") for i in diag.loc.included_from]
        related += [self.location(n.loc, n.message) for n in diag.notes]
        related = [r for r in related if r is not None]
        if related:
            result["relatedLocations"] = [{"id": i, **r} for i, r in enumerate(related, 1)]
        result["properties"] = {"name": diag.name, "scenarios": list(diag.scenarios)}
        return result

    def render(self, diagnostics: Sequence[Diagnostic]) -> str:
        from callflow.check import known_rules

        descriptors = [rule_descriptor(r) for r in known_rules()]
        index = {d["id"]: i for i, d in enumerate(descriptors)}
        others: dict[str, Diagnostic] = {}
        for diag in diagnostics:
            if diag.code not in index:
                others.setdefault(diag.code, diag)
        for code in sorted(others):
            index[code] = len(descriptors)
            descriptors.append(_other_descriptor(others[code]))
        log = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "callflow",
                            "version": __version__,
                            "semanticVersion": __version__,
                            "rules": descriptors,
                        }
                    },
                    "columnKind": "unicodeCodePoints",
                    "results": [self.result(d, index[d.code]) for d in diagnostics],
                }
            ],
        }
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
