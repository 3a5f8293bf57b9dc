"""load_project: project.scn.json read into a Project, every problem located in the file."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from callflow import ir
from callflow.diagnostics import Severity
from callflow.project import (
    CONTEXT_DIAGRAM,
    SEQUENCE_DIAGRAM,
    find_project,
    interface_members,
    load_flows,
    load_project,
)
from callflow.scenarios import safe_slug

# the shape of EventStudio's own "new project" template, comments included
TEMPLATE = """{
  /* Specify the scenarios to be included in the project
  "modelPath"     FDL file that defines the model. */
  "scenarios": [
    {
      "modelPath": "model/call.FDL",
      "scenarioName": "Basic Tutorial"
    },
    {
      // the same model, another flow
      "modelPath": "model/call.FDL",
      "scenarioName": "Advanced Tutorial",
      "defines": [
        "WITH_PING"
      ]
    }
  ],
  /* Specify the documents to be generated from this project. */
  "documents": [
    {
      "documentName": "tier1"
    },
    {
      "documentName": "tier2",
      "interactionLevel": "component",
      "defines": ["POSTER", "USE_MULTI_TIER_HEADER"]
    },
    {
      "documentName": "tier3",
      "interactionLevel": "module",
      "defines": ["USE_MULTI_TIER_HEADER"],
      "exclude": ["remarks"]
    },
    {
      "documentName": "tier5",
      "interactionLevel": "system",
      "defines": ["PRESENTATION", "USE_CALLOUT_REMARKS"]
    },
    {
      "documentType": "context-diagram",
      "documentName": "context"
    },
    {
      "documentName": "desert-city",
      "interfaceFilter": "B"
    }
  ]
}
"""


def load(tmp_path: Path, project: str, models: dict[str, str] | None = None):
    folder = make_project(tmp_path / "demo", project, models)
    return load_project(folder)


def make_project(root: Path, project: str, models: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "project.scn.json").write_text(project, encoding="utf-8")
    for name, text in (models or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


def test_the_eventstudio_template_reads_cleanly(tmp_path: Path, fx: SimpleNamespace) -> None:
    project, found = load(tmp_path, TEMPLATE, {"model/call.FDL": fx.MODEL})
    assert found == []
    assert project is not None
    assert project.name == "demo"
    assert [s.name for s in project.scenarios] == ["Basic Tutorial", "Advanced Tutorial"]
    assert project.scenarios[1].define_map == {"WITH_PING": ""}
    assert project.scenarios[0].model_path == str(tmp_path / "demo" / "model" / "call.FDL")
    assert project.scenarios[0].loc.file == str(tmp_path / "demo" / "project.scn.json")
    assert project.scenarios[0].model_loc.line == 6
    docs = {d.name: d for d in project.documents}
    assert [d.slug for d in project.documents] == [
        "tier1",
        "tier2",
        "tier3",
        "tier5",
        "context",
        "desert-city",
    ]
    assert docs["tier1"].type == SEQUENCE_DIAGRAM and docs["tier1"].interaction_level is None
    assert docs["tier1"].format == "pdf" and docs["tier1"].formats == ("svg", "html")
    tier2 = docs["tier2"]
    assert tier2.interaction_level == "component"
    assert (tier2.page, tier2.multi_tier_header, tier2.callout_remarks) == ("poster", True, False)
    assert docs["tier3"].exclude == ("remarks",)
    tier5 = docs["tier5"]
    assert (tier5.page, tier5.multi_tier_header, tier5.callout_remarks) == (
        "presentation",
        False,
        True,
    )
    assert docs["context"].type == CONTEXT_DIAGRAM
    assert docs["desert-city"].interface_filter == "B"
    assert docs["desert-city"].interface_loc is not None


def test_defines_as_strings_with_values_or_as_an_object(
    tmp_path: Path, fx: SimpleNamespace
) -> None:
    text = json.dumps(
        {
            "scenarios": [
                {"modelPath": "m.fdl", "scenarioName": "a", "defines": ["X", "Y=2", " Z = v "]},
                {
                    "modelPath": "m.fdl",
                    "scenarioName": "b",
                    "defines": {"X": 1, "Y": True, "Z": None},
                },
            ]
        }
    )
    project, found = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert found == [] and project is not None
    assert project.scenarios[0].define_map == {"X": "", "Y": "2", "Z": "v"}
    assert project.scenarios[1].define_map == {"X": "1", "Y": "1", "Z": ""}


def test_a_bad_define_name_is_located(tmp_path: Path, fx: SimpleNamespace) -> None:
    text = '{"scenarios": [{"modelPath": "m.fdl", "defines": ["OK", "2BAD"]}]}'
    project, found = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is None
    assert codes(found) == ["PRJ003"]
    assert (found[0].loc.line, found[0].loc.col) == (1, 57)
    assert "'2BAD' is not a preprocessor name" in found[0].message


def test_windows_separators_and_letter_case_in_model_paths(
    tmp_path: Path, fx: SimpleNamespace
) -> None:
    text = """{"scenarios": [
      {"modelPath": ".\\\\model\\\\call.FDL", "scenarioName": "backslashes"},
      {"modelPath": "MODEL/Call.fdl", "scenarioName": "case"}
    ]}"""
    project, found = load(tmp_path, text, {"model/call.FDL": fx.PLAIN})
    assert project is not None
    assert [s.model_path for s in project.scenarios] == [
        str(tmp_path / "demo" / "model" / "call.FDL")
    ] * 2
    assert codes(found) == ["PRJ008"]
    assert found[0].severity is Severity.WARNING and found[0].loc.line == 3


def test_a_missing_model_is_an_error_at_its_model_path(tmp_path: Path) -> None:
    text = '{\n  "scenarios": [\n    {"scenarioName": "x", "modelPath": "model/nope.FDL"}\n  ]\n}'
    project, found = load(tmp_path, text)
    assert project is None
    assert codes(found) == ["PRJ002"]
    diag = found[0]
    assert diag.severity is Severity.ERROR and diag.name == "project.missing-model"
    assert (diag.loc.line, diag.loc.col, diag.loc.end_col) == (3, 40, 56)
    assert diag.source_line == '    {"scenarioName": "x", "modelPath": "model/nope.FDL"}'
    assert "'model/nope.FDL' not found" in diag.message


def test_every_missing_model_is_reported(tmp_path: Path) -> None:
    text = '{"scenarios": [{"modelPath": "a.fdl"}, {"modelPath": "b.fdl"}]}'
    project, found = load(tmp_path, text)
    assert project is None and codes(found) == ["PRJ002", "PRJ002"]


def test_invalid_json_is_one_located_error(tmp_path: Path) -> None:
    project, found = load(
        tmp_path, '{\n  "scenarios": [\n    {"modelPath": "a.fdl"}\n    {}\n  ]\n}'
    )
    assert project is None
    assert codes(found) == ["PRJ001"]
    assert (found[0].loc.line, found[0].loc.col) == (4, 5)
    assert found[0].source_line == "    {}"
    assert "(a ',' is missing?)" in found[0].message


def test_unreadable_and_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.scn.json").write_bytes(b'{"scenarios": ["\xff"]}')
    project, found = load_project(folder)
    assert project is None and codes(found) == ["PRJ006"]
    assert "not UTF-8" in found[0].message and found[0].loc.col == 17
    project, found = load_project(tmp_path / "nowhere")
    assert project is None and codes(found) == ["PRJ006"]


def _with_document(document: str) -> str:
    return (
        '{"scenarios": [{"modelPath": "m.fdl", "scenarioName": "s"}], '
        f'"documents": [{document}]}}'
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[]", 'must be an object with "scenarios"'),
        ("{}", 'no "scenarios" list'),
        ('{"scenarios": {}}', '"scenarios" must be a list'),
        ('{"scenarios": []}', "is empty"),
        ('{"scenarios": ["m.fdl"]}', "a scenario must be an object"),
        ('{"scenarios": [{"scenarioName": "x"}]}', 'needs a "modelPath"'),
        ('{"scenarios": [{"modelPath": 3}]}', '"modelPath" must be a string; found a number'),
        ('{"scenarios": [{"modelPath": "m.fdl", "defines": "X"}]}', '"defines" must be a list'),
        (_with_document('{"documentType": "context-diagram"}'), 'needs a "documentName"'),
        (
            _with_document('{"documentName": "d", "interactionLevel": "planet"}'),
            "choose from system, subsystem, module, component",
        ),
        (
            _with_document('{"documentName": "d", "scenarios": ["t"]}'),
            'no scenario named "t"',
        ),
        (_with_document('{"documentName": "d", "exclude": "remarks"}'), '"exclude" must be a list'),
    ],
)
def test_bad_entries_are_errors(tmp_path: Path, text: str, words: str, fx: SimpleNamespace) -> None:
    project, found = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is None
    assert [d.code for d in found if d.is_error] == ["PRJ003"], found
    assert words in next(d for d in found if d.is_error).message


def test_warnings_keep_the_project(tmp_path: Path, fx: SimpleNamespace) -> None:
    text = """{
  "scenarios": [{"modelPath": "m.fdl", "scenarioName": "s", "colour": "red"}],
  "documents": [
    {"documentName": "emf", "documentFormat": "emf", "remarkWidth": "small"},
    {"documentName": "pdf", "documentFormat": "pdf"},
    {"documentName": "xml", "documentType": "export-document", "documentFormat": "xml"},
    {"documentName": "ex", "exclude": ["remarks", "Parameters", "sparkles"], "documentNmae": 1}
  ],
  "version": 2
}"""
    project, found = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is not None
    by_line = {(d.loc.line, d.code): d for d in found}
    assert all(d.severity is Severity.WARNING for d in found)
    assert 'unknown key "colour" in a scenario' in by_line[(2, "PRJ004")].message
    assert any("answered with SVG" in d.message for d in found if d.loc.line == 4)
    assert by_line[(5, "PRJ005")].message == "PDF output is not available yet; writing SVG/HTML"
    assert "export-document" in by_line[(6, "PRJ005")].message
    assert "'sparkles'" in by_line[(7, "PRJ005")].message
    assert 'did you mean "documentName"' in by_line[(7, "PRJ004")].message
    assert 'unknown key "version" in the project' in by_line[(9, "PRJ004")].message
    layout = [d for d in found if "remarkWidth" in d.message]
    assert len(layout) == 1 and layout[0].loc.line == 4
    docs = {d.name: d for d in project.documents}
    assert set(docs) == {"emf", "pdf", "ex"}  # export-document is skipped
    assert docs["emf"].formats == ("svg",)
    assert docs["pdf"].formats == ("svg", "html")
    assert docs["ex"].exclude == ("remarks", "parameters")


def test_no_documents_draws_every_sequence_diagram(tmp_path: Path, fx: SimpleNamespace) -> None:
    project, found = load(tmp_path, '{"scenarios": [{"modelPath": "m.fdl"}]}', {"m.fdl": fx.PLAIN})
    assert found == [] and project is not None
    assert [(d.name, d.type, d.scenarios) for d in project.documents] == [
        ("sequence-diagram", SEQUENCE_DIAGRAM, None)
    ]
    assert project.scenarios[0].name == "m"  # no scenarioName: the model's stem


def test_duplicate_names_warn_and_get_distinct_slugs(tmp_path: Path, fx: SimpleNamespace) -> None:
    text = """{"scenarios": [
      {"modelPath": "m.fdl", "scenarioName": "Same"},
      {"modelPath": "m.fdl", "scenarioName": "Same"}
    ],
    "documents": [{"documentName": "d"}, {"documentName": "d"}]}"""
    project, found = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is not None
    assert codes(found) == ["PRJ007"] and found[0].loc.line == 3
    assert [d.slug for d in project.documents] == ["d", "d-2"]
    flows = load_flows(project)
    assert [s.slug for f in flows for s in f.scenarios] == ["same", "same-2"]


def test_document_scenarios_choose_what_it_covers(tmp_path: Path, fx: SimpleNamespace) -> None:
    text = """{"scenarios": [
      {"modelPath": "m.fdl", "scenarioName": "One"},
      {"modelPath": "m.fdl", "scenarioName": "Two"}
    ],
    "documents": [{"documentName": "d", "scenarios": ["Two"]}]}"""
    project, _ = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is not None
    assert [s.name for s in project.covered(project.documents[0])] == ["Two"]


def test_find_project(tmp_path: Path, fx: SimpleNamespace) -> None:
    folder = fx.make(tmp_path / "p", "{}")
    (tmp_path / "flow.fdl").write_text(fx.PLAIN, encoding="utf-8")
    assert find_project(folder) == folder
    assert find_project(folder / "project.scn.json") == folder
    assert find_project(tmp_path) is None
    assert find_project(tmp_path / "flow.fdl") is None


# ------------------------------------------------------------------------------ models


def test_defines_select_what_a_model_holds(tmp_path: Path, fx: SimpleNamespace) -> None:
    project, _ = load(tmp_path, TEMPLATE, {"model/call.FDL": fx.MODEL})
    assert project is not None
    flows = load_flows(project)
    names = [[s.name for s in f.scenarios] for f in flows]
    assert names == [
        ["Basic Tutorial / Found", "Basic Tutorial / Missing"],
        ["Advanced Tutorial / Found", "Advanced Tutorial / Missing"],
    ]
    counts = [[len(s.messages()) for s in f.scenarios] for f in flows]
    assert counts == [[2, 2], [4, 4]]  # WITH_PING adds OPTIONS / 200 OK
    assert all(not f.fatal for f in flows)


def test_document_and_command_line_defines_add_to_the_scenario_s(
    tmp_path: Path, fx: SimpleNamespace
) -> None:
    text = """{"scenarios": [{"modelPath": "m.fdl", "scenarioName": "S"}],
      "documents": [{"documentName": "d", "defines": ["WITH_PING"]}]}"""
    project, _ = load(tmp_path, text, {"m.fdl": fx.MODEL})
    assert project is not None
    (plain,) = load_flows(project)
    (with_doc,) = load_flows(project, document=project.documents[0])
    (with_cli,) = load_flows(project, defines={"WITH_PING": ""})
    assert len(plain.scenarios[0].messages()) == 2
    assert len(with_doc.scenarios[0].messages()) == 4
    assert len(with_cli.scenarios[0].messages()) == 4
    assert dict(with_doc.defines) == {"WITH_PING": ""}


def test_a_model_without_case_is_named_after_the_scenario(
    tmp_path: Path, fx: SimpleNamespace
) -> None:
    text = '{"scenarios": [{"modelPath": "m.fdl", "scenarioName": "Login: ok?"}]}'
    project, _ = load(tmp_path, text, {"m.fdl": fx.PLAIN})
    assert project is not None
    (flow,) = load_flows(project)
    (scenario,) = flow.scenarios
    assert scenario.name == "Login: ok?"
    assert scenario.slug == safe_slug("Login: ok?") and scenario.slug.startswith("login-ok-")


def test_include_dirs_reach_the_parser_when_it_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fx: SimpleNamespace
) -> None:
    import callflow.fdl

    project, _ = load(
        tmp_path,
        '{"scenarios": [{"modelPath": "model/m.fdl"}]}',
        {"model/m.fdl": fx.PLAIN, "include/inc.FDL": ""},
    )
    assert project is not None
    seen: dict[str, object] = {}
    real = callflow.fdl.parse_file

    def parse_file(path, *, root=None, defines=None, max_input_size=0, include_dirs=()):
        seen.update(root=root, include_dirs=list(include_dirs))
        return real(path, root=root, defines=defines, max_input_size=max_input_size)

    monkeypatch.setattr(callflow.fdl, "parse_file", parse_file)
    (flow,) = load_flows(project)
    assert not flow.fatal
    assert seen == {"root": project.path, "include_dirs": [str(tmp_path / "demo" / "include")]}


def test_angle_includes_from_the_project_include_folder(tmp_path: Path) -> None:
    import inspect

    import callflow.fdl

    if "include_dirs" not in inspect.signature(callflow.fdl.parse_file).parameters:
        pytest.skip("the preprocessor has no include folders yet")
    arch = "eternal: A [role=ue], B [role=ue]\n"
    model = '#include <arch.FDL>\nfeature "f" {\n    OPTIONS : A -> B\n    200 OK : B -> A\n}\n'
    project, _ = load(
        tmp_path,
        '{"scenarios": [{"modelPath": "model/m.fdl"}]}',
        {"model/m.fdl": model, "include/arch.FDL": arch},
    )
    assert project is not None
    (flow,) = load_flows(project)
    assert not flow.fatal, flow.diagnostics
    assert [e.name for e in flow.flow.architecture.entities] == ["A", "B"]


def test_interface_members_by_entity_label_group_and_type(tmp_path: Path) -> None:
    def entity(name: str, parent: str | None, **attrs: str) -> ir.Entity:
        loc = ir.SourceLocation("f", 1, 1, 1, 1)
        attributes = tuple(ir.Attribute(k, v, loc) for k, v in attrs.items())
        return ir.Entity(name, f"{name} label", parent, "eternal", attributes, loc)

    loc = ir.SourceLocation("f", 1, 1, 1, 1)
    arch = ir.Architecture(
        groups=(ir.Group("system", "Core", "Core net", None, loc),),
        entities=(entity("AMF1", "Core", type="AMF"), entity("UE", None)),
    )
    flow = ir.Flow("f", None, None, (), arch, (), ())
    assert interface_members(flow, "UE") == {"UE"}
    assert interface_members(flow, "UE label") == {"UE"}
    assert interface_members(flow, "Core net") == {"AMF1"}
    assert interface_members(flow, "AMF") == {"AMF1"}
    assert interface_members(flow, "nothing") == set()


@pytest.mark.parametrize(
    ("name", "plain"),
    [("Login", True), ("Basic call_2 - retry", True), ("Place Order (Alternate)", False)],
)
def test_safe_slug(name: str, plain: bool) -> None:
    slug = safe_slug(name)
    assert slug == safe_slug(name)  # stable
    assert all(c.isalnum() or c == "-" for c in slug) and slug == slug.lower()
    assert (len(slug.rsplit("-", 1)[-1]) == 6 and not plain) or plain
    assert len(safe_slug("x" * 500)) <= 48 + 7
    assert safe_slug("a/b") != safe_slug("a:b")
