"""Event entities: an emergency message's end, and an inbox's messages.

An application's emergency message was acknowledged, expired or cancelled;
an inbox received a message (`inbox_entity.py`).
"""

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_ACKNOWLEDGED, EVENT_CANCELLED, EVENT_EXPIRED
from .data import PushoverConfigEntry, inbox_entry
from .entity import PushoverApplicationEntity
from .inbox_entity import MessageEventEntity

PARALLEL_UPDATES = 0

EVENT_TYPES = {
    EVENT_ACKNOWLEDGED: "acknowledged",
    EVENT_EXPIRED: "expired",
    EVENT_CANCELLED: "cancelled",
}


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the emergency event entity, or an inbox's message event entity."""
    if (inbox := inbox_entry(entry)) is not None:
        async_add_entities([MessageEventEntity(inbox)])
        return
    async_add_entities([EmergencyEventEntity(entry)])


class EmergencyEventEntity(PushoverApplicationEntity, EventEntity):
    """Mirrors the integration's bus events for the UI and automations."""

    entity_description = EventEntityDescription(
        key="emergency",
        translation_key="emergency",
        event_types=list(EVENT_TYPES.values()),
    )

    @override
    async def async_added_to_hass(self) -> None:
        """Listen to this entry's emergency events."""
        await super().async_added_to_hass()
        for event_type in EVENT_TYPES:
            self.async_on_remove(
                self.hass.bus.async_listen(event_type, self._async_on_event)
            )

    @callback
    def _async_on_event(self, event: Event) -> None:
        if event.data.get("entry_id") != self.entry.entry_id:
            return
        attributes = {
            key: value for key, value in event.data.items() if key != "entry_id"
        }
        self._trigger_event(EVENT_TYPES[str(event.event_type)], attributes)
        self.async_write_ha_state()
