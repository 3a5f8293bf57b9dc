"""Reporters: each turns a list of diagnostics into text for one audience.

Formatter classes in the manner of flake8: the CLI picks one by name (``--format``).
"""

from __future__ import annotations

from callflow.report.base import Reporter
from callflow.report.json_report import JsonReporter
from callflow.report.text_report import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
}

__all__ = ["REPORTERS", "JsonReporter", "Reporter", "TextReporter"]
