"""Base entity: one service device per recipient."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import PushoverConfigEntry, Recipient


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
            configuration_url="https://pushover.net/",
        )
