"""``callflow run``: execute a flow on loopback.

Every entity a UDP endpoint, every message a real SIP or H.248 datagram checked on
receipt; a pcap (RTP included), the executed diagram, what each participant heard and a
report are written under ``DIR/run/`` (``docs/run.md``). The command has the most options
and helpers of its own (``--external``, the source lines of runtime findings) and needs
of the other commands only what they all share (:mod:`callflow.cli_common`) and the
refusal of a project folder (:mod:`callflow.cli_project`), so it has a module of its own;
:mod:`callflow.cli` adds it to the ``callflow`` group. Part of the command line: it prints
and exits.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from callflow.cli_common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    FrontEnd,
    design_review,
    front_end_options,
    load,
    output_dir,
    plural,
    use_color,
)
from callflow.cli_project import refuse_project

__all__ = ["run"]


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


@click.command()
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

    refuse_project(file, "run")
    loaded = load(file, front_end)
    reporter = TextReporter(color=use_color())
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
        errors = [d for d in design_review(loaded) if d.is_error]
        if errors:
            click.echo(
                f"{file}: the flow has {plural(len(errors), 'check error')}: "
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
    out_dir = output_dir(file, output, False) / "run"
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
