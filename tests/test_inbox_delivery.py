"""Delivery exactly once, in order: restarts, drops in a burst, a long stop.

Also what the inbox offers around it: the loop guard, the acknowledge
action, setup's checks, the removal notice and the entities' states. Each
test counts what reached Home Assistant: delivered (distinct ids),
duplicates (ids seen twice) and lost (ids sent but never delivered).
"""

import asyncio
from collections import Counter
from datetime import timedelta

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_IGNORED_APPS,
    CONF_SECRET,
    DOMAIN,
)
from custom_components.pushover_plus.inbox_api import InboxClient
from custom_components.pushover_plus.inbox_store import InboxStore
from pushover_simulator import (
    DESKTOP_TRIAL_SECONDS,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    PushoverSimulator,
)

from .inbox_helpers import (
    InboxDevice,
    capture_messages,
    inbox_config_entry,
    pending,
    register_device,
    runtime_of,
    send,
    until,
    until_listening,
)

pytestmark = pytest.mark.usefixtures("api_base_url")


def counts(events: list[Event], sent: int) -> dict[str, int]:
    """Count what reached Home Assistant of `sent` messages with ids 1 to `sent`."""
    ids = Counter(event.data["id"] for event in events)
    return {
        "delivered": len(ids),
        "duplicates": sum(seen - 1 for seen in ids.values()),
        "lost": len(set(range(1, sent + 1)) - ids.keys()),
    }


def in_order(events: list[Event]) -> bool:
    """Tell whether the events came in the order of their ids."""
    ids = [event.data["id"] for event in events]
    return ids == sorted(ids)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def restart(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Stop the inbox as Home Assistant's stop does, then set it up again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until_listening(simulator, entry)


async def test_a_restart_between_download_and_delete_delivers_once(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Delivered and stored, not yet deleted: after the restart, deleted only."""
    events = capture_messages(hass)
    deleting = asyncio.Event()

    async def never_deletes(*_args: object) -> None:
        deleting.set()
        await asyncio.Event().wait()

    with monkeypatch.context() as patched:
        patched.setattr(InboxClient, "delete_through", never_deletes)
        for number in range(3):
            await send(http, simulator, message=f"Before the restart {number}")
        # The first batch is delivered and stored; its delete never ends, so
        # the sync waits there and the later messages wait at Pushover.
        await until(deleting.is_set, "the delete")
        delivered_before = len(events)
        assert delivered_before >= 1
        assert pending(simulator, loaded_inbox) == [1, 2, 3]
        assert await hass.config_entries.async_unload(loaded_inbox.entry_id)

    assert await hass.config_entries.async_setup(loaded_inbox.entry_id)
    await until_listening(simulator, loaded_inbox)
    await until(lambda: not pending(simulator, loaded_inbox), "the deletion")
    await send(http, simulator, message="After the restart")
    await until(lambda: len(events) >= 4, "the new message")

    assert counts(events, 4) == {"delivered": 4, "duplicates": 0, "lost": 0}
    assert in_order(events)


async def test_a_drop_in_the_middle_of_a_burst_loses_nothing(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """30 messages, the socket dropped after the 10th: each arrives once, in order."""
    events = capture_messages(hass)
    runtime = runtime_of(loaded_inbox)

    for number in range(1, 31):
        await send(http, simulator, message=f"Burst message {number}")
        if number == 10:
            simulator.push.act("drop", loaded_inbox.data[CONF_DEVICE_ID])
    await until(lambda: not runtime.inbox.connected, "the drop")
    freezer.tick(timedelta(seconds=8))
    async_fire_time_changed(hass)
    await until(lambda: len(events) >= 30, "the whole burst")
    await until(lambda: not pending(simulator, loaded_inbox), "the deletions")

    assert counts(events, 30) == {"delivered": 30, "duplicates": 0, "lost": 0}
    assert in_order(events)
    assert runtime.inbox.connections == 2


async def test_two_hundred_messages_sent_while_stopped_arrive_once(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """Home Assistant stopped while 200 messages came: all of them, once, in order."""
    events = capture_messages(hass)
    assert await hass.config_entries.async_unload(loaded_inbox.entry_id)
    for number in range(1, 201):
        await send(http, simulator, message=f"While stopped {number}")

    assert await hass.config_entries.async_setup(loaded_inbox.entry_id)
    await until(lambda: len(events) >= 200, "the 200 messages")
    await until(lambda: not pending(simulator, loaded_inbox), "the deletions")
    await restart(hass, loaded_inbox, simulator)

    assert counts(events, 200) == {"delivered": 200, "duplicates": 0, "lost": 0}
    assert in_order(events)
    stored = await InboxStore(hass, loaded_inbox.entry_id).async_load()
    assert stored.highest_delivered == 200


async def test_the_loop_guard_skips_an_app_but_deletes_its_messages(
    hass: HomeAssistant,
    inbox_device: InboxDevice,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """An ignored app: no event, no last message, and nothing left at Pushover."""
    entry = inbox_config_entry(
        inbox_device, options={CONF_IGNORED_APPS: ["Pushover Plus Test"]}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until_listening(simulator, entry)
    events = capture_messages(hass)

    await send(http, simulator, message="Forwarded by an automation")
    await until(lambda: runtime_of(entry).delivery.ignored == 1, "the skip")
    await until(lambda: not pending(simulator, entry), "the deletion")

    assert events == []
    assert runtime_of(entry).delivery.last is None
    assert [app.aid for app in runtime_of(entry).sync.state.seen_apps] == [1001]


async def test_the_entities_show_the_last_message_and_the_connection(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """The sensor holds the last message, the event entity its priority."""
    assert state_of(hass, "binary_sensor.pushover_inbox_connection") == STATE_ON
    events = capture_messages(hass)

    await send(http, simulator, message="A long text " * 40, priority="-1")
    await until(lambda: len(events) == 1, "the event")
    await hass.async_block_till_done()

    sensor = hass.states.get("sensor.pushover_inbox_last_message")
    assert sensor is not None
    assert len(sensor.state) == 255
    assert sensor.state.endswith("…")
    assert sensor.attributes["priority"] == "low"
    event = hass.states.get("event.pushover_inbox_message")
    assert event is not None
    assert event.attributes["event_type"] == "low"

    assert await hass.config_entries.async_unload(loaded_inbox.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "binary_sensor.pushover_inbox_connection") == (
        STATE_UNAVAILABLE
    )


async def test_acknowledge_reaches_the_senders_receipt(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """The action acknowledges as the inbox's device; a second try is refused."""
    events = capture_messages(hass)
    answer = await send(
        http, simulator, message="Smoke", priority="2", retry="30", expire="300"
    )
    await until(lambda: len(events) == 1, "the emergency")
    receipt = events[0].data["receipt"]
    assert receipt == answer["receipt"]

    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {ATTR_CONFIG_ENTRY_ID: loaded_inbox.entry_id, "receipt": receipt},
        blocking=True,
    )

    assert simulator.receipts[receipt].acknowledged
    last = runtime_of(loaded_inbox).delivery.last
    assert last is not None
    assert last["acked"] is True
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, "acknowledge", {"receipt": receipt}, blocking=True
        )
    assert refused.value.translation_key == "acknowledge_not_open"


