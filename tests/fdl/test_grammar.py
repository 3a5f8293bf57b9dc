"""One test per FDL grammar construct (fdl.md sections 1-4): the IR each one produces.

Every test asserts the nodes built (types, field values and, where it matters, locations),
not only that the text parses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callflow import ir
from callflow.fdl import parse_text
from callflow.fdl.parser import _load_cython
from callflow.report.text_report import TextReporter

FILE = "flow.fdl"
ARCH = "eternal: A, B, C, P, MRFP\ndynamic: D\n"
#: the line of the first statement in :func:`body` (ARCH is two lines, the feature one)
FIRST = 4
REFERENCE_FLOW = Path(__file__).resolve().parents[2] / "flows" / "ims-conference.fdl"


def loc(
    line: int, col: int, end_line: int | None = None, end_col: int | None = None
) -> ir.SourceLocation:
    """A location in ``flow.fdl`` (end defaults to the same line)."""
    return ir.SourceLocation(
        FILE, line, col, line if end_line is None else end_line, end_col or col
    )


def parse_ok(text: str) -> ir.Flow:
    result = parse_text(text, FILE)
    assert result.diagnostics == [], TextReporter().render(result.diagnostics)
    assert result.flow is not None
    return result.flow


def body(statements: str) -> tuple[ir.Statement, ...]:
    """The statements of one feature holding ``statements`` (first one on line FIRST)."""
    flow = parse_ok(ARCH + 'feature "f" {\n' + statements + "\n}\n")
    (feature,) = flow.body
    assert isinstance(feature, ir.Feature)
    return feature.body


def one(statement: str) -> ir.Statement:
    (only,) = body(statement)
    return only


def message(statement: str) -> ir.Message:
    node = one(statement)
    assert isinstance(node, ir.Message)
    return node


def name(text: str, line: int, col: int) -> ir.Name:
    return ir.Name(text, loc(line, col, line, col + len(text)))


# --------------------------------------------------------------------------- file level


def test_title() -> None:
    flow = parse_ok('title "IMS Conference Call"\n')
    assert flow.title == "IMS Conference Call"
    assert flow.title_loc == loc(1, 1, 1, 28)
    assert flow.display_title == "IMS Conference Call"
    assert flow.body == () and flow.options == ()


def test_no_title_uses_the_file_name() -> None:
    flow = parse_ok(ARCH)
    assert flow.title is None and flow.title_loc is None
    assert flow.display_title == FILE


def test_options() -> None:
    flow = parse_ok(
        'option numbering = on\noption remarks = off\noption wrap = 40\noption theme = "dark"\n'
    )
    assert flow.options == (
        ir.Option("numbering", "on", loc(1, 1, 1, 22)),
        ir.Option("remarks", "off", loc(2, 1, 2, 21)),
        ir.Option("wrap", "40", loc(3, 1, 3, 17)),
        ir.Option("theme", "dark", loc(4, 1, 4, 22)),
    )
    assert flow.option("wrap") == "40"
    assert flow.option("missing", "x") == "x"


def test_system_declaration() -> None:
    flow = parse_ok('system: Calling_UE "Calling UE", IMS_Network\n')
    assert flow.architecture.groups == (
        ir.Group("system", "Calling_UE", "Calling UE", None, loc(1, 9, 1, 32)),
        ir.Group("system", "IMS_Network", "IMS_Network", None, loc(1, 34, 1, 45)),
    )
    assert flow.architecture.entities == ()


def test_subsystem_declaration_with_parent_and_continuation() -> None:
    flow = parse_ok(
        "system: S\n"
        'subsystem: Caller "Caller Equipment" in S [color="#ff8800"],\n'
        "           IMS1 in S\n"
    )
    _, caller, ims1 = flow.architecture.groups
    assert caller == ir.Group(
        "subsystem",
        "Caller",
        "Caller Equipment",
        "S",
        loc(2, 12, 2, 42),
        (ir.Attribute("color", "#ff8800", loc(2, 44, 2, 59)),),
    )
    assert ims1 == ir.Group("subsystem", "IMS1", "IMS1", "S", loc(3, 12, 3, 21))


def test_module_declaration() -> None:
    flow = parse_ok('system: S\nsubsystem: SS in S\nmodule: M "Mod" in SS\n')
    module = flow.architecture.group("M")
    assert module == ir.Group("module", "M", "Mod", "SS", loc(3, 9, 3, 22))
    assert [g.name for g in flow.architecture.ancestors("M")] == ["SS", "S"]


def test_eternal_declaration_with_attributes_and_continuations() -> None:
    flow = parse_ok(
        "system: Net\n"
        'eternal: UE_A "Conference Initiator" in Net [role=ue, uri="sip:alice@home1.net"],\n'
        "         P_CSCF in Net [role=proxy,\n"
        "                        record_route=no],\n"
        "         B\n"
    )
    ue_a, p_cscf, b = flow.architecture.entities
    assert ue_a == ir.Entity(
        "UE_A",
        "Conference Initiator",
        "Net",
        "eternal",
        (
            ir.Attribute("role", "ue", loc(2, 46, 2, 53)),
            ir.Attribute("uri", "sip:alice@home1.net", loc(2, 55, 2, 80)),
        ),
        loc(2, 10, 2, 44),
    )
    assert ue_a.role == "ue" and not ue_a.dynamic
    assert p_cscf.name == "P_CSCF" and p_cscf.label == "P_CSCF" and p_cscf.parent == "Net"
    assert p_cscf.attributes == (
        ir.Attribute("role", "proxy", loc(3, 25, 3, 35)),
        ir.Attribute("record_route", "no", loc(4, 25, 4, 40)),
    )
    assert p_cscf.record_route is False
    assert b == ir.Entity("B", "B", None, "eternal", (), loc(5, 10, 5, 11))
    assert b.record_route is True


def test_dynamic_declaration() -> None:
    flow = parse_ok('system: S\ndynamic: Call_Ctx "Call context" in S [color="#000000"]\n')
    (ctx,) = flow.architecture.entities
    assert ctx.kind == "dynamic" and ctx.dynamic
    assert (ctx.name, ctx.label, ctx.parent) == ("Call_Ctx", "Call context", "S")
    assert ctx.attribute("color") == "#000000"
    assert ctx.loc == loc(2, 10, 2, 38)


def test_declaration_order_is_kept_across_statements() -> None:
    flow = parse_ok("eternal: C, A\ndynamic: D\neternal: B\n")
    assert [e.name for e in flow.architecture.entities] == ["C", "A", "D", "B"]
    assert [e.kind for e in flow.architecture.entities] == [
        "eternal",
        "eternal",
        "dynamic",
        "eternal",
    ]


def test_file_level_introduction_remarks() -> None:
    flow = parse_ok(ARCH + 'remark "First step."\nremark "Second // step."\nfeature "f" {\n}\n')
    assert flow.introduction == (
        ir.Remark(text="First step.", loc=loc(3, 1, 3, 21)),
        ir.Remark(text="Second // step.", loc=loc(4, 1, 4, 25)),
    )
    assert len(flow.body) == 1


def test_feature() -> None:
    flow = parse_ok(ARCH + 'feature "Conference creation" {\n    INVITE : A -> B\n}\n')
    (feature,) = flow.body
    assert isinstance(feature, ir.Feature)
    assert feature.name == "Conference creation"
    assert feature.loc == loc(3, 1, 3, 30)
    assert [type(s) for s in feature.body] == [ir.Message]


def test_empty_feature_on_one_line() -> None:
    flow = parse_ok(ARCH + 'feature "empty" { }\nfeature "next" {\n}\n')
    assert [(f.name, f.body) for f in flow.body] == [("empty", ()), ("next", ())]


# --------------------------------------------------------------------------- messages


def test_plain_message() -> None:
    assert message("    INVITE : A -> B") == ir.Message(
        name="INVITE",
        code=None,
        reason=None,
        params=(),
        sender=name("A", FIRST, 14),
        receivers=(name("B", FIRST, 19),),
        name_loc=loc(FIRST, 5, FIRST, 11),
        loc=loc(FIRST, 5, FIRST, 20),
    )


def test_message_with_free_word_and_free_string_params() -> None:
    msg = message('    Add(Context, "choose a context") : A -> B')
    assert msg.params == (
        ir.Param(None, "Context", False, loc(FIRST, 9, FIRST, 16)),
        ir.Param(None, "choose a context", True, loc(FIRST, 18, FIRST, 36)),
    )
    assert msg.free_params == msg.params
    assert msg.headers == ()


def test_message_with_key_value_params() -> None:
    msg = message("    SUBSCRIBE(Event=conference, Expires=3600) : A -> B")
    assert msg.params == (
        ir.Param("Event", "conference", False, loc(FIRST, 15, FIRST, 31)),
        ir.Param("Expires", "3600", False, loc(FIRST, 33, FIRST, 45)),
    )
    assert msg.param("event") == "conference"
    assert msg.header("EXPIRES") == "3600"


def test_quoted_param_value_with_special_characters() -> None:
    msg = message('    INVITE(Contact="<sip:conf1@home1.net>;isfocus") : A -> B')
    (param,) = msg.params
    assert param == ir.Param(
        "Contact", "<sip:conf1@home1.net>;isfocus", True, loc(FIRST, 12, FIRST, 51)
    )
    assert str(param) == 'Contact="<sip:conf1@home1.net>;isfocus"'
    assert msg.header("contact") == "<sip:conf1@home1.net>;isfocus"


def test_hyphenated_sip_header_names() -> None:
    msg = message(
        "    NOTIFY(Call-ID=sub_a, Subscription-State=active, "
        'Request-URI="sip:b@home2.net") : A -> B'
    )
    assert [(p.key, p.value, p.quoted) for p in msg.params] == [
        ("Call-ID", "sub_a", False),
        ("Subscription-State", "active", False),
        ("Request-URI", "sip:b@home2.net", True),
    ]
    assert [(h.name, h.key, h.value) for h in msg.headers] == [
        ("Call-ID", "call-id", "sub_a"),
        ("Subscription-State", "subscription-state", "active"),
        ("Request-URI", "request-uri", "sip:b@home2.net"),
    ]
    assert msg.header("call-id") == "sub_a"


def test_pseudo_params_are_not_headers() -> None:
    msg = message(
        '    200 OK(sdp=answer, body="<conference-info/>", for=INVITE, protocol=sip, '
        "Require=100rel) : B -> A"
    )
    assert [p.key for p in msg.params] == ["sdp", "body", "for", "protocol", "Require"]
    assert [h.name for h in msg.headers] == ["Require"]
    assert msg.sdp == "answer"
    assert msg.param("body") == "<conference-info/>"
    assert msg.param("for") == "INVITE"
    assert msg.protocol == "sip"
    assert msg.is_sip and msg.is_response


def test_param_list_continued_over_several_lines() -> None:
    msg = message(
        "    INVITE(Call-ID=c1,\n"
        "           sdp=offer,\n"
        '           "free text"\n'
        "           ) : A -> B"
    )
    assert [str(p) for p in msg.params] == ["Call-ID=c1", "sdp=offer", '"free text"']
    assert [p.loc.line for p in msg.params] == [FIRST, FIRST + 1, FIRST + 2]
    assert msg.params[1].loc == loc(FIRST + 1, 12, FIRST + 1, 21)
    assert msg.loc == loc(FIRST, 5, FIRST + 3, 22)
    assert msg.sender == name("A", FIRST + 3, 16)


def test_empty_param_list() -> None:
    msg = message("    BYE() : A -> B")
    assert msg.name == "BYE" and msg.params == ()


@pytest.mark.parametrize(
    ("statement", "code", "reason", "name_end"),
    [
        ("200 OK", 200, "OK", 11),
        ("183 Session Progress", 183, "Session Progress", 25),
        ("504 Server Time-out", 504, "Server Time-out", 24),
        ('481 "Call/Transaction Does Not Exist"', 481, "Call/Transaction Does Not Exist", 42),
    ],
)
def test_status_lines(statement: str, code: int, reason: str, name_end: int) -> None:
    msg = message(f"    {statement} : B -> A")
    assert msg.code == code
    assert msg.reason == reason
    assert msg.name == f"{code} {reason}"
    assert msg.name_loc == loc(FIRST, 5, FIRST, name_end)
    assert msg.sender.text == "B" and [r.text for r in msg.receivers] == ["A"]
    assert msg.is_sip and msg.is_response and not msg.is_request
    assert msg.method is None


def test_status_line_with_params() -> None:
    msg = message("    183 Session Progress(Require=100rel, RSeq=1, sdp=answer) : B -> A")
    assert (msg.code, msg.reason) == (183, "Session Progress")
    assert [str(p) for p in msg.params] == ["Require=100rel", "RSeq=1", "sdp=answer"]


def test_multicast_message() -> None:
    msg = message("    Notify(protocol=h248) : MRFP -> A, B, C")
    assert msg.sender == name("MRFP", FIRST, 29)
    assert msg.receivers == (name("A", FIRST, 37), name("B", FIRST, 40), name("C", FIRST, 43))
    assert msg.is_multicast and not msg.is_self
    assert msg.receiver.text == "A"
    assert msg.loc == loc(FIRST, 5, FIRST, 44)
    assert [n.text for n in msg.entity_names()] == ["MRFP", "A", "B", "C"]


def test_self_message() -> None:
    msg = message("    Add : MRFP -> MRFP")
    assert msg.is_self and not msg.is_multicast and not msg.lost
    assert msg.sender == name("MRFP", FIRST, 11)
    assert msg.receivers == (name("MRFP", FIRST, 19),)


def test_lost_message() -> None:
    msg = message("    BYE : A -x B")
    assert msg.lost
    assert msg.sender == name("A", FIRST, 11)
    assert msg.receivers == (name("B", FIRST, 16),)
    assert msg.loc == loc(FIRST, 5, FIRST, 17)


@pytest.mark.parametrize(
    ("statement", "is_sip", "is_request", "is_response", "method"),
    [
        ("INVITE : A -> B", True, True, False, "INVITE"),
        ("Notify(protocol=h248) : A -> B", False, False, False, None),
        ("NOTIFY(protocol=h248) : A -> B", False, False, False, None),
        ("NOTIFY(Event=conference) : A -> B", True, True, False, "NOTIFY"),
        ("Add : A -> B", False, False, False, None),
        ("invite : A -> B", False, False, False, None),
        ("200 OK : A -> B", True, False, True, None),
        ("200 OK(protocol=diameter) : A -> B", False, False, False, None),
    ],
)
def test_message_classification(
    statement: str, is_sip: bool, is_request: bool, is_response: bool, method: str | None
) -> None:
    msg = message("    " + statement)
    assert msg.is_sip is is_sip
    assert msg.is_request is is_request
    assert msg.is_response is is_response
    assert msg.method == method


def test_value_tokens_inside_params_and_attributes() -> None:
    msg, media = body(
        "    INVITE(Supported=100rel, codec=PCMU, ptime=20ms, x=1.5+a_b-c) : A -> B\n"
        "    media A <-> B [codec=PCMU, ptime=20ms]"
    )
    assert isinstance(msg, ir.Message) and isinstance(media, ir.MediaStart)
    assert [(p.key, p.value, p.quoted) for p in msg.params] == [
        ("Supported", "100rel", False),
        ("codec", "PCMU", False),
        ("ptime", "20ms", False),
        ("x", "1.5+a_b-c", False),
    ]
    assert [(a.key, a.value) for a in media.attributes] == [("codec", "PCMU"), ("ptime", "20ms")]


def test_arrow_without_spaces_between_names() -> None:
    msg = message("    INVITE : A->B")
    assert (msg.sender.text, msg.receivers[0].text, msg.lost) == ("A", "B", False)


# --------------------------------------------------------------------------- entity statements


def test_action() -> None:
    assert one('    A takes action "Allocate conference URI"') == ir.Action(
        entity=name("A", FIRST, 5),
        text="Allocate conference URI",
        loc=loc(FIRST, 5, FIRST, 45),
    )


def test_begin_and_end_action() -> None:
    begin, end = body('    A begins action "Mixing"\n    A ends action "Mixing"')
    assert begin == ir.BeginAction(
        entity=name("A", FIRST, 5), text="Mixing", loc=loc(FIRST, 5, FIRST, 29)
    )
    assert end == ir.EndAction(
        entity=name("A", FIRST + 1, 5), text="Mixing", loc=loc(FIRST + 1, 5, FIRST + 1, 27)
    )


@pytest.mark.parametrize(
    ("duration", "ms"),
    [("500ms", 500), ("32s", 32_000), ("2m", 120_000), ("0s", 0)],
)
def test_timer_start_with_duration(duration: str, ms: int) -> None:
    timer = one(f"    A starts timer T_answer {duration}")
    assert timer == ir.TimerStart(
        entity=name("A", FIRST, 5),
        timer=name("T_answer", FIRST, 20),
        duration_ms=ms,
        duration_text=duration,
        loc=loc(FIRST, 5, FIRST, 29 + len(duration)),
    )


def test_timer_start_without_duration() -> None:
    assert one("    A starts timer T1") == ir.TimerStart(
        entity=name("A", FIRST, 5),
        timer=name("T1", FIRST, 20),
        duration_ms=None,
        duration_text=None,
        loc=loc(FIRST, 5, FIRST, 22),
    )


def test_timer_stop_and_timeout() -> None:
    stop, timeout = body("    A stops timer T1\n    timeout T2 : B")
    assert stop == ir.TimerStop(
        entity=name("A", FIRST, 5), timer=name("T1", FIRST, 19), loc=loc(FIRST, 5, FIRST, 21)
    )
    assert timeout == ir.TimerTimeout(
        entity=name("B", FIRST + 1, 18),
        timer=name("T2", FIRST + 1, 13),
        loc=loc(FIRST + 1, 5, FIRST + 1, 19),
    )


def test_resource_allocate_and_free() -> None:
    alloc, free = body('    A allocates resource "Port"\n    A frees resource "Port"')
    assert alloc == ir.ResourceAllocate(
        entity=name("A", FIRST, 5), resource="Port", loc=loc(FIRST, 5, FIRST, 32)
    )
    assert free == ir.ResourceFree(
        entity=name("A", FIRST + 1, 5), resource="Port", loc=loc(FIRST + 1, 5, FIRST + 1, 28)
    )


def test_state_change() -> None:
    assert one('    A state "Confirmed"') == ir.StateChange(
        entity=name("A", FIRST, 5), state="Confirmed", loc=loc(FIRST, 5, FIRST, 24)
    )


def test_creates_and_deletes() -> None:
    create, delete = body("    A creates D\n    A deletes D")
    assert create == ir.Create(
        creator=name("A", FIRST, 5), created=name("D", FIRST, 15), loc=loc(FIRST, 5, FIRST, 16)
    )
    assert delete == ir.Delete(
        deleter=name("A", FIRST + 1, 5),
        deleted=name("D", FIRST + 1, 15),
        loc=loc(FIRST + 1, 5, FIRST + 1, 16),
    )
    assert [n.text for n in create.entity_names()] == ["A", "D"]


# --------------------------------------------------------------------------- document statements


def test_heading() -> None:
    assert one('    heading "Conference in progress"') == ir.Heading(
        text="Conference in progress", loc=loc(FIRST, 5, FIRST, 37)
    )


def test_remark_statement() -> None:
    assert one('    remark "A row in the remarks column"') == ir.Remark(
        text="A row in the remarks column", loc=loc(FIRST, 5, FIRST, 41)
    )


def test_media_start_with_attributes() -> None:
    media = one("    media A <-> MRFP [codec=PCMA, ptime=30ms]")
    assert media == ir.MediaStart(
        a=name("A", FIRST, 11),
        b=name("MRFP", FIRST, 17),
        attributes=(
            ir.Attribute("codec", "PCMA", loc(FIRST, 23, FIRST, 33)),
            ir.Attribute("ptime", "30ms", loc(FIRST, 35, FIRST, 45)),
        ),
        loc=loc(FIRST, 5, FIRST, 21),
    )
    assert media.attribute("codec") == "PCMA"


def test_media_start_without_attributes() -> None:
    media = one("    media A <-> B")
    assert isinstance(media, ir.MediaStart) and media.attributes == ()


def test_media_stop() -> None:
    assert one("    media stop A <-> MRFP") == ir.MediaStop(
        a=name("A", FIRST, 16), b=name("MRFP", FIRST, 22), loc=loc(FIRST, 5, FIRST, 26)
    )


def test_mixes_and_stops_mixing() -> None:
    mix, stop = body("    MRFP mixes A, B, C\n    MRFP stops mixing")
    assert mix == ir.Mix(
        mixer=name("MRFP", FIRST, 5),
        parties=(name("A", FIRST, 16), name("B", FIRST, 19), name("C", FIRST, 22)),
        loc=loc(FIRST, 5, FIRST, 23),
    )
    assert stop == ir.StopMixing(
        mixer=name("MRFP", FIRST + 1, 5), loc=loc(FIRST + 1, 5, FIRST + 1, 22)
    )


def test_sequence_keeps_nested_body() -> None:
    (seq,) = body(
        '    sequence "Setup" {\n'
        "        INVITE : A -> B\n"
        '        sequence "Inner" {\n'
        "            ACK : A -> B\n"
        "        }\n"
        "    }"
    )
    assert isinstance(seq, ir.Sequence)
    assert seq.name == "Setup" and seq.loc == loc(FIRST, 5, FIRST, 21)
    first, inner = seq.body
    assert isinstance(first, ir.Message) and first.name == "INVITE"
    assert first.loc.line == FIRST + 1
    assert isinstance(inner, ir.Sequence) and inner.name == "Inner"
    (ack,) = inner.body
    assert (
        isinstance(ack, ir.Message)
        and ack.name == "ACK"
        and ack.loc == loc(FIRST + 3, 13, FIRST + 3, 25)
    )
    assert [type(s).__name__ for s in ir.walk_statements((seq,))] == [
        "Sequence",
        "Message",
        "Sequence",
        "Message",
    ]


def test_case_inside_a_feature() -> None:
    (case,) = body(
        "    case {\n"
        '        leg "Answered": 200 OK : B -> A\n'
        '        leg "Busy":\n'
        "            486 Busy Here : B -> A\n"
        '            A state "Idle"\n'
        '        leg "Empty":\n'
        "    }"
    )
    assert isinstance(case, ir.Case)
    assert case.loc == loc(FIRST, 5, FIRST, 9)
    answered, busy, empty = case.legs
    assert answered.label == "Answered" and answered.loc == loc(FIRST + 1, 9, FIRST + 1, 23)
    (ok,) = answered.body
    assert isinstance(ok, ir.Message) and ok.code == 200
    assert ok.loc == loc(FIRST + 1, 25, FIRST + 1, 40)
    assert busy.label == "Busy"
    assert [type(s) for s in busy.body] == [ir.Message, ir.StateChange]
    assert busy.body[0].loc.line == FIRST + 3
    assert empty.label == "Empty" and empty.body == ()


def test_file_level_case_holds_features_and_nested_case() -> None:
    flow = parse_ok(
        ARCH
        + 'feature "Setup" {\n'
        + "}\n"
        + "case {\n"
        + '    leg "Joins":\n'
        + '        feature "Adding" {\n'
        + "            INVITE : A -> B\n"
        + "        }\n"
        + "        case {\n"
        + '            leg "Stays":\n'
        + '                feature "Talk" { }\n'
        + '            leg "Leaves":\n'
        + "        }\n"
        + '    leg "Declines":\n'
        + '        feature "Adding" {\n'
        + "            486 Busy Here : B -> A\n"
        + "        }\n"
        + '        feature "Ends" {\n'
        + "        }\n"
        + "}\n"
    )
    setup, case = flow.body
    assert isinstance(setup, ir.Feature) and setup.name == "Setup"
    assert isinstance(case, ir.FileCase) and case.loc == loc(5, 1, 5, 5)
    joins, declines = case.legs
    assert isinstance(joins, ir.FileLeg)
    assert joins.label == "Joins" and joins.loc == loc(6, 5, 6, 16)
    adding, nested = joins.body
    assert isinstance(adding, ir.Feature) and adding.name == "Adding"
    assert [m.name for m in adding.body] == ["INVITE"]  # type: ignore[attr-defined]
    assert isinstance(nested, ir.FileCase) and nested.loc == loc(10, 9, 10, 13)
    assert [(leg.label, [f.name for f in leg.body]) for leg in nested.legs] == [  # type: ignore[union-attr]
        ("Stays", ["Talk"]),
        ("Leaves", []),
    ]
    assert declines.label == "Declines"
    assert [f.name for f in declines.body] == ["Adding", "Ends"]  # type: ignore[union-attr]
    assert [s.loc.line for s in ir.walk_flow(flow)] == [8, 17]


# --------------------------------------------------------------------------- remarks, strings


def test_trailing_remarks_on_several_statement_kinds() -> None:
    statements = body(
        "    INVITE : A -> B (* the initiator calls *)\n"
        '    A takes action "x"   (* see http://example.com/spec *)\n'
        "    A starts timer T 32s (* RFC 3261 timer B *)\n"
        '    heading "h" (* heading remark *)\n'
        '    remark "r" (* and   its\n'
        "                  own remark *)\n"
        "    media A <-> B [codec=PCMU] (* RTP *)\n"
        "    MRFP stops mixing (* silence *)\n"
        '    sequence "s" {\n'
        "    } (* closed *)\n"
        "    case {\n"
        '        leg "x": BYE : A -> B (* in a leg *)\n'
        "    } (* case remark *)\n"
        '    A state "s"'
    )
    assert [(type(s).__name__, s.remark) for s in statements] == [
        ("Message", "the initiator calls"),
        ("Action", "see http://example.com/spec"),
        ("TimerStart", "RFC 3261 timer B"),
        ("Heading", "heading remark"),
        ("Remark", "and its own remark"),
        ("MediaStart", "RTP"),
        ("StopMixing", "silence"),
        ("Sequence", "closed"),
        ("Case", "case remark"),
        ("StateChange", None),
    ]
    case = statements[8]
    assert isinstance(case, ir.Case)
    assert case.legs[0].body[0].remark == "in a leg"
    # the remark does not widen the statement's location
    assert statements[0].loc == loc(FIRST, 5, FIRST, 20)


def test_double_slash_inside_strings_is_text() -> None:
    (msg,) = body('    MESSAGE(body="see http://example.com", "a // b") : A -> B')
    assert isinstance(msg, ir.Message)
    assert [p.value for p in msg.params] == ["see http://example.com", "a // b"]


def test_string_escapes() -> None:
    flow = parse_ok(
        'title "say \\"hi\\" \\\\ now\\nnext line"\n'
        + ARCH
        + 'feature "f" {\n    A takes action "path C:\\\\dir \\"q\\""\n}\n'
    )
    assert flow.title == 'say "hi" \\ now\nnext line'
    (feature,) = flow.body
    (action,) = feature.body  # type: ignore[union-attr]
    assert isinstance(action, ir.Action)
    assert action.text == 'path C:\\dir "q"'


def test_unicode_strings() -> None:
    flow = parse_ok('eternal: A "Ünïcödé ☎", B\nfeature "日本" {\n    remark "→ ok"\n}\n')
    assert flow.architecture.entities[0].label == "Ünïcödé ☎"
    (feature,) = flow.body
    assert feature.name == "日本"  # type: ignore[union-attr]
    assert feature.body[0].text == "→ ok"  # type: ignore[union-attr]


def test_comments_are_ignored_and_keep_columns() -> None:
    (msg,) = body("    /* block */ INVITE : A -> B // line comment")
    assert isinstance(msg, ir.Message)
    assert msg.loc == loc(FIRST, 17, FIRST, 32)


def test_keywords_are_whole_words() -> None:
    flow = parse_ok(
        "eternal: stateful, mediaServer, input, B\n"
        'feature "f" {\n'
        '    stateful state "x"\n'
        '    mediaServer takes action "y"\n'
        "    media input <-> B\n"
        "}\n"
    )
    assert [e.name for e in flow.architecture.entities] == ["stateful", "mediaServer", "input", "B"]
    state, action, media = flow.body[0].body  # type: ignore[union-attr]
    assert isinstance(state, ir.StateChange) and state.entity.text == "stateful"
    assert isinstance(action, ir.Action) and action.entity.text == "mediaServer"
    assert isinstance(media, ir.MediaStart) and media.a.text == "input"


def test_lost_arrow_needs_whitespace_after_it() -> None:
    result = parse_text(ARCH + 'feature "f" {\n    INVITE : A -xray\n}\n', FILE)
    assert result.flow is None
    (diag,) = result.diagnostics
    assert diag.code == "FDL101"
    assert (diag.loc.line, diag.loc.col) == (FIRST, 16)
    assert "found '-xray'" in diag.message


# --------------------------------------------------------------------------- parser flavours


def test_both_parser_flavours_build_the_same_reference_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from callflow.fdl import parse_file
    from callflow.fdl.parser import using_cython

    monkeypatch.setenv("CALLFLOW_NO_CYTHON", "1")
    assert not using_cython()
    pure = parse_file(REFERENCE_FLOW)
    assert pure.ok, TextReporter().render(pure.diagnostics)
    assert len(pure.flow.body) >= 2  # type: ignore[union-attr]
    if _load_cython() is None:
        pytest.skip("lark-cython is not installed")
    monkeypatch.delenv("CALLFLOW_NO_CYTHON")
    assert using_cython()
    fast = parse_file(REFERENCE_FLOW)
    assert fast.ok
    assert fast.flow == pure.flow
    assert fast.diagnostics == pure.diagnostics
