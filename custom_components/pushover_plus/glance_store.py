"""The glances' storage: one small file per widget, replaced at every change.

A widget is a recipient's glance on one device (or on all of them). Its file
holds what Pushover last accepted for it, when it was last sent, and the
glance waiting for its turn, if an action gave one: so a restart keeps the
pending glance and the 20 minutes since the last update. Only the latest
glance of a widget is ever kept, so an outage never turns into a burst.
Files are written whole or not at all (`spool.py`); one that cannot be read
is set aside and named in a repair notice, like the outbox's.

Recipients are named by their id, never by their key: a key changed in a
reconfigure is used from then on, and no key is written here.

Its records are plain classes: a dataclass costs more to create when the
module is imported, at every start, than they need of it.
"""

import asyncio
from datetime import datetime
import json
import logging
from pathlib import Path
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant

from .api import Glance
from .glances import glances_directory
from .records import RecordError, RecordFields
from .spool import SET_ASIDE_SUFFIX, Spool

_LOGGER = logging.getLogger(__name__)

RECORD_FORMAT: Final = 1
# `<recipient id>.json`, or `<recipient id>~<device>.json` for one device.
_NAME: Final = re.compile(
    r"(?P<recipient>[0-9A-Za-z]{1,64})(?:~(?P<device>[A-Za-z0-9_-]{1,25}))?\.json"
)
_RECORD_FIELDS: Final = frozenset(
    {
        "format",
        "recipient",
        "device",
        "shown",
        "called_at",
        "pending",
        "accepted_at",
        "force",
    }
)
_TEXTS: Final = ("title", "text", "subtext")
_NUMBERS: Final = ("count", "percent")
_GLANCE_FIELDS: Final = frozenset({*_TEXTS, *_NUMBERS})

type WidgetKey = tuple[str, str | None]


class PendingGlance:
    """The latest glance of a widget, waiting for its turn or for Pushover.

    `durable` says whether it is stored: an action's is (accepted means on
    disk); a bound glance's is not, as its binding renders it again at the
    next start.
    """

    # Compared by value but not frozen: it cannot be hashed.
    __hash__ = None  # type: ignore[assignment]
    __slots__ = ("accepted_at", "durable", "force", "glance")

    def __init__(
        self,
        *,
        glance: Glance,
        accepted_at: datetime,
        force: bool = False,
        durable: bool = True,
    ) -> None:
        """Hold the glance, when it was accepted and how it is to go."""
        self.glance = glance
        self.accepted_at = accepted_at
        self.force = force
        self.durable = durable

    def __eq__(self, other: object) -> bool:
        """Compare field by field: a record read back equals the one written."""
        return isinstance(other, PendingGlance) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )


class WidgetState:
    """What one widget shows, when it was last sent, and what waits for it."""

    # Compared by value but not frozen: it cannot be hashed.
    __hash__ = None  # type: ignore[assignment]
    __slots__ = ("called_at", "device", "pending", "recipient_id", "shown")

    def __init__(
        self,
        *,
        recipient_id: str,
        device: str | None,
        shown: Glance | None = None,
        called_at: datetime | None = None,
        pending: PendingGlance | None = None,
    ) -> None:
        """Hold the widget's recipient and device, and what it knows of them."""
        self.recipient_id = recipient_id
        self.device = device
        # What Pushover last accepted for the widget.
        self.shown = shown
        # The last glances.json call for the widget, accepted or refused.
        self.called_at = called_at
        self.pending = pending

    def __eq__(self, other: object) -> bool:
        """Compare field by field: a record read back equals the one written."""
        return isinstance(other, WidgetState) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    @property
    def key(self) -> WidgetKey:
        """The widget: its recipient and device."""
        return (self.recipient_id, self.device)

    @property
    def file_name(self) -> str:
        """The name of the widget's file."""
        if self.device is None:
            return f"{self.recipient_id}.json"
        return f"{self.recipient_id}~{self.device}.json"

    def waiting(self, pending: PendingGlance | None) -> WidgetState:
        """Return a copy of the widget with `pending` waiting for it."""
        return WidgetState(
            recipient_id=self.recipient_id,
            device=self.device,
            shown=self.shown,
            called_at=self.called_at,
            pending=pending,
        )


class StoredGlances:
    """What a load found: the widgets, and the files it could not read."""

    __slots__ = ("set_aside", "widgets")

    def __init__(self) -> None:
        """Start with nothing found."""
        self.widgets: list[WidgetState] = []
        self.set_aside: dict[Path, str] = {}


