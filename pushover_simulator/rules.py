"""The rules of the Pushover API: turn submitted fields into a message or errors."""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Final

from yarl import URL

from .accounts import DEVICE_PATTERN, App, Directory, is_well_formed_key, merge_routes
from .models import Encoding, ReceivedMessage, Rejection, Route, Upload

MESSAGE_MAX_CHARS: Final = 1024
TITLE_MAX_CHARS: Final = 250
URL_MAX_CHARS: Final = 512
URL_TITLE_MAX_CHARS: Final = 100
MAX_RECIPIENT_KEYS: Final = 50
ATTACHMENT_MAX_BYTES: Final = 5_242_880
MIN_PRIORITY: Final = -2
EMERGENCY_PRIORITY: Final = 2
RETRY_MIN_SECONDS: Final = 30
EXPIRE_MAX_SECONDS: Final = 10800
# Pushover documents no limit for tags; its clients cap the comma-joined list
# at 200 characters, which this simulator takes as Pushover's rule.
TAGS_MAX_CHARS: Final = 200
# Pushover documents a timestamp as Unix time, with no range; the simulator
# assumes a signed 32-bit one (up to 2038-01-19), so that 10**11 is refused.
TIMESTAMP_MAX: Final = 2**31 - 1

APP_INVALID: Final = "application token is invalid, see https://pushover.net/api"
USER_INVALID: Final = (
    "user identifier is not a valid user, group, or subscribed user key, "
    "see https://pushover.net/api#identifiers"
)
DEVICE_NOT_FOR_USER: Final = "device name is not valid for user"
# Pushover documents no answer for a group whose every entry is disabled (or
# that has none): the simulator refuses the send, as it would for a user
# without devices, rather than accept a message that reaches nobody.
GROUP_HAS_NO_MEMBERS: Final = "group has no active members"
# users/validate.json's answer (HTTP 400) for a valid key that no device is
# logged in with. Whether Pushover flags a field with it is not documented;
# the simulator flags none.
NO_ACTIVE_DEVICES: Final = "user is valid but has no active devices"
LIMIT_REACHED: Final = "message limit reached"
MESSAGE_BLANK: Final = "message cannot be blank"
# The limits of the fields end-to-end encryption covers, by field.
TEXT_LIMITS: Final = {
    "message": MESSAGE_MAX_CHARS,
    "title": TITLE_MAX_CHARS,
    "url": URL_MAX_CHARS,
    "url_title": URL_TITLE_MAX_CHARS,
}
_INTEGER: Final = re.compile(r"-?[0-9]{1,18}")
RECEIPT_NOT_FOUND: Final = "receipt not found; may be invalid or expired"


def too_long(name: str, limit: int) -> str:
    """Say that a text field is longer than its limit, in Pushover's words."""
    return f"{name} is too long, maximum is {limit} characters"


def token_rejection() -> Rejection:
    """Build the answer to a missing, malformed or unknown app token."""
    rejection = Rejection()
    rejection.add("token", APP_INVALID)
    return rejection


def limit_rejection() -> Rejection:
    """Build the answer to a send beyond the monthly quota."""
    return Rejection(errors=[LIMIT_REACHED], status=429)


def find_app(fields: Mapping[str, str], directory: Directory) -> App | None:
    """Return the app a well-formed, registered token names, else None."""
    token = fields.get("token", "")
    return directory.apps.get(token) if is_well_formed_key(token) else None


