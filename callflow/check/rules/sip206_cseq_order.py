"""SIP206 dialog.cseq-order."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import DialogKey, build_dialog_states, line_of


def parse_cseq(value: str | None) -> tuple[int, str | None] | None:
    """``"2 BYE"`` -> (2, "BYE"); ``"2"`` -> (2, None); unreadable -> None."""
    if value is None:
        return None
    parts = value.split()
    if not parts or not parts[0].isdigit() or len(parts) > 2:
        return None
    return int(parts[0]), (parts[1] if len(parts) == 2 else None)


@register
class CseqOrder(Rule):
    """Written CSeq values break the ordering rules (RFC 3261 §8.1.1.5, §12.2.1.1, §9.1,
    §17.1.1.3, §13.2.2.4, §16.6).

    Only requests that write a ``CSeq`` param (``CSeq="2 BYE"`` or ``CSeq=2``). Fires when
    (a) a UA originates a request in a dialog (the model's dialog of its chain, or its
    invite dialog) whose number is not greater than that of its previous request with a
    known number in that dialog (ACK and CANCEL excepted); (b) an ACK or CANCEL carries a
    number different from its INVITE's (ACK: the INVITE on the same hop; CANCEL: the
    INVITE it targets); (c) the method part differs from the request method; (d) a proxy
    forwards a request with a different CSeq than it received. Values the flow does not
    write (on the statement or by inheritance) are not compared. Points at the request.
    """

    code = "SIP206"
    name = "dialog.cseq-order"
    severity = Severity.ERROR
    summary = "Written CSeq values break the ordering rules."
    source = CITATIONS["SIP206"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        last: dict[tuple[DialogKey, str], tuple[int, int]] = {}  # (dialog, UA) -> (n, index)
        for info in model.infos:
            if info is None or info.message.code is not None or info.chain is None:
                continue
            message = info.message
            cseq = parse_cseq(message.header("CSeq"))
            if cseq is None:
                continue
            number, method = cseq
            name = message.name
            problems: list[str] = []
            if method is not None and method != name:
                problems.append(f"its method part {method} is not {name}")  # (c)
            chain = info.chain
            if info.link.forwards is not None:  # (d)
                received = parse_cseq(model.resolved[info.link.forwards].header("CSeq"))
                if received is not None and (
                    received[0] != number
                    or (method is not None and received[1] not in (None, method))
                ):
                    problems.append(
                        f"{message.sender.text} received it with CSeq "
                        f"{received[0]}{' ' + received[1] if received[1] else ''} "
                        f"(line {line_of(model, info.link.forwards)}) and must forward "
                        f"it unchanged"
                    )
            if name in ("ACK", "CANCEL"):  # (b)
                invite = (
                    info.link.transaction if name == "ACK" else states.cancel_target(info.index)
                )
                if invite is not None:
                    wanted = parse_cseq(model.resolved[invite.request].header("CSeq"))
                    if wanted is not None and wanted[0] != number:
                        problems.append(
                            f"its number {number} differs from the INVITE's {wanted[0]} "
                            f"(line {line_of(model, invite.request)})"
                        )
            elif info.index == chain.first and model.is_ua(chain.origin):  # (a)
                key: DialogKey | None = None
                if chain.dialog is not None:
                    key = chain.dialog.key
                else:
                    invite_key = states.dialog_of(info.index)
                    if invite_key is not None and invite_key in states.dialogs:
                        key = invite_key
                if key is not None:
                    previous = last.get((key, chain.origin))
                    if previous is not None and number <= previous[0]:
                        problems.append(
                            f"its number {number} is not greater than {previous[0]} of "
                            f"{chain.origin}'s previous request in the dialog "
                            f"(line {line_of(model, previous[1])})"
                        )
                    last[(key, chain.origin)] = (number, info.index)
            if problems:
                yield Finding(
                    message.loc,
                    f"{name} {message.sender.text}->{message.receiver.text} "
                    f"(Call-ID {info.link.call}) CSeq {number}: " + "; ".join(problems),
                )
