"""The outbox's storage: one file per accepted message, in a spool directory.

A queued message is the file `{seq}-{id}.json` (its record) and, when it has
an image, `{seq}-{id}.bin` beside it. The sequence number in the name is the
order of acceptance: the directory listing is the queue. The record format is
written and read field by field, with a version, so that a change to the
`Message` record can never silently change what is on disk.

A file that cannot be read (a newer format, a missing or unknown field, a
damaged byte) is renamed aside, kept for the user and named in a repair issue;
it never blocks the other messages. The 0.2.0 outbox (one Home Assistant
store file holding the whole queue) is moved into the spool on first load.

Format 2 stores each recipient's id beside its name. Records of format 1,
which named the recipients alone, are still read: each recipient's id is
found by its user key (`stored_recipient_ids`), so that none is lost.
"""

from collections.abc import Sequence
from datetime import datetime
import json
import logging
from pathlib import Path
import shutil
from typing import Any, Final

from homeassistant.core import HomeAssistant

from .api import Attachment, Message
from .const import DOMAIN, HEX_DIGITS
from .recipients import Recipient, stored_recipient_ids
from .records import RecordError, RecordFields
from .spool import SET_ASIDE_SUFFIX, Spool, SpoolStats
from .value import Value

_LOGGER = logging.getLogger(__name__)

RECORD_FORMAT: Final = 2
# A queued message's files: `<12-digit sequence>-<32-hex id>.json` (its
# record) and `.bin` (its attachment).
_SEQUENCE_DIGITS: Final = 12
_ID_DIGITS: Final = 32
_KINDS: Final = frozenset({"json", "bin"})
_MESSAGE_FIELDS: Final = frozenset(
    {
        "message",
        "title",
        "devices",
        "html",
        "monospace",
        "priority",
        "retry",
        "expire",
        "callback",
        "tags",
        "sound",
        "timestamp",
        "ttl",
        "url",
        "url_title",
        "encrypted",
    }
)
_RECORD_FIELDS: Final = frozenset(
    {
        "format",
        "id",
        "accepted_at",
        "users",
        "recipient_ids",
        "recipient_names",
        "message",
        "attachment",
    }
)
# Format 1 named the recipients alone.
_FORMAT_1_FIELDS: Final = _RECORD_FIELDS - {"recipient_ids", "recipient_names"} | {
    "recipients"
}
_ATTACHMENT_FIELDS: Final = frozenset({"content_type", "filename", "size"})


class OutboxItem(Value):
    """One accepted API call: a message, the keys it goes to, and whose they are.

    The recipients' ids say whom it reached; their names, as they were when
    it was accepted, are for the log and the events. While queued, the
    attachment holds no bytes (`b""`): they wait in their file,
    `attachment_size` long, until the message is sent.
    """

    __slots__ = (
        "accepted_at",
        "attachment_size",
        "id",
        "message",
        "recipient_ids",
        "recipient_names",
        "seq",
        "users",
    )
    id: Final[str]
    seq: Final[int]
    users: Final[tuple[str, ...]]
    recipient_ids: Final[tuple[str, ...]]
    recipient_names: Final[tuple[str, ...]]
    message: Final[Message]
    accepted_at: Final[datetime]
    attachment_size: Final[int]

    def __init__(
        self,
        *,
        id: str,  # noqa: A002 - named as the field
        seq: int,
        users: tuple[str, ...],
        recipient_ids: tuple[str, ...],
        recipient_names: tuple[str, ...],
        message: Message,
        accepted_at: datetime,
        attachment_size: int = 0,
    ) -> None:
        """Set the fields, each given by name."""
        self.id = id
        self.seq = seq
        self.users = users
        self.recipient_ids = recipient_ids
        self.recipient_names = recipient_names
        self.message = message
        self.accepted_at = accepted_at
        self.attachment_size = attachment_size

    @property
    def record_name(self) -> str:
        """The name of the record's file."""
        return f"{self.seq:012d}-{self.id}.json"

    @property
    def attachment_name(self) -> str:
        """The name of the attachment's file."""
        return f"{self.seq:012d}-{self.id}.bin"


class AttachmentLostError(Exception):
    """A queued attachment's file is gone, so its message cannot be sent whole."""


