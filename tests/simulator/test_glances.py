"""The simulator's Glances API (glances.json), over real HTTP."""

from typing import Any

import aiohttp
import pytest

from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBERS,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
    Widget,
)
from pushover_simulator.glances import NO_GLANCE_DATA

from . import START, FakeClock
from .inbox import Reply, api

UNKNOWN_KEY = "Zz0" * 10

type Json = dict[str, Any]


async def glance(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str | None
) -> Reply:
    """POST glances.json to the test user, with fields added (None removes one)."""
    base: dict[str, str | None] = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY}
    data = {name: value for name, value in {**base, **fields}.items() if value}
    async with session.post(sim.base_url + "glances.json", data=data) as response:
        assert "X-Limit-App-Remaining" not in response.headers
        return Reply(response.status, await response.json())


async def test_a_glance_is_accepted_recorded_and_shown(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """All five fields: status 1, the record, the widget, no quota spent."""
    reply = await glance(
        session,
        simulator,
        title="Garage",
        text="Door open",
        subtext="since 10:42",
        count="-3",
        percent="75",
    )
    assert (reply.status, reply.body["status"]) == (200, 1)
    [record] = simulator.glances
    assert record.request == reply.body["request"]
    assert record.values() == {
        "title": "Garage",
        "text": "Door open",
        "subtext": "since 10:42",
        "count": -3,
        "percent": 75,
    }
    assert (record.recipients, record.devices, record.received_at) == (
        [TEST_USER_KEY],
        [],
        START,
    )
    assert simulator.state.glances.latest == {Widget(TEST_USER_KEY, None): record}
    assert simulator.remaining == 10000
    assert [(r.method, r.path, r.status) for r in simulator.requests] == [
        ("POST", "/1/glances.json", 200)
    ]


async def test_the_latest_glance_replaces_the_widgets_data(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A later glance shows alone: fields it leaves out are shown empty."""
    await glance(session, simulator, title="Garage", text="Door open")
    clock.now = START + 1200
    await glance(session, simulator, count="7")
    async with session.get(simulator.root_url + "_sim/phone/state") as raw:
        widgets: list[Json] = (await raw.json())["glances"]
    assert widgets == [
        {
            "user": TEST_USER_KEY,
            "device": None,
            "title": None,
            "text": None,
            "subtext": None,
            "count": 7,
            "percent": None,
            "app": "Pushover Plus Test",
            "request": simulator.glances[1].request,
            "updated_at": START + 1200,
        }
    ]
    assert len(simulator.glances) == 2


async def test_each_device_and_group_member_has_its_widget(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A device names its widget; a group reaches each enabled member."""
    assert (await glance(session, simulator, device="watch", text="On")).status == 200
    assert (
        await glance(session, simulator, user=TEST_GROUP_KEY, text="All")
    ).status == 200
    latest = simulator.state.glances.latest
    assert set(latest) == {
        Widget(TEST_USER_KEY, "watch"),
        *(Widget(member, None) for member in TEST_GROUP_MEMBERS),
    }
    assert latest[Widget(TEST_USER_KEY, "watch")].text == "On"


async def test_a_json_glance_takes_numbers(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """JSON bodies work as for messages; limits are inclusive."""
    body = {
        "token": TEST_APP_TOKEN,
        "user": TEST_USER_KEY,
        "title": "🔔" * 100,
        "percent": 100,
        "count": 0,
    }
    reply = await api(session, simulator, "glances.json", json=body)
    assert reply.status == 200
    [record] = simulator.glances
    assert (record.encoding, record.percent, record.count) == ("json", 100, 0)


@pytest.mark.parametrize(
    ("fields", "flag", "error"),
    [
        ({}, None, NO_GLANCE_DATA),
        ({"title": ""}, None, NO_GLANCE_DATA),
        ({"title": "t" * 101}, "title", "title is too long, maximum is 100 characters"),
        ({"text": "🔔" * 101}, "text", "text is too long, maximum is 100 characters"),
        ({"subtext": "s" * 101}, "subtext", "maximum is 100 characters"),
        ({"count": "1.5"}, "count", "count must be an integer"),
        ({"count": "many"}, "count", "count must be an integer"),
        ({"percent": "-1"}, "percent", "percent must be at least 0"),
        ({"percent": "101"}, "percent", "percent must be at most 100"),
        ({"percent": "50%"}, "percent", "percent must be an integer"),
        ({"user": UNKNOWN_KEY, "text": "x"}, "user", "not a valid user, group"),
        ({"user": None, "text": "x"}, "user", "not a valid user, group"),
        ({"device": "laptop", "text": "x"}, "device", "not valid for user"),
        ({"device": "my watch", "text": "x"}, "device", "device name is invalid"),
        ({"token": UNKNOWN_KEY, "text": "x"}, "token", "application token is invalid"),
    ],
)
async def test_glance_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    fields: dict[str, str | None],
    flag: str | None,
    error: str,
) -> None:
    """Each rule answers 400 with Pushover's error shape; nothing is shown."""
    reply = await glance(session, simulator, **fields)
    assert (reply.status, reply.body["status"]) == (400, 0)
    assert any(error in text for text in reply.body["errors"]), reply.body
    if flag is not None:
        assert reply.body[flag] == "invalid"
    assert simulator.glances == []


async def test_unreadable_glance_body_and_reset(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A body Pushover could not read is refused; a reset forgets glances."""
    headers = {"Content-Type": "text/plain"}
    url = simulator.base_url + "glances.json"
    async with session.post(url, data=b"text", headers=headers) as response:
        assert response.status == 415
    await glance(session, simulator, user=TEST_SECOND_USER_KEY, text="Hi")
    simulator.reset()
    assert (simulator.glances, simulator.state.glances.latest) == ([], {})
