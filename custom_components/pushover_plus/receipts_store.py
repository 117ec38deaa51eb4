"""The receipts path's storage: one file per open emergency message.

Like the outbox's queue (`outbox_store.py`), nothing stored is rewritten when
something else changes: an emergency message Pushover accepted is written
once, as `{receipt}.json`, and deleted when it closes; `last.json` holds the
latest emergency message, open or closed, for the sensor. Polls change
nothing on disk (after a restart the first poll simply comes sooner).

A file that cannot be read is renamed aside and named in a repair notice;
the receipt store of Pushover Plus 0.2.0 (one file) is moved over on load.

Format 2 stores the recipients' ids beside their names. Records of format 1
(and 0.2.0's) named them alone: each name that one recipient alone has is
read as that recipient's id (`stored_recipient_ids`).
"""

from collections.abc import Sequence
import json
import logging
from pathlib import Path
import shutil
from typing import Any, Final

from homeassistant.core import HomeAssistant

from .const import DOMAIN, RECEIPT_PATTERN
from .receipts_model import EmergencyState, TrackedReceipt
from .recipients import Recipient, stored_recipient_ids
from .records import RecordError, RecordFields
from .spool import SET_ASIDE_SUFFIX, Spool
from .value import Value

_LOGGER = logging.getLogger(__name__)

RECORD_FORMAT: Final = 2
LAST: Final = "last.json"
_RECEIPT_SUFFIX: Final = ".json"
_FIELDS: Final = frozenset(
    {
        "format",
        "receipt",
        "title",
        "tags",
        "recipient_ids",
        "recipient_names",
        "sent_at",
        "expires_at",
        "uses_callback",
        "state",
        "acknowledged_by",
        "acknowledged_by_device",
        "changed_at",
    }
)
# Format 1 named the recipients alone, and `uses_callback` was `callback`.
_FORMAT_1_FIELDS: Final = _FIELDS - {
    "recipient_ids",
    "recipient_names",
    "uses_callback",
} | {"recipients", "callback"}


class StoredReceipts(Value):
    """What a load found: the open receipts, the latest one, what it could not use."""

    __slots__ = ("last", "open", "set_aside")
    open: Final[list[TrackedReceipt]]
    last: Final[TrackedReceipt | None]
    set_aside: Final[dict[Path, str]]

    def __init__(
        self,
        *,
        open: list[TrackedReceipt],  # noqa: A002 - named as the field
        last: TrackedReceipt | None,
        set_aside: dict[Path, str],
    ) -> None:
        """Set the fields, each given by name."""
        self.open = open
        self.last = last
        self.set_aside = set_aside


def encode_receipt(tracked: TrackedReceipt) -> bytes:
    """Write a tracked receipt's record, field by field (poll times left out)."""
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "receipt": tracked.receipt,
        "tags": list(tracked.tags),
        "recipient_ids": list(tracked.recipient_ids),
        "recipient_names": list(tracked.recipient_names),
        "sent_at": tracked.sent_at.isoformat(),
        "expires_at": tracked.expires_at.isoformat(),
        "uses_callback": tracked.uses_callback,
        "state": tracked.state.value,
    }
    optional = {
        "title": tracked.title,
        "acknowledged_by": tracked.acknowledged_by,
        "acknowledged_by_device": tracked.acknowledged_by_device,
        "changed_at": tracked.changed_at.isoformat() if tracked.changed_at else None,
    }
    record |= {key: value for key, value in optional.items() if value is not None}
    return json.dumps(record, separators=(",", ":")).encode()


def decode_receipt(content: bytes, recipients: Sequence[Recipient]) -> TrackedReceipt:
    """Read a record back; RecordError for anything not written as above.

    `recipients` are the entry's, which a record of format 1 is read with.
    """
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
    fields.only(_FIELDS if version == RECORD_FORMAT else _FORMAT_1_FIELDS)
    return _tracked(fields, version, recipients)


def _tracked(
    fields: RecordFields, version: int, recipients: Sequence[Recipient]
) -> TrackedReceipt:
    receipt = fields.text("receipt")
    if not RECEIPT_PATTERN.fullmatch(receipt):
        msg = "its receipt is not 30 letters and digits"
        raise RecordError(msg)
    state = fields.text("state")
    if state not in {item.value for item in EmergencyState}:
        msg = f"its state {state!r} is not one of this version's"
        raise RecordError(msg)
    if version == RECORD_FORMAT:
        names = fields.names("recipient_names")
        ids = fields.names("recipient_ids")
        uses_callback = fields.boolean("uses_callback")
    else:
        names = fields.names("recipients")
        ids = stored_recipient_ids(recipients, names)
        uses_callback = fields.boolean("callback")
    return TrackedReceipt(
        receipt=receipt,
        title=fields.optional_text("title"),
        tags=list(fields.names("tags")),
        recipient_ids=list(ids),
        recipient_names=list(names),
        sent_at=fields.moment("sent_at"),
        expires_at=fields.moment("expires_at"),
        uses_callback=uses_callback,
        state=EmergencyState(state),
        acknowledged_by=fields.optional_text("acknowledged_by"),
        acknowledged_by_device=fields.optional_text("acknowledged_by_device"),
        changed_at=fields.optional_moment("changed_at"),
    )


