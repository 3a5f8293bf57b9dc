"""Broken FDL inputs: the exact code, ``file:line:col``, message and caret of each error.

fdl.md section 8: every error names file, line and column, says what was expected in
words, quotes the line with a caret under the spot; an unclosed ``{`` is reported at the
end of the file with a note at the brace; included files report their own path and an
"included from" chain; the parser recovers and reports several errors in one run.
Every test runs with both parser flavours (pure Python Lark and lark-cython).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callflow.diagnostics import Severity
from callflow.fdl import ParseResult, parse_file, parse_text
from callflow.fdl.parser import MAX_SYNTAX_ERRORS, _load_cython
from callflow.report.text_report import TextReporter, caret_lines

FILE = "flow.fdl"
HEAD = 'eternal: A, B, MRFP\nfeature "f" {\n'  # statements start on line 3


@pytest.fixture(params=["python", "cython"], autouse=True)
def flavour(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setenv("CALLFLOW_NO_CYTHON", "1")
    else:
        if _load_cython() is None:
            pytest.skip("lark-cython is not installed")
        monkeypatch.delenv("CALLFLOW_NO_CYTHON", raising=False)
    return str(request.param)


def parse(text: str) -> ParseResult:
    result = parse_text(text, FILE)
    assert not result.ok
    return result


def rendered(result: ParseResult) -> list[str]:
    return TextReporter().render(result.diagnostics).splitlines()


def in_feature(*statements: str) -> str:
    return HEAD + "".join(s + "\n" for s in statements) + "}\n"


# --------------------------------------------------------------------------- syntax


def test_message_without_colon() -> None:
    result = parse(in_feature("    180 Ringing B -> A"))
    assert result.flow is None
    assert rendered(result) == [
        "flow.fdl:3:19: error FDL101 syntax.unexpected: a message needs ':' and a "
        "'from -> to' part (NAME(params) : A -> B); found '->'",
        "        180 Ringing B -> A",
        "                      ^",
    ]


def test_unterminated_string_is_reported_where_it_starts() -> None:
    result = parse(in_feature('    A takes action "never closed', "    INVITE : A -> B"))
    (diag,) = result.diagnostics
    assert (diag.code, diag.name) == ("FDL103", "syntax.unterminated-string")
    assert (diag.loc.file, diag.loc.line, diag.loc.col) == (FILE, 3, 20)
    assert rendered(result) == [
        "flow.fdl:3:20: error FDL103 syntax.unterminated-string: unterminated string: "
        "a string must end with '\"' on the same line",
        '        A takes action "never closed',
        "                       ^",
    ]


def test_unterminated_remark() -> None:
    result = parse(in_feature("    INVITE : A -> B (* never closed"))
    assert rendered(result) == [
        "flow.fdl:3:21: error FDL103 syntax.unterminated-remark: unterminated remark: "
        "'(*' has no closing '*)'",
        "        INVITE : A -> B (* never closed",
        "                        ^",
    ]


def test_missing_closing_brace_is_reported_at_the_end_with_a_note() -> None:
    result = parse(HEAD + "    INVITE : A -> B\n    BYE : A -> B   // last line\n\n")
    (diag,) = result.diagnostics
    assert diag.code == "FDL104"
    (note,) = diag.notes
    assert note.severity is Severity.NOTE
    assert (note.loc.line, note.loc.col) == (2, 13)
    assert rendered(result) == [
        "flow.fdl:4:17: error FDL104 syntax.unclosed-brace: the file ends before '}' closes "
        "the block opened at line 2",
        "        BYE : A -> B   // last line",
        "                    ^",
        "flow.fdl:2:13: note: '{' opened here",
        '    feature "f" {',
        "                ^",
    ]


def test_missing_closing_brace_before_the_next_feature() -> None:
    result = parse(
        HEAD + "    INVITE : A -> B\n" + 'feature "g" {\n' + "    BYE : A -> B\n" + "}\n"
    )
    assert rendered(result) == [
        "flow.fdl:4:1: error FDL104 syntax.unclosed-brace: a feature cannot start inside a "
        "block: '}' is missing before this line to close the block opened at line 2",
        '    feature "g" {',
        "    ^",
        "flow.fdl:2:13: note: '{' opened here",
        '    feature "f" {',
        "                ^",
    ]


def test_missing_closing_brace_of_a_nested_sequence() -> None:
    result = parse(
        in_feature(
            '    sequence "s" {',
            "        INVITE : A -> B",
            "    case {",
            '        leg "x": BYE : A -> B',
            "    }",
        )
    )
    (diag,) = result.diagnostics
    assert diag.code == "FDL104"
    assert (diag.loc.line, diag.loc.col) == (8, 2)
    # the two '}' close the case and the sequence: the feature's '{' is the one left open
    assert (diag.notes[0].loc.line, diag.notes[0].loc.col) == (2, 13)


def test_keyword_as_entity_name() -> None:
    result = parse("eternal: A, media\n")
    assert result.flow is not None  # a reserved word is reported, the flow still builds
    assert rendered(result) == [
        "flow.fdl:1:13: error FDL106 syntax.reserved-word: 'media' is a reserved keyword "
        "and cannot be used as a name",
        "    eternal: A, media",
        "                ^~~~~",
    ]


def test_keyword_as_message_name_or_receiver() -> None:
    result = parse(in_feature("    state : A -> B", "    INVITE : A -> timer"))
    assert [(d.code, d.loc.line, d.loc.col) for d in result.diagnostics] == [
        ("FDL106", 3, 5),
        ("FDL106", 4, 19),
    ]


def test_keywords_are_whole_words_in_errors() -> None:
    result = parse("eternal: A inB\n")
    assert rendered(result) == [
        "flow.fdl:1:12: error FDL101 syntax.unexpected: expected ',', '[', 'in', a string in "
        "double quotes (\"...\") or the end of the line; found 'inB'",
        "    eternal: A inB",
        "               ^",
    ]
    result = parse(in_feature('    A stateful "x"'))
    (diag,) = result.diagnostics
    assert (diag.loc.line, diag.loc.col) == (3, 7)
    assert diag.message.endswith("found 'stateful'")


@pytest.mark.parametrize("duration", ["30", "5h"])
def test_timer_duration_without_unit(duration: str) -> None:
    result = parse(in_feature(f"    A starts timer T_answer {duration}"))
    assert rendered(result) == [
        "flow.fdl:3:29: error FDL101 syntax.unexpected: a duration needs a unit: ms, s or m "
        f"(500ms, 32s, 2m); found '{duration}'",
        f"        A starts timer T_answer {duration}",
        "                                ^",
    ]


def test_lost_arrow_glued_to_a_name() -> None:
    result = parse(in_feature("    INVITE : A -xray"))
    assert rendered(result) == [
        "flow.fdl:3:16: error FDL101 syntax.unexpected: expected '->' (or '-x' for a lost "
        "message) between the sender and the receiver; found '-xray'",
        "        INVITE : A -xray",
        "                   ^",
    ]


def test_bad_status_code() -> None:
    result = parse(in_feature("    20 OK : B -> A"))
    assert rendered(result) == [
        "flow.fdl:3:5: error FDL105 syntax.bad-status-code: a status code has three digits, "
        "not '20'",
        "        20 OK : B -> A",
        "        ^~",
    ]


def test_media_arrow_expected() -> None:
    result = parse(in_feature("    media A -> B"))
    assert rendered(result) == [
        "flow.fdl:3:13: error FDL101 syntax.unexpected: expected '<->' between the two media "
        "endpoints (media A <-> B); found '->'",
        "        media A -> B",
        "                ^",
    ]


def test_param_error_lists_only_what_fits_inside_parentheses() -> None:
    result = parse(in_feature("    INVITE(Call-ID=c1 sdp=offer) : A -> B"))
    assert rendered(result) == [
        "flow.fdl:3:23: error FDL101 syntax.unexpected: expected ')', ',' or the end of the "
        "line; found 'sdp'",
        "        INVITE(Call-ID=c1 sdp=offer) : A -> B",
        "                          ^",
    ]


def test_statement_outside_a_feature() -> None:
    result = parse("eternal: A, B\nINVITE : A -> B\n")
    assert rendered(result) == [
        "flow.fdl:2:1: error FDL101 syntax.unexpected: expected a declaration (system:, "
        "subsystem:, module:, eternal:, dynamic:), title, option, remark, feature or case; "
        "found 'INVITE' (statements go inside a feature \"name\" { ... })",
        "    INVITE : A -> B",
        "    ^",
    ]


def test_unexpected_character() -> None:
    # (`;` was the stray character here until it became EventStudio's statement separator)
    result = parse(in_feature("    INVITE : A -> B $ BYE : A -> B"))
    (diag,) = result.diagnostics
    assert (diag.code, diag.loc.line, diag.loc.col) == ("FDL102", 3, 21)
    assert diag.message.endswith("found '$'")
    assert caret_lines(diag.source_line or "", diag.loc.col) == [
        "        INVITE : A -> B $ BYE : A -> B",
        "                        ^",
    ]


def test_tab_indented_line_keeps_the_caret_aligned() -> None:
    # (`=>` was the broken arrow here until it became EventStudio's bold arrow)
    result = parse(in_feature("\tINVITE : A ~> B"))
    assert rendered(result)[1:] == ["    \tINVITE : A ~> B", "    \t           ^"]


# --------------------------------------------------------------------------- semantic


def test_unknown_option() -> None:
    result = parse("option colour = dark\n")
    assert result.flow is not None
    assert rendered(result) == [
        "flow.fdl:1:1: error FDL304 semantic.unknown-option: unknown option 'colour' "
        "(known: numbering, remarks, theme, wrap)",
        "    option colour = dark",
        "    ^~~~~~~~~~~~~~~~~~~~",
    ]


def test_bad_option_value() -> None:
    result = parse("option numbering = maybe\n")
    (diag,) = result.diagnostics
    assert (diag.code, diag.loc.line, diag.loc.col) == ("FDL304", 1, 1)
    assert diag.message == "option numbering takes on or off, not 'maybe'"


def test_unknown_role() -> None:
    result = parse("eternal: A [role=ue], B [role=server]\n")
    assert rendered(result) == [
        "flow.fdl:1:26: error FDL305 semantic.bad-attribute: unknown role 'server' "
        "(known: ue, proxy, registrar, focus, as, b2bua, mgc, mg, other)",
        "    eternal: A [role=ue], B [role=server]",
        "                             ^~~~~~~~~~~",
    ]


def test_duplicate_entity() -> None:
    result = parse('eternal: A, B\neternal: A "Again"\n')
    assert rendered(result) == [
        "flow.fdl:2:10: error FDL301 semantic.duplicate-name: 'A' is declared twice "
        "(first at flow.fdl:1)",
        '    eternal: A "Again"',
        "             ^~~~~~~~~",
    ]


def test_duplicate_title_uses_the_same_name_as_other_duplicates() -> None:
    result = parse('title "one"\ntitle "two"\n')
    (diag,) = result.diagnostics
    assert (diag.code, diag.name) == ("FDL301", "semantic.duplicate-name")
    assert (diag.loc.line, diag.loc.col) == (2, 1)


def test_subsystem_whose_parent_is_a_subsystem() -> None:
    result = parse("system: Net\nsubsystem: Core in Net, Edge in Core\n")
    assert rendered(result) == [
        "flow.fdl:2:25: error FDL302 semantic.parent-level: a subsystem's parent must be a "
        "system, but 'Core' is a subsystem",
        "    subsystem: Core in Net, Edge in Core",
        "                            ^~~~~~~~~~~~",
    ]


def test_sip_multicast() -> None:
    result = parse(
        in_feature(
            "    Notify(protocol=h248) : MRFP -> A, B", "    INVITE(Call-ID=c1) : A -> B, MRFP"
        )
    )
    assert rendered(result) == [
        "flow.fdl:4:5: error FDL303 semantic.sip-multicast: 'INVITE' is a SIP message and goes "
        "to one receiver; write one statement per hop",
        "        INVITE(Call-ID=c1) : A -> B, MRFP",
        "        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
    ]


def test_misplaced_file_level_remark() -> None:
    result = parse(HEAD + "}\n" + 'remark "too late"\n')
    (diag,) = result.diagnostics
    assert (diag.code, diag.loc.line, diag.loc.col) == ("FDL309", 4, 1)


# --------------------------------------------------------------------------- includes


def test_error_inside_an_included_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "main.fdl").write_text(
        'eternal: A, B\n\n#include "parts/setup.fdl"\n', encoding="utf-8"
    )
    (tmp_path / "parts" / "setup.fdl").write_text('#include "body.fdl"\n', encoding="utf-8")
    (tmp_path / "parts" / "body.fdl").write_text(
        'feature "Setup" {\n    INVITE : A -> B\n    180 Ringing B -> A\n}\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = parse_file("main.fdl")
    assert result.flow is None
    (diag,) = result.diagnostics
    assert diag.loc.file == "parts/body.fdl"
    assert [(i.file, i.line, i.col) for i in diag.loc.included_from] == [
        ("parts/setup.fdl", 1, 1),
        ("main.fdl", 3, 1),
    ]
    assert rendered(result) == [
        "parts/body.fdl:3:19: error FDL101 syntax.unexpected: a message needs ':' and a "
        "'from -> to' part (NAME(params) : A -> B); found '->'",
        "        180 Ringing B -> A",
        "                      ^",
        "    included from parts/setup.fdl:1:1",
        "    included from main.fdl:3:1",
    ]


def test_semantic_error_inside_an_included_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "arch.fdl").write_text("eternal: A [role=server]\n", encoding="utf-8")
    (tmp_path / "main.fdl").write_text('#include "arch.fdl"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert rendered(parse_file("main.fdl")) == [
        "arch.fdl:1:13: error FDL305 semantic.bad-attribute: unknown role 'server' "
        "(known: ue, proxy, registrar, focus, as, b2bua, mgc, mg, other)",
        "    eternal: A [role=server]",
        "                ^~~~~~~~~~~",
        "    included from main.fdl:1:1",
    ]


# --------------------------------------------------------------------------- recovery


def test_several_errors_in_one_run() -> None:
    result = parse(
        in_feature(
            "    INVITE : A B",
            "    180 Ringing B -> A",
            "    A starts timer T1 30",
            '    remark "unterminated',
            "    INVITE(Call-ID=c1,",
            "           sdp offer) : A -> B",
            "    200 OK : B -x",
            "    BYE : A -> B",
        )
    )
    assert result.flow is None
    assert [(d.code, d.loc.line, d.loc.col) for d in result.diagnostics] == [
        ("FDL101", 3, 16),
        ("FDL101", 4, 19),
        ("FDL101", 5, 23),
        ("FDL103", 6, 12),
        ("FDL101", 8, 16),
        ("FDL101", 9, 18),
    ]
    assert result.diagnostics[4].message == (
        "expected ')', ',', '=' or the end of the line; found 'offer'"
    )
    assert result.diagnostics[5].message == "expected a name; found the end of the line"


def test_recovery_stops_at_the_cap() -> None:
    result = parse(in_feature(*["    x y z"] * (MAX_SYNTAX_ERRORS + 5)))
    assert len(result.diagnostics) == MAX_SYNTAX_ERRORS
    assert [d.loc.line for d in result.diagnostics] == list(range(3, 3 + MAX_SYNTAX_ERRORS))


def test_builder_errors_and_semantic_errors_together() -> None:
    result = parse("eternal: A, A [role=x]\n" + 'feature "f" {\n    1000 Big : A -> A\n}\n')
    assert [(d.code, d.loc.line, d.loc.col) for d in result.diagnostics] == [
        ("FDL301", 1, 13),
        ("FDL305", 1, 16),
        ("FDL105", 3, 5),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "}",
        "((((",
        '"',
        "(*",
        "*)",
        "feature",
        "case {",
        "eternal:",
        "eternal: A,\n,\n",
        "\x00",
        "/* never closed",
        "#ifdef X\n",
        '#include "missing.fdl"\n',
        'feature "f" {\n  INVITE(a=b,\n  : A -> B\n}\n',
        "eternal: A [role=]\n",
        'feature "f" {\n' + '  sequence "s" {\n' * 200,
        'feature "f" {\n  case {\n  leg "a":\n  }\n  media stop A -> B\n',
        "\ufeffeternal: A\r\n\t@@@ \u2603 \x7f\n",
        "-x -> <-> : , [ ] ( ) = 200 OK 1ms\n" * 3,
    ],
)
def test_a_parse_error_never_raises(text: str) -> None:
    result = parse_text(text, FILE)  # must not raise
    assert result.flow is None or result.diagnostics
    assert result.diagnostics
    assert all(d.is_error for d in result.diagnostics)
    assert all(
        d.loc.file == FILE and d.loc.line >= 1 and d.loc.col >= 1 for d in result.diagnostics
    )
    TextReporter().render(result.diagnostics)
