"""The simulator's Groups API and group delivery, over real HTTP."""

import re
from typing import Any

import aiohttp
import pytest

from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_MEMBERS,
    TEST_GROUP_NAME,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_SUBSCRIBERS_GROUP_NAME,
    TEST_USER_KEY,
    PushoverSimulator,
)
from pushover_simulator.groups import (
    ALREADY_A_MEMBER,
    GROUP_AS_MEMBER,
    GROUP_INVALID,
    NAME_BLANK,
    NOT_A_MEMBER,
)
from pushover_simulator.rules import GROUP_HAS_NO_MEMBERS

from .inbox import Reply, api, download, new_client, send

GROUP_KEY = re.compile(r"g[A-Za-z0-9]{29}")
UNKNOWN_KEY = "Zz0" * 10

type Json = dict[str, Any]


async def post(
    session: aiohttp.ClientSession, sim: PushoverSimulator, path: str, **fields: str
) -> Reply:
    """POST a Groups API call with the test app's token."""
    return await api(session, sim, path, data={"token": TEST_APP_TOKEN, **fields})


async def info(
    session: aiohttp.ClientSession, sim: PushoverSimulator, key: str
) -> Reply:
    """GET groups/{key}.json."""
    query = {"token": TEST_APP_TOKEN}
    return await api(session, sim, f"groups/{key}.json", "GET", params=query)


async def new_group(
    session: aiohttp.ClientSession, sim: PushoverSimulator, name: str = "On call"
) -> str:
    """Create a group (expecting success); return its key."""
    reply = await post(session, sim, "groups.json", name=name)
    assert reply.status == 200, reply.body
    key: str = reply.body["group"]
    return key


def assert_refused(reply: Reply, flag: str, error: str) -> None:
    """Pushover's failure: HTTP 400, status 0, the error, the field flagged."""
    assert (reply.status, reply.body["status"]) == (400, 0), reply.body
    assert reply.body["errors"] == [error]
    assert reply.body[flag] == "invalid"


async def test_the_test_group_is_a_managed_group(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The configured group lists its members; groups.json lists both groups."""
    reply = await info(session, simulator, TEST_GROUP_KEY)
    assert (reply.status, reply.body["status"]) == (200, 1)
    assert reply.body["name"] == TEST_GROUP_NAME
    assert reply.body["users"] == [
        {"user": member, "device": None, "memo": "", "disabled": False}
        for member in TEST_GROUP_MEMBERS
    ]
    listed = await api(
        session, simulator, "groups.json", "GET", params={"token": TEST_APP_TOKEN}
    )
    assert listed.body["groups"] == [
        {"group": TEST_GROUP_KEY, "name": TEST_GROUP_NAME},
        {"group": TEST_SUBSCRIBERS_GROUP_KEY, "name": TEST_SUBSCRIBERS_GROUP_NAME},
    ]


async def test_create_add_rename_and_read(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A new group gets a key; members, memos, devices and the name are kept."""
    key = await new_group(session, simulator)
    assert GROUP_KEY.fullmatch(key)
    assert (await info(session, simulator, key)).body["users"] == []
    for fields in (
        {"user": TEST_USER_KEY, "device": "watch", "memo": "Ann's watch"},
        {"user": TEST_USER_KEY, "device": "phone"},
        {"user": TEST_SECOND_USER_KEY, "memo": "✉ bob@example.com " + "x" * 181},
    ):
        reply = await post(session, simulator, f"groups/{key}/add_user.json", **fields)
        assert (reply.status, reply.body["status"]) == (200, 1), reply.body
    renamed = await post(session, simulator, f"groups/{key}/rename.json", name="Night")
    assert renamed.status == 200
    body = (await info(session, simulator, key)).body
    assert body["name"] == "Night"
    assert body["users"] == [
        {
            "user": TEST_USER_KEY,
            "device": "watch",
            "memo": "Ann's watch",
            "disabled": False,
        },
        {"user": TEST_USER_KEY, "device": "phone", "memo": "", "disabled": False},
        {
            "user": TEST_SECOND_USER_KEY,
            "device": None,
            "memo": "✉ bob@example.com " + "x" * 181,
            "disabled": False,
        },
    ]


@pytest.mark.parametrize(
    ("fields", "flag", "error"),
    [
        ({}, "name", NAME_BLANK),
        ({"name": "  "}, "name", NAME_BLANK),
        ({"name": "n" * 201}, "name", "name is too long, maximum is 200 characters"),
        (
            {"name": "Ok", "token": UNKNOWN_KEY},
            "token",
            "application token is invalid, see https://pushover.net/api",
        ),
    ],
)
async def test_create_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    flag: str,
    error: str,
) -> None:
    """A name of 1 to 200 characters and an app token are needed."""
    assert_refused(await post(session, simulator, "groups.json", **fields), flag, error)
    assert len(simulator.groups) == 2


