"""Tests of the Pushover simulator itself, over real HTTP on the loopback."""

import asyncio
import base64
from collections.abc import Mapping
from datetime import UTC, datetime
import re
from typing import Any

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from pushover_simulator import (
    ATTACHMENT_MAX_BYTES,
    BUILTIN_SOUNDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBERS,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
    ReceiptError,
)

from . import START, FakeClock

NEXT_RESET = datetime(2026, 4, 1, 5, 0, tzinfo=UTC).timestamp()  # 00:00 CDT
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEY = re.compile(r"[A-Za-z0-9]{30}")
UNKNOWN_KEY = "Zz0" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

type Json = dict[str, Any]


class Answer:
    """An HTTP answer: status, headers and the JSON body."""

    def __init__(self, status: int, headers: Mapping[str, str], body: Json) -> None:
        """Keep the parts of the answer."""
        self.status = status
        self.headers = headers
        self.body = body


async def call(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    path: str,
    method: str = "POST",
    **kwargs: Any,
) -> Answer:
    """Call an API path relative to the simulator's base URL."""
    async with session.request(method, sim.base_url + path, **kwargs) as response:
        body = await response.json(content_type=None)
        return Answer(response.status, response.headers, body)


def message_fields(**fields: str | None) -> dict[str, str]:
    """Build a valid send, with fields overridden (None removes one)."""
    base = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, "message": "Door open"}
    merged = {**base, **fields}
    return {name: value for name, value in merged.items() if value is not None}


async def send(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str | None
) -> Answer:
    """POST a form-encoded messages.json."""
    return await call(session, sim, "messages.json", data=message_fields(**fields))


def assert_rejected(answer: Answer, flag: str | None, error: str) -> None:
    """Check Pushover's error shape: 4xx, status 0, errors, flag, request id."""
    assert 400 <= answer.status < 500
    assert answer.body["status"] == 0
    assert any(error in text for text in answer.body["errors"]), answer.body
    assert UUID.fullmatch(answer.body["request"])
    if flag is not None:
        assert answer.body[flag] == "invalid"


