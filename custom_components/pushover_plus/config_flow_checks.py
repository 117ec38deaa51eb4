"""What the config and recipient flows check, and the names they suggest.

Every check adds its error to the field at fault, with the placeholders its
text needs; a form shows all of them at once and keeps what was typed.
"""

import logging

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.util import slugify

from .api import (
    PushoverClient,
    PushoverError,
    UserInfo,
)
from .const import (
    CONF_ENCRYPTION_KEY,
    DEFAULT_GROUP_RECIPIENT_NAME,
    DOMAIN,
    ENTRY_TITLE,
    KEY_PATTERN,
)
from .encryption import is_valid_key, normalise_key
from .errors import Refusal, refusal_of
from .recipients import action_taken

_LOGGER = logging.getLogger(__name__)


class Checked:
    """The errors found in a form, by field, and the values their texts name."""

    __slots__ = ("errors", "placeholders")

    def __init__(self) -> None:
        """Start with no error."""
        self.errors: dict[str, str] = {}
        self.placeholders: dict[str, str] = {}

    def add(self, field_name: str, error: str, **placeholders: str) -> None:
        """Record an error; a field shows the first one found."""
        self.errors.setdefault(field_name, error)
        self.placeholders.update(placeholders)


def check_shape(checked: Checked, field_name: str, value: str) -> None:
    """Check a token or key is 30 letters and digits before Pushover sees it.

    Pushover would refuse it too, but each refusal counts towards the 4xx
    answers for which it blocks an address for a while.
    """
    if not KEY_PATTERN.fullmatch(value):
        checked.add(
            field_name,
            f"{field_name}_malformed",
            **{f"{field_name}_length": str(len(value))},
        )


def check_encryption_key(
    checked: Checked, value: str, *, is_group: bool | None = None
) -> str | None:
    """Check an optional end-to-end encryption key; return it as stored.

    Empty means none. A delivery group's members are separate accounts, each
    with its own key, so no one key can encrypt for a group (`is_group`,
    when Pushover has said what the key is).
    """
    key = normalise_key(value)
    if not key:
        return None
    if not is_valid_key(key):
        checked.add(
            CONF_ENCRYPTION_KEY,
            "encryption_key_malformed",
            encryption_key_length=str(len(key)),
        )
    elif is_group:
        checked.add(CONF_ENCRYPTION_KEY, "encryption_key_for_group")
    return key


def check_name(
    checked: Checked,
    hass: HomeAssistant,
    name: str,
    *,
    but: tuple[str, str] | None = None,
) -> None:
    """Check a new recipient name, whose slug becomes its legacy action."""
    action = slugify(name)
    if not name:
        checked.add(CONF_NAME, "name_empty")
    elif action_taken(hass, action, but=but):
        checked.add(CONF_NAME, "name_in_use", action=f"notify.{action}")


async def async_validate_key(
    client: PushoverClient, user_key: str
) -> UserInfo | Refusal:
    """Ask Pushover about a key (and the client's token)."""
    try:
        return await client.validate_user(user_key)
    except PushoverError as err:
        return refusal_of(err)
    except Exception as err:
        _LOGGER.exception("Unexpected error while validating a Pushover key")
        return refusal_of(err)


def add_refusal(
    checked: Checked,
    refusal: Refusal,
    *,
    token: tuple[str, str],
    user_key: tuple[str, str],
) -> None:
    """Show a refusal on the form's token and key fields, the rest above it.

    `token` and `user_key` name the field and the error of each refusal.
    """
    match refusal:
        case Refusal.APPLICATION:
            checked.add(*token)
        case Refusal.USER_KEY:
            checked.add(*user_key)
        case _:
            checked.add("base", refusal.value)


async def async_suggested_name(hass: HomeAssistant, info: UserInfo) -> str | None:
    """Suggest who receives with a key: the owner, or everyone in a group.

    A user key is most often the person who set Home Assistant up; their
    name then reads well in "acknowledged by … on phone".
    """
    if info.is_group:
        return DEFAULT_GROUP_RECIPIENT_NAME
    owner = await hass.auth.async_get_owner()
    return owner.name if owner is not None and owner.name else None


def entry_title(hass: HomeAssistant, recipient_name: str) -> str:
    """Title a new entry: one Pushover application.

    Pushover's API names neither the application nor a key, so the title is
    "Pushover"; when an entry has that title already, the new one adds its
    primary recipient's name.
    """
    titles = {entry.title for entry in hass.config_entries.async_entries(DOMAIN)}
    if ENTRY_TITLE not in titles:
        return ENTRY_TITLE
    return f"{ENTRY_TITLE} ({recipient_name})"
