"""Drawing: valid, accessible, escaped, deterministic SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from callflow.fdl import parse_file, parse_text
from callflow.render.geometry import layout
from callflow.render.placement import place
from callflow.render.svg import render_page, render_svg
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
NS = {"svg": "http://www.w3.org/2000/svg"}

NASTY = "<script>alert(\"x\")</script> & 'q' ]]>"


def reference_svg(**kwargs: object) -> list[str]:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    scenario = expand_scenarios(result.flow).scenarios[0]
    return render_svg(layout(place(result.flow, scenario), **kwargs))  # type: ignore[arg-type]


def test_reference_svg_is_valid_and_accessible() -> None:
    (svg,) = reference_svg()
    root = ET.fromstring(svg.encode())
    assert root.find("svg:title", NS).text == "IMS Conference Call"  # type: ignore[union-attr]
    assert "126 messages" in root.find("svg:desc", NS).text  # type: ignore[union-attr]
    messages = root.findall(".//svg:g[@class='msg']", NS) + root.findall(
        ".//svg:g[@class='msg response']", NS
    )
    assert len(messages) == 126
    ids = sorted(int(g.get("id")[1:]) for g in messages)  # type: ignore[index]
    assert ids == list(range(1, 127))
    first = root.find(".//svg:g[@id='m1']", NS)
    tooltip = first.find("svg:title", NS).text  # type: ignore[union-attr]
    assert tooltip.startswith("1. INVITE  UE_A -> P_CSCF_A")  # type: ignore[union-attr]
    assert "Request-URI: sip:conference-factory@home1.net" in tooltip  # type: ignore[operator]
    assert first.get("data-call") == "conf_a"  # type: ignore[union-attr]


def test_relayed_message_tooltip_shows_inherited_headers() -> None:
    (svg,) = reference_svg()
    root = ET.fromstring(svg.encode())
    relayed = root.find(".//svg:g[@id='m11']", NS)  # 200 OK P_CSCF_A -> UE_A, written bare
    tooltip = relayed.find("svg:title", NS).text  # type: ignore[union-attr]
    assert "Contact: <sip:conf1@home1.net>;isfocus" in tooltip  # type: ignore[operator]


def test_rendering_twice_is_byte_identical_and_has_no_date() -> None:
    assert reference_svg() == reference_svg()
    assert "2026" not in reference_svg()[0]


def test_date_only_from_the_caller() -> None:
    (svg,) = reference_svg(date="2001-09-09")
    assert "2001-09-09" in svg


def test_user_text_is_escaped() -> None:
    text = (
        f'title "{NASTY.replace(chr(34), chr(92) + chr(34))}"\n'
        f'system: S "{NASTY.replace(chr(34), chr(92) + chr(34))}"\n'
        f'eternal: A "{NASTY.replace(chr(34), chr(92) + chr(34))}" in S [role=ue], B [role=ue]\n'
        'feature "F" {\n'
        f'  X(note="{NASTY.replace(chr(34), chr(92) + chr(34))}") : A -> B (* {NASTY} *)\n'
        f'  A takes action "{NASTY.replace(chr(34), chr(92) + chr(34))}"\n'
        "}\n"
    )
    result = parse_text(text, "nasty.fdl")
    assert result.ok and result.flow is not None, result.diagnostics
    scenario = expand_scenarios(result.flow).scenarios[0]
    (svg,) = render_svg(layout(place(result.flow, scenario)))
    root = ET.fromstring(svg.encode())  # valid XML despite everything
    assert "<script" not in svg
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert NASTY in texts  # the title, shown literally
    assert root.find(".//svg:script", NS) is None


def test_header_and_body_parts_are_valid_svg() -> None:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    scenario = expand_scenarios(result.flow).scenarios[0]
    lay = layout(place(result.flow, scenario))
    header = ET.fromstring(render_page(lay, lay.pages[0], "header"))
    body = ET.fromstring(render_page(lay, lay.pages[0], "body"))
    assert header.find(".//svg:g[@class='header']", NS) is not None
    assert header.find(".//svg:g[@id='m1']", NS) is None
    assert body.find(".//svg:g[@id='m1']", NS) is not None
    assert body.get("viewBox").split()[1] == str(lay.pages[0].header_height + 4)  # type: ignore[union-attr]
