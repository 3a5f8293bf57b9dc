"""EventStudio's FDL spellings in callflow's one grammar: one test per construct.

Each test's flow is written here in the EventStudio dialect (our own names), after the
construct as EventHelix documents it: the EventStudio 8 "new project" template (its
``architecture.FDL``, ``messages.FDL``, ``methods.FDL``, ``timers.FDL``, ``actions.FDL`` and
``resources-states-and-more.FDL`` describe each statement in a remark), the classic FDL
tutorial ("Introduction to FDL") and EventHelix's published FDL. The docstring of each
test names the part it follows. Every test asserts the IR built, not only that it parses.
"""

from __future__ import annotations

import pytest

from callflow import ir
from callflow.fdl import parse_text
from callflow.report.text_report import TextReporter
from callflow.scenarios import expand_scenarios

FILE = "es.fdl"
ARCH = 'eternal: A, B, C, "Los Angeles"\ndynamic: D\n'


def parse_ok(text: str) -> ir.Flow:
    result = parse_text(text, FILE)
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors == [], TextReporter().render(result.diagnostics)
    assert result.flow is not None
    return result.flow


def body(statements: str, arch: str = ARCH) -> tuple[ir.Statement, ...]:
    flow = parse_ok(arch + 'feature "f" {\n' + statements + "\n}\n")
    (feature,) = flow.body
    assert isinstance(feature, ir.Feature)
    return feature.body


def one(statement: str, arch: str = ARCH) -> ir.Statement:
    (only,) = body(statement, arch)
    return only


def message(statement: str, arch: str = ARCH) -> ir.Message:
    node = one(statement, arch)
    assert isinstance(node, ir.Message)
    return node


def errors_of(text: str) -> list[str]:
    result = parse_text(text, FILE)
    return [f"{d.loc.line}:{d.loc.col} {d.code} {d.message}" for d in result.diagnostics]


# --------------------------------------------------------------------------- names


def test_quoted_entity_names_anywhere_a_name_goes() -> None:
    """architecture.FDL: `eternal: "Los Angeles" in California`; quoting is not identity."""
    flow = parse_ok(
        'system: "West Coast"\n'
        'eternal: "Los Angeles" in "West Coast", Fresno in "West Coast"\n'
        'feature "f" {\n'
        '    "Msg1: Preamble" : Fresno -> "Los Angeles"\n'
        '    "Los Angeles" action "Wake up"\n'
        '    "Los Angeles" state = "Awake"\n'
        "}\n"
    )
    la = flow.architecture.entity("Los Angeles")
    assert la is not None and la.parent == "West Coast" and la.label == "Los Angeles"
    msg, action, state = flow.body[0].body  # type: ignore[union-attr]
    assert isinstance(msg, ir.Message)
    assert msg.name == "Msg1: Preamble" and msg.receiver.text == "Los Angeles"
    assert not msg.is_sip
    assert isinstance(action, ir.Action) and action.entity.text == "Los Angeles"
    assert isinstance(state, ir.StateChange) and state.state == "Awake"


def test_a_quoted_status_line_is_still_a_sip_response() -> None:
    """EventStudio users quote names with spaces: `"200 OK" : B -> A` stays SIP."""
    msg = message('"200 OK" : B -> A')
    assert (msg.code, msg.reason, msg.is_response) == (200, "OK", True)


def test_type_after_a_name() -> None:
    """architecture.FDL: `"Reno": DesertTown in Nevada` (a type, an interface filter)."""
    flow = parse_ok(
        'module: Nevada\neternal: "Las Vegas": DesertCity in Nevada, Reno : DesertCity\n'
    )
    vegas, reno = flow.architecture.entities
    assert (vegas.name, vegas.type_name, vegas.parent) == ("Las Vegas", "DesertCity", "Nevada")
    assert (reno.name, reno.type_name) == ("Reno", "DesertCity")