class ReceiptStore:
    """One entry's tracked receipts on disk, used from the event loop."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to an entry's folder; nothing is read yet."""
        self._hass = hass
        self._spool = Spool(receipts_directory(hass, entry_id))
        self._legacy = _legacy_store_path(hass, entry_id)

    @property
    def directory(self) -> Path:
        """Where the receipts' files are."""
        return self._spool.directory

    async def async_load(self, recipients: Sequence[Recipient]) -> StoredReceipts:
        """Read the open receipts and the latest one (0.2.0's store moved first).

        `recipients` are the entry's: older records name theirs alone.
        """
        return await self._hass.async_add_executor_job(self._load, recipients)

    async def async_save(
        self,
        tracked: list[TrackedReceipt],
        closed: list[TrackedReceipt],
        last: TrackedReceipt | None,
    ) -> None:
        """Write new receipts, delete closed ones, write the latest; or OSError."""
        await self._hass.async_add_executor_job(self._save, tracked, closed, last)

    def _save(
        self,
        tracked: list[TrackedReceipt],
        closed: list[TrackedReceipt],
        last: TrackedReceipt | None,
    ) -> None:
        for item in tracked:
            self._spool.write(f"{item.receipt}.json", encode_receipt(item))
        self._spool.remove(f"{item.receipt}.json" for item in closed)
        if last is not None:
            self._spool.write(LAST, encode_receipt(last))

    def _load(self, recipients: Sequence[Recipient]) -> StoredReceipts:
        pending: list[TrackedReceipt] = []
        last: TrackedReceipt | None = None
        set_aside: dict[Path, str] = {}
        closed: list[str] = []
        if self._legacy.exists():
            _migrate_legacy_store(self._legacy, self._spool, recipients, set_aside)
        for name in self._spool.names():
            if name.endswith(SET_ASIDE_SUFFIX):
                set_aside.setdefault(
                    self._spool.directory / name, "set aside at an earlier start"
                )
                continue
            try:
                tracked = self._read(name, recipients)
            except (RecordError, OSError) as err:
                aside = self._spool.set_aside(name)
                set_aside[self._spool.directory / aside] = str(err)
                _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                    "Tracked receipt file %s cannot be read: %s", name, err
                )
                continue
            if name == LAST:
                last = tracked
            elif tracked.state is EmergencyState.PENDING:
                pending.append(tracked)
            else:
                closed.append(name)
        # Left by a stop between a receipt's close and its file's deletion.
        self._spool.remove(closed)
        pending.sort(key=lambda item: item.sent_at)
        if last is not None:
            # The latest emergency, if still open, must be the open object
            # itself, or closing it would leave `last` pending for ever.
            receipt = last.receipt
            last = next((item for item in pending if item.receipt == receipt), last)
        return StoredReceipts(open=pending, last=last, set_aside=set_aside)

    def _read(self, name: str, recipients: Sequence[Recipient]) -> TrackedReceipt:
        named = _receipt_of_file(name)
        if name != LAST and named is None:
            msg = "not a tracked receipt's file name"
            raise RecordError(msg)
        tracked = decode_receipt(self._spool.read(name), recipients)
        if named is not None and tracked.receipt != named:
            msg = "its receipt is not the one in its file name"
            raise RecordError(msg)
        return tracked


def receipts_directory(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's tracked receipts are kept."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_receipts", entry_id))


def _legacy_store_path(hass: HomeAssistant, entry_id: str) -> Path:
    return Path(hass.config.path(".storage", f"{DOMAIN}.receipts.{entry_id}"))


def remove_receipts(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's tracked receipts, files set aside included (blocking)."""
    shutil.rmtree(receipts_directory(hass, entry_id), ignore_errors=True)
    _legacy_store_path(hass, entry_id).unlink(missing_ok=True)


def _migrate_legacy_store(
    legacy: Path,
    spool: Spool,
    recipients: Sequence[Recipient],
    set_aside: dict[Path, str],
) -> None:
    """Move the receipts of a 0.2.0 store (one file) into the folder; repeatable."""
    try:
        data = json.loads(legacy.read_bytes())["data"]
        records = [*data["open"], *([data["last"]] if data.get("last") else [])]
    except (ValueError, KeyError, TypeError) as err:
        aside = legacy.with_name(legacy.name + SET_ASIDE_SUFFIX)
        legacy.replace(aside)
        set_aside[aside] = f"not a 0.2.0 receipt store: {err}"
        _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
            "The stored receipts %s cannot be read: %s", legacy.name, err
        )
        return
    for number, record in enumerate(records):
        is_last = number == len(records) - 1 and bool(data.get("last"))
        try:
            tracked = _from_legacy_record(record, recipients)
        except RecordError as err:
            kept = f"legacy-{number}.json{SET_ASIDE_SUFFIX}"
            spool.write(kept, json.dumps(record).encode())
            set_aside[spool.directory / kept] = str(err)
            continue
        name = LAST if is_last else f"{tracked.receipt}.json"
        spool.write(name, encode_receipt(tracked))
    legacy.unlink()


def _from_legacy_record(
    record: object, recipients: Sequence[Recipient]
) -> TrackedReceipt:
    """Read one receipt as the 0.2.0 store wrote it (every field, None when unset)."""
    fields = RecordFields(record, "record")
    fields.only(_FORMAT_1_FIELDS - {"format"} | {"polled_at"})
    cleaned = {
        key: value
        for key, value in (record if isinstance(record, dict) else {}).items()
        if value is not None and key != "polled_at"
    }
    return _tracked(RecordFields(cleaned, "record"), 1, recipients)


def _receipt_of_file(name: str) -> str | None:
    """Return the receipt a tracked receipt's file is named after, else None."""
    receipt = name.removesuffix(_RECEIPT_SUFFIX)
    if receipt == name or not RECEIPT_PATTERN.fullmatch(receipt):
        return None
    return receipt
