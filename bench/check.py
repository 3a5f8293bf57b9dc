"""Checker speed: every rule over generated flows, beyond parsing.

Usage::

    python bench/check.py [--sizes 1000,5000,20000] [--repeat 3] [--per-rule N]

For each size N it generates a check-clean flow with ``bench/gen_flow.py``, parses it
once, then reports the median of ``--repeat`` runs of

* ``expand``: scenario expansion with call resolution (``expand_scenarios``);
* ``beyond``: expansion and then every registered rule (``check_flow``, as ``callflow
  check`` runs it: SIP models built once per scenario and shared, merging,
  suppressions): what ``callflow check`` spends after parsing;
* ``rules``: ``beyond`` less ``expand``;

with messages per second, the growth from one size to the next (linear growth is 5.0
from 1000 to 5000 and 4.0 from 5000 to 20000; the per-message time should stay flat),
and ratios against baselines measured **in the same run**: the parse (``parse_file``:
preprocess, parse, IR) of the same flow, and scenario expansion alone. The machines are
shared and noisy, so the ratios are the figures to compare across runs. The target is
``beyond`` <= 0.3 s for 5000 messages. ``--per-rule N`` adds the N slowest rules at the
largest size (each run on its own over models built beforehand, plus the model build).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_flow import generate  # noqa: E402

from callflow import ir  # noqa: E402
from callflow.check import check_flow  # noqa: E402
from callflow.check.registry import CheckContext, Rule, all_rules  # noqa: E402
from callflow.fdl import parse_file  # noqa: E402
from callflow.scenarios import expand_scenarios  # noqa: E402

TARGET_N, TARGET_SECONDS = 5000, 0.3


def median_time(
    func: Callable[..., object], repeat: int, setup: Callable[[], object] | None = None
) -> float:
    """Median seconds of ``func()`` (or ``func(setup())``, setup untimed); the collector
    is emptied before each run so that one run's garbage is not charged to the next."""
    times = []
    for _ in range(repeat):
        args = () if setup is None else (setup(),)
        gc.collect()
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def beyond_parsing(flow: ir.Flow) -> list[object]:
    """What ``callflow check`` does after parsing: expand, then run every rule."""
    return check_flow(flow, expand_scenarios(flow).scenarios)


def measure(n: int, folder: Path, repeat: int) -> tuple[dict[str, float], ir.Flow]:
    path = folder / f"gen{n}.fdl"
    path.write_text(generate(n), encoding="utf-8")
    result = parse_file(path)
    assert result.ok and result.flow is not None, result.diagnostics[:3]
    flow = result.flow
    scenarios = expand_scenarios(flow).scenarios
    messages = sum(len(s.messages()) for s in scenarios)
    assert messages == n, (messages, n)
    findings = check_flow(flow, scenarios)
    if findings:  # the generated flow is meant to be clean: say so, but still time it
        codes = sorted({f.code for f in findings})
        print(f"note: {len(findings)} finding(s) on the {n}-message flow: {', '.join(codes)}")
    times = {
        "parse": median_time(lambda: parse_file(path), repeat),
        "expand": median_time(lambda: expand_scenarios(flow), repeat),
        "beyond": median_time(lambda: beyond_parsing(flow), repeat),
    }
    # the rules alone: fresh scenarios each time, as callflow check has them
    times["rules"] = max(times["beyond"] - times["expand"], 0.0)
    return times, flow


def per_rule(flow: ir.Flow, repeat: int, top: int) -> None:
    """The slowest rules, each run alone on freshly built SIP models (build untimed).

    Rules share the parts of the SIP model they ask for (``model.part(...)``), so a rule
    alone is charged for the parts it needs: the column adds up to more than ``rules``."""
    scenarios = expand_scenarios(flow).scenarios

    def build() -> CheckContext:
        ctx = CheckContext.for_flow(flow)
        for scenario in scenarios:
            ctx.sip(scenario)
        return ctx

    model_time = median_time(build, repeat)
    rows = []
    for rule_class in all_rules():
        rule = rule_class()

        def run(ctx: CheckContext, rule: Rule = rule) -> None:
            if rule.scope == "file":
                list(rule.check_flow(flow, ctx))
            else:
                for scenario in scenarios:
                    list(rule.check_scenario(scenario, ctx))

        rows.append((median_time(run, repeat, setup=build), rule_class.code, rule_class.name))
    rows.sort(reverse=True)
    print(f"\nslowest rules at {sum(len(s.messages()) for s in scenarios)} messages:")
    print(f"  {'SIP model build (shared by all rules)':<44} {model_time:>8.4f} s")
    for seconds, code, name in rows[:top]:
        print(f"  {code:<8} {name:<35} {seconds:>8.4f} s")


def run(sizes: list[int], repeat: int, top: int) -> int:
    print(
        f"repeat={repeat} (median); python {sys.version.split()[0]}; "
        f"{len(all_rules())} registered rules"
    )
    header = (
        f"{'N':>6} {'parse s':>8} {'expand s':>9} {'rules s':>8} {'beyond s':>9} "
        f"{'msg/s':>8} {'us/msg':>7} {'beyond/parse':>12} {'rules/expand':>12}"
    )
    print(header)
    print("-" * len(header))
    results: dict[int, dict[str, float]] = {}
    last_flow = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            t, last_flow = measure(n, Path(tmp), repeat)
            results[n] = t
            print(
                f"{n:>6} {t['parse']:>8.3f} {t['expand']:>9.3f} {t['rules']:>8.3f} "
                f"{t['beyond']:>9.3f} {n / t['beyond']:>8.0f} {1e6 * t['beyond'] / n:>7.1f} "
                f"{t['beyond'] / t['parse']:>12.2f} {t['rules'] / max(t['expand'], 1e-9):>12.2f}"
            )
    ordered = sorted(results)
    for small, large in pairwise(ordered):
        grow = results[large]["beyond"] / results[small]["beyond"]
        print(
            f"growth {small} -> {large}: beyond x{grow:.2f} (linear: x{large / small:.2f}); "
            f"per message x{grow * small / large:.2f} (flat: x1.00)"
        )

    if TARGET_N in results:
        beyond = results[TARGET_N]["beyond"]
        verdict = "met" if beyond <= TARGET_SECONDS else "MISSED"
        print(
            f"target: beyond parsing <= {TARGET_SECONDS} s at {TARGET_N}: {beyond:.3f} s, {verdict}"
        )
    if top and last_flow is not None:
        per_rule(last_flow, repeat, top)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-rule", type=int, default=8, metavar="N", help="0: none")
    args = parser.parse_args()
    return run([int(s) for s in args.sizes.split(",")], args.repeat, args.per_rule)


if __name__ == "__main__":
    raise SystemExit(main())
