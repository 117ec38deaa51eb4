"""The repair notices of an inbox: why it stopped, and the device left behind.

An inbox that stops for good says why in a notice, which goes once the entry
loads again: Pushover ended its session (a new login is asked for), its
device needs a Pushover for Desktop licence, or the device logged in from
another session. Pushover's API cannot delete a device, so removing an inbox
leaves a notice that names the device to delete on Pushover's website.
"""

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_DEVICE_NAME, DESKTOP_LICENSING_URL
from .data import InboxConfigEntry
from .inbox_sync import Stop
from .repairs import DEVICE_LEFT, async_clear_issue, async_raise_issue

ISSUE_OF_STOP: Final = {
    Stop.SESSION_ENDED: "inbox_session_ended",
    Stop.LICENCE: "inbox_licence_required",
    Stop.ELSEWHERE: "inbox_logged_in_elsewhere",
}
PUSHOVER_DASHBOARD_URL: Final = "https://pushover.net/"


@callback
def async_report_stop(hass: HomeAssistant, entry: InboxConfigEntry, why: Stop) -> None:
    """Say in a notice why the inbox stopped receiving."""
    async_raise_issue(
        hass,
        ISSUE_OF_STOP[why],
        entry.entry_id,
        severity=ir.IssueSeverity.ERROR,
        placeholders=_placeholders(entry),
    )


@callback
def async_clear_stops(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the notices of an earlier stop: the inbox receives again."""
    for key in ISSUE_OF_STOP.values():
        async_clear_issue(hass, key, entry_id)


@callback
def async_report_device_left(hass: HomeAssistant, entry: InboxConfigEntry) -> None:
    """Name the device that stays on the Pushover account after a removal.

    The notice is fixable: its fix only confirms that the device is gone.
    """
    async_raise_issue(
        hass,
        DEVICE_LEFT,
        entry.entry_id,
        severity=ir.IssueSeverity.WARNING,
        placeholders=_placeholders(entry),
        fix_data={},
    )


def _placeholders(entry: InboxConfigEntry) -> dict[str, str]:
    return {
        "name": entry.title,
        "device": entry.data[CONF_DEVICE_NAME],
        "licensing_url": DESKTOP_LICENSING_URL,
        "dashboard_url": PUSHOVER_DASHBOARD_URL,
    }
