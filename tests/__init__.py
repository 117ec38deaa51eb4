"""Tests of Pushover Plus, and the helpers they share."""

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.callback import webhook_id_of
from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

type WebClient = TestClient[web.Request, web.Application]

# When the tests that snapshot times run: mid-month, far from the quota's reset.
SNAPSHOT_TIME = datetime(2026, 11, 15, 12, tzinfo=UTC)


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
    # As Home Assistant's own server does when it starts: views may still be
    # registered after it (the invitations' page is, at the first invitation).
    hass.http.app._router.freeze = lambda: None  # type: ignore[method-assign]
    client = await hass_client_no_auth()
    hass.config.external_url = f"http://127.0.0.1:{client.port}"
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return client


async def snapshot_one_platform(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platform: Platform,
    snapshot: SnapshotAssertion,
) -> None:
    """Load `entry` with `platform` alone; snapshot its entities and their devices.

    The entity registry entries and states (`snapshot_platform`), then each
    device those entities belong to. The entry is unloaded before the
    platform list is restored, so that it unloads what it loaded.
    """
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    entry.add_to_hass(hass)
    with patch(f"custom_components.{DOMAIN}.PLATFORMS", [platform]):
        try:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
            for device in dr.async_entries_for_config_entry(
                device_registry, entry.entry_id
            ):
                assert device == snapshot(name=f"{device.name}-device")
        finally:
            assert await hass.config_entries.async_unload(entry.entry_id)


def webhook_path(entry: MockConfigEntry) -> str:
    """Return the path of the entry's acknowledgement webhook."""
    return f"/api/webhook/{webhook_id_of(entry)}"
