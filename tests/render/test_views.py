"""EventStudio's document views: interaction levels, interface filters on objects, types
and groups, exclusions, page sizes, the single-tier header, callout remarks, and the
collaboration and context diagrams at a level."""

from __future__ import annotations

from pathlib import Path

import pytest

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.render.collab import collaboration_graph, context_graph
from callflow.render.documents import RenderOptions, diagram_views, plan_documents
from callflow.render.geometry import Group, Line, Rect, Text, layout
from callflow.render.placement import Placement, place
from callflow.render.svg import render_page
from callflow.render.views import (
    PAGE_SIZES,
    interface_choices,
    page_height_for,
    resolve_interface,
)
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]

#: every grouping level: A and B share a component, C has its own in the same module,
#: D sits in a subsystem with no module, E in no group at all
LEVELS_FLOW = """\
title "Levels"

system:    S1 "System One", S2 "System Two"
subsystem: Sub1 "Sub One" in S1, Sub2 "Sub Two" in S2
module:    M1 "Module One" in Sub1
component: C1 "Comp One" in M1, C2 "Comp Two" in M1
eternal:   A "Alpha": Proxy in C1, B "Beta" in C1, C "Gamma": Proxy in C2,
           D "Delta" in Sub2, E "Epsilon"

feature "F" {
    |= A block remark across the diagram =|
    Ping(x=1, y=2) : A -> B   % inside C1
    Pong(z=3) : B -> C        % C1 to C2, inside M1
    Hello : C -> D            % S1 to S2
    Bye : D -> E              % S2 to nowhere
    Tick : A -> A             % a written self-message
    A takes action "think"
    B begins action "work"
    B ends action "work"
    B state "Ready"
    C starts timer T1
    C stops timer T1
    remark "a standalone remark"
}
"""

#: lifelines, media and mixing inside one folded column
LIFE_FLOW = """\
title "Life"

system:    S1 "System One"
component: C1 "Comp One" in S1
eternal:   A "Alpha" in C1, B "Beta" in C1, E "Epsilon"
dynamic:   X "Ex" in C1, Y "Why"

feature "F" {
    A creates X
    E creates Y
    media A <-> B [codec=PCMU]
    media E <-> A [codec=PCMU]
    A mixes B, E
    Note : A -> B, E
    A deletes X
    Y deletes Y
}
"""


def flow_of(text: str) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_text(text, "flow.fdl")
    assert result.ok and result.flow is not None, result.diagnostics
    return result.flow, expand_scenarios(result.flow).scenarios


@pytest.fixture(scope="module")
def levels() -> tuple[ir.Flow, ir.Scenario]:
    flow, scenarios = flow_of(LEVELS_FLOW)
    return flow, scenarios[0]


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


def messages(placement: Placement) -> dict[str, tuple[int, ...]]:
    return {r.text: r.columns for r in placement.message_rows}


def labels(placement: Placement) -> list[str]:
    return [c.label for c in placement.columns]


def kinds(placement: Placement) -> list[str]:
    return [r.kind for r in placement.rows]


# ------------------------------------------------------------------------------ levels


