"""SIP201 invite.ack-missing."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, line_of


@register
class AckMissing(Rule):
    """A 2xx to INVITE reached the caller and the caller never sent the end-to-end ACK,
    or the ACK never reached the callee (RFC 3261 §13.2.2.4, §13.3.1.4, §17.1.1.3).

    For every 2xx to an INVITE chain that reaches the chain's origin U (a UA), U must
    send an ACK with the same Call-ID after that 2xx and before its next INVITE to the
    same peer, and the ACK chain must end at whoever made the 2xx. Each 2xx needs its
    own ACK: one per INVITE transaction (initial or re-INVITE) and one per 2xx of a
    forking proxy. Fires at scenario end when no such ACK leaves U, when U's next INVITE
    comes first, or when U's ACK chain ends at a proxy. Points at the 2xx that reached U.
    """

    code = "SIP201"
    name = "invite.ack-missing"
    severity = Severity.ERROR
    summary = "A 2xx to INVITE is never acknowledged end to end by the caller."
    source = CITATIONS["SIP201"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        for got in model.part(build_dialog_states).received_2xx:
            if got.ack is not None:
                continue
            message = model.messages[got.response]
            what = (
                f"{message.name} from {got.responder} to INVITE {got.uac}->"
                f"{got.invite.destination} (Call-ID {got.call}) reached {got.uac}"
            )
            if got.superseded_by is not None:
                why = (
                    f"{got.uac} sends its next INVITE (line "
                    f"{line_of(model, got.superseded_by)}) without ACKing it"
                )
            elif got.absorbed_ack is not None:
                ack = model.info(got.absorbed_ack)
                end = ack.chain.destination if ack is not None and ack.chain else "a proxy"
                why = (
                    f"the ACK (line {line_of(model, got.absorbed_ack)}) ends at {end} "
                    f"and never reaches {got.responder}"
                )
            else:
                why = f"no ACK from {got.uac} reaches {got.responder}"
            yield Finding(message.loc, f"{what}, but {why}")
