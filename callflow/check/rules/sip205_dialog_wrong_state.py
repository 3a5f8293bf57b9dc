"""SIP205 dialog.wrong-state."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.dialogs import DialogState, build_dialog_states, describe_chain, line_of

#: methods a UA may send in an early or confirmed dialog (RFC 3262 §4, RFC 3311 §5.1,
#: RFC 6086 §4.2); BYE from the caller too (RFC 3261 §15)
_EARLY_OR_CONFIRMED = frozenset({"PRACK", "UPDATE", "INFO"})
_STATE_WORDS: dict[DialogState, str] = {
    "none": "there is no dialog",
    "early": "the dialog is only early",
    "confirmed": "the dialog is confirmed",
    "terminated": "the dialog is terminated",
}


@register
class DialogWrongState(Rule):
    """An in-dialog request is sent when the sender's dialog is not in a state that
    allows it (RFC 3261 §12.2, §15; RFC 3262 §4; RFC 3311 §5.1; RFC 6086 §4.2).

    When a UA originates one of these requests, its own view of the invite dialog with
    the chain's destination (sip-rules.md §1.6) must be: ``confirmed`` for the ACK of a
    2xx (not the hop-by-hop ACK of a non-2xx) and for an INVITE in a dialog the pair
    already has (a re-INVITE; in state ``none`` an INVITE is a new call); ``early`` or
    ``confirmed`` for PRACK, UPDATE, INFO and a BYE from the caller; ``confirmed``, with
    the ACK of every 2xx it sent already received, for a BYE from the callee. With no
    dialog at all (``none``) the request fires too; ``terminated`` is SIP804's. A request
    absorbed at a proxy is judged in the origin's one invite dialog with that Call-ID.
    Points at the request.
    """

    code = "SIP205"
    name = "dialog.wrong-state"
    severity = Severity.ERROR
    summary = "An in-dialog request is sent when the sender's dialog state does not allow it."
    source = CITATIONS["SIP205"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        model = ctx.sip(scenario)
        states = model.part(build_dialog_states)
        for chain in model.chains:
            method = chain.method
            if method not in ("ACK", "INVITE", "BYE") and method not in _EARLY_OR_CONFIRMED:
                continue
            index = chain.first
            if not model.is_ua(chain.origin):
                continue  # proxy-originated: only SIP1xx apply (sip-rules.md §11)
            key = states.dialog_of(index)
            if key is None:
                continue
            state = states.state_before(index) or "none"
            if state == "terminated":
                continue  # SIP804
            problem: str | None = None
            if method == "ACK":
                ack = states.ack(index)
                if ack is not None and ack.kind == "2xx" and state != "confirmed":
                    problem = "the ACK of a 2xx needs a confirmed dialog"
            elif method == "INVITE":
                if state == "early":
                    problem = "a re-INVITE needs a confirmed dialog"
            elif method == "BYE":
                dialog = states.dialogs.get(key)
                if dialog is not None and dialog.uas == chain.origin:
                    unacked = states.unacked_2xx_at(index)
                    if state != "confirmed":
                        problem = "the callee may send BYE only on a confirmed dialog"
                    elif unacked is not None:
                        yield Finding(
                            model.messages[index].loc,
                            f"{describe_chain(chain)}: the callee {chain.origin} sends "
                            f"BYE before it receives the ACK for its "
                            f"{model.messages[unacked].name} (line {line_of(model, unacked)})",
                        )
                        continue
                elif state == "none":
                    problem = "BYE needs an early or confirmed dialog"
            elif state == "none":
                problem = f"{method} needs an early or confirmed dialog"
            if problem is not None:
                yield Finding(
                    model.messages[index].loc,
                    f"{describe_chain(chain)}: {_STATE_WORDS[state]} in "
                    f"{chain.origin}'s view; {problem}",
                )
