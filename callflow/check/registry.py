"""The rule registry: every checker rule is a small class with a stable code.

A rule declares its code (``FLOW002``), dotted name (``flow.timer-left-running``),
default severity, one-line summary and the document section it comes from; its
docstring is its documentation. Rules run once per file (``check_flow``) or once per
scenario (``check_scenario``); the runner merges equal findings across scenarios.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from callflow import ir
from callflow.diagnostics import Severity
from callflow.sip.model import SipModel, build_model

Scope = Literal["file", "scenario"]


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the runner turns it into a :class:`Diagnostic`."""

    loc: ir.SourceLocation
    message: str
    severity: Severity | None = None  # None: the rule's default severity


@dataclass(frozen=True)
class CheckContext:
    """What every rule may read besides the scenario itself."""

    flow: ir.Flow
    entities: dict[str, ir.Entity]
    _models: dict[int, SipModel] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_flow(cls, flow: ir.Flow) -> CheckContext:
        return cls(flow, {e.name: e for e in flow.architecture.entities})

    def sip(self, scenario: ir.Scenario) -> SipModel:
        """The scenario's SIP model, built once and shared by every rule."""
        model = self._models.get(scenario.index)
        if model is None or model.scenario is not scenario:
            model = build_model(scenario, self.entities)
            self._models[scenario.index] = model
        return model


class Rule:
    """Base class: subclasses set the class attributes and override one check method."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    source: ClassVar[str]  # RFC section or design-review origin
    scope: ClassVar[Scope] = "scenario"
    #: evaluated after the scenario's last statement (sip-rules.md §1.10)
    at_scenario_end: ClassVar[bool] = False

    def check_flow(self, flow: ir.Flow, ctx: CheckContext) -> Iterable[Finding]:
        return ()

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterable[Finding]:
        return ()

    @classmethod
    def doc(cls) -> str:
        return (cls.__doc__ or "").strip()


_RULES: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry (codes and names are unique)."""
    if rule.code in _RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    if any(r.name == rule.name for r in _RULES.values()):
        raise ValueError(f"rule name {rule.name} registered twice")
    _RULES[rule.code] = rule
    return rule


def all_rules() -> list[type[Rule]]:
    """Every registered rule, by code."""
    from callflow.check import rules  # noqa: F401  (importing registers them)

    return [_RULES[code] for code in sorted(_RULES)]


def iter_rules(codes: Iterable[str] | None = None) -> Iterator[type[Rule]]:
    wanted = None if codes is None else set(codes)
    for rule in all_rules():
        if wanted is None or rule.code in wanted:
            yield rule
