"""A demo sign-in for newcomers trying the gateway in GraphiQL with a browser.

The routes belong at the root of the gateway's server, next to `/graphql`: the
`session_id` cookie they set is then sent with every GraphiQL request, and the
gateway forwards it to the API, which accepts it as the credentials. Signing in
lands on GraphiQL with a tab that queries the account and shows, in its headers,
the `Authorization` header that a client outside the browser would send.
"""

import json
from html import escape
from urllib.parse import parse_qs, quote, urlencode

from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Route

from .seed import ACCOUNTS_BY_TOKEN, DEMO_ACCOUNTS, Account

COOKIE = "session_id"

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo sign-in</title></head>
<body>
<h1>Demo accounts</h1>
<p>{status}</p>
{forms}
<form method="post" action="/demo/sign-out"><button>Sign out</button></form>
<p>Signing in opens GraphiQL on a query for the account. Or
<a href="{graphql_path}">open GraphiQL</a> and run, for example:</p>
<pre>{{ account {{ username
  favorites(mediaType: MOVIE) {{ totalResults results {{ title releaseDate }} }}
  rated(mediaType: TV) {{ results {{ title rating }} }} }} }}</pre>
<p>Signing out clears the cookie; a GraphiQL tab that sends an
<code>Authorization</code> header still signs in with it.</p>
</body>
</html>
"""
_FORM = """<form method="post" action="/demo/sign-in">
<input type="hidden" name="account" value="{username}">
<button>Sign in as {username}</button> {name}
</form>"""


#: The landing tab's query; `{username}` is the account signed in.
LANDING_QUERY = """\
# Signed in as {username} (demo). This tab sends
# the token in its Headers; other tabs send the
# session cookie. Run it: Ctrl-Enter or ▶.
query MyAccount {{
  account {{
    id
    username
    favorites(mediaType: MOVIE) {{
      totalResults
      results {{
        id
        title
      }}
    }}
  }}
}}
"""


def landing_url(graphql_path: str, account: Account) -> str:
    """GraphiQL with a tab for `account`: its query and headers in the fragment,
    which the page reads and the browser never sends to a server."""
    headers = {"Authorization": f"Bearer {account.token}"}
    fragment = urlencode(
        {
            "query": LANDING_QUERY.format(username=account.username),
            "headers": json.dumps(headers, indent=2),
        },
        quote_via=quote,
    )
    return f"{graphql_path}#{fragment}"


def _page(signed_in: Account | None, graphql_path: str) -> str:
    status = (
        f"Signed in as {escape(signed_in.username)}." if signed_in else "Not signed in."
    )
    forms = "\n".join(
        _FORM.format(username=escape(acc.username), name=escape(acc.name))
        for acc in DEMO_ACCOUNTS
    )
    return _PAGE.format(status=status, forms=forms, graphql_path=escape(graphql_path))


def demo_routes(*, graphql_path: str = "/graphql") -> list[BaseRoute]:
    """`GET /demo`, `POST /demo/sign-in` (form field `account`), `POST /demo/sign-out`.

    Signing in sets the `session_id` cookie (HttpOnly, SameSite=Lax, Path=/) to the
    account's token and redirects (303) to GraphiQL at `graphql_path`, opening a
    tab for the account (`landing_url`); an unknown account is a 400. Signing out
    clears the cookie and redirects to `/demo`.
    """

    async def show(request: Request) -> Response:
        signed_in = ACCOUNTS_BY_TOKEN.get(request.cookies.get(COOKIE, ""))
        return HTMLResponse(_page(signed_in, graphql_path))

    async def sign_in(request: Request) -> Response:
        # The form is urlencoded; parsing it here avoids needing python-multipart.
        form = parse_qs((await request.body()).decode(errors="replace"))
        username = form.get("account", [""])[0]
        account = next((a for a in DEMO_ACCOUNTS if a.username == username), None)
        if account is None:
            return PlainTextResponse("Unknown demo account.", status_code=400)
        response = RedirectResponse(landing_url(graphql_path, account), status_code=303)
        response.set_cookie(COOKIE, account.token, httponly=True, samesite="lax")
        return response

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse("/demo", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="lax")
        return response

    return [
        Route("/demo", show, methods=["GET"]),
        Route("/demo/sign-in", sign_in, methods=["POST"]),
        Route("/demo/sign-out", sign_out, methods=["POST"]),
    ]
