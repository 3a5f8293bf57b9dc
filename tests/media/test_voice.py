"""Participants' voices: tones that stay apart through G.711, recordings, captures as voices."""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from callflow.execute.pcap import PcapWriter
from callflow.media import g711
from callflow.media.rtp import RtpSender
from callflow.media.voice import (
    TONE_AMPLITUDE,
    TONE_FREQUENCIES,
    RecordingVoice,
    ToneVoice,
    VoiceError,
    load_voice,
    tone_voice,
)
from callflow.media.wav import write_wav

G711A = Path("/usr/share/sip-tester/g711a.pcap")
TSHARK = shutil.which("tshark")
GUARD = 30  # Hz
A, B = ("10.0.0.1", 4000), ("10.0.0.2", 5000)


def spectrum(samples: npt.NDArray[np.integer]) -> tuple[npt.NDArray, npt.NDArray]:
    """(frequencies, amplitudes) of a Hann-windowed FFT, amplitudes on the sample scale."""
    amplitudes = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) * 4 / len(samples)
    return np.fft.rfftfreq(len(samples), 1 / 8000), amplitudes


def level(freqs: npt.NDArray, amplitudes: npt.NDArray, frequency: float) -> float:
    return float(amplitudes[np.abs(freqs - frequency) <= 3].max())


# ---------------------------------------------------------------- the tone set


def intermodulation(members: tuple[float, ...]) -> list[tuple[str, float]]:
    """Harmonics 2f, 3f and third-order products 2a-b, a+b-c of the members."""
    products = [(f"2*{f:g}", 2 * f) for f in members] + [(f"3*{f:g}", 3 * f) for f in members]
    for a, b in itertools.permutations(members, 2):
        products.append((f"2*{a:g}-{b:g}", 2 * a - b))
    for (a, b), c in itertools.product(itertools.combinations(members, 2), members):
        if c not in (a, b):
            products.append((f"{a:g}+{b:g}-{c:g}", a + b - c))
    return products


def test_tone_set_size_band_and_spacing() -> None:
    assert len(TONE_FREQUENCIES) >= 12
    assert len(set(TONE_FREQUENCIES)) == len(TONE_FREQUENCIES)
    assert all(300 <= f <= 3400 for f in TONE_FREQUENCIES)
    ordered = sorted(TONE_FREQUENCIES)
    assert min(b - a for a, b in itertools.pairwise(ordered)) > GUARD


def test_no_harmonic_or_intermodulation_product_near_a_member() -> None:
    collisions = [
        (name, member)
        for name, product in intermodulation(TONE_FREQUENCIES)
        for member in TONE_FREQUENCIES
        if abs(product - member) <= GUARD
    ]
    assert collisions == []


def test_the_property_check_can_fail() -> None:
    """A set with 500 + 700 - 900 = 300 (and 2*450 - 600 = 300) is caught."""
    names = {name for name, product in intermodulation((300, 500, 700, 900)) if product == 300}
    assert "500+700-900" in names
    assert any(abs(p - 600) <= GUARD for _, p in intermodulation((300, 450, 600)))


def test_each_tone_has_its_energy_at_its_own_frequency() -> None:
    for index, frequency in enumerate(TONE_FREQUENCIES):
        voice = tone_voice(index)
        assert voice.frequency == frequency
        freqs, amplitudes = spectrum(voice.samples(0, 16000))  # 2 s
        assert freqs[np.argmax(amplitudes)] == pytest.approx(frequency, abs=0.5)
        assert level(freqs, amplitudes, frequency) == pytest.approx(TONE_AMPLITUDE, rel=0.01)


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
@pytest.mark.parametrize("seed", range(4))
def test_four_tones_mixed_through_g711_stay_apart(codec: str, seed: int) -> None:
    """Four participants summed and companded: each is heard at full level, and what G.711
    adds stays below -40 dB at the other members' frequencies."""
    rng = random.Random(seed)
    members = list(range(4)) if seed == 0 else rng.sample(range(len(TONE_FREQUENCIES)), 4)
    mix = sum(tone_voice(k).samples(8000, 16000).astype(np.int32) for k in members)
    assert np.abs(mix).max() < 32124  # no clipping at four voices
    heard = g711.decode(g711.encode(mix, codec), codec)
    freqs, amplitudes = spectrum(heard)
    for k, frequency in enumerate(TONE_FREQUENCIES):
        if k in members:
            assert level(freqs, amplitudes, frequency) > 0.9 * TONE_AMPLITUDE
        else:
            assert level(freqs, amplitudes, frequency) < 0.01 * TONE_AMPLITUDE  # < -40 dB


