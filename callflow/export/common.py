"""What the PlantUML and Mermaid exports share: who takes part, and message text.

Each format module only decides its syntax and escaping; the walk over a scenario's
participants, the parameter wrapping and the option defaults are the same for both.
"""

from __future__ import annotations

import re
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


def participants(
    flow: ir.Flow, scenario: ir.Scenario, reserved: frozenset[str]
) -> tuple[Participant, ...]:
    """Declared entities in declaration order, then undeclared names in first-use order;
    an alias gets ``_`` appended while it is a reserved word of the format or taken."""
    arch = flow.architecture
    names = [e.name for e in arch.entities]
    seen = set(names)
    for statement in scenario.statements():
        for name in statement.entity_names():
            if name.text not in seen:
                seen.add(name.text)
                names.append(name.text)
    used_aliases: set[str] = set()
    result: list[Participant] = []
    for name in names:
        alias = name
        while (
            alias.lower() in reserved or alias in used_aliases or (alias != name and alias in seen)
        ):
            alias += "_"
        used_aliases.add(alias)
        entity = arch.entity(name)
        if entity is None:
            result.append(Participant(name, alias, name, None, None))
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


def message_text(message: ir.Message, wrap: int) -> str:
    """``NAME(p1, p2)`` on one line when it fits, else the name then wrapped params."""
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


def lifeline_note(st: ir.Statement, label: dict[str, str]) -> tuple[ir.Name, str, NoteStyle] | None:
    """What an entity-level statement says as a note on its lifeline (both formats use
    the same words): the entity, the text and a style; None for other statements."""
    match st:
        case ir.Action():
            return st.entity, st.text, "action"
        case ir.BeginAction():
            return st.entity, f"begins action: {st.text}", "action"
        case ir.EndAction():
            return st.entity, f"ends action: {st.text}", "action"
        case ir.StateChange():
            return st.entity, f"state: {st.state}", "state"
        case ir.TimerStart():
            duration = f" ({st.duration_text})" if st.duration_text else ""
            return st.entity, f"starts timer {st.timer.text}{duration}", "plain"
        case ir.TimerStop():
            return st.entity, f"stops timer {st.timer.text}", "plain"
        case ir.TimerTimeout():
            return st.entity, f"timeout {st.timer.text}", "plain"
        case ir.ResourceAllocate():
            return st.entity, f'allocates resource "{st.resource}"', "plain"
        case ir.ResourceFree():
            return st.entity, f'frees resource "{st.resource}"', "plain"
        case ir.Mix():
            return st.mixer, "mixes " + ", ".join(label[p.text] for p in st.parties), "plain"
        case ir.StopMixing():
            return st.mixer, "stops mixing", "plain"
    return None
