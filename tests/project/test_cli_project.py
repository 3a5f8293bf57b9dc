"""`callflow check|scenarios|render PROJECT_DIR` on EventStudio projects (tmp_path)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from click.testing import CliRunner, Result

from callflow.cli import cli

PROJECT = """{
  /* two scenarios from one model: the define changes what it holds */
  "scenarios": [
    {"modelPath": "model/call.FDL", "scenarioName": "Basic"},
    {
      "modelPath": "model/call.FDL",
      "scenarioName": "Advanced",
      "defines": ["WITH_PING"]  // adds OPTIONS / 200 OK
    },
    {"modelPath": "model/ping.FDL", "scenarioName": "Ping <fast>"},
  ],
  "documents": [
    {"documentName": "overview"},
    {
      "documentName": "tier2",
      "interactionLevel": "component",
      "interfaceFilter": "A",
      "exclude": ["remarks", "parameters"],
      "defines": ["POSTER", "USE_MULTI_TIER_HEADER", "USE_CALLOUT_REMARKS"]
    },
    {"documentName": "pictures", "documentFormat": "svg", "scenarios": ["Ping <fast>"]},
    {"documentName": "context", "documentType": "context-diagram"}
  ]
}
"""


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def demo(tmp_path: Path, fx: SimpleNamespace) -> Path:
    return fx.make(
        tmp_path / "demo", PROJECT, {"model/call.FDL": fx.MODEL, "model/ping.FDL": fx.PLAIN}
    )


# ------------------------------------------------------------------------------ check


def test_check_a_clean_project_exits_0_with_a_summary_per_model(demo: Path) -> None:
    result = invoke("check", str(demo))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{demo / 'project.scn.json'}: 5 scenarios from 2 models, 4 documents: no findings",
        f"{demo / 'model' / 'call.FDL'}: 4 scenarios, 2 entities, 2/2/4/4 messages: no findings",
        f"{demo / 'model' / 'ping.FDL'}: 1 scenario, 2 entities, 2 messages: no findings",
    ]


def test_check_the_project_file_itself(demo: Path) -> None:
    assert invoke("check", str(demo / "project.scn.json")).exit_code == 0


def test_check_merges_a_model_s_findings_over_its_scenarios(
    tmp_path: Path, fx: SimpleNamespace
) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [{"modelPath": "m.fdl", "scenarioName": "One"},'
        ' {"modelPath": "m.fdl", "scenarioName": "Two", "defines": ["X"]}]}',
        {"m.fdl": fx.UNDECLARED},
    )
    result = invoke("check", "--format", "json", str(folder))
    assert result.exit_code == 1
    findings = json.loads(result.output)
    assert [(f["code"], f["scenarios"]) for f in findings] == [("FLOW001", [])]
    result = invoke("check", str(folder))
    assert result.exit_code == 1
    assert result.output.count("FLOW001") == 1
    assert f"{folder / 'm.fdl'}: 2 scenarios, 3 entities" not in result.output  # declared: 2
    assert f"{folder / 'm.fdl'}: 2 scenarios, 2 entities, 1/1 messages: 1 error" in result.output


def test_invalid_json_exits_2_with_a_located_caret(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(tmp_path / "p", '{\n  "scenarios": [\n    {"modelPath": "m.fdl"}\n    {}\n]}')
    result = invoke("check", str(folder))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{folder / 'project.scn.json'}:4:5: error PRJ001 project.invalid-json: "
        "expected ',' or ']' after an array item; found '{' (a ',' is missing?)"
    )
    assert lines[1:3] == ["        {}", "        ^"]


def test_a_missing_model_exits_2_at_its_model_path(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [\n  {"scenarioName": "s", "modelPath": "model/gone.FDL"}\n]}',
    )
    for command in ("check", "scenarios", "render"):
        result = invoke(command, str(folder))
        assert result.exit_code == 2, command
        assert f"{folder / 'project.scn.json'}:2:38: error PRJ002 project.missing-model" in (
            result.output
        )
        assert "^~~~~~~~~~~~~~~~" in result.output
    assert not (tmp_path / "out").exists()


def test_an_fdl_error_in_a_model_exits_2(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [{"modelPath": "m.fdl"}, {"modelPath": "m.fdl", "defines": ["OTHER"]}]}',
        {"m.fdl": 'eternal: A\nfeature "f" {\n    Hello A -> A\n}\n'},
    )
    result = invoke("check", str(folder))
    assert result.exit_code == 2
    alone = invoke("check", str(folder / "m.fdl"))
    assert alone.exit_code == 2
    # the same errors under both define sets are reported once
    assert result.output.count("FDL1") == alone.output.count("FDL1") >= 1


def test_project_warnings_count_with_strict(demo: Path) -> None:
    text = (demo / "project.scn.json").read_text(encoding="utf-8")
    text = text.replace(
        '"documentName": "overview"', '"documentName": "overview", "documentFormat": "pdf"'
    )
    (demo / "project.scn.json").write_text(text, encoding="utf-8")
    result = invoke("check", str(demo))
    assert result.exit_code == 0
    assert "warning PRJ005 project.unsupported: PDF output is not available yet" in result.output
    assert "4 documents: 0 errors, 1 warning" in result.output
    assert invoke("check", "--strict", str(demo)).exit_code == 1
    data = json.loads(invoke("check", "--format", "json", str(demo)).output)
    assert [(d["code"], d["file"], d["line"]) for d in data] == [
        ("PRJ005", str(demo / "project.scn.json"), 13)
    ]


def test_an_interface_filter_that_names_nothing_warns(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [{"modelPath": "m.fdl"}],\n'
        ' "documents": [{"documentName": "d", "interfaceFilter": "Nobody"}]}',
        {"m.fdl": fx.PLAIN},
    )
    result = invoke("check", str(folder))
    assert result.exit_code == 0
    assert ":2:57: warning PRJ005 project.unsupported: interfaceFilter 'Nobody'" in result.output


def test_check_a_project_and_a_plain_file_together(
    demo: Path, tmp_path: Path, fx: SimpleNamespace
) -> None:
    plain = tmp_path / "flow.fdl"
    plain.write_text(fx.PLAIN, encoding="utf-8")
    result = invoke("check", str(demo), str(plain))
    assert result.exit_code == 0
    assert f"{plain}: 1 scenario, 2 entities, 2 messages: no findings" in result.output


# ------------------------------------------------------------------------------ scenarios


def test_scenarios_lists_case_legs_and_defines(demo: Path) -> None:
    result = invoke("scenarios", str(demo))
    assert result.exit_code == 0
    rows = [re.split(r"\s{2,}", line) for line in result.output.splitlines()]
    assert rows[0] == ["#", "scenario", "slug", "model", "statements", "messages"]
    names = [(row[1], row[3], row[5]) for row in rows[1:]]
    assert names == [
        ("Basic / Found", "model/call.FDL", "2"),
        ("Basic / Missing", "model/call.FDL", "2"),
        ("Advanced / Found", "model/call.FDL", "4"),
        ("Advanced / Missing", "model/call.FDL", "4"),
        ("Ping <fast>", "model/ping.FDL", "2"),
    ]
    slugs = [row[2] for row in rows[1:]]
    assert len(set(slugs)) == 5
    assert slugs[:4] == ["basic-found", "basic-missing", "advanced-found", "advanced-missing"]
    assert re.fullmatch(r"ping-fast-[0-9a-f]{6}", slugs[4])  # '<' is not a file name's


def test_command_line_defines_and_scenario_glob(demo: Path) -> None:
    result = invoke("scenarios", "-D", "WITH_PING", "--scenario", "basic*", str(demo))
    assert result.exit_code == 0
    rows = [re.split(r"\s{2,}", line) for line in result.output.splitlines()[1:]]
    assert [(row[1], row[5]) for row in rows] == [("Basic / Found", "4"), ("Basic / Missing", "4")]
    result = invoke("scenarios", "--scenario", "nothing*", str(demo))
    assert result.exit_code == 2
    assert "no scenario of" in result.output and "Basic, Advanced, Ping <fast>" in result.output


# ------------------------------------------------------------------------------ render


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r'(?:href|src)="([^"#]+)', text)]


def _broken_links(root: Path) -> list[str]:
    broken = []
    for page in root.rglob("*.html"):
        for target in _links(page):
            if target.startswith("data:"):
                continue
            if not (page.parent / unquote(target)).exists():
                broken.append(f"{page.relative_to(root)} -> {target}")
    return broken


def test_render_writes_every_document_and_a_project_index(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("render", str(demo))
    assert result.exit_code == 0, result.output
    out = Path("out") / "demo"
    written = {Path(line).relative_to(out).as_posix() for line in result.stdout.split()}
    assert {"index.html", "assets/site.css", "assets/site.js"} <= written
    for document in ("overview", "tier2"):
        assert f"{document}/index.html" in written
        assert (
            sum(1 for p in written if p.startswith(f"{document}/") and p.endswith("/sequence.svg"))
            == 5
        )
        assert f"{document}/model-1.html" in written  # the model's overview page
    pictures = sorted(p for p in written if p.startswith("pictures/"))
    assert len(pictures) == 1 and pictures[0].endswith("/sequence.svg")  # svg only, one scenario
    assert {"context/context.svg", "context/index.html"} <= written
    for path in written:
        assert (out / path).is_file()
    assert _broken_links(out) == []

    index = (out / "index.html").read_text(encoding="utf-8")
    targets = set(_links(out / "index.html"))
    assert {"overview/index.html", "tier2/index.html", "context/index.html"} <= targets
    assert any(t.startswith("pictures/") and t.endswith("/sequence.svg") for t in targets)
    for name in ("Basic / Found", "Advanced / Missing"):
        assert f">{name}</th>" in index
    assert "Ping &lt;fast&gt;" in index and "Ping <fast>" not in index  # escaped
    # one link per scenario and sequence document (5 x overview, 5 x tier2, 1 x pictures),
    # and the svg-only document's entry (its one diagram)
    assert sum(1 for t in _links(out / "index.html") if t.endswith(("sequence.html", ".svg"))) == 12
    overview = (out / "overview" / "index.html").read_text(encoding="utf-8")
    assert overview.count("sequence.html") == 5
    context = (out / "context" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in context


def test_render_is_deterministic(demo: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert invoke("render", str(demo), "-o", str(tmp_path / name)).exit_code == 0
    first = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    second = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert first == second
    for path in first:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes(), path
    assert not [p for p in (tmp_path / "a").rglob("*.tmp")]


def test_render_passes_each_document_s_settings(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import callflow.render.project_site as site

    seen: dict[str, object] = {}
    real = site.plan_documents

    def plan_documents(flow, scenarios, options, findings=(), *, all_scenarios=None):
        seen.setdefault(scenarios[0].name, []).append(options)  # type: ignore[union-attr]
        return real(flow, scenarios, options, findings, all_scenarios=all_scenarios)

    monkeypatch.setattr(site, "plan_documents", plan_documents)
    assert invoke("render", str(demo), "-o", str(tmp_path / "o")).exit_code == 0
    overview, tier2 = seen["Basic / Found"]  # type: ignore[misc]
    assert (overview.level, overview.interface, overview.exclude, overview.page) == (
        None,
        None,
        (),
        None,
    )
    assert (overview.multi_tier_header, overview.callout_remarks) == (False, False)
    assert overview.level_internal == "show"
    assert tier2.level == "component"
    assert tier2.interface == "A"
    assert tier2.exclude == ("remarks", "parameters")
    assert tier2.page == "poster"
    assert (tier2.multi_tier_header, tier2.callout_remarks) == (True, True)
    assert tier2.views == ("full",) and tier2.formats == ("svg", "html")
    ping = seen["Ping <fast>"]
    assert [o.formats for o in ping] == [("svg", "html"), ("svg", "html"), ("svg",)]  # type: ignore[attr-defined]


def test_document_defines_reach_the_model(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [{"modelPath": "m.fdl", "scenarioName": "S"}], "documents": ['
        '{"documentName": "plain", "documentFormat": "svg"},'
        '{"documentName": "ping", "documentFormat": "svg", "defines": ["WITH_PING"]}]}',
        {"m.fdl": fx.MODEL},
    )
    assert invoke("render", str(folder), "-o", str(tmp_path / "o")).exit_code == 0
    plain = next((tmp_path / "o" / "plain").glob("s-found*/sequence.svg")).read_text()
    ping = next((tmp_path / "o" / "ping").glob("s-found*/sequence.svg")).read_text()
    assert plain.count(">OPTIONS<") < ping.count(">OPTIONS<")


def test_render_format_svg_writes_no_html(demo: Path, tmp_path: Path) -> None:
    result = invoke("render", "--format", "svg", str(demo), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    files = [p for p in (tmp_path / "o").rglob("*") if p.is_file()]
    assert files and all(p.suffix == ".svg" for p in files)


def test_render_warns_about_formats_on_stderr(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(
        tmp_path / "p",
        '{"scenarios": [{"modelPath": "m.fdl"}],\n "documents": [\n'
        '  {"documentName": "word", "documentFormat": "emf"},\n'
        '  {"documentName": "print", "documentFormat": "pdf"}\n]}',
        {"m.fdl": fx.PLAIN},
    )
    result = invoke("render", str(folder), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert (
        ":3:46: warning PRJ005 project.unsupported: EMF (MS Word Picture) is answered with SVG"
        in (result.stderr)
    )
    assert ":4:47: warning PRJ005 project.unsupported: PDF output is not available yet" in (
        result.stderr
    )
    assert "PRJ005" not in result.stdout
    assert sorted(p.name for p in (tmp_path / "o" / "word").rglob("*") if p.is_file()) == [
        "sequence.svg"
    ]
    assert (tmp_path / "o" / "print" / "index.html").is_file()
    index = (tmp_path / "o" / "index.html").read_text(encoding="utf-8")
    assert "PDF output is not available yet" in index  # the project file's findings


def test_render_a_project_and_a_file_into_one_folder(
    demo: Path, tmp_path: Path, fx: SimpleNamespace
) -> None:
    plain = tmp_path / "flow.fdl"
    plain.write_text(fx.PLAIN, encoding="utf-8")
    result = invoke("render", str(demo), str(plain), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert (tmp_path / "o" / "demo" / "index.html").is_file()
    assert (tmp_path / "o" / "flow" / "index.html").is_file()


def test_render_scenario_glob(demo: Path, tmp_path: Path) -> None:
    result = invoke("render", "--scenario", "advanced*", str(demo), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    svgs = [p for p in (tmp_path / "o" / "overview").rglob("sequence.svg")]
    assert len(svgs) == 2
    assert invoke("render", "--scenario", "zzz", str(demo)).exit_code == 2


def test_a_folder_without_a_project_keeps_today_s_error(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2 and "FDL201" in result.output
    assert os.path.isdir(tmp_path)


@pytest.mark.parametrize("command", [("run",), ("export", "mermaid")])
def test_run_and_export_name_the_project_and_stop(demo: Path, command: tuple[str, ...]) -> None:
    result = invoke(*command, str(demo))
    assert result.exit_code == 2
    assert "is an EventStudio project" in result.output


def test_render_entity_draws_its_interface_views(demo: Path, tmp_path: Path) -> None:
    result = invoke("render", "--entity", "A", str(demo), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert len(list((tmp_path / "o" / "overview").rglob("interface-A.svg"))) == 5
    assert not list((tmp_path / "o" / "overview").rglob("interface-B.svg"))
    assert invoke("render", "--entity", "Nobody", str(demo)).exit_code == 2
