"""A durable outbox: accepted messages reach Pushover across outages and restarts.

Like a mail server's queue, the outbox keeps every message it accepted until
Pushover takes it, or until a stated reason (a warning and a
`pushover_plus_dropped` event) drops it. Messages leave in the order they were
accepted: a new message never overtakes a queued one. While nothing is queued,
two new messages may be in flight at once (Pushover allows two connections,
and a burst then runs twice as fast); should the first fail and the second
succeed, those two arrive in swapped order.

Pushover has no idempotency key, so delivery is at least once: if Home
Assistant stops between Pushover's answer and the save that follows it, that
message is sent again after the restart.

A queued message's attachment waits on disk, not in memory: the queue keeps
only its name, type and size, and reads the bytes back just before sending.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
import logging
import os
from pathlib import Path
import random
import shutil
from typing import Any, Final, Literal
import uuid

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
import homeassistant.util.dt as dt_util

from .api import (
    Attachment,
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
    RETRY_FIRST,
    RETRY_JITTER,
    RETRY_MAX,
)

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1

type DropReason = Literal["rejected", "ttl_expired", "too_old", "attachment_lost"]
type _Problem = Literal["unreachable", "quota"]

_DROP_DETAILS: Final[dict[DropReason, str]] = {
    "rejected": "Pushover refused it",
    "ttl_expired": "its ttl passed before Pushover could take it",
    "too_old": "it waited longer than the outbox keeps messages",
    "attachment_lost": "its attachment file is missing",
}
_RECOVERED: Final[dict[_Problem, str]] = {
    "unreachable": "Pushover is reachable again; %d queued messages sent",
    "quota": "Pushover takes messages again; %d queued messages sent",
}


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One accepted API call: a message and the keys it goes to."""

    id: str
    users: tuple[str, ...]
    recipients: tuple[str, ...]
    message: Message
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class Queued:
    """The answer to a send that waits in the outbox."""

    item_id: str
    position: int


type Deliver = Callable[[OutboxItem], Awaitable[SendResult]]


class _AttachmentLostError(Exception):
    """A queued attachment's file is gone, so its message cannot be sent whole."""


