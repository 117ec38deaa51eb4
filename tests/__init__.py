"""Tests of Pushover Plus, and the helpers they share."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


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
