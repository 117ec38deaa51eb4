"""Binary sensor: whether an inbox is connected to Pushover's push server."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import InboxConfigEntry
from .inbox_entity import ConnectionSensor

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: InboxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the inbox's connection sensor (only inbox entries load this platform)."""
    async_add_entities([ConnectionSensor(entry)])
