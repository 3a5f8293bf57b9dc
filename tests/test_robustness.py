"""Property: random edits of the reference flow never raise, only give diagnostics.

Deleting, duplicating and swapping lines and inserting random bytes produce every kind
of broken input (unclosed braces, stray legs, half messages, bad UTF-8, NUL bytes); the
front end and the design review must answer each with diagnostics, never an exception.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callflow.check import check_flow
from callflow.diagnostics import Diagnostic
from callflow.fdl import parse_file
from callflow.scenarios import expand_scenarios

REFERENCE = (Path(__file__).resolve().parents[1] / "flows" / "ims-conference.fdl").read_bytes()
LINES = REFERENCE.split(b"\n")

#: fragments that matter to the lexer, parser and preprocessor
FRAGMENTS = [
    b"{",
    b"}",
    b"(",
    b")",
    b"[",
    b"]",
    b'"',
    b"(*",
    b"*)",
    b"/*",
    b"//",
    b",",
    b"=",
    b":",
    b"->",
    b"-x",
    b"<->",
    b"\x00",
    b"\xff",
    b"\t",
    b"\r",
    b"media",
    b"case {",
    b'leg "x":',
    b"#ifdef X",
    b"#else",
    b"#endif",
    b'#include "missing.fdl"',
    b"#define A B",
    b"200 OK",
    b"INVITE",
    b"\n",
    b"\\",
]

inserted = st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(FRAGMENTS))

edit = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(LINES) - 1), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("insert"), st.integers(0, len(LINES) - 1), st.integers(0, 200), inserted),
)


def apply(lines: list[bytes], change: tuple) -> None:  # type: ignore[type-arg]
    kind, index = change[0], change[1] % len(lines)
    if kind == "delete" and len(lines) > 1:
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    elif kind == "swap":
        other = change[2] % len(lines)
        lines[index], lines[other] = lines[other], lines[index]
    elif kind == "insert":
        line = lines[index]
        at = min(change[2], len(line))
        lines[index] = line[:at] + change[3] + line[at:]


def run_everything(data: bytes) -> list[Diagnostic]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edited.fdl"
        path.write_bytes(data)
        result = parse_file(path)
        diagnostics = list(result.diagnostics)
        if result.ok and result.flow is not None:
            expansion = expand_scenarios(result.flow)
            diagnostics += expansion.diagnostics
            diagnostics += check_flow(result.flow, expansion.scenarios)
        else:
            assert any(d.is_error for d in diagnostics), "a failed parse must say why"
    for diag in diagnostics:
        assert diag.loc.line >= 1 and diag.loc.col >= 1, diag
        assert diag.code and diag.message
    return diagnostics


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=6))
def test_random_edits_only_give_diagnostics(changes: list[tuple]) -> None:  # type: ignore[type-arg]
    lines = list(LINES)
    for change in changes:
        apply(lines, change)
    run_everything(b"\n".join(lines))


def test_unedited_reference_flow_is_clean() -> None:
    assert run_everything(REFERENCE) == []
