"""The typed intermediate representation of an FDL flow.

Plain frozen dataclasses. Every node carries a :class:`SourceLocation` in the *original*
source (after preprocessing, a location still names the file and line the user wrote).
The IR knows nothing of SIP state or pixels: SIP knowledge lives in :mod:`callflow.sip`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

IncludeChain = tuple["SourceLocation", ...]


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A span in a source file (1-based line and column; end is exclusive)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    #: where the file was included from, innermost ``#include`` first
    included_from: IncludeChain = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_LOCATION = SourceLocation("<unknown>", 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier as written, with its own location (rules point at name tokens)."""

    text: str
    loc: SourceLocation

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------- architecture

GroupLevel = Literal["system", "subsystem", "module", "component"]
EntityKind = Literal["eternal", "dynamic"]
#: EventStudio's five tiers are these four grouping levels above the objects (entities)
GROUP_LEVELS: tuple[GroupLevel, ...] = ("system", "subsystem", "module", "component")


@dataclass(frozen=True, slots=True)
class Attribute:
    """``key=value`` inside ``[ ]`` (entities, media)."""

    key: str
    value: str
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class Group:
    """A grouping level above entities: system, subsystem, module or component."""

    level: GroupLevel
    name: str
    label: str
    parent: str | None
    loc: SourceLocation
    attributes: tuple[Attribute, ...] = ()
    #: ``[_style]`` prefix (a ``style`` definition's name)
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """A participant with a lifeline."""

    name: str
    label: str
    parent: str | None
    kind: EntityKind
    attributes: tuple[Attribute, ...]
    loc: SourceLocation
    #: EventStudio's object type (``"Las Vegas": DesertCity``): an interface-view filter
    type_name: str | None = None
    #: ``[_style]`` prefix (a ``style`` definition's name)
    style: str | None = None
    #: ``dynamic: A | B``: the first entity of the shared axis (None: an axis of its own)
    axis: str | None = None
    #: a trailing remark on the declaration (shown as the entity box's tooltip)
    remark: str | None = None

    def attribute(self, key: str, default: str | None = None) -> str | None:
        for attr in self.attributes:
            if attr.key == key:
                return attr.value
        return default

    @property
    def role(self) -> str | None:
        return self.attribute("role")

    @property
    def record_route(self) -> bool:
        return (self.attribute("record_route", "yes") or "yes").lower() != "no"

    @property
    def dynamic(self) -> bool:
        return self.kind == "dynamic"


@dataclass(frozen=True, slots=True)
class Separator:
    """EventStudio's ``separator``: an empty column after ``position`` declared entities."""

    position: int
    parent: str | None
    loc: SourceLocation
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Architecture:
    """The declared hierarchy, in declaration order."""

    groups: tuple[Group, ...] = ()
    entities: tuple[Entity, ...] = ()
    #: ``separator`` columns (empty spaces between axes)
    separators: tuple[Separator, ...] = ()

    def entity(self, name: str) -> Entity | None:
        for entity in self.entities:
            if entity.name == name:
                return entity
        return None

    def group(self, name: str) -> Group | None:
        for group in self.groups:
            if group.name == name:
                return group
        return None

    def ancestors(self, name: str) -> tuple[Group, ...]:
        """The groups above an entity or group, nearest first."""
        by_name = {g.name: g for g in self.groups}
        start = self.entity(name) or by_name.get(name)
        chain: list[Group] = []
        parent = start.parent if start is not None else None
        while parent is not None and parent in by_name and len(chain) < len(GROUP_LEVELS):
            group = by_name[parent]
            chain.append(group)
            parent = group.parent
        return tuple(chain)


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """Base of every statement: its location, an optional trailing remark (``(* *)``,
    ``%``, ``|* *|``), and EventStudio's ``[_style]`` and ``<link>`` prefixes."""

    loc: SourceLocation
    remark: str | None = None
    style: str | None = None
    link: str | None = None

    def entity_names(self) -> tuple[Name, ...]:
        """Entity references this statement makes (for FLOW001/FLOW005 and views)."""
        return ()


@dataclass(frozen=True, slots=True)
class Param:
    """One message parameter: ``key=value``, or a free word/string (``key`` is None)."""

    key: str | None
    value: str
    quoted: bool
    loc: SourceLocation

    def __str__(self) -> str:
        value = f'"{self.value}"' if self.quoted else self.value
        return value if self.key is None else f"{self.key}={value}"


#: parameters that are not SIP headers (fdl.md section 4)
PSEUDO_PARAMS = frozenset({"sdp", "body", "for", "protocol"})


