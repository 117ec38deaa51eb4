"""Base entities: one service device for the application, one per recipient.

A recipient's device is linked to the application's (`via_device_id`): the
application sends to it. The application's device is registered at setup,
before the platforms, so that its registry id is known.
"""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import LimitsCoordinator
from .data import PushoverConfigEntry
from .recipients import Recipient

PUSHOVER_URL = "https://pushover.net/"


def application_device(entry: PushoverConfigEntry) -> DeviceInfo:
    """Describe the application's device."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer="Pushover",
        model="Application",
        translation_key="application",
        translation_placeholders={"name": entry.title},
        configuration_url=f"{PUSHOVER_URL}apps",
    )


def recipient_device(entry: PushoverConfigEntry, recipient: Recipient) -> DeviceInfo:
    """Describe a recipient's device, reached through the application's."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, f"{entry.entry_id}_{recipient.id}")},
        manufacturer="Pushover",
        model="Recipient",
        name=recipient.name,
        # A group's subscription page, to share; else Pushover's dashboard.
        configuration_url=recipient.subscription_url or PUSHOVER_URL,
        via_device_id=entry.runtime_data.application_device_id,
    )


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
        self._attr_device_info = recipient_device(entry, recipient)


class PushoverApplicationEntity(Entity):
    """An entity of the application itself: its receipts and its outbox."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: PushoverConfigEntry) -> None:
        """Attach the entity to the application's device."""
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{self.entity_description.key}"
        self._attr_device_info = application_device(entry)


class PushoverLimitsEntity(CoordinatorEntity[LimitsCoordinator]):
    """An entity of the application that shows what the limits path knows."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: LimitsCoordinator, description: EntityDescription
    ) -> None:
        """Follow the entry's limits coordinator."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = application_device(entry)
