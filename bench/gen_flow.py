"""Generate a synthetic FDL flow of exactly N messages for benchmarks.

Usage::

    python bench/gen_flow.py N [-o FILE] [--seed S]

The flow uses the nine-entity cast and the architecture hierarchy of the reference flow
(``flows/ims-conference.fdl``) and is made of repeated, complete SIP dialogs, each in its
own ``feature "Call K"`` with its own logical Call-ID, so that the SIP checker finds
nothing wrong and the executor can replay it:

* UE_A calls UE_B through P_CSCF_A, S_CSCF_A, I_CSCF_B, S_CSCF_B and P_CSCF_B: INVITE
  (``sdp=offer``) and ``100 Trying`` on every hop, ``180 Ringing`` and ``200 OK``
  (``sdp=answer``) relayed back hop by hop, the end-to-end ACK through the
  record-routing proxies only (I_CSCF_B has ``record_route=no``), then a BYE along the
  same route set (from UE_A in odd calls, from UE_B in even ones) and its ``200 OK``
  back (39 messages);
* every fifth call the MRFC_AS also sets up and removes an H.248 context on the MRFP
  (``Add``/``AddReply`` before the call, ``Subtract``/``SubtractReply`` after it,
  all ``protocol=h248``: 43 messages);
* the last unit is padded to the exact total with direct OPTIONS / ``200 OK`` pairs
  between the UEs (each pair its own Call-ID) and, when one message remains, a single
  H.248 ``Notify(protocol=h248) : MRFP -> MRFC_AS``.

Every tenth message carries a trailing ``(* remark *)``. Output is deterministic; with
``--seed`` who hangs up and which calls carry the H.248 exchange are drawn from a seeded
PRNG instead of the fixed pattern.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

#: the reference flow's hierarchy and nine entities (bench/peers.py draws the same)
ARCHITECTURE = """\
system:    Calling_UE "Calling UE", IMS_Network "IMS Network", Called_UE "Called UE"
subsystem: Caller_Equipment "Caller User Equipment" in Calling_UE,
           IMS1 "IMS 1" in IMS_Network,
           IMS1_MRF "IMS 1 MRF" in IMS_Network,
           IMS2 "IMS 2" in IMS_Network,
           Called_Equipment "Called User Equipment" in Called_UE
eternal:   UE_A "Conference Initiator" in Caller_Equipment [role=ue, uri="sip:alice@home1.net"],
           P_CSCF_A "Initiating P-CSCF" in IMS1 [role=proxy],
           S_CSCF_A "Initiating S-CSCF" in IMS1 [role=proxy],
           MRFC_AS "MRFC-AS" in IMS1_MRF [role=focus, media=MRFP],
           MRFP "MRFP" in IMS1_MRF [role=mg],
           I_CSCF_B "Participating I-CSCF" in IMS2 [role=proxy, record_route=no],
           S_CSCF_B "Participating S-CSCF" in IMS2 [role=proxy],
           P_CSCF_B "Participating P-CSCF" in IMS2 [role=proxy],
           UE_B "Conference Participant" in Called_Equipment [role=ue, uri="sip:bob@home2.net"]
"""
HEADER = 'title "Generated benchmark flow ({n} messages)"\n\n' + ARCHITECTURE

URI = {"UE_A": "sip:alice@home1.net", "UE_B": "sip:bob@home2.net"}

# The full request path from UE_A to UE_B, and the record-routing subset of it.
PATH_A_TO_B: tuple[str, ...] = (
    "UE_A",
    "P_CSCF_A",
    "S_CSCF_A",
    "I_CSCF_B",
    "S_CSCF_B",
    "P_CSCF_B",
    "UE_B",
)
NO_RECORD_ROUTE = frozenset({"I_CSCF_B"})

REMARK_EVERY = 10
H248_EVERY = 5

# Message counts of the building blocks.
CALL_SIZE = 39  # 6 INVITE + 6 100 Trying + 6 180 + 6 200 + 5 ACK + 5 BYE + 5 200
H248_SIZE = 4  # Add, AddReply, Subtract, SubtractReply

Message = tuple[str, str, str]  # (name with params, sender, receiver)


def hops(path: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (sender, receiver) pairs along ``path``."""
    return list(pairwise(path))


def route_set_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """``path`` without the proxies that did not record-route (in-dialog requests)."""
    return tuple(e for e in path if e not in NO_RECORD_ROUTE)


def request_chain(method: str, params: str, path: tuple[str, ...]) -> list[Message]:
    """A request forwarded along ``path``; ``params`` are written on the first hop only."""
    out: list[Message] = []
    for i, (a, b) in enumerate(hops(path)):
        out.append((f"{method}({params})" if i == 0 and params else method, a, b))
    return out


