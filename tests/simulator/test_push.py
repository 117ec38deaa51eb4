"""The simulator's push WebSocket over a real connection: frames and controls."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from pushover_simulator import (
    DESKTOP_TRIAL_SECONDS,
    KEEP_ALIVE_SECONDS,
    TEST_GROUP_KEY,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    PushoverSimulator,
)

from . import START, FakeClock
from .inbox import (
    Client,
    Json,
    closed,
    connect,
    delete_through,
    download,
    frame,
    new_client,
    register,
    send,
    until,
)


async def push_control(
    session: aiohttp.ClientSession, sim: PushoverSimulator, body: Json
) -> tuple[int, Json]:
    """POST /_sim/push as the phone page does."""
    async with session.post(sim.root_url + "_sim/push", json=body) as response:
        return response.status, await response.json()


async def assert_next_is_reload(
    sim: PushoverSimulator, socket: aiohttp.ClientWebSocketResponse
) -> None:
    """Prove that nothing else was sent: ask for an R and get it next."""
    sim.push.act("reload")
    assert await frame(socket) == b"R"


@pytest.fixture
async def client(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> Client:
    """Log the test user in and register the device "inbox"."""
    return await new_client(session, simulator)


@pytest.fixture
async def socket(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, client: Client
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """Return the logged-in push connection of the "inbox" device."""
    connection = await connect(session, simulator, client)
    yield connection
    await connection.close()


# Logging in and new messages


async def test_each_new_message_sends_a_bang(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """`!` is one binary byte per message that lands in the device's queue."""
    await send(session, simulator)
    await send(session, simulator, user=TEST_GROUP_KEY)
    assert [await frame(socket), await frame(socket)] == [b"!", b"!"]
    await send(session, simulator, device="phone")  # not for this device
    await assert_next_is_reload(simulator, socket)


@pytest.mark.parametrize(
    "login",
    [
        pytest.param("login:{device}:{wrong}\n", id="wrong-secret"),
        pytest.param("login:{unknown}:{secret}\n", id="unknown-device"),
        pytest.param("login:{device}:{secret}", id="no-newline"),
        pytest.param("login:{device}:{secret}\nmore", id="trailing"),
        pytest.param("hello", id="not-a-login"),
        pytest.param(b"login:{device}:{secret}\n", id="binary"),
    ],
)
async def test_a_bad_login_gets_e_and_is_closed(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    login: str | bytes,
) -> None:
    """Anything but `login:<device id>:<its user's secret>` and a newline."""
    values = {
        "device": client.device_id,
        "secret": client.secret,
        "wrong": "x" * 60,
        "unknown": "Zz0" * 10,
    }
    async with session.ws_connect(simulator.push_url) as socket:
        if isinstance(login, bytes):
            await socket.send_bytes(login.decode().format(**values).encode())
        else:
            await socket.send_str(login.format(**values))
        assert await frame(socket) == b"E"
        assert (await closed(socket)).type is aiohttp.WSMsgType.CLOSE
    assert simulator.open_client.connections == {}


