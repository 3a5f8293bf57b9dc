"""What a run reports: text and JSON summaries, and the executed trace as a diagram.

The trace of a run (every datagram in the order it was sent, retransmissions and drops
included, and the statements executed without a datagram) is turned back into IR
statements, so the existing renderer draws what actually happened: a retransmission is
an arrow of its own marked "retransmission", a datagram ``--loss`` dropped is a lost
arrow, a message the flow draws lost stays lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from callflow import ir
from callflow.execute.engine import Datagram, ScenarioRun
from callflow.report.json_report import diagnostic_to_dict

# ------------------------------------------------------------------------------ summaries


def scenario_dict(run: ScenarioRun, files: dict[str, str] | None = None) -> dict[str, Any]:
    """One scenario's outcome as JSON-ready data."""
    return {
        "name": run.scenario.name,
        "slug": run.scenario.slug,
        "ok": run.ok,
        "duration_s": round(run.duration, 6),
        "messages": run.messages,
        "delivered": run.delivered,
        "drawn_lost": run.drawn_lost,
        "unrecovered": run.unrecovered,
        "datagrams": sum(s.datagrams_out for s in run.entities.values()),
        "retransmissions": run.retransmissions,
        "dropped": run.dropped,
        "entities": {
            name: {
                "address": run.addresses.hosts.get(name)
                if name not in run.addresses.external
                else "{}:{}".format(*run.addresses.external[name]),
                "external": name in run.addresses.external,
                "sent": stats.sent,
                "received": stats.received,
                "retransmissions": stats.retransmissions,
                "dropped": stats.dropped,
                "duplicates": stats.duplicates,
                "datagrams_out": stats.datagrams_out,
                "datagrams_in": stats.datagrams_in,
                "active_s": round(stats.active, 6),
            }
            for name, stats in run.entities.items()
        },
        "media": run.media.summary() if run.media is not None else None,
        "diagnostics": [diagnostic_to_dict(d) for d in run.diagnostics],
        "files": dict(files or {}),
    }