def test_separators_are_empty_columns_that_may_repeat() -> None:
    """architecture.FDL: `eternal: separator in California` "just creates an empty space"."""
    flow = parse_ok(
        "subsystem: Cal\neternal: A in Cal, separator in Cal, B, separator, [_gap] separator, C\n"
    )
    arch = flow.architecture
    assert [e.name for e in arch.entities] == ["A", "B", "C"]
    assert [(s.position, s.parent, s.style) for s in arch.separators] == [
        (1, "Cal", None),
        (2, None, None),
        (2, None, "_gap"),
    ]


def test_dynamic_objects_sharing_one_axis() -> None:
    """architecture.FDL: `dynamic : Toronto | Ottawa in Ontario`: objects take turns."""
    flow = parse_ok("module: Ontario\ndynamic: Toronto | Ottawa in Ontario\n")
    toronto, ottawa = flow.architecture.entities
    assert (toronto.axis, ottawa.axis) == (None, "Toronto")
    assert toronto.parent == ottawa.parent == "Ontario"
    assert toronto.dynamic and ottawa.dynamic


def test_component_is_a_fourth_level() -> None:
    """architecture.FDL: five tiers, system > subsystem > module > component > object."""
    flow = parse_ok(
        "system: North\nsubsystem: Americas in North\nmodule : Peru in Americas\n"
        "component: Lima in Peru\neternal : Miraflores in Lima\n"
    )
    assert [g.level for g in flow.architecture.groups] == [
        "system",
        "subsystem",
        "module",
        "component",
    ]
    assert [g.name for g in flow.architecture.ancestors("Miraflores")] == [
        "Lima",
        "Peru",
        "Americas",
        "North",
    ]


def test_component_style_chain_returns_stay_names() -> None:
    """EventStudio's words are contextual: flows that use them as names keep parsing."""
    statements = body(
        'component takes action "x"\nstyle : component -> chain\nreturns : chain -> style\n',
        arch="eternal: component, style, chain, returns\n",
    )
    assert [type(s).__name__ for s in statements] == ["Action", "Message", "Message"]
    assert statements[1].sender.text == "component"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- arrows


@pytest.mark.parametrize(
    ("arrow", "style", "sender", "receiver", "lost"),
    [
        ("->", "normal", "A", "B", False),
        ("<-", "normal", "B", "A", False),
        ("=>", "bold", "A", "B", False),
        ("<=", "bold", "B", "A", False),
        ("<->", "bidirectional", "A", "B", False),
        ("<=>", "bold-bidirectional", "A", "B", False),
        ("->X", "normal", "A", "B", True),
        ("-x", "normal", "A", "B", True),
    ],
)
def test_arrows(arrow: str, style: str, sender: str, receiver: str, lost: bool) -> None:
    """messages.FDL: `<-` reversed, `=>`/`<=` bold, `<->`/`<=>` both ways, `->X` lost."""
    msg = message(f"Note : A {arrow} B")
    assert (msg.arrow, msg.sender.text, msg.receiver.text, msg.lost) == (
        style,
        sender,
        receiver,
        lost,
    )
    assert msg.written_reversed == (arrow in ("<-", "<="))


def test_a_reply_arrow_keeps_sip_meaning() -> None:
    """`200 OK : A <- B` is B's response to A; a two-way arrow is never a SIP hop."""
    reply = message("200 OK : A <- B")
    assert reply.is_response and reply.sender.text == "B"
    assert not message("INVITE : A <-> B").is_sip


def test_cascade_is_one_message_per_hop() -> None:
    """messages.FDL: `Fwd (p1, p2="v") : A -> B -> C` forwards the same message."""
    first, second = body('Fwd(p1, p2="v") : A -> B -> C % forwarded')
    assert isinstance(first, ir.Message) and isinstance(second, ir.Message)
    assert (first.sender.text, first.receiver.text) == ("A", "B")
    assert (second.sender.text, second.receiver.text) == ("B", "C")
    assert first.params == second.params and [str(p) for p in first.params] == [
        "p1",
        'p2="v"',
    ]
    assert (first.remark, second.remark) == (None, "forwarded")


