"""Subscriptions, REFERs and conference membership (sip-rules.md §1.8, §6, §7).

The SIP5xx and SIP6xx rules share one part of the model, built in one pass over the
scenario's SIP messages by :func:`build_subscriptions`:

* **subscriptions** (§1.8), keyed by (Call-ID, notifier, subscriber, event package, id):
  created at the notifier N when N originates a 2xx to a SUBSCRIBE, or to a REFER (package
  ``refer``, id = the REFER's CSeq number), unless both the REFER and its 2xx carry
  ``Refer-Sub=false`` (RFC 4488); ``active`` until N originates a NOTIFY with
  ``Subscription-State=terminated``. Each NOTIFY records the subscription it belongs to
  and that subscription's state when it was sent (SIP502/SIP503);
* **acceptances**: each 2xx that created or refreshed a subscription, with the number of
  NOTIFYs the subscription had then, so "the NOTIFYs after this 2xx" is a slice
  (SIP504/SIP602);
* **membership changes** of a conference focus (SIP505): a focus's INVITE usage with
  another UA starting (2xx) or ending (BYE); each conference subscription remembers which
  of its focus's changes its NOTIFYs have covered;
* **referrals** (SIP603): a 2xx to a REFER whose Refer-To is a SIP URI, and whether the
  referee then sent the request the URI asks for;
* **factory URIs** (SIP605): the Request-URI of an INVITE that a focus answered with an
  ``isfocus`` Contact naming another URI, and the later requests that still name it.

Only requests and responses that a user agent originates count: proxies relaying them
add nothing, and proxies acting for themselves are out of scope (§11). Headers are read
where the origin wrote them (a proxy passes them on unchanged, fdl.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from callflow.sip.model import Chain, SipModel

SubState = Literal["active", "pending", "terminated"]
SUBSTATES: frozenset[str] = frozenset({"active", "pending", "terminated"})

#: (Call-ID, notifier, subscriber): the dialog a subscription lives in, seen from N
DialogSide = tuple[str, str, str]
#: (Call-ID, notifier, subscriber, event package, id)
SubKey = tuple[str, str, str, str, str | None]


# --------------------------------------------------------------------------- parsing


def _split_params(text: str) -> list[str]:
    """``a;b=c;d`` split on semicolons outside double quotes, trimmed."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _param(params: list[str], name: str) -> str | None:
    """The value of ``name`` (case-insensitive) among ``k=v`` params; "" when bare."""
    for item in params:
        key, _, value = item.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def parse_event(value: str | None) -> tuple[str, str | None] | None:
    """``Event`` as (package, id). The package compares byte by byte (RFC 6665 §8.2.1:
    "Event: foo" never matches "Event: Foo"); None when the header is absent or empty."""
    if value is None:
        return None
    parts = _split_params(value)
    package = parts[0]
    if not package:
        return None
    return package, _param(parts[1:], "id")


def substate(value: str | None) -> str | None:
    """The substate of ``Subscription-State`` (``active;expires=60`` -> ``active``),
    lower-cased; None when the header is not written."""
    if value is None:
        return None
    return _split_params(value)[0].lower()


def media_type(value: str) -> str:
    """``message/sipfrag;version=2.0`` -> ``message/sipfrag`` (lower-cased)."""
    return _split_params(value)[0].lower()


def name_addr_parts(value: str) -> tuple[str, list[str]]:
    """A name-addr or addr-spec header value as (URI, header params).

    ``"Conf" <sip:c@h;transport=tcp>;isfocus`` -> (``sip:c@h;transport=tcp``,
    [``isfocus``]). Without angle brackets every ``;param`` is a header param
    (RFC 3261 §20.10), so the URI ends at the first semicolon.
    """
    start = value.find("<")
    if start >= 0:
        end = value.find(">", start)
        if end < 0:
            return value[start + 1 :].strip(), []
        uri = value[start + 1 : end].strip()
        rest = value[end + 1 :]
        return uri, [p for p in _split_params(rest) if p]
    parts = _split_params(value)
    return parts[0], [p for p in parts[1:] if p]