def response_chain(status: str, path: tuple[str, ...]) -> list[Message]:
    """A response relayed back along the request ``path`` (given in request order)."""
    return [(status, b, a) for a, b in reversed(hops(path))]


def call_unit(call_id: str, caller_hangs_up: bool) -> list[Message]:
    """A complete call from UE_A to UE_B: setup through every proxy, then ACK and BYE via
    the route set; the BYE comes from UE_A when ``caller_hangs_up``, else from UE_B."""
    path = PATH_A_TO_B
    callee = path[-1]
    out: list[Message] = []
    # INVITE hop by hop, each hop answered with 100 Trying before it is forwarded.
    for i, (a, b) in enumerate(hops(path)):
        if i == 0:
            params = f'Call-ID={call_id}, Request-URI="{URI[callee]}", sdp=offer'
        else:
            params = "sdp=offer"
        out.append((f"INVITE({params})", a, b))
        out.append(("100 Trying", b, a))
    out += response_chain("180 Ringing", path)
    out += response_chain("200 OK(sdp=answer)", path)
    routed = route_set_path(path)
    out += request_chain("ACK", f"Call-ID={call_id}", routed)
    bye_path = routed if caller_hangs_up else tuple(reversed(routed))
    out += request_chain("BYE", f"Call-ID={call_id}", bye_path)
    out += response_chain("200 OK", bye_path)
    assert len(out) == CALL_SIZE
    return out


def h248_setup(k: int) -> list[Message]:
    """The MRFC-AS creates a context on the MRFP."""
    return [
        (f'Add(protocol=h248, "new context", "RTP termination T{k}")', "MRFC_AS", "MRFP"),
        (f'AddReply(protocol=h248, "context C{k}")', "MRFP", "MRFC_AS"),
    ]


def h248_teardown(k: int) -> list[Message]:
    """The MRFC-AS removes the context again."""
    return [
        (f'Subtract(protocol=h248, "context C{k}", "all terminations")', "MRFC_AS", "MRFP"),
        (f'SubtractReply(protocol=h248, "context C{k}")', "MRFP", "MRFC_AS"),
    ]


def padding_unit(k: int, count: int) -> list[Message]:
    """Exactly ``count`` messages: OPTIONS/200 OK pairs, then an H.248 Notify if odd."""
    out: list[Message] = []
    for j in range(count // 2):
        a, b = ("UE_A", "UE_B") if j % 2 == 0 else ("UE_B", "UE_A")
        out.append((f'OPTIONS(Call-ID=opt{k}_{j + 1}, Request-URI="{URI[b]}")', a, b))
        out.append(("200 OK", b, a))
    if count % 2:
        out.append(("Notify(protocol=h248)", "MRFP", "MRFC_AS"))
    return out


def units(n: int, seed: int | None) -> Iterator[tuple[int, list[Message]]]:
    """Yield (call number, messages) units totalling exactly ``n`` messages."""
    rng = random.Random(seed) if seed is not None else None
    left, k = n, 0
    while left > 0:
        k += 1
        if rng is None:
            caller_hangs_up = k % 2 == 1
            with_h248 = k % H248_EVERY == 0
        else:
            caller_hangs_up = rng.random() < 0.5
            with_h248 = rng.random() < 1 / H248_EVERY
        if with_h248 and left >= CALL_SIZE + H248_SIZE:
            call = call_unit(f"call{k}", caller_hangs_up)
            msgs = h248_setup(k) + call + h248_teardown(k)
        elif left >= CALL_SIZE:
            msgs = call_unit(f"call{k}", caller_hangs_up)
        else:
            msgs = padding_unit(k, left)
        left -= len(msgs)
        yield k, msgs


def generate(n: int, seed: int | None = None) -> str:
    """The text of a flow with exactly ``n`` message statements."""
    if n < 1:
        raise ValueError("N must be at least 1")
    lines = [f"// Generated by bench/gen_flow.py: exactly {n} messages.", HEADER.format(n=n)]
    number = 0
    for k, msgs in units(n, seed):
        lines.append(f'feature "Call {k}" {{')
        for name, a, b in msgs:
            number += 1
            stmt = f"    {name} : {a} -> {b}"
            if number % REMARK_EVERY == 0:
                stmt += f" (* message {number}, call {k} *)"
            lines.append(stmt)
        lines.append("}")
        lines.append("")
    assert number == n
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", metavar="N", type=int, help="number of message statements")
    parser.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="vary the calls with a seeded PRNG (still reproducible)",
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    text = generate(args.n, args.seed)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
