"""Semantic validation (FDL3xx): what makes a parsed flow impossible to draw or run.

These are errors (exit 2), unlike design-review findings: duplicate names, a parent at the
wrong level, a SIP message sent to several receivers at once, an unknown option, role or
attribute value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from callflow import ir
from callflow.colors import css_color
from callflow.diagnostics import Diagnostic, Severity
from callflow.fdl.preprocess import PreprocessedSource

ROLES = ("ue", "proxy", "registrar", "focus", "as", "b2bua", "mgc", "mg", "other")

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")

#: option name -> (allowed values or None, validator of the value, words for the error)
_OPTIONS: dict[str, tuple[Callable[[str], bool], str]] = {
    "numbering": (lambda v: v in ("on", "off"), "on or off"),
    "remarks": (lambda v: v in ("on", "off"), "on or off"),
    "wrap": (lambda v: v.isdigit() and 8 <= int(v) <= 400, "a number of characters (8-400)"),
    "theme": (lambda v: v in ("default", "print", "dark"), '"default", "print" or "dark"'),
}

_PARENT_LEVEL: dict[str, tuple[str, ...]] = {
    "system": (),
    "subsystem": ("system",),
    "module": ("subsystem",),
    "component": ("module", "subsystem", "system"),
    "entity": ("system", "subsystem", "module", "component"),
}


def _is_loopback(value: str) -> bool:
    try:
        return ipaddress.IPv4Address(value) in ipaddress.IPv4Network("127.0.0.0/8")
    except ValueError:
        return False


def validate(flow: ir.Flow, source: PreprocessedSource | None = None) -> list[Diagnostic]:
    """Every FDL3xx error of a flow, in source order."""
    found: list[Diagnostic] = []

    def error(code: str, name: str, loc: ir.SourceLocation, message: str) -> None:
        line = source.source_line(loc) if source is not None else None
        found.append(Diagnostic(code, name, Severity.ERROR, loc, message, source_line=line))

    arch = flow.architecture
    declared: dict[str, ir.Group | ir.Entity] = {}
    for node in (*arch.groups, *arch.entities):
        if node.name in declared:
            first = declared[node.name].loc
            error(
                "FDL301",
                "semantic.duplicate-name",
                node.loc,
                f"'{node.name}' is declared twice (first at {first.file}:{first.line})",
            )
        else:
            declared[node.name] = node

    groups = {g.name: g for g in arch.groups}
    for node in (*arch.groups, *arch.entities):
        level = node.level if isinstance(node, ir.Group) else "entity"
        if node.parent is None:
            continue
        allowed = _PARENT_LEVEL[level]
        parent = groups.get(node.parent)
        what = f"a {level}" if level != "entity" else "an entity"
        if not allowed:
            error(
                "FDL302",
                "semantic.parent-level",
                node.loc,
                f"a system is the top level and has no parent ('in {node.parent}')",
            )
        elif parent is None:
            kind = "entity" if node.parent in declared else "name"
            error(
                "FDL302",
                "semantic.parent-level",
                node.loc,
                f"the parent '{node.parent}' of '{node.name}' is not a declared group"
                + (" (it is an entity)" if kind == "entity" else ""),
            )
        elif parent.level not in allowed:
            error(
                "FDL302",
                "semantic.parent-level",
                node.loc,
                f"{what}'s parent must be a {' or '.join(allowed)}, "
                f"but '{parent.name}' is a {parent.level}",
            )

    entity_names = {e.name for e in arch.entities}
    for entity in arch.entities:
        for attr in entity.attributes:
            _check_entity_attribute(entity, attr, entity_names, error)
    for group in arch.groups:
        for attr in group.attributes:
            if attr.key not in ("color",):
                error(
                    "FDL305",
                    "semantic.bad-attribute",
                    attr.loc,
                    f"unknown attribute '{attr.key}' on {group.level} '{group.name}' "
                    "(groups take only color)",
                )
            elif not _COLOR.fullmatch(attr.value):
                error(
                    "FDL305",
                    "semantic.bad-attribute",
                    attr.loc,
                    f"color must be '#rrggbb', not '{attr.value}'",
                )

    seen_options: dict[str, ir.Option] = {}
    for option in flow.options:
        if option.name in seen_options:
            error(
                "FDL301",
                "semantic.duplicate-name",
                option.loc,
                f"option '{option.name}' is set twice (first at line "
                f"{seen_options[option.name].loc.line})",
            )
        seen_options[option.name] = option
        spec = _OPTIONS.get(option.name)
        if spec is None:
            error(
                "FDL304",
                "semantic.unknown-option",
                option.loc,
                f"unknown option '{option.name}' (known: {', '.join(sorted(_OPTIONS))})",
            )
        elif not spec[0](option.value):
            error(
                "FDL304",
                "semantic.unknown-option",
                option.loc,
                f"option {option.name} takes {spec[1]}, not '{option.value}'",
            )

    found.extend(_style_warnings(flow, source))
    for statement in ir.walk_flow(flow):
        if isinstance(statement, ir.Message):
            if statement.is_multicast and statement.is_sip:
                error(
                    "FDL303",
                    "semantic.sip-multicast",
                    statement.loc,
                    f"'{statement.name}' is a SIP message and goes to one receiver; "
                    "write one statement per hop",
                )
            if statement.is_multicast and statement.lost:
                error(
                    "FDL303",
                    "semantic.sip-multicast",
                    statement.loc,
                    "a lost message ('-x') has exactly one receiver",
                )
        elif isinstance(statement, ir.MediaStart):
            for attr in statement.attributes:
                _check_media_attribute(attr, error)
    found.sort(key=Diagnostic.sort_key)
    return found


_ENTITY_ATTRIBUTES = ("role", "record_route", "uri", "color", "addr", "media", "voice")


def _check_entity_attribute(
    entity: ir.Entity,
    attr: ir.Attribute,
    entity_names: set[str],
    error: Callable[[str, str, ir.SourceLocation, str], None],
) -> None:
    key, value = attr.key, attr.value
    bad = "FDL305", "semantic.bad-attribute", attr.loc
    if key not in _ENTITY_ATTRIBUTES:
        error(*bad, f"unknown attribute '{key}' (known: {', '.join(_ENTITY_ATTRIBUTES)})")
    elif key == "role" and value not in ROLES:
        error(*bad, f"unknown role '{value}' (known: {', '.join(ROLES)})")
    elif key == "record_route" and value.lower() not in ("yes", "no"):
        error(*bad, f"record_route takes yes or no, not '{value}'")
    elif key == "color" and not _COLOR.fullmatch(value):
        error(*bad, f"color must be '#rrggbb', not '{value}'")
    elif key == "addr" and not _is_loopback(value):
        error(*bad, f"addr must be a loopback IPv4 address (127.x.x.x), not '{value}'")
    elif key == "media" and value not in entity_names:
        error(*bad, f"media names an entity, and '{value}' is not declared")
    elif key == "media" and value == entity.name:
        error(*bad, f"media names another entity, not '{entity.name}' itself")
    elif key == "uri" and not value.startswith(("sip:", "sips:", "tel:")):
        error(*bad, f"uri must be a sip:, sips: or tel: URI, not '{value}'")


def _check_media_attribute(
    attr: ir.Attribute, error: Callable[[str, str, ir.SourceLocation, str], None]
) -> None:
    bad = "FDL305", "semantic.bad-attribute", attr.loc
    if attr.key == "codec":
        if attr.value.upper() not in ("PCMU", "PCMA"):
            error(*bad, f"codec takes PCMU or PCMA, not '{attr.value}'")
    elif attr.key == "ptime":
        if not re.fullmatch(r"(10|20|30|40|60)ms", attr.value):
            error(*bad, f"ptime takes 10ms, 20ms, 30ms, 40ms or 60ms, not '{attr.value}'")
    else:
        error(*bad, f"unknown media attribute '{attr.key}' (known: codec, ptime)")


# --------------------------------------------------------------------------- styles

#: style attributes callflow draws (docs/eventstudio.md), and what each takes
STYLE_ATTRIBUTES = (
    "color",
    "bgcolor",
    "textcolor",
    "paramcolor",
    "linepattern",
    "linewidth",
    "font",
    "fontsize",
    "blockRemarkFormatting",
)
#: EventStudio style attributes callflow reads but does not honour (a warning says so)
STYLE_ATTRIBUTES_IGNORED = ("match",)
#: the line patterns EventStudio's style files use: dashed and dotted
LINE_PATTERNS = ("- -", "-", ".", ". .", "solid")
#: theme keys callflow honours; every other key is read and reported as not honoured
THEME_KEYS_HONOURED = (
    "remarkType",
    "assignSequenceNumbersInSequenceDiagrams",
    "sequenceDiagramHeader",
    "displayParentInLightWeightHeader",
)
#: link schemes that become links (anything else is drawn as plain text)
LINK_SCHEMES = ("http:", "https:", "mailto:")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _style_warnings(flow: ir.Flow, source: PreprocessedSource | None) -> list[Diagnostic]:
    """FDL313/FDL314/FDL315 warnings: what EventStudio would read and callflow cannot honour
    (never an error: a style never stops a flow from being checked or drawn)."""
    found: list[Diagnostic] = []

    def warn(code: str, name: str, loc: ir.SourceLocation, message: str) -> None:
        line = source.source_line(loc) if source is not None else None
        found.append(Diagnostic(code, name, Severity.WARNING, loc, message, source_line=line))

    styles = {d.name for d in flow.styles if d.kind == "style"}
    themes = {d.name for d in flow.styles if d.kind == "theme"}
    for definition in flow.styles:
        if definition.kind == "theme":
            # one warning per theme (a real theme sets a score of fonts and sizes)
            ignored = [a for a in definition.attributes if a.key not in THEME_KEYS_HONOURED]
            if ignored:
                keys = ", ".join(a.key for a in ignored)
                what = "attribute is" if len(ignored) == 1 else f"{len(ignored)} attributes are"
                warn(
                    "FDL314",
                    "style.not-honoured",
                    ignored[0].loc,
                    f"theme {definition.name}: {what} not honoured by callflow (drawn with "
                    f"callflow's own layout): {keys}",
                )
            continue
        for attr in definition.attributes:
            message = _style_attribute_problem(attr)
            if message is not None:
                warn("FDL314", "style.not-honoured", attr.loc, message)

    def check_style(name: str | None, loc: ir.SourceLocation) -> None:
        if name is not None and name not in styles:
            warn(
                "FDL313",
                "style.unknown",
                loc,
                f"[{name}] names no style: drawn without it (define 'style {name}: ...')",
            )

    for node in (*flow.architecture.groups, *flow.architecture.entities):
        check_style(node.style, node.loc)
    for separator in flow.architecture.separators:
        check_style(separator.style, separator.loc)
        if separator.style is not None and separator.style in styles:
            warn(
                "FDL314",
                "style.not-honoured",
                separator.loc,
                f"a separator is an empty space: callflow draws nothing for its style "
                f"[{separator.style}]",
            )

    def features(items: tuple[ir.Feature | ir.FileCase, ...]) -> list[ir.Feature]:
        out: list[ir.Feature] = []
        for item in items:
            if isinstance(item, ir.Feature):
                out.append(item)
            else:
                for leg in item.legs:
                    out.extend(features(leg.body))
        return out

    for feature in features(flow.body):
        if feature.theme is not None and feature.theme not in themes:
            warn(
                "FDL313",
                "style.unknown",
                feature.loc,
                f"{{{feature.theme}}} names no theme: drawn with the default look",
            )
    for statement in ir.walk_flow(flow):
        check_style(statement.style, statement.loc)
        link = statement.link
        if link is not None:
            scheme = _SCHEME.match(link)
            if scheme is not None and scheme.group().lower() not in LINK_SCHEMES:
                warn(
                    "FDL315",
                    "style.unsafe-link",
                    statement.loc,
                    f"link <{link}>: only http, https, mailto and relative links are "
                    "drawn as links; this one is shown as plain text",
                )
    return found


def _style_attribute_problem(attr: ir.Attribute) -> str | None:
    key, value = attr.key, attr.value
    if key in STYLE_ATTRIBUTES_IGNORED:
        return f"style attribute '{key}' is not honoured by callflow (ignored)"
    if key not in STYLE_ATTRIBUTES:
        return (
            f"unknown style attribute '{key}' (ignored; callflow draws "
            f"{', '.join(STYLE_ATTRIBUTES)})"
        )
    if key.endswith("color") and css_color(value) is None:
        return f"{key}={value}: not a colour name or #rrggbb (ignored)"
    if key == "linepattern" and value.strip() not in LINE_PATTERNS:
        return f'linepattern="{value}": callflow draws "- -" (dashed) and "." (dotted) (ignored)'
    if key in ("fontsize", "linewidth") and not _NUMBER.fullmatch(value.strip()):
        return f"{key}={value}: not a number (ignored)"
    if key == "blockRemarkFormatting" and value.strip() not in ("verbatim", "left-align"):
        return (
            f'blockRemarkFormatting="{value}": callflow draws "verbatim" and "left-align" (ignored)'
        )
    return None
