"""Collaboration and context diagrams, laid out by Graphviz.

A sequence diagram answers "in what order"; these answer "who talks to whom, how much".
The collaboration diagram has one node per entity of a scenario, grouped in clusters by
the architecture (system > subsystem > module > component), and one edge per
communicating pair. The context diagram lifts that to systems over every scenario. Both
take EventStudio's view settings (:mod:`callflow.render.views`): at an ``interactionLevel``
every entity is folded into its group at that level (one node per group, traffic summed
per pair of nodes), and an ``interfaceFilter`` (an object, type or group) keeps only the
messages involving it, with its nodes highlighted. Both are built as
:class:`graphviz.Digraph` objects (testable without ``dot``); :func:`render_graph` runs
``dot``.

Counting is one pass over the messages into a dict keyed by the unordered pair, so a
flow with thousands of messages costs no more than reading it. Every user text goes
through :func:`_dot_text` (labels) or :func:`_dot_tooltip` (tooltips), so quotes,
backslashes, ``<``, ``&`` and ``]]>`` come out literally in the SVG.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import graphviz

from callflow import ir
from callflow.render.views import level_owner, resolve_interface

__all__ = [
    "GraphvizMissing",
    "collaboration_graph",
    "context_graph",
    "render_graph",
]

FONT = "DejaVu Sans"

#: formats whose ``dot`` output is text (``render_graph`` returns str)
TEXT_FORMATS = frozenset({"svg", "dot", "gv", "canon", "plain", "plain-ext", "json", "xdot"})

_NODE_FILL = "#e8f0fb"
_NODE_LINE = "#5b7db1"
_SYSTEM_FILL = "#eef3e6"
_SYSTEM_LINE = "#7d9a55"
_EDGE_COLOR = "#4d4d4d"
_TEXT_COLOR = "#222222"
_CLUSTER_FILL = {
    "system": "#f5f5f5",
    "subsystem": "#ebebeb",
    "module": "#e0e0e0",
    "component": "#d6d6d6",
}
_FOCUS_FILL = "#fde68a"
_FOCUS_LINE = "#d97706"
_CLUSTER_LINE = "#bdbdbd"
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: a backslash, and the character after it that a second expansion would read (_dot_tooltip)
_TOOLTIP_BACKSLASH = re.compile(r"\\(?=([\\NGETHL])?)")
_ZWSP = "\u200b"


class GraphvizMissing(RuntimeError):
    """The Graphviz ``dot`` executable is not installed (or not on PATH)."""


# ------------------------------------------------------------------------------ escaping


def _plain(text: str) -> str:
    """Newlines normalised and control characters (invalid in XML) made visible."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("\ufffd", text)


def _dot_text(text: str) -> graphviz.quoting.NoHtml:
    """A label that Graphviz shows literally.

    Backslashes are doubled (``\\N``, ``\\G`` would be substituted), ``&`` becomes
    ``&amp;`` (Graphviz decodes entities in labels, so ``&lt;`` would turn into ``<``),
    newlines become ``\\n``, and ``nohtml`` stops a ``<...>`` label being read as HTML.
    The graphviz package escapes the double quotes.
    """
    text = _plain(text).replace("\\", "\\\\").replace("&", "&amp;")
    return graphviz.nohtml(text.replace("\n", "\\n"))


def _dot_tooltip(text: str) -> graphviz.quoting.NoHtml:
    """A tooltip that Graphviz shows literally, whichever version runs.

    Tooltips are unescaped like labels (``\\\\`` -> ``\\``) and then, in Graphviz 2.x,
    searched again for ``\\N``, ``\\G``, ``\\E``, ``\\T``, ``\\H``, ``\\L`` and ``\\\\``.
    So a backslash is doubled as in a label, and one followed by such a letter or another
    backslash gets a zero-width space after it: every version then shows the backslash,
    and the space is invisible.
    """
    text = _TOOLTIP_BACKSLASH.sub(
        lambda m: "\\\\" + (_ZWSP if m.group(1) else ""), _plain(text)
    ).replace("&", "&amp;")
    return graphviz.nohtml(text.replace("\n", "\\n"))


def _node_id(name: str) -> str:
    """A stable DOT id for a name (FDL names are identifiers already; this is a guard)."""
    return _UNSAFE_ID.sub("_", name) or "_"


def _color(value: str | None, default: str) -> str:
    return value if value is not None and _COLOR.fullmatch(value) else default


# ------------------------------------------------------------------------------ counting


