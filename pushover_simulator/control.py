"""The /_sim control API: inspect state, switch faults, steer the quota and receipts.

- GET /_sim/state: messages, receipts, quota, faults and counters;
- GET /_sim/faults, POST /_sim/faults (partial JSON update), DELETE /_sim/faults;
- POST /_sim/remaining {"remaining": n};
- POST /_sim/acknowledge {"receipt": ..., "user": ..., "device": ...};
- POST /_sim/push {"action": ..., "device_id": ...}: steer the push server's
  sessions (one device's, or all without `device_id`): `drop` the
  connection, send `reload` (R), `error` (E) or `elsewhere` (A), `silence`
  them or `resume`; answers how many sessions it reached;
- POST /_sim/subscriptions {"code": ..., "user": ..., "device": ...}:
  subscribe an account as its subscription page would (device optional);
  answers the subscriber with its new key;
- DELETE /_sim/subscriptions/{key}: unsubscribe, deleting the key;
- POST /_sim/encryption-keys {"user": ..., "key": ...}: set an account's
  end-to-end encryption key (64 hex characters), or remove it (null);
- POST /_sim/reset: forget everything and switch faults off.

GET /_sim/state includes the Open Client side under `open_client`: devices
with their pending messages and push sessions, and the current 2FA codes.
"""

from typing import cast

from aiohttp import web

from .encryption import KEY_HEX_PATTERN
from .keys import ACKNOWLEDGE_KEY, PUSH_KEY, STATE_KEY
from .models import JsonObject
from .push import PUSH_ACTIONS, PushAction
from .receipts import ReceiptError
from .subscriptions import SubscriptionError


def add_control_routes(app: web.Application) -> None:
    """Register the /_sim routes."""
    app.router.add_get("/_sim/state", _state)
    app.router.add_get("/_sim/faults", _faults)
    app.router.add_post("/_sim/faults", _update_faults)
    app.router.add_delete("/_sim/faults", _clear_faults)
    app.router.add_post("/_sim/remaining", _set_remaining)
    app.router.add_post("/_sim/acknowledge", _acknowledge)
    app.router.add_post("/_sim/push", _push)
    app.router.add_post("/_sim/subscriptions", _subscribe)
    app.router.add_delete("/_sim/subscriptions/{key}", _unsubscribe)
    app.router.add_post("/_sim/encryption-keys", _set_encryption_key)
    app.router.add_post("/_sim/reset", _reset)


def _problem(text: str) -> web.Response:
    """Answer 400 to a bad control request."""
    return web.json_response({"status": 0, "errors": [text]}, status=400)


async def _json_object(request: web.Request) -> JsonObject | None:
    """Read the request's JSON object body; None when it is not one."""
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _state(request: web.Request) -> web.Response:
    """Show everything the simulator holds."""
    return web.json_response(request.app[STATE_KEY].snapshot())


async def _faults(request: web.Request) -> web.Response:
    """Show the current fault settings."""
    return web.json_response(request.app[STATE_KEY].faults.to_json())


async def _update_faults(request: web.Request) -> web.Response:
    """Change some fault settings, e.g. {"fail_next": 2, "fail_status": 502}."""
    state = request.app[STATE_KEY]
    changes = await _json_object(request)
    if changes is None:
        return _problem("body must be a JSON object")
    try:
        state.faults.update(changes)
    except ValueError as error:
        return _problem(str(error))
    state.changed()
    return web.json_response(state.faults.to_json())


async def _clear_faults(request: web.Request) -> web.Response:
    """Switch every fault off."""
    state = request.app[STATE_KEY]
    state.faults.reset()
    state.changed()
    return web.json_response(state.faults.to_json())


async def _set_remaining(request: web.Request) -> web.Response:
    """Set the messages left this month."""
    state = request.app[STATE_KEY]
    data = await _json_object(request) or {}
    remaining = data.get("remaining")
    if not isinstance(remaining, int) or isinstance(remaining, bool) or remaining < 0:
        return _problem("remaining must be a non-negative integer")
    state.set_remaining(remaining)
    return web.json_response(state.quota.to_json())


async def _acknowledge(request: web.Request) -> web.Response:
    """Acknowledge a receipt as a recipient's device would."""
    state = request.app[STATE_KEY]
    data = await _json_object(request) or {}
    receipt, user, device = (data.get(name) for name in ("receipt", "user", "device"))
    if not (
        isinstance(receipt, str) and isinstance(user, str) and isinstance(device, str)
    ):
        return _problem("receipt, user and device must be strings")
    try:
        acknowledged = await request.app[ACKNOWLEDGE_KEY](receipt, user, device)
    except ReceiptError as error:
        return _problem(str(error))
    return web.json_response(acknowledged.to_state(state.clock()))


async def _push(request: web.Request) -> web.Response:
    """Drop, reload, error, elsewhere, silence or resume push sessions."""
    data = await _json_object(request) or {}
    action, device_id = data.get("action"), data.get("device_id")
    if action not in PUSH_ACTIONS:
        return _problem(f"action must be one of {', '.join(PUSH_ACTIONS)}")
    if device_id is not None and not isinstance(device_id, str):
        return _problem("device_id must be a string when given")
    push = request.app[PUSH_KEY]
    reached = push.act(cast("PushAction", action), device_id)
    return web.json_response({"sessions": reached, "connected": push.device_ids})


async def _subscribe(request: web.Request) -> web.Response:
    """Subscribe an account to a subscription, as its page would."""
    data = await _json_object(request) or {}
    code, user, device = (data.get(name) for name in ("code", "user", "device"))
    if not (isinstance(code, str) and isinstance(user, str)):
        return _problem("code and user must be strings")
    if device is not None and not isinstance(device, str):
        return _problem("device must be a string when given")
    state = request.app[STATE_KEY]
    try:
        subscribed = state.subscriptions.subscribe(code, user, device or None)
    except SubscriptionError as error:
        return _problem(str(error))
    return web.json_response(
        {"key": subscribed.key, "code": code, "user": user, "device": subscribed.device}
    )


async def _unsubscribe(request: web.Request) -> web.Response:
    """Unsubscribe: the subscriber's key stops working and leaves its groups."""
    key = request.match_info["key"]
    removed = request.app[STATE_KEY].subscriptions.unsubscribe(key)
    if removed is None:
        return web.json_response(
            {"status": 0, "errors": ["no subscriber has this key"]}, status=404
        )
    return web.json_response({"key": removed.key, "code": removed.code})


async def _set_encryption_key(request: web.Request) -> web.Response:
    """Set or remove an account's end-to-end encryption key."""
    data = await _json_object(request) or {}
    user, key = data.get("user"), data.get("key")
    if not isinstance(user, str):
        return _problem("user must be a string")
    if key is not None and not (
        isinstance(key, str) and KEY_HEX_PATTERN.fullmatch(key)
    ):
        return _problem("key must be 64 hex characters, or null to remove it")
    state = request.app[STATE_KEY]
    try:
        state.set_encryption_key(user, key)
    except KeyError:
        return _problem(f"no account has the user key {user!r}")
    return web.json_response(dict(state.directory.encryption_keys))


async def _reset(request: web.Request) -> web.Response:
    """Forget messages, receipts and requests; refill the quota; clear faults."""
    state = request.app[STATE_KEY]
    state.reset()
    return web.json_response(state.snapshot())
