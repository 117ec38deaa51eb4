"""The one mapping from Home Assistant service data to a Pushover message.

The notify entity, the legacy notify action and `pushover_plus.send_message`
all pass their data through `build_message`, so a field means the same thing
and fails the same way wherever it is used. Nothing here talks to Pushover.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
import logging
import math
import re
from typing import Any, Final

from homeassistant.exceptions import ServiceValidationError
import homeassistant.util.dt as dt_util
from yarl import URL

from .api import Message
from .const import (
    DEVICE_NAME_PATTERN,
    DOMAIN,
    MAX_DEVICE_NAME_LENGTH,
    MAX_EXPIRE,
    MAX_MESSAGE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_URL_TITLE_LENGTH,
    MIN_RETRY,
    PRIORITY_EMERGENCY,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PRIORITY_NAMES,
)

_LOGGER = logging.getLogger(__name__)

ATTR_MESSAGE: Final = "message"
ATTR_TITLE: Final = "title"
ATTR_DEVICE: Final = "device"
ATTR_TARGET: Final = "target"
ATTR_HTML: Final = "html"
ATTR_MONOSPACE: Final = "monospace"
ATTR_PRIORITY: Final = "priority"
ATTR_RETRY: Final = "retry"
ATTR_EXPIRE: Final = "expire"
ATTR_CALLBACK_URL: Final = "callback_url"
ATTR_TAGS: Final = "tags"
ATTR_SOUND: Final = "sound"
ATTR_TIMESTAMP: Final = "timestamp"
ATTR_TTL: Final = "ttl"
ATTR_URL: Final = "url"
ATTR_URL_TITLE: Final = "url_title"
ATTR_ATTACHMENT: Final = "attachment"
ATTR_ATTACHMENT_URL: Final = "attachment_url"
ATTR_ATTACHMENT_ENTITY: Final = "attachment_entity"

ATTACHMENT_KEYS: Final = (ATTR_ATTACHMENT, ATTR_ATTACHMENT_URL, ATTR_ATTACHMENT_ENTITY)

# The keys of a legacy notify action's `data`: the built-in integration's
# keys (`target` included) and ours.
DATA_KEYS: Final = frozenset(
    {
        ATTR_DEVICE,
        ATTR_TARGET,
        ATTR_HTML,
        ATTR_MONOSPACE,
        ATTR_PRIORITY,
        ATTR_RETRY,
        ATTR_EXPIRE,
        ATTR_CALLBACK_URL,
        ATTR_TAGS,
        ATTR_SOUND,
        ATTR_TIMESTAMP,
        ATTR_TTL,
        ATTR_URL,
        ATTR_URL_TITLE,
        *ATTACHMENT_KEYS,
    }
)
MESSAGE_KEYS: Final = DATA_KEYS | {ATTR_MESSAGE, ATTR_TITLE}

ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class SendDefaults:
    """The entry's options that fill fields a call leaves out."""

    sound: str | None = None
    priority: int | None = None
    retry: int = 60
    expire: int = 3600


@dataclass(frozen=True, slots=True)
class AttachmentSource:
    """Where an attachment comes from; `attachment.py` fetches it."""

    kind: str
    location: str


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """A validated message and, if any, the attachment still to fetch."""

    message: Message
    attachment: AttachmentSource | None


def invalid(key: str, **placeholders: object) -> ServiceValidationError:
    """Return a translated validation error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            name: str(value) for name, value in placeholders.items()
        },
    )


def build_message(data: Mapping[str, Any], defaults: SendDefaults) -> MessageRequest:
    """Validate service data and map it onto Pushover's fields."""
    check_keys(data, MESSAGE_KEYS)
    html = _boolean(data, ATTR_HTML)
    monospace = _boolean(data, ATTR_MONOSPACE)
    if html and monospace:
        raise invalid("html_with_monospace")
    priority = _priority(data.get(ATTR_PRIORITY), defaults.priority)
    retry, expire = _emergency_timing(data, defaults, priority)
    ttl = _integer(data, ATTR_TTL)
    if ttl is not None and ttl <= 0:
        raise invalid("ttl_not_positive", value=ttl)
    message = Message(
        message=_message_text(data.get(ATTR_MESSAGE)),
        title=_limited_text(data, ATTR_TITLE, MAX_TITLE_LENGTH),
        devices=_devices(data),
        html=html,
        monospace=monospace,
        priority=priority,
        retry=retry,
        expire=expire,
        callback=_callback_url(data.get(ATTR_CALLBACK_URL)),
        tags=_names(data, ATTR_TAGS),
        sound=_limited_text(data, ATTR_SOUND, None) or defaults.sound,
        timestamp=_timestamp(data.get(ATTR_TIMESTAMP)),
        ttl=ttl,
        url=_limited_text(data, ATTR_URL, MAX_URL_LENGTH),
        url_title=_limited_text(data, ATTR_URL_TITLE, MAX_URL_TITLE_LENGTH),
    )
    return MessageRequest(message=message, attachment=_attachment_source(data))


