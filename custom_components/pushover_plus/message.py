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
    MAX_DEVICES_PER_MESSAGE,
    MAX_EXPIRE,
    MAX_MESSAGE_LENGTH,
    MAX_TAGS_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_URL_TITLE_LENGTH,
    MIN_RETRY,
    PRIORITY_EMERGENCY,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PRIORITY_NAMES,
    RECEIPT_LENGTH,
    RECEIPT_PATTERN,
    REFUSED_URL_SCHEMES,
    TIMESTAMP_MAX_AHEAD,
    TIMESTAMP_MIN,
)
from .graphemes import cut_to_length

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

# A lone surrogate cannot be encoded as UTF-8: templates can make one, and
# the form body would fail to encode half-way through a send.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# Unicode's control characters (Cc). The message keeps its line breaks and
# tabs; every other field is one line, where a control character is a mistake.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UNPRINTABLE: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# RFC 3986: a scheme is a letter, then letters, digits, "+", "-" or ".".
_URL_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):.")
_WEB_SCHEMES: Final = frozenset({"http", "https"})
_TAG_SEPARATORS: Final = (",", "/")


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
    """Return a translated validation error.

    Placeholders often quote what the caller sent: control characters and
    lone surrogates in them are written as escapes, so that the error can be
    shown, logged and sent to the frontend as JSON.
    """
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            name: _printable(str(value)) for name, value in placeholders.items()
        },
    )


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def build_message(data: Mapping[str, Any], defaults: SendDefaults) -> MessageRequest:
    """Validate service data and map it onto Pushover's fields."""
    check_keys(data, MESSAGE_KEYS)
    _check_text_fields(data)
    html = _boolean(data, ATTR_HTML)
    monospace = _boolean(data, ATTR_MONOSPACE)
    if html and monospace:
        raise invalid("html_with_monospace")
    priority = _priority(data.get(ATTR_PRIORITY), defaults.priority)
    retry, expire = _emergency_timing(data, defaults, priority)
    ttl = _integer(data, ATTR_TTL)
    if ttl is not None and ttl <= 0:
        raise invalid("ttl_not_positive", value=ttl)
    url, url_title = _link(data)
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
        tags=_tags(data),
        sound=_limited_text(data, ATTR_SOUND, None) or defaults.sound,
        timestamp=_timestamp(data.get(ATTR_TIMESTAMP)),
        ttl=ttl,
        url=url,
        url_title=url_title,
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


def check_text(text: str, field: str, *, lines: bool = False) -> None:
    """Refuse a lone surrogate or a control character in a text field.

    With `lines`, tabs, line feeds and carriage returns are allowed.
    """
    if surrogate := _SURROGATE.search(text):
        raise invalid(
            "text_not_unicode",
            field=field,
            position=surrogate.start() + 1,
            code=f"{ord(surrogate[0]):04X}",
        )
    if control := (_CONTROL_BUT_LINES if lines else _CONTROL).search(text):
        raise invalid(
            "control_character",
            field=field,
            position=control.start() + 1,
            code=f"{ord(control[0]):04X}",
        )


def _check_text_fields(data: Mapping[str, Any]) -> None:
    """Check every text before any other rule, whose error may quote it."""
    for key, value in data.items():
        text = value
        if isinstance(value, list | tuple):
            # Positions then count in the comma-joined form Pushover gets.
            text = ",".join(item for item in value if isinstance(item, str))
        if isinstance(text, str):
            check_text(text, key, lines=key == ATTR_MESSAGE)


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
    return cut_to_length(value, MAX_MESSAGE_LENGTH, ELLIPSIS)


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
    unique = tuple(dict.fromkeys(devices))
    if len(unique) > MAX_DEVICES_PER_MESSAGE:
        raise invalid(
            "too_many_devices", count=len(unique), limit=MAX_DEVICES_PER_MESSAGE
        )
    return unique


def _tags(data: Mapping[str, Any]) -> tuple[str, ...]:
    value = data.get(ATTR_TAGS)
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(item, str) for item in items
    ):
        raise invalid("invalid_type", field=ATTR_TAGS, expected="a list of names")
    # An empty item is what a trailing comma leaves: no tag, not a blank one.
    tags = tuple(check_tag(item, ATTR_TAGS) for item in items if item)
    if (length := len(",".join(tags))) > MAX_TAGS_LENGTH:
        raise invalid("tags_too_long", length=length, limit=MAX_TAGS_LENGTH)
    return tags


def check_tag(value: str, field: str) -> str:
    """Return a tag without its outer spaces, or refuse it.

    A tag is one item of a comma-joined list and, to cancel by it, one segment
    of a URL path: it can hold neither a comma nor a slash.
    """
    check_text(value, field)
    tag = value.strip()
    if not tag or any(separator in tag for separator in _TAG_SEPARATORS):
        raise invalid("tag_invalid", tag=value, field=field)
    if len(tag) > MAX_TAGS_LENGTH:
        raise invalid(
            "tag_too_long", field=field, length=len(tag), limit=MAX_TAGS_LENGTH
        )
    return tag


