"""When the outbox tries again, and what it says about an outage.

`RetryTimer` owns the outbox's one timer. Pushover asks for no retry sooner
than 5 seconds after a failure, growing after that; a failure that comes
while the timer already runs (two sends failing together) changes nothing, so
the wait is neither cut short nor counted twice. A quota wait ends at the
reset, whichever is later.

`OutageLog` warns once when Pushover becomes unreachable (or stops taking
messages) and once when it is back, with how many queued messages went.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
import random
from typing import Final, Literal

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
import homeassistant.util.dt as dt_util

from .const import RETRY_FIRST, RETRY_JITTER, RETRY_MAX

_LOGGER = logging.getLogger(__name__)

type Problem = Literal["unreachable", "quota"]

_RECOVERED: Final[dict[Problem, str]] = {
    "unreachable": "Pushover is reachable again; %d queued messages sent",
    "quota": "Pushover takes messages again; %d queued messages sent",
}


def backoff(failures: int) -> timedelta:
    """Return the wait after `failures` failures in a row: doubling, capped."""
    # The exponent is capped too: days of outage must not overflow.
    base = min(RETRY_FIRST * (1 << min(failures - 1, 16)), RETRY_MAX)
    # Jitter spreads the retries of many installations after a shared outage;
    # it only adds, so no retry comes sooner than RETRY_FIRST.
    return base * (1 + random.uniform(0, RETRY_JITTER))  # noqa: S311 - not crypto


class RetryTimer:
    """The one timer after which the outbox tries the head of its queue again."""

    def __init__(self, hass: HomeAssistant, resume: Callable[[], None]) -> None:
        """Call `resume` when a wait ends."""
        self._hass = hass
        self._resume = resume
        self._cancel: CALLBACK_TYPE | None = None
        self._until: datetime | None = None
        self._closed = False
        # Consecutive failures to reach Pushover, for the back-off.
        self.failures = 0

    @property
    def waiting(self) -> bool:
        """Whether a wait is running."""
        return self._cancel is not None

    @callback
    def after_failure(self) -> timedelta | None:
        """Start the back-off after a failure; None if a wait already runs."""
        if self.waiting or self._closed:
            return None
        self.failures += 1
        delay = backoff(self.failures)
        self._start(delay)
        return delay

    @callback
    def until(self, moment: datetime) -> datetime | None:
        """Wait until `moment` (at least RETRY_FIRST); keep a later running wait.

        Returns when the wait ends, or None once closed.
        """
        if self._closed:
            return None
        self.failures = 0
        moment = max(moment, dt_util.utcnow() + RETRY_FIRST)
        if self._until is not None and self._until >= moment:
            return self._until
        self.cancel()
        self._start(moment - dt_util.utcnow())
        return moment

    @callback
    def succeeded(self) -> None:
        """Forget the failures: the next one waits RETRY_FIRST again."""
        self.failures = 0

    @callback
    def close(self) -> None:
        """Stop the running wait and start no other: the outbox is unloading."""
        self._closed = True
        self.cancel()

    @callback
    def cancel(self) -> None:
        """Stop the running wait, if any."""
        if self._cancel is not None:
            self._cancel()
        self._cancel = None
        self._until = None

    def _start(self, delay: timedelta) -> None:
        self._until = dt_util.utcnow() + delay
        self._cancel = async_call_later(self._hass, delay, self._async_elapsed)

    @callback
    def _async_elapsed(self, _now: datetime) -> None:
        self._cancel = None
        self._until = None
        self._resume()


class OutageLog:
    """Says once that a problem began and once that it ended."""

    def __init__(self) -> None:
        """Start with no problem."""
        self._problem: Problem | None = None
        self._sent_since = 0

    @callback
    def report(self, problem: Problem, msg: str, *args: object) -> None:
        """Warn of a problem once; repeats of the same one go to debug."""
        if problem == self._problem:
            _LOGGER.debug(msg, *args)
            return
        _LOGGER.warning(msg, *args)
        self._problem = problem
        self._sent_since = 0

    @callback
    def sent_from_queue(self) -> None:
        """Count a queued message delivered during the problem."""
        self._sent_since += 1

    @callback
    def recovered(self) -> None:
        """Say that the problem is over, if there was one."""
        if self._problem is None:
            return
        _LOGGER.info(_RECOVERED[self._problem], self._sent_since)
        self._problem = None
