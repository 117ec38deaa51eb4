"""The outbox's retry timer and outage log."""

from collections.abc import Iterator
from datetime import timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.pushover_plus import outbox_retry
from custom_components.pushover_plus.const import RETRY_FIRST, RETRY_MAX
from custom_components.pushover_plus.outbox_retry import (
    OutageLog,
    RetryTimer,
    backoff,
)


@pytest.fixture(autouse=True)
def no_jitter() -> Iterator[None]:
    """Make the back-off exact."""
    with patch(f"{outbox_retry.__name__}.random.uniform", return_value=0.0):
        yield


class Resumes:
    """Counts the timer's calls."""

    def __init__(self) -> None:
        """Start at none."""
        self.count = 0

    def __call__(self) -> None:
        """Count one."""
        self.count += 1


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move time and fire what fell due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def test_backoff_doubles_up_to_the_cap() -> None:
    """5, 10, 20 … seconds, capped at five minutes, for any number of failures."""
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        300,
        300,
    ]
    assert backoff(10**9) == RETRY_MAX


def test_jitter_only_lengthens_the_wait() -> None:
    """Up to 20 % more, never less."""
    with patch(f"{outbox_retry.__name__}.random.uniform", return_value=0.2):
        assert backoff(1) == RETRY_FIRST * 1.2


async def test_a_failure_during_a_wait_changes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """One timer: a second failure neither restarts nor lengthens the wait."""
    resumes = Resumes()
    timer = RetryTimer(hass, resumes)

    assert timer.after_failure() == RETRY_FIRST
    await advance(hass, freezer, 4)
    assert timer.after_failure() is None
    assert timer.failures == 1
    await advance(hass, freezer, 1)

    assert resumes.count == 1
    assert not timer.waiting
    assert timer.after_failure() == RETRY_FIRST * 2
    timer.cancel()


async def test_a_quota_wait_keeps_the_later_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The reset replaces a shorter back-off; a shorter wait never cuts it."""
    resumes = Resumes()
    timer = RetryTimer(hass, resumes)
    timer.after_failure()
    reset = dt_util.utcnow() + timedelta(hours=1)

    assert timer.until(reset) == reset
    assert timer.until(reset - timedelta(minutes=30)) == reset
    await advance(hass, freezer, 3599)
    assert resumes.count == 0
    await advance(hass, freezer, 1)
    assert resumes.count == 1


async def test_a_reset_in_the_past_still_waits_five_seconds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Pushover asks for no retry sooner than 5 seconds."""
    timer = RetryTimer(hass, Resumes())

    until = timer.until(dt_util.utcnow() - timedelta(hours=1))

    assert until == dt_util.utcnow() + RETRY_FIRST
    waited = timer.waiting
    timer.cancel()
    assert (waited, timer.waiting) == (True, False)
    await advance(hass, freezer, 10)


def test_the_outage_log_speaks_once_each_way(caplog: pytest.LogCaptureFixture) -> None:
    """One warning when it starts, one info with the count when it ends."""
    caplog.set_level(logging.DEBUG, logger=outbox_retry.__name__)
    log = OutageLog()
    log.recovered()
    log.report("unreachable", "down (%s)", "first")
    log.report("unreachable", "down (%s)", "again")
    log.sent_from_queue()
    log.sent_from_queue()
    log.recovered()
    log.recovered()

    said = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert said == [
        (logging.WARNING, "down (first)"),
        (logging.DEBUG, "down (again)"),
        (logging.INFO, "Pushover is reachable again; 2 queued messages sent"),
    ]


async def test_a_closed_timer_starts_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """After close, neither a failure nor a quota wait starts a timer."""
    resumes = Resumes()
    timer = RetryTimer(hass, resumes)
    timer.after_failure()

    timer.close()

    assert timer.after_failure() is None
    assert timer.until(dt_util.utcnow() + timedelta(hours=1)) is None
    await advance(hass, freezer, 7200)
    assert resumes.count == 0