def has_isfocus(contact: str | None) -> bool:
    """Whether a Contact value carries the ``isfocus`` feature tag as a header param
    (RFC 3840 §9, RFC 4579 §3.1). Several comma-separated Contacts: any of them."""
    if not contact:
        return False
    for one in split_top_level(contact):
        _, params = name_addr_parts(one)
        if _param(params, "isfocus") is not None:
            return True
    return False


def split_top_level(value: str) -> list[str]:
    """Split a header value on commas outside ``<...>`` and double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    depth = 0
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and ch == ",":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def angle_groups(value: str) -> int:
    """How many ``<...>`` groups a header value holds outside double quotes."""
    count = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            count += 1
    return count


def uri_count(value: str) -> int:
    """How many URIs a Refer-To value names (SIP601): 0 when empty, otherwise the larger
    of its ``<...>`` groups and its top-level comma-separated items."""
    if not value.strip():
        return 0
    return max(angle_groups(value), len(split_top_level(value)), 1)


def normal_uri(uri: str) -> str:
    """A URI without parameters and headers, for comparison (RFC 3261 §19.1.4: scheme
    and host compare case-insensitively, the user part case-sensitively)."""
    if "<" in uri:
        uri, _ = name_addr_parts(uri)
    base = uri.split("?", 1)[0].split(";", 1)[0].strip()
    scheme, colon, rest = base.partition(":")
    if not colon:
        return base.lower()
    user, at, host = rest.rpartition("@")
    return f"{scheme.lower()}:{user}{at}{host.lower()}"


def uri_scheme(uri: str) -> str:
    return uri.partition(":")[0].strip().lower() if ":" in uri else ""


def uri_param(uri: str, name: str) -> str | None:
    """A URI parameter (``;method=BYE``), not looking into ``?headers``."""
    params = uri.split("?", 1)[0].split(";")[1:]
    return _param(params, name)


def is_2xx(code: int) -> bool:
    return 200 <= code <= 299


def is_false(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "false"


def cseq_number(value: str | None) -> str | None:
    """``CSeq="5 REFER"`` -> ``5`` (the id of the implicit refer subscription)."""
    if value is None:
        return None
    number = value.strip().split(maxsplit=1)
    return number[0] if number and number[0].isdigit() else None


# --------------------------------------------------------------------------- state


@dataclass(eq=False, slots=True)
class Notify:
    """A NOTIFY originated by a UA, and the subscription it belongs to."""

    index: int  # its first hop (where the notifier sends it)
    chain: Chain
    notifier: str
    subscriber: str
    event: str
    id: str | None
    state: str | None  # substate written, lower-case (None: not written)
    content_type: str | None
    subscription: Subscription | None
    #: the subscription's state when this NOTIFY was sent
    state_before: str | None
    #: when it was already terminated: the NOTIFY that terminated it (first hop)
    ended_by: int | None = None


@dataclass(eq=False, slots=True)
class Subscription:
    """One subscription at its notifier (§1.8)."""

    call: str
    notifier: str
    subscriber: str
    event: str
    id: str | None
    created: int  # index of the 2xx that (re)created it
    state: str = "active"
    notifies: list[Notify] = field(default_factory=list)
    #: SIP505: this subscription's focus changes are numbered 0..n-1 at the notifier;
    #: ``conference_start`` is the first one made while it was active, and
    #: ``conference_covered`` the count its latest NOTIFY covered
    conference_start: int = 0
    conference_covered: int = 0
    terminated_by: int | None = None  # the NOTIFY that terminated it (first hop)

    @property
    def key(self) -> SubKey:
        return (self.call, self.notifier, self.subscriber, self.event, self.id)

    def describe(self) -> str:
        ident = f";id={self.id}" if self.id is not None else ""
        return f"{self.subscriber}'s {self.event}{ident} subscription (Call-ID {self.call})"


@dataclass(eq=False, slots=True)
class Acceptance:
    """A 2xx a notifier originated to a SUBSCRIBE or REFER from a UA."""

    index: int  # the 2xx's first hop
    request: int  # the SUBSCRIBE/REFER's first hop
    method: str
    call: str
    notifier: str
    subscriber: str
    #: None: no subscription (REFER with Refer-Sub=false on both sides, or no Event)
    subscription: Subscription | None
    notifies_before: int  # len(subscription.notifies) when the 2xx was sent
    expires_zero: bool = False  # a SUBSCRIBE with Expires=0 (unsubscribe or fetch)

    def notifies_after(self) -> list[Notify]:
        if self.subscription is None:
            return []
        return self.subscription.notifies[self.notifies_before :]


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A focus's INVITE usage with ``other`` starting (``joined``) or ending (``left``)."""

    index: int  # the 2xx or BYE statement the focus sent or received
    focus: str
    other: str
    call: str
    kind: Literal["joined", "left"]


