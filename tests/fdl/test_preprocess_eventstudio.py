"""The preprocessor features EventStudio projects use: include search path, function-like
macros, ``\\`` continuation, ``#if`` expressions, URLs in values, EventStudio remarks.

Every problem must come back as a located diagnostic; nothing here is timed.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from callflow.cli import FrontEnd, cli, load
from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl import parse_text
from callflow.fdl.preprocess import PreprocessedSource, preprocess_file, preprocess_text
from callflow.ir import SourceLocation


def run(text: str, **kwargs: object) -> PreprocessedSource:
    """Preprocess text that must produce no diagnostics."""
    source, diagnostics = preprocess_text(text, **kwargs)  # type: ignore[arg-type]
    assert diagnostics == [], [d.message for d in diagnostics]
    assert source is not None
    return source


def out_lines(source: PreprocessedSource) -> list[str]:
    lines = source.text[:-1].split("\n")
    assert len(lines) == len(source.origins)
    return lines


def kept(source: PreprocessedSource) -> list[str]:
    return [line.strip() for line in out_lines(source) if line.strip()]


def problems(text: str, **kwargs: object) -> tuple[PreprocessedSource, list[Diagnostic]]:
    source, diagnostics = preprocess_text(text, **kwargs)  # type: ignore[arg-type]
    assert source is not None
    return source, diagnostics


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def preprocess_ok(path: Path, **kwargs: object) -> PreprocessedSource:
    source, diagnostics = preprocess_file(path, **kwargs)  # type: ignore[arg-type]
    assert diagnostics == [], [d.message for d in diagnostics]
    assert source is not None
    return source


# --------------------------------------------------------------------------- includes


def test_angle_include_is_found_through_an_include_dir(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "inc.FDL", "from lib\n")
    main = write(tmp_path / "project" / "main.fdl", "a\n#include <inc.FDL>\nb\n")
    source = preprocess_ok(main, include_dirs=[tmp_path / "lib"])
    assert out_lines(source) == ["a", "from lib", "b"]
    origin = source.origins[1]
    assert origin.file.endswith(os.path.join("lib", "inc.FDL"))
    assert [(loc.file, loc.line, loc.col) for loc in origin.included_from] == [(str(main), 2, 1)]


def test_angle_include_does_not_look_beside_the_including_file(tmp_path: Path) -> None:
    write(tmp_path / "inc.fdl", "beside\n")
    main = write(tmp_path / "main.fdl", "#include <inc.fdl>\n")
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert codes(diagnostics) == ["FDL204"]
    diag = diagnostics[0]
    assert "no include folder to look in" in diag.message
    assert "-I DIR" in diag.message
    assert (diag.loc.line, diag.loc.col, diag.loc.end_col) == (1, 10, 19)  # <inc.fdl>
    assert diag.source_line == "#include <inc.fdl>"


def test_quoted_include_falls_back_to_the_search_path(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "common.fdl", "common\n")
    main = write(tmp_path / "main.fdl", '#include "common.fdl"\n')
    assert out_lines(preprocess_ok(main, include_dirs=[tmp_path / "lib"])) == ["common"]


def test_quoted_include_prefers_the_including_folder(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "common.fdl", "from lib\n")
    write(tmp_path / "sub" / "common.fdl", "beside sub/inner.fdl\n")
    write(tmp_path / "sub" / "inner.fdl", '#include "common.fdl"\n')
    main = write(tmp_path / "main.fdl", '#include "sub/inner.fdl"\n#include <common.fdl>\n')
    source = preprocess_ok(main, include_dirs=[tmp_path / "lib"])
    assert out_lines(source) == ["beside sub/inner.fdl", "from lib"]


def test_include_folder_beside_the_main_file_is_searched_by_default(tmp_path: Path) -> None:
    write(tmp_path / "include" / "inc.FDL", "from include/\n")
    write(tmp_path / "include" / "nested.FDL", "#include <inc.FDL>\n")
    write(tmp_path / "models" / "model.fdl", '#include "nested.FDL"\n')
    main = write(tmp_path / "main.fdl", '#include <inc.FDL>\n#include "models/model.fdl"\n')
    source = preprocess_ok(main)
    assert out_lines(source) == ["from include/", "from include/"]
    # a model elsewhere finds include/ beside itself, not beside the working directory
    model = preprocess_ok(tmp_path / "include" / "nested.FDL", include_dirs=[tmp_path / "include"])
    assert out_lines(model) == ["from include/"]


def test_include_dirs_come_before_the_default_include_folder(tmp_path: Path) -> None:
    write(tmp_path / "include" / "inc.fdl", "default\n")
    write(tmp_path / "override" / "inc.fdl", "override\n")
    main = write(tmp_path / "main.fdl", "#include <inc.fdl>\n")
    assert out_lines(preprocess_ok(main)) == ["default"]
    assert out_lines(preprocess_ok(main, include_dirs=[tmp_path / "override"])) == ["override"]


def test_include_dir_outside_the_root_is_allowed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write(shared / "defs.fdl", '#include "more/extra.fdl"\ndefs\n')
    write(shared / "more" / "extra.fdl", "extra\n")
    write(shared / "more" / "escape.fdl", '#include "../../secret.fdl"\n')
    write(tmp_path / "secret.fdl", "secret\n")
    main = write(tmp_path / "project" / "main.fdl", "#include <defs.fdl>\n")
    source = preprocess_ok(main, root=tmp_path / "project", include_dirs=[shared])
    assert out_lines(source) == ["extra", "defs"]
    # without -I the same folder is outside the root
    leaving = write(tmp_path / "project" / "leave.fdl", '#include "../shared/defs.fdl"\n')
    _, diagnostics = preprocess_file(leaving)
    assert codes(diagnostics) == ["FDL206"]
    # still, an -I folder is a root, not a licence to leave it
    escaping = write(tmp_path / "project" / "escape.fdl", "#include <more/escape.fdl>\n")
    _, diagnostics = preprocess_file(escaping, include_dirs=[shared])
    assert codes(diagnostics) == ["FDL206"]
    diag = diagnostics[0]
    assert "outside the project root" in diag.message
    assert str(shared) in diag.message and "-I" in diag.message
    assert diag.loc.included_from[0].file == str(escaping)


def test_missing_include_reports_every_folder_looked_in(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "include").mkdir()
    main = write(tmp_path / "main.fdl", 'x\n#include "gone.fdl"\n#include <gone.fdl>\ny\n')
    source, diagnostics = preprocess_file(main, include_dirs=[tmp_path / "a", tmp_path / "b"])
    assert source is not None
    assert codes(diagnostics) == ["FDL204", "FDL204"]
    folders = [str(tmp_path / name) for name in ("a", "b", "include")]
    quoted, angle = diagnostics
    assert quoted.message == (
        f'cannot include "gone.fdl": no such file (looked in {tmp_path}, {", ".join(folders)})'
    )
    assert (
        angle.message == f"cannot include <gone.fdl>: no such file (looked in {', '.join(folders)})"
    )
    assert (quoted.loc.line, angle.loc.line) == (2, 3)
    assert out_lines(source) == ["x", "", "", "y"]


def test_include_with_another_letter_case_is_used_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "include" / "Common.fdl", "common\n")
    if (tmp_path / "include" / "common.FDL").exists():
        pytest.skip("the file system ignores letter case")
    main = write(tmp_path / "main.fdl", '#include <common.FDL>\n#include "INCLUDE/COMMON.FDL"\n')
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert out_lines(source) == ["common", "common"]
    assert codes(diagnostics) == ["FDL209", "FDL209"]
    warning = diagnostics[0]
    assert warning.severity is Severity.WARNING
    assert warning.name == "include.case-mismatch"
    assert "<common.FDL>" in warning.message and "Common.fdl" in warning.message
    assert warning.loc.line == 1
    # a warning does not stop the flow from parsing
    flow = write(tmp_path / "flow.fdl", "eternal: A, B\n#include <common.FDL>\n")
    write(tmp_path / "include" / "Common.fdl", 'feature "f" {\n  Ping : A -> B\n}\n')
    result = parse_text(flow.read_text(), str(flow))
    assert result.ok, result.diagnostics
    assert [d.code for d in result.diagnostics] == ["FDL209"]


def test_angle_includes_keep_cycles_and_chains(tmp_path: Path) -> None:
    write(tmp_path / "include" / "a.fdl", "#include <b.fdl>\n")
    write(tmp_path / "include" / "b.fdl", "b1\n#include <a.fdl>\n")
    main = write(tmp_path / "main.fdl", "#include <a.fdl>\n")
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert codes(diagnostics) == ["FDL205"]
    diag = diagnostics[0]
    assert diag.loc.line == 2 and diag.loc.file.endswith("b.fdl")
    assert [loc.file.rsplit(os.sep, 1)[-1] for loc in diag.loc.included_from] == [
        "a.fdl",
        "main.fdl",
    ]
    assert "a.fdl includes" in diag.message


def test_malformed_angle_include(tmp_path: Path) -> None:
    main = write(tmp_path / "main.fdl", "#include <>\n#include <a.fdl\n#include <a> b\n")
    _, diagnostics = preprocess_file(main)
    assert codes(diagnostics) == ["FDL208"] * 3
    assert all("angle brackets" in d.message for d in diagnostics)


def test_include_dir_option_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "cast.fdl", "eternal: A [role=ue], B [role=ue]\n")
    main = write(
        tmp_path / "main.fdl",
        '#include <cast.fdl>\nfeature "f" {\n    OPTIONS : A -> B\n    200 OK : B -> A\n}\n',
    )
    runner = CliRunner()
    found = runner.invoke(cli, ["check", "-I", str(tmp_path / "lib"), str(main)])
    assert found.exit_code == 0, found.output
    longer = runner.invoke(cli, ["check", "--include-dir", str(tmp_path / "lib"), str(main)])
    assert longer.exit_code == 0, longer.output
    missing = runner.invoke(cli, ["check", str(main)])
    assert missing.exit_code == 2
    assert "FDL204" in missing.output and "-I DIR" in missing.output
    loaded = load(str(main), FrontEnd((), None, 1 << 20, 10, None, (str(tmp_path / "lib"),)))
    assert not loaded.fatal and loaded.diagnostics == []


# --------------------------------------------------------------------------- function-like macros


def test_function_macro_with_nested_parentheses_and_strings_in_arguments() -> None:
    text = (
        '#define CALL(from, to, what) what(x="from, to") : from -> to (* from calls to *)\n'
        'CALL(UE_A, P(1, (2)), INVITE(sdp=offer, h="a, (b"))\n'
        "CALL( A , B , C ) CALL(X, Y, (* remark, with ) a comma *) Z)\n"
    )
    lines = out_lines(run(text))
    # EventStudio replaces parameters inside strings and remarks too (see
    # test_parameters_inside_strings_and_remarks_as_eventstudio_does)
    assert lines[1] == (
        'INVITE(sdp=offer, h="a, (b")(x="UE_A, P(1, (2))") : UE_A -> P(1, (2)) '
        "(* UE_A calls P(1, (2)) *)"
    )
    assert lines[2] == (
        'C(x="A, B") : A -> B (* A calls B *) '
        '(* remark, with ) a comma *) Z(x="X, Y") : X -> Y (* X calls Y *)'
    )


def test_function_macro_result_is_rescanned_but_never_inside_itself() -> None:
    text = (
        "#define WRAP(x) [x] LOOP(x)\n"
        "#define LOOP(y) <y> WRAP(y)\n"
        "#define PEER Bob\n"
        "#define TWICE(a) a a PEER\n"
        "WRAP(1)\n"
        "TWICE(TWICE(2))\n"
        "TWICE(PEER)\n"
    )
    lines = out_lines(run(text))
    assert lines[4] == "[1] <1> WRAP(1)"  # LOOP expanded, WRAP not again inside itself
    assert lines[5] == "2 2 Bob 2 2 Bob Bob"  # the argument is expanded first, as in C
    assert lines[6] == "Bob Bob Bob"


def test_function_macro_name_without_parentheses_is_left_alone() -> None:
    text = '#define F(x) <x>\n#define E() empty\nF F (* F(1) *) "F(2)" F (1) E() E ( )\n'
    assert out_lines(run(text))[2] == 'F F (* F(1) *) "F(2)" <1> empty empty'


def test_parameters_are_replaced_as_whole_words() -> None:
    text = (
        '#define M(a, ID) a ab a_b ID Call-ID "a ID" (* a *) ID-x a\n'
        "M(one, two)\n"
        "#define N(x) A -x x\n"
        "N(B)\n"
    )
    lines = out_lines(run(text))
    assert lines[1] == 'one ab a_b two Call-ID "one two" (* one *) two-x one'
    assert lines[3] == "A -x B"  # the x of the lost-message arrow is not the parameter


def test_function_macro_columns_map_back_to_the_use() -> None:
    text = '#define MSG(a, b) INVITE : a -> b\nx MSG(Alice, "Bob") y\n'
    source = run(text)
    line = out_lines(source)[1]
    assert line == 'x INVITE : Alice -> "Bob" y'
    src = text.split("\n")[1]
    use = src.index("MSG") + 1
    after = src.index(")") + 2  # just after the call
    inside = source.locate(2, line.index("Alice") + 1, 2, line.index("Alice") + 6)
    assert (inside.col, inside.end_col) == (use, after)  # the whole call
    tail = source.locate(2, line.rindex("y") + 1)
    assert tail.col == src.rindex("y") + 1
    assert source.locate(2, 1).col == 1


def test_wrong_argument_count_is_a_located_error() -> None:
    text = (
        "#define PAIR(a, b) a b\n"
        "ok PAIR(1)\n"
        "  PAIR(1, 2, 3) after\n"
        "PAIR\n"
        "#define NONE() x\n"
        "NONE(1)\n"
    )
    source, diagnostics = problems(text, filename="f.fdl")
    assert codes(diagnostics) == ["FDL208", "FDL208", "FDL208"]
    first, second, third = diagnostics
    assert first.message == "macro PAIR(a, b) takes 2 arguments, given 1"
    assert (first.loc.file, first.loc.line, first.loc.col, first.loc.end_col) == ("f.fdl", 2, 4, 11)
    assert first.source_line == "ok PAIR(1)"
    assert (second.loc.line, second.loc.col, second.loc.end_col) == (3, 3, 16)
    assert third.message == "macro NONE() takes 0 arguments, given 1"
    assert out_lines(source)[3] == "PAIR"


def test_unclosed_and_nested_bad_calls_are_located() -> None:
    text = "#define ONE(a) [a]\n#define USE(x) ONE(x, x)\nONE(1\n  USE(2) ok ONE(3)\n"
    _, diagnostics = problems(text)
    assert codes(diagnostics) == ["FDL208", "FDL208"]
    unclosed, nested = diagnostics
    assert "do not close on this line" in unclosed.message
    assert (unclosed.loc.line, unclosed.loc.col) == (3, 1)
    assert nested.message == "in the expansion of USE: macro ONE(a) takes 1 argument, given 2"
    assert (nested.loc.line, nested.loc.col, nested.loc.end_col) == (4, 3, 9)


def test_malformed_function_like_defines() -> None:
    text = (
        "#define A(x\n"
        "#define B(x,) x\n"
        "#define C(x, x) x\n"
        "#define D(1) x\n"
        "#define E((x)) x\n"
        "#define F(x)x\n"
        "F(1)\n"
    )
    source, diagnostics = problems(text)
    assert codes(diagnostics) == ["FDL208"] * 5
    assert [d.loc.line for d in diagnostics] == [1, 2, 3, 4, 5]
    assert "closing ')'" in diagnostics[0].message
    assert "parameter is missing" in diagnostics[1].message
    assert "appears twice" in diagnostics[2].message
    assert "'1' is not a valid parameter name" in diagnostics[3].message
    assert out_lines(source)[6] == "1"  # no blank needed between ')' and the value


def test_runaway_expansion_is_an_error_not_a_hang() -> None:
    doubling = "#define F0(x) x x\n" + "".join(
        f"#define F{i}(x) F{i - 1}(x) F{i - 1}(x)\n" for i in range(1, 30)
    )
    _, diagnostics = problems(doubling + "F29(a)\n")
    assert codes(diagnostics) == ["FDL208"]
    assert "expand too much" in diagnostics[0].message
    nested = "#define F(x) x\n" + "F(" * 500 + ")" * 500 + "\n"
    _, diagnostics = problems(nested)
    assert codes(diagnostics) == ["FDL208"]
    assert "nested too deeply" in diagnostics[0].message


# --------------------------------------------------------------------------- continuation


def test_continued_define_keeps_later_line_numbers_exact() -> None:
    text = (
        "#define SETUP(a, b) \\\n"
        "    INVITE : a -> b \\\n"
        "    (* a calls b *)\n"
        "SETUP(A, B)\n"
        "#define NAME first \\\n"
        "second\n"
        "NAME SETUP(A)\n"
    )
    source, diagnostics = problems(text, filename="f.fdl")
    lines = out_lines(source)
    assert len(lines) == 7
    assert lines[:3] == ["", "", ""]  # the directive and its continued lines read as empty
    assert lines[3] == "INVITE : A -> B (* A calls B *)"
    assert [o.line for o in source.origins] == [1, 2, 3, 4, 5, 6, 7]
    # the error after the macros is on the line the user wrote it on
    assert codes(diagnostics) == ["FDL208"]
    assert (diagnostics[0].loc.line, diagnostics[0].loc.col) == (7, 6)
    assert diagnostics[0].source_line == "NAME SETUP(A)"


def test_continued_define_then_a_syntax_error_reports_the_right_line() -> None:
    text = (
        "eternal: A, B\n"
        "#define PING(a, b) \\\n"
        "   Ping : a -> b\n"
        'feature "f" {\n'
        "    PING(A, B)\n"
        "    Pong : A ->\n"
        "}\n"
    )
    result = parse_text(text, "f.fdl")
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors, result.diagnostics
    assert errors[0].loc.line == 6
    assert errors[0].source_line == "    Pong : A ->"


def test_continuation_in_conditionals_and_error_columns_on_a_later_line() -> None:
    text = "#if defined(A) && \\\n    B >= 2\nyes\n#endif\n#if 1 && \\\n   (2 +\n#endif\n"
    source, diagnostics = problems(text, defines={"A": "", "B": "3"})
    assert kept(source) == ["yes"]
    assert codes(diagnostics) == ["FDL208"]
    diag = diagnostics[0]
    assert (diag.loc.line, diag.loc.col) == (6, 7)  # the '+' on the continued line
    assert diag.source_line == "   (2 +"


def test_continuation_inside_a_skipped_branch_is_still_one_directive() -> None:
    text = "#ifdef NO\n#define X a \\\n#endif\n#endif\nafter\n"
    source = run(text)
    assert kept(source) == ["after"]


def test_backslash_at_the_end_of_a_normal_line_or_a_comment_is_kept() -> None:
    text = "#define A 1 // not continued \\\nA \\\nB\n"
    assert out_lines(run(text))[1:] == ["1 \\", "B"]


# --------------------------------------------------------------------------- #if expressions


CHAIN = (
    "#if defined(FAST) && !defined SLOW\n"
    "fast\n"
    "#elif VERSION >= 2 || (LEVEL == 3 && !(MODE != 1))\n"
    "new\n"
    "#elif defined(SLOW)\n"
    "slow\n"
    "#else\n"
    "other\n"
    "#endif\n"
)


@pytest.mark.parametrize(
    ("defines", "expected"),
    [
        ({"FAST": ""}, "fast"),
        ({"FAST": "", "SLOW": ""}, "slow"),
        ({"FAST": "", "SLOW": "", "VERSION": "2"}, "new"),
        ({"VERSION": "0x10"}, "new"),
        ({"LEVEL": "3", "MODE": "1"}, "new"),
        ({"LEVEL": "3", "MODE": "2"}, "other"),
        ({"LEVEL": "LVL", "LVL": "3", "MODE": "1"}, "new"),  # a value that names a macro
        ({"VERSION": "1"}, "other"),
        ({}, "other"),
    ],
)
def test_if_elif_else_chains(defines: dict[str, str], expected: str) -> None:
    assert kept(run(CHAIN, defines=defines)) == [expected]


def test_if_operators_and_precedence() -> None:
    cases = {
        "1 || 0 && 0": True,  # && binds tighter
        "!0 == 1": True,
        "2 < 3 == 1": True,  # relations bind tighter than ==
        "3 <= 3 && 4 >= 5": False,
        "UNDEFINED == 0": True,
        "FLAG": True,  # defined with an empty value, as -D FLAG
        "ZERO": False,
        "010 == 8": True,
        "defined(FLAG) != defined UNDEFINED": True,
    }
    text = "".join(f"#if {expr}\n{i}\n#endif\n" for i, expr in enumerate(cases))
    source = run(text, defines={"FLAG": "", "ZERO": "0"})
    assert kept(source) == [str(i) for i, truth in enumerate(cases.values()) if truth]


def test_if_inside_a_skipped_branch_is_not_evaluated() -> None:
    text = "#if 0\n#if ((broken\nx\n#elif +\n#endif\n#elif 1\ntaken\n#elif 1\nnot\n#endif\n"
    assert kept(run(text)) == ["taken"]


@pytest.mark.parametrize(
    ("expression", "col", "fragment"),
    [
        ("1 +", 7, "'+' is not allowed"),
        ("(1", 7, "expected ')', found the end of the line"),
        ("1 2", 7, "expected an operator"),
        ("defined(", 13, "a macro name after defined"),
        ("defined(X", 14, "')' after defined(X"),
        ("&& 1", 5, "expected a number"),
        ("12ab", 5, "'12ab' is not a number"),
        ("09", 5, "not an octal number"),
        ("BAD", 5, "BAD is defined as 'x y'"),
        ("FN", 5, "function-like macro"),
    ],
)
def test_malformed_if_expressions_are_located(expression: str, col: int, fragment: str) -> None:
    text = f"#define BAD x y\n#define FN(a) a\n#if {expression}\nx\n#endif\n"
    _, diagnostics = problems(text, filename="f.fdl")
    assert codes(diagnostics) == ["FDL208"]
    diag = diagnostics[0]
    assert (diag.loc.file, diag.loc.line, diag.loc.col) == ("f.fdl", 3, col)
    assert fragment in diag.message
    assert diag.source_line == f"#if {expression}"


def test_if_without_expression_and_deep_nesting() -> None:
    _, diagnostics = problems("#if\n#endif\n#if " + "(" * 300 + "1" + ")" * 300 + "\n#endif\n")
    assert codes(diagnostics) == ["FDL208", "FDL208"]
    assert "#if needs an expression" in diagnostics[0].message
    assert "nested too deeply" in diagnostics[1].message
    chain = "".join(f"#define A{i} A{i + 1}\n" for i in range(200)) + "#if A0\n#endif\n"
    _, diagnostics = problems(chain)
    assert codes(diagnostics) == ["FDL208"]
    assert "too deeply" in diagnostics[0].message


def test_elif_after_else_and_unmatched_elif_are_errors() -> None:
    source, diagnostics = problems(
        "#if 0\na\n#else\nb\n#elif 1\nc\n#endif\n#elif 1\n#ifdef X\n#elif\n#endif\n"
    )
    assert codes(diagnostics) == ["FDL207", "FDL207", "FDL208"]
    after_else, unmatched, empty = diagnostics
    assert after_else.loc.line == 5 and "#elif after the #else of the #if 0 at line 1" in (
        after_else.message
    )
    assert unmatched.loc.line == 8 and "without a matching #if" in unmatched.message
    assert empty.loc.line == 10 and "#elif needs an expression" in empty.message
    assert kept(source) == ["b"]


def test_unclosed_if_names_its_expression() -> None:
    _, diagnostics = problems("#if defined(A) || B\nx\n")
    assert codes(diagnostics) == ["FDL207"]
    assert (
        diagnostics[0].message == "#if defined(A) || B has no matching #endif (the file ends first)"
    )


# --------------------------------------------------------------------------- URLs


def test_url_in_a_define_value_is_not_a_comment() -> None:
    text = (
        "#define SITE https://example.com/x // the site\n"
        "#define BARE //only a comment\n"
        "#define TIGHT x//y\n"
        "#define SPACED x //gone\n"
        "SITE [BARE] TIGHT SPACED\n"
        "x https://example.com // a comment outside directives, as before\n"
    )
    lines = out_lines(run(text))
    assert lines[4] == "https://example.com/x [] x//y x"
    assert lines[5] == "x https:" + " " * (len(text.split("\n")[5]) - len("x https:"))


def test_link_in_angle_brackets_keeps_its_double_slash() -> None:
    text = "#define SITE example.org\nOpen : A -> B <https://SITE/x#y> // note\n"
    lines = out_lines(run(text))
    assert lines[1] == "Open : A -> B <https://example.org/x#y>" + " " * 8


# --------------------------------------------------------------------------- remarks


def test_percent_remark_passes_through_untouched() -> None:
    text = '#define ID c1\nPing : ID -> B % ID "unclosed // kept /* kept (* kept\nID after\n'
    source = run(text)
    lines = out_lines(source)
    assert lines[1] == 'Ping : c1 -> B % ID "unclosed // kept /* kept (* kept'
    assert lines[2] == "c1 after"  # the remark ended with its line: no comment was opened
    assert source.suppressions == ()


def test_bar_star_remark_spans_lines_untouched() -> None:
    text = '#define ID c1\nA |* ID "open // kept\n#define ID other\nstill ID *| ID // gone\n'
    lines = out_lines(run(text))
    assert lines[1] == 'A |* ID "open // kept'
    assert lines[2] == "#define ID other"  # inside a remark: text, not a directive
    assert lines[3] == "still ID *| c1" + " " * 8


def test_bar_equals_remark_spans_lines_untouched() -> None:
    text = '#define ID c1\n[x] |= ID % "\n(* ID // =| ID |= one line =| ID\n'
    lines = out_lines(run(text))
    assert lines[1] == '[x] |= ID % "'
    assert lines[2] == "(* ID // =| c1 |= one line =| c1"


def test_remarks_inside_a_skipped_branch_still_hide_directives() -> None:
    text = "#ifdef NO\n|* a remark with\n#endif\n*|\n#endif\nafter\n"
    assert kept(run(text)) == ["after"]


def test_remarks_in_macro_arguments_are_opaque() -> None:
    text = (
        "#define NOTE(a) Ping : a -> B % about a\n"
        "#define BAR(a) a |* a *| a\n"
        "NOTE(A)\n"
        "BAR(x) BAR(|* a, b *|)\n"
    )
    lines = out_lines(run(text))
    assert lines[2] == "Ping : A -> B % about A"  # a parameter in the value's remark
    # an argument's remark goes in as it is: its words are not parameters
    assert lines[3] == "x |* x *| x |* a, b *| |* |* a, b *| *| |* a, b *|"


# --------------------------------------------------------------------------- many defines


def test_a_thousand_defines_are_read_without_building_a_regex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The identifier scan uses fixed regexes: the work per define does not grow with N."""
    n = 1000
    text = "".join(f"#define NAME_{i} value_{i}\n" for i in range(n))
    text += "".join(f"A NAME_{i} -> NAME_{n - 1 - i} x\n" for i in range(n))
    text += "plain line without a defined name\n" * 100
    compiled: list[str] = []
    real_compile = re.compile

    def counting(pattern: object, flags: int = 0) -> re.Pattern[str]:
        compiled.append(str(pattern))
        return real_compile(pattern, flags)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(re, "compile", counting)
    source = run(text)
    lines = out_lines(source)
    assert compiled == []
    assert len(lines) == 2 * n + 100
    assert lines[n] == f"A value_0 -> value_{n - 1} x"
    assert lines[2 * n - 1] == f"A value_{n - 1} -> value_0 x"
    assert lines[-1] == "plain line without a defined name"
    # the columns after each replacement map back
    assert source.locate(n + 1, lines[n].index("x") + 1).col == text.split("\n")[n].index("x") + 1


