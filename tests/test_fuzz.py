"""Property-based fuzzing of the running gateway over real HTTP.

Hypothesis draws arguments, query shapes and raw requests; every answer must come
within `CLIENT_TIMEOUT` (a hang is a failure), never be a 5xx, be JSON wherever
GraphQL ran, carry only the contract's error codes, echo no traceback, exception
class or credential, and hold no other account's data. Input the gateway must
validate (DESIGN.md invariant 4) must cost no upstream call.

`@given` tests are synchronous, so the servers run in an event loop of their own
thread (`live`, module-scoped, so Hypothesis's function-scoped-fixture check has
nothing to object to) and each example hands its request to that loop.
"""

import asyncio
import builtins
import json
import math
import queue
import re
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.accounts import arguments, service
from gateway.reference_api import ALICE, BOB, CATALOGUE
from gateway.schema.errors import CLOSED_MESSAGES
from gateway.settings import Settings
from gateway.upstream import errors as upstream_errors
from harness import hostile_documents as hostile
from tests.conftest import Upstream, running_gateway, running_upstream

T = TypeVar("T")

CLIENT_TIMEOUT = 10.0
CONTRACT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "RATE_LIMITED",
        "BAD_USER_INPUT",
        "UPSTREAM_ERROR",
        "UPSTREAM_UNAVAILABLE",
        "INTERNAL_SERVER_ERROR",
    }
)
#: A closed schema's one error for every document it refuses.
REFUSED = "GRAPHQL_VALIDATION_FAILED"
CLOSED = {"code": "BAD_USER_INPUT", "reason": REFUSED}
LIST_CALLS = "GET /account/{account_id}/{list}/{media}"
WRITE_CALLS = (
    "POST /account/{account_id}/favorite",
    "POST /account/{account_id}/watchlist",
    "POST /{media_type}/{media_id}/rating",
    "DELETE /{media_type}/{media_id}/rating",
)
JSON_TYPES = ("application/json", "application/graphql-response+json")
FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _exception_names() -> frozenset[str]:
    """Exception classes a leaked stack trace or repr() would name."""
    modules = (builtins, upstream_errors, arguments, service, aiohttp)
    return frozenset(
        name
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )


LEAK_MARKERS = re.compile(
    r"Traceback|File \"|\b(?:"
    + "|".join(sorted(_exception_names()))
    + r")\b|"
    + re.escape(ALICE.token)
)

BOB_MARKERS = re.compile(rf"\b{BOB.id}\b|{BOB.name}|\"{BOB.username}\"")


# --- the servers, in a thread of their own -------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    text: str


@dataclass
class Live:
    """The running reference API and gateway, driven from the test's thread."""

    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    upstream: Upstream
    url: str
    http: aiohttp.ClientSession

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def send(self, method: str, **options: Any) -> tuple[Reply, dict[str, int]]:
        """One request as alice; returns the reply and the upstream calls it cost."""
        self.upstream.calls.reset()
        reply = self.run(self._send(method, options))
        return reply, self.upstream.calls.to_json()

    async def _send(self, method: str, options: dict[str, Any]) -> Reply:
        headers = {"Authorization": f"Bearer {ALICE.token}", **options.pop("headers")}
        try:
            async with self.http.request(
                method, self.url, headers=headers, **options
            ) as response:
                text = await response.text(errors="replace")
                return Reply(response.status, response.content_type, text)
        except TimeoutError:
            pytest.fail(f"no answer within {CLIENT_TIMEOUT} s: {method} {options}")


async def _serve(
    handoff: "queue.Queue[Live | BaseException]", *, introspection: bool
) -> None:
    stop = asyncio.Event()
    try:
        async with (
            running_upstream() as upstream,
            running_gateway(
                Settings(
                    upstream_url=upstream.url,
                    upstream_timeout=2.0,
                    introspection=introspection,
                )
            ) as gateway,
            aiohttp.ClientSession(
                # A fresh connection per request: a 4xx/5xx may close the old one.
                connector=aiohttp.TCPConnector(force_close=True),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT),
            ) as http,
        ):
            loop = asyncio.get_running_loop()
            handoff.put(Live(loop, stop, upstream, f"{gateway.url}/graphql", http))
            await stop.wait()
    except BaseException as exc:
        handoff.put(exc)
        raise


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    yield from _live(introspection=True)


@pytest.fixture(scope="module")
def closed_live() -> Iterator[Live]:
    """The same, with introspection off: a closed schema."""
    yield from _live(introspection=False)