async def test_form_send_is_accepted_and_recorded(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A minimal send: 200, status 1, request id, quota headers, one message."""
    answer = await send(session, simulator, title="Front door")
    assert answer.status == 200
    assert answer.body["status"] == 1
    assert "receipt" not in answer.body
    assert UUID.fullmatch(answer.body["request"])
    assert answer.headers["X-Limit-App-Limit"] == "10000"
    assert answer.headers["X-Limit-App-Remaining"] == "9999"
    assert int(answer.headers["X-Limit-App-Reset"]) == NEXT_RESET
    [message] = simulator.messages
    assert message.encoding == "form"
    assert message.request == answer.body["request"]
    assert (message.user, message.users) == (TEST_USER_KEY, [TEST_USER_KEY])
    assert (message.message, message.title, message.priority) == (
        "Door open",
        "Front door",
        0,
    )
    assert [(r.method, r.path, r.status) for r in simulator.requests] == [
        ("POST", "/1/messages.json", 200)
    ]


async def test_json_send_parses_every_field(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """JSON bodies take strings, numbers and booleans."""
    body = {
        "token": TEST_OTHER_APP_TOKEN,
        "user": TEST_USER_KEY,
        "message": "<b>Hot</b>",
        "device": "phone,watch",
        "html": True,
        "priority": 1,
        "ttl": 3600,
        "timestamp": 1_773_000_000,
        "sound": "doorbell",
        "url": "https://example.com/cam",
        "url_title": "Camera",
    }
    answer = await call(session, simulator, "messages.json", json=body)
    assert answer.status == 200
    [message] = simulator.messages
    assert message.encoding == "json"
    assert message.token == TEST_OTHER_APP_TOKEN
    assert message.devices == ["phone", "watch"]
    assert (message.html, message.monospace, message.priority) == (True, False, 1)
    assert (message.ttl, message.timestamp, message.sound) == (
        3600,
        1_773_000_000,
        "doorbell",
    )
    assert (message.url, message.url_title) == ("https://example.com/cam", "Camera")


async def test_multipart_attachment_is_kept(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A multipart file part becomes the attachment, with type and filename."""
    form = aiohttp.FormData(message_fields())
    form.add_field("attachment", PNG, filename="snap.png", content_type="image/png")
    answer = await call(session, simulator, "messages.json", data=form)
    assert answer.status == 200
    [message] = simulator.messages
    assert message.encoding == "multipart"
    assert (message.attachment, message.attachment_type) == (PNG, "image/png")
    assert message.attachment_filename == "snap.png"


async def test_base64_attachment_is_decoded(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """attachment_base64 with attachment_type is the same image."""
    encoded = base64.b64encode(PNG).decode()
    answer = await send(
        session, simulator, attachment_base64=encoded, attachment_type="image/png"
    )
    assert answer.status == 200
    assert simulator.messages[0].attachment == PNG


async def test_attachment_of_exactly_the_limit_is_accepted(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """5,242,880 bytes is still fine."""
    form = aiohttp.FormData(message_fields())
    data = PNG.ljust(ATTACHMENT_MAX_BYTES, b"\0")
    form.add_field("attachment", data, filename="big.png", content_type="image/png")
    answer = await call(session, simulator, "messages.json", data=form)
    assert answer.status == 200
    assert simulator.messages[0].attachment == data


@pytest.mark.parametrize(
    ("size", "content_type", "error"),
    [
        pytest.param(8, "application/pdf", "must be an image", id="not-image"),
        pytest.param(
            ATTACHMENT_MAX_BYTES + 1, "image/jpeg", "too large", id="too-large"
        ),
        pytest.param(0, "image/png", "attachment is empty", id="empty"),
    ],
)
async def test_multipart_attachment_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    size: int,
    content_type: str,
    error: str,
) -> None:
    """Only a non-empty image up to 5,242,880 bytes is accepted."""
    form = aiohttp.FormData(message_fields())
    data = b"\xff" * size
    form.add_field("attachment", data, filename="file", content_type=content_type)
    answer = await call(session, simulator, "messages.json", data=form)
    assert_rejected(answer, "attachment", error)
    assert simulator.messages == []


@pytest.mark.parametrize(
    ("fields", "flag", "error"),
    [
        ({"attachment_base64": "iVBORw0KGgo="}, "attachment_type", "is required"),
        (
            {"attachment_base64": "not base64!", "attachment_type": "image/png"},
            "attachment_base64",
            "not valid base64",
        ),
        (
            {"attachment_base64": "JVBERi0=", "attachment_type": "application/pdf"},
            "attachment",
            "must be an image",
        ),
        ({"attachment": "inline text"}, "attachment", "must be a file part"),
    ],
)
async def test_base64_attachment_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    flag: str,
    error: str,
) -> None:
    """Base64 attachments must decode and carry an image type."""
    assert_rejected(await send(session, simulator, **fields), flag, error)


@pytest.mark.parametrize(
    "token", [None, "", "short", TEST_APP_TOKEN + "x", "a-b" * 10, UNKNOWN_KEY]
)
async def test_token_must_be_registered(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, token: str | None
) -> None:
    """Missing, malformed or unknown tokens: 400 token invalid, with headers."""
    answer = await send(session, simulator, token=token)
    assert_rejected(answer, "token", "application token is invalid")
    assert answer.status == 400
    assert answer.headers["X-Limit-App-Remaining"] == "10000"
    assert simulator.messages == []


LONG_DEVICE = "d" * 26


@pytest.mark.parametrize(
    ("fields", "flag", "error"),
    [
        ({"user": None}, "user", "not a valid user, group"),
        ({"user": "u123"}, "user", "not a valid user, group"),
        ({"user": UNKNOWN_KEY}, "user", "not a valid user, group"),
        ({"user": ",".join([TEST_USER_KEY] * 51)}, "user", "maximum is 50"),
        ({"message": None}, "message", "message cannot be blank"),
        ({"message": "  "}, "message", "message cannot be blank"),
        ({"message": "x" * 1025}, "message", "maximum is 1024 characters"),
        ({"title": "t" * 251}, "title", "maximum is 250 characters"),
        ({"url": "https://e.com/" + "u" * 499}, "url", "maximum is 512 characters"),
        ({"url_title": "u" * 101}, "url_title", "maximum is 100 characters"),
        ({"device": "my phone"}, "device", "device name is invalid"),
        ({"device": LONG_DEVICE}, "device", "device name is invalid"),
        ({"device": "phone,laptop"}, "device", "device name is not valid for user"),
        ({"html": "1", "monospace": "1"}, "monospace", "cannot both be set"),
        ({"html": "yes"}, "html", "must be 0 or 1"),
        ({"priority": "3"}, "priority", "from -2 to 2"),
        ({"priority": "high"}, "priority", "must be an integer"),
        ({"priority": "2", "expire": "600"}, "retry", "retry is required"),
        ({"priority": "2", "retry": "60"}, "expire", "expire is required"),
        ({"priority": "2", "retry": "29", "expire": "600"}, "retry", "at least 30"),
        ({"priority": "2", "retry": "60", "expire": "10801"}, "expire", "10800"),
        ({"priority": "2", "retry": "1.5", "expire": "600"}, "retry", "integer"),
        ({"ttl": "0"}, "ttl", "at least 1"),
        ({"ttl": "soon"}, "ttl", "must be an integer"),
        ({"ttl": "1_000"}, "ttl", "must be an integer"),
        ({"timestamp": "yesterday"}, "timestamp", "must be an integer"),
        ({"timestamp": "-1"}, "timestamp", "must be at least 0"),
        ({"timestamp": str(2**31)}, "timestamp", "must be at most 2147483647"),
        ({"tags": "t" * 201}, "tags", "maximum is 200 characters"),
        ({"tags": ",".join(["leak"] * 41)}, "tags", "maximum is 200"),
        ({"sound": "trumpet"}, "sound", "not a valid sound"),
        ({"callback": "ftp://example.com/ack"}, "callback", "http or https URL"),
        ({"callback": "not a url"}, "callback", "http or https URL"),
    ],
)
async def test_message_field_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    fields: dict[str, str | None],
    flag: str,
    error: str,
) -> None:
    """Each documented field rule answers 400 with its flag; nothing is sent."""
    answer = await send(session, simulator, **fields)
    assert_rejected(answer, flag, error)
    assert "X-Limit-App-Remaining" in answer.headers
    assert simulator.messages == []
    assert simulator.remaining == 10000


