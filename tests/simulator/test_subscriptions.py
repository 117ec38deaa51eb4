"""The simulator's subscriptions: the page, its redirects and subscriber keys."""

import html
import re
from typing import Any

import aiohttp
import pytest
from yarl import URL

from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_SUBSCRIPTION_CODE,
    TEST_USER_KEY,
    PushoverSimulator,
    SubscriptionError,
)
from pushover_simulator.rules import USER_INVALID
from pushover_simulator.subscriptions import (
    NOT_THEIR_DEVICE,
    UNKNOWN_ACCOUNT,
    UNKNOWN_SUBSCRIPTION,
)

from .inbox import Client, Reply, api, download, log_in, register

SUCCESS = "https://home.example/auth/pushover?flow=abc"
FAILURE = "https://home.example/auth/pushover?flow=abc&declined=1"
USER_KEY = re.compile(r"u[A-Za-z0-9]{29}")

type Json = dict[str, Any]


async def page(
    session: aiohttp.ClientSession, url: str
) -> tuple[int, str, aiohttp.ClientResponse]:
    """GET a page; return its status, text and response."""
    async with session.get(url) as response:
        return response.status, await response.text(), response


async def answer(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    code: str = TEST_SUBSCRIPTION_CODE,
    **form: str,
) -> aiohttp.ClientResponse:
    """POST the subscription page's form, not following the redirect."""
    fields = {"success": SUCCESS, "failure": FAILURE, "choice": "subscribe", **form}
    fields = {name: value for name, value in fields.items() if value}
    url = sim.root_url + f"subscribe/{code}"
    async with session.post(url, data=fields, allow_redirects=False) as response:
        await response.read()
        return response


def returned_key(response: aiohttp.ClientResponse) -> str:
    """Check the redirect to `success` and return the key it carries."""
    assert response.status == 303
    location = URL(response.headers["Location"])
    assert location.with_query(None) == URL(SUCCESS).with_query(None)
    assert location.query["flow"] == "abc"
    key = location.query["pushover_user_key"]
    assert USER_KEY.fullmatch(key)
    return key


async def send(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    user: str,
    token: str = TEST_APP_TOKEN,
    **fields: str,
) -> Reply:
    """POST a message to a key with a token."""
    data = {"token": token, "user": user, "message": "Hello", **fields}
    return await api(session, sim, "messages.json", data=data)


