"""The API's documented error bodies, and the one place they are rendered."""

from http.client import responses

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

NOT_AUTHENTICATED = "You are not authenticated"
NOT_FOUND = "Not found"
METHOD_NOT_ALLOWED = "Method Not Allowed"
RATE_LIMITED = "Rate Limit Exceeded"
_DOCUMENTED = {401: NOT_AUTHENTICATED, 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}


class ApiError(Exception):
    """A documented error answer: `status` with the body `{"message": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def to_response(self) -> Response:
        return error_response(self.status, self.message)


def error_response(status: int, message: str | None = None) -> Response:
    """The documented error body for `status`.

    That is `{"message": message}`, except for 429, whose documented body is the
    bare JSON string "Rate Limit Exceeded". Without a message, the documented one
    for `status` is used, or else the HTTP reason phrase.
    """
    if status == 429:
        return JSONResponse(RATE_LIMITED, status_code=429)
    if message is None:
        message = _DOCUMENTED.get(status) or responses.get(status, "Error")
    return JSONResponse({"message": message}, status_code=status)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown path, wrong method) in the documented shape."""
    assert isinstance(exc, HTTPException)
    message = None if exc.status_code in _DOCUMENTED else exc.detail
    response = error_response(exc.status_code, message)
    response.headers.update(exc.headers or {})
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    """Even a bug answers JSON, as every documented response is JSON."""
    return error_response(500, "Internal server error")