def split_list(value: str | None) -> list[str]:
    """Split a comma-joined field into its stripped, non-empty items."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


class FieldReader:
    """Read typed fields, recording each problem in a shared Rejection."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        """Wrap the submitted fields; problems collect in `self.rejection`."""
        self.fields = fields
        self.rejection = Rejection()

    def text(self, name: str, limit: int | None) -> str | None:
        """Return a text field (None when absent or empty), at most `limit` chars.

        `limit` None leaves the length alone (an encrypted field, whose limit
        applies to the text it decrypts to).
        """
        value = self.fields.get(name) or None
        if value is not None and limit is not None and len(value) > limit:
            self.rejection.add(name, too_long(name, limit))
        return value

    def integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """Return an integer field (None when absent), within the bounds given."""
        raw = self.fields.get(name, "").strip()
        if not raw:
            return None
        if not _INTEGER.fullmatch(raw):
            self.rejection.add(name, f"{name} must be an integer")
            return None
        value = int(raw)
        if minimum is not None and value < minimum:
            self.rejection.add(name, f"{name} must be at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.rejection.add(name, f"{name} must be at most {maximum}")
            return None
        return value

    def flag(self, name: str) -> bool:
        """Return a 0/1 switch; anything else is an error."""
        raw = self.fields.get(name, "").strip()
        if raw not in {"", "0", "1"}:
            self.rejection.add(name, f"{name} must be 0 or 1")
        return raw == "1"


@dataclass(frozen=True, slots=True)
class Emergency:
    """The priority and, for emergency priority, its retry/expire/callback."""

    priority: int
    retry: int | None
    expire: int | None
    callback: str | None
    tags: list[str]


def read_recipients(
    reader: FieldReader, directory: Directory, token: str
) -> tuple[list[str], list[Route]]:
    """Return the distinct keys sent and how they reach each recipient.

    Groups reach their enabled members; a recipient reached twice counts once.
    """
    sent = split_list(reader.fields.get("user"))
    keys = list(dict.fromkeys(sent))
    if len(sent) > MAX_RECIPIENT_KEYS:
        reader.rejection.add(
            "user", f"too many user keys, maximum is {MAX_RECIPIENT_KEYS}"
        )
        return keys, []
    if not keys or not all(
        is_well_formed_key(key) and directory.is_known_key(key, token) for key in keys
    ):
        reader.rejection.add("user", USER_INVALID)
        return keys, []
    routes = merge_routes(route for key in keys for route in directory.routes(key))
    if not routes:
        reader.rejection.add("user", GROUP_HAS_NO_MEMBERS)
    return keys, routes


def read_devices(
    reader: FieldReader, directory: Directory, keys: list[str], token: str
) -> list[str]:
    """Return the device names; with one known key they must be its devices."""
    devices = split_list(reader.fields.get("device"))
    if not all(DEVICE_PATTERN.fullmatch(name) for name in devices):
        reader.rejection.add(
            "device", "device name is invalid: at most 25 of [A-Za-z0-9_-]"
        )
    elif len(keys) == 1 and directory.is_known_key(keys[0], token):
        own = directory.devices_of(keys[0])
        if any(name not in own for name in devices):
            reader.rejection.add("device", DEVICE_NOT_FOR_USER)
    return devices


def read_emergency(reader: FieldReader) -> Emergency:
    """Read priority, retry, expire, callback and tags; check emergency needs."""
    priority = reader.integer("priority")
    if priority is not None and not MIN_PRIORITY <= priority <= EMERGENCY_PRIORITY:
        reader.rejection.add("priority", "priority must be from -2 to 2")
    retry = reader.integer("retry")
    expire = reader.integer("expire")
    if priority == EMERGENCY_PRIORITY:
        _check_emergency(reader, retry, expire)
    callback = reader.fields.get("callback") or None
    if callback is not None and not _is_http_url(callback):
        reader.rejection.add("callback", "callback must be an http or https URL")
    tags = split_list(reader.text("tags", TAGS_MAX_CHARS))
    return Emergency(priority or 0, retry, expire, callback, tags)


def _check_emergency(
    reader: FieldReader, retry: int | None, expire: int | None
) -> None:
    """Emergency priority needs retry >= 30 and 1 <= expire <= 10800."""
    if retry is None:
        reader.rejection.add("retry", "retry is required for emergency priority")
    elif retry < RETRY_MIN_SECONDS:
        reader.rejection.add(
            "retry", f"retry must be at least {RETRY_MIN_SECONDS} seconds"
        )
    if expire is None:
        reader.rejection.add("expire", "expire is required for emergency priority")
    elif not 0 < expire <= EXPIRE_MAX_SECONDS:
        reader.rejection.add(
            "expire", f"expire must be from 1 to {EXPIRE_MAX_SECONDS} seconds"
        )


def _is_http_url(value: str) -> bool:
    """Tell whether a value is an absolute http(s) URL with a host."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in {"http", "https"} and bool(url.host)


def read_attachment(reader: FieldReader, upload: Upload | None) -> Upload | None:
    """Return the image from a file part or from base64, checking type and size."""
    fields = reader.fields
    if "attachment" in fields:
        reader.rejection.add(
            "attachment", "attachment must be a file part with a filename"
        )
        return None
    encoded = fields.get("attachment_base64") or None
    if upload is not None and encoded is not None:
        reader.rejection.add("attachment", "only one attachment may be sent")
        return None
    if encoded is not None:
        upload = _decode_base64(reader, encoded)
    if upload is not None and not _check_image(reader, upload):
        return None
    return upload


def _decode_base64(reader: FieldReader, encoded: str) -> Upload | None:
    """Decode attachment_base64, which needs an attachment_type."""
    content_type = reader.fields.get("attachment_type") or None
    if content_type is None:
        reader.rejection.add(
            "attachment_type", "attachment_type is required with attachment_base64"
        )
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except binascii.Error:
        reader.rejection.add(
            "attachment_base64", "attachment_base64 is not valid base64"
        )
        return None
    return None if content_type is None else Upload(data, content_type, None)