@dataclass(frozen=True, slots=True)
class Header:
    """A SIP header written as a message parameter (``Call-ID=conf1``)."""

    name: str  # as written
    value: str  # quotes removed
    loc: SourceLocation
    #: case-insensitive identity of the header (``call-id``)
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.name.lower())


#: EventStudio's environment edges: a message from or to the left or right of the diagram
ENVIRONMENT_EDGES = frozenset({"env_l", "env_r"})

SIP_METHODS = frozenset(
    {
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "REGISTER",
        "PRACK",
        "SUBSCRIBE",
        "NOTIFY",
        "PUBLISH",
        "INFO",
        "REFER",
        "MESSAGE",
        "UPDATE",
    }
)


ArrowStyle = Literal["normal", "bold", "bidirectional", "bold-bidirectional"]
BIDIRECTIONAL = frozenset({"bidirectional", "bold-bidirectional"})
CallKind = Literal["message", "invoke", "return"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Statement):
    """``NAME(params) : A -> B`` (also multicast, self and lost messages)."""

    name: str  # the method/identifier, or the whole status line ("183 Session Progress")
    code: int | None  # status code when the name is a status line
    reason: str | None  # reason phrase of a status line
    params: tuple[Param, ...]
    sender: Name
    receivers: tuple[Name, ...]
    lost: bool = False
    name_loc: SourceLocation | None = None
    #: how the arrow is drawn: ``->`` normal, ``=>`` bold, ``<->`` / ``<=>`` both ways
    arrow: ArrowStyle = "normal"
    #: ``<-`` / ``<=``: written receiver first (drawn the same; kept for the formatter)
    written_reversed: bool = False
    #: ``"San Francisco"-"94123"``: the tag drawn at the sender's end of the arrow
    sender_tag: str | None = None
    #: one tag (or None) per receiver
    receiver_tags: tuple[str | None, ...] = ()
    #: ``invokes`` / ``returns``: a method call and its return (never SIP)
    call_kind: CallKind = "message"
    #: one hop of a cascade (``A -> B -> C``): EventStudio's default_cascaded_message_style
    cascade: bool = False
    #: derived once at construction (fdl.md section 4): read on every rule's hot path
    is_sip: bool = field(init=False, repr=False, compare=False)
    headers: tuple[Header, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        headers: list[Header] = []
        protocol: str | None = None
        for p in self.params:
            if p.key is None:
                continue
            key = p.key.lower()
            if key == "protocol":
                protocol = protocol or p.value.lower()
            elif key not in PSEUDO_PARAMS:
                headers.append(Header(p.key, p.value, p.loc))
        if protocol is not None and protocol != "sip":
            is_sip = False
        elif self.call_kind != "message" or self.arrow in BIDIRECTIONAL:
            is_sip = False  # a method call, or an exchange drawn both ways, is not a hop
        elif self.code is not None:
            is_sip = 100 <= self.code <= 699
        else:
            is_sip = self.name in SIP_METHODS
        object.__setattr__(self, "is_sip", is_sip)
        object.__setattr__(self, "headers", tuple(headers))

    # -- classification (fdl.md section 4, sip-rules.md section 1.1)
    @property
    def protocol(self) -> str | None:
        value = self.param("protocol")
        return value.lower() if value is not None else None

    @property
    def is_request(self) -> bool:
        return self.is_sip and self.code is None

    @property
    def is_response(self) -> bool:
        return self.is_sip and self.code is not None

    @property
    def method(self) -> str | None:
        """The SIP method of a request (None for responses and non-SIP messages)."""
        return self.name if self.is_request else None

    @property
    def receiver(self) -> Name:
        return self.receivers[0]

    @property
    def is_self(self) -> bool:
        return len(self.receivers) == 1 and self.receivers[0].text == self.sender.text

    @property
    def is_multicast(self) -> bool:
        return len(self.receivers) > 1

    # -- parameters
    def param(self, key: str) -> str | None:
        """Value of the first ``key=value`` param, matched case-insensitively."""
        key = key.lower()
        for param in self.params:
            if param.key is not None and param.key.lower() == key:
                return param.value
        return None

    def header(self, name: str) -> str | None:
        """Value of a SIP header written on this statement (case-insensitive name)."""
        name = name.lower()
        for header in self.headers:
            if header.key == name:
                return header.value
        return None

    @property
    def sdp(self) -> str | None:
        value = self.param("sdp")
        return value.lower() if value is not None else None

    @property
    def free_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.key is None)

    def entity_names(self) -> tuple[Name, ...]:
        return (self.sender, *self.receivers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action(Statement):
    """``A takes action "text"``."""

    entity: Name
    text: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginAction(Statement):
    """``A begins action "X"``."""

    entity: Name
    text: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class EndAction(Statement):
    """``A ends action "X"``."""

    entity: Name
    text: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerStart(Statement):
    """``A starts timer T 32s`` (duration optional, in milliseconds)."""

    entity: Name
    timer: Name
    duration_ms: int | None = None
    duration_text: str | None = None
    periodic: bool = False  # ``starts periodic T``: a timeout does not end it
    restart: bool = False  # ``restarts T``: starting it again while it runs is fine

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity,)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerStop(Statement):
    """``A stops timer T``."""

    entity: Name
    timer: Name

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity,)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerTimeout(Statement):
    """``timeout T : A``."""

    entity: Name
    timer: Name

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity,)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceAllocate(Statement):
    """``A allocates resource "X"``."""

    entity: Name
    resource: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceFree(Statement):
    """``A frees resource "X"``."""

    entity: Name
    resource: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange(Statement):
    """``A state "Confirmed"``."""

    entity: Name
    state: str

    #: EventStudio's joint form (``A, B action "x"``): the entities after the first
    others: tuple[Name, ...] = ()

    def entity_names(self) -> tuple[Name, ...]:
        return (self.entity, *self.others)