def test_reversed_cascade_runs_from_the_right() -> None:
    """5G FDL: `UE <- "gNB" <- AMF`: AMF sends first."""
    first, second = body("Paging : A <- B <- C")
    assert [(m.sender.text, m.receiver.text) for m in (first, second)] == [  # type: ignore[attr-defined]
        ("C", "B"),
        ("B", "A"),
    ]


def test_multicast_in_a_cascade_is_an_error() -> None:
    assert any("FDL108" in e for e in errors_of(ARCH + 'feature "f" {\n  M : A -> B, C -> A\n}\n'))


def test_tagged_ends() -> None:
    """messages.FDL: `Hello : "Lima"-"5060" -> "Cusco"-"5061"`; 5G: unquoted tags."""
    msg = message('Hello : A-"5060" -> "Los Angeles"-N4')
    assert (msg.sender.text, msg.sender_tag) == ("A", "5060")
    assert (msg.receiver.text, msg.receiver_tags) == ("Los Angeles", ("N4",))
    assert message("Hello : A -> B").receiver_tags == ()


def test_multi_line_message_names_continue_after_plus() -> None:
    """messages.FDL: `"Setup" + "- part one" + "- part two" (a, b) : A -> B`."""
    msg = message('"Setup" + "- part one"\n    + "- part two" (a, b) : A -> B')
    assert msg.name == "Setup\n- part one\n- part two"
    assert [p.value for p in msg.params] == ["a", "b"]


def test_multicasts_statement() -> None:
    """messages.FDL: `Lima multicasts "News" (head, body) to Cusco, Quito`."""
    msg = message('A multicasts "News" (head) to B,\n    C <https://example.org/news>')
    assert msg.name == "News" and [r.text for r in msg.receivers] == ["B", "C"]
    assert msg.link == "https://example.org/news"


def test_environment_edges() -> None:
    """messages.FDL: `Ext : env_l -> Lima` and `Ext : Cusco <- env_r`."""
    left, right = body("Ext : env_l -> A\nExt : B <- env_r")
    assert (left.sender.text, right.sender.text) == ("env_l", "env_r")  # type: ignore[attr-defined]


def test_chain_groups_hops_on_one_line() -> None:
    """messages.FDL: `chain { ... }` "a chain of message interactions in a single line";
    the remark after its brace belongs to the chain."""
    (chain,) = body('chain {\n  "Step 1" (x) : A -> B\n  "Step 2" : B -> C\n}\n|* the chain *|')
    assert isinstance(chain, ir.Sequence) and chain.kind == "chain"
    assert [m.name for m in chain.body] == ["Step 1", "Step 2"]  # type: ignore[attr-defined]
    assert chain.remark == "the chain"


def test_invokes_and_returns() -> None:
    """methods.FDL: `Lima invokes "Cusco".Book(seatId)` ... `"Cusco".Book returns (ticket)`;
    nested calls return to their own caller."""
    call, _inner, inner_ret, ret = body(
        'A invokes "Los Angeles".Book(seat)\n'
        '"Los Angeles" invokes B.Pay\n'
        "B.Pay returns\n"
        '"Los Angeles".Book returns (ticket, price)'
    )
    assert (call.call_kind, call.name, call.receiver.text) == ("invoke", "Book", "Los Angeles")  # type: ignore[attr-defined]
    assert (inner_ret.sender.text, inner_ret.receiver.text) == ("B", "Los Angeles")  # type: ignore[attr-defined]
    assert (ret.call_kind, ret.sender.text, ret.receiver.text) == ("return", "Los Angeles", "A")  # type: ignore[attr-defined]
    assert [p.value for p in ret.params] == ["ticket", "price"]  # type: ignore[attr-defined]
    assert not call.is_sip  # type: ignore[attr-defined]


