"""The one mapping from Home Assistant service data to a Pushover message.

The notify entity, the legacy notify action and `pushover_plus.send_message`
all pass their data through `build_message`, so a field means the same thing
and fails the same way wherever it is used. Nothing here talks to Pushover.

One schema (`FIELDS`) holds every field's validator; Home Assistant's config
validation reads what it reads the same way (booleans), our own validators
keep Pushover's rules. Every mistake is collected, not only the first: one
field's error names the field and the limit, and several come back together
in one translated error, so that a script is fixed in one round.
"""

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
import difflib
import logging
import math
import re
from typing import Any, Final

from homeassistant.core import async_get_hass
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.translation import async_get_cached_translations
import homeassistant.util.dt as dt_util
import probatio
from yarl import URL

from .api import Message
from .const import (
    DEVICE_NAME_PATTERN,
    DOMAIN,
    IMAGE_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_DEVICE_NAME_LENGTH,
    MAX_DEVICES_PER_MESSAGE,
    MAX_EXPIRE,
    MAX_MESSAGE_LENGTH,
    MAX_PICTURE_SOURCE_BYTES,
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
from .value import Value

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
ATTR_ATTACHMENT_BASE64: Final = "attachment_base64"
ATTR_ATTACHMENT_TYPE: Final = "attachment_type"
ATTR_ATTACHMENT_RESIZE: Final = "attachment_resize"

# The sources of an attachment, of which a message may name one.
ATTACHMENT_KEYS: Final = (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_URL,
    ATTR_ATTACHMENT_ENTITY,
    ATTR_ATTACHMENT_BASE64,
)

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
        ATTR_ATTACHMENT_TYPE,
        ATTR_ATTACHMENT_RESIZE,
    }
)
MESSAGE_KEYS: Final = DATA_KEYS | {ATTR_MESSAGE, ATTR_TITLE}

ELLIPSIS: Final = "…"

# Unicode's control characters (Cc). The message keeps its line breaks and
# tabs; every other field is one line, where a control character is a mistake.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# RFC 3986: a scheme is a letter, then letters, digits, "+", "-" or ".".
_URL_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):.")
_WEB_SCHEMES: Final = frozenset({"http", "https"})
_TAG_SEPARATORS: Final = (",", "/")


class SendDefaults(Value):
    """The entry's options that fill fields a call leaves out (`data.py` reads them)."""

    __slots__ = ("expire", "priority", "retry", "sound")
    sound: Final[str | None]
    priority: Final[int | None]
    retry: Final[int]
    expire: Final[int]

    def __init__(
        self,
        *,
        sound: str | None,
        priority: int | None,
        retry: int,
        expire: int,
    ) -> None:
        """Set the fields, each given by name."""
        self.sound = sound
        self.priority = priority
        self.retry = retry
        self.expire = expire


class AttachmentSource(Value):
    """Where an attachment comes from; `attachment.py` fetches it.

    `location` names it in errors (for base64, the field). `content` is the
    decoded picture of `attachment_base64`; `resize` whether a picture over
    Pushover's limit may be made smaller.
    """

    # The picture's bytes: a log line or a traceback does not dump them.
    _secret = ("content",)
    __slots__ = ("content", "kind", "location", "resize")
    kind: Final[str]
    location: Final[str]
    resize: Final[bool]
    content: Final[bytes | None]

    def __init__(
        self,
        *,
        kind: str,
        location: str,
        resize: bool = True,
        content: bytes | None = None,
    ) -> None:
        """Set the fields, each given by name."""
        self.kind = kind
        self.location = location
        self.resize = resize
        self.content = content


class MessageRequest(Value):
    """A validated message and, if any, the attachment still to fetch."""

    __slots__ = ("attachment", "message")
    message: Final[Message]
    attachment: Final[AttachmentSource | None]

    def __init__(
        self,
        *,
        message: Message,
        attachment: AttachmentSource | None,
    ) -> None:
        """Set the fields, each given by name."""
        self.message = message
        self.attachment = attachment


