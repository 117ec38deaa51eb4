"""Binding a glance in the flows: the primary's options, a recipient's reconfigure."""

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigSubentryData
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_GLANCE,
    CONF_IS_GROUP,
    CONF_RETRY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    TEST_DEVICES,
    TEST_NO_DEVICE_USER_KEY,
    TEST_SECOND_USER_KEY,
    PushoverSimulator,
)

from .flow_helpers import Result, field_names, selector_config, suggested

pytestmark = pytest.mark.usefixtures("api_base_url")

DEFAULTS = {CONF_RETRY: 60, CONF_EXPIRE: 3600}
GLANCE_FORM = [
    f"{field}_{kind}"
    for field in ("title", "text", "subtext", "count", "percent")
    for kind in ("entity", "template")
]
WASHER = {"count_entity": "sensor.washer_minutes", "title_template": "Washer"}


async def _options(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    return await hass.config_entries.options.async_init(entry.entry_id)


async def _submit_options(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> Result:
    return await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )


async def test_the_primarys_glance_is_bound_in_the_options(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The switch leads to the glance's form; its binding works after the reload."""
    hass.states.async_set("sensor.washer_minutes", "12")
    result = await _submit_options(
        hass, await _options(hass, loaded_entry), {**DEFAULTS, "edit_glance": True}
    )

    assert result["step_id"] == "glance"
    assert field_names(result) == ["device", *GLANCE_FORM]
    assert selector_config(result, "device")["options"] == list(TEST_DEVICES)

    result = await _submit_options(hass, result, {**WASHER, "device": "watch"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        **DEFAULTS,
        "acknowledgement_callback": False,
        CONF_GLANCE: {**WASHER, "device": "watch"},
    }
    [record] = simulator.glances
    assert (record.title, record.count, record.devices) == ("Washer", 12, ["watch"])


async def test_the_options_keep_a_glance_they_do_not_edit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Saved without the switch, the options keep the bound glance as it was."""
    result = await _submit_options(
        hass, await _options(hass, loaded_entry), {**DEFAULTS, "edit_glance": True}
    )
    await _submit_options(hass, result, WASHER)
    await hass.async_block_till_done()

    result = await _submit_options(
        hass, await _options(hass, loaded_entry), {**DEFAULTS, CONF_RETRY: 90}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_GLANCE] == WASHER
    assert loaded_entry.options[CONF_RETRY] == 90
    assert "edit_glance" not in loaded_entry.options

    # Opened again, the form shows the binding; emptied, it is gone.
    result = await _submit_options(
        hass, await _options(hass, loaded_entry), {**DEFAULTS, "edit_glance": True}
    )
    assert suggested(result, "count_entity") == "sensor.washer_minutes"
    await _submit_options(hass, result, {})
    await hass.async_block_till_done()
    assert loaded_entry.options[CONF_GLANCE] == {}


async def test_a_field_takes_an_entity_or_a_template_not_both(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Both for one field is refused on the template, saying why."""
    result = await _submit_options(
        hass, await _options(hass, loaded_entry), {**DEFAULTS, "edit_glance": True}
    )

    result = await _submit_options(
        hass, result, {"text_entity": "sensor.door", "text_template": "{{ 1 }}"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"text_template": "glance_entity_and_template"}


async def test_a_stored_device_the_key_lost_is_refused(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """Offered so that the form opens, a device the key no longer has is named."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_GLANCE: {"device": "laptop", "text_template": "x"}}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await _submit_options(
        hass, await _options(hass, config_entry), {**DEFAULTS, "edit_glance": True}
    )
    assert selector_config(result, "device")["options"] == [*TEST_DEVICES, "laptop"]

    result = await _submit_options(hass, result, {"device": "laptop"})

    assert result["errors"] == {"device": "invalid_device"}
    assert result["description_placeholders"] == {
        "device": "laptop",
        "devices": ", ".join(TEST_DEVICES),
    }


@pytest.fixture
async def entry_with_alex(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the test entry with the recipient Alex, whose glance is bound."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        minor_version=config_entry.minor_version,
        data=dict(config_entry.data),
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_USER_KEY: TEST_SECOND_USER_KEY,
                    CONF_DEVICES: ["laptop"],
                    CONF_SERVICE_NAME: "alex",
                    CONF_IS_GROUP: False,
                    CONF_GLANCE: WASHER,
                },
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alex",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> Result:
    """Start changing Alex and submit the first form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT),
        context={
            "source": SOURCE_RECONFIGURE,
            "subentry_id": next(iter(entry.subentries)),
        },
    )
    assert field_names(result) == [
        CONF_NAME,
        CONF_USER_KEY,
        "encryption_key",
        "edit_glance",
    ]
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def _submit(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> Result:
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def test_a_recipients_glance_is_bound_in_its_reconfigure(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """Name and key, devices, then the glance; what is not edited stays."""
    entry = entry_with_alex
    result = await _reconfigure(
        hass,
        entry,
        {CONF_NAME: "Alex", CONF_USER_KEY: TEST_SECOND_USER_KEY, "edit_glance": True},
    )
    result = await _submit(hass, result, {CONF_DEVICES: ["laptop"]})

    assert result["step_id"] == "glance"
    assert result["description_placeholders"] == {"recipient": "Alex"}
    assert suggested(result, "title_template") == "Washer"
    result = await _submit(hass, result, {"text_template": "{{ now().hour }} h"})
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    [subentry] = entry.subentries.values()
    assert subentry.data == {
        CONF_USER_KEY: TEST_SECOND_USER_KEY,
        CONF_DEVICES: ["laptop"],
        CONF_SERVICE_NAME: "alex",
        CONF_IS_GROUP: False,
        CONF_GLANCE: {"text_template": "{{ now().hour }} h"},
    }


async def test_a_reconfigure_without_the_switch_keeps_the_glance(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """Renaming a recipient leaves its bound glance alone."""
    entry = entry_with_alex
    result = await _reconfigure(
        hass, entry, {CONF_NAME: "Alexandra", CONF_USER_KEY: TEST_SECOND_USER_KEY}
    )
    result = await _submit(hass, result, {CONF_DEVICES: []})
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    [subentry] = entry.subentries.values()
    assert subentry.title == "Alexandra"
    assert subentry.data[CONF_GLANCE] == WASHER


async def test_a_key_without_devices_goes_on_to_a_glance_without_a_device(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """No device to pick: the glance's form has no device field."""
    entry = entry_with_alex
    result = await _reconfigure(
        hass,
        entry,
        {
            CONF_NAME: "Alex",
            CONF_USER_KEY: TEST_NO_DEVICE_USER_KEY,
            "edit_glance": True,
        },
    )
    # A key without devices may be a group nobody joined yet: its
    # subscription is asked first, and left empty.
    assert result["step_id"] == "group_subscription"
    result = await _submit(hass, result, {})
    assert result["step_id"] == "no_devices"
    result = await _submit(hass, result, {})

    assert result["step_id"] == "glance"
    assert field_names(result) == GLANCE_FORM
    result = await _submit(
        hass, result, {"title_entity": "sensor.x", "title_template": "y"}
    )
    assert result["errors"] == {"title_template": "glance_entity_and_template"}
    result = await _submit(hass, result, {"title_entity": "sensor.x"})

    assert result["reason"] == "reconfigure_successful"
    [subentry] = entry.subentries.values()
    assert subentry.data[CONF_GLANCE] == {"title_entity": "sensor.x"}
