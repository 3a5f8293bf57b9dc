"""End-to-end tests of the example flows beside the reference flow.

``flows/conference-4party.fdl``: four participants join one IMS conference one after the
other and leave one by one, so the MRFP mixes two, three and four voices. It must be
clean for ``callflow check`` (no finding at all), and ``callflow run`` must execute it.

The CLI is driven in-process with click's ``CliRunner``, as in ``test_cli.py`` and
``test_run_cli.py``; runs use this process's own ports so that parallel test runs do not
collide.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callflow import ir
from callflow.cli import cli
from callflow.execute.pcap import read_pcap
from callflow.fdl import parse_file
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
CONFERENCE_4 = "flows/conference-4party.fdl"
MESSAGES = 88
# this process's own ports keep two test runs at the same time apart (test_run_cli.py
# uses 33000 + ...; these sit above them)
SIP = 46000 + (os.getpid() % 3000) * 3
RTP = 55000 + (os.getpid() % 250) * 40 + 10
PORTS = ("--sip-port", str(SIP), "--h248-port", str(SIP + 1), "--rtp-port", str(RTP))
FAST = ("--time-scale", "0.02")


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in the output are as given, so run from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)


def invoke(*args: str) -> Result:
    """Run the CLI in-process; no exception may escape and no traceback be printed."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def scenario() -> ir.Scenario:
    result = parse_file(ROOT / CONFERENCE_4)
    assert result.ok and result.flow is not None
    (only,) = expand_scenarios(result.flow).scenarios
    return only


def test_check_is_clean_with_no_finding_at_all() -> None:
    result = invoke("check", "--no-config", "--strict", "--format", "json", CONFERENCE_4)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_check_text_summary() -> None:
    result = invoke("check", "--no-config", CONFERENCE_4)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{CONFERENCE_4}: 1 scenario, 7 entities, {MESSAGES} messages: no findings\n"
    )


def test_cast_and_hierarchy() -> None:
    result = parse_file(ROOT / CONFERENCE_4)
    assert result.flow is not None
    flow = result.flow
    roles = {e.name: e.role for e in flow.architecture.entities}
    assert roles == {
        "UE_1": "ue",
        "UE_2": "ue",
        "UE_3": "ue",
        "UE_4": "ue",
        "S_CSCF": "proxy",
        "MRFC_AS": "focus",
        "MRFP": "mg",
    }
    focus = next(e for e in flow.architecture.entities if e.name == "MRFC_AS")
    assert focus.attribute("media") == "MRFP"
    # three header rows: system, subsystem and module
    assert {g.level for g in flow.architecture.groups} == {"system", "subsystem", "module"}


def test_message_count(scenario: ir.Scenario) -> None:
    messages = scenario.messages()
    assert len(messages) == MESSAGES
    names = [m.name for m in messages]
    assert names.count("INVITE") == 8  # four participants, two hops each
    assert names.count("BYE") == 8
    assert names.count("Add") == names.count("AddReply") == 4
    assert names.count("Subtract") == names.count("SubtractReply") == 4


def test_mixing_sets_in_order(scenario: ir.Scenario) -> None:
    mixing: list[list[int] | None] = []
    for statement in scenario.statements():
        if isinstance(statement, ir.Mix):
            assert statement.mixer.text == "MRFP"
            mixing.append([int(p.text.removeprefix("UE_")) for p in statement.parties])
        elif isinstance(statement, ir.StopMixing):
            mixing.append(None)
    assert mixing == [[1, 2], [1, 2, 3], [1, 2, 3, 4], [2, 3, 4], [3, 4], None]


def test_media_statements(scenario: ir.Scenario) -> None:
    media = [s for s in scenario.statements() if isinstance(s, ir.MediaStart | ir.MediaStop)]
    started = [(s.a.text, s.attribute("codec")) for s in media if isinstance(s, ir.MediaStart)]
    assert started == [("UE_1", "PCMU"), ("UE_2", "PCMU"), ("UE_3", "PCMU"), ("UE_4", "PCMA")]
    stopped = [s.a.text for s in media if isinstance(s, ir.MediaStop)]
    assert stopped == ["UE_1", "UE_2", "UE_3", "UE_4"]
    assert all(s.b.text == "MRFP" for s in media)
    changes = [
        s
        for s in scenario.statements()
        if isinstance(s, ir.MediaStart | ir.MediaStop | ir.Mix | ir.StopMixing)
    ]
    assert len(changes) == 14


def test_run_passes_and_writes_the_pcap(tmp_path: Path) -> None:
    result = invoke(
        "run", CONFERENCE_4, *FAST, *PORTS, "--seed", "1", "--deterministic", "--no-media",
        "--format", "json", "-o", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    (main,) = report["scenarios"]
    assert main["ok"] and main["diagnostics"] == []
    assert (main["messages"], main["delivered"], main["datagrams"]) == (MESSAGES,) * 3
    pcap = tmp_path / "run" / "main.pcap"
    assert pcap.is_file()
    assert len(read_pcap(pcap)) == MESSAGES


def test_run_causal_order_passes(tmp_path: Path) -> None:
    """In causal order the joins and leaves race (RUN106 warnings): the participants'
    INVITEs and BYEs depend on nothing SIP tells them, only on the story's order."""
    result = invoke(
        "run", CONFERENCE_4, *FAST, *PORTS, "--seed", "1", "--order", "causal",
        "--media-seconds", "0.1", "--format", "json", "-o", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (main,) = json.loads(result.stdout)["scenarios"]
    assert main["ok"]
    assert {d["code"] for d in main["diagnostics"]} <= {"RUN106"}
