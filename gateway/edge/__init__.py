"""The ASGI edge: what every request meets before GraphQL sees it (access log,
request id, body limit, CSRF prevention) and the error shape of its refusals."""
