"""PushoverSimulator: start and stop the server; reach into its state from tests."""

import asyncio
from collections.abc import Callable
import ssl
import time
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from yarl import URL

from .accounts import TEST_DEVICES, TEST_USER_KEY, Group, Subscriber
from .faults import Faults
from .glances import GlanceRecord
from .models import ReceivedMessage, RequestRecord
from .openclient import OpenClient
from .push import KEEP_ALIVE_SECONDS, PUSH_PATH, PushServer
from .quota import DEFAULT_MONTHLY_LIMIT
from .receipts import Receipt
from .server import build_app
from .state import SimulatorState
from .subscribe_page import SUBSCRIBE_PREFIX
from .twofa import twofa_code

_SHUTDOWN_TIMEOUT = 1.0
_CALLBACK_TIMEOUT = 10.0


def _current_time() -> float:
    return time.time()


class PushoverSimulator:
    """A Pushover API simulator served over real HTTP, its state kept in memory.

    Use `base_url = await sim.start()` ... `await sim.stop()`, or
    `async with PushoverSimulator() as sim:` (which starts on 127.0.0.1 with a
    free port unless already started).
    """

    def __init__(
        self,
        *,
        monthly_limit: int = DEFAULT_MONTHLY_LIMIT,
        clock: Callable[[], float] | None = None,
        keep_alive_seconds: float = KEEP_ALIVE_SECONDS,
    ) -> None:
        """Create a stopped simulator; `clock` lets tests move time.

        The default clock looks `time.time` up at each call, so a test that
        freezes or moves time (freezegun) moves the simulator's time too.
        `keep_alive_seconds` is the push server's keep-alive interval, on
        that clock.
        """
        self.state = SimulatorState(
            monthly_limit=monthly_limit, clock=clock or _current_time
        )
        self.push = PushServer(self.state, keep_alive_seconds=keep_alive_seconds)
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._base_url: str | None = None

    async def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> str:
        """Serve on host:port (0 = any free port); return the base URL ending /1/.

        With `ssl_context` the simulator serves HTTPS (the benchmark does).
        """
        if self._runner is not None:
            msg = "the simulator is already running"
            raise RuntimeError(msg)
        runner = web.AppRunner(
            build_app(self.state, self.acknowledge, self.push),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        self._runner = runner
        try:
            self._server = await asyncio.get_running_loop().create_server(
                self._new_connection, host, port, ssl=ssl_context
            )
        except BaseException:
            self._runner = None
            await runner.cleanup()
            raise
        bound_port = self._server.sockets[0].getsockname()[1]
        self._base_url = str(
            URL.build(
                scheme="http" if ssl_context is None else "https",
                host=host,
                port=bound_port,
                path="/1/",
            )
        )
        return self._base_url

    def _new_connection(self) -> RequestHandler:
        """Count an accepted TCP connection and hand it to aiohttp."""
        if self._runner is None or self._runner.server is None:
            msg = "the simulator is not running"
            raise RuntimeError(msg)
        self.state.connections_opened += 1
        return self._runner.server()

    async def stop(self) -> None:
        """Stop serving and close open connections."""
        server, runner = self._server, self._runner
        self._server = self._runner = None
        self._base_url = None
        if server is not None:
            server.close()
        if runner is not None:
            await runner.cleanup()
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> Self:
        """Start on 127.0.0.1 and a free port unless already running."""
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the simulator."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. http://127.0.0.1:41234/1/."""
        if self._base_url is None:
            msg = "the simulator is not running"
            raise RuntimeError(msg)
        return self._base_url

    @property
    def port(self) -> int:
        """The bound TCP port."""
        port = URL(self.base_url).port
        if port is None:  # pragma: no cover - the base URL always has a port
            msg = "the base URL has no port"
            raise RuntimeError(msg)
        return port

    @property
    def root_url(self) -> str:
        """The server root, where the /_sim control API lives."""
        return str(URL(self.base_url).with_path("/"))

    @property
    def push_url(self) -> str:
        """The push WebSocket's URL, e.g. ws://127.0.0.1:41234/push."""
        url = URL(self.base_url)
        scheme = "wss" if url.scheme == "https" else "ws"
        return str(url.with_scheme(scheme).with_path(PUSH_PATH))

    @property
    def open_client(self) -> OpenClient:
        """The Open Client side: sessions, devices and their queues."""
        return self.state.open_client

    def twofa_code(self, email: str) -> str:
        """Return the code an account's authenticator shows now (on the clock).

        Raises KeyError for an account without two-factor authentication.
        """
        key = self.state.directory.logins[email].twofa_key
        if key is None:
            raise KeyError(email)
        return twofa_code(key, self.state.clock())

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Accepted messages, oldest first."""
        return self.state.messages

    @property
    def glances(self) -> list[GlanceRecord]:
        """Accepted glances, oldest first."""
        return self.state.glances.records

    @property
    def groups(self) -> dict[str, Group]:
        """The delivery groups by key, as the Groups API left them."""
        return self.state.directory.groups

    def subscribe_url(
        self, code: str, success: str | None = None, failure: str | None = None
    ) -> str:
        """Return the subscription page's URL with `success` and `failure`."""
        query = {
            name: value
            for name, value in (("success", success), ("failure", failure))
            if value is not None
        }
        url = URL(self.root_url).with_path(SUBSCRIBE_PREFIX + code)
        return str(url.with_query(query))

    def subscribe(
        self, code: str, user: str = TEST_USER_KEY, device: str | None = None
    ) -> Subscriber:
        """Subscribe an account as its subscription page would; return the key.

        Raises SubscriptionError saying why when the code, user or device is
        wrong.
        """
        return self.state.subscriptions.subscribe(code, user, device)

    def unsubscribe(self, key: str) -> None:
        """Delete a subscriber's key, as the user unsubscribing would.

        Raises KeyError for a key no subscriber has.
        """
        if self.state.subscriptions.unsubscribe(key) is None:
            raise KeyError(key)

    def set_encryption_key(self, user: str, key: str | None) -> None:
        """Set (None: remove) an account's end-to-end encryption key."""
        self.state.set_encryption_key(user, key)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request seen (not /_sim ones), oldest first."""
        return self.state.requests

    @property
    def receipts(self) -> dict[str, Receipt]:
        """Emergency receipts by id."""
        return self.state.receipts

    @property
    def faults(self) -> Faults:
        """The switchable faults."""
        return self.state.faults

    @property
    def max_concurrent_requests(self) -> int:
        """The peak number of API requests in flight at once."""
        return self.state.max_concurrent_requests

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since start (or the last reset)."""
        return self.state.connections_opened

    @property
    def remaining(self) -> int:
        """Messages left this month."""
        return self.state.quota.remaining

    def set_remaining(self, remaining: int) -> None:
        """Set the messages left this month (0 makes every send a 429)."""
        self.state.set_remaining(remaining)

    def reset(self) -> None:
        """Forget messages, receipts, requests; refill the quota; clear faults."""
        self.state.reset()

    async def acknowledge(
        self, receipt: str, user: str = TEST_USER_KEY, device: str = TEST_DEVICES[0]
    ) -> Receipt:
        """Acknowledge a receipt as `user` on `device`, then POST its callback.

        Raises ReceiptError when the receipt is unknown or not open, or the user
        or device does not fit. The callback outcome is recorded on the receipt.
        """
        acknowledged = self.state.acknowledge(receipt, user, device)
        if acknowledged.callback is not None:
            await self._call_back(acknowledged)
            self.state.changed()
        return acknowledged

    async def _call_back(self, receipt: Receipt) -> None:
        """POST the documented acknowledgement fields to the receipt's callback."""
        if receipt.callback is None:
            return
        form = {
            "receipt": receipt.receipt,
            "acknowledged": "1",
            "acknowledged_at": str(receipt.acknowledged_at),
            "acknowledged_by": receipt.acknowledged_by,
            "acknowledged_by_device": receipt.acknowledged_by_device,
        }
        timeout = aiohttp.ClientTimeout(total=_CALLBACK_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(receipt.callback, data=form) as response,
            ):
                status = response.status
        except aiohttp.ClientError, TimeoutError:
            status = 0
        receipt.callback_statuses.append(status)
        if 200 <= status < 300:  # noqa: PLR2004 - the 2xx range
            receipt.called_back_at = int(self.state.clock())
