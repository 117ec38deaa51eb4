"""The receipts path: track emergency messages until acknowledged or expired.

Every emergency message sent is tracked here and stored, so a restart loses
nothing. While a receipt is open it is polled, slower as it ages; with nothing
open there is no timer and no call. A change fires a Home Assistant event that
automations can trigger on; the entities follow the tracker itself
(`async_add_listener`, `async_add_close_listener`), so that an event fired by
anyone else on the bus changes none of them.

A receipt is tracked the moment Pushover's answer comes (a cancel right after
the send finds it); its file is written in a task of the entry, one write
after another, and an unload waits for the writes.

Every read, whoever asks for it (the poll timer, an acknowledgement callback,
a refused cancel), obeys one rule: a receipt is read at most once every
5 seconds, as Pushover asks, and a request that comes while its read is in
flight or too soon after the last one joins the single read made when the
5 seconds are up. Reads run one at a time in a task of the config entry, so
they never hold both of Pushover's two connections and cannot delay a send.
"""

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
import logging
from pathlib import Path
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
import homeassistant.util.dt as dt_util

from .api import (
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverError,
    PushoverInvalidRequestError,
    ReceiptStatus,
)
from .const import (
    DOMAIN,
    EVENT_ACKNOWLEDGED,
    EVENT_CANCELLED,
    EVENT_EXPIRED,
    RECEIPT_POLL_MIN,
)
from .data import PushoverConfigEntry
from .errors import translated
from .receipts_model import EmergencyState, TrackedReceipt
from .receipts_store import ReceiptStore
from .recipients import Recipient

_LOGGER = logging.getLogger(__name__)

EVENT_OF_STATE: Final = {
    EmergencyState.ACKNOWLEDGED: EVENT_ACKNOWLEDGED,
    EmergencyState.EXPIRED: EVENT_EXPIRED,
    EmergencyState.CANCELLED: EVENT_CANCELLED,
}


