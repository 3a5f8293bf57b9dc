"""``[tool.callflow]`` in ``pyproject.toml``: the project's defaults for ``callflow check``.

::

    [tool.callflow]
    select = ["SIP", "FLOW"]          # only these rules (code prefixes or dotted names)
    ignore = ["SIP302", "sdp"]        # never these (longest match wins against select)
    strict = true                     # warnings count for the exit code
    max-scenarios = 256               # refuse flows with more scenarios
    severity = { SIP104 = "error", FLOW002 = "error" }   # per code, prefix or name

The file is the nearest ``pyproject.toml`` from the current directory upwards (the
project's root, as for other Python tools); when it has no ``[tool.callflow]`` table
there is no configuration, and files further up are not read. ``--config PATH`` names the
file instead, ``--no-config`` ignores it. The command line wins: ``--select`` replaces the
configured selection, ``--ignore`` adds to it, ``--strict``, ``--max-scenarios`` and
``--severity`` override the configured values.

Every problem (not TOML, an unknown key, a value of the wrong type, a selector that names
no rule) is a :class:`ConfigError` naming the file and the key; the CLI reports it as a
usage error (exit 2).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callflow.check import close_matches, rules_matching
from callflow.diagnostics import Severity

PYPROJECT = "pyproject.toml"
TABLE = "[tool.callflow]"

KEYS = ("select", "ignore", "strict", "max-scenarios", "severity")
#: names people reach for, and the key that does it
KEY_HINTS = {
    "disable": "ignore",
    "warn-as-error": "strict",
    "warn_as_error": "strict",
    "max_scenarios": "max-scenarios",
}
SEVERITIES = {str(s): s for s in Severity}


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """What the configuration says; None/empty where it says nothing."""

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    strict: bool | None = None
    max_scenarios: int | None = None
    severity: dict[str, Severity] = field(default_factory=dict)


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` (default: the current directory) or
    a folder above it."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:  # the current directory was removed
        return None
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def discover(start: Path | None = None) -> Config:
    """The configuration of the nearest ``pyproject.toml`` (empty when there is none or
    it has no ``[tool.callflow]`` table)."""
    path = find_pyproject(start)
    if path is None:
        return Config()
    return load(path, required=False)


def _shown(path: Path) -> Path:
    """``path`` as messages show it: relative to the current directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return path


def load(path: Path, *, required: bool = True) -> Config:
    """Read ``[tool.callflow]`` from a TOML file. ``required``: a file without the table
    is an error (it was named with ``--config``), otherwise an empty configuration.
    Messages name the file relative to the current directory when it is inside it."""
    path = _shown(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    tool = data.get("tool")
    table = tool.get("callflow") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{path}: has no {TABLE} table")
        return Config(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {TABLE} must be a table")
    return parse_table(table, path)


def parse_table(table: Mapping[str, Any], path: Path) -> Config:
    """Validate the keys and values of a ``[tool.callflow]`` table."""
    where = f"{path}: {TABLE}"
    for key in table:
        if key not in KEYS:
            hint = KEY_HINTS.get(key) or next(
                iter(difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)), None
            )
            suggestion = f" (did you mean '{hint}'?)" if hint else ""
            raise ConfigError(
                f"{where}: unknown key '{key}'{suggestion}; known keys: {', '.join(KEYS)}"
            )
    select = table.get("select")
    ignore = table.get("ignore", [])
    strict = table.get("strict")
    max_scenarios = table.get("max-scenarios")
    severity = table.get("severity", {})
    if strict is not None and not isinstance(strict, bool):
        raise ConfigError(f"{where} strict: expected true or false, got {strict!r}")
    if max_scenarios is not None and (
        isinstance(max_scenarios, bool) or not isinstance(max_scenarios, int) or max_scenarios < 1
    ):
        raise ConfigError(
            f"{where} max-scenarios: expected a whole number of at least 1, got {max_scenarios!r}"
        )
    if not isinstance(severity, dict):
        raise ConfigError(
            f'{where} severity: expected a table such as {{SIP104 = "error"}}, got {severity!r}'
        )
    return Config(
        path=path,
        select=None if select is None else selectors(select, f"{where} select"),
        ignore=selectors(ignore, f"{where} ignore"),
        strict=strict,
        max_scenarios=max_scenarios,
        severity=severity_overrides(severity.items(), f"{where} severity"),
    )


def selectors(value: Any, where: str) -> tuple[str, ...]:
    """A list of selectors, each naming at least one rule."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ConfigError(f'{where}: expected a list of rule codes such as ["SIP2"], got {value!r}')
    for item in value:
        check_selector(item, where)
    return tuple(value)


def _at(where: str | None, message: str) -> str:
    return f"{where}: {message}" if where else message


def check_selector(selector: str, where: str | None = None) -> None:
    """Raise :class:`ConfigError` unless ``selector`` names at least one rule."""
    if not isinstance(selector, str):
        raise ConfigError(_at(where, f"expected a rule code or name, got {selector!r}"))
    if selector.strip() and rules_matching(selector):
        return
    near = close_matches(selector)
    hint = f" (did you mean {' or '.join(near)}?)" if near else ""
    raise ConfigError(_at(where, f"{selector!r} names no rule{hint}; `callflow rules` lists them"))


def severity_overrides(
    items: Iterable[tuple[str, Any]], where: str | None = None
) -> dict[str, Severity]:
    """``(selector, "error"|"warning"|"note")`` pairs, validated."""
    overrides: dict[str, Severity] = {}
    for selector, level in items:
        check_selector(selector, where)
        if not isinstance(level, str) or level.lower() not in SEVERITIES:
            raise ConfigError(
                _at(where, f"{selector} = {level!r}: expected one of {', '.join(SEVERITIES)}")
            )
        overrides[selector] = SEVERITIES[level.lower()]
    return overrides
