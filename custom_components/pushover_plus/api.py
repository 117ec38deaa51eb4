"""A small async client for the Pushover REST API, on a shared aiohttp session.

Its records (a message, an answer, a receipt's state) are values
(`value.py`): typed and immutable like frozen dataclasses, at a fraction of
their cost when the module is imported, which Home Assistant does at every
start.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
import json
import logging
from typing import Any, Final, Literal
from urllib.parse import quote, urlencode

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from .const import (
    KEY_PATTERN,
    MAX_CONCURRENT_REQUESTS,
    RECEIPT_PATTERN,
    REQUEST_TIMEOUT_SECONDS,
)
from .value import Value

_LOGGER = logging.getLogger(__name__)

# The changes of a delivery group's Groups API, each POST groups/{key}/<it>.json.
type GroupChange = Literal[
    "add_user", "remove_user", "enable_user", "disable_user", "rename"
]

_FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
# How logs and errors name the endpoint of a group's details.
_GROUP_PATH: Final = "groups/<group>.json"
# What users/validate.json answers (HTTP 400) for a valid key that no device
# is logged in with: the key is good, it just cannot receive yet.
NO_ACTIVE_DEVICES: Final = "user is valid but has no active devices"
# What the Open Client's devices.json answers, under "name", for a name the
# account uses already.
NAME_TAKEN: Final = "has already been taken"


class PushoverError(Exception):
    """Base of every error the client raises."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        """Keep Pushover's request id: its support asks for it."""
        super().__init__(message)
        self.request_id = request_id


class PushoverAuthenticationError(PushoverError):
    """The application token is invalid."""


class PushoverInvalidRequestError(PushoverError):
    """Pushover refused the request (4xx); retrying it unchanged cannot help."""

    def __init__(
        self,
        errors: Sequence[str],
        fields: Mapping[str, str],
        request_id: str | None = None,
    ) -> None:
        """Keep Pushover's own error texts and the fields it flagged."""
        super().__init__("; ".join(errors) or "request refused", request_id)
        self.errors = list(errors)
        self.fields = dict(fields)


class PushoverQuotaExceededError(PushoverError):
    """The monthly message quota is used up (HTTP 429)."""

    def __init__(self, reset: datetime | None, request_id: str | None = None) -> None:
        """Keep the time at which the quota resets."""
        super().__init__("message limit reached", request_id)
        self.reset = reset


class PushoverTemporaryError(PushoverError):
    """A 5xx answer, a timeout or a connection failure: worth retrying later."""


class TwoFactorRequiredError(PushoverInvalidRequestError):
    """The account asks for a two-factor code (HTTP 412), or refused the one given."""

    @property
    def code_refused(self) -> bool:
        """Whether a code was given and Pushover refused it."""
        return self.fields.get("twofa") == "invalid"


class LicenceRequiredError(PushoverError):
    """The device may not receive (HTTP 403): no Desktop licence, trial over."""


class ReceiptNotFoundError(PushoverInvalidRequestError):
    """Pushover knows no emergency message with this receipt for the account.

    HTTP 404, which only an acknowledgement answers.
    """


class Attachment(Value):
    """One image to send with a message."""

    __slots__ = ("content", "content_type", "filename")
    content: Final[bytes]
    content_type: Final[str]
    filename: Final[str]

    def __init__(
        self,
        *,
        content: bytes,
        content_type: str,
        filename: str,
    ) -> None:
        """Set the fields, each given by name."""
        self.content = content
        self.content_type = content_type
        self.filename = filename

    def __repr__(self) -> str:
        """Name the image without its bytes."""
        return (
            f"Attachment(content_type={self.content_type!r}, "
            f"filename={self.filename!r}, size={len(self.content)})"
        )


