"""Entries written before 1.2 are migrated: no name, no action changes."""

from homeassistant.config_entries import (
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
)

from .flow_helpers import CREDENTIALS, start_user_flow, submit

pytestmark = pytest.mark.usefixtures("api_base_url")


def _entry_of_1_1(title: str = "Home", token: str = TEST_APP_TOKEN) -> MockConfigEntry:
    """Return an entry as 1.1 stored it: the title named the primary recipient.

    Its stored name is the one given when it was added; the user renamed the
    entry since, which renamed the recipient and its action too.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        version=1,
        minor_version=1,
        data={
            CONF_NAME: "Pushover",
            CONF_API_TOKEN: token,
            CONF_USER_KEY: TEST_USER_KEY,
        },
        subentries_data=[
            ConfigSubentryData(
                data={CONF_USER_KEY: TEST_SECOND_USER_KEY, CONF_DEVICES: ["laptop"]},
                subentry_type=SUBENTRY_RECIPIENT,
                title="Family Group",
                unique_id=None,
            )
        ],
        unique_id=token_unique_id(token),
    )


async def test_entry_of_1_1_is_migrated_without_renaming(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    """The title stays; the primary recipient keeps its name and every action."""
    entry = _entry_of_1_1()
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.title == "Home"
    assert entry.data == {
        CONF_NAME: "Home",
        CONF_API_TOKEN: TEST_APP_TOKEN,
        CONF_USER_KEY: TEST_USER_KEY,
        CONF_SERVICE_NAME: "home",
        # Learnt at the setup from what Pushover said of the key.
        CONF_IS_GROUP: False,
    }
    [subentry] = entry.subentries.values()
    assert subentry.title == "Family Group"
    assert subentry.data == {
        CONF_USER_KEY: TEST_SECOND_USER_KEY,
        CONF_DEVICES: ["laptop"],
        CONF_SERVICE_NAME: "family_group",
        # Asked of Pushover once, at this first setup.
        CONF_IS_GROUP: False,
    }
    for action in ("home", "family_group"):
        assert hass.services.has_service(Platform.NOTIFY, action)
    names = {
        device.name
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    }
    assert names == {"Home", "Home app", "Family Group"}


async def test_entry_of_a_newer_minor_version_loads(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A newer minor version only adds: this version reads the entry as it is."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, minor_version=3)

    assert await hass.config_entries.async_setup(config_entry.entry_id)

    assert config_entry.minor_version == 3
    assert config_entry.state is ConfigEntryState.LOADED


async def test_names_of_an_entry_not_migrated_yet_are_taken(
    hass: HomeAssistant,
) -> None:
    """A disabled 1.1 entry is not migrated, but its actions are still its own.

    A new recipient may not take the action it gets back when enabled.
    """
    old = _entry_of_1_1(token=TEST_OTHER_APP_TOKEN)
    old.add_to_hass(hass)
    await hass.config_entries.async_set_disabled_by(
        old.entry_id, ConfigEntryDisabler.USER
    )
    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    for name in ("Home", "Family group"):
        result = await submit(hass, result, {CONF_NAME: name})

        assert result["errors"] == {CONF_NAME: "name_in_use"}
    assert old.minor_version == 1
