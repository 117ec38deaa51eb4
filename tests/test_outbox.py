"""The outbox's delivery loop: order, retries, acceptance on disk, every drop.

The storage itself (`outbox_store.py`, `spool.py`) and the retry timer
(`outbox_retry.py`) have test modules of their own.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
import errno
import json
import logging
from pathlib import Path
import string
import threading
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.pushover_plus import outbox_retry
from custom_components.pushover_plus.api import (
    Attachment,
    Message,
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    PushoverTemporaryError,
    SendResult,
)
from custom_components.pushover_plus.const import DOMAIN, EVENT_DROPPED
from custom_components.pushover_plus.outbox import Outbox, OutboxItem, Queued
from custom_components.pushover_plus.recipients import Recipient
from custom_components.pushover_plus.spool import Spool

ENTRY_ID = "entry1"
# Not the simulator's keys: the harness's storage mock logs what it writes.
TEST_USER_KEY = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
TEST_SECOND_USER_KEY = "uHyT2ZfAHSmY2cWyyK4C7Gk3rAUZfk"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
# async_fire_time_changed fires timers that are due up to half a second later.
SLACK = 0.5
LOGGER = "custom_components.pushover_plus.outbox"
ALICE = Recipient(
    id="primary", name="Alice", user_key=TEST_USER_KEY, service_name="alice"
)
BOB = Recipient(
    id="01KBOB0RECIPIENT0000000000",
    name="Bob",
    user_key=TEST_SECOND_USER_KEY,
    service_name="bob",
)

EXCEPTIONS: dict[str, dict[str, str]] = json.loads(
    (Path(outbox_retry.__file__).parent / "translations" / "en.json").read_text()
)["exceptions"]

type Outcome = SendResult | Exception


def down() -> PushoverTemporaryError:
    """Return the error of an unreachable Pushover."""
    return PushoverTemporaryError("Cannot reach Pushover for messages.json")


def disk_full() -> OSError:
    """Return the error of a full disk."""
    return OSError(errno.ENOSPC, "No space left on device")


@dataclass
class FakeDeliver:
    """A scripted `deliver`: each call takes the next outcome, then `fallback`."""

    outcomes: list[Outcome] = field(default_factory=list)
    fallback: Exception | None = None
    gate: asyncio.Event | None = None
    calls: list[OutboxItem] = field(default_factory=list)
    delivered: list[OutboxItem] = field(default_factory=list)

    async def __call__(self, item: OutboxItem) -> SendResult:
        """Answer one API call as scripted."""
        self.calls.append(item)
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.outcomes.pop(0) if self.outcomes else self.fallback
        if isinstance(outcome, Exception):
            raise outcome
        self.delivered.append(item)
        return outcome or SendResult(
            request_id=f"request-{len(self.delivered)}", receipt=None, limits=None
        )

    @property
    def texts(self) -> list[str]:
        """Return the texts of the messages Pushover accepted, in order."""
        return [item.message.message for item in self.delivered]


@dataclass
class Harness:
    """Builds outboxes for one entry and records their callbacks."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    deliver: FakeDeliver = field(default_factory=FakeDeliver)
    sent: list[tuple[OutboxItem, SendResult]] = field(default_factory=list)
    auth_failures: int = 0
    outboxes: list[Outbox] = field(default_factory=list)

    async def new_outbox(self, **limits: Any) -> Outbox:
        """Create and load an outbox, as a (re)loaded entry would."""
        outbox = Outbox(
            self.hass,
            MockConfigEntry(domain=DOMAIN, entry_id=ENTRY_ID),
            self.deliver,
            on_sent=lambda item, result, _queued: self.sent.append((item, result)),
            on_auth_failed=self._auth_failed,
            **limits,
        )
        self.outboxes.append(outbox)
        await outbox.async_load([ALICE, BOB])
        return outbox

    def _auth_failed(self) -> None:
        self.auth_failures += 1

    async def advance(self, seconds: float) -> None:
        """Move the clock and let due timers and the drain run."""
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture(autouse=True)
def no_keys_in_outbox_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which the outbox logs a user key."""
    yield
    for record in caplog.get_records("call"):
        if record.name.startswith(LOGGER):
            text = record.getMessage()
            assert TEST_USER_KEY not in text
            assert TEST_SECOND_USER_KEY not in text


@pytest.fixture(autouse=True)
def no_jitter() -> Iterator[None]:
    """Make the back-off exact; a test may patch its own jitter inside."""
    with patch(f"{outbox_retry.__name__}.random.uniform", return_value=0.0):
        yield


@pytest.fixture
async def harness(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> AsyncIterator[Harness]:
    """Return a harness; unload its outboxes afterwards."""
    harness = Harness(hass, freezer)
    yield harness
    for outbox in harness.outboxes:
        await outbox.async_unload()


@pytest.fixture
async def outbox(harness: Harness) -> Outbox:
    """Return a loaded, empty outbox."""
    return await harness.new_outbox()


async def send(
    outbox: Outbox, text: str = "Door open", **fields: Any
) -> SendResult | Queued:
    """Send a message to the test user."""
    return await outbox.async_send([ALICE], Message(message=text, **fields))


def spool_dir(hass: HomeAssistant) -> Path:
    """Return where the outbox keeps its queued messages."""
    return Path(hass.config.path(".storage", "pushover_plus_outbox", ENTRY_ID))


def stored(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the records of the queued messages on disk, in queue order."""
    return [
        json.loads(path.read_bytes()) for path in sorted(spool_dir(hass).glob("*.json"))
    ]


