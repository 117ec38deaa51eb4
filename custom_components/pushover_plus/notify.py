"""Notify platform: an entity per recipient (and discovery's legacy actions).

The legacy `notify.<name>` actions live in `legacy_notify.py`; Home Assistant
finds them through this platform's `async_get_service`.
"""

from typing import override

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.components.notify.const import (
    ATTR_TITLE,
    NotifyEntityFeature,
)
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .data import PushoverConfigEntry, send_defaults_of
from .entity import PushoverRecipientEntity
from .legacy_notify import legacy_service_of
from .message import ATTR_MESSAGE, build_message
from .recipients import recipients_of
from .sender import sent_signal

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity for each recipient."""
    for recipient in recipients_of(entry):
        async_add_entities(
            [PushoverNotifyEntity(entry, recipient)],
            config_subentry_id=recipient.subentry_id,
        )


class PushoverNotifyEntity(PushoverRecipientEntity, NotifyEntity):
    """Sends `notify.send_message` calls to one recipient."""

    entity_description = NotifyEntityDescription(key="message", name=None)
    _attr_supported_features = NotifyEntityFeature.TITLE

    @override
    async def async_added_to_hass(self) -> None:
        """Record sends made through `pushover_plus.send_message` too."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, sent_signal(self.entry.entry_id), self._async_on_sent
            )
        )

    @callback
    def _async_on_sent(self, recipient_ids: list[str]) -> None:
        if self.recipient.id in recipient_ids:
            self._async_record_notification()

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a plain message; the sender's signal records it."""
        request = build_message(
            {ATTR_MESSAGE: message, ATTR_TITLE: title}, send_defaults_of(self.entry)
        )
        await self.entry.runtime_data.sender.async_send(request, [self.recipient])


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,  # noqa: ARG001
    discovery_info: DiscoveryInfoType | None = None,
) -> BaseNotificationService | None:
    """Return the legacy action of one recipient, discovered at entry setup."""
    if discovery_info is None:
        return None
    return legacy_service_of(hass, discovery_info)
