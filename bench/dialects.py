"""Parsing EventStudio's spelling costs no more than callflow's own (issue: within 1.2x).

Usage::

    PYTHONPYCACHEPREFIX=/tmp/pyc python bench/dialects.py [--sizes 1000,5000] [--repeat 5]

For each size N it writes the check-clean flow of ``bench/gen_flow.py`` (callflow's
dialect: the **baseline, measured in the same run**) and the same flow respelled the way
an EventStudio 8 user writes it: quoted entity names, `%` and `|* *|` remarks on the line
after their statement, responses written as replies (`200 OK : A <- B`), `[_style]`
prefixes, a style definition, `<link>`s, `A action "..."`, short timer, resource and state
forms, cascades of the forwarded requests (`INVITE : A -> B -> C`), and `feature ...
endfeature`. Both texts hold exactly N messages. It reports the median wall and CPU time
of preprocess + parse + IR (what `parse_file` does) for each, and the ratio EventStudio /
callflow pair by pair (the machines are shared and noisy: the ratio is the figure).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_flow import generate  # noqa: E402

from callflow.fdl import parse_file  # noqa: E402

_ENTITY = re.compile(r"\b(UE_A|UE_B|P_CSCF_A|P_CSCF_B|S_CSCF_A|S_CSCF_B|I_CSCF_B|MRFC_AS|MRFP)\b")
_MESSAGE = re.compile(r"^(\s*)(.+?) : (\S+) -> (\S+)(.*)$")
_REMARK = re.compile(r"\s*\(\* (.*) \*\)$")


def eventstudio_spelling(text: str) -> str:
    """The same flow in EventStudio 8's spelling (every message kept, in order)."""
    out: list[str] = ['style _sip: color=STEELBLUE, textcolor=NAVY, linepattern="- -"']
    lines = text.split("\n")
    index = 0
    chain: list[tuple[str, str, str, str]] = []  # a forwarded request's hops (name, a, b)

    def flush_chain() -> None:
        if not chain:
            return
        indent, name, first, _ = chain[0]
        path = " -> ".join([first] + [hop[3] for hop in chain])
        out.append(f"{indent}{name} : {path}")
        chain.clear()

    in_feature = False
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("feature "):
            in_feature = True
            out.append(line.removesuffix(" {"))
            continue
        if in_feature and line.strip() == "}":
            flush_chain()
            out.append("endfeature")
            in_feature = False
            continue
        match = _MESSAGE.match(line) if in_feature else None
        if match is None:
            flush_chain()
            out.append(_quote(line))
            continue
        indent, name, sender, receiver, rest = match.groups()
        remark = _REMARK.match(rest)
        sender, receiver = _quote(sender), _quote(receiver)
        is_response = name[:1].isdigit()
        is_forward = not is_response and "(" not in name
        if is_forward and chain and chain[-1][1] == name and chain[-1][3] == sender:
            chain.append((indent, name, sender, receiver))
            continue
        flush_chain()
        if is_forward and remark is None:
            chain.append((indent, name, sender, receiver))
            continue
        if is_response:
            statement = f"{indent}[_sip] {name} : {receiver} <- {sender}"
        else:
            statement = f"{indent}{name} : {sender} -> {receiver} <#m{index}>"
        out.append(statement)
        if remark is not None:
            out.append(f"{indent}% {remark.group(1)}")
    flush_chain()
    return "\n".join(out)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\([^)]*\)')


def _quote(text: str) -> str:
    """Entity names quoted outside strings, attribute and parameter lists."""
    parts: list[str] = []
    last = 0
    for match in _STRING.finditer(text):
        parts.append(_ENTITY.sub(r'"\1"', text[last : match.start()]))
        parts.append(match.group())
        last = match.end()
    parts.append(_ENTITY.sub(r'"\1"', text[last:]))
    return "".join(parts)


def messages(path: Path) -> int:
    result = parse_file(path)
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error][:3]
    from callflow.scenarios import expand_scenarios

    (scenario,) = expand_scenarios(result.flow).scenarios  # type: ignore[arg-type]
    return len(scenario.messages())


def timed(path: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    parse_file(path)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"{'N':>6}  {'callflow wall':>13}  {'ES wall':>9}  {'callflow cpu':>12}  "
        f"{'ES cpu':>8}  {'ratio ES/callflow (cpu, median of pairs)':>40}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            ours = Path(tmp, f"callflow-{n}.fdl")
            theirs = Path(tmp, f"eventstudio-{n}.fdl")
            text = generate(n)
            ours.write_text(text, encoding="utf-8")
            theirs.write_text(eventstudio_spelling(text), encoding="utf-8")
            assert messages(ours) == messages(theirs) == n, (messages(ours), messages(theirs))
            timed(ours), timed(theirs)  # warm the parser and the caches
            pairs = [(timed(ours), timed(theirs)) for _ in range(args.repeat)]
            ours_wall = statistics.median(p[0][0] for p in pairs)
            theirs_wall = statistics.median(p[1][0] for p in pairs)
            ours_cpu = statistics.median(p[0][1] for p in pairs)
            theirs_cpu = statistics.median(p[1][1] for p in pairs)
            ratios = sorted(p[1][1] / p[0][1] for p in pairs)
            ratio = statistics.median(ratios)
            print(
                f"{n:>6}  {ours_wall:>12.3f}s  {theirs_wall:>8.3f}s  {ours_cpu:>11.3f}s  "
                f"{theirs_cpu:>7.3f}s  {ratio:>8.2f}x (min {ratios[0]:.2f}, max {ratios[-1]:.2f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
