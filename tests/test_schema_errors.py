"""The translation seam on its own: ours get codes, anything else is masked."""

from graphql import GraphQLError

from gateway.accounts.arguments import InvalidArgumentError
from gateway.schema.errors import UNEXPECTED, contract_errors
from gateway.upstream.errors import UpstreamCircuitOpen


def located(original: Exception | None, path: list[str | int] | None) -> GraphQLError:
    return GraphQLError(str(original), path=path, original_error=original)


def test_unexpected_exceptions_are_masked_with_no_detail() -> None:
    secret = RuntimeError("Bearer alice-token at http://10.0.0.1/api")
    (error,) = contract_errors([located(secret, ["account"])])
    assert error.message == UNEXPECTED
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert error.path == ["account"]
    assert error.original_error is None


def test_an_unexpected_exception_before_execution_is_masked_too() -> None:
    (error,) = contract_errors([located(KeyError("internal"), None)])
    assert (error.message, error.extensions["code"]) == (
        UNEXPECTED,
        "INTERNAL_SERVER_ERROR",
    )


def test_our_errors_keep_their_client_message() -> None:
    bad = InvalidArgumentError("page", "page must be between 1 and 500.")
    (error,) = contract_errors([located(bad, ["account", "favorites"])])
    assert error.message == "page must be between 1 and 500."
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "page"}


def test_an_open_circuit_is_unavailable_and_says_when_it_retries() -> None:
    url = "http://10.0.0.1/api/account"
    circuit = UpstreamCircuitOpen(4.2, method="GET", url=url)
    (error,) = contract_errors([located(circuit, ["account"])])
    assert error.extensions == {"code": "UPSTREAM_UNAVAILABLE", "retryAfter": 4.2}
    assert "5 s" in error.message and "10.0.0.1" not in error.message
