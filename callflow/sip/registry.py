"""What SIP is made of: methods, status codes and their reason phrases, header names.

One table each, shared by the IR's classification, the checker and the executor.
"""

from __future__ import annotations

import re

from callflow.ir import SIP_METHODS

__all__ = [
    "DIALOG_CREATING_METHODS",
    "REASON_PHRASES",
    "SIP_METHODS",
    "is_final",
    "is_provisional",
    "reason_phrase_matches",
]

#: requests that may create a dialog (RFC 3261 §12, RFC 6665, RFC 3515)
DIALOG_CREATING_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})

#: RFC 3261 §21 and the IANA "Response Codes" registry
REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",
    200: "OK",
    202: "Accepted",
    204: "No Notification",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    417: "Unknown Resource-Priority",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    424: "Bad Location Information",
    425: "Bad Alert Message",
    428: "Use Identity Header",
    429: "Provide Referrer Identity",
    430: "Flow Failed",
    433: "Anonymity Disallowed",
    436: "Bad Identity Info",
    437: "Unsupported Credential",
    438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support",
    440: "Max-Breadth Exceeded",
    469: "Bad Info Package",
    470: "Consent Needed",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    555: "Push Notification Service Not Supported",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
    607: "Unwanted",
    608: "Rejected",
}

#: spellings seen in the wild and in older RFCs that mean the same phrase
_PHRASE_ALIASES: dict[int, tuple[str, ...]] = {
    480: ("Temporarily not available",),
    500: ("Internal Server Error",),
    603: ("Declined",),
    200: ("Ok",),
}

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _normal(phrase: str) -> str:
    return _NOT_ALNUM.sub("", phrase.lower())


def reason_phrase_matches(code: int, phrase: str) -> bool:
    """Whether ``phrase`` is the registered phrase of ``code`` (case, spaces and '-'
    ignored: ``Server Timeout`` = ``Server Time-out``). Unknown codes accept any phrase."""
    known = REASON_PHRASES.get(code)
    if known is None:
        return True
    wanted = _normal(phrase)
    return wanted == _normal(known) or any(
        wanted == _normal(a) for a in _PHRASE_ALIASES.get(code, ())
    )


def is_provisional(code: int) -> bool:
    return 100 <= code <= 199


def is_final(code: int) -> bool:
    return 200 <= code <= 699
