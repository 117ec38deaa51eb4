"""The emergency event entity mirrors the entry's bus events."""

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import homeassistant.util.dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN, EVENT_ACKNOWLEDGED
from pushover_simulator import PushoverSimulator

from . import send_emergency as send_any_emergency


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


async def test_event_entity_on_application_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The entity belongs to the application and offers the three event types."""
    entity = er.async_get(hass).async_get(entity_id_of(hass, loaded_entry))
    assert entity is not None
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device is not None
    assert device.identifiers == {(DOMAIN, loaded_entry.entry_id)}

    state = state_of(hass, loaded_entry)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == ["acknowledged", "expired", "cancelled"]


async def test_acknowledgement_sets_event(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An acknowledgement becomes the entity's event, with the event's data."""
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt, device="phone")

    assert loaded_entry.runtime_data.receipts.async_request_read(receipt)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = state_of(hass, loaded_entry)
    assert dt_util.parse_datetime(state.state) is not None
    assert state.attributes["event_type"] == "acknowledged"
    assert state.attributes["receipt"] == receipt
    assert state.attributes["title"] == "Gate"
    assert state.attributes["acknowledged_by"] == "Pushover"
    assert state.attributes["acknowledged_by_device"] == "phone"
    assert "entry_id" not in state.attributes


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
