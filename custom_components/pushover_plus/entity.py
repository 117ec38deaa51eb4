"""Base entities: one service device per recipient, one for the application."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import PushoverConfigEntry, Recipient

PUSHOVER_URL = "https://pushover.net/"


class PushoverRecipientEntity(Entity):
    """An entity that belongs to one recipient of a config entry."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: PushoverConfigEntry, recipient: Recipient) -> None:
        """Attach the entity to its recipient's device."""
        self.entry = entry
        self.recipient = recipient
        self._attr_unique_id = (
            f"{entry.entry_id}_{recipient.id}_{self.entity_description.key}"
        )
        self._attr_device_info = DeviceInfo(
            entry_type=DeviceEntryType.SERVICE,
            identifiers={(DOMAIN, f"{entry.entry_id}_{recipient.id}")},
            manufacturer="Pushover",
            model="Recipient",
            name=recipient.name,
            configuration_url=PUSHOVER_URL,
        )


class PushoverApplicationEntity(Entity):
    """An entity of the application itself: its quota and its receipts."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: PushoverConfigEntry) -> None:
        """Attach the entity to the application's device."""
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{self.entity_description.key}"
        self._attr_device_info = DeviceInfo(
            entry_type=DeviceEntryType.SERVICE,
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer="Pushover",
            model="Application",
            translation_key="application",
            translation_placeholders={"name": entry.title},
            configuration_url=f"{PUSHOVER_URL}apps",
        )
