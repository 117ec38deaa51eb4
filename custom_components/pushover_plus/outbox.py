"""A durable outbox: accepted messages reach Pushover across outages and restarts.

Like a mail server's queue, the outbox keeps every message it accepted until
Pushover takes it, or until a stated reason (a warning and a
`pushover_plus_dropped` event) drops it. A message is accepted only once its
file is on disk (`outbox_store.py`); when it cannot be written, the send fails
with a translated error and nothing already queued is touched.

Messages leave in the order they were accepted: a new message never overtakes
a queued one. While nothing is queued, two new messages may be in flight at
once (Pushover allows two connections, and a burst then runs twice as fast);
should the first fail and the second succeed, those two arrive in swapped
order. When to try again is `outbox_retry.py`'s business.

Pushover has no idempotency key, so delivery is at least once: if Home
Assistant stops between Pushover's answer and the removal of the message's
file, that message is sent again after the restart.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
import logging
from pathlib import Path
from typing import Final, Literal
import uuid

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
import homeassistant.util.dt as dt_util

from .api import (
    Message,
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    PushoverTemporaryError,
    SendResult,
)
from .const import (
    DOMAIN,
    EVENT_DROPPED,
    MAX_CONCURRENT_REQUESTS,
    MAX_QUEUED_AGE,
    MAX_QUEUED_BYTES,
    MAX_QUEUED_MESSAGES,
    PRIORITY_EMERGENCY,
    RETRY_MAX,
)
from .outbox_retry import OutageLog, RetryTimer
from .outbox_store import AttachmentLostError, OutboxItem, QueueStore
from .recipients import Recipient
from .spool import SpoolStats
from .value import Value

_LOGGER = logging.getLogger(__name__)

type DropReason = Literal["rejected", "ttl_expired", "too_old", "attachment_lost"]
# Why a message waits: Pushover cannot be reached, refused the token, has no
# messages left this month, or others wait ahead of it.
type QueueReason = Literal[
    "pushover_unreachable", "token_refused", "quota_used_up", "behind_queue"
]

_DROP_DETAILS: Final[dict[DropReason, str]] = {
    "rejected": "Pushover refused it",
    "ttl_expired": "its ttl passed before Pushover could take it",
    "too_old": "it waited longer than the outbox keeps messages",
    "attachment_lost": "its attachment file is missing",
}

__all__ = ["Outbox", "OutboxItem", "Queued"]


class Queued(Value):
    """The answer to a send that waits in the outbox, stored on disk."""

    __slots__ = ("item_id", "position", "reason")
    item_id: Final[str]
    # Its place in the queue when accepted; 1 is the next to go.
    position: Final[int]
    reason: Final[QueueReason]

    def __init__(
        self,
        *,
        item_id: str,
        position: int,
        reason: QueueReason,
    ) -> None:
        """Set the fields, each given by name."""
        self.item_id = item_id
        self.position = position
        self.reason = reason


type Deliver = Callable[[OutboxItem], Awaitable[SendResult]]


class Outbox:
    """Delivers one config entry's messages in order, stored until Pushover has them.

    At most two immediate sends run at once, and only while nothing is
    queued; queued messages leave one at a time from a single task tied to
    the entry. The two never run together, so the order of acceptance is the
    order of delivery.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        deliver: Deliver,
        *,
        on_sent: Callable[[OutboxItem, SendResult, bool], None],
        on_auth_failed: Callable[[], None],
        max_messages: int = MAX_QUEUED_MESSAGES,
        max_bytes: int = MAX_QUEUED_BYTES,
        max_age: timedelta = MAX_QUEUED_AGE,
    ) -> None:
        """Bind the outbox to an entry; nothing is read until `async_load`."""
        self._hass = hass
        self._entry = entry
        self._deliver = deliver
        self._on_sent = on_sent
        self._on_auth_failed = on_auth_failed
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._store = QueueStore(hass, entry.entry_id)
        self._items: list[OutboxItem] = []
        self._bytes = 0
        # Messages whose files are still being written: not accepted yet.
        self._writing: dict[str, asyncio.Event] = {}
        # Delivered messages whose files could not be deleted yet.
        self._unremoved: list[OutboxItem] = []
        self._send_slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._listeners: list[CALLBACK_TYPE] = []
        self._drain_task: asyncio.Task[None] | None = None
        self._retry = RetryTimer(hass, self._async_start_drain)
        self._outage = OutageLog()
        self._auth_paused = False
        self._closed = False
        self._delivering = False
        # Whether the last attempt left the head undelivered (for stuck_since).
        self._failing = False
        # Why the outbox holds its queue, while it does.
        self._hold: QueueReason | None = None
        self.unreadable: dict[Path, str] = {}

    def __len__(self) -> int:
        """Return how many messages are queued."""
        return len(self._items)

    @property
    def queued_bytes(self) -> int:
        """Return the size of the queued messages: text fields and attachments."""
        return self._bytes

    @property
    def storage_stats(self) -> SpoolStats:
        """Return the files and bytes the queue wrote since the entry loaded."""
        return self._store.stats

    @property
    def directory(self) -> Path:
        """Return where the queued messages' files are kept."""
        return self._store.directory

    @property
    def stuck_since(self) -> datetime | None:
        """Return when the head was accepted, while it cannot be delivered."""
        return self._items[0].accepted_at if self._items and self._failing else None

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update_callback` whenever the queue changes; return its remover."""
        self._listeners.append(update_callback)

        @callback
        def remove_listener() -> None:
            self._listeners.remove(update_callback)

        return remove_listener

    async def async_load(self, recipients: Sequence[Recipient]) -> None:
        """Read the stored queue and, if it holds messages, start sending them.

        `recipients` are the entry's (older records name theirs alone).
        Raises OSError when the queue's directory cannot be read at all.
        """
        stored = await self._store.async_load(recipients)
        self._items = stored.items
        self._bytes = sum(_size(item) for item in self._items)
        self.unreadable = stored.set_aside
        if stored.lost:
            await self._async_drop(stored.lost, "attachment_lost")
        _LOGGER.debug("Outbox of %s holds %d messages", self._entry.entry_id, len(self))
        self._async_start_drain()

    async def async_send(
        self, recipients: Sequence[Recipient], message: Message
    ) -> SendResult | Queued:
        """Send a message now if nothing waits, else queue it behind the others.

        Returns Pushover's answer, or `Queued` once the message is on disk.
        Raises Pushover's refusal (4xx) and quota errors of an immediate send,
        and a translated `HomeAssistantError` when the message cannot be
        queued (the queue is full or closed, or its file cannot be written).
        """
        item = OutboxItem(
            id=uuid.uuid4().hex,
            seq=0,
            users=tuple(recipient.user_key for recipient in recipients),
            recipient_ids=tuple(recipient.id for recipient in recipients),
            recipient_names=tuple(recipient.name for recipient in recipients),
            message=message,
            accepted_at=dt_util.utcnow(),
        )
        if not self._items and not self._waiting:
            async with self._send_slots:
                # Check again: an earlier send may have failed meanwhile.
                if not self._items and not self._waiting:
                    return await self._async_send_now(item)
        queued = await self._async_enqueue(item)
        self._async_start_drain()
        return queued

    async def async_unload(self) -> None:
        """Stop the timer and the drain; the stored queue stays for next time."""
        self._closed = True
        self._retry.close()
        if (task := self._drain_task) is not None:
            # An attempt is cut short (the message stays queued), but a file
            # operation runs to its end.
            if self._delivering:
                task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    @property
    def _waiting(self) -> bool:
        return self._retry.waiting or self._auth_paused

    async def _async_send_now(self, item: OutboxItem) -> SendResult | Queued:
        try:
            result = await self._deliver(item)
        except (PushoverAuthenticationError, PushoverTemporaryError) as err:
            # Hold before storing: a send that comes during the write must
            # queue behind this message, not be sent ahead of it.
            self._async_hold(err)
            return await self._async_enqueue(item)
        self._async_delivered(item, result, queued=False)
        self._async_check_recovered()
        return result

    async def _async_drain(self) -> None:
        """Send the head of the queue until it is empty or the outbox must wait."""
        while not self._waiting and not self._closed:
            await self._async_remove_unremoved()
            await self._async_drop_expired()
            if not self._items:
                break
            item = self._items[0]
            if (written := self._writing.get(item.id)) is not None:
                # Not accepted until on disk: its send may still fail, and
                # then it leaves the queue without being sent.
                await written.wait()
                continue
            await self._async_attempt_head(item)
        self._async_check_recovered()

    async def _async_attempt_head(self, item: OutboxItem) -> None:
        match await self._async_attempt(item):
            case SendResult() as result:
                await self._async_remove([item])
                self._outage.sent_from_queue()
                self._async_delivered(item, result, queued=True)
            case PushoverInvalidRequestError() as err:
                self._retry.succeeded()
                self._async_set_failing(failing=False)
                await self._async_drop([item], "rejected", err)
            case AttachmentLostError():
                await self._async_drop([item], "attachment_lost")
            case PushoverError() as err:
                self._async_hold(err)
            case err:
                # A bug must not stall the queue for good: log it, retry.
                _LOGGER.error(
                    "Unexpected error sending queued message %s",
                    item.id,
                    exc_info=err,
                )
                self._async_retry_later("unexpected error")

    async def _async_attempt(self, item: OutboxItem) -> SendResult | Exception:
        """Try the head once; return Pushover's answer or the failure."""
        self._delivering = True
        try:
            return await self._deliver(await self._async_with_bytes(item))
        except Exception as err:  # noqa: BLE001 - the drain sorts every failure
            return err
        finally:
            self._delivering = False

    async def _async_with_bytes(self, item: OutboxItem) -> OutboxItem:
        """Return a queued item with its attachment's bytes, read from its file."""
        if (attachment := item.message.attachment) is None:
            return item
        content = await self._store.async_read_attachment(item)
        attachment = attachment.replace(content=content)
        return item.replace(message=item.message.replace(attachment=attachment))

    @callback
    def _async_start_drain(self) -> None:
        if self._closed or self._waiting or not self._items:
            return
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = self._entry.async_create_background_task(
                self._hass,
                self._async_drain(),
                f"{DOMAIN} outbox {self._entry.entry_id}",
            )

    @callback
    def _async_hold(self, err: PushoverError) -> None:
        """Keep the queue for later: Pushover cannot take messages now."""
        if isinstance(err, PushoverAuthenticationError):
            self._hold = "token_refused"
            self._async_pause_for_auth()
        elif isinstance(err, PushoverQuotaExceededError):
            self._hold = "quota_used_up"
            self._async_wait_for_quota(err)
        else:
            self._hold = "pushover_unreachable"
            self._async_retry_later(str(err))

    @callback
    def _async_retry_later(self, reason: str) -> None:
        self._async_set_failing(failing=True)
        if (delay := self._retry.after_failure()) is None:
            # Another failure's wait already runs (one timer only), or closing.
            return
        self._outage.report(
            "unreachable",
            "Pushover is unreachable (%s); queued messages wait, next try in %d s",
            reason,
            delay.total_seconds(),
        )

    @callback
    def _async_wait_for_quota(self, err: PushoverQuotaExceededError) -> None:
        self._async_set_failing(failing=True)
        # Asking before the reset only earns another 429.
        until = self._retry.until(err.reset or dt_util.utcnow() + RETRY_MAX)
        if until is None:
            return
        self._outage.report(
            "quota",
            "Pushover's message limit is used up; queued messages wait until %s",
            until.isoformat(timespec="seconds"),
        )

    @callback
    def _async_pause_for_auth(self) -> None:
        # Only a new token helps: the queue waits for the reload after reauth.
        self._retry.succeeded()
        self._auth_paused = True
        self._async_set_failing(failing=True)
        _LOGGER.warning(
            "Pushover refused the application token; messages stay queued "
            "until the entry is reauthenticated"
        )
        self._on_auth_failed()

    @callback
    def _async_check_recovered(self) -> None:
        if not self._items and not self._failing:
            self._outage.recovered()

    @callback
    def _async_delivered(
        self, item: OutboxItem, result: SendResult, *, queued: bool
    ) -> None:
        self._retry.succeeded()
        self._hold = None
        self._async_set_failing(failing=False)
        _LOGGER.debug(
            "Pushover accepted message %s to %s: request %s",
            item.id,
            ", ".join(item.recipient_names),
            result.request_id,
        )
        self._on_sent(item, result, queued)

    @callback
    def _async_set_failing(self, *, failing: bool) -> None:
        if failing != self._failing:
            self._failing = failing
            self._async_notify()

    @callback
    def _async_notify(self) -> None:
        for update_callback in list(self._listeners):
            update_callback()

    async def _async_enqueue(self, item: OutboxItem) -> Queued:
        """Store an item at the end of the queue, or refuse it with the reason."""
        if self._closed:
            # The entry's next outbox has read the queue: it would not see this
            # message until a restart. The caller learns it did not go.
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="outbox_closed"
            )
        attachment = item.message.attachment
        content = None if attachment is None else attachment.content
        item = item.replace(
            seq=self._next_seq(),
            message=item.message
            if attachment is None
            else item.message.replace(attachment=attachment.replace(content=b"")),
            attachment_size=0 if content is None else len(content),
        )
        size = _size(item)
        if (
            len(self._items) >= self._max_messages
            or self._bytes + size > self._max_bytes
        ):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_full",
                translation_placeholders={
                    "messages": str(self._max_messages),
                    "bytes": str(self._max_bytes),
                },
            )
        # The item takes its place before any await, so later sends stay behind.
        self._items.append(item)
        self._bytes += size
        position = len(self._items)
        self._writing[item.id] = asyncio.Event()
        # The write runs to its end even if the caller is cancelled, and its
        # outcome alone decides whether the message was accepted.
        write = self._entry.async_create_task(
            self._hass,
            self._store.async_add(item, content),
            f"{DOMAIN} outbox write {item.id}",
        )
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            write.add_done_callback(lambda done: self._async_written(item, done))
            raise
        except BaseException as err:
            self._async_written(item, write)
            if isinstance(err, OSError):
                raise _write_failed(err) from err
            raise
        self._async_written(item, write)
        return Queued(
            item_id=item.id, position=position, reason=self._hold or "behind_queue"
        )

    @callback
    def _async_written(self, item: OutboxItem, write: asyncio.Task[None]) -> None:
        """Accept a message once on disk; take it off the queue if it is not."""
        self._writing.pop(item.id).set()
        if write.cancelled() or write.exception() is not None:
            self._async_take(item)
        self._async_notify()

    def _next_seq(self) -> int:
        last = self._items[-1].seq if self._items else 0
        return last + 1

    async def _async_drop_expired(self) -> None:
        now = dt_util.utcnow()
        expired: dict[DropReason, list[OutboxItem]] = {}
        for item in self._items:
            if item.id in self._writing:
                continue
            if reason := self._expiry(item, now):
                expired.setdefault(reason, []).append(item)
        for reason, items in expired.items():
            await self._async_drop(items, reason)

    def _expiry(self, item: OutboxItem, now: datetime) -> DropReason | None:
        age = now - item.accepted_at
        ttl = item.message.ttl
        # Pushover ignores ttl for emergencies, so it cannot make them pointless.
        if (
            ttl is not None
            and item.message.priority != PRIORITY_EMERGENCY
            and age >= timedelta(seconds=ttl)
        ):
            return "ttl_expired"
        if age > self._max_age:
            return "too_old"
        return None

    async def _async_drop(
        self,
        items: Sequence[OutboxItem],
        reason: DropReason,
        err: PushoverInvalidRequestError | None = None,
    ) -> None:
        await self._async_remove(items)
        errors = err.errors if err else []
        detail = _DROP_DETAILS[reason]
        if err is not None:
            detail += f": {'; '.join(errors)} (request {err.request_id or '-'})"
        for item in items:
            _LOGGER.warning(
                "Dropped queued message %s to %s: %s",
                item.id,
                ", ".join(item.recipient_names),
                detail,
            )
            self._hass.bus.async_fire(
                EVENT_DROPPED,
                {
                    "entry_id": self._entry.entry_id,
                    "item_id": item.id,
                    "recipients": list(item.recipient_names),
                    "recipient_ids": list(item.recipient_ids),
                    "title": item.message.readable_title,
                    "reason": reason,
                    "errors": list(errors),
                },
            )

    async def _async_remove(self, items: Sequence[OutboxItem]) -> None:
        """Take items off the queue, then delete their files."""
        for item in items:
            if item in self._items:
                self._async_take(item)
        self._async_notify()
        try:
            await self._store.async_remove(items)
        except OSError as err:
            # Already sent or dropped: they must not go again while we run.
            # If Home Assistant stops before the files go, they are sent
            # again after the restart (at least once, never lost).
            self._unremoved.extend(items)
            _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                "Cannot delete the files of %d sent messages from %s (%s); "
                "they are retried, and are sent again if Home Assistant "
                "restarts before they are gone",
                len(items),
                self._store.directory,
                err,
            )

    async def _async_remove_unremoved(self) -> None:
        if not self._unremoved:
            return
        items, self._unremoved = self._unremoved, []
        await self._async_remove(items)

    @callback
    def _async_take(self, item: OutboxItem) -> None:
        """Take an item off the queue and its size off queued_bytes."""
        self._items.remove(item)
        self._bytes -= _size(item)


def _size(item: OutboxItem) -> int:
    fields = item.message.form_fields().values()
    text = sum(len(value.encode(errors="surrogatepass")) for value in fields)
    return text + item.attachment_size


def _write_failed(err: OSError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="outbox_write_failed",
        translation_placeholders={"error": err.strerror or str(err)},
    )
