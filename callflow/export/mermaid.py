"""Export one scenario as a Mermaid ``sequenceDiagram`` (GitHub and GitLab render it).

Participants come in declaration order with their labels, boxed per ``system``; each
message is an arrow (``-->>`` for SIP responses, ``-x``/``--x`` when lost, one per
receiver for a multicast) with the parameters written on the statement. Mermaid has no
divider, so features and headings are notes across every lifeline; actions, states,
timers, resources, mixing, media and create/delete are notes over their entities
(Mermaid's own ``create participant`` must be followed by a message to the new actor,
which FDL does not promise); remarks sit in a right-hand column; ``sequence`` blocks are
shaded ``rect`` blocks with their name as the first note (EventStudio's ``preconditions``
and ``chain`` too; ``loop`` is a ``loop`` block).

EventStudio's constructs map to Mermaid's closest: bold arrows are plain ``->>`` (Mermaid
has no bold), both ways ``<<->>``, ``returns`` dotted ``-->>``, ``env_l`` / ``env_r`` an
"environment" lifeline at each side (Mermaid has no diagram edges), tagged ends a
``[tag] -> [tag]`` line under the name, joint and module-level statements one note over
their entities, ``...`` and block remarks notes across every lifeline.

Numbering (fdl.md section 6): Mermaid's ``autonumber`` counts arrows and cannot pause, so
it is used when every message is one arrow. A scenario with a multicast message instead
writes each message's number before its text ("3. Alert" on each of its arrows).

Escaping: Mermaid reads ``#`` and ``;`` as comment and statement ends, a leading
``wrap:`` as a directive, and renders text as HTML. User text is written with Mermaid's
entity codes (``#35;``, ``#59;``, ``#quot;``, ``#lt;``...), which it decodes only for
display; newlines become ``<br/>``. Participant ids are the entity names, with ``_``
appended to one that is a Mermaid keyword (``end``, ``note``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from callflow import ir
from callflow.export.common import (
    group_entities,
    lifeline_note,
    message_text,
    option_on,
    participants,
    spread,
    wrap_width,
)

__all__ = ["to_mermaid"]

BOX_COLOR = "rgba(128, 128, 128, 0.1)"
SEQUENCE_COLOR = "rgba(128, 128, 128, 0.08)"

_ENTITIES = {
    "#": "#35;",
    ";": "#59;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "%": "#37;",
    "\\": "#92;",
    "`": "#96;",
    "{": "#123;",
    "}": "#125;",
}
#: in a box label the first word would be read as a colour if the label held parentheses
_BOX_ENTITIES = {**_ENTITIES, "(": "#40;", ")": "#41;"}
_WRAP_PREFIX = re.compile(r"\s*:?(?:no)?wrap:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_RESERVED = frozenset(
    """
    sequencediagram participant actor as box end create destroy loop rect opt alt else par
    par_over and critical option break links link properties details over note left right
    of activate deactivate title acctitle accdescr autonumber off
    """.split()
)


def _text(value: str, table: dict[str, str] = _ENTITIES) -> str:
    """User text as literal Mermaid text; a newline becomes ``<br/>``.

    A ``:`` stays readable when a space follows it; otherwise it is ``#58;``: a text that
    starts ``wrap:`` would switch wrapping on, and ``:`` then ``#`` on a line that says
    ``style`` is cut short by Mermaid's entity pre-pass.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _CONTROL.sub(lambda m: "\n" if m.group() in "\x85\u2028\u2029" else "\ufffd", value)
    lead = _WRAP_PREFIX.match(value)
    lead_end = lead.end() if lead else 0
    out: list[str] = []
    for i, char in enumerate(value):
        if char == ":" and (i < lead_end or (i + 1 < len(value) and value[i + 1] != " ")):
            out.append("#58;")
        else:
            out.append(table.get(char, char))
    return "".join(out).replace("\n", "<br/>")


