"""Setting up, unloading and reloading a config entry."""

from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import CONF_USER_KEY, DOMAIN
from pushover_simulator import PushoverSimulator


async def test_setup_and_unload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A loaded entry offers the entity and legacy actions; unload removes them."""
    assert hass.states.get("notify.pushover") is not None
    assert hass.services.has_service("notify", "pushover")
    assert hass.services.has_service(DOMAIN, "send_message")

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert not hass.services.has_service("notify", "pushover")
    assert hass.services.has_service(DOMAIN, "send_message")


async def test_reload_keeps_one_legacy_action(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A reload replaces the legacy action instead of adding a second."""
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert len(hass.data[NOTIFY_SERVICES][DOMAIN]) == 1
    assert hass.services.has_service("notify", "pushover")


async def test_invalid_token_starts_reauth(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    api_base_url: str,
) -> None:
    """A refused token fails setup with an auth error, which starts reauth."""
    simulator.faults.reject_token = True
    config_entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_refused_primary_key_is_an_error(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """A primary key Pushover does not know cannot be fixed by retrying."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_USER_KEY: "u" * 30}
    )

    assert not await hass.config_entries.async_setup(config_entry.entry_id)

    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert config_entry.reason is not None
    assert "primary user or group key" in config_entry.reason


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_loads_while_pushover_is_down(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    api_base_url: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreachable Pushover still loads the entry, so messages can queue."""
    simulator.faults.fail_next = 2
    simulator.faults.fail_status = status
    config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert "messages are queued until it can" in caplog.text
    remaining = "sensor.pushover_app_remaining_messages"
    assert hass.states.get(remaining).state == "unavailable"  # type: ignore[union-attr]


# What Pushover Plus 0.2.0 registered: its names made these entity ids.
ENTITY_IDS_BEFORE_THE_RENAMING = {
    "messages_remaining": "sensor.pushover_application_messages_remaining",
    "messages_used": "sensor.pushover_application_messages_used",
    "monthly_limit": "sensor.pushover_application_monthly_limit",
    "quota_reset": "sensor.pushover_application_quota_reset",
    "last_emergency": "sensor.pushover_application_last_emergency",
    "open_emergencies": "sensor.pushover_application_open_emergencies",
    "queued_messages": "sensor.pushover_application_queued_messages",
    "emergency": "event.pushover_application_emergency",
}
# 0.2.0 gave these the unit "messages".
COUNTED_IN_MESSAGES = {
    "messages_remaining",
    "messages_used",
    "monthly_limit",
    "queued_messages",
}


async def test_an_earlier_installation_keeps_its_entity_ids(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """New names rename neither entity ids nor re-disable enabled sensors.

    The registry keeps the entity id an entity got when it was first
    registered; only its friendly name and its device's name follow the
    translations. Sensors registered enabled stay enabled.
    """
    config_entry.add_to_hass(hass)
    device_registry = dr.async_get(hass)
    entity_registry = er.async_get(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=config_entry.entry_id,
        identifiers={(DOMAIN, config_entry.entry_id)},
        name="Pushover application",
    )
    for key, entity_id in ENTITY_IDS_BEFORE_THE_RENAMING.items():
        domain, object_id = entity_id.split(".")
        entity_registry.async_get_or_create(
            domain,
            DOMAIN,
            f"{config_entry.entry_id}_{key}",
            suggested_object_id=object_id,
            config_entry=config_entry,
            device_id=device.id,
            unit_of_measurement="messages" if key in COUNTED_IN_MESSAGES else None,
        )

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    for key, entity_id in ENTITY_IDS_BEFORE_THE_RENAMING.items():
        domain = entity_id.split(".")[0]
        assert (
            entity_registry.async_get_entity_id(
                domain, DOMAIN, f"{config_entry.entry_id}_{key}"
            )
            == entity_id
        )
    used = hass.states.get("sensor.pushover_application_messages_used")
    assert used is not None
    assert used.name == "Pushover app Sent this month"
    assert used.state == "0"
    remaining = hass.states.get("sensor.pushover_application_messages_remaining")
    assert remaining is not None
    assert remaining.name == "Pushover app Remaining messages"
    assert "unit_of_measurement" not in remaining.attributes
    renamed = device_registry.async_get(device.id)
    assert renamed is not None
    assert renamed.name == "Pushover app"
