"""The N-1 conference mix: each participant hears everybody else, saturated, never itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from callflow.media import g711, mixer
from callflow.media.mixer import mix_minus, mix_minus_g711

CODECS = ("PCMU", "PCMA")


def naive_mix_minus(frames: np.ndarray) -> np.ndarray:
    """The quadratic reference: for each participant, add up the others one by one."""
    wide = np.asarray(frames).astype(np.int64)
    n, s = wide.shape
    out = np.zeros((n, s), dtype=np.int64)
    for k in range(n):
        for j in range(n):
            if j != k:
                out[k] += wide[j]
    return np.clip(out, -32768, 32767).astype(np.int16)


def heard_value(row: np.ndarray, codec: str) -> np.ndarray:
    """What the mixer adds up for a row: the decoded samples, A-law's +-8 read as 0."""
    linear = g711.decode(row, codec).copy()
    if codec == "PCMA":
        linear[np.isin(row, mixer.ALAW_DEAD_ZONE)] = 0
    return linear


def naive_mix_minus_g711(codes: np.ndarray, codecs: list[str]) -> np.ndarray:
    linear = np.array(
        [heard_value(row, codec) for row, codec in zip(codes, codecs, strict=True)],
        dtype=np.int16,
    ).reshape(codes.shape)
    mixed = naive_mix_minus(linear)
    return np.array(
        [g711.encode(row, codec) for row, codec in zip(mixed, codecs, strict=True)],
        dtype=np.uint8,
    ).reshape(codes.shape)


# ---------------------------------------------------------------- linear samples


def test_each_row_hears_the_sum_of_the_others() -> None:
    frames = np.array([[1, 2, 3], [10, 20, 30], [100, 200, 300]], dtype=np.int16)
    expected = [[110, 220, 330], [101, 202, 303], [11, 22, 33]]
    assert mix_minus(frames).tolist() == expected


def test_two_participants_swap() -> None:
    frames = np.array([[5, -7, 0, 32767], [-3, 4, 9, -32768]], dtype=np.int16)
    assert mix_minus(frames).tolist() == [[-3, 4, 9, -32768], [5, -7, 0, 32767]]


def test_positive_sums_saturate() -> None:
    frames = np.full((3, 4), 30000, dtype=np.int16)
    out = mix_minus(frames)
    assert (out == 32767).all()  # 60000 wrapped to int16 would be -5536


def test_negative_sums_saturate() -> None:
    frames = np.full((3, 4), -30000, dtype=np.int16)
    assert (mix_minus(frames) == -32768).all()  # -60000 wrapped would be +5536


def test_saturation_in_both_directions_at_once() -> None:
    frames = np.array([[32767, -32768, 20000], [32767, -32768, -20000], [1, -1, 5]], np.int16)
    assert mix_minus(frames).tolist() == [
        [32767, -32768, -19995],
        [32767, -32768, 20005],
        [32767, -32768, 0],
    ]


def test_extreme_values_many_rows_do_not_wrap() -> None:
    # 32 rows at the extremes: the sums reach 31 * 32767 (and -31 * 32768), far outside int16
    assert (mix_minus(np.full((32, 5), 32767, dtype=np.int16)) == 32767).all()
    assert (mix_minus(np.full((32, 5), -32768, dtype=np.int16)) == -32768).all()


def test_silence_in_silence_out() -> None:
    out = mix_minus(np.zeros((4, 160), dtype=np.int16))
    assert out.shape == (4, 160) and out.dtype == np.int16 and not out.any()


def test_alone_hears_silence() -> None:
    out = mix_minus(np.array([[1000, -2000, 32767]], dtype=np.int16))
    assert out.tolist() == [[0, 0, 0]]


def test_nobody() -> None:
    out = mix_minus(np.zeros((0, 160), dtype=np.int16))
    assert out.shape == (0, 160) and out.dtype == np.int16


def test_wider_integers_are_exact_then_clipped() -> None:
    frames = np.array([[40000, -40000], [-39000, 100000], [1, 2**31 - 1]], dtype=np.int64)
    assert mix_minus(frames).tolist() == [[-32768, 32767], [32767, 32767], [1000, 32767]]
    assert mix_minus(frames.astype(np.int32)).dtype == np.int16


def test_input_is_not_modified() -> None:
    frames = np.array([[30000, -5], [30000, 7], [-30000, 3]], dtype=np.int16)
    before = frames.copy()
    mix_minus(frames)
    np.testing.assert_array_equal(frames, before)


