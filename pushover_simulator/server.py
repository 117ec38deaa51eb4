"""The aiohttp application: Pushover's /1/ endpoints over the state model.

Besides the sending side it serves the Open Client side: users/login.json,
devices.json, GET messages.json, update_highest_message.json, a receipt's
acknowledge.json, and the push WebSocket (`push.py`); glances.json; the
Groups API (groups.json, groups/{key}.json and its five actions); and the
subscription page (`subscribe_page.py`).
"""

from collections.abc import Awaitable, Callable
import uuid

from aiohttp import web

from .accounts import App, Group
from .bodies import MAX_BODY_BYTES, Body, read_body, read_query
from .control import add_control_routes
from .groups import GroupsApi
from .keys import ACKNOWLEDGE_KEY, PUSH_KEY, STATE_KEY, Acknowledger
from .middlewares import accounting, fault_injection, json_errors
from .models import JsonObject, Rejection
from .phone import add_phone_routes, serve_root
from .push import PushServer
from .receipts import Receipt
from .rules import RECEIPT_NOT_FOUND, token_rejection
from .state import SimulatorState
from .subscribe_page import add_subscribe_routes

type ApiResult = JsonObject | Rejection
type ApiHandler = Callable[[web.Request], Awaitable[ApiResult]]


def build_app(
    state: SimulatorState, acknowledge: Acknowledger, push: PushServer
) -> web.Application:
    """Create the web app serving the Pushover API, the /_sim API and the phone."""
    app = web.Application(
        middlewares=[serve_root, accounting, fault_injection, json_errors],
        client_max_size=MAX_BODY_BYTES,
    )
    app[STATE_KEY] = state
    app[ACKNOWLEDGE_KEY] = acknowledge
    app[PUSH_KEY] = push
    app.router.add_post("/1/messages.json", _messages)
    app.router.add_get("/1/messages.json", _api(_download))
    app.router.add_post("/1/users/login.json", _api(_login))
    app.router.add_post("/1/devices.json", _api(_register))
    app.router.add_post(
        "/1/devices/{device_id}/update_highest_message.json", _api(_delete)
    )
    app.router.add_post("/1/users/validate.json", _api(_validate))
    app.router.add_get("/1/apps/limits.json", _api(_limits))
    app.router.add_get("/1/sounds.json", _api(_sounds))
    app.router.add_get("/1/receipts/{receipt}.json", _api(_receipt))
    app.router.add_post("/1/receipts/{receipt}/cancel.json", _api(_cancel))
    app.router.add_post("/1/receipts/cancel_by_tag/{tag}.json", _api(_cancel_by_tag))
    app.router.add_post("/1/receipts/{receipt}/acknowledge.json", _api(_acknowledge))
    app.router.add_post("/1/glances.json", _glance)
    app.router.add_post("/1/groups.json", _api(_create_group))
    app.router.add_get("/1/groups.json", _api(_list_groups))
    app.router.add_get("/1/groups/{group}.json", _api(_group_info))
    for action, handler in _GROUP_ACTIONS.items():
        app.router.add_post(f"/1/groups/{{group}}/{action}.json", _api(handler))
    push.add_to(app)
    add_control_routes(app)
    add_phone_routes(app)
    add_subscribe_routes(app)
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


async def _fields(request: web.Request) -> dict[str, str] | Rejection:
    """Read the fields: the query for GET, the body otherwise."""
    if request.method in {"GET", "HEAD"}:
        body: Body | Rejection = read_query(request)
    else:
        body = await read_body(request)
    return body if isinstance(body, Rejection) else body.fields


async def _authorised(request: web.Request) -> tuple[App, dict[str, str]] | Rejection:
    """Read the fields and check the app token."""
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    app = request.app[STATE_KEY].app_for(fields)
    return token_rejection() if app is None else (app, fields)


