"""The JSON-with-comments reader of project.scn.json: values, positions, worded errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callflow.project import JsonError, parse_json


def test_comments_and_trailing_commas() -> None:
    text = """{
  /* Specify the scenarios
     (EventStudio's template has comments like this) */
  "scenarios": [
    // a line comment
    {"modelPath": "model/a.FDL", "scenarioName": "A",},
  ],
}"""
    assert parse_json(text).plain() == {
        "scenarios": [{"modelPath": "model/a.FDL", "scenarioName": "A"}]
    }


def test_comment_markers_inside_strings_are_text() -> None:
    assert parse_json('{"a": "x // y /* z */"}').plain() == {"a": "x // y /* z */"}


def test_positions_are_one_based_with_exclusive_ends() -> None:
    root = parse_json('{\n  "name": "Login",\n  "n": [1, 2.5, true, null]\n}')
    (key, value), (_, numbers) = root.members()
    assert (key.line, key.col, key.end_col) == (2, 3, 9)
    assert (value.line, value.col, value.end_col) == (2, 11, 18)
    assert [item.value for item in numbers.items()] == [1, 2.5, True, None]
    assert numbers.items()[1].col == 12


def test_escapes_and_unicode() -> None:
    text = r'{"path": "model\\a.FDL", "u": "\u00e9\ud83d\ude00", "t": "a\tb\"c\/"}'
    assert parse_json(text).plain() == {"path": "model\\a.FDL", "u": "é😀", "t": 'a\tb"c/'}


def test_duplicate_keys_are_kept_in_order() -> None:
    root = parse_json('{"a": 1, "a": 2}')
    assert [(k.value, v.value) for k, v in root.members()] == [("a", 1), ("a", 2)]


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ('{"a": 1 "b": 2}', 1, 9, "(a ',' is missing?)"),
        ('{\n  "a": [1 2]\n}', 2, 11, "after an array item"),
        ("{'a': 1}", 1, 2, "single quote"),
        ("", 1, 1, "the file is empty"),
        ('{"a": "open\n}', 1, 7, "not closed"),
        ("{} /* never closed", 1, 4, "never closed"),
        ('{"a": tru}', 1, 7, "found 'tru'"),
        ('{"a": 1} extra', 1, 10, "end of the file"),
        ('{"a": "C:\\model"}', 1, 10, "unknown escape"),
        ('{"a" 1}', 1, 6, "expected ':' after the key \"a\""),
        ('{"a": [1,', 1, 10, "found the end of the file"),
        ('{"a": "x\ty"}', 1, 9, "control character"),
    ],
)
def test_errors_are_located_and_worded(text: str, line: int, col: int, words: str) -> None:
    with pytest.raises(JsonError) as caught:
        parse_json(text)
    assert (caught.value.line, caught.value.col) == (line, col), caught.value.message
    assert words in caught.value.message


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(JsonError, match="nested"):
        parse_json("[" * 5000 + "]" * 5000)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_json_values)
def test_reads_what_the_json_module_writes(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2, ensure_ascii=False)):
        assert parse_json(text).plain() == value


@given(st.text(max_size=40))
def test_never_raises_anything_but_json_error(text: str) -> None:
    try:
        parse_json(text)
    except JsonError as error:
        assert error.line >= 1 and error.col >= 1