class FieldError(probatio.Invalid):
    """One field's mistake, as a translation key and its placeholders.

    Placeholders often quote what the caller sent: control characters and
    lone surrogates in them are written as escapes, so that the error can be
    shown, logged and sent to the frontend as JSON.
    """

    def __init__(self, translation_key: str, **placeholders: object) -> None:
        """Name the mistake by its key under `exceptions` in the translations."""
        super().__init__(
            translation_key,
            translation_key=translation_key,
            placeholders={
                name: _printable(str(value)) for name, value in placeholders.items()
            },
        )

    @property
    def key(self) -> str:
        """The mistake's translation key."""
        return str(self.translation_key)

    @property
    def values(self) -> dict[str, str]:
        """The placeholders of its translated text, quoted safely."""
        return {name: str(value) for name, value in (self.placeholders or {}).items()}


def invalid(key: str, **placeholders: object) -> ServiceValidationError:
    """Return a translated validation error."""
    return refusal([FieldError(key, **placeholders)])


def refusal(errors: list[FieldError]) -> ServiceValidationError:
    """Return one translated error for every mistake found."""
    if len(errors) == 1:
        [error] = errors
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=error.key,
            translation_placeholders=error.values,
        )
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="fields_invalid",
        translation_placeholders={
            "count": str(len(errors)),
            # One mistake a line: a mistake's own text may hold a semicolon.
            "errors": "\n".join(f"• {_rendered(error)}" for error in errors),
        },
    )


def _rendered(error: FieldError) -> str:
    """Render one mistake in Home Assistant's language (English if untranslated)."""
    try:
        hass = async_get_hass()
    except HomeAssistantError:
        return error.key
    key = f"component.{DOMAIN}.exceptions.{error.key}.message"
    for language in (hass.config.language, "en"):
        template = async_get_cached_translations(
            hass, language, "exceptions", DOMAIN
        ).get(key)
        if template:
            return template.format(**error.values)
    return error.key


def _printable(text: str) -> str:
    # UTF-8's encoder writes each lone surrogate as "\udxxx" already.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def _lone_surrogate(text: str) -> int | None:
    """Return where the first lone surrogate is, None without one.

    UTF-8 cannot encode one: templates can make one, and the form body would
    fail to encode half-way through a send. (The encoder finds it faster
    than a pattern over the surrogates' range, which costs every start a
    large character set to compile.)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return err.start
    return None


def mebibytes(size: int) -> str:
    """Write a size in MiB as the errors quote it, before the word MiB.

    Rounded up to a tenth, so that a size just over a limit never reads as the
    limit itself (5,242,881 bytes: 5.1), and whole numbers without a decimal
    point (5). MiB, not bytes: a count of bytes would need a digit separator,
    which differs by language.
    """
    tenths = math.ceil(size * 10 / 2**20)
    return f"{tenths / 10:g}"


def build_message(
    data: Mapping[str, Any],
    defaults: SendDefaults,
    *,
    allowed: frozenset[str] = MESSAGE_KEYS,
    listed: frozenset[str] | None = None,
    found: Sequence[FieldError] = (),
) -> MessageRequest:
    """Validate service data and map it onto Pushover's fields.

    `allowed` names the keys a caller may give; any other is refused with the
    nearest of `listed` (`allowed` unless given) suggested and all of them
    listed. `found` are mistakes the caller found first. Raises one
    translated error naming every mistake.
    """
    errors = [*found, *unknown_keys(data, allowed, listed or allowed)]
    fields = {key: value for key, value in data.items() if key in MESSAGE_KEYS}
    text_errors = _text_errors(fields)
    errors += text_errors.values()
    if ATTR_MESSAGE not in fields:
        errors.append(FieldError("invalid_type_text", field=ATTR_MESSAGE))
    values, field_errors = _validated(
        {key: value for key, value in fields.items() if key not in text_errors}
    )
    errors += field_errors
    given = frozenset(key for key, value in fields.items() if value not in (None, ""))
    message, attachment = _combined(values, defaults, errors, given)
    if errors:
        raise refusal(errors)
    return MessageRequest(message=message, attachment=attachment)


def unknown_keys(
    data: Mapping[str, Any], allowed: frozenset[str], listed: frozenset[str]
) -> list[FieldError]:
    """Return a mistake for each key that means nothing here, with a suggestion."""
    errors = []
    names = ", ".join(sorted(listed))
    for key in sorted(map(str, set(data) - allowed)):
        if near := difflib.get_close_matches(key, listed, n=1, cutoff=0.6):
            errors.append(
                FieldError(
                    "unknown_data_key_near", field=key, near=near[0], allowed=names
                )
            )
        else:
            errors.append(FieldError("unknown_data_key", field=key, allowed=names))
    return errors


def _validated(fields: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Run the schema; return the fields that passed and every field's mistake."""
    try:
        return _SCHEMA(fields), []
    except probatio.MultipleInvalid as err:
        invalid_fields = err.errors
    errors = [_as_field_error(error) for error in invalid_fields]
    failed = {str(error.path[0]) for error in invalid_fields if error.path}
    # Again without the failed fields, so that the rest can be checked
    # together (html with monospace, retry with expire, the link).
    passed = _SCHEMA({key: value for key, value in fields.items() if key not in failed})
    return passed, errors