async def test_acknowledge_of_an_unknown_receipt_is_refused(
    hass: HomeAssistant, loaded_inbox: MockConfigEntry
) -> None:
    """A receipt the account never received: a translated error naming it."""
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, "acknowledge", {"receipt": "u" * 30}, blocking=True
        )

    assert refused.value.translation_key == "acknowledge_unknown_receipt"
    assert refused.value.translation_placeholders == {"receipt": "u" * 30}


async def test_setup_with_a_refused_secret_asks_for_a_login(
    hass: HomeAssistant, inbox_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The secret no longer works: the entry fails and reauthentication starts."""
    del simulator.open_client.sessions[inbox_entry.data[CONF_SECRET]]
    inbox_entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(inbox_entry.entry_id)
    await hass.async_block_till_done()

    assert inbox_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_retries_while_pushover_cannot_be_reached(
    hass: HomeAssistant, inbox_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 503 at the check: the entry retries, nothing is lost."""
    simulator.faults.fail_next = 1
    inbox_entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(inbox_entry.entry_id)

    assert inbox_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_without_the_licence_stops_with_a_notice(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A device past its trial: the entry fails and the notice names the licence."""
    device = await register_device(
        simulator, email=TEST_NO_DESKTOP_EMAIL, password=TEST_NO_DESKTOP_PASSWORD
    )
    simulator.open_client.devices[
        device.device_id
    ].registered_at -= DESKTOP_TRIAL_SECONDS
    entry = inbox_config_entry(device)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"inbox_licence_required_{entry.entry_id}"
    )


async def test_setup_with_a_deleted_device_fails(
    hass: HomeAssistant, inbox_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The device was deleted at Pushover: the entry fails, saying so."""
    del simulator.open_client.devices[inbox_entry.data[CONF_DEVICE_ID]]
    inbox_entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(inbox_entry.entry_id)

    assert inbox_entry.state is ConfigEntryState.SETUP_ERROR
    assert inbox_entry.reason is not None


async def test_removal_names_the_device_left_at_pushover(
    hass: HomeAssistant, loaded_inbox: MockConfigEntry
) -> None:
    """The API cannot delete a device: a notice says where the user does it."""
    await hass.config_entries.async_remove(loaded_inbox.entry_id)
    await hass.async_block_till_done()

    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"inbox_device_left_{loaded_inbox.entry_id}"
    )
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "inbox_device_left"
    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    result = await manager.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_acknowledge_after_the_secret_stopped_working(
    hass: HomeAssistant, loaded_inbox: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A refused secret: an error that says to log the inbox in again."""
    del simulator.open_client.sessions[loaded_inbox.data[CONF_SECRET]]

    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            DOMAIN, "acknowledge", {"receipt": "u" * 30}, blocking=True
        )

    assert refused.value.translation_key == "acknowledge_session_refused"


async def test_each_action_refuses_the_other_kind_of_entry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, loaded_inbox: MockConfigEntry
) -> None:
    """Acknowledge needs an inbox, sending an application: each says so."""
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "acknowledge",
            {ATTR_CONFIG_ENTRY_ID: loaded_entry.entry_id, "receipt": "u" * 30},
            blocking=True,
        )
    assert refused.value.translation_key == "entry_is_application"

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {ATTR_CONFIG_ENTRY_ID: loaded_inbox.entry_id, "message": "Hello"},
            blocking=True,
        )
    assert refused.value.translation_key == "entry_is_inbox"
