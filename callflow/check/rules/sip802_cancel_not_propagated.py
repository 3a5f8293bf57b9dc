"""SIP802 cancel.not-propagated."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import build_dialog_states


@register
class CancelNotPropagated(Rule):
    """A proxy answers a CANCEL but does not cancel its own pending branches
    (RFC 3261 §16.10, §9.2).

    Proxy P receives ``CANCEL : U -> P`` targeting the INVITE transaction T on hop U->P.
    Every branch ``INVITE : P -> D`` that P forwarded from T before the CANCEL and that
    has no final response at that moment needs a ``CANCEL : P -> D`` by scenario end,
    unless the branch gets a final response anyway. P must also answer the CANCEL itself
    on hop U->P (a CANCEL is hop by hop; it is never relayed). Evaluated at scenario end;
    points at the CANCEL that P received.
    """

    code = "SIP802"
    name = "cancel.not-propagated"
    severity = Severity.ERROR
    summary = "A proxy answers a CANCEL but does not cancel its own pending branches."
    source = CITATIONS["SIP802"]
    at_scenario_end = True

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for info in model.infos:
            message = info.message if info is not None else None
            if info is None or message is None or message.name != "CANCEL":
                continue
            if message.code is not None or message.lost:
                continue
            proxy, upstream = message.receiver.text, message.sender.text
            if not model.is_proxy(proxy):
                continue
            problems: list[str] = []
            target = states.cancel_target(info.index)
            if target is not None:
                for branch in states.branches(target):
                    if branch.request > info.index:
                        continue
                    final = states.first_final(branch)
                    if final is not None and final < info.index:
                        continue  # that branch had already ended
                    if final is None and not any(c > info.index for c in states.cancels_of(branch)):
                        problems.append(
                            f"its branch INVITE {proxy}->{branch.server} (line "
                            f"{model.messages[branch.request].loc.line}) is never cancelled"
                        )
            own = info.link.transaction
            if own is not None and states.first_final(own) is None:
                problems.append(f"{proxy} never answers the CANCEL itself")
            if problems:
                yield Finding(
                    message.loc,
                    f"CANCEL {upstream}->{proxy} (Call-ID {info.link.call}): "
                    + "; ".join(problems),
                )
