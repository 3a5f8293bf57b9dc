"""The renderer draws EventStudio's constructs: each test writes a small flow in the
EventStudio spelling, renders it through placement -> geometry -> SVG, and checks what a
reader of the diagram would see (where an arrow starts, which marker, which colour)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.render.geometry import Layout, layout
from callflow.render.placement import Placement, place
from callflow.render.styles import safe_link
from callflow.render.svg import render_svg
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
NS = {"svg": "http://www.w3.org/2000/svg"}
ARCH = "eternal: A, B, C\n"


def flow_of(body: str, arch: str = ARCH, head: str = "") -> ir.Flow:
    result = parse_text(head + arch + 'feature "f" {\n' + body + "\n}\n", "es.fdl")
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors == [], errors
    assert result.flow is not None
    return result.flow


def placed(body: str, arch: str = ARCH, head: str = "", entity: str | None = None) -> Placement:
    flow = flow_of(body, arch, head)
    scenario = expand_scenarios(flow).scenarios[0]
    return place(flow, scenario, entity=entity)


def drawn(body: str, arch: str = ARCH, head: str = "") -> tuple[Layout, ET.Element, str]:
    lay = layout(placed(body, arch, head))
    (svg,) = render_svg(lay)
    return lay, ET.fromstring(svg.encode()), svg


def group(root: ET.Element, number: int) -> ET.Element:
    found = root.find(f".//svg:g[@id='m{number}']", NS)
    assert found is not None, f"no message {number}"
    return found


def arrows(element: ET.Element) -> list[ET.Element]:
    return [e for e in element.iter(f"{SVG}line") if "arrow" in (e.get("class") or "").split()]


def texts(element: ET.Element, cls: str | None = None) -> list[ET.Element]:
    return [
        t
        for t in element.iter(f"{SVG}text")
        if cls is None or cls in (t.get("class") or "").split()
    ]


def text_of(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in texts(element)]


def rects(element: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in element.iter(f"{SVG}rect") if cls in (r.get("class") or "").split()]


def lifelines(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}line") if (e.get("class") or "").startswith("life")]


def fx(element: ET.Element, attr: str) -> float:
    return float(element.get(attr))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- arrows


def test_bold_arrow_is_thicker() -> None:
    _, root, svg = drawn("Data : A => B\nPlain : A -> B")
    (bold,) = arrows(group(root, 1))
    (plain,) = arrows(group(root, 2))
    assert "bold" in bold.get("class").split()  # type: ignore[union-attr]
    assert "bold" not in plain.get("class").split()  # type: ignore[union-attr]
    assert ".arrow.bold{stroke-width:2.6}" in svg


@pytest.mark.parametrize("arrow", ["<->", "<=>"])
def test_bidirectional_arrow_has_heads_at_both_ends(arrow: str) -> None:
    _, root, _ = drawn(f"Sync : A {arrow} B")
    (line,) = arrows(group(root, 1))
    assert line.get("marker-start") == "url(#ah)" == line.get("marker-end")
    assert ("bold" in line.get("class").split()) == (arrow == "<=>")  # type: ignore[union-attr]


def test_reply_written_reversed_runs_from_the_receiver_side() -> None:
    lay, root, _ = drawn("Reply : A <- B")
    (line,) = arrows(group(root, 1))
    a, b = lay.centers[0], lay.centers[1]
    assert (fx(line, "x1"), fx(line, "x2")) == (b, a)
    assert fx(line, "x1") > fx(line, "x2")


def test_lost_message_keeps_its_cross() -> None:
    _, root, _ = drawn("Ping : A ->X B")
    g = group(root, 1)
    assert [p.get("class") for p in g.iter(f"{SVG}path")] == ["lost-x"]


def test_invokes_solid_and_returns_dashed_with_classes_of_their_own() -> None:
    _, root, svg = drawn("A invokes B.Book(seat)\nB.Book returns (ticket)")
    call, ret = group(root, 1), group(root, 2)
    assert "invoke" in call.get("class").split()  # type: ignore[union-attr]
    assert "return" in ret.get("class").split()  # type: ignore[union-attr]
    (call_line,) = arrows(call)
    (ret_line,) = arrows(ret)
    assert "invoke" in call_line.get("class").split()  # type: ignore[union-attr]
    assert "return" in ret_line.get("class").split()  # type: ignore[union-attr]
    assert fx(ret_line, "x1") > fx(ret_line, "x2")  # back to the caller
    assert ".arrow.return{stroke:#32cd32;stroke-dasharray:6 3}" in svg
    assert '<marker id="ahi"' in svg and call_line.get("marker-end") == "url(#ahi)"


def test_tags_are_boxes_at_the_arrow_ends() -> None:
    lay, root, _ = drawn('Hello : A-"5060" -> B-N4')
    g = group(root, 1)
    tags = {"".join(t.itertext()): fx(t, "x") for t in texts(g, "tag-t")}
    assert tags == {"5060": lay.centers[0], "N4": lay.centers[1]}
    assert len(rects(g, "tag")) == 2
    (line,) = arrows(g)
    assert lay.centers[0] < fx(line, "x1") and fx(line, "x2") < lay.centers[1]  # box to box


def test_default_tag_style_colours_the_tags() -> None:
    _, root, _ = drawn(
        'Hello : A -> B-"N4"',
        head="style default_tag_style: bgcolor=DARKGREEN, textcolor=YELLOW\n",
    )
    (box,) = rects(group(root, 1), "tag")
    (label,) = texts(group(root, 1), "tag-t")
    assert box.get("style") == "fill:darkgreen" and label.get("style") == "fill:yellow"


def test_multi_line_name_is_stacked_above_the_arrow() -> None:
    _, root, _ = drawn('"Setup" + "- part one" + "- part two" (a, b) : A -> B\nNext : A -> B')
    g = group(root, 1)
    names = texts(g, "msg-t")
    assert ["".join(t.itertext()) for t in names] == ["Setup", "- part one", "- part two"]
    ys = [fx(t, "y") for t in names]
    assert ys == sorted(ys) and len(set(ys)) == 3
    (line,) = arrows(g)
    assert fx(line, "y1") > ys[-1]  # the arrow is below the last line
    (next_line,) = arrows(group(root, 2))
    # the row grew: the next row is as far below as three name lines need
    assert fx(next_line, "y1") - fx(line, "y1") > fx(line, "y1") - ys[0]


def test_the_widest_name_line_sets_the_column_gap() -> None:
    wide = "A rather long second line of the message name"
    lay = layout(placed(f'"Go" + "{wide}" : A -> B'))
    narrow = layout(placed('"Go" + "short" : A -> B'))
    assert lay.centers[1] - lay.centers[0] > narrow.centers[1] - narrow.centers[0]


def test_multicast_has_an_arrow_per_receiver_and_a_circle_at_the_source() -> None:
    lay, root, _ = drawn('A multicasts "News" (head) to B, C')
    g = group(root, 1)
    assert [fx(line, "x2") for line in arrows(g)] == [lay.centers[1], lay.centers[2]]
    (circle,) = rects(g, "mcast")
    assert fx(circle, "x") + fx(circle, "width") / 2 == lay.centers[0]
    assert "Multicast to B, C" in g.find("svg:title", NS).text  # type: ignore[operator,union-attr]


def test_environment_edges_are_the_diagram_edges_not_columns() -> None:
    lay, root, _ = drawn("Ext : env_l -> A\nOut : C -> env_r\nIn : C <- env_r")
    assert not any("undeclared" in t or "env_" in t for t in text_of(root))
    assert len(lay.centers) == 3
    (inbound,) = arrows(group(root, 1))
    (outbound,) = arrows(group(root, 2))
    (back,) = arrows(group(root, 3))
    heading = rects(root, "heading")[0]
    left, right = fx(heading, "x"), fx(heading, "x") + fx(heading, "width")
    first_box = rects(root, "ent")[0]
    assert fx(inbound, "x1") == left < fx(first_box, "x")  # from the left edge
    assert fx(inbound, "x2") == lay.centers[0]
    assert fx(outbound, "x2") == right > lay.centers[2]  # to the right edge
    assert fx(back, "x1") == right and fx(back, "x2") == lay.centers[2]


def test_environment_label_fits_between_the_edge_and_the_lifeline() -> None:
    lay, root, _ = drawn('"A long message from the outside world" : env_l -> A')
    (line,) = arrows(group(root, 1))
    assert lay.centers[0] - fx(line, "x1") > 200


# --------------------------------------------------------------------------- columns


def test_separator_is_an_empty_column_with_no_box_and_no_lifeline() -> None:
    arch = "module: M\neternal: A in M, separator in M, B in M, separator, C\n"
    lay, root, _ = drawn("Ping : A -> C", arch=arch)
    assert len(lay.centers) == 5  # A, gap, B, gap, C
    separator_x = {lay.centers[1], lay.centers[3]}
    assert not any(fx(line, "x1") in separator_x for line in lifelines(root))
    assert len(rects(root, "ent")) == 3
    module = [r for r in rects(root, "mod") if "empty" not in r.get("class").split()]  # type: ignore[union-attr]
    (cell,) = module  # one M cell over A, the gap and B
    assert fx(cell, "x") < lay.centers[0] and fx(cell, "x") + fx(cell, "width") > lay.centers[2]


def test_shared_axis_is_one_column_labelled_with_both_names() -> None:
    arch = "eternal: A\ndynamic: D | E\n"
    body = "A creates D\nPing : A -> D\nA deletes D\ncreate E\nPong : A -> E\ndelete E"
    lay, root, svg = drawn(body, arch=arch)
    assert len(lay.centers) == 2
    assert "D | E" in text_of(root)
    (ping,) = arrows(group(root, 1))
    (pong,) = arrows(group(root, 2))
    assert fx(ping, "x2") == fx(pong, "x2") == lay.centers[1]
    axis = [line for line in lifelines(root) if fx(line, "x1") == lay.centers[1]]
    assert len(axis) == 2  # one segment per object, creation to deletion
    (first, second) = sorted(axis, key=lambda line: fx(line, "y1"))
    assert fx(first, "y2") < fx(second, "y1")
    assert svg.count('class="delete-x"') == 2


def test_create_without_creator_draws_only_the_box_and_params_go_under_the_arrow() -> None:
    arch = "eternal: A\ndynamic: D, E\n"
    _, root, _ = drawn('create D\nA creates E(driver = "Ann", seats)\ndelete D', arch=arch)
    creates = [e for e in arrows(root) if "create" in e.get("class").split()]  # type: ignore[union-attr]
    assert len(creates) == 1  # only A creates E has an arrow; delete D has none
    assert "driver: Ann · seats" in text_of(root)
    assert text_of(root).count("deletes") == 0


def test_module_level_action_spans_the_module_and_makes_no_column() -> None:
    arch = "module: Peru\neternal: Lima in Peru, Cusco in Peru, Quito\n"
    lay, root, _ = drawn('Peru action "Module-wide"\nLima, Quito action "Joint"', arch=arch)
    assert len(lay.centers) == 3 and not any("undeclared" in t for t in text_of(root))
    module, joint = rects(root, "action")
    assert fx(module, "x") < lay.centers[0] < lay.centers[1] < fx(module, "x") + fx(module, "width")
    assert fx(module, "x") + fx(module, "width") < lay.centers[2]
    assert fx(joint, "x") < lay.centers[0] and fx(joint, "x") + fx(joint, "width") > lay.centers[2]


@pytest.mark.parametrize(
    ("statement", "cls"),
    [
        ('A, B state = "Ready"', "state"),
        ('A, B allocate "Field"', "resource"),
        ('A, B free "Field"', "resource"),
    ],
)
def test_joint_boxes_span_their_entities(statement: str, cls: str) -> None:
    lay, root, _ = drawn(statement)
    (box,) = rects(root, cls)
    assert fx(box, "x") < lay.centers[0] and fx(box, "x") + fx(box, "width") > lay.centers[1]


def test_joint_begin_and_end_action_give_a_bar_on_each_entity() -> None:
    lay, root, _ = drawn('A, B begin action "Prep"\nPing : A -> B\nA, B end action "Prep"')
    bars = rects(root, "actbar")
    assert sorted(fx(b, "x") + 3 for b in bars) == [lay.centers[0], lay.centers[1]]


# --------------------------------------------------------------------------- rows


def test_periodic_timer_pause_and_block_remark() -> None:
    _, root, _ = drawn("A starts periodic Beat\n...\nA stops Beat\n|= A summary of what happens =|")
    assert "start periodic timer Beat" in text_of(root)
    pauses = [line for line in lifelines(root) if line.get("class") == "life pause"]
    assert len(pauses) == 3  # every live lifeline is dotted through the pause row
    assert len({(fx(p, "y1"), fx(p, "y2")) for p in pauses}) == 1
    (block,) = rects(root, "blockrem")
    heading = rects(root, "heading")[0]
    assert fx(block, "width") == fx(heading, "width")  # across the whole diagram
    assert "A summary of what happens" in text_of(root)


def test_block_remark_wraps() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    _, root, _ = drawn(f"|= {words} =|")
    lines = [t for t in texts(root, "blockrem-t")]
    assert len(lines) > 1 and " ".join("".join(t.itertext()) for t in lines) == words


def test_preconditions_and_loop_frames_are_labelled() -> None:
    _, root, _ = drawn('preconditions {\n  A state = "Idle"\n}\nloop "Retry" {\n  Ping : A -> B\n}')
    labels = ["".join(t.itertext()) for t in texts(root, "group-t")]
    assert labels == ["Preconditions", "loop: Retry"]
    frames = rects(root, "group")
    assert ["pre" in f.get("class").split() for f in frames] == [True, False]  # type: ignore[union-attr]
    assert ["loop" in f.get("class").split() for f in frames] == [False, True]  # type: ignore[union-attr]


def test_preconditions_frame_is_at_the_top_of_the_feature() -> None:
    _, root, _ = drawn('preconditions {\n  A state = "Idle"\n}\nPing : A -> B')
    (frame,) = rects(root, "group")
    (line,) = arrows(group(root, 1))
    assert fx(frame, "y") + fx(frame, "height") < fx(line, "y1")


def test_chain_hops_share_one_row_and_keep_their_groups() -> None:
    lay, root, _ = drawn(
        'chain {\n  "Step 1" (x) : A -> B\n  "Step 2" : B -> C\n}\n|* the chain *|\nAfter : A -> C'
    )
    one, two, after = group(root, 1), group(root, 2), group(root, 3)
    (l1,), (l2,), (l3,) = arrows(one), arrows(two), arrows(after)
    assert fx(l1, "y1") == fx(l2, "y1") < fx(l3, "y1")
    assert (fx(l1, "x1"), fx(l1, "x2")) == (lay.centers[0], lay.centers[1])
    assert (fx(l2, "x1"), fx(l2, "x2")) == (lay.centers[1], lay.centers[2])
    assert "Step 1" in text_of(one) and "Step 2" in text_of(two)
    assert "1" in text_of(one) and "2" in text_of(two)  # each keeps its number
    assert "the chain" in text_of(root)
    assert lay.messages == (1, 2, 3)


def test_chain_remark_is_on_the_chain_row() -> None:
    _, root, _ = drawn("chain {\n  S1 : A -> B\n  S2 : B -> C\n}\n|* why *|")
    (remark,) = texts(root, "rem-t")
    (l1,) = arrows(group(root, 1))
    assert abs(fx(remark, "y") - fx(l1, "y1")) < 12


def test_sequence_remark_is_shown_on_its_first_row() -> None:
    _, root, _ = drawn('sequence "Setup" {\n  Ping : A -> B\n}\n% what the setup does')
    (remark,) = texts(root, "rem-t")
    (tab,) = texts(root, "group-t")
    (line,) = arrows(group(root, 1))
    assert "".join(remark.itertext()) == "what the setup does"
    assert abs(fx(remark, "y") - fx(tab, "y")) < abs(fx(remark, "y") - fx(line, "y1"))


def test_theme_can_turn_numbers_off_for_a_feature() -> None:
    text = (
        'theme Quiet: assignSequenceNumbersInSequenceDiagrams = "false"\n'
        + ARCH
        + 'feature "one" {\n  Ping : A -> B\n}\n{Quiet} feature "two" {\n  Pong : B -> A\n}\n'
    )
    result = parse_text(text, "es.fdl")
    assert result.flow is not None
    scenario = expand_scenarios(result.flow).scenarios[0]
    (svg,) = render_svg(layout(place(result.flow, scenario)))
    root = ET.fromstring(svg.encode())
    assert [t.text for t in texts(group(root, 1), "num")] == ["1"]
    assert texts(group(root, 2), "num") == []
    assert root.find(".//svg:g[@id='m2']", NS) is not None  # still message 2


# --------------------------------------------------------------------------- styles


STYLES = (
    'style _err: color=RED, textcolor=DARKRED, paramcolor=#112233, linepattern="- -", '
    'linewidth="2"\n'
    'style _hl: bgcolor=#FFF3C4, color=DarkOrange, font="Courier New", fontsize="12"\n'
    'style _bad: color=NOTACOLOR, font="x;}<script>", fontsize="huge"\n'
)


def test_style_colours_the_arrow_its_head_and_its_texts() -> None:
    _, root, svg = drawn("[_err] Oops(p=1) : A -> B", head=STYLES)
    g = group(root, 1)
    (line,) = arrows(g)
    assert line.get("style") == "stroke:red;stroke-width:2;stroke-dasharray:6 3"
    assert line.get("marker-end") == "url(#ah-red)"
    assert '<marker id="ah-red"' in svg and 'style="fill:red"' in svg
    (name,) = texts(g, "msg-t")
    (param,) = texts(g, "param-t")
    assert name.get("style") == "fill:darkred" and param.get("style") == "fill:#112233"


def test_style_fills_a_box_and_sets_its_font() -> None:
    _, root, _ = drawn('[_hl] A action "Styled"', head=STYLES)
    (box,) = rects(root, "action")
    assert box.get("style") == "fill:#fff3c4;stroke:darkorange"
    (label,) = texts(root, "action-t")
    assert label.get("style") == "font-family:Courier New;font-size:12px"


def test_invalid_style_values_are_never_written() -> None:
    _, root, svg = drawn("[_bad] Ping : A -> B", head=STYLES)
    assert "NOTACOLOR" not in svg and "script" not in svg and "huge" not in svg
    (line,) = arrows(group(root, 1))
    assert line.get("style") is None


def test_default_styles_apply_to_statements_without_one() -> None:
    head = (
        "style default_message_style: color=BLUE\n"
        "style default_action_style: bgcolor=MAROON, textcolor=WHITE\n"
        "style default_eternal_style: color=#00AA00, linewidth=0.75\n"
        "style _own: color=GREEN\n"
    )
    _, root, _ = drawn('Ping : A -> B\n[_own] Pong : B -> A\nA action "Go"', head=head)
    (ping,) = arrows(group(root, 1))
    (pong,) = arrows(group(root, 2))
    assert ping.get("style") == "stroke:blue" and pong.get("style") == "stroke:green"
    (box,) = rects(root, "action")
    assert box.get("style") == "fill:maroon"
    entity_boxes = rects(root, "ent")
    assert all(r.get("style") == "stroke:#00aa00;stroke-width:0.75" for r in entity_boxes)
    assert all(line.get("style") == "stroke:#00aa00;stroke-width:0.75" for line in lifelines(root))


def test_cascade_hops_take_the_cascaded_default_style() -> None:
    """inc.FDL's default_cascaded_message_style: every hop of `A -> B -> C`, and only them."""
    head = (
        "style default_message_style: color=BLUE\n"
        "style default_cascaded_message_style: color=DARKORANGE\n"
    )
    _, root, _ = drawn("Fwd : A -> B -> C\nPing : A -> B", head=head)
    assert [arrows(group(root, n))[0].get("style") for n in (1, 2, 3)] == [
        "stroke:darkorange",
        "stroke:darkorange",
        "stroke:blue",
    ]


