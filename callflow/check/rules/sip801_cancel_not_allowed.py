"""SIP801 cancel.not-allowed."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_transaction, line_of


@register
class CancelNotAllowed(Rule):
    """A CANCEL is sent when there is nothing it may cancel (RFC 3261 §9.1).

    ``CANCEL : X -> Y`` targets the newest INVITE transaction on hop X->Y with its
    Call-ID. Fires when that transaction (a) does not exist (a CANCEL of a non-INVITE
    request is this case too), (b) is already completed, or (c) has not yet received any
    provisional response on that hop. A CANCEL and a final response that cross are a
    race; in a sequential FDL the order written is the order checked. Points at the
    CANCEL.
    """

    code = "SIP801"
    name = "cancel.not-allowed"
    severity = Severity.ERROR
    summary = "A CANCEL is sent when there is nothing it may cancel."
    source = CITATIONS["SIP801"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for info in model.infos:
            if info is None or info.message.name != "CANCEL" or info.message.code is not None:
                continue
            message = info.message
            hop = f"CANCEL {message.sender.text}->{message.receiver.text}"
            target = states.cancel_target(info.index)
            if target is None:
                yield Finding(
                    message.loc,
                    f"{hop}: there is no INVITE transaction on that hop with Call-ID "
                    f"{info.link.call} to cancel (only an INVITE can be cancelled)",
                )
                continue
            what = f"{describe_transaction(target)} (line {line_of(model, target.request)})"
            final = states.first_final(target)
            provisional = states.first_provisional(target)
            if final is not None and final < info.index:
                yield Finding(
                    message.loc,
                    f"{hop}: {what} already has its final response "
                    f"{model.messages[final].name} (line {line_of(model, final)})",
                )
            elif provisional is None or provisional > info.index:
                yield Finding(
                    message.loc,
                    f"{hop}: {what} has received no provisional response yet; "
                    f"a CANCEL must wait for one",
                )
