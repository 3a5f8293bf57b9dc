"""The rule registry as documentation: ``callflow rules``, ``docs/rules.md`` and SARIF.

Everything here is generated from the rules' class attributes (code, name, severity,
summary, source) and docstrings, so the documentation cannot drift from the code.
``docs/rules.md`` is written by ``python scripts/gen_rules_doc.py`` (a test fails when it
is out of date).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence

from callflow.check.registry import Rule

REGENERATE = "python scripts/gen_rules_doc.py"

_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def doc_text(rule: type[Rule]) -> str:
    """The rule's documentation (its docstring), dedented, ``literals`` as Markdown."""
    return _RST_LITERAL.sub(r"`\1`", inspect.cleandoc(rule.__doc__ or "")).strip()


def doc_body(rule: type[Rule]) -> str:
    """:func:`doc_text` without its first paragraph when that only repeats the summary."""
    text = doc_text(rule)
    first, _, rest = text.partition("\n\n")
    if " ".join(first.split()) == " ".join(rule.summary.split()):
        return rest.strip()
    return text


def severity_label(rule: type[Rule]) -> str:
    """``error``, or ``warning (at scenario end)`` for rules evaluated at scenario end."""
    end = " (at scenario end)" if rule.at_scenario_end else ""
    return f"{rule.severity}{end}"


def rule_table(rules: Sequence[type[Rule]]) -> list[str]:
    """Terminal table: code, name, severity, summary (aligned columns)."""
    rows = [("code", "name", "severity", "summary")]
    rows += [(r.code, r.name, str(r.severity), r.summary) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3]])
        for row in rows
    ]


def rule_text(rule: type[Rule]) -> str:
    """Everything about one rule, for the terminal (``callflow rules CODE``)."""
    lines = [
        f"{rule.code} {rule.name}",
        f"severity: {severity_label(rule)}",
        f"checked: {'once per file' if rule.scope == 'file' else 'in every scenario'}",
        f"summary: {rule.summary}",
        f"source: {rule.source}",
    ]
    body = doc_body(rule)
    if body:
        lines += ["", body]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown(rules: Sequence[type[Rule]]) -> str:
    """``docs/rules.md``: an index table, then one section per rule."""
    out = [
        "# Rules",
        "",
        f"<!-- Generated from the rule registry by `{REGENERATE}`: do not edit. -->",
        "",
        "Every rule `callflow check` runs, from the rule registry. `callflow rules` lists",
        "them in a terminal and `callflow rules CODE` shows one. Select and ignore rules by",
        "code prefix or dotted name (`--select SIP2`, `--ignore sdp`), change a severity",
        'in `[tool.callflow]` (`severity = {SIP104 = "error"}`), suppress a finding with',
        "`// callflow: ignore[CODE]` on its statement's line (see `docs/cli.md`).",
        "",
        f"{len(rules)} rules.",
        "",
        "| Code | Name | Severity | Summary |",
        "|---|---|---|---|",
    ]
    for rule in rules:
        out.append(
            f"| [{rule.code}](#{rule.code.lower()}) | `{rule.name}` | "
            f"{severity_label(rule)} | {_cell(rule.summary)} |"
        )
    for rule in rules:
        scope = "once per file" if rule.scope == "file" else "in every scenario"
        out += [
            "",
            f'<a id="{rule.code.lower()}"></a>',
            "",
            f"## {rule.code} `{rule.name}`",
            "",
            f"**Severity:** {severity_label(rule)}. **Checked:** {scope}.",
            "",
            f"**Summary.** {rule.summary}",
        ]
        body = doc_body(rule)
        if body:
            out += ["", body]
        out += ["", f"**Source.** {rule.source}"]
    return "\n".join(out) + "\n"