async def test_the_page_asks_and_is_not_api_traffic(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The page names the app, offers each account and device, needs no script."""
    url = simulator.subscribe_url(TEST_SUBSCRIPTION_CODE, SUCCESS, FAILURE)
    status, text, response = await page(session, url)
    assert status == 200
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "form-action" not in policy
    assert "default-src 'none'" in policy
    assert "<script" not in text
    assert "Pushover Plus Test" in text
    assert f'value="{TEST_USER_KEY}:"' in text
    assert f'value="{TEST_USER_KEY}:watch"' in text
    assert f'name="success" value="{SUCCESS}"' in text
    assert f'name="failure" value="{html.escape(FAILURE)}"' in text
    assert 'value="subscribe"' in text
    assert 'value="decline"' in text
    async with session.get(simulator.root_url + "_sim/static/subscribe.css") as css:
        assert (css.status, css.content_type) == (200, "text/css")
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ({}, ["success is required", "failure is required"]),
        ({"success": SUCCESS}, ["failure is required"]),
        ({"success": "/relative", "failure": FAILURE}, ["success must be an absolute"]),
        (
            {"success": SUCCESS, "failure": "javascript:alert(1)"},
            ["failure must be an absolute"],
        ),
        (
            {"success": "ftp://example.com/", "failure": "http://"},
            ["success", "failure"],
        ),
    ],
)
async def test_a_web_subscription_needs_its_redirects(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    query: dict[str, str],
    problems: list[str],
) -> None:
    """Without two http(s) URLs the page says so and goes nowhere."""
    url = URL(simulator.root_url + f"subscribe/{TEST_SUBSCRIPTION_CODE}")
    status, text, _ = await page(session, str(url.with_query(query)))
    assert status == 400
    assert "<form" not in text
    shown = re.findall(r"<li>(.*?)</li>", text)
    assert len(shown) == len(problems)
    assert all(
        item.startswith(problem) for item, problem in zip(shown, problems, strict=True)
    )
    response = await answer(session, simulator, success="", failure="")
    assert response.status == 400


async def test_an_unknown_code_is_not_found(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """No application has the code: 404, for the page and its form."""
    status, text, _ = await page(session, simulator.subscribe_url("Nobody-123"))
    assert status == 404
    assert "Nobody-123" in text
    assert (await answer(session, simulator, "Nobody-123")).status == 404


async def test_subscribing_returns_a_key_for_this_app_only(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The key comes back in `success`; it works with the app, not with others."""
    key = returned_key(await answer(session, simulator, subscriber=f"{TEST_USER_KEY}:"))
    assert (await send(session, simulator, key)).status == 200
    [message] = simulator.messages
    assert (message.recipients, message.routes[0].user) == ([key], TEST_USER_KEY)
    refused = await send(session, simulator, key, TEST_OTHER_APP_TOKEN)
    assert (refused.status, refused.body["errors"]) == (400, [USER_INVALID])
    validated = await api(
        session,
        simulator,
        "users/validate.json",
        data={"token": TEST_APP_TOKEN, "user": key},
    )
    assert (validated.body["group"], validated.body["devices"]) == (
        0,
        ["phone", "tablet", "watch"],
    )
    again = returned_key(
        await answer(session, simulator, subscriber=f"{TEST_USER_KEY}:phone")
    )
    assert again == key
    assert simulator.state.directory.subscribers[key].device == "phone"


async def test_declining_goes_to_failure(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Decline: the browser goes to `failure` as given; nobody subscribed."""
    response = await answer(session, simulator, choice="decline")
    assert (response.status, response.headers["Location"]) == (303, FAILURE)
    assert simulator.state.directory.subscribers == {}


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"choice": "maybe"}, "choose Subscribe or Decline"),
        ({"subscriber": "nobody:"}, UNKNOWN_ACCOUNT),
        ({"subscriber": f"{TEST_USER_KEY}:laptop"}, NOT_THEIR_DEVICE),
    ],
)
async def test_a_wrong_form_is_refused(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    form: dict[str, str],
    problem: str,
) -> None:
    """A choice, account or device the page did not offer: 400, no redirect."""
    url = simulator.root_url + f"subscribe/{TEST_SUBSCRIPTION_CODE}"
    fields = {"success": SUCCESS, "failure": FAILURE, "choice": "subscribe"}
    async with session.post(url, data={**fields, **form}, allow_redirects=False) as raw:
        assert raw.status == 400
        assert html.escape(problem) in await raw.text()
    assert simulator.state.directory.subscribers == {}


async def test_a_chosen_device_is_the_only_one_reached(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A subscriber on one device: messages reach that device only."""
    secret = await log_in(session, simulator)
    inbox_id = await register(session, simulator, secret, "inbox")
    key = returned_key(
        await answer(session, simulator, subscriber=f"{TEST_USER_KEY}:inbox")
    )
    phone_key = simulator.subscribe(
        TEST_SUBSCRIPTION_CODE, TEST_SECOND_USER_KEY, "laptop"
    ).key
    await send(session, simulator, f"{key},{phone_key}")
    routes = simulator.messages[0].routes
    assert [(r.key, r.user, r.devices) for r in routes] == [
        (key, TEST_USER_KEY, ("inbox",)),
        (phone_key, TEST_SECOND_USER_KEY, ("laptop",)),
    ]
    downloaded = await download(session, simulator, Client(secret, inbox_id))
    assert [m["message"] for m in downloaded.body["messages"]] == ["Hello"]


async def test_a_group_subscription_adds_the_key_to_its_group(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """No redirects needed; the subscriber's key joins the group and receives."""
    status, text, _ = await page(
        session, simulator.subscribe_url(TEST_GROUP_SUBSCRIPTION_CODE)
    )
    assert status == 200
    assert "group-based" in text
    url = simulator.root_url + f"subscribe/{TEST_GROUP_SUBSCRIPTION_CODE}"
    form = {"choice": "subscribe", "subscriber": f"{TEST_GROUP_MEMBER_KEY}:pager"}
    async with session.post(url, data=form) as raw:
        assert raw.status == 200
        assert "You are subscribed." in await raw.text()
    [subscriber] = simulator.state.directory.subscribers.values()
    group = await api(
        session,
        simulator,
        f"groups/{TEST_SUBSCRIBERS_GROUP_KEY}.json",
        "GET",
        params={"token": TEST_OTHER_APP_TOKEN},
    )
    assert group.body["users"] == [
        {"user": subscriber.key, "device": "pager", "memo": "", "disabled": False}
    ]
    assert (await send(session, simulator, TEST_SUBSCRIBERS_GROUP_KEY)).status == 200
    assert simulator.messages[-1].recipients == [subscriber.key]
    assert (
        await send(session, simulator, subscriber.key, TEST_OTHER_APP_TOKEN)
    ).status == 200
    assert (await send(session, simulator, subscriber.key)).status == 400
    async with session.post(url, data={**form, "choice": "decline"}) as raw:
        assert "You did not subscribe." in await raw.text()


async def test_a_subscriber_acknowledges_under_their_subscription_key(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The receipt names the key the sender knows, not the subscriber's own."""
    key = simulator.subscribe(TEST_SUBSCRIPTION_CODE).key
    emergency = {"priority": "2", "retry": "60", "expire": "600"}
    receipt = (await send(session, simulator, key, **emergency)).body["receipt"]
    acknowledged = await simulator.acknowledge(receipt, TEST_USER_KEY, "tablet")
    assert acknowledged.acknowledged_by == key
    secret = await log_in(session, simulator)
    await register(session, simulator, secret, "inbox")
    other = (await send(session, simulator, key, **emergency)).body["receipt"]
    reply = await api(
        session,
        simulator,
        f"receipts/{other}/acknowledge.json",
        data={"secret": secret},
    )
    assert reply.status == 200
    assert simulator.receipts[other].acknowledged_by == key
    assert simulator.receipts[other].acknowledged_by_device == "inbox"


async def test_the_control_api_subscribes_and_unsubscribes(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Subscribe without a browser; unsubscribing deletes the key everywhere."""
    url = simulator.root_url + "_sim/subscriptions"
    body = {"code": TEST_GROUP_SUBSCRIPTION_CODE, "user": TEST_SECOND_USER_KEY}
    async with session.post(url, json=body) as raw:
        assert raw.status == 200
        subscribed: Json = await raw.json()
    key = subscribed["key"]
    assert (subscribed["device"], subscribed["code"]) == (
        None,
        TEST_GROUP_SUBSCRIPTION_CODE,
    )
    assert [m.user for m in simulator.groups[TEST_SUBSCRIBERS_GROUP_KEY].members] == [
        key
    ]
    async with session.delete(f"{url}/{key}") as raw:
        assert raw.status == 200
    assert simulator.groups[TEST_SUBSCRIBERS_GROUP_KEY].members == []
    reply = await send(session, simulator, key, TEST_OTHER_APP_TOKEN)
    assert (reply.status, reply.body["errors"]) == (400, [USER_INVALID])
    async with session.delete(f"{url}/{key}") as raw:
        assert raw.status == 404
    for wrong in (
        {"code": "Nobody-1", "user": TEST_USER_KEY},
        {"code": TEST_SUBSCRIPTION_CODE, "user": TEST_USER_KEY, "device": 3},
        {"code": TEST_SUBSCRIPTION_CODE},
    ):
        async with session.post(url, json=wrong) as raw:
            assert raw.status == 400
    with pytest.raises(SubscriptionError, match=UNKNOWN_SUBSCRIPTION):
        simulator.subscribe("Nobody-1")
    with pytest.raises(KeyError):
        simulator.unsubscribe(key)


async def test_the_phone_lists_subscriptions_and_reset_forgets_subscribers(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Each subscription with its page and subscribers; a reset removes them."""
    key = simulator.subscribe(TEST_SUBSCRIPTION_CODE, TEST_USER_KEY, "watch").key
    async with session.get(simulator.root_url + "_sim/phone/state") as raw:
        shown: list[Json] = (await raw.json())["subscriptions"]
    assert shown[0] == {
        "code": TEST_SUBSCRIPTION_CODE,
        "token": TEST_APP_TOKEN,
        "app": "Pushover Plus Test",
        "kind": "web",
        "group": None,
        "subscribers": [{"key": key, "user": TEST_USER_KEY, "device": "watch"}],
        "page": f"/subscribe/{TEST_SUBSCRIPTION_CODE}",
    }
    assert (shown[1]["kind"], shown[1]["group"]) == (
        "group",
        TEST_SUBSCRIBERS_GROUP_KEY,
    )
    simulator.reset()
    assert simulator.state.directory.subscribers == {}