def _live(*, introspection: bool) -> Iterator[Live]:
    handoff: queue.Queue[Live | BaseException] = queue.Queue()
    serving = _serve(handoff, introspection=introspection)
    thread = threading.Thread(target=asyncio.run, args=(serving,))
    thread.start()
    started = handoff.get(timeout=60)
    if isinstance(started, BaseException):
        thread.join()
        raise started
    try:
        yield started
    finally:
        started.loop.call_soon_threadsafe(started.stop.set)
        thread.join(timeout=60)


# --- what every answer must satisfy --------------------------------------------


def check_reply(reply: Reply, sent: str) -> dict[str, Any] | None:
    """The invariants of any answer; returns the JSON body where there is one."""
    assert reply.status < 500, f"{reply.status} {reply.text[:300]!r} for {sent!r}"
    _check_no_leak(reply.text, sent)
    if reply.content_type == "text/html" and reply.status == 200:
        return None  # GraphiQL, for a GET without a query
    assert reply.content_type in JSON_TYPES, (reply.status, reply.text[:300], sent)
    body = json.loads(reply.text)
    assert isinstance(body, dict), body
    for error in body.get("errors", []):
        assert error.get("extensions", {}).get("code") in CONTRACT_CODES, error
    return body


def _check_no_leak(text: str, sent: str) -> None:
    """No traceback, exception class, token or other account, unless we sent it."""
    for found in LEAK_MARKERS.finditer(text):
        assert found.group() in sent, f"{found.group()!r} leaked: {text[:300]!r}"
    for found in BOB_MARKERS.finditer(text):
        assert found.group() in sent, f"bob's data: {text[:300]!r}"


def post_graphql(
    live: Live, query: str, variables: Any = None
) -> tuple[dict[str, Any], dict[str, int]]:
    """POST a well-formed GraphQL request; the answer must be a 200 JSON body."""
    payload = json.dumps({"query": query, "variables": variables})
    reply, calls = live.send(
        "POST", data=payload, headers={"Content-Type": "application/json"}
    )
    body = check_reply(reply, payload)
    assert reply.status == 200 and body is not None, reply
    return body, calls


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