@dataclass(slots=True)
class _Pair:
    """Traffic between two nodes; ``a`` comes before ``b`` in node order (a tally)."""

    a: str
    b: str
    forward: int = 0  # a -> b (and self messages when a == b)
    backward: int = 0  # b -> a
    forward_names: dict[str, None] = field(default_factory=dict)
    backward_names: dict[str, None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.forward + self.backward


def _tally(
    messages: Iterable[ir.Message],
    node_of: dict[str, str],
    rank: dict[str, int],
    skip_internal: bool = False,
) -> dict[tuple[str, str], _Pair]:
    """Messages per unordered node pair, one pass (a multicast counts once per receiver).

    ``node_of`` maps an entity name to its node; names it lacks are not counted.
    ``skip_internal``: a message between two entities folded into one node is not counted
    (a self message of an entity still is).
    """
    pairs: dict[tuple[str, str], _Pair] = {}
    for message in messages:
        sender = node_of.get(message.sender.text)
        if sender is None:
            continue
        for receiver_name in message.receivers:
            receiver = node_of.get(receiver_name.text)
            if receiver is None:
                continue
            if skip_internal and receiver == sender and receiver_name.text != message.sender.text:
                continue
            forward = rank[sender] <= rank[receiver]
            key = (sender, receiver) if forward else (receiver, sender)
            pair = pairs.get(key)
            if pair is None:
                pair = pairs[key] = _Pair(*key)
            if forward:
                pair.forward += 1
                pair.forward_names[message.name] = None
            else:
                pair.backward += 1
                pair.backward_names[message.name] = None
    return pairs


def _count_label(forward: int, backward: int) -> str:
    """``12`` one way, ``12 (7 →, 5 ←)`` both ways (→ points from the tail to the head)."""
    if forward and backward:
        return f"{forward + backward} ({forward} →, {backward} ←)"
    return str(forward + backward)


def _direction(forward: int, backward: int) -> str:
    if forward and backward:
        return "both"
    return "forward" if forward else "back"


def _penwidth(total: int) -> str:
    """Busier pairs get thicker lines, gently (1.0 up to 3.5)."""
    return f"{min(3.5, 1.0 + total.bit_length() * 0.25):.2f}"


def _names_line(names: Iterable[str]) -> str:
    return ", ".join(names)


# ------------------------------------------------------------------------------ graphs


def _base_graph(name: str, title: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name=name)
    graph.attr(
        "graph",
        rankdir="LR",
        fontname=FONT,
        fontsize="14",
        fontcolor=_TEXT_COLOR,
        label=_dot_text(title),
        labelloc="t",
        labeljust="c",
        bgcolor="white",
        nodesep="0.35",
        ranksep="0.7",
        pad="0.3",
        tooltip=_dot_tooltip(title),
    )
    graph.attr(
        "node",
        shape="box",
        style="rounded,filled",
        fontname=FONT,
        fontsize="11",
        fontcolor=_TEXT_COLOR,
        fillcolor=_NODE_FILL,
        color=_NODE_LINE,
        margin="0.18,0.08",
    )
    graph.attr(
        "edge",
        fontname=FONT,
        fontsize="10",
        fontcolor=_TEXT_COLOR,
        color=_EDGE_COLOR,
        arrowsize="0.7",
    )
    return graph


def _scenario_participants(scenario: ir.Scenario) -> dict[str, None]:
    """Every name a statement of the scenario refers to, in first-use order."""
    used: dict[str, None] = {}
    for statement in scenario.statements():
        for name in statement.entity_names():
            used.setdefault(name.text)
    return used


@dataclass(slots=True)
class _Cluster:
    """A group and what sits directly in it, in first-use order (a builder)."""

    group: ir.Group | None
    children: dict[str, _Cluster] = field(default_factory=dict)
    #: the nodes directly in it: entities, or at a level the groups folded into nodes
    entities: list[ir.Entity | ir.Group] = field(default_factory=list)


def _group_fill(group: ir.Group) -> str:
    color = next((a.value for a in group.attributes if a.key == "color"), None)
    return _color(color, _CLUSTER_FILL[group.level])


def _focus_attrs(focus: bool) -> dict[str, str]:
    """An interface filter's own nodes stand out (as the sequence view's focus box)."""
    return {"fillcolor": _FOCUS_FILL, "color": _FOCUS_LINE, "penwidth": "1.5"} if focus else {}


def _entity_node(
    graph: graphviz.Digraph, entity: ir.Entity, node: str | None = None, focus: bool = False
) -> None:
    role = entity.role
    tooltip = f"{entity.label} ({entity.name})" + (f", role {role}" if role else "")
    attrs = {"fillcolor": _color(entity.attribute("color"), _NODE_FILL)}
    if entity.dynamic:
        attrs["style"] = "rounded,filled,dashed"
    attrs.update(_focus_attrs(focus))
    graph.node(
        node or _node_id(entity.name),
        label=_dot_text(entity.label if entity.label.strip() else entity.name),
        tooltip=_dot_tooltip(tooltip),
        **attrs,
    )


def _group_node(
    graph: graphviz.Digraph, group: ir.Group, node: str, members: Sequence[str], focus: bool
) -> None:
    """A group folded into one node (a level view): its label, its members in the tooltip."""
    color = next((a.value for a in group.attributes if a.key == "color"), None)
    attrs = {"fillcolor": _color(color, _SYSTEM_FILL), "color": _SYSTEM_LINE}
    attrs.update(_focus_attrs(focus))
    graph.node(
        node,
        label=_dot_text(group.label if group.label.strip() else group.name),
        tooltip=_dot_tooltip(f"{group.level} {group.label} ({group.name}): " + ", ".join(members)),
        **attrs,
    )


def _group_node_id(group: ir.Group) -> str:
    return f"{group.level}_{_node_id(group.name)}"


def _undeclared_node(graph: graphviz.Digraph, name: str, node: str | None = None) -> None:
    graph.node(
        node or _node_id(name),
        label=_dot_text(f"{name}\n(undeclared)"),
        tooltip=_dot_tooltip(f"{name}: used but not declared"),
        style="rounded,filled,dashed",
        fillcolor="white",
        color="#888888",
        fontcolor="#555555",
    )


def _emit_cluster(
    graph: graphviz.Digraph,
    cluster: _Cluster,
    focus: frozenset[str] = frozenset(),
    members: dict[str, list[str]] | None = None,
) -> None:
    for item in cluster.entities:
        if isinstance(item, ir.Group):
            node = _group_node_id(item)
            _group_node(graph, item, node, (members or {}).get(node, []), node in focus)
        else:
            _entity_node(graph, item, focus=_node_id(item.name) in focus)
    for child in cluster.children.values():
        group = child.group
        assert group is not None
        with graph.subgraph(name=f"cluster_{_node_id(group.name)}") as sub:
            sub.attr(
                label=_dot_text(group.label),
                tooltip=_dot_tooltip(f"{group.level} {group.label} ({group.name})"),
                style="rounded,filled",
                fillcolor=_group_fill(group),
                color=_CLUSTER_LINE,
                fontname=FONT,
                fontsize="11",
                fontcolor="#555555",
                labeljust="l",
                margin="10",
            )
            _emit_cluster(sub, child, focus, members)


def _edge_tooltip(labels: dict[str, str], pair: _Pair) -> str:
    a, b = labels[pair.a], labels[pair.b]
    if pair.a == pair.b:
        return f"{a} → itself: {pair.forward}\n{_names_line(pair.forward_names)}"
    lines: list[str] = []
    if pair.forward:
        lines += [f"{a} → {b}: {pair.forward}", _names_line(pair.forward_names)]
    if pair.backward:
        lines += [f"{b} → {a}: {pair.backward}", _names_line(pair.backward_names)]
    return "\n".join(lines)


def _interface_members(flow: ir.Flow, interface: str | None) -> frozenset[str] | None:
    """The entities an interface filter keeps (None: no filter). A name that is no
    object, type or group of the flow keeps that name alone (an undeclared entity)."""
    if interface is None:
        return None
    chosen = resolve_interface(flow, interface)
    return chosen.members if chosen is not None else frozenset({interface.strip()})


def _touches(statement: ir.Statement, members: frozenset[str] | None) -> bool:
    return members is None or any(n.text in members for n in statement.entity_names())


def _above(chain: Sequence[ir.Group], level: str | None) -> tuple[ir.Group, ...]:
    """The groups of an ancestor chain that stay clusters at a level (those above it)."""
    if level is None:
        return tuple(chain)
    top = ir.GROUP_LEVELS.index(level)  # type: ignore[arg-type]
    return tuple(g for g in chain if ir.GROUP_LEVELS.index(g.level) < top)


def _view_title(base: str, level: str | None, label: str | None) -> str:
    if level is not None:
        base += f" ({level} level)"
    if label is not None:
        base += f", {label} interfaces"
    return base


def _filter_label(flow: ir.Flow, interface: str | None) -> str | None:
    if interface is None:
        return None
    chosen = resolve_interface(flow, interface)
    return chosen.label if chosen is not None else interface


def collaboration_graph(
    flow: ir.Flow,
    scenario: ir.Scenario,
    *,
    level: str | None = None,
    interface: str | None = None,
    internal: str = "show",
) -> graphviz.Digraph:
    """Who talks to whom in one scenario: entities in architecture clusters, pairs as edges.

    Nodes are the entities the scenario's statements name: declared ones in declaration
    order, then undeclared names (dashed, "(undeclared)") in first-use order. Each edge is
    an unordered pair, drawn from the earlier node to the later one (so with the
    left-to-right layout "→" in its label points rightwards), ``dir=both`` when both
    directions carry messages; its label is the message count and its tooltip the
    distinct message names per direction.

    ``level`` folds each entity into its group at that level (an entity with no group
    there stays a node of its own); the groups above it stay clusters; messages between
    entities of one node are a loop on it, or not counted with ``internal="hide"``.
    ``interface`` (an object, type or group) keeps the messages involving it.
    """
    arch = flow.architecture
    members = _interface_members(flow, interface)
    used: dict[str, None] = {}
    for statement in scenario.statements():
        if _touches(statement, members):
            for name in statement.entity_names():
                used.setdefault(name.text)
    declared = [e for e in arch.entities if e.name in used]
    declared_names = {e.name for e in arch.entities}
    undeclared = [name for name in used if name not in declared_names]

    node_of: dict[str, str] = {}
    labels: dict[str, str] = {}
    node_members: dict[str, list[str]] = {}
    root = _Cluster(None)
    for entity in declared:
        owner = level_owner(arch, entity.name, level) if level is not None else None
        node = _group_node_id(owner) if owner is not None else _node_id(entity.name)
        node_of[entity.name] = node
        node_members.setdefault(node, []).append(entity.label)
        if node in labels:
            continue
        item: ir.Entity | ir.Group = owner if owner is not None else entity
        labels[node] = item.label
        cluster = root
        for group in reversed(_above(arch.ancestors(item.name), level)):
            child = cluster.children.get(group.name)
            if child is None:
                child = cluster.children[group.name] = _Cluster(group)
            cluster = child
        cluster.entities.append(item)
    for name in undeclared:
        node_of[name] = _node_id(name)
        labels.setdefault(_node_id(name), name)
    rank: dict[str, int] = {}
    for node in node_of.values():
        rank.setdefault(node, len(rank))
    focus = frozenset(node_of[m] for m in members or () if m in node_of)

    title = _view_title(
        f"{flow.display_title}: {scenario.name}", level, _filter_label(flow, interface)
    )
    graph = _base_graph("collaboration", title)
    _emit_cluster(graph, root, focus, node_members)
    for name in undeclared:
        _undeclared_node(graph, name)

    messages = [m for m in scenario.messages() if _touches(m, members)]
    pairs = _tally(messages, node_of, rank, skip_internal=level is not None and internal == "hide")
    for pair in sorted(pairs.values(), key=lambda p: (rank[p.a], rank[p.b])):
        tooltip = _dot_tooltip(_edge_tooltip(labels, pair))
        graph.edge(
            pair.a,
            pair.b,
            label=_dot_text(_count_label(pair.forward, pair.backward)),
            tooltip=tooltip,
            labeltooltip=tooltip,
            dir=_direction(pair.forward, pair.backward),
            penwidth=_penwidth(pair.total),
        )
    return graph


def context_graph(
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    *,
    level: str | None = None,
    interface: str | None = None,
) -> graphviz.Digraph:
    """Which systems talk to each other, over every scenario.

    One node per ``system`` group (an entity outside every system is a node of its own),
    one edge per pair of nodes that exchange a message in any scenario; traffic inside a
    system is not drawn. Scenarios share their common parts, so counts are not summed:
    an edge's label is the count of its busiest scenario and its tooltip gives each
    scenario's count and the distinct message names.

    ``level`` draws the groups of another level instead of the systems (EventStudio's
    context diagram at an ``interactionLevel``); ``interface`` (an object, type or
    group) keeps only the messages involving it, and only the nodes they reach and the
    filter's own (highlighted).
    """
    arch = flow.architecture
    tier = level or "system"
    members = _interface_members(flow, interface)
    node_of: dict[str, str] = {}  # entity name -> node id
    member_labels: dict[str, list[str]] = {}  # node id -> entity labels
    labels: dict[str, str] = {}  # node id -> display label
    kinds: dict[str, ir.Group | ir.Entity | None] = {}  # None: undeclared
    order: list[str] = []

    def add_node(node: str, label: str, kind: ir.Group | ir.Entity | None) -> None:
        if node not in labels:
            labels[node] = label
            kinds[node] = kind
            member_labels[node] = []
            order.append(node)

    for entity in arch.entities:
        owner = level_owner(arch, entity.name, tier)
        if owner is not None:
            node = _group_node_id(owner)
            add_node(node, owner.label, owner)
        else:
            node = f"entity_{_node_id(entity.name)}"
            add_node(node, entity.label, entity)
        node_of[entity.name] = node
        member_labels[node].append(entity.label)
    for group in arch.groups:
        if group.level == tier:
            add_node(_group_node_id(group), group.label, group)
    kept = [[m for m in s.messages() if _touches(m, members)] for s in scenarios]
    for messages in kept:
        for message in messages:
            for name in (message.sender, *message.receivers):
                if name.text not in node_of:
                    node = f"undeclared_{_node_id(name.text)}"
                    add_node(node, name.text, None)
                    node_of[name.text] = node
    rank = {node: i for i, node in enumerate(order)}

    per_scenario: list[tuple[str, dict[tuple[str, str], _Pair]]] = []
    for scenario, messages in zip(scenarios, kept, strict=True):
        pairs = _tally(messages, node_of, rank)
        per_scenario.append((scenario.name, {k: p for k, p in pairs.items() if k[0] != k[1]}))
    keys = sorted(
        {k for _, pairs in per_scenario for k in pairs}, key=lambda k: (rank[k[0]], rank[k[1]])
    )
    focus = frozenset(node_of[m] for m in members or () if m in node_of)
    shown = order
    if members is not None:  # a filtered context: the filter's nodes and their peers
        reached = focus | {node for key in keys for node in key}
        shown = [node for node in order if node in reached]

    title = _view_title(f"{flow.display_title}: context", level, _filter_label(flow, interface))
    graph = _base_graph("context", title)
    for node in shown:
        kind = kinds[node]
        if isinstance(kind, ir.Group):
            color = next((a.value for a in kind.attributes if a.key == "color"), None)
            graph.node(
                node,
                label=_dot_text(labels[node]),
                tooltip=_dot_tooltip(
                    f"{kind.level} {labels[node]}: " + ", ".join(member_labels[node])
                ),
                fillcolor=_FOCUS_FILL if node in focus else _color(color, _SYSTEM_FILL),
                color=_FOCUS_LINE if node in focus else _SYSTEM_LINE,
                penwidth="1.5",
                fontsize="12",
                margin="0.25,0.12",
            )
        elif isinstance(kind, ir.Entity):
            _entity_node(graph, kind, node, focus=node in focus)
        else:
            _undeclared_node(graph, labels[node], node)

    for key in keys:
        seen = [(name, pairs[key]) for name, pairs in per_scenario if key in pairs]
        busiest = max(seen, key=lambda item: item[1].total)[1]  # first of equals: stable
        forward = any(p.forward for _, p in seen)
        backward = any(p.backward for _, p in seen)
        a, b = labels[key[0]], labels[key[1]]
        lines = [f"{name}: {_count_label(p.forward, p.backward)}" for name, p in seen]
        fwd_names = {n: None for _, p in seen for n in p.forward_names}
        back_names = {n: None for _, p in seen for n in p.backward_names}
        if fwd_names:
            lines.append(f"{a} → {b}: {_names_line(fwd_names)}")
        if back_names:
            lines.append(f"{b} → {a}: {_names_line(back_names)}")
        tooltip = _dot_tooltip("\n".join(lines))
        graph.edge(
            key[0],
            key[1],
            label=_dot_text(_count_label(busiest.forward, busiest.backward)),
            tooltip=tooltip,
            labeltooltip=tooltip,
            dir=_direction(int(forward), int(backward)),
            penwidth=_penwidth(busiest.total),
        )
    return graph


def render_graph(graph: graphviz.Digraph, fmt: str = "svg") -> str:
    """Run ``dot`` and return its text output (SVG by default).

    Raises :class:`GraphvizMissing` when ``dot`` cannot be found, so callers can say
    "install Graphviz" instead of showing a traceback.
    """
    if fmt not in TEXT_FORMATS:
        raise ValueError(f"render_graph returns text; {fmt!r} is not a text format")
    try:
        return graph.pipe(format=fmt, encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizMissing(
            "Graphviz's 'dot' was not found on PATH; install Graphviz to draw diagrams"
        ) from exc