# --------------------------------------------------------------------------- robustness


FRAGMENTS = [
    "#define F(a, b) a b",
    "#define G(",
    "#define U https://x/y",
    "#if ",
    "#elif ",
    "#else",
    "#endif",
    "#include <",
    '#include "',
    "F(",
    "G(1)",
    ")",
    "(",
    ",",
    '"',
    "\\",
    "%",
    "|*",
    "*|",
    "|=",
    "=|",
    "(*",
    "*)",
    "/*",
    "*/",
    "//",
    "<",
    ">",
    "defined",
    "&&",
    "!",
    "1",
    "F",
    "U",
    " ",
    "\n",
]


def test_bad_input_never_raises_and_every_problem_is_located() -> None:
    rng = random.Random(20240607)
    for _ in range(400):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, 40)))
        source, diagnostics = preprocess_text(text, filename="fuzz.fdl")
        assert source is not None
        lines = text.split("\n")
        assert len(source.origins) >= 1
        for diag in diagnostics:
            loc: SourceLocation = diag.loc
            if loc.file != "fuzz.fdl":
                continue  # an include attempt reported elsewhere
            assert 1 <= loc.line <= len(lines), (text, diag)
            assert loc.col >= 1 and loc.end_col >= loc.col, (text, diag)
            assert diag.source_line == lines[loc.line - 1], (text, diag)