@dataclass(eq=False, slots=True)
class Referral:
    """A REFER that the referee R accepted with 2xx, asking R to send ``method`` to
    ``uri`` (SIP603)."""

    index: int  # the 2xx's first hop
    request: int  # the REFER's first hop
    referee: str
    referrer: str
    call: str
    method: str
    uri: str  # normalised (no params, no headers)
    refer_to: str  # as written
    #: position in the referee's log of (method) requests with a differing Request-URI
    log_start: int
    triggered: int | None = None  # first hop of the request that acted on it
    mismatch: int | None = None  # first hop of the first request naming another URI


@dataclass(frozen=True, slots=True)
class FactoryUse:
    """A request sent after the conference was created that names the factory URI."""

    index: int
    method: str
    header: str  # "Request-URI" or "Refer-To"
    factory: str
    conferences: tuple[str, ...]


@dataclass(slots=True)
class SubscriptionState:
    """The SIP5xx/SIP6xx part of a scenario's model."""

    subscriptions: dict[SubKey, Subscription] = field(default_factory=dict)
    notifies: list[Notify] = field(default_factory=list)
    acceptances: list[Acceptance] = field(default_factory=list)
    #: per focus, its membership changes in order
    changes: dict[str, list[MembershipChange]] = field(default_factory=dict)
    referrals: list[Referral] = field(default_factory=list)
    factory_uses: list[FactoryUse] = field(default_factory=list)
    #: UAs that originated a message with an ``isfocus`` Contact
    isfocus_senders: set[str] = field(default_factory=set)

    def unnotified_changes(self) -> list[tuple[MembershipChange, Subscription]]:
        """SIP505: (change, conference subscription) pairs that no later NOTIFY covered,
        for subscriptions still active or pending at scenario end (a terminating NOTIFY
        covers every change before it)."""
        found: list[tuple[MembershipChange, Subscription]] = []
        for sub in self.subscriptions.values():
            if sub.event != "conference" or sub.state == "terminated":
                continue
            changes = self.changes.get(sub.notifier, [])
            start = max(sub.conference_start, sub.conference_covered)
            found.extend((change, sub) for change in changes[start:])
        return found


# --------------------------------------------------------------------------- the pass


