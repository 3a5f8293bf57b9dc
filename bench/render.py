"""Whole-process render speed and memory, with baselines measured in the same run.

Usage::

    python bench/render.py [--sizes 1000,5000] [--repeat 3]

For each size N it generates a flow with ``bench/gen_flow.py`` and runs, as separate
processes (what a user waits for): ``callflow render --view full --format svg`` and
``callflow render --view all`` (every view and format), reporting the median wall time of
``--repeat`` runs after one warm-up, the peak RSS (``resource.getrusage`` of the child),
and the growth from the smallest to the largest N. Baselines from the same run:
the interpreter importing callflow (start-up cost every command pays) and
``callflow check`` on the same file (parse + expand + review: what rendering adds to).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_flow import generate  # noqa: E402

CALLFLOW = [sys.executable, "-m", "callflow"]


def run_once(argv: list[str]) -> float:
    """Wall seconds of one child process."""
    start = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"{argv} failed: {completed.stderr[-2000:]}")
    return elapsed


def measure(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time after a warm-up, and the peak RSS of one more run."""
    run_once(argv)  # warm-up: page cache, .pyc files
    times = [run_once(argv) for _ in range(repeat)]
    return statistics.median(times), peak_rss(argv)


def peak_rss(argv: list[str]) -> float:
    """Peak RSS (MB) of one run, read in a fresh wrapper process: RUSAGE_CHILDREN keeps
    the maximum over every child so far, so measuring in this process would mix runs."""
    code = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    return int(out.stdout.strip() or 0) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    env_note = "lark-cython" if _has_cython() else "pure-Python Lark"
    print(f"median of {args.repeat} after a warm-up; python {sys.version.split()[0]}; {env_note}")
    rows: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        startup = measure([sys.executable, "-c", "import callflow.cli"], args.repeat)
        for n in sizes:
            path = Path(tmp) / f"gen{n}.fdl"
            path.write_text(generate(n), encoding="utf-8")
            out = Path(tmp) / f"out{n}"
            commands = {
                "check": [*CALLFLOW, "check", str(path)],
                "render full svg": [
                    *CALLFLOW, "render", str(path), "--view", "full", "--format", "svg",
                    "-o", str(out / "full"),
                ],
                "render all": [*CALLFLOW, "render", str(path), "-o", str(out / "all")],
            }  # fmt: skip
            for label, argv in commands.items():
                rows.setdefault(label, {})[n] = measure(argv, args.repeat)
    print(f"baseline: interpreter + import callflow.cli = {startup[0]:.3f} s, {startup[1]:.0f} MB")
    header = f"{'command':<18}" + "".join(f"{f'N={n} s':>10}{'MB':>7}{'x check':>9}" for n in sizes)
    print(header + f"{'growth':>9}")
    print("-" * (len(header) + 9))
    for label, by_size in rows.items():
        line = f"{label:<18}"
        for n in sizes:
            seconds, mb = by_size[n]
            line += f"{seconds:>10.3f}{mb:>7.0f}{seconds / rows['check'][n][0]:>9.2f}"
        growth = by_size[sizes[-1]][0] / by_size[sizes[0]][0]
        print(line + f"{growth:>8.2f}x")
    return 0


def _has_cython() -> bool:
    try:
        import lark_cython  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return not os.environ.get("CALLFLOW_NO_CYTHON")


if __name__ == "__main__":
    raise SystemExit(main())