class Message(Value):
    """A message in Pushover's own terms: every field of messages.json."""

    __slots__ = (
        "attachment",
        "callback",
        "devices",
        "encrypted",
        "expire",
        "html",
        "message",
        "monospace",
        "priority",
        "retry",
        "sound",
        "tags",
        "timestamp",
        "title",
        "ttl",
        "url",
        "url_title",
    )
    message: Final[str]
    title: Final[str | None]
    devices: Final[tuple[str, ...]]
    html: Final[bool]
    monospace: Final[bool]
    priority: Final[int | None]
    retry: Final[int | None]
    expire: Final[int | None]
    callback: Final[str | None]
    tags: Final[tuple[str, ...]]
    sound: Final[str | None]
    timestamp: Final[int | None]
    ttl: Final[int | None]
    url: Final[str | None]
    url_title: Final[str | None]
    attachment: Final[Attachment | None]
    # message, title, url and url_title hold end-to-end encrypted values.
    encrypted: Final[bool]

    def __init__(
        self,
        *,
        message: str,
        title: str | None = None,
        devices: tuple[str, ...] = (),
        html: bool = False,
        monospace: bool = False,
        priority: int | None = None,
        retry: int | None = None,
        expire: int | None = None,
        callback: str | None = None,
        tags: tuple[str, ...] = (),
        sound: str | None = None,
        timestamp: int | None = None,
        ttl: int | None = None,
        url: str | None = None,
        url_title: str | None = None,
        attachment: Attachment | None = None,
        encrypted: bool = False,
    ) -> None:
        """Set the fields, each given by name."""
        self.message = message
        self.title = title
        self.devices = devices
        self.html = html
        self.monospace = monospace
        self.priority = priority
        self.retry = retry
        self.expire = expire
        self.callback = callback
        self.tags = tags
        self.sound = sound
        self.timestamp = timestamp
        self.ttl = ttl
        self.url = url
        self.url_title = url_title
        self.attachment = attachment
        self.encrypted = encrypted

    @property
    def readable_title(self) -> str | None:
        """Return the title as events and receipts may show it.

        An encrypted title is only ciphertext to anyone but the recipient's
        device, and its plaintext is never kept.
        """
        return None if self.encrypted else self.title

    def form_fields(self) -> dict[str, str]:
        """Return the non-empty text fields as messages.json expects them."""
        fields = {
            "message": self.message,
            "title": self.title,
            "device": ",".join(self.devices) or None,
            "html": "1" if self.html else None,
            "monospace": "1" if self.monospace else None,
            "priority": _text(self.priority),
            "retry": _text(self.retry),
            "expire": _text(self.expire),
            "callback": self.callback,
            "tags": ",".join(self.tags) or None,
            "sound": self.sound,
            "timestamp": _text(self.timestamp),
            "ttl": _text(self.ttl),
            "url": self.url,
            "url_title": self.url_title,
            "encrypted": "1" if self.encrypted else None,
        }
        return {key: value for key, value in fields.items() if value is not None}


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


class Glance(Value):
    """A glance in Pushover's own terms: the fields of glances.json.

    `device` limits it to one device's widget; None shows it on every device.
    """

    __slots__ = ("count", "device", "percent", "subtext", "text", "title")
    title: Final[str | None]
    text: Final[str | None]
    subtext: Final[str | None]
    count: Final[int | None]
    percent: Final[int | None]
    device: Final[str | None]

    def __init__(
        self,
        *,
        title: str | None = None,
        text: str | None = None,
        subtext: str | None = None,
        count: int | None = None,
        percent: int | None = None,
        device: str | None = None,
    ) -> None:
        """Set the fields, each given by name."""
        self.title = title
        self.text = text
        self.subtext = subtext
        self.count = count
        self.percent = percent
        self.device = device

    def form_fields(self) -> dict[str, str]:
        """Return the fields that are set, as glances.json expects them."""
        fields = {
            "title": self.title,
            "text": self.text,
            "subtext": self.subtext,
            "count": _text(self.count),
            "percent": _text(self.percent),
            "device": self.device,
        }
        return {key: value for key, value in fields.items() if value is not None}


class GroupMember(Value):
    """One entry of a delivery group: a user, maybe limited to one device."""

    _secret = ("user",)
    __slots__ = ("device", "disabled", "memo", "user")
    user: Final[str]
    device: Final[str | None]
    memo: Final[str]
    disabled: Final[bool]

    def __init__(
        self,
        *,
        user: str,
        device: str | None,
        memo: str,
        disabled: bool,
    ) -> None:
        """Set the fields, each given by name."""
        self.user = user
        self.device = device
        self.memo = memo
        self.disabled = disabled


class GroupInfo(Value):
    """What groups/{key}.json says of a delivery group."""

    __slots__ = ("members", "name")
    name: Final[str]
    members: Final[tuple[GroupMember, ...]]

    def __init__(
        self,
        *,
        name: str,
        members: tuple[GroupMember, ...],
    ) -> None:
        """Set the fields, each given by name."""
        self.name = name
        self.members = members


class Limits(Value):
    """The account's monthly message quota."""

    __slots__ = ("limit", "remaining", "reset")
    limit: Final[int]
    remaining: Final[int]
    reset: Final[datetime]

    def __init__(
        self,
        *,
        limit: int,
        remaining: int,
        reset: datetime,
    ) -> None:
        """Set the fields, each given by name."""
        self.limit = limit
        self.remaining = remaining
        self.reset = reset


