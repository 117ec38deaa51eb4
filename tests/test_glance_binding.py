"""Bound glances: a recipient's glance follows entities and templates.

State changes come from the test; time from its clock (`freezer`); the
glances the simulator accepted are counted there.
"""

from datetime import datetime, timedelta
import logging
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.api import (
    Glance,
    PushoverClient,
    PushoverInvalidRequestError,
)
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_GLANCE,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    GLANCE_MIN_INTERVAL,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.glance_binding import (
    GlanceBinding,
    _number,
    _text,
)
from custom_components.pushover_plus.glances import async_glance_queue
from custom_components.pushover_plus.recipients import recipients_of
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    PushoverSimulator,
)

from . import run_timers
from .conftest import PRIMARY_DATA

pytestmark = pytest.mark.usefixtures("api_base_url")

HOUR = 3600
POWER = "sensor.washer_power"


def bound_entry(glance: dict[str, Any], **options: Any) -> MockConfigEntry:
    """Return the test application's entry with the primary's glance bound."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        options={CONF_GLANCE: glance, **options},
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and let its bindings render."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def set_state(hass: HomeAssistant, entity_id: str, state: str) -> None:
    """Change an entity's state and let the binding offer its glance."""
    hass.states.async_set(entity_id, state)
    await hass.async_block_till_done(wait_background_tasks=True)


def values(simulator: PushoverSimulator) -> list[dict[str, Any]]:
    """Return the set fields of every glance the simulator accepted."""
    return [
        {key: value for key, value in record.values().items() if value is not None}
        for record in simulator.glances
    ]


async def test_100_state_changes_in_an_hour_make_at_most_3_updates(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
) -> None:
    """Each update carries the latest state; the last change goes at its turn."""
    hass.states.async_set(POWER, "0")
    began = dt_util.utcnow()
    await load(
        hass,
        bound_entry(
            {"count_entity": POWER, "text_template": f"{{{{ states('{POWER}') }}}} W"}
        ),
    )
    changes: list[tuple[datetime, int]] = [(began, 0)]
    # A change every 36 seconds, the first after 18: the 100th at 59:42.
    await run_timers(hass, freezer, 18)
    for number in range(1, 101):
        await set_state(hass, POWER, str(number))
        changes.append((dt_util.utcnow(), number))
        await run_timers(hass, freezer, 36)
    hour_end = began + timedelta(seconds=HOUR)

    in_the_hour = [
        record
        for record in simulator.glances
        if record.received_at < hour_end.timestamp()
    ]
    assert len(in_the_hour) == 3
    for record in in_the_hour:
        latest = max(
            number for at, number in changes if at.timestamp() <= record.received_at
        )
        assert (record.count, record.text) == (latest, f"{latest} W")
    assert [record.received_at for record in in_the_hour] == pytest.approx(
        [(began + GLANCE_MIN_INTERVAL * turn).timestamp() for turn in range(3)]
    )

    await run_timers(hass, freezer, 2 * HOUR)

    assert values(simulator)[3:] == [{"count": 100, "text": "100 W"}]


async def test_what_an_entity_or_template_gives_is_made_to_fit(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PushoverSimulator
) -> None:
    """Texts are one line of 100 characters; numbers whole; percent within 0 to 100."""
    hass.states.async_set("sensor.battery", "104.6")
    hass.states.async_set("sensor.label", "first line\nsecond line")
    await load(
        hass,
        bound_entry(
            {
                "title_entity": "sensor.label",
                "text_template": "{{ 'é' * 120 }}",
                "subtext_template": "{{ 1 / 0 }}",
                "count_template": "{{ 12.6 }}",
                "percent_entity": "sensor.battery",
                "device": "watch",
            }
        ),
    )

    [record] = simulator.glances
    assert record.devices == ["watch"]
    assert values(simulator) == [
        {
            "title": "first line second line",
            "text": "é" * 99 + "…",
            "count": 13,
            "percent": 100,
        }
    ]