def _as_field_error(error: probatio.Invalid) -> FieldError:
    if isinstance(error, FieldError):
        return error
    # Not one of ours: name the field the schema names. Its message is
    # probatio's English, which no translation could carry.
    return FieldError("invalid_value", field=error.path[0])


def _combined(
    values: dict[str, Any],
    defaults: SendDefaults,
    errors: list[FieldError],
    given: frozenset[str],
) -> tuple[Message, AttachmentSource | None]:
    """Apply the rules between fields and the entry's defaults; collect mistakes.

    `given` names the fields the caller gave, valid or not: a rule between
    two fields holds whether or not the other one passed its own check.
    """
    html = values.get(ATTR_HTML, False)
    monospace = values.get(ATTR_MONOSPACE, False)
    if html and monospace:
        errors.append(FieldError("html_with_monospace"))
    priority = values.get(ATTR_PRIORITY, defaults.priority)
    retry, expire = _emergency_timing(values, defaults, priority, errors)
    url, url_title = values.get(ATTR_URL), values.get(ATTR_URL_TITLE)
    if url is None and url_title is not None:
        errors.append(FieldError("url_title_without_url"))
    devices = tuple(
        dict.fromkeys(values.get(ATTR_DEVICE, ()) + values.get(ATTR_TARGET, ()))
    )
    if len(devices) > MAX_DEVICES_PER_MESSAGE:
        errors.append(
            FieldError(
                "too_many_devices", count=len(devices), limit=MAX_DEVICES_PER_MESSAGE
            )
        )
    message = Message(
        message=values.get(ATTR_MESSAGE, ""),
        title=values.get(ATTR_TITLE),
        devices=devices,
        html=html,
        monospace=monospace,
        priority=priority,
        retry=retry,
        expire=expire,
        callback=values.get(ATTR_CALLBACK_URL),
        tags=values.get(ATTR_TAGS, ()),
        sound=values.get(ATTR_SOUND) or defaults.sound,
        timestamp=values.get(ATTR_TIMESTAMP),
        ttl=values.get(ATTR_TTL),
        url=url,
        url_title=url_title,
    )
    return message, _attachment_source(values, errors, given)


def _text_error(text: str, field: str, *, lines: bool) -> FieldError | None:
    if (surrogate := _lone_surrogate(text)) is not None:
        return FieldError(
            "text_not_unicode",
            field=field,
            position=surrogate + 1,
            code=f"{ord(text[surrogate]):04X}",
        )
    if control := (_CONTROL_BUT_LINES if lines else _CONTROL).search(text):
        return FieldError(
            "control_character",
            field=field,
            position=control.start() + 1,
            code=f"{ord(control[0]):04X}",
        )
    return None


def _text_errors(fields: Mapping[str, Any]) -> dict[str, FieldError]:
    """Check every text before any other rule, whose error may quote it."""
    errors = {}
    for key, value in fields.items():
        if key == ATTR_ATTACHMENT_BASE64:
            # Base64 may be wrapped in lines; its own check reads it.
            continue
        text = value
        if isinstance(value, list | tuple):
            # Positions then count in the comma-joined form Pushover gets.
            text = ",".join(item for item in value if isinstance(item, str))
        if isinstance(text, str) and (
            error := _text_error(text, key, lines=key == ATTR_MESSAGE)
        ):
            errors[key] = error
    return errors