def test_return_without_invoke_is_an_error() -> None:
    found = errors_of(ARCH + 'feature "f" {\n    B.Pay returns\n}\n')
    assert found == ["4:5 FDL311 'B.Pay returns' has no 'invokes B.Pay' before it to return to"]


def test_create_and_delete_forms() -> None:
    """resources-states-and-more.FDL: `Lima creates Cab(driver = "Ann")`, `create Bus`,
    `delete Bus`; `D deletes self`."""
    creates, create, delete, self_delete = body(
        'A creates D(driver = "Ann", seats)\ncreate D\ndelete D\nD deletes self'
    )
    assert isinstance(creates, ir.Create) and creates.creator.text == "A"
    assert [str(p) for p in creates.params] == ['driver="Ann"', "seats"]
    assert isinstance(create, ir.Create) and create.creator == create.created
    assert isinstance(delete, ir.Delete) and delete.deleter == delete.deleted
    assert isinstance(self_delete, ir.Delete) and self_delete.deleted.text == "D"


# --------------------------------------------------------------------------- actions etc.


def test_action_short_and_joint_forms() -> None:
    """actions.FDL: `Lima action "Book hall"`, `Lima, Cusco action "Joint bid"`, and the
    older `takes action`."""
    short, joint, classic = body(
        'A action "Book hall"\nA, B action Bid\n"Los Angeles" takes action "Old"'
    )
    assert isinstance(short, ir.Action) and short.text == "Book hall" and short.others == ()
    assert isinstance(joint, ir.Action) and [n.text for n in joint.entity_names()] == ["A", "B"]
    assert joint.text == "Bid"
    assert isinstance(classic, ir.Action) and classic.entity.text == "Los Angeles"


def test_begin_and_end_action_singular_and_plural() -> None:
    """actions.FDL: `Lima, Cusco begin action "Prep"`; 5G: `GW begins action "Buffer"`."""
    begin, end, begins, ends = body(
        'A, B begin action "Prep"\nA, B end action "Prep"\n'
        'C begins action "Buffer"\nC ends action "Buffer"'
    )
    assert isinstance(begin, ir.BeginAction) and begin.others[0].text == "B"
    assert isinstance(end, ir.EndAction) and end.text == "Prep"
    assert isinstance(begins, ir.BeginAction) and isinstance(ends, ir.EndAction)


def test_timers_short_forms() -> None:
    """timers.FDL: `Lima starts Guard`, `timeout Guard` (no entity: the starter's),
    `Lima starts periodic Beat`, `Lima stops Beat`."""
    start, timeout, periodic, stop, long_form, periodic_timer = body(
        "A starts T300\ntimeout T300\nB starts periodic Beat\nB stops Beat\n"
        "C starts timer T1 5s\nC starts periodic timer T2"
    )
    assert isinstance(periodic_timer, ir.TimerStart) and periodic_timer.periodic
    assert periodic_timer.timer.text == "T2"
    assert isinstance(start, ir.TimerStart) and not start.periodic
    assert isinstance(timeout, ir.TimerTimeout) and timeout.entity.text == "A"
    assert isinstance(periodic, ir.TimerStart) and periodic.periodic
    assert isinstance(stop, ir.TimerStop) and stop.timer.text == "Beat"
    assert isinstance(long_form, ir.TimerStart) and long_form.duration_ms == 5000


def test_timeout_of_a_timer_nobody_started_needs_an_entity() -> None:
    assert errors_of(ARCH + 'feature "f" {\n  timeout T9\n}\n') == [
        "4:3 FDL312 'timeout T9' names no entity and no statement before it starts T9: "
        "write 'timeout T9 : ENTITY'"
    ]


def test_resources_and_states_short_forms() -> None:
    """resources-states-and-more.FDL: `Lima allocates "Hall"`, `Lima, Cusco free "Field"`,
    `Lima state = "Waiting"`."""
    alloc, joint_free, state, joint_state = body(
        'A allocates "Hall"\nA, B free "Field"\nA state = "Waiting"\nA, B state = Ready'
    )
    assert isinstance(alloc, ir.ResourceAllocate) and alloc.resource == "Hall"
    assert isinstance(joint_free, ir.ResourceFree) and len(joint_free.entity_names()) == 2
    assert isinstance(state, ir.StateChange) and state.state == "Waiting"
    assert isinstance(joint_state, ir.StateChange) and joint_state.state == "Ready"


