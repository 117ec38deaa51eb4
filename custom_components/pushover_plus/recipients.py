"""The recipients of an entry: its primary user or group key and its subentries."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .const import CONF_DEVICES, CONF_USER_KEY, PRIMARY_RECIPIENT_ID, SUBENTRY_RECIPIENT
from .data import PushoverConfigEntry


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user or group key that messages go to, with its default devices."""

    id: str
    name: str
    user_key: str = field(repr=False)
    devices: tuple[str, ...] = ()
    subentry_id: str | None = None


def recipients_of(entry: PushoverConfigEntry) -> list[Recipient]:
    """List the primary recipient first, then those added as subentries."""
    primary = Recipient(
        id=PRIMARY_RECIPIENT_ID,
        name=entry.title,
        user_key=entry.data[CONF_USER_KEY],
        devices=tuple(entry.options.get(CONF_DEVICES, ())),
    )
    added = [
        Recipient(
            id=subentry.subentry_id,
            name=subentry.title,
            user_key=subentry.data[CONF_USER_KEY],
            devices=tuple(subentry.data.get(CONF_DEVICES, ())),
            subentry_id=subentry.subentry_id,
        )
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]
    return [primary, *added]


def recipient_name_of(entry: PushoverConfigEntry) -> Callable[[str], str]:
    """Return a function naming a user key after its recipient, if it is one."""
    names = {recipient.user_key: recipient.name for recipient in recipients_of(entry)}
    return lambda user_key: names.get(user_key, user_key)
