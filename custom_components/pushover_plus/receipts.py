"""The receipts path: track emergency messages until acknowledged or expired.

Every emergency message sent is tracked here and stored, so a restart loses
nothing. While a receipt is open it is polled, slower as it ages and never
faster than Pushover allows; with nothing open there is no timer and no call.
A change fires a Home Assistant event that automations can trigger on.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import logging
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
import homeassistant.util.dt as dt_util

from .api import (
    Message,
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
    RECEIPT_POLL_AGE_DIVISOR,
    RECEIPT_POLL_MAX,
    RECEIPT_POLL_MIN,
)

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1


class EmergencyState(StrEnum):
    """Where an emergency message stands."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


EVENT_OF_STATE: Final = {
    EmergencyState.ACKNOWLEDGED: EVENT_ACKNOWLEDGED,
    EmergencyState.EXPIRED: EVENT_EXPIRED,
    EmergencyState.CANCELLED: EVENT_CANCELLED,
}


@dataclass(slots=True, kw_only=True)
class TrackedReceipt:
    """An emergency message and what is known of its receipt."""

    receipt: str
    title: str | None
    tags: list[str]
    recipients: list[str]
    sent_at: datetime
    expires_at: datetime
    # True when our webhook was given as the callback: polling can be slow.
    callback: bool
    state: EmergencyState = EmergencyState.PENDING
    acknowledged_by: str | None = None
    acknowledged_by_device: str | None = None
    changed_at: datetime | None = None
    polled_at: datetime | None = None

    def event_data(self) -> dict[str, Any]:
        """Describe the receipt for an event or a sensor's attributes."""
        return {
            "receipt": self.receipt,
            "title": self.title,
            "tags": list(self.tags),
            "recipients": list(self.recipients),
            "state": self.state.value,
            "sent_at": self.sent_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "time": self.changed_at.isoformat() if self.changed_at else None,
        }

    def to_json(self) -> dict[str, Any]:
        """Serialise for the store.

        Written out field by field: every change saves all open receipts, and
        `dataclasses.asdict` (a deep copy) made that ten times slower.
        """
        return {
            "receipt": self.receipt,
            "title": self.title,
            "tags": list(self.tags),
            "recipients": list(self.recipients),
            "sent_at": self.sent_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "callback": self.callback,
            "state": self.state.value,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "changed_at": _isoformat(self.changed_at),
            "polled_at": _isoformat(self.polled_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackedReceipt:
        """Read back what `to_json` wrote."""
        times = {
            key: dt_util.parse_datetime(data[key]) if data.get(key) else None
            for key in ("sent_at", "expires_at", "changed_at", "polled_at")
        }
        return cls(
            **{**data, **times, "state": EmergencyState(data["state"])},
        )

    def next_poll(self) -> datetime:
        """Return when to ask Pushover next: slower as the receipt ages."""
        last = self.polled_at or self.sent_at
        if self.callback:
            interval = RECEIPT_POLL_MAX
        else:
            age = last - self.sent_at
            interval = min(
                max(age / RECEIPT_POLL_AGE_DIVISOR, RECEIPT_POLL_MIN),
                RECEIPT_POLL_MAX,
            )
        regular = last + interval
        # Look once more just after expiry to learn the final state.
        final_look = self.expires_at + RECEIPT_POLL_MIN
        return final_look if last < final_look < regular else regular


@dataclass(slots=True)
class _Stored:
    open: list[TrackedReceipt] = field(default_factory=list)
    last: TrackedReceipt | None = None


class ReceiptTracker:
    """Tracks the open emergency messages of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: PushoverClient,
        name_of: Callable[[str], str],
    ) -> None:
        """Bind the tracker; `name_of` turns a user key into a recipient's name."""
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._name_of = name_of
        self._store = _store(hass, entry_id)
        self._data = _Stored()
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._unloaded = False
        self._listeners: list[Callable[[], None]] = []

    @property
    def open(self) -> list[TrackedReceipt]:
        """Return the receipts still pending, oldest first."""
        return list(self._data.open)

    @property
    def last(self) -> TrackedReceipt | None:
        """Return the most recent emergency message, open or not."""
        return self._data.last

    async def async_load(self) -> None:
        """Restore the tracked receipts and resume polling."""
        stored = await self._store.async_load()
        if stored:
            self._data = _Stored(
                open=[TrackedReceipt.from_json(item) for item in stored["open"]],
                last=TrackedReceipt.from_json(stored["last"])
                if stored.get("last")
                else None,
            )
            # The latest emergency, if still open, must be the open object
            # itself, or closing it would leave `last` pending for ever.
            if self._data.last is not None:
                self._data.last = self._find(self._data.last.receipt) or self._data.last
        self._schedule()

    @callback
    def async_unload(self) -> None:
        """Stop polling; the store keeps what is open."""
        # A read still in flight must not schedule the next poll.
        self._unloaded = True
        self._cancel_timer()

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` whenever a receipt is added or changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_track(
        self,
        receipt: str,
        message: Message,
        recipients: list[str],
        *,
        callback: bool,
    ) -> None:
        """Start tracking an emergency message Pushover accepted."""
        now = dt_util.utcnow()
        tracked = TrackedReceipt(
            receipt=receipt,
            title=message.title,
            tags=list(message.tags),
            recipients=recipients,
            sent_at=now,
            expires_at=now + timedelta(seconds=message.expire or 0),
            callback=callback,
            changed_at=now,
        )
        self._data.open.append(tracked)
        self._data.last = tracked
        await self._async_changed()

    async def async_confirm(self, receipt: str) -> bool:
        """Check a receipt now, as a callback asks; return whether it is ours.

        Callbacks are unsigned, so nothing is believed until Pushover confirms.
        """
        tracked = self._find(receipt)
        if tracked is None:
            return False
        await self._async_poll(tracked)
        if not self._unloaded:
            await self._async_changed()
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
        await self._api_call(self._client.cancel_receipt(receipt))
        self._close(tracked, EmergencyState.CANCELLED, dt_util.utcnow())
        await self._async_changed()

    async def async_cancel_by_tag(self, tag: str) -> int:
        """Cancel every open emergency message with a tag; return how many."""
        cancelled = await self._api_call(self._client.cancel_by_tag(tag))
        now = dt_util.utcnow()
        for tracked in [item for item in self._data.open if tag in item.tags]:
            self._close(tracked, EmergencyState.CANCELLED, now)
        await self._async_changed()
        return cancelled

    def _find(self, receipt: str) -> TrackedReceipt | None:
        return next((item for item in self._data.open if item.receipt == receipt), None)

    async def _api_call[T](self, call: Awaitable[T]) -> T:
        try:
            result = await call
        except PushoverError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="receipt_action_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        return result

    async def _async_poll(self, tracked: TrackedReceipt) -> None:
        now = dt_util.utcnow()
        tracked.polled_at = now
        try:
            status = await self._client.receipt(tracked.receipt)
        except PushoverInvalidRequestError:
            # Pushover forgets receipts a week after they end.
            self._close(tracked, EmergencyState.EXPIRED, now)
            return
        except PushoverError as err:
            _LOGGER.debug("Receipt %s not read: %s", tracked.receipt, err)
            return
        if self._unloaded:
            # Answered after the entry unloaded: a reloaded tracker owns the
            # store now and reads this receipt again itself.
            return
        self._apply(tracked, status)

    def _apply(self, tracked: TrackedReceipt, status: ReceiptStatus) -> None:
        if status.acknowledged:
            tracked.acknowledged_by = (
                self._name_of(status.acknowledged_by)
                if status.acknowledged_by
                else None
            )
            tracked.acknowledged_by_device = status.acknowledged_by_device
            self._close(
                tracked,
                EmergencyState.ACKNOWLEDGED,
                status.acknowledged_at or dt_util.utcnow(),
            )
        elif status.expired:
            self._close(
                tracked, EmergencyState.EXPIRED, status.expires_at or tracked.expires_at
            )

    def _close(
        self, tracked: TrackedReceipt, state: EmergencyState, at: datetime
    ) -> None:
        if tracked not in self._data.open:
            # Closed meanwhile by a concurrent poll, callback or cancel.
            return
        tracked.state = state
        tracked.changed_at = at
        self._data.open.remove(tracked)
        self._hass.bus.async_fire(
            EVENT_OF_STATE[state], {"entry_id": self._entry_id, **tracked.event_data()}
        )
        _LOGGER.debug("Emergency %s is %s", tracked.receipt, state)

    async def _async_changed(self) -> None:
        await self._store.async_save(
            {
                "open": [item.to_json() for item in self._data.open],
                "last": self._data.last.to_json() if self._data.last else None,
            }
        )
        for listener in list(self._listeners):
            listener()
        self._schedule()

    def _schedule(self) -> None:
        self._cancel_timer()
        if not self._data.open or self._unloaded:
            return
        due = min(item.next_poll() for item in self._data.open)
        delay = max((due - dt_util.utcnow()).total_seconds(), 0)
        self._unsub_timer = async_call_later(self._hass, delay, self._async_poll_due)

    async def _async_poll_due(self, _now: datetime) -> None:
        self._unsub_timer = None
        now = dt_util.utcnow()
        still_open = len(self._data.open)
        for tracked in [item for item in self._data.open if item.next_poll() <= now]:
            await self._async_poll(tracked)
        if self._unloaded:
            return
        if len(self._data.open) == still_open:
            # Nothing changed: only the poll times, which need not be stored.
            self._schedule()
            return
        await self._async_changed()

    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None


def _isoformat(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.receipts.{entry_id}", private=True)


async def async_remove_receipts(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored receipts of a removed entry."""
    await _store(hass, entry_id).async_remove()
