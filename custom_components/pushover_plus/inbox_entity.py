"""The entities of an inbox: its last message, its connection, its messages.

An inbox entry has one service device (the Open Client device it is at
Pushover) with three entities: a sensor holding the last message (its title,
else the start of its text, with every field as attributes), a connectivity
binary sensor, and an event entity whose event type is the message's
priority. The platform modules (`sensor.py`, `binary_sensor.py`,
`event.py`) add them for inbox entries.
"""

from collections.abc import Mapping
from typing import Any, Final, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, EntityCategory
from homeassistant.core import Event, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.restore_state import RestoreEntity

from .const import CONF_DEVICE_NAME, DOMAIN, EVENT_MESSAGE_RECEIVED, PRIORITY_NAMES
from .data import InboxConfigEntry
from .inbox_delivery import state_text

PUSHOVER_URL: Final = "https://pushover.net/"
# The message's fields as the entities' attributes: the event's data but the
# entry, with "icon" as "app_icon": an entity's "icon" attribute is the icon
# the frontend shows for it, and Pushover's is the name of the app's picture.
MESSAGE_ATTRIBUTES: Final = {
    "id": "id",
    "umid": "umid",
    "title": "title",
    "message": "message",
    "app": "app",
    "aid": "aid",
    "priority": "priority",
    "sound": "sound",
    "url": "url",
    "url_title": "url_title",
    "html": "html",
    "timestamp": "timestamp",
    "receipt": "receipt",
    "app_icon": "icon",
    "acked": "acked",
}


def message_attributes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return an entity's attributes from a received message's event data."""
    return {name: data[key] for name, key in MESSAGE_ATTRIBUTES.items()}


def inbox_device(entry: InboxConfigEntry) -> DeviceInfo:
    """Describe the inbox's device: one of the account's devices at Pushover."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer="Pushover",
        model="Open Client device",
        model_id=entry.data[CONF_DEVICE_NAME],
        name=entry.title,
        configuration_url=PUSHOVER_URL,
    )


class InboxEntity(Entity):
    """An entity of an inbox entry's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: InboxConfigEntry) -> None:
        """Attach the entity to the inbox's device."""
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{self.entity_description.key}"
        self._attr_device_info = inbox_device(entry)


class LastMessageSensor(InboxEntity, SensorEntity, RestoreEntity):
    """The last message received: its title (or text), its fields as attributes.

    It is restored after a restart, until a new message comes.
    """

    entity_description = SensorEntityDescription(
        key="last_message", translation_key="last_message"
    )

    def __init__(self, entry: InboxConfigEntry) -> None:
        """Follow the entry's deliveries."""
        super().__init__(entry)
        self._delivery = entry.runtime_data.delivery
        self._restored: tuple[str, dict[str, Any]] | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last message shown; update at every delivery."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state not in {STATE_UNKNOWN, STATE_UNAVAILABLE}:
            attributes = {
                name: last.attributes.get(name) for name in MESSAGE_ATTRIBUTES
            }
            self._restored = (last.state, attributes)
        self.async_on_remove(
            self._delivery.async_add_listener(self.async_write_ha_state)
        )

    @property
    @override
    def native_value(self) -> str | None:
        """Return the last message's title, or the start of its text."""
        if self._delivery.last is not None:
            return state_text(self._delivery.last)
        return self._restored[0] if self._restored else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return every field of the last message."""
        if self._delivery.last is not None:
            return message_attributes(self._delivery.last)
        return self._restored[1] if self._restored else None


class ConnectionSensor(InboxEntity, BinarySensorEntity):
    """Whether the inbox is connected to Pushover's push server."""

    entity_description = BinarySensorEntityDescription(
        key="connection",
        translation_key="connection",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
    )

    @override
    async def async_added_to_hass(self) -> None:
        """Update whenever the connection comes or goes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.entry.runtime_data.inbox.async_add_listener(self.async_write_ha_state)
        )

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the push connection is up."""
        return self.entry.runtime_data.inbox.connected


class MessageEventEntity(InboxEntity, EventEntity):
    """Each received message as an event, typed by its priority."""

    entity_description = EventEntityDescription(
        key="message",
        translation_key="message",
        event_types=list(PRIORITY_NAMES),
    )

    @override
    async def async_added_to_hass(self) -> None:
        """Listen to this entry's received messages."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, self._async_on_message)
        )

    @callback
    def _async_on_message(self, event: Event) -> None:
        if event.data.get("entry_id") != self.entry.entry_id:
            return
        self._trigger_event(str(event.data["priority"]), message_attributes(event.data))
        self.async_write_ha_state()
