"""End-to-end tests of ``callflow run``: outputs, exit codes, faults, Ctrl-C.

Most tests drive the CLI in-process (click's ``CliRunner``); Ctrl-C and the
no-traceback guarantee use a real subprocess. Runs use ``--time-scale 0.02``.
Exit codes: 0 every scenario passed, 1 a runtime finding or a flow with check errors,
2 usage or FDL errors, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callflow.cli import cli
from callflow.execute.pcap import read_pcap
from callflow.execute.uas import SippLikeUas
from callflow.fdl import parse_file
from callflow.scenarios import expand_scenarios, select_scenarios

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = str(ROOT / "flows" / "ims-conference.fdl")
BASIC = str(ROOT / "flows" / "basic-call.fdl")
FAST = ("--time-scale", "0.02")
# this process's own ports keep two test runs at the same time apart
SIP = 21000 + (os.getpid() % 4000) * 3 + 12000
RTP = 55000 + (os.getpid() % 250) * 40 + 20
PORTS = ("--sip-port", str(SIP), "--h248-port", str(SIP + 1), "--rtp-port", str(RTP))
SLOWER = ("--time-scale", "0.1")  # where a test counts datagrams: T1 = 50 ms
# with --loss, which datagram is dropped depends on how often each was sent: T1 = 25 ms
# keeps a busy machine from adding early retransmissions (and so a different pattern)
LOSSY = ("--time-scale", "0.05")


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLFLOW_DEBUG", raising=False)


def invoke(*args: str) -> Result:
    if args[:1] == ("run",):
        args = (*args, *PORTS)
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


def run_program(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "CALLFLOW_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "callflow", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_run_reference_flow_writes_pcap_diagram_and_report(tmp_path: Path) -> None:
    result = invoke("run", REFERENCE, *FAST, "--seed", "3", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert 'scenario "Participant joins": passed' in result.output
    assert 'scenario "Participant declines": passed' in result.output
    assert "126/126 messages delivered" in result.output
    run_dir = tmp_path / "run"
    for slug, count in (("participant-joins", 126), ("participant-declines", 54)):
        packets = read_pcap(run_dir / f"{slug}.pcap")
        assert len(packets) >= count
        assert all(p.ip_checksum_ok and p.udp_checksum_ok for p in packets)
        assert "<svg" in (run_dir / f"{slug}-executed.svg").read_text()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["ok"] is True and report["seed"] == 3


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_dissects_the_capture_without_malformed_packets(tmp_path: Path) -> None:
    # time scale 1: no retransmission even on a loaded machine, so the count is exact
    # signalling only here (--no-media): test_media_run checks the RTP
    result = invoke("run", REFERENCE, "--scenario", "*declines", "--no-media", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    pcap = tmp_path / "run" / "participant-declines.pcap"
    decode = ["-d", f"udp.port=={SIP},sip", "-d", f"udp.port=={SIP + 1},megaco"]
    command = ["tshark", "-r", str(pcap), "-T", "fields", "-e", "frame.protocols", *decode]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    protocols = done.stdout.splitlines()
    assert len(protocols) == 54
    assert sum("sip" in p for p in protocols) == 48
    assert sum("megaco" in p for p in protocols) == 6
    assert not any("malformed" in p for p in protocols)
    # the SIP messages on the wire, in order, are the scenario's
    fields = ["-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code", "-Y", "sip"]
    done = subprocess.run(
        ["tshark", "-r", str(pcap), *decode, *fields], capture_output=True, text=True, timeout=60
    )
    wire = [line.replace("\t", "") for line in done.stdout.splitlines()]
    flow = parse_file(REFERENCE).flow
    assert flow is not None
    declines = select_scenarios(expand_scenarios(flow).scenarios, "*declines")[0]
    expected = [m.name if m.code is None else str(m.code) for m in declines.messages() if m.is_sip]
    assert wire == expected
    malformed = subprocess.run(
        ["tshark", "-r", str(pcap), *decode, "-Y", "_ws.malformed"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert malformed.stdout.strip() == ""
    stat = subprocess.run(
        ["tshark", "-r", str(pcap), *decode, "-q", "-z", "sip,stat"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Number of SIP messages: 48" in stat.stdout
    for method in ("INVITE", "ACK", "SUBSCRIBE", "NOTIFY", "REFER", "BYE"):
        count = sum(1 for m in expected if m == method)
        assert re.search(rf"{method}\s*:\s*{count} Packets", stat.stdout), (method, stat.stdout)


def test_run_with_loss_json_report(tmp_path: Path) -> None:
    result = invoke(
        "run",
        REFERENCE,
        *LOSSY,
        "--loss",
        "0.2",
        "--seed",
        "7",
        "--format",
        "json",
        "-o",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["loss"] == 0.2
    for scenario in data["scenarios"]:
        assert scenario["ok"] and scenario["delivered"] == scenario["messages"]
        assert scenario["retransmissions"] > 0 and scenario["dropped"] > 0
        assert scenario["diagnostics"] == []


def test_deterministic_runs_give_identical_pcaps(tmp_path: Path) -> None:
    for name in ("one", "two"):
        # time scale 1 (T1 = 500 ms): no retransmission timer fires on a busy machine
        result = invoke(
            "run", REFERENCE, "--seed", "1", "--deterministic", "-o", str(tmp_path / name)
        )
        assert result.exit_code == 0, result.output
    for slug in ("participant-joins", "participant-declines"):
        one = (tmp_path / "one" / "run" / f"{slug}.pcap").read_bytes()
        two = (tmp_path / "two" / "run" / f"{slug}.pcap").read_bytes()
        assert one == two


def test_a_flow_with_check_errors_is_refused_unless_forced(tmp_path: Path) -> None:
    flow = tmp_path / "bad.fdl"
    flow.write_text(
        "eternal: A [role=ue], B [role=ue]\n"
        'feature "f" {\n    INVITE(Call-ID=c, sdp=offer) : A -> B\n'
        "    200 OK(sdp=answer) : B -> A\n}\n",
        encoding="utf-8",
    )  # no ACK: SIP201
    refused = invoke("run", str(flow), *FAST, "-o", str(tmp_path / "out"))
    assert refused.exit_code == 1
    assert f"callflow check {flow}" in refused.output and "--force" in refused.output
    forced = invoke("run", str(flow), *FAST, "--force", "-o", str(tmp_path / "out"))
    assert forced.exit_code in (0, 1), forced.output
    assert 'scenario "main"' in forced.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--external", "UE_B"), "expected ENTITY=HOST:PORT"),
        (("--external", "UE_C=127.0.0.1:5070"), "declares no entity UE_C"),
        (("--external", "UE_B=127.0.0.1:http"), "is not HOST:PORT"),
        (("--loss", "1"), "--loss"),
        (("--order", "random"), "--order"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = invoke("run", BASIC, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_external_peer_plays_the_callee(tmp_path: Path) -> None:
    with SippLikeUas() as peer:
        host, port = peer.address
        result = invoke(
            "run", BASIC, *SLOWER, "--external", f"UE_B={host}:{port}", "-o", str(tmp_path)
        )
    assert result.exit_code == 0, result.output
    assert f"{host}:{port} (external)" in result.output
    packets = read_pcap(tmp_path / "run" / "main.pcap")
    assert [p.payload.split(b" ", 2)[:2] for p in packets] == [
        [b"INVITE", b"sip:bob@example.com"],
        [b"SIP/2.0", b"180"],
        [b"SIP/2.0", b"200"],
        [b"ACK", packets[3].payload.split(b" ")[1]],
        [b"BYE", packets[4].payload.split(b" ")[1]],
        [b"SIP/2.0", b"200"],
    ]


def test_wrong_response_code_is_a_located_finding(tmp_path: Path) -> None:
    with SippLikeUas(provisional=None, final=486) as peer:
        host, port = peer.address
        result = invoke(
            "run", BASIC, *FAST, "--external", f"UE_B={host}:{port}", "-o", str(tmp_path)
        )
    assert result.exit_code == 1
    assert (
        f"{BASIC}:17:5: error RUN103 run.wrong-message: UE_A expected 180 Ringing" in result.output
    )
    assert "180 Ringing : UE_B -> UE_A" in result.output  # the source line, with a caret
    assert "FAILED" in result.output


def test_timeout_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    with SippLikeUas(silent=True) as peer:
        host, port = peer.address
        started = time.monotonic()
        result = invoke(
            "run",
            BASIC,
            "--timeout",
            "0.5",
            "--external",
            f"UE_B={host}:{port}",
            "-o",
            str(tmp_path),
        )
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert "RUN107 run.timeout" in result.output and "--timeout 0.5s" in result.output


def test_port_in_use_names_the_address(tmp_path: Path) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.11", SIP))
    try:
        result = invoke("run", BASIC, *FAST, "-o", str(tmp_path))
    finally:
        blocker.close()
    assert result.exit_code == 1
    assert "RUN101" in result.output and f"127.0.0.11:{SIP}" in result.output
    assert "address already in use" in result.output


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    # at time scale 1 the basic call talks for 3 s: interrupt it in the middle
    process = run_program("run", BASIC, *PORTS, "-o", str(tmp_path), cwd=tmp_path)
    time.sleep(1.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, out + err
    assert "interrupted" in err
    assert "Traceback" not in out + err
    for host in ("127.0.0.11", "127.0.0.12"):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind((host, SIP))
        probe.close()