@pytest.mark.parametrize("extra", [1, 17])  # the last block: one column, or a few
def test_long_input_crosses_blocks(extra: int) -> None:
    """More samples than one block holds: blocks are stitched without gap or overlap."""
    rng = np.random.default_rng(extra)
    n = 3
    width = 2 * mixer._columns_per_block(n) + extra
    frames = rng.integers(-32768, 32768, size=(n, width), dtype=np.int16)
    np.testing.assert_array_equal(mix_minus(frames), naive_mix_minus(frames))


def test_rejects_bad_shapes_and_types() -> None:
    with pytest.raises(ValueError, match="shape"):
        mix_minus(np.zeros(160, dtype=np.int16))
    with pytest.raises(TypeError, match="integer"):
        mix_minus(np.zeros((2, 160), dtype=np.float64))


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.int16, np.int32]),
        shape=st.tuples(st.integers(1, 8), st.integers(0, 64)),
        elements=st.integers(-32768, 32767),
    )
)
def test_equals_the_quadratic_reference(frames: np.ndarray) -> None:
    out = mix_minus(frames)
    assert out.dtype == np.int16 and out.shape == frames.shape
    np.testing.assert_array_equal(out, naive_mix_minus(frames))


# ---------------------------------------------------------------- G.711 codes


@pytest.mark.parametrize("codec", CODECS)
def test_g711_silence_in_silence_out(codec: str) -> None:
    codes = np.full((5, 160), g711.SILENCE[codec], dtype=np.uint8)
    out = mix_minus_g711(codes, codec)
    assert out.dtype == np.uint8 and out.shape == (5, 160)
    assert (out == g711.SILENCE[codec]).all()


def test_alaw_dead_zone() -> None:
    """A-law has no zero: silence is 0xD5 (+8). Without the dead zone four silent
    participants would each hear 3 * 8 = 24, which is 0xD4, not silence."""
    assert g711.decode(bytes(mixer.ALAW_DEAD_ZONE), "PCMA").tolist() == [8, -8]
    assert g711.encode(np.array([24], dtype=np.int16), "PCMA")[0] != g711.SILENCE["PCMA"]
    silent = np.full((32, 160), 0xD5, dtype=np.uint8)
    assert (mix_minus_g711(silent, "PCMA") == 0xD5).all()
    # -8 is read as 0 too (the dead zone is symmetric); the next codes are kept
    pair = np.array([[0x55, 0xD4, 0x54], [0xD5, 0xD5, 0xD5]], dtype=np.uint8)
    assert mix_minus_g711(pair, "PCMA").tolist() == [[0xD5] * 3, [0xD5, 0xD4, 0x54]]
    # mu-law has a zero: its smallest codes (+-8) pass untouched
    tiny = np.array([[0xFE, 0x7E], [0xFF, 0xFF]], dtype=np.uint8)
    assert g711.decode(tiny[0], "PCMU").tolist() == [8, -8]
    assert mix_minus_g711(tiny, "PCMU").tolist() == [[0xFF, 0xFF], [0xFE, 0x7E]]


@pytest.mark.parametrize("codec", CODECS)
def test_g711_alone_hears_silence(codec: str) -> None:
    codes = g711.encode(np.array([[12000, -3000, 32767, -32768]], dtype=np.int16), codec)
    assert (mix_minus_g711(codes, codec) == g711.SILENCE[codec]).all()
    assert (mix_minus_g711(codes, [codec]) == g711.SILENCE[codec]).all()


def test_g711_nobody() -> None:
    out = mix_minus_g711(np.zeros((0, 160), dtype=np.uint8), "PCMU")
    assert out.shape == (0, 160) and out.dtype == np.uint8
    assert mix_minus_g711(np.zeros((0, 160), dtype=np.uint8), []).shape == (0, 160)


@pytest.mark.parametrize("codec", CODECS)
def test_g711_two_participants_hear_each_other(codec: str) -> None:
    samples = np.array([[1000, -2000, 300, 0], [-50, 8000, 0, 31000]], dtype=np.int16)
    codes = g711.encode(samples, codec)
    out = mix_minus_g711(codes, codec)
    # with two, each hears the other's codes unchanged (decode then encode is the identity
    # on codes, but for mu-law's 0x7F, which nobody encodes)
    np.testing.assert_array_equal(out, codes[::-1])