class SendResult(Value):
    """What Pushover answered to an accepted message."""

    __slots__ = ("limits", "receipt", "request_id")
    request_id: Final[str]
    receipt: Final[str | None]
    limits: Final[Limits | None]

    def __init__(
        self,
        *,
        request_id: str,
        receipt: str | None,
        limits: Limits | None,
    ) -> None:
        """Set the fields, each given by name."""
        self.request_id = request_id
        self.receipt = receipt
        self.limits = limits


class UserInfo(Value):
    """What users/validate.json says of a user or group key.

    No devices means a valid key that no device is logged in with yet;
    whether it is a group is then unknown (None).
    """

    __slots__ = ("devices", "is_group")
    devices: Final[list[str]]
    is_group: Final[bool | None]

    def __init__(
        self,
        *,
        devices: list[str],
        is_group: bool | None,
    ) -> None:
        """Set the fields, each given by name."""
        self.devices = devices
        self.is_group = is_group


class ReceiptStatus(Value):
    """The state of an emergency message's receipt (`get_receipt` shows it all)."""

    __slots__ = (
        "acknowledged",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledged_by_device",
        "called_back",
        "called_back_at",
        "expired",
        "expires_at",
        "last_delivered_at",
    )
    acknowledged: Final[bool]
    acknowledged_at: Final[datetime | None]
    acknowledged_by: Final[str | None]
    acknowledged_by_device: Final[str | None]
    last_delivered_at: Final[datetime | None]
    expired: Final[bool]
    expires_at: Final[datetime | None]
    called_back: Final[bool]
    called_back_at: Final[datetime | None]

    def __init__(
        self,
        *,
        acknowledged: bool,
        acknowledged_at: datetime | None,
        acknowledged_by: str | None,
        acknowledged_by_device: str | None,
        last_delivered_at: datetime | None,
        expired: bool,
        expires_at: datetime | None,
        called_back: bool,
        called_back_at: datetime | None,
    ) -> None:
        """Set the fields, each given by name."""
        self.acknowledged = acknowledged
        self.acknowledged_at = acknowledged_at
        self.acknowledged_by = acknowledged_by
        self.acknowledged_by_device = acknowledged_by_device
        self.last_delivered_at = last_delivered_at
        self.expired = expired
        self.expires_at = expires_at
        self.called_back = called_back
        self.called_back_at = called_back_at


class _Answer(Value):
    __slots__ = ("body", "limits", "status")
    status: Final[int]
    body: Final[dict[str, Any]]
    limits: Final[Limits | None]

    def __init__(
        self,
        *,
        status: int,
        body: dict[str, Any],
        limits: Limits | None,
    ) -> None:
        """Set the fields, each given by name."""
        self.status = status
        self.body = body
        self.limits = limits


