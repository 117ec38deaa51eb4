"""API calls in one simulated day, counted by the simulator.

Each scenario loads the entry against the simulator, then runs Home Assistant's
timers through 24 hours of frozen time, jumping from timer to timer so that
each fires exactly when it falls due. The simulator counts every request that
reaches it. `scripts/bench` runs this module and reads the counts from the
JUnit XML properties recorded here; the assertions keep the figures honest
between benchmark runs.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import re
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DEFAULT_EXPIRE,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import TEST_GROUP_KEY, PushoverSimulator
from pushover_simulator.quota import next_reset

from . import load_with_webhook, run_timers, send_emergency

DAY = 24 * 3600
MID_MONTH = datetime(2026, 11, 10, 12, tzinfo=UTC)
ACKNOWLEDGED_AFTER = 600


@dataclass(frozen=True)
class Scenario:
    """A simulated day: when it starts and what happens in it."""

    start: datetime
    emergency: bool = False
    callback: bool = False
    acknowledge_after: float | None = None
    # A delivery group among the recipients, whose members are read hourly.
    group: bool = False


SCENARIOS = {
    "idle": Scenario(MID_MONTH),
    "idle_over_monthly_reset": Scenario(
        datetime.fromtimestamp(next_reset(MID_MONTH.timestamp()), UTC)
        - timedelta(hours=11, minutes=43)
    ),
    "emergency_open_1h_polling": Scenario(MID_MONTH, emergency=True),
    "emergency_open_1h_callback": Scenario(MID_MONTH, emergency=True, callback=True),
    "emergency_acknowledged_10min_callback": Scenario(
        MID_MONTH, emergency=True, callback=True, acknowledge_after=ACKNOWLEDGED_AFTER
    ),
    "group_recipient_idle": Scenario(MID_MONTH, group=True),
}
# Calls in the day after setup: the hourly limits poll (over the monthly
# reset, one poll comes just after it and the hourly rhythm restarts there,
# so that day has 24 as well), the emergency message, and its receipt reads:
# a twelfth of the message's age apart (5 s to 5 min) and a final look just
# after expiry; with the callback, every 5 min (the read at expiry finds it
# expired) or one confirming read when the callback comes.
EXPECTED = {
    "idle": 24,
    "idle_over_monthly_reset": 24,
    "emergency_open_1h_polling": 24 + 1 + 64,
    "emergency_open_1h_callback": 24 + 1 + 12,
    "emergency_acknowledged_10min_callback": 24 + 1 + 2 + 1,
    # The group's details, hourly, besides the limits.
    "group_recipient_idle": 24 + 24,
}
IDLE_GOAL = 25
RECEIPT_ID = re.compile(r"^receipts/[A-Za-z0-9]{30}(?=\.json|/)")
GROUP_KEY = re.compile(r"^groups/[A-Za-z0-9]{30}(?=\.json|/)")


def endpoint(path: str) -> str:
    """Name the API endpoint of a request path, receipt ids and group keys folded."""
    path = RECEIPT_ID.sub("receipts/{receipt}", path.removeprefix("/1/"))
    return GROUP_KEY.sub("groups/{group}", path)


def with_group(entry: MockConfigEntry) -> MockConfigEntry:
    """Return the entry with the simulator's test group as a second recipient."""
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        minor_version=entry.minor_version,
        data=dict(entry.data),
        unique_id=entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_USER_KEY: TEST_GROUP_KEY,
                    CONF_DEVICES: [],
                    CONF_SERVICE_NAME: "family",
                    CONF_IS_GROUP: True,
                },
                subentry_type=SUBENTRY_RECIPIENT,
                title="Family",
                unique_id=None,
            )
        ],
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_api_calls_per_day(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
    record_property: Callable[[str, object], None],
    name: str,
) -> None:
    """Count the requests one entry makes in the day after its setup."""
    scenario = SCENARIOS[name]
    freezer.move_to(scenario.start)
    if scenario.group:
        config_entry = with_group(config_entry)
    if scenario.callback:
        await load_with_webhook(hass, config_entry, hass_client_no_auth)
    else:
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
    # Setup's own reads (the account's sounds, in the background) are not the
    # day's: they come at each start, not each day.
    await hass.async_block_till_done(wait_background_tasks=True)
    setup_calls = Counter(endpoint(record.path) for record in simulator.requests)
    expected_setup = Counter(
        {"users/validate.json": 1, "apps/limits.json": 1, "sounds.json": 1}
    )
    if scenario.group:
        # The group's devices, for the send action's form, and its details.
        expected_setup.update({"users/validate.json": 1, "groups/{group}.json": 1})
    assert setup_calls == expected_setup
    day_began = time.time()
    after_setup = len(simulator.requests)
    if scenario.emergency:
        receipt = await send_emergency(hass, expire=DEFAULT_EXPIRE)
        assert (simulator.messages[-1].callback is not None) == scenario.callback
        if scenario.acknowledge_after is not None:
            await run_timers(hass, freezer, scenario.acknowledge_after)
            answered = await simulator.acknowledge(receipt)
            assert answered.callback_statuses == [200]
    await run_timers(hass, freezer, DAY - (time.time() - day_began))
    assert time.time() - day_began == pytest.approx(DAY)

    calls = Counter(
        endpoint(record.path) for record in simulator.requests[after_setup:]
    )
    total = calls.total()
    record_property("api_calls", total)
    for path, count in sorted(calls.items()):
        record_property(f"api_calls {path}", count)
    assert total == EXPECTED[name], calls
    if name.startswith("idle"):
        assert total <= IDLE_GOAL
    if name == "idle_over_monthly_reset":
        reset = next_reset(scenario.start.timestamp())
        assert any(
            reset < record.at <= reset + 120
            for record in simulator.requests[after_setup:]
        ), "no limits poll just after the monthly reset"
