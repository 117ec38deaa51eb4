"""The receipts path: emergency messages tracked, polled, closed and cancelled."""

import asyncio
from datetime import timedelta
from itertools import pairwise
import json
import logging
from pathlib import Path
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.pushover_plus.api import ReceiptStatus
from custom_components.pushover_plus.const import (
    DOMAIN,
    EVENT_ACKNOWLEDGED,
    EVENT_CANCELLED,
    EVENT_EXPIRED,
)
from custom_components.pushover_plus.receipts import ReceiptTracker
from pushover_simulator import TEST_USER_KEY, PushoverSimulator

from . import advance, receipt_reads, run_timers, send_emergency as send_any_emergency

LEAK_EXPIRE = 600
LEAK_ALARM = {
    "message": "Water on the basement floor",
    "title": "Leak",
    "retry": 30,
    "expire": LEAK_EXPIRE,
    "tags": ["leak"],
}


async def send_emergency(hass: HomeAssistant, **data: Any) -> str:
    """Send the leak alarm these tests follow; return its receipt."""
    return await send_any_emergency(hass, **{**LEAK_ALARM, **data})


def receipts_dir(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    """Return the folder of the entry's tracked receipts."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_receipts", entry.entry_id))


def stored(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dict[str, Any]]:
    """Return the records on disk by file name."""
    folder = receipts_dir(hass, entry)
    return {
        path.name: json.loads(path.read_bytes()) for path in sorted(folder.iterdir())
    }


def sensor(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> State:
    """Return the state of one of the application's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def tracker_of(entry: MockConfigEntry) -> ReceiptTracker:
    """Return the loaded entry's receipt tracker."""
    tracker: ReceiptTracker = entry.runtime_data.receipts
    return tracker


async def test_emergency_send_is_tracked(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The response names the receipt; the sensors show one pending emergency."""
    receipt = await send_emergency(hass)

    assert receipt == simulator.messages[-1].receipt
    assert sensor(hass, loaded_entry, "open_emergencies").state == "1"
    last = sensor(hass, loaded_entry, "last_emergency")
    assert last.state == "pending"
    assert last.attributes["receipt"] == receipt
    assert last.attributes["tags"] == ["leak"]
    assert last.attributes["title"] == "Leak"
    assert last.attributes["recipients"] == ["Pushover"]
    assert last.attributes["acknowledged_by"] is None


async def test_no_poll_before_five_seconds(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushover asks for no poll faster than every 5 s: the first comes at 5 s."""
    await send_emergency(hass)

    await advance(hass, freezer, 4)
    assert receipt_reads(simulator) == []
    await advance(hass, freezer, 1)
    assert len(receipt_reads(simulator)) == 1


async def test_one_hour_emergency_costs_64_polls(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polls come every 5 s for a minute, then at a twelfth of the age.

    An emergency left open for its whole hour is read 64 times: 12 in the
    first minute, 51 while slowing down, and one just after expiry.
    """
    sent = time.time()
    await send_emergency(hass, expire=3600)

    await run_timers(hass, freezer, 3700)

    ages = [at - sent for at in receipt_reads(simulator)]
    gaps = [later - earlier for earlier, later in pairwise(ages)]
    assert len(ages) == 64
    assert ages[:12] == pytest.approx([5.0 * n for n in range(1, 13)])
    assert min(gaps) == pytest.approx(5)
    age, gap = next(
        (age, gap) for age, gap in zip(ages, gaps, strict=False) if age >= 600
    )
    assert gap == pytest.approx(age / 12)
    assert 50 < gap < 55
    assert ages[-1] == pytest.approx(3605)


async def test_polls_at_most_five_minutes_apart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Past an hour of age the interval stays at 5 minutes until expiry."""
    sent = time.time()
    await send_emergency(hass, expire=3 * 3600)

    await run_timers(hass, freezer, 3 * 3600 + 60)

    ages = [at - sent for at in receipt_reads(simulator)]
    gaps = [later - earlier for earlier, later in pairwise(ages)]
    assert max(gaps) == pytest.approx(300)
    assert gaps[-2] == pytest.approx(300)
    assert ages[-1] == pytest.approx(3 * 3600 + 5)
    assert len(ages) == 88


async def test_final_poll_after_expiry_fires_expired(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A look just after expiry closes the receipt as expired."""
    expired = async_capture_events(hass, EVENT_EXPIRED)
    receipt = await send_emergency(hass)

    await advance(hass, freezer, 600)
    assert expired == []
    await advance(hass, freezer, 6)

    assert [event.data["receipt"] for event in expired] == [receipt]
    assert expired[0].data["entry_id"] == loaded_entry.entry_id
    assert sensor(hass, loaded_entry, "last_emergency").state == "expired"
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"


async def test_idle_day_makes_0_receipt_requests(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With nothing open there is no timer: a simulated day makes 0 receipt calls."""
    await advance(hass, freezer, 24 * 3600, step=600)

    assert receipt_reads(simulator) == []
    assert tracker_of(loaded_entry)._unsub_timer is None


async def test_acknowledgement_found_by_polling(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without a callback the next poll finds the acknowledgement and fires it."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt, device="tablet")

    await advance(hass, freezer, 5)

    assert len(acknowledged) == 1
    data = acknowledged[0].data
    assert data["entry_id"] == loaded_entry.entry_id
    assert data["receipt"] == receipt
    assert data["acknowledged_by"] == "Pushover"
    assert data["acknowledged_by_device"] == "tablet"
    assert data["tags"] == ["leak"]
    assert data["title"] == "Leak"
    assert data["recipients"] == ["Pushover"]
    assert data["time"] is not None
    last = sensor(hass, loaded_entry, "last_emergency")
    assert last.state == "acknowledged"
    assert last.attributes["acknowledged_by"] == "Pushover"
    assert last.attributes["acknowledged_by_device"] == "tablet"
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"


async def test_polling_stops_once_closed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After the acknowledgement is found, a simulated day makes no receipt call."""
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt)
    await advance(hass, freezer, 5)
    assert len(receipt_reads(simulator)) == 1

    await advance(hass, freezer, 24 * 3600, step=600)

    assert len(receipt_reads(simulator)) == 1
    assert tracker_of(loaded_entry)._unsub_timer is None


async def test_open_receipt_is_stored(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The open receipt has a file of its own; `last.json` names the latest."""
    receipt = await send_emergency(hass)
    await hass.async_block_till_done()

    files = stored(hass, loaded_entry)
    assert set(files) == {f"{receipt}.json", "last.json"}
    record = files[f"{receipt}.json"]
    assert (record["format"], record["state"], record["tags"]) == (
        2,
        "pending",
        ["leak"],
    )
    assert files["last.json"] == record

    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )
    await hass.async_block_till_done()

    files = stored(hass, loaded_entry)
    assert set(files) == {"last.json"}
    assert files["last.json"]["state"] == "cancelled"


async def test_open_receipt_survives_restart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a reload the receipt is still tracked, polled and closed."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert [item.receipt for item in tracker_of(loaded_entry).open] == [receipt]
    await advance(hass, freezer, 5)
    assert len(receipt_reads(simulator)) >= 1
    await simulator.acknowledge(receipt)
    await advance(hass, freezer, 10)

    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"
    assert sensor(hass, loaded_entry, "last_emergency").state == "acknowledged"


def hold_receipt_reads(tracker: ReceiptTracker) -> tuple[asyncio.Event, asyncio.Event]:
    """Make the tracker's receipt reads wait; return (reading, answer) events."""
    reading = asyncio.Event()
    answer = asyncio.Event()
    real_receipt = tracker._client.receipt

    async def held_receipt(receipt: str) -> ReceiptStatus:
        reading.set()
        await answer.wait()
        return await real_receipt(receipt)

    tracker._client.receipt = held_receipt  # type: ignore[method-assign]
    return reading, answer


@pytest.mark.parametrize("read_by", ["timer", "callback"])
async def test_read_in_flight_during_reload_is_left_to_the_new_tracker(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    read_by: str,
) -> None:
    """A read answered after a reload changes nothing the new tracker did."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt)
    old_tracker = tracker_of(loaded_entry)
    reading, answer = hold_receipt_reads(old_tracker)
    if read_by == "timer":
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
    else:
        assert old_tracker.async_request_read(receipt)
    await reading.wait()

    closed_by_new_tracker = asyncio.Event()
    hass.bus.async_listen_once(
        EVENT_ACKNOWLEDGED, callback(lambda _event: closed_by_new_tracker.set())
    )
    # Waiting for all tasks here would wait for the held read too.
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await closed_by_new_tracker.wait()
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    files = stored(hass, loaded_entry)
    assert set(files) == {"last.json"}
    assert files["last.json"]["state"] == "acknowledged"
    assert tracker_of(loaded_entry).open == []


async def test_cancel_during_a_read_stands(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read answered after a cancel closed the receipt changes nothing."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    cancelled = async_capture_events(hass, EVENT_CANCELLED)
    receipt = await send_emergency(hass)
    simulator.state.acknowledge(receipt, TEST_USER_KEY, "phone")
    reading, answer = hold_receipt_reads(tracker_of(loaded_entry))
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await reading.wait()

    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [event.data["receipt"] for event in cancelled] == [receipt]
    assert acknowledged == []
    last = sensor(hass, loaded_entry, "last_emergency")
    assert last.state == "cancelled"
    assert last.attributes["acknowledged_by"] is None


async def test_read_during_a_cancel_stands(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An acknowledgement read while the cancel is on its way is the one event."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    cancelled = async_capture_events(hass, EVENT_CANCELLED)
    receipt = await send_emergency(hass)
    simulator.state.acknowledge(receipt, TEST_USER_KEY, "phone")
    tracker = tracker_of(loaded_entry)
    real_cancel = tracker._client.cancel_receipt
    read = asyncio.Event()
    hass.bus.async_listen_once(EVENT_ACKNOWLEDGED, callback(lambda _event: read.set()))

    async def cancel_after_a_read(receipt: str) -> None:
        assert tracker.async_request_read(receipt)
        await read.wait()
        await real_cancel(receipt)

    monkeypatch.setattr(tracker._client, "cancel_receipt", cancel_after_a_read)
    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )

    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    assert cancelled == []
    assert sensor(hass, loaded_entry, "last_emergency").state == "acknowledged"


async def test_receipt_cancelled_while_reads_wait_is_not_read(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reads go one at a time; one cancelled while it waits its turn is skipped."""
    first, second, third = [await send_emergency(hass) for _ in range(3)]
    reading, answer = hold_receipt_reads(tracker_of(loaded_entry))
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await reading.wait()

    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": second}, blocking=True
    )
    answer.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    read_paths = [
        record.path
        for record in simulator.requests
        if record.method == "GET" and record.path.startswith("/1/receipts/")
    ]
    assert read_paths == [f"/1/receipts/{item}.json" for item in (first, third)]
    assert [item.receipt for item in tracker_of(loaded_entry).open] == [first, third]


async def test_save_in_flight_at_reload_ends_before_the_next_tracker_loads(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unload cancels the reader mid-save; the save still ends, and first.

    Otherwise the next tracker would load the receipt as still open, read it
    again and announce the acknowledgement twice.
    """
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    simulator.state.acknowledge(receipt, TEST_USER_KEY, "phone")
    old_tracker = tracker_of(loaded_entry)
    saving = asyncio.Event()
    written = asyncio.Event()
    real_save = old_tracker._store.async_save

    async def slow_save(*changes: Any) -> None:
        saving.set()
        await written.wait()
        await real_save(*changes)

    monkeypatch.setattr(old_tracker._store, "async_save", slow_save)
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await saving.wait()

    unloading = asyncio.Event()
    loaded_entry.async_on_unload(unloading.set)
    reload = hass.async_create_task(
        hass.config_entries.async_reload(loaded_entry.entry_id)
    )
    await unloading.wait()
    await asyncio.sleep(0)
    # The unload has cancelled the reader, and waits for its save.
    assert not reload.done()
    written.set()
    assert await reload
    await advance(hass, freezer, 30)

    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    assert tracker_of(loaded_entry).open == []
    assert sensor(hass, loaded_entry, "last_emergency").state == "acknowledged"
    assert len(receipt_reads(simulator)) == 1


async def test_closed_emergency_is_restored(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The latest emergency, closed before a restart, shows after it."""
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt)
    await advance(hass, freezer, 5)

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    last = sensor(hass, loaded_entry, "last_emergency")
    assert last.state == "acknowledged"
    assert last.attributes["receipt"] == receipt
    assert tracker_of(loaded_entry)._unsub_timer is None


async def test_cancel_receipt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The action stops the retries at Pushover and closes the receipt."""
    cancelled = async_capture_events(hass, EVENT_CANCELLED)
    receipt = await send_emergency(hass)

    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )

    assert simulator.receipts[receipt].cancelled
    assert [event.data["receipt"] for event in cancelled] == [receipt]
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"
    assert sensor(hass, loaded_entry, "last_emergency").state == "cancelled"


async def test_cancel_unknown_receipt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A receipt that is not open here is refused without calling Pushover."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "cancel_receipt", {"receipt": "u" * 30}, blocking=True
        )

    assert raised.value.translation_key == "unknown_receipt"
    assert not any("cancel" in record.path for record in simulator.requests)


async def test_cancel_receipt_fails_while_pushover_is_down(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx raises receipt_action_failed; the receipt stays open and polled."""
    receipt = await send_emergency(hass)
    simulator.faults.fail_next = 1

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
        )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert raised.value.translation_key == "receipt_action_failed"
    assert sensor(hass, loaded_entry, "open_emergencies").state == "1"
    assert receipt_reads(simulator) == []


async def test_cancel_refused_by_pushover_reads_the_receipt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Pushover refuses to cancel a receipt it lost; a read then stops following it."""
    expired = async_capture_events(hass, EVENT_EXPIRED)
    receipt = await send_emergency(hass)
    simulator.receipts.clear()

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
        )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert raised.value.translation_key == "receipt_action_failed"
    assert len(receipt_reads(simulator)) == 1
    # Lost before it could expire: not called expired.
    assert expired == []
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"
    assert sensor(hass, loaded_entry, "last_emergency").state == "unknown"


async def test_cancel_by_tag(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Every open emergency with the tag is cancelled; the others stay open."""
    cancelled = async_capture_events(hass, EVENT_CANCELLED)
    doors = [
        await send_emergency(hass, tags=["door"]),
        await send_emergency(hass, tags=["door", "front"]),
    ]
    window = await send_emergency(hass, tags=["window"])

    response = await hass.services.async_call(
        DOMAIN,
        "cancel_by_tag",
        {"tag": "door"},
        blocking=True,
        return_response=True,
    )

    assert response == {"cancelled": 2}
    assert sorted(event.data["receipt"] for event in cancelled) == sorted(doors)
    assert all(simulator.receipts[receipt].cancelled for receipt in doors)
    assert not simulator.receipts[window].cancelled
    assert [item.receipt for item in tracker_of(loaded_entry).open] == [window]
    assert sensor(hass, loaded_entry, "open_emergencies").state == "1"


async def test_cancel_by_tag_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """When Pushover fails, nothing is closed here."""
    await send_emergency(hass, tags=["door"])
    simulator.faults.fail_next = 1

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "cancel_by_tag", {"tag": "door"}, blocking=True
        )

    assert raised.value.translation_key == "receipt_action_failed"
    assert len(tracker_of(loaded_entry).open) == 1


async def test_receipt_unknown_before_its_expiry_is_unknown(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A receipt Pushover does not know before its expiry is not called expired.

    It is no longer polled, and no event claims it ended.
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.pushover_plus.receipts")
    expired = async_capture_events(hass, EVENT_EXPIRED)
    receipt = await send_emergency(hass)
    simulator.reset()

    await advance(hass, freezer, 5)
    reads = len(receipt_reads(simulator))
    await run_timers(hass, freezer, 3600)

    assert expired == []
    assert sensor(hass, loaded_entry, "last_emergency").state == "unknown"
    assert sensor(hass, loaded_entry, "open_emergencies").state == "0"
    assert len(receipt_reads(simulator)) == reads == 1
    assert f"Pushover does not know receipt {receipt} before its expiry" in caplog.text


async def test_receipt_forgotten_after_its_expiry_is_expired(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Read first after its expiry (Home Assistant was busy), then forgotten."""
    expired = async_capture_events(hass, EVENT_EXPIRED)
    receipt = await send_emergency(hass)
    simulator.reset()
    freezer.tick(timedelta(seconds=LEAK_EXPIRE + 60))

    await advance(hass, freezer, 1)

    assert [event.data["receipt"] for event in expired] == [receipt]
    assert sensor(hass, loaded_entry, "last_emergency").state == "expired"


async def test_temporary_poll_error_keeps_receipt_pending(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 5xx while polling changes nothing; the next poll tries again."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt)
    simulator.faults.fail_next = 1

    await advance(hass, freezer, 5)
    assert acknowledged == []
    assert sensor(hass, loaded_entry, "last_emergency").state == "pending"
    await advance(hass, freezer, 5)

    assert len(receipt_reads(simulator)) == 2
    assert len(acknowledged) == 1


async def test_automation_triggers_on_acknowledgement(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An automation can trigger on the event and read who acknowledged."""
    calls = async_mock_service(hass, "test", "acknowledged")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "event", "event_type": EVENT_ACKNOWLEDGED},
                "actions": {
                    "action": "test.acknowledged",
                    "data": {"who": "{{ trigger.event.data.acknowledged_by }}"},
                },
            }
        },
    )
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt)

    await advance(hass, freezer, 5)

    assert [call.data["who"] for call in calls] == ["Pushover"]


async def test_store_without_emergency_loads(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """A 0.2.0 store holding no emergency yet loads as nothing sent, with no timer."""
    legacy = Path(
        hass.config.path(".storage", f"pushover_plus.receipts.{config_entry.entry_id}")
    )
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(
        json.dumps(
            {"version": 1, "key": legacy.name, "data": {"open": [], "last": None}}
        )
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert sensor(hass, config_entry, "last_emergency").state == "unknown"
    assert sensor(hass, config_entry, "open_emergencies").state == "0"
    assert tracker_of(config_entry)._unsub_timer is None
    assert not legacy.exists()


async def test_removing_entry_deletes_store(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Removing the entry deletes its stored receipts."""
    await send_emergency(hass)
    await hass.async_block_till_done()
    assert receipts_dir(hass, loaded_entry).is_dir()

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert not receipts_dir(hass, loaded_entry).exists()