# --- argument values ---------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One drawn argument and whether each way of sending it is valid.

    `bare` is set for enum names, written unquoted as literals; the same value
    sent as a variable is a JSON string, so "MOVIE" quoted is valid only there.
    """

    name: str
    type: str
    value: Any
    valid_inline: bool
    valid_variable: bool
    bare: bool = False

    def literal(self) -> str:
        return self.value if self.bare else _literal(self.value)

    def valid(self, inline: bool) -> bool:
        return self.valid_inline if inline else self.valid_variable


def _literal(value: Any) -> str:
    """`value` written as a GraphQL literal."""
    match value:
        case bool():
            return "true" if value else "false"
        case float() if math.isinf(value):
            return "1e400" if value > 0 else "-1e400"  # parses to ±inf
        case float() if math.isnan(value):
            return "nan"  # an enum-like name, which Float must refuse
        case str():
            return json.dumps(value)
        case None:
            return "null"
        case list():
            return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def arg(name: str, type_: str, value: Any, valid: bool, bare: bool = False) -> Arg:
    return Arg(name, type_, value, valid, valid, bare)


INT32 = (-(2**31), 2**31 - 1)
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
WRONG_TYPED = st.one_of(
    st.none(), st.booleans(), st.lists(st.integers(0, 9), max_size=2)
)


def enum_arg(name: str, type_: str, valid: tuple[str, ...]) -> st.SearchStrategy[Arg]:
    """A valid name, an unknown name, a quoted valid name, or another type."""
    good = st.sampled_from(valid).map(lambda v: arg(name, type_, v, True, bare=True))
    unknown = NAMES.filter(lambda v: v not in valid)
    quoted = st.sampled_from(valid).map(lambda v: Arg(name, type_, v, False, True))
    return st.one_of(
        good,
        good,
        unknown.map(lambda v: arg(name, type_, v, False, bare=True)),
        quoted,
        WRONG_TYPED.map(lambda v: arg(name, type_, v, False)),
    )


def int_arg(name: str, low: int, high: int) -> st.SearchStrategy[Arg]:
    """An Int, valid within [low, high]; past 32 bits GraphQL itself refuses it."""
    values = st.one_of(
        st.integers(low - 3, high + 3),
        st.integers(-(2**40), 2**40),
        st.sampled_from([0, -1, *INT32, INT32[1] + 1, INT32[0] - 1]),
    )
    return st.one_of(
        values.map(lambda v: arg(name, "Int!", v, low <= v <= high)),
        st.text(max_size=4).map(lambda v: arg(name, "Int!", v, False)),
        WRONG_TYPED.map(lambda v: arg(name, "Int!", v, False)),
    )


def _language(value: str) -> Arg:
    valid = re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", value) is not None
    return arg("language", "String!", value, valid)


LANGUAGES = st.one_of(
    st.sampled_from(["en", "en-US", "fr-FR", "EN", "en_US", "", "en-us", "de-DE\n"]),
    st.text(max_size=12),
).map(_language) | st.one_of(st.integers(), WRONG_TYPED).map(
    lambda v: arg("language", "String!", v, False)
)


def _valid_rating(value: Any) -> bool:
    return math.isfinite(value) and 0.5 <= value <= 10 and float(value * 2).is_integer()


RATINGS = st.one_of(
    st.floats(),
    st.integers(-20, 20),
    st.sampled_from([0.0, 0.25, 0.5, 9.5, 10.0, 10.5, -0.5, 5.000001, 1e-300]),
    st.integers(0, 21).map(lambda n: n / 2),
).map(lambda v: arg("rating", "Float!", v, _valid_rating(v))) | st.one_of(
    st.text(max_size=3), WRONG_TYPED
).map(lambda v: arg("rating", "Float!", v, False))
MEDIA_TYPES = enum_arg("mediaType", "MediaType!", ("MOVIE", "TV"))
SORTS = enum_arg("sortBy", "ListSort!", ("CREATED_AT_ASC", "CREATED_AT_DESC"))
CATALOGUE_IDS = tuple(sorted({media_id for _, media_id in CATALOGUE}))
MEDIA_IDS = int_arg("mediaId", 1, INT32[1]) | st.sampled_from(CATALOGUE_IDS).map(
    lambda v: arg("mediaId", "Int!", v, True)
)
FLAGS = st.booleans().map(lambda v: arg("flag", "Boolean!", v, True)) | st.one_of(
    st.integers(0, 1), st.text(max_size=3), st.none()
).map(lambda v: arg("flag", "Boolean!", v, False))


def render(
    field_name: str, args: list[Arg], inline: bool
) -> tuple[str, str, dict[str, Any]]:
    """(variable definitions, `field(args…)`, variables): literals or variables."""
    if inline:
        call = ", ".join(f"{a.name}: {a.literal()}" for a in args)
        return "", f"{field_name}({call})", {}
    definitions = ", ".join(f"${a.name}: {a.type}" for a in args)
    call = ", ".join(f"{a.name}: ${a.name}" for a in args)
    return f"({definitions})", f"{field_name}({call})", {a.name: a.value for a in args}


# --- arguments -------------------------------------------------------------------


@FUZZ
@given(
    list_name=st.sampled_from(["favorites", "watchlist", "rated"]),
    media_type=MEDIA_TYPES,
    page=int_arg("page", 1, 500),
    language=LANGUAGES,
    sort_by=SORTS,
    inline=st.booleans(),
)
def test_list_arguments_are_checked_before_any_upstream_call(
    live: Live,
    list_name: str,
    media_type: Arg,
    page: Arg,
    language: Arg,
    sort_by: Arg,
    inline: bool,
) -> None:
    args = [media_type, page, language, sort_by]
    definitions, call, variables = render(list_name, args, inline)
    query = (
        f"query{definitions} {{ account {{ id {call} {{ page results {{ id }} }} }} }}"
    )
    body, calls = post_graphql(live, query, variables)
    if all(a.valid(inline) for a in args):
        assert "errors" not in body, body
        assert body["data"]["account"][list_name]["page"] == page.value
    else:
        assert set(codes(body)) == {"BAD_USER_INPUT"}, body
        assert calls.get(LIST_CALLS, 0) == 0, (query, variables, calls)


@FUZZ
@given(
    mutation=st.sampled_from(["setFavorite", "setWatchlist", "rate", "deleteRating"]),
    media_type=MEDIA_TYPES,
    media_id=MEDIA_IDS,
    rating=RATINGS,
    flag=FLAGS,
    inline=st.booleans(),
)
def test_mutation_arguments_are_checked_before_any_upstream_write(
    live: Live,
    mutation: str,
    media_type: Arg,
    media_id: Arg,
    rating: Arg,
    flag: Arg,
    inline: bool,
) -> None:
    args = [media_type, media_id, *_mutation_args(mutation, rating, flag)]
    definitions, call, variables = render(mutation, args, inline)
    query = f"mutation{definitions} {{ {call} {{ mediaType mediaId }} }}"
    body, calls = post_graphql(live, query, variables)
    if not all(a.valid(inline) for a in args):
        assert set(codes(body)) == {"BAD_USER_INPUT"}, body
        assert sum(calls.get(key, 0) for key in WRITE_CALLS) == 0, (query, calls)
    elif (media_type.value.lower(), media_id.value) in CATALOGUE:
        assert "errors" not in body, body
    else:
        assert codes(body) == ["NOT_FOUND"], body


def _mutation_args(mutation: str, rating: Arg, flag: Arg) -> list[Arg]:
    match mutation:
        case "setFavorite" | "setWatchlist":
            name = "favorite" if mutation == "setFavorite" else "watchlist"
            return [
                Arg(name, flag.type, flag.value, flag.valid_inline, flag.valid_variable)
            ]
        case "rate":
            return [rating]
    return []


# --- query shapes ----------------------------------------------------------------

LEAVES = {
    "Account": ("id", "name", "username", "includeAdult", "iso6391", "iso31661"),
    "Avatar": (),
    "Gravatar": ("hash",),
    "MediaPage": ("page", "totalPages", "totalResults"),
    "Media": (
        "id", "mediaType", "title", "overview", "posterPath", "backdropPath",
        "releaseDate", "voteAverage", "voteCount", "rating",
    ),
}  # fmt: skip
OBJECTS = {
    "Account": {
        "avatar": "Avatar",
        "favorites": "MediaPage",
        "watchlist": "MediaPage",
        "rated": "MediaPage",
    },
    "Avatar": {"gravatar": "Gravatar"},
    "Gravatar": {},
    "MediaPage": {"results": "Media"},
    "Media": {},
}
# The type conditions a fragment may name inside a selection on each type.
CONDITIONS = {
    "Media": ("Media", "Movie", "TvShow"),
    "Movie": ("Movie", "Media"),
    "TvShow": ("TvShow", "Media"),
}
LEAVES["Movie"] = LEAVES["TvShow"] = LEAVES["Media"]
OBJECTS["Movie"] = OBJECTS["TvShow"] = OBJECTS["Media"]
LIST_FIELDS = frozenset({"favorites", "watchlist", "rated"})


@dataclass
class Document:
    """A document being drawn: its named fragments and how many fields remain."""

    fragments: list[str] = field(default_factory=list)
    budget: int = 25
    aliases: int = 0

    def alias(self, draw: st.DrawFn, name: str) -> str:
        if self.aliases < 15 and draw(st.booleans()):
            self.aliases += 1
            return f"{name}_{self.aliases}: {name}"
        return name


def _list_arguments(draw: st.DrawFn) -> tuple[str, str]:
    """Arguments of a list field, and a response name unique to them."""
    media = draw(st.sampled_from(["MOVIE", "TV"]))
    page = draw(st.integers(1, 3))
    sort = draw(st.sampled_from(["CREATED_AT_ASC", "CREATED_AT_DESC"]))
    return f"(mediaType: {media}, page: {page}, sortBy: {sort})", f"{media}{page}{sort}"


@st.composite
def selection(draw: st.DrawFn, type_name: str, doc: Document, depth: int = 0) -> str:
    """A valid selection set on `type_name`: fields, aliases and fragments."""
    items = ["__typename"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(1, 4))):
        if doc.budget <= 0:
            break
        doc.budget -= 1
        items.append(draw(_item(type_name, doc, depth)))
    return "{ " + " ".join(items or ["__typename"]) + " }"


@st.composite
def _item(draw: st.DrawFn, type_name: str, doc: Document, depth: int) -> str:
    kinds = ["leaf"] * bool(LEAVES[type_name]) + ["object"] * bool(OBJECTS[type_name])
    kind = draw(st.sampled_from([*kinds, "inline", "fragment"]))
    condition = draw(st.sampled_from(CONDITIONS.get(type_name, (type_name,))))
    match kind:
        case "leaf":
            return doc.alias(draw, draw(st.sampled_from(LEAVES[type_name])))
        case "object":
            name = draw(st.sampled_from(sorted(OBJECTS[type_name])))
            inner = draw(selection(OBJECTS[type_name][name], doc, depth + 1))
            if name in LIST_FIELDS:
                arguments, key = _list_arguments(draw)
                return f"{name}_{key}: {name}{arguments} {inner}"
            return f"{doc.alias(draw, name)} {inner}"
        case "inline":
            if draw(st.booleans()):
                return f"... {draw(selection(type_name, doc, depth))}"
            return f"... on {condition} {draw(selection(condition, doc, depth))}"
    fragment = f"F{len(doc.fragments)}"
    doc.fragments.append("")  # reserve the name before drawing nested fragments
    inner = draw(selection(condition, doc, depth))
    doc.fragments[int(fragment[1:])] = f"fragment {fragment} on {condition} {inner}"
    return f"...{fragment}"


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A valid query, or a mutation whose payload selects the account."""
    doc = Document()
    account = draw(selection("Account", doc))
    if draw(st.booleans()):
        media_id = draw(st.sampled_from(CATALOGUE_IDS[:20]))
        on = draw(st.booleans())
        root = (
            f"mutation {{ setWatchlist(mediaType: MOVIE, mediaId: {media_id}, "
            f"watchlist: {str(on).lower()}) {{ watchlist account {account} }} }}"
        )
    else:
        name = draw(st.sampled_from(["", "Named"]))
        root = f"query {name} {{ account {account} }}"
    return " ".join([root, *doc.fragments])


