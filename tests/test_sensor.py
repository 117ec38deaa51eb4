"""The quota and emergency sensors, end to end against the simulator."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
import logging
from unittest.mock import PropertyMock, patch

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
# Disabled on a new installation until the user enables them.
DISABLED_BY_DEFAULT = {"messages_used", "monthly_limit"}


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Register every entity enabled, as core's tests do for their snapshots."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


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


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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


async def test_less_used_sensors_are_disabled_by_default(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Messages sent (limit less remaining) and the monthly limit start disabled."""
    registry = er.async_get(hass)
    disabled = {
        entry.unique_id.removeprefix(f"{loaded_entry.entry_id}_"): entry.disabled_by
        for entry in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if entry.disabled_by is not None
    }

    assert disabled == dict.fromkeys(
        DISABLED_BY_DEFAULT, er.RegistryEntryDisabler.INTEGRATION
    )
    for key in DISABLED_BY_DEFAULT:
        assert (
            hass.states.get(registry_entry_of(hass, loaded_entry, key).entity_id)
            is None
        )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_application_names_start_with_different_words(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A card that cuts "Pushover app …" early still tells the entities apart.

    Cards show the device's name, then the entity's; the first word after
    the device's name is what stays visible in a narrow tile.
    """
    device = f"{loaded_entry.title} app "
    names = [
        state.name
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), loaded_entry.entry_id
        )
        if entry.domain != "notify"
        and (state := hass.states.get(entry.entity_id)) is not None
    ]

    assert len(names) == len(LIMITS_KEYS) + 4
    assert all(name.startswith(device) for name in names)
    first_words = [name.removeprefix(device).split()[0] for name in names]
    assert len(set(first_words)) == len(names), first_words


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_counts_have_no_unit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A count shows as a plain number, right for 1 and for 9,999 alike."""
    simulator.set_remaining(DEFAULT_MONTHLY_LIMIT - 1)
    await loaded_entry.runtime_data.limits.async_refresh()

    for key, count in (
        ("messages_remaining", DEFAULT_MONTHLY_LIMIT - 1),
        ("messages_used", 1),
        ("monthly_limit", DEFAULT_MONTHLY_LIMIT),
        ("open_emergencies", 0),
        ("queued_messages", 0),
    ):
        state = state_of(hass, loaded_entry, key)
        assert state.state == str(count)
        assert "unit_of_measurement" not in state.attributes
        # The state class makes the frontend format it as a number.
        assert state.attributes["state_class"] == "measurement"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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