async def test_what_the_client_sends_after_its_login_is_ignored(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """The client has nothing more to say; whatever it sends changes nothing."""
    await socket.send_str("login:again:please\n")
    await socket.send_bytes(b"#")
    await send(session, simulator)
    assert await frame(socket) == b"!"


async def test_a_client_leaving_before_its_login_is_no_error(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Closing at once, or cutting the connection, leaves no error behind."""
    socket = await session.ws_connect(simulator.push_url)
    await socket.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
    writer.write(
        b"GET /push HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    writer.transport.abort()
    await simulator.stop()  # waits for the server's handlers to finish
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


async def test_another_users_secret_is_refused(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, client: Client
) -> None:
    """A valid secret of another account does not open this device."""
    member = await new_client(
        session, simulator, "inbox2", TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD
    )
    async with session.ws_connect(simulator.push_url) as socket:
        await socket.send_str(f"login:{client.device_id}:{member.secret}\n")
        assert await frame(socket) == b"E"


async def test_messages_wait_while_no_client_is_connected(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, client: Client
) -> None:
    """Many sends with nobody connected: all queued, in order, ids growing.

    Logging in sends no `!` for them: a client downloads what waits first.
    """
    for number in range(120):
        user = TEST_GROUP_KEY if number % 3 == 0 else None
        fields = {"message": f"message {number}"} | ({"user": user} if user else {})
        await send(session, simulator, **fields)
    async with session.ws_connect(simulator.push_url) as socket:
        await socket.send_str(f"login:{client.device_id}:{client.secret}\n")
        await until(simulator, lambda: client.device_id in simulator.push.device_ids)
        await assert_next_is_reload(simulator, socket)
    reply = await download(session, simulator, client)
    messages = reply.body["messages"]
    assert [m["id"] for m in messages] == list(range(1, 121))
    assert [m["message"] for m in messages] == [f"message {n}" for n in range(120)]
    await delete_through(session, simulator, client, 120)
    assert (await download(session, simulator, client)).body["messages"] == []


# Keep-alives


async def test_keep_alives_follow_the_simulators_clock(
    simulator: PushoverSimulator,
    socket: aiohttp.ClientWebSocketResponse,
    clock: FakeClock,
) -> None:
    """`#` every KEEP_ALIVE_SECONDS of the clock; one for a long jump."""
    assert KEEP_ALIVE_SECONDS == 30
    clock.now = START + 29
    simulator.push.beat()
    await assert_next_is_reload(simulator, socket)
    clock.now = START + 30
    simulator.push.beat()
    assert await frame(socket) == b"#"
    clock.now = START + 59
    simulator.push.beat()
    await assert_next_is_reload(simulator, socket)
    clock.now = START + 60
    simulator.push.beat()
    assert await frame(socket) == b"#"
    clock.now = START + 3600
    simulator.push.beat()
    simulator.push.beat()
    assert await frame(socket) == b"#"
    await assert_next_is_reload(simulator, socket)


async def test_the_loop_sends_keep_alives_by_itself(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """On the machine's clock the timer fires when a keep-alive falls due.

    A short interval keeps the test quick; no timer is left once the
    session ends, so nothing of the push server's runs without sessions.
    """
    async with PushoverSimulator(keep_alive_seconds=0.05) as sim:
        assert sim.push._timer is None
        client = await new_client(session, sim)
        socket = await connect(session, sim, client)
        assert [await frame(socket), await frame(socket)] == [b"#", b"#"]
        await socket.close()
        await until(sim, lambda: sim.open_client.connections == {})
        assert sim.push._timer is None


async def test_the_keep_alive_interval_is_a_setting(
    session: aiohttp.ClientSession, socket_enabled: None, clock: FakeClock
) -> None:
    """keep_alive_seconds sets the interval, on the same clock."""
    async with PushoverSimulator(clock=clock, keep_alive_seconds=5) as sim:
        client = await new_client(session, sim)
        socket = await connect(session, sim, client)
        clock.now = START + 4
        sim.push.beat()
        await assert_next_is_reload(sim, socket)
        clock.now = START + 5
        sim.push.beat()
        assert await frame(socket) == b"#"
        await socket.close()


# Controls


async def test_reload_keeps_the_connection(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """`R` asks the client to reconnect; the server leaves that to it."""
    status, answer = await push_control(session, simulator, {"action": "reload"})
    assert (status, answer) == (200, {"sessions": 1, "connected": [client.device_id]})
    assert await frame(socket) == b"R"
    await send(session, simulator)
    assert await frame(socket) == b"!"


@pytest.mark.parametrize(("action", "sent"), [("error", b"E"), ("elsewhere", b"A")])
async def test_error_and_elsewhere_end_the_session(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
    action: str,
    sent: bytes,
) -> None:
    """`E` and `A` are the last frame: the server closes after them."""
    status, answer = await push_control(session, simulator, {"action": action})
    assert (status, answer["sessions"]) == (200, 1)
    assert await frame(socket) == sent
    assert (await closed(socket)).type is aiohttp.WSMsgType.CLOSE
    await until(simulator, lambda: simulator.open_client.connections == {})
    assert simulator.push.device_ids == []


async def test_drop_cuts_the_connection_without_a_frame(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """A dropped connection ends with no closing handshake; logging in again works."""
    status, answer = await push_control(session, simulator, {"action": "drop"})
    assert (status, answer["sessions"]) == (200, 1)
    assert (await closed(socket)).type is not aiohttp.WSMsgType.CLOSE
    await until(simulator, lambda: simulator.open_client.connections == {})
    again = await connect(session, simulator, client)
    await send(session, simulator)
    assert await frame(again) == b"!"
    await again.close()


async def test_silence_stops_keep_alives_and_bangs_until_resumed(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
    clock: FakeClock,
) -> None:
    """A silent session looks like a dead connection that never closed."""
    status, _ = await push_control(session, simulator, {"action": "silence"})
    assert status == 200
    assert simulator.open_client.connections[client.device_id].silent
    await send(session, simulator)
    clock.now = START + 2 * KEEP_ALIVE_SECONDS
    simulator.push.beat()
    await assert_next_is_reload(simulator, socket)
    status, _ = await push_control(session, simulator, {"action": "resume"})
    assert not simulator.open_client.connections[client.device_id].silent
    simulator.push.beat()
    assert await frame(socket) == b"#"
    await send(session, simulator)
    assert await frame(socket) == b"!"
    assert [
        m["id"] for m in (await download(session, simulator, client)).body["messages"]
    ] == [1, 2]


async def test_controls_reach_one_device_or_all(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """device_id picks one session; without it every session is reached."""
    desk = Client(
        client.secret, await register(session, simulator, client.secret, "desk")
    )
    desk_socket = await connect(session, simulator, desk)
    status, answer = await push_control(
        session, simulator, {"action": "elsewhere", "device_id": desk.device_id}
    )
    assert (status, answer["sessions"]) == (200, 1)
    assert await frame(desk_socket) == b"A"
    await assert_next_is_reload(simulator, socket)
    status, answer = await push_control(
        session, simulator, {"action": "reload", "device_id": "Zz0" * 10}
    )
    assert (status, answer["sessions"]) == (200, 0)
    await desk_socket.close()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"action": "explode"}, "action must be one of drop, reload, error"),
        ({}, "action must be one of"),
        ({"action": "drop", "device_id": 7}, "device_id must be a string"),
    ],
)
async def test_bad_push_controls_are_refused(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    body: Json,
    error: str,
) -> None:
    """An unknown action or a device id that is not text: 400, nothing done."""
    status, answer = await push_control(session, simulator, body)
    assert status == 400
    assert error in answer["errors"][0]


async def test_a_second_login_closes_the_first_with_a(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """The same device logging in elsewhere ends the older session with `A`."""
    async with session.ws_connect(simulator.push_url) as newer:
        await newer.send_str(f"login:{client.device_id}:{client.secret}\n")
        assert await frame(socket) == b"A"
        assert (await closed(socket)).type is aiohttp.WSMsgType.CLOSE
        await send(session, simulator)
        assert await frame(newer) == b"!"
        assert simulator.push.device_ids == [client.device_id]


# Sessions that may not go on


async def test_the_end_of_the_trial_ends_the_session_with_e(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """An account without a Desktop licence: `E` once the trial is over."""
    member = await new_client(
        session, simulator, "inbox", TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD
    )
    socket = await connect(session, simulator, member)
    clock.now = START + DESKTOP_TRIAL_SECONDS
    simulator.push.beat()
    assert await frame(socket) == b"E"
    await closed(socket)
    async with session.ws_connect(simulator.push_url) as again:
        await again.send_str(f"login:{member.device_id}:{member.secret}\n")
        assert await frame(again) == b"E"


async def test_a_reset_ends_push_sessions_with_e(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    socket: aiohttp.ClientWebSocketResponse,
) -> None:
    """After /_sim/reset the device is gone: its session gets `E`."""
    async with session.post(simulator.root_url + "_sim/reset") as response:
        assert response.status == 200
    simulator.push.beat()
    assert await frame(socket) == b"E"


async def test_stop_closes_push_connections(
    simulator: PushoverSimulator, socket: aiohttp.ClientWebSocketResponse
) -> None:
    """Stopping the simulator closes its push connections (going away)."""
    await simulator.stop()
    message = await closed(socket)
    assert (message.type, message.data) == (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSCloseCode.GOING_AWAY,
    )


async def test_push_is_not_api_traffic(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    client: Client,
) -> None:
    """The WebSocket is neither counted nor faulted; a plain GET is refused."""
    simulator.faults.update({"fail_next": 1})
    before = len(simulator.requests)
    socket = await connect(session, simulator, client)
    assert (len(simulator.requests), simulator.state.in_flight) == (before, 0)
    assert simulator.faults.fail_next == 1
    async with session.get(simulator.push_url.replace("ws", "http", 1)) as plain:
        assert plain.status == 400
        assert (await plain.json())["status"] == 0
    await socket.close()
