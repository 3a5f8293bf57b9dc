"""A real peer: SIPp (Debian `sip-tester`) plays one side of flows/basic-call.fdl.

`sipp -sn uas` answers as the callee while callflow plays the caller (`--external`), and
`sipp -sn uac` calls an entity played by callflow. Both must end with SIPp reporting
one successful call and exiting 0, and callflow passing the scenario.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOW = str(ROOT / "flows" / "basic-call.fdl")
SIPP = shutil.which("sipp")

pytestmark = pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (Debian sip-tester)")

#: ports of their own per test process, so parallel runs on one machine do not collide
BASE = 21000 + (os.getpid() % 2000) * 4


def callflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "callflow", "run", FLOW, "--time-scale", "0.5", *args]


def successful_calls(output: str) -> int:
    match = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", output)
    return int(match.group(1)) if match else -1


def test_sipp_uas_answers_a_call_callflow_makes(tmp_path: Path) -> None:
    sipp_port = BASE
    sipp = subprocess.Popen(
        [
            SIPP,
            "-sn",
            "uas",
            "-i",
            "127.0.0.50",
            "-p",
            str(sipp_port),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "30s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(0.5)  # let SIPp bind
        run = subprocess.run(
            callflow(
                "--external",
                f"UE_B=127.0.0.50:{sipp_port}",
                "--sip-port",
                str(BASE + 1),
                "-o",
                str(tmp_path),
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        out, _ = sipp.communicate(timeout=30)
    finally:
        if sipp.poll() is None:
            sipp.kill()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed" in run.stdout and "6/6 messages delivered" in run.stdout
    assert sipp.returncode == 0, out[-2000:]
    assert successful_calls(out) == 1, out[-2000:]


def test_sipp_uac_calls_an_entity_callflow_plays(tmp_path: Path) -> None:
    sipp_port, callee_port = BASE + 2, BASE + 3
    run = subprocess.Popen(
        callflow(
            "--external",
            f"UE_A=127.0.0.51:{sipp_port}",
            "--sip-port",
            str(callee_port),
            "-o",
            str(tmp_path),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # let callflow bind UE_B before SIPp calls it
        sipp = subprocess.run(
            [
                SIPP,
                "-sn",
                "uac",
                f"127.0.0.12:{callee_port}",
                "-i",
                "127.0.0.51",
                "-p",
                str(sipp_port),
                "-m",
                "1",
                "-nostdin",
                "-timeout",
                "30s",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert sipp.returncode == 0, sipp.stdout[-2000:]
    assert successful_calls(sipp.stdout) == 1, sipp.stdout[-2000:]
    assert run.returncode == 0, out + err
    assert "6/6 messages delivered" in out