def test_include_continued_onto_the_next_line_points_at_its_path(tmp_path: Path) -> None:
    write(tmp_path / "sub.fdl", "sub\n")
    main = write(
        tmp_path / "main.fdl", '#include \\\n   "sub.fdl"\n#include \\\n  <nope.fdl>\nend\n'
    )
    source, diagnostics = preprocess_file(main, include_dirs=[tmp_path])
    assert source is not None
    assert out_lines(source) == ["sub", "", "", "", "end"]
    assert [o.line for o in source.origins] == [1, 2, 3, 4, 5]
    assert codes(diagnostics) == ["FDL204"]
    diag = diagnostics[0]
    assert (diag.loc.line, diag.loc.col, diag.loc.end_col) == (4, 3, 13)
    assert diag.source_line == "  <nope.fdl>"


def test_parameters_inside_strings_and_remarks_as_eventstudio_does() -> None:
    """EventStudio 8 project template (messages.FDL): a macro's parameters are replaced
    inside its strings and remarks, and `;` separates the statements it holds."""
    text = (
        '#define REQ_RSP(m, s, d) sequence "m Handshake" {; "m Request" : s -> d;\\\n'
        '    |* m sent from s *|; "m Response" : d -> s; }\n'
        "REQ_RSP(Ping, Lima, Cusco)\n"
    )
    lines = out_lines(run(text))
    assert lines[2] == (
        'sequence "Ping Handshake" {; "Ping Request" : Lima -> Cusco; '
        '|* Ping sent from Lima *|; "Ping Response" : Cusco -> Lima; }'
    )
