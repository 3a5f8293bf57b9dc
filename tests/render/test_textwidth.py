"""Text measurement from the committed DejaVu Sans width table, and wrapping."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflow.render.textwidth import (
    ascent,
    descent,
    line_height,
    text_width,
    wrap_chars,
    wrap_text,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_textwidth.py"
TABLE = ROOT / "callflow" / "render" / "fonts" / "dejavu-sans-widths.json"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"]

# Expected widths in px, obtained once with fontTools 4.68 from DejaVu Sans 2.37
# (fonts-dejavu-core): sum(hmtx[cmap[ord(c)]].advance for c in text) * size / unitsPerEm,
# unrounded. The table stores em widths rounded to 4 decimals, so the sums may differ by
# at most 0.00005 * size px per character.
FONTTOOLS_WIDTHS = [
    ("INVITE", 11, "bold", 40.92236328125),
    ("INVITE", 11, "regular", 35.9111328125),
    ("200 OK", 11, "regular", 40.36376953125),
    ("180 Ringing", 11, "italic", 66.15576171875),
    ("ACK", 14, "bold", 31.9580078125),
    ("sip:alice@atlanta.example.com;transport=tcp", 10, "regular", 231.03515625),
    ("Ωμέγα → Привет ≤ €5", 12, "regular", 134.82421875),
]


@pytest.mark.parametrize(("text", "size", "style", "expected"), FONTTOOLS_WIDTHS)
def test_width_matches_fonttools(text, size, style, expected):
    width = text_width(text, size, bold=style == "bold", italic=style == "italic")
    assert width == pytest.approx(expected, abs=0.01)
    assert abs(width - expected) <= 0.00005 * size * len(text) + 1e-9


def test_empty_string_is_zero():
    assert text_width("", 11) == 0
    assert text_width("", 11, bold=True) == 0


def test_bold_wider_than_regular():
    for text in ("INVITE", "200 OK", "BYE", "sip:bob@biloxi.example.com"):
        assert text_width(text, 11, bold=True) > text_width(text, 11)


def test_width_scales_with_size_and_is_additive():
    assert text_width("REGISTER", 22) == pytest.approx(2 * text_width("REGISTER", 11))
    assert text_width("INVITE sip:a", 11) == pytest.approx(
        text_width("INVITE", 11) + text_width(" ", 11) + text_width("sip:a", 11)
    )


def test_characters_outside_the_table():
    # CJK and fullwidth forms: 1 em each
    assert text_width("日本語", 10) == pytest.approx(30.0)
    assert text_width("ＡＢ", 10) == pytest.approx(20.0)
    # combining marks, control and format characters: 0
    assert text_width("e\u0301", 10) == pytest.approx(text_width("e", 10))
    assert text_width("a\tb\x00", 10) == pytest.approx(text_width("ab", 10))
    assert text_width("\ufeff", 10) == 0
    # anything else: the style's fallback, the mean width of a-z
    letters = "abcdefghijklmnopqrstuvwxyz"
    for bold in (False, True):
        mean = text_width(letters, 1, bold=bold) / 26
        assert text_width("\u0e01", 1, bold=bold) == pytest.approx(mean, abs=1e-4)


def test_italic_uses_the_oblique_table():
    assert text_width("abc", 10, italic=True) > 0
    # bold + italic measures as bold
    assert text_width("INVITE", 11, bold=True, italic=True) == text_width("INVITE", 11, bold=True)


def test_line_metrics():
    # hhea ascent 1901, descent -483, line gap 0, 2048 units per em
    assert line_height(10) == pytest.approx(2384 / 2048 * 10)
    assert 1.16 < line_height(1) < 1.17
    assert ascent(10) == pytest.approx(19010 / 2048)
    assert descent(10) == pytest.approx(4830 / 2048)
    assert ascent(10) + descent(10) == pytest.approx(line_height(10))


# --- wrap_text ------------------------------------------------------------------------


def test_wrap_text_empty_and_fitting():
    assert wrap_text("", 100, 11) == [""]
    assert wrap_text("INVITE", 1000, 11) == ["INVITE"]
    assert wrap_text("a  b", 1000, 11) == ["a  b"]  # a line that fits is kept verbatim


def test_wrap_text_keeps_explicit_newlines():
    assert wrap_text("INVITE\n\nSDP offer", 1000, 11) == ["INVITE", "", "SDP offer"]


def test_wrap_text_greedy_on_spaces():
    text = "one two three four five six seven"
    max_width = text_width("one two three", 11)
    lines = wrap_text(text, max_width, 11)
    assert lines == ["one two three", "four five six", "seven"]


def test_wrap_text_breaks_uris_at_separators():
    uri = "sip:alice@atlanta.example.com;transport=tcp;lr"
    lines = wrap_text(uri, 100, 11)
    assert "".join(lines) == uri
    assert lines == ["sip:alice@atlanta", ".example.com", ";transport=tcp;lr"]
    for line in lines:
        assert text_width(line, 11) <= 100
    # never between two separators: "http:" | "//host", not "http:/" | "/host"
    assert wrap_text("http://example.com/a/b", 40, 11)[0] == "http:"


def test_wrap_text_breaks_at_characters_without_separators():
    word = "z9hG4bK776asdhdsz9hG4bK776asdhds"
    lines = wrap_text(word, 50, 11)
    assert len(lines) > 1
    assert "".join(lines) == word
    for line in lines[:-1]:
        # each piece is as long as fits: one more character would overflow
        assert text_width(line, 11) <= 50
        nxt = word[word.index(line) + len(line)]
        assert text_width(line + nxt, 11) > 50


def test_wrap_text_long_word_then_more_words():
    lines = wrap_text("INVITE sip:bob@biloxi.example.com SIP/2.0", 80, 11)
    assert lines[0] == "INVITE"
    assert lines[-1].endswith("SIP/2.0")


def test_wrap_text_single_character_wider_than_line():
    assert wrap_text("WWW", 1, 11) == ["W", "W", "W"]
    assert wrap_text("a b", 0, 11) == ["a", "b"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from([*"abcWM日 .;@/,:=\n", "ß", "→", "\u0301"]),
        max_size=80,
    ),
    max_width=st.floats(min_value=1, max_value=300),
    size=st.sampled_from([8, 11, 14.5]),
    bold=st.booleans(),
)
def test_wrap_text_never_exceeds_max_width(text, max_width, size, bold):
    lines = wrap_text(text, max_width, size, bold=bold)
    assert lines
    for line in lines:
        assert text_width(line, size, bold=bold) <= max_width + 1e-6 or len(line) == 1
    # nothing but spaces is lost or added, and the order is kept
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert len(lines) >= text.count("\n") + 1


# --- wrap_chars -----------------------------------------------------------------------


def test_wrap_chars():
    assert wrap_chars("", 40) == [""]
    assert wrap_chars("short", 40) == ["short"]
    assert wrap_chars("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap_chars("abcdefghij", 3) == ["abc", "def", "ghi", "j"]
    assert wrap_chars("x abcdefgh y", 4) == ["x", "abcd", "efgh", "y"]
    assert wrap_chars("one\ntwo three", 5) == ["one", "two", "three"]
    text = "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
    lines = wrap_chars(text, 40)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0] == "Via: SIP/2.0/UDP"
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    with pytest.raises(ValueError):
        wrap_chars("abc", 0)


# --- the committed table ---------------------------------------------------------------


def test_table_is_what_the_generator_produces(tmp_path):
    if importlib.util.find_spec("fontTools") is None:
        pytest.skip("fontTools not installed (pip install fonttools) to regenerate the table")
    missing = [f for f in FONTS if not (FONT_DIR / f).is_file()]
    if missing:
        pytest.skip(f"DejaVu fonts not found in {FONT_DIR} (fonts-dejavu-core): {missing}")
    out = tmp_path / "widths.json"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--font-dir", str(FONT_DIR), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == TABLE.read_bytes(), "run scripts/gen_textwidth.py and commit"


def test_table_size():
    assert TABLE.stat().st_size < 150_000
