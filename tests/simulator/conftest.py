"""Fixtures of the simulator's own tests: a simulator on a hand-moved clock."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from pushover_simulator import PushoverSimulator

from . import START, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """Return a clock fixed in mid-March 2026."""
    return FakeClock(START)


@pytest.fixture
async def simulator(
    socket_enabled: None, clock: FakeClock
) -> AsyncIterator[PushoverSimulator]:
    """Run a simulator on a free loopback port for one test."""
    sim = PushoverSimulator(clock=clock)
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP client session."""
    async with aiohttp.ClientSession() as client:
        yield client
