"""The Pushover client over real HTTP against the simulator."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
import logging

import aiohttp
import pytest

from custom_components.pushover_plus.api import (
    Attachment,
    Glance,
    GroupMember,
    Limits,
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    PushoverTemporaryError,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBERS,
    TEST_GROUP_NAME,
    TEST_NO_DEVICE_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\1" * 100


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Open a plain aiohttp session, like Home Assistant's shared one."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(
    session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> PushoverClient:
    """Return a client for the simulator's test application."""
    return PushoverClient(session, TEST_APP_TOKEN, base_url=simulator.base_url)


async def test_send_reports_request_and_limits(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """An accepted message gives its request id and the quota headers."""
    seen: list[Limits] = []
    client.on_limits = seen.append

    result = await client.send([TEST_USER_KEY], Message(message="Hi"))

    assert result.request_id == simulator.messages[-1].request
    assert result.receipt is None
    assert result.limits is not None
    assert result.limits.remaining == simulator.remaining
    assert seen == [result.limits]


async def test_text_arrives_exactly_as_form_fields(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """Text that needs quoting arrives unchanged, in a urlencoded form body."""
    text = "Wäsche fertig ✓ 100% & more = a+b?\n<b>x</b> #1 😀"
    message = Message(
        message=text,
        title="ça/va? a&b=c",
        url="https://example.com/?a=1&b=2 3",
        url_title="Öffnen",
    )

    await client.send([TEST_USER_KEY], message)

    received = simulator.messages[-1]
    assert received.encoding == "form"
    assert received.message == text
    assert received.title == "ça/va? a&b=c"
    assert received.url == "https://example.com/?a=1&b=2 3"
    assert received.url_title == "Öffnen"


async def test_attachment_is_a_multipart_file_part(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """An image goes as a file part of a multipart body, with its type."""
    message = Message(
        message="Motion",
        attachment=Attachment(
            content=PNG, content_type="image/png", filename="motion.png"
        ),
    )

    await client.send([TEST_USER_KEY], message)

    received = simulator.messages[-1]
    assert received.encoding == "multipart"
    assert received.attachment == PNG
    assert received.attachment_type == "image/png"


def test_an_attachment_is_shown_without_its_bytes() -> None:
    """A message logged or shown in a traceback does not dump its image."""
    attachment = Attachment(
        content=PNG, content_type="image/png", filename="motion.png"
    )

    assert repr(attachment) == (
        "Attachment(content_type='image/png', filename='motion.png', size=108)"
    )


async def test_validate_user_and_group(client: PushoverClient) -> None:
    """Validation lists a user's devices and tells a group apart."""
    user = await client.validate_user(TEST_USER_KEY)
    group = await client.validate_user(TEST_GROUP_KEY)

    assert user.devices == list(TEST_DEVICES)
    assert not user.is_group
    assert group.is_group


async def test_validate_user_without_active_devices(client: PushoverClient) -> None:
    """A valid key that no device is logged in with has no devices, not an error."""
    info = await client.validate_user(TEST_NO_DEVICE_USER_KEY)

    assert info.devices == []


async def test_validate_unknown_device(client: PushoverClient) -> None:
    """A device that is not the user's is refused with Pushover's flag."""
    with pytest.raises(PushoverInvalidRequestError) as err:
        await client.validate_user(TEST_USER_KEY, "toaster")

    assert err.value.fields.get("device") == "invalid"
    assert err.value.request_id


async def test_limits_and_sounds(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """The quota and the sounds are read from their endpoints."""
    limits = await client.limits()
    sounds = await client.sounds()

    assert limits.remaining == simulator.remaining
    assert limits.reset > datetime.now(UTC)
    assert "siren" in sounds


async def test_receipt_lifecycle(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """An emergency's receipt can be read, acknowledged and cancelled."""
    emergency = Message(
        message="Fire", priority=2, retry=30, expire=300, tags=("fire",)
    )
    first = await client.send([TEST_USER_KEY], emergency)
    second = await client.send([TEST_USER_KEY], emergency)
    assert first.receipt is not None
    assert second.receipt is not None

    await simulator.acknowledge(first.receipt)
    status = await client.receipt(first.receipt)
    assert status.acknowledged
    assert status.acknowledged_by == TEST_USER_KEY
    assert status.acknowledged_by_device == TEST_DEVICES[0]
    assert status.acknowledged_at is not None
    assert not status.expired

    assert await client.cancel_by_tag("fire") == 1
    await client.cancel_receipt(second.receipt)


async def test_unknown_receipt(client: PushoverClient) -> None:
    """A receipt Pushover does not know is an invalid request."""
    with pytest.raises(PushoverInvalidRequestError):
        await client.receipt("r" * 30)


async def test_rejected_token(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """A refused token is an authentication error that does not show it."""
    simulator.faults.reject_token = True

    with pytest.raises(PushoverAuthenticationError) as err:
        await client.limits()

    assert TEST_APP_TOKEN not in str(err.value)
    assert TEST_APP_TOKEN not in repr(client)


async def test_quota_exhausted(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """A 429 carries the reset time from the headers."""
    simulator.set_remaining(0)

    with pytest.raises(PushoverQuotaExceededError) as err:
        await client.send([TEST_USER_KEY], Message(message="Hi"))

    assert err.value.reset is not None


@pytest.mark.parametrize(
    ("fault", "value"),
    [
        ("fail_next", 1),
        ("drop_next", 1),
        ("malformed_next", 1),
    ],
)
async def test_temporary_failures(
    client: PushoverClient, simulator: PushoverSimulator, fault: str, value: int
) -> None:
    """5xx, a dropped connection and broken JSON are temporary errors."""
    setattr(simulator.faults, fault, value)

    with pytest.raises(PushoverTemporaryError):
        await client.send([TEST_USER_KEY], Message(message="Hi"))


async def test_timeout(client: PushoverClient, simulator: PushoverSimulator) -> None:
    """No answer within the timeout is a temporary error."""
    simulator.faults.delay = 1.0
    client._timeout = aiohttp.ClientTimeout(total=0.1)

    with pytest.raises(PushoverTemporaryError, match="in time"):
        await client.limits()


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening is a temporary error."""
    client = PushoverClient(session, TEST_APP_TOKEN, base_url="http://127.0.0.1:9/1/")

    with pytest.raises(PushoverTemporaryError, match="Cannot reach"):
        await client.limits()


async def test_at_most_two_requests_in_flight(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """However many sends run at once, Pushover sees two at a time."""
    simulator.faults.delay = 0.05

    await asyncio.gather(
        *(client.send([TEST_USER_KEY], Message(message=f"{n}")) for n in range(10))
    )

    assert len(simulator.messages) == 10
    assert simulator.max_concurrent_requests == 2
    assert simulator.connections_opened <= 2


@pytest.mark.parametrize("tag", ["../../messages", "a/b", "/"])
async def test_tag_stays_one_path_segment(
    client: PushoverClient, simulator: PushoverSimulator, tag: str
) -> None:
    """A tag is quoted into its segment: it can never reach another endpoint.

    The simulator, like Pushover, has no route for a tag holding a slash.
    """
    with pytest.raises(PushoverInvalidRequestError):
        await client.cancel_by_tag(tag)

    [record] = simulator.requests
    assert (record.method, record.path) == (
        "POST",
        f"/1/receipts/cancel_by_tag/{tag}.json",
    )
    assert simulator.messages == []


async def test_tags_that_need_quoting_cancel(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """Spaces, letters beyond ASCII, `%`, `?`, `#` and dots reach Pushover unchanged."""
    tags = ("water leak", "Wäsche", "100%", "%2F", "leak.json?x=1#y", "..")
    for tag in tags:
        emergency = Message(
            message="Leak", priority=2, retry=30, expire=300, tags=(tag,)
        )
        await client.send([TEST_USER_KEY], emergency)

    # Each tag finds its own message: Pushover read the tag that was sent.
    assert [await client.cancel_by_tag(tag) for tag in tags] == [1] * len(tags)
    assert [record.path for record in simulator.requests[len(tags) :]] == [
        f"/1/receipts/cancel_by_tag/{tag}.json" for tag in tags
    ]


@pytest.mark.parametrize("receipt", ["../../messages", "r" * 29, "r" * 31, "ré" * 15])
async def test_malformed_receipt_never_reaches_a_path(
    client: PushoverClient, simulator: PushoverSimulator, receipt: str
) -> None:
    """Only Pushover's 30 letters and digits are put into a receipt path."""
    with pytest.raises(PushoverInvalidRequestError) as refused:
        await client.receipt(receipt)
    with pytest.raises(PushoverInvalidRequestError):
        await client.cancel_receipt(receipt)

    assert refused.value.fields == {"receipt": "invalid"}
    assert simulator.requests == []


async def test_glance_sends_only_the_fields_that_are_set(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """A count of 0 is a field; a field left out is not sent at all."""
    request_id = await client.update_glance(
        TEST_USER_KEY, Glance(text="Idle", count=0, device="watch")
    )

    [record] = simulator.glances
    assert record.request == request_id
    assert record.values() == {
        "title": None,
        "text": "Idle",
        "subtext": None,
        "count": 0,
        "percent": None,
    }
    assert record.devices == ["watch"]


async def test_group_reads_name_and_members(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """groups/{key}.json: the name, and each member's device, memo and state."""
    simulator.groups[TEST_GROUP_KEY].members[0].device = "phone"
    simulator.groups[TEST_GROUP_KEY].members[0].memo = "Ada's phone"

    info = await client.group(TEST_GROUP_KEY)

    assert info.name == TEST_GROUP_NAME
    assert [member.user for member in info.members] == list(TEST_GROUP_MEMBERS)
    assert info.members[0] == GroupMember(
        user=TEST_GROUP_MEMBERS[0], device="phone", memo="Ada's phone", disabled=False
    )
    # The member's key is no part of how it is shown.
    assert TEST_GROUP_MEMBERS[0] not in repr(info)


async def test_group_changes_name_the_endpoint_without_the_key(
    client: PushoverClient,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Logs and errors say groups/<group>/…: the key stays in the URL alone."""
    caplog.set_level(logging.DEBUG, logger="custom_components.pushover_plus.api")
    await client.change_group(TEST_GROUP_KEY, "disable_user", {"user": TEST_USER_KEY})
    simulator.faults.fail_next = 1

    with pytest.raises(PushoverTemporaryError) as caught:
        await client.change_group(TEST_GROUP_KEY, "rename", {"name": "Night"})

    assert simulator.groups[TEST_GROUP_KEY].members[0].disabled
    assert "groups/<group>/disable_user.json" in caplog.text
    assert (
        str(caught.value) == "Pushover answered HTTP 503 to groups/<group>/rename.json"
    )


async def test_a_malformed_group_key_never_reaches_a_path(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """What is not 30 letters and digits is refused before any request."""
    with pytest.raises(PushoverInvalidRequestError) as caught:
        await client.group("../../messages")

    assert caught.value.fields == {"group": "invalid"}
    assert simulator.requests == []


async def test_a_group_answer_without_users_has_no_members(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    """An empty group, as Pushover answers it, is a group without members."""
    simulator.groups[TEST_GROUP_KEY].members.clear()

    info = await client.group(TEST_GROUP_KEY)

    assert info.members == ()
