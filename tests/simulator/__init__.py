"""Tests of the Pushover simulator itself, on a clock the tests move by hand."""

from datetime import UTC, datetime

START = datetime(2026, 3, 15, 12, 0, tzinfo=UTC).timestamp()


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: float) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now
