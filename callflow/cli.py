"""The command line: the only place that prints or exits.

Exit codes: 0 clean or warnings only; 1 an error was found (warnings too with
``--strict``); 2 usage, syntax, preprocessor or semantic (FDL) errors; 3 an internal
error (a bug in callflow, never the user's input).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from callflow import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


class ByteSize(click.ParamType):
    """A size in bytes, with an optional K, M or G suffix (``16M``)."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B")
        unit = text[-1:] if text[-1:] in "KMG" and text[-1:] else ""
        number = text[: len(text) - len(unit)]
        if not number.isdigit():
            self.fail(f"{value!r} is not a size such as 16M, 512K or 1000000", param, ctx)
        return int(number) * self._UNITS[unit]


def _parse_defines(values: Sequence[str]) -> dict[str, str]:
    defines: dict[str, str] = {}
    for item in values:
        name, _, value = item.partition("=")
        if not name.isidentifier():
            raise click.BadParameter(f"{item!r}: expected NAME or NAME=value", param_hint="-D")
        defines[name] = value
    return defines


def front_end_options(func: F) -> F:
    """Options every command that reads FDL shares."""
    options = [
        click.option(
            "-D",
            "--define",
            "defines",
            multiple=True,
            metavar="NAME[=VALUE]",
            help="Define a preprocessor name (for #ifdef and replacement).",
        ),
        click.option(
            "--root",
            type=click.Path(file_okay=False),
            default=None,
            help="Folder that #include may not leave (default: the file's folder).",
        ),
        click.option(
            "-I",
            "--include-dir",
            "include_dirs",
            multiple=True,
            type=click.Path(file_okay=False),
            metavar="DIR",
            help='Folder searched by #include <file> and "file" (repeatable; also a root).',
        ),
        click.option(
            "--max-input-size",
            type=ByteSize(),
            default="16M",
            show_default=True,
            help="Refuse input files larger than this.",
        ),
        click.option(
            "--max-scenarios",
            type=click.IntRange(min=1),
            default=1024,
            show_default=True,
            help="Refuse flows with more case/leg scenarios than this.",
        ),
        click.option(
            "--scenario",
            "scenario_glob",
            metavar="GLOB",
            default=None,
            help="Only scenarios whose name or slug matches (default: all).",
        ),
    ]

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        defines: tuple[str, ...],
        root: str | None,
        include_dirs: tuple[str, ...],
        max_input_size: int,
        max_scenarios: int,
        scenario_glob: str | None,
        **kwargs: Any,
    ) -> Any:
        front_end = FrontEnd(
            defines, root, max_input_size, max_scenarios, scenario_glob, include_dirs
        )
        return func(*args, front_end=front_end, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class FrontEnd:
    """The options of :func:`front_end_options`, one value for every command."""

    defines: tuple[str, ...]
    root: str | None
    max_input_size: int
    max_scenarios: int
    scenario_glob: str | None
    #: -I folders: the #include search path (each one is a root too)
    include_dirs: tuple[str, ...] = ()


@dataclass
class Loaded:
    """A file run through the front end: flow, scenarios and diagnostics so far."""

    path: str
    flow: Any
    scenarios: list[Any]
    diagnostics: list[Any]
    fatal: bool  # FDL errors: the flow cannot be checked or drawn
    #: every scenario of the flow, whatever --scenario selected (columns, review)
    every: list[Any] = field(default_factory=list)


def load(path: str, front_end: FrontEnd) -> Loaded:
    """Preprocess, parse, validate and expand one file."""
    defines, root, max_input_size, max_scenarios, scenario_glob = (
        front_end.defines,
        front_end.root,
        front_end.max_input_size,
        front_end.max_scenarios,
        front_end.scenario_glob,
    )
    from callflow.fdl import parse_file
    from callflow.scenarios import expand_scenarios, select_scenarios

    result = parse_file(
        path,
        root=root,
        defines=_parse_defines(defines),
        max_input_size=max_input_size,
        include_dirs=front_end.include_dirs,
    )
    if not result.ok:
        return Loaded(path, result.flow, [], result.diagnostics, fatal=True)
    expansion = expand_scenarios(result.flow, max_scenarios=max_scenarios)
    if expansion.diagnostics:
        return Loaded(path, result.flow, [], result.diagnostics + expansion.diagnostics, True)
    scenarios = select_scenarios(expansion.scenarios, scenario_glob)
    if scenario_glob is not None and not scenarios:
        names = ", ".join(s.name for s in expansion.scenarios)
        raise click.UsageError(f"no scenario of {path} matches {scenario_glob!r} (it has: {names})")
    return Loaded(
        path, result.flow, scenarios, list(result.diagnostics), False, expansion.scenarios
    )


def _use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="callflow")
def cli() -> None:
    """Turn FDL call-flow descriptions into checked, documented, executable artefacts."""