class Outbox:
    """Delivers one config entry's messages in order, stored until Pushover has them.

    Immediate sends are serialized by a lock; queued ones leave one at a time
    from a single background task. Both only run while the other cannot, so
    the order of acceptance is the order of delivery.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
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
        self._entry_id = entry_id
        self._deliver = deliver
        self._on_sent = on_sent
        self._on_auth_failed = on_auth_failed
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._store: Store[dict[str, Any]] = Store(
            hass,
            STORAGE_VERSION,
            _storage_key(entry_id),
            private=True,
            # fsync before rename: a queue that loses messages is no queue.
            atomic_writes=True,
        )
        self._files = _files_dir(hass, entry_id)
        # Queued items' attachments hold no bytes (b""): those are on disk.
        self._items: list[OutboxItem] = []
        # Each item's stored form, made once: every change saves the whole
        # queue, and rebuilding every record for each save was most of the
        # event loop's time when a long queue grew.
        self._records: dict[str, dict[str, Any]] = {}
        self._bytes = 0
        # The size of each queued item's attachment, by item id.
        self._attachment_sizes: dict[str, int] = {}
        # Attachments whose file is still being written, by item id.
        self._unwritten: dict[str, bytes] = {}
        self._send_slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._listeners: list[CALLBACK_TYPE] = []
        self._drain_task: asyncio.Task[None] | None = None
        self._cancel_wait: CALLBACK_TYPE | None = None
        self._auth_paused = False
        self._closed = False
        self._delivering = False
        # Whether the last attempt left the head undelivered (for stuck_since).
        self._failing = False
        # Consecutive failures to reach Pushover, for the back-off.
        self._failures = 0
        # The problem last warned about, so that an outage is logged once.
        self._problem: _Problem | None = None
        self._sent_since_problem = 0

    def __len__(self) -> int:
        """Return how many messages are queued."""
        return len(self._items)

    @property
    def queued_bytes(self) -> int:
        """Return the size of the queued messages: text fields and attachments."""
        return self._bytes

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

    async def async_load(self) -> None:
        """Read the stored queue and, if it holds messages, start sending them."""
        stored = await self._store.async_load()
        records: list[dict[str, Any]] = stored["items"] if stored else []
        attached = {r["id"] for r in records if r["attachment"] is not None}
        # Only the files' sizes: their bytes are read when their item is sent.
        self._attachment_sizes = await self._hass.async_add_executor_job(
            _file_sizes, self._files, attached
        )
        for record in records:
            item = _from_record(record)
            self._items.append(item)
            self._records[item.id] = record
            self._bytes += self._size(item)
        missing = attached - self._attachment_sizes.keys()
        if lost := [item for item in self._items if item.id in missing]:
            await self._async_drop(lost, "attachment_lost")
        _LOGGER.debug("Outbox of %s holds %d messages", self._entry_id, len(self))
        self._async_start_drain()

    async def async_send(
        self, users: Sequence[str], recipients: Sequence[str], message: Message
    ) -> SendResult | Queued:
        """Send a message now if nothing waits, else queue it behind the others.

        Returns Pushover's answer, or `Queued` once the message is stored.
        Raises Pushover's refusal (4xx) and quota errors of an immediate send,
        and `HomeAssistantError` (outbox_full) when the queue has no room.
        """
        item = OutboxItem(
            id=uuid.uuid4().hex,
            users=tuple(users),
            recipients=tuple(recipients),
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
        if self._cancel_wait is not None:
            self._cancel_wait()
            self._cancel_wait = None
        if (task := self._drain_task) is not None:
            # An attempt is cut short (the message stays queued), but a save
            # runs to its end: the next outbox must read what this one wrote.
            if self._delivering:
                task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    @property
    def _waiting(self) -> bool:
        return self._cancel_wait is not None or self._auth_paused

    async def _async_send_now(self, item: OutboxItem) -> SendResult | Queued:
        try:
            result = await self._deliver(item)
        except (PushoverAuthenticationError, PushoverTemporaryError) as err:
            # Hold before storing: a send that comes during the save must
            # queue behind this message, not be sent ahead of it.
            self._async_hold(err)
            return await self._async_enqueue(item)
        self._async_delivered(item, result, queued=False)
        self._async_check_recovered()
        return result

    async def _async_drain(self) -> None:
        """Send the head of the queue until it is empty or the outbox must wait."""
        while not self._waiting and not self._closed:
            await self._async_drop_expired()
            if not self._items:
                break
            item = self._items[0]
            match await self._async_attempt(item):
                case SendResult() as result:
                    await self._async_remove([item])
                    self._sent_since_problem += 1
                    self._async_delivered(item, result, queued=True)
                case PushoverInvalidRequestError() as err:
                    self._failures = 0
                    self._async_set_failing(failing=False)
                    await self._async_drop([item], "rejected", err)
                case _AttachmentLostError():
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
        self._async_check_recovered()

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
        if (content := self._unwritten.get(item.id)) is None:
            try:
                content = await self._hass.async_add_executor_job(
                    self._file(item).read_bytes
                )
            except FileNotFoundError as err:
                raise _AttachmentLostError from err
        return _with_content(item, attachment, content)

    @callback
    def _async_start_drain(self) -> None:
        if self._closed or self._waiting or not self._items:
            return
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = self._hass.async_create_background_task(
                self._async_drain(), f"{DOMAIN} outbox {self._entry_id}"
            )

    @callback
    def _async_hold(self, err: PushoverError) -> None:
        """Keep the queue for later: Pushover cannot take messages now."""
        if isinstance(err, PushoverAuthenticationError):
            self._async_pause_for_auth()
        elif isinstance(err, PushoverQuotaExceededError):
            self._async_wait_for_quota(err)
        else:
            self._async_retry_later(str(err))

    @callback
    def _async_retry_later(self, reason: str) -> None:
        self._failures += 1
        delay = _backoff(self._failures)
        self._async_report(
            "unreachable",
            "Pushover is unreachable (%s); queued messages wait, next try in %d s",
            reason,
            delay.total_seconds(),
        )
        self._async_wait(delay)

    @callback
    def _async_wait_for_quota(self, err: PushoverQuotaExceededError) -> None:
        self._failures = 0
        # Asking before the reset only earns another 429.
        delay = err.reset - dt_util.utcnow() if err.reset else RETRY_MAX
        delay = max(delay, RETRY_FIRST)
        self._async_report(
            "quota",
            "Pushover's message limit is used up; queued messages wait until %s",
            (dt_util.utcnow() + delay).isoformat(timespec="seconds"),
        )
        self._async_wait(delay)

    @callback
    def _async_pause_for_auth(self) -> None:
        # Only a new token helps: the queue waits for the reload after reauth.
        self._failures = 0
        self._auth_paused = True
        self._async_set_failing(failing=True)
        _LOGGER.warning(
            "Pushover refused the application token; messages stay queued "
            "until the entry is reauthenticated"
        )
        self._on_auth_failed()

    @callback
    def _async_wait(self, delay: timedelta) -> None:
        self._async_set_failing(failing=True)
        if not self._closed:
            self._cancel_wait = async_call_later(self._hass, delay, self._async_resume)

    @callback
    def _async_resume(self, _now: datetime) -> None:
        self._cancel_wait = None
        self._async_start_drain()

    @callback
    def _async_report(self, problem: _Problem, msg: str, *args: object) -> None:
        """Warn once per problem; repeats of the same one go to debug."""
        if problem == self._problem:
            _LOGGER.debug(msg, *args)
            return
        _LOGGER.warning(msg, *args)
        self._problem = problem
        self._sent_since_problem = 0

    @callback
    def _async_check_recovered(self) -> None:
        if self._problem is None or self._items or self._failing:
            return
        _LOGGER.info(_RECOVERED[self._problem], self._sent_since_problem)
        self._problem = None

    @callback
    def _async_delivered(
        self, item: OutboxItem, result: SendResult, *, queued: bool
    ) -> None:
        self._failures = 0
        self._async_set_failing(failing=False)
        _LOGGER.debug(
            "Pushover accepted message %s to %s: request %s",
            item.id,
            ", ".join(item.recipients),
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
        """Store an item at the end of the queue, or refuse it when full."""
        if self._closed:
            # The entry's next outbox has read the store: writing now would
            # overwrite its queue. The caller learns the message did not go.
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="outbox_closed"
            )
        attachment = item.message.attachment
        attachment_size = 0 if attachment is None else len(attachment.content)
        size = _text_size(item.message) + attachment_size
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
        if attachment is not None:
            # The drain takes the bytes from here until the file holds them.
            self._unwritten[item.id] = attachment.content
            self._attachment_sizes[item.id] = attachment_size
            item = _with_content(item, attachment, b"")
        # The item takes its place before any await, so later sends stay behind.
        self._items.append(item)
        self._records[item.id] = _to_record(item)
        self._bytes += size
        position = len(self._items)
        try:
            if attachment is not None:
                await self._async_write(item, attachment.content)
            await self._async_save()
        except BaseException:
            # Not stored, so not accepted: the caller hears of it instead.
            if item in self._items:
                self._async_take(item)
            raise
        return Queued(item_id=item.id, position=position)

    async def _async_write(self, item: OutboxItem, content: bytes) -> None:
        try:
            await self._hass.async_add_executor_job(
                _write_file, self._file(item), content
            )
        finally:
            del self._unwritten[item.id]

    async def _async_drop_expired(self) -> None:
        now = dt_util.utcnow()
        expired: dict[DropReason, list[OutboxItem]] = {}
        for item in self._items:
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
                ", ".join(item.recipients),
                detail,
            )
            self._hass.bus.async_fire(
                EVENT_DROPPED,
                {
                    "entry_id": self._entry_id,
                    "item_id": item.id,
                    "recipients": list(item.recipients),
                    "title": item.message.title,
                    "reason": reason,
                    "errors": list(errors),
                },
            )

    async def _async_remove(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self._async_take(item)
        # Save before deleting files: a crash in between leaves a stray file
        # (cleaned up on load), never a queued message without its attachment.
        await self._async_save()
        if files := [self._file(item) for item in items if item.message.attachment]:
            await self._hass.async_add_executor_job(_delete_files, files)

    async def _async_save(self) -> None:
        # Saved at once, never delayed: a message is accepted only once on disk.
        await self._store.async_save(
            {"items": [self._records[item.id] for item in self._items]}
        )
        self._async_notify()

    @callback
    def _async_take(self, item: OutboxItem) -> None:
        """Take an item off the queue and its size off queued_bytes."""
        self._items.remove(item)
        del self._records[item.id]
        self._bytes -= self._size(item)
        self._attachment_sizes.pop(item.id, None)

    def _size(self, item: OutboxItem) -> int:
        return _text_size(item.message) + self._attachment_sizes.get(item.id, 0)

    def _file(self, item: OutboxItem) -> Path:
        return self._files / f"{item.id}.bin"


async def async_remove_outbox(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's stored queue and attachments, for a removed entry."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, _storage_key(entry_id)
    ).async_remove()
    await hass.async_add_executor_job(
        lambda: shutil.rmtree(_files_dir(hass, entry_id), ignore_errors=True)
    )


def _storage_key(entry_id: str) -> str:
    return f"{DOMAIN}.outbox.{entry_id}"


def _files_dir(hass: HomeAssistant, entry_id: str) -> Path:
    return Path(hass.config.path(".storage", f"{DOMAIN}_outbox", entry_id))


def _backoff(failures: int) -> timedelta:
    """Return the wait after `failures` failures in a row: doubling, capped."""
    # The exponent is capped too: days of outage must not overflow.
    base = min(RETRY_FIRST * (1 << min(failures - 1, 16)), RETRY_MAX)
    # Jitter spreads the retries of many installations after a shared outage;
    # it only adds, so no retry comes sooner than RETRY_FIRST.
    return base * (1 + random.uniform(0, RETRY_JITTER))  # noqa: S311 - not crypto


def _text_size(message: Message) -> int:
    return sum(len(value.encode()) for value in message.form_fields().values())


def _with_content(
    item: OutboxItem, attachment: Attachment, content: bytes
) -> OutboxItem:
    """Return the item with `content` as its attachment's bytes."""
    attachment = replace(attachment, content=content)
    return replace(item, message=replace(item.message, attachment=attachment))


