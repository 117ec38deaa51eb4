"""Delivery groups: which recipients are groups, and what each group holds.

A recipient's key is a delivery group when `users/validate.json` says so.
The recipient flow stores what it said; for the primary key it is what the
entry's setup asks anyway, and a recipient added before Pushover Plus knew
groups is asked about once, at a setup, and stored from then on.

Each group recipient has a coordinator that reads `groups/{key}.json`: at
setup, hourly, and right after every change an action makes (`group_actions.py`).
Pushover's Groups API takes only an application token of the account the
group belongs to; a group of another account cannot be read, and its sensors
stay unavailable with Pushover's reason in the log.
"""

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import GroupInfo, PushoverClient, PushoverError, UserInfo
from .choices import async_note_devices
from .const import CONF_IS_GROUP, DOMAIN, GROUP_POLL_INTERVAL
from .data import PushoverConfigEntry
from .recipients import Recipient, recipients_of

_LOGGER = logging.getLogger(__name__)


async def async_learn_group_keys(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    client: PushoverClient,
    primary: UserInfo | None,
) -> None:
    """Store which recipients' keys are delivery groups, where it is not known.

    Runs during the setup, before the entry's update listener is there, so
    that storing it does not reload the entry. A key Pushover cannot be
    asked about now is asked about at the next setup.
    """
    if (
        primary is not None
        and primary.is_group is not None
        and entry.data.get(CONF_IS_GROUP) != primary.is_group
    ):
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_IS_GROUP: primary.is_group}
        )
    for subentry in list(entry.subentries.values()):
        recipient = next(
            (item for item in recipients_of(entry) if item.id == subentry.subentry_id),
            None,
        )
        if recipient is None or CONF_IS_GROUP in subentry.data:
            continue
        try:
            info = await client.validate_user(recipient.user_key)
        except PushoverError as err:
            _LOGGER.debug("Cannot ask whether %s is a group: %s", recipient.name, err)
            continue
        async_note_devices(hass, entry.entry_id, recipient.user_key, info.devices)
        if info.is_group is None:
            # No device yet: Pushover does not say; asked again next time.
            continue
        hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_IS_GROUP: info.is_group}
        )


def member_names(entry: PushoverConfigEntry) -> Mapping[str, str]:
    """Name the users of the entry's recipients, by key (groups left out)."""
    return {
        recipient.user_key: recipient.name
        for recipient in recipients_of(entry)
        if not recipient.is_group
    }


class GroupCoordinator(DataUpdateCoordinator[GroupInfo]):
    """Keeps one group recipient's name and members current."""

    config_entry: PushoverConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        recipient: Recipient,
    ) -> None:
        """Read the group of `recipient` with the entry's client."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} group {recipient.name}",
            update_interval=GROUP_POLL_INTERVAL,
        )
        self.recipient = recipient
        self._client = client

    @override
    async def _async_update_data(self) -> GroupInfo:
        try:
            return await self._client.group(self.recipient.user_key)
        except PushoverError as err:
            # A refused token is the limits path's to report (reauth); here
            # it only makes the group's sensors unavailable.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="group_update_failed",
                translation_placeholders={
                    "recipient": self.recipient.name,
                    "error": str(err),
                },
            ) from err

    def members(self) -> list[dict[str, Any]]:
        """Describe the members for the sensor: no key, the recipient's name if one."""
        names = member_names(self.config_entry)
        return [
            {
                "recipient": names.get(member.user),
                "device": member.device,
                "memo": member.memo,
                "disabled": member.disabled,
            }
            for member in self.data.members
        ]


async def async_setup_groups(
    hass: HomeAssistant, entry: PushoverConfigEntry, client: PushoverClient
) -> dict[str, GroupCoordinator]:
    """Make and first refresh a coordinator per group recipient, by recipient id."""
    coordinators = {
        recipient.id: GroupCoordinator(hass, entry, client, recipient)
        for recipient in recipients_of(entry)
        if recipient.is_group
    }
    for coordinator in coordinators.values():
        await coordinator.async_refresh()
    return coordinators
