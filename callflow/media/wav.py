"""WAV files in and out: any integer PCM file read as 8 kHz mono, 16-bit mono written.

Reading goes through the standard library's :mod:`wave`; Python 3.11's ``wave`` knows only
``WAVE_FORMAT_PCM``, so a ``WAVE_FORMAT_EXTENSIBLE`` header whose sub-format is PCM (what sox
and ffmpeg write for 24-bit or multichannel audio; 3.12's ``wave`` accepts it) is handed to it
relabelled as plain PCM. Other rates are converted with a Kaiser-windowed sinc
(:func:`resample`).
"""

from __future__ import annotations

import io
import math
import os
import secrets
import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["RATE", "WavError", "read_wav", "resample", "write_wav"]

#: the media clock's sample rate: G.711's
RATE = 8000
_EXTENSIBLE = 0xFFFE
_PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")
#: zero crossings of the sinc on each side of the kernel centre: sets the transition width
_ZERO_CROSSINGS = 32
#: cutoff as a fraction of the lower Nyquist frequency: 3.8 kHz at 8 kHz, so that the
#: telephone band (to 3.4 kHz) is flat and the transition band ends near 4.2 kHz
_ROLLOFF = 0.95
_KAISER_BETA = 8.0


class WavError(ValueError):
    """A file that is not an integer PCM WAV file, or audio that cannot be written."""


def read_wav(path: str | os.PathLike[str]) -> npt.NDArray[np.int16]:
    """The file's audio as 8 kHz mono 16-bit samples (channels averaged, rate converted)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WavError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        with wave.open(io.BytesIO(_as_plain_pcm(data)), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except wave.Error as exc:
        raise WavError(
            f"{path}: not an integer PCM WAV file ({exc}); convert it, e.g. "
            "'sox in.wav -b 16 out.wav'"
        ) from exc
    except (EOFError, struct.error) as exc:
        raise WavError(f"{path}: truncated or not a WAV file") from exc
    if width not in (1, 2, 3, 4):
        raise WavError(f"{path}: {8 * width}-bit samples (8, 16, 24 or 32-bit PCM only)")
    if rate <= 0 or channels <= 0:
        raise WavError(f"{path}: bad header ({channels} channels at {rate} Hz)")
    count = len(frames) // (width * channels)
    if count == 0:
        raise WavError(f"{path}: no audio (0 samples)")
    samples = _linear(frames[: count * width * channels], width).reshape(count, channels)
    mono = resample(samples.mean(axis=1), rate, RATE)
    return np.clip(np.rint(mono), -32768, 32767).astype(np.int16)


def _as_plain_pcm(data: bytes) -> bytes:
    """``data`` with a PCM ``WAVE_FORMAT_EXTENSIBLE`` format tag rewritten as plain PCM."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data  # let wave say what is wrong
    offset = 12
    while offset + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, offset)
        if chunk == b"fmt ":
            body = data[offset + 8 : offset + 8 + size]
            if len(body) >= 40 and body[:2] == _EXTENSIBLE.to_bytes(2, "little"):
                if body[24:40] != _PCM_GUID:
                    raise wave.Error("WAVE_FORMAT_EXTENSIBLE with a non-PCM sub-format")
                return data[: offset + 8] + b"\x01\x00" + data[offset + 10 :]
            return data
        offset += 8 + size + (size & 1)
    return data


def _linear(frames: bytes, width: int) -> npt.NDArray[np.float64]:
    """Little-endian PCM bytes -> samples on the 16-bit scale (fractions kept)."""
    raw = np.frombuffer(frames, dtype=np.uint8)
    if width == 1:  # 8-bit WAV is unsigned, 128 = silence
        return (raw.astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float64)
    if width == 3:
        triples = raw.reshape(-1, 3).astype(np.uint32)
        shifted = triples[:, 0] << 8 | triples[:, 1] << 16 | triples[:, 2] << 24  # sign: bit 31
        return shifted.view(np.int32).astype(np.float64) / 65536.0
    return np.frombuffer(frames, dtype="<i4").astype(np.float64) / 65536.0


def resample(samples: npt.NDArray[np.float64], rate: int, target: int) -> npt.NDArray[np.float64]:
    """Band-limited rate conversion with a Kaiser-windowed sinc, in polyphase form.

    Linear interpolation would be shorter but, going down from 44.1 or 48 kHz, folds
    everything between 4 and 24 kHz back into the telephone band; the windowed sinc low-passes
    first: flat (within 0.1 dB) to 3.4 kHz, cutoff at 95 % of the lower Nyquist frequency
    (3.8 kHz at 8 kHz), -80 dB and below from 4.2 kHz. The rates are integers, so the
    output instants fall on ``target / gcd`` distinct fractions of an input sample: the
    weights are computed once per fraction (normalised to sum to 1 so that DC passes
    unchanged). Outside the input the signal is taken as zero. NumPy only: no SciPy
    dependency for one filter.
    """
    if rate == target or len(samples) == 0:
        return np.asarray(samples, dtype=np.float64)
    common = math.gcd(rate, target)
    up, down = target // common, rate // common  # output k sits at input k * down / up
    count = max(1, (len(samples) * target + rate // 2) // rate)
    cutoff = 0.5 * _ROLLOFF * min(rate, target) / rate  # cycles per input sample
    half = _ZERO_CROSSINGS / (2 * cutoff)  # kernel half-width, in input samples
    reach = math.ceil(half)
    taps = np.arange(-reach, reach + 1)
    distance = (np.arange(up) / up)[:, None] - taps[None, :]  # (phase, tap)
    inside = np.abs(distance) < half
    ratio = np.where(inside, distance / half, 0.0)
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - ratio * ratio)) / np.i0(_KAISER_BETA)
    weights = np.where(inside, np.sinc(2 * cutoff * distance) * window, 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    position = np.arange(count, dtype=np.int64) * down
    base, phase = position // up + reach, position % up
    padded = np.concatenate([np.zeros(reach), samples, np.zeros(reach + 1)])
    out = np.zeros(count, dtype=np.float64)
    for j, tap in enumerate(taps):
        out += weights[phase, j] * padded[base + tap]
    return out


def write_wav(
    path: str | os.PathLike[str], samples: npt.NDArray[np.int16], rate: int = RATE
) -> None:
    """Write 16-bit mono PCM atomically (temporary file in the same directory, then renamed).

    The same samples always give the same bytes: ``wave`` writes no timestamps.
    """
    samples = np.asarray(samples)
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise WavError(f"write_wav wants 1-D int16 samples, not {samples.ndim}-D {samples.dtype}")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate < 2**32:
        raise WavError(f"bad sample rate {rate!r}")
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # os.open applies the umask to 0o666, unlike mkstemp's 0o600
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            with wave.open(file, "wb") as writer:
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(rate)
                writer.writeframes(samples.astype("<i2").tobytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