class PushoverClient:
    """Talks to Pushover for one application token.

    Requests share a limiter (at most two in flight, as Pushover asks) and the
    session's keep-alive connections. The client never retries: whoever owns
    the message decides when to try again.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str,
        limiter: asyncio.Semaphore | None = None,
        on_limits: Callable[[Limits], None] | None = None,
    ) -> None:
        """Bind the client to a session, a token and the API's base URL."""
        self._session = session
        self._token = token
        self._base_url = URL(base_url)
        self._limiter = limiter or asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        self.on_limits = on_limits

    def __repr__(self) -> str:
        """Name the client without its token."""
        return f"PushoverClient(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return str(self._base_url)

    async def send(self, users: Sequence[str], message: Message) -> SendResult:
        """Send one message to one or more user or group keys.

        An image goes as a multipart file part, whatever its source.
        """
        fields = {"token": self._token, "user": ",".join(users)}
        fields |= message.form_fields()
        body: aiohttp.FormData | dict[str, str]
        attachment = message.attachment
        if attachment is None:
            body = fields
        else:
            body = aiohttp.FormData(fields)
            body.add_field(
                "attachment",
                attachment.content,
                content_type=attachment.content_type,
                filename=attachment.filename,
            )
        answer = await self._request("POST", "messages.json", data=body)
        return SendResult(
            request_id=str(answer.body.get("request", "")),
            receipt=answer.body.get("receipt"),
            limits=answer.limits,
        )

    async def validate_user(self, user: str, device: str | None = None) -> UserInfo:
        """Check a user or group key (and optionally one device name)."""
        data = {"token": self._token, "user": user}
        if device:
            data["device"] = device
        try:
            body = (await self._request("POST", "users/validate.json", data=data)).body
        except PushoverInvalidRequestError as err:
            if NO_ACTIVE_DEVICES in err.errors:
                # Said of a user not logged in anywhere and of a group
                # nobody is in: which of the two, Pushover does not say.
                return UserInfo(devices=[], is_group=None)
            raise
        return UserInfo(
            devices=[str(name) for name in body.get("devices") or []],
            is_group=bool(body.get("group")),
        )

    async def update_glance(self, user: str, glance: Glance) -> str:
        """Show a glance on a user's (or group's) widget; return the request id."""
        fields = {"token": self._token, "user": user} | glance.form_fields()
        answer = await self._request("POST", "glances.json", data=fields)
        return str(answer.body.get("request", ""))

    async def group(self, key: str) -> GroupInfo:
        """Read a delivery group's name and members."""
        body = (
            await self._get(f"groups/{_group_segment(key)}.json", shown=_GROUP_PATH)
        ).body
        members = body.get("users") or []
        return GroupInfo(
            name=str(body.get("name", "")),
            members=tuple(
                GroupMember(
                    user=str(member.get("user", "")),
                    device=member.get("device") or None,
                    memo=str(member.get("memo") or ""),
                    disabled=bool(member.get("disabled")),
                )
                for member in members
                if isinstance(member, dict)
            ),
        )

    async def change_group(
        self, key: str, change: GroupChange, fields: Mapping[str, str]
    ) -> None:
        """Change a delivery group: add, remove, enable or disable a user, rename."""
        await self._request(
            "POST",
            f"groups/{_group_segment(key)}/{change}.json",
            data={"token": self._token, **fields},
            shown=f"groups/<group>/{change}.json",
        )

    async def limits(self) -> Limits:
        """Read the monthly quota."""
        body = (await self._get("apps/limits.json")).body
        return Limits(
            limit=int(body["limit"]),
            remaining=int(body["remaining"]),
            reset=_time(body["reset"]) or datetime.fromtimestamp(0, UTC),
        )

    async def sounds(self) -> dict[str, str]:
        """List the built-in sounds and the account's custom ones."""
        body = (await self._get("sounds.json")).body
        return {str(key): str(name) for key, name in body["sounds"].items()}

    async def receipt(self, receipt: str) -> ReceiptStatus:
        """Read the status of an emergency message."""
        body = (await self._get(f"receipts/{_receipt_segment(receipt)}.json")).body
        return ReceiptStatus(
            acknowledged=bool(body.get("acknowledged")),
            acknowledged_at=_time(body.get("acknowledged_at")),
            acknowledged_by=body.get("acknowledged_by") or None,
            acknowledged_by_device=body.get("acknowledged_by_device") or None,
            last_delivered_at=_time(body.get("last_delivered_at")),
            expired=bool(body.get("expired")),
            expires_at=_time(body.get("expires_at")),
            called_back=bool(body.get("called_back")),
            called_back_at=_time(body.get("called_back_at")),
        )

    async def cancel_receipt(self, receipt: str) -> None:
        """Stop the retries of an emergency message."""
        await self._request(
            "POST",
            f"receipts/{_receipt_segment(receipt)}/cancel.json",
            data={"token": self._token},
        )

    async def cancel_by_tag(self, tag: str) -> int:
        """Cancel every open emergency message with a tag; return how many."""
        body = (
            await self._request(
                "POST",
                f"receipts/cancel_by_tag/{_segment(tag)}.json",
                data={"token": self._token},
            )
        ).body
        return int(body.get("canceled", 0))

    async def _get(self, path: str, *, shown: str | None = None) -> _Answer:
        return await self._request(
            "GET", path, params={"token": self._token}, shown=shown
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: aiohttp.FormData | dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        shown: str | None = None,
    ) -> _Answer:
        # The token is in `data` or `params`, never in `url`: URLs end up in logs.
        # Values in the path are quoted already (_segment), so it is not again.
        url = self._base_url.joinpath(path, encoded=True)
        # A group's key is a secret in its path: logs and errors name the
        # endpoint without it.
        path = shown or path
        body = _form(data) if isinstance(data, dict) else data
        try:
            async with (
                self._limiter,
                self._session.request(
                    method, url, data=body, params=params, timeout=self._timeout
                ) as response,
            ):
                answer = await self._read(response)
        except TimeoutError as err:
            msg = f"Pushover did not answer {path} in time{_maybe_accepted(path)}"
            raise PushoverTemporaryError(msg) from err
        except aiohttp.ClientError as err:
            msg = f"Cannot reach Pushover for {path}: {type(err).__name__}"
            if not isinstance(err, aiohttp.ClientConnectorError):
                # Connected, so the request may have gone out: its answer was lost.
                msg += _maybe_accepted(path)
            raise PushoverTemporaryError(msg) from None
        if answer.limits is not None and self.on_limits is not None:
            self.on_limits(answer.limits)
        _raise_for_answer(path, answer)
        _LOGGER.debug("Pushover answered %s: request %s", path, answer.body["request"])
        return answer

    async def _read(self, response: aiohttp.ClientResponse) -> _Answer:
        limits = _limits_from_headers(response.headers)
        raw = await response.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status < 500:  # noqa: PLR2004
                # A 200 or 4xx that is not Pushover's JSON came from something
                # in between (a proxy, a captive portal): try again later.
                msg = f"Pushover answered HTTP {response.status} with no JSON"
                raise PushoverTemporaryError(msg)
            body = {}
        return _Answer(status=response.status, body=body, limits=limits)


