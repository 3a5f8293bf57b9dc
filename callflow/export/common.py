"""What the PlantUML and Mermaid exports share: who takes part, and message text.

Each format module only decides its syntax and escaping; the walk over a scenario's
participants, the parameter wrapping and the option defaults are the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from callflow import ir

DEFAULT_WRAP = 40  # characters per parameter line in exported text
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True, slots=True)
class Participant:
    name: str
    alias: str  # an identifier safe in the target syntax
    label: str
    system: ir.Group | None
    color: str | None


#: how the exports name EventStudio's environment edges when they draw them as lifelines
EDGE_LABELS = {"env_l": "environment", "env_r": "environment"}


_NOT_ID = re.compile(r"[^A-Za-z0-9_]")


def safe_alias(name: str) -> str:
    """An identifier both formats accept for a name (EventStudio names may be quoted
    strings with spaces or any character): other characters become ``_``."""
    alias = _NOT_ID.sub("_", name)
    return alias if alias and not alias[0].isdigit() else f"p_{alias}"


def group_entities(arch: ir.Architecture) -> dict[str, tuple[str, ...]]:
    """Each group with an entity below it (at any depth): its entities, in order."""
    members: dict[str, list[str]] = {}
    for entity in arch.entities:
        for group in arch.ancestors(entity.name):
            members.setdefault(group.name, []).append(entity.name)
    return {name: tuple(names) for name, names in members.items()}


def spread(names: Iterable[ir.Name | str], groups: dict[str, tuple[str, ...]]) -> list[str]:
    """Entity names for a (joint or module-level) statement: a group stands for its
    entities; each name once, in order."""
    out: list[str] = []
    for name in names:
        text = name.text if isinstance(name, ir.Name) else name
        for entity in groups.get(text, (text,)):
            if entity not in out:
                out.append(entity)
    return out


def participants(
    flow: ir.Flow, scenario: ir.Scenario, reserved: frozenset[str], *, edges: bool = False
) -> tuple[Participant, ...]:
    """Declared entities in declaration order, then undeclared names in first-use order;
    an alias gets ``_`` appended while it is a reserved word of the format or taken.

    ``env_l`` / ``env_r`` and groups with entities (module-level actions) are not
    participants; with ``edges`` (a format with no diagram edges) the environment edges
    that the scenario uses are, ``env_l`` first and ``env_r`` last."""
    arch = flow.architecture
    names = [e.name for e in arch.entities]
    groups = group_entities(arch)
    seen = set(names) | set(groups) | ir.ENVIRONMENT_EDGES
    used_edges: set[str] = set()
    for statement in scenario.statements():
        for name in statement.entity_names():
            if name.text in ir.ENVIRONMENT_EDGES:
                used_edges.add(name.text)
            elif name.text not in seen:
                seen.add(name.text)
                names.append(name.text)
    if edges:
        if "env_l" in used_edges:
            names.insert(0, "env_l")
        if "env_r" in used_edges:
            names.append("env_r")
    used_aliases: set[str] = set()
    result: list[Participant] = []
    for name in names:
        alias = safe_alias(name)
        while (
            alias.lower() in reserved or alias in used_aliases or (alias != name and alias in seen)
        ):
            alias += "_"
        used_aliases.add(alias)
        entity = arch.entity(name)
        if entity is None:
            result.append(Participant(name, alias, EDGE_LABELS.get(name, name), None, None))
            continue
        system = next((g for g in arch.ancestors(name) if g.level == "system"), None)
        color = entity.attribute("color")
        result.append(
            Participant(
                name,
                alias,
                entity.label if entity.label.strip() else name,  # "" draws no box
                system,
                color if color is not None and _COLOR.fullmatch(color) else None,
            )
        )
    return tuple(result)


def tag_text(message: ir.Message, receiver: int = 0) -> str | None:
    """The tagged ends of one arrow of a message (``[5060] -> [N4]``), or None."""
    to = message.receiver_tags[receiver] if receiver < len(message.receiver_tags) else None
    if message.sender_tag is None and to is None:
        return None
    return f"[{message.sender_tag or ''}] -> [{to or ''}]"


def message_text(message: ir.Message, wrap: int, receiver: int = 0) -> str:
    """``NAME(p1, p2)`` on one line when it fits, else the name then wrapped params
    (a multi-line name keeps its lines; tagged ends follow on a line of their own)."""
    text = _message_text(message, wrap)
    tags = tag_text(message, receiver)
    return text if tags is None else f"{text}\n{tags}"


def _message_text(message: ir.Message, wrap: int) -> str:
    if not message.params:
        return message.name
    parts = [str(p) for p in message.params]
    one_line = f"{message.name}({', '.join(parts)})"
    if len(one_line) <= wrap:
        return one_line
    lines = [message.name]
    current = "("
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else ")")
        if current != "(" and len(current) + 1 + len(piece) > wrap:
            lines.append(current)
            current = piece
        else:
            current += piece if current == "(" else " " + piece
    lines.append(current)
    return "\n".join(lines)


def option_on(flow: ir.Flow, name: str, override: bool | None) -> bool:
    if override is not None:
        return override
    return (flow.option(name, "on") or "on").lower() != "off"


def wrap_width(flow: ir.Flow, override: int | None) -> int:
    if override is not None:
        return max(1, override)
    value = flow.option("wrap")
    return int(value) if value is not None and value.isdigit() and int(value) > 0 else DEFAULT_WRAP


#: note styles a format may draw differently (PlantUML: hnote, rnote, note)
NoteStyle = str


def lifeline_note(
    st: ir.Statement, label: dict[str, str]
) -> tuple[tuple[ir.Name, ...], str, NoteStyle] | None:
    """What an entity-level statement says as a note on its lifeline(s) (both formats use
    the same words): the entities (several for EventStudio's joint form, a group for a
    module-level one), the text and a style; None for other statements."""
    match st:
        case ir.Action():
            return st.entity_names(), st.text, "action"
        case ir.BeginAction():
            return st.entity_names(), f"begins action: {st.text}", "action"
        case ir.EndAction():
            return st.entity_names(), f"ends action: {st.text}", "action"
        case ir.StateChange():
            return st.entity_names(), f"state: {st.state}", "state"
        case ir.TimerStart():
            duration = f" ({st.duration_text})" if st.duration_text else ""
            kind = "periodic timer" if st.periodic else "timer"
            return (st.entity,), f"starts {kind} {st.timer.text}{duration}", "plain"
        case ir.TimerStop():
            return (st.entity,), f"stops timer {st.timer.text}", "plain"
        case ir.TimerTimeout():
            return (st.entity,), f"timeout {st.timer.text}", "plain"
        case ir.ResourceAllocate():
            return st.entity_names(), f'allocates resource "{st.resource}"', "plain"
        case ir.ResourceFree():
            return st.entity_names(), f'frees resource "{st.resource}"', "plain"
        case ir.Mix():
            text = "mixes " + ", ".join(label.get(p.text, p.text) for p in st.parties)
            return (st.mixer,), text, "plain"
        case ir.StopMixing():
            return (st.mixer,), "stops mixing", "plain"
    return None
