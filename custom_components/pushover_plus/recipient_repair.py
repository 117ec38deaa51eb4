"""The repair notices about recipients and about moving over to Pushover Plus.

- Built-in `pushover` entries left to move over: one notice, whose text links
  to the config flow that moves them.
- A renamed recipient whose legacy action kept its first name: fixable (the
  fix flow is in `repairs.py`); ignoring it keeps the old name for good.
- A primary key that no device is logged in with: Pushover is asked again
  every hour until one is, and the notice goes.

The notice of a legacy action that another integration holds is raised where
the action is registered (`legacy_notify.py`).
"""

from datetime import datetime
import logging

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import slugify

from .api import PushoverClient, PushoverError
from .choices import async_note_devices
from .const import BUILTIN_DOMAIN, DOMAIN, NO_DEVICES_RECHECK_INTERVAL
from .data import PushoverConfigEntry
from .migrate_builtin import movable_builtin_entries
from .recipients import Recipient
from .repairs import (
    ACTION_KEPT,
    FIX_ENTRY_ID,
    FIX_RECIPIENT_ID,
    async_clear_issue,
    async_issue_items,
    async_raise_issue,
)

_LOGGER = logging.getLogger(__name__)

BUILTIN_ENTRIES = "builtin_entries"
NO_ACTIVE_DEVICES = "no_active_devices"


@callback
def async_watch_builtin_entries(hass: HomeAssistant) -> None:
    """Keep the notice of built-in entries left to move over up to date.

    It changes when an entry of either integration is added or removed, so
    it follows their changes for as long as Home Assistant runs.
    """

    @callback
    def changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:  # noqa: ARG001
        if entry.domain in {BUILTIN_DOMAIN, DOMAIN}:
            _async_update_builtin_notice(hass)

    _async_update_builtin_notice(hass)
    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)


@callback
def _async_update_builtin_notice(hass: HomeAssistant) -> None:
    if entries := movable_builtin_entries(hass):
        async_raise_issue(
            hass,
            BUILTIN_ENTRIES,
            None,
            severity=ir.IssueSeverity.WARNING,
            placeholders={"entries": ", ".join(f'"{item.title}"' for item in entries)},
        )
    else:
        async_clear_issue(hass, BUILTIN_ENTRIES, None)


@callback
def async_update_kept_actions(
    hass: HomeAssistant, entry_id: str, recipients: list[Recipient]
) -> None:
    """Give each renamed recipient whose action kept its old name a notice.

    Notices of recipients no longer there (or whose names match their
    actions again) go.
    """
    renamed = {
        recipient.id: recipient
        for recipient in recipients
        if slugify(recipient.name) != recipient.service_name
    }
    for recipient in renamed.values():
        async_raise_issue(
            hass,
            ACTION_KEPT,
            entry_id,
            item=recipient.id,
            severity=ir.IssueSeverity.WARNING,
            placeholders={
                "recipient": recipient.name,
                "action": recipient.service_name,
                "new_action": slugify(recipient.name),
            },
            fix_data={FIX_ENTRY_ID: entry_id, FIX_RECIPIENT_ID: recipient.id},
        )
    for item in async_issue_items(hass, ACTION_KEPT, entry_id) - set(renamed):
        async_clear_issue(hass, ACTION_KEPT, entry_id, item)


class NoDevicesNotice:
    """The notice of a primary key with no active device, and its recheck."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        primary: Recipient,
    ) -> None:
        """Watch the entry's primary key."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._primary = primary
        self._cancel_timer: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Show the notice and ask Pushover every hour; return what stops it."""
        async_raise_issue(
            self._hass,
            NO_ACTIVE_DEVICES,
            self._entry.entry_id,
            severity=ir.IssueSeverity.WARNING,
            placeholders={"recipient": self._primary.name, "name": self._entry.title},
        )
        self._cancel_timer = async_track_time_interval(
            self._hass,
            self._async_tick,
            NO_DEVICES_RECHECK_INTERVAL,
            name=f"{DOMAIN} device recheck",
        )
        return self._async_stop

    @callback
    def _async_tick(self, _now: datetime) -> None:
        self._entry.async_create_background_task(
            self._hass, self._async_recheck(), f"{DOMAIN} device recheck"
        )

    async def _async_recheck(self) -> None:
        try:
            info = await self._client.validate_user(self._primary.user_key)
        except PushoverError as err:
            _LOGGER.debug(
                "Could not ask Pushover for the primary key's devices: %s", err
            )
            return
        async_note_devices(
            self._hass, self._entry.entry_id, self._primary.user_key, info.devices
        )
        if info.devices:
            self._async_stop()

    @callback
    def _async_stop(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None
        async_clear_issue(self._hass, NO_ACTIVE_DEVICES, self._entry.entry_id)
