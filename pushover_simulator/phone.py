"""The "phone": a web page showing delivered messages live, and a fault panel.

Beside the delivered messages it shows the inbox: every Open Client device
with its push session and the messages waiting in its queue, with buttons
that steer the push server (drop, R, E, A, silence, resume). An end-to-end
encrypted message shows as its first recipient's device decrypts it (with
that account's key), beside the encrypted form and what each recipient
account made of it. Side panels show what each glance widget shows, the
delivery groups with their members, and the subscriptions with their page
and subscribers.

- GET / and GET /_sim/phone: the page (static/phone.html, its script and
  style served from /_sim/static/);
- GET /_sim/phone/state: what the page shows, as JSON (see `phone_view`);
- GET /_sim/events: Server-Sent Events; an `state` event carrying the same
  JSON on connect and after every change;
- GET /_sim/attachments/{request}: the image attached to a message.

The page acts through the existing control API (/_sim/faults, /_sim/remaining,
/_sim/acknowledge, /_sim/push). None of these requests is counted or faulted as API
traffic: /_sim/ paths never are, and `serve_root` answers / before the API's
middlewares see it.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
import json
import re
from typing import Final
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from .accounts import Directory
from .encryption import encoded_fields
from .groups import group_json
from .keys import STATE_KEY
from .models import JsonObject, ReceivedMessage
from .openclient import OpenClient
from .receipts import Receipt
from .sanitise import safe_http_url, sanitise_html
from .state import SimulatorState
from .subscribe_page import SUBSCRIBE_PREFIX

PAGE_PATH: Final = "/_sim/phone"
EVENTS_PATH: Final = "/_sim/events"
VIEW_PATH: Final = "/_sim/phone/state"
STATIC_PREFIX: Final = "/_sim/static/"
ATTACHMENT_PREFIX: Final = "/_sim/attachments/"
MAX_SHOWN_MESSAGES: Final = 200
MAX_SHOWN_PENDING: Final = 50
FALLBACK_DEVICE: Final = "phone"
PRIORITY_LABELS: Final = {
    -2: "lowest",
    -1: "low",
    0: "normal",
    1: "high",
    2: "emergency",
}
PAGE_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# An attachment opened on its own must not run anything (an SVG could).
ATTACHMENT_CSP: Final = "default-src 'none'; img-src 'self'; sandbox"
_STATIC_FILES: Final = {
    "phone.js": "text/javascript",
    "phone.css": "text/css",
    "subscribe.css": "text/css",
}
_IMAGE_TYPE: Final = re.compile(r"image/[a-z0-9][a-z0-9.+-]{0,62}")
_TICK_SECONDS: Final = 1.0
_KEEP_ALIVE_SECONDS: Final = 15.0
_RECONNECT_MS: Final = 2000


@dataclass(slots=True)
class _Streams:
    """The open event streams' wake-up events; `closing` once shutting down."""

    wakes: set[asyncio.Event] = field(default_factory=set)
    closing: bool = False


_STREAMS_KEY: Final = web.AppKey("pushover_simulator_phone_streams", _Streams)


def add_phone_routes(app: web.Application) -> None:
    """Register the page, its files, the view, the event stream, attachments."""
    app[_STREAMS_KEY] = _Streams()
    app.on_shutdown.append(_close_streams)
    app.router.add_get(PAGE_PATH, _page)
    app.router.add_get(VIEW_PATH, _view)
    app.router.add_get(EVENTS_PATH, _events)
    app.router.add_get(STATIC_PREFIX + "{name}", _static)
    app.router.add_get(ATTACHMENT_PREFIX + "{request}", _attachment)