class StoredQueue(Value):
    """What a load found: the queue, and what it could not use."""

    __slots__ = ("items", "lost", "set_aside")
    items: Final[list[OutboxItem]]
    # Messages whose attachment file is gone.
    lost: Final[list[OutboxItem]]
    # Files renamed aside because they cannot be read, with the reason.
    set_aside: Final[dict[Path, str]]

    def __init__(
        self,
        *,
        items: list[OutboxItem],
        lost: list[OutboxItem],
        set_aside: dict[Path, str],
    ) -> None:
        """Set the fields, each given by name."""
        self.items = items
        self.lost = lost
        self.set_aside = set_aside


def encode_message(message: Message) -> dict[str, Any]:
    """Write a message's fields as stored, its attachment left out."""
    fields: dict[str, Any] = {"message": message.message}
    _put(fields, "title", message.title)
    _put(fields, "devices", list(message.devices) or None)
    _put(fields, "html", message.html or None)
    _put(fields, "monospace", message.monospace or None)
    _put(fields, "priority", message.priority)
    _put(fields, "retry", message.retry)
    _put(fields, "expire", message.expire)
    _put(fields, "callback", message.callback)
    _put(fields, "tags", list(message.tags) or None)
    _put(fields, "sound", message.sound)
    _put(fields, "timestamp", message.timestamp)
    _put(fields, "ttl", message.ttl)
    _put(fields, "url", message.url)
    _put(fields, "url_title", message.url_title)
    _put(fields, "encrypted", message.encrypted or None)
    return fields


def encode_record(item: OutboxItem) -> bytes:
    """Write the record of a queued message, field by field."""
    message = item.message
    fields = encode_message(message)
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "id": item.id,
        "accepted_at": item.accepted_at.isoformat(),
        "users": list(item.users),
        "recipient_ids": list(item.recipient_ids),
        "recipient_names": list(item.recipient_names),
        "message": fields,
    }
    if (attachment := message.attachment) is not None:
        record["attachment"] = {
            "content_type": attachment.content_type,
            "filename": attachment.filename,
            "size": item.attachment_size,
        }
    # ASCII escapes keep any text JSON can hold (a lone surrogate included).
    return json.dumps(record, separators=(",", ":")).encode()


def _put(fields: dict[str, Any], key: str, value: object) -> None:
    """Store a field only when set: every queued record is written once."""
    if value is not None:
        fields[key] = value


def decode_record(
    name: str, content: bytes, recipients: Sequence[Recipient]
) -> OutboxItem:
    """Read a record back; raise RecordError for anything not written as above.

    `recipients` are the entry's, which a record of format 1 is read with.
    """
    named = _named(name)
    if named is None or named[2] != "json":
        msg = "not a queued message's file name"
        raise RecordError(msg)
    try:
        record = json.loads(content)
    except ValueError as err:
        msg = "not valid JSON"
        raise RecordError(msg) from err
    fields = RecordFields(record, "record")
    version = fields.number("format")
    if version not in {1, RECORD_FORMAT}:
        msg = f"record format {version}; this Pushover Plus reads 1 to {RECORD_FORMAT}"
        raise RecordError(msg)
    fields.only(_RECORD_FIELDS if version == RECORD_FORMAT else _FORMAT_1_FIELDS)
    seq, item_id, _ = named
    if fields.text("id") != item_id:
        msg = "its id is not the one in its file name"
        raise RecordError(msg)
    users = fields.names("users", required=True)
    if version == RECORD_FORMAT:
        names = fields.names("recipient_names")
        ids = fields.names("recipient_ids")
    else:
        names = fields.names("recipients")
        ids = stored_recipient_ids(recipients, names, users)
    attachment, size = _decode_attachment(
        fields.raw("attachment") if "attachment" in record else None
    )
    return OutboxItem(
        id=item_id,
        seq=seq,
        users=users,
        recipient_ids=ids,
        recipient_names=names,
        message=decode_message(fields.raw("message"), attachment),
        accepted_at=fields.moment("accepted_at"),
        attachment_size=size,
    )


def decode_message(value: object, attachment: Attachment | None) -> Message:
    """Read a message's stored fields back; RecordError for anything else."""
    fields = RecordFields(value, "message")
    fields.only(_MESSAGE_FIELDS)
    return Message(
        message=fields.text("message"),
        title=fields.optional_text("title"),
        devices=fields.names("devices"),
        html=fields.flag("html"),
        monospace=fields.flag("monospace"),
        priority=fields.optional_number("priority"),
        retry=fields.optional_number("retry"),
        expire=fields.optional_number("expire"),
        callback=fields.optional_text("callback"),
        tags=fields.names("tags"),
        sound=fields.optional_text("sound"),
        timestamp=fields.optional_number("timestamp"),
        ttl=fields.optional_number("ttl"),
        url=fields.optional_text("url"),
        url_title=fields.optional_text("url_title"),
        attachment=attachment,
        encrypted=fields.flag("encrypted"),
    )


