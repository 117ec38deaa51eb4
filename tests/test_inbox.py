"""Receiving: the push connection, its frames, and delivery exactly once.

Every test runs the inbox against the simulator over real HTTP and a real
WebSocket; the simulator's push actions stand in for what Pushover's push
server does.
"""

from datetime import UTC, datetime, timedelta
import logging

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_SECRET,
    DESKTOP_LICENSING_URL,
    DOMAIN,
    PUSH_WATCHDOG,
)
from custom_components.pushover_plus.inbox_api import Download, InboxMessage, Login
from custom_components.pushover_plus.inbox_sync import Credentials, Stop
from pushover_simulator import (
    DESKTOP_TRIAL_SECONDS,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    PushoverSimulator,
)

from .conftest import inbox_secrets
from .inbox_helpers import (
    DEVICE_NAME,
    capture_messages,
    inbox_config_entry,
    pending,
    register_device,
    runtime_of,
    send,
    until,
    until_listening,
)


async def test_a_message_becomes_an_event_and_is_deleted(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """`!` downloads, fires the event with every field, then deletes at Pushover."""
    events = capture_messages(hass)

    await send(
        http,
        simulator,
        title="Washing machine",
        message="The laundry is done.",
        priority="1",
        sound="bugle",
        url="https://example.com/laundry",
        url_title="Open",
        html="1",
    )
    await until(lambda: len(events) == 1, "the event")
    await until(lambda: not pending(simulator, loaded_inbox), "the deletion")

    data = dict(events[0].data)
    assert data.pop("timestamp")
    assert data == {
        "entry_id": loaded_inbox.entry_id,
        "id": 1,
        "umid": 1,
        "title": "Washing machine",
        "message": "The laundry is done.",
        "app": "Pushover Plus Test",
        "aid": data["aid"],
        "priority": "high",
        "sound": "bugle",
        "url": "https://example.com/laundry",
        "url_title": "Open",
        "html": True,
        "receipt": None,
        "icon": data["icon"],
        "acked": False,
    }
    assert runtime_of(loaded_inbox).sync.state.highest_delivered == 1


def device_of(entry: MockConfigEntry) -> str:
    """Return the entry's device id."""
    device_id: str = entry.data[CONF_DEVICE_ID]
    return device_id


async def move_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the clock and run the loop's timers that fell due (the inbox's too).

    Not `advance` from tests: the inbox's tasks never end, so waiting for
    background tasks would wait for ever.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_reload_frame_reconnects_and_keeps_receiving(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """`R` makes the inbox connect again at once; what comes next arrives."""
    runtime = runtime_of(loaded_inbox)
    events = capture_messages(hass)

    assert simulator.push.act("reload", device_of(loaded_inbox)) == 1
    await until(
        lambda: runtime.inbox.connections == 2 and runtime.inbox.connected,
        "the second connection",
    )
    await send(http, simulator, message="Sent after the reload")

    await until(lambda: len(events) == 1, "the event")
    assert events[0].data["message"] == "Sent after the reload"
    assert runtime.inbox.stopped is None


async def test_error_frame_with_a_refused_secret_asks_for_a_login(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """`E` after the secret stopped working: stop, a notice, reauthentication."""
    runtime = runtime_of(loaded_inbox)
    del simulator.open_client.sessions[loaded_inbox.data[CONF_SECRET]]

    simulator.push.act("error", device_of(loaded_inbox))
    await until(lambda: runtime.inbox.stopped is not None, "the stop")
    await hass.async_block_till_done()

    assert runtime.inbox.stopped is Stop.SESSION_ENDED
    assert not runtime.inbox.connected
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(
        DOMAIN, f"inbox_session_ended_{loaded_inbox.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["device"] == DEVICE_NAME
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_error_frame_after_the_trial_asks_for_the_licence(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    api_base_url: str,
) -> None:
    """The Desktop trial ends: the server sends `E`, the inbox names the licence."""
    device = await register_device(
        simulator, email=TEST_NO_DESKTOP_EMAIL, password=TEST_NO_DESKTOP_PASSWORD
    )
    entry = inbox_config_entry(device)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until_listening(simulator, entry)
    runtime = runtime_of(entry)
    assert runtime.sync.desktop_licensed is False

    # The trial ends: the device was registered 30 days ago. (Not the
    # freezer: its jump would also run out the inbox's own watchdog.)
    simulator.open_client.devices[
        device.device_id
    ].registered_at -= DESKTOP_TRIAL_SECONDS
    simulator.push.beat()
    await until(lambda: runtime.inbox.stopped is not None, "the stop")
    await hass.async_block_till_done()

    assert runtime.inbox.stopped is Stop.LICENCE
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"inbox_licence_required_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["licensing_url"] == DESKTOP_LICENSING_URL
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_elsewhere_frame_stops_without_taking_the_device_back(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`A`: another session has the device; the inbox stops with a notice."""
    runtime = runtime_of(loaded_inbox)

    simulator.push.act("elsewhere", device_of(loaded_inbox))
    await until(lambda: runtime.inbox.stopped is not None, "the stop")
    await hass.async_block_till_done()

    assert runtime.inbox.stopped is Stop.ELSEWHERE
    assert runtime.inbox.connections == 1
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"inbox_logged_in_elsewhere_{loaded_inbox.entry_id}"
    )
    assert "logged in from another session" in caplog.text
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_a_dropped_connection_comes_back_after_the_back_off(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A drop: one warning, a wait of at least 5 s, the messages, one info."""
    runtime = runtime_of(loaded_inbox)
    events = capture_messages(hass)

    simulator.push.act("drop", device_of(loaded_inbox))
    await until(lambda: not runtime.inbox.connected, "the loss")
    await send(http, simulator, message="Sent while the inbox was away")
    await move_time(hass, freezer, 4)
    assert runtime.inbox.connections == 1
    await move_time(hass, freezer, 4)
    await until(lambda: len(events) == 1, "the event after the reconnection")
    await send(http, simulator, message="Sent once it was back")
    await until(lambda: len(events) == 2, "the event of the first frame")

    assert "connected to Pushover again" in caplog.text

    assert runtime.inbox.connections == 2
    lost = [
        r for r in caplog.records if "push connection to Pushover is lost" in r.message
    ]
    assert [record.levelno for record in lost] == [logging.WARNING]
    await until(lambda: not pending(simulator, loaded_inbox), "the deletions")


async def test_a_silent_connection_is_dropped_by_the_watchdog(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No keep-alive within the watchdog's bound: the inbox connects again."""
    runtime = runtime_of(loaded_inbox)
    simulator.push.act("silence", device_of(loaded_inbox))

    await move_time(hass, freezer, PUSH_WATCHDOG.total_seconds() + 1)
    await until(lambda: not runtime.inbox.connected, "the watchdog")
    assert "no keep-alive" in caplog.text
    simulator.push.act("resume", device_of(loaded_inbox))
    await move_time(hass, freezer, 7)
    await until(lambda: runtime.inbox.connections == 2, "the reconnection")
    await until(lambda: runtime.inbox.connected, "connected")


async def test_a_failed_download_is_tried_again_after_the_back_off(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 503 for the download: one warning, a wait, then the message."""
    events = capture_messages(hass)
    # No `!` for this message: the test asks for the sync itself, after
    # setting up the failure (which would otherwise hit the send).
    simulator.push.act("silence", device_of(loaded_inbox))
    await send(http, simulator, message="Waits out the failure")
    simulator.faults.fail_next = 1
    runtime_of(loaded_inbox).sync.request()
    await until(lambda: "could not be fetched" in caplog.text, "the warning")
    assert events == []

    await move_time(hass, freezer, 8)
    await until(lambda: len(events) == 1, "the event")
    await until(lambda: "the waiting messages were fetched" in caplog.text, "info")


async def test_the_leak_check_knows_what_an_inbox_must_not_log(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """The autouse check looks for the secret, the device id and message texts."""
    events = capture_messages(hass)
    await send(http, simulator, title="Hi", message="The alarm code is 4711")
    await until(lambda: len(events) == 1, "the event")

    secrets = inbox_secrets(simulator)

    assert loaded_inbox.data[CONF_SECRET] in secrets
    assert device_of(loaded_inbox) in secrets
    assert "The alarm code is 4711" in secrets
    # Too short to look for: it occurs in any log.
    assert "Hi" not in secrets


def test_what_an_inbox_holds_is_shown_without_texts_or_secrets() -> None:
    """A message's repr names it but leaves its texts out; a login's shows nothing."""
    message = InboxMessage(
        id=7,
        umid=42,
        message="The alarm code is 4711",
        title="Alarm panel",
        app="Home",
        aid=3,
        date=datetime.fromtimestamp(0, UTC),
        url="https://example.com/panel",
        url_title="Open the panel",
    )
    shown = repr(Download(messages=[message], desktop_licensed=True))

    assert "aid=3, app='Home'" in shown
    assert "id=7, priority=0" in shown
    for text in ("4711", "Alarm panel", "example.com", "Open the panel"):
        assert text not in shown
    assert repr(Login(user_key="u" * 30, secret="s" * 32)) == "Login()"
    assert repr(Credentials("s" * 32, "d" * 25)) == "Credentials()"
