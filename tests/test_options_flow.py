"""Tests of the options flow: message defaults, each check and its error."""

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_ACK_CALLBACK,
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    PRIORITY_NAMES,
)
from pushover_simulator import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_DEVICES,
    PushoverSimulator,
)

from .flow_helpers import (
    Result,
    placeholders,
    schema_key,
    selector_config,
    suggested,
)

pytestmark = pytest.mark.usefixtures("api_base_url")

DEFAULTS = {CONF_RETRY: 60, CONF_EXPIRE: 3600, CONF_ACK_CALLBACK: False}


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    return await hass.config_entries.options.async_init(entry.entry_id)


async def _submit(
    hass: HomeAssistant, result: Result, options: dict[str, Any]
) -> Result:
    return await hass.config_entries.options.async_configure(result["flow_id"], options)


async def test_options_form(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The options offer the primary key's devices and Pushover's sounds."""
    result = await _start(hass, loaded_entry)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert selector_config(result, CONF_DEVICES)["options"] == list(TEST_DEVICES)
    assert selector_config(result, CONF_SOUND)["options"] == [
        {"value": name, "label": label}
        for name, label in {**BUILTIN_SOUNDS, **CUSTOM_SOUNDS}.items()
    ]
    assert selector_config(result, CONF_PRIORITY)["options"] == list(PRIORITY_NAMES)
    assert schema_key(result, CONF_RETRY).default() == 60
    assert schema_key(result, CONF_EXPIRE).default() == 3600
    # No range in the selector: its error would be "Value 10.0 is too small".
    assert "min" not in selector_config(result, CONF_RETRY)
    assert result["description_placeholders"] == {
        "min_retry": "30",
        "max_expire": "10800",
    }
    # Without an external URL Pushover could not call back.
    assert schema_key(result, CONF_ACK_CALLBACK).default() is False


async def test_options_callback_on_with_external_url(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """With an external URL the acknowledgement callback is on by default."""
    hass.config.external_url = "https://home.example.com"

    result = await _start(hass, loaded_entry)

    assert schema_key(result, CONF_ACK_CALLBACK).default() is True


async def test_options_saved(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Saving stores the defaults, whole seconds as integers."""
    options = {
        CONF_DEVICES: ["phone", "watch"],
        CONF_SOUND: "doorbell",
        CONF_PRIORITY: "high",
        CONF_RETRY: 120.0,
        CONF_EXPIRE: 600,
        CONF_ACK_CALLBACK: False,
    }
    result = await _start(hass, loaded_entry)

    result = await _submit(hass, result, options)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == options | {CONF_RETRY: 120}
    assert isinstance(loaded_entry.options[CONF_RETRY], int)
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_options_retry_equal_to_expire_is_saved(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Equal retry and expiry repeat once at the end: accepted."""
    result = await _start(hass, loaded_entry)

    result = await _submit(hass, result, DEFAULTS | {CONF_RETRY: 600, CONF_EXPIRE: 600})

    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("changes", "errors", "named"),
    [
        ({CONF_RETRY: 10}, {CONF_RETRY: "retry_too_short"}, {}),
        (
            {CONF_RETRY: 900, CONF_EXPIRE: 600},
            {CONF_RETRY: "retry_longer_than_expire"},
            {"retry": "900", "expire": "600"},
        ),
        ({CONF_EXPIRE: 0}, {CONF_EXPIRE: "expire_out_of_range"}, {}),
        ({CONF_EXPIRE: 10801}, {CONF_EXPIRE: "expire_out_of_range"}, {}),
        (
            {CONF_RETRY: 30.5, CONF_EXPIRE: 60.25},
            {CONF_RETRY: "not_whole_seconds", CONF_EXPIRE: "not_whole_seconds"},
            {},
        ),
        (
            {CONF_ACK_CALLBACK: True},
            {CONF_ACK_CALLBACK: "callback_needs_external_url"},
            {},
        ),
    ],
    ids=[
        "retry_below_30",
        "retry_over_expire",
        "expire_zero",
        "expire_over_limit",
        "fractions",
        "callback_without_external_url",
    ],
)
async def test_options_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    changes: dict[str, Any],
    errors: dict[str, str],
    named: dict[str, str],
) -> None:
    """Each refusal has our translated error on its field; typed values stay.

    Pushover is asked for the devices and sounds once, not at every try.
    """
    before = sounds_reads(simulator)
    result = await _start(hass, loaded_entry)
    typed = DEFAULTS | changes

    result = await _submit(hass, result, typed)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert named.items() <= placeholders(result).items()
    for name, value in typed.items():
        assert suggested(result, name) == value
    assert loaded_entry.options == {}
    assert sounds_reads(simulator) == before + 1


def sounds_reads(simulator: PushoverSimulator) -> int:
    """Count the sounds.json requests the simulator saw."""
    return sum(record.path == "/1/sounds.json" for record in simulator.requests)


async def test_options_stored_device_the_key_lost(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A saved default device the key no longer has is shown, and refused."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options=DEFAULTS | {CONF_DEVICES: ["phone", "pager"]}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    result = await _start(hass, config_entry)
    assert selector_config(result, CONF_DEVICES)["options"] == [*TEST_DEVICES, "pager"]
    assert suggested(result, CONF_DEVICES) == ["phone", "pager"]

    result = await _submit(hass, result, dict(config_entry.options))

    assert result["errors"] == {CONF_DEVICES: "invalid_device"}
    assert {"device": "pager", "devices": "phone, tablet, watch"}.items() <= (
        placeholders(result).items()
    )


async def test_options_suggest_current_values(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """The form suggests the options already saved."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_SOUND: "bike", CONF_RETRY: 90, CONF_EXPIRE: 900}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)

    result = await _start(hass, config_entry)

    assert suggested(result, CONF_SOUND) == "bike"
    assert suggested(result, CONF_RETRY) == 90


async def test_options_entry_not_loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry that is not loaded has no options to offer."""
    config_entry.add_to_hass(hass)

    result = await _start(hass, config_entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_options_cannot_connect(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The options abort when Pushover cannot list the devices and sounds."""
    await simulator.stop()

    result = await _start(hass, loaded_entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