def _check_image(reader: FieldReader, upload: Upload) -> bool:
    """Check that an attachment is a non-empty image within the size limit."""
    media_type = upload.content_type.split(";", 1)[0].strip().lower()
    if not media_type.startswith("image/"):
        reader.rejection.add("attachment", "attachment must be an image")
    elif not upload.data:
        reader.rejection.add("attachment", "attachment is empty")
    elif len(upload.data) > ATTACHMENT_MAX_BYTES:
        reader.rejection.add(
            "attachment",
            f"attachment is too large, maximum is {ATTACHMENT_MAX_BYTES} bytes",
        )
    else:
        return True
    return False


def read_message_text(reader: FieldReader, *, encrypted: bool) -> str:
    """Return the required, non-blank message of at most 1024 characters.

    An encrypted message's length is its plaintext's, checked once decrypted.
    """
    message = reader.fields.get("message", "")
    if not message.strip():
        reader.rejection.add("message", MESSAGE_BLANK)
    elif not encrypted and len(message) > MESSAGE_MAX_CHARS:
        reader.rejection.add("message", too_long("message", MESSAGE_MAX_CHARS))
    return message


def read_style(
    reader: FieldReader, directory: Directory
) -> tuple[bool, bool, str | None]:
    """Return html, monospace (not both) and a sound the account knows."""
    html = reader.flag("html")
    monospace = reader.flag("monospace")
    if html and monospace:
        reader.rejection.add("monospace", "html and monospace cannot both be set")
    sound = reader.fields.get("sound") or None
    if sound is not None and sound not in directory.sounds:
        reader.rejection.add("sound", "sound is not a valid sound for this account")
    return html, monospace, sound


def parse_message(
    fields: Mapping[str, str],
    upload: Upload | None,
    *,
    app: App,
    directory: Directory,
    encoding: Encoding,
    request_id: str,
) -> ReceivedMessage | Rejection:
    """Apply every messages.json rule; return the message or all its errors.

    With `encrypted=1` the lengths of message, title, url and url_title are
    left to the decryption (`encryption.py`), which counts the plaintext.
    """
    reader = FieldReader(fields)
    encrypted = reader.flag("encrypted")
    keys, routes = read_recipients(reader, directory, app.token)
    devices = read_devices(reader, directory, keys, app.token)
    message = read_message_text(reader, encrypted=encrypted)
    html, monospace, sound = read_style(reader, directory)
    emergency = read_emergency(reader)
    image = read_attachment(reader, upload)
    limits: dict[str, int | None] = {
        name: None if encrypted else limit for name, limit in TEXT_LIMITS.items()
    }
    received = ReceivedMessage(
        token=app.token,
        app_name=app.name,
        user=fields.get("user", ""),
        users=keys,
        recipients=[route.key for route in routes],
        routes=routes,
        encrypted=encrypted,
        message=message,
        title=reader.text("title", limits["title"]),
        device=fields.get("device") or None,
        devices=devices,
        html=html,
        monospace=monospace,
        priority=emergency.priority,
        retry=emergency.retry,
        expire=emergency.expire,
        callback=emergency.callback,
        tags=emergency.tags,
        sound=sound,
        timestamp=reader.integer("timestamp", minimum=0, maximum=TIMESTAMP_MAX),
        ttl=reader.integer("ttl", minimum=1),
        url=reader.text("url", limits["url"]),
        url_title=reader.text("url_title", limits["url_title"]),
        attachment=image.data if image else None,
        attachment_type=image.content_type if image else None,
        attachment_filename=image.filename if image else None,
        encoding=encoding,
        request=request_id,
    )
    return reader.rejection or received


@dataclass(frozen=True, slots=True)
class Validation:
    """The answer of users/validate.json for a valid key."""

    group: bool
    devices: tuple[str, ...]
    licenses: tuple[str, ...]


def validate_user(
    fields: Mapping[str, str], directory: Directory, token: str
) -> Validation | Rejection:
    """Check one user, group or subscriber key and an optional device of it."""
    key = fields.get("user", "").strip()
    rejection = Rejection()
    if not (is_well_formed_key(key) and directory.is_known_key(key, token)):
        rejection.add("user", USER_INVALID)
        return rejection
    devices = directory.devices_of(key)
    if not devices:
        return Rejection(errors=[NO_ACTIVE_DEVICES])
    device = fields.get("device", "").strip()
    if device and device not in devices:
        rejection.add("device", DEVICE_NOT_FOR_USER)
        return rejection
    return Validation(key in directory.groups, devices, directory.licenses_of(key))
