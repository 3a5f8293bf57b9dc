"""The reporter interface."""

from __future__ import annotations

from collections.abc import Sequence

from callflow.diagnostics import Diagnostic


class Reporter:
    """Formats diagnostics; ``render`` returns the whole output as one string."""

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def render(self, diagnostics: Sequence[Diagnostic]) -> str:
        raise NotImplementedError
