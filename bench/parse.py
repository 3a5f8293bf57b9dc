"""Front-end speed: preprocess + parse + IR, scenario expansion, design review.

Usage::

    python bench/parse.py [--sizes 1000,5000,20000] [--repeat 3]

For each size N it generates a check-clean flow with ``bench/gen_flow.py`` and reports the
median of ``--repeat`` runs of each stage, messages per second for parse + IR, and
ratios against a **baseline measured in the same run**: Lark's own LALR parser building
a plain parse tree of the same preprocessed text with the same grammar (no IR, no
locations). The machines are shared and noisy, so the ratio is the figure to compare
across runs, not the seconds. It measures both parser flavours (lark-cython when it is
installed, and pure Python) and parse + IR with the garbage collector paused (what
callflow does) and running.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_flow import generate  # noqa: E402

from callflow.check import check_flow  # noqa: E402
from callflow.fdl import parse_file  # noqa: E402
from callflow.fdl import parser as fdl_parser_module  # noqa: E402
from callflow.fdl.parser import parse_preprocessed  # noqa: E402
from callflow.fdl.preprocess import preprocess_file  # noqa: E402
from callflow.fdl.semantics import validate  # noqa: E402
from callflow.scenarios import expand_scenarios  # noqa: E402


def median_time(func: Callable[..., object], *args: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline_parser() -> Callable[[str], object]:
    """Plain Lark LALR (pure Python) with the same grammar: a tree, no IR, no locations."""
    from lark import Lark

    lark = Lark(fdl_parser_module.grammar_text(), parser="lalr", lexer="contextual")
    return lark.parse


def parse_gc_running(path: Path) -> object:
    """parse_file's stages without its collector pause, for comparison."""
    source, _ = preprocess_file(path)
    assert source is not None
    flow, _ = parse_preprocessed(str(path), source)
    assert flow is not None
    return validate(flow, source)


def measure(path: Path, n: int, repeat: int) -> dict[str, float]:
    """Median seconds of each stage for one flow file with the current parser flavour."""
    fdl_parser_module.fdl_parser()  # build the tables outside the timing
    times = {
        "parse": median_time(parse_file, path, repeat=repeat),
        "gc_on": median_time(parse_gc_running, path, repeat=repeat),
    }
    result = parse_file(path)
    assert result.flow is not None and result.ok, result.diagnostics[:3]
    times["expand"] = median_time(expand_scenarios, result.flow, repeat=repeat)
    expansion = expand_scenarios(result.flow)
    messages = sum(len(s.messages()) for s in expansion.scenarios)
    assert messages == n, (messages, n)
    times["review"] = median_time(check_flow, result.flow, expansion.scenarios, repeat=repeat)
    findings = check_flow(result.flow, expansion.scenarios)
    assert not findings, findings[:3]
    return times


def run(sizes: list[int], repeat: int) -> None:
    baseline = baseline_parser()
    flavours = [("pure Python", "1")]
    if fdl_parser_module._load_cython() is not None:
        flavours.insert(0, ("lark-cython", ""))
    print(f"repeat={repeat} (median); python {sys.version.split()[0]}")
    header = (
        f"{'N':>6} {'flavour':<12} {'parse+IR s':>10} {'msg/s':>8} {'x baseline':>10} "
        f"{'GC on s':>8} {'expand s':>8} {'review s':>8} {'total msg/s':>11}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"gen{n}.fdl"
            path.write_text(generate(n), encoding="utf-8")
            source, _ = preprocess_file(path)
            assert source is not None
            base = median_time(baseline, source.text, repeat=repeat)
            for label, no_cython in flavours:
                os.environ["CALLFLOW_NO_CYTHON"] = no_cython
                t = measure(path, n, repeat)
                total = t["parse"] + t["expand"] + t["review"]
                print(
                    f"{n:>6} {label:<12} {t['parse']:>10.3f} {n / t['parse']:>8.0f} "
                    f"{t['parse'] / base:>10.2f} {t['gc_on']:>8.3f} {t['expand']:>8.3f} "
                    f"{t['review']:>8.3f} {n / total:>11.0f}"
                )
            print(f"{n:>6} {'baseline':<12} {base:>10.3f} {n / base:>8.0f} {1.0:>10.2f}")
    os.environ.pop("CALLFLOW_NO_CYTHON", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