def check_receipt(value: str) -> str:
    """Refuse what is not a receipt before it can reach a URL path."""
    if not RECEIPT_PATTERN.fullmatch(value):
        raise invalid("receipt_invalid", receipt=value, length=RECEIPT_LENGTH)
    return value


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


# Up to 18 digits always fit the 64 bits an API integer may have; Python
# would refuse to read one of over 4,300 digits, so such text never reaches int().
_WHOLE_NUMBER: Final = re.compile(r"-?[0-9]{1,18}")


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
    retry = defaults.retry if retry is None else retry
    expire = defaults.expire if expire is None else expire
    if retry > expire:
        # The first repeat would come after the expiry: one delivery, no alarm.
        raise invalid("retry_longer_than_expire", retry=retry, expire=expire)
    return retry, expire


def _link(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return the supplementary URL and its title."""
    url = _limited_text(data, ATTR_URL, MAX_URL_LENGTH)
    url_title = _limited_text(data, ATTR_URL_TITLE, MAX_URL_TITLE_LENGTH)
    if url is None:
        if url_title is not None:
            raise invalid("url_title_without_url")
        return None, None
    # Phones ignore spaces before the scheme, so " javascript:" is one too.
    scheme = _URL_SCHEME.match(url.strip())
    if scheme is None:
        raise invalid("url_invalid", url=url)
    if (name := scheme[1].lower()) in REFUSED_URL_SCHEMES:
        raise invalid(
            "url_scheme_refused",
            scheme=name,
            refused=", ".join(f"{refused}:" for refused in REFUSED_URL_SCHEMES),
        )
    # Any other scheme may open an app (homeassistant://navigate/...), as
    # Pushover's supplementary URLs allow; a web link needs a host.
    if name in _WEB_SCHEMES and not _has_host(url):
        raise invalid("url_invalid", url=url)
    return url, url_title


def _has_host(url: str) -> bool:
    try:
        return bool(URL(url.strip()).host)
    except ValueError:  # yarl cannot parse it, as http://[bad
        return False


def _callback_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("invalid_type", field=ATTR_CALLBACK_URL, expected="a URL")
    try:
        url = URL(value)
    except ValueError:
        raise invalid("callback_url_invalid", url=value) from None
    if url.scheme not in _WEB_SCHEMES or not url.host:
        raise invalid("callback_url_invalid", url=value)
    return value


def _timestamp(value: Any) -> int | None:
    if value is None or value == "":
        return None
    parsed = _parse_timestamp(value)
    if parsed is None:
        raise invalid("timestamp_invalid", value=value)
    latest = dt_util.utcnow().replace(microsecond=0) + TIMESTAMP_MAX_AHEAD
    if not TIMESTAMP_MIN <= parsed <= latest.timestamp():
        raise invalid(
            "timestamp_out_of_range",
            value=value,
            earliest=dt_util.utc_from_timestamp(TIMESTAMP_MIN).isoformat(),
            latest=latest.isoformat(),
        )
    return parsed


def _parse_timestamp(value: Any) -> int | None:
    """Read Unix time, a date-time, a date or text; None for anything else."""
    parser = next(
        (parser for kind, parser in _TIMESTAMP_PARSERS if isinstance(value, kind)),
        _unparsable,
    )
    return parser(value)


def _timestamp_from_text(value: str) -> int | None:
    if _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    try:
        parsed = dt_util.parse_datetime(value)
    except ValueError:  # matches the ISO pattern but is no date, as 2024-13-45
        return None
    if parsed is None:
        return None
    return _timestamp_from_datetime(parsed)


def _timestamp_from_float(value: float) -> int | None:
    # Down, not towards zero: -0.5 is before the epoch.
    return math.floor(value) if math.isfinite(value) else None


def _timestamp_from_datetime(value: datetime) -> int | None:
    try:
        return int(dt_util.as_utc(value).timestamp())
    except OverflowError:  # year 1 east of UTC, or year 9999 west of it
        return None


def _timestamp_from_date(value: date) -> int | None:
    return _timestamp_from_datetime(dt_util.start_of_local_day(value))


def _unparsable(_value: Any) -> None:
    return None


# A datetime is a date, and a bool an int: the first type that fits wins.
_TIMESTAMP_PARSERS: Final[tuple[tuple[type, Callable[[Any], int | None]], ...]] = (
    (bool, _unparsable),
    (int, int),
    (float, _timestamp_from_float),
    (str, _timestamp_from_text),
    (datetime, _timestamp_from_datetime),
    (date, _timestamp_from_date),
)


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
