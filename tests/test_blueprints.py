"""The shipped automation blueprints, loaded and run in Home Assistant.

Each blueprint is copied where Home Assistant keeps blueprints, instantiated
with real inputs (the quota sensors of a loaded entry; the demo camera), its
trigger fired, and what reached the simulator checked.
"""

from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.demo.camera import DemoCamera
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.pushover_plus.const import DOMAIN, PRIMARY_RECIPIENT_ID
from pushover_simulator import PushoverSimulator

from . import SNAPSHOT_TIME

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / DOMAIN
MOTION = "binary_sensor.porch_motion"
DEMO_PICTURES = Path(dt_util.__file__).parent.parent / "components" / "demo"


async def use_blueprint(
    hass: HomeAssistant, name: str, inputs: dict[str, object]
) -> None:
    """Install one shipped blueprint and an automation made from it."""
    folder = Path(hass.config.path("blueprints", "automation", DOMAIN))
    await hass.async_add_executor_job(lambda: folder.mkdir(parents=True, exist_ok=True))
    await hass.async_add_executor_job(shutil.copy, BLUEPRINTS / name, folder / name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": name,
                "use_blueprint": {"path": f"{DOMAIN}/{name}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()


def entity_of(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """Return the entity id of one of the entry's entities."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None
    return entity_id


def test_every_blueprint_is_shipped() -> None:
    """The README's import links point at these files, and only these."""
    assert sorted(path.name for path in BLUEPRINTS.iterdir()) == [
        "camera_snapshot_on_motion.yaml",
        "emergency_escalation.yaml",
        "quota_low.yaml",
    ]


@pytest.mark.freeze_time(SNAPSHOT_TIME)
async def test_quota_low_warns_with_the_count_and_the_reset(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Falling below the threshold sends one warning with what is left."""
    entry_id = loaded_entry.entry_id
    reset_sensor = entity_of(hass, "sensor", f"{entry_id}_quota_reset")
    await use_blueprint(
        hass,
        "quota_low.yaml",
        {
            "remaining_sensor": entity_of(
                hass, "sensor", f"{entry_id}_messages_remaining"
            ),
            "reset_sensor": reset_sensor,
            "threshold": 500,
            "notify_entities": [
                entity_of(hass, "notify", f"{entry_id}_{PRIMARY_RECIPIENT_ID}_message")
            ],
        },
    )
    assert simulator.messages == []

    simulator.state.set_remaining(420)
    await loaded_entry.runtime_data.limits.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)

    [warning] = simulator.messages
    reset_state = hass.states.get(reset_sensor)
    assert reset_state is not None
    reset = dt_util.as_local(
        dt_util.parse_datetime(reset_state.state, raise_on_error=True)
    )
    assert warning.title == "Pushover quota running low"
    assert warning.message == (
        "Only 420 Pushover messages are left this month (warning below 500)."
        f" The count resets on {reset:%Y-%m-%d}."
    )

    # Further drops below the threshold warn no more.
    simulator.state.set_remaining(410)
    await loaded_entry.runtime_data.limits.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(simulator.messages) == 1


async def test_camera_snapshot_on_motion_attaches_the_picture(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Motion sends the demo camera's snapshot, attached as it is."""
    setup_test_component_platform(
        hass, "camera", [DemoCamera("Porch", "image/jpg")], from_config_entry=False
    )
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await use_blueprint(
        hass,
        "camera_snapshot_on_motion.yaml",
        {
            "motion_sensor": MOTION,
            "camera": "camera.porch",
            "notify_entities": [
                entity_of(
                    hass,
                    "notify",
                    f"{loaded_entry.entry_id}_{PRIMARY_RECIPIENT_ID}_message",
                )
            ],
            "title": "Porch",
            # No cooldown: the test waits for each run to end.
            "cooldown": 0,
        },
    )

    await motion(hass, simulator, sent=1)

    [received] = simulator.messages
    assert received.title == "Porch"
    assert received.message.startswith("Motion: Porch motion at ")
    # The demo camera shows its pictures in turn, the second one first.
    assert received.attachment_type == "image/jpeg"
    assert received.attachment == (DEMO_PICTURES / "demo_1.jpg").read_bytes()

    # A second motion takes the camera's next picture.
    await motion(hass, simulator, sent=2)
    assert (
        simulator.messages[1].attachment == (DEMO_PICTURES / "demo_2.jpg").read_bytes()
    )


async def motion(
    hass: HomeAssistant, simulator: PushoverSimulator, *, sent: int
) -> None:
    """Detect motion and let the automation run; `sent` messages have arrived."""
    hass.states.async_set(MOTION, "off", {"friendly_name": "Porch motion"})
    hass.states.async_set(MOTION, "on", {"friendly_name": "Porch motion"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(simulator.messages) == sent
