"""Forged acknowledgement callbacks cannot make the integration hammer Pushover.

Receipt ids are public (the last-emergency sensor shows them) and the webhook
needs no login, so anyone who can reach it can POST a receipt id as often as
they like. Here they do, 1,000 times, over real HTTP through Home Assistant's
own webhook, while the simulator counts the receipt reads that reach it.
Every read of a receipt, whoever asks for it, comes at least 5 seconds after
the previous one, and requests meanwhile are answered by one read.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import pairwise
import time
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.const import DOMAIN, EVENT_ACKNOWLEDGED
from custom_components.pushover_plus.receipts import ReceiptTracker
from pushover_simulator import TEST_USER_KEY, PushoverSimulator, server

from . import (
    WebClient,
    advance,
    load_with_webhook,
    receipt_reads,
    send,
    send_emergency,
    webhook_path,
)

FLOOD = 1000
# What a forger sends: Pushover's callback fields, claiming an acknowledgement.
FORGED = {
    "acknowledged": "1",
    "acknowledged_at": "1",
    "acknowledged_by": "u" * 30,
    "acknowledged_by_device": "phone",
}


class HeldReads:
    """Pushover's answers to receipt reads, held back while a test says so."""

    def __init__(self) -> None:
        """Answer at once until `hold` is called."""
        self._released = asyncio.Event()
        self._released.set()
        self.arrived = asyncio.Event()

    def hold(self) -> None:
        """Keep the next answers back until `release`."""
        self._released.clear()
        self.arrived.clear()

    def release(self) -> None:
        """Answer the held reads and every one after."""
        self._released.set()

    async def wait_at_pushover(self) -> None:
        """Note the read's arrival, then wait for the release."""
        self.arrived.set()
        await self._released.wait()


@pytest.fixture(autouse=True)
def held_reads(monkeypatch: pytest.MonkeyPatch) -> HeldReads:
    """Let a test hold the simulator's answers to receipt reads.

    Autouse, so that it patches the simulator before the simulator is built.
    """
    held = HeldReads()
    answer: Callable[[web.Request], Awaitable[Any]] = server._receipt

    async def held_answer(request: web.Request) -> Any:
        await held.wait_at_pushover()
        return await answer(request)

    monkeypatch.setattr(server, "_receipt", held_answer)
    return held