class _Writer:
    """Accumulates the lines of one diagram (a builder: not data)."""

    def __init__(
        self,
        flow: ir.Flow,
        scenario: ir.Scenario,
        *,
        numbering: bool,
        remarks: bool,
        wrap: int,
    ) -> None:
        self.flow = flow
        self.scenario = scenario
        self.remarks = remarks
        self.wrap = wrap
        self.participants = participants(flow, scenario, _RESERVED, edges=True)
        self.groups = group_entities(flow.architecture)
        self.alias = {p.name: p.alias for p in self.participants}
        self.label = {p.name: p.label for p in self.participants}
        self.position = {p.name: i for i, p in enumerate(self.participants)}
        multicast = any(m.is_multicast for m in scenario.messages())
        self.autonumber = numbering and not multicast
        self.explicit_numbers = numbering and multicast
        self.number = 0
        self.lines: list[str] = []
        self.indent = 1

    # -- output helpers
    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def id_of(self, name: ir.Name | str) -> str:
        text = name.text if isinstance(name, ir.Name) else name
        if text not in self.alias and text in self.groups:  # a group: its first entity
            text = self.groups[text][0]
        return self.alias[text]

    def note_over(self, names: Iterable[ir.Name], text: str) -> None:
        """A note spanning the named lifelines (Mermaid takes the outermost two); a group
        stands for its entities."""
        spots = sorted({self.position[n] for n in spread(names, self.groups) if n in self.position})
        if not spots:
            self.across(text)
            return
        first, last = self.participants[spots[0]].alias, self.participants[spots[-1]].alias
        span = first if first == last else f"{first},{last}"
        self.emit(f"Note over {span}: {_text(text)}")

    def across(self, text: str) -> None:
        """A note over every lifeline (Mermaid's closest thing to a divider)."""
        if not self.participants:
            return
        first, last = self.participants[0].alias, self.participants[-1].alias
        span = first if first == last else f"{first},{last}"
        self.emit(f"Note over {span}: {_text(text)}")

    def remark(self, text: str | None) -> None:
        if text is None or not self.remarks or not self.participants:
            return
        self.emit(f"Note right of {self.participants[-1].alias}: {_text(text)}")

    # -- document
    def document(self) -> str:
        self.lines.append("sequenceDiagram")
        self.emit(f"title {_text(f'{self.flow.display_title}: {self.scenario.name}')}")
        if self.autonumber:
            self.emit("autonumber")
        self.declare_participants()
        for feature in self.scenario.features:
            self.across(feature.name)
            self.body(feature.body)
        return "\n".join(self.lines) + "\n"

    def declare_participants(self) -> None:
        open_box: ir.Group | None = None
        for p in self.participants:
            if p.system is not open_box:
                if open_box is not None:
                    self.indent -= 1
                    self.emit("end")
                if p.system is not None:
                    color = next((a.value for a in p.system.attributes if a.key == "color"), None)
                    fill = color if color is not None and _COLOR.fullmatch(color) else BOX_COLOR
                    self.emit(f"box {fill} {_text(p.system.label, _BOX_ENTITIES)}")
                    self.indent += 1
                open_box = p.system
            self.emit(f"participant {p.alias} as {_text(p.label)}")
        if open_box is not None:
            self.indent -= 1
            self.emit("end")

    def body(self, statements: Iterable[ir.Statement]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, st: ir.Statement) -> None:
        match st:
            case ir.Message():
                self.message(st)
            case ir.Sequence() if st.kind == "loop":
                self.emit(f"loop {_text(st.name)}")
                self.indent += 1
                self.remark(st.remark)
                self.body(st.body)
                self.indent -= 1
                self.emit("end")
                return
            case ir.Sequence():  # sequence, preconditions, chain: a shaded block, named
                self.emit(f"rect {SEQUENCE_COLOR}")
                self.indent += 1
                self.across(st.name)
                self.remark(st.remark)
                self.body(st.body)
                self.indent -= 1
                self.emit("end")
                return
            case ir.Heading():
                self.across(st.text)
            case ir.Remark():
                self.remark(st.text)
            case ir.BlockRemark():
                self.across(st.text)
            case ir.Pause():
                self.across("…")
            case _ if (note := lifeline_note(st, self.label)) is not None:
                self.note_over(note[0], note[1])
            case ir.MediaStart():
                attrs = ", ".join(f"{a.key}={a.value}" for a in st.attributes)
                text = f"RTP media {self.label[st.a.text]} ⇄ {self.label[st.b.text]}"
                self.note_over([st.a, st.b], text + (f"\n({attrs})" if attrs else ""))
            case ir.MediaStop():
                text = f"RTP media stop {self.label[st.a.text]} ⇄ {self.label[st.b.text]}"
                self.note_over([st.a, st.b], text)
            case ir.Create():
                created = self.label[st.created.text]
                if st.creator.text == st.created.text:  # `create X`: no creator
                    text = f"«create» {created}"
                else:
                    text = f"«create» {self.label[st.creator.text]} creates {created}"
                params = ", ".join(str(p) for p in st.params)
                self.note_over([st.creator, st.created], text + (f"({params})" if params else ""))
            case ir.Delete():
                deleted = self.label[st.deleted.text]
                if st.deleter.text == st.deleted.text:
                    text = f"«delete» {deleted}"
                else:
                    text = f"«delete» {self.label[st.deleter.text]} deletes {deleted}"
                self.note_over([st.deleter, st.deleted], text)
            case _:  # a Case cannot occur in a scenario: expansion chose its leg
                return
        self.remark(st.remark)

    def message(self, message: ir.Message) -> None:
        """``->>`` (bold too: Mermaid has no bold arrow), ``-->>`` for SIP responses and
        EventStudio's returns, ``<<->>`` both ways, ``-x`` lost."""
        self.number += 1
        dotted = "-" if message.is_response or message.call_kind == "return" else ""
        if message.lost:
            arrow = f"-{dotted}x"
        elif message.arrow in ir.BIDIRECTIONAL:
            arrow = f"<<-{dotted}>>"
        else:
            arrow = f"-{dotted}>>"
        sender = self.id_of(message.sender)
        for i, receiver in enumerate(message.receivers):
            text = message_text(message, self.wrap, i)
            if self.explicit_numbers:
                text = f"{self.number}. {text}"
            self.emit(f"{sender}{arrow}{self.id_of(receiver)}: {_text(text)}")


def to_mermaid(
    flow: ir.Flow,
    scenario: ir.Scenario,
    *,
    numbering: bool | None = None,
    remarks: bool | None = None,
    wrap: int | None = None,
) -> str:
    """The scenario as a Mermaid ``sequenceDiagram``.

    ``numbering``, ``remarks`` and ``wrap`` override the flow's ``option`` lines (fdl.md
    section 7), as the command-line flags do. The output depends only on its inputs.
    """
    return _Writer(
        flow,
        scenario,
        numbering=option_on(flow, "numbering", numbering),
        remarks=option_on(flow, "remarks", remarks),
        wrap=wrap_width(flow, wrap),
    ).document()
