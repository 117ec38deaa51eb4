"""Tests of Pushover Plus, and the helpers they share."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator


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