@pytest.mark.parametrize(
    ("fields", "flag", "error"),
    [
        ({}, "user", "user identifier is not a valid user"),
        ({"user": UNKNOWN_KEY}, "user", "user identifier is not a valid user"),
        ({"user": "u1"}, "user", "user identifier is not a valid user"),
        ({"user": TEST_SUBSCRIBERS_GROUP_KEY}, "user", GROUP_AS_MEMBER),
        (
            {"user": TEST_USER_KEY, "device": "laptop"},
            "device",
            "device name is not valid for user",
        ),
        (
            {"user": TEST_USER_KEY, "device": "my phone"},
            "device",
            "device name is invalid",
        ),
        (
            {"user": TEST_USER_KEY, "memo": "m" * 201},
            "memo",
            "memo is too long, maximum is 200 characters",
        ),
        ({"user": TEST_USER_KEY}, "user", ALREADY_A_MEMBER),
    ],
)
async def test_add_user_rules(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    flag: str,
    error: str,
) -> None:
    """Only a user's key, a device of theirs and a memo of 200 characters."""
    path = f"groups/{TEST_GROUP_KEY}/add_user.json"
    reply = await post(session, simulator, path, **fields)
    assert (reply.status, reply.body["status"]) == (400, 0), reply.body
    assert any(text.startswith(error) for text in reply.body["errors"]), reply.body
    assert reply.body[flag] == "invalid"
    assert len(simulator.groups[TEST_GROUP_KEY].members) == 3


@pytest.mark.parametrize(
    "path",
    [
        "groups/{key}.json",
        "groups/{key}/add_user.json",
        "groups/{key}/remove_user.json",
        "groups/{key}/disable_user.json",
        "groups/{key}/enable_user.json",
        "groups/{key}/rename.json",
    ],
)
async def test_an_unknown_group_or_token_is_refused(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, path: str
) -> None:
    """Every call names its group in the path and needs an app token."""
    method = "GET" if path.endswith("}.json") else "POST"
    fields = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, "name": "X"}
    kwargs = {"params": fields} if method == "GET" else {"data": fields}
    unknown = await api(
        session, simulator, path.format(key=UNKNOWN_KEY), method, **kwargs
    )
    assert_refused(unknown, "group", GROUP_INVALID)
    no_token = {**fields, "token": "x"}
    kwargs = {"params": no_token} if method == "GET" else {"data": no_token}
    refused = await api(
        session, simulator, path.format(key=TEST_GROUP_KEY), method, **kwargs
    )
    assert_refused(
        refused, "token", "application token is invalid, see https://pushover.net/api"
    )


