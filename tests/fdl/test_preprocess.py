"""Tests for the FDL preprocessor: the text it hands the lexer and the map back to sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl.preprocess import (
    LineOrigin,
    PreprocessedSource,
    preprocess_file,
    preprocess_text,
)
from callflow.ir import SourceLocation


def run(text: str, **kwargs: object) -> PreprocessedSource:
    """Preprocess text that must produce no diagnostics."""
    source, diagnostics = preprocess_text(text, **kwargs)  # type: ignore[arg-type]
    assert diagnostics == []
    assert source is not None
    return source


def out_lines(source: PreprocessedSource) -> list[str]:
    assert source.text.endswith("\n")
    lines = source.text[:-1].split("\n")
    assert len(lines) == len(source.origins)
    return lines


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- mapping


def test_identity_mapping() -> None:
    text = 'eternal: A, B\nfeature "x" {\n    INVITE : A -> B\n}\n'
    source = run(text, filename="flow.fdl")
    assert source.text == text
    assert [o.line for o in source.origins] == [1, 2, 3, 4]
    assert all(o.segments == () and o.included_from == () for o in source.origins)
    loc = source.locate(3, 14, 3, 15)
    assert loc == SourceLocation("flow.fdl", 3, 14, 3, 15)
    assert source.source_line(loc) == "    INVITE : A -> B"


def test_empty_text_is_one_empty_line() -> None:
    source = run("")
    assert source.text == "\n"
    assert source.origins == (LineOrigin("<string>", 1, ()),)


def test_missing_final_newline_is_added() -> None:
    source = run("A -> B")
    assert source.text == "A -> B\n"


def test_locate_clamps_and_defaults_end_to_start() -> None:
    source = run("a\nb\n")
    assert source.locate(2, 3) == SourceLocation("<string>", 2, 3, 2, 3)
    assert source.locate(99, 1).line == 2  # the lexer's end-of-file position
    assert source.locate(0, 1).line == 1
    assert source.source_line(SourceLocation("<string>", 7, 1, 7, 1)) is None
    assert source.source_line(SourceLocation("other", 1, 1, 1, 1)) is None


# --------------------------------------------------------------------------- comments


def test_comments_are_blanked_keeping_columns() -> None:
    text = "A -> B // hello\nC /* x */ -> D\n"
    lines = out_lines(run(text))
    assert lines == ["A -> B         ", "C         -> D"]
    assert lines[1].index("->") == text.split("\n")[1].index("->")


def test_comment_markers_inside_strings_and_remarks_are_text() -> None:
    text = (
        'title "http://example.com /* not */"\n'
        "A -> B (* see // here /* too *) // gone\n"
        'X "a \\" // still string" // gone\n'
    )
    lines = out_lines(run(text))
    assert lines[0] == 'title "http://example.com /* not */"'
    assert lines[1] == "A -> B (* see // here /* too *)" + " " * 8
    assert lines[2] == 'X "a \\" // still string"' + " " * 8


def test_remark_may_span_lines_and_hides_comment_markers() -> None:
    text = "A -> B (* first\n// second *) // third\n"
    lines = out_lines(run(text))
    assert lines == ["A -> B (* first", "// second *)" + " " * 9]


def test_unterminated_string_ends_at_line_end() -> None:
    lines = out_lines(run('title "abc // no\nA -> B // yes\n'))
    assert lines == ['title "abc // no', "A -> B       "]


def test_multiline_block_comment_keeps_line_count() -> None:
    text = "A -> B /* one\ntwo\nthree */ C -> D\nE -> F\n"
    source = run(text)
    lines = out_lines(source)
    assert lines == ["A -> B       ", "   ", "         C -> D", "E -> F"]
    assert [o.line for o in source.origins] == [1, 2, 3, 4]
    assert source.locate(3, 10) == SourceLocation("<string>", 3, 10, 3, 10)


def test_directive_inside_block_comment_is_not_a_directive() -> None:
    lines = out_lines(run('/*\n#include "nothing.fdl"\n*/\nA -> B\n'))
    assert lines[3] == "A -> B"


def test_suppression_is_parsed_with_location() -> None:
    text = (
        "A -> B\n"
        "  INVITE : A -> B   //callflow:ignore[ SIP201 ,FLOW002 ]\n"
        'X "// callflow: ignore[NOPE]"\n'
        "C -> D // callflow: ignore[SIP100] because\n"
    )
    source = run(text, filename="f.fdl")
    assert [s.codes for s in source.suppressions] == [("SIP201", "FLOW002"), ("SIP100",)]
    first = source.suppressions[0].loc
    assert (first.file, first.line, first.col) == ("f.fdl", 2, 21)
    assert text.split("\n")[1][first.col - 1 :].startswith("//callflow")


# --------------------------------------------------------------------------- macros


def test_define_replaces_and_maps_columns_back() -> None:
    text = "#define CALLER Alice_the_caller\nINVITE : CALLER -> Bob\n"
    source = run(text)
    lines = out_lines(source)
    assert lines[0] == ""
    assert lines[1] == "INVITE : Alice_the_caller -> Bob"
    # the token after the macro maps back to where the user wrote it
    out_col = lines[1].index("Bob") + 1
    src_col = text.split("\n")[1].index("Bob") + 1
    assert source.locate(2, out_col, 2, out_col + 3) == SourceLocation(
        "<string>", 2, src_col, 2, src_col + 3
    )
    # before the macro: identity; the replacement: the macro's use, spanning its name
    assert source.locate(2, 1).col == 1
    macro_out = lines[1].index("Alice") + 1
    loc = source.locate(2, macro_out + 3, 2, macro_out + 10)
    assert (loc.col, loc.end_col) == (10, 16)


def test_shorter_and_empty_replacements_map_columns() -> None:
    text = "#define E\n#define L a_very_long_name\nE x L y\n"
    source = run(text)
    lines = out_lines(source)
    assert lines[2] == " x a_very_long_name y"
    src = text.split("\n")[2]
    assert source.locate(3, lines[2].index("x") + 1).col == src.index("x") + 1
    assert source.locate(3, lines[2].rindex("y") + 1).col == src.rindex("y") + 1


def test_hyphenated_words_are_not_macros_but_arrows_are_not_hyphens() -> None:
    text = (
        "#define ID c1\n"
        "INVITE(Call-ID=ID, X=ID-foo) : A -> ID\n"
        "ID->B\n"
        "ID-x B\n"
        "A -x ID\n"
        "IDx ID_2 xID 5ID\n"
    )
    lines = out_lines(run(text))
    assert lines[1] == "INVITE(Call-ID=c1, X=ID-foo) : A -> c1"
    assert lines[2] == "c1->B"
    assert lines[3] == "c1-x B"
    assert lines[4] == "A -x c1"
    assert lines[5] == "IDx ID_2 xID 5ID"


def test_macro_named_x_does_not_eat_the_lost_arrow() -> None:
    lines = out_lines(run("#define x y\nA -x B\nx -> x\n"))
    assert lines[1:] == ["A -x B", "y -> y"]


def test_macros_not_replaced_in_strings_comments_or_remarks() -> None:
    text = '#define ID c1\nA "ID" ID (* ID *) ID // ID\nB /* ID */ ID\n'
    lines = out_lines(run(text))
    assert lines[1] == 'A "ID" c1 (* ID *) c1      '
    assert lines[2] == "B          c1"


def test_replacement_is_not_rescanned() -> None:
    lines = out_lines(run("#define A B\n#define B C\nA B\n"))
    assert lines[2] == "B C"


def test_define_value_drops_trailing_comment_and_may_be_empty() -> None:
    source = run('#define URI "sip://a" // the uri\n#define FLAG\nX URI FLAG Y\n')
    assert out_lines(source)[2] == 'X "sip://a"  Y'


def test_command_line_defines_and_nested_conditionals() -> None:
    text = (
        "#ifdef FAST\n"
        "fast\n"
        "#ifndef SLOW\n"
        "not-slow\n"
        "#else\n"
        "slow\n"
        "#endif\n"
        "#else\n"
        "not-fast\n"
        "#ifdef SLOW\n"
        "never\n"
        "#endif\n"
        "#endif\n"
        "after\n"
    )
    kept = [line for line in out_lines(run(text, defines={"FAST": ""})) if line]
    assert kept == ["fast", "not-slow", "after"]
    kept = [line for line in out_lines(run(text, defines={"FAST": "", "SLOW": "1"})) if line]
    assert kept == ["fast", "slow", "after"]
    source = run(text)
    lines = out_lines(source)
    assert [line for line in lines if line] == ["not-fast", "after"]
    assert len(lines) == 14  # skipped lines stay as empty lines with their origins
    assert source.origins[13].line == 14


def test_define_value_from_command_line_is_replaced() -> None:
    assert out_lines(run("A -> PEER\n", defines={"PEER": "Bob"})) == ["A -> Bob"]


def test_define_then_ifdef_and_skipped_define() -> None:
    text = "#ifdef NOPE\n#define A 1\n#endif\n#define B 2\n#ifdef B\nA B\n#endif\n"
    assert out_lines(run(text))[5] == "A 2"


# --------------------------------------------------------------------------- includes


def test_include_splices_lines_with_their_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "lib" / "inner.fdl", "inner1\ninner2\n")
    write(tmp_path / "lib" / "common.fdl", 'common1\n  #include "inner.fdl"\ncommon3\n')
    main = write(tmp_path / "main.fdl", 'main1\n#include "lib/common.fdl" // why\nmain3\n')

    source, diagnostics = preprocess_file("main.fdl")
    assert diagnostics == []
    assert source is not None
    assert out_lines(source) == ["main1", "common1", "inner1", "inner2", "common3", "main3"]
    where = [(o.file, o.line) for o in source.origins]
    common = os.path.join("lib", "common.fdl")
    inner = os.path.join("lib", "inner.fdl")
    assert where == [
        ("main.fdl", 1),
        (common, 1),
        (inner, 1),
        (inner, 2),
        (common, 3),
        ("main.fdl", 3),
    ]
    main_include = source.origins[1].included_from
    assert len(main_include) == 1
    assert (main_include[0].file, main_include[0].line, main_include[0].col) == ("main.fdl", 2, 1)
    chain = source.origins[3].included_from
    assert [(loc.file, loc.line, loc.col) for loc in chain] == [(common, 2, 3), ("main.fdl", 2, 1)]
    loc = source.locate(4, 1)
    assert (loc.file, loc.line, loc.included_from) == (inner, 2, chain)
    assert source.source_line(loc) == "inner2"
    assert source.source_lines["main.fdl"][1].startswith("#include")
    assert main.exists()


def test_included_file_display_path_is_absolute_outside_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(project / "sub.fdl", "x\n")
    main = write(project / "main.fdl", '#include "sub.fdl"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    source, diagnostics = preprocess_file(main)
    assert diagnostics == []
    assert source is not None
    assert source.origins[0].file == str(project / "sub.fdl")
    assert source.origins[0].included_from[0].file == str(main)


def test_defines_in_included_file_stay_defined(tmp_path: Path) -> None:
    write(tmp_path / "defs.fdl", "#define PEER Bob\n")
    main = write(tmp_path / "main.fdl", '#include "defs.fdl"\nA -> PEER\n')
    source, diagnostics = preprocess_file(main)
    assert diagnostics == []
    assert source is not None
    assert "A -> Bob" in out_lines(source)


def test_suppression_in_included_file_has_its_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "sub.fdl", "A -> B // callflow: ignore[SIP201]\n")
    write(tmp_path / "main.fdl", 'x\n#include "sub.fdl"\n')
    source, _ = preprocess_file("main.fdl")
    assert source is not None
    (suppression,) = source.suppressions
    assert (suppression.loc.file, suppression.loc.line, suppression.loc.col) == ("sub.fdl", 1, 8)
    assert suppression.loc.included_from[0].line == 2


def test_include_cycle_is_reported_at_the_closing_include(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.fdl", 'a1\n#include "b.fdl"\na3\n')
    write(tmp_path / "b.fdl", 'b1\n\n#include "a.fdl"\n')
    source, diagnostics = preprocess_file("a.fdl")
    assert source is not None
    assert codes(diagnostics) == ["FDL205"]
    diag = diagnostics[0]
    assert diag.name == "include.cycle"
    assert diag.severity is Severity.ERROR
    assert (diag.loc.file, diag.loc.line) == ("b.fdl", 3)
    assert diag.loc.included_from[0].file == "a.fdl"
    assert "a.fdl includes b.fdl includes a.fdl" in diag.message
    assert diag.source_line == '#include "a.fdl"'
    assert [line for line in out_lines(source) if line] == ["a1", "b1", "a3"]


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    main = write(tmp_path / "self.fdl", '#include "self.fdl"\n')
    _, diagnostics = preprocess_file(main)
    assert codes(diagnostics) == ["FDL205"]


def test_diamond_include_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / "x.fdl", "x\n")
    write(tmp_path / "y.fdl", '#include "x.fdl"\n')
    main = write(tmp_path / "main.fdl", '#include "x.fdl"\n#include "y.fdl"\n')
    source, diagnostics = preprocess_file(main)
    assert diagnostics == []
    assert source is not None
    assert out_lines(source) == ["x", "x"]


def test_include_outside_root(tmp_path: Path) -> None:
    write(tmp_path / "secret.fdl", "secret\n")
    main = write(tmp_path / "project" / "main.fdl", 'a\n#include "../secret.fdl"\nb\n')
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert codes(diagnostics) == ["FDL206"]
    assert diagnostics[0].loc.line == 2
    assert "outside the project root" in diagnostics[0].message
    assert out_lines(source) == ["a", "", "b"]
    # a wider --root allows it
    source, diagnostics = preprocess_file(main, root=tmp_path)
    assert diagnostics == []
    assert source is not None
    assert out_lines(source) == ["a", "secret", "b"]


def test_missing_include_is_reported_and_skipped(tmp_path: Path) -> None:
    main = write(tmp_path / "main.fdl", 'a\n  #include "sub.fdl"\nb\n')
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert codes(diagnostics) == ["FDL204"]
    diag = diagnostics[0]
    assert diag.name == "include.not-found"
    assert (diag.loc.line, diag.loc.col) == (2, 12)  # the quoted path
    assert diag.message == f'cannot include "sub.fdl": no such file (looked in {tmp_path})'
    assert diag.source_line == '  #include "sub.fdl"'
    assert out_lines(source) == ["a", "", "b"]


def test_include_from_text_is_relative_to_root(tmp_path: Path) -> None:
    write(tmp_path / "sub.fdl", "sub\n")
    source = run('#include "sub.fdl"\n', root=tmp_path)
    assert out_lines(source) == ["sub"]


def test_included_binary_file_is_reported_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "bin.fdl").write_bytes(b"ok\nab\0c\n")
    main = write(tmp_path / "main.fdl", '#include "bin.fdl"\nafter\n')
    source, diagnostics = preprocess_file(main)
    assert source is not None
    assert codes(diagnostics) == ["FDL202"]
    loc = diagnostics[0].loc
    assert (loc.line, loc.col) == (2, 3)
    assert loc.included_from[0].line == 1
    assert out_lines(source) == ["", "after"]


def test_included_too_large_file_is_reported_at_the_include(tmp_path: Path) -> None:
    write(tmp_path / "big.fdl", "x" * 500 + "\n")
    main = write(tmp_path / "main.fdl", 'a\n#include "big.fdl"\n')
    source, diagnostics = preprocess_file(main, max_input_size=100)
    assert source is not None
    assert codes(diagnostics) == ["FDL203"]
    assert diagnostics[0].loc.line == 2


def test_malformed_include(tmp_path: Path) -> None:
    main = write(tmp_path / "main.fdl", "#include sub.fdl\n#include <sub.fdl\n")
    _, diagnostics = preprocess_file(main)
    assert codes(diagnostics) == ["FDL208", "FDL208"]
    assert "double quotes" in diagnostics[0].message


# --------------------------------------------------------------------------- input


def test_missing_file(tmp_path: Path) -> None:
    source, diagnostics = preprocess_file(tmp_path / "nope.fdl")
    assert source is None
    assert codes(diagnostics) == ["FDL201"]
    assert diagnostics[0].name == "input.unreadable"
    assert "no such file" in diagnostics[0].message


def test_directory(tmp_path: Path) -> None:
    source, diagnostics = preprocess_file(tmp_path)
    assert source is None
    assert codes(diagnostics) == ["FDL201"]
    assert "directory" in diagnostics[0].message


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything"
)
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.fdl", "x\n")
    path.chmod(0)
    try:
        source, diagnostics = preprocess_file(path)
    finally:
        path.chmod(0o644)
    assert source is None
    assert codes(diagnostics) == ["FDL201"]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.fdl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    source, diagnostics = preprocess_file(path)
    assert source is None
    assert codes(diagnostics) == ["FDL202"]
    assert diagnostics[0].name == "input.not-text"


def test_bad_utf8_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.fdl"
    path.write_bytes("line one\nné \xff here\n".encode("latin-1").replace(b"\xe9", "é".encode()))
    source, diagnostics = preprocess_file(path)
    assert source is None
    assert codes(diagnostics) == ["FDL202"]
    diag = diagnostics[0]
    assert (diag.loc.line, diag.loc.col) == (2, 4)
    assert "line 2, column 4" in diag.message
    assert "0xff" in diag.message


def test_utf16_file_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "wide.fdl"
    path.write_bytes("A -> B\n".encode("utf-16"))
    source, diagnostics = preprocess_file(path)
    assert source is None
    assert codes(diagnostics) == ["FDL202"]
    assert "UTF-16" in diagnostics[0].message


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "big.fdl", "A -> B\n" * 100)
    source, diagnostics = preprocess_file(path, max_input_size=50)
    assert source is None
    assert codes(diagnostics) == ["FDL203"]
    assert diagnostics[0].name == "input.too-large"
    source, diagnostics = preprocess_file(path, max_input_size=700)
    assert diagnostics == []
    assert source is not None


def test_text_checks_in_preprocess_text() -> None:
    assert codes(preprocess_text("x" * 20, max_input_size=10)[1]) == ["FDL203"]
    source, diagnostics = preprocess_text("ok\nx\0y\n")
    assert source is None
    assert codes(diagnostics) == ["FDL202"]
    assert (diagnostics[0].loc.line, diagnostics[0].loc.col) == (2, 2)


def test_crlf_lone_cr_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "win.fdl"
    path.write_bytes(b"\xef\xbb\xbfA -> B\r\nC -> D\rE -> F\r\n")
    source, diagnostics = preprocess_file(path)
    assert diagnostics == []
    assert source is not None
    assert source.text == "A -> B\nC -> D\nE -> F\n"
    assert source.locate(1, 1).col == 1  # the BOM takes no column
    assert source.source_lines[str(path)] == ["A -> B", "C -> D", "E -> F"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.fdl"
    path.write_bytes(b"")
    source, diagnostics = preprocess_file(path)
    assert diagnostics == []
    assert source is not None
    assert source.text == "\n"
    assert len(source.origins) == 1


# --------------------------------------------------------------------------- directives


def test_unbalanced_endif_and_else() -> None:
    source, diagnostics = preprocess_text("a\n#endif\n#else\nb\n")
    assert source is not None
    assert codes(diagnostics) == ["FDL207", "FDL207"]
    assert [d.loc.line for d in diagnostics] == [2, 3]
    assert diagnostics[0].name == "directive.unbalanced"
    assert [line for line in out_lines(source) if line] == ["a", "b"]


def test_missing_endif_is_reported_at_the_ifdef() -> None:
    source, diagnostics = preprocess_text("a\n  #ifdef X\nb\n#ifndef Y\n#endif\n")
    assert source is not None
    assert codes(diagnostics) == ["FDL207"]
    diag = diagnostics[0]
    assert (diag.loc.line, diag.loc.col) == (2, 3)
    assert "#ifdef X" in diag.message
    assert diag.source_line == "  #ifdef X"


def test_second_else_is_unbalanced() -> None:
    _, diagnostics = preprocess_text("#ifdef X\n#else\n#else\n#endif\n")
    assert codes(diagnostics) == ["FDL207"]
    assert diagnostics[0].loc.line == 3


def test_malformed_directives() -> None:
    text = "#define\n#pragma once\n#define F(x y) x\n#ifdef\n#endif\n#define 9 x\n# \n"
    source, diagnostics = preprocess_text(text)
    assert source is not None
    assert codes(diagnostics) == ["FDL208"] * 6
    assert [d.loc.line for d in diagnostics] == [1, 2, 3, 4, 6, 7]
    assert "needs a name" in diagnostics[0].message
    assert "'#pragma'" in diagnostics[1].message
    assert "'x y' is not a valid parameter name" in diagnostics[2].message
    assert all(d.name == "directive.malformed" for d in diagnostics)
    assert all(d.source_line == text.split("\n")[d.loc.line - 1] for d in diagnostics)


def test_unknown_directive_in_skipped_branch_is_ignored() -> None:
    _, diagnostics = preprocess_text("#ifdef NO\n#pragma whatever\n#endif\n")
    assert diagnostics == []


def test_large_input_is_fast() -> None:
    import time

    line = '    INVITE(Call-ID=c1, sdp=offer) : A -> P // c\n    A takes action "x"\n'
    text = line * 10_000
    start = time.perf_counter()
    source = run(text, defines={"PEER": "Bob"})
    assert time.perf_counter() - start < 1.0
    assert len(source.origins) == 20_000
