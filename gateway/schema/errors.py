"""The one seam where failures become GraphQL errors with the contract's codes.

Our own exceptions carry data for operators (`status`, `url`); what reaches the
client is a message written here, which never echoes upstream URLs, bodies or
credentials, plus `extensions.code`. Anything else is masked as
INTERNAL_SERVER_ERROR ("Unexpected error.") and logged with its traceback.

This runs on the final result of `Schema.execute` rather than in strawberry's
`MaskErrors` extension: with `ParserCache`, a syntax error escapes the operation
hooks that `MaskErrors` relies on and would reach the client untranslated.
"""

import logging
import math
import re
from typing import Any

from graphql import GraphQLError

from gateway.accounts.arguments import InvalidArgumentError
from gateway.accounts.service import MissingCredentialsError, UnknownMediaError
from gateway.schema.media import EntityFieldUnavailableError
from gateway.upstream.errors import (
    UpstreamBadBody,
    UpstreamCircuitOpen,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamStatusError,
    UpstreamUnavailable,
)

logger = logging.getLogger(__name__)

UNEXPECTED = "Unexpected error."
# graphql-core's words for a variable value that does not fit its type.
_VARIABLE_VALUE = re.compile(
    r"^Variable '\$\w+' (got invalid value|has invalid value|of required type)"
)
_EXPECTED = (
    UpstreamError,
    InvalidArgumentError,
    MissingCredentialsError,
    UnknownMediaError,
    EntityFieldUnavailableError,
)
# What upstream's 4xx statuses mean to a client (the contract's header).
_REJECTED_CODES = {
    401: ("UNAUTHENTICATED", "The account service did not accept the credentials."),
    403: ("FORBIDDEN", "The account service refused access."),
    400: ("BAD_USER_INPUT", "The account service rejected the input."),
    422: ("BAD_USER_INPUT", "The account service rejected the input."),
}

Extensions = dict[str, Any]

#: A closed schema's whole answer to a document or variables it refuses.
CLOSED_MESSAGES = {
    "GRAPHQL_VALIDATION_FAILED": (
        "The document is not valid against the schema, goes beyond the gateway's"
        " limits, or asks for introspection, which is off. This gateway's errors"
        " name nothing of its schema; the schema is published as its contract."
    ),
    "BAD_VARIABLE_VALUE": (
        "A variable is missing or its value does not fit its type. This gateway's"
        " errors name nothing of its schema; the schema is published as its"
        " contract."
    ),
}


def client_extensions(exc: Exception) -> tuple[str, Extensions]:
    """The client's message and `extensions` for one of our exceptions."""
    extensions: Extensions
    match exc:
        case InvalidArgumentError():
            message, extensions = (
                str(exc),
                {"code": "BAD_USER_INPUT", "argument": exc.argument},
            )
        case MissingCredentialsError():
            message, extensions = str(exc), {"code": "UNAUTHENTICATED"}
        case EntityFieldUnavailableError():
            message, extensions = str(exc), {"code": "NOT_FOUND"}
        case UnknownMediaError(kind=kind, media_id=media_id):
            message = str(exc)
            extensions = {
                "code": "NOT_FOUND",
                "mediaType": kind.name,
                "mediaId": media_id,
            }
        case UpstreamCircuitOpen(retry_in=retry_in):
            message = (
                "The account service is unavailable; the gateway will not call it"
                f" again for {math.ceil(retry_in)} s."
            )
            extensions = {"code": "UPSTREAM_UNAVAILABLE", "retryAfter": retry_in}
        case UpstreamUnavailable():
            message, extensions = (
                "The account service could not be reached.",
                {"code": "UPSTREAM_UNAVAILABLE"},
            )
        case UpstreamBadBody():
            message = "The account service sent an answer the gateway cannot read."
            extensions = {"code": "UPSTREAM_ERROR"}
        case UpstreamStatusError():
            message, extensions = _status_error(exc)
        case _:
            raise TypeError(f"not one of the gateway's errors: {type(exc).__name__}")
    return message, extensions


