"""Scenario expansion: counts, names, slugs, nesting, and the reference flow's figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.scenarios import count_scenarios, expand_scenarios, select_scenarios, slugify

ROOT = Path(__file__).resolve().parents[1]
CAST = "eternal: A [role=ue], B [role=ue], C [role=ue]\n"


def flow_of(body: str) -> ir.Flow:
    result = parse_text(CAST + body, "flow.fdl")
    assert result.ok, result.diagnostics
    assert result.flow is not None
    return result.flow


def test_flow_without_case_has_one_main_scenario() -> None:
    flow = flow_of('feature "F" {\n  X : A -> B\n  Y : B -> A\n}\n')
    (scenario,) = expand_scenarios(flow).scenarios
    assert (scenario.name, scenario.slug, scenario.path) == ("main", "main", ())
    assert [m.name for m in scenario.messages()] == ["X", "Y"]


def test_successive_cases_multiply() -> None:
    flow = flow_of(
        'feature "F" {\n'
        '  case {\n    leg "a": X : A -> B\n    leg "b": Y : A -> B\n  }\n'
        '  case {\n    leg "c": X : B -> C\n    leg "d": Y : B -> C\n    leg "e": Z : B -> C\n  }\n'
        "}\n"
    )
    expansion = expand_scenarios(flow)
    assert count_scenarios(flow) == expansion.count == 6
    assert [s.name for s in expansion.scenarios] == [
        "a / c",
        "a / d",
        "a / e",
        "b / c",
        "b / d",
        "b / e",
    ]


def test_nested_cases_multiply_inside_their_leg() -> None:
    flow = flow_of(
        'feature "F" {\n'
        "  case {\n"
        '    leg "Answered":\n'
        "      OK : B -> A\n"
        "      case {\n"
        '        leg "Hold": H : A -> B\n'
        '        leg "Transfer": T : A -> B\n'
        '        leg "Hang up": E : A -> B\n'
        "      }\n"
        '    leg "Busy / Retry": Busy : B -> A\n'
        "  }\n"
        "}\n"
    )
    expansion = expand_scenarios(flow)
    assert expansion.count == 4
    names = [s.name for s in expansion.scenarios]
    assert names == [
        "Answered / Hold",
        "Answered / Transfer",
        "Answered / Hang up",
        "Busy / Retry",
    ]
    assert [s.slug for s in expansion.scenarios] == [
        "answered-hold",
        "answered-transfer",
        "answered-hang-up",
        "busy-retry",
    ]
    assert [m.name for m in expansion.scenarios[1].messages()] == ["OK", "T"]


def test_file_level_case_holds_features_and_nested_cases() -> None:
    flow = flow_of(
        'feature "Setup" {\n  S : A -> B\n}\n'
        "case {\n"
        '  leg "one":\n'
        '    feature "F1" {\n      X : A -> B\n    }\n'
        "    case {\n"
        '      leg "x": feature "G" {\n        G1 : A -> C\n      }\n'
        '      leg "y": feature "G" {\n        G2 : A -> C\n      }\n'
        "    }\n"
        '  leg "two":\n'
        '    feature "F2" {\n      Y : B -> A\n    }\n'
        "}\n"
    )
    expansion = expand_scenarios(flow)
    assert [s.name for s in expansion.scenarios] == ["one / x", "one / y", "two"]
    first = expansion.scenarios[0]
    assert [f.name for f in first.features] == ["Setup", "F1", "G"]
    assert [m.name for m in first.messages()] == ["S", "X", "G1"]


def test_sequence_keeps_nesting_and_takes_the_chosen_leg() -> None:
    flow = flow_of(
        'feature "F" {\n'
        '  sequence "Setup" {\n'
        "    X : A -> B\n"
        '    case {\n      leg "a": Y : A -> B\n      leg "b": Z : A -> B\n    }\n'
        "  }\n"
        "}\n"
    )
    first, second = expand_scenarios(flow).scenarios
    (group,) = first.features[0].body
    assert isinstance(group, ir.Sequence) and group.name == "Setup"
    assert [type(s).__name__ for s in group.body] == ["Message", "Message"]
    assert [m.name for m in first.messages()] == ["X", "Y"]
    assert [m.name for m in second.messages()] == ["X", "Z"]
    assert all(not isinstance(s, ir.Sequence | ir.Case) for s in first.statements())


def test_max_scenarios_guard_is_an_error_not_a_hang() -> None:
    case = 'case {\n  leg "a": X : A -> B\n  leg "b": Y : A -> B\n}\n'
    flow = flow_of('feature "F" {\n' + case * 40 + "}\n")  # 2**40 scenarios
    expansion = expand_scenarios(flow, max_scenarios=1024)
    assert expansion.scenarios == []
    (diag,) = expansion.diagnostics
    assert diag.code == "FDL307"
    assert "1,099,511,627,776 scenarios" in diag.message
    assert (diag.loc.line, diag.loc.col) == (3, 1)


def test_duplicate_leg_labels_get_distinct_slugs() -> None:
    flow = flow_of(
        'feature "F" {\n  case {\n'
        '    leg "accept": X : B -> A\n    leg "accept": Y : B -> A\n  }\n}\n'
    )
    assert [s.slug for s in expand_scenarios(flow).scenarios] == ["accept", "accept-2"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Participant joins", "participant-joins"),
        ("Busy / Retry", "busy-retry"),
        ("Ünïcode!", "n-code"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_select_scenarios_by_glob_on_name_or_slug() -> None:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    scenarios = expand_scenarios(result.flow).scenarios
    assert [s.name for s in select_scenarios(scenarios, "*joins")] == ["Participant joins"]
    assert [s.name for s in select_scenarios(scenarios, "participant-dec*")] == [
        "Participant declines"
    ]
    assert len(select_scenarios(scenarios, None)) == 2


def test_reference_flow_figures() -> None:
    """ims-conference.md: 2 scenarios, 9 entities; message counts derived from the flow."""
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.ok and result.flow is not None
    flow = result.flow
    assert flow.title == "IMS Conference Call"
    assert [e.name for e in flow.architecture.entities] == [
        "UE_A",
        "P_CSCF_A",
        "S_CSCF_A",
        "MRFC_AS",
        "MRFP",
        "I_CSCF_B",
        "S_CSCF_B",
        "P_CSCF_B",
        "UE_B",
    ]
    assert len(flow.introduction) == 6
    scenarios = expand_scenarios(flow).scenarios
    assert [(s.name, len(s.statements()), len(s.messages())) for s in scenarios] == [
        ("Participant joins", 141, 126),
        ("Participant declines", 62, 54),
    ]
    joins = scenarios[0]
    assert [f.name for f in joins.features] == [
        "Conference creation",
        "Adding a participant",
        "Conference Caller leaving the Conference",
        "Conference ends",
    ]
