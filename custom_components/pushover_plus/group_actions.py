"""The actions that change a delivery group: add, remove, enable, disable, rename.

Each names the group by its recipient (optional when the entry has one group
recipient) and the user by the name of one of the entry's recipients or by a
user key, so that an automation needs no key: `user: Ada`. Every mistake is
reported at once, translated, before Pushover is asked; when Pushover refuses,
its own text comes back with the request id. The group's key goes into the
URL Pushover wants, and nowhere else: no error or log line names it.

After every change the group is read again, so its sensors follow at once.
"""

from collections.abc import Callable
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_NAME
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import probatio

from .api import (
    GroupChange,
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
)
from .const import (
    DEVICE_NAME_PATTERN,
    DOMAIN,
    KEY_PATTERN,
    MAX_DEVICE_NAME_LENGTH,
    MAX_GROUP_MEMO_LENGTH,
)
from .data import PushoverConfigEntry
from .groups import GroupCoordinator
from .message import FieldError, line_mistake, refusal, unknown_keys
from .recipients import Recipient, recipients_of

SERVICE_ADD_GROUP_USER: Final = "add_group_user"
SERVICE_REMOVE_GROUP_USER: Final = "remove_group_user"
SERVICE_ENABLE_GROUP_USER: Final = "enable_group_user"
SERVICE_DISABLE_GROUP_USER: Final = "disable_group_user"
SERVICE_RENAME_GROUP: Final = "rename_group"
ATTR_GROUP: Final = "group"
ATTR_USER: Final = "user"
ATTR_DEVICE: Final = "device"
ATTR_MEMO: Final = "memo"

# Each action's API change and the fields it takes besides the entry and group.
_ACTIONS: Final[dict[str, tuple[GroupChange, frozenset[str]]]] = {
    SERVICE_ADD_GROUP_USER: (
        "add_user",
        frozenset({ATTR_USER, ATTR_DEVICE, ATTR_MEMO}),
    ),
    SERVICE_REMOVE_GROUP_USER: ("remove_user", frozenset({ATTR_USER, ATTR_DEVICE})),
    SERVICE_ENABLE_GROUP_USER: ("enable_user", frozenset({ATTR_USER, ATTR_DEVICE})),
    SERVICE_DISABLE_GROUP_USER: ("disable_user", frozenset({ATTR_USER, ATTR_DEVICE})),
    SERVICE_RENAME_GROUP: ("rename", frozenset({ATTR_NAME})),
}
_OWN_KEYS: Final = frozenset({ATTR_CONFIG_ENTRY_ID, ATTR_GROUP})

# Every field is checked in the action, so that all mistakes come at once.
GROUP_ACTION_SCHEMA: Final = probatio.Schema(
    {probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string},
    extra=probatio.ALLOW_EXTRA,
)


@callback
def async_setup_group_actions(hass: HomeAssistant) -> None:
    """Register the five actions of delivery groups."""
    for name in _ACTIONS:
        hass.services.async_register(
            DOMAIN, name, _async_change_group, schema=GROUP_ACTION_SCHEMA
        )


async def _async_change_group(call: ServiceCall) -> None:
    entry: PushoverConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    change, keys = _ACTIONS[call.service]
    data = {
        key: value for key, value in call.data.items() if key != ATTR_CONFIG_ENTRY_ID
    }
    errors = unknown_keys(data, keys | {ATTR_GROUP}, keys | _OWN_KEYS)
    group = _group_of(entry, data.get(ATTR_GROUP))
    if isinstance(group, FieldError):
        errors.append(group)
    fields = _fields(entry, data, keys, errors)
    if errors or isinstance(group, FieldError):
        raise refusal(errors)
    await _async_send(entry, group, change, fields)


