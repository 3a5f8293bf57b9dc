"""FLOW007 flow.message-misclassified."""

from __future__ import annotations

from collections.abc import Iterator

from callflow import ir
from callflow.check.citations import CITATIONS
from callflow.check.registry import CheckContext, Finding, Rule, register
from callflow.diagnostics import Severity
from callflow.sip.registry import REASON_PHRASES, SIP_METHODS, reason_phrase_matches


def damerau_levenshtein_is_one(a: str, b: str) -> bool:
    """Whether ``a`` is exactly one edit from ``b``: an insertion, deletion,
    substitution, or transposition of two neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def near_method(name: str) -> str | None:
    """The SIP method an all-caps name was probably meant to be, if any."""
    for method in sorted(SIP_METHODS):
        if damerau_levenshtein_is_one(name, method):
            return method
    for method in sorted(SIP_METHODS, key=len, reverse=True):
        if name.endswith(method) and name != method:
            return method
    return None


@register
class MessageMisclassified(Rule):
    """A message is probably mis-typed, so SIP rules may be checking the wrong thing.

    Fires when (a) a name in capitals is not a SIP method, has no ``protocol=`` param, and
    is one edit (Damerau-Levenshtein distance 1) from a method (``INVIET``, ``NOTFY``),
    or is an all-caps word ending in a method (``REINVITE``); H.248 names such as ``Add``
    never fire; (b) a status line's code is outside 100-699, or its reason phrase differs
    from the RFC 3261 §21 / IANA phrase of a known code (``200 Ringing``); (c) a SIP
    message goes to or from an entity with role ``mg`` (error) or ``mgc`` (warning);
    (d) an entity that sends or receives SIP has no role (once, at its declaration).
    """

    code = "FLOW007"
    name = "flow.message-misclassified"
    severity = Severity.WARNING
    summary = "A message is probably mis-typed, so SIP rules may be checking the wrong thing."
    source = CITATIONS["FLOW007"]

    def check_scenario(self, scenario: ir.Scenario, ctx: CheckContext) -> Iterator[Finding]:
        roleless_reported: set[str] = set()
        for message in scenario.messages():
            yield from self._name_findings(message)
            if not message.is_sip:
                continue
            for party in message.entity_names():
                entity = ctx.entities.get(party.text)
                if entity is None:
                    continue  # FLOW001's business
                role = entity.role
                if role in ("mg", "mgc"):
                    direction = "from" if party is message.sender else "to"
                    yield Finding(
                        message.loc,
                        f"SIP message {message.name} {direction} {party.text}, "
                        f"which has role {role} (H.248 only)",
                        Severity.ERROR if role == "mg" else Severity.WARNING,
                    )
                elif role is None and party.text not in roleless_reported:
                    roleless_reported.add(party.text)
                    yield Finding(
                        entity.loc,
                        f"{party.text} sends or receives SIP but has no role; "
                        "it is treated as a user agent (add [role=ue] or another role)",
                    )

    @staticmethod
    def _name_findings(message: ir.Message) -> Iterator[Finding]:
        if message.code is not None:
            if not 100 <= message.code <= 699:
                yield Finding(
                    message.loc,
                    f"status code {message.code} is outside 100-699, so it is not SIP",
                )
            elif message.param("protocol") is None and not reason_phrase_matches(
                message.code, message.reason or ""
            ):
                yield Finding(
                    message.loc,
                    f"'{message.name}': the reason phrase of {message.code} is "
                    f"'{REASON_PHRASES[message.code]}'",
                )
            return
        name = message.name
        if message.param("protocol") is not None or name in SIP_METHODS:
            return
        if name.isupper():
            meant = near_method(name)
            if meant is not None:
                yield Finding(
                    message.loc,
                    f"'{name}' is not a SIP method; did you mean {meant}? "
                    "(add protocol=... if it is not SIP)",
                )
