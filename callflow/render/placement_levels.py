"""Placement at an interaction level: columns folded into their groups, rows to match.

EventStudio's ``interactionLevel`` (``--level``; docs/rendering.md, "Views"): every column
is folded into its ancestor group at that level, and each row is rewritten for the folded
columns (a message that stays inside one column is a self-message or not drawn, a
lifecycle or media inside a folded group is a box on it, mixing links only to other
columns). :func:`~callflow.render.placement.place` calls these after it has built the
object-level columns and each row; which group an entity folds into is
:func:`callflow.render.views.level_owner`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from callflow import ir
from callflow.render.placement_model import Column, Row, Tag
from callflow.render.placement_rows import ChainRun, Walked
from callflow.render.styles import StyleBook
from callflow.render.views import level_owner


def fold_columns(
    flow: ir.Flow, columns: Sequence[Column], col: Mapping[str, int], level: str
) -> tuple[list[Column], dict[str, int], frozenset[int]]:
    """The columns of a view at an interaction level: each column folded into its group
    at that level, where its first entity stood (an entity with no group there keeps its
    column); a separator inside a folded group goes. Returns the columns, the entity
    name -> column map and the folded (group) columns."""
    arch = flow.architecture
    book = StyleBook(flow)
    depth = ir.GROUP_LEVELS.index(level)  # type: ignore[arg-type]
    out: list[Column] = []
    moved: dict[int, int] = {}  # old column index -> new
    slot: dict[str, int] = {}  # group name -> its column
    for column in columns:
        if column.separator:
            parent = arch.group(column.parent) if column.parent is not None else None
            if parent is None or ir.GROUP_LEVELS.index(parent.level) < depth:
                out.append(replace(column, index=len(out)))
            continue
        owner = None if column.undeclared else level_owner(arch, column.name, level)
        if owner is None:
            moved[column.index] = len(out)
            out.append(replace(column, index=len(out)))
        elif owner.name in slot:
            index = moved[column.index] = slot[owner.name]
            if column.highlighted and not out[index].highlighted:
                out[index] = replace(out[index], highlighted=True)
        else:
            index = moved[column.index] = slot[owner.name] = len(out)
            out.append(
                Column(
                    index=index,
                    name=owner.name,
                    label=owner.label,
                    highlighted=column.highlighted,
                    color=next((a.value for a in owner.attributes if a.key == "color"), None),
                    look=book.look(owner.style, f"default_{owner.level}_style") if book else None,
                )
            )
    folded = frozenset(slot.values())
    return out, {name: moved[index] for name, index in col.items()}, folded


def _fold_message(row: Row, internal: str, was_self: bool) -> Row | None:
    """A message row at a level: receivers folded into the sender's column leave the
    arrow (two into one column make one arrow); when none is left, the message is a
    self-message, or gone with ``internal="hide"``. A written self-message stays."""
    sender, *receivers = row.columns
    if was_self or not receivers:
        return row
    tags = list(row.receiver_tags) + [None] * (len(receivers) - len(row.receiver_tags))
    kept: list[tuple[int, Tag | None]] = []
    for column, tag in zip(receivers, tags, strict=False):
        if column != sender and all(column != c for c, _ in kept):
            kept.append((column, tag))
    if len(kept) == len(receivers):
        return row
    if not kept:
        if internal == "hide":
            return None
        kept = [(sender, tags[0] if tags else None)]
    return replace(
        row,
        columns=(sender, *(c for c, _ in kept)),
        receiver_tags=tuple(t for _, t in kept) if row.receiver_tags else (),
    )


def _entity_label(flow: ir.Flow, name: str) -> str:
    """An entity's label (its name when it is not declared)."""
    entity = flow.architecture.entity(name)
    return entity.label if entity is not None else name


def fold_row(
    row: Row,
    item: Walked,
    flow: ir.Flow,
    internal: str,
    labels: Mapping[str, str],
    folded: frozenset[int],
) -> Row | None:
    """A row at an interaction level (its columns are folded already): see
    docs/rendering.md, "Views". None: not drawn at this level."""
    if row.kind == "message":
        return _fold_message(row, internal, isinstance(item, ir.Message) and item.is_self)
    if row.kind == "chain" and isinstance(item, ChainRun):
        hops = [
            hop
            for hop in (
                _fold_message(h, internal, m.is_self)
                for h, m in zip(row.hops, item.messages, strict=False)
            )
            if hop is not None
        ]
        if not hops:
            return None
        columns: list[int] = []
        for hop in hops:
            columns.extend(c for c in hop.columns if c not in columns)
        return replace(row, hops=tuple(hops), columns=tuple(columns))
    if isinstance(item, ir.Create | ir.Delete) and row.kind in ("create", "delete"):
        source, target = row.columns
        if target not in folded:
            return row  # the entity has a column (and a lifeline) of its own
        if source == target and internal == "hide":
            return None
        # a folded group's column lives throughout: the lifecycle is a box on it
        actor, subject = item.entity_names()
        verb = "create" if isinstance(item, ir.Create) else "delete"
        name = _entity_label(flow, subject.text)
        text = f"{verb} {name}"
        if actor.text != subject.text:
            text = f"{_entity_label(flow, actor.text)} {verb}s {name}"
        return replace(row, kind="action", text=text, columns=(target,), params=())
    if row.kind in ("media", "media-stop") and isinstance(item, ir.MediaStart | ir.MediaStop):
        a, b = row.columns
        if a != b:
            return row
        if internal == "hide":
            return None
        ends = f"{_entity_label(flow, item.a.text)} \u2194 {_entity_label(flow, item.b.text)}"
        return replace(row, kind="action", text=f"{row.text} ({ends})", columns=(a,))
    if row.kind == "mix" and isinstance(item, ir.Mix):
        mixer, *parties = row.columns
        others = tuple(dict.fromkeys(p for p in parties if p != mixer))
        if not others and internal == "hide":
            return None
        names = dict.fromkeys(labels.get(p.text, p.text) for p in item.parties)
        return replace(row, columns=(mixer, *others), text="mixes " + ", ".join(names))
    return row
