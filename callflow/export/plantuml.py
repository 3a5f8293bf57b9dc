"""Export one scenario as a PlantUML sequence diagram (text users paste into wikis).

Participants come in declaration order with their labels, boxed per ``system``; each
message is an arrow (dashed for SIP responses, crossed when lost, one per receiver for a
multicast) with the parameters written on the statement; features and headings are
``== dividers ==``; actions, states, timers, resources and mixing are notes over their
entity; remarks sit in a right-hand column like the HTML diagram's; ``sequence`` blocks
are ``group`` blocks. ``autonumber`` gives message N the number N of the flow (fdl.md
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
from callflow.export.common import lifeline_note, message_text, option_on, participants, wrap_width

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
        return self.alias[text]

    def note_over(self, names: Iterable[ir.Name], text: str, shape: str = "note") -> None:
        aliases = list(dict.fromkeys(self.id_of(n) for n in names))
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
            case _ if (note := lifeline_note(st, self.label)) is not None:
                entity, text, style = note
                self.note_over([entity], text, _NOTE_SHAPES[style])
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
                self.unnumbered([f"{a} -> {b} : «create»"])
            case ir.Delete():
                a, b = self.id_of(st.deleter), self.id_of(st.deleted)
                self.unnumbered([f"{a} -> {b} : «delete»"])
                self.emit(f"destroy {b}")
            case _:  # a Case cannot occur in a scenario: expansion chose its leg
                return
        self.remark(st.remark)

    def message(self, message: ir.Message) -> None:
        dashed = "-" if message.is_response else ""
        arrow = f"-{dashed}>" + ("x" if message.lost else "")
        text = _text(message_text(message, self.wrap))
        sender = self.id_of(message.sender)
        first, *rest = message.receivers
        self.emit(f"{sender} {arrow} {self.id_of(first)} : {text}")
        if rest:
            self.unnumbered(f"{sender} {arrow} {self.id_of(r)} : {text}" for r in rest)


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
