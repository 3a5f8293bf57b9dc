"""Conference mixer speed: the N-1 mix of G.711 participants, per 20 ms frame and in blocks.

Usage::

    python bench/mix.py [--participants 2,4,8,16,32] [--seconds 60] [--repeat 5]
                        [--codec PCMU|PCMA|mixed] [--quick] [--json PATH]

For each number of participants n it synthesises ``--seconds`` of 8 kHz audio per
participant (a distinct tone each, with a slow talk-like envelope and some noise), encodes
it once with G.711 (untimed), then times ``mix_minus_g711`` (decode, total minus own,
saturate, encode, each row in its codec) in two modes:

* ``frame``: one call per 20 ms frame of shape ``(n, 160)``, as the executor calls it 50
  times a second; Python's per-call overhead dominates here;
* ``block``: one call over the whole buffer ``(n, seconds * 8000)`` (the mixer works
  through it in cache-sized column blocks itself).

Figures are the median of ``--repeat`` runs after one warm-up, as "times real time"
(audio seconds / elapsed seconds). The baseline, measured in the same run on the same
data and in the same two modes, is the naive NumPy mix: decode each participant, then for
each participant add up the others in a Python loop (quadratic in n), encode. The figures
to compare across machines are the ratios ours / naive, and the growth from the fewest to
the most participants (linear: x16 from 2 to 32; quadratic about x500). The target is
>= 2000x real time at 8 participants. ``call us`` is the per-frame mode's time per call,
and ``floor us`` the time of a call on one-sample frames: Python's share of it.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from callflow.media import g711  # noqa: E402
from callflow.media.mixer import mix_minus_g711  # noqa: E402

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz
TARGET_N, TARGET_XRT = 8, 2000.0

Codecs = str | Sequence[str]
Mixer = Callable[[np.ndarray, Codecs], np.ndarray]


def synthesise(n: int, samples: int, seed: int) -> np.ndarray:
    """``(n, samples)`` int16 voices: participant k hums its own tone (150 Hz apart, not
    harmonics of each other) under a 2-5 Hz talk-like envelope, over a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / RATE
    voices = np.empty((n, samples), dtype=np.int16)
    for k in range(n):
        freq = 210.0 + 150.0 * k + rng.uniform(-20, 20)
        envelope = 0.55 + 0.45 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6))
        tone = rng.uniform(2000, 7000) * envelope * np.sin(2 * np.pi * freq * t)
        noise = rng.normal(0.0, 200.0, samples)
        voices[k] = np.clip(np.rint(tone + noise), -32768, 32767).astype(np.int16)
    return voices


def codecs_for(n: int, codec: str) -> list[str]:
    if codec == "mixed":
        return [("PCMU", "PCMA")[k % 2] for k in range(n)]
    return [codec] * n


