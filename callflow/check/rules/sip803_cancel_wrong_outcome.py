"""SIP803 cancel.wrong-outcome."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_transaction, line_of


@register
class CancelWrongOutcome(Rule):
    """The answers to a CANCEL and to the cancelled INVITE are wrong (RFC 3261 §9.2).

    When the receiver Y of ``CANCEL : X -> Y`` still had the targeted INVITE server
    transaction without a final response: (a) Y's final response to the CANCEL must be
    200; (b) if Y is a UA, its next final response to that INVITE must be 487 (a 2xx or
    any other code fires; a proxy relays whatever its branches give). When the INVITE
    already had its final response, the CANCEL's response must be 200 or 481. Points at
    the wrong response; when no final comes at all, SIP104 reports it and this rule is
    silent.
    """

    code = "SIP803"
    name = "cancel.wrong-outcome"
    severity = Severity.ERROR
    summary = "The answers to a CANCEL and to the cancelled INVITE are wrong."
    source = CITATIONS["SIP803"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        reported: set[int] = set()
        for info in model.infos:
            if info is None or info.message.name != "CANCEL" or info.message.code is not None:
                continue
            target = states.cancel_target(info.index)
            if target is None:
                continue  # SIP801
            cancel_line = info.message.loc.line
            pending = not states.completed_before(target, info.index)
            own = info.link.transaction
            answer = states.first_final(own) if own is not None else None
            if answer is not None and answer not in reported:
                code = model.messages[answer].code
                allowed = (200,) if pending else (200, 481)
                if code not in allowed:
                    reported.add(answer)
                    state = "still pending" if pending else "already completed"
                    yield Finding(
                        model.messages[answer].loc,
                        f"{model.messages[answer].name} answers the CANCEL at line "
                        f"{cancel_line} while {describe_transaction(target)} is {state}; "
                        f"the CANCEL's answer must be {' or '.join(map(str, allowed))}",
                    )
            if not pending or not model.is_ua(target.server):
                continue
            final = states.first_final(target)
            if final is None or final in reported:
                continue
            if model.messages[final].code != 487:
                reported.add(final)
                yield Finding(
                    model.messages[final].loc,
                    f"{model.messages[final].name} answers {describe_transaction(target)} "
                    f"(line {line_of(model, target.request)}) after the CANCEL at line "
                    f"{cancel_line}; a cancelled INVITE ends with 487 Request Terminated",
                )
