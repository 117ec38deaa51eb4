"""Helpers the flow tests share: reading a form's fields and walking a flow."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult

from custom_components.pushover_plus.const import CONF_USER_KEY, DOMAIN
from pushover_simulator import TEST_APP_TOKEN, TEST_USER_KEY

# Well-formed (30 letters and digits) but unknown to the simulator.
UNKNOWN_TOKEN = "aUnknownToken00000000000000000"  # noqa: S105 - fake
UNKNOWN_USER_KEY = "uUnknownUserKey000000000000000"
CREDENTIALS = {CONF_API_TOKEN: TEST_APP_TOKEN, CONF_USER_KEY: TEST_USER_KEY}

type Result = FlowResult[Any, Any]


def field_names(result: Result) -> list[str]:
    """Return the names of a form's fields, in order."""
    schema = result["data_schema"]
    assert schema is not None
    return [str(key) for key in schema.schema]


def schema_key(result: Result, name: str) -> Any:
    """Return the schema key of a form field (its default, its suggestion)."""
    schema = result["data_schema"]
    assert schema is not None
    return next(key for key in schema.schema if key == name)


def suggested(result: Result, name: str) -> Any:
    """Return the value a form field shows (its suggested value), if any."""
    description = schema_key(result, name).description or {}
    return description.get("suggested_value")


def selector_config(result: Result, name: str) -> dict[str, Any]:
    """Return the configuration of a field's selector."""
    schema = result["data_schema"]
    assert schema is not None
    config: dict[str, Any] = schema.schema[name].config
    return config


def placeholders(result: Result) -> Mapping[str, str]:
    """Return the values a form's texts name."""
    values = result["description_placeholders"]
    assert values is not None
    return values


async def start_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Start adding Pushover Plus, as the Add integration button does: its menu."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def choose(hass: HomeAssistant, result: Result, step: str) -> ConfigFlowResult:
    """Choose an option of a flow's menu."""
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Start adding an application: the menu's "Send messages" choice."""
    return await choose(hass, await start_flow(hass), "credentials")


async def submit(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a config flow's current form."""
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def add_entry(
    hass: HomeAssistant,
    name: str = "Ada",
    credentials: dict[str, str] = CREDENTIALS,
) -> ConfigFlowResult:
    """Go through the whole user flow; return its last answer."""
    result = await submit(hass, await start_user_flow(hass), credentials)
    assert result["step_id"] in {"recipient", "recipient_no_devices"}, result
    return await submit(hass, result, {CONF_NAME: name})
