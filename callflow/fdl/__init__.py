"""The FDL front end: preprocess -> parse (Lark LALR) -> IR -> semantic validation.

``parse_file`` and ``parse_text`` are the public entry points; each stage below them is
public too, so a test can stop at any of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from callflow import ir
from callflow.diagnostics import Diagnostic, sort_diagnostics
from callflow.fdl.parser import parse_preprocessed
from callflow.fdl.preprocess import PreprocessedSource, preprocess_file, preprocess_text
from callflow.fdl.semantics import validate
from callflow.gcpause import gc_paused

DEFAULT_MAX_INPUT_SIZE = 16 * 1024 * 1024

__all__ = ["DEFAULT_MAX_INPUT_SIZE", "ParseResult", "parse_file", "parse_text"]


@dataclass(frozen=True)
class ParseResult:
    """A parsed flow (None when it could not be built) and every diagnostic so far."""

    flow: ir.Flow | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: PreprocessedSource | None = None

    @property
    def ok(self) -> bool:
        """True when the flow can be drawn: parsed, with no FDL error."""
        return self.flow is not None and not any(d.is_error for d in self.diagnostics)


def _finish(
    path: str, source: PreprocessedSource | None, diagnostics: list[Diagnostic]
) -> ParseResult:
    if source is None or any(d.is_error for d in diagnostics):
        return ParseResult(None, sort_diagnostics(diagnostics), source)
    with gc_paused():
        flow, found = parse_preprocessed(path, source)
    diagnostics = diagnostics + found
    if flow is not None:
        diagnostics += validate(flow, source)
    return ParseResult(flow, sort_diagnostics(diagnostics), source)


def parse_file(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
) -> ParseResult:
    """Parse an FDL file (includes resolved below ``root``, default: the file's folder).

    ``include_dirs`` is the ``#include`` search path (then the ``include/`` folder beside
    the file, when there is one); each folder on it is a root too.
    """
    source, diagnostics = preprocess_file(
        path,
        root=root,
        defines=defines,
        max_input_size=max_input_size,
        include_dirs=include_dirs,
    )
    return _finish(os.fspath(path), source, diagnostics)


def parse_text(
    text: str,
    filename: str = "<string>",
    *,
    root: str | os.PathLike[str] | None = None,
    defines: Mapping[str, str] | None = None,
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
) -> ParseResult:
    """Parse FDL text held in memory (tests, editors)."""
    source, diagnostics = preprocess_text(
        text,
        filename,
        root=root,
        defines=defines,
        max_input_size=max_input_size,
        include_dirs=include_dirs,
    )
    return _finish(filename, source, diagnostics)
