"""The recipients of an entry: its primary user or group key and its subentries.

Each recipient has a legacy action, `notify.<service_name>`. It is the slug of
the recipient's first name and stays when the recipient is renamed, so that
automations calling it keep working; only the recipient's repair notice moves
it to the new name, when the user asks.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.util import slugify

from .const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
    DOMAIN,
    PRIMARY_RECIPIENT_ID,
    SUBENTRY_RECIPIENT,
)
from .data import PushoverConfigEntry
from .migrate_builtin import builtin_entry_named


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user or group key that messages go to, with its default devices.

    `is_group` is what Pushover said of the key (False until it said so).
    """

    id: str
    name: str
    user_key: str = field(repr=False)
    service_name: str
    devices: tuple[str, ...] = ()
    subentry_id: str | None = None
    is_group: bool = False
    # The account's end-to-end encryption key: its messages are encrypted.
    encryption_key: str | None = field(default=None, repr=False)
    # A delivery group's group-based subscription: whoever has it can join.
    subscription_url: str | None = field(default=None, repr=False)


def recipients_of(entry: PushoverConfigEntry) -> list[Recipient]:
    """List the primary recipient first, then those added as subentries."""
    primary = Recipient(
        id=PRIMARY_RECIPIENT_ID,
        name=entry.data[CONF_NAME],
        user_key=entry.data[CONF_USER_KEY],
        service_name=entry.data[CONF_SERVICE_NAME],
        devices=tuple(entry.options.get(CONF_DEVICES, ())),
        is_group=bool(entry.data.get(CONF_IS_GROUP)),
        encryption_key=entry.options.get(CONF_ENCRYPTION_KEY) or None,
    )
    added = [
        Recipient(
            id=subentry.subentry_id,
            name=subentry.title,
            user_key=subentry.data[CONF_USER_KEY],
            service_name=subentry.data[CONF_SERVICE_NAME],
            devices=tuple(subentry.data.get(CONF_DEVICES, ())),
            subentry_id=subentry.subentry_id,
            is_group=bool(subentry.data.get(CONF_IS_GROUP)),
            encryption_key=subentry.data.get(CONF_ENCRYPTION_KEY) or None,
            subscription_url=subentry.data.get(CONF_SUBSCRIPTION_URL),
        )
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]
    return [primary, *added]


def recipient_name_of(entry: PushoverConfigEntry) -> Callable[[str], str]:
    """Return a function naming a user key after its recipient, if it is one."""
    names = {recipient.user_key: recipient.name for recipient in recipients_of(entry)}
    return lambda user_key: names.get(user_key, user_key)


def stored_service_name(data: Mapping[str, Any], title: str) -> str:
    """Read a recipient's legacy action from its stored data.

    Before version 1.2 it was not stored: the action was the slug of the
    title. Entries not migrated yet (disabled ones) still read so.
    """
    name: str = data.get(CONF_SERVICE_NAME) or slugify(title)
    return name


def service_names_in_use(
    hass: HomeAssistant, *, but: tuple[str, str] | None = None
) -> set[str]:
    """Return the legacy actions of every Pushover Plus recipient.

    `but` (entry id, recipient id) leaves one recipient out: the one being
    changed may keep its own.
    """
    names: set[str] = set()
    for entry in hass.config_entries.async_entries(DOMAIN):
        if but != (entry.entry_id, PRIMARY_RECIPIENT_ID):
            names.add(stored_service_name(entry.data, entry.title))
        names.update(
            stored_service_name(subentry.data, subentry.title)
            for subentry in entry.subentries.values()
            if but != (entry.entry_id, subentry.subentry_id)
        )
    return names


def action_taken(
    hass: HomeAssistant, action: str, *, but: tuple[str, str] | None = None
) -> bool:
    """Tell whether a recipient may not have `notify.<action>`.

    It may not when another Pushover Plus recipient has it, or another
    integration registered it, unless that is a built-in Pushover entry of
    the same name: such an action moves over (see `notify.py`).
    """
    if action in service_names_in_use(hass, but=but):
        return True
    return hass.services.has_service(NOTIFY_DOMAIN, action) and (
        builtin_entry_named(hass, action) is None
    )