def test_group_styles_colour_header_cells() -> None:
    arch = "system: [_sys] North\neternal: A in North, B in North\n"
    _, root, _ = drawn(
        "Ping : A -> B", arch=arch, head="style _sys: bgcolor=KHAKI, textcolor=OLIVE\n"
    )
    (cell,) = rects(root, "sys")
    assert cell.get("style") == "fill:khaki"
    (label,) = texts(root, "sys-t")
    assert label.get("style") == "fill:olive"


# --------------------------------------------------------------------------- links


def test_message_link_wraps_its_group_and_unsafe_links_are_dropped() -> None:
    _, root, svg = drawn(
        "Open : A -> B <https://example.org/spec?a=1&b=2>\n"
        "Bad : A -> B <javascript:alert(1)>\n"
        "Local : A -> B <#anchor>"
    )
    link = group(root, 1).find("svg:a", NS)
    assert link is not None and link.get("href") == "https://example.org/spec?a=1&b=2"
    assert "a=1&amp;b=2" in svg  # escaped in the markup
    assert arrows(link)  # the arrow is inside the link
    assert group(root, 2).find("svg:a", NS) is None and "javascript" not in svg
    assert group(root, 3).find("svg:a", NS).get("href") == "#anchor"  # type: ignore[union-attr]


