import asyncio, time
from datetime import timedelta
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

async def test_clock(hass: HomeAssistant, freezer) -> None:
    t0, m0, r0 = hass.loop.time(), time.time(), time.perf_counter()
    freezer.tick(timedelta(seconds=10))
    print("loop", hass.loop.time() - t0, "time", time.time() - m0)
    start = time.perf_counter()
    await asyncio.sleep(0.2)
    print("sleep real", time.perf_counter() - start, "loop", hass.loop.time() - t0)
