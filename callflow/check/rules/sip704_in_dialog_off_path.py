"""SIP704 route.in-dialog-off-path."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.routing import OffRoute, build_routing, describe_dialog


@register
class InDialogOffPath(Rule):
    """An in-dialog request takes a route that the dialog's route set cannot give
    (RFC 3261 §12.1.1-§12.1.2, §12.2.1.1, §16.6 step 4, §16.12).

    The dialog's path is the entity sequence of its creating request chain, UAC to
    UAS; its route set is the path's proxies that record-route (``record_route=yes``,
    the default), fixed when the dialog is created. Every later request chain of the
    dialog must go origin -> route set -> destination exactly: (a) no entity off the
    path, (b) in path order or its reverse, (c) every route-set proxy and no proxy with
    ``record_route=no``. Checked once its origin holds the dialog (it sent or received
    a 101-299 to the creating request, with a To-tag for a 1xx; RFC 3261 §12.1). A
    CANCEL (§9.1) and the ACK of a non-2xx final (§17.1.1.3) follow the INVITE's own
    path, not the route set, and are not checked.
    """

    code = "SIP704"
    name = "route.in-dialog-off-path"
    severity = Severity.ERROR
    summary = "An in-dialog request takes a route that the dialog's route set cannot give."
    source = CITATIONS["SIP704"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for off in model.part(build_routing).off_route:
            message = model.messages[off.index]
            yield Finding(
                message.loc,
                f"{message.name} of {describe_dialog(off.dialog)} goes "
                f"{message.sender.text} -> {message.receiver.text}, "
                f"{self._why(off, message.receiver.text)}; "
                f"its route is {' -> '.join(off.route)}",
            )

    @staticmethod
    def _why(off: OffRoute, receiver: str) -> str:
        """Which of (a), (b), (c) the hop breaks, in words."""
        path = off.dialog.path
        expected = off.expected
        if receiver not in path:
            return f"but {receiver} is not on the dialog's path {' -> '.join(path)}"
        if receiver in path[1:-1] and receiver not in off.dialog.route_set:
            return f"but {receiver} did not record-route, so in-dialog requests skip it"
        if expected is None:
            return f"but the route ends at {off.route[-1]}"
        route = off.route
        if (
            expected in off.dialog.route_set
            and receiver in route
            and route.index(receiver) > route.index(expected)
        ):
            return f"skipping {expected}, which is in the route set"
        return f"out of path order (next on the route is {expected})"
