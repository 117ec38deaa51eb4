"""`pushover_plus.update_glance`: its checks, its 20 minutes, outages and restarts.

Glances go over HTTP to the simulator, which records every one it accepts
(`simulator.glances`); time moves with the test's clock (`freezer`).
"""

import asyncio
from datetime import datetime, timedelta
import errno
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.api import (
    Glance,
    PushoverClient,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
)
from custom_components.pushover_plus.const import DOMAIN, GLANCE_MIN_INTERVAL
from custom_components.pushover_plus.glances import (
    async_glance_queue,
    glances_directory,
    has_stored_glances,
)
from custom_components.pushover_plus.recipients import recipients_of
from pushover_simulator import TEST_SECOND_USER_KEY, TEST_USER_KEY, PushoverSimulator

from . import run_timers

FOREVER = 1_000_000
MINUTES = 60
GLANCE_FIELDS = ("title", "text", "subtext", "count", "percent")


async def update_glance(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call `pushover_plus.update_glance` and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "update_glance", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def shown(simulator: PushoverSimulator) -> list[dict[str, Any]]:
    """Return the fields of every glance the simulator accepted, in order."""
    return [record.values() for record in simulator.glances]


def glance_values(**values: Any) -> dict[str, Any]:
    """Return a glance's five fields as the simulator reports them."""
    return {name: values.get(name) for name in GLANCE_FIELDS}


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up the entry again, as a restart of Home Assistant would."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def started(entry: MockConfigEntry) -> bool:
    """Tell whether the entry's glance queue is loaded."""
    return entry.runtime_data.glances is not None


def stored(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return the widgets' records on disk, by file name."""
    directory = glances_directory(hass, entry.entry_id)
    return {
        path.name: json.loads(path.read_bytes())
        for path in sorted(directory.glob("*.json"))
    }


async def test_every_field_reaches_pushover(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The five fields and the device arrive as given; the response says sent."""
    response = await update_glance(
        hass,
        title="Washer",
        text="12 min left",
        subtext="Eco 40 ✓",
        count="12",
        percent=80.0,
        device="watch",
    )

    [record] = simulator.glances
    assert record.users == [TEST_USER_KEY]
    assert record.devices == ["watch"]
    assert record.values() == glance_values(
        title="Washer", text="12 min left", subtext="Eco 40 ✓", count=12, percent=80
    )
    assert response == {
        "glances": [
            {
                "recipient": "Pushover",
                "device": "watch",
                "status": "sent",
                "request_id": record.request,
                "send_at": None,
                "reason": None,
            }
        ]
    }


async def test_every_mistake_is_named_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Five mistakes, one translated error; nothing reaches Pushover."""
    with pytest.raises(ServiceValidationError) as caught:
        await update_glance(
            hass,
            title="x" * 101,
            count=12.5,
            percent=101,
            device="my phone",
            force="maybe",
            colour="red",
        )

    assert caught.value.translation_key == "fields_invalid"
    placeholders = caught.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["count"] == "6"
    errors = placeholders["errors"]
    for text in (
        "• The field force must be true or false",
        "Unknown field colour. Allowed: config_entry_id, count, device, force",
        "The title of a glance has 101 characters; Pushover allows at most 100",
        "The field count must be a whole number",
        "The percent 101 is not valid: from 0 to 100",
        'The device name "my phone" is not valid',
    ):
        assert text in errors
    assert simulator.glances == []


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({}, "glance_empty", {"fields": "title, text, subtext, count, percent"}),
        ({"device": "watch"}, "glance_empty", None),
        (
            {"text": "line\nbreak"},
            "control_character",
            {"field": "text", "position": "5", "code": "000A"},
        ),
        ({"subtext": 7}, "invalid_type_text", {"field": "subtext"}),
        (
            {"text": "x", "device": ["phone", "watch"]},
            "invalid_type_device_name",
            {"field": "device"},
        ),
        (
            {"percent": -1},
            "glance_percent_out_of_range",
            {"value": "-1", "minimum": "0", "maximum": "100"},
        ),
    ],
    ids=[
        "empty",
        "only_a_device",
        "line_break",
        "number_as_text",
        "two_devices",
        "minus",
    ],
)
async def test_one_mistake_names_its_field(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """A single mistake is its own translated error, naming the field or limit."""
    with pytest.raises(ServiceValidationError) as caught:
        await update_glance(hass, **data)

    assert caught.value.translation_key == key
    if placeholders is not None:
        assert caught.value.translation_placeholders == placeholders


async def test_empty_texts_and_numbers_are_left_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Empty text means no field; a count of 0 and a percent of 0 are sent."""
    await update_glance(hass, title="", text="Idle", count=0, percent=0, subtext="")

    assert shown(simulator) == [glance_values(text="Idle", count=0, percent=0)]


async def test_an_update_within_20_minutes_waits_and_only_the_latest_goes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Updates between two turns replace each other; the latest goes at 20 minutes."""
    started = dt_util.utcnow()
    await update_glance(hass, text="first")
    await run_timers(hass, freezer, 5 * MINUTES)

    second = await update_glance(hass, text="second")
    await run_timers(hass, freezer, 5 * MINUTES)
    third = await update_glance(hass, text="third", count=3)

    turn = (started + GLANCE_MIN_INTERVAL).isoformat()
    assert second["glances"][0] | third["glances"][0] == {
        "recipient": "Pushover",
        "device": None,
        "status": "pending",
        "request_id": None,
        "send_at": turn,
        "reason": "rate_limited",
    }
    assert shown(simulator) == [glance_values(text="first")]

    await run_timers(hass, freezer, 10 * MINUTES)

    assert shown(simulator) == [
        glance_values(text="first"),
        glance_values(text="third", count=3),
    ]
    assert simulator.glances[1].received_at == pytest.approx(
        (started + GLANCE_MIN_INTERVAL).timestamp()
    )
    # Nothing waits any more: no further update, however long.
    await run_timers(hass, freezer, 60 * MINUTES)
    assert len(simulator.glances) == 2


async def test_force_sends_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Forced, a glance skips the 20 minutes, and what waited is superseded by it."""
    await update_glance(hass, text="first")
    await update_glance(hass, text="waiting")

    forced = await update_glance(hass, text="forced", force=True)

    assert forced["glances"][0]["status"] == "sent"
    assert shown(simulator) == [
        glance_values(text="first"),
        glance_values(text="forced"),
    ]
    await run_timers(hass, freezer, 30 * MINUTES)
    assert len(simulator.glances) == 2


async def test_the_glance_a_widget_shows_is_not_sent_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The same glance is unchanged, and takes the place of one that waited."""
    await update_glance(hass, text="shown")
    await update_glance(hass, text="waiting")

    again = await update_glance(hass, text="shown")

    assert again["glances"][0]["status"] == "unchanged"
    await run_timers(hass, freezer, 30 * MINUTES)
    assert shown(simulator) == [glance_values(text="shown")]
    # Forced, the same glance goes again.
    await update_glance(hass, text="shown", force=True)
    assert len(simulator.glances) == 2


async def test_widgets_of_one_recipient_take_turns(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """One call per recipient every 20 minutes, whichever widget waited first."""
    await update_glance(hass, text="every device")
    await update_glance(hass, text="watch only", device="watch")
    await run_timers(hass, freezer, MINUTES)
    await update_glance(hass, text="every device again")

    await run_timers(hass, freezer, 19 * MINUTES)
    assert [(r.devices, r.text) for r in simulator.glances] == [
        ([], "every device"),
        (["watch"], "watch only"),
    ]
    await run_timers(hass, freezer, 20 * MINUTES)
    assert simulator.glances[-1].text == "every device again"
    assert len(simulator.glances) == 3


async def test_recipients_have_their_own_20_minutes(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A glance to two recipients is two calls; each one's turn is its own."""
    entry_with_alex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()
    await update_glance(hass, text="Ada only")

    response = await update_glance(hass, recipients=["Pushover", "Alex"], text="both")

    assert [(item["recipient"], item["status"]) for item in response["glances"]] == [
        ("Pushover", "pending"),
        ("Alex", "sent"),
    ]
    assert [(record.users, record.text) for record in simulator.glances] == [
        ([TEST_USER_KEY], "Ada only"),
        ([TEST_SECOND_USER_KEY], "both"),
    ]


async def test_a_refusal_names_pushovers_text_and_the_others_get_theirs(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushover refuses Alex's device; Ada's glance goes; the error says so."""
    entry_with_alex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as caught:
        await update_glance(
            hass, recipients=["Pushover", "Alex"], text="phone", device="phone"
        )

    assert caught.value.translation_key == "glance_rejected"
    placeholders = caught.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["recipients"] == "Alex"
    assert "device" in placeholders["errors"]
    [refused] = [r for r in simulator.requests if r.status == 400]
    assert placeholders["request_id"] != "-"
    assert refused.path == "/1/glances.json"
    assert [record.users for record in simulator.glances] == [[TEST_USER_KEY]]
    # The refused call counts as Alex's update: the next one waits its turn.
    again = await update_glance(hass, recipients=["Alex"], text="laptop")
    assert again["glances"][0]["status"] == "pending"
    await run_timers(hass, freezer, 20 * MINUTES)
    assert simulator.glances[-1].users == [TEST_SECOND_USER_KEY]


async def test_outage_then_recovery_sends_only_the_latest(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Updates during an outage replace each other; one goes when it is over."""
    simulator.faults.fail_next = FOREVER
    responses = [await update_glance(hass, count=number) for number in range(10)]
    await run_timers(hass, freezer, 30 * MINUTES)

    assert responses[0]["glances"][0]["status"] == "pending"
    assert responses[0]["glances"][0]["reason"] == "pushover_unreachable"
    assert responses[-1]["glances"][0] == responses[0]["glances"][0]
    attempts = [r for r in simulator.requests if r.path == "/1/glances.json"]
    # One try at once, then the back-off (5 s doubling to 5 minutes).
    assert 3 < len(attempts) < 15
    warnings = [
        r.getMessage() for r in caplog.records if "glance" in r.getMessage().lower()
    ]
    assert sum("unreachable" in text for text in warnings) == 1

    simulator.faults.fail_next = 0
    await run_timers(hass, freezer, 10 * MINUTES)

    assert shown(simulator) == [glance_values(count=9)]
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    await run_timers(hass, freezer, 60 * MINUTES)
    assert len(simulator.glances) == 1


async def test_a_restart_keeps_the_waiting_glance_and_the_20_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """What waits is on disk before the action answers, and goes after a restart."""
    started = dt_util.utcnow()
    await update_glance(hass, text="before")
    await update_glance(hass, text="waiting", percent=50)
    assert stored(hass, loaded_entry)["primary.json"]["pending"] == {
        "text": "waiting",
        "percent": 50,
    }

    await restart(hass, loaded_entry)
    await run_timers(hass, freezer, 5 * MINUTES)
    # The 20 minutes since "before" hold across the restart too.
    assert shown(simulator) == [glance_values(text="before")]
    later = await update_glance(hass, text="after the restart")
    assert later["glances"][0]["send_at"] == (started + GLANCE_MIN_INTERVAL).isoformat()

    await run_timers(hass, freezer, 20 * MINUTES)

    assert shown(simulator) == [
        glance_values(text="before"),
        glance_values(text="after the restart"),
    ]
    record = stored(hass, loaded_entry)["primary.json"]
    assert record["pending"] is None
    assert record["shown"] == {"text": "after the restart"}


async def test_a_forced_glance_waiting_for_pushover_goes_at_the_retry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Forced during an outage, the glance goes as soon as Pushover answers."""
    await update_glance(hass, text="first")
    simulator.faults.fail_next = 1

    response = await update_glance(hass, text="forced", force=True)
    await run_timers(hass, freezer, 10)

    assert response["glances"][0]["reason"] == "pushover_unreachable"
    assert shown(simulator) == [
        glance_values(text="first"),
        glance_values(text="forced"),
    ]
    assert stored(hass, loaded_entry)["primary.json"]["force"] is False


async def test_a_glance_that_cannot_be_stored_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A full disk: the action fails, translated; what waited before stays."""
    await update_glance(hass, text="first")
    await update_glance(hass, text="waiting")

    with (
        patch("os.write", side_effect=OSError(errno.ENOSPC, "No space left")),
        pytest.raises(HomeAssistantError) as caught,
    ):
        await update_glance(hass, text="not stored")

    assert caught.value.translation_key == "glance_write_failed"
    assert caught.value.translation_placeholders == {"error": "No space left"}
    assert stored(hass, loaded_entry)["primary.json"]["pending"] == {"text": "waiting"}
    assert loaded_entry.runtime_data.glances.pending == 1


async def test_a_sent_glance_that_cannot_be_stored_is_logged(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The glance went; only its record failed, which the log says."""
    with patch("os.write", side_effect=OSError(errno.ENOSPC, "No space left")):
        response = await update_glance(hass, text="sent")

    assert response["glances"][0]["status"] == "sent"
    assert "Cannot store the glance just sent to Pushover" in caplog.text


async def test_a_refused_token_holds_glances_until_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The glance waits, reauth starts; the new token's reload sends it."""
    simulator.faults.reject_token = True

    response = await update_glance(hass, text="after reauth")
    await run_timers(hass, freezer, 30 * MINUTES)

    assert response["glances"][0]["reason"] == "token_refused"
    attempts = [r for r in simulator.requests if r.path == "/1/glances.json"]
    assert len(attempts) == 1
    [flow] = loaded_entry.async_get_active_flows(hass, {"reauth"})
    simulator.faults.reject_token = False
    await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_TOKEN: loaded_entry.data[CONF_API_TOKEN]}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert shown(simulator) == [glance_values(text="after reauth")]


async def test_a_used_up_quota_holds_glances_until_the_reset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Pushover's 429 to a glance: it waits until the reset it names, then goes."""
    reset = dt_util.utcnow() + timedelta(hours=2)
    refuse = PushoverQuotaExceededError(reset)
    original = PushoverClient.update_glance
    calls: list[datetime] = []

    async def quota_then_answer(
        client: PushoverClient, user: str, glance: Glance
    ) -> str:
        calls.append(dt_util.utcnow())
        if dt_util.utcnow() < reset:
            raise refuse
        return await original(client, user, glance)

    with patch.object(PushoverClient, "update_glance", quota_then_answer):
        response = await update_glance(hass, text="after the reset")
        await run_timers(hass, freezer, 130 * MINUTES)

    assert response["glances"][0]["reason"] == "quota_used_up"
    # Asked once, then not again before the reset (a timer may fire a moment
    # early, and the next try is 5 seconds later).
    assert len(calls) >= 2
    assert all(at >= reset - timedelta(seconds=1) for at in calls[1:])
    assert shown(simulator) == [glance_values(text="after the reset")]


async def test_a_waiting_glance_pushover_refuses_is_dropped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused when its turn came, a glance is not tried again; the log says why."""
    await update_glance(hass, text="first")
    await update_glance(hass, text="refused later")
    refusal = PushoverInvalidRequestError(
        ["user has no glance widget"], {"user": "invalid"}, "request-400"
    )

    with patch.object(PushoverClient, "update_glance", side_effect=refusal) as call:
        await run_timers(hass, freezer, 25 * MINUTES)
        await run_timers(hass, freezer, 60 * MINUTES)

    assert call.call_count == 1
    assert shown(simulator) == [glance_values(text="first")]
    assert (
        "Pushover refused the glance for Pushover, which is dropped: "
        "user has no glance widget (request request-400)"
    ) in caplog.text
    assert loaded_entry.runtime_data.glances.pending == 0
    assert stored(hass, loaded_entry)["primary.json"]["pending"] is None


async def test_unreadable_files_are_set_aside_with_a_notice(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """A damaged widget file never stops the entry; a repair notice names it."""
    directory = glances_directory(hass, config_entry.entry_id)
    directory.mkdir(parents=True)
    (directory / "primary.json").write_bytes(b"{damaged")
    config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert (directory / "primary.json.unreadable").exists()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"glances_unreadable_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "not valid JSON" in issue.translation_placeholders["files"]


async def test_widgets_of_removed_recipients_are_forgotten(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """At load, the file of a recipient that no longer exists is deleted."""
    directory = glances_directory(hass, config_entry.entry_id)
    directory.mkdir(parents=True)
    gone = directory / "01KGONERECIP1ENT0000000000.json"
    gone.write_text(
        json.dumps(
            {
                "format": 1,
                "recipient": "01KGONERECIP1ENT0000000000",
                "device": None,
                "shown": {"text": "old"},
                "called_at": None,
                "pending": None,
                "accepted_at": None,
                "force": False,
            }
        )
    )
    config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert not gone.exists()
    assert config_entry.runtime_data.glances.widgets == 0


async def test_a_glance_offered_while_unloading_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """After the queue closed, a glance is refused, translated, not lost unseen."""
    queue = await async_glance_queue(hass, loaded_entry)
    [primary] = recipients_of(loaded_entry)
    await queue.async_unload()

    with pytest.raises(HomeAssistantError) as caught:
        await queue.async_submit(primary, Glance(text="late"))

    assert caught.value.translation_key == "glances_closed"


async def test_removing_the_entry_deletes_its_glances(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The widgets' folder goes with the entry."""
    await update_glance(hass, text="kept until removed")
    directory: Path = glances_directory(hass, loaded_entry.entry_id)
    assert directory.is_dir()

    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert not directory.exists()


async def test_numbers_left_empty_are_left_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An empty count or percent, as a form leaves it, is no field."""
    await update_glance(hass, text="x", count="", percent="")

    assert shown(simulator) == [glance_values(text="x")]


async def test_a_glance_forced_during_the_call_goes_right_after_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """While a waiting glance is being sent, a newer forced one waits for the call."""
    await update_glance(hass, text="first")
    await update_glance(hass, text="waiting")
    original = PushoverClient.update_glance
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(client: PushoverClient, user: str, glance: Glance) -> str:
        if glance.text == "waiting":
            started.set()
            await release.wait()
        return await original(client, user, glance)

    with patch.object(PushoverClient, "update_glance", slow):
        freezer.tick(GLANCE_MIN_INTERVAL)
        async_fire_time_changed(hass)
        await started.wait()
        forced = await update_glance(hass, text="forced", force=True)
        async_fire_time_changed(hass)
        release.set()
        await hass.async_block_till_done(wait_background_tasks=True)

    assert forced["glances"][0]["status"] == "pending"
    assert [values["text"] for values in shown(simulator)] == [
        "first",
        "waiting",
        "forced",
    ]


async def test_a_glance_that_comes_during_a_write_stays_the_latest(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """An action's glance is being stored when a bound one comes: the bound one wins."""
    queue = await async_glance_queue(hass, loaded_entry)
    [primary] = recipients_of(loaded_entry)
    await update_glance(hass, text="first")
    release = asyncio.Event()
    original = queue._store.async_write

    async def slow_write(state: Any, pending: Any) -> None:
        await release.wait()
        await original(state, pending)

    with patch.object(queue._store, "async_write", slow_write):
        stored_one = hass.async_create_task(
            queue.async_submit(primary, Glance(text="from the action"))
        )
        await asyncio.sleep(0)
        await queue.async_submit(primary, Glance(text="bound"), durable=False)
        release.set()
        await stored_one

    [state] = queue._widgets.values()
    assert state.pending is not None
    assert state.pending.glance.text == "bound"


async def test_files_of_removed_recipients_that_cannot_go_are_logged(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A read-only folder keeps them; the entry loads, and the log says so."""
    directory = glances_directory(hass, config_entry.entry_id)
    directory.mkdir(parents=True)
    (directory / "01KGONERECIP1ENT0000000000.json").write_text(
        json.dumps(
            {
                "format": 1,
                "recipient": "01KGONERECIP1ENT0000000000",
                "device": None,
                "shown": None,
                "called_at": None,
                "pending": None,
                "accepted_at": None,
                "force": False,
            }
        )
    )
    config_entry.add_to_hass(hass)

    with patch(
        "custom_components.pushover_plus.glance_store.GlanceStore.async_remove",
        side_effect=OSError(errno.EROFS, "Read-only file system"),
    ):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    assert "Cannot delete the glances of removed recipients" in caplog.text


async def test_a_glance_due_during_another_call_goes_in_the_same_round(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Alex's turn comes while Ada's glance is on its way: it goes after it, once."""
    entry_with_alex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()
    await update_glance(hass, recipients=["Pushover"], text="Ada first")
    freezer.tick(timedelta(minutes=1))
    await update_glance(hass, recipients=["Alex"], text="Alex first")
    await update_glance(hass, recipients=["Pushover"], text="Ada waiting")
    original = PushoverClient.update_glance
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(client: PushoverClient, user: str, glance: Glance) -> str:
        if glance.text == "Ada waiting":
            started.set()
            await release.wait()
        return await original(client, user, glance)

    with patch.object(PushoverClient, "update_glance", slow):
        freezer.tick(GLANCE_MIN_INTERVAL - timedelta(minutes=1))
        async_fire_time_changed(hass)
        await started.wait()
        waiting = await update_glance(hass, recipients=["Alex"], text="Alex waiting")
        # Alex's 20 minutes end while Ada's call is still out.
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await asyncio.sleep(0)
        release.set()
        await hass.async_block_till_done(wait_background_tasks=True)

    assert waiting["glances"][0]["status"] == "pending"
    assert [(record.users, record.text) for record in simulator.glances] == [
        ([TEST_USER_KEY], "Ada first"),
        ([TEST_SECOND_USER_KEY], "Alex first"),
        ([TEST_USER_KEY], "Ada waiting"),
        ([TEST_SECOND_USER_KEY], "Alex waiting"),
    ]


async def test_an_entry_without_glances_starts_them_at_its_first_glance(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """No bound glance, no widget on disk: the queue waits for the first glance."""
    assert not started(loaded_entry)

    await update_glance(hass, text="first")

    assert started(loaded_entry)
    assert shown(simulator) == [glance_values(text="first")]


async def test_first_glances_at_once_share_one_queue(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Two callers that start the queue together get the same one."""
    first, second = await asyncio.gather(
        async_glance_queue(hass, loaded_entry), async_glance_queue(hass, loaded_entry)
    )

    assert first is second is loaded_entry.runtime_data.glances


async def test_a_glance_folder_unreadable_at_the_first_glance_is_named(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The glance is refused, translated, and the next call tries the folder again."""
    with (
        patch(
            "custom_components.pushover_plus.spool.Spool.names",
            side_effect=OSError(errno.EIO, "Input/output error"),
        ),
        pytest.raises(HomeAssistantError) as caught,
    ):
        await update_glance(hass, text="lost?")

    assert caught.value.translation_key == "glance_storage_unreadable"
    assert caught.value.translation_placeholders == {
        "directory": str(glances_directory(hass, loaded_entry.entry_id)),
        "error": "Input/output error",
    }
    assert not started(loaded_entry)
    await update_glance(hass, text="again")
    assert shown(simulator) == [glance_values(text="again")]


async def test_an_entry_keeps_glances_when_its_folder_holds_any_file(
    hass: HomeAssistant,
) -> None:
    """A setup reads the glances when their folder holds a file, or is in doubt."""
    directory = glances_directory(hass, "entry")
    assert not has_stored_glances(hass, "entry")
    directory.mkdir(parents=True)
    assert not has_stored_glances(hass, "entry")
    (directory / "primary.json.unreadable").write_bytes(b"{damaged")
    assert has_stored_glances(hass, "entry")

    # Something that is not a folder cannot be listed: the load says why.
    (directory / "primary.json.unreadable").unlink()
    directory.rmdir()
    directory.write_bytes(b"not a folder")
    assert has_stored_glances(hass, "entry")