def _decode_attachment(value: object) -> tuple[Attachment | None, int]:
    if value is None:
        return None, 0
    fields = RecordFields(value, "attachment")
    fields.only(_ATTACHMENT_FIELDS)
    attachment = Attachment(
        content=b"",
        content_type=fields.text("content_type"),
        filename=fields.text("filename"),
    )
    return attachment, fields.number("size")


class QueueStore:
    """One entry's spool of queued messages, used from the event loop."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to an entry's spool directory; nothing is read yet."""
        self._hass = hass
        self._spool = Spool(spool_directory(hass, entry_id))
        self._legacy = _legacy_store_path(hass, entry_id)

    @property
    def stats(self) -> SpoolStats:
        """The files and bytes written since the entry was loaded."""
        return self._spool.stats

    @property
    def directory(self) -> Path:
        """Where the queue's files are."""
        return self._spool.directory

    async def async_load(self, recipients: Sequence[Recipient]) -> StoredQueue:
        """Read the queue (moving a 0.2.0 outbox in first), oldest first.

        `recipients` are the entry's: older records name theirs alone.
        """
        return await self._hass.async_add_executor_job(self._load, recipients)

    async def async_add(self, item: OutboxItem, attachment: bytes | None) -> None:
        """Store a message durably (its attachment first); raise OSError if not."""
        await self._hass.async_add_executor_job(self._add, item, attachment)

    async def async_remove(self, items: Sequence[OutboxItem]) -> None:
        """Delete sent or dropped messages' files; raise OSError if not."""
        names = [name for item in items for name in _names_of(item)]
        await self._hass.async_add_executor_job(self._spool.remove, names)

    async def async_read_attachment(self, item: OutboxItem) -> bytes:
        """Read a queued message's image; AttachmentLostError if its file is gone."""
        try:
            return await self._hass.async_add_executor_job(
                self._spool.read, item.attachment_name
            )
        except FileNotFoundError as err:
            raise AttachmentLostError from err

    def _add(self, item: OutboxItem, attachment: bytes | None) -> None:
        if attachment is not None:
            self._spool.write(item.attachment_name, attachment)
        try:
            self._spool.write(item.record_name, encode_record(item))
        except BaseException:
            # Not accepted: its image must not stay behind as a stray file.
            self._spool.remove([item.attachment_name])
            raise

    def _load(self, recipients: Sequence[Recipient]) -> StoredQueue:
        found = StoredQueue(items=[], lost=[], set_aside={})
        if self._legacy.exists():
            _migrate_legacy_store(self._legacy, self._spool, recipients, found)
        names = self._spool.names()
        attachments = {name for name in names if name.endswith(".bin")}
        for name in names:
            if name.endswith(SET_ASIDE_SUFFIX):
                found.set_aside.setdefault(
                    self._spool.directory / name, "set aside at an earlier start"
                )
            elif name.endswith(".json"):
                self._load_record(name, recipients, attachments, found)
        # An image whose record was never written was never accepted.
        self._spool.remove(attachments)
        return found

    def _load_record(
        self,
        name: str,
        recipients: Sequence[Recipient],
        attachments: set[str],
        found: StoredQueue,
    ) -> None:
        try:
            item = decode_record(name, self._spool.read(name), recipients)
        except (RecordError, OSError) as err:
            aside = self._spool.set_aside(name)
            found.set_aside[self._spool.directory / aside] = str(err)
            _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                "Queued message file %s cannot be read: %s", name, err
            )
            return
        if item.message.attachment is None:
            found.items.append(item)
        elif item.attachment_name in attachments:
            attachments.discard(item.attachment_name)
            found.items.append(item)
        else:
            found.lost.append(item)


def _names_of(item: OutboxItem) -> list[str]:
    names = [item.record_name]
    if item.message.attachment is not None:
        names.append(item.attachment_name)
    return names


