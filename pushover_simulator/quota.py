"""The account's monthly message quota and its reset time."""

from dataclasses import dataclass
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


@dataclass(slots=True)
class Quota:
    """Messages left this month; one message costs one per recipient user."""

    limit: int
    remaining: int
    reset_at: int

    @classmethod
    def fresh(cls, limit: int, now: float) -> Quota:
        """Make a full quota that resets at the start of next month."""
        return cls(limit, limit, next_reset(now))

    def roll(self, now: float) -> None:
        """Refill the quota once its reset time has passed."""
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = next_reset(now)

    def charge(self, cost: int) -> bool:
        """Spend `cost` messages if that many are left; tell whether it did."""
        if cost > self.remaining:
            return False
        self.remaining -= cost
        return True

    def headers(self) -> dict[str, str]:
        """Build the X-Limit-App-* headers every messages.json answer carries."""
        return {
            "X-Limit-App-Limit": str(self.limit),
            "X-Limit-App-Remaining": str(self.remaining),
            "X-Limit-App-Reset": str(self.reset_at),
        }

    def to_json(self) -> dict[str, int]:
        """Build the limit, remaining and reset fields of apps/limits.json."""
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": self.reset_at,
        }