class ReceiptTracker:
    """Tracks the open emergency messages of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        recipients: Sequence[Recipient],
    ) -> None:
        """Bind the tracker to its entry's client and recipients."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._recipients = list(recipients)
        # Who acknowledged: a recipient's name, else the key Pushover reports.
        self._names = {recipient.user_key: recipient.name for recipient in recipients}
        self._store = ReceiptStore(hass, entry.entry_id)
        self._open: list[TrackedReceipt] = []
        self._last: TrackedReceipt | None = None
        # Changes not yet on disk: receipts to write, receipts to delete.
        self._new: list[TrackedReceipt] = []
        self._closed: list[TrackedReceipt] = []
        self._writing = asyncio.Lock()
        self.unreadable: dict[Path, str] = {}
        # Receipts a callback or an action asked to read, each once: a flood
        # of requests for one receipt is one entry here, and only open
        # receipts get one, so this never outgrows the open list.
        self._asked: dict[str, TrackedReceipt] = {}
        self._reader: asyncio.Task[None] | None = None
        # Every answer of the last 5 seconds, by receipt, and when it came:
        # asked again sooner, a receipt is answered from here (see the module).
        self._recent: dict[str, tuple[datetime, ReceiptStatus]] = {}
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._unloaded = False
        self._listeners: list[CALLBACK_TYPE] = []
        self._close_listeners: list[Callable[[TrackedReceipt], None]] = []
        self._track_listeners: list[Callable[[TrackedReceipt], None]] = []

    @property
    def open(self) -> list[TrackedReceipt]:
        """Return the receipts still pending, oldest first."""
        return list(self._open)

    @property
    def directory(self) -> Path:
        """Return where the tracked receipts' files are kept."""
        return self._store.directory

    @property
    def last(self) -> TrackedReceipt | None:
        """Return the most recent emergency message, open or not."""
        return self._last

    async def async_load(self) -> None:
        """Restore the tracked receipts and resume polling.

        Raises OSError when the receipts' folder cannot be read at all.
        """
        stored = await self._store.async_load(self._recipients)
        self._open, self._last = stored.open, stored.last
        self.unreadable = stored.set_aside
        self._schedule()

    @callback
    def async_unload(self) -> None:
        """Stop polling, and write what changed; the store keeps what is open.

        The write is a task of the entry, which the unload waits for. A read
        in flight belongs to the entry's reader task, which the entry
        cancels; the next tracker reads that receipt again itself.
        """
        self._unloaded = True
        self._cancel_timer()
        self._save()

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update_callback` whenever receipts are added or change.

        Returns the function that stops the calls.
        """
        self._listeners.append(update_callback)
        return lambda: self._listeners.remove(update_callback)

    @callback
    def async_add_close_listener(
        self, close_callback: Callable[[TrackedReceipt], None]
    ) -> CALLBACK_TYPE:
        """Call `close_callback` with each receipt that closes, as it closes.

        Returns the function that stops the calls.
        """
        self._close_listeners.append(close_callback)
        return lambda: self._close_listeners.remove(close_callback)

    @callback
    def async_add_track_listener(
        self, track_callback: Callable[[TrackedReceipt], None]
    ) -> CALLBACK_TYPE:
        """Call `track_callback` with each receipt whose tracking starts.

        Returns the function that stops the calls.
        """
        self._track_listeners.append(track_callback)
        return lambda: self._track_listeners.remove(track_callback)

    @callback
    def async_track(
        self,
        receipt: str,
        message: Message,
        recipient_ids: Sequence[str],
        recipient_names: Sequence[str],
        *,
        uses_callback: bool,
    ) -> None:
        """Start tracking an emergency message Pushover accepted, from now on."""
        if self._unloaded:
            # A send that was in flight while the entry unloaded: the next
            # load has read the store already, and would never see it.
            _LOGGER.warning(
                "Emergency message %s was accepted while the entry unloaded; "
                "it is not followed: no event will say how it ends",
                receipt,
            )
            return
        now = dt_util.utcnow()
        tracked = TrackedReceipt(
            receipt=receipt,
            title=message.readable_title,
            tags=list(message.tags),
            recipient_ids=list(recipient_ids),
            recipient_names=list(recipient_names),
            sent_at=now,
            expires_at=now + timedelta(seconds=message.expire or 0),
            uses_callback=uses_callback,
            changed_at=now,
        )
        self._open.append(tracked)
        self._last = tracked
        self._new.append(tracked)
        for track_callback in list(self._track_listeners):
            track_callback(tracked)
        self._changed()

    @callback
    def async_request_read(self, receipt: str) -> bool:
        """Ask for a read of a receipt, as a callback does; return whether it is open.

        Returns at once: the read follows the rule of every read (see the
        module), in the entry's reader task. Callbacks are unsigned, so
        nothing changes until Pushover's answer says so; a receipt that is not
        open here costs nothing.
        """
        tracked = self._find(receipt)
        if tracked is None:
            return False
        self._ask(tracked)
        return True

    async def async_cancel(self, receipt: str) -> None:
        """Stop an emergency message's retries."""
        tracked = self._find(receipt)
        if tracked is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_receipt",
                translation_placeholders={"receipt": receipt},
            )
        try:
            await self._client.cancel_receipt(receipt)
        except PushoverInvalidRequestError as err:
            # Pushover refuses to cancel a receipt it has forgotten: reading
            # it learns how it ended, so it does not stay open here for ever.
            self._ask(tracked)
            raise translated(err, "receipt") from err
        except PushoverError as err:
            raise translated(err, "receipt") from err
        self._close(tracked, EmergencyState.CANCELLED, dt_util.utcnow())
        self._changed()

    async def async_cancel_by_tag(self, tag: str) -> int:
        """Cancel every open emergency message with a tag; return how many."""
        try:
            cancelled = await self._client.cancel_by_tag(tag)
        except PushoverError as err:
            raise translated(err, "receipt") from err
        now = dt_util.utcnow()
        for tracked in [item for item in self._open if tag in item.tags]:
            self._close(tracked, EmergencyState.CANCELLED, now)
        self._changed()
        return cancelled

    async def async_status(self, receipt: str) -> dict[str, Any]:
        """Return a receipt's status: read within 5 seconds, or Pushover's answer.

        Any receipt of the application can be asked for, followed here or
        not (closed, or sent elsewhere). An answer that closes a receipt
        followed here closes it here too, with its event.
        """
        now = dt_util.utcnow()
        self._forget_old_answers(now)
        if (recent := self._recent.get(receipt)) is not None:
            return self._describe(receipt, recent[1])
        tracked = self._find(receipt)
        if tracked is not None:
            # This read is the poll's too: the reader waits 5 seconds now.
            tracked.polled_at = now
            self._asked.pop(receipt, None)
        try:
            status = await self._client.receipt(receipt)
        except PushoverAuthenticationError as err:
            raise translated(err, "receipt") from err
        except PushoverInvalidRequestError as err:
            if tracked is not None:
                # As for a refused cancel: the reader learns how it ended.
                self._ask(tracked)
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="receipt_not_found",
                translation_placeholders={"receipt": receipt},
            ) from err
        except PushoverError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="receipt_read_failed",
                translation_placeholders={"receipt": receipt, "error": str(err)},
            ) from err
        self._remember(receipt, now, status)
        if tracked is not None and self._apply(tracked, status):
            self._changed()
        return self._describe(receipt, status)

    def _remember(self, receipt: str, now: datetime, status: ReceiptStatus) -> None:
        """Keep an answer for 5 seconds; older ones go, so few are ever kept."""
        self._forget_old_answers(now)
        self._recent[receipt] = (now, status)

    def _forget_old_answers(self, now: datetime) -> None:
        self._recent = {
            key: read
            for key, read in self._recent.items()
            if now - read[0] < RECEIPT_POLL_MIN
        }

    def _describe(self, receipt: str, status: ReceiptStatus) -> dict[str, Any]:
        """Describe a status for an action's response, naming no user key."""
        acknowledged_by = None
        if status.acknowledged_by is not None:
            # A key that is no recipient's (a group's member) is a secret.
            name = self._names.get(status.acknowledged_by, status.acknowledged_by)
            acknowledged_by = None if name == status.acknowledged_by else name
        return {
            "receipt": receipt,
            "followed": self._find(receipt) is not None,
            "acknowledged": status.acknowledged,
            "acknowledged_at": _iso(status.acknowledged_at),
            "acknowledged_by": acknowledged_by,
            "acknowledged_by_device": status.acknowledged_by_device,
            "last_delivered_at": _iso(status.last_delivered_at),
            "expired": status.expired,
            "expires_at": _iso(status.expires_at),
            "called_back": status.called_back,
            "called_back_at": _iso(status.called_back_at),
        }

    def _find(self, receipt: str) -> TrackedReceipt | None:
        return next((item for item in self._open if item.receipt == receipt), None)

    @callback
    def _ask(self, tracked: TrackedReceipt) -> None:
        """Queue a read of an open receipt, unless one is queued already."""
        if tracked.receipt in self._asked:
            return
        _LOGGER.debug("Receipt %s is to be read", tracked.receipt)
        self._asked[tracked.receipt] = tracked
        self._schedule()

    def _due(self, tracked: TrackedReceipt) -> datetime:
        """Return when a receipt may be read next: asked for, or its poll."""
        soonest = (
            tracked.polled_at + RECEIPT_POLL_MIN
            if tracked.polled_at is not None
            else tracked.sent_at
        )
        if tracked.receipt in self._asked:
            return soonest
        return max(tracked.next_poll(), soonest)

    def _due_now(self) -> list[TrackedReceipt]:
        """Return the receipts to read now, those asked for first."""
        now = dt_util.utcnow()
        due = [item for item in self._open if self._due(item) <= now]
        return sorted(due, key=lambda item: item.receipt not in self._asked)

    def _asked_ready(self) -> bool:
        """Tell whether a receipt asked for may be read now."""
        now = dt_util.utcnow()
        return any(self._due(item) <= now for item in self._asked.values())

    @callback
    def _schedule(self) -> None:
        """Start the reader if a receipt is due, else set the timer for the next."""
        self._cancel_timer()
        if self._unloaded or self._reader is not None or not self._open:
            # A running reader plans the next read itself when it ends.
            return
        due = min(self._due(item) for item in self._open)
        delay = (due - dt_util.utcnow()).total_seconds()
        if delay > 0:
            self._unsub_timer = async_call_later(self._hass, delay, self._async_on_due)
        else:
            self._start_reader()

    @callback
    def _async_on_due(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._start_reader()

    @callback
    def _start_reader(self) -> None:
        task = self._entry.async_create_background_task(
            self._hass,
            self._async_read_due(),
            f"{DOMAIN} receipts {self._entry.entry_id}",
        )
        # Started eagerly, it may have ended already (nothing to read).
        if not task.done():
            self._reader = task

    async def _async_read_due(self) -> None:
        """Read the due receipts one at a time, then plan the next read.

        One read at a time leaves the second of Pushover's two connections
        to sends, however many receipts are due or asked for.
        """
        try:
            closed = False
            while due := self._due_now():
                for tracked in due:
                    closed |= await self._async_read(tracked)
                    if self._asked_ready():
                        # A callback waits: its read goes before the rest.
                        break
            if closed:
                self._notify()
                self._save()
        finally:
            # Also after a cancel (the entry unloads: nothing is planned) or
            # a bug, so that polling goes on.
            self._reader = None
            self._schedule()

    async def _async_read(self, tracked: TrackedReceipt) -> bool:
        """Read one receipt, unless closed meanwhile; return whether it closed."""
        if tracked.state is not EmergencyState.PENDING:
            # Cancelled while the reader was busy with another.
            return False
        now = dt_util.utcnow()
        self._asked.pop(tracked.receipt, None)
        tracked.polled_at = now
        try:
            status = await self._client.receipt(tracked.receipt)
        except PushoverInvalidRequestError:
            # Pushover forgets receipts a week after they end; one it does not
            # know before its expiry was never its, or was lost: not expired.
            if now >= tracked.expires_at:
                return self._close(tracked, EmergencyState.EXPIRED, now)
            _LOGGER.debug(
                "Pushover does not know receipt %s before its expiry; "
                "it is no longer followed",
                tracked.receipt,
            )
            return self._close(tracked, EmergencyState.UNKNOWN, now)
        except PushoverError as err:
            _LOGGER.debug("Receipt %s not read: %s", tracked.receipt, err)
            return False
        self._remember(tracked.receipt, now, status)
        return self._apply(tracked, status)

    def _apply(self, tracked: TrackedReceipt, status: ReceiptStatus) -> bool:
        """Take Pushover's answer; return whether it closed the receipt."""
        if tracked.state is not EmergencyState.PENDING:
            # Cancelled while its read was in flight: the cancel stands.
            return False
        if status.acknowledged:
            tracked.acknowledged_by = (
                self._names.get(status.acknowledged_by, status.acknowledged_by)
                if status.acknowledged_by
                else None
            )
            tracked.acknowledged_by_device = status.acknowledged_by_device
            return self._close(
                tracked,
                EmergencyState.ACKNOWLEDGED,
                status.acknowledged_at or dt_util.utcnow(),
            )
        if status.expired:
            return self._close(
                tracked, EmergencyState.EXPIRED, status.expires_at or tracked.expires_at
            )
        return False

    def _close(
        self, tracked: TrackedReceipt, state: EmergencyState, at: datetime
    ) -> bool:
        """Close an open receipt and fire its event; return whether it was open."""
        if tracked.state is not EmergencyState.PENDING:
            # Closed by a read while its cancel was in flight, or the reverse.
            return False
        tracked.state = state
        tracked.changed_at = at
        self._open.remove(tracked)
        self._closed.append(tracked)
        self._asked.pop(tracked.receipt, None)
        if (event := EVENT_OF_STATE.get(state)) is not None:
            self._hass.bus.async_fire(
                event, {"entry_id": self._entry.entry_id, **tracked.event_data()}
            )
        for close_callback in list(self._close_listeners):
            close_callback(tracked)
        _LOGGER.debug("Emergency %s is %s", tracked.receipt, state)
        return True

    @callback
    def _changed(self) -> None:
        self._schedule()
        self._notify()
        self._save()

    @callback
    def _notify(self) -> None:
        for update_callback in list(self._listeners):
            update_callback()

    @callback
    def _save(self) -> None:
        """Put the changes on disk, in a task of the entry: an unload waits for it."""
        new, self._new = self._new, []
        closed, self._closed = self._closed, []
        if not new and not closed:
            return
        last = self._last if self._last in new or self._last in closed else None
        self._entry.async_create_task(
            self._hass,
            self._async_write(
                [item for item in new if item in self._open], closed, last
            ),
            f"{DOMAIN} receipts save {self._entry.entry_id}",
        )

    async def _async_write(
        self,
        new: list[TrackedReceipt],
        closed: list[TrackedReceipt],
        last: TrackedReceipt | None,
    ) -> None:
        """Write one change after the other.

        A receipt's deletion must never be overtaken by the earlier write of
        its file. A receipt Pushover accepted is tracked whether or not its
        file can be written: the message was sent. Only a restart before the
        disk takes it again forgets it, and the log says so.
        """
        async with self._writing:
            try:
                await self._store.async_save(new, closed, last)
            except OSError as err:
                _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                    "Cannot store the tracked emergency messages in %s (%s); "
                    "they are tracked until Home Assistant stops",
                    self._store.directory,
                    err,
                )

    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