@dataclass(frozen=True, slots=True, kw_only=True)
class Create(Statement):
    """``A creates B``: B's lifeline starts here."""

    creator: Name
    created: Name
    params: tuple[Param, ...] = ()  # ``A creates B(p1, p2)``

    def entity_names(self) -> tuple[Name, ...]:
        return (self.creator, self.created)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Statement):
    """``A deletes B``: B's lifeline ends here with a cross."""

    deleter: Name
    deleted: Name

    def entity_names(self) -> tuple[Name, ...]:
        return (self.deleter, self.deleted)


@dataclass(frozen=True, slots=True, kw_only=True)
class Heading(Statement):
    """``heading "text"``: a full-width section row."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Remark(Statement):
    """``remark "text"``: a row in the remarks column."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockRemark(Statement):
    """``|= text =|``: a remark drawn across the whole diagram, on a row of its own."""

    text: str  # white space collapsed: the text a wrapped block remark draws
    #: the lines as written, common indentation removed (``blockRemarkFormatting =
    #: "verbatim"``: a code fragment keeps its layout)
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause(Statement):
    """``...``: an ellipsis row (time passes; nothing happens that is worth drawing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaStart(Statement):
    """``media A <-> B [codec=PCMU, ptime=20ms]``: an RTP stream pair begins."""

    a: Name
    b: Name
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, key: str, default: str | None = None) -> str | None:
        for attr in self.attributes:
            if attr.key == key:
                return attr.value
        return default

    def entity_names(self) -> tuple[Name, ...]:
        return (self.a, self.b)


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaStop(Statement):
    """``media stop A <-> B``."""

    a: Name
    b: Name

    def entity_names(self) -> tuple[Name, ...]:
        return (self.a, self.b)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mix(Statement):
    """``B mixes A, C, D``: B sends each party the sum of the others."""

    mixer: Name
    parties: tuple[Name, ...]

    def entity_names(self) -> tuple[Name, ...]:
        return (self.mixer, *self.parties)


@dataclass(frozen=True, slots=True, kw_only=True)
class StopMixing(Statement):
    """``B stops mixing``."""

    mixer: Name

    def entity_names(self) -> tuple[Name, ...]:
        return (self.mixer,)


GroupKind = Literal["sequence", "preconditions", "chain", "loop"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sequence(Statement):
    """``sequence "name" { ... }``: a named, collapsible group.

    EventStudio's ``preconditions { ... }`` (the state before the flow starts) and
    ``chain { ... }`` (messages that pass straight through) are groups of this kind too:
    every stage treats them as a sequence, the renderer frames them by ``kind``.
    """

    name: str
    body: tuple[Statement, ...]
    kind: GroupKind = "sequence"


@dataclass(frozen=True, slots=True)
class Leg:
    """One alternative of a ``case`` inside a feature."""

    label: str
    body: tuple[Statement, ...]
    loc: SourceLocation


@dataclass(frozen=True, slots=True, kw_only=True)
class Case(Statement):
    """``case { leg "A": ... leg "B": ... }`` inside a feature."""

    legs: tuple[Leg, ...]


# --------------------------------------------------------------------------- file level


@dataclass(frozen=True, slots=True)
class Feature:
    """``feature "name" { ... }``: a section of the docs and a heading in the diagram."""

    name: str
    body: tuple[Statement, ...]
    loc: SourceLocation
    #: ``{Theme}`` prefix: a ``theme`` definition's name
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class FileLeg:
    """One alternative of a file-level ``case``: whole features (and nested cases)."""

    label: str
    body: tuple[Feature | FileCase, ...]
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class FileCase:
    """A ``case`` standing between features."""

    legs: tuple[FileLeg, ...]
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class Option:
    """``option name = value``."""

    name: str
    value: str
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class StyleDef:
    """``style _name: color=red, ...`` or ``theme Name: ...`` (EventStudio styles)."""

    kind: Literal["style", "theme"]
    name: str
    attributes: tuple[Attribute, ...]
    loc: SourceLocation

    def attribute(self, key: str, default: str | None = None) -> str | None:
        for attr in self.attributes:
            if attr.key == key:
                return attr.value
        return default


@dataclass(frozen=True, slots=True)
class Suppression:
    """A ``// callflow: ignore[CODE, ...]`` comment, kept for the checker."""

    codes: tuple[str, ...]
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class Flow:
    """A whole parsed file."""

    path: str
    title: str | None
    title_loc: SourceLocation | None
    options: tuple[Option, ...]
    architecture: Architecture
    introduction: tuple[Remark, ...]
    body: tuple[Feature | FileCase, ...]
    suppressions: tuple[Suppression, ...] = ()
    styles: tuple[StyleDef, ...] = ()  # style and theme definitions, in order

    def style(self, name: str, kind: str = "style") -> StyleDef | None:
        """The definition of a style or theme; a later one of a name replaces an earlier."""
        for definition in reversed(self.styles):
            if definition.name == name and definition.kind == kind:
                return definition
        return None

    def option(self, name: str, default: str | None = None) -> str | None:
        for option in self.options:
            if option.name == name:
                return option.value
        return default

    @property
    def display_title(self) -> str:
        return self.title if self.title is not None else self.path.rsplit("/", 1)[-1]


