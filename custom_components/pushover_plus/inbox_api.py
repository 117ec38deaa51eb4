"""The Open Client calls of Pushover's API: what an inbox entry asks Pushover.

An inbox receives like one of the account's desktop devices: it logs in with
the account's e-mail and password (and a two-factor code when the account
asks for one) for a session secret, registers a device (os "O"), downloads
the device's pending messages, deletes them up to the highest id it handled
and acknowledges emergency messages.

The requests share the sending client's session and its limiter (at most two
in flight to Pushover) and raise its error classes. The secret and the device
id are credentials: they travel in the body, or in the query of the one GET,
never in a text this module logs or raises. Log lines and errors name each
call by a label without them ("devices/…/update_highest_message.json"), and
aiohttp's own errors, some of which quote the whole URL with its query, are
never chained to ours.

Its answers are values (`value.py`): immutable, and cheap to create when the
module is imported. Those that hold a secret or a message's text name those
fields as secret, and their repr leaves them out.
"""

import asyncio
from datetime import UTC, datetime
import json
import logging
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from yarl import URL

from .api import (
    LicenceRequiredError,
    PushoverAuthenticationError,
    PushoverInvalidRequestError,
    PushoverTemporaryError,
    ReceiptNotFoundError,
    TwoFactorRequiredError,
)
from .const import OPEN_CLIENT_OS, RECEIPT_PATTERN, REQUEST_TIMEOUT_SECONDS
from .value import Value

_LOGGER = logging.getLogger(__name__)

_PRECONDITION_FAILED: Final = 412
_FORBIDDEN: Final = 403
_NOT_FOUND: Final = 404
_SERVER_ERROR: Final = 500
_OK: Final = 200
_DELETE_LABEL: Final = "devices/…/update_highest_message.json"


class Login(Value):
    """What a login answers: the account's user key and a new session secret."""

    _secret = ("secret", "user_key")
    __slots__ = ("secret", "user_key")
    user_key: Final[str]
    secret: Final[str]

    def __init__(
        self,
        *,
        user_key: str,
        secret: str,
    ) -> None:
        """Set the fields, each given by name."""
        self.user_key = user_key
        self.secret = secret


class InboxMessage(Value):
    """One downloaded message, in Pushover's terms.

    `id` counts per device and only grows; `umid` names the message on all
    of the account's devices. Its texts are private: they are left out of
    the repr, so that no log line shows them by accident.
    """

    _secret = ("message", "title", "url", "url_title")
    __slots__ = (
        "acked",
        "aid",
        "app",
        "date",
        "html",
        "icon",
        "id",
        "message",
        "priority",
        "receipt",
        "sound",
        "title",
        "umid",
        "url",
        "url_title",
    )
    id: Final[int]
    umid: Final[int]
    message: Final[str]
    app: Final[str]
    aid: Final[int]
    date: Final[datetime]
    title: Final[str | None]
    icon: Final[str | None]
    priority: Final[int]
    sound: Final[str | None]
    url: Final[str | None]
    url_title: Final[str | None]
    html: Final[bool]
    receipt: Final[str | None]
    acked: Final[bool]

    def __init__(
        self,
        *,
        id: int,  # noqa: A002 - named as the field
        umid: int,
        message: str,
        app: str,
        aid: int,
        date: datetime,
        title: str | None = None,
        icon: str | None = None,
        priority: int = 0,
        sound: str | None = None,
        url: str | None = None,
        url_title: str | None = None,
        html: bool = False,
        receipt: str | None = None,
        acked: bool = False,
    ) -> None:
        """Set the fields, each given by name."""
        self.id = id
        self.umid = umid
        self.message = message
        self.app = app
        self.aid = aid
        self.date = date
        self.title = title
        self.icon = icon
        self.priority = priority
        self.sound = sound
        self.url = url
        self.url_title = url_title
        self.html = html
        self.receipt = receipt
        self.acked = acked


class Download(Value):
    """The device's pending messages, oldest first, and whether it is licensed."""

    __slots__ = ("desktop_licensed", "messages")
    messages: Final[list[InboxMessage]]
    desktop_licensed: Final[bool]

    def __init__(
        self,
        *,
        messages: list[InboxMessage],
        desktop_licensed: bool,
    ) -> None:
        """Set the fields, each given by name."""
        self.messages = messages
        self.desktop_licensed = desktop_licensed


