"""The monthly reset at whatever moment the machine's clock shows.

These tests take no date of their own: they start from the real clock, which
`scripts/test-calendar` sets (with libfaketime) to the awkward moments of the
calendar: the minute before and after a monthly reset, New Year's Eve, a leap
day and both daylight saving changes in US Central time, where Pushover's
quota resets. The expected reset is worked out here from the calendar, not
by the simulator's own function, so that both are checked.
"""

from datetime import UTC, datetime, timedelta
import time
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN, LIMITS_RESET_GRACE
from pushover_simulator import DEFAULT_MONTHLY_LIMIT, PushoverSimulator

from . import run_timers

CENTRAL = ZoneInfo("America/Chicago")


def first_of_next_month(moment: datetime) -> datetime:
    """Return the next 1st of a month, 00:00 US Central, after `moment`."""
    local = moment.astimezone(CENTRAL)
    # Day 28 plus four days is always in the next month, whatever its length.
    next_month = local.replace(day=28) + timedelta(days=4)
    return datetime(next_month.year, next_month.month, 1, tzinfo=CENTRAL).astimezone(
        UTC
    )


def sensor_state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Return the state of one of the entry's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def test_first_of_next_month_across_the_calendar() -> None:
    """The test's own reckoning: year ends, leap years, both offsets."""
    cases = {
        datetime(2026, 11, 30, 23, 59, tzinfo=CENTRAL): datetime(
            2026, 12, 1, 6, tzinfo=UTC
        ),
        datetime(2026, 12, 1, 0, 0, 30, tzinfo=CENTRAL): datetime(
            2027, 1, 1, 6, tzinfo=UTC
        ),
        datetime(2026, 12, 31, 23, 59, tzinfo=CENTRAL): datetime(
            2027, 1, 1, 6, tzinfo=UTC
        ),
        datetime(2028, 2, 29, 12, tzinfo=CENTRAL): datetime(2028, 3, 1, 6, tzinfo=UTC),
        # Daylight saving time: the April reset is at 05:00 UTC.
        datetime(2027, 3, 14, 1, 59, tzinfo=CENTRAL): datetime(
            2027, 4, 1, 5, tzinfo=UTC
        ),
        datetime(2027, 11, 7, 1, 59, tzinfo=CENTRAL): datetime(
            2027, 12, 1, 6, tzinfo=UTC
        ),
    }
    for moment, reset in cases.items():
        assert first_of_next_month(moment) == reset, moment


async def test_quota_reset_sensor_shows_the_next_reset(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The sensor shows the coming 1st of the month in Central time."""
    before = first_of_next_month(datetime.now(UTC))
    shown = datetime.fromisoformat(sensor_state(hass, loaded_entry, "quota_reset"))
    after = first_of_next_month(datetime.now(UTC))

    # The clock may cross a reset while the entry loads (at 23:59:59).
    assert shown in {before, after}
    assert sensor_state(hass, loaded_entry, "messages_remaining") == str(
        DEFAULT_MONTHLY_LIMIT
    )


async def test_limits_are_read_just_after_the_next_reset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """From today's date, the coordinator asks again within a minute of the reset.

    The quota used before the reset is full again after it, and the sensor
    moves on to the following month's reset.
    """
    reset = first_of_next_month(datetime.now(UTC))
    simulator.set_remaining(7)
    await loaded_entry.runtime_data.limits.async_refresh()
    assert sensor_state(hass, loaded_entry, "messages_remaining") == "7"
    if reset - datetime.now(UTC) > timedelta(hours=2):
        # Skip the hourly polls of the weeks before; the overdue one runs.
        freezer.move_to(reset - timedelta(hours=2))
    reads_before = len(simulator.requests)

    await run_timers(
        hass,
        freezer,
        (reset - datetime.now(UTC) + timedelta(minutes=3)).total_seconds(),
    )

    reads = [
        record.at
        for record in simulator.requests[reads_before:]
        if record.path == "/1/apps/limits.json"
    ]
    window_end = (reset + LIMITS_RESET_GRACE + timedelta(seconds=1)).timestamp()
    assert any(reset.timestamp() < at <= window_end for at in reads), reads
    assert sensor_state(hass, loaded_entry, "messages_remaining") == str(
        DEFAULT_MONTHLY_LIMIT
    )
    following = first_of_next_month(reset + timedelta(seconds=1))
    assert (
        datetime.fromisoformat(sensor_state(hass, loaded_entry, "quota_reset"))
        == following
    )
    assert time.time() > reset.timestamp()
