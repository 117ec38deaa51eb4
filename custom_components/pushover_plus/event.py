"""Event entities: an emergency message's end, and an inbox's messages.

An application's emergency message was acknowledged, expired or cancelled;
an inbox received a message (`inbox_entity.py`).

It follows the entry's receipt tracker, not the bus: anyone may fire a
`pushover_plus_…` event, which automations see but this entity does not.
"""

from typing import Final, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.importlib import async_import_module

from .data import PushoverConfigEntry, inbox_entry
from .entity import PushoverApplicationEntity
from .receipts_model import EmergencyState, TrackedReceipt

PARALLEL_UPDATES = 0

# How an emergency ends, as an event; one Pushover forgot ends without one.
EVENT_TYPES: Final = (
    EmergencyState.ACKNOWLEDGED,
    EmergencyState.EXPIRED,
    EmergencyState.CANCELLED,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the emergency event entity, or an inbox's message event entity.

    The inbox's entities are imported, in the executor, only for an inbox.
    """
    if (inbox := inbox_entry(entry)) is not None:
        await async_import_module(hass, f"{__package__}.inbox_entity")
        from .inbox_entity import MessageEventEntity  # noqa: PLC0415 - loaded above

        async_add_entities([MessageEventEntity(inbox)])
        return
    async_add_entities([EmergencyEventEntity(entry)])


class EmergencyEventEntity(PushoverApplicationEntity, EventEntity):
    """Shows how each emergency message ended, with what the bus event carries."""

    entity_description = EventEntityDescription(
        key="emergency",
        translation_key="emergency",
        event_types=[state.value for state in EVENT_TYPES],
    )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the entry's receipt tracker."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.entry.runtime_data.receipts.async_add_close_listener(
                self._async_on_close
            )
        )

    @callback
    def _async_on_close(self, tracked: TrackedReceipt) -> None:
        if tracked.state not in EVENT_TYPES:
            return
        self._trigger_event(tracked.state.value, tracked.event_data())
        self.async_write_ha_state()
