"""Sensors: the monthly quota, the emergency messages, the outbox, delivery groups.

The counts carry no unit of measurement. Home Assistant writes a unit after
the number whatever the number is, and a translated unit has one form for
every count, so "messages" would read "1 messages". The entity's name says
what is counted instead ("Remaining messages 9,999", "Queued messages 1").
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.importlib import async_import_module
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Limits
from .data import PushoverConfigEntry, inbox_entry
from .entity import PushoverApplicationEntity, PushoverLimitsEntity, recipient_device
from .groups import GroupCoordinator
from .outbox import Outbox
from .receipts import ReceiptTracker
from .receipts_model import EmergencyState

PARALLEL_UPDATES = 0


# The quota's figures are plain descriptions with their reading beside them,
# by key: a description subclass (a dataclass with Home Assistant's frozen
# metaclass) would cost more to create, at every start, than the sensors do.
LIMITS_SENSORS = (
    SensorEntityDescription(
        key="messages_remaining",
        translation_key="messages_remaining",
        state_class=SensorStateClass.MEASUREMENT,
    ),
    SensorEntityDescription(
        key="messages_used",
        translation_key="messages_used",
        state_class=SensorStateClass.MEASUREMENT,
        # The limit less the remaining messages, which the other two show.
        entity_registry_enabled_default=False,
    ),
    SensorEntityDescription(
        key="monthly_limit",
        translation_key="monthly_limit",
        # Without a unit, the state class is what makes the frontend show the
        # figure as a number ("10,000").
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It changes only when the account's limit does.
        entity_registry_enabled_default=False,
    ),
    SensorEntityDescription(
        key="quota_reset",
        translation_key="quota_reset",
        device_class=SensorDeviceClass.TIMESTAMP,
    ),
)
_LIMITS_VALUES: Final[dict[str, Callable[[Limits], int | datetime]]] = {
    "messages_remaining": lambda limits: limits.remaining,
    "messages_used": lambda limits: max(limits.limit - limits.remaining, 0),
    "monthly_limit": lambda limits: limits.limit,
    "quota_reset": lambda limits: limits.reset,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the quota and emergency sensors to the application's device.

    An inbox has one sensor: its last message (its entities are imported, in
    the executor, only for an inbox).
    """
    if (inbox := inbox_entry(entry)) is not None:
        await async_import_module(hass, f"{__package__}.inbox_entity")
        from .inbox_entity import LastMessageSensor  # noqa: PLC0415 - loaded above

        async_add_entities([LastMessageSensor(inbox)])
        return
    runtime = entry.runtime_data
    async_add_entities(
        [
            *(
                LimitsSensor(runtime.limits, description)
                for description in LIMITS_SENSORS
            ),
            LastEmergencySensor(entry, runtime.receipts),
            OpenEmergenciesSensor(entry, runtime.receipts),
            QueuedMessagesSensor(entry, runtime.sender.outbox),
        ]
    )
    for coordinator in runtime.groups.values():
        async_add_entities(
            [
                GroupNameSensor(entry, coordinator),
                GroupMembersSensor(entry, coordinator),
            ],
            config_subentry_id=coordinator.recipient.subentry_id,
        )


class LimitsSensor(PushoverLimitsEntity, SensorEntity):
    """One figure of the monthly quota."""

    @property
    @override
    def native_value(self) -> int | datetime:
        """Return the figure."""
        return _LIMITS_VALUES[self.entity_description.key](self.coordinator.data)


class _EmergencySensor(PushoverApplicationEntity, SensorEntity):
    """A sensor that follows the receipt tracker."""

    def __init__(self, entry: PushoverConfigEntry, tracker: ReceiptTracker) -> None:
        """Follow the entry's receipt tracker."""
        super().__init__(entry)
        self._tracker = tracker

    @override
    async def async_added_to_hass(self) -> None:
        """Update whenever a receipt changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._tracker.async_add_listener(self.async_write_ha_state)
        )


class LastEmergencySensor(_EmergencySensor):
    """The state of the latest emergency message, with its details."""

    entity_description = SensorEntityDescription(
        key="last_emergency",
        translation_key="last_emergency",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in EmergencyState],
    )

    @property
    @override
    def native_value(self) -> str | None:
        """Return pending, acknowledged, expired or cancelled."""
        last = self._tracker.last
        return last.state.value if last else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the receipt, title, tags, who acknowledged and when."""
        last = self._tracker.last
        if last is None:
            return None
        details = last.event_data()
        del details["state"]
        return details


class OpenEmergenciesSensor(_EmergencySensor):
    """How many emergency messages wait for acknowledgement."""

    entity_description = SensorEntityDescription(
        key="open_emergencies",
        translation_key="open_emergencies",
        state_class=SensorStateClass.MEASUREMENT,
    )

    @property
    @override
    def native_value(self) -> int:
        """Return the number of open emergency messages."""
        return len(self._tracker.open)


class QueuedMessagesSensor(PushoverApplicationEntity, SensorEntity):
    """How many accepted messages wait in the outbox for Pushover."""

    entity_description = SensorEntityDescription(
        key="queued_messages",
        translation_key="queued_messages",
        state_class=SensorStateClass.MEASUREMENT,
    )

    def __init__(self, entry: PushoverConfigEntry, outbox: Outbox) -> None:
        """Follow the entry's outbox."""
        super().__init__(entry)
        self._outbox = outbox

    @override
    async def async_added_to_hass(self) -> None:
        """Update whenever the queue changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._outbox.async_add_listener(self.async_write_ha_state))

    @property
    @override
    def native_value(self) -> int:
        """Return the number of queued messages."""
        return len(self._outbox)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return since when the head of the queue has waited, if it is stuck."""
        stuck_since = self._outbox.stuck_since
        return {"stuck_since": stuck_since.isoformat() if stuck_since else None}


class _GroupSensor(CoordinatorEntity[GroupCoordinator], SensorEntity):
    """A sensor of a delivery group, on its recipient's device."""

    _attr_has_entity_name = True

    def __init__(
        self, entry: PushoverConfigEntry, coordinator: GroupCoordinator
    ) -> None:
        """Follow the group's coordinator."""
        super().__init__(coordinator)
        recipient = coordinator.recipient
        self._attr_unique_id = (
            f"{entry.entry_id}_{recipient.id}_{self.entity_description.key}"
        )
        self._attr_device_info = recipient_device(entry, recipient)


class GroupNameSensor(_GroupSensor):
    """The delivery group's name, as Pushover has it."""

    entity_description = SensorEntityDescription(
        key="group_name", translation_key="group_name"
    )

    @property
    @override
    def native_value(self) -> str:
        """Return the group's name."""
        return self.coordinator.data.name


class GroupMembersSensor(_GroupSensor):
    """How many entries the group has, and each one's device, memo and state."""

    entity_description = SensorEntityDescription(
        key="group_members",
        translation_key="group_members",
        state_class=SensorStateClass.MEASUREMENT,
    )

    @property
    @override
    def native_value(self) -> int:
        """Return the number of the group's entries, disabled ones included."""
        return len(self.coordinator.data.members)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return how many receive, and each entry (without its user key)."""
        members = self.coordinator.members()
        return {
            "enabled_members": sum(not member["disabled"] for member in members),
            "members": members,
        }