# Each turns a valid document into one that validation must refuse.
CORRUPTIONS = (
    lambda d: d.replace("account {", "account { noSuchField", 1),
    lambda d: d.replace("account {", "account { id { id }", 1),
    lambda d: d.replace("account {", "account { avatar", 1),
    lambda d: d.replace("account {", "account { ... on Movie { id }", 1),
    lambda d: d.replace("account {", "account { same: id same: name", 1),
    lambda d: d.replace("account {", "account { favorites { page }", 1),
    lambda d: d.replace(
        "account {", "account { favorites(mediaType: $nope) { page }", 1
    ),
    lambda d: d.replace("account {", "account { ...Undefined", 1),
    lambda d: d.replace(
        "account {", "account { " + " ".join(f"a{i}: id" for i in range(40)), 1
    ),
    lambda d: d + " fragment A on Account { ...B } fragment B on Account { ...A }",
    lambda d: (
        d
        + ' query Deep { __type(name: "Media") { '
        + "possibleTypes { interfaces { " * 6
        + "name"
        + " } }" * 6
        + " } }"
    ),
    lambda d: d[: len(d) // 2],
)


@FUZZ
@given(document=documents())
def test_valid_query_shapes_answer_without_errors(live: Live, document: str) -> None:
    body, _ = post_graphql(live, document)
    assert "errors" not in body, (document, body)


@FUZZ
@given(document=documents(), corrupt=st.sampled_from(CORRUPTIONS))
def test_invalid_query_shapes_are_refused_before_any_upstream_call(
    live: Live, document: str, corrupt: Any
) -> None:
    broken = corrupt(document)
    body, calls = post_graphql(live, broken)
    assert set(codes(body)) == {"BAD_USER_INPUT"}, (broken, body)
    assert all("path" not in error for error in body["errors"]), body
    assert calls == {}, (broken, calls)


# Pathological shapes (harness/hostile_documents.py), at sizes from harmless to
# far past the limits, each with whether the default limits refuse it.
CONNECTIONS = "c{}: watchlistConnection(mediaType: TV, first: 100) {{ totalCount }}"
HOSTILE_SHAPES = st.one_of(
    st.integers(1, 190).map(lambda n: (hostile.nested_fragments(n), 1 + 2**n > 50)),
    st.integers(1, 190).map(
        lambda n: (hostile.nested_fragments(n, leaf="a: id"), 2**n > 30)
    ),
    st.tuples(st.integers(1, 8), st.integers(1, 40)).map(
        lambda s: (hostile.wide_fragments(*s), 1 + s[1] ** s[0] > 50)
    ),
    st.integers(1, 150).map(lambda n: (hostile.fragment_cycle(n), True)),
    st.integers(1, 1_990).map(lambda n: (hostile.many_same_fields(n), n > 50)),
    st.integers(1, 700).map(lambda n: (hostile.many_aliases(n), n > 30)),
    st.integers(1, 190).map(lambda n: (hostile.deep_list_type(n), True)),
    st.integers(1, 199).map(lambda n: (hostile.deep_selection(n), n > 1)),
    st.integers(1, 190).map(lambda n: (hostile.deep_of_type(n), n > 10)),
    st.integers(1, 12).map(
        lambda n: (
            "{ account { " + " ".join(CONNECTIONS.format(i) for i in range(n)) + " } }",
            1 + 7 * n > 50,
        )
    ),
)


@FUZZ
@given(shape=HOSTILE_SHAPES)
def test_hostile_shapes_are_refused_before_any_upstream_call(
    live: Live, shape: tuple[str, bool]
) -> None:
    document, refused = shape
    body, calls = post_graphql(live, document)
    if refused:
        assert set(codes(body)) == {"BAD_USER_INPUT"}, (document[:200], body)
        assert calls == {}, (document[:200], calls)
    else:
        assert "errors" not in body and body["data"], (document[:200], body)


@FUZZ
@given(document=documents(), corrupt=st.sampled_from(CORRUPTIONS))
def test_a_closed_schema_refuses_every_invalid_shape_alike(
    closed_live: Live, document: str, corrupt: Any
) -> None:
    broken = corrupt(document)
    body, calls = post_graphql(closed_live, broken)
    (error,) = body["errors"]
    if error["extensions"]["reason"] != "GRAPHQL_PARSE_FAILED":
        assert error == {"message": CLOSED_MESSAGES[REFUSED], "extensions": CLOSED}
    assert calls == {}, (broken, calls)


def test_an_unknown_fragment_is_bad_user_input(live: Live) -> None:
    body, _ = post_graphql(live, "{ account { ...Undefined } }")
    assert codes(body) == ["BAD_USER_INPUT"], body


# --- raw requests ----------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
QUERIES = st.one_of(
    documents(),
    st.text(max_size=60),
    st.sampled_from(["{ account { id } }", "query A { account { id } }", "{", ""]),
)
PAYLOADS = st.fixed_dictionaries(
    {},
    optional={
        "query": QUERIES | JSON_VALUES,
        "variables": st.dictionaries(st.text(max_size=5), JSON_VALUES) | JSON_VALUES,
        "operationName": st.sampled_from(["A", "B", ""]) | JSON_VALUES,
        "extensions": JSON_VALUES,
    },
)
BODIES = st.one_of(
    PAYLOADS.map(lambda v: json.dumps(v).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=80).map(str.encode),
    st.binary(max_size=80),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
CONTENT_TYPES = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/graphql-response+json",
            "application/graphql",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            None,
        ]
    )
    | HEADER_TEXT
)
ACCEPTS = st.sampled_from(
    ["application/json", "application/graphql-response+json", "*/*", "text/html"]
)
GET_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "query": QUERIES,
        "variables": JSON_VALUES.map(json.dumps) | st.text(max_size=10),
        "operationName": st.text(max_size=5),
    },
)


