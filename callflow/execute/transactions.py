"""Transaction state: RFC 3261 §17 for SIP, ITU-T H.248.1 Annex D.1 for H.248 over UDP.

The engine decides *what* to send (the flow says so); this module remembers what was
sent on each transaction and re-sends it when the timers say so:

* a client transaction retransmits its request (Timer A for INVITE, doubling; Timer E for
  other methods, doubling up to T2, then every T2 once a provisional came) until a
  response, and gives up after 64*T1 (Timer B/F);
* a server transaction answers a retransmitted request with its last response, and
  retransmits a final response to INVITE until the ACK (Timer G, and the UAS's 2xx
  retransmission of §13.3.1.4), giving up after 64*T1 (Timer H);
* a UAS retransmits a reliable provisional response (RFC 3262 §3: ``Require: 100rel``
  and an ``RSeq``) at T1, doubling without a cap, until the PRACK with its RSeq, giving
  up after 64*T1;
* an H.248 requester retransmits until the reply; the responder answers a duplicate
  transaction id with its stored reply.

Every duration is RFC 3261's (T1 = 500 ms, T2 = 4 s) times ``--time-scale``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from callflow.execute.sipwire import SipMessage

Address = tuple[str, int]
#: what was put on the wire for a statement: datagram, destination, statement index
Sent = tuple[bytes, Address, int]
#: a response as a client transaction tells copies apart: (status, To tag, RSeq); two
#: reliable provisionals with the same status differ by RSeq (RFC 3262 §4)
ResponseKey = tuple[int, str | None, int | None]

T1, T2, T4 = 0.5, 4.0, 5.0


@dataclass(frozen=True, slots=True)
class TimerValues:
    """RFC 3261's T1, T2 and T4 scaled by ``--time-scale`` (seconds)."""

    t1: float = T1
    t2: float = T2
    t4: float = T4

    @classmethod
    def scaled(cls, scale: float) -> TimerValues:
        return cls(T1 * scale, T2 * scale, T4 * scale)

    @property
    def give_up(self) -> float:
        """64*T1: Timer B, F, H and the 2xx and reliable provisional retransmission limit."""
        return 64 * self.t1


class Retransmitter:
    """Calls ``resend`` after ``first`` seconds, then at doubling intervals (capped at
    ``cap`` when given) until :meth:`stop`; calls ``on_give_up`` once ``give_up`` seconds
    have passed without a stop."""

    __slots__ = ("_cap", "_elapsed", "_give_up", "_handle", "_interval", "_loop", "_on_give_up",
                 "_resend", "stopped")  # fmt: skip

    def __init__(
        self,
        *,
        first: float,
        cap: float | None,
        give_up: float,
        resend: Callable[[], None],
        on_give_up: Callable[[], None] | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._interval = first
        self._cap = cap
        self._give_up = give_up
        self._elapsed = 0.0
        self._resend = resend
        self._on_give_up = on_give_up
        self.stopped = False
        self._handle: asyncio.TimerHandle | None = None
        self._schedule()

    def _schedule(self) -> None:
        wait = min(self._interval, max(self._give_up - self._elapsed, 0.0))
        self._handle = self._loop.call_later(wait, self._fire, wait)

    def _fire(self, waited: float) -> None:
        if self.stopped:
            return
        self._elapsed += waited
        if self._elapsed >= self._give_up - 1e-9:
            self.stopped = True
            if self._on_give_up is not None:
                self._on_give_up()
            return
        self._resend()
        self._interval *= 2
        if self._cap is not None:
            self._interval = min(self._interval, self._cap)
        self._schedule()

    def hold_at(self, interval: float) -> None:
        """From now on retransmit every ``interval`` (non-INVITE after a provisional)."""
        self._interval = interval
        self._cap = interval

    def stop(self) -> None:
        self.stopped = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


@dataclass(eq=False, slots=True)
class ClientTransaction:
    """A request this entity sent on one hop, and what came back on it."""

    branch: str
    method: str
    stmt: int
    peer: str
    dst: Address
    request: SipMessage
    data: bytes
    call: str | None = None
    dialog_key: object | None = None
    #: every response received, to spot retransmissions
    seen: set[ResponseKey] = field(default_factory=set)
    final: int | None = None
    final_message: SipMessage | None = None
    #: the ACK this entity sent for the final response (re-sent on its retransmission)
    ack: Sent | None = None
    #: a proxy's relay of each response received: retransmissions of a 2xx or of a
    #: provisional are forwarded again
    relayed: dict[ResponseKey, Sent] = field(default_factory=dict)
    timer: Retransmitter | None = None
    drawn_lost: bool = False

    @property
    def is_invite(self) -> bool:
        return self.method == "INVITE"

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None


@dataclass(eq=False, slots=True)
class ServerTransaction:
    """A request this entity received, and the responses it sent on it."""

    branch: str
    method: str
    stmt: int | None
    peer: str | None
    request: SipMessage
    to_tag: str | None = None
    last_response: Sent | None = None
    final: int | None = None
    acked: bool = False
    timer: Retransmitter | None = None

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None


@dataclass(eq=False, slots=True)
class H248Request:
    """An H.248 transaction this entity started (retransmitted until the reply)."""

    transaction_id: int
    stmt: int
    peer: str
    sent: Sent
    call: str | None = None
    replied: bool = False
    timer: Retransmitter | None = None

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None


def server_key(branch: str, method: str) -> tuple[str, str]:
    """Server transactions are keyed by branch and method (an ACK to a non-2xx final
    belongs to the INVITE's transaction; CANCEL has its own, RFC 3261 §17.2.3)."""
    return (branch, "INVITE" if method == "ACK" else method)