@pytest.fixture
async def webhook_client(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> WebClient:
    """Load the entry with Home Assistant reachable at its external URL."""
    return await load_with_webhook(hass, config_entry, hass_client_no_auth)


def tracker_of(entry: MockConfigEntry) -> ReceiptTracker:
    """Return the loaded entry's receipt tracker."""
    tracker: ReceiptTracker = entry.runtime_data.receipts
    return tracker


async def forge(
    client: WebClient, entry: MockConfigEntry, receipt: str, count: int
) -> list[int]:
    """POST `count` forged callbacks for `receipt` at once; return the statuses."""

    async def post() -> int:
        async with client.post(
            webhook_path(entry), data={**FORGED, "receipt": receipt}
        ) as response:
            return response.status

    return list(await asyncio.gather(*(post() for _ in range(count))))


def gaps(moments: list[float]) -> list[float]:
    """Return the time between each moment and the next."""
    return [later - earlier for earlier, later in pairwise(moments)]


async def test_flood_reads_the_receipt_once_every_five_seconds(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """1,000 POSTs over 20 s make 5 reads, 5 s apart, and believe none of them."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    began = time.time()

    statuses: list[int] = []
    asked_held: set[int] = set()
    tasks_held: set[int] = set()
    for _ in range(20):
        statuses += await forge(webhook_client, config_entry, receipt, FLOOD // 20)
        asked_held.add(len(tracker_of(config_entry)._asked))
        tasks_held.add(len(config_entry._background_tasks))
        await advance(hass, freezer, 1)
    await advance(hass, freezer, 60, step=5)

    assert statuses == [200] * FLOOD
    reads = [at - began for at in receipt_reads(simulator)]
    assert reads == pytest.approx([0, 5, 10, 15, 20])
    assert min(gaps(reads)) >= 5
    # However long the flood, it left at most one request and one task behind.
    assert asked_held <= {0, 1}
    assert tasks_held <= {0, 1}
    assert acknowledged == []
    assert [item.receipt for item in tracker_of(config_entry).open] == [receipt]


async def test_webhook_answers_at_once_and_sends_go_on_during_a_flood(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    held_reads: HeldReads,
) -> None:
    """While Pushover sits on a receipt read, the flood is answered and sends pass.

    The read holds one of Pushover's two connections; the flood queues no
    other read behind it, so a message sent meanwhile goes out on the second.
    """
    receipt = await send_emergency(hass)
    held_reads.hold()

    statuses = await forge(webhook_client, config_entry, receipt, FLOOD)
    await held_reads.arrived.wait()
    response = await send(hass, message="The washing machine is done.")

    assert statuses == [200] * FLOOD
    assert simulator.messages[-1].request == response["request_id"]
    assert simulator.state.in_flight == 1
    assert receipt_reads(simulator) == []

    held_reads.release()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(receipt_reads(simulator)) == 1
    # The other 999 POSTs came while the read was in flight: one more read,
    # when its 5 seconds are up, answers them all.
    await advance(hass, freezer, 5)
    assert len(receipt_reads(simulator)) == 2
    await advance(hass, freezer, 60, step=5)
    assert len(receipt_reads(simulator)) == 2


async def test_real_acknowledgement_during_a_flood_is_seen_within_seconds(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushover's own callback, among forged ones, still closes the receipt."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    await forge(webhook_client, config_entry, receipt, 100)
    await advance(hass, freezer, 2)

    answered = await simulator.acknowledge(receipt, device="watch")
    acknowledged_at = time.time()
    await advance(hass, freezer, 5)

    assert answered.callback_statuses == [200]
    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    assert acknowledged[0].data["acknowledged_by_device"] == "watch"
    seen_after = acknowledged[0].time_fired.timestamp() - acknowledged_at
    assert 0 <= seen_after <= 5
    assert len(receipt_reads(simulator)) == 2
    assert tracker_of(config_entry).open == []


async def test_callback_after_a_poll_waits_and_joins_the_next_poll(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The poll timer and callbacks share the rule: one read, 5 s after the last.

    A receipt sent with the caller's own callback URL is polled every 5 s in
    its first minute; a callback a second after a poll is answered by the
    next poll, not by a read of its own.
    """
    began = time.time()
    receipt = await send_emergency(hass, callback_url="https://example.com/mine")
    await advance(hass, freezer, 6)
    assert len(receipt_reads(simulator)) == 1

    await forge(webhook_client, config_entry, receipt, 10)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(receipt_reads(simulator)) == 1
    await advance(hass, freezer, 5)

    reads = [at - began for at in receipt_reads(simulator)]
    assert reads == pytest.approx([5, 10])


async def test_callback_read_goes_before_due_polls(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    held_reads: HeldReads,
) -> None:
    """Reads run one at a time; a callback's read goes before polls that wait."""
    receipts = [
        await send_emergency(hass, callback_url="https://example.com/mine")
        for _ in range(3)
    ]
    first, second, third = receipts
    simulator.state.acknowledge(third, TEST_USER_KEY, "phone")
    held_reads.hold()
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    # All three are due; the first read waits at Pushover.
    await held_reads.arrived.wait()

    await forge(webhook_client, config_entry, third, 1)
    held_reads.release()
    await hass.async_block_till_done(wait_background_tasks=True)

    read_paths = [
        record.path
        for record in simulator.requests
        if record.path.startswith("/1/receipts/")
    ]
    assert read_paths == [f"/1/receipts/{item}.json" for item in (first, third, second)]
    assert simulator.max_concurrent_requests == 1
    assert [item.receipt for item in tracker_of(config_entry).open] == [first, second]


async def test_refused_cancel_reads_the_receipt_under_the_same_rule(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A cancel Pushover refuses asks for a read, which waits its 5 s like any."""
    receipt = await send_emergency(hass)
    await forge(webhook_client, config_entry, receipt, 1)
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.receipts.clear()

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
        )
    assert raised.value.translation_key == "receipt_action_failed"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(receipt_reads(simulator)) == 1
    await advance(hass, freezer, 5)

    # Pushover no longer knows the receipt, before its expiry: unknown.
    assert len(receipt_reads(simulator)) == 2
    last = tracker_of(config_entry).last
    assert last is not None
    assert last.state == "unknown"
    assert tracker_of(config_entry).open == []
