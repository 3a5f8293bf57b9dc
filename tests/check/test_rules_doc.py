"""docs/rules.md is generated from the rule registry and must be up to date.

Regenerate it with ``python scripts/gen_rules_doc.py`` (from the repository root).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from callflow.check import known_rules
from callflow.report.rules_doc import REGENERATE, doc_body, rules_markdown

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    expected = rules_markdown(known_rules())
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, (
        f"docs/rules.md is out of date with the rule registry: run `{REGENERATE}` "
        "from the repository root and commit the result"
    )


def test_every_rule_has_a_section_with_its_summary_doc_and_source() -> None:
    text = rules_markdown(known_rules())
    for rule in known_rules():
        assert f'<a id="{rule.code.lower()}"></a>' in text
        assert f"## {rule.code} `{rule.name}`" in text
        assert f"| [{rule.code}](#{rule.code.lower()}) | `{rule.name}` |" in text
        assert f"**Source.** {rule.source}" in text
        assert f"**Summary.** {rule.summary}" in text
        assert doc_body(rule) in text
    assert "``" not in text  # reST literals became Markdown code


def test_flow008_is_documented_although_the_checker_makes_it() -> None:
    assert "## FLOW008 `flow.unused-suppression`" in rules_markdown(known_rules())


def test_the_script_writes_and_checks(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "gen_rules_doc.py"
    target = tmp_path / "rules.md"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), "-o", str(target), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    stale = run("--check")
    assert stale.returncode == 1
    assert REGENERATE in stale.stdout
    assert run().returncode == 0
    assert target.read_text(encoding="utf-8") == rules_markdown(known_rules())
    assert run("--check").returncode == 0
    assert "up to date" in run().stdout