@pytest.mark.parametrize(
    ("level", "columns", "header", "selfs"),
    [
        (None, ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"], 4, {"Tick"}),
        ("component", ["Comp One", "Comp Two", "Delta", "Epsilon"], 3, {"Tick", "Ping"}),
        ("module", ["Module One", "Delta", "Epsilon"], 2, {"Tick", "Ping", "Pong"}),
        ("subsystem", ["Sub One", "Sub Two", "Epsilon"], 1, {"Tick", "Ping", "Pong"}),
        ("system", ["System One", "System Two", "Epsilon"], 0, {"Tick", "Ping", "Pong"}),
    ],
)
def test_each_level_folds_columns_into_their_groups(
    levels: tuple[ir.Flow, ir.Scenario],
    level: str | None,
    columns: list[str],
    header: int,
    selfs: set[str],
) -> None:
    flow, scenario = levels
    placement = place(flow, scenario, level=level)
    assert labels(placement) == columns
    # header rows only for the levels above the chosen one
    expected_levels = list(ir.GROUP_LEVELS[:header])
    assert [r.level for r in placement.header_rows] == expected_levels
    found = {name for name, cols in messages(placement).items() if cols[0] == cols[-1]}
    assert found == selfs
    # the numbers are the scenario's, whatever the level
    assert [r.number for r in placement.message_rows] == [1, 2, 3, 4, 5]


def test_a_folded_column_stands_where_its_first_entity_stood(
    levels: tuple[ir.Flow, ir.Scenario],
) -> None:
    flow, scenario = levels
    placement = place(flow, scenario, level="component")
    assert [c.name for c in placement.columns] == ["C1", "C2", "D", "E"]
    # D (no component) and E (no group) keep their own columns
    assert messages(placement)["Hello"] == (1, 2) and messages(placement)["Bye"] == (2, 3)
    # the header cells of the levels above span the folded columns
    module_row = placement.header_rows[2]
    assert [(c.label, c.first, c.last) for c in module_row.cells] == [
        ("Module One", 0, 1), ("", 2, 2), ("", 3, 3),
    ]  # fmt: skip


def test_hide_drops_the_messages_inside_one_column_and_keeps_written_self_messages(
    levels: tuple[ir.Flow, ir.Scenario],
) -> None:
    flow, scenario = levels
    shown = place(flow, scenario, level="module", level_internal="show")
    hidden = place(flow, scenario, level="module", level_internal="hide")
    assert set(messages(shown)) == {"Ping", "Pong", "Hello", "Bye", "Tick"}
    assert set(messages(hidden)) == {"Hello", "Bye", "Tick"}
    assert [r.number for r in hidden.message_rows] == [3, 4, 5]


def test_actions_states_and_timers_land_on_the_folded_column(
    levels: tuple[ir.Flow, ir.Scenario],
) -> None:
    flow, scenario = levels
    placement = place(flow, scenario, level="module")
    boxes = {r.kind: r.columns for r in placement.rows if r.kind not in ("message", "feature")}
    for kind in ("action", "begin", "end", "state", "timer-start", "timer-stop"):
        assert boxes[kind] == (0,), kind


def test_lifecycle_media_and_mixing_inside_a_folded_column() -> None:
    flow, scenarios = flow_of(LIFE_FLOW)
    shown = place(flow, scenarios[0], level="component")
    assert [(c.label, c.dynamic) for c in shown.columns] == [
        ("Comp One", False), ("Epsilon", False), ("Why", True),
    ]  # fmt: skip
    rows = [(r.kind, r.text, r.columns) for r in shown.rows if r.kind != "feature"]
    assert rows == [
        ("action", "Alpha creates Ex", (0,)),  # the group's lifeline runs throughout
        ("create", "Y", (1, 2)),  # Why has a column of its own: a real creation
        ("action", "RTP PCMU 20ms (Alpha ↔ Beta)", (0,)),
        ("media", "RTP PCMU 20ms", (1, 0)),
        ("mix", "mixes Comp One, Epsilon", (0, 1)),
        ("message", "Note", (0, 1)),  # the receiver inside the sender's column left
        ("action", "Alpha deletes Ex", (0,)),
        ("delete", "Y", (2, 2)),
    ]
    hidden = place(flow, scenarios[0], level="component", level_internal="hide")
    assert [r.text for r in hidden.rows if r.kind != "feature"] == [
        "Y", "RTP PCMU 20ms", "mixes Comp One, Epsilon", "Note", "Y",
    ]  # fmt: skip
    lay = layout(shown)  # draws: the folded column's lifeline is whole
    lifeline = [i for i in lay.pages[0].body if isinstance(i, Line) and i.cls == "life"]
    assert sum(1 for line in lifeline if line.x1 == lay.centers[0]) == 1


def test_reference_flow_at_subsystem_and_system_level(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    scenario = scenarios[0]
    sub = place(flow, scenario, level="subsystem")
    assert [c.name for c in sub.columns] == [
        "Caller_Equipment", "IMS1", "IMS1_MRF", "IMS2", "Called_Equipment",
    ]  # fmt: skip
    assert [r.level for r in sub.header_rows] == ["system"]
    ims1 = next(c.index for c in sub.columns if c.name == "IMS1")
    objects = place(flow, scenario)
    p_cscf, s_cscf = (
        next(c.index for c in objects.columns if c.name == n) for n in ("P_CSCF_A", "S_CSCF_A")
    )
    inside = [
        r.number for r in objects.message_rows if set(r.columns) == {p_cscf, s_cscf}
    ]  # P_CSCF_A <-> S_CSCF_A
    assert inside
    by_number = {r.number: r for r in sub.message_rows}
    for number in inside:
        assert by_number[number].columns == (ims1, ims1)  # a self-message of IMS1
    assert len(sub.message_rows) == len(scenario.messages())
    system = place(flow, scenario, level="system")
    assert labels(system) == ["Calling UE", "IMS Network", "Called UE"]
    hidden = place(flow, scenario, level="system", level_internal="hide")
    assert all(r.columns[0] != r.columns[1] for r in hidden.message_rows)
    assert 0 < len(hidden.message_rows) < len(scenario.messages())


def test_unknown_level_is_refused(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    with pytest.raises(ValueError, match="planet"):
        place(flow, scenario, level="planet")


# ------------------------------------------------------------------------------ interfaces


def test_resolve_interface_objects_types_and_groups(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, _ = levels
    by_name, by_label = resolve_interface(flow, "A"), resolve_interface(flow, "Alpha")
    assert by_name is not None and by_label is not None
    assert by_name.members == by_label.members == {"A"} and by_name.label == "Alpha"
    chosen = resolve_interface(flow, "Proxy")
    assert chosen is not None and chosen.kind == "type" and chosen.members == {"A", "C"}
    chosen = resolve_interface(flow, "M1")
    assert chosen is not None and chosen.kind == "group" and chosen.label == "Module One"
    assert chosen.members == {"A", "B", "C"}
    assert resolve_interface(flow, "S2").members == {"D"}  # type: ignore[union-attr]
    assert resolve_interface(flow, "Nobody") is None
    assert interface_choices(flow) == (
        ["A", "B", "C", "D", "E"], ["Proxy"], ["S1", "S2", "Sub1", "Sub2", "M1", "C1", "C2"],
    )  # fmt: skip


def test_type_filter_covers_every_object_of_the_type(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    placement = place(flow, scenario, entity="Proxy")
    assert placement.title == "Proxy Interfaces (Levels)"
    assert [c.name for c in placement.columns if c.highlighted] == ["A", "C"]
    assert set(messages(placement)) == {"Ping", "Pong", "Hello", "Tick"}  # not Bye (D -> E)
    assert "state" not in kinds(placement)  # B's state: B is no Proxy
    assert "block-remark" in kinds(placement)  # what names nobody stays


def test_group_filter_covers_every_entity_below_it(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    placement = place(flow, scenario, entity="M1")
    assert placement.title == "Module One Interfaces (Levels)"
    assert [c.name for c in placement.columns if c.highlighted] == ["A", "B", "C"]
    assert set(messages(placement)) == {"Ping", "Pong", "Hello", "Tick"}
    system = place(flow, scenario, entity="S2")
    assert set(messages(system)) == {"Hello", "Bye"}


def test_reference_group_filter_and_object_filter_at_a_level(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    scenario = scenarios[0]
    group = place(flow, scenario, entity="IMS1")
    assert group.title == "IMS 1 Interfaces (IMS Conference Call)"
    assert [c.name for c in group.columns if c.highlighted] == ["P_CSCF_A", "S_CSCF_A"]
    ims1 = {c.index for c in group.columns if c.highlighted}
    assert all(ims1 & set(r.columns) for r in group.message_rows)
    # an object at a level: its rows only, its folded column highlighted
    one = place(flow, scenario, entity="S_CSCF_A", level="subsystem")
    assert [c.name for c in one.columns if c.highlighted] == ["IMS1"]
    objects = place(flow, scenario, entity="S_CSCF_A")
    assert [r.number for r in one.message_rows] == [r.number for r in objects.message_rows]


def test_default_interface_view_is_unchanged_by_the_filter_machinery(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    placement = place(flow, scenarios[0], entity="MRFP")
    assert placement.title == "MRFP Interfaces (IMS Conference Call)"
    assert [c.name for c in placement.columns if c.highlighted] == ["MRFP"]
    assert all(7 in r.columns or 4 in r.columns for r in placement.message_rows)


# ------------------------------------------------------------------------------ exclude


def test_exclude_each_value(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    full = place(flow, scenario)
    assert {"action", "begin", "end", "state", "block-remark"} <= set(kinds(full))
    assert any(r.params for r in full.message_rows)
    actions = place(flow, scenario, exclude=("actions",))
    assert not {"action", "begin", "end"} & set(kinds(actions))
    assert "state" in kinds(actions)
    states = place(flow, scenario, exclude=("states",))
    assert "state" not in kinds(states) and "action" in kinds(states)
    blocks = place(flow, scenario, exclude=("blockRemarks",))
    assert "block-remark" not in kinds(blocks) and "remark" in kinds(blocks)
    params = place(flow, scenario, exclude=("parameters",))
    assert not any(r.params for r in params.message_rows)
    assert len(params.message_rows) == 5


def test_exclude_remarks_draws_no_remarks_column(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    with_column = diagram_views(flow, [scenario], RenderOptions(views=("full",)))[0]
    options = RenderOptions(views=("full",), exclude=("remarks",))
    without = diagram_views(flow, [scenario], options)[0]
    page = with_column.layout.pages[0]
    assert any(isinstance(i, Text) and i.text == "Remarks" for i in page.header)
    assert any(isinstance(i, Text) and i.cls == "rem-t" for i in page.body)
    page = without.layout.pages[0]
    assert not any(isinstance(i, Text) and i.text == "Remarks" for i in page.header)
    assert not any(isinstance(i, Text) and i.cls == "rem-t" for i in page.body)
    assert without.layout.width < with_column.layout.width


# ------------------------------------------------------------------------------ pages


def test_page_sizes_at_96_dpi() -> None:
    assert (PAGE_SIZES["poster"].width, PAGE_SIZES["poster"].height) == (1056, 1632)
    assert (PAGE_SIZES["presentation"].width, PAGE_SIZES["presentation"].height) == (1344, 816)
    assert page_height_for("poster", 800) == 1632  # fits the paper's width
    assert page_height_for("poster", 2112) == 3264  # scaled down to fit: twice as long


def test_poster_and_presentation_page_the_diagram(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    counts = {}
    for page in (None, "poster", "presentation"):
        options = RenderOptions(views=("full",), page=page)
        view = diagram_views(flow, scenarios[:1], options)[0]
        counts[page] = len(view.layout.pages)
    assert counts[None] == 1
    assert 1 < counts["poster"] < counts["presentation"]
    # an explicit page height wins over the paper size
    options = RenderOptions(views=("full",), page="presentation", page_height=1200)
    paged = diagram_views(flow, scenarios[:1], options)[0]
    plain = diagram_views(flow, scenarios[:1], RenderOptions(views=("full",), page_height=1200))
    assert len(paged.layout.pages) == len(plain[0].layout.pages)


# ------------------------------------------------------------------------------ header


def test_single_tier_header_has_no_group_row(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    single = place(flow, scenario, header=False)
    assert single.header_rows == ()
    page = layout(single).pages[0]
    assert not any(
        isinstance(i, Rect) and i.cls.split()[0] in ("sys", "sub", "mod") for i in page.header
    )
    assert sum(1 for i in page.header if isinstance(i, Rect) and i.cls.startswith("ent")) == 5
    multi = place(flow, scenario, header=True)
    assert multi.header_rows == place(flow, scenario).header_rows
    assert len(multi.header_rows) == 4
    assert place(flow, scenario, header=False, level="module").header_rows == ()


def test_theme_header_and_callouts() -> None:
    themed = LEVELS_FLOW.replace(
        'feature "F" {',
        'theme Light: sequenceDiagramHeader = "single-tier-light-weight", remarkType = "callout"\n'
        '{Light} feature "F" {',
    )
    flow, scenarios = flow_of(themed)
    placement = place(flow, scenarios[0])
    assert placement.header_rows == () and placement.callouts
    explicit = place(flow, scenarios[0], header=True, callouts=False)
    assert len(explicit.header_rows) == 4 and not explicit.callouts


# ------------------------------------------------------------------------------ callouts


def test_callout_remarks_beside_their_statement_and_no_remarks_column(
    levels: tuple[ir.Flow, ir.Scenario],
) -> None:
    flow, scenario = levels
    lay = layout(place(flow, scenario, callouts=True))
    page = lay.pages[0]
    assert not any(isinstance(i, Text) and i.text == "Remarks" for i in page.header)
    assert not any(isinstance(i, Text) and i.cls == "rem-t" for i in page.body)
    boxes = [i for i in page.body if isinstance(i, Rect) and i.cls == "callout"]
    texts = {i.text: i for i in page.body if isinstance(i, Text) and i.cls == "callout-t"}
    assert {"inside C1", "C1 to C2, inside M1", "S1 to S2", "a standalone remark"} <= set(texts)
    assert len(boxes) == 6
    # "inside C1" is Ping's: right of Ping's arrow, level with it
    ping = next(g for g in page.body if isinstance(g, Group) and g.number == 1)
    arrow = next(i for i in ping.items if isinstance(i, Line))
    note = texts["inside C1"]
    box = next(b for b in boxes if b.x < note.x < b.x + b.w and b.y < note.y < b.y + b.h)
    assert box.x > max(arrow.x1, arrow.x2)
    assert box.y < arrow.y1 < box.y + box.h + 6
    # every box stays on the page
    assert all(b.x + b.w <= lay.width for b in boxes)
    svg = render_page(lay, page)
    assert 'class="callout"' in svg and ".callout{" in svg


def test_callouts_through_render_options(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    view = diagram_views(flow, [scenario], RenderOptions(views=("full",), callout_remarks=True))[0]
    assert any(isinstance(i, Rect) and i.cls == "callout" for i in view.layout.pages[0].body)


# ------------------------------------------------------------------------------ documents


def test_level_file_names_only_when_asked(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    base = RenderOptions(formats=("svg",), views=("full", "interface", "collab"))
    plain = [d.path for d in plan_documents(flow, [scenario], base)]
    assert plain[0] == "main/sequence.svg" and "main/collaboration.svg" in plain
    suffixed = RenderOptions(
        formats=("svg",), views=("full", "interface", "collab"), level="module", level_suffix=True
    )
    paths = [d.path for d in plan_documents(flow, [scenario], suffixed)]
    assert paths == [
        "main/sequence-module.svg",
        "main/interface-M1-module.svg",  # one interface view per column of the level
        "main/interface-D-module.svg",
        "main/interface-E-module.svg",
        "main/collaboration-module.svg",
    ]
    project = RenderOptions(formats=("svg",), views=("full",), level="module")
    assert [d.path for d in plan_documents(flow, [scenario], project)] == ["main/sequence.svg"]


def test_interface_option_filters_the_full_view(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    view = diagram_views(flow, [scenario], RenderOptions(views=("full",), interface="Proxy"))[0]
    assert view.entity is None and view.stem == "main/sequence"
    assert view.layout.title == "Proxy Interfaces (Levels)"
    assert view.layout.messages == (1, 2, 3, 5)
    typed = diagram_views(flow, [scenario], RenderOptions(views=("interface",), entity="Proxy"))[0]
    assert typed.stem == "main/interface-Proxy" and typed.label == "Proxy"


# ------------------------------------------------------------------------------ collab


def _nodes(graph_source: str) -> set[str]:
    names = set()
    for line in graph_source.splitlines():
        line = line.strip()
        if (
            line
            and "->" not in line
            and "[" in line
            and not line.startswith(("graph", "node", "edge", "subgraph", "label"))
        ):
            names.add(line.split(" ", 1)[0].strip('"'))
    return names


def test_context_diagram_at_a_level(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    default = context_graph(flow, [scenario])
    assert _nodes(default.source) == {"system_S1", "system_S2", "entity_E"}
    sub = context_graph(flow, [scenario], level="subsystem")
    assert _nodes(sub.source) == {"subsystem_Sub1", "subsystem_Sub2", "entity_E"}
    assert "subsystem_Sub1 -> subsystem_Sub2" in sub.source
    assert "(subsystem level)" in sub.source
    component = context_graph(flow, [scenario], level="component")
    assert _nodes(component.source) == {"component_C1", "component_C2", "entity_D", "entity_E"}
    assert "component_C1 -> component_C2" in component.source
    assert "component_C1 -> component_C1" not in component.source  # inside: not drawn
    filtered = context_graph(flow, [scenario], level="subsystem", interface="D")
    assert _nodes(filtered.source) == {"subsystem_Sub1", "subsystem_Sub2", "entity_E"}
    filtered = context_graph(flow, [scenario], interface="E")
    assert _nodes(filtered.source) == {"system_S2", "entity_E"}
    assert "#fde68a" in filtered.source  # the filter's node highlighted


def test_collaboration_diagram_at_a_level(levels: tuple[ir.Flow, ir.Scenario]) -> None:
    flow, scenario = levels
    graph = collaboration_graph(flow, scenario, level="module")
    assert _nodes(graph.source) == {"module_M1", "D", "E"}
    assert "module_M1 -> module_M1" in graph.source  # Ping, Pong and Tick: a loop
    assert "cluster_S1" in graph.source and "cluster_Sub1" in graph.source
    assert "cluster_M1" not in graph.source and "cluster_C1" not in graph.source
    hidden = collaboration_graph(flow, scenario, level="module", internal="hide")
    loop = next(line for line in hidden.source.splitlines() if "module_M1 -> module_M1" in line)
    assert "label=1 " in loop or "label=1]" in loop  # only the written self-message, Tick
    typed = collaboration_graph(flow, scenario, interface="Proxy")
    assert _nodes(typed.source) == {"A", "B", "C", "D"}  # E only talks to D


def test_reference_context_and_collaboration_defaults_unchanged(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    assert context_graph(flow, scenarios, level="system").source == context_graph(
        flow, scenarios
    ).source.replace(": context", ": context (system level)")
    sub = collaboration_graph(flow, scenarios[0], level="subsystem")
    assert "subsystem_IMS1 -> subsystem_IMS1" in sub.source
