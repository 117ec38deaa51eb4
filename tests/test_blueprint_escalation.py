"""The escalation blueprint, instantiated in Home Assistant with real inputs."""

from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from pushover_simulator import TEST_SECOND_USER_KEY, TEST_USER_KEY, PushoverSimulator

from . import run_timers

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "pushover_plus"
    / "emergency_escalation.yaml"
)
LEAK = "binary_sensor.basement_leak"


async def test_escalation_blueprint_sends_and_escalates(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The leak turns on: the emergency goes to the first, then to Alex."""
    entry_with_alex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    folder = Path(hass.config.path("blueprints", "automation", "pushover_plus"))
    await hass.async_add_executor_job(lambda: folder.mkdir(parents=True, exist_ok=True))
    await hass.async_add_executor_job(shutil.copy, BLUEPRINT, folder)
    hass.states.async_set(LEAK, "off", {"friendly_name": "Basement leak"})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Leak alarm",
                "use_blueprint": {
                    "path": "pushover_plus/emergency_escalation.yaml",
                    "input": {
                        "alarm": LEAK,
                        "application": entry_with_alex.entry_id,
                        "first": ["Pushover"],
                        "escalate_to": ["Alex"],
                        "escalate_after": 120.0,
                        "retry": 60.0,
                    },
                },
            }
        },
    )

    hass.states.async_set(LEAK, "on", {"friendly_name": "Basement leak"})
    await hass.async_block_till_done(wait_background_tasks=True)
    [first] = simulator.messages
    await run_timers(hass, freezer, 120)

    assert (first.priority, first.title, first.message) == (
        2,
        "Alarm",
        "Basement leak raised the alarm.",
    )
    assert (first.retry, first.expire) == (60, 1800)
    assert [message.users for message in simulator.messages] == [
        [TEST_USER_KEY],
        [TEST_SECOND_USER_KEY],
    ]
