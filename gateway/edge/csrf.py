"""Cross-site request forgery prevention, by Apollo Server's `csrfPrevention` rule.

A browser sends a cross-site request without asking the server first (a CORS
preflight) only when it is "simple": a GET, or a POST whose content type is a form
or plain text, with no custom header. Such a request carries the victim's cookies,
so it must never run an operation. Requiring a JSON content type or a custom
header forces a preflight, which CORS settings then decide.
https://www.apollographql.com/docs/apollo-server/security/cors#preventing-cross-site-request-forgery-csrf
"""

import functools

from gateway.edge.headers import RawHeaders

#: A non-empty value in either of these headers forces a preflight (Apollo's names).
PREFLIGHT_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
_PREFLIGHT_NAMES = tuple(name.encode() for name in PREFLIGHT_HEADERS)
_SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

_BLOCKED = "This request has been blocked as a potential Cross-Site Request Forgery."
#: What to do instead. A POST's body must be JSON in any case (a preflight header
#: alone would earn a 415), so its fix is the content type; a GET has no body, so
#: a header is what forces the preflight.
ADVICE = {
    "POST": "Send the body as JSON, with 'Content-Type: application/json'.",
    "GET": "Send it with a non-empty 'apollo-require-preflight' (or "
    "'x-apollo-operation-name') header, or POST it with "
    "'Content-Type: application/json'.",
}


def message(method: str) -> str:
    """Why a `method` request was refused, and what to send instead."""
    return f"{_BLOCKED} {ADVICE[method]}"


def is_preflighted(content_type: str | None, headers: RawHeaders) -> bool:
    """Whether a browser would have had to ask (preflight) before sending this
    request, of `content_type` (a media type, None if the header is absent)."""
    if content_type is not None and content_type not in _SIMPLE_CONTENT_TYPES:
        return True
    return any(headers.get(name, b"").strip() for name in _PREFLIGHT_NAMES)


@functools.lru_cache(maxsize=256)  # a client sends the same Content-Type every time
def media_type(content_type: str) -> str:
    """`text/plain` of `Text/Plain; charset=utf-8`."""
    return content_type.split(";", 1)[0].strip().lower()
