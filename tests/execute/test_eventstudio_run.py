"""EventStudio flows execute too: environment edges, cascades, replies, method calls.

EventStudio's `env_l` / `env_r` (the world outside the diagram) are played as peers of
their own on loopback; a cascade is one datagram per hop; a reply arrow (`A <- B`) is sent
by B; a method call and its return are datagrams between caller and callee. The flow is
written in EventStudio's dialect with quoted names.
"""

from __future__ import annotations

import os

from callflow.execute.engine import RunOptions, run_scenario
from callflow.fdl import parse_text
from callflow.scenarios import expand_scenarios

SIP = 26000 + (os.getpid() % 3000) * 3

FLOW = """
module: Peru
eternal: "Lima" in Peru, "Cusco" in Peru, Quito
feature "trip" {
    Ticket : env_l -> "Lima"
    Fwd(seat=12) : "Lima" -> "Cusco" -> Quito
    Ack : "Lima" <- Quito
    "Lima" invokes Quito.Book(seat)
    Quito.Book returns (ref)
    Peru action "Holiday"
    Postcard : Quito -> env_r
}
"""


def test_an_eventstudio_flow_runs_with_its_environment_on_loopback() -> None:
    result = parse_text(FLOW, "trip.fdl")
    assert result.ok, result.diagnostics
    (scenario,) = expand_scenarios(result.flow).scenarios
    run = run_scenario(
        result.flow,
        scenario,
        RunOptions(
            seed=3,
            time_scale=0.02,
            timeout=20.0,
            sip_port=SIP,
            h248_port=SIP + 1,
            generic_port=SIP + 2,
            media=False,
        ),
    )
    assert run.ok, [str(d) for d in run.diagnostics]
    assert (run.messages, run.delivered) == (7, 7)
    assert {"env_l", "env_r"} <= set(run.entities)
    hops = [(d.sender, d.receiver) for d in run.datagrams if not d.dropped and d.attempt == 0]
    assert hops == [
        ("env_l", "Lima"),
        ("Lima", "Cusco"),
        ("Cusco", "Quito"),
        ("Quito", "Lima"),
        ("Lima", "Quito"),
        ("Quito", "Lima"),
        ("Quito", "env_r"),
    ]
    env_l, lima = run.addresses.hosts["env_l"], run.addresses.hosts["Lima"]
    assert env_l.startswith("127.") and env_l != lima
