"""The recipients of an entry: its primary user or group key and its subentries.

Each recipient has a legacy action, `notify.<service_name>`. It is the slug of
the recipient's first name and stays when the recipient is renamed, so that
automations calling it keep working; only the recipient's repair notice moves
it to the new name, when the user asks.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final

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
from .value import Value


class Recipient(Value):
    """A user or group key that messages go to, with its default devices.

    Its id (the subentry's, or `primary`) is what the integration goes by;
    names are not unique, and are for people. `is_group` is what Pushover
    said of the key (False until it said so).
    """

    _secret = ("encryption_key", "subscription_url", "user_key")
    __slots__ = (
        "devices",
        "encryption_key",
        "id",
        "is_group",
        "name",
        "service_name",
        "subentry_id",
        "subscription_url",
        "user_key",
    )
    id: Final[str]
    name: Final[str]
    user_key: Final[str]
    service_name: Final[str]
    devices: Final[tuple[str, ...]]
    subentry_id: Final[str | None]
    is_group: Final[bool]
    # The account's end-to-end encryption key: its messages are encrypted.
    encryption_key: Final[str | None]
    # A delivery group's group-based subscription: whoever has it can join.
    subscription_url: Final[str | None]

    def __init__(
        self,
        *,
        id: str,  # noqa: A002 - named as the field
        name: str,
        user_key: str,
        service_name: str,
        devices: tuple[str, ...] = (),
        subentry_id: str | None = None,
        is_group: bool = False,
        encryption_key: str | None = None,
        subscription_url: str | None = None,
    ) -> None:
        """Set the fields, each given by name."""
        self.id = id
        self.name = name
        self.user_key = user_key
        self.service_name = service_name
        self.devices = devices
        self.subentry_id = subentry_id
        self.is_group = is_group
        self.encryption_key = encryption_key
        self.subscription_url = subscription_url


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


def stored_recipient_ids(
    recipients: Sequence[Recipient], names: Sequence[str], users: Sequence[str] = ()
) -> tuple[str, ...]:
    """Find the ids of recipients that a record stored by name alone.

    Records written before the ids were stored name their recipients. Each
    is found by the user key at the same place, when the record has one (a
    queued message), else by its name when one recipient alone has it. One
    found by neither (removed since, or its name shared) has no id to give.
    """
    by_key = {recipient.user_key: recipient.id for recipient in recipients}
    by_name: dict[str, list[str]] = {}
    for recipient in recipients:
        by_name.setdefault(recipient.name, []).append(recipient.id)
    ids: list[str] = []
    for place, name in enumerate(names):
        if place < len(users) and (found := by_key.get(users[place])) is not None:
            ids.append(found)
        elif len(named := by_name.get(name, [])) == 1:
            ids.append(named[0])
    return tuple(ids)


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
    the same name: such an action moves over (see `legacy_notify.py`).
    """
    if action in service_names_in_use(hass, but=but):
        return True
    return hass.services.has_service(NOTIFY_DOMAIN, action) and (
        builtin_entry_named(hass, action) is None
    )