def test_preconditions_pause_and_loop() -> None:
    """5G FDL: `preconditions { ... }` first in a feature; timers.FDL: `...` (passage of
    time); a user project's `loop "Retry" { ... }`."""
    pre, pause, loop = body(
        'preconditions {\n  A state = "Idle"\n}\n...\nloop "Retry" {\n  Ping : A -> B\n}'
    )
    assert isinstance(pre, ir.Sequence) and pre.kind == "preconditions"
    assert isinstance(pre.body[0], ir.StateChange)
    assert isinstance(pause, ir.Pause)
    assert isinstance(loop, ir.Sequence) and (loop.kind, loop.name) == ("loop", "Retry")


# --------------------------------------------------------------------------- remarks


def test_remarks_attach_to_the_statement_before_them() -> None:
    """messages.FDL: `%` to the end of the line, `|* *|` multi-line, on the statement's line
    or the lines after it; several follow one statement (5G)."""
    first, second = body(
        "Ping : A -> B % on the line\n"
        "|* on the next\n   line *|\n"
        "|* and one more *|\n"
        "Pong : B -> A (* callflow's own *)\n"
        "% a line of its own"
    )
    assert first.remark == "on the line on the next line and one more"
    assert second.remark == "callflow's own a line of its own"


def test_a_remark_with_no_statement_before_it_is_a_remark_row() -> None:
    (row, msg) = body("% opening words\nPing : A -> B")
    assert isinstance(row, ir.Remark) and row.text == "opening words"
    assert isinstance(msg, ir.Message) and msg.remark is None


def test_urls_and_quotes_inside_remarks_are_text() -> None:
    (msg,) = body('Ping : A -> B % see "RFC 3261", https://example.org/x')
    assert msg.remark == 'see "RFC 3261", https://example.org/x'


def test_block_remark_across_the_diagram() -> None:
    """messages.FDL: `|= ... =|` is "shown across the full sequence diagram"."""
    block, msg = body("[_title] |= Summary:\n   two lines =|\nPing : A -> B")
    assert isinstance(block, ir.BlockRemark)
    assert block.text == "Summary: two lines" and block.style == "_title"
    assert isinstance(msg, ir.Message)


def test_remark_lines_between_features_belong_to_the_feature_before() -> None:
    flow = parse_ok(
        ARCH + "% introduction\n"
        'feature "one" {\n  Ping : A -> B\n}\n'
        "% about the ping\n"
        'feature "two" {\n  Pong : B -> A\n}\n'
    )
    assert [r.text for r in flow.introduction] == ["introduction"]
    assert flow.body[0].body[0].remark == "about the ping"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- styles, links


def test_styles_themes_and_prefixes() -> None:
    """project-inc.FDL / 5G inc.FDL: `style _name: color=..., linepattern="- -"`,
    `theme Name: key = "value"`, `[_style]` on declarations and statements, `{Theme}` on
    features."""
    flow = parse_ok(
        'style _err: color=RED, bgcolor=#ffeeee, textcolor=white, linepattern="- -",\n'
        '    font="Courier New", fontsize="9"\n'
        'theme Plain: remarkType = "column", paperSize = "A4"\n'
        "component: [_ue] Handset\n"
        "[_core] eternal: A in Handset, [_err] B\n"
        '{Plain} feature "f" {\n'
        "    [_err] Ping : A ->X B\n"
        "}\n"
    )
    err = flow.style("_err")
    assert err is not None and err.kind == "style"
    assert [(a.key, a.value) for a in err.attributes] == [
        ("color", "RED"),
        ("bgcolor", "#ffeeee"),
        ("textcolor", "white"),
        ("linepattern", "- -"),
        ("font", "Courier New"),
        ("fontsize", "9"),
    ]
    theme = flow.style("Plain", "theme")
    assert theme is not None and theme.attribute("paperSize") == "A4"
    assert flow.architecture.group("Handset").style == "_ue"  # type: ignore[union-attr]
    a, b = flow.architecture.entities
    assert (a.style, b.style) == ("_core", "_err")
    feature = flow.body[0]
    assert isinstance(feature, ir.Feature) and feature.theme == "Plain"
    assert feature.body[0].style == "_err"


