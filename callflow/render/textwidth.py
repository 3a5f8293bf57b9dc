"""Text width and wrapping for SVG layout, without a browser or a font library.

Widths come from ``fonts/dejavu-sans-widths.json``: per-character advance widths of DejaVu
Sans (regular, bold, oblique) in em, generated once by ``scripts/gen_textwidth.py`` with
fontTools and committed. Measuring a string is one dict lookup per character. Kerning,
ligatures and shaping are ignored, so widths are additive: ``w(a + b) == w(a) + w(b)``
(up to float rounding).

Characters not in the table: East Asian wide/fullwidth characters count 1 em, combining
marks and control/format characters (Unicode categories Cc, Cf) 0, anything else the
style's fallback (the mean width of ``a``-``z``). ``bold=True, italic=True`` uses the bold
table (DejaVu's bold oblique advances equal the bold ones for nearly all characters).

Stdlib only; the JSON is read once per process.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache, lru_cache
from importlib import resources

__all__ = [
    "BREAK_BEFORE",
    "ascent",
    "descent",
    "line_height",
    "text_width",
    "wrap_chars",
    "wrap_text",
]

_RESOURCE = "fonts/dejavu-sans-widths.json"
_FORMAT = 1
# Tolerance for comparing sums of float widths with a limit.
_EPS = 1e-9

#: Characters a too-long word (a SIP URI, a host name, a path) may be broken before,
#: unless the previous character is one of them too ("http:" | "//host", never "/" | "/").
BREAK_BEFORE = frozenset(";,/@.")


@cache
def _data() -> dict:
    raw = resources.files("callflow.render").joinpath(_RESOURCE).read_text(encoding="utf-8")
    data = json.loads(raw)
    if data.get("format") != _FORMAT:
        raise RuntimeError(f"{_RESOURCE}: unsupported format {data.get('format')!r}")
    return data


@cache
def _style_data(style: str) -> dict:
    return _data()["styles"][style]


@cache
def _table(style: str) -> dict[str, float]:
    """char -> width in em for ``style``; missing characters are added on first use."""
    table: dict[str, float] = {}
    for first, widths in _style_data(style)["widths"].items():
        start = int(first, 16)
        for offset, width in enumerate(widths):
            table[chr(start + offset)] = width
    return table


def _style(bold: bool, italic: bool) -> str:
    if bold:
        return "bold"
    return "italic" if italic else "regular"


def _missing_width(char: str, fallback: float) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if unicodedata.combining(char) or unicodedata.category(char) in ("Cc", "Cf"):
        return 0.0
    return fallback


def _em_width(text: str, style: str) -> float:
    table = _table(style)
    try:
        return sum(map(table.__getitem__, text))
    except KeyError:
        fallback = _style_data(style)["fallback"]
        for char in set(text).difference(table):
            table[char] = _missing_width(char, fallback)
        return sum(map(table.__getitem__, text))


# Labels repeat a lot (method names, participants, header names): memoise the em width.
_em_width_cached = lru_cache(maxsize=8192)(_em_width)


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """Width in px of ``text`` on one line in DejaVu Sans at font size ``size`` px."""
    return _em_width_cached(text, _style(bold, italic)) * size


def line_height(size: float) -> float:
    """Distance between baselines in px at font size ``size``: (ascent + descent + gap) / em
    of the regular face, about 1.164 * size."""
    m = _style_data("regular")
    return (m["ascent"] - m["descent"] + m["lineGap"]) / m["unitsPerEm"] * size


def ascent(size: float) -> float:
    """Height in px above the baseline (hhea ascent) at font size ``size``."""
    m = _style_data("regular")
    return m["ascent"] / m["unitsPerEm"] * size


def descent(size: float) -> float:
    """Depth in px below the baseline (positive) at font size ``size``."""
    m = _style_data("regular")
    return -m["descent"] / m["unitsPerEm"] * size


# --- wrapping -------------------------------------------------------------------------


def _wrap(text: str, limit: float, widths, breaks: frozenset[str]) -> list[str]:
    """Greedy wrap of each ``\\n``-separated paragraph of ``text`` to ``limit``.

    ``widths(s)`` gives the list of per-character widths of ``s`` (additive measure).
    A paragraph that fits is kept verbatim; otherwise it is split into words on spaces
    (runs of spaces collapse) and words are packed greedily. A word wider than ``limit``
    starts a new line and is broken by ``_break_word``; its last piece may be followed by
    more words on the same line.
    """
    lines: list[str] = []
    space = sum(widths(" "))
    for para in text.split("\n"):
        if sum(widths(para)) <= limit + _EPS:
            lines.append(para)
            continue
        line: str | None = None
        line_w = 0.0
        for word in para.split(" "):
            if not word:
                continue
            char_ws = widths(word)
            word_w = sum(char_ws)
            if line is not None and line_w + space + word_w <= limit + _EPS:
                line += " " + word
                line_w += space + word_w
                continue
            if line is not None:
                lines.append(line)
            if word_w <= limit + _EPS:
                line, line_w = word, word_w
                continue
            pieces = _break_word(word, char_ws, limit, breaks)
            lines.extend(pieces[:-1])
            line = pieces[-1]
            line_w = sum(char_ws[len(word) - len(line) :])
        lines.append("" if line is None else line)
    return lines


def _break_word(word: str, char_ws: list[float], limit: float, breaks: frozenset[str]):
    """Split ``word`` into pieces no wider than ``limit`` (a piece of one character may be).

    Each piece is the longest prefix of the rest that fits, shortened to end just before a
    break character when that keeps at least half of the line filled.
    """
    pieces: list[str] = []
    start, n = 0, len(word)
    while start < n:
        acc, end = 0.0, start
        while end < n and acc + char_ws[end] <= limit + _EPS:
            acc += char_ws[end]
            end += 1
        if end == n:
            pieces.append(word[start:])
            break
        if end == start:  # a single character wider than the line
            end = start + 1
        elif breaks:
            cut_w = acc
            for k in range(end, start, -1):
                if cut_w < limit / 2:
                    break
                if word[k] in breaks and word[k - 1] not in breaks:
                    end = k
                    break
                cut_w -= char_ws[k - 1]
        pieces.append(word[start:end])
        start = end
    return pieces


def wrap_text(
    text: str, max_width: float, size: float, *, bold: bool = False, italic: bool = False
) -> list[str]:
    """Wrap ``text`` into lines no wider than ``max_width`` px at font size ``size`` px.

    Greedy on spaces; explicit ``"\\n"`` always breaks. A word wider than ``max_width``
    goes on its own line(s), broken before one of ``BREAK_BEFORE`` (``;`` ``,`` ``/``
    ``@`` ``.``) where possible, else between characters. Only a line holding a single
    character wider than ``max_width`` can exceed it. Paragraphs that fit are returned
    unchanged; in wrapped ones runs of spaces collapse. Returns ``[""]`` for ``""``.
    """
    if size <= 0:
        return text.split("\n")
    style = _style(bold, italic)
    table = _table(style)

    def widths(s: str) -> list[float]:
        try:
            return list(map(table.__getitem__, s))
        except KeyError:
            _em_width(s, style)  # fills the table for the missing characters
            return list(map(table.__getitem__, s))

    return _wrap(text, max_width / size, widths, BREAK_BEFORE)


def wrap_chars(text: str, max_chars: int) -> list[str]:
    """Wrap ``text`` into lines of at most ``max_chars`` characters (FDL ``option wrap``).

    Breaks at spaces; a longer word is cut every ``max_chars`` characters. Explicit
    ``"\\n"`` always breaks; returns ``[""]`` for ``""``.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    return _wrap(text, max_chars, lambda s: [1] * len(s), frozenset())