def _severity_option(values: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        selector, sep, level = item.partition("=")
        if not sep or not selector.strip() or not level.strip():
            raise click.BadParameter(
                f"{item!r}: expected CODE=LEVEL, such as SIP104=error", param_hint="--severity"
            )
        pairs.append((selector.strip(), level.strip()))
    return pairs


def _load_config(config_path: str | None, no_config: bool) -> Any:
    from callflow.check.config import Config, ConfigError, discover, load

    if no_config:
        return Config()
    try:
        return load(Path(config_path)) if config_path is not None else discover()
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


def _project_review(loaded: Loaded) -> list[Any]:
    """The design review `render` and `run` do, with the rule selection and severities
    of [tool.callflow] in the nearest pyproject.toml (what `callflow check` would report
    without options), so a rule a project turned off is off everywhere."""
    from callflow.check import Layer, Selection, check_flow

    config = _load_config(None, False)
    selection = Selection((Layer(config.select, config.ignore),))
    return check_flow(loaded.flow, loaded.every, selection=selection, severity=(config.severity,))


def _cli_selectors(values: Sequence[str], option: str) -> tuple[str, ...]:
    from callflow.check.config import ConfigError, check_selector

    for value in values:
        try:
            check_selector(value)
        except ConfigError as error:
            raise click.BadParameter(str(error), param_hint=option) from None
    return tuple(values)


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@front_end_options
@click.option(
    "--strict/--no-strict",
    "--warn-as-error",
    "strict",
    default=None,
    help="Warnings count as errors for the exit code (--warn-as-error is the same).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="Output format: text, json, github (workflow annotations), sarif (2.1.0).",
)
@click.option("--select", multiple=True, metavar="CODE", help="Only these rules (prefix or name).")
@click.option(
    "--ignore",
    "--disable",
    "ignore",
    multiple=True,
    metavar="CODE",
    help="Skip these rules (prefix or name).",
)
@click.option(
    "--severity",
    "severities",
    multiple=True,
    metavar="CODE=LEVEL",
    help="Report a rule's findings as error, warning or note (prefix or name; repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read [tool.callflow] from this file (default: the nearest pyproject.toml).",
)
@click.option("--no-config", is_flag=True, help="Ignore [tool.callflow] in pyproject.toml.")
@click.pass_context
def check(
    ctx: click.Context,
    files: tuple[str, ...],
    front_end: FrontEnd,
    strict: bool | None,
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    severities: tuple[str, ...],
    config_path: str | None,
    no_config: bool,
) -> None:
    """Check flows: syntax, and every rule (SIP and FLOW) over every scenario.

    Defaults come from [tool.callflow] in the nearest pyproject.toml; options given here
    win. `callflow rules` lists the rules."""
    from callflow.check import Layer, Selection, check_flow
    from callflow.check.config import ConfigError, severity_overrides
    from callflow.diagnostics import Severity
    from callflow.report import REPORTERS

    config = _load_config(config_path, no_config)
    selection = Selection((Layer(config.select, config.ignore),)).then(
        Layer(_cli_selectors(select, "--select") or None, _cli_selectors(ignore, "--ignore"))
    )
    try:
        overrides = (config.severity, severity_overrides(_severity_option(severities)))
    except ConfigError as error:
        raise click.BadParameter(str(error), param_hint="--severity") from None
    if strict is None:
        strict = bool(config.strict)
    if (
        config.max_scenarios is not None
        and ctx.get_parameter_source("max_scenarios") is click.core.ParameterSource.DEFAULT
    ):
        front_end = dataclasses.replace(front_end, max_scenarios=config.max_scenarios)

    reporter = REPORTERS[output_format](color=_use_color())
    everything: list[Any] = []
    summaries: list[str] = []
    fatal = False
    for path in files:
        if _project_folder(path) is not None:  # an EventStudio project
            found, lines, broken = _check_project(path, front_end, selection, overrides)
            everything += found
            summaries += lines
            fatal = fatal or broken
            continue
        loaded = load(path, front_end)
        diagnostics = list(loaded.diagnostics)
        if loaded.fatal:
            fatal = True
        else:
            diagnostics += check_flow(
                loaded.flow, loaded.scenarios, selection=selection, severity=overrides
            )
            summaries.append(_summary(loaded, diagnostics))
        everything += diagnostics
    output = reporter.render(everything)
    if output_format == "text":
        output += "".join(line + "\n" for line in summaries)
    click.echo(output, nl=False, color=reporter.color)
    if fatal:
        sys.exit(EXIT_USAGE)
    counted = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    if any(d.severity in counted for d in everything):
        sys.exit(EXIT_FINDINGS)


def _summary(loaded: Loaded, diagnostics: Sequence[Any]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    notes = sum(1 for d in diagnostics if str(d.severity) == "note")
    warnings = len(diagnostics) - errors - notes
    messages = "/".join(str(len(s.messages())) for s in loaded.scenarios)
    entities = len(loaded.flow.architecture.entities)
    outcome = (
        "no findings"
        if not diagnostics
        else f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        + (f", {_plural(notes, 'note')}" if notes else "")
    )
    count = len(loaded.scenarios)
    noun = "message" if messages == "1" else "messages"
    return (
        f"{loaded.path}: {_plural(count, 'scenario')}, {_plural(entities, 'entity', 'entities')}, "
        f"{messages} {noun}: {outcome}"
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@cli.command()
@click.argument("file")
@front_end_options
def scenarios(
    file: str,
    front_end: FrontEnd,
) -> None:
    """List the scenarios of a flow with their statement and message counts."""
    from callflow.report import TextReporter

    if _project_folder(file) is not None:  # an EventStudio project
        _project_scenarios(file, front_end)
        return
    loaded = load(file, front_end)
    if loaded.fatal:
        click.echo(TextReporter(color=_use_color()).render(loaded.diagnostics), nl=False)
        sys.exit(EXIT_USAGE)
    rows = [("#", "scenario", "slug", "statements", "messages")]
    for s in loaded.scenarios:
        rows.append(
            (str(s.index + 1), s.name, s.slug, str(len(s.statements())), str(len(s.messages())))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(w) if i in (0, 3, 4) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


@cli.command("rules")
@click.argument("query", required=False, metavar="[CODE|NAME|PREFIX]")
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the rules as Markdown (what docs/rules.md holds).",
)
def rules_command(query: str | None, markdown: bool) -> None:
    """List the rules, or show one rule's documentation.

    With no argument: every rule's code, name, default severity and summary. With a
    code or dotted name (SIP201, invite.ack-missing): that rule's full documentation and
    the RFC section it comes from. With a prefix (SIP2, sdp): the table of those rules.
    """
    from callflow.check import close_matches, find_rule, known_rules, rules_matching
    from callflow.report.rules_doc import rule_table, rule_text, rules_markdown

    chosen = known_rules()
    if query is not None:
        rule = find_rule(query)
        if rule is not None and not markdown:
            click.echo(rule_text(rule), nl=False)
            return
        chosen = [rule] if rule is not None else rules_matching(query)
        if not chosen:
            near = close_matches(query)
            hint = f" (did you mean {' or '.join(near)}?)" if near else ""
            raise click.UsageError(f"no rule is named {query!r}{hint}; `callflow rules` lists them")
    if markdown:
        click.echo(rules_markdown(chosen), nl=False)
        return
    for line in rule_table(chosen):
        click.echo(line.rstrip())


def _csv_choice(value: str, allowed: Sequence[str], option: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise click.BadParameter(
            f"{value!r}: choose from {', '.join(allowed)} (comma-separated)", param_hint=option
        )
    return items


def _check_interface_name(flow: Any, name: str, path: str) -> None:
    """``--entity NAME`` must name an object, an object type or a group of the flow."""
    from callflow.render.views import interface_choices, resolve_interface

    if resolve_interface(flow, name) is not None:
        return
    objects, types, groups = interface_choices(flow)
    known = [f"objects: {', '.join(objects) or '-'}"]
    if types:
        known.append(f"types: {', '.join(types)}")
    if groups:
        known.append(f"groups: {', '.join(groups)}")
    raise click.UsageError(
        f"--entity {name}: {path} declares no such entity, type or group ({'; '.join(known)})"
    )


def _output_dir(path: str, output: str | None, several: bool) -> Path:
    stem = Path(path).stem or "flow"
    if output is None:
        return Path("out") / stem
    return Path(output) / stem if several else Path(output)


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@front_end_options
@click.option(
    "-o",
    "--output",
    metavar="DIR",
    default=None,
    help="Output folder (default out/<flow-stem>/; with several files, DIR/<flow-stem>/).",
)
@click.option(
    "--view",
    "views",
    multiple=True,
    type=click.Choice(["full", "interface", "collab", "all"]),
    help="Which diagrams (repeatable; default all).",
)
@click.option(
    "--entity",
    default=None,
    metavar="NAME",
    help="Interface views of this object, object type or group only.",
)
@click.option(
    "--level",
    type=click.Choice(["system", "subsystem", "module", "component"]),
    default=None,
    help="Fold every entity into its group at this level (EventStudio's interactionLevel).",
)
@click.option(
    "--level-internal",
    type=click.Choice(["show", "hide"]),
    default="show",
    show_default=True,
    help="Messages inside one folded column: self-messages, or not drawn.",
)
@click.option(
    "--exclude",
    "exclude",
    default=None,
    metavar="KINDS",
    help="Leave out, comma-separated: remarks, parameters, actions, blockRemarks, states.",
)
@click.option(
    "--page",
    type=click.Choice(["poster", "presentation"]),
    default=None,
    help="Page the diagrams for US B portrait (poster) or US legal landscape (presentation).",
)
@click.option(
    "--header",
    type=click.Choice(["single", "multi"]),
    default=None,
    help="single: entity boxes only; multi: a row per architecture level (default).",
)
@click.option(
    "--callout-remarks",
    is_flag=True,
    default=False,
    help="Remarks as callouts beside their statement instead of a remarks column.",
)
@click.option(
    "--format",
    "formats",
    default="svg,html",
    show_default=True,
    help="Output formats, comma-separated: svg, html.",
)
@click.option(
    "--page-height",
    type=click.IntRange(min=200),
    default=None,
    metavar="PX",
    help="Split diagrams into pages of this height (header repeated on each).",
)
@click.option(
    "--numbering/--no-numbering", default=None, help="Message numbers (option numbering)."
)
@click.option("--remarks/--no-remarks", default=None, help="The remarks column (option remarks).")
@click.option(
    "--wrap",
    type=click.IntRange(8, 400),
    default=None,
    metavar="N",
    help="Characters per parameter line (option wrap).",
)
@click.option(
    "--theme",
    type=click.Choice(["default", "print", "dark"]),
    default=None,
    help="Colour theme (option theme).",
)
def render(
    files: tuple[str, ...],
    front_end: FrontEnd,
    output: str | None,
    views: tuple[str, ...],
    entity: str | None,
    level: str | None,
    level_internal: str,
    exclude: str | None,
    page: str | None,
    header: str | None,
    callout_remarks: bool,
    formats: str,
    page_height: int | None,
    numbering: bool | None,
    remarks: bool | None,
    wrap: int | None,
    theme: str | None,
) -> None:
    """Draw flows: sequence diagrams, interface views, collaboration diagrams, HTML site."""
    from callflow.render.collab import GraphvizMissing
    from callflow.render.documents import (
        VIEWS,
        RenderOptions,
        date_from_environment,
        plan_documents,
        write_documents,
    )
    from callflow.render.views import EXCLUDES
    from callflow.report import TextReporter

    chosen_views = VIEWS if not views or "all" in views else tuple(v for v in VIEWS if v in views)
    chosen_formats = _csv_choice(formats, ("svg", "html"), "--format")
    chosen_exclude = _csv_choice(exclude, EXCLUDES, "--exclude") if exclude is not None else ()
    # what every flow and project shares; a project's documents bring their own settings
    base = RenderOptions(
        views=chosen_views,
        formats=chosen_formats,
        entity=entity,
        page_height=page_height,
        numbering=numbering,
        remarks=remarks,
        wrap=wrap,
        theme=theme,
        date=date_from_environment(),
        level_internal=level_internal,
    )
    # EventStudio's document settings, for a plain flow
    options = dataclasses.replace(
        base,
        level=level,
        exclude=chosen_exclude,
        page=page,
        multi_tier_header=None if header is None else header == "multi",
        callout_remarks=callout_remarks,
        level_suffix=True,
    )
    failed = False
    for path in files:
        if _project_folder(path) is not None:  # an EventStudio project: its documents
            several = len(files) > 1
            failed = _render_project(path, front_end, output, several, base, bool(views)) or failed
            continue
        loaded = load(path, front_end)
        if loaded.fatal:
            click.echo(
                TextReporter(color=_use_color()).render(loaded.diagnostics), nl=False, err=True
            )
            failed = True
            continue
        flow = loaded.flow
        if entity is not None:
            _check_interface_name(flow, entity, path)
        every = loaded.every
        # the design review feeds the HTML site's findings; SVG alone only draws
        findings = _project_review(loaded) if "html" in chosen_formats else []
        out_dir = _output_dir(path, output, len(files) > 1)
        documents = plan_documents(flow, loaded.scenarios, options, findings, all_scenarios=every)
        try:
            written = write_documents(documents, out_dir)
        except GraphvizMissing as missing:
            raise click.ClickException(str(missing)) from None
        except OSError as error:
            raise click.ClickException(f"cannot write to {out_dir}: {error}") from None
        for written_path in written:
            click.echo(str(written_path))
        errors = sum(1 for d in findings if d.is_error)
        if findings:
            click.echo(
                f"{path}: drawn; the design review has {len(findings)} finding(s) "
                f"({errors} error(s)): run callflow check {path}",
                err=True,
            )
    if failed:
        sys.exit(EXIT_USAGE)


@cli.command()
@click.argument("kind", type=click.Choice(["plantuml", "mermaid"]))
@click.argument("file")
@front_end_options
@click.option(
    "-o",
    "--output",
    metavar="DIR",
    default=None,
    help="Output folder (default out/<flow-stem>/export/).",
)
def export(
    kind: str,
    file: str,
    front_end: FrontEnd,
    output: str | None,
) -> None:
    """Write each scenario as PlantUML or Mermaid text (for wikis and GitHub markdown)."""
    from callflow.render.documents import write_atomic
    from callflow.report import TextReporter

    _refuse_project(file, "export")
    loaded = load(file, front_end)
    if loaded.fatal:
        click.echo(TextReporter(color=_use_color()).render(loaded.diagnostics), nl=False, err=True)
        sys.exit(EXIT_USAGE)
    if kind == "plantuml":
        from callflow.export.plantuml import to_plantuml as convert

        suffix = ".puml"
    else:
        from callflow.export.mermaid import to_mermaid as convert

        suffix = ".mmd"
    out_dir = Path(output) if output is not None else Path("out") / Path(file).stem / "export"
    for scenario in loaded.scenarios:
        target = out_dir / f"{scenario.slug}{suffix}"
        try:
            write_atomic(target, convert(loaded.flow, scenario))
        except OSError as error:
            raise click.ClickException(f"cannot write {target}: {error}") from None
        click.echo(str(target))


def _external_option(values: Sequence[str], entities: Sequence[str]) -> dict[str, tuple[str, int]]:
    from callflow.execute.addresses import AddressError, parse_host_port

    chosen: dict[str, tuple[str, int]] = {}
    for item in values:
        name, sep, where = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(
                f"{item!r}: expected ENTITY=HOST:PORT, such as UE_B=127.0.0.1:5070",
                param_hint="--external",
            )
        if name not in entities:
            raise click.BadParameter(
                f"{item!r}: the flow declares no entity {name} ({', '.join(entities)})",
                param_hint="--external",
            )
        try:
            chosen[name] = parse_host_port(where)
        except AddressError as error:
            raise click.BadParameter(f"{item!r}: {error}", param_hint="--external") from None
    return chosen


def _with_source_lines(diagnostics: Sequence[Any]) -> list[Any]:
    """Runtime findings with the text of their line, for the caret display."""
    import dataclasses

    cache: dict[str, list[str] | None] = {}
    out = []
    for diag in diagnostics:
        if diag.source_line is None and diag.loc.line > 0:
            lines = cache.get(diag.loc.file, [])
            if diag.loc.file not in cache:
                try:
                    lines = Path(diag.loc.file).read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    lines = None
                cache[diag.loc.file] = lines
            if lines and diag.loc.line <= len(lines):
                diag = dataclasses.replace(diag, source_line=lines[diag.loc.line - 1])
        out.append(diag)
    return out


@cli.command()
@click.argument("file")
@front_end_options
@click.option(
    "-o",
    "--output",
    metavar="DIR",
    default=None,
    help="Output folder (default out/<flow-stem>/); the run writes DIR/run/.",
)
@click.option(
    "--order",
    type=click.Choice(["strict", "causal"]),
    default="strict",
    show_default=True,
    help="strict: every send waits for every earlier statement; causal: an entity sends "
    "once it has received what the flow addresses to it before the send.",
)
@click.option("--seed", type=int, default=None, help="Seed for ids and --loss (default: random).")
@click.option(
    "--loss",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    metavar="P",
    help="Drop this fraction of SIP/H.248 datagrams on send (retransmissions recover).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(0.0, min_open=True),
    default=1.0,
    show_default=True,
    metavar="X",
    help="Multiply every timer (T1 = 500 ms, T2, flow timers) by X.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="S",
    help="Give up a scenario after S seconds.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    help="Synthetic pcap timestamps (1 ms apart), so runs with one --seed are identical.",
)
@click.option(
    "--external",
    "externals",
    multiple=True,
    metavar="ENTITY=HOST:PORT",
    help="A real peer (SIPp...) plays ENTITY at HOST:PORT (repeatable).",
)
@click.option("--force", is_flag=True, help="Run even if `callflow check` finds errors.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--sip-port",
    type=click.IntRange(1, 65535),
    default=5060,
    show_default=True,
    help="The entities' SIP port.",
)
@click.option(
    "--h248-port",
    type=click.IntRange(1, 65535),
    default=2944,
    show_default=True,
    help="The entities' H.248 port.",
)
@click.option(
    "--rtp-port",
    type=click.IntRange(1024, 65000),
    default=20000,
    show_default=True,
    help="The first entity's RTP port; each next entity's is 2 higher, a mixer's "
    "terminations count up from its own.",
)
@click.option(
    "--media-seconds",
    type=click.FloatRange(0.0, 600.0, min_open=True),
    default=2.0,
    show_default=True,
    metavar="S",
    help="Seconds of audio after each statement that changes media (media, mixes...).",
)
@click.option(
    "--realtime",
    is_flag=True,
    help="Pace RTP in real time (default: as fast as the datagrams go; the capture and "
    "the WAV files are the same either way).",
)
@click.option(
    "--media/--no-media",
    default=True,
    show_default=True,
    help="Send RTP for media statements and record what each participant heard.",
)
def run(
    file: str,
    front_end: FrontEnd,
    output: str | None,
    order: str,
    seed: int | None,
    loss: float,
    time_scale: float,
    timeout: float,
    deterministic: bool,
    externals: tuple[str, ...],
    force: bool,
    output_format: str,
    sip_port: int,
    h248_port: int,
    rtp_port: int,
    media_seconds: float,
    realtime: bool,
    media: bool,
) -> None:
    """Execute a flow: each entity a UDP endpoint on loopback, every message a real
    SIP/H.248 datagram, checked on receipt; writes a pcap and the executed diagram."""
    import json

    from callflow.execute.addresses import AddressError, plan_addresses
    from callflow.execute.engine import RunOptions, new_seed, run_scenario
    from callflow.execute.pcap import write_pcap
    from callflow.execute.report import executed_svg, format_text, report_dict
    from callflow.render.documents import write_atomic
    from callflow.report import TextReporter

    _refuse_project(file, "run")
    loaded = load(file, front_end)
    reporter = TextReporter(color=_use_color())
    if loaded.fatal:
        click.echo(reporter.render(loaded.diagnostics), nl=False, err=True)
        sys.exit(EXIT_USAGE)
    flow = loaded.flow
    entities = [e.name for e in flow.architecture.entities]
    external = _external_option(externals, entities)
    if sip_port == h248_port:
        raise click.BadParameter("must differ from --h248-port", param_hint="--sip-port")
    try:
        plan_addresses(flow.architecture, external=external)
    except AddressError as error:
        raise click.UsageError(f"{file}: {error}") from None
    if not force:
        errors = [d for d in _project_review(loaded) if d.is_error]
        if errors:
            click.echo(
                f"{file}: the flow has {_plural(len(errors), 'check error')}: "
                f"`callflow check {file}` lists them; fix them or run with --force",
                err=True,
            )
            sys.exit(EXIT_FINDINGS)
    options = RunOptions(
        order=order,  # type: ignore[arg-type]
        seed=seed if seed is not None else new_seed(),
        loss=loss,
        time_scale=time_scale,
        timeout=timeout,
        deterministic=deterministic,
        external=external,
        force=force,
        sip_port=sip_port,
        h248_port=h248_port,
        rtp_port=rtp_port,
        media=media,
        media_seconds=media_seconds,
        realtime=realtime,
    )
    out_dir = _output_dir(file, output, False) / "run"
    runs = []
    files: list[dict[str, str]] = []
    for scenario in loaded.scenarios:
        result = run_scenario(flow, scenario, options)
        runs.append(result)
        written: dict[str, str] = {}
        pcap_path = out_dir / f"{scenario.slug}.pcap"
        svg_path = out_dir / f"{scenario.slug}-executed.svg"
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_pcap(pcap_path, result.pcap_packets())
            written["pcap"] = str(pcap_path)
            if result.trace:
                write_atomic(svg_path, executed_svg(flow, result))
                written["diagram"] = str(svg_path)
            if result.media is not None:
                from callflow.execute.media import write_media

                written.update(write_media(result.media, out_dir / scenario.slug))
        except OSError as error:
            raise click.ClickException(f"cannot write to {out_dir}: {error}") from None
        files.append(written)
    data = report_dict(file, runs, files)
    try:
        write_atomic(out_dir / "report.json", json.dumps(data, indent=2) + "\n")
    except OSError as error:
        raise click.ClickException(f"cannot write to {out_dir}: {error}") from None
    findings = _with_source_lines([d for r in runs for d in r.diagnostics])
    if output_format == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(reporter.render(findings), nl=False, color=reporter.color)
        click.echo(format_text(file, runs, files), nl=False)
    if not all(r.ok for r in runs):
        sys.exit(EXIT_FINDINGS)


# ------------------------------------------------------------------ EventStudio projects


def _project_folder(path: str) -> Path | None:
    """The EventStudio project ``path`` names (a folder holding project.scn.json, or
    that file), else None: a plain FDL file keeps its own path."""
    from callflow.project import find_project

    return find_project(path)


def _project_flows(
    project: Any, front_end: FrontEnd, document: Any = None, cache: dict[Any, Any] | None = None
) -> list[Any]:
    """The project's scenarios (all, or a document's), each model parsed with its defines
    and -D, narrowed by --scenario (the caller checks that something matched)."""
    import fnmatch

    from callflow.project import load_flows
    from callflow.scenarios import safe_slug, select_scenarios

    flows = load_flows(
        project,
        None if document is None else project.covered(document),
        defines=_parse_defines(front_end.defines),
        document=document,
        root=front_end.root,
        max_input_size=front_end.max_input_size,
        max_scenarios=front_end.max_scenarios,
        # -I, once the front end has it (the preprocessor's include folders)
        include_dirs=tuple(getattr(front_end, "include_dirs", None) or ()),
        cache=cache,
    )
    glob = front_end.scenario_glob
    if glob is None:
        return flows
    chosen = []
    for flow in flows:
        if flow.fatal:  # not expanded: match the project scenario's own name
            name = flow.scenario.name
            if fnmatch.fnmatchcase(name.lower(), glob.lower()) or fnmatch.fnmatchcase(
                safe_slug(name), glob.lower()
            ):
                chosen.append(flow)
            continue
        selected = tuple(select_scenarios(flow.scenarios, glob))
        if selected:
            chosen.append(dataclasses.replace(flow, scenarios=selected))
    return chosen


def _refuse_project(path: str, command: str) -> None:
    """A command that takes one model file names an EventStudio project: say so."""
    if _project_folder(path) is not None:
        raise click.UsageError(
            f"{path} is an EventStudio project; `callflow {command}` takes one model file "
            f"(`callflow scenarios {path}` lists each scenario's model)"
        )


def _no_project_match(project: Any, front_end: FrontEnd) -> click.UsageError:
    names = ", ".join(s.name for s in project.scenarios)
    return click.UsageError(
        f"no scenario of {project.file} matches {front_end.scenario_glob!r} (it has: {names})"
    )


def _as_loaded(flow: Any) -> Loaded:
    return Loaded(
        flow.scenario.model_path,
        flow.flow,
        list(flow.scenarios),
        list(flow.diagnostics),
        flow.fatal,
        list(flow.every),
    )


def _check_project(
    path: str, front_end: FrontEnd, selection: Any, overrides: Any
) -> tuple[list[Any], list[str], bool]:
    """`callflow check PROJECT_DIR`: (findings, summary lines, fatal). Findings of one
    model checked under several scenarios' defines are merged, listing every scenario."""
    from callflow.check import check_flow
    from callflow.diagnostics import merge_scenarios, sort_diagnostics
    from callflow.project import check_interface_filters, load_project

    project, found = load_project(path, max_size=front_end.max_input_size)
    if project is None:
        return found, [], True
    flows = _project_flows(project, front_end)
    if front_end.scenario_glob is not None and not flows:
        raise _no_project_match(project, front_end)
    found = sort_diagnostics(
        found + check_interface_filters(project, {d.slug: flows for d in project.documents})
    )
    groups: dict[str, list[Any]] = {}
    per_model: dict[str, list[Any]] = {}
    for flow in flows:
        diagnostics = list(flow.diagnostics)
        if not flow.fatal:
            diagnostics += check_flow(
                flow.flow, list(flow.scenarios), selection=selection, severity=overrides
            )
        groups.setdefault(flow.scenario.model_path, []).append(flow)
        per_model.setdefault(flow.scenario.model_path, []).extend(diagnostics)
    everything = list(found)
    summaries = [_project_summary(project, flows, found)]
    for model, group in groups.items():
        merged = sort_diagnostics(merge_scenarios(per_model[model]))
        everything += merged
        if not any(flow.fatal for flow in group):
            combined = dataclasses.replace(
                _as_loaded(group[0]), scenarios=[s for f in group for s in f.scenarios]
            )
            summaries.append(_summary(combined, merged))
    return merge_scenarios(everything), summaries, any(flow.fatal for flow in flows)


def _project_summary(project: Any, flows: Sequence[Any], found: Sequence[Any]) -> str:
    errors = sum(1 for d in found if d.is_error)
    warnings = len(found) - errors
    outcome = (
        "no findings"
        if not found
        else f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    )
    models = len({flow.scenario.model_path for flow in flows})
    count = sum(len(flow.scenarios) for flow in flows)
    return (
        f"{project.file}: {_plural(count, 'scenario')} from {_plural(models, 'model')}, "
        f"{_plural(len(project.documents), 'document')}: {outcome}"
    )


def _project_scenarios(path: str, front_end: FrontEnd) -> None:
    """`callflow scenarios PROJECT_DIR`: every scenario of the project, with its model."""
    import os

    from callflow.project import load_project
    from callflow.report import TextReporter

    reporter = TextReporter(color=_use_color())
    project, found = load_project(path, max_size=front_end.max_input_size)
    if found:
        click.echo(reporter.render(found), nl=False, err=project is not None)
    if project is None:
        sys.exit(EXIT_USAGE)
    flows = _project_flows(project, front_end)
    if front_end.scenario_glob is not None and not flows:
        raise _no_project_match(project, front_end)
    broken = [d for flow in flows if flow.fatal for d in flow.diagnostics]
    if broken:
        from callflow.diagnostics import merge_scenarios

        click.echo(reporter.render(merge_scenarios(broken)), nl=False)
        sys.exit(EXIT_USAGE)
    rows = [("#", "scenario", "slug", "model", "statements", "messages")]
    number = 0
    for flow in flows:
        model = os.path.relpath(flow.scenario.model_path, project.path).replace(os.sep, "/")
        for s in flow.scenarios:
            number += 1
            counts = (str(len(s.statements())), str(len(s.messages())))
            rows.append((str(number), s.name, s.slug, model, *counts))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(w) if i in (0, 4, 5) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


def _render_project(
    path: str,
    front_end: FrontEnd,
    output: str | None,
    several: bool,
    options: Any,
    views_given: bool,
) -> bool:
    """`callflow render PROJECT_DIR`: every document into out/<project>/ (or -o DIR).
    ``options`` are the command line's render options; a sequence-diagram document draws
    the full view only unless --view was given. True when a model could not be read."""
    from callflow.diagnostics import merge_scenarios
    from callflow.project import check_interface_filters, load_project
    from callflow.render.collab import GraphvizMissing
    from callflow.render.documents import write_documents
    from callflow.render.project_site import plan_project
    from callflow.report import TextReporter

    reporter = TextReporter(color=_use_color())
    project, found = load_project(path, max_size=front_end.max_input_size)
    if project is None:
        click.echo(reporter.render(found), nl=False, err=True)
        return True
    cache: dict[Any, Any] = {}
    flows_of = {d.slug: _project_flows(project, front_end, d, cache) for d in project.documents}
    every = [flow for flows in flows_of.values() for flow in flows]
    if front_end.scenario_glob is not None and not every:
        raise _no_project_match(project, front_end)
    found = found + check_interface_filters(project, flows_of)
    if found:
        click.echo(reporter.render(found), nl=False, err=True)
    broken = merge_scenarios([d for flow in every if flow.fatal for d in flow.diagnostics])
    if broken:
        click.echo(reporter.render(broken), nl=False, err=True)
        return True
    from callflow.render.views import resolve_interface

    if options.entity is not None and not any(
        flow.flow is not None and resolve_interface(flow.flow, options.entity) is not None
        for flow in every
    ):
        raise click.UsageError(f"--entity {options.entity}: no model of {path} declares it")
    if not views_given:  # EventStudio draws a document's sequence diagrams
        chosen = ("full", "interface") if options.entity is not None else ("full",)
        options = dataclasses.replace(options, views=chosen)
    formats = None
    source = click.get_current_context().get_parameter_source("formats")
    if source is not None and source is not click.core.ParameterSource.DEFAULT:
        formats = options.formats
    wants_html = formats is None or "html" in formats
    findings: dict[int, list[Any]] = {}
    reviews: dict[Any, list[Any]] = {}
    for flow in every if wants_html else ():
        key = (flow.scenario.model_path, flow.defines, tuple(s.name for s in flow.every))
        if key not in reviews:
            reviews[key] = _project_review(_as_loaded(flow))
        findings[id(flow)] = reviews[key]
    if output is None:
        out_dir = Path("out") / project.name
    else:
        out_dir = Path(output) / project.name if several else Path(output)
    documents = plan_project(
        project, flows_of, options, findings=findings, formats=formats, project_findings=found
    )
    try:
        written = write_documents(documents, out_dir)
    except GraphvizMissing as missing:
        raise click.ClickException(str(missing)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write to {out_dir}: {error}") from None
    for written_path in written:
        click.echo(str(written_path))
    review = merge_scenarios([d for items in reviews.values() for d in items])
    if review:
        errors = sum(1 for d in review if d.is_error)
        click.echo(
            f"{path}: drawn; the design review has {len(review)} finding(s) "
            f"({errors} error(s)): run callflow check {path}",
            err=True,
        )
    return False


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: one funnel for every exception, so no traceback reaches a user."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("callflow: interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("callflow: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (`callflow check ... | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_OK)
    except SystemExit:
        raise
    except Exception as error:  # a bug in callflow: say so briefly, keep the details opt-in
        if os.environ.get("CALLFLOW_DEBUG"):
            raise
        click.echo(
            f"callflow: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in callflow, not in your flow. Run with CALLFLOW_DEBUG=1 "
            "for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    main()