def _to_record(item: OutboxItem) -> dict[str, Any]:
    # Fields left at their defaults are left out: the queue keeps every
    # record in memory, and `Message` fills them back in on load.
    message = {
        field.name: value
        for field in fields(Message)
        if field.name != "attachment"
        and (value := getattr(item.message, field.name)) != field.default
    }
    attachment = item.message.attachment
    return {
        "id": item.id,
        "users": list(item.users),
        "recipients": list(item.recipients),
        "accepted_at": item.accepted_at.isoformat(),
        # JSON has no tuples: devices and tags are stored as lists.
        "message": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in message.items()
        },
        "attachment": None
        if attachment is None
        else {
            "content_type": attachment.content_type,
            "filename": attachment.filename,
        },
    }


def _from_record(record: dict[str, Any]) -> OutboxItem:
    described = record["attachment"]
    # The bytes stay in the attachment's file until the item is sent.
    attachment = None if described is None else Attachment(b"", **described)
    message: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in record["message"].items()
    }
    return OutboxItem(
        id=record["id"],
        users=tuple(record["users"]),
        recipients=tuple(record["recipients"]),
        message=Message(**message, attachment=attachment),
        accepted_at=datetime.fromisoformat(record["accepted_at"]),
    )


def _write_file(path: Path, content: bytes) -> None:
    """Write a file whole or not at all, readable only by Home Assistant."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def _file_sizes(directory: Path, ids: set[str]) -> dict[str, int]:
    """Return the sizes of the items' attachment files; delete any other file."""
    sizes: dict[str, int] = {}
    if not directory.is_dir():
        return sizes
    for path in directory.iterdir():
        if path.suffix == ".bin" and path.stem in ids:
            sizes[path.stem] = path.stat().st_size
        else:
            # Left by a stop between a save and a file's write or deletion.
            path.unlink()
    return sizes


def _delete_files(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