@pytest.mark.parametrize(
    ("content_type", "raw", "error"),
    [
        pytest.param("application/json", b"{bad", "not valid JSON", id="bad-json"),
        pytest.param(
            "application/json", b"[1]", "must be a JSON object", id="json-list"
        ),
        pytest.param(
            "application/json", b'{"user": ["a"]}', "must be a string", id="json-nested"
        ),
        pytest.param(
            "application/x-www-form-urlencoded",
            b"message=%FF%FE",
            "not valid URL-encoded UTF-8",
            id="bad-utf8",
        ),
        pytest.param("multipart/form-data", b"x", "multipart body", id="no-boundary"),
        pytest.param("text/plain", b"hello", "must be form-encoded", id="text"),
    ],
)
async def test_unreadable_bodies_are_rejected(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    content_type: str,
    raw: bytes,
    error: str,
) -> None:
    """Bodies Pushover could not read get a 4xx with the quota headers."""
    headers = {"Content-Type": content_type}
    answer = await call(session, simulator, "messages.json", data=raw, headers=headers)
    assert_rejected(answer, None, error)
    assert "X-Limit-App-Limit" in answer.headers


async def test_tags_and_timestamp_at_their_limits_are_accepted(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """200 characters of tags and the last 32-bit Unix time are fine."""
    tags = "a" * 99 + "," + "b" * 100
    answer = await send(session, simulator, tags=tags, timestamp=str(2**31 - 1))
    assert answer.status == 200, answer.body
    [message] = simulator.messages
    assert (message.tags, message.timestamp) == (["a" * 99, "b" * 100], 2**31 - 1)


async def test_lengths_count_code_points_not_bytes(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """1024 multi-byte characters fit; the limit is on characters."""
    answer = await send(session, simulator, message="é" * 1023 + "🔔", title="ü" * 250)
    assert answer.status == 200
    assert len(simulator.messages[0].message) == 1024


async def test_recipients_cost_one_per_user(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Several keys skip the device-owner check; a group costs its members."""
    users = f"{TEST_USER_KEY},{TEST_SECOND_USER_KEY}"
    answer = await send(session, simulator, user=users, device="laptop")
    assert answer.status == 200
    assert answer.headers["X-Limit-App-Remaining"] == "9998"
    answer = await send(session, simulator, user=TEST_GROUP_KEY)
    assert answer.headers["X-Limit-App-Remaining"] == str(
        9998 - len(TEST_GROUP_MEMBERS)
    )
    assert simulator.messages[1].recipients == list(TEST_GROUP_MEMBERS)


async def test_quota_exhaustion_answers_429(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """No quota left (or not enough for a group): 429 with the headers."""
    simulator.set_remaining(2)
    answer = await send(session, simulator, user=TEST_GROUP_KEY)
    assert answer.status == 429
    assert answer.body["errors"] == ["message limit reached"]
    assert answer.body["status"] == 0
    assert (await send(session, simulator)).headers["X-Limit-App-Remaining"] == "1"
    simulator.set_remaining(0)
    answer = await send(session, simulator)
    assert answer.status == 429
    assert answer.headers["X-Limit-App-Remaining"] == "0"
    assert len(simulator.messages) == 1


async def test_quota_refills_after_reset(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """At 00:00 US Central on the 1st the quota refills; reset moves on."""
    simulator.set_remaining(0)
    clock.now = NEXT_RESET
    answer = await call(
        session, simulator, "apps/limits.json", "GET", params={"token": TEST_APP_TOKEN}
    )
    assert answer.body["remaining"] == 10000
    assert answer.body["reset"] == datetime(2026, 5, 1, 5, 0, tzinfo=UTC).timestamp()


async def test_validate_user(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """users/validate.json: devices, licences, group flag and field errors."""

    async def validate(**fields: str) -> Answer:
        data = {"token": TEST_APP_TOKEN, **fields}
        return await call(session, simulator, "users/validate.json", data=data)

    answer = await validate(user=TEST_USER_KEY, device="tablet")
    assert answer.status == 200
    assert answer.body["devices"] == list(TEST_DEVICES)
    assert answer.body["licenses"] == ["Android", "iOS", "Desktop"]
    assert answer.body["group"] == 0
    assert (await validate(user=TEST_GROUP_KEY)).body["group"] == 1
    assert_rejected(await validate(user=UNKNOWN_KEY), "user", "not a valid user")
    assert_rejected(
        await validate(user=TEST_USER_KEY, device="laptop"),
        "device",
        "not valid for user",
    )
    assert_rejected(
        await validate(user=TEST_USER_KEY, token=UNKNOWN_KEY), "token", "is invalid"
    )


async def test_validate_user_without_active_devices(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A valid key no device is logged in with: 400, Pushover's text, no flag.

    Once a device registers (here an Open Client device), the key validates.
    """
    data = {"token": TEST_APP_TOKEN, "user": TEST_NO_DEVICE_USER_KEY}
    answer = await call(session, simulator, "users/validate.json", data=data)
    assert_rejected(answer, None, "user is valid but has no active devices")
    assert answer.status == 400
    assert set(answer.body) == {"errors", "status", "request"}

    simulator.state.directory.add_client_device(TEST_NO_DEVICE_USER_KEY, "desk")
    answer = await call(session, simulator, "users/validate.json", data=data)
    assert answer.status == 200
    assert answer.body["devices"] == ["desk"]


async def test_limits_and_sounds(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """apps/limits.json and sounds.json answer with the token; 400 without."""
    query = {"token": TEST_APP_TOKEN}
    limits = await call(session, simulator, "apps/limits.json", "GET", params=query)
    assert limits.body == {
        "limit": 10000,
        "remaining": 10000,
        "reset": NEXT_RESET,
        "status": 1,
        "request": limits.body["request"],
    }
    sounds = await call(session, simulator, "sounds.json", "GET", params=query)
    assert set(sounds.body["sounds"]) == {*BUILTIN_SOUNDS, "doorbell"}
    assert len(BUILTIN_SOUNDS) == 23
    bad = await call(session, simulator, "sounds.json", "GET", params={"token": "x"})
    assert_rejected(bad, "token", "application token is invalid")


async def send_emergency(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> str:
    """Send a priority-2 message and return its receipt."""
    answer = await send(session, sim, priority="2", retry="60", expire="300", **fields)
    assert answer.status == 200, answer.body
    receipt = answer.body["receipt"]
    assert isinstance(receipt, str)
    assert KEY.fullmatch(receipt)
    return receipt


async def test_receipt_expires_with_the_clock(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A receipt reads open, then expired; only its own app can read it."""
    receipt = await send_emergency(session, simulator)
    query = {"token": TEST_APP_TOKEN}
    answer = await call(
        session, simulator, f"receipts/{receipt}.json", "GET", params=query
    )
    assert answer.body | {"request": ""} == {
        "acknowledged": 0,
        "acknowledged_at": 0,
        "acknowledged_by": "",
        "acknowledged_by_device": "",
        "last_delivered_at": int(START),
        "expired": 0,
        "expires_at": int(START) + 300,
        "called_back": 0,
        "called_back_at": 0,
        "status": 1,
        "request": "",
    }
    clock.now = START + 300
    answer = await call(
        session, simulator, f"receipts/{receipt}.json", "GET", params=query
    )
    assert (answer.body["expired"], answer.body["last_delivered_at"]) == (
        1,
        int(START) + 240,
    )
    for path, token in (
        (f"receipts/{receipt}.json", TEST_OTHER_APP_TOKEN),
        (f"receipts/{UNKNOWN_KEY}.json", TEST_APP_TOKEN),
    ):
        missing = await call(session, simulator, path, "GET", params={"token": token})
        assert missing.status == 404
        assert missing.body["errors"] == [
            "receipt not found; may be invalid or expired"
        ]
    with pytest.raises(ReceiptError):
        await simulator.acknowledge(receipt)


async def test_acknowledge_posts_the_callback(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """acknowledge() POSTs the documented form to the callback URL."""
    received: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        received.append({k: str(v) for k, v in (await request.post()).items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/ack", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{site.port}/ack"
        receipt = await send_emergency(session, simulator, callback=url)
        clock.now = START + 90
        await simulator.acknowledge(receipt, user=TEST_USER_KEY, device="watch")
    finally:
        await runner.cleanup()
    assert received == [
        {
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_at": str(int(START) + 90),
            "acknowledged_by": TEST_USER_KEY,
            "acknowledged_by_device": "watch",
        }
    ]
    query = {"token": TEST_APP_TOKEN}
    answer = await call(
        session, simulator, f"receipts/{receipt}.json", "GET", params=query
    )
    assert (answer.body["acknowledged"], answer.body["called_back"]) == (1, 1)
    assert answer.body["acknowledged_by_device"] == "watch"
    assert answer.body["last_delivered_at"] == int(START) + 60
    with pytest.raises(ReceiptError, match="acknowledged"):
        await simulator.acknowledge(receipt)


async def test_cancel_and_cancel_by_tag(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Cancel one receipt, or every open one of the app carrying a tag."""
    door = [
        await send_emergency(session, simulator, tags="door,alarm") for _ in range(2)
    ]
    other = await send_emergency(session, simulator, tags="smoke")
    data = {"token": TEST_APP_TOKEN}
    answer = await call(
        session, simulator, "receipts/cancel_by_tag/door.json", data=data
    )
    assert (answer.status, answer.body["status"], answer.body["canceled"]) == (
        200,
        1,
        2,
    )
    again = await call(
        session, simulator, "receipts/cancel_by_tag/door.json", data=data
    )
    assert again.body["canceled"] == 0
    assert all(simulator.receipts[r].cancelled for r in door)
    answer = await call(session, simulator, f"receipts/{other}/cancel.json", data=data)
    assert (answer.status, answer.body["status"]) == (200, 1)
    assert simulator.receipts[other].cancelled
    missing = await call(
        session, simulator, f"receipts/{UNKNOWN_KEY}/cancel.json", data=data
    )
    assert missing.status == 404


@pytest.mark.parametrize("token", [TEST_APP_TOKEN, "x"])
async def test_cancel_by_tag_of_several_path_segments_is_not_found(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, token: str
) -> None:
    """An encoded slash makes a tag two segments: no route has that path."""
    await send_emergency(session, simulator, tags="a/b")
    url = simulator.base_url + "receipts/cancel_by_tag/a%2Fb.json"
    async with session.post(URL(url, encoded=True), data={"token": token}) as raw:
        assert raw.status == 404
        body = await raw.json()
    assert (body["status"], body["errors"]) == (0, ["not found"])
    assert not next(iter(simulator.receipts.values())).cancelled


@pytest.mark.parametrize(
    ("status", "body"), [(502, "html"), (503, "empty"), (500, "html")]
)
async def test_fault_fail_next(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, status: int, body: str
) -> None:
    """The next N requests get a 5xx with an HTML or empty body; then all is well."""
    simulator.faults.update({"fail_next": 2, "fail_status": status, "fail_body": body})
    url = simulator.base_url + "messages.json"
    for _ in range(2):
        async with session.post(url, data=message_fields()) as response:
            assert response.status == status
            text = await response.text()
            assert text.startswith("<html>") if body == "html" else text == ""
    assert (await send(session, simulator)).status == 200
    assert len(simulator.messages) == 1
    assert [r.fault for r in simulator.requests] == ["fail", "fail", None]


async def test_fault_malformed_json(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A 200 with a broken JSON body, once."""
    simulator.faults.malformed_next = 1
    url = simulator.base_url + "messages.json"
    async with session.post(url, data=message_fields()) as response:
        assert response.status == 200
        with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
            await response.json()
    assert (await send(session, simulator)).status == 200


@pytest.mark.parametrize("after_processing", [False, True])
async def test_fault_drop_connection(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, after_processing: bool
) -> None:
    """The connection closes mid-body; processed first only when asked."""
    simulator.faults.update({"drop_next": 1, "drop_after_processing": after_processing})
    with pytest.raises(aiohttp.ClientError):
        await send(session, simulator)
    assert len(simulator.messages) == int(after_processing)
    assert (await send(session, simulator)).status == 200


@pytest.mark.parametrize("after_processing", [False, True])
async def test_fault_delay_outlasts_client_timeout(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, after_processing: bool
) -> None:
    """The client gives up; the message went out only if processed first."""
    simulator.faults.update({"delay": 0.5, "delay_after_processing": after_processing})
    timeout = aiohttp.ClientTimeout(total=0.1)
    with pytest.raises(TimeoutError):
        await call(
            session, simulator, "messages.json", data=message_fields(), timeout=timeout
        )
    assert len(simulator.messages) == int(after_processing)
    simulator.faults.delay = 0
    assert (await send(session, simulator)).status == 200
    assert simulator.requests[0].status is None  # the answer was never sent


async def test_fault_rate_limit_and_reject_token(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """429 for the next N sends; every token rejected until switched off."""
    simulator.faults.rate_limit_next = 1
    answer = await send(session, simulator)
    assert (answer.status, answer.body["errors"]) == (429, ["message limit reached"])
    assert "X-Limit-App-Reset" in answer.headers
    simulator.faults.reject_token = True
    assert_rejected(await send(session, simulator), "token", "is invalid")
    query = {"token": TEST_APP_TOKEN}
    limits = await call(session, simulator, "apps/limits.json", "GET", params=query)
    assert_rejected(limits, "token", "is invalid")
    simulator.faults.reject_token = False
    assert (await send(session, simulator)).status == 200


async def control(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    method: str,
    path: str,
    body: Json | None = None,
) -> Answer:
    """Call the /_sim control API."""
    url = sim.root_url + "_sim/" + path
    async with session.request(method, url, json=body) as response:
        return Answer(response.status, response.headers, await response.json())


async def test_control_api_faults_and_state(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """/_sim switches faults and shows state; it is not counted as API traffic."""
    answer = await control(session, simulator, "POST", "faults", {"fail_next": 1})
    assert (answer.status, answer.body["fail_next"]) == (200, 1)
    bad = await control(session, simulator, "POST", "faults", {"fail_status": 404})
    assert bad.status == 400
    url = simulator.base_url + "messages.json"
    async with session.post(url, data=message_fields()) as response:
        assert response.status == 503
    assert (await send(session, simulator)).status == 200
    answer = await control(session, simulator, "POST", "remaining", {"remaining": 7})
    assert answer.body["remaining"] == 7
    state = (await control(session, simulator, "GET", "state")).body
    assert [m["message"] for m in state["messages"]] == ["Door open"]
    assert state["quota"]["remaining"] == 7
    assert len(simulator.requests) == 2
    await control(session, simulator, "POST", "faults", {"reject_token": True})
    cleared = await control(session, simulator, "DELETE", "faults")
    assert cleared.body["reject_token"] is False
    await control(session, simulator, "POST", "reset")
    assert (simulator.messages, simulator.requests, simulator.remaining) == (
        [],
        [],
        10000,
    )


async def test_control_api_acknowledge(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """/_sim/acknowledge acknowledges as a recipient's device would."""
    receipt = await send_emergency(session, simulator, user=TEST_GROUP_KEY)
    body = {"receipt": receipt, "user": TEST_SECOND_USER_KEY, "device": "phone"}
    wrong_device = await control(session, simulator, "POST", "acknowledge", body)
    assert wrong_device.status == 400
    body["device"] = "laptop"
    answer = await control(session, simulator, "POST", "acknowledge", body)
    assert answer.status == 200
    assert (answer.body["acknowledged"], answer.body["acknowledged_by"]) == (
        1,
        TEST_SECOND_USER_KEY,
    )
    assert simulator.receipts[receipt].acknowledged_by_device == "laptop"


async def test_concurrency_and_connections(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Peak in-flight requests and accepted connections are counted."""
    simulator.faults.delay = 0.2
    answers = await asyncio.gather(*(send(session, simulator) for _ in range(3)))
    assert [a.status for a in answers] == [200] * 3
    assert simulator.max_concurrent_requests == 3
    assert simulator.connections_opened == 3
    simulator.faults.delay = 0
    for _ in range(3):
        await send(session, simulator)
    assert simulator.connections_opened == 3  # keep-alive reuses them
    assert simulator.max_concurrent_requests == 3


async def test_unknown_path_and_wrong_method(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Unknown paths answer 404 JSON; a wrong method 405 JSON."""
    missing = await call(session, simulator, "teams/add_user.json")
    assert (missing.status, missing.body["status"]) == (404, 0)
    wrong = await call(session, simulator, "messages.json", "DELETE")
    assert (wrong.status, wrong.body["status"]) == (405, 0)


@pytest.mark.usefixtures("socket_enabled")
async def test_context_manager() -> None:
    """`async with` starts on a free port and stops on exit."""
    async with PushoverSimulator(monthly_limit=25) as sim:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/1/", sim.base_url)
        assert sim.remaining == 25
    with pytest.raises(RuntimeError):
        _ = sim.base_url
