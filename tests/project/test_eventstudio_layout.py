"""An EventStudio 8 project as its template lays it out opens as it is.

The template's model files include `"project-inc.FDL"` (which lives in `include/`), which
includes EventStudio's installed `<pastel.FDL>` and `<colors.FDL>` and then the project's
`<inc.FDL>`, whose styles and theme every model shares. callflow ships stand-ins for the
installed files, reports a finding of the shared include once (not once per model), and
titles each scenario's diagram with its scenarioName when the model has no title.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from callflow.cli import cli
from callflow.fdl import parse_file
from callflow.fdl.preprocess import EVENTSTUDIO_INCLUDE

PROJECT_INC = """\
#include <pastel.FDL>
#include <inc.FDL>
#include <architecture.FDL>
"""
INC = """\
#include <colors.FDL>
style _bad: color=NOTACOLOUR
style default_message_style: color=FIREBRICK
"""
ARCHITECTURE = 'component: Core\neternal: Lima in Core, "New York" in Core\n'
MODEL = """\
#include "project-inc.FDL"
feature "{name}" {{
    [_bad] Hello : Lima -> "New York"
}}
"""
PROJECT = """\
{
    "scenarios": [
        { "modelPath": "model/one.FDL", "scenarioName": "First call" },
        { "modelPath": "model/two.FDL", "scenarioName": "Second call" }
    ],
    "documents": [ { "documentName": "all" } ]
}
"""


def template_project(root: Path) -> Path:
    files = {
        "include/project-inc.FDL": PROJECT_INC,
        "include/inc.FDL": INC,
        "include/architecture.FDL": ARCHITECTURE,
        "model/one.FDL": MODEL.format(name="one"),
        "model/two.FDL": MODEL.format(name="two"),
    }
    (root / "project.scn.json").parent.mkdir(parents=True, exist_ok=True)
    (root / "project.scn.json").write_text(PROJECT, encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_eventstudio_installed_includes_have_stand_ins(tmp_path: Path) -> None:
    names = sorted(p.name for p in Path(EVENTSTUDIO_INCLUDE).glob("*.FDL"))
    assert names == [
        "aqua.FDL",
        "business.FDL",
        "chocolate.FDL",
        "colors.FDL",
        "pastel.FDL",
        "rainbow.FDL",
        "stdinc.FDL",
        "sunrise.FDL",
    ]
    model = tmp_path / "m.fdl"
    model.write_text("#include <colors.FDL>\n#include <pastel.FDL>\neternal: A\n")
    result = parse_file(model)
    assert result.ok and result.diagnostics == []
    assert result.flow is not None and result.flow.style("default_message_style") is not None


def test_a_project_copy_of_an_installed_include_wins(tmp_path: Path) -> None:
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "pastel.FDL").write_text("style default_message_style: color=RED\n")
    model = tmp_path / "m.fdl"
    model.write_text("#include <pastel.FDL>\neternal: A\n")
    result = parse_file(model)
    assert result.flow is not None
    (definition,) = result.flow.styles
    assert definition.attribute("color") == "RED"


def test_a_later_style_definition_replaces_the_theme_files(tmp_path: Path) -> None:
    folder = template_project(tmp_path / "p")
    result = parse_file(folder / "model" / "one.FDL")
    assert result.flow is not None
    chosen = result.flow.style("default_message_style")
    assert chosen is not None and chosen.attribute("color") == "FIREBRICK"
    out = tmp_path / "out"
    assert invoke("render", str(folder), "-o", str(out)).exit_code == 0
    svg = (out / "all" / "first-call" / "sequence.svg").read_text(encoding="utf-8")
    assert "stroke:firebrick" in svg


def test_a_finding_of_a_shared_include_is_reported_once(tmp_path: Path) -> None:
    folder = template_project(tmp_path / "p")
    result = invoke("check", str(folder))
    assert result.exit_code == 0, result.output
    found = [line for line in result.output.splitlines() if "FDL314" in line]
    assert len(found) == 1 and "include/inc.FDL:2:" in found[0]


def test_scenario_diagrams_are_titled_with_the_scenario_name(tmp_path: Path) -> None:
    folder = template_project(tmp_path / "p")
    out = tmp_path / "out"
    assert invoke("render", str(folder), "-o", str(out)).exit_code == 0
    svg = (out / "all" / "second-call" / "sequence.svg").read_text(encoding="utf-8")
    assert '<title id="t1">Second call</title>' in svg
