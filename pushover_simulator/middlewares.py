"""Middlewares: request accounting, fault injection, JSON error pages."""

import asyncio
from http import HTTPStatus
from typing import Final
import uuid

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from .faults import Faults
from .keys import FAULT_KEY, STATE_KEY
from .models import RequestRecord
from .push import PUSH_PATH
from .subscribe_page import SUBSCRIBE_PREFIX

CONTROL_PREFIX: Final = "/_sim/"
_MALFORMED_BODY: Final = b'{"status":1,"request":"'
_DROPPED_BODY: Final = b'{"status":1,"request":"00000000-0000-0000-0000-000000000000"}'


def is_untracked(request: web.Request) -> bool:
    """Tell whether a request is left out of API accounting and faults.

    Those are the /_sim control API, the push WebSocket, whose one request
    lasts as long as its connection (its own controls drop it), and the
    subscription page (pushover.net's, not the API's).
    """
    return (
        request.path.startswith((CONTROL_PREFIX, SUBSCRIBE_PREFIX))
        or request.path == PUSH_PATH
    )


@web.middleware
async def accounting(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count in-flight requests (and the peak) and log each API request."""
    if is_untracked(request):
        return await handler(request)
    state = request.app[STATE_KEY]
    state.request_started()
    status: int | None = None
    try:
        response = await handler(request)
    except web.HTTPException as error:
        status = error.status
        raise
    else:
        status = response.status
        return response
    finally:
        record = RequestRecord(
            request.method, request.path, status, request.get(FAULT_KEY), state.clock()
        )
        state.request_finished(record)


@web.middleware
async def fault_injection(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the switched-on faults around the real handler."""
    if is_untracked(request):
        return await handler(request)
    faults = request.app[STATE_KEY].faults
    if faults.delay and not faults.delay_after_processing:
        await asyncio.sleep(faults.delay)
    fault = _take_fault(faults)
    if fault is None:
        response = await handler(request)
        await _delay_after_processing(faults)
        return response
    request[FAULT_KEY] = fault
    if fault == "drop":
        processed = await handler(request) if faults.drop_after_processing else None
        await _delay_after_processing(faults)
        return await _drop(request, processed)
    await _delay_after_processing(faults)
    if fault == "fail":
        return _failure(faults)
    return web.Response(body=_MALFORMED_BODY, content_type="application/json")


async def _delay_after_processing(faults: Faults) -> None:
    """Sleep the delay fault's time when it applies after processing."""
    if faults.delay and faults.delay_after_processing:
        await asyncio.sleep(faults.delay)


def _take_fault(faults: Faults) -> str | None:
    """Use one shot of the first armed counter among drop, fail, malformed."""
    for fault in ("drop", "fail", "malformed"):
        if faults.take(f"{fault}_next"):
            return fault
    return None


def _failure(faults: Faults) -> web.Response:
    """Answer 5xx with an HTML or an empty body, as a failing proxy would."""
    status = faults.fail_status
    if faults.fail_body == "empty":
        return web.Response(status=status)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Server Error"
    page = f"<html><body><h1>{status} {reason}</h1></body></html>"
    return web.Response(status=status, text=page, content_type="text/html")


async def _drop(
    request: web.Request, response: web.StreamResponse | None
) -> web.StreamResponse:
    """Send the status line, headers and half the body, then close the connection."""
    body = _DROPPED_BODY
    dropped = web.StreamResponse(status=200)
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        body = response.body
        dropped.set_status(response.status)
        for name, value in response.headers.items():
            if name != hdrs.CONTENT_LENGTH:
                dropped.headers.add(name, value)
    dropped.content_type = "application/json"
    dropped.content_length = len(body)
    await dropped.prepare(request)
    await dropped.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return dropped


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer router and size errors (404, 405, 413...) in Pushover's JSON."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < HTTPStatus.BAD_REQUEST:
            raise
        headers = {
            name: value
            for name, value in error.headers.items()
            if name not in {hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH}
        }
        body = {
            "errors": [error.reason.lower()],
            "status": 0,
            "request": str(uuid.uuid4()),
        }
        return web.json_response(body, status=error.status, headers=headers)
