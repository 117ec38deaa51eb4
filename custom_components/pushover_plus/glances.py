"""Glances: `pushover_plus.update_glance` and the checks of a glance's fields.

A glance is small data for a widget (an Apple Watch complication): a title,
a text and a subtext of at most 100 characters each, a count (a whole number)
and a percent (0 to 100), for one recipient, maybe on one device. Every
mistake of a call is reported at once, as `message.py` does for messages,
and nothing goes to Pushover until all of them are fixed.

Where it goes from here, at most once every 20 minutes per recipient, is
`glance_queue.py`'s business.
"""

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import probatio

from .api import Glance
from .const import (
    DEVICE_NAME_PATTERN,
    DOMAIN,
    GLANCE_PERCENT_MAX,
    GLANCE_PERCENT_MIN,
    MAX_DEVICE_NAME_LENGTH,
    MAX_GLANCE_TEXT_LENGTH,
)
from .data import PushoverConfigEntry
from .glance_queue import GlanceRefusedError
from .message import (
    FieldError,
    line_mistake,
    refusal,
    true_or_false,
    unknown_keys,
    whole_number,
)
from .services import ATTR_RECIPIENTS, select_recipients

SERVICE_UPDATE_GLANCE: Final = "update_glance"
ATTR_TITLE: Final = "title"
ATTR_TEXT: Final = "text"
ATTR_SUBTEXT: Final = "subtext"
ATTR_COUNT: Final = "count"
ATTR_PERCENT: Final = "percent"
ATTR_DEVICE: Final = "device"
ATTR_FORCE: Final = "force"

GLANCE_TEXT_FIELDS: Final = (ATTR_TITLE, ATTR_TEXT, ATTR_SUBTEXT)
GLANCE_FIELDS: Final = (*GLANCE_TEXT_FIELDS, ATTR_COUNT, ATTR_PERCENT)
GLANCE_KEYS: Final = frozenset({*GLANCE_FIELDS, ATTR_DEVICE})
# What the action takes: a glance's fields and its own.
UPDATE_GLANCE_KEYS: Final = GLANCE_KEYS | {
    ATTR_CONFIG_ENTRY_ID,
    ATTR_RECIPIENTS,
    ATTR_FORCE,
}

# Every field is checked by `build_glance`, all mistakes at once.
UPDATE_GLANCE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_RECIPIENTS): probatio.All(cv.ensure_list, [cv.string]),
    },
    extra=probatio.ALLOW_EXTRA,
)


def build_glance(
    data: Mapping[str, Any],
    *,
    listed: frozenset[str] = GLANCE_KEYS,
    found: list[FieldError] | None = None,
) -> Glance:
    """Check a glance's fields; raise one translated error naming every mistake.

    Keys other than a glance's are refused with the nearest of `listed`;
    `found` are mistakes the caller found first.
    """
    errors = [*(found or []), *unknown_keys(data, GLANCE_KEYS, listed)]
    values: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        try:
            values[key] = check(data.get(key))
        except FieldError as err:
            errors.append(err)
    if not errors and all(values[key] is None for key in GLANCE_FIELDS):
        errors.append(FieldError("glance_empty", fields=", ".join(GLANCE_FIELDS)))
    if errors:
        raise refusal(errors)
    return Glance(**values)


def _glance_text(key: str) -> Any:
    """Return the check of a title, text or subtext: one line, 100 characters."""

    def text(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise FieldError("invalid_type_text", field=key)
        if (mistake := line_mistake(value, key)) is not None:
            raise mistake
        if len(value) > MAX_GLANCE_TEXT_LENGTH:
            raise FieldError(
                "glance_text_too_long",
                field=key,
                length=len(value),
                limit=MAX_GLANCE_TEXT_LENGTH,
            )
        return value

    return text


def _count(value: Any) -> int | None:
    if value == "":
        return None
    return whole_number(ATTR_COUNT, value)


def _percent(value: Any) -> int | None:
    if value == "":
        return None
    percent = whole_number(ATTR_PERCENT, value)
    if percent is not None and not GLANCE_PERCENT_MIN <= percent <= GLANCE_PERCENT_MAX:
        raise FieldError(
            "glance_percent_out_of_range",
            value=percent,
            minimum=GLANCE_PERCENT_MIN,
            maximum=GLANCE_PERCENT_MAX,
        )
    return percent


def _device(value: Any) -> str | None:
    """Read the one device of a widget: one name, or none for every device."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("invalid_type_device_name", field=ATTR_DEVICE)
    name = value.strip()
    if not DEVICE_NAME_PATTERN.fullmatch(name):
        raise FieldError(
            "device_name_invalid", device=value, limit=MAX_DEVICE_NAME_LENGTH
        )
    return name


_CHECKS: Final = {
    **{key: _glance_text(key) for key in GLANCE_TEXT_FIELDS},
    ATTR_COUNT: _count,
    ATTR_PERCENT: _percent,
    ATTR_DEVICE: _device,
}


@callback
def async_setup_glance_action(hass: HomeAssistant) -> None:
    """Register `pushover_plus.update_glance`."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_UPDATE_GLANCE,
        _async_update_glance,
        schema=UPDATE_GLANCE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_update_glance(call: ServiceCall) -> ServiceResponse:
    entry: PushoverConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    data: dict[str, Any] = dict(call.data)
    data.pop(ATTR_CONFIG_ENTRY_ID, None)
    recipients = select_recipients(entry, data.pop(ATTR_RECIPIENTS, None))
    found: list[FieldError] = []
    force = False
    try:
        force = true_or_false(ATTR_FORCE, data.pop(ATTR_FORCE, None))
    except FieldError as err:
        found.append(err)
    glance = build_glance(data, listed=UPDATE_GLANCE_KEYS, found=found)
    queue = entry.runtime_data.glances
    outcomes = []
    refused: list[GlanceRefusedError] = []
    # Every recipient is tried: a glance replaces what a widget shows, so a
    # call repeated after a refusal changes nothing for the others.
    for recipient in recipients:
        try:
            outcomes.append(await queue.async_submit(recipient, glance, force=force))
        except GlanceRefusedError as err:
            refused.append(err)
    if refused:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="glance_rejected",
            translation_placeholders={
                "recipients": ", ".join(err.recipient for err in refused),
                "errors": "; ".join(
                    text for err in refused for text in err.refusal.errors
                ),
                "request_id": ", ".join(
                    err.refusal.request_id or "-" for err in refused
                ),
            },
        )
    return {"glances": [outcome.as_response() for outcome in outcomes]}
