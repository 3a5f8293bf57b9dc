"""`callflow run` with media: RTP on the wire, the MRFP's N-1 mixing, what each party heard.

The spectral checks are driven by the run's own timeline.json: for every segment, what a
participant must hear follows from the segment's streams and mixing sets alone. A
participant mixed by the mixer it streams with hears every other mixed party's tone and
not its own (at least 30 dB below the weakest tone it hears); anyone else hears silence.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from callflow.cli import cli
from callflow.execute import media as media_module
from callflow.media import g711

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = str(ROOT / "flows" / "ims-conference.fdl")
FOUR = str(ROOT / "flows" / "conference-4party.fdl")
BASIC = str(ROOT / "flows" / "basic-call.fdl")
SPEECH = Path("/usr/share/sip-tester/g711a.pcap")
# this process's own ports, apart from the other test files' ranges
SIP = 15000 + (os.getpid() % 2000) * 3
RTP = 55000 + (os.getpid() % 250) * 40 + 30
PORTS = ("--sip-port", str(SIP), "--h248-port", str(SIP + 1), "--rtp-port", str(RTP))

#: trimmed from both ends of a segment before analysis (seconds)
EDGE = 0.1
#: a participant's own tone lies at least this far below the weakest tone it hears (dB)
OWN_BELOW_DB = 30.0
#: RMS of a silent segment (G.711 silence decodes to 0 or +-8)
SILENCE_RMS = 16.0


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["run", *args, *PORTS])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


def run_flow(path: str, out: Path, *extra: str) -> Path:
    result = invoke(path, "--seed", "3", "--deterministic", "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out / "run"


# ------------------------------------------------------------------ spectral truth


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
        return np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(float)


def level_db(samples: np.ndarray, frequency: float, rate: int = 8000) -> float:
    """Level of ``frequency`` in a Hann-windowed spectrum (dB, arbitrary reference)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs > frequency - 8) & (freqs < frequency + 8)
    return float(20 * np.log10(spectrum[band].max() + 1e-9))


@dataclass(frozen=True)
class Expectation:
    segment: int
    listener: str
    hears: tuple[str, ...]  # empty: silence


def expectations(timeline: dict) -> list[Expectation]:
    """What every participant must hear in every segment, from the timeline alone."""
    out = []
    participants = timeline["participants"]
    for seg in timeline["segments"]:
        present = {s["a"] for s in seg["streams"]} | {s["b"] for s in seg["streams"]}
        peers: dict[str, list[str]] = {}
        for stream in seg["streams"]:
            peers.setdefault(stream["a"], []).append(stream["b"])
            peers.setdefault(stream["b"], []).append(stream["a"])
        for listener in participants:
            hears: set[str] = set()
            for peer in peers.get(listener, []):
                if peer in participants:
                    hears.add(peer)  # a direct call: the peer's own voice
                    continue
                mixed = seg["mixing"].get(peer)
                if mixed and listener in mixed:
                    hears |= {p for p in mixed if p != listener and p in present}
            out.append(Expectation(seg["index"], listener, tuple(sorted(hears))))
    return out


def spectral_problems(media_dir: Path) -> list[str]:
    """Every violation of the rules above, in words (empty when the run is right)."""
    timeline = json.loads((media_dir / "timeline.json").read_text())
    rate = timeline["sample_rate"]
    freqs = {p: info["frequency"] for p, info in timeline["participants"].items()}
    heard = {p: read_wav(media_dir / f"heard-{p}.wav") for p in freqs}
    segments = {seg["index"]: seg for seg in timeline["segments"]}
    problems = []
    for exp in expectations(timeline):
        seg = segments[exp.segment]
        chunk = heard[exp.listener][
            round((seg["start"] + EDGE) * rate) : round((seg["end"] - EDGE) * rate)
        ]
        where = f"segment {exp.segment} ({seg['statement']}), {exp.listener}"
        if not exp.hears:
            rms = float(np.sqrt(np.mean(chunk**2)))
            if rms > SILENCE_RMS:
                problems.append(f"{where}: expected silence, RMS {rms:.1f}")
            continue
        levels = {p: level_db(chunk, f, rate) for p, f in freqs.items()}
        weakest = min(levels[p] for p in exp.hears)
        # the others' tones really are there: far above the band's noise
        noise = level_db(chunk, 250.0, rate)
        if weakest - noise < OWN_BELOW_DB:
            problems.append(f"{where}: a tone it should hear is only {weakest - noise:.1f} dB up")
        for p, level in levels.items():
            if p not in exp.hears and weakest - level < OWN_BELOW_DB:
                who = "its own voice" if p == exp.listener else f"{p}, who is not in its mix"
                problems.append(f"{where}: hears {who} ({weakest - level:.1f} dB below)")
    return problems


