"""What an inbox remembers across restarts: the highest message id it delivered.

One small file, `.storage/pushover_plus_inbox/<entry id>/state.json`, written
whole or not at all (`spool.py`: a temporary name, flushed, renamed, the
folder flushed) after each batch of messages reached Home Assistant and
before Pushover is told to delete them. A restart between the two finds the
messages still at Pushover and this id past them, so they are deleted
without being delivered again. It also keeps the apps seen lately, which the
options offer to ignore.

The file holds no message text, no secret and no device id. One this
version cannot read is renamed aside (`.unreadable`) and the inbox starts
from nothing: it then delivers again only what Pushover still holds, which
it deletes after each batch.

An app seen is a `Value` and the state a plain class: a dataclass or a
named tuple costs more to create when the module is imported, at every start.
"""

import json
import logging
from pathlib import Path
import shutil
from typing import Final

from homeassistant.core import HomeAssistant

from .const import DOMAIN, MAX_SEEN_APPS
from .records import RecordError, RecordFields
from .spool import Spool
from .value import Value

_LOGGER = logging.getLogger(__name__)

RECORD_FORMAT: Final = 1
STATE_FILE: Final = "state.json"
_FIELDS: Final = frozenset({"format", "highest_delivered", "seen_apps"})
_APP_FIELDS: Final = frozenset({"aid", "app"})


class SeenApp(Value):
    """An application whose messages reached the inbox: its id and name."""

    __slots__ = ("aid", "name")
    aid: Final[int]
    name: Final[str]

    def __init__(
        self,
        *,
        aid: int,
        name: str,
    ) -> None:
        """Set the fields, each given by name."""
        self.aid = aid
        self.name = name


class InboxState:
    """The highest id delivered, and the apps seen lately (newest first)."""

    # Compared by value but not frozen: it cannot be hashed.
    __hash__ = None  # type: ignore[assignment]
    __slots__ = ("highest_delivered", "seen_apps")

    def __init__(
        self, *, highest_delivered: int = 0, seen_apps: list[SeenApp] | None = None
    ) -> None:
        """Hold what was delivered; a new inbox has delivered nothing."""
        self.highest_delivered = highest_delivered
        self.seen_apps: list[SeenApp] = [] if seen_apps is None else seen_apps

    def __eq__(self, other: object) -> bool:
        """Compare field by field: the sync saves only a state that changed."""
        return isinstance(other, InboxState) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def saw(self, app: SeenApp) -> None:
        """Put an app first among those seen, keeping at most MAX_SEEN_APPS."""
        others = [item for item in self.seen_apps if item.aid != app.aid]
        self.seen_apps = [app, *others][:MAX_SEEN_APPS]


def encode_state(state: InboxState) -> bytes:
    """Write the state's record, field by field."""
    record = {
        "format": RECORD_FORMAT,
        "highest_delivered": state.highest_delivered,
        "seen_apps": [{"aid": app.aid, "app": app.name} for app in state.seen_apps],
    }
    return json.dumps(record, separators=(",", ":")).encode()


def decode_state(content: bytes) -> InboxState:
    """Read a state record; raise RecordError unless it is exactly ours."""
    try:
        value = json.loads(content)
    except ValueError as err:
        msg = "it is not JSON"
        raise RecordError(msg) from err
    record = RecordFields(value, "record")
    record.only(_FIELDS)
    if record.number("format") != RECORD_FORMAT:
        msg = "it has a format this version does not know"
        raise RecordError(msg)
    apps = record.raw("seen_apps")
    if not isinstance(apps, list):
        msg = "its seen_apps is not a list"
        raise RecordError(msg)
    seen = []
    for item in apps:
        app = RecordFields(item, "seen app")
        app.only(_APP_FIELDS)
        seen.append(SeenApp(aid=app.number("aid"), name=app.text("app")))
    return InboxState(
        highest_delivered=record.number("highest_delivered"), seen_apps=seen
    )


class InboxStore:
    """The state file of one inbox entry; every call runs in the executor."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to the entry's folder; nothing is read yet."""
        self._hass = hass
        self._spool = Spool(inbox_directory(hass, entry_id))

    @property
    def directory(self) -> Path:
        """Where the entry's state is kept."""
        return self._spool.directory

    async def async_load(self) -> InboxState:
        """Read the state; a missing file is a new inbox.

        Raises OSError when the folder cannot be read at all.
        """
        return await self._hass.async_add_executor_job(self._load)

    async def async_save(self, state: InboxState) -> None:
        """Write the state durably; raises OSError when the disk refuses."""
        await self._hass.async_add_executor_job(
            self._spool.write, STATE_FILE, encode_state(state)
        )

    def _load(self) -> InboxState:
        if STATE_FILE not in self._spool.names():
            return InboxState()
        try:
            return decode_state(self._spool.read(STATE_FILE))
        except RecordError as err:
            aside = self._spool.set_aside(STATE_FILE)
            _LOGGER.warning(
                "The inbox's state file cannot be read (%s); it was renamed %s,"
                " and the messages Pushover still holds are delivered again",
                err,
                aside,
            )
            return InboxState()


def inbox_directory(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an inbox entry's state is kept."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_inbox", entry_id))


def remove_inbox_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an inbox entry's state, a file set aside included (blocking)."""
    shutil.rmtree(inbox_directory(hass, entry_id), ignore_errors=True)