@pytest.mark.parametrize("codec", CODECS)
def test_g711_saturates(codec: str) -> None:
    loud = g711.encode(np.full((3, 4), 30000, dtype=np.int16), codec)
    quiet = g711.encode(np.full((3, 4), -30000, dtype=np.int16), codec)
    top = g711.encode(np.array([32767], dtype=np.int16), codec)[0]
    bottom = g711.encode(np.array([-32768], dtype=np.int16), codec)[0]
    assert (mix_minus_g711(loud, codec) == top).all()
    assert (mix_minus_g711(quiet, codec) == bottom).all()
    assert top != bottom


def test_g711_mixed_codecs_each_row_in_its_own() -> None:
    samples = np.array([[1000, -2000, 4000], [-300, 500, 7000]], dtype=np.int16)
    codes = np.stack([g711.encode(samples[0], "PCMU"), g711.encode(samples[1], "PCMA")])
    out = mix_minus_g711(codes, ["PCMU", "PCMA"])
    heard_by_0 = g711.decode(out[0], "PCMU")
    heard_by_1 = g711.decode(out[1], "PCMA")
    # each hears the other, re-encoded in its own codec: within one quantization step
    np.testing.assert_allclose(heard_by_0, g711.decode(codes[1], "PCMA"), atol=256)
    np.testing.assert_allclose(heard_by_1, g711.decode(codes[0], "PCMU"), atol=256)
    np.testing.assert_array_equal(out, naive_mix_minus_g711(codes, ["PCMU", "PCMA"]))
    # decoding a PCMA row as PCMU would be noise: the codecs are really per row
    assert not np.array_equal(out, mix_minus_g711(codes, "PCMU"))


def test_g711_input_is_not_modified() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, size=(4, 160), dtype=np.uint8)
    before = codes.copy()
    mix_minus_g711(codes, ["PCMU", "PCMA", "PCMU", "PCMA"])
    mix_minus_g711(codes, "PCMA")
    np.testing.assert_array_equal(codes, before)


@pytest.mark.parametrize(
    "pattern",
    [
        ["PCMU"] * 5,
        ["PCMA"] * 5,
        ["PCMU", "PCMU", "PCMA", "PCMA", "PCMA"],  # grouped rows
        ["PCMA", "PCMU", "PCMU", "PCMU", "PCMU"],  # grouped, A-law first
        ["PCMA", "PCMU", "PCMA", "PCMU", "PCMA"],  # interleaved rows
    ],
)
@pytest.mark.parametrize(  # one frame; blocks, the last of one column or a few
    "samples", [160, 2 * mixer._columns_per_block(5) + 1, 2 * mixer._columns_per_block(5) + 9]
)
def test_g711_equals_the_quadratic_reference(pattern: list[str], samples: int) -> None:
    rng = np.random.default_rng(samples)
    codes = rng.integers(0, 256, size=(len(pattern), samples), dtype=np.uint8)
    out = mix_minus_g711(codes, pattern)
    assert out.dtype == np.uint8 and out.shape == codes.shape
    np.testing.assert_array_equal(out, naive_mix_minus_g711(codes, pattern))
    if len(set(pattern)) == 1:
        np.testing.assert_array_equal(mix_minus_g711(codes, pattern[0]), out)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    codes=hnp.arrays(dtype=np.uint8, shape=st.tuples(st.integers(1, 8), st.integers(0, 48))),
)
def test_g711_random_codecs_equal_the_reference(data: st.DataObject, codes: np.ndarray) -> None:
    pattern = data.draw(st.lists(st.sampled_from(CODECS), min_size=len(codes), max_size=len(codes)))
    np.testing.assert_array_equal(
        mix_minus_g711(codes, pattern), naive_mix_minus_g711(codes, pattern)
    )


def test_g711_rejects_bad_arguments() -> None:
    codes = np.zeros((2, 160), dtype=np.uint8)
    with pytest.raises(ValueError, match="codecs for 2"):
        mix_minus_g711(codes, ["PCMU"])
    with pytest.raises(ValueError, match="unknown codec"):
        mix_minus_g711(codes, "G729")
    with pytest.raises(ValueError, match="unknown codec"):
        mix_minus_g711(codes, ["PCMU", "opus"])
    with pytest.raises(TypeError, match="uint8"):
        mix_minus_g711(codes.astype(np.int16), "PCMU")
    with pytest.raises(ValueError, match="shape"):
        mix_minus_g711(codes[0], "PCMU")