async def test_an_unavailable_entity_leaves_its_field_empty(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PushoverSimulator
) -> None:
    """Unknown or unavailable shows nothing; nothing at all sends no glance."""
    hass.states.async_set("sensor.door", STATE_UNAVAILABLE)
    hass.states.async_set("sensor.level", "not a number")
    await load(
        hass,
        bound_entry({"text_entity": "sensor.door", "count_entity": "sensor.level"}),
    )
    assert simulator.glances == []

    await set_state(hass, "sensor.door", "open")

    assert values(simulator) == [{"text": "open"}]


async def test_a_subentry_recipients_glance_goes_to_its_key(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PushoverSimulator
) -> None:
    """A recipient's glance is bound in its subentry, with its own device."""
    hass.states.async_set("sensor.steps", "4200")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        subentries_data=[
            ConfigSubentryDataWithId(
                subentry_id="01KALEXRECIP1ENT0000000000",
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alex",
                data={
                    CONF_USER_KEY: TEST_SECOND_USER_KEY,
                    CONF_DEVICES: [],
                    CONF_SERVICE_NAME: "alex",
                    CONF_GLANCE: {"count_entity": "sensor.steps", "device": "laptop"},
                },
                unique_id=None,
            )
        ],
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )
    await load(hass, entry)

    [record] = simulator.glances
    assert (record.users, record.devices, record.count) == (
        [TEST_SECOND_USER_KEY],
        ["laptop"],
        4200,
    )


async def test_a_restart_does_not_send_what_the_widget_shows(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PushoverSimulator
) -> None:
    """The binding renders again at the start; the same glance is not sent."""
    hass.states.async_set(POWER, "7")
    entry = bound_entry({"count_entity": POWER})
    await load(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await set_state(hass, POWER, "8")
    await set_state(hass, POWER, "7")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_timers(hass, freezer, HOUR)

    assert values(simulator) == [{"count": 7}]


async def test_a_change_while_the_widget_waits_is_not_written_to_disk(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PushoverSimulator
) -> None:
    """A bound glance waits in memory only; its binding renders it after a restart."""
    hass.states.async_set(POWER, "1")
    entry = bound_entry({"count_entity": POWER})
    await load(hass, entry)
    queue = entry.runtime_data.glances
    with patch.object(queue._store, "async_write") as write:
        await set_state(hass, POWER, "2")
    assert write.call_count == 0
    assert queue.pending == 1

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_timers(hass, freezer, HOUR)

    assert values(simulator) == [{"count": 1}, {"count": 2}]


async def test_a_bound_glance_pushover_refuses_is_logged(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused at once, the bound glance is logged with Pushover's text."""
    hass.states.async_set(POWER, "1")
    refusal = PushoverInvalidRequestError(
        ["user has no glance widget"], {"user": "invalid"}, "request-400"
    )
    with (
        caplog.at_level(logging.WARNING),
        patch.object(PushoverClient, "update_glance", side_effect=refusal),
    ):
        await load(hass, bound_entry({"count_entity": POWER}))

    assert (
        "Pushover refused the bound glance of Pushover: user has no glance widget "
        "(request request-400)"
    ) in caplog.text


async def test_a_binding_of_an_unloading_entry_offers_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A change that comes while the queue closes is left for the next start."""
    queue = await async_glance_queue(hass, loaded_entry)
    [primary] = recipients_of(loaded_entry)
    binding = GlanceBinding(hass, loaded_entry, queue, primary, {"text_template": "x"})
    await queue.async_unload()

    await binding._async_offer(Glance(text="late"))

    assert queue.pending == 0


@pytest.mark.parametrize(
    ("result", "percent", "expected"),
    [
        (True, False, None),
        ("12", False, 12),
        ("-2.5", False, -2),
        (math.nan, False, None),
        ("inf", False, None),
        ([1], False, None),
        (-3, True, 0),
        (55.5, True, 56),
    ],
)
def test_numbers_are_whole_and_percents_within_range(
    result: Any, percent: bool, expected: int | None
) -> None:
    """Rounded to the nearest (even on a half); what is no number is left out."""
    assert _number(result, percent=percent) == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("  \n ", None),
        ("tab\there", "tab here"),
        ("half \ud83d emoji", "half \ufffd emoji"),
        (42, "42"),
    ],
)
def test_texts_are_one_line(result: Any, expected: str | None) -> None:
    """Control characters become spaces, a lone surrogate a replacement."""
    assert _text(result) == expected
