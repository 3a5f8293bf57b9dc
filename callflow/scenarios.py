"""Scenario expansion: every ``case`` replaced by one of its legs (fdl.md section 5).

A flow without ``case`` has one scenario. Each case multiplies the count by its number of
legs; nested and successive cases multiply further. The count is computed before anything
is expanded, so ``--max-scenarios`` stops a combinatorial flow at once instead of hanging.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from callflow import ir
from callflow.diagnostics import Diagnostic, Severity
from callflow.gcpause import gc_paused
from callflow.sip.resolve import resolve_messages

DEFAULT_MAX_SCENARIOS = 1024
MAIN_SCENARIO = "main"

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """``Busy / Retry`` -> ``busy-retry`` (file names for scenario outputs)."""
    slug = _SLUG.sub("-", name.lower()).strip("-")
    return slug or "scenario"


_PLAIN_NAME = re.compile(r"[A-Za-z0-9 _-]*")
MAX_SLUG = 48


def safe_slug(name: str, max_length: int = MAX_SLUG) -> str:
    """A file name for any name: :func:`slugify` bounded to ``max_length`` characters,
    plus a short stable hash of the name when the name has characters outside
    ``[A-Za-z0-9 _-]`` or was cut, so names that slug alike stay apart
    (``Place Order (Alternate: Busy)`` -> ``place-order-alternate-busy-3f2a9c``)."""
    slug = slugify(name)
    cut = slug[:max_length].rstrip("-")
    if _PLAIN_NAME.fullmatch(name) and cut == slug:
        return slug
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{cut or 'scenario'}-{digest}"


_ASCII_LABEL = re.compile(r"[ -~]+")


def _label_slug(label: str) -> str:
    """A leg label's part of a slug: plain :func:`slugify` for a short printable ASCII
    label (``Busy / Retry`` -> ``busy-retry``, as fdl.md §6 has it), :func:`safe_slug`
    (with its hash) for anything else: other scripts, control characters, long labels."""
    slug = slugify(label)
    if _ASCII_LABEL.fullmatch(label) and slug != "scenario" and len(slug) <= MAX_SLUG:
        return slug
    return safe_slug(label)


def scenario_slug(path: Sequence[str]) -> str:
    """A scenario's file name from its leg labels: each label's :func:`safe_slug`, joined
    with ``-`` (``Busy / Retry`` -> ``busy-retry``; a label with other characters gets its
    own short hash), the whole bounded too. ``main`` for a flow without legs."""
    if not path:
        return MAIN_SCENARIO
    slug = "-".join(_label_slug(label) for label in path)
    return slug if len(slug) <= 2 * MAX_SLUG else safe_slug(" / ".join(path))


# ------------------------------------------------------------------------------ counting


def _count_statements(body: Sequence[ir.Statement]) -> int:
    total = 1
    for statement in body:
        if isinstance(statement, ir.Case):
            total *= sum(_count_statements(leg.body) for leg in statement.legs) or 1
        elif isinstance(statement, ir.Sequence):
            total *= _count_statements(statement.body)
    return total


def _count_items(items: Sequence[ir.Feature | ir.FileCase]) -> int:
    total = 1
    for item in items:
        if isinstance(item, ir.Feature):
            total *= _count_statements(item.body)
        else:
            total *= sum(_count_items(leg.body) for leg in item.legs) or 1
    return total


def count_scenarios(flow: ir.Flow) -> int:
    """How many scenarios the flow has, without expanding them."""
    return _count_items(flow.body)


# ------------------------------------------------------------------------------ expansion

Variant = tuple[tuple[str, ...], tuple[ir.Statement, ...]]
ItemVariant = tuple[tuple[str, ...], tuple[ir.ScenarioFeature, ...]]


def _expand_statements(body: Sequence[ir.Statement]) -> list[Variant]:
    """Each way through a statement list: (leg labels chosen, statements)."""
    per_item: list[list[Variant]] = []
    for statement in body:
        if isinstance(statement, ir.Case):
            options: list[Variant] = []
            for leg in statement.legs:
                for path, stmts in _expand_statements(leg.body):
                    options.append(((leg.label, *path), stmts))
            per_item.append(options or [((), ())])
        elif isinstance(statement, ir.Sequence):
            per_item.append(
                [
                    (path, (replace(statement, body=stmts),))
                    for path, stmts in _expand_statements(statement.body)
                ]
            )
        else:
            per_item.append([((), (statement,))])
    if all(len(options) == 1 for options in per_item):  # the common, case-free path
        return [((), tuple(s for options in per_item for s in options[0][1]))]
    variants: list[Variant] = []
    for combo in itertools.product(*per_item):
        path = tuple(label for p, _ in combo for label in p)
        stmts = tuple(s for _, ss in combo for s in ss)
        variants.append((path, stmts))
    return variants


def _expand_items(items: Sequence[ir.Feature | ir.FileCase]) -> list[ItemVariant]:
    per_item: list[list[ItemVariant]] = []
    for item in items:
        if isinstance(item, ir.Feature):
            per_item.append(
                [
                    (path, (ir.ScenarioFeature(item.name, stmts, item.loc),))
                    for path, stmts in _expand_statements(item.body)
                ]
            )
        else:
            options: list[ItemVariant] = []
            for leg in item.legs:
                for path, features in _expand_items(leg.body):
                    options.append(((leg.label, *path), features))
            per_item.append(options or [((), ())])
    variants: list[ItemVariant] = []
    for combo in itertools.product(*per_item):
        path = tuple(label for p, _ in combo for label in p)
        features = tuple(f for _, fs in combo for f in fs)
        variants.append((path, features))
    return variants


def _flatten(body: Sequence[ir.Statement]) -> Iterator[ir.Statement]:
    for statement in body:
        if isinstance(statement, ir.Sequence):
            yield from _flatten(statement.body)
        else:
            yield statement


@dataclass(frozen=True)
class Expansion:
    """The scenarios of a flow, or why there are none."""

    scenarios: list[ir.Scenario] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    count: int = 0


def expand_scenarios(flow: ir.Flow, *, max_scenarios: int = DEFAULT_MAX_SCENARIOS) -> Expansion:
    """Turn ``case``/``leg`` into scenarios, each with its messages resolved (fdl.md §4)."""
    with gc_paused():
        return _expand(flow, max_scenarios)


def _expand(flow: ir.Flow, max_scenarios: int) -> Expansion:
    count = count_scenarios(flow)
    if count > max_scenarios:
        first_case = _first_case_loc(flow)
        return Expansion(
            [],
            [
                Diagnostic(
                    "FDL307",
                    "semantic.too-many-scenarios",
                    Severity.ERROR,
                    first_case,
                    f"the flow has {count:,} scenarios, more than --max-scenarios "
                    f"{max_scenarios:,}; split it or raise the limit",
                )
            ],
            count,
        )
    scenarios: list[ir.Scenario] = []
    used_slugs: set[str] = set()
    entities = {e.name: e for e in flow.architecture.entities}
    for index, (path, features) in enumerate(_expand_items(flow.body)):
        name = " / ".join(path) if path else MAIN_SCENARIO
        slug = base = scenario_slug(path)
        n = 2
        while slug in used_slugs:  # two legs with one label (FLOW006): keep files apart
            slug = f"{base}-{n}"
            n += 1
        used_slugs.add(slug)
        flat = tuple(s for feature in features for s in _flatten(feature.body))
        messages = tuple(s for s in flat if isinstance(s, ir.Message))
        scenarios.append(
            ir.Scenario(
                index=index,
                name=name,
                slug=slug,
                path=path,
                features=features,
                flat=flat,
                message_list=messages,
                resolved=resolve_messages(messages, entities),
            )
        )
    return Expansion(scenarios, [], count)


def _first_case_loc(flow: ir.Flow) -> ir.SourceLocation:
    for item in flow.body:
        if isinstance(item, ir.FileCase):
            return item.loc
        for statement in ir.walk_statements(item.body):
            if isinstance(statement, ir.Case):
                return statement.loc
    return ir.SourceLocation(flow.path, 1, 1, 1, 1)


def select_scenarios(scenarios: Sequence[ir.Scenario], pattern: str | None) -> list[ir.Scenario]:
    """Scenarios whose name or slug matches a glob (``--scenario``); all when None."""
    if pattern is None:
        return list(scenarios)
    lowered = pattern.lower()
    return [
        s
        for s in scenarios
        if fnmatch.fnmatchcase(s.name.lower(), lowered) or fnmatch.fnmatchcase(s.slug, lowered)
    ]