def test_tones_cycle_beyond_the_set() -> None:
    n = len(TONE_FREQUENCIES)
    assert tone_voice(n).frequency == tone_voice(0).frequency
    assert tone_voice(n + 3).frequency == tone_voice(3).frequency
    with pytest.raises(VoiceError):
        tone_voice(-1)


# ---------------------------------------------------------------- timelines


def test_tone_is_deterministic_and_continuous_across_calls() -> None:
    voice = tone_voice(2)
    whole = voice.samples(0, 320)
    assert np.array_equal(whole, np.concatenate([voice.samples(0, 160), voice.samples(160, 160)]))
    assert np.array_equal(whole, tone_voice(2).samples(0, 320))
    late = voice.samples(10**7, 160)  # hours into a run: still the same sine, same amplitude
    assert np.abs(late).max() == pytest.approx(TONE_AMPLITUDE, rel=0.01)
    assert voice.description == "tone 522 Hz"
    assert voice.samples(5, 0).shape == (0,)


def test_tone_rejects_out_of_band_frequency() -> None:
    with pytest.raises(VoiceError):
        ToneVoice(4000.0)


def test_recording_loops() -> None:
    voice = RecordingVoice(np.array([1, 2, 3, 4, 5], dtype=np.int16), "five")
    assert voice.samples(3, 7).tolist() == [4, 5, 1, 2, 3, 4, 5]
    assert voice.samples(12, 3).tolist() == [3, 4, 5]
    assert np.array_equal(
        voice.samples(0, 11), np.concatenate([voice.samples(0, 4), voice.samples(4, 7)])
    )
    assert voice.description == "five"


def test_recording_is_not_changed_by_its_source_array() -> None:
    source = np.array([1, 2, 3], dtype=np.int16)
    voice = RecordingVoice(source, "x")
    source[0] = 99
    assert voice.samples(0, 3).tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        voice.recording[0] = 7  # read-only


def test_empty_recording_raises() -> None:
    with pytest.raises(VoiceError, match="no audio"):
        RecordingVoice(np.zeros(0, dtype=np.int16), "empty.wav")


# ---------------------------------------------------------------- load_voice: WAV


def test_load_wav_relative_to_the_fdl_directory(tmp_path: Path) -> None:
    (tmp_path / "voices").mkdir()
    samples = tone_voice(0).samples(0, 4000)
    write_wav(tmp_path / "voices" / "talk.wav", samples)
    voice = load_voice("voices/talk.wav", tmp_path)
    assert np.array_equal(voice.samples(0, 4000), samples)
    assert np.array_equal(voice.samples(4000, 10), samples[:10])  # loops
    assert voice.description == "voices/talk.wav (0.50 s)"
    absolute = load_voice(str(tmp_path / "voices" / "talk.wav"), Path("/nonexistent"))
    assert np.array_equal(absolute.samples(0, 4000), samples)


