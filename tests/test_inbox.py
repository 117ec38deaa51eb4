"""Receiving: the push connection, its frames, and delivery exactly once.

Every test runs the inbox against the simulator over real HTTP and a real
WebSocket; the simulator's push actions stand in for what Pushover's push
server does.
"""

import aiohttp
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from pushover_simulator import PushoverSimulator

from .inbox_helpers import (
    capture_messages,
    pending,
    runtime_of,
    send,
    until,
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