def _message_text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("invalid_type_text", field=ATTR_MESSAGE)
    if not value.strip():
        raise FieldError("message_empty")
    if len(value) <= MAX_MESSAGE_LENGTH:
        return value
    # The phone could show no more: cut rather than refuse the alert.
    _LOGGER.warning(
        "Message of %d characters cut to Pushover's limit of %d",
        len(value),
        MAX_MESSAGE_LENGTH,
    )
    return cut_to_length(value, MAX_MESSAGE_LENGTH, ELLIPSIS)


def _text(key: str, limit: int | None = None) -> Callable[[Any], str | None]:
    """Return the validator of an optional text field, at most `limit` long."""

    def text(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise FieldError("invalid_type_text", field=key)
        if limit is not None and len(value) > limit:
            raise FieldError(f"{key}_too_long", limit=limit, length=len(value))
        return value

    return text


def _names(key: str, value: Any) -> tuple[str, ...]:
    """Read a list of names given as a list or as comma-joined text."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) for item in value
    ):
        raise FieldError("invalid_type_names", field=key)
    return tuple(name.strip() for name in value if name.strip())


def _device_names(key: str) -> Callable[[Any], tuple[str, ...]]:
    """Return the validator of device names (`target` is the built-in's name)."""

    def device_names(value: Any) -> tuple[str, ...]:
        devices = _names(key, value)
        for name in devices:
            if not DEVICE_NAME_PATTERN.fullmatch(name):
                raise FieldError(
                    "device_name_invalid", device=name, limit=MAX_DEVICE_NAME_LENGTH
                )
        return devices

    return device_names


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(item, str) for item in items
    ):
        raise FieldError("invalid_type_names", field=ATTR_TAGS)
    # An empty item is what a trailing comma leaves: no tag, not a blank one.
    tags = tuple(_tag(item, ATTR_TAGS) for item in items if item)
    if (length := len(",".join(tags))) > MAX_TAGS_LENGTH:
        raise FieldError("tags_too_long", length=length, limit=MAX_TAGS_LENGTH)
    return tags


def check_tag(value: str, field: str) -> str:
    """Return a tag without its outer spaces, or refuse it.

    A tag is one item of a comma-joined list and, to cancel by it, one segment
    of a URL path: it can hold neither a comma nor a slash.
    """
    try:
        return _tag(value, field)
    except FieldError as err:
        raise refusal([err]) from None


def _tag(value: str, field: str) -> str:
    if error := _text_error(value, field, lines=False):
        raise error
    tag = value.strip()
    if not tag or any(separator in tag for separator in _TAG_SEPARATORS):
        raise FieldError("tag_invalid", tag=value, field=field)
    if len(tag) > MAX_TAGS_LENGTH:
        raise FieldError(
            "tag_too_long", field=field, length=len(tag), limit=MAX_TAGS_LENGTH
        )
    return tag


def check_receipt(value: str) -> str:
    """Refuse what is not a receipt before it can reach a URL path."""
    if not RECEIPT_PATTERN.fullmatch(value):
        raise invalid("receipt_invalid", receipt=value, length=RECEIPT_LENGTH)
    return value


def _flag(key: str, *, default: bool = False) -> Callable[[Any], bool]:
    """Return the validator of a true-or-false field, read as Home Assistant does.

    Numbers other than 0 and 1 are refused: `html: 2` is a mistake, not "yes".
    """

    def flag(value: Any) -> bool:
        if value is None:
            return default
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value not in {0, 1}
        ):
            raise FieldError("invalid_type_boolean", field=key)
        try:
            return bool(cv.boolean(value))
        except probatio.Invalid:
            raise FieldError("invalid_type_boolean", field=key) from None

    return flag


# Up to 18 digits always fit the 64 bits an API integer may have; Python
# would refuse to read one of over 4,300 digits, so such text never reaches int().
_MAX_DIGITS: Final = 18


def _is_whole_number(text: str) -> bool:
    """Tell whether a text is a whole number: a minus maybe, then ASCII digits."""
    digits = text.strip().removeprefix("-")
    return 0 < len(digits) <= _MAX_DIGITS and digits.isascii() and digits.isdigit()


