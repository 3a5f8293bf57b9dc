"""Write docs/rules.md from the rule registry (the one command that regenerates it).

Usage, from the repository root::

    python scripts/gen_rules_doc.py           # rewrite docs/rules.md
    python scripts/gen_rules_doc.py --check   # exit 1 if docs/rules.md is out of date
    python scripts/gen_rules_doc.py -o FILE   # write elsewhere

``tests/check/test_rules_doc.py`` fails when the file is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callflow.check import known_rules  # noqa: E402
from callflow.report.rules_doc import REGENERATE, rules_markdown  # noqa: E402

TARGET = ROOT / "docs" / "rules.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    parser.add_argument("-o", "--output", type=Path, default=TARGET, help="default docs/rules.md")
    args = parser.parse_args(argv)
    target: Path = args.output
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    text = rules_markdown(known_rules())
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{shown} is out of date with the rule registry: run {REGENERATE}")
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {shown} ({len(known_rules())} rules)")
    else:
        print(f"{shown} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
