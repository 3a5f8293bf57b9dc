"""SIP203 invite.ack-misplaced."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states, describe_transaction, line_of


@register
class AckMisplaced(Rule):
    """An ACK is sent where no ACK can exist, or a proxy invents an ACK for a 2xx
    (RFC 3261 §13.2.2.4, §16.7, §17.1.1.3).

    On ``ACK : X -> Y``, with T the newest INVITE transaction on hop X->Y and that
    Call-ID: (b) T exists and has no final response yet (ACK before the final); when T
    completed with 300-699 the ACK is that failure's hop-by-hop ACK and is fine.
    Otherwise the ACK is the end-to-end ACK of a 2xx, which travels the route set
    (proxies that do not record-route are skipped, so T may not exist on that hop):
    (a) when X is a UA, X must have received a 2xx to an INVITE it sent with that
    Call-ID (the dialog's INVITE chain exists and its UAC got the 2xx); when X is a
    proxy that forwards no ACK it received, (a) there is no T at all, or (c) T completed
    with 2xx and X makes the ACK itself - a proxy only forwards the UAC's ACK.
    Points at the ACK.
    """

    code = "SIP203"
    name = "invite.ack-misplaced"
    severity = Severity.ERROR
    summary = "An ACK is sent where no ACK can exist, or a proxy invents an ACK for a 2xx."
    source = CITATIONS["SIP203"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for info in model.infos:
            if info is None or info.message.name != "ACK" or info.message.code is not None:
                continue
            ack = states.ack(info.index)
            if ack is None or ack.kind == "non-2xx":
                continue
            message = info.message
            sender, receiver = message.sender.text, message.receiver.text
            hop = f"ACK {sender}->{receiver} (Call-ID {info.link.call})"
            if ack.kind == "premature":
                assert ack.invite is not None
                yield Finding(
                    message.loc,
                    f"{hop} is sent before any final response to "
                    f"{describe_transaction(ack.invite)} (line "
                    f"{line_of(model, ack.invite.request)})",
                )
            elif model.is_proxy(sender):
                if info.link.forwards is not None:
                    continue
                if ack.invite is None:
                    yield Finding(message.loc, f"{hop}: there is no INVITE on that hop to ACK")
                else:
                    final = states.first_final(ack.invite)
                    assert final is not None
                    yield Finding(
                        message.loc,
                        f"{hop}: proxy {sender} ACKs the {model.messages[final].name} "
                        f"(line {line_of(model, final)}) itself; the ACK of a 2xx comes "
                        f"from the caller and proxies only forward it",
                    )
            elif (
                model.is_ua(sender)
                and ack.invite is None
                and info.chain is not None
                and info.chain.first == info.index
                and not ack.origin_has_2xx
            ):
                yield Finding(
                    message.loc,
                    f"{hop}: there is no INVITE on that hop, and {sender} has received "
                    f"no 2xx to an INVITE with that Call-ID to acknowledge",
                )