def check_keys(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse keys that mean nothing here, naming the ones that do."""
    if unknown := sorted(map(str, set(data) - allowed)):
        raise invalid(
            "unknown_data_key",
            keys=", ".join(unknown),
            allowed=", ".join(sorted(allowed)),
        )


def _message_text(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid("invalid_type", field=ATTR_MESSAGE, expected="text")
    if not value.strip():
        raise invalid("message_empty")
    if len(value) <= MAX_MESSAGE_LENGTH:
        return value
    # The phone could show no more: cut rather than refuse the alert.
    _LOGGER.warning(
        "Message of %d characters cut to Pushover's limit of %d",
        len(value),
        MAX_MESSAGE_LENGTH,
    )
    return value[: MAX_MESSAGE_LENGTH - len(ELLIPSIS)] + ELLIPSIS


def _limited_text(data: Mapping[str, Any], key: str, limit: int | None) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("invalid_type", field=key, expected="text")
    if limit is not None and len(value) > limit:
        raise invalid(f"{key}_too_long", limit=limit, length=len(value))
    return value


def _names(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """Read a list of names given as a list or as comma-joined text."""
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) for item in value
    ):
        raise invalid("invalid_type", field=key, expected="a list of names")
    return tuple(name.strip() for name in value if name.strip())


def _devices(data: Mapping[str, Any]) -> tuple[str, ...]:
    # `target` is the built-in integration's name for device names.
    devices = _names(data, ATTR_DEVICE) + _names(data, ATTR_TARGET)
    for name in devices:
        if not DEVICE_NAME_PATTERN.fullmatch(name):
            raise invalid(
                "device_name_invalid", device=name, limit=MAX_DEVICE_NAME_LENGTH
            )
    return tuple(dict.fromkeys(devices))


def _boolean(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in {0, 1}:
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.lower()]
    raise invalid("invalid_type", field=key, expected="true or false")


_BOOLEAN_TEXT: Final = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


_WHOLE_NUMBER: Final = re.compile(r"-?[0-9]+")


def _integer(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise invalid("invalid_type", field=key, expected="a whole number")


def _priority(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lower() in PRIORITY_NAMES:
        return PRIORITY_NAMES[value.strip().lower()]
    try:
        priority = _integer({ATTR_PRIORITY: value}, ATTR_PRIORITY)
    except ServiceValidationError:
        priority = None
    if priority is None or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise invalid("priority_invalid", value=value, names=", ".join(PRIORITY_NAMES))
    return priority


def _emergency_timing(
    data: Mapping[str, Any], defaults: SendDefaults, priority: int | None
) -> tuple[int | None, int | None]:
    """Return retry and expire: Pushover reads them only for emergencies."""
    retry = _integer(data, ATTR_RETRY)
    expire = _integer(data, ATTR_EXPIRE)
    if retry is not None and retry < MIN_RETRY:
        raise invalid("retry_too_short", value=retry, limit=MIN_RETRY)
    if expire is not None and not 0 < expire <= MAX_EXPIRE:
        raise invalid("expire_out_of_range", value=expire, limit=MAX_EXPIRE)
    if priority != PRIORITY_EMERGENCY:
        return None, None
    return (
        defaults.retry if retry is None else retry,
        defaults.expire if expire is None else expire,
    )


def _callback_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("invalid_type", field=ATTR_CALLBACK_URL, expected="a URL")
    try:
        url = URL(value)
    except ValueError:
        raise invalid("callback_url_invalid", url=value) from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise invalid("callback_url_invalid", url=value)
    return value


def _timestamp(value: Any) -> int | None:
    if value is None or value == "":
        return None
    parsed = _TIMESTAMP_PARSERS.get(type(value), _unparsable)(value)
    if parsed is None:
        raise invalid("timestamp_invalid", value=value)
    return parsed


def _timestamp_from_text(value: str) -> int | None:
    if re.fullmatch(r"[0-9]+", value.strip()):
        return int(value)
    try:
        parsed = dt_util.parse_datetime(value)
    except ValueError:  # matches the ISO pattern but is no date, as 2024-13-45
        return None
    if parsed is None:
        return None
    return _timestamp_from_datetime(parsed)


def _timestamp_from_float(value: float) -> int | None:
    return int(value) if math.isfinite(value) else None


def _timestamp_from_datetime(value: datetime) -> int:
    return int(dt_util.as_utc(value).timestamp())


def _timestamp_from_date(value: date) -> int:
    return _timestamp_from_datetime(dt_util.start_of_local_day(value))


def _unparsable(_value: Any) -> None:
    return None


_TIMESTAMP_PARSERS: Final[dict[type, Callable[[Any], int | None]]] = {
    int: int,
    float: _timestamp_from_float,
    str: _timestamp_from_text,
    datetime: _timestamp_from_datetime,
    date: _timestamp_from_date,
}


def _attachment_source(data: Mapping[str, Any]) -> AttachmentSource | None:
    given = [key for key in ATTACHMENT_KEYS if data.get(key) not in (None, "")]
    if not given:
        return None
    if len(given) > 1:
        raise invalid("attachment_conflict", keys=", ".join(given))
    kind = given[0]
    location = data[kind]
    if not isinstance(location, str):
        raise invalid("invalid_type", field=kind, expected="text")
    return AttachmentSource(kind=kind, location=location)
