"""Glance delivery: the latest glance per widget, one update per recipient in 20 min.

Pushover asks senders to keep a user's glance updates at least 20 minutes
apart (watchOS stops taking them otherwise) and does not throttle itself. So
the queue does:

- a glance for a recipient whose last update is 20 minutes old or more goes
  at once; a newer one waits for its turn, replacing any glance that waited
  for the same widget (recipient and device): only the latest is ever sent;
- `force` sends at once, whatever the time since the last update;
- a glance equal to what the widget shows already is not sent, and drops
  the glance that waited for that widget;
- when Pushover cannot take it (5xx, no answer, a refused token, the quota),
  the glance waits like a queued message, with the outbox's back-off (at
  least 5 s, doubling to 5 minutes), until the reset for the quota, and until
  a new token for a refused one. After an outage each widget gets its latest
  glance once: never a burst;
- a glance Pushover refuses (4xx) is not retried; the refused call counts as
  an update for the 20 minutes, so that a bound glance cannot make Pushover
  answer 4xx again and again.

An action's glance is on disk before the action answers (`glance_store.py`);
a bound glance is not stored, as its binding renders it again at the next
start. Recipients take turns: one API call per recipient every 20 minutes,
whichever of its widgets is due first.

A glance's outcome is a value (`value.py`) rather than a dataclass: as
immutable, and cheaper to create when the module is imported, at every start.
"""

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
import logging
from pathlib import Path
from typing import Any, Final, Literal

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time
import homeassistant.util.dt as dt_util

from .api import (
    Glance,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
)
from .const import DOMAIN, GLANCE_MIN_INTERVAL, RETRY_MAX
from .data import PushoverConfigEntry
from .glance_store import GlanceStore, PendingGlance, WidgetKey, WidgetState
from .outbox_retry import RetryTimer
from .recipients import Recipient
from .value import Value

_LOGGER = logging.getLogger(__name__)

type GlanceStatus = Literal["sent", "pending", "unchanged"]
# Why a glance waits: its recipient's last update is under 20 minutes old,
# or Pushover cannot take it now.
type WaitReason = Literal[
    "rate_limited", "pushover_unreachable", "token_refused", "quota_used_up"
]


class GlanceOutcome(Value):
    """What became of one recipient's glance."""

    __slots__ = ("device", "reason", "recipient", "request_id", "send_at", "status")
    recipient: Final[str]
    device: Final[str | None]
    status: Final[GlanceStatus]
    request_id: Final[str | None]
    # When a pending glance is due, if it waits for its turn (not for Pushover).
    send_at: Final[datetime | None]
    reason: Final[WaitReason | None]

    def __init__(
        self,
        *,
        recipient: str,
        device: str | None,
        status: GlanceStatus,
        request_id: str | None = None,
        send_at: datetime | None = None,
        reason: WaitReason | None = None,
    ) -> None:
        """Set the fields, each given by name."""
        self.recipient = recipient
        self.device = device
        self.status = status
        self.request_id = request_id
        self.send_at = send_at
        self.reason = reason

    def as_response(self) -> dict[str, Any]:
        """Describe the outcome for the action's response."""
        return {
            "recipient": self.recipient,
            "device": self.device,
            "status": self.status,
            "request_id": self.request_id,
            "send_at": self.send_at.isoformat() if self.send_at else None,
            "reason": self.reason,
        }


class GlanceRefusedError(Exception):
    """Pushover refused a recipient's glance (4xx): fixing it is the caller's part."""

    def __init__(self, recipient: str, refusal: PushoverInvalidRequestError) -> None:
        """Keep the recipient's name and Pushover's refusal."""
        super().__init__(f"{recipient}: {refusal}")
        self.recipient = recipient
        self.refusal = refusal


