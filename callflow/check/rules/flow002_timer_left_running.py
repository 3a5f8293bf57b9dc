"""FLOW002 flow.timer-left-running."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity


@register
class TimerLeftRunning(Rule):
    """A timer is started and neither stopped nor expired.

    Per (entity, timer name): ``starts timer`` sets it running; ``stops timer`` and
    ``timeout`` clear it. Fires at scenario end for each running timer, and when a
    dynamic entity is deleted with a timer running (points at the ``starts``). Starting a
    running timer, or stopping/expiring one that is not running, is an error under this
    code (points at the bad statement).
    """

    code = "FLOW002"
    name = "flow.timer-left-running"
    severity = Severity.WARNING
    summary = "A timer is started and neither stopped nor expired."
    source = CITATIONS["FLOW002"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        running: dict[tuple[str, str], ir.TimerStart] = {}
        for statement in scenario.statements():
            if isinstance(statement, ir.TimerStart):
                key = (statement.entity.text, statement.timer.text)
                if key in running and not statement.restart:
                    first = running[key].loc.line
                    yield Finding(
                        statement.loc,
                        f"timer {key[1]} of {key[0]} is started again while it runs "
                        f"(started at line {first})",
                        Severity.ERROR,
                    )
                running[key] = statement
            elif isinstance(statement, ir.TimerStop | ir.TimerTimeout):
                key = (statement.entity.text, statement.timer.text)
                start = running.get(key)
                if isinstance(statement, ir.TimerTimeout) and start and start.periodic:
                    continue  # a periodic timer runs on after each timeout until stopped
                if running.pop(key, None) is None:
                    verb = "stopped" if isinstance(statement, ir.TimerStop) else "expires"
                    yield Finding(
                        statement.loc,
                        f"timer {key[1]} of {key[0]} {verb} but is not running",
                        Severity.ERROR,
                    )
            elif isinstance(statement, ir.Delete):
                owner = statement.deleted.text
                for key in [k for k in running if k[0] == owner]:
                    start = running.pop(key)
                    yield Finding(
                        start.loc,
                        f"timer {key[1]} is still running when {owner} is deleted "
                        f"(line {statement.loc.line})",
                    )
        for (entity, timer), start in running.items():
            if start.periodic:
                message = f"periodic timer {timer} of {entity} is never stopped"
            else:
                message = f"timer {timer} of {entity} is never stopped and never expires"
            yield Finding(start.loc, message)