def walk_statements(body: tuple[Statement, ...]) -> Iterator[Statement]:
    """Every statement in a body, depth first, including those inside sequences and cases."""
    for statement in body:
        yield statement
        if isinstance(statement, Sequence):
            yield from walk_statements(statement.body)
        elif isinstance(statement, Case):
            for leg in statement.legs:
                yield from walk_statements(leg.body)


def walk_flow(flow: Flow) -> Iterator[Statement]:
    """Every statement of every feature and leg of a flow (each once, scenarios ignored)."""

    def features(items: tuple[Feature | FileCase, ...]) -> Iterator[Feature]:
        for item in items:
            if isinstance(item, Feature):
                yield item
            else:
                for leg in item.legs:
                    yield from features(leg.body)

    yield from flow.introduction
    for feature in features(flow.body):
        yield from walk_statements(feature.body)


@dataclass(frozen=True, slots=True)
class ScenarioFeature:
    """A feature as it stands in one scenario: every ``case`` replaced by the chosen leg.

    The body keeps ``Sequence`` nesting (rebuilt with the chosen legs) for the renderer.
    """

    name: str
    body: tuple[Statement, ...]
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class ResolvedMessage:
    """What one message of a scenario effectively carries (fdl.md section 4).

    Computed once per scenario by :mod:`callflow.sip.resolve` so that the checker, the
    renderer and the executor read the same answer.
    """

    number: int  # 1..N in scenario order
    call: str | None  # logical Call-ID name; None for non-SIP messages
    headers: tuple[Header, ...]  # written and inherited headers (written ones win)
    sdp: str | None  # "offer" | "answer" | None, written or inherited
    body: str | None
    #: number of the request this response answers (None: unmatched or not a response)
    answers: int | None = None
    #: number of the message whose headers/sdp/body this one inherited (forwarded/relayed)
    inherits_from: int | None = None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for header in self.headers:
            if header.key == name:
                return header.value
        return None


@dataclass(frozen=True, slots=True)
class Scenario:
    """One path through every ``case``: what the checker, renderer and executor run on."""

    index: int
    name: str
    slug: str
    path: tuple[str, ...]  # the chosen leg labels, outermost first
    features: tuple[ScenarioFeature, ...]
    flat: tuple[Statement, ...] = field(default=(), repr=False)
    message_list: tuple[Message, ...] = field(default=(), repr=False)
    #: one entry per message, aligned with :meth:`messages`
    resolved: tuple[ResolvedMessage, ...] = field(default=(), repr=False)

    def statements(self) -> tuple[Statement, ...]:
        """Every statement in scenario order (sequences flattened, cases resolved)."""
        return self.flat

    def messages(self) -> tuple[Message, ...]:
        """The messages in order; message number N is ``messages()[N - 1]``."""
        return self.message_list
