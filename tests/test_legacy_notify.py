"""The one internal of Home Assistant the legacy actions rely on: NOTIFY_SERVICES.

Home Assistant's legacy notify keeps every discovered service in
`hass.data[NOTIFY_SERVICES][<integration>]`, a list that `notify.reload`
registers again. `legacy_notify.py` takes an unloaded entry's services out of
that list. These tests fail if Home Assistant changes its shape.
"""

from homeassistant.components.notify.legacy import (
    NOTIFY_SERVICES,
    BaseNotificationService,
    async_reload,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.legacy_notify import PushoverLegacyNotifyService


async def test_home_assistant_keeps_each_legacy_service_in_a_list(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A dict by integration name, holding a list of the services themselves."""
    registered = hass.data[NOTIFY_SERVICES]

    assert isinstance(registered, dict)
    [service] = registered[DOMAIN]
    assert isinstance(service, PushoverLegacyNotifyService)
    assert isinstance(service, BaseNotificationService)


async def test_unload_forgets_the_entrys_services(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Gone from the list, so that notify.reload cannot register them again."""
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)

    assert hass.data[NOTIFY_SERVICES][DOMAIN] == []
    assert not hass.services.has_service("notify", "pushover")

    # What a reload of the integration's notify services does.
    await async_reload(hass, DOMAIN)

    assert not hass.services.has_service("notify", "pushover")
