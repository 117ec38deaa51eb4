"""The limits coordinator: poll schedule, header updates, the used-up quota."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from unittest.mock import Mock
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.api import Limits
from custom_components.pushover_plus.client import create_client
from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.coordinator import LimitsCoordinator
from custom_components.pushover_plus.errors import reset_text
from pushover_simulator import DEFAULT_MONTHLY_LIMIT, TEST_APP_TOKEN, PushoverSimulator

from . import limits_reads

# Mid-month, far from the quota's reset at the start of May.
START = datetime(2026, 4, 15, 12, tzinfo=UTC)


@pytest.fixture
async def simulator(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[PushoverSimulator]:
    """Run the simulator on the frozen clock, so its quota resets as time moves."""
    freezer.move_to(START)
    simulator = PushoverSimulator(clock=lambda: dt_util.utcnow().timestamp())
    await simulator.start(host="127.0.0.1", port=0)
    yield simulator
    await simulator.stop()


def reset_of(simulator: PushoverSimulator) -> datetime:
    """Return the simulator's next quota reset."""
    return datetime.fromtimestamp(simulator.state.quota.reset_at, UTC)


def issue_of(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's quota repair issue, if any."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"quota_exhausted_{entry.entry_id}"
    )


@pytest.fixture
async def entry_near_reset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> MockConfigEntry:
    """Set the entry up ten minutes before the quota resets."""
    freezer.move_to(reset_of(simulator) - timedelta(minutes=10))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move time on and run the timers that became due, polls included."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def send(hass: HomeAssistant, message: str = "Hello") -> None:
    """Call the send action."""
    await hass.services.async_call(
        DOMAIN, "send_message", {"message": message}, blocking=True
    )


async def send_refused(hass: HomeAssistant) -> HomeAssistantError:
    """Call the send action, which must fail; return the error."""
    with pytest.raises(HomeAssistantError) as err:
        await send(hass)
    return err.value


async def test_polls_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Nothing is polled within the hour; one poll follows the hour."""
    polls = limits_reads(simulator)

    await advance(hass, freezer, timedelta(minutes=59))
    assert limits_reads(simulator) == polls

    await advance(hass, freezer, timedelta(minutes=2))
    assert limits_reads(simulator) == polls + 1


async def test_polls_just_after_the_reset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_near_reset: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A reset within the hour is followed by a poll a minute later."""
    reset = reset_of(simulator)
    simulator.set_remaining(5)
    polls = limits_reads(simulator)

    await advance(hass, freezer, timedelta(minutes=10))
    assert limits_reads(simulator) == polls

    await advance(hass, freezer, timedelta(minutes=1))
    assert limits_reads(simulator) == polls + 1
    limits = entry_near_reset.runtime_data.limits.data
    assert limits.remaining == DEFAULT_MONTHLY_LIMIT
    assert limits.reset > reset


async def test_reset_from_headers_moves_the_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A reset learnt without polling also brings the poll forward."""
    loaded_entry.runtime_data.limits.async_set_limits(
        Limits(limit=100, remaining=50, reset=dt_util.utcnow() + timedelta(minutes=10))
    )
    polls = limits_reads(simulator)

    await advance(hass, freezer, timedelta(minutes=10))
    assert limits_reads(simulator) == polls

    await advance(hass, freezer, timedelta(minutes=1))
    assert limits_reads(simulator) == polls + 1


async def test_set_limits_updates_data_and_listeners(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Limits handed in replace the data and tell the listeners."""
    coordinator = loaded_entry.runtime_data.limits
    listener = Mock()
    unsubscribe = coordinator.async_add_listener(listener)
    limits = Limits(limit=100, remaining=7, reset=START + timedelta(days=3))

    coordinator.async_set_limits(limits)

    assert coordinator.data == limits
    listener.assert_called_once_with()
    unsubscribe()


async def test_send_updates_data_from_headers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A send's answer brings the quota, with no limits request."""
    polls = limits_reads(simulator)

    await send(hass)

    assert loaded_entry.runtime_data.limits.data == Limits(
        limit=DEFAULT_MONTHLY_LIMIT,
        remaining=DEFAULT_MONTHLY_LIMIT - 1,
        reset=reset_of(simulator),
    )
    assert limits_reads(simulator) == polls


async def test_quota_exceeded_creates_issue(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 429 fails the send and raises a repair issue naming the reset."""
    simulator.set_remaining(0)
    reset = reset_of(simulator)

    err = await send_refused(hass)

    assert err.translation_key == "quota_exceeded"
    # Local time, with the zone that says which: the notice says it alike.
    local_reset = reset.astimezone(ZoneInfo(hass.config.time_zone))
    shown = (
        f"{local_reset:%Y-%m-%d %H:%M} {hass.config.time_zone} (UTC{local_reset:%:z})"
    )
    assert err.translation_placeholders == {"reset": shown}
    issue = issue_of(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_key == "quota_exhausted"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "name": "Pushover",
        "limit": str(DEFAULT_MONTHLY_LIMIT),
        "reset": shown,
    }


async def test_exhausted_quota_fails_fast(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """After a 429, sends fail without calling Pushover until the reset."""
    simulator.set_remaining(0)
    await send_refused(hass)
    requests = len(simulator.requests)

    err = await send_refused(hass)

    assert err.translation_key == "quota_exceeded"
    assert err.translation_placeholders == {"reset": reset_text(reset_of(simulator))}
    assert len(simulator.requests) == requests


async def test_poll_after_reset_clears_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_near_reset: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The poll after the reset refills the quota, drops the issue, unblocks."""
    simulator.set_remaining(0)
    await send_refused(hass)
    polls = limits_reads(simulator)

    await advance(hass, freezer, timedelta(minutes=11))

    assert limits_reads(simulator) == polls + 1
    limits = entry_near_reset.runtime_data.limits
    assert limits.data.remaining == DEFAULT_MONTHLY_LIMIT
    assert issue_of(hass, entry_near_reset) is None
    await send(hass, "Back")
    assert [message.message for message in simulator.messages] == ["Back"]


async def test_send_after_reset_goes_out_before_the_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_near_reset: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Once the reset time has passed, a send is tried even before the poll."""
    simulator.set_remaining(0)
    await send_refused(hass)
    polls = limits_reads(simulator)
    freezer.tick(timedelta(minutes=10, seconds=30))

    await send(hass, "New month")

    assert [message.message for message in simulator.messages] == ["New month"]
    assert limits_reads(simulator) == polls
    assert issue_of(hass, entry_near_reset) is None


async def test_last_message_creates_issue(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Headers showing nothing left raise the issue without waiting for a 429."""
    simulator.set_remaining(1)

    await send(hass)

    assert issue_of(hass, loaded_entry) is not None
    assert loaded_entry.runtime_data.limits.exhausted_until == reset_of(simulator)


async def test_refused_token_on_poll_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A poll that Pushover refuses for the token starts reauthentication."""
    simulator.faults.reject_token = True

    await advance(hass, freezer, timedelta(minutes=61))

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert not loaded_entry.runtime_data.limits.last_update_success


async def test_429_before_any_quota_is_known_changes_nothing(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """With no reset known from the 429 or a poll, nothing can be blocked."""
    config_entry.add_to_hass(hass)
    coordinator = LimitsCoordinator(
        hass, config_entry, create_client(hass, TEST_APP_TOKEN)
    )

    coordinator.async_set_exhausted(None)

    data: Limits | None = coordinator.data
    assert data is None
    assert coordinator.exhausted_until is None
    coordinator.raise_if_exhausted()
