"""G.711 tables: bit-exact against CPython's audioop, and the properties a codec must keep."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from callflow.media import g711

CODECS = ("PCMU", "PCMA")
ALL_CODES = np.arange(256, dtype=np.uint8)
#: every int16 sample, in increasing order
ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)


def _audioop():
    """CPython's reference implementation (removed in Python 3.13)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip(
            "audioop", reason="audioop, the reference, was removed from Python 3.13"
        )


@pytest.mark.parametrize("codec", CODECS)
def test_decode_equals_audioop_for_every_code(codec: str) -> None:
    audioop = _audioop()
    to_linear = audioop.ulaw2lin if codec == "PCMU" else audioop.alaw2lin
    expected = np.frombuffer(to_linear(ALL_CODES.tobytes(), 2), dtype=np.int16)
    np.testing.assert_array_equal(g711.decode(ALL_CODES, codec), expected)
    np.testing.assert_array_equal(g711.decode(ALL_CODES.tobytes(), codec), expected)
    np.testing.assert_array_equal(g711.decode_table(codec), expected)


@pytest.mark.parametrize("codec", CODECS)
def test_encode_equals_audioop_for_every_sample(codec: str) -> None:
    audioop = _audioop()
    to_code = audioop.lin2ulaw if codec == "PCMU" else audioop.lin2alaw
    # tobytes() is native-endian, as audioop reads samples
    expected = np.frombuffer(to_code(ALL_SAMPLES.tobytes(), 2), dtype=np.uint8)
    assert len(expected) == 65536
    np.testing.assert_array_equal(g711.encode(ALL_SAMPLES, codec), expected)
    # the table is indexed by the sample's unsigned 16-bit view
    np.testing.assert_array_equal(g711.encode_table(codec)[ALL_SAMPLES.view(np.uint16)], expected)


def test_round_trip_code_sample_code() -> None:
    """Every code survives decode then encode, except mu-law's negative zero: 0x7F and 0xFF
    both decode to 0, which encodes as 0xFF. A-law has no duplicate."""
    for codec, changed in (("PCMU", {0x7F: 0xFF}), ("PCMA", {})):
        back = g711.encode(g711.decode(ALL_CODES, codec), codec)
        differs = {int(c): int(b) for c, b in zip(ALL_CODES, back, strict=True) if c != b}
        assert differs == changed, codec
    assert g711.decode(np.array([0x7F, 0xFF], dtype=np.uint8), "PCMU").tolist() == [0, 0]


@pytest.mark.parametrize("codec", CODECS)
def test_encoding_is_monotonic(codec: str) -> None:
    """Code bytes are not ordered numerically (sign bit, inverted bits), but the quantizer
    is monotonic: the value a sample's code stands for never decreases as the sample grows,
    and it is one of the two representable values around the sample (or the extreme one
    beyond the codec's range)."""
    quantized = g711.decode(g711.encode(ALL_SAMPLES, codec), codec).astype(np.int32)
    assert (np.diff(quantized) >= 0).all()
    levels = np.unique(g711.decode_table(codec).astype(np.int32))
    x = ALL_SAMPLES.astype(np.int32)
    above = levels[np.clip(np.searchsorted(levels, x, side="left"), 0, len(levels) - 1)]
    below = levels[np.clip(np.searchsorted(levels, x, side="right") - 1, 0, len(levels) - 1)]
    assert ((quantized == above) | (quantized == below)).all()
    # so the code's rank among the levels is non-decreasing too
    rank = np.searchsorted(levels, quantized)
    assert (np.diff(rank) >= 0).all()
    assert rank[0] == 0 and rank[-1] == len(levels) - 1


def test_silence_codes() -> None:
    assert g711.SILENCE == {"PCMU": 0xFF, "PCMA": 0xD5}
    for codec, code in g711.SILENCE.items():
        assert g711.encode(np.zeros(4, dtype=np.int16), codec).tolist() == [code] * 4
        assert g711.decode(bytes([code]), codec).tolist() == [0 if codec == "PCMU" else 8]


def test_payload_types() -> None:
    assert g711.PAYLOAD_TYPES == {"PCMU": 0, "PCMA": 8}
    assert g711.CODECS == {0: "PCMU", 8: "PCMA"}


@pytest.mark.parametrize("codec", CODECS)
def test_wide_integers_are_clipped_not_wrapped(codec: str) -> None:
    wide = np.array([70000, 32768, 40000, -32769, -70000, 2**31 - 1, -(2**31)], dtype=np.int64)
    clipped = np.array([32767, 32767, 32767, -32768, -32768, 32767, -32768], dtype=np.int16)
    for dtype in (np.int32, np.int64):
        got = g711.encode(wide.astype(dtype), codec)
        np.testing.assert_array_equal(got, g711.encode(clipped, codec))
    # 70000 wrapped to int16 is 4464: a loud positive sample must not come out quiet
    wrapped = g711.encode(np.array([70000], dtype=np.int64).astype(np.int16), codec)
    assert g711.encode(np.array([70000], dtype=np.int32), codec)[0] != wrapped[0]


@pytest.mark.parametrize("codec", CODECS)
def test_shapes_and_types(codec: str) -> None:
    codes = np.arange(256, dtype=np.uint8).reshape(16, 16)
    samples = g711.decode(codes, codec)
    assert samples.shape == (16, 16) and samples.dtype == np.int16
    back = g711.encode(samples, codec)
    assert back.shape == (16, 16) and back.dtype == np.uint8
    assert g711.decode(b"", codec).shape == (0,)