def _segment(value: str) -> str:
    """Quote a value as one URL path segment: it can never start another.

    Unquoted, the tag `../../messages` would make the path messages.json.
    """
    return quote(value, safe="")


def _group_segment(key: str) -> str:
    """Quote a group key, refusing what is not a key before it reaches a path."""
    if not KEY_PATTERN.fullmatch(key):
        msg = "group key is not 30 letters and digits"
        raise PushoverInvalidRequestError([msg], {"group": "invalid"})
    return _segment(key)


def _receipt_segment(receipt: str) -> str:
    """Quote a receipt, refusing what Pushover could not have issued."""
    if not RECEIPT_PATTERN.fullmatch(receipt):
        # What Pushover answers to a receipt it does not know, without asking.
        msg = "receipt is not 30 letters and digits"
        raise PushoverInvalidRequestError([msg], {"receipt": "invalid"})
    return _segment(receipt)


def _form(fields: dict[str, str]) -> aiohttp.BytesPayload:
    """Encode text fields as the urlencoded body aiohttp would make of a dict.

    The same bytes and Content-Type, without aiohttp's detour for a dict (a
    payload lookup that fails, then FormData, which sets up a multipart writer
    it does not use): this runs on every send before the request goes out.
    """
    return aiohttp.BytesPayload(
        urlencode(fields).encode(), content_type=_FORM_CONTENT_TYPE
    )


def _maybe_accepted(path: str) -> str:
    """Say why a message whose answer was lost may arrive twice."""
    # Pushover has no idempotency key: whoever retries may send it again.
    if path != "messages.json":
        return ""
    return "; Pushover may have accepted the message, so it can arrive twice"


def _raise_for_answer(path: str, answer: _Answer) -> None:
    body = answer.body
    request_id = body.get("request")
    if answer.status >= 500:  # noqa: PLR2004
        msg = f"Pushover answered HTTP {answer.status} to {path}"
        raise PushoverTemporaryError(msg, request_id)
    if answer.status == 429:  # noqa: PLR2004
        reset = answer.limits.reset if answer.limits else None
        raise PushoverQuotaExceededError(reset, request_id)
    if answer.status == 200 and body.get("status") == 1:  # noqa: PLR2004
        return
    errors = [str(error) for error in body.get("errors") or []]
    fields = {
        key: str(value)
        for key, value in body.items()
        if isinstance(value, str) and key not in {"request", "receipt"}
    }
    if fields.get("token") == "invalid" or answer.status in {401, 403}:
        msg = "; ".join(errors) or "application token is invalid"
        raise PushoverAuthenticationError(msg, request_id)
    raise PushoverInvalidRequestError(errors, fields, request_id)


def _limits_from_headers(headers: CIMultiDictProxy[str]) -> Limits | None:
    try:
        return Limits(
            limit=int(headers["X-Limit-App-Limit"]),
            remaining=int(headers["X-Limit-App-Remaining"]),
            reset=datetime.fromtimestamp(int(headers["X-Limit-App-Reset"]), UTC),
        )
    except KeyError, ValueError:
        return None


def _time(value: Any) -> datetime | None:
    """Turn Pushover's Unix seconds (0 meaning never) into a datetime."""
    if not value:
        return None
    return datetime.fromtimestamp(int(value), UTC)
