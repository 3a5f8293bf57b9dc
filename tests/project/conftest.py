"""Helpers for EventStudio project tests: projects written into ``tmp_path``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

#: a clean model; WITH_PING adds a transaction, the case expands it into two legs
MODEL = """\
eternal: A [role=ue], B [role=ue]
feature "Options" {
#ifdef WITH_PING
    OPTIONS : A -> B
    200 OK : B -> A
#endif
    case {
        leg "Found":
            OPTIONS : B -> A
            200 OK : A -> B
        leg "Missing":
            OPTIONS : B -> A
            404 Not Found : A -> B
    }
}
"""

#: a clean model without case/leg
PLAIN = """\
eternal: A [role=ue], B [role=ue]
feature "Ping" {
    OPTIONS : A -> B
    200 OK : B -> A
}
"""

#: a model with a design-review error (FLOW001: an undeclared entity)
UNDECLARED = """\
eternal: A [role=ue], B [role=ue]
feature "Broken" {
    Hello : A -> UE_C
}
"""


def make_project(root: Path, project: str, models: dict[str, str] | None = None) -> Path:
    """A project folder: ``project.scn.json`` holding ``project`` and each model file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "project.scn.json").write_text(project, encoding="utf-8")
    for name, text in (models or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def fx() -> SimpleNamespace:
    """The models and ``make_project`` (test modules cannot import conftest)."""
    return SimpleNamespace(MODEL=MODEL, PLAIN=PLAIN, UNDECLARED=UNDECLARED, make=make_project)
