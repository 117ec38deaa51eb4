"""The account's monthly message quota and its reset time.

Nothing here is computed once and kept: the month in which the quota was
counted is compared with the clock's month at every read, so a quota made
before a test moves time (forwards or backwards) still resets when the
clock says it should.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_MONTHLY_LIMIT: Final = 10_000
DECEMBER: Final = 12


def _central_time() -> tzinfo:
    """US Central time, or a fixed UTC-6 where no time zone data is installed."""
    try:
        return ZoneInfo("America/Chicago")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-6))


def next_reset(now: float) -> int:
    """Unix time of the next 1st of a month, 00:00 US Central, after `now`."""
    zone = _central_time()
    local = datetime.fromtimestamp(now, zone)
    year, month = (
        (local.year + 1, 1)
        if local.month == DECEMBER
        else (local.year, local.month + 1)
    )
    return int(datetime(year, month, 1, tzinfo=zone).timestamp())


class Quota:
    """Messages left this month; one message costs one per recipient user."""

    __slots__ = ("_clock", "_period_end", "_remaining", "limit")

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        """Start full, in the month `clock` reads now."""
        self.limit = limit
        self._clock = clock
        self._remaining = limit
        self._period_end = next_reset(clock())

    def _follow_clock(self) -> int:
        """Refill when the clock is in another month than the count; return its end."""
        period_end = next_reset(self._clock())
        if period_end != self._period_end:
            self._period_end = period_end
            self._remaining = self.limit
        return period_end

    @property
    def reset_at(self) -> int:
        """Unix time of the next reset, as the clock reads now."""
        return self._follow_clock()

    @property
    def remaining(self) -> int:
        """Messages left in the clock's current month."""
        self._follow_clock()
        return self._remaining

    @remaining.setter
    def remaining(self, remaining: int) -> None:
        self._follow_clock()
        self._remaining = remaining

    def refill(self) -> None:
        """Give the current month its whole limit again."""
        self._follow_clock()
        self._remaining = self.limit

    def charge(self, cost: int) -> bool:
        """Spend `cost` messages if that many are left; tell whether it did."""
        self._follow_clock()
        if cost > self._remaining:
            return False
        self._remaining -= cost
        return True

    def headers(self) -> dict[str, str]:
        """Build the X-Limit-App-* headers every messages.json answer carries."""
        reset_at = self._follow_clock()
        return {
            "X-Limit-App-Limit": str(self.limit),
            "X-Limit-App-Remaining": str(self._remaining),
            "X-Limit-App-Reset": str(reset_at),
        }

    def to_json(self) -> dict[str, int]:
        """Build the limit, remaining and reset fields of apps/limits.json."""
        reset_at = self._follow_clock()
        return {
            "limit": self.limit,
            "remaining": self._remaining,
            "reset": reset_at,
        }
