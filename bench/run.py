"""Executor speed: a generated flow run end to end on loopback, every datagram checked.

Usage::

    python bench/run.py [--messages 5000] [--repeat 3] [--order strict|causal]
                        [--loss P] [--seed N] [--time-scale X]

It generates a check-clean flow of ``--messages`` messages with ``bench/gen_flow.py``
(complete SIP calls over the reference flow's nine entities, some H.248), parses it,
then runs its scenario ``--repeat`` times with the executor, as ``callflow run`` does:
real UDP datagrams between the entities' loopback sockets, each one parsed and compared
with the flow on receipt, the RFC 3261 transaction layer on, every datagram kept for the
pcap. It reports the median run time, messages per second (target >= 3000/s for 5000
messages), datagrams, retransmissions, and the peak RSS of the process. The baseline,
measured in the same run, is the wire alone: the same number of datagrams of the same
sizes bounced one at a time between two loopback sockets of one asyncio loop (no SIP
building, parsing or checking); the ratio to it is the figure to compare across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_flow import generate  # noqa: E402

from callflow.execute.engine import RunOptions, ScenarioRun, run_scenario  # noqa: E402
from callflow.fdl import parse_file  # noqa: E402
from callflow.scenarios import expand_scenarios  # noqa: E402

TARGET_RATE = 3000.0


class _Echo(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


async def _wire(payloads: list[bytes]) -> float:
    """Seconds to send each payload and wait for its arrival, one at a time."""
    loop = asyncio.get_running_loop()
    receiver = _Echo()
    rx, _ = await loop.create_datagram_endpoint(lambda: receiver, local_addr=("127.0.0.1", 0))
    tx, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    target = rx.get_extra_info("sockname")
    start = time.perf_counter()
    try:
        for data in payloads:
            receiver.waiter = loop.create_future()
            tx.sendto(data, target)
            await receiver.waiter
    finally:
        rx.close()
        tx.close()
    return time.perf_counter() - start


def wire_floor(payloads: list[bytes]) -> float:
    return asyncio.run(_wire(payloads))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--order", choices=("strict", "causal"), default="strict")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=1.0, help="timer scale (with --loss)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench-{args.messages}.fdl"
        path.write_text(generate(args.messages), encoding="utf-8")
        started = time.perf_counter()
        parsed = parse_file(str(path))
        if not parsed.ok:
            print("the generated flow does not parse", file=sys.stderr)
            return 1
        (scenario,) = expand_scenarios(parsed.flow).scenarios
        front = time.perf_counter() - started

    options = RunOptions(
        order=args.order, seed=args.seed, loss=args.loss, time_scale=args.time_scale, timeout=600.0
    )
    times: list[float] = []
    last: ScenarioRun | None = None
    for _ in range(args.repeat):
        gc.collect()
        start = time.perf_counter()
        last = run_scenario(parsed.flow, scenario, options)
        times.append(time.perf_counter() - start)
        if not last.ok:
            for diag in last.diagnostics[:5]:
                print(f"{diag.loc}: {diag.code} {diag.message}", file=sys.stderr)
            return 1
    assert last is not None
    payloads = [d.payload for d in last.datagrams]
    floor = statistics.median(wire_floor(payloads) for _ in range(args.repeat))
    median = statistics.median(times)
    rate = last.messages / median
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"flow: {last.messages} messages ({len(payloads)} datagrams), parse {front:.2f}s")
    print(
        f"run ({args.order}, loss {args.loss:g}): median {median:.3f}s over {args.repeat} "
        f"runs = {rate:,.0f} messages/s ({median / last.messages * 1e6:.0f} us/message), "
        f"{last.retransmissions} retransmissions"
    )
    print(
        f"baseline (the same datagrams bounced on loopback, nothing built or parsed): "
        f"{floor:.3f}s; run / baseline = {median / floor:.1f}x"
    )
    print(f"peak RSS: {peak_mb:.0f} MB")
    verdict = "met" if rate >= TARGET_RATE else "NOT met"
    print(f"target >= {TARGET_RATE:,.0f} messages/s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