def test_every_participant_hears_the_others_and_never_itself(tmp_path: Path) -> None:
    run_dir = run_flow(REFERENCE, tmp_path)
    for slug in ("participant-joins", "participant-declines"):
        assert spectral_problems(run_dir / slug) == []
    timeline = json.loads((run_dir / "participant-joins" / "timeline.json").read_text())
    # the check was not vacuous: UE_A hears UE_B in the mixing segment and only there
    checked = [e for e in expectations(timeline) if e.hears]
    assert ("UE_A", ("UE_B",)) in [(e.listener, e.hears) for e in checked]
    assert [seg["statement"] for seg in timeline["segments"]] == [
        "media UE_A <-> MRFP",
        "media UE_B <-> MRFP",
        "MRFP mixes UE_A, UE_B",
        "media stop UE_A <-> MRFP",
        "media stop UE_B <-> MRFP",
        "MRFP stops mixing",
    ]


def test_four_party_joins_and_leaves_segment_by_segment(tmp_path: Path) -> None:
    run_dir = run_flow(FOUR, tmp_path)
    media_dir = run_dir / "main"
    assert spectral_problems(media_dir) == []
    timeline = json.loads((media_dir / "timeline.json").read_text())
    assert len(timeline["segments"]) == 14
    # segments follow one another on the media clock, 2 s each
    bounds = [(seg["start"], seg["end"]) for seg in timeline["segments"]]
    assert bounds == [(2.0 * k, 2.0 * (k + 1)) for k in range(14)]
    hears = {(e.segment, e.listener): e.hears for e in expectations(timeline)}
    # with all four mixed, UE_2 hears the three others
    full = next(s["index"] for s in timeline["segments"] if s["statement"].endswith("UE_3, UE_4"))
    assert hears[(full, "UE_2")] == ("UE_1", "UE_3", "UE_4")
    # UE_4 (PCMA) alone after stops mixing hears silence, and sent its voice all along
    alone = next(s["index"] for s in timeline["segments"] if s["statement"] == "MRFP stops mixing")
    assert hears[(alone, "UE_4")] == ()
    sent = read_wav(media_dir / "sent-UE_4.wav")
    seg = timeline["segments"][alone - 1]
    chunk = sent[int(seg["start"] * 8000) : int(seg["end"] * 8000)]
    assert (
        level_db(chunk, timeline["participants"]["UE_4"]["frequency"]) > level_db(chunk, 250) + 40
    )
    wav_seconds = len(read_wav(media_dir / "heard-UE_1.wav")) / 8000
    assert wav_seconds == timeline["duration"] == 28.0


def test_a_direct_call_hears_each_other(tmp_path: Path) -> None:
    run_dir = run_flow(BASIC, tmp_path)
    (media_dir,) = [p for p in run_dir.iterdir() if p.is_dir()]
    assert spectral_problems(media_dir) == []
    timeline = json.loads((media_dir / "timeline.json").read_text())
    assert timeline["mixers"] == []
    assert any(e.hears == ("UE_B",) for e in expectations(timeline))


def _decoded(codes: np.ndarray, codecs: list[str]) -> np.ndarray:
    return np.stack([g711.decode(row, codec) for row, codec in zip(codes, codecs, strict=True)])


def _encoded(samples: np.ndarray, codecs: list[str]) -> np.ndarray:
    rows = [g711.encode(row, codec) for row, codec in zip(samples, codecs, strict=True)]
    return np.stack(rows)