@pytest.mark.parametrize(
    "link", ["https://example.org/spec#x", "HYPERLINK#rrcsetup", "#local", "mailto:a@b.example"]
)
def test_links_end_a_statement(link: str) -> None:
    """messages.FDL / actions.FDL: `<https://...>` is the last element of the statement,
    before its remark."""
    msg, action = body(f'Open : A -> B <{link}> % with a remark\nA action "Go" <{link}>')
    assert (msg.link, msg.remark) == (link, "with a remark")
    assert action.link == link


def test_statements_continue_after_a_comma_or_inside_parentheses() -> None:
    msg = message("Report(a,\n   b) : A -> B,\n   C")
    assert [r.text for r in msg.receivers] == ["B", "C"]


# --------------------------------------------------------------------------- classic FDL


def test_classic_tutorial_program() -> None:
    """The classic tutorial ("Introduction to FDL", Call1.fdl): `module :` and
    `processor :` declarations, `feature "..." ... endfeature` without braces."""
    flow = parse_ok(
        "module : cust, exch\n"
        "processor : handset in cust\n"
        "processor : router in exch, switch in exch\n"
        'feature "Call Setup"\n'
        "   hook_off : handset -> router\n"
        "   tone : router -> handset (* dial tone *)\n"
        "endfeature\n"
    )
    assert [(g.level, g.name) for g in flow.architecture.groups] == [
        ("module", "cust"),
        ("module", "exch"),
    ]
    assert [(e.name, e.parent, e.kind) for e in flow.architecture.entities] == [
        ("handset", "cust", "eternal"),
        ("router", "exch", "eternal"),
        ("switch", "exch", "eternal"),
    ]
    (feature,) = flow.body
    assert isinstance(feature, ir.Feature) and feature.name == "Call Setup"
    assert [m.name for m in feature.body] == ["hook_off", "tone"]  # type: ignore[attr-defined]
    (scenario,) = expand_scenarios(flow).scenarios
    assert len(scenario.messages()) == 2


def test_both_spellings_mix_in_one_file_with_callflow_extensions() -> None:
    """callflow's SIP roles, Call-ID parameters, case/leg and media beside EventStudio's."""
    flow = parse_ok(
        'eternal: "UE A" [role=ue], P [role=proxy], "UE B" [role=ue]\n'
        'feature "call" {\n'
        '    INVITE(Call-ID=c1, sdp=offer) : "UE A" => P -> "UE B" % bold, then plain\n'
        "    case {\n"
        '        leg "answered":\n'
        '            200 OK(sdp=answer) : P <- "UE B"\n'
        '            200 OK : "UE A" <- P\n'
        '            ACK(Call-ID=c1) : "UE A" -> "UE B"\n'
        '            media "UE A" <-> "UE B" [codec=PCMU]\n'
        '        leg "busy":\n'
        '            486 Busy Here : "UE B" -> P\n'
        '            ACK : P -> "UE B"\n'
        '            486 Busy Here : P -> "UE A"\n'
        '            ACK : "UE A" -> P\n'
        "    }\n"
        "}\n"
    )
    scenarios = expand_scenarios(flow).scenarios
    assert [s.name for s in scenarios] == ["answered", "busy"]
    answered = scenarios[0]
    assert [m.name for m in answered.messages()][:3] == ["INVITE", "INVITE", "200 OK"]
    assert answered.messages()[0].arrow == "bold"
    assert answered.resolved[1].call == "c1"  # the forwarded INVITE inherits the call


