"""Helpers of the Open Client tests: log in, register, download, delete, push."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_EMAIL,
    TEST_PASSWORD,
    TEST_USER_KEY,
    PushoverSimulator,
)

FRAME_TIMEOUT = 5.0

type Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """An API answer: HTTP status and JSON body."""

    status: int
    body: Json


@dataclass(frozen=True, slots=True)
class Client:
    """A logged-in Open Client device: its session secret and device id."""

    secret: str
    device_id: str


async def api(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    path: str,
    method: str = "POST",
    **kwargs: Any,
) -> Reply:
    """Call an API path relative to the simulator's base URL."""
    async with session.request(method, sim.base_url + path, **kwargs) as response:
        return Reply(response.status, await response.json(content_type=None))


async def log_in(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    email: str = TEST_EMAIL,
    password: str = TEST_PASSWORD,
    **extra: str,
) -> str:
    """Log in (expecting success); return the session secret."""
    data = {"email": email, "password": password, **extra}
    reply = await api(session, sim, "users/login.json", data=data)
    assert reply.status == 200, reply.body
    secret = reply.body["secret"]
    assert isinstance(secret, str)
    return secret


async def register(
    session: aiohttp.ClientSession, sim: PushoverSimulator, secret: str, name: str
) -> str:
    """Register an Open Client device (expecting success); return its id."""
    data = {"secret": secret, "name": name, "os": "O"}
    reply = await api(session, sim, "devices.json", data=data)
    assert reply.status == 200, reply.body
    device_id = reply.body["id"]
    assert isinstance(device_id, str)
    return device_id


async def new_client(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    name: str = "inbox",
    email: str = TEST_EMAIL,
    password: str = TEST_PASSWORD,
    **extra: str,
) -> Client:
    """Log in and register a device named `name`."""
    secret = await log_in(session, sim, email, password, **extra)
    return Client(secret, await register(session, sim, secret, name))


async def download(
    session: aiohttp.ClientSession, sim: PushoverSimulator, client: Client
) -> Reply:
    """GET messages.json for the client's device."""
    query = {"secret": client.secret, "device_id": client.device_id}
    return await api(session, sim, "messages.json", "GET", params=query)


async def pending_ids(
    session: aiohttp.ClientSession, sim: PushoverSimulator, client: Client
) -> list[int]:
    """Return the ids of the device's pending messages (expecting a download)."""
    reply = await download(session, sim, client)
    assert reply.status == 200, reply.body
    return [message["id"] for message in reply.body["messages"]]


async def delete_through(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    client: Client,
    highest: int | str,
) -> Reply:
    """POST update_highest_message.json for the client's device."""
    path = f"devices/{client.device_id}/update_highest_message.json"
    data = {"secret": client.secret, "message": str(highest)}
    return await api(session, sim, path, data=data)


async def send(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> Json:
    """Send a message (expecting it accepted); return Pushover's answer."""
    base = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, "message": "Door open"}
    reply = await api(session, sim, "messages.json", data={**base, **fields})
    assert reply.status == 200, reply.body
    return reply.body


async def until(sim: PushoverSimulator, condition: Callable[[], bool]) -> None:
    """Wait (up to FRAME_TIMEOUT) until a change of the simulator's state fulfils it."""
    changed = asyncio.Event()
    unsubscribe = sim.state.subscribe(changed.set)
    try:
        async with asyncio.timeout(FRAME_TIMEOUT):
            while not condition():
                await changed.wait()
                changed.clear()
    finally:
        unsubscribe()


async def connect(
    session: aiohttp.ClientSession, sim: PushoverSimulator, client: Client
) -> aiohttp.ClientWebSocketResponse:
    """Open the push WebSocket, log the device in, wait until it is served."""
    socket = await session.ws_connect(sim.push_url)
    await socket.send_str(f"login:{client.device_id}:{client.secret}\n")
    await until(sim, lambda: client.device_id in sim.open_client.connections)
    return socket


async def frame(socket: aiohttp.ClientWebSocketResponse) -> bytes:
    """Receive the next frame, which must be a binary one."""
    message = await socket.receive(timeout=FRAME_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.BINARY, message
    data = message.data
    assert isinstance(data, bytes)
    return data


async def closed(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """Receive the message that ends the connection, which must be the last."""
    message = await socket.receive(timeout=FRAME_TIMEOUT)
    assert message.type in {
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    }, message
    return message