def _mix_including_own(codes: np.ndarray, codecs: list[str]) -> np.ndarray:
    total = _decoded(codes, codecs).astype(np.int32).sum(axis=0)
    return _encoded(np.broadcast_to(total, codes.shape), codecs)


def _mix_forgetting_first(codes: np.ndarray, codecs: list[str]) -> np.ndarray:
    """Everybody but the first party hears a mix without the first party."""
    frames = _decoded(codes, codecs).astype(np.int32)
    out = frames.sum(axis=0) - frames
    if len(frames) > 2:
        out[1:] -= frames[0]
    return _encoded(out, codecs)


@pytest.mark.parametrize(
    ("broken", "symptom"),
    [(_mix_including_own, "its own voice"), (_mix_forgetting_first, "is only")],
    ids=["own-voice-echoed", "a-party-left-out"],
)
def test_the_spectral_check_catches_a_broken_mixer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: object, symptom: str
) -> None:
    monkeypatch.setattr(media_module, "mix_minus_g711", broken)
    run_dir = run_flow(FOUR, tmp_path, "--media-seconds", "0.5")
    problems = spectral_problems(run_dir / "main")
    assert any(symptom in p for p in problems), problems


# ------------------------------------------------------------------ RTP on the wire


def rtp_streams(pcap: Path) -> list[dict[str, str]]:
    done = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", "rtp.heuristic_rtp:TRUE", "-q", "-z", "rtp,streams"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = []
    for line in done.stdout.splitlines():
        m = re.match(
            r"\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-F]+)\s+(\S+)\s+"
            r"(\d+)\s+(-?\d+) \(([-\d.]+)%\)(.*)$",
            line,
        )
        if m:
            keys = ("src", "sport", "dst", "dport", "ssrc", "payload", "packets", "lost")
            row = dict(zip(keys, m.groups()[:8], strict=True))
            row["problem"] = "X" if m.group(10).rstrip().endswith("X") else ""
            rows.append(row)
    return rows


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    ("flow", "slug", "pairs", "codecs"),
    [
        (REFERENCE, "participant-joins", 2, {"g711U"}),
        (REFERENCE, "participant-declines", 1, {"g711U"}),
        (FOUR, "main", 4, {"g711U", "g711A"}),
    ],
)
def test_tshark_lists_exactly_the_expected_rtp_streams(
    tmp_path: Path, flow: str, slug: str, pairs: int, codecs: set[str]
) -> None:
    run_dir = run_flow(flow, tmp_path)
    streams = rtp_streams(run_dir / f"{slug}.pcap")
    assert len(streams) == 2 * pairs  # both directions of every media statement's pair
    assert {s["payload"] for s in streams} == codecs
    assert all(s["lost"] == "0" and not s["problem"] for s in streams), streams
    report = json.loads((run_dir / "report.json").read_text())
    (scenario,) = [s for s in report["scenarios"] if s["slug"] == slug]
    assert sum(int(s["packets"]) for s in streams) == scenario["media"]["rtp_packets"]
    assert scenario["media"]["rtp_lost"] == 0
    # the addresses are the ones the SDP negotiated: the MRFP's from its AddReply
    timeline = json.loads((run_dir / slug / "timeline.json").read_text())
    on_wire = {(s["src"], int(s["sport"]), s["dst"], int(s["dport"])) for s in streams}
    listed = set()
    for s in timeline["streams"]:
        src, dst = s["src"].rsplit(":", 1), s["dst"].rsplit(":", 1)
        listed.add((src[0], int(src[1]), dst[0], int(dst[1])))
    assert on_wire == listed
    malformed = subprocess.run(
        ["tshark", "-r", str(run_dir / f"{slug}.pcap"), "-o", "rtp.heuristic_rtp:TRUE",
         "-Y", "_ws.malformed"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert malformed.stdout.strip() == ""


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_rtp_headers_count_up_from_random_starts(tmp_path: Path) -> None:
    run_dir = run_flow(FOUR, tmp_path)
    done = subprocess.run(
        ["tshark", "-r", str(run_dir / "main.pcap"), "-o", "rtp.heuristic_rtp:TRUE", "-Y", "rtp",
         "-T", "fields", "-e", "rtp.ssrc", "-e", "rtp.seq", "-e", "rtp.timestamp",
         "-e", "rtp.marker", "-e", "rtp.p_type", "-e", "frame.time_epoch"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    streams: dict[str, list[tuple[int, int, bool, int, float]]] = {}
    for line in done.stdout.splitlines():
        ssrc, seq, ts, marker, ptype, when = line.split("\t")
        streams.setdefault(ssrc, []).append(
            (int(seq), int(ts), marker in ("1", "True"), int(ptype), float(when))
        )
    assert len(streams) == 8
    starts = set()
    for packets in streams.values():
        starts.add(packets[0][0])
        for before, after in itertools.pairwise(packets):
            assert after[0] == (before[0] + 1) % 65536  # sequence, wrapping
            assert after[1] == (before[1] + 160) % 2**32  # 20 ms of 8 kHz
            assert round(after[4] - before[4], 3) == 0.020  # paced in the capture
        assert [p[2] for p in packets] == [True] + [False] * (len(packets) - 1)
        assert len({p[3] for p in packets}) == 1 and packets[0][3] in (0, 8)
    assert len(starts) == 8  # random starting points, not 0


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_sdp_on_the_wire_names_the_rtp_addresses(tmp_path: Path) -> None:
    run_dir = run_flow(REFERENCE, tmp_path, "--scenario", "*joins")
    pcap = run_dir / "participant-joins.pcap"
    decode = ["-d", f"udp.port=={SIP},sip"]
    done = subprocess.run(
        ["tshark", "-r", str(pcap), *decode, "-Y", "sdp", "-T", "fields",
         "-e", "sdp.connection_info.address", "-e", "sdp.media.port"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    advertised = {
        (addr, int(port))
        for addr, port in (line.split("\t") for line in done.stdout.split("\n") if line)
    }
    streams = rtp_streams(pcap)
    assert {(s["dst"], int(s["dport"])) for s in streams} <= advertised


# ------------------------------------------------------------------ real speech


def _normalised_correlation(x: np.ndarray, reference: np.ndarray) -> float:
    """The best normalised cross-correlation of ``x`` against any window of ``reference``."""
    n = len(x)
    size = 1 << int(np.ceil(np.log2(len(reference) + n)))
    product = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(x, size)), size)
    lags = len(reference) - n + 1
    numerator = product[:lags]
    energy = np.concatenate(([0.0], np.cumsum(reference**2)))
    windows = np.sqrt(energy[n : n + lags] - energy[:lags])
    return float(np.max(np.abs(numerator) / (windows * np.linalg.norm(x) + 1e-9)))


@pytest.mark.skipif(
    not SPEECH.is_file(), reason="Debian's sip-tester (g711a.pcap) is not installed"
)
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_real_speech_from_sipp_recording_is_heard_by_the_others_only(tmp_path: Path) -> None:
    text = Path(REFERENCE).read_text()
    marker = 'UE_A "Conference Initiator" in Caller_Equipment [role=ue,'
    assert marker in text
    flow = tmp_path / "speech.fdl"
    flow.write_text(text.replace(marker, f'{marker} voice="{SPEECH}",'))
    run_dir = run_flow(str(flow), tmp_path / "out", "--scenario", "*joins")
    media_dir = run_dir / "participant-joins"
    timeline = json.loads((media_dir / "timeline.json").read_text())
    assert "g711a.pcap (PCMA, 7.08 s" in timeline["participants"]["UE_A"]["voice"]
    # the recording, taken out of the capture by tshark, not by callflow
    payloads = subprocess.run(
        ["tshark", "-r", str(SPEECH), "-d", "udp.port==2006,rtp",
         "-T", "fields", "-e", "rtp.payload"],
        capture_output=True, text=True, timeout=60,
    ).stdout.split()  # fmt: skip
    codes = bytes.fromhex("".join(p.replace(":", "") for p in payloads))
    recording = g711.decode(codes, "PCMA").astype(float)
    looped = np.concatenate([recording] * 4)  # the voice loops over the run
    mixing = next(s for s in timeline["segments"] if s["statement"] == "MRFP mixes UE_A, UE_B")
    window = slice(int((mixing["start"] + EDGE) * 8000), int((mixing["end"] - EDGE) * 8000))
    heard_b = read_wav(media_dir / "heard-UE_B.wav")[window]
    heard_a = read_wav(media_dir / "heard-UE_A.wav")[window]
    assert _normalised_correlation(heard_b, looped) > 0.95
    assert _normalised_correlation(heard_a, looped) < 0.3
    # and UE_A hears UE_B's tone
    tone_b = timeline["participants"]["UE_B"]["frequency"]
    assert level_db(heard_a, tone_b) > level_db(heard_a, 250) + 30


# ------------------------------------------------------------------ options and errors


def test_runs_repeat_byte_for_byte(tmp_path: Path) -> None:
    first = run_flow(REFERENCE, tmp_path / "a", "--scenario", "*joins")
    second = run_flow(REFERENCE, tmp_path / "b", "--scenario", "*joins")
    names = ("participant-joins.pcap", "participant-joins/timeline.json",
             "participant-joins/heard-UE_A.wav", "participant-joins/sent-UE_B.wav")  # fmt: skip
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_loss_reaches_rtp_too_and_the_jitter_buffers_play_silence(tmp_path: Path) -> None:
    result = invoke(
        REFERENCE, "--scenario", "*joins", "--seed", "7", "--loss", "0.1",
        "--time-scale", "0.1", "--format", "json", "-o", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (scenario,) = json.loads(result.stdout)["scenarios"]
    media = scenario["media"]
    assert 0.03 * media["rtp_packets"] < media["rtp_lost"] < 0.2 * media["rtp_packets"]
    heard = read_wav(tmp_path / "run" / "participant-joins" / "heard-UE_B.wav")
    frames = heard[: len(heard) // 160 * 160].reshape(-1, 160)
    timeline = json.loads((tmp_path / "run" / "participant-joins" / "timeline.json").read_text())
    mixing = next(s for s in timeline["segments"] if s["statement"].startswith("MRFP mixes"))
    during = frames[int(mixing["start"] * 50) : int(mixing["end"] * 50)]
    silent = int((np.abs(during).max(axis=1) < 16).sum())
    assert 0 < silent < len(during) // 2  # lost frames are gaps, the rest is heard


def test_no_media_sends_no_rtp(tmp_path: Path) -> None:
    run_dir = run_flow(REFERENCE, tmp_path, "--scenario", "*declines", "--no-media")
    assert not (run_dir / "participant-declines").exists()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["scenarios"][0]["media"] is None


def test_realtime_paces_the_media(tmp_path: Path) -> None:
    started = time.monotonic()
    run_flow(REFERENCE, tmp_path, "--scenario", "*declines", "--realtime", "--media-seconds", "0.3")
    # two segments of 0.3 s each, played at the pace of the audio
    assert time.monotonic() - started >= 0.55


def _flow_with(tmp_path: Path, path: str, old: str, new: str) -> str:
    text = Path(path).read_text()
    assert old in text
    changed = tmp_path / "call.fdl"
    changed.write_text(text.replace(old, new, 1))
    return str(changed)


@pytest.mark.parametrize(
    ("path", "old", "new", "code", "words"),
    [
        (BASIC, 'UE_A "Caller" [role=ue,', 'UE_A "Caller" [role=ue, voice="nowhere.wav",',
         "RUN112", "nowhere.wav"),
        (BASIC, 'UE_A "Caller" [role=ue,', 'UE_A "Caller" [role=ue, voice="talk.mp3",',
         "RUN112", "a WAV file"),
        (FOUR, "codec=PCMA, ptime=20ms", "codec=PCMA, ptime=30ms", "RUN109", "different ptime"),
    ],
    ids=["missing-voice", "voice-format", "ptime-mismatch"],
)  # fmt: skip
def test_media_problems_are_located_findings(
    tmp_path: Path, path: str, old: str, new: str, code: str, words: str
) -> None:
    flow = _flow_with(tmp_path, path, old, new)
    result = invoke(flow, "--seed", "1", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert code in result.output and words in result.output
    assert re.search(r"call\.fdl:\d+:\d+", result.output)
