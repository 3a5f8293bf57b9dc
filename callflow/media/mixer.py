"""Conference mixing: every participant hears the sum of all the others (N-1, "mix-minus").

An MRFP in a conference never sends a participant their own voice back (they would hear
themselves with the network's delay, as an echo). Row ``k`` of the result is the sum of
every row but ``k``, computed as *total minus own*: one sum over all the rows and one
subtraction per row, so the cost is linear in the number of participants instead of
quadratic. Sums are accumulated in wider integers, then saturated to int16 (never wrapped:
a wrapped loud mix would come out as a loud click of the opposite sign).

G.711 frames are mixed as decode, mix, encode, each row in its own codec, with one
deliberate difference: A-law's two codes nearest to zero are read as 0 (``_mixing_table``),
so that silent participants mix to silence however many they are.

Speed notes (kept because they won, measured on 60 s of audio; see ``bench/mix.py``):

* the work is done in column blocks of about 64 Ki samples in all (``_BLOCK``), so that
  the intermediate arrays stay in the CPU caches: for 8 participants and 60 s, 7 ms
  instead of 26 ms for the whole buffer at once (``mix_minus``: 3 ms instead of 6);
* G.711 decoding goes through a 256-entry table of ``intp`` and encoding through a
  65536-entry table indexed by ``sample + 32768`` with ``numpy.take(mode="clip")``: the
  clip of the index *is* the saturation of the sample, so the encoder needs neither
  ``np.clip`` nor the int16 cast, and ``take`` gets indices already of its own type
  (``intp``), which it would otherwise convert in a hidden temporary (an int64 pipeline
  is faster than int32 here, even with twice the bytes);
* the total is offset by 32768 once per column (not once per sample of every row), by
  the sum itself (``initial=``): in the 20 ms frame mode every NumPy call saved counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from callflow.media import g711

__all__ = ["ALAW_DEAD_ZONE", "mix_minus", "mix_minus_g711"]

#: samples (all rows together) processed per block: the int32/intp buffers of a block then
#: stay in the L2 cache (measured from 2 to 32 rows: 16 Ki and 256 Ki are slower)
_BLOCK = 65536
_INT16_MIN, _INT16_MAX = -32768, 32767
_UINT8 = np.dtype(np.uint8)
#: added to the total once per column, it makes ``total - own`` the encoder's index
_OFFSET = -_INT16_MIN
#: A-law's two codes nearest to zero: 0xD5 (+8, what silence encodes to) and 0x55 (-8)
ALAW_DEAD_ZONE = (0xD5, 0x55)


def _mixing_table(codec: str) -> NDArray[np.intp]:
    """Code byte -> the linear value the mixer adds up, in the encoder's index type.

    Equal to :func:`g711.decode_table` but for A-law's two smallest codes, read as 0. A-law
    has no zero: a silent participant sends 0xD5, which stands for +8 (the middle of the
    interval [0, 16)). Summed over the others these offsets would reach (n-1) * 8 and come
    out as a non-silent code from four participants on; with the dead zone, silence mixes
    to silence (0xD5) for any n, at the cost of signals quieter than 16 (-66 dBFS)."""
    table = g711.decode_table(codec).astype(np.intp)
    if codec == "PCMA":
        table[list(ALAW_DEAD_ZONE)] = 0
    return table


_DECODE: dict[str, NDArray[np.intp]] = {codec: _mixing_table(codec) for codec in g711.PAYLOAD_TYPES}
#: sample + 32768 -> code byte (the encode table rotated so that the index is never negative)
_ENCODE: dict[str, NDArray[np.uint8]] = {
    codec: np.roll(g711.encode_table(codec), _OFFSET) for codec in g711.PAYLOAD_TYPES
}


def _columns_per_block(rows: int) -> int:
    return max(_BLOCK // max(rows, 1), 1)


def mix_minus(frames: NDArray[np.integer]) -> NDArray[np.int16]:
    """Row ``k`` of the result is the sum of every row of ``frames`` but ``k``, saturated.

    ``frames`` has shape ``(n, s)``: one row of linear samples per participant, int16 or
    any integer type. Sums are exact (int32 for inputs of 16 bits or less, int64 beyond)
    and then clipped to int16. A participant alone hears silence (a row of zeros)."""
    frames = np.asarray(frames)
    if frames.ndim != 2:
        raise ValueError(f"frames must have shape (participants, samples), not {frames.shape}")
    if frames.dtype.kind not in "iu":
        raise TypeError(f"frames must hold integer samples, not {frames.dtype}")
    n, s = frames.shape
    acc = np.int32 if frames.dtype.itemsize <= 2 else np.int64
    step = _columns_per_block(n)
    if s <= step:  # one 20 ms frame: fewest calls (ufuncs cost less than np.clip's wrapper)
        mix = np.subtract(np.add.reduce(frames, axis=0, dtype=acc), frames, dtype=acc)
        np.minimum(mix, _INT16_MAX, out=mix)
        np.maximum(mix, _INT16_MIN, out=mix)
        return mix.astype(np.int16)
    out = np.empty((n, s), dtype=np.int16)
    buf = np.empty((n, min(step, s)), dtype=acc)
    for start in range(0, s, step):
        src = frames[:, start : start + step]
        mix = buf if src.shape[1] == buf.shape[1] else buf[:, : src.shape[1]]
        total = np.add.reduce(src, axis=0, dtype=acc)
        np.subtract(total, src, out=mix, dtype=acc)
        np.clip(mix, _INT16_MIN, _INT16_MAX, out=mix)
        np.copyto(out[:, start : start + step], mix, casting="unsafe")
    return out


def _mix_one_codec(codes: NDArray[np.uint8], codec: str) -> NDArray[np.uint8]:
    """Every row in the same codec: the common case, and the fastest (no clipping pass)."""
    decode, encode = _DECODE[codec], _ENCODE[codec]
    n, s = codes.shape
    step = _columns_per_block(n)
    if s <= step:  # a 20 ms frame, 50 times a second: four NumPy calls, no Python loop
        lin = decode.take(codes, mode="clip")  # codes are bytes: the clip never clips
        # the total + 32768, so that total - own is sample + 32768: the encoder's index
        np.subtract(np.add.reduce(lin, axis=0, initial=_OFFSET), lin, out=lin)
        return encode.take(lin, mode="clip")  # clipping the index saturates the sample
    out = np.empty((n, s), dtype=np.uint8)
    buf = np.empty((n, step), dtype=np.intp)
    for start in range(0, s, step):
        cols = slice(start, start + step)
        lin = buf if s - start >= step else buf[:, : s - start]
        decode.take(codes[:, cols], out=lin, mode="clip")
        np.subtract(np.add.reduce(lin, axis=0, initial=_OFFSET), lin, out=lin)
        encode.take(lin, out=out[:, cols], mode="clip")
    return out


Plan = tuple[NDArray[np.intp] | None, tuple[tuple[str, slice], ...]]


@lru_cache(maxsize=256)
def _plan(codecs: tuple[str, ...]) -> Plan:
    """How to mix a conference whose rows are in different codecs: the order that puts the
    rows of each codec together (None when they already are), and each codec's span of rows
    in that order, so that each codec decodes and encodes one slice (no per-row loop).

    A pure function of the codec names, memoised: a conference keeps its codecs from one
    20 ms frame to the next, and building the plan costs as much as mixing the frame."""
    unknown = set(codecs) - _DECODE.keys()
    if unknown:
        raise ValueError(f"unknown codec(s) {sorted(map(repr, unknown))}: expected PCMU or PCMA")
    names = list(dict.fromkeys(codecs))  # in order of first appearance
    rank = np.array([names.index(name) for name in codecs])
    order = np.argsort(rank, kind="stable")
    spans, first = [], 0
    for name in names:
        count = codecs.count(name)
        spans.append((name, slice(first, first + count)))
        first += count
    grouped = bool((order == np.arange(len(codecs))).all())
    return (None if grouped else order), tuple(spans)


def _mix_per_row(codes: NDArray[np.uint8], codecs: Sequence[str]) -> NDArray[np.uint8]:
    """Rows in different codecs: decoded and encoded a codec at a time, by rows of it."""
    order, spans = _plan(tuple(codecs))
    if order is not None:  # rows of each codec together (a copy of bytes: cheap)
        codes = codes.take(order, axis=0)
    n, s = codes.shape
    step = _columns_per_block(n)
    out = np.empty((n, s), dtype=np.uint8)
    buf = np.empty((n, min(step, s)), dtype=np.intp)
    for start in range(0, s, step):
        cols = slice(start, start + step)
        lin = buf if s - start >= buf.shape[1] else buf[:, : s - start]
        for name, rows in spans:
            _DECODE[name].take(codes[rows, cols], out=lin[rows], mode="clip")
        np.subtract(np.add.reduce(lin, axis=0, initial=_OFFSET), lin, out=lin)
        for name, rows in spans:
            _ENCODE[name].take(lin[rows], out=out[rows, cols], mode="clip")
    if order is None:
        return out
    back = np.empty_like(out)
    back[order] = out  # each row where it came from
    return back


def mix_minus_g711(codes: NDArray[np.uint8], codecs: str | Sequence[str]) -> NDArray[np.uint8]:
    """The N-1 mix of G.711 frames: decode every row, mix, encode each row back.

    ``codes`` has shape ``(n, s)`` (one row of code bytes per participant); ``codecs`` is
    one codec for every row or one per row ("PCMU" or "PCMA"): each participant is decoded
    and answered in the codec it negotiated. Returns ``(n, s)`` uint8 code bytes."""
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must have shape (participants, samples), not {codes.shape}")
    if codes.dtype != _UINT8:
        raise TypeError(f"codes must be uint8 code bytes, not {codes.dtype}")
    if not isinstance(codecs, str):
        if len(codecs) != len(codes):
            raise ValueError(f"{len(codecs)} codecs for {len(codes)} participants")
        names = set(codecs)
        if len(names) != 1:
            return _mix_per_row(codes, codecs) if names else np.empty(codes.shape, np.uint8)
        codecs = names.pop()
    if codecs not in _DECODE:
        raise ValueError(f"unknown codec {codecs!r}: expected PCMU or PCMA")
    return _mix_one_codec(codes, codecs)