def report_dict(
    path: str,
    runs: Sequence[ScenarioRun],
    files: Sequence[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The whole run (``--format json``)."""
    first = runs[0] if runs else None
    return {
        "file": path,
        "ok": all(r.ok for r in runs),
        "order": first.order if first else None,
        "seed": first.seed if first else None,
        "loss": first.loss if first else None,
        "time_scale": first.time_scale if first else None,
        "scenarios": [
            scenario_dict(run, files[n] if files is not None else None)
            for n, run in enumerate(runs)
        ],
    }


def format_text(
    path: str,
    runs: Sequence[ScenarioRun],
    files: Sequence[dict[str, str]] | None = None,
) -> str:
    """The human report: one block per scenario, one row per entity."""
    lines: list[str] = []
    if runs:
        r = runs[0]
        lines.append(
            f"{path}: order {r.order}, seed {r.seed}, loss {r.loss:g}, time scale {r.time_scale:g}"
        )
    for n, run in enumerate(runs):
        datagrams = sum(s.datagrams_out for s in run.entities.values())
        outcome = "passed" if run.ok else "FAILED"
        lost = f" (+{run.drawn_lost} drawn lost)" if run.drawn_lost else ""
        if run.unrecovered:
            lost += f" ({run.unrecovered} lost for good: provisional responses and their relays)"
        lines.append(
            f'scenario "{run.scenario.name}": {outcome} in {run.duration:.3f}s: '
            f"{run.delivered}/{run.messages - run.drawn_lost} messages delivered{lost}, "
            f"{datagrams} datagrams, {run.retransmissions} retransmissions, "
            f"{run.dropped} dropped by --loss"
        )
        rows = [("entity", "address", "sent", "received", "retrans", "dropped", "dups", "time")]
        for name, stats in run.entities.items():
            if not (stats.datagrams_out or stats.datagrams_in or stats.sent or stats.received):
                continue
            external = name in run.addresses.external
            address = (
                "{}:{} (external)".format(*run.addresses.external[name])
                if external
                else run.addresses.hosts.get(name, "")
            )
            rows.append(
                (
                    name,
                    address,
                    str(stats.sent),
                    str(stats.received),
                    str(stats.retransmissions),
                    str(stats.dropped),
                    str(stats.duplicates),
                    f"{stats.active:.3f}s",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  " + "  ".join(cells).rstrip())
        if run.media is not None:
            m = run.media.summary()
            lines.append(
                f"  media: {m['segments']} segments, {m['seconds']:g}s of audio, "
                f"{m['streams']} RTP streams, {m['rtp_packets']} packets, {m['rtp_lost']} lost; "
                f"mixing took {m['mixer_cpu_s']:.3f}s CPU"
            )
        for kind, written in (files[n] if files is not None else {}).items():
            lines.append(f"  {kind}: {written}")
    return "\n".join(lines) + "\n" if lines else ""


# ------------------------------------------------------------------------------ the trace


def _feature_of(scenario: ir.Scenario) -> list[int]:
    """For each statement of ``scenario.statements()``, the index of its feature."""

    def flatten(body: Sequence[ir.Statement]) -> int:
        count = 0
        for statement in body:
            if isinstance(statement, ir.Sequence):
                count += flatten(statement.body)
            else:
                count += 1
        return count

    out: list[int] = []
    for index, feature in enumerate(scenario.features):
        out += [index] * flatten(feature.body)
    return out


def _param(text: str, loc: ir.SourceLocation) -> ir.Param:
    return ir.Param(None, text, True, loc)


def executed_scenario(run: ScenarioRun) -> ir.Scenario:
    """The run's trace as a scenario the renderer can draw (features kept in order)."""
    scenario = run.scenario
    statements = scenario.statements()
    messages = scenario.messages()
    msg_index = {id(m): i for i, m in enumerate(messages)}
    feature_of = _feature_of(scenario)
    groups: list[tuple[int, list[ir.Statement]]] = []
    executed: list[ir.Message] = []
    resolved: list[ir.ResolvedMessage] = []
    # statements nobody executes (headings, remarks, an external peer's own statements)
    # are shown where the flow has them, before the first event that comes after them
    traced = {event.statement for event in run.trace}
    untraced = [
        (s, statement)
        for s, statement in enumerate(statements)
        if s not in traced and not isinstance(statement, ir.Message)
    ]
    untraced.reverse()
    events: list[tuple[int, ir.Statement, Datagram | None]] = []
    for event in run.trace:
        while untraced and untraced[-1][0] < event.statement:
            s, statement = untraced.pop()
            events.append((s, statement, None))
        events.append((event.statement, statements[event.statement], event.datagram))
    events += [(s, statement, None) for s, statement in reversed(untraced)]
    for index, original, datagram in events:
        if datagram is None:
            statement: ir.Statement = original
            if isinstance(original, ir.Message):  # a message to self
                statement = dataclasses.replace(original)
        else:
            assert isinstance(original, ir.Message)
            params = original.params if datagram.attempt == 0 else ()
            notes: list[str] = []
            if datagram.attempt:
                notes.append(
                    f"retransmission {datagram.attempt} of flow message {datagram.message + 1}"
                )
            if datagram.dropped:
                notes.append("dropped (--loss)")
            statement = dataclasses.replace(
                original,
                params=params + tuple(_param(n, original.loc) for n in notes),
                receivers=(ir.Name(datagram.receiver, original.loc),)
                if datagram.receiver in run.addresses.hosts
                else original.receivers[:1],
                lost=datagram.dropped or datagram.drawn_lost,
                remark=original.remark if datagram.attempt == 0 else None,
            )
        if isinstance(statement, ir.Message):
            source = run.scenario.resolved[msg_index[id(original)]]
            executed.append(statement)
            resolved.append(dataclasses.replace(source, number=len(executed)))
        feature = feature_of[index] if index < len(feature_of) else 0
        if not groups or groups[-1][0] != feature:
            groups.append((feature, []))
        groups[-1][1].append(statement)
    features = tuple(
        ir.ScenarioFeature(scenario.features[f].name, tuple(body), scenario.features[f].loc)
        for f, body in groups
    )
    flat = tuple(s for _, body in groups for s in body)
    return ir.Scenario(
        index=scenario.index,
        name=f"{scenario.name} (executed)",
        slug=f"{scenario.slug}-executed",
        path=scenario.path,
        features=features,
        flat=flat,
        message_list=tuple(executed),
        resolved=tuple(resolved),
    )


def executed_svg(flow: ir.Flow, run: ScenarioRun) -> str:
    """The executed trace drawn by the sequence-diagram renderer (one SVG page)."""
    from callflow.render.geometry import layout
    from callflow.render.placement import place
    from callflow.render.svg import render_svg

    shown = dataclasses.replace(flow, title=f"{flow.display_title} (executed)")
    placement = place(shown, executed_scenario(run), all_scenarios=(run.scenario,))
    return render_svg(layout(placement))[0]