class GlanceQueue:
    """Sends one entry's glances, the latest per widget, spaced per recipient."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        recipients: Sequence[Recipient],
    ) -> None:
        """Bind the queue to an entry; nothing is read until `async_load`."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._recipients = {recipient.id: recipient for recipient in recipients}
        self._store = GlanceStore(hass, entry.entry_id)
        self._widgets: dict[WidgetKey, WidgetState] = {}
        # Recipients whose glances.json call is in flight.
        self._calling: set[str] = set()
        self._retry = RetryTimer(hass, self._async_start_drain)
        self._auth_paused = False
        self._hold: WaitReason | None = None
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._closed = False
        self.unreadable: dict[Path, str] = {}

    @property
    def directory(self) -> Path:
        """Where the widgets' files are kept."""
        return self._store.directory

    @property
    def pending(self) -> int:
        """How many widgets have a glance waiting."""
        return sum(state.pending is not None for state in self._widgets.values())

    @property
    def widgets(self) -> int:
        """How many widgets the entry has sent to or has a glance for."""
        return len(self._widgets)

    async def async_load(self) -> None:
        """Read the stored widgets; forget those of recipients that are gone.

        Raises OSError when the folder cannot be read at all.
        """
        stored = await self._store.async_load()
        self.unreadable = stored.set_aside
        gone = []
        for state in stored.widgets:
            if state.recipient_id in self._recipients:
                self._widgets[state.key] = state
            else:
                gone.append(state)
        if gone:
            try:
                await self._store.async_remove(gone)
            except OSError as err:
                _LOGGER.warning(
                    "Cannot delete the glances of removed recipients: %s", err
                )
        self._async_schedule()

    async def async_unload(self) -> None:
        """Stop the timers and the sending; what waits stays for next time."""
        self._closed = True
        self._retry.close()
        self._async_cancel_timer()
        if (task := self._drain_task) is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def async_submit(
        self,
        recipient: Recipient,
        glance: Glance,
        *,
        force: bool = False,
        durable: bool = True,
    ) -> GlanceOutcome:
        """Send a glance now if its recipient's turn has come, else keep it waiting.

        `durable` glances are on disk before this returns `pending`. Raises
        GlanceRefusedError when Pushover refuses it, and a translated error
        when it cannot be stored.
        """
        if self._closed:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="glances_closed"
            )
        state = self._widget(recipient.id, glance.device)
        if not force and glance == state.shown:
            # The widget shows it already; what waited is no longer wanted.
            await self._async_replace_pending(state, None)
            return GlanceOutcome(
                recipient=recipient.name, device=glance.device, status="unchanged"
            )
        if self._can_send_now(recipient.id, force=force):
            outcome = await self._async_send_now(state, recipient, glance)
            if outcome is not None:
                return outcome
        pending = PendingGlance(
            glance=glance, accepted_at=dt_util.utcnow(), force=force, durable=durable
        )
        await self._async_replace_pending(state, pending)
        self._async_schedule()
        if self._held:
            return GlanceOutcome(
                recipient=recipient.name,
                device=glance.device,
                status="pending",
                reason=self._hold,
            )
        return GlanceOutcome(
            recipient=recipient.name,
            device=glance.device,
            status="pending",
            send_at=self._due(state, pending),
            reason="rate_limited",
        )

    def _widget(self, recipient_id: str, device: str | None) -> WidgetState:
        key = (recipient_id, device)
        if (state := self._widgets.get(key)) is None:
            state = self._widgets[key] = WidgetState(
                recipient_id=recipient_id, device=device
            )
        return state

    @property
    def _held(self) -> bool:
        """Whether Pushover cannot take glances now (an outage, token or quota)."""
        return self._retry.waiting or self._auth_paused

    def _can_send_now(self, recipient_id: str, *, force: bool) -> bool:
        if self._held or recipient_id in self._calling:
            return False
        free_at = self._free_at(recipient_id)
        return force or free_at is None or free_at <= dt_util.utcnow()

    def _free_at(self, recipient_id: str) -> datetime | None:
        """When the recipient's next update may go: 20 minutes after its last."""
        last = max(
            (
                state.called_at
                for state in self._widgets.values()
                if state.recipient_id == recipient_id and state.called_at is not None
            ),
            default=None,
        )
        return None if last is None else last + GLANCE_MIN_INTERVAL

    def _due(self, state: WidgetState, pending: PendingGlance) -> datetime:
        free_at = self._free_at(state.recipient_id)
        if pending.force or free_at is None:
            return pending.accepted_at
        return max(pending.accepted_at, free_at)

    async def _async_replace_pending(
        self, state: WidgetState, pending: PendingGlance | None
    ) -> None:
        """Make `pending` the widget's waiting glance, on disk first if it must be.

        A stored glance that gives way is deleted from disk too. When the
        write fails, the widget keeps what it had and the caller learns why.
        """
        previous = state.pending
        if any(item is not None and item.durable for item in (previous, pending)):
            try:
                await self._store.async_write(state, pending)
            except OSError as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="glance_write_failed",
                    translation_placeholders={"error": err.strerror or str(err)},
                ) from err
        # A glance that came during the write is newer: it stays.
        if state.pending is previous:
            state.pending = pending

    async def _async_send_now(
        self, state: WidgetState, recipient: Recipient, glance: Glance
    ) -> GlanceOutcome | None:
        """Send at once; None when Pushover cannot take it now (it must wait)."""
        result = await self._async_call(state, recipient, glance)
        if isinstance(result, PushoverInvalidRequestError):
            await self._async_write_quietly(state)
            raise GlanceRefusedError(recipient.name, result)
        if isinstance(result, PushoverError):
            self._async_hold(result)
            return None
        # Sent the latest: whatever waited for the widget is older.
        state.pending = None
        await self._async_write_quietly(state)
        return GlanceOutcome(
            recipient=recipient.name,
            device=glance.device,
            status="sent",
            request_id=result,
        )

    async def _async_call(
        self, state: WidgetState, recipient: Recipient, glance: Glance
    ) -> str | PushoverError:
        """Make the glances.json call; return the request id or the failure."""
        self._calling.add(recipient.id)
        try:
            request_id = await self._client.update_glance(recipient.user_key, glance)
        except PushoverInvalidRequestError as err:
            state.called_at = dt_util.utcnow()
            return err
        except PushoverError as err:
            return err
        finally:
            self._calling.discard(recipient.id)
        state.called_at = dt_util.utcnow()
        state.shown = glance
        self._async_recovered()
        _LOGGER.debug(
            "Pushover accepted the glance for %s: request %s",
            recipient.name,
            request_id,
        )
        return request_id

    async def _async_write_quietly(self, state: WidgetState) -> None:
        """Store a widget after a call; a failure is logged, as the call was made."""
        try:
            await self._store.async_write(state, state.pending)
        except OSError as err:
            _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                "Cannot store the glance just sent to %s (%s): after a restart "
                "the next update may come sooner than 20 minutes",
                self._recipients[state.recipient_id].name,
                err.strerror or err,
            )

    @callback
    def _async_hold(self, err: PushoverError) -> None:
        """Keep the glances for later: Pushover cannot take them now."""
        if isinstance(err, PushoverAuthenticationError):
            # Only a new token helps: the glances wait for the reload after reauth.
            self._hold = "token_refused"
            self._auth_paused = True
            _LOGGER.warning(
                "Pushover refused the application token; glances wait until the "
                "entry is reauthenticated"
            )
            self._entry.async_start_reauth(self._hass)
        elif isinstance(err, PushoverQuotaExceededError):
            self._hold = "quota_used_up"
            self._retry.until(err.reset or dt_util.utcnow() + RETRY_MAX)
        else:
            first = self._hold != "pushover_unreachable"
            self._hold = "pushover_unreachable"
            delay = self._retry.after_failure()
            if first and delay is not None:
                _LOGGER.warning(
                    "Pushover is unreachable (%s); the latest glance of each "
                    "widget waits, next try in %d s",
                    err,
                    delay.total_seconds(),
                )

    @callback
    def _async_recovered(self) -> None:
        self._retry.succeeded()
        if self._hold == "pushover_unreachable":
            _LOGGER.info("Pushover is reachable again; waiting glances are sent")
        self._hold = None

    @callback
    def _async_schedule(self) -> None:
        """Wake up when the next waiting glance is due (or not, while held)."""
        self._async_cancel_timer()
        if self._closed or self._held:
            return
        due = [self._due(state, pending) for state, pending in self._waiting()]
        if not due:
            return
        self._cancel_timer = async_track_point_in_utc_time(
            self._hass, self._async_timer_fired, min(due)
        )

    @callback
    def _async_cancel_timer(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    @callback
    def _async_timer_fired(self, _now: datetime) -> None:
        self._cancel_timer = None
        self._async_start_drain()

    @callback
    def _async_start_drain(self) -> None:
        # One drain at a time; a running one sees what became due meanwhile.
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = self._entry.async_create_background_task(
                self._hass,
                self._async_drain(),
                f"{DOMAIN} glances {self._entry.entry_id}",
            )

    async def _async_drain(self) -> None:
        """Send every waiting glance that is due, oldest first."""
        while not self._closed and not self._held:
            now = dt_util.utcnow()
            due = [
                (state, pending)
                for state, pending in self._waiting()
                if self._due(state, pending) <= now
            ]
            if not due:
                break
            await self._async_deliver(*min(due, key=lambda item: item[1].accepted_at))
        self._async_schedule()

    def _waiting(self) -> list[tuple[WidgetState, PendingGlance]]:
        """List the waiting glances, but not those of a recipient being called."""
        return [
            (state, state.pending)
            for state in self._widgets.values()
            if state.pending is not None and state.recipient_id not in self._calling
        ]

    async def _async_deliver(self, state: WidgetState, pending: PendingGlance) -> None:
        recipient = self._recipients[state.recipient_id]
        result = await self._async_call(state, recipient, pending.glance)
        if isinstance(result, PushoverInvalidRequestError):
            _LOGGER.warning(
                "Pushover refused the glance for %s, which is dropped: %s (request %s)",
                recipient.name,
                "; ".join(result.errors),
                result.request_id or "-",
            )
        elif isinstance(result, PushoverError):
            self._async_hold(result)
            return
        # A newer glance that came during the call waits for its own turn.
        if state.pending is pending:
            state.pending = None
        await self._async_write_quietly(state)