class _Builder:
    def __init__(self, model: SipModel) -> None:
        self.model = model
        self.state = SubscriptionState()
        #: (Call-ID, notifier, subscriber) -> refer subscriptions, oldest first
        self.refer_subs: dict[DialogSide, list[Subscription]] = {}
        #: (focus, other, Call-ID) -> the INVITE usage is established (SIP505)
        self.joined: dict[tuple[str, str, str], str | None] = {}
        #: (referee, method) -> {uri: referrals not yet acted on}
        self.pending_referrals: dict[tuple[str, str], dict[str, list[Referral]]] = {}
        #: (referee, method) -> (index, uri) of the requests with a written Request-URI
        #: that the referee sent while referrals were pending, in order
        self.mismatch_log: dict[tuple[str, str], list[tuple[int, str]]] = {}
        #: factory URI -> conference URIs it created
        self.factories: dict[str, list[str]] = {}
        #: conference URI -> established INVITE usages at its focus
        self.members: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers
    def header(self, index: int, name: str) -> str | None:
        return self.model.resolved[index].header(name)

    def is_focus(self, name: str) -> bool:
        return self.model.role(name) == "focus" or name in self.state.isfocus_senders

    def add_change(self, change: MembershipChange) -> None:
        self.state.changes.setdefault(change.focus, []).append(change)

    def changes_of(self, focus: str) -> int:
        return len(self.state.changes.get(focus, ()))

    # ------------------------------------------------------------------ the pass
    def run(self) -> SubscriptionState:
        model = self.model
        for info in model.infos:
            if info is None:
                continue
            index = info.index
            if info.chain is not None:
                chain = info.chain
                if not model.is_ua(chain.origin):
                    continue  # proxy-originated: only SIP1xx applies (§11)
                between_uas = model.is_ua(chain.destination)
                if index == chain.first:
                    self.request_sent(index, chain, between_uas)
                if between_uas and chain.method == "BYE" and index == chain.hops[-1]:
                    self.bye_received(index, chain)
            elif info.response_chain is not None:
                rchain = info.response_chain
                request = rchain.request_chain
                if request is None or not (
                    model.is_ua(request.origin) and model.is_ua(request.destination)
                ):
                    continue
                receiver = info.message.receivers[0].text
                if index == rchain.first and rchain.origin == request.destination:
                    self.response_sent(index, rchain.code, request)
                if (
                    receiver == request.origin
                    and request.method == "INVITE"
                    and is_2xx(rchain.code)
                    and rchain.origin == request.destination
                ):
                    self.invite_2xx_received(index, request)
        self.finish()
        return self.state

    # ------------------------------------------------------------------ requests
    def request_sent(self, index: int, chain: Chain, between_uas: bool) -> None:
        """A UA originates a request (a NOTIFY or BYE counts only between two UAs; the
        triggered request and the factory URI checks also see requests a proxy absorbs)."""
        if has_isfocus(self.header(index, "Contact")):
            self.state.isfocus_senders.add(chain.origin)
        method = chain.method
        if between_uas and method == "NOTIFY":
            self.notify_sent(index, chain)
        elif between_uas and method == "BYE" and self.is_focus(chain.origin):
            self.usage_ends(index, chain.origin, chain.destination, chain.call)
        self.check_triggered(index, chain)
        self.check_factory_use(index, chain)

    def notify_sent(self, index: int, chain: Chain) -> None:
        event = parse_event(self.header(index, "Event"))
        if event is None:
            return  # SIP501 reports it; nothing to key the NOTIFY by
        package, ident = event
        notifier, subscriber = chain.origin, chain.destination
        sub = self.lookup(chain.call, notifier, subscriber, package, ident)
        content_type = self.header(index, "Content-Type")
        state = substate(self.header(index, "Subscription-State"))
        notify = Notify(
            index, chain, notifier, subscriber, package, ident, state,
            content_type, sub, sub.state if sub is not None else None,
            sub.terminated_by if sub is not None else None,
        )  # fmt: skip
        self.state.notifies.append(notify)
        if sub is None:
            return
        sub.notifies.append(notify)
        sub.conference_covered = self.changes_of(notifier)
        if sub.state != "terminated" and state in SUBSTATES:
            sub.state = state
            if state == "terminated":
                sub.terminated_by = index

    def lookup(
        self, call: str, notifier: str, subscriber: str, package: str, ident: str | None
    ) -> Subscription | None:
        sub = self.state.subscriptions.get((call, notifier, subscriber, package, ident))
        if sub is not None or package != "refer":
            return sub
        subs = self.refer_subs.get((call, notifier, subscriber))
        if not subs:
            return None
        if ident is None:
            # RFC 3515 §2.4.6: NOTIFYs for the first REFER of a dialog may omit the id
            return subs[0]
        # the REFER wrote no CSeq: its id is unknown, so any id may belong to it
        return self.state.subscriptions.get((call, notifier, subscriber, package, None))

    def bye_received(self, index: int, chain: Chain) -> None:
        if self.is_focus(chain.destination):
            self.usage_ends(index, chain.destination, chain.origin, chain.call)

    def usage_ends(self, index: int, focus: str, other: str, call: str) -> None:
        key = (focus, other, call)
        if key not in self.joined:
            return  # no established INVITE usage (or already ended: SIP804's business)
        conference = self.joined.pop(key)
        if conference is not None:
            self.members[conference] = self.members.get(conference, 0) - 1
        self.add_change(MembershipChange(index, focus, other, call, "left"))

    # ------------------------------------------------------------------ responses
    def response_sent(self, index: int, code: int, request: Chain) -> None:
        responder = request.destination
        contact = self.header(index, "Contact")
        if has_isfocus(contact):
            self.state.isfocus_senders.add(responder)
        if not is_2xx(code):
            return
        if request.method == "SUBSCRIBE":
            self.subscribe_accepted(index, request)
        elif request.method == "REFER":
            self.refer_accepted(index, request)
        elif request.method == "INVITE" and self.is_focus(responder):
            conference = None
            if contact is not None and has_isfocus(contact):
                conference = normal_uri(contact)
                self.factory_created(request, conference)
            self.usage_starts(index, responder, request.origin, request.call, conference)

    def invite_2xx_received(self, index: int, request: Chain) -> None:
        """A focus's own INVITE (dial-out: the focus invites a participant, RFC 4579)
        answered with 2xx: the callee joins when the 2xx reaches the focus."""
        if self.is_focus(request.origin):
            conference = None
            contact = self.header(request.first, "Contact")
            if contact is not None and has_isfocus(contact):
                conference = normal_uri(contact)
            self.usage_starts(index, request.origin, request.destination, request.call, conference)

    def usage_starts(
        self, index: int, focus: str, other: str, call: str, conference: str | None
    ) -> None:
        key = (focus, other, call)
        if key in self.joined:
            return  # a re-INVITE (or a second 2xx): no new member
        self.joined[key] = conference
        if conference is not None:
            self.members[conference] = self.members.get(conference, 0) + 1
        self.add_change(MembershipChange(index, focus, other, call, "joined"))

    def factory_created(self, invite: Chain, conference: str) -> None:
        written = self.header(invite.first, "Request-URI")
        if written is None:
            return
        factory = normal_uri(written)
        if factory != conference:
            conferences = self.factories.setdefault(factory, [])
            if conference not in conferences:
                conferences.append(conference)

    def subscribe_accepted(self, index: int, request: Chain) -> None:
        notifier, subscriber = request.destination, request.origin
        expires = self.header(request.first, "Expires")
        event = parse_event(self.header(request.first, "Event"))
        sub = None
        if event is not None:
            sub = self.activate(index, request.call, notifier, subscriber, *event)
        self.state.acceptances.append(
            Acceptance(
                index, request.first, "SUBSCRIBE", request.call, notifier, subscriber, sub,
                len(sub.notifies) if sub is not None else 0,
                expires is not None and expires.strip() == "0",
            )
        )  # fmt: skip

    def refer_accepted(self, index: int, request: Chain) -> None:
        referee, referrer = request.destination, request.origin
        sub = None
        if not (
            is_false(self.header(request.first, "Refer-Sub"))
            and is_false(self.header(index, "Refer-Sub"))
        ):
            ident = cseq_number(self.header(request.first, "CSeq"))
            sub = self.activate(index, request.call, referee, referrer, "refer", ident)
        self.state.acceptances.append(
            Acceptance(
                index, request.first, "REFER", request.call, referee, referrer, sub,
                len(sub.notifies) if sub is not None else 0,
            )
        )  # fmt: skip
        self.referral(index, request)

    def activate(
        self, index: int, call: str, notifier: str, subscriber: str, package: str,
        ident: str | None,
    ) -> Subscription:  # fmt: skip
        key = (call, notifier, subscriber, package, ident)
        sub = self.state.subscriptions.get(key)
        if sub is None:
            sub = Subscription(call, notifier, subscriber, package, ident, index)
            self.state.subscriptions[key] = sub
            if package == "refer":
                self.refer_subs.setdefault((call, notifier, subscriber), []).append(sub)
        elif sub.state != "terminated":
            return sub  # a refresh of a live subscription
        sub.created = index
        sub.state = "active"
        sub.terminated_by = None
        sub.conference_start = sub.conference_covered = self.changes_of(notifier)
        return sub

    # ------------------------------------------------------------------ REFER (SIP603)
    def referral(self, index: int, request: Chain) -> None:
        refer_to = self.header(request.first, "Refer-To")
        if refer_to is None or uri_count(refer_to) != 1:
            return  # SIP601's business
        uri, _ = name_addr_parts(refer_to)
        if uri_scheme(uri) not in ("sip", "sips"):
            return  # RFC 3515 §2.4.3: only SIP URIs ask for a SIP request
        method = uri_param(uri, "method") or "INVITE"
        key = (request.destination, method)
        referral = Referral(
            index, request.first, request.destination, request.origin, request.call,
            method, normal_uri(uri), refer_to, len(self.mismatch_log.get(key, ())),
        )  # fmt: skip
        self.state.referrals.append(referral)
        self.pending_referrals.setdefault(key, {}).setdefault(referral.uri, []).append(referral)

    def check_triggered(self, index: int, chain: Chain) -> None:
        key = (chain.origin, chain.method)
        pending = self.pending_referrals.get(key)
        if not pending:
            return
        written = self.header(index, "Request-URI")
        if written is None:
            # no Request-URI written: cannot compare, so it acts on every pending referral
            for referrals in pending.values():
                for referral in referrals:
                    referral.triggered = index
            pending.clear()
            return
        uri = normal_uri(written)
        for referral in pending.pop(uri, ()):
            referral.triggered = index
        self.mismatch_log.setdefault(key, []).append((index, uri))

    # ------------------------------------------------------------------ SIP605
    def check_factory_use(self, index: int, chain: Chain) -> None:
        if not self.factories:
            return
        method = chain.method
        if method == "SUBSCRIBE":
            event = parse_event(self.header(index, "Event"))
            if event is None or event[0] != "conference":
                return
            self.factory_named(index, method, "Request-URI", self.header(index, "Request-URI"))
        elif method == "REFER":
            refer_to = self.header(index, "Refer-To")
            if refer_to is None or uri_count(refer_to) != 1:
                return
            uri, _ = name_addr_parts(refer_to)
            if (uri_param(uri, "method") or "INVITE") == "INVITE":
                self.factory_named(index, method, "Refer-To", uri)
        elif method == "INVITE":
            written = self.header(index, "Request-URI")
            if written is None:
                return
            conferences = self.factories.get(normal_uri(written), ())
            # once every member left, the conference is gone: a new INVITE to the
            # factory URI legitimately creates a new one (RFC 4579 §3.2)
            if any(self.members.get(c, 0) > 0 for c in conferences):
                self.factory_named(index, method, "Request-URI", written)

    def factory_named(self, index: int, method: str, header: str, value: str | None) -> None:
        if value is None:
            return
        factory = normal_uri(value)
        conferences = self.factories.get(factory)
        if conferences:
            self.state.factory_uses.append(
                FactoryUse(index, method, header, factory, tuple(conferences))
            )

    # ------------------------------------------------------------------ end
    def finish(self) -> None:
        for referral in self.state.referrals:
            if referral.triggered is None:
                log = self.mismatch_log.get((referral.referee, referral.method), [])
                if referral.log_start < len(log):
                    # every logged request after the 2xx named another URI than this one
                    # (one naming it would have acted on the referral)
                    referral.mismatch = log[referral.log_start][0]


def build_subscriptions(model: SipModel) -> SubscriptionState:
    """The scenario's subscriptions, REFERs and conference changes, in one pass."""
    return _Builder(model).run()


def chain_label(chain: Chain) -> str:
    """``NOTIFY F->A (Call-ID sub_a)``: a request chain named by its endpoints."""
    return f"{chain.method} {chain.origin}->{chain.destination} (Call-ID {chain.call})"
