"""The aiohttp application: Pushover's /1/ endpoints over the state model."""

from collections.abc import Awaitable, Callable
import uuid

from aiohttp import web

from .accounts import App
from .bodies import MAX_BODY_BYTES, Body, read_body, read_query
from .control import add_control_routes
from .keys import ACKNOWLEDGE_KEY, STATE_KEY, Acknowledger
from .middlewares import accounting, fault_injection, json_errors
from .models import JsonObject, Rejection
from .phone import add_phone_routes, serve_root
from .receipts import Receipt
from .rules import RECEIPT_NOT_FOUND, token_rejection
from .state import SimulatorState

type ApiResult = JsonObject | Rejection
type ApiHandler = Callable[[web.Request], Awaitable[ApiResult]]


def build_app(state: SimulatorState, acknowledge: Acknowledger) -> web.Application:
    """Create the web app serving the Pushover API, the /_sim API and the phone."""
    app = web.Application(
        middlewares=[serve_root, accounting, fault_injection, json_errors],
        client_max_size=MAX_BODY_BYTES,
    )
    app[STATE_KEY] = state
    app[ACKNOWLEDGE_KEY] = acknowledge
    app.router.add_post("/1/messages.json", _messages)
    app.router.add_post("/1/users/validate.json", _api(_validate))
    app.router.add_get("/1/apps/limits.json", _api(_limits))
    app.router.add_get("/1/sounds.json", _api(_sounds))
    app.router.add_get("/1/receipts/{receipt}.json", _api(_receipt))
    app.router.add_post("/1/receipts/{receipt}/cancel.json", _api(_cancel))
    app.router.add_post("/1/receipts/cancel_by_tag/{tag}.json", _api(_cancel_by_tag))
    add_control_routes(app)
    add_phone_routes(app)
    return app


def _answer(
    result: ApiResult, request_id: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Turn a result into Pushover's JSON: status 1 and the request id, or errors."""
    if isinstance(result, Rejection):
        return web.json_response(
            result.to_json(request_id), status=result.status, headers=headers
        )
    return web.json_response(
        {**result, "status": 1, "request": request_id}, headers=headers
    )


def _api(handler: ApiHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler returning a result into one answering JSON."""

    async def answer(request: web.Request) -> web.Response:
        return _answer(await handler(request), str(uuid.uuid4()))

    answer.__doc__ = handler.__doc__
    return answer


async def _messages(request: web.Request) -> web.Response:
    """POST messages.json: send a message; every answer has the quota headers."""
    state = request.app[STATE_KEY]
    request_id = str(uuid.uuid4())
    body = await read_body(request)
    if isinstance(body, Rejection):
        return _answer(body, request_id, state.quota_headers())
    result = state.submit_message(body.fields, body.upload, body.encoding, request_id)
    headers = state.quota_headers()
    if isinstance(result, Rejection):
        return _answer(result, request_id, headers)
    extra: JsonObject = {"receipt": result.receipt} if result.receipt else {}
    return _answer(extra, request_id, headers)


async def _authorised(request: web.Request) -> tuple[App, dict[str, str]] | Rejection:
    """Read the fields (query for GET, body otherwise); check the app token."""
    if request.method in {"GET", "HEAD"}:
        body: Body | Rejection = read_query(request)
    else:
        body = await read_body(request)
    if isinstance(body, Rejection):
        return body
    app = request.app[STATE_KEY].app_for(body.fields)
    return token_rejection() if app is None else (app, body.fields)


async def _validate(request: web.Request) -> ApiResult:
    """POST users/validate.json: check a user or group key and a device."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    result = request.app[STATE_KEY].validate_user(authorised[1])
    if isinstance(result, Rejection):
        return result
    return {
        "group": int(result.group),
        "devices": list(result.devices),
        "licenses": list(result.licenses),
    }


async def _limits(request: web.Request) -> ApiResult:
    """GET apps/limits.json: the monthly limit, what is left, the reset time."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    state = request.app[STATE_KEY]
    return dict(state.quota.to_json())


async def _sounds(request: web.Request) -> ApiResult:
    """GET sounds.json: built-in and custom sound names with descriptions."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    return {"sounds": dict(request.app[STATE_KEY].directory.sounds)}


async def _find_receipt(request: web.Request) -> Receipt | Rejection:
    """Check the token and find the receipt in the path among the app's."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    app, _ = authorised
    receipt = request.app[STATE_KEY].find_receipt(request.match_info["receipt"], app)
    if receipt is None:
        return Rejection(errors=[RECEIPT_NOT_FOUND], status=404)
    return receipt


async def _receipt(request: web.Request) -> ApiResult:
    """GET receipts/{receipt}.json: acknowledgement and expiry of a receipt."""
    receipt = await _find_receipt(request)
    if isinstance(receipt, Rejection):
        return receipt
    return receipt.to_json(request.app[STATE_KEY].clock())


async def _cancel(request: web.Request) -> ApiResult:
    """POST receipts/{receipt}/cancel.json: stop a receipt's retries."""
    receipt = await _find_receipt(request)
    if isinstance(receipt, Rejection):
        return receipt
    request.app[STATE_KEY].cancel_receipt(receipt)
    return {}


async def _cancel_by_tag(request: web.Request) -> ApiResult:
    """POST receipts/cancel_by_tag/{tag}.json: cancel open receipts with a tag."""
    tag = request.match_info["tag"]
    if "/" in tag:
        # An encoded slash (%2F) makes more than one path segment of the tag:
        # Pushover has no route with that path.
        raise web.HTTPNotFound
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    app, _ = authorised
    return {"canceled": request.app[STATE_KEY].cancel_by_tag(tag, app)}
