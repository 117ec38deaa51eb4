"""The quota and emergency sensors, end to end against the simulator."""

from datetime import UTC, datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import DEFAULT_MONTHLY_LIMIT, PushoverSimulator

from . import limits_reads

COORDINATOR_LOGGER = "custom_components.pushover_plus.coordinator"


LIMITS_KEYS = ("messages_remaining", "messages_used", "monthly_limit", "quota_reset")


def registry_entry_of(
    hass: HomeAssistant, entry: MockConfigEntry, key: str
) -> er.RegistryEntry:
    """Find a sensor in the entity registry by its unique id."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    registry_entry = registry.async_get(entity_id)
    assert registry_entry is not None
    return registry_entry


def state_of(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> State:
    """Return a sensor's state object."""
    state = hass.states.get(registry_entry_of(hass, entry, key).entity_id)
    assert state is not None
    return state


async def send(hass: HomeAssistant, **data: object) -> None:
    """Call the send action."""
    await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )


async def test_limits_sensors_on_application_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The four quota sensors belong to the application's service device."""
    registry_entries = [registry_entry_of(hass, loaded_entry, k) for k in LIMITS_KEYS]

    assert [registry_entry.entity_id for registry_entry in registry_entries] == [
        "sensor.pushover_application_messages_remaining",
        "sensor.pushover_application_messages_used",
        "sensor.pushover_application_monthly_limit",
        "sensor.pushover_application_quota_reset",
    ]
    device_ids = {registry_entry.device_id for registry_entry in registry_entries}
    assert len(device_ids) == 1
    device = dr.async_get(hass).async_get(str(device_ids.pop()))
    assert isinstance(device, dr.DeviceEntry)
    assert device.name == "Pushover application"
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.identifiers == {(DOMAIN, loaded_entry.entry_id)}


async def test_limits_sensors_show_the_quota(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Remaining, used, limit and reset come from apps/limits.json."""
    simulator.set_remaining(9000)
    await loaded_entry.runtime_data.limits.async_refresh()
    reset = datetime.fromtimestamp(simulator.state.quota.reset_at, UTC)

    assert state_of(hass, loaded_entry, "messages_remaining").state == "9000"
    assert state_of(hass, loaded_entry, "messages_used").state == "1000"
    assert state_of(hass, loaded_entry, "monthly_limit").state == str(
        DEFAULT_MONTHLY_LIMIT
    )
    assert state_of(hass, loaded_entry, "quota_reset").state == reset.isoformat()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "messages_remaining",
            {
                ATTR_FRIENDLY_NAME: "Pushover application Messages remaining",
                ATTR_UNIT_OF_MEASUREMENT: "messages",
                ATTR_STATE_CLASS: SensorStateClass.MEASUREMENT,
                ATTR_DEVICE_CLASS: None,
            },
        ),
        (
            "messages_used",
            {
                ATTR_FRIENDLY_NAME: "Pushover application Messages used",
                ATTR_UNIT_OF_MEASUREMENT: "messages",
                ATTR_STATE_CLASS: SensorStateClass.MEASUREMENT,
                ATTR_DEVICE_CLASS: None,
            },
        ),
        (
            "monthly_limit",
            {
                ATTR_FRIENDLY_NAME: "Pushover application Monthly limit",
                ATTR_UNIT_OF_MEASUREMENT: "messages",
                ATTR_STATE_CLASS: None,
                ATTR_DEVICE_CLASS: None,
            },
        ),
        (
            "quota_reset",
            {
                ATTR_FRIENDLY_NAME: "Pushover application Quota reset",
                ATTR_UNIT_OF_MEASUREMENT: None,
                ATTR_STATE_CLASS: None,
                ATTR_DEVICE_CLASS: SensorDeviceClass.TIMESTAMP,
            },
        ),
    ],
)
async def test_limits_sensor_attributes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    key: str,
    expected: dict[str, str | None],
) -> None:
    """Each quota sensor has its translated name, unit and classes."""
    attributes = state_of(hass, loaded_entry, key).attributes

    assert {name: attributes.get(name) for name in expected} == expected


async def test_monthly_limit_is_diagnostic(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Only the monthly limit is a diagnostic entity."""
    categories = {
        key: registry_entry_of(hass, loaded_entry, key).entity_category
        for key in LIMITS_KEYS
    }

    assert categories == {
        "messages_remaining": None,
        "messages_used": None,
        "monthly_limit": EntityCategory.DIAGNOSTIC,
        "quota_reset": None,
    }


async def test_send_updates_quota_without_a_poll(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A send's X-Limit-App-* headers move the sensors; no limits request."""
    polls = limits_reads(simulator)

    await send(hass, message="Hello")

    assert state_of(hass, loaded_entry, "messages_remaining").state == str(
        DEFAULT_MONTHLY_LIMIT - 1
    )
    assert state_of(hass, loaded_entry, "messages_used").state == "1"
    assert limits_reads(simulator) == polls


async def test_emergency_sensors_start_empty(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """With no emergency sent, the last is unknown and none are open."""
    last = state_of(hass, loaded_entry, "last_emergency")

    assert last.state == STATE_UNKNOWN
    assert "receipt" not in last.attributes
    assert state_of(hass, loaded_entry, "open_emergencies").state == "0"


async def test_emergency_send_shows_in_sensors(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An emergency message is pending and open, with its details."""
    await send(hass, message="Smoke", title="Kitchen", priority=2, tags=["fire"])

    last = state_of(hass, loaded_entry, "last_emergency")
    assert last.state == "pending"
    assert last.attributes["receipt"] == simulator.messages[-1].receipt
    assert last.attributes["title"] == "Kitchen"
    assert last.attributes["tags"] == ["fire"]
    assert last.attributes["recipients"] == ["Pushover"]
    assert last.attributes["acknowledged_by"] is None
    assert "state" not in last.attributes
    assert state_of(hass, loaded_entry, "open_emergencies").state == "1"


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move time on and run what became due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_failed_polls_make_limits_unavailable_until_recovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failing polls make the quota unavailable, logged once; recovery too."""
    simulator.faults.fail_next = 1000

    await advance(hass, freezer, timedelta(minutes=61))
    await advance(hass, freezer, timedelta(minutes=61))

    assert limits_reads(simulator) == 3
    assert {state_of(hass, loaded_entry, key).state for key in LIMITS_KEYS} == {
        STATE_UNAVAILABLE
    }
    assert state_of(hass, loaded_entry, "open_emergencies").state == "0"

    simulator.faults.fail_next = 0
    await advance(hass, freezer, timedelta(minutes=61))

    assert STATE_UNAVAILABLE not in {
        state_of(hass, loaded_entry, key).state for key in LIMITS_KEYS
    }
    records = [r for r in caplog.records if r.name == COORDINATOR_LOGGER]
    errors = [r for r in records if r.levelno == logging.ERROR]
    recovered = [r for r in records if "recovered" in r.getMessage()]
    assert len(errors) == 1
    assert "HTTP 503" in errors[0].getMessage()
    assert len(recovered) == 1
