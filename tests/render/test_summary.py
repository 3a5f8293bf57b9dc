"""The message summary table: one row per (message, sender, receiver)."""

from __future__ import annotations

from pathlib import Path

from callflow import ir
from callflow.fdl import parse_file, parse_text
from callflow.render.summary import SummaryRow, message_summary
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]


def scenarios_of(text: str) -> list[ir.Scenario]:
    result = parse_text(text, "flow.fdl")
    assert result.ok, result.diagnostics
    assert result.flow is not None
    return expand_scenarios(result.flow).scenarios


def test_counts_first_and_last_in_order_of_first_appearance() -> None:
    (scenario,) = scenarios_of(
        "eternal: A, B, C\n"
        'feature "F" {\n'
        "  INVITE : A -> B\n"  # 1
        "  100 Trying : B -> A\n"  # 2
        '  A takes action "not a message"\n'
        "  INVITE : A -> B\n"  # 3
        "  Alert : A -> B, C\n"  # 4 (multicast: a row per receiver, one number)
        "  200 OK : B -> A\n"  # 5
        "  INVITE : A -x B\n"  # 6 (lost: still sent)
        "  INVITE : B -> C\n"  # 7 (another hop: another row)
        "}\n"
    )
    assert message_summary(scenario) == (
        SummaryRow("INVITE", "A", "B", 3, 1, 6),
        SummaryRow("100 Trying", "B", "A", 1, 2, 2),
        SummaryRow("Alert", "A", "B", 1, 4, 4),
        SummaryRow("Alert", "A", "C", 1, 4, 4),
        SummaryRow("200 OK", "B", "A", 1, 5, 5),
        SummaryRow("INVITE", "B", "C", 1, 7, 7),
    )


def test_numbers_follow_each_scenario() -> None:
    first, second = scenarios_of(
        "eternal: A, B\n"
        'feature "F" {\n'
        '  case {\n    leg "one": X : A -> B\n    leg "two": Y : A -> B\n      Y : A -> B\n  }\n'
        "  Z : B -> A\n"
        "}\n"
    )
    assert message_summary(first)[-1] == SummaryRow("Z", "B", "A", 1, 2, 2)
    assert message_summary(second)[0] == SummaryRow("Y", "A", "B", 2, 1, 2)
    assert message_summary(second)[-1] == SummaryRow("Z", "B", "A", 1, 3, 3)


def test_empty_scenario_has_no_rows() -> None:
    (scenario,) = scenarios_of('eternal: A\nfeature "F" {\n  A state "idle"\n}\n')
    assert message_summary(scenario) == ()


def test_reference_totals_equal_the_message_count() -> None:
    result = parse_file(ROOT / "flows" / "ims-conference.fdl")
    assert result.flow is not None
    scenarios = expand_scenarios(result.flow).scenarios
    assert [len(s.messages()) for s in scenarios] == [126, 54]
    for scenario in scenarios:
        rows = message_summary(scenario)
        messages = scenario.messages()
        assert sum(row.count for row in rows) == len(messages)
        assert [row.first for row in rows] == sorted(row.first for row in rows)
        for row in rows:
            assert 1 <= row.first <= row.last <= len(messages)
            first, last = messages[row.first - 1], messages[row.last - 1]
            for message in (first, last):
                assert (message.name, message.sender.text, message.receiver.text) == (
                    row.message,
                    row.sender,
                    row.receiver,
                )
        assert rows[0] == SummaryRow("INVITE", "UE_A", "P_CSCF_A", 1, 1, 1)
