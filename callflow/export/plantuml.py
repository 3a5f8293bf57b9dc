"""Export one scenario as a PlantUML sequence diagram (text users paste into wikis).

Participants come in declaration order with their labels, boxed per ``system``; each
message is an arrow (dashed for SIP responses, crossed when lost, one per receiver for a
multicast) with the parameters written on the statement; features and headings are
``== dividers ==``; actions, states, timers, resources and mixing are notes over their
entity; remarks sit in a right-hand column like the HTML diagram's; ``sequence`` blocks
are ``group`` blocks (EventStudio's ``preconditions`` and ``chain`` too, named so;
``loop`` is a ``loop`` block).

EventStudio's constructs map to PlantUML's closest: bold arrows ``-[bold]>``, both ways
``<->``, ``invokes`` solid and ``returns`` dashed, a style's colour and line pattern as
arrow options (``-[#red,dashed]>``), ``env_l`` / ``env_r`` as the diagram edges
(``[-> A``, ``A ->]``), tagged ends as a ``[tag] -> [tag]`` line under the name, joint and
module-level statements as one note over their entities, ``...`` as PlantUML's delay
``...``, block remarks as ``note across``, ``create X`` without an arrow.
``autonumber`` gives message N the number N of the flow (fdl.md
section 6): arrows that are not messages (media, create/delete, the extra arrows of a
multicast) are drawn between ``autonumber stop`` and ``autonumber resume``.

Escaping: PlantUML runs a preprocessor (``%date()`` expands anywhere), creole markup
(``**``, ``//``, ``--``, ``~``), HTML-like tags and sprites (``<b>``, ``<&icon>``), entity
references and ``\\n`` escapes over user text. Every character that could start one of
those is written as ``<U+XXXX>``, which PlantUML shows as that character and nothing
else, in display names, messages, notes, dividers and titles alike.
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
from callflow.render.styles import StyleBook

__all__ = ["to_plantuml"]

BOX_COLOR = "#F5F5F5"
MEDIA_ARROW = "<-[#2E7D32,bold]->"
MEDIA_STOP_ARROW = "<-[#888888,dashed]->"

#: written as <U+XXXX> wherever they stand (``"`` too inside a quoted display name)
_ALWAYS = frozenset("<>&%\\~$#[]{}|`")
#: creole markup when doubled (``**bold**``, ``//italic//``, ``--strike--``...), and the
#: ``/'`` ``'/`` block comment: encoded only next to their partner, so ``P-CSCF`` and
#: ``Call-ID=x`` stay readable
_PAIRED = {
    "*": "*",
    "-": "-",
    "_": "_",
    "=": "=",
    '"': '"',
    "^": "^",
    "/": "/'",
    "'": "/",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_RESERVED = frozenset(
    """
    participant actor boundary control entity database collections queue as box end group
    note hnote rnote ref over of left right across alt else loop opt par break critical
    activate deactivate destroy create return autonumber title skinparam hide show newpage
    legend header footer order autoactivate delay space mainframe caption scale
    """.split()
)


def _text(value: str, *, quoted: bool = False) -> str:
    """User text as literal PlantUML text; a newline becomes PlantUML's ``\\n``.

    ``quoted``: the text stands between double quotes (a display name), where any ``"``
    would end it.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _CONTROL.sub(lambda m: "\n" if m.group() in "\x85\u2028\u2029" else "\ufffd", value)
    out: list[str] = []
    last = len(value) - 1
    for i, char in enumerate(value):
        if char == "\n":
            out.append("\\n")
            continue
        partners = _PAIRED.get(char, "")
        paired = (i > 0 and value[i - 1] in partners) or (i < last and value[i + 1] in partners)
        encode = paired or char in _ALWAYS or (quoted and char == '"')
        out.append(f"<U+{ord(char):04X}>" if encode else char)
    return "".join(out)


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
        self.numbering = numbering
        self.remarks = remarks
        self.wrap = wrap
        self.participants = participants(flow, scenario, _RESERVED)
        self.alias = {p.name: p.alias for p in self.participants}
        self.label = {p.name: p.label for p in self.participants}
        self.groups = group_entities(flow.architecture)
        self.styles = StyleBook(flow)
        self.lines: list[str] = []
        self.indent = 0

    # -- output helpers
    def emit(self, line: str) -> None:
        self.lines.append("  " * self.indent + line)

    def unnumbered(self, lines: Iterable[str]) -> None:
        """Arrows that are not flow messages: keep autonumber in step with the flow."""
        if self.numbering:
            self.emit("autonumber stop")
        for line in lines:
            self.emit(line)
        if self.numbering:
            self.emit("autonumber resume")

    def id_of(self, name: ir.Name | str) -> str:
        text = name.text if isinstance(name, ir.Name) else name
        if text not in self.alias and text in self.groups:  # a group: its first entity
            text = self.groups[text][0]
        return self.alias[text]

    def note_over(self, names: Iterable[ir.Name], text: str, shape: str = "note") -> None:
        entities = [n for n in spread(names, self.groups) if n in self.alias]
        if not entities:
            self.emit(f"{shape} across : {_text(text)}")
            return
        aliases = list(dict.fromkeys(self.id_of(n) for n in entities))
        self.emit(f"{shape} over {', '.join(aliases)} : {_text(text)}")

    def remark(self, text: str | None) -> None:
        if text is None or not self.remarks or not self.participants:
            return
        self.emit(f"note right of {self.participants[-1].alias} : {_text(text)}")

    # -- document
    def document(self) -> str:
        title = f"{self.flow.display_title}: {self.scenario.name}"
        self.emit("@startuml")
        self.emit(f"title {_text(title)}")
        if self.numbering:
            self.emit("autonumber")
        self.declare_participants()
        for feature in self.scenario.features:
            self.emit(f"== {_text(feature.name)} ==")
            self.body(feature.body)
        self.emit("@enduml")
        return "\n".join(self.lines) + "\n"

    def declare_participants(self) -> None:
        open_box: ir.Group | None = None
        for p in self.participants:
            if p.system is not open_box:
                if open_box is not None:
                    self.indent -= 1
                    self.emit("end box")
                if p.system is not None:
                    color = next((a.value for a in p.system.attributes if a.key == "color"), None)
                    fill = color if color is not None and _COLOR.fullmatch(color) else BOX_COLOR
                    self.emit(f'box "{_text(p.system.label, quoted=True)}" {fill}')
                    self.indent += 1
                open_box = p.system
            suffix = f" {p.color}" if p.color else ""
            self.emit(f'participant "{_text(p.label, quoted=True)}" as {p.alias}{suffix}')
        if open_box is not None:
            self.indent -= 1
            self.emit("end box")

    def body(self, statements: Iterable[ir.Statement]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, st: ir.Statement) -> None:
        match st:
            case ir.Message():
                self.message(st)
            case ir.Sequence():
                if st.kind == "loop":
                    self.emit(f"loop {_text(st.name)}")
                else:  # sequence, preconditions ("Preconditions"), chain ("Chain")
                    self.emit(f"group {_text(st.name)}")
                self.indent += 1
                self.remark(st.remark)
                self.body(st.body)
                self.indent -= 1
                self.emit("end")
                return
            case ir.Heading():
                self.emit(f"== {_text(st.text)} ==")
            case ir.Remark():
                self.remark(st.text)
            case ir.BlockRemark():
                self.emit(f"note across : {_text(st.text)}")
            case ir.Pause():
                self.emit("...")
            case _ if (note := lifeline_note(st, self.label)) is not None:
                entities, text, style = note
                self.note_over(entities, text, _NOTE_SHAPES[style])
            case ir.MediaStart():
                attrs = ", ".join(f"{a.key}={a.value}" for a in st.attributes)
                text = "RTP media" + (f"\n({attrs})" if attrs else "")
                a, b = self.id_of(st.a), self.id_of(st.b)
                self.unnumbered([f"{a} {MEDIA_ARROW} {b} : {_text(text)}"])
            case ir.MediaStop():
                self.unnumbered(
                    [f"{self.id_of(st.a)} {MEDIA_STOP_ARROW} {self.id_of(st.b)} : RTP media stop"]
                )
            case ir.Create():
                a, b = self.id_of(st.creator), self.id_of(st.created)
                self.emit(f"create {b}")
                if st.creator.text != st.created.text:  # `create X`: no creator
                    params = ", ".join(str(p) for p in st.params)
                    text = "«create»" + (f"({_text(params)})" if params else "")
                    self.unnumbered([f"{a} -> {b} : {text}"])
            case ir.Delete():
                a, b = self.id_of(st.deleter), self.id_of(st.deleted)
                if st.deleter.text != st.deleted.text:
                    self.unnumbered([f"{a} -> {b} : «delete»"])
                self.emit(f"destroy {b}")
            case _:  # a Case cannot occur in a scenario: expansion chose its leg
                return
        self.remark(st.remark)

    def arrow_options(self, message: ir.Message) -> str:
        """PlantUML's arrow options for a message (``[#red,bold]``), or ""."""
        options: list[str] = []
        look = self.styles.look(message.style, *_MESSAGE_DEFAULTS[message.call_kind])
        if look is not None and look.color is not None:
            options.append(look.color if look.color.startswith("#") else "#" + look.color)
        if message.arrow in ("bold", "bold-bidirectional"):
            options.append("bold")
        if look is not None and look.dash in ("6 3", "1 3"):
            options.append("dashed" if look.dash == "6 3" else "dotted")
        return f"[{','.join(options)}]" if options else ""

    def arrow(self, message: ir.Message, sender: str, receiver: str, text: str) -> str:
        """One arrow line; EventStudio's environment edges are PlantUML's ``[`` / ``]``.

        PlantUML counts the dashes around an option bracket: one is a solid line, two a
        dashed one (``-[bold]>``, ``-[bold]->``, ``<[bold]-``)."""
        options = self.arrow_options(message)
        dashes = "--" if message.is_response or message.call_kind == "return" else "-"
        both = message.arrow in ir.BIDIRECTIONAL
        if options:
            right = ("<" if both else "") + "-" + options + dashes[1:] + ">"
            left = "<" + options + dashes + (">" if both else "")
        else:
            right = ("<" if both else "") + dashes + ">"
            left = "<" + dashes + (">" if both else "")
        edges = ir.ENVIRONMENT_EDGES
        if sender in edges or receiver in edges:
            if sender == "env_l" and receiver not in edges:
                return f"[{right} {self.id_of(receiver)} : {text}"
            if receiver == "env_l" and sender not in edges:
                return f"[{left} {self.id_of(sender)} : {text}"
            if sender == "env_r" and receiver not in edges:
                return f"{self.id_of(receiver)} {left}] : {text}"
            if receiver == "env_r" and sender not in edges:
                return f"{self.id_of(sender)} {right}] : {text}"
            return f"note across : {text}"  # edge to edge: PlantUML has no such arrow
        lost = "x" if message.lost else ""
        return f"{self.id_of(sender)} {right}{lost} {self.id_of(receiver)} : {text}"

    def message(self, message: ir.Message) -> None:
        sender = message.sender.text
        lines = [
            self.arrow(message, sender, r.text, _text(message_text(message, self.wrap, i)))
            for i, r in enumerate(message.receivers)
        ]
        self.emit(lines[0])
        if lines[1:]:
            self.unnumbered(lines[1:])


#: the default style of each kind of message (EventStudio's style names)
_MESSAGE_DEFAULTS = {
    "message": ("default_message_style",),
    "invoke": ("default_invokes_style",),
    "return": ("default_returns_style",),
}

#: PlantUML's note shapes for the common note styles
_NOTE_SHAPES = {"action": "hnote", "state": "rnote", "plain": "note"}


def to_plantuml(
    flow: ir.Flow,
    scenario: ir.Scenario,
    *,
    numbering: bool | None = None,
    remarks: bool | None = None,
    wrap: int | None = None,
) -> str:
    """The scenario as a ``@startuml`` ... ``@enduml`` sequence diagram.

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
