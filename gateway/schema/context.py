"""What every resolver gets in `info.context`: the request and the caller's service."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gateway.service import AccountService


@dataclass(slots=True)
class Context:
    """Built once per GraphQL request by the view's `get_context`."""

    request: Request
    response: Response
    accounts: AccountService
