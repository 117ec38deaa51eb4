"""The simulator's Open Client REST side over real HTTP: login, devices, queues."""

import re

import aiohttp
from aiohttp import web
import pytest

from pushover_simulator import (
    DESKTOP_TRIAL_SECONDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_EMAIL,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_PASSWORD,
    TEST_SECOND_USER_KEY,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
    PushoverSimulator,
)
from pushover_simulator.openclient import (
    LOGIN_INVALID,
    NAME_BLANK,
    NAME_INVALID,
    NAME_TAKEN,
    NAME_TOO_LONG,
    OS_INVALID,
    TRIAL_ENDED,
    TWOFA_INVALID,
    TWOFA_REQUIRED,
)
from pushover_simulator.twofa import twofa_code

from . import START, FakeClock
from .inbox import (
    Client,
    Json,
    Reply,
    api,
    delete_through,
    download,
    log_in,
    new_client,
    pending_ids,
    register,
    send,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ID = re.compile(r"[A-Za-z0-9]{30}")
SECRET = re.compile(r"[A-Za-z0-9]{60}")
UNKNOWN_ID = "Zz0" * 10
WRONG_PASSWORD = "not-the-password"  # noqa: S105 - a wrong one on purpose


def assert_refused(reply: Reply, status: int, flag: str | None, error: str) -> None:
    """Pushover's error shape: the status, status 0, the error, the field flag."""
    assert reply.status == status, reply.body
    assert reply.body["status"] == 0
    assert error in reply.body["errors"], reply.body
    assert UUID.fullmatch(reply.body["request"])
    if flag is not None:
        assert reply.body[flag] == "invalid"


async def login_reply(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> Reply:
    """POST users/login.json with exactly these fields."""
    return await api(session, sim, "users/login.json", data=fields)


async def register_reply(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> Reply:
    """POST devices.json with exactly these fields."""
    return await api(session, sim, "devices.json", data=fields)


# Logging in


async def test_login_answers_the_user_key_and_a_secret_per_login(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Each login gets its own secret; both stay valid."""
    reply = await login_reply(
        session, simulator, email=TEST_EMAIL, password=TEST_PASSWORD
    )
    assert reply.status == 200
    assert (reply.body["status"], reply.body["id"]) == (1, TEST_USER_KEY)
    assert SECRET.fullmatch(reply.body["secret"])
    assert UUID.fullmatch(reply.body["request"])
    again = await log_in(session, simulator)
    assert again != reply.body["secret"]
    for secret in (again, reply.body["secret"]):
        assert ID.fullmatch(await register(session, simulator, secret, secret[:8]))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"email": TEST_EMAIL, "password": WRONG_PASSWORD}, id="password"),
        pytest.param(
            {"email": TEST_EMAIL, "password": TEST_PASSWORD.upper()}, id="case"
        ),
        pytest.param(
            {"email": TEST_EMAIL.upper(), "password": TEST_PASSWORD}, id="email"
        ),
        pytest.param({"email": "nobody@example.com", "password": "x"}, id="unknown"),
        pytest.param({"email": TEST_EMAIL}, id="no-password"),
        pytest.param({}, id="nothing"),
    ],
)
async def test_login_refuses_wrong_credentials_alike(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, fields: Json
) -> None:
    """A wrong or missing e-mail or password: 400, one text, no session."""
    reply = await login_reply(session, simulator, **fields)
    assert_refused(reply, 400, None, LOGIN_INVALID)
    assert "secret" not in reply.body
    assert simulator.open_client.sessions == {}


async def test_two_factor_login_asks_with_412_for_the_current_code(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """412 until the code of this moment (or the one just before) comes along."""
    password = {"email": TEST_TWOFA_EMAIL, "password": TEST_TWOFA_PASSWORD}
    asked = await login_reply(session, simulator, **password)
    assert_refused(asked, 412, None, TWOFA_REQUIRED)
    wrong = await login_reply(session, simulator, **password, twofa="000000")
    assert_refused(wrong, 412, "twofa", TWOFA_INVALID)

    code = simulator.twofa_code(TEST_TWOFA_EMAIL)
    assert re.fullmatch(r"[0-9]{6}", code)
    reply = await login_reply(session, simulator, **password, twofa=code)
    assert (reply.status, reply.body["id"]) == (200, TEST_SECOND_USER_KEY)

    clock.now = START + 30  # the next step: the code just shown still counts
    assert simulator.twofa_code(TEST_TWOFA_EMAIL) != code
    late = await login_reply(session, simulator, **password, twofa=code)
    assert late.status == 200
    clock.now = START + 60
    stale = await login_reply(session, simulator, **password, twofa=code)
    assert_refused(stale, 412, "twofa", TWOFA_INVALID)

    current = simulator.twofa_code(TEST_TWOFA_EMAIL)
    wrong_password = await login_reply(
        session,
        simulator,
        email=TEST_TWOFA_EMAIL,
        password=WRONG_PASSWORD,
        twofa=current,
    )
    assert_refused(wrong_password, 400, None, LOGIN_INVALID)
    with pytest.raises(KeyError):
        simulator.twofa_code(TEST_EMAIL)


@pytest.mark.parametrize(
    ("now", "code"),
    [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924")],
)
def test_two_factor_codes_follow_rfc_6238(now: int, code: str) -> None:
    """The codes of RFC 6238's SHA-1 test vectors (their last six digits)."""
    assert twofa_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", now) == code


# Registering devices


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", NAME_BLANK),
        ("a" * 26, NAME_TOO_LONG),
        ("two words", NAME_INVALID),
        ("naïve", NAME_INVALID),
        ("semi;colon", NAME_INVALID),
    ],
)
async def test_device_names_follow_the_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    name: str,
    error: str,
) -> None:
    """A name is 1 to 25 of [A-Za-z0-9_-]; the error comes in the errors hash."""
    secret = await log_in(session, simulator)
    reply = await register_reply(session, simulator, secret=secret, name=name, os="O")
    assert reply.status == 400
    assert reply.body["errors"] == {"name": [error]}
    assert (reply.body["status"], simulator.open_client.devices) == (0, {})


async def test_device_names_at_the_limit_are_taken(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """25 characters, underscores and hyphens are fine."""
    secret = await log_in(session, simulator)
    for name in ("a" * 25, "Desk_top-2"):
        assert ID.fullmatch(await register(session, simulator, secret, name))


@pytest.mark.parametrize("os", [None, "o", "A", "0"])
async def test_registration_needs_os_o(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, os: str | None
) -> None:
    """Only an Open Client (os=O) may register; both fields' errors come at once."""
    fields = {"secret": await log_in(session, simulator), "name": ""}
    if os is not None:
        fields["os"] = os
    reply = await register_reply(session, simulator, **fields)
    assert reply.status == 400
    assert reply.body["errors"] == {"name": [NAME_BLANK], "os": [OS_INVALID]}


async def test_a_name_the_account_uses_is_taken(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The account's own devices and earlier registrations keep their names."""
    secret = await log_in(session, simulator)
    await register(session, simulator, secret, "inbox")
    for name in (TEST_DEVICES[0], "inbox"):
        reply = await register_reply(
            session, simulator, secret=secret, name=name, os="O"
        )
        assert reply.status == 400
        assert reply.body | {"request": ""} == {
            "errors": {"name": [NAME_TAKEN]},
            "status": 0,
            "request": "",
        }
    other = await log_in(
        session,
        simulator,
        TEST_TWOFA_EMAIL,
        TEST_TWOFA_PASSWORD,
        twofa=simulator.twofa_code(TEST_TWOFA_EMAIL),
    )
    assert ID.fullmatch(await register(session, simulator, other, "inbox"))


async def test_registration_needs_a_valid_secret(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """An unknown secret is flagged; nothing is registered."""
    reply = await register_reply(
        session, simulator, secret="x" * 60, name="inbox", os="O"
    )
    assert_refused(reply, 400, "secret", "secret is invalid; log in again")
    assert simulator.open_client.devices == {}


async def test_a_registered_device_is_one_of_the_users_devices(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """users/validate.json lists it and a send may target it; reset forgets it."""
    client = await new_client(session, simulator)

    async def devices() -> list[str]:
        data = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY}
        reply = await api(session, simulator, "users/validate.json", data=data)
        return list(reply.body["devices"])

    assert await devices() == [*TEST_DEVICES, "inbox"]
    await send(session, simulator, device="inbox", message="only here")
    await send(session, simulator, device=TEST_DEVICES[0], message="not here")
    reply = await download(session, simulator, client)
    assert [m["message"] for m in reply.body["messages"]] == ["only here"]
    async with session.post(simulator.root_url + "_sim/reset") as response:
        assert response.status == 200
    assert await devices() == list(TEST_DEVICES)
    refused = await download(session, simulator, client)
    assert_refused(refused, 400, "secret", "secret is invalid; log in again")


# Queues


async def test_a_send_lands_with_pushovers_fields(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Every field a download shows; optional ones only when they were sent."""
    client = await new_client(session, simulator)
    await send(session, simulator, message="Plain")
    clock.now = START + 5
    await send(
        session,
        simulator,
        message="<b>Hot</b>",
        title="Oven",
        html="1",
        priority="1",
        sound="bugle",
        url="https://example.com/oven",
        url_title="Camera",
        timestamp="1773000000",
    )
    reply = await download(session, simulator, client)
    assert reply.status == 200
    plain, rich = reply.body["messages"]
    app = {"app": "Pushover Plus Test", "aid": 1001, "aid_str": "1001"}
    assert plain == {
        "id": 1,
        "id_str": "1",
        "umid": plain["umid"],
        "umid_str": str(plain["umid"]),
        "message": "Plain",
        **app,
        "icon": "pushover_plus_test",
        "date": int(START),
        "queued_date": int(START),
        "dispatched_date": int(START),
        "priority": 0,
        "acked": 0,
    }
    assert rich == plain | {
        "id": 2,
        "id_str": "2",
        "umid": rich["umid"],
        "umid_str": str(rich["umid"]),
        "message": "<b>Hot</b>",
        "title": "Oven",
        "html": 1,
        "priority": 1,
        "sound": "bugle",
        "url": "https://example.com/oven",
        "url_title": "Camera",
        "date": 1_773_000_000,
        "queued_date": int(START) + 5,
        "dispatched_date": int(START) + 5,
    }
    assert rich["umid"] > plain["umid"]
    assert reply.body["user"] == {
        "quiet_hours": False,
        "is_android_licensed": True,
        "is_ios_licensed": True,
        "is_desktop_licensed": True,
        "email": TEST_EMAIL,
    }
    assert reply.body["device"] == {"name": "inbox", "encryption_enabled": False}


async def test_sends_reach_every_targeted_device_of_every_user(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Direct and group sends, with and without device names; umid per user."""
    inbox = await new_client(session, simulator, "inbox")
    desk = Client(
        inbox.secret, await register(session, simulator, inbox.secret, "desk")
    )
    member = await new_client(
        session, simulator, "pager2", TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD
    )
    await send(session, simulator, message="to all of the user's")
    await send(session, simulator, message="to desk", device="desk")
    await send(session, simulator, user=TEST_GROUP_KEY, message="to the group")
    await send(session, simulator, user=TEST_SECOND_USER_KEY, message="not ours")

    async def texts(client: Client) -> list[str]:
        reply = await download(session, simulator, client)
        return [message["message"] for message in reply.body["messages"]]

    assert await texts(inbox) == ["to all of the user's", "to the group"]
    assert await texts(desk) == ["to all of the user's", "to desk", "to the group"]
    assert await texts(member) == ["to the group"]
    inbox_umids = {
        m["umid"] for m in (await download(session, simulator, inbox)).body["messages"]
    }
    desk_messages = (await download(session, simulator, desk)).body["messages"]
    assert inbox_umids == {desk_messages[0]["umid"], desk_messages[2]["umid"]}
    member_umid = (await download(session, simulator, member)).body["messages"][0][
        "umid"
    ]
    assert member_umid not in inbox_umids
    assert [m["id"] for m in desk_messages] == [1, 2, 3]


async def test_delete_removes_only_up_to_the_highest_id(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """update_highest_message.json deletes ids up to its own; ids keep growing."""
    client = await new_client(session, simulator)
    for number in range(5):
        await send(session, simulator, message=f"message {number}")
    assert await pending_ids(session, simulator, client) == [1, 2, 3, 4, 5]
    reply = await delete_through(session, simulator, client, 3)
    assert (reply.status, reply.body["status"]) == (200, 1)
    assert await pending_ids(session, simulator, client) == [4, 5]
    await send(session, simulator)
    assert await pending_ids(session, simulator, client) == [4, 5, 6]
    await delete_through(session, simulator, client, 2)  # lower: changes nothing
    assert await pending_ids(session, simulator, client) == [4, 5, 6]
    await delete_through(session, simulator, client, 6)
    assert await pending_ids(session, simulator, client) == []
    await send(session, simulator)
    assert await pending_ids(session, simulator, client) == [7]


async def test_a_too_high_id_hides_later_messages(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The device keeps the highest id it was told; lower new ids never show."""
    client = await new_client(session, simulator)
    await send(session, simulator)
    umid = (await download(session, simulator, client)).body["messages"][0]["umid"]
    await delete_through(session, simulator, client, umid + 100)  # a umid, wrongly
    await send(session, simulator)
    assert await pending_ids(session, simulator, client) == []
    assert simulator.open_client.devices[client.device_id].last_id == 2


@pytest.mark.parametrize(
    ("highest", "error"),
    [
        ("", "message is required: the highest message id downloaded"),
        ("abc", "message must be an integer"),
        ("-1", "message must be at least 0"),
    ],
)
async def test_delete_needs_a_message_id(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    highest: str,
    error: str,
) -> None:
    """The message field is a non-negative integer; nothing is deleted otherwise."""
    client = await new_client(session, simulator)
    await send(session, simulator)
    reply = await delete_through(session, simulator, client, highest)
    assert_refused(reply, 400, "message", error)
    assert await pending_ids(session, simulator, client) == [1]


async def test_download_and_delete_need_the_secret_of_the_devices_user(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Another user's secret, an unknown device or a bad secret are refused."""
    client = await new_client(session, simulator)
    other = await log_in(
        session,
        simulator,
        TEST_TWOFA_EMAIL,
        TEST_TWOFA_PASSWORD,
        twofa=simulator.twofa_code(TEST_TWOFA_EMAIL),
    )
    await send(session, simulator)
    device_error = "device_id is not a device of this account"
    for stranger in (
        Client(other, client.device_id),
        Client(client.secret, UNKNOWN_ID),
    ):
        assert_refused(
            await download(session, simulator, stranger), 400, "device_id", device_error
        )
        assert_refused(
            await delete_through(session, simulator, stranger, 1),
            400,
            "device_id",
            device_error,
        )
    assert_refused(
        await download(session, simulator, Client(client.secret, "")),
        400,
        "device_id",
        device_error,
    )
    bad = Client("x" * 60, client.device_id)
    assert_refused(
        await download(session, simulator, bad),
        400,
        "secret",
        "secret is invalid; log in again",
    )
    assert await pending_ids(session, simulator, client) == [1]


async def test_a_messages_ttl_removes_it_from_the_queue(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A ttl runs on the clock; an emergency message ignores it."""
    client = await new_client(session, simulator)
    await send(session, simulator, message="short", ttl="60")
    await send(
        session,
        simulator,
        message="urgent",
        ttl="60",
        priority="2",
        retry="30",
        expire="600",
    )
    clock.now = START + 59
    assert await pending_ids(session, simulator, client) == [1, 2]
    clock.now = START + 60
    reply = await download(session, simulator, client)
    assert [m["message"] for m in reply.body["messages"]] == ["urgent"]


# Acknowledging


async def test_acknowledgement_is_the_senders_receipt(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Acknowledged from the device: receipt, callback and the queue all show it."""
    calls: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        calls.append({k: str(v) for k, v in (await request.post()).items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/ack", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        client = await new_client(session, simulator)
        answer = await send(
            session,
            simulator,
            priority="2",
            retry="30",
            expire="600",
            callback=f"http://127.0.0.1:{site.port}/ack",
        )
        receipt = answer["receipt"]
        [queued] = (await download(session, simulator, client)).body["messages"]
        assert (queued["receipt"], queued["acked"], queued["priority"]) == (
            receipt,
            0,
            2,
        )
        clock.now = START + 45
        path = f"receipts/{receipt}/acknowledge.json"
        reply = await api(session, simulator, path, data={"secret": client.secret})
        assert (reply.status, reply.body["status"]) == (200, 1)
    finally:
        await runner.cleanup()
    state = await api(
        session,
        simulator,
        f"receipts/{receipt}.json",
        "GET",
        params={"token": TEST_APP_TOKEN},
    )
    assert (
        state.body["acknowledged"],
        state.body["acknowledged_at"],
        state.body["acknowledged_by"],
        state.body["acknowledged_by_device"],
        state.body["called_back"],
    ) == (1, int(START) + 45, TEST_USER_KEY, "inbox", 1)
    assert calls == [
        {
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_at": str(int(START) + 45),
            "acknowledged_by": TEST_USER_KEY,
            "acknowledged_by_device": "inbox",
        }
    ]
    [acked] = (await download(session, simulator, client)).body["messages"]
    assert acked["acked"] == 1
    again = await api(session, simulator, path, data={"secret": client.secret})
    assert_refused(
        again,
        400,
        "receipt",
        "receipt has already been acknowledged, cancelled or expired",
    )


async def test_acknowledgement_needs_a_receipt_the_user_got(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Unknown, someone else's, expired; a secret without a device; a bad secret."""
    client = await new_client(session, simulator)
    emergency = {"priority": "2", "retry": "30", "expire": "60"}
    theirs = (await send(session, simulator, user=TEST_SECOND_USER_KEY, **emergency))[
        "receipt"
    ]
    ours = (await send(session, simulator, **emergency))["receipt"]

    async def acknowledge(receipt: str, secret: str = client.secret) -> Reply:
        path = f"receipts/{receipt}/acknowledge.json"
        return await api(session, simulator, path, data={"secret": secret})

    not_found = "receipt not found; may be invalid or expired"
    assert_refused(await acknowledge(UNKNOWN_ID), 404, None, not_found)
    assert_refused(await acknowledge(theirs), 404, None, not_found)
    deviceless = await log_in(session, simulator)
    assert_refused(
        await acknowledge(ours, deviceless),
        400,
        "secret",
        "no device is registered with this secret",
    )
    assert_refused(
        await acknowledge(ours, "x" * 60),
        400,
        "secret",
        "secret is invalid; log in again",
    )
    clock.now = START + 60
    assert_refused(
        await acknowledge(ours),
        400,
        "receipt",
        "receipt has already been acknowledged, cancelled or expired",
    )
    assert not simulator.receipts[ours].acknowledged


async def test_a_new_login_of_a_device_acknowledges_as_that_device(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A client that logs in again for its device acknowledges as it."""
    client = await new_client(session, simulator, "inbox")
    await new_client(session, simulator, "laptop-client")
    receipt = (await send(session, simulator, priority="2", retry="30", expire="60"))[
        "receipt"
    ]
    again = Client(await log_in(session, simulator), client.device_id)
    assert (await download(session, simulator, again)).status == 200

    path = f"receipts/{receipt}/acknowledge.json"
    reply = await api(session, simulator, path, data={"secret": again.secret})

    assert reply.status == 200, reply.body
    assert simulator.receipts[receipt].acknowledged_by_device == "inbox"


# Licensing


async def test_an_account_without_desktop_licence_gets_a_30_day_trial(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Registration works; the device receives for 30 days, then nothing."""
    member = await new_client(
        session, simulator, "inbox", TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD
    )
    await send(session, simulator, user=TEST_GROUP_MEMBER_KEY, message="in the trial")
    reply = await download(session, simulator, member)
    assert reply.body["user"]["is_desktop_licensed"] is False
    assert [m["message"] for m in reply.body["messages"]] == ["in the trial"]

    clock.now = START + DESKTOP_TRIAL_SECONDS - 1
    await send(session, simulator, user=TEST_GROUP_MEMBER_KEY, message="last day")
    assert await pending_ids(session, simulator, member) == [1, 2]
    clock.now = START + DESKTOP_TRIAL_SECONDS
    await send(session, simulator, user=TEST_GROUP_KEY, message="after the trial")
    assert_refused(await download(session, simulator, member), 403, None, TRIAL_ENDED)
    assert_refused(
        await delete_through(session, simulator, member, 2), 403, None, TRIAL_ENDED
    )
    device = simulator.open_client.devices[member.device_id]
    assert (device.last_id, len(device.queue)) == (2, 2)
    assert simulator.open_client.trial_ends_at(device) == START + DESKTOP_TRIAL_SECONDS


# The simulator's own side


async def test_open_client_calls_are_api_traffic(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """They are counted, and the fault switches apply to them."""
    simulator.faults.update({"fail_next": 1})
    async with session.post(simulator.base_url + "users/login.json") as failed:
        assert failed.status == 503
    await new_client(session, simulator)
    assert [(r.path, r.status, r.fault) for r in simulator.requests] == [
        ("/1/users/login.json", 503, "fail"),
        ("/1/users/login.json", 200, None),
        ("/1/devices.json", 200, None),
    ]


async def test_state_shows_devices_queues_and_codes_but_no_secret(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """GET /_sim/state has an open_client part for tools and humans."""
    client = await new_client(session, simulator)
    await send(session, simulator, message="waiting")
    async with session.get(simulator.root_url + "_sim/state") as response:
        text = await response.text()
        state = (await response.json())["open_client"]
    assert client.secret not in text
    [device] = state["devices"]
    assert (device["id"], device["name"], device["user"]) == (
        client.device_id,
        "inbox",
        TEST_USER_KEY,
    )
    assert (device["receiving"], device["trial_ends_at"], device["connection"]) == (
        True,
        None,
        None,
    )
    assert [m["message"] for m in device["pending"]] == ["waiting"]
    assert state["sessions"] == 1
    assert state["twofa_codes"] == {
        TEST_TWOFA_EMAIL: simulator.twofa_code(TEST_TWOFA_EMAIL)
    }


@pytest.mark.parametrize(
    "path",
    [
        "users/login.json",
        "devices.json",
        "devices/Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0/update_highest_message.json",
        "receipts/Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0Zz0/acknowledge.json",
    ],
)
async def test_unreadable_bodies_are_refused(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, path: str
) -> None:
    """A body Pushover could not read is refused before anything else."""
    headers = {"Content-Type": "application/json"}
    reply = await api(session, simulator, path, data=b"{bad", headers=headers)
    assert_refused(reply, 400, None, "request body is not valid JSON")
