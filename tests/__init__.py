"""Tests of Pushover Plus, and the helpers they share."""

from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.callback import webhook_id_of
from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

type WebClient = TestClient[web.Request, web.Application]


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call `pushover_plus.send_message` and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def send_emergency(hass: HomeAssistant, **data: Any) -> str:
    """Send an emergency message through the action; return its receipt."""
    response = await send(
        hass, **{"message": "Smoke in the kitchen", "priority": "emergency", **data}
    )
    receipt = response["receipt"]
    assert isinstance(receipt, str)
    return receipt


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    step: float = 1,
) -> None:
    """Move time forward in steps, letting due timers and background work run."""
    moved = 0.0
    while moved < seconds:
        tick = min(step, seconds - moved)
        freezer.tick(timedelta(seconds=tick))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        moved += tick


async def run_timers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Jump from timer to timer for `seconds`, each exactly when it falls due."""
    end = hass.loop.time() + seconds
    while (now := hass.loop.time()) < end:
        due = min(
            (
                handle.when()
                for handle in get_scheduled_timer_handles(hass.loop)
                if not handle.cancelled()
            ),
            default=end,
        )
        freezer.tick(timedelta(seconds=min(max(due - now, 0.001), end - now)))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def receipt_reads(simulator: PushoverSimulator) -> list[float]:
    """Return when each receipts/{receipt}.json read reached the simulator."""
    return [
        record.at
        for record in simulator.requests
        if record.method == "GET" and record.path.startswith("/1/receipts/")
    ]


def limits_reads(simulator: PushoverSimulator) -> int:
    """Count the apps/limits.json requests the simulator saw."""
    return sum(record.path == "/1/apps/limits.json" for record in simulator.requests)


async def load_with_webhook(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> WebClient:
    """Serve Home Assistant on loopback, use it as the external URL, load `entry`.

    The simulator then POSTs its acknowledgement callbacks to the real webhook.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client_no_auth()
    hass.config.external_url = f"http://127.0.0.1:{client.port}"
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return client


def webhook_path(entry: MockConfigEntry) -> str:
    """Return the path of the entry's acknowledgement webhook."""
    return f"/api/webhook/{webhook_id_of(entry)}"