def naive_mix_minus_g711(codes: np.ndarray, codecs: Codecs) -> np.ndarray:
    """The baseline: decode each participant, then for each one add up the others in a
    Python loop (n * (n - 1) additions), saturate, encode."""
    n = len(codes)
    per_row = [codecs] * n if isinstance(codecs, str) else list(codecs)
    linear = [
        g711.decode(row, codec).astype(np.int32) for row, codec in zip(codes, per_row, strict=True)
    ]
    out = np.empty_like(codes)
    for k in range(n):
        heard = np.zeros(codes.shape[1], dtype=np.int32)
        for j in range(n):
            if j != k:
                heard += linear[j]
        out[k] = g711.encode(heard, per_row[k])
    return out


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``run()`` after one warm-up, the collector paused (the mixers make
    no reference cycles; a collection between runs would also evict the caches)."""
    gc.collect()
    gc.disable()
    try:
        run()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(times)


def per_frame(mix: Mixer, frames: np.ndarray, codecs: Codecs) -> Callable[[], object]:
    def run() -> None:
        for frame in frames:
            mix(frame, codecs)

    return run


def whole(mix: Mixer, codes: np.ndarray, codecs: Codecs) -> Callable[[], object]:
    return lambda: mix(codes, codecs)


def bench_function(
    args: argparse.Namespace, on_row: Callable[[dict[str, Any]], None] | None = None
) -> list[dict[str, Any]]:
    """The mixing function alone: one row per (participants, mode), ours and naive.
    ``on_row`` sees each row as soon as it is measured (main prints it)."""
    samples = int(args.seconds * RATE) // FRAME * FRAME
    seconds = samples / RATE
    rows: list[dict[str, Any]] = []
    for n in args.participants:
        codecs = codecs_for(n, args.codec)
        call_codecs: Codecs = codecs[0] if args.codec != "mixed" else codecs
        codes = np.stack(
            [
                g711.encode(voice, codec)
                for voice, codec in zip(synthesise(n, samples, args.seed), codecs, strict=True)
            ]
        )
        # the 20 ms frames, each a contiguous (n, 160) array as the executor stacks them
        frames = np.ascontiguousarray(codes.reshape(n, -1, FRAME).transpose(1, 0, 2))
        if args.codec == "PCMU":  # sanity, untimed (A-law differs by the mixer's dead zone)
            check = slice(0, min(samples, RATE))
            ours, naive = (
                f(codes[:, check], call_codecs) for f in (mix_minus_g711, naive_mix_minus_g711)
            )
            assert np.array_equal(ours, naive), "the mixer and the baseline disagree"
        tiny = np.full((n, 1), g711.SILENCE[codecs[0]], dtype=np.uint8)
        floor = median_time(per_frame(mix_minus_g711, np.stack([tiny] * 1000), call_codecs), 3)
        modes: list[tuple[str, Callable[[Mixer], Callable[[], object]], int]] = [
            ("frame", partial(per_frame, frames=frames, codecs=call_codecs), len(frames)),
            ("block", partial(whole, codes=codes, codecs=call_codecs), 1),
        ]
        for mode, runner, calls in modes:
            ours_s = median_time(runner(mix_minus_g711), args.repeat)
            naive_s = median_time(runner(naive_mix_minus_g711), args.naive_repeat)
            rows.append(
                {
                    "section": "function",
                    "participants": n,
                    "mode": mode,
                    "codec": args.codec,
                    "audio_s": seconds,
                    "calls": calls,
                    "ours_s": ours_s,
                    "naive_s": naive_s,
                    "ours_xrt": seconds / ours_s,
                    "naive_xrt": seconds / naive_s,
                    "ours_over_naive": ours_s / naive_s,
                    "call_us": ours_s / calls * 1e6,
                    "floor_us": floor / 1000 * 1e6 if mode == "frame" else None,
                }
            )
            if on_row is not None:
                on_row(rows[-1])
    return rows


HEADER = (
    f"{'n':>3} {'mode':<6} {'ours s':>8} {'ours xRT':>9} {'naive s':>8} {'naive xRT':>9} "
    f"{'ours/naive':>10} {'speed-up':>8} {'call us':>8} {'floor us':>8}"
)


def format_row(row: dict[str, Any]) -> str:
    floor = f"{row['floor_us']:>8.1f}" if row["floor_us"] is not None else f"{'':>8}"
    return (
        f"{row['participants']:>3} {row['mode']:<6} {row['ours_s']:>8.4f} "
        f"{row['ours_xrt']:>9,.0f} {row['naive_s']:>8.4f} {row['naive_xrt']:>9,.0f} "
        f"{row['ours_over_naive']:>10.4f} {1 / row['ours_over_naive']:>7.1f}x "
        f"{row['call_us']:>8.1f} {floor}"
    )


def summarise(rows: list[dict[str, Any]]) -> None:
    """Growth from the fewest to the most participants, and the target."""
    for mode in ("frame", "block"):
        by_n = {r["participants"]: r for r in rows if r["mode"] == mode}
        if len(by_n) < 2:
            continue
        low, high = min(by_n), max(by_n)
        linear = high / low
        quadratic = high * (high - 1) / (low * (low - 1)) if low > 1 else float("nan")
        print(
            f"growth {low} -> {high} participants ({mode}): ours "
            f"x{by_n[high]['ours_s'] / by_n[low]['ours_s']:.1f}, naive "
            f"x{by_n[high]['naive_s'] / by_n[low]['naive_s']:.1f} "
            f"(linear x{linear:.0f}, quadratic additions x{quadratic:.0f})"
        )
    for row in rows:
        if row["participants"] == TARGET_N:
            verdict = "met" if row["ours_xrt"] >= TARGET_XRT else "MISSED"
            print(
                f"target >= {TARGET_XRT:,.0f}x real time at {TARGET_N} participants "
                f"({row['mode']}): {row['ours_xrt']:,.0f}x, {verdict}"
            )


def executor_flow(n: int) -> str:
    """An FDL conference of ``n`` participants around one mixer, media statements only
    (no SIP: each entity streams on its default RTP port)."""
    names = [f"P{k}" for k in range(1, n + 1)]
    entities = ",\n".join(f"    {name} [role=ue]" for name in names)
    lines = [f"eternal:\n{entities},\n    MIX [role=mg]", 'feature "conference" {']
    lines += [f"    media {name} <-> MIX [codec=PCMU, ptime=20ms]" for name in names]
    lines.append(f"    MIX mixes {', '.join(names)}")
    lines += [f"    media stop {name} <-> MIX" for name in names]
    lines.append("}")
    return "\n".join(lines) + "\n"


def bench_executor(args: argparse.Namespace) -> dict[str, Any]:
    """The executor's mixer paced in real time: ``n`` participants, each streaming G.711
    over loopback to the mixer (``callflow run --realtime``), which mixes all of them in
    the segment after ``MIX mixes ...``.

    Reports, for that segment, the CPU the mixing step used (decode, mix-minus, encode,
    every 20 ms tick) as a share of its wall-clock time, and the whole process's CPU share
    (sockets, RTP, jitter buffers, recordings included)."""
    from callflow import ir
    from callflow.execute.engine import RunOptions, run_scenario
    from callflow.fdl import parse_text
    from callflow.scenarios import expand_scenarios

    parsed = parse_text(executor_flow(args.executor_participants), "mix-bench.fdl")
    assert parsed.flow is not None, parsed.diagnostics
    (scenario,) = expand_scenarios(parsed.flow).scenarios
    options = RunOptions(
        seed=1, realtime=True, media_seconds=args.executor_seconds, keep_datagrams=False,
        timeout=60 + 20 * args.executor_participants * args.executor_seconds,
    )  # fmt: skip
    run = run_scenario(parsed.flow, scenario, options)
    assert run.ok and run.media is not None, run.diagnostics
    statements = scenario.statements()
    (mixing,) = [
        seg
        for seg in run.media.segments
        if any(isinstance(st, ir.Mix) and st.loc == seg.loc for st in statements)
    ]
    return {
        "participants": args.executor_participants,
        "seconds": args.executor_seconds,
        "wall_s": mixing.wall_seconds,
        "mixer_cpu_s": mixing.mix_cpu_seconds,
        "mixer_cpu_share": mixing.mix_cpu_seconds / mixing.wall_seconds,
        "process_cpu_share": mixing.cpu_seconds / mixing.wall_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", default="2,4,8,16,32")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per participant")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-repeat", type=int, default=3, help="the baseline is slow")
    parser.add_argument("--codec", choices=("PCMU", "PCMA", "mixed"), default="PCMU")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="5 s of audio, 2/8/32, repeat 3")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the rows as JSON")
    parser.add_argument("--executor-participants", type=int, default=8)
    parser.add_argument(
        "--executor-seconds",
        type=float,
        default=2.0,
        help="audio per segment; the run plays 2n+1 segments in real time",
    )
    parser.add_argument("--no-executor", action="store_true", help="skip the real-time part")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.seconds, args.repeat, args.naive_repeat = "2,8,32", 5.0, 3, 1
        args.executor_seconds = 0.5
    args.participants = [int(p) for p in args.participants.split(",")]

    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}; {args.seconds:g} s of "
        f"{RATE} Hz audio per participant, codec {args.codec}; median of {args.repeat} "
        f"(naive {args.naive_repeat}) after a warm-up"
    )
    print("\nmixing function (mix_minus_g711, G.711 decode and encode included):")
    print(HEADER)
    print("-" * len(HEADER))
    function_rows = bench_function(args, on_row=lambda row: print(format_row(row), flush=True))
    summarise(function_rows)
    executor = None
    if not args.no_executor:
        print(
            f"\nexecutor: {args.executor_participants} participants mixed over loopback RTP, "
            f"paced in real time, {args.executor_seconds:g} s of audio per segment "
            "(callflow run --realtime); the segment where all of them are mixed:"
        )
        executor = bench_executor(args)
        print(
            f"  mixing step: {executor['mixer_cpu_s']:.3f} s CPU in {executor['wall_s']:.2f} s "
            f"= {100 * executor['mixer_cpu_share']:.2f} % of one core; whole process "
            f"(RTP, sockets, jitter buffers, recordings): "
            f"{100 * executor['process_cpu_share']:.1f} %"
        )
    if args.json:
        report = {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "args": {k: v for k, v in vars(args).items() if k != "json"},
            "sections": {"function": function_rows, "executor": executor},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