class InboxClient:
    """Talks to Pushover's Open Client API; the caller holds the secret.

    Like the sending client it never retries: the inbox decides when to try
    again.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        limiter: asyncio.Semaphore,
    ) -> None:
        """Bind the client to a session, the API's base URL and the limiter."""
        self._session = session
        self._base_url = URL(base_url)
        self._limiter = limiter
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)

    def __repr__(self) -> str:
        """Name the client by its base URL."""
        return f"InboxClient(base_url={str(self._base_url)!r})"

    async def login(self, email: str, password: str, twofa: str | None = None) -> Login:
        """Log in (users/login.json); raises TwoFactorRequiredError on 412."""
        data = {"email": email, "password": password}
        if twofa:
            data["twofa"] = twofa
        body = await self._request("POST", "users/login.json", data=data)
        return Login(user_key=str(body["id"]), secret=str(body["secret"]))

    async def register_device(self, secret: str, name: str) -> str:
        """Register an Open Client device named `name`; return its id.

        A refused name raises PushoverInvalidRequestError whose `fields`
        hold Pushover's text under "name" ("has already been taken").
        """
        data = {"secret": secret, "name": name, "os": OPEN_CLIENT_OS}
        body = await self._request("POST", "devices.json", data=data)
        return str(body["id"])

    async def download(self, secret: str, device_id: str) -> Download:
        """Download the device's pending messages (GET messages.json)."""
        params = {"secret": secret, "device_id": device_id}
        body = await self._request("GET", "messages.json", params=params)
        user = body.get("user")
        licensed = isinstance(user, dict) and bool(user.get("is_desktop_licensed"))
        try:
            messages = [_message(item) for item in body.get("messages") or []]
        except (KeyError, TypeError, ValueError) as err:
            msg = f"Pushover's messages.json could not be read ({type(err).__name__})"
            raise PushoverTemporaryError(msg) from None
        return Download(
            messages=sorted(messages, key=lambda item: item.id),
            desktop_licensed=licensed,
        )

    async def delete_through(self, secret: str, device_id: str, highest: int) -> None:
        """Delete the device's messages up to and including the id `highest`."""
        await self._request(
            "POST",
            f"devices/{quote(device_id, safe='')}/update_highest_message.json",
            label=_DELETE_LABEL,
            data={"secret": secret, "message": str(highest)},
        )

    async def acknowledge(self, secret: str, receipt: str) -> None:
        """Acknowledge an emergency message as this inbox's device."""
        if not RECEIPT_PATTERN.fullmatch(receipt):
            msg = "receipt is not 30 letters and digits"
            raise ReceiptNotFoundError([msg], {"receipt": "invalid"})
        await self._request(
            "POST",
            f"receipts/{receipt}/acknowledge.json",
            data={"secret": secret},
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        label: str | None = None,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        label = label or path
        url = self._base_url.joinpath(path, encoded=True)
        try:
            async with (
                self._limiter,
                self._session.request(
                    method, url, data=data, params=params, timeout=self._timeout
                ) as response,
            ):
                status = response.status
                raw = await response.read()
        except TimeoutError:
            # aiohttp's own timeout text quotes the URL, query and all.
            msg = f"Pushover did not answer {label} in time"
            raise PushoverTemporaryError(msg) from None
        except aiohttp.ClientError as err:
            msg = f"Cannot reach Pushover for {label}: {type(err).__name__}"
            raise PushoverTemporaryError(msg) from None
        body = _json_object(raw)
        if body is None:
            # Not Pushover's JSON: something in between answered.
            msg = f"Pushover answered HTTP {status} to {label} with no JSON"
            raise PushoverTemporaryError(msg)
        _raise_for_answer(label, status, body)
        _LOGGER.debug("Pushover answered %s: request %s", label, body.get("request"))
        return body


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _errors_of(body: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Read Pushover's errors: a list with field flags, or (devices.json) a hash.

    The hash `{"name": ["has already been taken"]}` becomes the error
    "name has already been taken" and the field text "has already been taken".
    """
    raw = body.get("errors")
    if isinstance(raw, dict):
        fields = {
            str(name): "; ".join(str(text) for text in texts)
            if isinstance(texts, list)
            else str(texts)
            for name, texts in raw.items()
        }
        return [f"{name} {text}" for name, text in fields.items()], fields
    errors = [str(error) for error in raw or []] if isinstance(raw, list) else []
    flags = {
        key: str(value)
        for key, value in body.items()
        if isinstance(value, str) and key != "request"
    }
    return errors, flags


def _raise_for_answer(label: str, status: int, body: dict[str, Any]) -> None:
    request_id = body.get("request")
    if status >= _SERVER_ERROR:
        msg = f"Pushover answered HTTP {status} to {label}"
        raise PushoverTemporaryError(msg, request_id)
    if status == _OK and body.get("status") == 1:
        return
    errors, fields = _errors_of(body)
    text = "; ".join(errors) or f"HTTP {status}"
    if status == _PRECONDITION_FAILED:
        raise TwoFactorRequiredError(errors, fields, request_id)
    if status == _FORBIDDEN:
        raise LicenceRequiredError(text, request_id)
    if fields.get("secret") == "invalid":
        raise PushoverAuthenticationError(text, request_id)
    if status == _NOT_FOUND:
        raise ReceiptNotFoundError(errors, fields, request_id)
    raise PushoverInvalidRequestError(errors, fields, request_id)


def _message(item: dict[str, Any]) -> InboxMessage:
    """Read one downloaded message; the optional fields may be absent."""
    return InboxMessage(
        id=int(item["id"]),
        umid=int(item.get("umid") or 0),
        message=str(item.get("message", "")),
        title=_optional_text(item.get("title")),
        app=str(item.get("app", "")),
        aid=int(item.get("aid") or 0),
        icon=_optional_text(item.get("icon")),
        date=datetime.fromtimestamp(int(item.get("date") or 0), UTC),
        priority=int(item.get("priority") or 0),
        sound=_optional_text(item.get("sound")),
        url=_optional_text(item.get("url")),
        url_title=_optional_text(item.get("url_title")),
        html=bool(item.get("html")),
        receipt=_optional_text(item.get("receipt")),
        acked=bool(item.get("acked")),
    )


def _optional_text(value: Any) -> str | None:
    return str(value) if value else None
