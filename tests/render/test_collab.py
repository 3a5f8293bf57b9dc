"""Collaboration and context diagrams: structure from the DOT source, text from real SVG.

Structure (nodes, clusters, edges, counts) is read from the graph's DOT source, so it is
tested without Graphviz; rendering tests run ``dot`` and are skipped when it is missing.
"""

from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.render.collab import (
    GraphvizMissing,
    collaboration_graph,
    context_graph,
    render_graph,
)
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (apt install graphviz)"
)

_NODE = re.compile(r"^\s*(\w+) \[label=", re.M)
_EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\]$", re.M)


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.ok and result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


def flow_of(text: str) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_text(text, "flow.fdl")
    assert result.ok, result.diagnostics
    assert result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


def edges(graph: graphviz.Digraph) -> dict[tuple[str, str], str]:
    """(tail, head) -> the edge's attribute text."""
    return {(m[1], m[2]): m[3] for m in _EDGE.finditer(graph.source)}


def edge_label(attrs: str) -> str:
    match = re.search(r'label="([^"]*)"|label=(\S+)', attrs)
    assert match is not None, attrs
    return match.group(1) if match.group(1) is not None else match.group(2)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [e.text or "" for e in root.iter(f"{SVG}text")]


def svg_tooltips(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [e.get(XLINK_TITLE, "") for e in root.iter() if e.get(XLINK_TITLE)]


# ----------------------------------------------------------------------------- structure


def test_reference_graph_has_one_node_per_entity_in_declaration_order(reference) -> None:
    flow, scenarios = reference
    graph = collaboration_graph(flow, scenarios[0])
    assert _NODE.findall(graph.source) == [e.name for e in flow.architecture.entities]
    assert len(_NODE.findall(graph.source)) == 9


def test_reference_clusters_nest_subsystems_in_systems(reference) -> None:
    flow, scenarios = reference
    source = collaboration_graph(flow, scenarios[0]).source
    clusters = re.findall(r"^(\t+)subgraph (cluster_\w+) \{", source, re.M)
    assert [(len(tabs), name) for tabs, name in clusters] == [
        (1, "cluster_Calling_UE"),
        (2, "cluster_Caller_Equipment"),
        (1, "cluster_IMS_Network"),
        (2, "cluster_IMS1"),
        (2, "cluster_IMS1_MRF"),
        (2, "cluster_IMS2"),
        (1, "cluster_Called_UE"),
        (2, "cluster_Called_Equipment"),
    ]
    for label in ("IMS 1", "IMS 1 MRF", "IMS 2", "IMS Network", "Caller User Equipment"):
        assert f'label="{label}"' in source


def test_edge_counts_every_message_of_the_pair_both_ways(reference) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        forward = sum(
            1
            for m in scenario.messages()
            for r in m.receivers
            if (m.sender.text, r.text) == ("UE_A", "P_CSCF_A")
        )
        backward = sum(
            1
            for m in scenario.messages()
            for r in m.receivers
            if (m.sender.text, r.text) == ("P_CSCF_A", "UE_A")
        )
        attrs = edges(collaboration_graph(flow, scenario))[("UE_A", "P_CSCF_A")]
        assert edge_label(attrs) == f"{forward + backward} ({forward} →, {backward} ←)"
        assert "dir=both" in attrs


def test_one_edge_per_pair_and_edges_sum_to_the_message_count(reference) -> None:
    flow, scenarios = reference
    for scenario in scenarios:
        found = edges(collaboration_graph(flow, scenario))
        unordered = {frozenset(pair) for pair in found}
        assert len(unordered) == len(found)
        total = sum(int(edge_label(attrs).split()[0]) for attrs in found.values())
        assert total == sum(len(m.receivers) for m in scenario.messages())


def test_edge_tooltip_lists_distinct_message_names(reference) -> None:
    flow, scenarios = reference
    attrs = edges(collaboration_graph(flow, scenarios[0]))[("MRFC_AS", "MRFP")]
    tooltip = re.search(r'(?<!label)tooltip="([^"]*)"', attrs)
    assert tooltip is not None
    assert "Add, Subtract" in tooltip.group(1)
    assert "AddReply, SubtractReply" in tooltip.group(1)


def test_only_entities_of_the_scenario_are_drawn_and_undeclared_ones_are_dashed() -> None:
    flow, (scenario,) = flow_of(
        'system: S "Sys"\neternal: A "Alice" in S, B "Bob" in S, Idle "Idle"\n'
        'feature "F" {\n  X : A -> B\n  Y : B -> Ghost\n  Z : A -> A\n}\n'
    )
    graph = collaboration_graph(flow, scenario)
    assert _NODE.findall(graph.source) == ["A", "B", "Ghost"]
    ghost = re.search(r"^\s*Ghost \[(.*)\]$", graph.source, re.M)
    assert ghost is not None
    assert "dashed" in ghost.group(1) and "(undeclared)" in ghost.group(1)
    found = edges(graph)
    assert edge_label(found[("A", "A")]) == "1"
    assert "dir=forward" in found[("A", "B")]
    assert "dir=forward" in found[("B", "Ghost")]


def test_a_pair_used_only_backwards_points_back() -> None:
    flow, (scenario,) = flow_of('eternal: A, B\nfeature "F" {\n  X : B -> A\n  Y : B -> A\n}\n')
    (attrs,) = edges(collaboration_graph(flow, scenario)).values()
    assert edge_label(attrs) == "2"
    assert "dir=back" in attrs


def test_multicast_counts_once_per_receiver() -> None:
    flow, (scenario,) = flow_of('eternal: A, B, C\nfeature "F" {\n  X : A -> B, C\n}\n')
    found = edges(collaboration_graph(flow, scenario))
    assert set(found) == {("A", "B"), ("A", "C")}


def test_aggregation_is_linear_on_a_large_scenario() -> None:
    loc = ir.SourceLocation("big.fdl", 1, 1, 1, 2)
    entities = tuple(ir.Entity(f"E{i}", f"Entity {i}", None, "eternal", (), loc) for i in range(20))
    messages = tuple(
        ir.Message(
            loc=loc,
            name=f"M{i % 7}",
            code=None,
            reason=None,
            params=(),
            sender=ir.Name(f"E{i % 20}", loc),
            receivers=(ir.Name(f"E{(i + 1) % 20}", loc),),
        )
        for i in range(50_000)
    )
    flow = ir.Flow("big.fdl", None, None, (), ir.Architecture((), entities), (), ())
    scenario = ir.Scenario(
        0, "main", "main", (), (ir.ScenarioFeature("F", messages, loc),), messages, messages
    )
    started = time.perf_counter()
    graph = collaboration_graph(flow, scenario)
    elapsed = time.perf_counter() - started
    found = edges(graph)
    assert len(found) == 20
    assert sum(int(edge_label(a).split()[0]) for a in found.values()) == 50_000
    assert elapsed < 5.0  # one dict pass: well under a second on any machine


def test_context_graph_has_systems_and_the_pairs_between_them(reference) -> None:
    flow, scenarios = reference
    graph = context_graph(flow, scenarios)
    assert _NODE.findall(graph.source) == [
        "system_Calling_UE",
        "system_IMS_Network",
        "system_Called_UE",
    ]
    found = edges(graph)
    assert set(found) == {
        ("system_Calling_UE", "system_IMS_Network"),
        ("system_IMS_Network", "system_Called_UE"),
    }
    # the label is the busiest scenario's count
    busiest = max(
        sum(
            1
            for m in s.messages()
            for r in m.receivers
            if {m.sender.text, r.text} == {"UE_A", "P_CSCF_A"}
        )
        for s in scenarios
    )
    label = edge_label(found[("system_Calling_UE", "system_IMS_Network")])
    assert int(label.split()[0]) == busiest
    for scenario in scenarios:
        assert scenario.name in found[("system_Calling_UE", "system_IMS_Network")]


def test_context_graph_draws_entities_outside_systems_and_skips_inner_traffic() -> None:
    flow, scenarios = flow_of(
        'system: S "Sys"\neternal: A in S, B in S, Lone "Lone one"\n'
        'feature "F" {\n  X : A -> B\n  Y : B -> Lone\n}\n'
    )
    graph = context_graph(flow, scenarios)
    assert _NODE.findall(graph.source) == ["system_S", "entity_Lone"]
    assert set(edges(graph)) == {("system_S", "entity_Lone")}


# ----------------------------------------------------------------------------- rendering


@needs_dot
def test_svg_is_valid_xml_with_every_label_and_deterministic(reference) -> None:
    flow, scenarios = reference
    svg = render_graph(collaboration_graph(flow, scenarios[0]))
    texts = svg_texts(svg)
    for entity in flow.architecture.entities:
        assert entity.label in texts
    for group in flow.architecture.groups:
        assert group.label in texts
    again = render_graph(collaboration_graph(flow, scenarios[0]))
    assert again.encode() == svg.encode()
    assert 'font-family="DejaVu Sans' in svg


@needs_dot
def test_context_svg_renders(reference) -> None:
    flow, scenarios = reference
    texts = svg_texts(render_graph(context_graph(flow, scenarios)))
    assert {"Calling UE", "IMS Network", "Called UE"} <= set(texts)


TRICKY = (
    'title "Title <b>x</b> & \\"q\\" ]]>"\n'
    'system: S "Sys <script>alert(1)</script> & ]]>"\n'
    'subsystem: SS "Sub \\"quoted\\" &amp; &lt;" in S\n'
    'eternal: A "A <script>x</script>" in SS, B "B & C \\"d\\" ]]> \\\\N \\\\" in S,'
    ' C "line one\\nline two"\n'
    'feature "F" {\n'
    "  MSG : A -> B\n"
    '  481 "Call/Leg <x> & \\"y\\"" : B -> A\n'
    "  X : A -> C\n"
    "}\n"
)


@needs_dot
def test_user_text_comes_out_literally_in_svg() -> None:
    flow, scenarios = flow_of(TRICKY)
    for graph in (collaboration_graph(flow, scenarios[0]), context_graph(flow, scenarios)):
        svg = render_graph(graph)
        texts = svg_texts(svg)  # raises if the SVG is not well-formed XML
        assert "<script" not in svg  # escaped, never markup
        if graph.name == "collaboration":
            assert "A <script>x</script>" in texts
            assert 'B & C "d" ]]> \\N \\' in texts
            assert 'Sub "quoted" &amp; &lt;' in texts
            assert [t for t in texts if t.startswith("line")] == ["line one", "line two"]
            tooltips = [t.replace("\u200b", "") for t in svg_tooltips(svg)]
            assert any('481 Call/Leg <x> & "y"' in t for t in tooltips)
            assert any('B & C "d" ]]> \\N \\' in t for t in tooltips)
        assert "Sys <script>alert(1)</script> & ]]>" in texts
        assert 'Title <b>x</b> & "q" ]]>: ' in "".join(texts)


def test_render_graph_reports_a_missing_dot(monkeypatch, tmp_path, reference) -> None:
    flow, scenarios = reference
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissing, match="Graphviz"):
        render_graph(collaboration_graph(flow, scenarios[0]))


def test_render_graph_refuses_binary_formats(reference) -> None:
    flow, scenarios = reference
    with pytest.raises(ValueError, match="text format"):
        render_graph(collaboration_graph(flow, scenarios[0]), fmt="png")