def _whole_number(key: str, value: Any) -> int | None:
    """Read a whole number: cv.positive_int would take 12.7 as 12, Pushover no."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _is_whole_number(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise FieldError("invalid_type_whole_number", field=key)


def _priority(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in PRIORITY_NAMES:
        return PRIORITY_NAMES[value.strip().lower()]
    try:
        priority = _whole_number(ATTR_PRIORITY, value)
    except FieldError:
        priority = None
    if priority is None or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise FieldError(
            "priority_invalid", value=value, names=", ".join(PRIORITY_NAMES)
        )
    return priority


def _retry(value: Any) -> int | None:
    retry = _whole_number(ATTR_RETRY, value)
    if retry is not None and retry < MIN_RETRY:
        raise FieldError("retry_too_short", value=retry, limit=MIN_RETRY)
    return retry


def _expire(value: Any) -> int | None:
    expire = _whole_number(ATTR_EXPIRE, value)
    if expire is not None and not 0 < expire <= MAX_EXPIRE:
        raise FieldError("expire_out_of_range", value=expire, limit=MAX_EXPIRE)
    return expire


def _ttl(value: Any) -> int | None:
    ttl = _whole_number(ATTR_TTL, value)
    if ttl is not None and ttl <= 0:
        raise FieldError("ttl_not_positive", value=ttl)
    return ttl


def _emergency_timing(
    values: Mapping[str, Any],
    defaults: SendDefaults,
    priority: int | None,
    errors: list[FieldError],
) -> tuple[int | None, int | None]:
    """Return retry and expire: Pushover reads them only for emergencies."""
    if priority != PRIORITY_EMERGENCY:
        return None, None
    retry = values.get(ATTR_RETRY)
    expire = values.get(ATTR_EXPIRE)
    retry = defaults.retry if retry is None else retry
    expire = defaults.expire if expire is None else expire
    if retry > expire:
        # The first repeat would come after the expiry: one delivery, no alarm.
        errors.append(
            FieldError("retry_longer_than_expire", retry=retry, expire=expire)
        )
    return retry, expire


def _url(value: Any) -> str | None:
    """Return the supplementary URL, if it is one a phone can open safely."""
    url = _text(ATTR_URL, MAX_URL_LENGTH)(value)
    if url is None:
        return None
    # Phones ignore spaces before the scheme, so " javascript:" is one too.
    scheme = _URL_SCHEME.match(url.strip())
    if scheme is None:
        raise FieldError("url_invalid", url=url)
    if (name := scheme[1].lower()) in REFUSED_URL_SCHEMES:
        raise FieldError(
            "url_scheme_refused",
            scheme=name,
            refused=", ".join(f"{refused}:" for refused in REFUSED_URL_SCHEMES),
        )
    # Any other scheme may open an app (homeassistant://navigate/...), as
    # Pushover's supplementary URLs allow; a web link needs a host.
    if name in _WEB_SCHEMES and not _has_host(url):
        raise FieldError("url_invalid", url=url)
    return url


def _has_host(url: str) -> bool:
    try:
        return bool(URL(url.strip()).host)
    except ValueError:  # yarl cannot parse it, as http://[bad
        return False


def _callback_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("invalid_type_url", field=ATTR_CALLBACK_URL)
    try:
        url = URL(value)
    except ValueError:
        raise FieldError("callback_url_invalid", url=value) from None
    if url.scheme not in _WEB_SCHEMES or not url.host:
        raise FieldError("callback_url_invalid", url=value)
    return value


def _timestamp(value: Any) -> int | None:
    if value is None or value == "":
        return None
    parsed = _parse_timestamp(value)
    if parsed is None:
        raise FieldError("timestamp_invalid", value=value)
    latest = dt_util.utcnow().replace(microsecond=0) + TIMESTAMP_MAX_AHEAD
    if not TIMESTAMP_MIN <= parsed <= latest.timestamp():
        raise FieldError(
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
    if _is_whole_number(value):
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


def _location(key: str) -> Callable[[Any], str | None]:
    """Return the validator of an attachment source: a path, URL or entity id."""

    def location(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise FieldError("invalid_type_text", field=key)
        return value

    return location


def _base64(value: Any) -> bytes | None:
    """Decode a picture given as base64 text; line breaks and spaces are allowed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("invalid_type_text", field=ATTR_ATTACHMENT_BASE64)
    text = "".join(value.split())
    # Refused before it is decoded: 4 characters carry 3 bytes.
    size = len(text) * 3 // 4 - text[-2:].count("=")
    if size > MAX_PICTURE_SOURCE_BYTES:
        raise FieldError(
            "attachment_source_too_large",
            attachment=ATTR_ATTACHMENT_BASE64,
            size=mebibytes(size),
            source_limit=mebibytes(MAX_PICTURE_SOURCE_BYTES),
            limit=mebibytes(MAX_ATTACHMENT_BYTES),
        )
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise FieldError("attachment_base64_invalid") from None


