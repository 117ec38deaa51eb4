"""The queued-messages sensor and the repair notice of a stuck outbox."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

from . import advance

SENSOR = "sensor.pushover_app_queued_messages"


def stuck_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the stuck-outbox notice of an entry, if there is one."""
    registry = ir.async_get(hass)
    return registry.async_get_issue(DOMAIN, f"outbox_stuck_{entry.entry_id}")


async def queue_during_outage(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Make Pushover fail every request and send two messages into the queue."""
    simulator.faults.fail_next = 1_000_000
    for text in ("first", "second"):
        await hass.services.async_call(
            DOMAIN, "send_message", {"message": text}, blocking=True
        )
    await hass.async_block_till_done()


async def test_sensor_counts_queued_messages(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sensor shows what waits and since when, and falls to 0 once sent."""
    assert hass.states.get(SENSOR).state == "0"  # type: ignore[union-attr]

    await queue_during_outage(hass, simulator)

    state = hass.states.get(SENSOR)
    assert state is not None
    assert state.state == "2"
    assert state.attributes["stuck_since"] is not None

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 10)

    assert hass.states.get(SENSOR).state == "0"  # type: ignore[union-attr]
    assert [message.message for message in simulator.messages] == ["first", "second"]


async def test_notice_after_15_minutes_and_gone_when_drained(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A stall raises a notice at 15 minutes; draining removes it."""
    await queue_during_outage(hass, simulator)

    await advance(hass, freezer, 14 * 60, step=30)
    assert stuck_issue(hass, loaded_entry) is None

    await advance(hass, freezer, 90, step=30)
    issue = stuck_issue(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_key == "outbox_stuck"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "2"

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 6 * 60, step=30)

    assert stuck_issue(hass, loaded_entry) is None
    assert len(simulator.messages) == 2


async def test_notice_removed_with_the_entry(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading the entry takes its notice along."""
    await queue_during_outage(hass, simulator)
    await advance(hass, freezer, 16 * 60, step=60)
    assert stuck_issue(hass, loaded_entry) is not None

    await hass.config_entries.async_unload(loaded_entry.entry_id)

    assert stuck_issue(hass, loaded_entry) is None
