"""Preprocessor speed against the number of ``#define``s: it must stay linear.

Usage::

    PYTHONPYCACHEPREFIX=/tmp/callflow-pycache \\
        .venv/bin/python bench/preprocess.py [--defines 10,100,1000,5000] [--messages 20000]
        [--repeat 3] [--against REV] [--against-max 1000]

For each count N it preprocesses (``preprocess_text``, nothing else) three texts and
reports the median wall and CPU time of ``--repeat`` runs:

* **defines**: the N ``#define`` lines alone (the cost of reading a definition; a
  quadratic preprocessor shows here, as the microseconds per define grow with N);
* **unused**: the N defines, then a generated flow of ``--messages`` messages
  (``bench/gen_flow.py``) that uses none of them: every line takes the fast path's
  check for a defined name;
* **used**: the same flow written with macros: N defines of which three are used,
  ``CALLER``/``CALLEE`` (object-like, for the two UEs, on about half the lines) and
  ``ANSWER(a, b)`` (function-like, for every ``200 OK : a -> b``); its output is checked to
  be the flow's own text (once preprocessed).

The **baseline**, measured in the same run, is the plain generated flow without any
define; ``x base`` is each time over it (the machines are shared and noisy, so the
ratio is the figure to compare across runs). ``--against REV`` also times the
``defines`` text with ``callflow/fdl/preprocess.py`` as it was at git revision REV
(up to ``--against-max`` defines: the old one was quadratic), for a before/after figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_flow import generate  # noqa: E402

from callflow.fdl.preprocess import preprocess_text  # noqa: E402

Preprocess = Callable[..., tuple[object, list[object]]]


def timed(func: Preprocess, text: str, repeat: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``func(text)``; it must report nothing."""
    func(text, "bench.fdl")  # warm-up: caches, allocator
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        source, diagnostics = func(text, "bench.fdl")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert source is not None and not diagnostics, diagnostics[:3]
    return statistics.median(walls), statistics.median(cpus)


def defines(n: int, used: bool) -> str:
    """N #define lines; with ``used``, the last three are the ones the flow uses."""
    fillers = n - 3 if used else n
    lines = [f"#define FILLER_{i} value_{i} // filler {i}" for i in range(fillers)]
    if used:
        lines += [
            "#define CALLER UE_A",
            "#define CALLEE UE_B",
            "#define ANSWER(a, b) 200 OK : a -> b",
        ]
    return "\n".join(lines) + "\n"


_OK_RE = re.compile(r"^(\s*)200 OK : (\w+) -> (\w+)", re.MULTILINE)
_UE_RE = re.compile(r"\bUE_([AB])\b")


def with_macros(flow: str) -> str:
    """The flow written with CALLER, CALLEE and ANSWER(a, b) (expanding gives it back)."""
    text = _OK_RE.sub(r"\1ANSWER(\2, \3)", flow)
    return _UE_RE.sub(lambda m: "CALLER" if m.group(1) == "A" else "CALLEE", text)


def legacy(rev: str) -> Preprocess:
    """``preprocess_text`` of callflow/fdl/preprocess.py at git revision ``rev``."""
    code = subprocess.run(
        ["git", "show", f"{rev}:callflow/fdl/preprocess.py"],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="callflow-bench-"))
    path = folder / "legacy_preprocess.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("legacy_preprocess", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules["legacy_preprocess"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.preprocess_text  # type: ignore[no-any-return]


def run(counts: list[int], messages: int, repeat: int, against: str | None, limit: int) -> None:
    flow = generate(messages)
    macro_flow = with_macros(flow)
    lines = flow.count("\n")
    print(
        f"repeat={repeat} (median); flow: {messages} messages, {lines} lines; "
        f"python {sys.version.split()[0]}"
    )
    base_wall, base_cpu = timed(preprocess_text, flow, repeat)
    plain_source, _ = preprocess_text(flow, "bench.fdl")
    assert plain_source is not None
    plain = plain_source.text.split("\n")
    print(
        f"baseline (the flow, no define): wall {base_wall:.3f} s, CPU {base_cpu:.3f} s, "
        f"{base_wall / lines * 1e6:.2f} us/line"
    )
    old = legacy(against) if against else None
    header = (
        f"{'N':>5} | {'defines s':>9} {'us/def':>7} | {'unused s':>8} {'CPU s':>6} "
        f"{'x base':>6} | {'used s':>7} {'CPU s':>6} {'x base':>6}"
    )
    if old is not None:
        header += f" | {against + ' defines s':>16} {'us/def':>7}"
    print(header)
    print("-" * len(header))
    for n in counts:
        define_text = defines(n, used=False)
        d_wall, _ = timed(preprocess_text, define_text, repeat)
        u_wall, u_cpu = timed(preprocess_text, define_text + flow, repeat)
        used_text = defines(n, used=True) + macro_flow
        m_wall, m_cpu = timed(preprocess_text, used_text, repeat)
        source, _ = preprocess_text(used_text, "bench.fdl")
        assert source is not None
        assert source.text.split("\n")[n:] == plain, "the expansion is not the flow's text"
        row = (
            f"{n:>5} | {d_wall:>9.4f} {d_wall / n * 1e6:>7.2f} | {u_wall:>8.3f} {u_cpu:>6.3f} "
            f"{u_wall / base_wall:>6.2f} | {m_wall:>7.3f} {m_cpu:>6.3f} {m_wall / base_wall:>6.2f}"
        )
        if old is not None:
            if n <= limit:
                o_wall, _ = timed(old, define_text, 1)
                row += f" | {o_wall:>16.4f} {o_wall / n * 1e6:>7.1f}"
            else:
                row += f" | {'(skipped)':>16} {'':>7}"
        print(row, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--defines", default="10,100,1000,5000")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", metavar="REV", default=None)
    parser.add_argument("--against-max", type=int, default=1000)
    args = parser.parse_args()
    counts = [int(n) for n in args.defines.split(",")]
    if min(counts) < 3:
        parser.error("--defines: each count must be at least 3 (the flow uses three)")
    run(counts, args.messages, args.repeat, args.against, args.against_max)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
