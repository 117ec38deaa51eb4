"""An inbox's push connection: Pushover's WebSocket, its frames and reconnects.

The inbox keeps one WebSocket open to Pushover's push server, on Home
Assistant's shared session, and logs in with `login:<device id>:<secret>`.
Each frame is one byte:

- `#` keep-alive. None for PUSH_WATCHDOG (three intervals) means the
  connection died without closing: it is dropped and made again.
- `!` new messages: the sync (`inbox_sync.py`) downloads, delivers and
  deletes them. A sync also runs after every login, so what arrived while
  the inbox was not connected (Home Assistant stopped, the network down) is
  delivered before anything new, and once more at the first frame: the
  server takes the login on the socket while the download goes over HTTP,
  and a message that lands between the two gets no `!`.
- `R` reconnect: at once.
- `E` a permanent error: the inbox stops for good. One download tells why:
  a refused secret (or anything else) starts reauthentication, a device that
  may no longer receive asks for the Desktop licence; a repair notice says
  which.
- `A` the device logged in from another session: it stops, with a notice.

A lost connection is made again after 5 s, doubling up to 5 minutes, with
jitter; the log says so once per outage and once when the inbox is back.
The connection and the syncs run in two tasks of the config entry; an unload
closes the socket and ends both.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from enum import Enum, auto
import logging
from typing import Final

import aiohttp
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import LicenceRequiredError, PushoverError
from .const import PUSH_CONNECT_TIMEOUT_SECONDS, PUSH_WATCHDOG
from .data import InboxConfigEntry
from .inbox_repair import async_report_stop
from .inbox_sync import Credentials, InboxSync, Stop
from .outbox_retry import backoff

_LOGGER = logging.getLogger(__name__)

KEEP_ALIVE: Final = b"#"
NEW_MESSAGE: Final = b"!"
_CLOSE_TIMEOUT: Final = 5.0


class _Ending(Enum):
    """How one connection ended."""

    LOST = auto()
    RELOAD = auto()
    ERROR = auto()
    ELSEWHERE = auto()


_ENDINGS: Final = {
    b"R": _Ending.RELOAD,
    b"E": _Ending.ERROR,
    b"A": _Ending.ELSEWHERE,
}


class Inbox:
    """Receives one inbox entry's messages while the entry is loaded."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: InboxConfigEntry,
        sync: InboxSync,
        *,
        push_url: str,
        credentials: Credentials,
    ) -> None:
        """Bind the connection; nothing runs before `async_start`."""
        self._hass = hass
        self._entry = entry
        self._session = async_get_clientsession(hass)
        self._push_url = push_url
        self._credentials = credentials
        self._sync = sync
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._failures = 0
        self._outage = False
        self.connected = False
        self.stopped: Stop | None = None
        self.connections = 0
        self._listeners: list[Callable[[], None]] = []

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` whenever the connection comes or goes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_start(self, _hass: HomeAssistant) -> None:
        """Start syncing and connecting, in tasks of the entry (once started)."""
        self._tasks = [
            self._entry.async_create_background_task(
                self._hass, self._async_sync(), "pushover_plus inbox sync"
            ),
            self._entry.async_create_background_task(
                self._hass, self._async_run(), "pushover_plus inbox connection"
            ),
        ]

    async def async_close(self) -> None:
        """Close the socket (the entry unloads); its tasks end with it."""
        self._stop_tasks()
        if self._socket is not None:
            await self._socket.close()

    async def _async_sync(self) -> None:
        """Sync when asked; stop the inbox when its credentials stop working."""
        self._stop_for_good(await self._sync.async_run())

    async def _async_run(self) -> None:
        """Connect, and connect again, until the inbox stops for good."""
        while True:
            ending = await self._async_connection()
            self._set_connected(connected=False)
            match ending:
                case _Ending.RELOAD:
                    _LOGGER.debug("%s: Pushover asked to reconnect", self._entry.title)
                case _Ending.ERROR:
                    self._stop_for_good(await self._async_why_refused())
                    return
                case _Ending.ELSEWHERE:
                    self._stop_for_good(Stop.ELSEWHERE)
                    return
                case _Ending.LOST:
                    await asyncio.sleep(self._next_wait().total_seconds())

    async def _async_connection(self) -> _Ending:
        """Open the socket, log in, sync, then read frames until it ends."""
        try:
            async with asyncio.timeout(PUSH_CONNECT_TIMEOUT_SECONDS):
                socket = await self._session.ws_connect(
                    self._push_url,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                    autoclose=True,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            return self._lost(f"cannot connect: {type(err).__name__}")
        self._socket = socket
        try:
            await socket.send_str(
                f"login:{self._credentials.device_id}:{self._credentials.secret}\n"
            )
            self.connections += 1
            self._set_connected(connected=True)
            # What arrived while the inbox was away comes first.
            self._sync.request()
            return await self._async_read(socket)
        except (aiohttp.ClientError, OSError) as err:
            return self._lost(f"connection failed: {type(err).__name__}")
        finally:
            self._socket = None
            await socket.close()

    async def _async_read(self, socket: aiohttp.ClientWebSocketResponse) -> _Ending:
        """Handle frames until one ends the connection, or none comes in time."""
        first = True
        while True:
            try:
                message = await socket.receive(timeout=PUSH_WATCHDOG.total_seconds())
            except TimeoutError:
                return self._lost(
                    f"no keep-alive for {PUSH_WATCHDOG.total_seconds():.0f} s"
                )
            if message.type is aiohttp.WSMsgType.BINARY:
                frame: bytes = message.data
            elif message.type is aiohttp.WSMsgType.TEXT:
                frame = str(message.data).encode()
            else:
                return self._lost("the connection closed")
            if (ending := _ENDINGS.get(frame)) is not None:
                return ending
            if frame not in {KEEP_ALIVE, NEW_MESSAGE}:
                _LOGGER.debug(
                    "%s: unknown push frame of %d bytes ignored",
                    self._entry.title,
                    len(frame),
                )
                continue
            self._healthy()
            # The first frame also means the server has the login now: what
            # landed between the login and the first download comes too.
            if frame == NEW_MESSAGE or first:
                self._sync.request()
            first = False

    def _healthy(self) -> None:
        """End the outage, if any: the server speaks after the login."""
        if self._outage:
            _LOGGER.info("%s: connected to Pushover again", self._entry.title)
        self._outage = False
        self._failures = 0

    def _lost(self, reason: str) -> _Ending:
        """Say once per outage that the connection is lost."""
        log = _LOGGER.debug if self._outage else _LOGGER.warning
        log(
            "%s: the push connection to Pushover is lost (%s); reconnecting",
            self._entry.title,
            reason,
        )
        self._outage = True
        return _Ending.LOST

    def _next_wait(self) -> timedelta:
        """Count a failure; return how long to wait before the next try."""
        self._failures += 1
        return backoff(self._failures)

    async def _async_why_refused(self) -> Stop:
        """After an E, ask Pushover why: a licence, or the session."""
        try:
            await self._sync.async_check()
        except LicenceRequiredError:
            return Stop.LICENCE
        except PushoverError:
            # A refused secret, or no answer: either way, log in again.
            pass
        return Stop.SESSION_ENDED

    def _stop_for_good(self, why: Stop) -> None:
        if self.stopped is not None:
            return
        self.stopped = why
        self._stop_tasks()
        self._set_connected(connected=False)
        _LOGGER.warning(
            "%s stopped receiving: %s", self._entry.title, _STOP_REASONS[why]
        )
        async_report_stop(self._hass, self._entry, why)
        if why is Stop.SESSION_ENDED:
            self._entry.async_start_reauth(self._hass)

    def _stop_tasks(self) -> None:
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    def _set_connected(self, *, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        for listener in list(self._listeners):
            listener()


_STOP_REASONS: Final = {
    Stop.SESSION_ENDED: "Pushover ended its session; log in again",
    Stop.LICENCE: "its device needs a Pushover for Desktop licence",
    Stop.ELSEWHERE: "its device logged in from another session",
}