@FUZZ
@given(
    method=st.sampled_from(["POST", "POST", "POST", "PUT", "DELETE", "PATCH"]),
    body=BODIES,
    content_type=CONTENT_TYPES,
    accept=ACCEPTS,
)
def test_any_request_body_gets_a_bounded_answer(
    live: Live, method: str, body: bytes, content_type: str | None, accept: str
) -> None:
    headers = {"Accept": accept}
    if content_type is not None:
        headers["Content-Type"] = content_type
    reply, _ = live.send(method, data=body, headers=headers)
    check_reply(reply, body.decode(errors="replace"))


@FUZZ
@given(params=GET_PARAMS, accept=ACCEPTS)
def test_any_get_request_gets_a_bounded_answer(
    live: Live, params: dict[str, str], accept: str
) -> None:
    reply, calls = live.send("GET", params=params, headers={"Accept": accept})
    body = check_reply(reply, json.dumps(params))
    if body is not None and "mutation" in params.get("query", ""):
        assert not any(key in calls for key in WRITE_CALLS), (params, calls)


@pytest.mark.parametrize("body", [b'"hello"', b"3", b"true", b"null"])
def test_a_json_body_that_is_not_an_object_is_a_client_error(
    live: Live, body: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    reply, _ = live.send("POST", data=body, headers=headers)
    assert reply.status < 500, reply


def test_a_json_body_that_is_not_utf8_is_a_client_error(live: Live) -> None:
    headers = {"Content-Type": "application/json"}
    reply, _ = live.send("POST", data=b'{"query": "\xff"}', headers=headers)
    assert reply.status < 500, reply
