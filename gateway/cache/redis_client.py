"""The connections under aiocache's `RedisCache`: they recover, and know which run of
the server they reach.

aiocache 0.12.3's `RedisBackend` builds its own `redis.asyncio.Redis` around
`connection_pool_class(host=…, port=…, db=…, password=…, decode_responses=False,
socket_connect_timeout=…, max_connections=…, **connection_pool_kwargs)`, and the
pool hands its keyword arguments to every connection it makes. So everything here
reaches the connections through `connection_pool_kwargs()`:

- Recovery is redis-py's own. A command that fails with a `ConnectionError` or
  `TimeoutError` (a pooled connection that a restart, `CLIENT KILL` or an idle
  timeout broke) is retried once, on a fresh connection, after a short random pause
  (`Retry`); a connection idle for `HEALTH_CHECK_INTERVAL` is PINGed before use.
  Only when the retry fails too does the command fail, and the store back off.
- Epochs. Each new connection asks `INFO server` for the server's `run_id`, which
  redis-server draws at random whenever it starts and which no snapshot restores;
  its first `EPOCH_DIGITS` hex digits are the connection's `epoch`, and
  `ServerEpoch` remembers the last one seen. The store builds every key of a
  command for one epoch and runs it inside `expecting(epoch)`; a connection whose
  epoch is another refuses to send it (`EpochChangedError`), before any byte
  leaves. A command therefore only ever reaches the server run it was built for,
  even when redis-py's retry re-sends it on a connection made after a restart.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

#: Hex digits of the run_id kept: 64 random bits tell server runs apart.
EPOCH_DIGITS = 16
#: Seconds a pooled connection may idle before it is PINGed ahead of a command:
#: firewalls and proxies drop idle TCP flows without a word.
HEALTH_CHECK_INTERVAL = 15
#: Before the one retry, a random pause of up to twice this (seconds), so replicas
#: whose connections all broke at once do not reconnect in lockstep.
RETRY_BACKOFF_BASE = 0.01

logger = logging.getLogger(__name__)
_expected: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "expected_redis_epoch", default=None
)


class EpochChangedError(RedisError):
    """A command built for one run of the server met a connection to another run.

    Not a failure of Redis: the server restarted, and the command must be built
    again for the run it now reaches (`found`).
    """

    def __init__(self, expected: str, found: str) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"built for Redis epoch {expected!r}, connected to {found!r}")


class ServerEpoch:
    """The run of the Redis server that connections reached last.

    `current` is "" until the first connection is made, an epoch no connection has,
    so that nothing is trusted before the server's run is known.
    """

    def __init__(self, current: str = "") -> None:
        self.current = current

    def learn(self, epoch: str) -> None:
        """A connection was made to the run `epoch`."""
        if self.current and epoch != self.current:
            logger.warning("Redis restarted; nothing cached before is used again")
        self.current = epoch


@contextlib.contextmanager
def expecting(epoch: str) -> Iterator[None]:
    """Commands sent within go only over connections to the server run `epoch`."""
    token = _expected.set(epoch)
    try:
        yield
    finally:
        _expected.reset(token)


class _EpochConnection(AbstractConnection):
    """A connection that learns its server's epoch when it connects and refuses
    commands built for another."""

    def __init__(self, *, server_epoch: ServerEpoch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server_epoch = server_epoch
        self.epoch = ""

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        self.epoch = ""  # a new socket may reach a new run: unknown until asked
        await super().on_connect_check_health(check_health)
        await self.send_command("INFO", "server", check_health=False)
        self.epoch = _run_id(await self.read_response())[:EPOCH_DIGITS]
        self._server_epoch.learn(self.epoch)

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        if not self.is_connected:
            await self.connect_check_health(check_health=False)
        expected = _expected.get()
        # While connecting, `epoch` is "": the handshake itself is never refused.
        if expected is not None and self.epoch and expected != self.epoch:
            raise EpochChangedError(expected, self.epoch)
        await super().send_packed_command(command, check_health)


class EpochConnection(_EpochConnection, Connection):
    """`_EpochConnection` over TCP."""


class EpochSSLConnection(_EpochConnection, SSLConnection):
    """`_EpochConnection` over TLS (`rediss://`)."""


def connection_pool_kwargs(
    server_epoch: ServerEpoch, *, timeout: float, ssl: bool
) -> dict[str, Any]:
    """What aiocache's `RedisBackend` should pass to its pool, and so to every
    connection: each attempt (connect, or an answer) bounded by `timeout`."""
    return {
        "connection_class": EpochSSLConnection if ssl else EpochConnection,
        "server_epoch": server_epoch,
        "socket_timeout": timeout,
        "retry": Retry(ExponentialWithJitterBackoff(base=RETRY_BACKOFF_BASE), 1),
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        # A BlockingConnectionPool's wait for a free connection: all of them busy
        # is this process's own burst (or a pause of it), not Redis failing, so it
        # gets the whole budget of a command, both attempts.
        "timeout": 2 * timeout,
    }


def _run_id(info: bytes | str) -> str:
    """The `run_id` in the text of `INFO server`."""
    text = info.decode() if isinstance(info, bytes) else info
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == "run_id":
            return value.strip()
    raise RedisError("INFO server named no run_id")
