"""The emergency event entity shows how the entry's emergencies end."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import homeassistant.util.dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.pushover_plus.const import (
    DOMAIN,
    EVENT_ACKNOWLEDGED,
    EVENT_CANCELLED,
    EVENT_EXPIRED,
)
from pushover_simulator import PushoverSimulator

from . import SNAPSHOT_TIME, send_emergency as send_any_emergency, snapshot_one_platform


def entity_id_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the entry's emergency event entity."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.EVENT, DOMAIN, f"{entry.entry_id}_emergency"
    )
    assert entity_id is not None
    return entity_id


def state_of(hass: HomeAssistant, entry: MockConfigEntry) -> State:
    """Return the state of the entry's emergency event entity."""
    state = hass.states.get(entity_id_of(hass, entry))
    assert state is not None
    return state


async def send_emergency(hass: HomeAssistant) -> str:
    """Send the gate alarm; return its receipt."""
    return await send_any_emergency(hass, message="Gate open", title="Gate")


async def test_entities(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    """The event entity's registry entry and state, and the application's device."""
    await snapshot_one_platform(hass, entry_with_alex, Platform.EVENT, snapshot)


async def test_acknowledgement_sets_event(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """An acknowledgement becomes the entity's event, with the event's data."""
    freezer.move_to(SNAPSHOT_TIME)
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt, device="phone")

    assert loaded_entry.runtime_data.receipts.async_request_read(receipt)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = state_of(hass, loaded_entry)
    assert dt_util.parse_datetime(state.state) == SNAPSHOT_TIME
    # The receipt is the simulator's random id; the rest is the event's data.
    assert state.attributes["receipt"] == receipt
    assert dict(state.attributes) == snapshot(exclude=props("receipt"))


async def test_cancellation_sets_event(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A cancellation is the entity's cancelled event."""
    receipt = await send_emergency(hass)

    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )

    state = state_of(hass, loaded_entry)
    assert state.attributes["event_type"] == "cancelled"
    assert state.attributes["receipt"] == receipt


async def test_other_entry_events_ignored(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Events of another entry leave the entity untouched."""
    hass.bus.async_fire(
        EVENT_ACKNOWLEDGED, {"entry_id": "another_entry", "receipt": "r" * 30}
    )
    await hass.async_block_till_done()

    assert state_of(hass, loaded_entry).state == STATE_UNKNOWN


async def test_a_faked_bus_event_changes_no_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Anyone may fire our events: automations see them, our entities do not.

    The entities follow the receipt tracker; the bus is for automations.
    """
    receipt = await send_emergency(hass)
    entity_ids = [
        item.entity_id
        for item in er.async_entries_for_config_entry(
            er.async_get(hass), loaded_entry.entry_id
        )
    ]
    before = {entity_id: hass.states.get(entity_id) for entity_id in entity_ids}

    for event_type in (EVENT_ACKNOWLEDGED, EVENT_EXPIRED, EVENT_CANCELLED):
        hass.bus.async_fire(
            event_type,
            {
                "entry_id": loaded_entry.entry_id,
                "receipt": receipt,
                "title": "Gate",
                "acknowledged_by": "Mallory",
            },
        )
    await hass.async_block_till_done()

    assert {entity_id: hass.states.get(entity_id) for entity_id in entity_ids} == (
        before
    )
    assert state_of(hass, loaded_entry).state == STATE_UNKNOWN
    assert [item.receipt for item in loaded_entry.runtime_data.receipts.open] == [
        receipt
    ]
