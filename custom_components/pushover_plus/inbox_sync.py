"""One inbox's downloads: every message delivered exactly once, in order.

A sync downloads what waits at Pushover, delivers the messages above the
highest id delivered so far, writes that id to disk (flushed), and only then
tells Pushover to delete up to it. So:

- nothing is deleted that was not delivered: a message that reaches
  Pushover after the download has a higher id and stays;
- a restart (or a failed delete) between the write and the delete finds the
  messages again at the next download, at or below the stored id: they are
  deleted, not delivered again;
- syncs run one at a time in one task of the entry: a new-message frame
  that comes during a sync asks for one more, however many come.

What is not covered: Home Assistant killed (a power cut, SIGKILL) between
the delivery and the write delivers that batch again at the next start.
A clean stop cannot fall there: the delivery is synchronous and the write
runs as a task of the entry, which its unload waits for.

The credentials are a value (`value.py`), whose repr shows neither of them:
as immutable as a frozen dataclass, and cheaper to create at import.
"""

import asyncio
from enum import StrEnum
import logging
from typing import Final

from homeassistant.core import HomeAssistant

from .api import LicenceRequiredError, PushoverAuthenticationError, PushoverError
from .data import InboxConfigEntry
from .inbox_api import Download, InboxClient
from .inbox_delivery import InboxDelivery
from .inbox_store import InboxState, InboxStore
from .outbox_retry import backoff
from .value import Value

_LOGGER = logging.getLogger(__name__)


class Stop(StrEnum):
    """Why an inbox stopped receiving for good."""

    # The secret is refused, or Pushover sent E: log in again.
    SESSION_ENDED = "session_ended"
    # The device may not receive: no Desktop licence, trial over.
    LICENCE = "licence"
    # The device logged in from another session (A).
    ELSEWHERE = "elsewhere"


class Credentials(Value):
    """What the inbox logs in with: the session secret and its device id."""

    _secret = ("device_id", "secret")
    __slots__ = ("device_id", "secret")
    secret: Final[str]
    device_id: Final[str]

    def __init__(self, secret: str, device_id: str) -> None:
        """Set the fields, by name or in this order (the inbox's setup gives both)."""
        self.secret = secret
        self.device_id = device_id


class InboxSync:
    """Downloads, delivers and deletes for one inbox, one batch at a time."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: InboxConfigEntry,
        client: InboxClient,
        credentials: Credentials,
        *,
        store: InboxStore,
        delivery: InboxDelivery,
    ) -> None:
        """Sync for `entry` with its credentials, store and delivery."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._credentials = credentials
        self._store = store
        self._delivery = delivery
        self._state = InboxState()
        self._saved = InboxState()
        self._wanted = asyncio.Event()
        self._failures = 0
        self.syncs = 0
        self.desktop_licensed: bool | None = None

    @property
    def state(self) -> InboxState:
        """What the inbox remembers: the highest id delivered, the apps seen."""
        return self._state

    async def async_load(self) -> None:
        """Read what the inbox stored before the restart."""
        self._state = await self._store.async_load()
        self._saved = InboxState(
            highest_delivered=self._state.highest_delivered,
            seen_apps=list(self._state.seen_apps),
        )

    async def async_check(self) -> Download:
        """Download once without delivering, to learn whether the credentials work."""
        return await self._client.download(
            self._credentials.secret, self._credentials.device_id
        )

    def request(self) -> None:
        """Ask for a sync: at once if none runs, else right after the one running."""
        self._wanted.set()

    async def async_run(self) -> Stop:
        """Sync whenever asked, until the credentials stop working; say why."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            if (stop := await self._async_sync_or_wait()) is not None:
                return stop

    async def _async_sync_or_wait(self) -> Stop | None:
        """Run one sync; after a failure wait and ask again."""
        try:
            await self._async_sync()
        except PushoverAuthenticationError:
            return Stop.SESSION_ENDED
        except LicenceRequiredError:
            return Stop.LICENCE
        except (PushoverError, OSError) as err:
            self._failures += 1
            delay = backoff(self._failures)
            log = _LOGGER.warning if self._failures == 1 else _LOGGER.debug
            log(
                "%s: the messages waiting at Pushover could not be fetched (%s);"
                " trying again in %.0f s",
                self._entry.title,
                err,
                delay.total_seconds(),
            )
            await asyncio.sleep(delay.total_seconds())
            self._wanted.set()
            return None
        if self._failures:
            _LOGGER.info("%s: the waiting messages were fetched", self._entry.title)
            self._failures = 0
        return None

    async def _async_sync(self) -> None:
        credentials = self._credentials
        download = await self._client.download(
            credentials.secret, credentials.device_id
        )
        self.syncs += 1
        self.desktop_licensed = download.desktop_licensed
        if not download.messages:
            return
        self._delivery.deliver(download.messages, self._state)
        if self._state != self._saved:
            await self._async_save()
        # Everything downloaded is delivered (or was, before a restart), so
        # everything up to the highest id may go: later messages have higher ids.
        await self._client.delete_through(
            credentials.secret, credentials.device_id, self._state.highest_delivered
        )

    async def _async_save(self) -> None:
        """Write the state; a cancelled sync still finishes the write.

        The write is a task of the entry, which an unload waits for: the
        messages just delivered are then on record before Home Assistant stops.
        """
        snapshot = InboxState(
            highest_delivered=self._state.highest_delivered,
            seen_apps=list(self._state.seen_apps),
        )
        write = self._entry.async_create_task(
            self._hass, self._store.async_save(snapshot), "pushover_plus inbox state"
        )
        await asyncio.shield(write)
        self._saved = snapshot