async def _validate(request: web.Request) -> ApiResult:
    """POST users/validate.json: check a user or group key and a device."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    app, fields = authorised
    result = request.app[STATE_KEY].validate_user(fields, app)
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


async def _login(request: web.Request) -> ApiResult:
    """POST users/login.json: e-mail, password, maybe a 2FA code -> id, secret."""
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    session = request.app[STATE_KEY].open_client.login(fields)
    if isinstance(session, Rejection):
        return session
    return {"id": session.user, "secret": session.secret}


async def _register(request: web.Request) -> ApiResult:
    """POST devices.json: register an Open Client device (secret, name, os=O)."""
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    device = request.app[STATE_KEY].open_client.register(fields)
    if isinstance(device, Rejection):
        return device
    return {"id": device.id}


async def _download(request: web.Request) -> ApiResult:
    """GET messages.json: a device's pending messages (secret, device_id)."""
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    return request.app[STATE_KEY].open_client.download(fields)


async def _delete(request: web.Request) -> ApiResult:
    """POST devices/{device_id}/update_highest_message.json: delete up to an id."""
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    device_id = request.match_info["device_id"]
    deleted = request.app[STATE_KEY].open_client.delete_through(device_id, fields)
    return deleted if isinstance(deleted, Rejection) else {}


async def _acknowledge(request: web.Request) -> ApiResult:
    """POST receipts/{receipt}/acknowledge.json: acknowledge from a device.

    The same acknowledgement as on a phone: the sender's receipt shows it
    and its callback is called.
    """
    fields = await _fields(request)
    if isinstance(fields, Rejection):
        return fields
    receipt_id = request.match_info["receipt"]
    who = request.app[STATE_KEY].client_acknowledgement(receipt_id, fields)
    if isinstance(who, Rejection):
        return who
    user, device = who
    await request.app[ACKNOWLEDGE_KEY](receipt_id, user, device)
    return {}


async def _glance(request: web.Request) -> web.Response:
    """POST glances.json: show small data on a recipient's widget."""
    request_id = str(uuid.uuid4())
    body = await read_body(request)
    if isinstance(body, Rejection):
        return _answer(body, request_id)
    state = request.app[STATE_KEY]
    return _answer(
        state.submit_glance(body.fields, body.encoding, request_id), request_id
    )


async def _create_group(request: web.Request) -> ApiResult:
    """POST groups.json: create a delivery group (name) and answer its key."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    return request.app[STATE_KEY].groups.create(authorised[1])


async def _list_groups(request: web.Request) -> ApiResult:
    """GET groups.json: the account's groups, key and name."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    return request.app[STATE_KEY].groups.list_groups()


async def _find_group(request: web.Request) -> tuple[Group, dict[str, str]] | Rejection:
    """Check the token and find the group in the path."""
    authorised = await _authorised(request)
    if isinstance(authorised, Rejection):
        return authorised
    group = request.app[STATE_KEY].groups.find(request.match_info["group"])
    return group if isinstance(group, Rejection) else (group, authorised[1])


async def _group_info(request: web.Request) -> ApiResult:
    """GET groups/{group}.json: the group's name and users."""
    found = await _find_group(request)
    if isinstance(found, Rejection):
        return found
    return GroupsApi.info(found[0])


type GroupChange = Callable[[GroupsApi, Group, dict[str, str]], Rejection | None]


def _group_action(change: GroupChange) -> ApiHandler:
    """Make the handler of a POST groups/{group}/<action>.json."""

    async def handle(request: web.Request) -> ApiResult:
        found = await _find_group(request)
        if isinstance(found, Rejection):
            return found
        group, fields = found
        refused = change(request.app[STATE_KEY].groups, group, fields)
        return {} if refused is None else refused

    return handle


_GROUP_ACTIONS: dict[str, ApiHandler] = {
    "add_user": _group_action(GroupsApi.add_user),
    "remove_user": _group_action(GroupsApi.remove_user),
    "disable_user": _group_action(
        lambda api, group, fields: api.set_disabled(group, fields, disabled=True)
    ),
    "enable_user": _group_action(
        lambda api, group, fields: api.set_disabled(group, fields, disabled=False)
    ),
    "rename": _group_action(GroupsApi.rename),
}
