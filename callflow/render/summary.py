"""The message summary of a scenario: which message goes where, how often, and when.

A long flow is easier to review as a table than as 500 arrows: one row per distinct
(message, sender, receiver), with how many times it is sent and the numbers (fdl.md
section 6) of its first and last occurrence, so a reader can jump to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from callflow import ir

__all__ = ["SummaryRow", "message_summary"]


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One message name on one hop: its count and first/last message number."""

    message: str
    sender: str
    receiver: str
    count: int
    first: int
    last: int


def message_summary(scenario: ir.Scenario) -> tuple[SummaryRow, ...]:
    """Rows ordered by first appearance, in one pass over the messages.

    Messages are numbered 1..N in scenario order. A multicast message is one number but
    one row entry per receiver (each receiver gets it), so the counts add up to the number
    of arrows drawn; lost messages count like the others (they were sent).
    """
    tally: dict[tuple[str, str, str], list[int]] = {}  # key -> [count, first, last]
    for number, message in enumerate(scenario.messages(), start=1):
        sender = message.sender.text
        for receiver in message.receivers:
            key = (message.name, sender, receiver.text)
            entry = tally.get(key)
            if entry is None:
                tally[key] = [1, number, number]
            else:
                entry[0] += 1
                entry[2] = number
    return tuple(
        SummaryRow(name, sender, receiver, count, first, last)
        for (name, sender, receiver), (count, first, last) in tally.items()
    )