def _status_error(exc: UpstreamStatusError) -> tuple[str, Extensions]:
    extensions: Extensions = {"upstreamStatus": exc.status}
    match exc:
        case UpstreamNotFound():
            return "Not found.", {"code": "NOT_FOUND", **extensions}
        case UpstreamRateLimited(retry_after=retry_after):
            extensions["code"] = "RATE_LIMITED"
            if retry_after is not None:
                extensions["retryAfter"] = retry_after
            return "The account service is rate limiting requests.", extensions
        case UpstreamRejected() if exc.status in _REJECTED_CODES:
            code, message = _REJECTED_CODES[exc.status]
            return message, {"code": code, **extensions}
    # 5xx, 405 and any other 4xx, and the redirects the client does not follow.
    message = f"The account service answered with HTTP {exc.status}."
    return message, {"code": "UPSTREAM_ERROR", **extensions}


def _request_error(error: GraphQLError) -> Extensions:
    """A bad document or variable is bad input; `reason` says which, as Apollo names it.

    The contract allows only its own codes, so Apollo Server's GRAPHQL_PARSE_FAILED
    and GRAPHQL_VALIDATION_FAILED travel as the reason, not as the code. A rule of
    ours may name its own reason and figures in the error's extensions (the cost
    limit's `COST_LIMIT`, `estimate`, `limit`).
    """
    if error.message.startswith("Syntax Error"):
        reason = "GRAPHQL_PARSE_FAILED"
    elif _VARIABLE_VALUE.search(error.message):
        reason = "BAD_VARIABLE_VALUE"
    else:
        reason = "GRAPHQL_VALIDATION_FAILED"
    return {"code": "BAD_USER_INPUT", "reason": reason, **(error.extensions or {})}


def contract_errors(
    errors: list[GraphQLError], *, closed: bool = False
) -> list[GraphQLError]:
    """Every error with a code: ours translated, request errors named, others masked.

    `closed` (introspection off): a refused document or variables get one error
    that names nothing of the schema (`_closed_error`).
    """
    translated = [_translate(error) for error in errors]
    if closed and (refused := [e for e in translated if _names_the_schema(e)]):
        return [_closed_error(refused[0])]
    return translated


#: A closed schema's reason for each refusal that names or tells of the schema:
#: validation and variable errors, and the cost limit, whose estimate counts
#: real fields only.
CLOSED_REASONS = {
    "GRAPHQL_VALIDATION_FAILED": "GRAPHQL_VALIDATION_FAILED",
    "COST_LIMIT": "GRAPHQL_VALIDATION_FAILED",
    "BAD_VARIABLE_VALUE": "BAD_VARIABLE_VALUE",
}


def _names_the_schema(error: GraphQLError) -> bool:
    """A refusal that tells of the schema: graphql-core's words, or our cost."""
    return _reason(error) in CLOSED_REASONS


def _closed_error(refused: GraphQLError) -> GraphQLError:
    """The one error that a closed schema answers a refused request with.

    graphql-core's messages suggest names ("Did you mean …"), and even without
    the suggestions they name types and arguments; which words draw an error,
    and where, tells real fields from made-up ones. Tools such as clairvoyance
    rebuild the schema from exactly that, so the message, the locations and the
    number of errors are the same for every refused document (or variables).
    """
    reason = CLOSED_REASONS[_reason(refused)]
    return GraphQLError(
        CLOSED_MESSAGES[reason], extensions={"code": "BAD_USER_INPUT", "reason": reason}
    )


def _reason(error: GraphQLError) -> Any:
    return (error.extensions or {}).get("reason")


def _translate(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, _EXPECTED):
        return _with(error, *client_extensions(original))
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        # Parse, validation and variable errors: written by graphql-core for clients.
        return _with(error, error.message, _request_error(error))
    # Anything else is one of our bugs, even an error graphql-core raised itself
    # during execution, such as a null for a non-null field.
    logger.error("unexpected error at %s", error.path, exc_info=original)
    return _with(error, UNEXPECTED, {"code": "INTERNAL_SERVER_ERROR"})


def _with(error: GraphQLError, message: str, extensions: Extensions) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )
