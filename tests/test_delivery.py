"""Delivery under faults: real HTTP to the simulator, through the whole integration.

Each test runs the loaded integration against the Pushover simulator and
breaks the connection the way the real service or network can: outages of
minutes, a restart of Home Assistant mid-outage, answers lost after Pushover
took the message, an exhausted quota, a refused token, truncated or dropped
answers. Time travels (freezegun) wherever the outbox waits, so the tests
take seconds, not the minutes they simulate.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import json
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.pushover_plus.api import Attachment
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_USER_KEY,
    DOMAIN,
    EVENT_DELIVERED,
    EVENT_DROPPED,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_OTHER_APP_TOKEN,
    TEST_USER_KEY,
    PushoverSimulator,
    RequestRecord,
)

from . import advance, send

MESSAGES_PATH = "/1/messages.json"
# Every request fails until switched off: an outage of any length.
FOREVER = 1_000_000
# Every byte value, so that a byte changed on the way shows.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


@pytest.fixture
def picture(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Return a picture that the attachment option may read."""
    path = tmp_path / "door.png"
    path.write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return path


def posts(simulator: PushoverSimulator) -> list[RequestRecord]:
    """Return the messages.json requests the simulator saw, oldest first."""
    return [record for record in simulator.requests if record.path == MESSAGES_PATH]


def texts(simulator: PushoverSimulator) -> list[str]:
    """Return the texts of the messages Pushover accepted, in order."""
    return [message.message for message in simulator.messages]


def queue_length(entry: MockConfigEntry) -> int:
    """Return how many messages wait in the entry's outbox."""
    return len(entry.runtime_data.sender.outbox)


def queued_attachments(entry: MockConfigEntry) -> list[Attachment | None]:
    """Return the attachments of the queued messages, as held in memory."""
    outbox = entry.runtime_data.sender.outbox
    return [item.message.attachment for item in outbox._items]


def spool_files(hass: HomeAssistant, entry: MockConfigEntry, suffix: str) -> list[Path]:
    """Return the files of the entry's queue that end with `suffix`, in order."""
    folder = Path(hass.config.path(".storage", f"{DOMAIN}_outbox", entry.entry_id))
    return sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []


def attachment_files(hass: HomeAssistant, entry: MockConfigEntry) -> list[Path]:
    """Return the files in which the entry's outbox keeps attachment bytes."""
    return spool_files(hass, entry, ".bin")


