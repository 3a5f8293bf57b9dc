"""Placement and geometry in numbers: spans, order, arrows, remark rows, pages."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.render.geometry import Group, Layout, Line, Rect, Text, layout
from callflow.render.geometry import Path as SvgPath
from callflow.render.placement import Placement, place
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    return result.flow, expand_scenarios(result.flow).scenarios


def flow_of(text: str) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_text(text, "flow.fdl")
    assert result.ok and result.flow is not None, result.diagnostics
    return result.flow, expand_scenarios(result.flow).scenarios


def groups(lay: Layout) -> list[Group]:
    return [item for page in lay.pages for item in page.body if isinstance(item, Group)]


def test_header_rows_span_as_in_the_original(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    placement = place(flow, scenarios[0])
    spans = [[c.last - c.first + 1 for c in row.cells] for row in placement.header_rows]
    assert [row.level for row in placement.header_rows] == ["system", "subsystem"]
    assert spans == [[1, 7, 1], [1, 2, 2, 3, 1]]
    assert [c.label for c in placement.header_rows[0].cells] == [
        "Calling UE", "IMS Network", "Called UE",
    ]  # fmt: skip


def test_columns_in_declaration_order_left_to_right(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    lay = layout(place(flow, scenarios[0]))
    assert list(lay.centers) == sorted(lay.centers)
    assert len(lay.centers) == 9
    entity_texts = [
        i for i in lay.pages[0].header if isinstance(i, Rect) and i.cls.startswith("ent")
    ]
    assert [round(r.x + r.w / 2, 1) for r in entity_texts] == list(lay.centers)


def test_header_cells_cover_their_columns_and_tile(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    lay = layout(place(flow, scenarios[0]))
    systems = [i for i in lay.pages[0].header if isinstance(i, Rect) and i.cls == "sys"]
    assert len(systems) == 3
    ims = systems[1]
    assert ims.x < lay.centers[1] and ims.x + ims.w > lay.centers[7]
    assert ims.x > lay.centers[0] and ims.x + ims.w < lay.centers[8]
    for left, right in itertools.pairwise(systems):
        assert right.x - (left.x + left.w) == pytest.approx(4, abs=0.2)  # 2 px inset each side


def test_one_arrow_group_per_message_in_order(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    for scenario in scenarios:
        lay = layout(place(flow, scenario))
        drawn = groups(lay)
        assert [g.id for g in drawn] == [f"m{n}" for n in range(1, len(scenario.messages()) + 1)]
        ys = [next(i.y1 for i in g.items if isinstance(i, Line)) for g in drawn]
        assert ys == sorted(ys) and len(set(ys)) == len(ys)  # top to bottom, one row each


def test_interface_view_has_exactly_the_entitys_messages(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    for scenario in scenarios:
        expected = [
            n
            for n, m in enumerate(scenario.messages(), start=1)
            if "S_CSCF_A" in (m.sender.text, *(r.text for r in m.receivers))
        ]
        placement = place(flow, scenario, entity="S_CSCF_A")
        assert placement.title == "Initiating S-CSCF Interfaces (IMS Conference Call)"
        assert [r.number for r in placement.message_rows] == expected
        lay = layout(placement)
        assert [g.number for g in groups(lay)] == expected
        assert len(lay.centers) == 9 and len(placement.header_rows) == 2
        focus = [i for i in lay.pages[0].header if isinstance(i, Rect) and "focus" in i.cls]
        assert len(focus) == 1 and focus[0].x < lay.centers[2] < focus[0].x + focus[0].w


def test_trailing_remark_sits_on_its_statements_row(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    lay = layout(place(flow, scenarios[0]))
    body = lay.pages[0].body
    remark = next(
        i
        for i in body
        if isinstance(i, Text)
        and i.cls == "rem-t"
        and i.text.startswith("The conference initiator")
    )
    message = next(
        g for g in groups(lay)
        if g.title and "conference initiator" not in g.title
        and any(isinstance(i, Line) and abs(i.y1 - remark.y) < 8 for i in g.items)
    )  # fmt: skip
    assert "NOTIFY" in message.title
    assert remark.x > lay.centers[-1]  # in the remarks column, right of the lifelines
    leader = [i for i in body if isinstance(i, Line) and i.cls == "remlink"]
    assert any(abs(line.y2 - (remark.y - 4)) < 0.2 for line in leader)


def test_remark_row_height_holds_a_long_remark() -> None:
    remark = "word " * 80
    flow, scenarios = flow_of(
        f'eternal: A [role=ue], B [role=ue]\nfeature "F" {{\n  X : A -> B (* {remark} *)\n'
        "  Y : A -> B\n}\n"
    )
    lay = layout(place(flow, scenarios[0]))
    texts = [i for i in lay.pages[0].body if isinstance(i, Text) and i.cls == "rem-t"]
    assert len(texts) > 5
    y_next = next(
        i.y1 for g in groups(lay) if g.number == 2 for i in g.items if isinstance(i, Line)
    )
    assert y_next > texts[-1].y  # the next message is below the whole remark


def test_page_split_repeats_the_header(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    lay = layout(place(flow, scenarios[0]), page_height=900)
    assert len(lay.pages) > 2
    first = [i for i in lay.pages[0].header if not (isinstance(i, Text) and i.cls == "meta")]
    for page in lay.pages:
        assert page.height <= 900 + 1
        header = [i for i in page.header if not (isinstance(i, Text) and i.cls == "meta")]
        assert header == first
        meta = next(i for i in page.header if isinstance(i, Text) and i.cls == "meta")
        assert meta.text.endswith(f"page {page.index} of {len(lay.pages)}")
    numbers = [g.number for page in lay.pages for g in page.body if isinstance(g, Group)]
    assert numbers == list(range(1, len(scenarios[0].messages()) + 1))  # nothing lost


def test_long_flow_is_one_tall_page_without_page_height(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    lay = layout(place(flow, scenarios[0]))
    assert len(lay.pages) == 1 and lay.pages[0].height > 5000


def test_labels_fit_between_the_lifelines_they_span() -> None:
    flow, scenarios = flow_of(
        "eternal: A [role=ue], B [role=ue], C [role=ue]\n"
        'feature "F" {\n  A_very_long_message_name_that_needs_room : A -> B\n  Y : B -> C\n}\n'
    )
    lay = layout(place(flow, scenarios[0]))
    a, b, c = lay.centers
    name = next(
        i
        for g in groups(lay)
        if g.number == 1
        for i in g.items
        if isinstance(i, Text) and i.cls == "msg-t"
    )
    from callflow.render.textwidth import text_width

    assert b - a >= text_width(name.text, 11, bold=True)
    assert c - b < b - a  # only the gap that needs it grows


def test_every_statement_kind_is_drawn() -> None:
    flow, scenarios = flow_of(
        "eternal: A [role=ue], B [role=ue], M [role=mg]\ndynamic: D\n"
        'feature "F" {\n'
        '  heading "Section"\n'
        '  remark "A remark row"\n'
        "  X(p1, Call-ID=c1) : A -> B\n"
        "  Y : A -> A\n"
        "  Z : A -x B\n"
        "  N(protocol=h248) : M -> A, B\n"
        '  A takes action "act"\n'
        '  A begins action "long"\n'
        "  A starts timer T 5s\n"
        "  A stops timer T\n"
        "  timeout T : A\n"
        '  B allocates resource "R"\n'
        '  B frees resource "R"\n'
        '  A state "Ready"\n'
        "  A creates D\n"
        "  K : D -> B\n"
        "  A deletes D\n"
        "  media A <-> M [codec=PCMA]\n"
        "  M mixes A, B\n"
        "  M stops mixing\n"
        "  media stop A <-> M\n"
        '  sequence "Group" {\n    G : B -> A\n  }\n'
        '  A ends action "long"\n'
        "}\n"
    )
    lay = layout(place(flow, scenarios[0]))
    body = lay.pages[0].body
    classes = {i.cls for i in body if not isinstance(i, Group)}
    for cls in ("heading", "heading sub", "action", "action long", "timer", "timer expired",
                "resource", "state", "ent created", "media", "media stopped", "mix", "group",
                "actbar", "delete-x"):  # fmt: skip
        assert cls in classes, cls
    lost = next(g for g in groups(lay) if g.number == 3)
    assert any(isinstance(i, SvgPath) and i.cls == "lost-x" for i in lost.items)
    selfloop = next(g for g in groups(lay) if g.number == 2)
    assert any(isinstance(i, SvgPath) for i in selfloop.items)
    multicast = next(g for g in groups(lay) if g.number == 4)
    assert len([i for i in multicast.items if isinstance(i, Line)]) == 2
    d = lay.centers[3]
    d_life = [i for i in body if isinstance(i, Line) and i.cls == "life" and i.x1 == d]
    assert len(d_life) == 1  # D's lifeline runs only from its creation to its deletion
    k = next(g for g in groups(lay) if g.number == 5)
    k_y = next(i.y1 for i in k.items if isinstance(i, Line))
    assert d_life[0].y1 < k_y < d_life[0].y2


def test_undeclared_entity_gets_a_marked_column() -> None:
    flow, scenarios = flow_of('eternal: A [role=ue]\nfeature "F" {\n  X : A -> Ghost\n}\n')
    placement: Placement = place(flow, scenarios[0])
    assert [(c.name, c.undeclared) for c in placement.columns] == [("A", False), ("Ghost", True)]
    lay = layout(placement)
    boxes = [i for i in lay.pages[0].header if isinstance(i, Rect) and "undeclared" in i.cls]
    assert len(boxes) == 1


def test_layout_is_deterministic(reference) -> None:  # type: ignore[no-untyped-def]
    flow, scenarios = reference
    assert layout(place(flow, scenarios[0])) == layout(place(flow, scenarios[0]))


def test_mixing_box_names_the_parties_as_their_columns_do() -> None:
    flow, scenarios = flow_of(
        'eternal: A "Alice" [role=ue], B "Bob" [role=ue], M "Mixer" [role=mg]\n'
        'feature "F" {\n    M mixes A, B\n}\n'
    )
    rows = [row for row in place(flow, scenarios[0]).rows if row.kind == "mix"]
    assert [row.text for row in rows] == ["mixes Alice, Bob"]