# --------------------------------------------------------------------------- warnings


def warnings_of(text: str) -> list[str]:
    result = parse_text(text, FILE)
    assert result.flow is not None and result.ok, TextReporter().render(result.diagnostics)
    return [f"{d.loc.line}:{d.loc.col} {d.code} {d.message}" for d in result.diagnostics]


def test_unknown_style_attributes_and_colours_are_warnings_never_errors() -> None:
    found = warnings_of(
        'style _s: color=DODGERBLUE, bgcolor=bogus, shade=3, match="^RRC", linepattern="- -"\n'
        "eternal: A, B\n"
        'feature "f" {\n  [_s] M : A -> B\n}\n'
    )
    assert found == [
        "1:29 FDL314 bgcolor=bogus: not a colour name or #rrggbb (ignored)",
        "1:44 FDL314 unknown style attribute 'shade' (ignored; callflow draws color, bgcolor, "
        "textcolor, paramcolor, linepattern, linewidth, font, fontsize, "
        "blockRemarkFormatting)",
        "1:53 FDL314 style attribute 'match' is not honoured by callflow (ignored)",
    ]


def test_undefined_styles_and_themes_and_unsafe_links_are_warnings() -> None:
    found = warnings_of(
        'eternal: [_nope] A, B\n{Dark} feature "f" {\n  [_zz] M : A -> B <javascript:alert(1)>\n}\n'
    )
    assert [f.split(" ", 2)[1] for f in found] == ["FDL313", "FDL313", "FDL313", "FDL315"]
    assert "{Dark} names no theme" in found[1]
    assert "<javascript:alert(1)>" in found[3]


def test_block_remark_keeps_its_lines_for_verbatim_styles() -> None:
    (block,) = body("|= first line\n     second\n       indented =|")
    assert isinstance(block, ir.BlockRemark)
    assert block.text == "first line second indented"
    assert block.lines == ("first line", "second", "  indented")


def test_one_warning_per_theme_naming_what_is_not_honoured() -> None:
    found = warnings_of(
        'theme Plain: remarkType = "callout", paperSize = "A4",\n    remarkFont = "Arial"\n'
    )
    assert found == [
        "1:38 FDL314 theme Plain: 2 attributes are not honoured by callflow (drawn with "
        "callflow's own layout): paperSize, remarkFont"
    ]


def test_remark_lines_inside_a_file_level_case() -> None:
    flow = parse_ok(
        ARCH + "case {\n"
        '  leg "a":\n'
        "    % before any feature: nothing to attach to\n"
        '    feature "one" {\n      Ping : A -> B\n    }\n'
        "    % after it: the feature's last statement\n"
        "}\n"
    )
    leg = flow.body[0].legs[0]  # type: ignore[union-attr]
    assert leg.body[0].body[0].remark == "after it: the feature's last statement"
    found = warnings_of(ARCH + 'case {\n  leg "a":\n    % lost\n    feature "f" {\n    }\n}\n')
    assert found == [
        "5:5 FDL310 a remark here belongs to no statement: callflow does not draw it "
        "(move it into a feature)"
    ]


def test_a_styled_separator_says_its_style_draws_nothing() -> None:
    found = warnings_of("style _gap: bgcolor=RED\neternal: A, [_gap] separator, B\n")
    assert found == [
        "2:20 FDL314 a separator is an empty space: callflow draws nothing for its style [_gap]"
    ]


@pytest.mark.parametrize(("opener", "closer"), [("|*", "*|"), ("|=", "=|")])
def test_an_unterminated_eventstudio_remark_is_located_where_it_starts(
    opener: str, closer: str
) -> None:
    found = errors_of(ARCH + f'feature "f" {{\n  M : A -> B\n  {opener} no end\n}}\n')
    assert found == [f"5:3 FDL103 unterminated remark: '{opener}' has no closing '{closer}'"]