def test_load_bad_wav_raises_voice_error(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF....not really")
    with pytest.raises(VoiceError, match=r"bad\.wav"):
        load_voice("bad.wav", tmp_path)


# ---------------------------------------------------------------- load_voice: captures


def rtp_datagrams(
    codec: str, frames: list[npt.NDArray[np.int16]], *, ssrc: int, sequence: int, timestamp: int
) -> list[bytes]:
    sender = RtpSender(ssrc, g711.PAYLOAD_TYPES[codec], 160, sequence, timestamp)
    return [sender.packet(g711.encode(frame, codec).tobytes()) for frame in frames]


def test_capture_stream_is_reordered_deduplicated_and_gaps_are_silence(tmp_path: Path) -> None:
    voice = tone_voice(1)
    frames = [voice.samples(160 * k, 160) for k in range(6)]
    # wraps of both the sequence number and the timestamp inside the stream
    packets = rtp_datagrams("PCMU", frames, ssrc=7, sequence=65533, timestamp=2**32 - 320)
    arrival = [packets[0], packets[2], packets[1], packets[1], packets[5], packets[4]]  # 3 lost
    other = rtp_datagrams("PCMA", frames[:2], ssrc=8, sequence=1, timestamp=1)  # fewer packets
    path = tmp_path / "call.pcap"
    with PcapWriter(path) as writer:
        writer.write_udp(timestamp=1.0, src=B, dst=A, payload=b"SIP/2.0 200 OK\r\n\r\n")
        for k, data in enumerate(other):
            writer.write_udp(timestamp=1.0 + k / 50, src=B, dst=A, payload=data)
        for k, data in enumerate(arrival):
            writer.write_udp(timestamp=2.0 + k / 50, src=A, dst=B, payload=data)
    loaded = load_voice("call.pcap", tmp_path)
    expected = [g711.decode(g711.encode(f, "PCMU"), "PCMU") for f in frames]
    expected[3] = np.zeros(160, dtype=np.int16)
    assert np.array_equal(loaded.samples(0, 960), np.concatenate(expected))
    assert (
        loaded.description
        == "call.pcap (PCMU, 0.12 s, 10.0.0.1:4000 -> 10.0.0.2:5000 SSRC 0x00000007)"
    )


def test_capture_without_rtp_raises(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    with PcapWriter(path) as writer:
        writer.write_udp(
            timestamp=1.0, src=A, dst=B, payload=b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n"
        )
    with pytest.raises(VoiceError, match=r"sip\.pcap: no G\.711 RTP"):
        load_voice("sip.pcap", tmp_path)


def test_capture_with_other_payload_types_only_raises(tmp_path: Path) -> None:
    sender = RtpSender(1, 101, 160, 0, 0)  # telephone-event only
    path = tmp_path / "dtmf.pcap"
    with PcapWriter(path) as writer:
        writer.write_udp(timestamp=1.0, src=A, dst=B, payload=sender.packet(b"\x01\x0a\x00\xa0"))
    with pytest.raises(VoiceError, match=r"no G\.711 RTP"):
        load_voice("dtmf.pcap", tmp_path)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("absent.wav", "no such file"),
        ("absent.pcap", "no such file"),
        ("talk.mp3", r"voice= names a WAV file \(\.wav\) or a capture \(\.pcap, \.pcapng\)"),
        ("talk", "voice= names a WAV file"),
    ],
)
def test_load_voice_errors(tmp_path: Path, spec: str, reason: str) -> None:
    (tmp_path / "talk.mp3").write_bytes(b"ID3")
    with pytest.raises(VoiceError, match=reason) as info:
        load_voice(spec, tmp_path)
    assert str(tmp_path) in str(info.value)


def test_garbage_capture_raises(tmp_path: Path) -> None:
    (tmp_path / "x.pcap").write_bytes(b"this is not a capture file")
    with pytest.raises(VoiceError, match="not a readable capture"):
        load_voice("x.pcap", tmp_path)


def tshark_payloads(path: Path) -> list[tuple[int, int, bytes]]:
    assert TSHARK is not None
    done = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-d", "udp.port==2006,rtp", "-Y", "rtp",
         "-T", "fields", "-e", "rtp.seq", "-e", "rtp.timestamp", "-e", "rtp.payload"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    return [(int(s), int(t), bytes.fromhex(p.replace(":", ""))) for s, t, p in rows]


@pytest.mark.skipif(not G711A.exists(), reason=f"{G711A} absent (apt-get install sip-tester)")
@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")
def test_g711a_capture_equals_what_tshark_decodes() -> None:
    rows = tshark_payloads(G711A)
    assert len(rows) == 236
    assert [s for s, _, _ in rows] == list(range(59133, 59133 + 236))  # no loss, no reorder
    first = rows[0][1]
    oracle = np.zeros(max(t - first + len(p) for _, t, p in rows), dtype=np.int16)
    for _, t, payload in rows:
        oracle[t - first : t - first + len(payload)] = g711.decode(payload, "PCMA")
    voice = load_voice(G711A.name, G711A.parent)
    assert len(oracle) == 56640  # 236 packets of 240 samples (30 ms): 7.08 s
    assert np.array_equal(voice.samples(0, len(oracle)), oracle)
    assert voice.description.startswith("g711a.pcap (PCMA, 7.08 s, 10.1.3.143:5000 -> ")
    assert np.abs(oracle.astype(np.int32)).max() > 1000  # speech, not silence