def attachment_file(hass: HomeAssistant, queued: SendResult | Queued) -> Path:
    """Return the file of a queued message's attachment."""
    assert isinstance(queued, Queued)
    [path] = spool_dir(hass).glob(f"*-{queued.item_id}.bin")
    return path


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until `condition` holds, failing if it never does."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    pytest.fail("the outbox never got there")


def assert_translated(err: HomeAssistantError, key: str) -> None:
    """Check an error's key, and that en.json uses exactly its placeholders."""
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    used = {
        name
        for _, name, _, _ in string.Formatter().parse(EXCEPTIONS[key]["message"])
        if name
    }
    assert used == set(err.translation_placeholders or {})


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the outbox's warnings."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER) and record.levelno == logging.WARNING
    ]


async def test_sends_at_once_when_nothing_waits(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """An empty outbox sends straight away and stores nothing."""
    result = await outbox.async_send([ALICE, BOB], Message(message="Door open"))

    assert result == SendResult(request_id="request-1", receipt=None, limits=None)
    [(item, sent_result)] = harness.sent
    assert sent_result is result
    assert item.users == (TEST_USER_KEY, TEST_SECOND_USER_KEY)
    assert item.recipient_ids == (ALICE.id, BOB.id)
    assert item.recipient_names == ("Alice", "Bob")
    assert len(item.id) == 32
    assert item.accepted_at == dt_util.utcnow()
    assert len(outbox) == 0
    assert stored(hass) == []
    assert outbox.storage_stats.files_written == 0


@pytest.mark.parametrize(
    "error",
    [
        PushoverInvalidRequestError(["message cannot be blank"], {}, "r1"),
        PushoverQuotaExceededError(None, "r2"),
    ],
)
async def test_refusals_of_an_immediate_send_are_raised(
    hass: HomeAssistant, harness: Harness, outbox: Outbox, error: Exception
) -> None:
    """A 4xx or 429 goes back to the caller; nothing is stored or retried."""
    harness.deliver.outcomes = [error]

    with pytest.raises(type(error)):
        await send(outbox)

    assert len(outbox) == 0
    assert stored(hass) == []
    assert await send(outbox) == SendResult(
        request_id="request-1", receipt=None, limits=None
    )


async def test_temporary_failure_queues_and_retries_after_five_seconds(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """An unreachable Pushover queues the message; the retry waits 5 seconds."""
    harness.deliver.outcomes = [down()]

    queued = await send(outbox, "Door open")

    assert isinstance(queued, Queued)
    assert queued.position == 1
    assert len(outbox) == 1
    [record] = stored(hass)
    assert (record["id"], record["format"]) == (queued.item_id, 2)

    await harness.advance(5 - SLACK - 0.1)
    assert len(harness.deliver.calls) == 1

    await harness.advance(0.1)
    assert len(harness.deliver.calls) == 2
    assert harness.deliver.texts == ["Door open"]
    assert [item.id for item, _ in harness.sent] == [queued.item_id]
    assert len(outbox) == 0
    assert stored(hass) == []


async def test_backoff_doubles_up_to_the_cap(harness: Harness, outbox: Outbox) -> None:
    """Retries wait 5, 10, 20 … seconds, never more than RETRY_MAX."""
    harness.deliver.fallback = down()
    await send(outbox)

    for delay in (5, 10, 20, 40, 80, 160, 300, 300, 300):
        calls = len(harness.deliver.calls)
        await harness.advance(delay - SLACK - 0.1)
        assert len(harness.deliver.calls) == calls, f"retried before {delay} s"
        await harness.advance(0.1)
        assert len(harness.deliver.calls) == calls + 1, f"no retry at {delay} s"


async def test_jitter_only_lengthens_the_wait(harness: Harness, outbox: Outbox) -> None:
    """The jitter adds up to 20 % and never shortens a wait."""
    harness.deliver.fallback = down()
    with patch(f"{outbox_retry.__name__}.random.uniform", return_value=0.2):
        await send(outbox)
        await harness.advance(6 - SLACK - 0.1)
        assert len(harness.deliver.calls) == 1
        await harness.advance(0.1)
    assert len(harness.deliver.calls) == 2


async def test_queued_messages_keep_their_order(
    harness: Harness, outbox: Outbox
) -> None:
    """New messages queue behind waiting ones; the queue leaves in order."""
    harness.deliver.outcomes = [down()]

    results = [await send(outbox, text) for text in ("one", "two", "three")]

    assert [getattr(result, "position", None) for result in results] == [1, 2, 3]
    assert len(harness.deliver.calls) == 1

    await harness.advance(5)
    assert harness.deliver.texts == ["one", "two", "three"]
    assert isinstance(await send(outbox, "four"), SendResult)
    assert harness.deliver.texts == ["one", "two", "three", "four"]


async def test_a_long_outage_delivers_every_message_once_in_order(
    harness: Harness, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    """200 messages accepted during an outage all arrive, once each, in order."""
    harness.deliver.fallback = down()
    texts = [f"message {number}" for number in range(200)]
    for text in texts:
        assert isinstance(await send(outbox, text), Queued)
    for _ in range(10):
        await harness.advance(300)
    assert harness.deliver.delivered == []
    assert len(outbox) == 200

    harness.deliver.fallback = None
    await harness.advance(300)

    assert harness.deliver.texts == texts
    assert [item.message.message for item, _ in harness.sent] == texts
    assert len(outbox) == 0
    assert outbox.queued_bytes == 0
    assert warnings(caplog) == [
        (
            "Pushover is unreachable (Cannot reach Pushover for messages.json); "
            "queued messages wait, next try in 5 s"
        )
    ]
    assert "Pushover is reachable again; 200 queued messages sent" in caplog.text


async def test_outage_is_logged_once_each_way(
    harness: Harness, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Many failed retries make one warning; the recovery makes one info."""
    harness.deliver.fallback = down()
    await send(outbox, "one")
    await send(outbox, "two")
    for _ in range(6):
        await harness.advance(400)
    assert len(harness.deliver.calls) == 7
    assert len(warnings(caplog)) == 1

    harness.deliver.fallback = None
    await harness.advance(400)
    back = [r for r in caplog.records if "reachable again" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in back] == [
        (logging.INFO, "Pushover is reachable again; 2 queued messages sent")
    ]

    # A second outage is news again.
    harness.deliver.outcomes = [down()]
    await send(outbox, "three")
    assert len(warnings(caplog)) == 2


async def test_restart_sends_the_stored_queue_first(
    hass: HomeAssistant, harness: Harness
) -> None:
    """A new outbox on the same entry sends the stored queue, in order, first."""
    outbox = await harness.new_outbox()
    harness.deliver.fallback = down()
    attachment = Attachment(content=PNG, content_type="image/png", filename="door.png")
    full = Message(
        message="Door open",
        title="Front door",
        devices=("phone", "tablet"),
        html=True,
        priority=1,
        callback="https://example.com/ack",
        tags=("door",),
        sound="siren",
        timestamp=1_700_000_000,
        ttl=3600,
        url="https://example.com",
        url_title="Camera",
        attachment=attachment,
    )
    first = await outbox.async_send([ALICE], full)
    await send(outbox, "second")
    assert isinstance(first, Queued)
    picture = attachment_file(hass, first)
    assert picture.read_bytes() == PNG
    assert "attachment" not in stored(hass)[0]["message"]
    await outbox.async_unload()

    # After the restart, the drain waits on Pushover while a new send comes.
    gate = asyncio.Event()
    harness.deliver = FakeDeliver(gate=gate)
    restarted = await harness.new_outbox()
    assert len(restarted) == 2
    assert restarted.queued_bytes == outbox.queued_bytes
    third = await send(restarted, "third")
    assert isinstance(third, Queued)
    assert third.position == 3
    gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert harness.deliver.texts == ["Door open", "second", "third"]
    restored = harness.deliver.delivered[0]
    assert restored.id == first.item_id
    assert restored.message == full
    assert restored.users == (TEST_USER_KEY,)
    assert restored.recipient_ids == (ALICE.id,)
    assert restored.recipient_names == ("Alice",)
    assert not picture.exists()


async def test_refused_queued_message_is_dropped_with_an_event(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 4xx while draining drops that message, says why, and goes on."""
    events = async_capture_events(hass, EVENT_DROPPED)
    harness.deliver.outcomes = [
        down(),
        PushoverInvalidRequestError(["sound is invalid"], {"sound": "invalid"}, "r9"),
    ]
    first = await send(outbox, "one", title="Alarm", sound="nope")
    await send(outbox, "two")

    await harness.advance(6)

    assert isinstance(first, Queued)
    assert harness.deliver.texts == ["two"]
    assert len(outbox) == 0
    assert [event.data for event in events] == [
        {
            "entry_id": ENTRY_ID,
            "item_id": first.item_id,
            "recipients": ["Alice"],
            "recipient_ids": [ALICE.id],
            "title": "Alarm",
            "reason": "rejected",
            "errors": ["sound is invalid"],
        }
    ]
    assert (
        f"Dropped queued message {first.item_id} to Alice: "
        "Pushover refused it: sound is invalid (request r9)"
    ) in warnings(caplog)


@pytest.mark.parametrize("on_drain", [False, True])
async def test_refused_token_pauses_until_a_new_outbox(
    hass: HomeAssistant, harness: Harness, on_drain: bool
) -> None:
    """A refused token pauses the queue and asks for reauth; a reload drains."""
    outbox = await harness.new_outbox()
    refused = PushoverAuthenticationError("application token is invalid")
    harness.deliver.outcomes = [down(), refused] if on_drain else [refused]
    harness.deliver.fallback = refused

    assert isinstance(await send(outbox, "one"), Queued)
    assert isinstance(await send(outbox, "two"), Queued)
    await harness.advance(6)
    await harness.advance(3600)

    assert harness.auth_failures == 1
    assert len(harness.deliver.calls) == (2 if on_drain else 1)
    assert outbox.stuck_since is not None
    assert len(outbox) == 2

    # The entry is reauthenticated and reloaded.
    await outbox.async_unload()
    harness.deliver.fallback = None
    await harness.new_outbox()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert harness.deliver.texts == ["one", "two"]


@pytest.mark.parametrize(
    ("reset_in", "wait"),
    [(timedelta(hours=1), 3600), (None, 300), (timedelta(hours=-1), 5)],
)
async def test_quota_waits_until_the_reset(
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
    reset_in: timedelta | None,
    wait: int,
) -> None:
    """A 429 keeps the message and asks no sooner than the quota's reset."""
    # The 429 answers the first retry, five seconds from now.
    reset = dt_util.utcnow() + timedelta(seconds=5) + reset_in if reset_in else None
    harness.deliver.outcomes = [down(), PushoverQuotaExceededError(reset)]
    await send(outbox)
    await harness.advance(5)
    assert len(harness.deliver.calls) == 2
    assert len(outbox) == 1

    await harness.advance(wait - SLACK - 0.1)
    assert len(harness.deliver.calls) == 2
    await harness.advance(0.1)
    assert harness.deliver.texts == ["Door open"]
    assert "Pushover's message limit is used up" in caplog.text
    assert "Pushover takes messages again; 1 queued messages sent" in caplog.text


async def test_expired_ttl_is_dropped_before_an_attempt(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message whose ttl has passed is dropped, not sent; emergencies stay."""
    events = async_capture_events(hass, EVENT_DROPPED)
    harness.deliver.fallback = down()
    short = await send(outbox, "short", ttl=8)
    emergency = await send(outbox, "alarm", ttl=8, priority=2, retry=60, expire=600)
    await harness.advance(5)
    assert len(outbox) == 2

    harness.deliver.fallback = None
    await harness.advance(10)

    assert isinstance(short, Queued)
    assert isinstance(emergency, Queued)
    assert harness.deliver.texts == ["alarm"]
    assert [(e.data["item_id"], e.data["reason"]) for e in events] == [
        (short.item_id, "ttl_expired")
    ]
    assert events[0].data["errors"] == []
    assert (
        f"Dropped queued message {short.item_id} to Alice: "
        "its ttl passed before Pushover could take it"
    ) in warnings(caplog)
    # The recovery counts only what Pushover took.
    assert "Pushover is reachable again; 1 queued messages sent" in caplog.text


async def test_too_old_messages_are_dropped(
    hass: HomeAssistant, harness: Harness
) -> None:
    """A message older than max_age is dropped with an event."""
    events = async_capture_events(hass, EVENT_DROPPED)
    outbox = await harness.new_outbox(max_age=timedelta(minutes=10))
    harness.deliver.fallback = down()
    queued = await send(outbox)

    for _ in range(4):
        await harness.advance(300)

    assert isinstance(queued, Queued)
    assert len(outbox) == 0
    assert outbox.stuck_since is None
    assert [(e.data["item_id"], e.data["reason"]) for e in events] == [
        (queued.item_id, "too_old")
    ]


async def test_a_full_queue_refuses_by_count(harness: Harness) -> None:
    """Beyond max_messages a send is refused; the queued ones stay and leave."""
    outbox = await harness.new_outbox(max_messages=2)
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    await send(outbox, "two")

    with pytest.raises(HomeAssistantError) as raised:
        await send(outbox, "three")

    assert_translated(raised.value, "outbox_full")
    assert raised.value.translation_placeholders == {
        "messages": "2",
        "bytes": str(50 * 1024 * 1024),
    }
    assert len(outbox) == 2
    await harness.advance(5)
    assert harness.deliver.texts == ["one", "two"]


async def test_a_full_queue_refuses_by_size(
    hass: HomeAssistant, harness: Harness
) -> None:
    """Text and attachment bytes count towards max_bytes."""
    outbox = await harness.new_outbox(max_bytes=2 * len(PNG) + 20)
    harness.deliver.outcomes = [down()]
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    await send(outbox, "one", attachment=image)
    await send(outbox, "two", attachment=image)
    assert outbox.queued_bytes == 2 * len(PNG) + 6

    with pytest.raises(HomeAssistantError) as raised:
        await send(outbox, "three", attachment=image)

    assert_translated(raised.value, "outbox_full")
    assert len(outbox) == 2
    assert len(list(spool_dir(hass).glob("*.bin"))) == 2


async def test_listeners_hear_of_changes(harness: Harness, outbox: Outbox) -> None:
    """Listeners are called as the queue changes, until removed."""
    seen: list[tuple[int, bool]] = []
    remove = outbox.async_add_listener(
        lambda: seen.append((len(outbox), outbox.stuck_since is not None))
    )
    harness.deliver.outcomes = [down()]
    await send(outbox)
    await harness.advance(5)
    assert seen[-1] == (0, False)
    assert (1, True) in seen

    remove()
    harness.deliver.outcomes = [down()]
    calls = len(seen)
    await send(outbox)
    assert len(seen) == calls


async def test_stuck_since_is_the_head_while_it_cannot_go(
    harness: Harness, outbox: Outbox
) -> None:
    """stuck_since names the head's acceptance while Pushover cannot take it."""
    assert outbox.stuck_since is None
    harness.deliver.fallback = down()
    accepted = dt_util.utcnow()
    await send(outbox, "one")
    await harness.advance(1)
    await send(outbox, "two")
    await harness.advance(10)

    assert outbox.stuck_since == accepted

    harness.deliver.fallback = None
    await harness.advance(20)
    assert outbox.stuck_since is None


async def test_unload_stops_the_timer_and_keeps_the_queue(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """After unload no timer is left and nothing is sent; the store remains."""
    harness.deliver.outcomes = [down()]
    await send(outbox)

    await outbox.async_unload()
    await harness.advance(60)

    assert len(harness.deliver.calls) == 1
    assert len(stored(hass)) == 1


async def test_unload_cancels_a_running_drain(
    hass: HomeAssistant, harness: Harness
) -> None:
    """An attempt cut short by unload leaves the message stored."""
    harness.deliver.outcomes = [down()]
    outbox = await harness.new_outbox()
    await send(outbox)
    harness.deliver.gate = asyncio.Event()
    harness.freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await asyncio.sleep(0)
    assert len(harness.deliver.calls) == 2

    await outbox.async_unload()

    assert len(stored(hass)) == 1
    assert harness.deliver.delivered == []


async def test_an_unloaded_outbox_stores_nothing(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """A send still in flight at unload fails rather than overwrite the store."""
    harness.deliver.gate = asyncio.Event()
    harness.deliver.outcomes = [down()]
    sending = asyncio.create_task(send(outbox))
    await asyncio.sleep(0)

    await outbox.async_unload()
    harness.deliver.gate.set()

    with pytest.raises(HomeAssistantError) as raised:
        await sending
    assert_translated(raised.value, "outbox_closed")
    assert isinstance(raised.value.__context__, PushoverTemporaryError)
    assert stored(hass) == []


async def test_unload_lets_a_running_removal_finish(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """Unload waits for the drain's file removal, then the drain stops."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    await send(outbox, "two")
    remove = Spool.remove
    removing = threading.Event()
    release = threading.Event()

    def slow_remove(spool: Spool, names: Any) -> None:
        removing.set()
        release.wait(timeout=10)
        remove(spool, names)

    with patch.object(Spool, "remove", slow_remove):
        harness.freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_add_executor_job(removing.wait)
        unloading = asyncio.create_task(outbox.async_unload())
        await asyncio.sleep(0)
        release.set()
        await unloading

    assert harness.deliver.texts == ["one"]
    assert [record["message"]["message"] for record in stored(hass)] == ["two"]
    with pytest.raises(HomeAssistantError) as raised:
        await send(outbox, "three")
    assert_translated(raised.value, "outbox_closed")


async def test_a_third_concurrent_send_waits_its_turn(
    harness: Harness, outbox: Outbox
) -> None:
    """Two sends may be in flight; a third waits and queues behind a failure."""
    harness.deliver.gate = asyncio.Event()
    harness.deliver.outcomes = [down()]
    first = asyncio.create_task(send(outbox, "one"))
    second = asyncio.create_task(send(outbox, "two"))
    await asyncio.sleep(0)
    third = asyncio.create_task(send(outbox, "three"))
    await asyncio.sleep(0)
    assert [item.message.message for item in harness.deliver.calls] == ["one", "two"]

    harness.deliver.gate.set()

    assert isinstance(await first, Queued)
    assert isinstance(await second, SendResult)
    queued = await third
    assert isinstance(queued, Queued)
    assert queued.position == 2
    await harness.advance(5)
    # "two" went out beside "one", so it arrived first; "three" kept its turn.
    assert harness.deliver.texts == ["two", "one", "three"]


async def test_concurrent_sends_go_at_once_when_pushover_answers(
    harness: Harness, outbox: Outbox
) -> None:
    """Sends that wait for an attempt in flight still go straight out."""
    harness.deliver.gate = asyncio.Event()
    sends = [asyncio.create_task(send(outbox, text)) for text in ("one", "two")]
    await asyncio.sleep(0)
    harness.deliver.gate.set()

    results = await asyncio.gather(*sends)

    assert all(isinstance(result, SendResult) for result in results)
    assert harness.deliver.texts == ["one", "two"]


async def test_an_unexpected_error_is_logged_and_retried(
    harness: Harness, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in delivery does not stall the queue: it is logged and retried."""
    harness.deliver.outcomes = [down(), RuntimeError("bug")]
    await send(outbox)

    await harness.advance(5)
    assert "Unexpected error sending queued message" in caplog.text
    assert len(outbox) == 1

    await harness.advance(12)
    assert harness.deliver.texts == ["Door open"]


async def test_other_pushover_errors_are_retried(
    harness: Harness, outbox: Outbox
) -> None:
    """An unclassified Pushover error while draining is treated as temporary."""
    harness.deliver.outcomes = [down(), PushoverError("odd")]
    await send(outbox)
    await harness.advance(5)
    assert len(outbox) == 1
    await harness.advance(12)
    assert harness.deliver.texts == ["Door open"]


@pytest.mark.parametrize(
    "error",
    [disk_full(), OSError(errno.EROFS, "Read-only file system")],
    ids=["disk_full", "read_only"],
)
@pytest.mark.parametrize("with_attachment", [False, True])
async def test_a_message_that_cannot_be_written_is_not_accepted(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    error: OSError,
    with_attachment: bool,
) -> None:
    """A failed write fails the send with a translated error; the queue is intact."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    image = (
        Attachment(content=PNG, content_type="image/png", filename="door.png")
        if with_attachment
        else None
    )

    with (
        patch("os.write", side_effect=error),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await send(outbox, "two", attachment=image)

    assert_translated(raised.value, "outbox_write_failed")
    assert raised.value.translation_placeholders == {"error": error.strerror}
    assert len(outbox) == 1
    assert outbox.queued_bytes == len(b"one")
    assert [record["message"]["message"] for record in stored(hass)] == ["one"]
    # Nothing half-written is left behind, the picture included.
    assert [path.name.endswith(".json") for path in spool_dir(hass).iterdir()] == [True]
    # The next message, once the disk has room, queues behind the first.
    third = await send(outbox, "three")
    assert isinstance(third, Queued)
    assert third.position == 2
    await harness.advance(5)
    assert harness.deliver.texts == ["one", "three"]


async def test_a_write_outlives_a_cancelled_caller(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """A caller cancelled during the write: the message is on disk, so it goes."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    write = Spool.write
    writing = threading.Event()
    release = threading.Event()

    def slow_write(spool: Spool, name: str, content: bytes) -> None:
        writing.set()
        release.wait(timeout=10)
        write(spool, name, content)

    with patch.object(Spool, "write", slow_write):
        sending = asyncio.create_task(send(outbox, "two"))
        await hass.async_add_executor_job(writing.wait)
        sending.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await sending
        await hass.async_block_till_done()

    assert [record["message"]["message"] for record in stored(hass)] == ["one", "two"]
    await harness.advance(5)
    assert harness.deliver.texts == ["one", "two"]


async def test_a_lost_attachment_drops_its_message_on_load(
    hass: HomeAssistant,
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stored item whose attachment file is gone is dropped; others go."""
    events = async_capture_events(hass, EVENT_DROPPED)
    outbox = await harness.new_outbox()
    harness.deliver.outcomes = [down()]
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    lost = await send(outbox, "one", attachment=image)
    kept = await send(outbox, "two", attachment=image)
    await outbox.async_unload()
    assert isinstance(lost, Queued)
    assert isinstance(kept, Queued)
    attachment_file(hass, lost).unlink()
    stray = spool_dir(hass) / ".tmp-000000000009-stray.json"
    stray.write_bytes(b"half")

    await harness.new_outbox()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert harness.deliver.texts == ["two"]
    assert harness.deliver.delivered[0].message.attachment == image
    assert [(e.data["item_id"], e.data["reason"]) for e in events] == [
        (lost.item_id, "attachment_lost")
    ]
    assert (
        f"Dropped queued message {lost.item_id} to Alice: "
        "its attachment file is missing"
    ) in warnings(caplog)
    assert not stray.exists()
    assert stored(hass) == []


async def test_a_queued_attachment_waits_on_disk_not_in_memory(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """The queue holds an attachment's name and type; its bytes are on disk."""
    harness.deliver.outcomes = [down()]
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")

    queued = await send(outbox, "one", attachment=image)

    file = attachment_file(hass, queued)
    assert file.read_bytes() == PNG
    [item] = outbox._items
    assert item.message.attachment == Attachment(
        content=b"", content_type="image/png", filename="door.png"
    )
    assert item.attachment_size == len(PNG)
    assert outbox.queued_bytes == len(b"one") + len(PNG)

    await harness.advance(5)

    [delivered] = harness.deliver.delivered
    assert delivered.message.attachment == image
    # What was sent is not kept: the callback gets the queued item.
    [(sent, _)] = harness.sent
    assert sent == item
    assert not file.exists()
    assert outbox.queued_bytes == 0


async def test_a_restart_reads_no_attachment_until_it_is_sent(
    hass: HomeAssistant, harness: Harness
) -> None:
    """After a restart only the files' sizes are read; bytes come at sending."""
    outbox = await harness.new_outbox()
    harness.deliver.fallback = down()
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    await send(outbox, "one", attachment=image)
    await outbox.async_unload()
    harness.deliver.calls.clear()

    with patch.object(Spool, "read", autospec=True, side_effect=Spool.read) as read:
        restarted = await harness.new_outbox()
        await hass.async_block_till_done(wait_background_tasks=True)
        [item] = restarted._items
        assert item.message.attachment == Attachment(
            content=b"", content_type="image/png", filename="door.png"
        )
        assert restarted.queued_bytes == len(b"one") + len(PNG)
        # The record's read at load; then one for the drain's one attempt.
        reads = [call.args[1] for call in read.call_args_list]
        assert [name.endswith(".bin") for name in reads] == [False, True]
        assert len(harness.deliver.calls) == 1

        harness.deliver.fallback = None
        await harness.advance(5)

    assert len(harness.deliver.calls) == 2
    assert read.call_count == 3
    assert harness.deliver.delivered[0].message.attachment == image
    assert restarted.queued_bytes == 0


async def test_a_lost_attachment_drops_its_message_when_sent(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file gone while its message waits drops it as on load; the queue goes on."""
    events = async_capture_events(hass, EVENT_DROPPED)
    harness.deliver.outcomes = [down()]
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    lost = await send(outbox, "one", attachment=image)
    await send(outbox, "two", attachment=image)
    assert isinstance(lost, Queued)
    attachment_file(hass, lost).unlink()

    await harness.advance(5)

    assert harness.deliver.texts == ["two"]
    assert harness.deliver.delivered[0].message.attachment == image
    assert [(e.data["item_id"], e.data["reason"]) for e in events] == [
        (lost.item_id, "attachment_lost")
    ]
    assert warnings(caplog)[-1] == (
        f"Dropped queued message {lost.item_id} to Alice: "
        "its attachment file is missing"
    )
    assert len(outbox) == 0
    assert outbox.queued_bytes == 0
    assert list(spool_dir(hass).iterdir()) == []


async def test_an_unreadable_attachment_is_retried(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """A file that is there but cannot be read keeps its message for a retry."""
    harness.deliver.outcomes = [down()]
    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    await send(outbox, "one", attachment=image)

    with patch.object(Spool, "read", side_effect=PermissionError("denied")):
        await harness.advance(5)
    assert len(outbox) == 1

    await harness.advance(12)
    assert harness.deliver.texts == ["one"]
    assert harness.deliver.delivered[0].message.attachment == image


async def test_the_drain_waits_until_a_message_is_on_disk(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """The drain reaching a message still being written sends it once written."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    write = Spool.write
    writing = threading.Event()
    release = threading.Event()

    def slow_write(spool: Spool, name: str, content: bytes) -> None:
        if name.endswith(".bin"):
            writing.set()
            release.wait(timeout=10)
        write(spool, name, content)

    image = Attachment(content=PNG, content_type="image/png", filename="door.png")
    with patch.object(Spool, "write", slow_write):
        sending = asyncio.create_task(send(outbox, "two", attachment=image))
        await hass.async_add_executor_job(writing.wait)
        harness.freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        for _ in range(20):
            await asyncio.sleep(0)
        # "one" went; "two" is not accepted yet, so it is not sent yet.
        assert harness.deliver.texts == ["one"]
        release.set()
        queued = await sending
        await hass.async_block_till_done(wait_background_tasks=True)

    assert isinstance(queued, Queued)
    assert harness.deliver.texts == ["one", "two"]
    assert harness.deliver.delivered[1].message.attachment == image
    assert len(outbox) == 0
    assert outbox.queued_bytes == 0


async def test_two_failures_together_start_one_timer(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """Two sends in flight that fail together wait once, counted once.

    A second timer would restart the drain early and, with a 429, cost one
    more request while the quota is used up.
    """
    harness.deliver.gate = asyncio.Event()
    harness.deliver.outcomes = [down(), down()]
    sends = [asyncio.create_task(send(outbox, text)) for text in ("one", "two")]
    await asyncio.sleep(0)
    harness.deliver.gate.set()
    assert all(isinstance(result, Queued) for result in await asyncio.gather(*sends))
    harness.deliver.gate = None
    assert outbox._retry.failures == 1

    await harness.advance(5 - SLACK - 0.1)
    assert len(harness.deliver.calls) == 2
    await harness.advance(0.1)
    assert len(harness.deliver.calls) == 4
    assert harness.deliver.texts == ["one", "two"]


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """After unload no timer or task of the outbox is left."""
    harness.deliver.fallback = down()
    await send(outbox, "one")
    await harness.advance(5)
    waited = outbox._retry.waiting

    await outbox.async_unload()

    assert (waited, outbox._retry.waiting) == (True, False)
    assert outbox._drain_task is None or outbox._drain_task.done()
    calls = len(harness.deliver.calls)
    await harness.advance(3600)
    assert len(harness.deliver.calls) == calls


async def test_a_sent_message_whose_file_cannot_be_deleted_is_not_sent_again(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A removal that fails is retried later; the message does not go twice."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")
    await send(outbox, "two")

    with patch.object(
        Spool, "remove", side_effect=OSError(errno.EROFS, "Read-only file system")
    ):
        await harness.advance(5)

    assert harness.deliver.texts == ["one", "two"]
    assert len(outbox) == 0
    assert len(stored(hass)) == 2
    assert "Cannot delete the files of 1 sent messages" in caplog.text

    harness.deliver.outcomes = [down()]
    await send(outbox, "three")
    await harness.advance(5)
    assert harness.deliver.texts == ["one", "two", "three"]
    assert stored(hass) == []


async def test_a_bug_in_the_store_does_not_accept_the_message(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """An unexpected error while writing reaches the caller; nothing is queued."""
    harness.deliver.outcomes = [down()]
    await send(outbox, "one")

    with (
        patch.object(outbox._store, "async_add", side_effect=RuntimeError("bug")),
        pytest.raises(RuntimeError, match="bug"),
    ):
        await send(outbox, "two")

    assert len(outbox) == 1
    assert [record["message"]["message"] for record in stored(hass)] == ["one"]


async def test_a_late_answer_after_unload_starts_no_wait(
    hass: HomeAssistant,
    harness: Harness,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 429 or 5xx that lands after unload leaves no timer and says nothing."""
    await outbox.async_unload()

    outbox._async_hold(PushoverQuotaExceededError(dt_util.utcnow()))
    outbox._async_hold(down())

    assert not outbox._retry.waiting
    assert warnings(caplog) == []


async def test_queued_messages_say_why_they_wait(
    hass: HomeAssistant, harness: Harness, outbox: Outbox
) -> None:
    """Unreachable, then behind the queue once Pushover takes messages again."""
    harness.deliver.outcomes = [down()]
    first = await send(outbox, "one")
    second = await send(outbox, "two")
    assert isinstance(first, Queued)
    assert isinstance(second, Queued)
    assert (first.reason, second.reason) == ("pushover_unreachable",) * 2

    # Pushover is back: the drain sends "one", and waits on "two".
    harness.deliver.gate = asyncio.Event()
    harness.freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await until(lambda: len(harness.deliver.calls) == 2)
    harness.deliver.gate.set()
    harness.deliver.gate = asyncio.Event()
    await until(lambda: len(harness.deliver.calls) == 3)
    assert harness.deliver.texts == ["one"]

    third = await send(outbox, "three")

    assert isinstance(third, Queued)
    assert third.reason == "behind_queue"
    harness.deliver.gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert harness.deliver.texts == ["one", "two", "three"]


async def test_a_refused_token_or_quota_is_the_reason(
    harness: Harness, outbox: Outbox
) -> None:
    """While the token is refused, queued messages say so."""
    harness.deliver.outcomes = [
        PushoverAuthenticationError("application token is invalid")
    ]

    queued = await send(outbox, "one")
    later = await send(outbox, "two")

    assert isinstance(queued, Queued)
    assert isinstance(later, Queued)
    assert (queued.reason, later.reason) == ("token_refused", "token_refused")
