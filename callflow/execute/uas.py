"""A tiny stand-in for ``sipp -sn uas``, to try ``callflow run --external`` without SIPp.

It answers like SIPp's built-in UAS scenario: an INVITE gets ``180 Ringing`` and then
``200 OK`` with an SDP answer (retransmitted every ``retrans`` seconds until the ACK, as
SIPp's ``retrans="500"`` does), a BYE gets ``200 OK``; there is no ``100 Trying``. Knobs
for fault tests: another final status, no provisional, no SDP in the 200 OK, or silence.
It runs in a thread with a blocking socket, so a test can use it around a
``callflow run``::

    with SippLikeUas("127.0.0.1", 5070) as peer:
        ...  # callflow run flows/basic-call.fdl --external UE_B=127.0.0.1:5070
"""

from __future__ import annotations

import random
import socket
import threading
import time
from types import TracebackType

from callflow.execute import sdp, sipwire


class SippLikeUas:
    """A UDP SIP user agent server in a background thread (see the module docstring)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        provisional: int | None = 180,
        final: int = 200,
        silent: bool = False,
        answer_sdp: bool = True,
        retrans: float = 0.5,
        seed: int = 0,
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.02)
        self.address: tuple[str, int] = self.sock.getsockname()
        self.provisional = provisional
        self.final = final
        self.silent = silent
        self.answer_sdp = answer_sdp
        self.retrans = retrans
        self.received: list[str] = []  # start lines, in order
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sipp-like-uas", daemon=True)
        self._pending: tuple[bytes, tuple[str, int], float] | None = None  # 2xx awaiting ACK

    def start(self) -> SippLikeUas:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self.sock.close()

    def __enter__(self) -> SippLikeUas:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self._pending is not None and time.monotonic() >= self._pending[2]:
                data, peer, _ = self._pending
                self.sock.sendto(data, peer)
                self._pending = (data, peer, time.monotonic() + self.retrans)
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                request = sipwire.parse_message(data)
            except sipwire.SipParseError:
                continue
            self.received.append(request.start_line)
            if self.silent or not request.is_request:
                continue
            self._answer(request, peer)

    def _send(self, message: sipwire.SipMessage, peer: tuple[str, int]) -> bytes:
        data = message.to_bytes()
        self.sock.sendto(data, peer)
        return data

    def _answer(self, request: sipwire.SipMessage, peer: tuple[str, int]) -> None:
        method = request.method
        tag = f"{self._rng.getrandbits(32):08x}"
        contact = f"<sip:{self.address[0]}:{self.address[1]};transport=UDP>"
        if method == "INVITE":
            if self.provisional is not None:
                ringing = sipwire.make_response(request, self.provisional, to_tag=tag)
                ringing.headers.append(("Contact", contact))
                self._send(ringing, peer)
            final = sipwire.make_response(request, self.final, to_tag=tag)
            if 200 <= self.final < 300:
                final.headers.append(("Contact", contact))
            if 200 <= self.final < 300 and self.answer_sdp:
                final.headers.append(("Content-Type", "application/sdp"))
                final.body = sdp.make_answer(
                    request.body, session_id=53655765, address=self.address[0], port=6000
                )
            data = self._send(final, peer)
            if 200 <= self.final < 300:
                self._pending = (data, peer, time.monotonic() + self.retrans)
        elif method == "ACK":
            self._pending = None
        elif method in ("BYE", "OPTIONS", "CANCEL"):
            self._send(sipwire.make_response(request, 200, to_tag=tag), peer)