def encode_record(state: WidgetState) -> bytes:
    """Write a widget's record, field by field; a binding's glance is left out."""
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "recipient": state.recipient_id,
        "device": state.device,
        "shown": _glance_fields(state.shown),
        "called_at": state.called_at.isoformat() if state.called_at else None,
        "pending": None,
        "accepted_at": None,
        "force": False,
    }
    if (pending := state.pending) is not None and pending.durable:
        record["pending"] = _glance_fields(pending.glance)
        record["accepted_at"] = pending.accepted_at.isoformat()
        record["force"] = pending.force
    return json.dumps(record, separators=(",", ":")).encode()


def _glance_fields(glance: Glance | None) -> dict[str, Any] | None:
    if glance is None:
        return None
    values = {
        "title": glance.title,
        "text": glance.text,
        "subtext": glance.subtext,
        "count": glance.count,
        "percent": glance.percent,
    }
    return {key: value for key, value in values.items() if value is not None}


def decode_record(name: str, content: bytes) -> WidgetState:
    """Read a record back; raise RecordError for anything not written as above."""
    matched = _NAME.fullmatch(name)
    if matched is None:
        msg = "not a glance's file name"
        raise RecordError(msg)
    try:
        record = json.loads(content)
    except ValueError as err:
        msg = "not valid JSON"
        raise RecordError(msg) from err
    fields = RecordFields(record, "record")
    version = fields.number("format")
    if version != RECORD_FORMAT:
        msg = f"record format {version}; this Pushover Plus reads {RECORD_FORMAT}"
        raise RecordError(msg)
    fields.only(_RECORD_FIELDS)
    device = fields.raw("device")
    if fields.text("recipient") != matched["recipient"] or device != matched["device"]:
        msg = "its widget is not the one in its file name"
        raise RecordError(msg)
    state = WidgetState(
        recipient_id=matched["recipient"],
        device=matched["device"],
        shown=_decode_glance(fields.raw("shown"), matched["device"]),
        called_at=_moment(fields, "called_at"),
    )
    if (pending := _decode_glance(fields.raw("pending"), state.device)) is not None:
        accepted_at = _moment(fields, "accepted_at")
        if accepted_at is None:
            msg = "its pending glance has no accepted_at"
            raise RecordError(msg)
        state.pending = PendingGlance(
            glance=pending, accepted_at=accepted_at, force=fields.boolean("force")
        )
    return state


def _moment(fields: RecordFields, key: str) -> datetime | None:
    return None if fields.raw(key) is None else fields.moment(key)


def _decode_glance(value: object, device: str | None) -> Glance | None:
    if value is None:
        return None
    fields = RecordFields(value, "glance")
    fields.only(_GLANCE_FIELDS)
    return Glance(
        title=fields.optional_text("title"),
        text=fields.optional_text("text"),
        subtext=fields.optional_text("subtext"),
        count=fields.optional_number("count"),
        percent=fields.optional_number("percent"),
        device=device,
    )


class GlanceStore:
    """One entry's widget files, used from the event loop.

    Writes go one at a time, each encoding the widget as it is when its turn
    comes: two changes in quick succession leave the latest on disk.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to an entry's directory; nothing is read yet."""
        self._hass = hass
        self._spool = Spool(glances_directory(hass, entry_id))
        self._lock = asyncio.Lock()

    @property
    def directory(self) -> Path:
        """Where the widgets' files are."""
        return self._spool.directory

    async def async_load(self) -> StoredGlances:
        """Read every widget's file; raise OSError if the folder cannot be read."""
        return await self._hass.async_add_executor_job(self._load)

    async def async_write(
        self, state: WidgetState, pending: PendingGlance | None
    ) -> None:
        """Replace a widget's file with what it holds, waiting `pending`.

        Encoded when its turn comes, so that what the widget shows and when
        it was sent are the latest. Raises OSError when it cannot be written.
        """
        async with self._lock:
            content = encode_record(state.waiting(pending))
            await self._hass.async_add_executor_job(
                self._spool.write, state.file_name, content
            )

    async def async_remove(self, states: list[WidgetState]) -> None:
        """Delete the files of widgets whose recipient is gone."""
        async with self._lock:
            await self._hass.async_add_executor_job(
                self._spool.remove, [state.file_name for state in states]
            )

    def _load(self) -> StoredGlances:
        found = StoredGlances()
        for name in self._spool.names():
            if name.endswith(SET_ASIDE_SUFFIX):
                found.set_aside[self._spool.directory / name] = (
                    "set aside at an earlier start"
                )
                continue
            try:
                found.widgets.append(decode_record(name, self._spool.read(name)))
            except (RecordError, OSError) as err:
                aside = self._spool.set_aside(name)
                found.set_aside[self._spool.directory / aside] = str(err)
                _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                    "Glance file %s cannot be read: %s", name, err
                )
        return found
