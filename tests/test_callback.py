"""The acknowledgement callback: Pushover's POST only prompts a confirming read."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.api import ReceiptStatus
from custom_components.pushover_plus.const import (
    CONF_ACK_CALLBACK,
    DOMAIN,
    EVENT_ACKNOWLEDGED,
)
from custom_components.pushover_plus.receipts import ReceiptTracker
from pushover_simulator import TEST_USER_KEY, PushoverSimulator

from . import (
    WebClient,
    load_with_webhook,
    receipt_reads,
    send_emergency,
    webhook_path,
)


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


async def test_emergency_carries_our_webhook(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Pushover is given the entry's webhook URL as the callback."""
    await send_emergency(hass)

    assert simulator.messages[-1].callback == (
        f"http://127.0.0.1:{webhook_client.port}{webhook_path(config_entry)}"
    )
    assert tracker_of(config_entry).open[0].uses_callback


async def test_callback_confirms_and_fires_at_once(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Pushover's POST leads to one receipt read and the event, with no waiting."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)

    answered = await simulator.acknowledge(receipt, device="watch")
    await hass.async_block_till_done(wait_background_tasks=True)

    assert answered.callback_statuses == [200]
    assert len(receipt_reads(simulator)) == 1
    assert len(acknowledged) == 1
    assert acknowledged[0].data["acknowledged_by"] == "Pushover"
    assert acknowledged[0].data["acknowledged_by_device"] == "watch"
    assert tracker_of(config_entry).open == []


async def test_forged_callback_changes_nothing(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """A POST claiming an acknowledgement Pushover denies is answered 200, no more."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)

    response = await webhook_client.post(
        webhook_path(config_entry),
        data={
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_by": TEST_USER_KEY,
            "acknowledged_by_device": "phone",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert response.status == 200
    assert len(receipt_reads(simulator)) == 1
    assert acknowledged == []
    assert [item.state for item in tracker_of(config_entry).open] == ["pending"]


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"receipt": "u" * 30, "acknowledged": "1"}},
        {"data": {"receipt": "not-a-receipt"}},
        {"data": {"receipt": "r" * 31}},
        {"data": {"acknowledged": "1"}},
        {"data": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "text/plain"}},
        {"json": {"receipt": "u" * 30}},
    ],
    ids=["unknown", "malformed", "too_long", "missing", "garbage", "json"],
)
async def test_unusable_callback_is_ignored(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    body: dict[str, Any],
) -> None:
    """Unknown receipts and garbage get 200 and cause no API call."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    await send_emergency(hass)

    response = await webhook_client.post(webhook_path(config_entry), **body)

    assert response.status == 200
    assert len(receipt_reads(simulator)) == 0
    assert acknowledged == []
    assert len(tracker_of(config_entry).open) == 1


@pytest.mark.parametrize("size", ["oversized", "unknown"])
async def test_callback_of_unknown_or_large_size_is_not_read(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    size: str,
) -> None:
    """A body Pushover would never send is answered 200 without being read."""
    receipt = await send_emergency(hass)
    form = f"receipt={receipt}".encode()

    async def chunks() -> AsyncIterator[bytes]:
        # Sent chunked: no Content-Length says how much is coming.
        yield form

    data: Any = chunks() if size == "unknown" else {"receipt": receipt, "x": "x" * 5000}
    response = await webhook_client.post(
        webhook_path(config_entry),
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert response.status == 200
    assert receipt_reads(simulator) == []


async def test_callback_receipts_are_polled_every_five_minutes(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the callback in use, polling is only a slow safety net."""
    await send_emergency(hass)

    for _ in range(30):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        if receipt_reads(simulator):
            break

    assert len(receipt_reads(simulator)) == 1
    polled_at = tracker_of(config_entry).open[0].polled_at
    sent_at = tracker_of(config_entry).open[0].sent_at
    assert polled_at is not None
    assert polled_at - sent_at >= timedelta(minutes=5)


async def test_caller_callback_url_is_kept_and_polled(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A callback_url given by the caller goes through unchanged; we poll instead."""
    await send_emergency(hass, callback_url="https://example.com/mine")

    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert simulator.messages[-1].callback == "https://example.com/mine"
    assert not tracker_of(config_entry).open[0].uses_callback
    assert len(receipt_reads(simulator)) == 1


async def test_callback_option_off(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """With the option off no callback is sent and the webhook is not served."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        data=config_entry.data,
        options={CONF_ACK_CALLBACK: False},
        unique_id=config_entry.unique_id,
    )
    client = await load_with_webhook(hass, entry, hass_client_no_auth)
    receipt = await send_emergency(hass)

    await client.post(webhook_path(entry), data={"receipt": receipt})

    assert simulator.messages[-1].callback is None
    assert not tracker_of(entry).open[0].uses_callback
    assert len(receipt_reads(simulator)) == 0


async def test_no_external_url_means_polling_only(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Without an external URL, Pushover gets no callback."""
    await send_emergency(hass)

    assert simulator.messages[-1].callback is None
    assert not tracker_of(loaded_entry).open[0].uses_callback


async def test_webhook_is_removed_on_unload(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """After unloading, a callback reaches nothing and reads nothing."""
    receipt = await send_emergency(hass)
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    response = await webhook_client.post(
        webhook_path(config_entry), data={"receipt": receipt}
    )

    assert response.status == 200
    assert len(receipt_reads(simulator)) == 0


async def test_repeated_callbacks_close_once(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two callbacks at once for one receipt: one read, one event, no error."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    simulator.state.acknowledge(receipt, TEST_USER_KEY, "phone")

    responses = await asyncio.gather(
        *(
            webhook_client.post(webhook_path(config_entry), data={"receipt": receipt})
            for _ in range(2)
        )
    )

    await hass.async_block_till_done(wait_background_tasks=True)

    assert [response.status for response in responses] == [200, 200]
    assert len(receipt_reads(simulator)) == 1
    assert len(acknowledged) == 1
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_unload_cuts_a_read_short_and_plans_none(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    webhook_client: WebClient,
    simulator: PushoverSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read still in flight when the entry unloads ends with it; no poll follows.

    The read runs in a task of the entry, which the unload cancels: the next
    tracker reads the receipt again itself.
    """
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    # Acknowledged at Pushover, whose callback is yet to come.
    simulator.state.acknowledge(receipt, TEST_USER_KEY, "phone")
    tracker = tracker_of(config_entry)
    reading = asyncio.Event()
    read = tracker._client.receipt

    async def read_and_signal(receipt: str) -> ReceiptStatus:
        reading.set()
        return await read(receipt)

    monkeypatch.setattr(tracker._client, "receipt", read_and_signal)
    simulator.faults.delay = 0.2
    response = await webhook_client.post(
        webhook_path(config_entry), data={"receipt": receipt}
    )
    await reading.wait()
    reader = tracker._reader
    assert reader is not None

    assert await hass.config_entries.async_unload(config_entry.entry_id)

    assert response.status == 200
    assert reader.cancelled()
    assert acknowledged == []
    assert tracker._unsub_timer is None
    assert tracker._reader is None
