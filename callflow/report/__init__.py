"""Reporters: each turns a list of diagnostics into text for one audience.

Formatter classes in the manner of flake8: the CLI picks one by name (``--format``).
"""

from __future__ import annotations

from callflow.report.base import Reporter
from callflow.report.github import GithubReporter
from callflow.report.json_report import JsonReporter
from callflow.report.sarif import SarifReporter
from callflow.report.text_report import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
    "sarif": SarifReporter,
}

__all__ = [
    "REPORTERS",
    "GithubReporter",
    "JsonReporter",
    "Reporter",
    "SarifReporter",
    "TextReporter",
]
