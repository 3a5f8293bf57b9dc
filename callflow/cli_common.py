"""What the commands share: the front end's options, loading a flow, the configured
design review and the summary line.

``callflow check``, ``scenarios``, ``render``, ``export`` and ``run`` read FDL the same
way: the options of :func:`front_end_options` (``-D``, ``--root``, ``-I``, the size and
scenario limits, ``--scenario``) gathered in a :class:`FrontEnd`, and :func:`load`, which
preprocesses, parses, validates and expands one file into a :class:`Loaded`. The
commands (:mod:`callflow.cli`, :mod:`callflow.cli_run`) and the EventStudio project
branches (:mod:`callflow.cli_project`) import these from here, so none of them imports
another for them. Part of the command line (it raises click's usage errors), though
nothing here prints or exits: the callers do.

Exit codes: 0 clean or warnings only; 1 an error was found (warnings too with
``--strict``); 2 usage, syntax, preprocessor or semantic (FDL) errors; 3 an internal
error (a bug in callflow, never the user's input).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "ByteSize",
    "FrontEnd",
    "Loaded",
    "design_review",
    "front_end_options",
    "load",
    "load_config",
    "output_dir",
    "parse_defines",
    "plural",
    "summary_line",
    "use_color",
]

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


def parse_defines(values: Sequence[str]) -> dict[str, str]:
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
        defines=parse_defines(defines),
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


def use_color() -> bool:
    """Colour on stdout: only on a terminal, and never with ``NO_COLOR`` set."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def load_config(config_path: str | None, no_config: bool) -> Any:
    """``[tool.callflow]`` from ``--config FILE``, or the nearest pyproject.toml, or none."""
    from callflow.check.config import Config, ConfigError, discover, load

    if no_config:
        return Config()
    try:
        return load(Path(config_path)) if config_path is not None else discover()
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


def design_review(loaded: Loaded) -> list[Any]:
    """The design review `render` and `run` do, with the rule selection and severities
    of [tool.callflow] in the nearest pyproject.toml (what `callflow check` would report
    without options), so a rule a project turned off is off everywhere."""
    from callflow.check import Layer, Selection, check_flow

    config = load_config(None, False)
    selection = Selection((Layer(config.select, config.ignore),))
    return check_flow(loaded.flow, loaded.every, selection=selection, severity=(config.severity,))


def summary_line(loaded: Loaded, diagnostics: Sequence[Any]) -> str:
    """``file: 2 scenarios, 9 entities, 126/54 messages: no findings`` (``check``)."""
    errors = sum(1 for d in diagnostics if d.is_error)
    notes = sum(1 for d in diagnostics if str(d.severity) == "note")
    warnings = len(diagnostics) - errors - notes
    messages = "/".join(str(len(s.messages())) for s in loaded.scenarios)
    entities = len(loaded.flow.architecture.entities)
    outcome = (
        "no findings"
        if not diagnostics
        else f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
        + (f", {plural(notes, 'note')}" if notes else "")
    )
    count = len(loaded.scenarios)
    noun = "message" if messages == "1" else "messages"
    return (
        f"{loaded.path}: {plural(count, 'scenario')}, {plural(entities, 'entity', 'entities')}, "
        f"{messages} {noun}: {outcome}"
    )


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 error``, ``2 errors`` (``many`` for irregular plurals)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def output_dir(path: str, output: str | None, several: bool) -> Path:
    """``out/<stem>/``, or ``-o DIR`` (``DIR/<stem>/`` when several files are given)."""
    stem = Path(path).stem or "flow"
    if output is None:
        return Path("out") / stem
    return Path(output) / stem if several else Path(output)


def write_and_list(documents: Sequence[Any], out_dir: Path) -> None:
    """Write a render's documents atomically and print each path (a missing Graphviz or an
    unwritable folder is a clear error, never a traceback)."""
    from callflow.render.collab import GraphvizMissing
    from callflow.render.documents import write_documents

    try:
        written = write_documents(documents, out_dir)
    except GraphvizMissing as missing:
        raise click.ClickException(str(missing)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write to {out_dir}: {error}") from None
    for written_path in written:
        click.echo(str(written_path))
