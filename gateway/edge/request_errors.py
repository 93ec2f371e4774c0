"""Requests refused before GraphQL runs, answered in the GraphQL response shape.

A client parses one error format: a body that is too large, not JSON, of the wrong
media type, sent with the wrong method or refused as cross-site still gets
`{"errors": [{"message", "extensions": {"code", "reason"}}]}`. The code is the
contract's `BAD_USER_INPUT` (the persisted-query codes where those refuse);
`reason` names what was wrong, as Apollo Server does.
"""

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.edge import csrf
from gateway.edge.headers import RawHeaders, text

JSON = "application/json"

#: `reason` for each HTTP status strawberry refuses a request with.
REASONS = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def request_error(
    status: int,
    message: str,
    *,
    code: str = "BAD_USER_INPUT",
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The response refusing a request with `status`, in the GraphQL error shape;
    a `BAD_USER_INPUT` always says its `reason`, another code only when given one."""
    extensions = {"code": code}
    if reason is not None or code == "BAD_USER_INPUT":
        extensions["reason"] = reason or REASONS.get(status, "BAD_REQUEST")
    error = {"message": message, "extensions": extensions}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


def refusal_before_parsing(request: Request, headers: RawHeaders) -> Response | None:
    """The answer to an operation request refused before its body is read, if any:
    a request a browser could have sent cross-site, or a body that is not JSON.
    `headers` are the request's (`first_values`)."""
    method = request.method
    is_get = method == "GET"
    if not (method == "POST" or (is_get and is_operation(request.query_params))):
        return None  # the GraphiQL page, or a method strawberry refuses
    content_type = text(headers, b"content-type")
    if content_type is not None:
        content_type = csrf.media_type(content_type)
    if not csrf.is_preflighted(content_type, headers):
        return request_error(400, csrf.message(method), reason="CSRF_PREVENTED")
    if not is_get and content_type != JSON:
        return request_error(
            415,
            f"The request body must be {JSON}: send it with 'Content-Type: {JSON}'.",
        )
    return None


def is_operation(params: Mapping[str, object]) -> bool:
    """Whether a GET's parameters ask for an operation, by its text or by a
    persisted query's hash (in `extensions`), rather than for the GraphiQL page."""
    return "query" in params or "extensions" in params
