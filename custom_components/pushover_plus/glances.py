"""Glances: `pushover_plus.update_glance`, a glance's checks, where glances are kept.

A glance is small data for a widget (an Apple Watch complication): a title,
a text and a subtext of at most 100 characters each, a count (a whole number)
and a percent (0 to 100), for one recipient, maybe on one device. Every
mistake of a call is reported at once, as `message.py` does for messages,
and nothing goes to Pushover until all of them are fixed.

Where it goes from here, at most once every 20 minutes per recipient, is
`glance_queue.py`'s business. The queue, its store and the bindings
(`glance_queue.py`, `glance_store.py`, `glance_binding.py`) load only for an
entry that uses glances: at its setup when a recipient's glance is bound or
widgets are kept on disk, else at its first glance. An installation that
sends only messages never imports them.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.importlib import async_import_module
import probatio

from .api import Glance
from .const import (
    CONF_GLANCE,
    DEVICE_NAME_PATTERN,
    DOMAIN,
    GLANCE_PERCENT_MAX,
    GLANCE_PERCENT_MIN,
    MAX_DEVICE_NAME_LENGTH,
    MAX_GLANCE_TEXT_LENGTH,
)
from .data import PushoverConfigEntry
from .message import (
    FieldError,
    line_mistake,
    refusal,
    true_or_false,
    unknown_keys,
    whole_number,
)
from .recipients import Recipient, recipients_of
from .repairs import async_report_unreadable
from .services import ATTR_RECIPIENTS, select_recipients

if TYPE_CHECKING:
    from .glance_queue import GlanceQueue

SERVICE_UPDATE_GLANCE: Final = "update_glance"
ATTR_TITLE: Final = "title"
ATTR_TEXT: Final = "text"
ATTR_SUBTEXT: Final = "subtext"
ATTR_COUNT: Final = "count"
ATTR_PERCENT: Final = "percent"
ATTR_DEVICE: Final = "device"
ATTR_FORCE: Final = "force"

# A bound glance's settings name each field's source: `title_entity`, `title_template`.
ENTITY_SUFFIX: Final = "_entity"
TEMPLATE_SUFFIX: Final = "_template"

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
    try:
        queue = await async_glance_queue(call.hass, entry)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="glance_storage_unreadable",
            translation_placeholders={
                "directory": str(glances_directory(call.hass, entry.entry_id)),
                "error": err.strerror or str(err),
            },
        ) from err
    from .glance_queue import GlanceRefusedError  # noqa: PLC0415 - loaded with the queue

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


async def async_glance_queue(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> GlanceQueue:
    """Return the entry's glance queue, importing and reading it the first time.

    Raises OSError when its folder cannot be read.
    """
    runtime = entry.runtime_data
    async with runtime.glances_lock:
        if runtime.glances is None:
            await async_import_module(hass, f"{__package__}.glance_queue")
            from .glance_queue import GlanceQueue  # noqa: PLC0415 - loaded just above

            queue = GlanceQueue(hass, entry, runtime.client, recipients_of(entry))
            await queue.async_load()
            entry.async_on_unload(queue.async_unload)
            entry.async_on_unload(
                async_report_unreadable(
                    hass,
                    "glances_unreadable",
                    entry.entry_id,
                    entry.title,
                    queue.unreadable,
                )
            )
            runtime.glances = queue
        return runtime.glances


def glance_config_of(
    entry: PushoverConfigEntry, recipient: Recipient
) -> Mapping[str, Any]:
    """Read a recipient's bound glance: the primary's options, a subentry's data."""
    if recipient.subentry_id is None:
        stored = entry.options.get(CONF_GLANCE)
    else:
        stored = entry.subentries[recipient.subentry_id].data.get(CONF_GLANCE)
    return stored or {}


def binding_sources(config: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Return each bound field's source: ("entity", id) or ("template", text)."""
    sources = {}
    for field in GLANCE_FIELDS:
        if entity_id := config.get(f"{field}{ENTITY_SUFFIX}"):
            sources[field] = ("entity", str(entity_id))
        elif template := config.get(f"{field}{TEMPLATE_SUFFIX}"):
            sources[field] = ("template", str(template))
    return sources


def has_bound_glances(
    entry: PushoverConfigEntry, recipients: Sequence[Recipient]
) -> bool:
    """Tell whether any recipient's glance follows entities or templates."""
    return any(
        binding_sources(glance_config_of(entry, recipient)) for recipient in recipients
    )


def glances_directory(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's widgets are kept."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_glances", entry_id))


def has_stored_glances(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether an entry keeps any widget's file, set aside ones too (blocking).

    A folder that cannot be listed counts as kept: loading it says why.
    """
    try:
        return any(True for _ in glances_directory(hass, entry_id).iterdir())
    except FileNotFoundError:
        return False
    except OSError:
        return True


def remove_glances(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's widgets, files set aside included (blocking)."""
    shutil.rmtree(glances_directory(hass, entry_id), ignore_errors=True)
