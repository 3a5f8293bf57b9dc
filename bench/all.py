"""Run every benchmark of the project and print one summary table.

Usage::

    python bench/all.py [--quick] [--only NAME,...] [--out FILE] [--keep DIR]

Each benchmark script (``bench/parse.py``, ``check.py``, ``render.py``, ``run.py``,
``mix.py``, ``peers.py``) runs as a subprocess of this interpreter, in full or quick mode
(``--quick``: smaller sizes, one repetition). A script that offers ``--json PATH`` is
given one and its figures are read from it; the others' figures are read from their
standard output. The summary has one row per figure: benchmark, headline figure, target,
met or not. A script that fails or times out is a row saying so; the run goes on.

``peers.py`` writes its report to this run's scratch folder (``--keep`` to keep it), never
over ``bench/results/peers.md``: regenerate that one with ``python bench/peers.py``. In
quick mode it runs callflow and the current PlantUML jar only, at 1000 and 5000 messages
once each, so that every target gets a figure. ``--out`` also writes the summary as
Markdown (e.g. ``bench/results/all.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Row:
    benchmark: str
    figure: str
    target: str = "-"
    met: str = "-"


@dataclass
class Bench:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    parse: Callable[[str, dict[str, Any] | None, bool], list[Row]]
    timeout: float = 3600.0


# ------------------------------------------------------------------------- the parsers

_NUMBER = r"[\d,]+(?:\.\d+)?"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def parse_parse(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/parse.py: the largest size's parse + IR, per flavour, against plain Lark."""
    rows = []
    pattern = re.compile(
        rf"^\s*(\d+) (lark-cython|pure Python)\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})", re.M
    )
    found = pattern.findall(out)
    if found:
        largest = max(int(f[0]) for f in found)
        for n, flavour, seconds, rate, ratio in found:
            if int(n) == largest:
                rows.append(
                    Row(
                        f"parse: parse + IR, N={n}, {flavour}",
                        f"{_num(seconds):.3f} s, {_num(rate):,.0f} msg/s, x{_num(ratio):.2f} "
                        "plain Lark",
                    )
                )
    return rows