def spool_directory(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's queued messages are kept."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_outbox", entry_id))


def _legacy_store_path(hass: HomeAssistant, entry_id: str) -> Path:
    return Path(hass.config.path(".storage", f"{DOMAIN}.outbox.{entry_id}"))


def remove_queue(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's queue, files set aside included (blocking)."""
    shutil.rmtree(spool_directory(hass, entry_id), ignore_errors=True)
    _legacy_store_path(hass, entry_id).unlink(missing_ok=True)


def _migrate_legacy_store(
    legacy: Path, spool: Spool, recipients: Sequence[Recipient], found: StoredQueue
) -> None:
    """Move the queue of a 0.2.0 outbox (one store file) into the spool.

    Safe to repeat: a stop half-way leaves the old file, and a message whose
    record is already in the spool is skipped the second time.
    """
    try:
        records = json.loads(legacy.read_bytes())["data"]["items"]
        if not isinstance(records, list):
            msg = "its items are not a list"
            raise TypeError(msg)  # noqa: TRY301 - one handler for every shape
    except (ValueError, KeyError, TypeError) as err:
        aside = legacy.with_name(legacy.name + SET_ASIDE_SUFFIX)
        legacy.replace(aside)
        found.set_aside[aside] = f"not a 0.2.0 outbox: {err}"
        _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
            "The stored outbox %s cannot be read: %s", legacy.name, err
        )
        return
    names = spool.names()
    stored = [named for name in names if (named := _named(name))]
    moved = {item_id for _, item_id, _ in stored}
    seq = max((sequence for sequence, _, _ in stored), default=0)
    for record in records:
        seq += 1
        try:
            item = _from_legacy_record(record, seq, recipients)
        except RecordError as err:
            kept = f"{seq:012d}-legacy.json{SET_ASIDE_SUFFIX}"
            spool.write(kept, json.dumps(record).encode())
            found.set_aside[spool.directory / kept] = str(err)
            continue
        if item.id not in moved:
            _move_legacy_item(item, spool)
    legacy.unlink()
    _LOGGER.info("Moved %d queued messages into %s", len(records), spool.directory)


def _move_legacy_item(item: OutboxItem, spool: Spool) -> None:
    """Write a 0.2.0 item's record, its picture (kept by id alone) renamed beside it."""
    if item.message.attachment is not None:
        old = spool.directory / f"{item.id}.bin"
        if old.exists():
            item = item.replace(attachment_size=old.stat().st_size)
            old.replace(spool.directory / item.attachment_name)
    spool.write(item.record_name, encode_record(item))


def _from_legacy_record(
    record: object, seq: int, recipients: Sequence[Recipient]
) -> OutboxItem:
    """Read one item as the 0.2.0 outbox stored it (its recipients by name)."""
    fields = RecordFields(record, "record")
    fields.only(
        frozenset({"id", "users", "recipients", "accepted_at", "message", "attachment"})
    )
    item_id = fields.text("id")
    if not _is_item_id(item_id):
        msg = "its id is not a queued message's id"
        raise RecordError(msg)
    described = fields.raw("attachment")
    attachment = None
    if described is not None:
        attachment_fields = RecordFields(described, "attachment")
        attachment_fields.only(frozenset({"content_type", "filename"}))
        attachment = Attachment(
            content=b"",
            content_type=attachment_fields.text("content_type"),
            filename=attachment_fields.text("filename"),
        )
    users = fields.names("users", required=True)
    names = fields.names("recipients")
    return OutboxItem(
        id=item_id,
        seq=seq,
        users=users,
        recipient_ids=stored_recipient_ids(recipients, names, users),
        recipient_names=names,
        message=decode_message(fields.raw("message"), attachment),
        accepted_at=fields.moment("accepted_at"),
    )


def _named(name: str) -> tuple[int, str, str] | None:
    """Return a queue file's sequence, id and kind ("json", "bin"), or None."""
    stem, _, kind = name.rpartition(".")
    sequence, _, item_id = stem.partition("-")
    if (
        kind in _KINDS
        and len(sequence) == _SEQUENCE_DIGITS
        and sequence.isascii()
        and sequence.isdigit()
        and _is_item_id(item_id)
    ):
        return int(sequence), item_id, kind
    return None


def _is_item_id(text: str) -> bool:
    """Tell whether a text is a queued message's id: 32 hexadecimal digits."""
    return len(text) == _ID_DIGITS and not text.strip(HEX_DIGITS)
