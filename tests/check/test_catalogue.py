"""The registry implements the whole rule catalogue: codes, names and severities."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callflow.check.citations import CITATIONS
from callflow.check.registry import all_rules

CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "sip-rules.md"


def catalogue_index() -> dict[str, tuple[str, str]]:
    """code -> (dotted name, severity) from the catalogue's rule index table."""
    rows = re.findall(
        r"^\| ((?:SIP|FLOW)\d{3}) \| `([^`]+)` \| (error|warning)",
        CATALOGUE.read_text("utf-8"),
        re.M,
    )
    return {code: (name, severity) for code, name, severity in rows}


@pytest.mark.skipif(
    not CATALOGUE.exists(), reason="the spec folder ../shared is not beside the repo"
)
def test_registry_matches_the_catalogue_index() -> None:
    index = catalogue_index()
    assert len(index) == 45
    registry = {r.code: (r.name, str(r.severity)) for r in all_rules()}
    assert registry == index


def test_every_rule_is_documented_with_its_source() -> None:
    for rule in all_rules():
        assert rule.summary and rule.doc(), rule.code
        assert rule.source == CITATIONS[rule.code], rule.code
