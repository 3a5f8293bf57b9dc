"""WAV files: 16-bit mono out (atomic, reproducible), any integer PCM in as 8 kHz mono."""

from __future__ import annotations

import math
import os
import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from callflow.media.wav import WavError, read_wav, resample, write_wav


def tone(frequency: float, rate: int, seconds: float, amplitude: float) -> npt.NDArray[np.float64]:
    n = np.arange(round(rate * seconds))
    return amplitude * np.sin(2 * np.pi * frequency * n / rate)


def peak_frequency(samples: npt.NDArray[np.int16], rate: int = 8000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def level_at(samples: npt.NDArray[np.int16], frequency: float, rate: int = 8000) -> float:
    """Amplitude of the component at ``frequency`` (Hann-windowed, coherent gain undone)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    near = np.abs(freqs - frequency) <= 3
    return float(spectrum[near].max() * 4 / len(samples))


def write_pcm(path: Path, frames: bytes, *, rate: int, channels: int, width: int) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)


def riff(fmt: bytes, data: bytes) -> bytes:
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---------------------------------------------------------------- writing


def test_round_trip(tmp_path: Path) -> None:
    samples = np.array([0, 1, -1, 32767, -32768, 1234, -4321], dtype=np.int16)
    path = tmp_path / "x.wav"
    write_wav(path, samples)
    assert np.array_equal(read_wav(path), samples)
    with wave.open(str(path), "rb") as reader:
        assert reader.getparams()[:4] == (1, 2, 8000, 7)  # mono, 16-bit, 8 kHz, 7 frames


def test_header_bytes(tmp_path: Path) -> None:
    path = tmp_path / "h.wav"
    write_wav(path, np.array([1, -2], dtype=np.int16))
    assert path.read_bytes() == riff(
        struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16), b"\x01\x00\xfe\xff"
    )


def test_same_samples_same_bytes(tmp_path: Path) -> None:
    samples = np.rint(tone(440, 8000, 0.5, 8000)).astype(np.int16)
    write_wav(tmp_path / "a.wav", samples)
    write_wav(tmp_path / "b.wav", samples)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_write_is_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    write_wav(path, np.zeros(10, dtype=np.int16))
    old = path.read_bytes()
    with pytest.raises(WavError):
        write_wav(path, np.zeros(10, dtype=np.float32))  # type: ignore[arg-type]
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["out.wav"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_other_rates_are_written_as_given(tmp_path: Path) -> None:
    path = tmp_path / "r.wav"
    write_wav(path, np.zeros(16, dtype=np.int16), rate=16000)
    with wave.open(str(path), "rb") as reader:
        assert reader.getframerate() == 16000
    with pytest.raises(WavError):
        write_wav(path, np.zeros(16, dtype=np.int16), rate=0)


# ---------------------------------------------------------------- reading


def test_stereo_44k1_reads_as_8k_mono_with_the_tone_where_it_was(tmp_path: Path) -> None:
    left = tone(1000, 44100, 2.0, 8000)
    right = tone(1000, 44100, 2.0, 4000)
    frames = np.rint(np.stack([left, right], axis=1)).astype("<i2").tobytes()
    path = tmp_path / "stereo.wav"
    write_pcm(path, frames, rate=44100, channels=2, width=2)
    samples = read_wav(path)
    assert samples.dtype == np.int16
    assert len(samples) == 16000  # 2 s at 8 kHz
    assert peak_frequency(samples) == pytest.approx(1000, abs=1)
    assert level_at(samples, 1000) == pytest.approx(6000, rel=0.02)  # the channels' mean


def test_downsampling_filters_what_8_khz_cannot_carry(tmp_path: Path) -> None:
    """A 6 kHz tone would fold back to 2 kHz without a low-pass: it must be gone."""
    frames = np.rint(tone(6000, 48000, 1.0, 16000)).astype("<i2").tobytes()
    path = tmp_path / "high.wav"
    write_pcm(path, frames, rate=48000, channels=1, width=2)
    samples = read_wav(path)
    assert len(samples) == 8000
    assert np.abs(samples[200:-200]).max() < 16  # below -60 dB of the input


def test_upsampling_keeps_the_tone(tmp_path: Path) -> None:
    frames = np.rint(tone(500, 4000, 1.0, 10000)).astype("<i2").tobytes()
    path = tmp_path / "low.wav"
    write_pcm(path, frames, rate=4000, channels=1, width=2)
    samples = read_wav(path)
    assert len(samples) == 8000
    assert peak_frequency(samples) == pytest.approx(500, abs=1)
    assert level_at(samples, 500) == pytest.approx(10000, rel=0.02)


@pytest.mark.parametrize("rate", [44100, 48000, 16000, 11025])
def test_telephone_band_is_flat_and_above_4_khz_is_gone(rate: int) -> None:
    def gain_db(frequency: float) -> float:
        out = resample(tone(frequency, rate, 0.5, 10000), rate, 8000)[200:-200]
        return 20 * math.log10(max(float(np.abs(out).max()), 1e-3) / 10000)

    for frequency in (300, 1000, 3000, 3400):
        assert abs(gain_db(frequency)) < 0.1
    for frequency in (4300, 5000):
        assert gain_db(frequency) < -60


def test_resample_passes_dc_unchanged() -> None:
    out = resample(np.full(4410, 1000.0), 44100, 8000)
    assert len(out) == 800
    assert np.allclose(out[50:-50], 1000.0, atol=0.01)


def test_8_bit_unsigned(tmp_path: Path) -> None:
    path = tmp_path / "u8.wav"
    write_pcm(path, bytes([128, 255, 0, 192]), rate=8000, channels=1, width=1)
    assert read_wav(path).tolist() == [0, 127 * 256, -128 * 256, 64 * 256]


def test_24_bit(tmp_path: Path) -> None:
    values = [0, 0x7FFFFF, -0x800000, 0x123456, -0x123456, 255]
    frames = b"".join(v.to_bytes(3, "little", signed=True) for v in values)
    path = tmp_path / "s24.wav"
    write_pcm(path, frames, rate=8000, channels=1, width=3)
    expected = [0, 32767, -32768, round(0x123456 / 256), round(-0x123456 / 256), 1]
    assert read_wav(path).tolist() == expected


def test_32_bit(tmp_path: Path) -> None:
    frames = struct.pack("<4i", 0, 2**31 - 1, -(2**31), 0x12345678)
    path = tmp_path / "s32.wav"
    write_pcm(path, frames, rate=8000, channels=1, width=4)
    assert read_wav(path).tolist() == [0, 32767, -32768, round(0x12345678 / 65536)]


def test_wave_format_extensible_pcm_is_read(tmp_path: Path) -> None:
    """What sox and ffmpeg write for 24-bit or multichannel audio."""
    guid = bytes.fromhex("0100000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 2, 8000, 48000, 6, 24, 22, 24, 3) + guid
    frames = b"".join(
        a.to_bytes(3, "little", signed=True) + b.to_bytes(3, "little", signed=True)
        for a, b in [(256, 768), (-512, 0)]
    )
    path = tmp_path / "ext.wav"
    path.write_bytes(riff(fmt, frames))
    assert read_wav(path).tolist() == [2, -1]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "truncated or not a WAV"),
        (b"garbage, not a RIFF file at all", "not an integer PCM WAV"),
        (riff(struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32), b"\x00" * 8), "format: 3"),
        (riff(struct.pack("<HHIIHH", 6, 1, 8000, 8000, 1, 8), b"\xd5" * 8), "format: 6"),
        (riff(struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16), b""), "no audio"),
        (
            riff(
                struct.pack("<HHIIHHHHI", 0xFFFE, 1, 8000, 32000, 4, 32, 22, 32, 4)
                + bytes.fromhex("0300000000001000800000aa00389b71"),  # IEEE float
                b"\x00" * 8,
            ),
            "non-PCM",
        ),
    ],
)
def test_unusable_files_raise_wav_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(WavError, match=reason):
        read_wav(path)


def test_missing_file_raises_wav_error(tmp_path: Path) -> None:
    with pytest.raises(WavError, match="cannot read"):
        read_wav(tmp_path / "absent.wav")