def _attachment_type(value: Any) -> str | None:
    """Read the media type of a base64 picture: one of the image types we send."""
    text = _text(ATTR_ATTACHMENT_TYPE)(value)
    if text is None:
        return None
    media_type = text.partition(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES:
        raise FieldError(
            "attachment_type_invalid", value=text, types=", ".join(IMAGE_TYPES)
        )
    return media_type


def _attachment_source(
    values: Mapping[str, Any], errors: list[FieldError], given: frozenset[str]
) -> AttachmentSource | None:
    # Pushover takes base64 only with its type, and a type only with base64.
    if ATTR_ATTACHMENT_BASE64 in given and ATTR_ATTACHMENT_TYPE not in given:
        errors.append(
            FieldError("attachment_type_missing", types=", ".join(IMAGE_TYPES))
        )
    elif ATTR_ATTACHMENT_TYPE in given and ATTR_ATTACHMENT_BASE64 not in given:
        errors.append(FieldError("attachment_type_without_base64"))
    sources = [key for key in ATTACHMENT_KEYS if values.get(key) is not None]
    if not sources:
        return None
    if len(sources) > 1:
        errors.append(FieldError("attachment_conflict", keys=", ".join(sources)))
        return None
    [kind] = sources
    resize = values.get(ATTR_ATTACHMENT_RESIZE, True)
    if kind == ATTR_ATTACHMENT_BASE64:
        return AttachmentSource(
            kind=kind, location=kind, resize=resize, content=values[kind]
        )
    return AttachmentSource(kind=kind, location=values[kind], resize=resize)


# The one schema of a message's fields, for every send path.
FIELDS: Final[dict[str, Callable[[Any], Any]]] = {
    ATTR_MESSAGE: _message_text,
    ATTR_TITLE: _text(ATTR_TITLE, MAX_TITLE_LENGTH),
    ATTR_DEVICE: _device_names(ATTR_DEVICE),
    ATTR_TARGET: _device_names(ATTR_TARGET),
    ATTR_HTML: _flag(ATTR_HTML),
    ATTR_MONOSPACE: _flag(ATTR_MONOSPACE),
    ATTR_PRIORITY: _priority,
    ATTR_RETRY: _retry,
    ATTR_EXPIRE: _expire,
    ATTR_CALLBACK_URL: _callback_url,
    ATTR_TAGS: _tags,
    ATTR_SOUND: _text(ATTR_SOUND),
    ATTR_TIMESTAMP: _timestamp,
    ATTR_TTL: _ttl,
    ATTR_URL: _url,
    ATTR_URL_TITLE: _text(ATTR_URL_TITLE, MAX_URL_TITLE_LENGTH),
    ATTR_ATTACHMENT: _location(ATTR_ATTACHMENT),
    ATTR_ATTACHMENT_URL: _location(ATTR_ATTACHMENT_URL),
    ATTR_ATTACHMENT_ENTITY: _location(ATTR_ATTACHMENT_ENTITY),
    ATTR_ATTACHMENT_BASE64: _base64,
    ATTR_ATTACHMENT_TYPE: _attachment_type,
    ATTR_ATTACHMENT_RESIZE: _flag(ATTR_ATTACHMENT_RESIZE, default=True),
}
_SCHEMA: Final = probatio.Schema(
    {probatio.Optional(key): validator for key, validator in FIELDS.items()}
)


def line_mistake(text: str, field: str) -> FieldError | None:
    """Return what makes `text` no one-line text: a lone surrogate, a control character.

    For the fields of other actions (glances, groups), checked as a title is.
    """
    return _text_error(text, field, lines=False)


def whole_number(key: str, value: Any) -> int | None:
    """Read a whole number as every number of a message is read; raise FieldError."""
    return _whole_number(key, value)


def true_or_false(key: str, value: Any) -> bool:
    """Read a true-or-false field as every flag of a message is read."""
    return _flag(key)(value)