def parse_check(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/check.py: its own target line (beyond parsing at 5000 messages)."""
    found = re.search(
        rf"target: beyond parsing <= ({_NUMBER}) s at (\d+): ({_NUMBER}) s, (\w+)", out
    )
    if not found:
        return []
    limit, n, seconds, verdict = found.groups()
    return [
        Row(
            f"check: expand + every rule beyond parsing, N={n}",
            f"{_num(seconds):.3f} s",
            f"<= {limit} s",
            "met" if verdict == "met" else "NOT met",
        )
    ]


def parse_render(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/render.py: its table, checked against the render targets (issue 8)."""
    header = re.search(r"^command\s+(.*)$", out, re.M)
    if not header:
        return []
    sizes = [int(n) for n in re.findall(r"N=(\d+) s", header.group(1))]
    rows = []
    for label in ("render full svg", "check", "render all"):
        line = re.search(rf"^{label}\s+(.*)$", out, re.M)
        if not line:
            continue
        cells = line.group(1).split()
        figures = {n: (_num(cells[3 * i]), _num(cells[3 * i + 1])) for i, n in enumerate(sizes)}
        growth = cells[-1]
        n = sizes[-1]
        seconds, mb = figures[n]
        figure = f"{seconds:.3f} s, {mb:.0f} MB; growth {sizes[0]} -> {n}: {growth}"
        row = Row(f"render.py: {label}, N={n}", figure)
        if label == "render full svg" and n == 5000:
            ok = seconds <= 1.5 and mb <= 150
            row.target, row.met = "<= 1.5 s, <= 150 MB", _verdict(ok)
        if label == "check" and n == 5000:
            row.target, row.met = "<= 1.0 s", _verdict(seconds <= 1.0)
        rows.append(row)
        if label == "render full svg" and sizes[0] == 1000 and n == 5000:
            ratio = seconds / figures[1000][0]
            rows.append(
                Row(
                    "render.py: render full svg, growth 1000 -> 5000",
                    f"x{ratio:.2f}",
                    "<= x5.5",
                    _verdict(ratio <= 5.5),
                )
            )
    return rows


def parse_run(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/run.py: messages per second of the executor, and its target."""
    rate = re.search(rf"median ({_NUMBER})s over \d+ runs = ({_NUMBER}) messages/s", out)
    flow = re.search(r"flow: (\d+) messages", out)
    target = re.search(rf"target >= ({_NUMBER}) messages/s: (met|NOT met)", out)
    if not rate:
        return []
    n = flow.group(1) if flow else "?"
    row = Row(
        f"run: executor on loopback, {n} messages",
        f"{_num(rate.group(2)):,.0f} msg/s ({_num(rate.group(1)):.3f} s)",
    )
    if target:
        row.target = f">= {target.group(1)} msg/s" + (" (at 5000)" if n != "5000" else "")
        row.met = target.group(2)
    return [row]


def parse_mix(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/mix.py: its target lines (times real time at 8 participants, per mode)."""
    rows = []
    for limit, n, mode, figure, verdict in re.findall(
        rf"target >= ({_NUMBER})x real time at (\d+) participants \((\w+)\): ({_NUMBER})x, (\w+)",
        out,
    ):
        rows.append(
            Row(
                f"mix: mix_minus_g711, {n} participants, {mode}",
                f"{_num(figure):,.0f}x real time",
                f">= {limit}x",
                "met" if verdict == "met" else "NOT met",
            )
        )
    return rows


UNIT_FORMAT = {"s": ".3f", "x": ".3f", "MB": ".0f"}


def parse_peers(out: str, data: dict[str, Any] | None, quick: bool) -> list[Row]:
    """bench/peers.py: its targets, from its JSON."""
    if not data:
        return []
    rows = []
    for target in data.get("targets", []):
        figure = target.get("figure")
        unit = target.get("unit", "")
        met = target.get("met")
        rows.append(
            Row(
                f"peers: {target['target']}",
                "not measured"
                if figure is None
                else f"{figure:{UNIT_FORMAT.get(unit, '.3g')}} {unit}",
                f"<= {target['limit']:g} {unit}",
                "-" if met is None else _verdict(met),
            )
        )
    return rows


PEERS_QUICK_TOOLS = (
    "callflow-full,callflow-collab,callflow-check,callflow-scenarios,callflow-help,plantuml"
)

BENCHES = [
    Bench("parse", "parse.py", [], ["--sizes", "1000,5000", "--repeat", "1"], parse_parse),
    Bench(
        "check",
        "check.py",
        [],
        ["--sizes", "1000,5000", "--repeat", "1", "--per-rule", "0"],
        parse_check,
    ),
    Bench("render", "render.py", [], ["--sizes", "1000,5000", "--repeat", "1"], parse_render),
    Bench("run", "run.py", [], ["--messages", "5000", "--repeat", "1"], parse_run),
    Bench("mix", "mix.py", [], ["--quick"], parse_mix),
    Bench(
        "peers",
        "peers.py",
        [],
        ["--sizes", "1000,5000", "--repeat", "1", "--only", PEERS_QUICK_TOOLS],
        parse_peers,
        timeout=5400.0,
    ),
]


# ------------------------------------------------------------------------------ running


def supports(script: Path, option: str) -> bool:
    """Whether the script's ``--help`` mentions ``option``."""
    try:
        done = subprocess.run(
            [sys.executable, str(script), "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option in done.stdout


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


def run_bench(bench: Bench, quick: bool, scratch: Path, log: Path) -> tuple[list[Row], float]:
    script = HERE / bench.script
    if not script.exists():
        return [Row(bench.name, f"missing: bench/{bench.script} not found")], 0.0
    argv = [sys.executable, str(script), *(bench.quick if quick else bench.full)]
    json_path = scratch / f"{bench.name}.json"
    if supports(script, "--json"):
        argv += ["--json", str(json_path)]
    if bench.name == "peers":
        argv += ["--out", str(scratch / "peers.md")]
    print(f"== {bench.name}: {' '.join(argv[1:])}", flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=bench.timeout,
            check=False,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        elapsed = time.perf_counter() - start
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        log.write_text(out, encoding="utf-8")
        return [Row(bench.name, f"TIMEOUT after {bench.timeout:g} s", "-", "failed")], elapsed
    elapsed = time.perf_counter() - start
    log.write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        why = last_line(done.stderr) if done.stderr.strip() else last_line(done.stdout)
        return [Row(bench.name, f"FAILED (exit {done.returncode}): {why}", "-", "failed")], elapsed
    data = None
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError:
            data = None
    try:
        rows = bench.parse(done.stdout, data, quick)
    except (ValueError, IndexError, KeyError) as exc:
        rows = [Row(bench.name, f"ran, but its output was not understood ({exc!r})")]
    if not rows:
        rows = [Row(bench.name, f"ran (exit 0), no figure recognised: {last_line(done.stdout)}")]
    return rows, elapsed


def table(rows: list[Row]) -> list[str]:
    widths = [
        max(len(h), *(len(getattr(r, f)) for r in rows))
        for h, f in (
            ("benchmark", "benchmark"),
            ("headline figure", "figure"),
            ("target", "target"),
            ("met?", "met"),
        )
    ]
    out = [
        "| "
        + " | ".join(
            h.ljust(w)
            for h, w in zip(("benchmark", "headline figure", "target", "met?"), widths, strict=True)
        )
        + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for r in rows:
        cells = (r.benchmark, r.figure, r.target, r.met)
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--only", help="comma-separated: " + ",".join(b.name for b in BENCHES))
    parser.add_argument("--out", type=Path, help="also write the summary as Markdown")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep logs and JSON here")
    args = parser.parse_args(argv)
    benches = BENCHES
    if args.only:
        names = {n.strip() for n in args.only.split(",")}
        unknown = names - {b.name for b in BENCHES}
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
        benches = [b for b in BENCHES if b.name in names]

    started = time.perf_counter()
    rows: list[Row] = []
    durations: list[str] = []
    with tempfile.TemporaryDirectory(prefix="callflow-bench-") as tmp:
        scratch = args.keep or Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        for bench in benches:
            found, elapsed = run_bench(bench, args.quick, scratch, scratch / f"{bench.name}.log")
            rows += found
            durations.append(f"{bench.name} {elapsed:.0f} s")
            for row in found:
                print(f"   {row.benchmark}: {row.figure} [{row.target}: {row.met}]", flush=True)
    total = time.perf_counter() - started
    mode = "quick" if args.quick else "full"
    head = (
        f"callflow benchmarks ({mode} mode), "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; took {total / 60:.1f} min "
        f"({', '.join(durations)})"
    )
    lines = table(rows)
    print("\n" + head + "\n")
    print("\n".join(lines))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        text = "# callflow benchmarks: summary\n\n" + head + ".\n\n" + "\n".join(lines) + "\n"
        text += (
            "\nGenerated by `python bench/all.py"
            + (" --quick" if args.quick else "")
            + "`; each script's own output has the details and the baselines.\n"
        )
        args.out.write_text(text, encoding="utf-8")
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