def stored_texts(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Return the texts of the messages whose records are on disk, in order."""
    return [
        json.loads(path.read_bytes())["message"]["message"]
        for path in spool_files(hass, entry, ".json")
    ]


async def send_all(hass: HomeAssistant, messages: list[str]) -> list[dict[str, Any]]:
    """Send messages one after the other; return the action's responses."""
    return [await send(hass, message=text) for text in messages]


async def run_until(condition: Callable[[], bool]) -> None:
    """Let the event loop (and real loopback I/O) run until `condition` holds.

    With time frozen no timer falls due, so only I/O and ready tasks run.
    """
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    pytest.fail("the condition never came true")


async def test_outage_of_minutes_delivers_every_message_once_in_order(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """200 messages sent during a 6-minute 503 outage arrive once each, in order."""
    delivered = async_capture_events(hass, EVENT_DELIVERED)
    dropped = async_capture_events(hass, EVENT_DROPPED)
    simulator.faults.fail_status = 503
    simulator.faults.fail_next = FOREVER
    sent = [f"m{number:03}" for number in range(200)]

    responses = await send_all(hass, sent)

    assert all(response["queued"] for response in responses)
    assert all(response["request_id"] is None for response in responses)
    deliveries = [response["deliveries"][0] for response in responses]
    assert [delivery["queue_position"] for delivery in deliveries] == list(
        range(1, 201)
    )
    queued_ids = [delivery["queued_id"] for delivery in deliveries]
    assert len(set(queued_ids)) == 200
    assert queue_length(loaded_entry) == 200

    # Six minutes of outage: the queue retries with a growing back-off.
    await advance(hass, freezer, 360)
    failed = posts(simulator)
    assert simulator.messages == []
    assert {record.status for record in failed} == {503}
    gaps = [later.at - earlier.at for earlier, later in pairwise(failed)]
    # 5, 10, 20, 40, 80, 160 s (+ up to 20 % jitter): 6 or 7 tries, none early.
    assert 6 <= len(failed) <= 7
    assert min(gaps) >= 5
    assert gaps == sorted(gaps)
    assert queue_length(loaded_entry) == 200

    simulator.faults.fail_next = 0
    # The next try comes at most 5 minutes (+ 20 % jitter) after the last one.
    await advance(hass, freezer, 360, step=5)

    received = texts(simulator)
    duplicates = sum(count - 1 for count in Counter(received).values())
    assert len(simulator.messages) == 200
    assert received == sent
    assert duplicates == 0
    assert queue_length(loaded_entry) == 0
    assert dropped == []
    assert [event.data["queued_id"] for event in delivered] == queued_ids
    assert [event.data["request_id"] for event in delivered] == [
        message.request for message in simulator.messages
    ]
    # The outbox sends one message at a time.
    assert simulator.max_concurrent_requests == 1
    # Once sent, nothing is sent again.
    await advance(hass, freezer, 600, step=60)
    assert len(simulator.messages) == 200


async def test_restart_mid_outage_loses_nothing(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Messages queued before a restart go first, in order; then newer ones."""
    simulator.faults.fail_next = FOREVER
    before = [f"before restart {number}" for number in range(5)]
    assert all(response["queued"] for response in await send_all(hass, before))
    await advance(hass, freezer, 20)

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert stored_texts(hass, loaded_entry) == before
    await advance(hass, freezer, 60)
    # Home Assistant starts again while Pushover is still down.
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert queue_length(loaded_entry) == 5

    after = await send(hass, message="after restart")

    assert after["queued"] is True
    assert after["deliveries"][0]["queue_position"] == 6
    await advance(hass, freezer, 60)
    assert simulator.messages == []

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 360, step=5)

    assert texts(simulator) == [*before, "after restart"]
    assert queue_length(loaded_entry) == 0
    assert stored_texts(hass, loaded_entry) == []


@pytest.mark.parametrize("restart", [False, True])
async def test_queued_attachment_waits_on_disk_and_arrives_whole(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    picture: Path,
    restart: bool,
) -> None:
    """A queued picture is kept in a file, not in memory, and arrives byte-exact.

    Through a restart too: the new outbox learns the file's size, not its bytes.
    """
    simulator.faults.fail_next = FOREVER
    response = await send(hass, message="Door open", attachment=str(picture))
    assert response["queued"] is True
    queued_bytes = loaded_entry.runtime_data.sender.outbox.queued_bytes
    assert queued_bytes == len(b"Door open") + len(PNG)
    if restart:
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
        assert await hass.config_entries.async_setup(loaded_entry.entry_id)
        await hass.async_block_till_done()
    await advance(hass, freezer, 60)

    stub = Attachment(content=b"", content_type="image/png", filename="door.png")
    assert queued_attachments(loaded_entry) == [stub]
    assert loaded_entry.runtime_data.sender.outbox.queued_bytes == queued_bytes
    [file] = attachment_files(hass, loaded_entry)
    assert file.read_bytes() == PNG
    assert simulator.messages == []

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 360, step=5)

    [message] = simulator.messages
    assert message.attachment == PNG
    assert (message.attachment_type, message.attachment_filename) == (
        "image/png",
        "door.png",
    )
    assert queue_length(loaded_entry) == 0
    assert loaded_entry.runtime_data.sender.outbox.queued_bytes == 0
    assert attachment_files(hass, loaded_entry) == []


@pytest.mark.parametrize(
    ("fault", "wait", "cause"),
    [
        # The answer comes after the client's 15 s timeout.
        pytest.param(
            {"delay": 30.0, "delay_after_processing": True},
            16,
            "did not answer messages.json in time",
            id="late",
        ),
        # Half the answer comes, then the connection closes.
        pytest.param(
            {"drop_next": 1, "drop_after_processing": True},
            0,
            "Cannot reach Pushover for messages.json: ClientPayloadError",
            id="dropped",
        ),
    ],
)
async def test_answer_lost_after_acceptance_sends_at_most_one_duplicate(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, object],
    wait: int,
    cause: str,
) -> None:
    """Pushover took the message but its answer never came: one duplicate, explained.

    Pushover has no idempotency key, so the outbox cannot know whether a
    message whose answer was lost arrived; it sends it again (at least once)
    and the log says why it may arrive twice.
    """
    delivered = async_capture_events(hass, EVENT_DELIVERED)
    simulator.faults.update(fault)

    sending = asyncio.create_task(send(hass, message="Door open"))
    await run_until(lambda: len(simulator.messages) == 1)
    # Real HTTP; the clock travels past the client's timeout where it counts.
    freezer.tick(timedelta(seconds=wait))
    await run_until(sending.done)
    response = sending.result()

    assert response["queued"] is True
    assert len(simulator.messages) == 1
    simulator.faults.reset()
    await advance(hass, freezer, 40)

    received = texts(simulator)
    duplicates = len(received) - len(set(received))
    assert received == ["Door open", "Door open"]
    assert duplicates == 1
    assert queue_length(loaded_entry) == 0
    assert [event.data["request_id"] for event in delivered] == [
        simulator.messages[1].request
    ]
    [warning] = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "unreachable" in record.getMessage()
    ]
    assert cause in warning
    assert "may have accepted the message, so it can arrive twice" in warning


async def test_quota_used_up_waits_for_the_reset(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A 429 stops the queue until the quota resets, without asking meanwhile."""
    reset = simulator.state.quota.reset_at
    freezer.move_to(datetime.fromtimestamp(reset - 600, UTC))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    # A short outage queues the first message; the others queue behind it.
    simulator.faults.fail_next = 1
    queued = [f"q{number}" for number in range(3)]
    assert all(response["queued"] for response in await send_all(hass, queued))
    simulator.set_remaining(0)

    await advance(hass, freezer, 6)
    [failure, refusal] = posts(simulator)
    assert (failure.status, refusal.status) == (503, 429)
    assert queue_length(config_entry) == 3

    # Nine minutes until the reset: the outbox does not ask again.
    await advance(hass, freezer, 300, step=10)
    # A new message is refused at once, without asking Pushover.
    with pytest.raises(HomeAssistantError) as refused:
        await send(hass, message="too late")
    assert refused.value.translation_key == "quota_exceeded"
    await advance(hass, freezer, reset - dt_util.utcnow().timestamp() - 1, step=10)
    assert len(posts(simulator)) == 2
    assert simulator.messages == []

    await advance(hass, freezer, 10)

    assert texts(simulator) == queued
    assert len(posts(simulator)) == 2 + len(queued)
    assert min(message.received_at for message in simulator.messages) >= reset
    assert simulator.remaining == simulator.state.quota.limit - len(queued)
    assert queue_length(config_entry) == 0


@pytest.mark.parametrize("token", [TEST_APP_TOKEN, TEST_OTHER_APP_TOKEN])
async def test_refused_token_queues_until_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    token: str,
) -> None:
    """A refused token keeps the messages and starts reauth; a new token sends them."""
    simulator.faults.reject_token = True

    responses = await send_all(hass, ["one", "two"])
    await hass.async_block_till_done()

    assert all(response["queued"] for response in responses)
    [flow] = loaded_entry.async_get_active_flows(hass, {"reauth"})
    # The queue waits for a new token: no retry could help.
    await advance(hass, freezer, 900, step=60)
    assert len(posts(simulator)) == 1
    assert queue_length(loaded_entry) == 2

    simulator.faults.reject_token = False
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_TOKEN: token}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert texts(simulator) == ["one", "two"]
    assert {message.token for message in simulator.messages} == {token}
    assert queue_length(loaded_entry) == 0


async def test_never_more_than_two_requests_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """20 concurrent sends over two entries share two requests and connections."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        data={
            CONF_NAME: "Second",
            CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
            CONF_USER_KEY: TEST_USER_KEY,
        },
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    entries = [loaded_entry, other]
    simulator.faults.delay = 0.05
    sent = [f"burst {number:02}" for number in range(20)]

    sends = asyncio.gather(
        *(
            send(hass, message=text, config_entry_id=entries[number % 2].entry_id)
            for number, text in enumerate(sent)
        )
    )
    # Each outbox sends one message at a time; with both entries' quota reads
    # four requests could be open at once, were it not for the shared limiter.
    reads = asyncio.gather(
        *(entry.runtime_data.limits.async_refresh() for entry in entries)
    )

    responses, _ = await asyncio.gather(sends, reads)

    assert not any(response["queued"] for response in responses)
    assert sorted(texts(simulator)) == sent
    assert simulator.max_concurrent_requests == 2
    assert simulator.connections_opened <= 2


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        pytest.param("malformed_next", 200, id="malformed-json"),
        pytest.param("drop_next", 200, id="dropped-connection"),
        pytest.param("fail_next", 502, id="bad-gateway"),
    ],
)
async def test_broken_answer_queues_then_delivers(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    fault: str,
    answer: int,
) -> None:
    """A truncated JSON body or a connection closed mid-answer queues the message.

    The simulator did not take the message (the fault hit before processing),
    so it arrives exactly once, from the queue, five seconds later.
    """
    delivered = async_capture_events(hass, EVENT_DELIVERED)
    simulator.faults.fail_status = 502
    simulator.faults.update({fault: 1})

    response = await send(hass, message="Door open")

    assert response["queued"] is True
    [broken] = posts(simulator)
    assert (broken.status, broken.fault) == (answer, fault.removesuffix("_next"))
    assert simulator.messages == []
    await advance(hass, freezer, 4)
    assert len(posts(simulator)) == 1

    await advance(hass, freezer, 3)

    assert texts(simulator) == ["Door open"]
    assert [event.data["queued_id"] for event in delivered] == [
        response["deliveries"][0]["queued_id"]
    ]
    assert [event.data["request_id"] for event in delivered] == [
        simulator.messages[0].request
    ]
    assert queue_length(loaded_entry) == 0
    # A later message goes straight out again.
    assert (await send(hass, message="Window open"))["queued"] is False
    assert texts(simulator) == ["Door open", "Window open"]