def _group_of(entry: PushoverConfigEntry, wanted: Any) -> GroupCoordinator | FieldError:
    """Find the group recipient named, or the only one; else the mistake."""
    groups: dict[str, GroupCoordinator] = entry.runtime_data.groups
    names = ", ".join(coordinator.recipient.name for coordinator in groups.values())
    if wanted is None or wanted == "":
        if len(groups) == 1:
            return next(iter(groups.values()))
        if groups:
            return FieldError("group_required", groups=names)
        return FieldError("no_group_recipient")
    if not isinstance(wanted, str):
        return FieldError("invalid_type_text", field=ATTR_GROUP)
    for coordinator in groups.values():
        if wanted in {coordinator.recipient.id, coordinator.recipient.name}:
            return coordinator
    return FieldError("not_a_group_recipient", group=wanted, groups=names or "-")


def _fields(
    entry: PushoverConfigEntry,
    data: dict[str, Any],
    keys: frozenset[str],
    errors: list[FieldError],
) -> dict[str, str]:
    """Check the action's fields; return them as the Groups API takes them."""
    fields: dict[str, str] = {}
    for key in sorted(keys):
        try:
            value = _CHECKS[key](entry, data.get(key))
        except FieldError as err:
            errors.append(err)
            continue
        if value is not None:
            fields[key] = value
    return fields


def _user(entry: PushoverConfigEntry, value: Any) -> str:
    """Return the user key of a recipient's name (or id), or a key given as is.

    Neither what was given nor a key is quoted in the error: it may be a key.
    """
    users = [recipient for recipient in recipients_of(entry) if not recipient.is_group]
    known = ", ".join(recipient.name for recipient in users)
    if not isinstance(value, str) or not value.strip():
        raise FieldError("group_user_invalid", recipients=known or "-")
    user = value.strip()
    match = next(
        (recipient for recipient in users if user in {recipient.id, recipient.name}),
        None,
    )
    if match is not None:
        return match.user_key
    if KEY_PATTERN.fullmatch(user):
        return user
    raise FieldError("group_user_invalid", recipients=known or "-")


def _device(_entry: PushoverConfigEntry, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("invalid_type_device_name", field=ATTR_DEVICE)
    if not DEVICE_NAME_PATTERN.fullmatch(value.strip()):
        raise FieldError(
            "device_name_invalid", device=value, limit=MAX_DEVICE_NAME_LENGTH
        )
    return value.strip()


def _memo(_entry: PushoverConfigEntry, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("invalid_type_text", field=ATTR_MEMO)
    if (mistake := line_mistake(value, ATTR_MEMO)) is not None:
        raise mistake
    if len(value) > MAX_GROUP_MEMO_LENGTH:
        raise FieldError(
            "memo_too_long", length=len(value), limit=MAX_GROUP_MEMO_LENGTH
        )
    return value


def _name(_entry: PushoverConfigEntry, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("group_name_empty")
    if not isinstance(value, str):
        raise FieldError("invalid_type_text", field=ATTR_NAME)
    if (mistake := line_mistake(value, ATTR_NAME)) is not None:
        raise mistake
    return value.strip()


_CHECKS: Final[dict[str, Callable[[PushoverConfigEntry, Any], str | None]]] = {
    ATTR_USER: _user,
    ATTR_DEVICE: _device,
    ATTR_MEMO: _memo,
    ATTR_NAME: _name,
}


async def _async_send(
    entry: PushoverConfigEntry,
    coordinator: GroupCoordinator,
    change: GroupChange,
    fields: dict[str, str],
) -> None:
    group: Recipient = coordinator.recipient
    try:
        await entry.runtime_data.client.change_group(group.user_key, change, fields)
    except PushoverInvalidRequestError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="group_change_refused",
            translation_placeholders={
                "group": group.name,
                "change": change,
                "errors": "; ".join(err.errors) or str(err),
                "request_id": err.request_id or "-",
            },
        ) from err
    except PushoverAuthenticationError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except PushoverError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="group_change_failed",
            translation_placeholders={
                "group": group.name,
                "change": change,
                "error": str(err),
            },
        ) from err
    # Read back at once, not debounced: the sensors are current when the
    # action returns, for the automation's next step.
    await coordinator.async_refresh()
