"""The quota and emergency sensors, end to end against the simulator."""

from datetime import UTC, datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import DEFAULT_MONTHLY_LIMIT, PushoverSimulator

from . import SNAPSHOT_TIME, limits_reads, snapshot_one_platform

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


async def test_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor's registry entry and state, and the application's device."""
    freezer.move_to(SNAPSHOT_TIME)

    await snapshot_one_platform(hass, entry_with_alex, Platform.SENSOR, snapshot)


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


async def test_emergency_send_shows_in_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """An emergency message is pending and open, with its details."""
    freezer.move_to(SNAPSHOT_TIME)
    await send(hass, message="Smoke", title="Kitchen", priority=2, tags=["fire"])

    last = state_of(hass, loaded_entry, "last_emergency")
    assert last.state == "pending"
    # The receipt is the simulator's random id.
    assert last.attributes["receipt"] == simulator.messages[-1].receipt
    assert dict(last.attributes) == snapshot(exclude=props("receipt"))
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