@web.middleware
async def serve_root(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer GET / with the page (and /favicon.ico) outside API accounting."""
    if request.method in {"GET", "HEAD"}:
        if request.path == "/":
            return _page_response()
        if request.path == "/favicon.ico":
            return web.Response(status=204)
    return await handler(request)


@cache
def _resource(name: str) -> bytes:
    """Read a file of the package's static folder (once)."""
    return (
        files(__package__ or "pushover_simulator").joinpath("static", name).read_bytes()
    )


def _security_headers(csp: str) -> dict[str, str]:
    """Headers every phone response carries."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def _page_response() -> web.Response:
    """Build the page's response."""
    return web.Response(
        body=_resource("phone.html"),
        content_type="text/html",
        charset="utf-8",
        headers=_security_headers(PAGE_CSP),
    )


async def _page(_request: web.Request) -> web.Response:
    """GET /_sim/phone: the page."""
    return _page_response()


async def _static(request: web.Request) -> web.Response:
    """GET /_sim/static/{name}: the page's script and style sheet."""
    name = request.match_info["name"]
    content_type = _STATIC_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound
    return web.Response(
        body=_resource(name),
        content_type=content_type,
        charset="utf-8",
        headers=_security_headers(PAGE_CSP),
    )


async def _view(request: web.Request) -> web.Response:
    """GET /_sim/phone/state: what the page shows."""
    return web.json_response(
        phone_view(request.app[STATE_KEY]), headers={"Cache-Control": "no-cache"}
    )


async def _attachment(request: web.Request) -> web.Response:
    """GET /_sim/attachments/{request}: a message's image, with its type."""
    request_id = request.match_info["request"]
    state = request.app[STATE_KEY]
    for message in reversed(state.messages):
        if message.request == request_id and message.attachment is not None:
            return web.Response(
                body=message.attachment,
                content_type=image_type(message.attachment_type),
                headers=_security_headers(ATTACHMENT_CSP),
            )
    raise web.HTTPNotFound


def image_type(content_type: str | None) -> str:
    """Return the plain image media type of an attachment, else a neutral one."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if _IMAGE_TYPE.fullmatch(media_type):
        return media_type
    return "application/octet-stream"


async def _close_streams(app: web.Application) -> None:
    """On shutdown, end every open event stream."""
    streams = app[_STREAMS_KEY]
    streams.closing = True
    for wake in streams.wakes:
        wake.set()


async def _events(request: web.Request) -> web.StreamResponse:
    """GET /_sim/events: a `state` event now and after every change.

    The state's listeners wake the stream at once; a tick every second also
    catches what changes without telling (time passing for receipts, fault
    counters firing, direct changes from Python). An event is sent only when
    the view differs from the last one sent; a comment keeps the line alive.
    """
    state = request.app[STATE_KEY]
    streams = request.app[_STREAMS_KEY]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    wake = asyncio.Event()
    streams.wakes.add(wake)
    unsubscribe = state.subscribe(wake.set)
    try:
        await response.write(f"retry: {_RECONNECT_MS}\n\n".encode())
        await _stream(response, state, streams, wake)
    except ConnectionResetError:
        pass
    finally:
        unsubscribe()
        streams.wakes.discard(wake)
    return response


async def _stream(
    response: web.StreamResponse,
    state: SimulatorState,
    streams: _Streams,
    wake: asyncio.Event,
) -> None:
    """Write events until the server shuts down (or the client goes away)."""
    last = ""
    sequence = 0
    quiet = 0.0
    loop = asyncio.get_running_loop()
    while not streams.closing:
        wake.clear()
        payload = json.dumps(phone_view(state), separators=(",", ":"))
        if payload != last:
            sequence += 1
            event = f"id: {sequence}\nevent: state\ndata: {payload}\n\n"
            await response.write(event.encode())
            last, quiet = payload, 0.0
        elif quiet >= _KEEP_ALIVE_SECONDS:
            await response.write(b": keep-alive\n\n")
            quiet = 0.0
        started = loop.time()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_TICK_SECONDS):
                await wake.wait()
        quiet += loop.time() - started


def phone_view(state: SimulatorState) -> JsonObject:
    """Describe what the page shows: messages newest first, inbox, faults, quota."""
    now = state.clock()
    shown = state.messages[::-1][:MAX_SHOWN_MESSAGES]
    return {
        "now": now,
        "messages": [message_view(message, state, now) for message in shown],
        "total_messages": len(state.messages),
        "inbox": inbox_view(state.open_client),
        "faults": state.faults.to_json(),
        "quota": state.quota.to_json(),
        "requests": len(state.requests),
        "account": account_view(state.directory, state.open_client.twofa_codes()),
        "glances": state.glances.to_json(),
        "groups": [group_json(group) for group in state.directory.groups.values()],
        "subscriptions": [
            {
                **subscription,
                "page": SUBSCRIBE_PREFIX + quote(str(subscription["code"])),
            }
            for subscription in state.subscriptions.to_json()
        ],
    }


def inbox_view(open_client: OpenClient) -> list[JsonObject]:
    """Describe the Open Client devices: push session, licence, pending messages.

    Pending messages are shown newest first, at most MAX_SHOWN_PENDING each.
    """
    devices: list[JsonObject] = []
    for device in open_client.devices.values():
        pending = open_client.pending(device)
        status = open_client.connections.get(device.id)
        devices.append(
            {
                "id": device.id,
                "name": device.name,
                "user": device.user,
                "session": (
                    "none"
                    if status is None
                    else ("silent" if status.silent else "connected")
                ),
                "trial_ends_at": open_client.trial_ends_at(device),
                "receiving": open_client.can_receive(device),
                "total_pending": len(pending),
                "pending": [
                    pending_view(open_client.message_json(queued))
                    for queued in pending[::-1][:MAX_SHOWN_PENDING]
                ],
            }
        )
    return devices


def pending_view(message: JsonObject) -> JsonObject:
    """Keep what the page shows of a pending message (all of it as text)."""
    return {
        name: message.get(name)
        for name in ("id", "title", "message", "app", "priority", "date", "acked")
    }


def message_view(
    message: ReceivedMessage, state: SimulatorState, now: float
) -> JsonObject:
    """Describe one message for the page (html_safe is markup safe to insert)."""
    receipt = state.receipts.get(message.receipt) if message.receipt else None
    has_image = message.attachment is not None
    shown = readable_fields(message)
    text = shown["message"]
    return {
        "id": message.request,
        "app": message.app_name,
        "title": shown["title"],
        "message": text,
        "html": message.html,
        "html_safe": sanitise_html(text) if message.html and text else None,
        "monospace": message.monospace,
        "priority": message.priority,
        "priority_label": PRIORITY_LABELS.get(message.priority, str(message.priority)),
        "sound": message.sound,
        "url": shown["url"],
        "url_href": safe_http_url(shown["url"]),
        "url_title": shown["url_title"],
        "encryption": encryption_view(message),
        "time": message.timestamp or int(message.received_at),
        "received_at": int(message.received_at),
        "recipients": list(message.recipients),
        "devices": list(message.devices),
        "attachment_url": (
            ATTACHMENT_PREFIX + quote(message.request, safe="") if has_image else None
        ),
        "attachment_type": message.attachment_type if has_image else None,
        "receipt": (
            None
            if receipt is None
            else receipt_view(receipt, message, state.directory, now)
        ),
    }


def readable_fields(message: ReceivedMessage) -> dict[str, str | None]:
    """Return message, title, url and url_title as the phone shows them.

    An encrypted message shows what its first recipient's account decrypted:
    a field it could not decrypt is None (its problem is in the encryption
    view).
    """
    if not message.encrypted:
        return {
            "message": message.message,
            "title": message.title,
            "url": message.url,
            "url_title": message.url_title,
        }
    first = message.decryptions[message.routes[0].user]
    names = ("message", "title", "url", "url_title")
    return {name: first.plaintext.get(name) or None for name in names}


def encryption_view(message: ReceivedMessage) -> JsonObject | None:
    """Describe an encrypted message: its encoded fields, each account's result.

    None for a message sent in plaintext.
    """
    if not message.encrypted:
        return None
    return {
        "encoded": encoded_fields(message),
        "accounts": [
            {
                "user": user,
                "plaintext": decryption.plaintext,
                "problems": decryption.problems,
            }
            for user, decryption in message.decryptions.items()
        ],
    }


def receipt_status(receipt: Receipt, now: float) -> str:
    """Tell whether an emergency is pending, acknowledged, expired or cancelled."""
    if receipt.acknowledged:
        return "acknowledged"
    if receipt.cancelled and receipt.cancelled_at < receipt.expires_at:
        return "cancelled"
    if receipt.is_expired(now):
        return "expired"
    return "cancelled" if receipt.cancelled else "pending"


def retry_count(receipt: Receipt, now: float) -> int:
    """How many times the emergency was sent by `now`, the first time included.

    floor((now - sent) / retry) + 1, no more than fit before expiry or 50,
    and no more once acknowledged or cancelled.
    """
    if receipt.retry <= 0:
        return 1
    return (receipt.last_delivered_at(now) - receipt.created_at) // receipt.retry + 1


def acknowledger(message: ReceivedMessage, directory: Directory) -> tuple[str, str]:
    """Pick the recipient and device the page acknowledges as.

    The first recipient, on the first device the message was sent to that is
    theirs, else their first device, else "phone".
    """
    user = message.recipients[0] if message.recipients else ""
    own = directory.devices_of(user)
    targeted = [device for device in message.devices if device in own]
    device = (targeted or list(own) or [FALLBACK_DEVICE])[0]
    return user, device


def receipt_view(
    receipt: Receipt, message: ReceivedMessage, directory: Directory, now: float
) -> JsonObject:
    """Describe an emergency message's receipt for the page."""
    status = receipt_status(receipt, now)
    user, device = acknowledger(message, directory)
    return {
        "id": receipt.receipt,
        "status": status,
        "retry": receipt.retry,
        "expire": receipt.expire,
        "retry_count": retry_count(receipt, now),
        "expires_at": receipt.expires_at,
        "acknowledged_at": receipt.acknowledged_at,
        "acknowledged_by": receipt.acknowledged_by,
        "acknowledged_by_device": receipt.acknowledged_by_device,
        "cancelled_at": receipt.cancelled_at,
        "callback": receipt.callback,
        "called_back": receipt.called_back,
        "callback_status": (
            receipt.callback_statuses[-1] if receipt.callback_statuses else None
        ),
        "can_acknowledge": status == "pending",
        "ack_user": user,
        "ack_device": device,
    }


def account_view(directory: Directory, twofa_codes: dict[str, str]) -> JsonObject:
    """Describe the test credentials: app tokens, users, groups, logins.

    `twofa_codes` holds the current code of each login with two-factor
    authentication.
    """
    return {
        "apps": [
            {"token": app.token, "name": app.name} for app in directory.apps.values()
        ],
        "users": [
            {
                "key": user.key,
                "devices": list(directory.devices_of(user.key)),
                "encryption_key": directory.encryption_keys.get(user.key),
            }
            for user in directory.users.values()
        ],
        "groups": [
            {
                "key": group.key,
                "name": group.name,
                "members": [member.user for member in group.enabled()],
            }
            for group in directory.groups.values()
        ],
        "logins": [
            {
                "email": login.email,
                "password": login.password,
                "user": login.user,
                "desktop": directory.has_desktop_license(login.user),
                "twofa_code": twofa_codes.get(login.email),
            }
            for login in directory.logins.values()
        ],
    }
