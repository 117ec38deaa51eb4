"""Notify platform: an entity per recipient and the legacy `notify.<name>` action."""

from collections.abc import Mapping, Sequence
from typing import Any, override

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
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
from .message import ATTR_MESSAGE, DATA_KEYS, FieldError, build_message, unknown_keys
from .recipients import Recipient, recipients_of
from .sender import sent_signal

PARALLEL_UPDATES = 0

DISCOVERY_ENTRY_ID = "entry_id"
DISCOVERY_RECIPIENT_ID = "recipient_id"


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


async def async_send(
    entry: PushoverConfigEntry,
    recipients: list[Recipient],
    data: Mapping[str, Any],
    found: Sequence[FieldError] = (),
) -> None:
    """Validate, map and send for the notify entity and the legacy action."""
    request = build_message(data, send_defaults_of(entry), found=found)
    await entry.runtime_data.sender.async_send(request, recipients)


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
    def _async_on_sent(self, recipient_names: list[str]) -> None:
        if self.recipient.name in recipient_names:
            self._async_record_notification()

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a plain message; the sender's signal records it."""
        await async_send(
            self.entry, [self.recipient], {ATTR_MESSAGE: message, ATTR_TITLE: title}
        )


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,  # noqa: ARG001
    discovery_info: DiscoveryInfoType | None = None,
) -> PushoverLegacyNotifyService | None:
    """Return the legacy action of one recipient, discovered at entry setup."""
    if discovery_info is None:
        return None
    entry: PushoverConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info[DISCOVERY_ENTRY_ID]
    )
    if entry is None:
        return None
    service = PushoverLegacyNotifyService(entry, discovery_info[DISCOVERY_RECIPIENT_ID])
    entry.runtime_data.legacy_services.append(service)
    return service


class PushoverLegacyNotifyService(BaseNotificationService):
    """`notify.<recipient>`: accepts the built-in integration's service data."""

    def __init__(self, entry: PushoverConfigEntry, recipient_id: str) -> None:
        """Bind the action to one recipient of an entry."""
        self._entry = entry
        self._recipient_id = recipient_id

    @override
    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send a message with the built-in integration's `data` keys."""
        # The notify schema has checked that `data` is a mapping.
        extra: Mapping[str, Any] = kwargs.get(ATTR_DATA) or {}
        # Its message and title come from outside `data`, which holds the
        # data keys alone.
        found = unknown_keys(extra, DATA_KEYS, DATA_KEYS)
        data: dict[str, Any] = {
            **{key: value for key, value in extra.items() if key in DATA_KEYS},
            ATTR_MESSAGE: message,
        }
        if title := kwargs.get(ATTR_TITLE):
            data[ATTR_TITLE] = title
        if targets := kwargs.get(ATTR_TARGET):
            data[ATTR_TARGET] = [*targets, *_as_list(extra.get(ATTR_TARGET))]
        recipient = next(
            item for item in recipients_of(self._entry) if item.id == self._recipient_id
        )
        await async_send(self._entry, [recipient], data, found)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