def test_action_box_link() -> None:
    _, root, _ = drawn('A action "Read" <HYPERLINK#ue-id>')
    (link,) = root.iter(f"{SVG}a")
    assert link.get("href") == "HYPERLINK#ue-id"
    assert rects(link, "action")


@pytest.mark.parametrize(
    ("link", "safe"),
    [
        ("https://example.org/x", True),
        ("http://example.org", True),
        ("mailto:a@b.example", True),
        ("#anchor", True),
        ("page.html#x", True),
        ("HYPERLINK#rrcsetup", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("java\tscript:alert(1)", False),
        ("vbscript:x", False),
        ("", False),
    ],
)
def test_safe_links(link: str, safe: bool) -> None:
    assert (safe_link(link) is not None) == safe


def test_links_reach_the_html_site() -> None:
    from callflow.render import html
    from callflow.render.documents import DiagramView, RenderOptions

    flow = flow_of('Open : A -> B <https://example.org/spec>\nA action "x" <javascript:x>')
    scenario = expand_scenarios(flow).scenarios[0]
    view = DiagramView(
        scenario=scenario, entity=None, layout=layout(place(flow, scenario)), stem="main/sequence"
    )
    documents = html.site_documents(
        flow, [scenario], [view], {}, [], RenderOptions(), all_scenarios=[scenario]
    )
    (page,) = [d for d in documents if d.path == "main/sequence.html"]
    text = page.make()
    assert '<a href="https://example.org/spec">' in text and "javascript" not in text


# --------------------------------------------------------------------------- text


def test_tooltip_mentions_arrow_style_tags_and_call_kind() -> None:
    _, root, _ = drawn('Data : A-"p1" => B-"p2"\nA invokes B.Book\nB.Book returns\nSync : A <-> B')

    def tip(n: int) -> str:
        return group(root, n).find("svg:title", NS).text  # type: ignore[return-value,union-attr]

    assert tip(1).startswith("1. Data  A => B")
    assert "Bold arrow" in tip(1) and "Tag at A: p1" in tip(1) and "Tag at B: p2" in tip(1)
    assert "Method call (invokes)" in tip(2)
    assert "Return of a method call" in tip(3)
    assert tip(4).startswith("4. Sync  A <-> B") and "Both ways" in tip(4)


def test_quoted_names_with_markup_characters_are_escaped() -> None:
    nasty = '<b>&"x'
    arch = 'eternal: "Lima <&\\"", B\n'
    body = '"Hi <&\\"" : "Lima <&\\"" -> B-"<t>"\n"Lima <&\\"" action "do <it>"'
    _, root, svg = drawn(body, arch=arch)
    shown = text_of(root)
    assert 'Lima <&"' in shown and 'Hi <&"' in shown and "<t>" in shown and "do <it>" in shown
    assert "<b>" not in svg and "<t>" not in svg and nasty not in svg


def test_interface_view_keeps_a_chain_that_involves_the_entity() -> None:
    placement = placed("chain {\n  S1 : A -> B\n  S2 : B -> C\n}\nX : A -> B", entity="C")
    kinds = [r.kind for r in placement.rows]
    assert "chain" in kinds and [r.number for r in placement.message_rows] == [1, 2]


# --------------------------------------------------------------------------- unchanged


def test_reference_flow_needs_no_eventstudio_stylesheet() -> None:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    scenario = expand_scenarios(result.flow).scenarios[0]
    lay = layout(place(result.flow, scenario))
    assert not lay.extra_css and lay.markers == ()
    (svg,) = render_svg(lay)
    assert ".tag{" not in svg and " style=" not in svg and "<a " not in svg


def test_verbatim_block_remark_keeps_its_lines() -> None:
    """inc.FDL's _code style: blockRemarkFormatting="verbatim" draws a code fragment as
    written (lines and indentation kept); without it a block remark is wrapped text."""
    head = 'style _code: font="Courier New", blockRemarkFormatting="verbatim"\n'
    body = (
        "[_code] |= int answer(void)\n"
        "        {\n"
        "            return 42;\n"
        "        } =|\n"
        "|= plain\n   words =|"
    )
    _, root, _ = drawn(body, head=head)
    code = [t for t in texts(root, "blockrem-t") if "white-space:pre" in (t.get("style") or "")]
    assert [t.text for t in code] == ["int answer(void)", "{", "    return 42;", "}"]
    assert "plain words" in [t.text for t in texts(root, "blockrem-t")]


def test_single_tier_header_names_each_parent_when_the_theme_says_so() -> None:
    """The template's theme: sequenceDiagramHeader = "single-tier-light-weight" and
    displayParentInLightWeightHeader = "true": no group rows, the parent under each name."""
    text = (
        'theme T: sequenceDiagramHeader = "single-tier-light-weight",\n'
        '    displayParentInLightWeightHeader = "true"\n'
        'component: Core "Core network"\neternal: A in Core, B\n'
        '{T} feature "f" {\n    Ping : A -> B\n}\n'
    )
    result = parse_text(text, "t.fdl")
    assert result.flow is not None and result.ok
    (scenario,) = expand_scenarios(result.flow).scenarios
    placement = place(result.flow, scenario)
    assert placement.header_rows == ()
    assert [c.parent_label for c in placement.columns] == ["Core network", None]
    (page,) = render_svg(layout(placement))
    root = ET.fromstring(page)
    assert [t.text for t in texts(root, "ent-p-t")] == ["Core network"]
