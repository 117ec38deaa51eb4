"""The /_sim control API: inspect state, switch faults, steer the quota and receipts.

- GET /_sim/state: messages, receipts, quota, faults and counters;
- GET /_sim/faults, POST /_sim/faults (partial JSON update), DELETE /_sim/faults;
- POST /_sim/remaining {"remaining": n};
- POST /_sim/acknowledge {"receipt": ..., "user": ..., "device": ...};
- POST /_sim/push {"action": ..., "device_id": ...}: steer the push server's
  sessions (one device's, or all without `device_id`): `drop` the
  connection, send `reload` (R), `error` (E) or `elsewhere` (A), `silence`
  them or `resume`; answers how many sessions it reached;
- POST /_sim/reset: forget everything and switch faults off.

GET /_sim/state includes the Open Client side under `open_client`: devices
with their pending messages and push sessions, and the current 2FA codes.
"""

from typing import cast

from aiohttp import web

from .keys import ACKNOWLEDGE_KEY, PUSH_KEY, STATE_KEY
from .models import JsonObject
from .push import PUSH_ACTIONS, PushAction
from .receipts import ReceiptError


def add_control_routes(app: web.Application) -> None:
    """Register the /_sim routes."""
    app.router.add_get("/_sim/state", _state)
    app.router.add_get("/_sim/faults", _faults)
    app.router.add_post("/_sim/faults", _update_faults)
    app.router.add_delete("/_sim/faults", _clear_faults)
    app.router.add_post("/_sim/remaining", _set_remaining)
    app.router.add_post("/_sim/acknowledge", _acknowledge)
    app.router.add_post("/_sim/push", _push)
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


async def _reset(request: web.Request) -> web.Response:
    """Forget messages, receipts and requests; refill the quota; clear faults."""
    state = request.app[STATE_KEY]
    state.reset()
    return web.json_response(state.snapshot())
