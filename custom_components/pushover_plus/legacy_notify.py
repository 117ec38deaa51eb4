"""The legacy `notify.<name>` actions: all that Home Assistant's legacy notify needs.

Legacy actions are loaded by discovery (`discovery.async_load_platform`),
which calls `notify.async_get_service`; Home Assistant keeps each service in
`hass.data[NOTIFY_SERVICES]`, from which `notify.reload` registers them again.
That list is the one internal of Home Assistant this module relies on:
`tests/test_legacy_notify.py` fails if its shape changes.

Two integrations cannot register the same legacy action: Home Assistant
keeps the first and silently drops the second. A recipient's action is
therefore registered only while no other integration holds it, nor an enabled
built-in Pushover entry of the same name claims it (which one registers first
at a start would otherwise be chance). While it waits, a repair notice says
who holds it and what to do, and the action is registered as soon as its
holder removes it.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.components.notify.legacy import (
    NOTIFY_SERVICES,
    BaseNotificationService,
)
from homeassistant.const import (
    ATTR_DOMAIN,
    ATTR_SERVICE,
    EVENT_SERVICE_REMOVED,
    Platform,
)
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import discovery, issue_registry as ir
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .data import PushoverConfigEntry, send_defaults_of
from .message import ATTR_MESSAGE, DATA_KEYS, build_message, unknown_keys
from .migrate_builtin import builtin_entry_named
from .recipients import Recipient, recipients_of
from .repairs import async_clear_issue, async_raise_issue

DISCOVERY_ENTRY_ID = "entry_id"
DISCOVERY_RECIPIENT_ID = "recipient_id"
ACTION_HELD_BY_BUILTIN = "legacy_action_held_by_builtin"
ACTION_TAKEN = "legacy_action_taken"

# Each loaded entry's legacy services, by entry id.
_SERVICES: HassKey[dict[str, list[PushoverLegacyNotifyService]]] = HassKey(
    f"{DOMAIN}_legacy_services"
)


async def async_setup_legacy_actions(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    recipients: list[Recipient],
    hass_config: ConfigType,
) -> None:
    """Load one legacy action per recipient, named by its stable action name."""
    hass.data.setdefault(_SERVICES, {})[entry.entry_id] = []
    for recipient in recipients:
        await discovery.async_load_platform(
            hass,
            Platform.NOTIFY,
            DOMAIN,
            {
                "name": recipient.service_name,
                DISCOVERY_ENTRY_ID: entry.entry_id,
                DISCOVERY_RECIPIENT_ID: recipient.id,
            },
            hass_config,
        )


async def async_unload_legacy_actions(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> None:
    """Remove the entry's legacy actions, and forget them.

    Forgotten too, or `notify.reload` would register them again.
    """
    services = hass.data.get(_SERVICES, {}).pop(entry.entry_id, [])
    for service in services:
        await service.async_unregister_services()
    registered = hass.data.get(NOTIFY_SERVICES, {}).get(DOMAIN, [])
    registered[:] = [item for item in registered if item not in services]


def legacy_service_of(
    hass: HomeAssistant, discovery_info: DiscoveryInfoType
) -> PushoverLegacyNotifyService | None:
    """Make the legacy service discovery asks for (notify.async_get_service)."""
    entry: PushoverConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info[DISCOVERY_ENTRY_ID]
    )
    services = hass.data.get(_SERVICES, {})
    if entry is None or entry.entry_id not in services:
        return None
    service = PushoverLegacyNotifyService(entry, discovery_info[DISCOVERY_RECIPIENT_ID])
    services[entry.entry_id].append(service)
    return service


class PushoverLegacyNotifyService(BaseNotificationService):
    """`notify.<recipient>`: accepts the built-in integration's service data."""

    def __init__(self, entry: PushoverConfigEntry, recipient_id: str) -> None:
        """Bind the action to one recipient of an entry."""
        self._entry = entry
        self._recipient_id = recipient_id
        self._owns_action = False
        self._stop_waiting: CALLBACK_TYPE | None = None

    @override
    async def async_register_services(self) -> None:
        """Register the action, or wait while another integration holds it."""
        if not self._owns_action and self._async_wait_if_held():
            return
        await super().async_register_services()
        self._owns_action = True
        self._async_stop_waiting()

    @override
    async def async_unregister_services(self) -> None:
        """Remove the action only if it is ours: a held one is its holder's."""
        self._async_stop_waiting()
        if self._owns_action:
            await super().async_unregister_services()
            self._owns_action = False

    @callback
    def _async_wait_if_held(self) -> bool:
        """Tell whether the action is held; if so, say so and wait for it."""
        action = self._service_name
        builtin = builtin_entry_named(self.hass, action, enabled_only=True)
        if builtin is None and not self.hass.services.has_service(
            NOTIFY_DOMAIN, action
        ):
            return False
        recipient = next(
            item for item in recipients_of(self._entry) if item.id == self._recipient_id
        )
        placeholders = {"action": f"notify.{action}", "recipient": recipient.name}
        if builtin is not None:
            placeholders["builtin"] = builtin.title
        async_raise_issue(
            self.hass,
            ACTION_TAKEN if builtin is None else ACTION_HELD_BY_BUILTIN,
            self._entry.entry_id,
            item=self._recipient_id,
            severity=ir.IssueSeverity.WARNING,
            placeholders=placeholders,
        )
        if self._stop_waiting is None:

            @callback
            def is_this_action(data: Mapping[str, Any]) -> bool:
                return (data[ATTR_DOMAIN], data[ATTR_SERVICE]) == (
                    NOTIFY_DOMAIN,
                    action,
                )

            self._stop_waiting = self.hass.bus.async_listen(
                EVENT_SERVICE_REMOVED,
                self._async_on_removed,
                event_filter=is_this_action,
            )
        return True

    @callback
    def _async_on_removed(self, event: Event[Mapping[str, Any]]) -> None:  # noqa: ARG002
        self._entry.async_create_task(
            self.hass,
            self.async_register_services(),
            f"register notify.{self._service_name}",
        )

    @callback
    def _async_stop_waiting(self) -> None:
        if self._stop_waiting is not None:
            self._stop_waiting()
            self._stop_waiting = None
        for key in (ACTION_TAKEN, ACTION_HELD_BY_BUILTIN):
            async_clear_issue(self.hass, key, self._entry.entry_id, self._recipient_id)

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
        request = build_message(data, send_defaults_of(self._entry), found=found)
        await self._entry.runtime_data.sender.async_send(request, [recipient])


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
