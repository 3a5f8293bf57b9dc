"""The command line: the ``callflow`` group, its commands and the one exception funnel.

The command line is the only place that prints or exits: this module and its siblings,
:mod:`callflow.cli_common` (what the commands share: the front end's options, loading a
flow, the design review, the summary line), :mod:`callflow.cli_project` (the EventStudio
project branches of ``check``, ``scenarios`` and ``render``) and :mod:`callflow.cli_run`
(``callflow run``). :func:`main` is the console script (``callflow.cli:main``).

Exit codes: 0 clean or warnings only; 1 an error was found (warnings too with
``--strict``); 2 usage, syntax, preprocessor or semantic (FDL) errors; 3 an internal
error (a bug in callflow, never the user's input).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from callflow import __version__
from callflow.cli_common import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    ByteSize,
    FrontEnd,
    Loaded,
    design_review,
    front_end_options,
    load,
    load_config,
    output_dir,
    summary_line,
    use_color,
    write_and_list,
)
from callflow.cli_project import (
    check_project,
    project_folder,
    project_scenarios,
    refuse_project,
    render_project,
)
from callflow.cli_run import run

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "ByteSize",
    "FrontEnd",
    "Loaded",
    "check",
    "cli",
    "export",
    "front_end_options",
    "load",
    "main",
    "render",
    "rules_command",
    "run",
    "scenarios",
]


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

    config = load_config(config_path, no_config)
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

    reporter = REPORTERS[output_format](color=use_color())
    everything: list[Any] = []
    summaries: list[str] = []
    fatal = False
    for path in files:
        if project_folder(path) is not None:  # an EventStudio project
            found, lines, broken = check_project(path, front_end, selection, overrides)
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
            summaries.append(summary_line(loaded, diagnostics))
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


@cli.command()
@click.argument("file")
@front_end_options
def scenarios(
    file: str,
    front_end: FrontEnd,
) -> None:
    """List the scenarios of a flow with their statement and message counts."""
    from callflow.report import TextReporter

    if project_folder(file) is not None:  # an EventStudio project
        project_scenarios(file, front_end)
        return
    loaded = load(file, front_end)
    if loaded.fatal:
        click.echo(TextReporter(color=use_color()).render(loaded.diagnostics), nl=False)
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
    from callflow.render.documents import (
        VIEWS,
        RenderOptions,
        date_from_environment,
        plan_documents,
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
        if project_folder(path) is not None:  # an EventStudio project: its documents
            several = len(files) > 1
            failed = render_project(path, front_end, output, several, base, bool(views)) or failed
            continue
        loaded = load(path, front_end)
        if loaded.fatal:
            click.echo(
                TextReporter(color=use_color()).render(loaded.diagnostics), nl=False, err=True
            )
            failed = True
            continue
        flow = loaded.flow
        if entity is not None:
            _check_interface_name(flow, entity, path)
        every = loaded.every
        # the design review feeds the HTML site's findings; SVG alone only draws
        findings = design_review(loaded) if "html" in chosen_formats else []
        out_dir = output_dir(path, output, len(files) > 1)
        documents = plan_documents(flow, loaded.scenarios, options, findings, all_scenarios=every)
        write_and_list(documents, out_dir)
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

    refuse_project(file, "export")
    loaded = load(file, front_end)
    if loaded.fatal:
        click.echo(TextReporter(color=use_color()).render(loaded.diagnostics), nl=False, err=True)
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


cli.add_command(run)  # callflow run: callflow/cli_run.py


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