async def test_remove_one_device_or_every_entry(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """With a device only that entry goes; without one, all of the user's."""
    key = await new_group(session, simulator)
    for device in ("watch", "phone"):
        await post(
            session,
            simulator,
            f"groups/{key}/add_user.json",
            user=TEST_USER_KEY,
            device=device,
        )
    await post(
        session, simulator, f"groups/{key}/add_user.json", user=TEST_SECOND_USER_KEY
    )
    path = f"groups/{key}/remove_user.json"
    assert (
        await post(session, simulator, path, user=TEST_USER_KEY, device="watch")
    ).status == 200
    assert [(m.user, m.device) for m in simulator.groups[key].members] == [
        (TEST_USER_KEY, "phone"),
        (TEST_SECOND_USER_KEY, None),
    ]
    assert (await post(session, simulator, path, user=TEST_USER_KEY)).status == 200
    assert [m.user for m in simulator.groups[key].members] == [TEST_SECOND_USER_KEY]
    for fields in (
        {"user": TEST_USER_KEY},
        {"user": TEST_SECOND_USER_KEY, "device": "laptop"},
    ):
        assert_refused(
            await post(session, simulator, path, **fields), "user", NOT_A_MEMBER
        )
    assert_refused(
        await post(session, simulator, path, user="bad"),
        "user",
        "user identifier is not a valid user, group, or subscribed user key, "
        "see https://pushover.net/api#identifiers",
    )


async def test_a_group_send_reaches_each_enabled_member(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """One message per enabled member; disabled ones get none until enabled."""
    disable = f"groups/{TEST_GROUP_KEY}/disable_user.json"
    enable = f"groups/{TEST_GROUP_KEY}/enable_user.json"
    assert (
        await post(session, simulator, disable, user=TEST_SECOND_USER_KEY)
    ).status == 200
    assert (
        await post(session, simulator, disable, user=TEST_SECOND_USER_KEY)
    ).status == 200
    assert (await info(session, simulator, TEST_GROUP_KEY)).body["users"][1]["disabled"]
    answer = await send(session, simulator, user=TEST_GROUP_KEY)
    assert answer["status"] == 1
    assert simulator.messages[-1].recipients == [TEST_USER_KEY, TEST_GROUP_MEMBER_KEY]
    assert simulator.remaining == 9998
    assert (
        await post(session, simulator, enable, user=TEST_SECOND_USER_KEY)
    ).status == 200
    await send(session, simulator, user=TEST_GROUP_KEY)
    assert simulator.messages[-1].recipients == list(TEST_GROUP_MEMBERS)
    assert simulator.remaining == 9995
    assert_refused(
        await post(session, simulator, enable, user=TEST_USER_KEY, device="watch"),
        "user",
        NOT_A_MEMBER,
    )


async def test_a_group_without_active_members_cannot_be_sent_to(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """An empty group (or one with every entry disabled) reaches nobody."""
    key = await new_group(session, simulator)
    data = {"token": TEST_APP_TOKEN, "user": key, "message": "Hi"}
    reply = await api(session, simulator, "messages.json", data=data)
    assert_refused(reply, "user", GROUP_HAS_NO_MEMBERS)
    await post(session, simulator, f"groups/{key}/add_user.json", user=TEST_USER_KEY)
    await post(
        session, simulator, f"groups/{key}/disable_user.json", user=TEST_USER_KEY
    )
    reply = await api(session, simulator, "messages.json", data=data)
    assert_refused(reply, "user", GROUP_HAS_NO_MEMBERS)
    assert simulator.messages == []


async def test_a_members_device_limits_what_it_receives(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """An entry with a device receives there only; validate lists those devices."""
    key = await new_group(session, simulator)
    await post(
        session,
        simulator,
        f"groups/{key}/add_user.json",
        user=TEST_USER_KEY,
        device="watch",
    )
    await post(
        session, simulator, f"groups/{key}/add_user.json", user=TEST_SECOND_USER_KEY
    )
    inbox = await new_client(session, simulator, "inbox")
    await send(session, simulator, user=key)
    [route_one, route_two] = simulator.messages[-1].routes
    assert (route_one.key, route_one.devices) == (TEST_USER_KEY, ("watch",))
    assert (route_two.key, route_two.devices) == (TEST_SECOND_USER_KEY, ())
    assert (await download(session, simulator, inbox)).body["messages"] == []
    await send(session, simulator, user=TEST_USER_KEY)
    assert len((await download(session, simulator, inbox)).body["messages"]) == 1
    validated = await api(
        session,
        simulator,
        "users/validate.json",
        data={"token": TEST_OTHER_APP_TOKEN, "user": key},
    )
    assert (validated.body["group"], validated.body["devices"]) == (
        1,
        ["watch", "laptop"],
    )


async def test_reset_restores_the_configured_groups(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Run-time groups and changes go; the test group is as configured."""
    await new_group(session, simulator)
    await post(
        session, simulator, f"groups/{TEST_GROUP_KEY}/rename.json", name="Renamed"
    )
    async with session.get(simulator.root_url + "_sim/phone/state") as raw:
        shown: list[Json] = (await raw.json())["groups"]
    assert [group["name"] for group in shown] == [
        "Renamed",
        TEST_SUBSCRIBERS_GROUP_NAME,
        "On call",
    ]
    simulator.reset()
    assert list(simulator.groups) == [TEST_GROUP_KEY, TEST_SUBSCRIBERS_GROUP_KEY]
    assert simulator.groups[TEST_GROUP_KEY].name == TEST_GROUP_NAME
    assert_refused(
        await post(
            session, simulator, f"groups/{TEST_GROUP_KEY}/rename.json", name=" "
        ),
        "name",
        NAME_BLANK,
    )


async def test_a_user_in_a_group_twice_receives_once_on_each_device(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Two entries, two devices: one recipient, one message, both devices."""
    key = await new_group(session, simulator)
    add = f"groups/{key}/add_user.json"
    for device in ("watch", "phone"):
        await post(session, simulator, add, user=TEST_USER_KEY, device=device)
    await send(session, simulator, user=key)
    [route] = simulator.messages[-1].routes
    assert (route.key, route.devices) == (TEST_USER_KEY, ("watch", "phone"))
    assert simulator.remaining == 9999
    await post(session, simulator, add, user=TEST_USER_KEY)
    await send(session, simulator, user=key)
    [route] = simulator.messages[-1].routes
    assert route.devices == ()
