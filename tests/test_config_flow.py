"""Tests of the config flow, reauth, reconfigure, options and recipient flows.

Every flow talks to the Pushover simulator over real HTTP.
"""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.api import PushoverClient
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_ACK_CALLBACK,
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    CONF_USER_KEY,
    DOMAIN,
    PRIORITY_NAMES,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_GROUP_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

# Well-formed (30 letters and digits) but unknown to the simulator.
UNKNOWN_TOKEN = "aUnknownToken00000000000000000"  # noqa: S105 - fake
UNKNOWN_USER_KEY = "uUnknownUserKey000000000000000"

USER_INPUT = {
    CONF_NAME: "Home",
    CONF_API_TOKEN: TEST_APP_TOKEN,
    CONF_USER_KEY: TEST_USER_KEY,
}
PARTNER = {CONF_USER_KEY: TEST_SECOND_USER_KEY, CONF_DEVICES: ["laptop"]}

pytestmark = pytest.mark.usefixtures("api_base_url")


def _field(result: FlowResult[Any, Any], name: str) -> Any:
    """Return the schema key (with its default) of a form field."""
    schema = result["data_schema"]
    assert schema is not None
    return next(key for key in schema.schema if key == name)


def _selector_config(result: FlowResult[Any, Any], name: str) -> dict[str, Any]:
    schema = result["data_schema"]
    assert schema is not None
    config: dict[str, Any] = schema.schema[name].config
    return config


def _subentry_id(entry: MockConfigEntry) -> str:
    subentry_id: str = next(iter(entry.subentries))
    return subentry_id


async def _start_user_flow(hass: HomeAssistant) -> FlowResult[Any, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def _submit_user(
    hass: HomeAssistant, user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    result = await _start_user_flow(hass)
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def _start_recipient_flow(
    hass: HomeAssistant, entry: MockConfigEntry
) -> FlowResult[Any, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )


async def _start_recipient_reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry
) -> FlowResult[Any, Any]:
    """Start changing the entry's only recipient."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": _subentry_id(entry)},
    )


async def _add_recipient(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    result = await _start_recipient_flow(hass, entry)
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def other_entry() -> MockConfigEntry:
    """Return an entry for the simulator's other application."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        data={
            CONF_NAME: "Other",
            CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
            CONF_USER_KEY: TEST_USER_KEY,
        },
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
    )


@pytest.fixture
async def entry_with_recipient(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the test entry with a recipient subentry, "Partner"."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        data=dict(config_entry.data),
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                data=PARTNER,
                subentry_type=SUBENTRY_RECIPIENT,
                title="Partner",
                unique_id=None,
            )
        ],
    )
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    return entry


# The user step


async def test_user_form(hass: HomeAssistant) -> None:
    """The user step asks for a name, the token and the primary key."""
    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert _field(result, CONF_NAME).default() == "Pushover"
    assert _selector_config(result, CONF_API_TOKEN)["type"] == "password"


async def test_user_creates_entry(hass: HomeAssistant) -> None:
    """Valid credentials create an entry keyed by the token's hash."""
    result = await _submit_user(hass, USER_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == USER_INPUT
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.unique_id == token_unique_id(TEST_APP_TOKEN)
    assert len(entry.unique_id) == 64
    assert TEST_APP_TOKEN not in entry.unique_id


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_API_TOKEN: UNKNOWN_TOKEN}, {CONF_API_TOKEN: "invalid_api_token"}),
        ({CONF_USER_KEY: UNKNOWN_USER_KEY}, {CONF_USER_KEY: "invalid_user_key"}),
    ],
    ids=["unknown_token", "unknown_user_key"],
)
async def test_user_refused_credentials(
    hass: HomeAssistant, changes: dict[str, str], errors: dict[str, str]
) -> None:
    """Credentials Pushover refuses show an error on their field."""
    result = await _submit_user(hass, USER_INPUT | changes)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors


@pytest.mark.parametrize("fault", ["fail_next", "drop_next", "malformed_next"])
async def test_user_cannot_connect(
    hass: HomeAssistant, simulator: PushoverSimulator, fault: str
) -> None:
    """A 5xx, a dropped connection or broken JSON is cannot_connect."""
    simulator.faults.update({fault: 1})

    result = await _submit_user(hass, USER_INPUT)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_simulator_down(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """An unreachable Pushover is cannot_connect."""
    await simulator.stop()

    result = await _submit_user(hass, USER_INPUT)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_unexpected_error(hass: HomeAssistant) -> None:
    """An unexpected exception is reported as unknown."""
    with patch.object(PushoverClient, "validate_user", side_effect=Exception("boom")):
        result = await _submit_user(hass, USER_INPUT)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}


async def test_user_recovers_after_error(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """After an error, the same form creates the entry once input is right."""
    simulator.faults.fail_next = 1
    result = await _submit_user(hass, USER_INPUT | {CONF_NAME: "Retry"})
    assert result["errors"] == {"base": "cannot_connect"}
    assert _field(result, CONF_NAME).default() == "Retry"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == USER_INPUT


async def test_user_token_already_configured(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A token that already has an entry aborts."""
    config_entry.add_to_hass(hass)

    result = await _submit_user(hass, USER_INPUT | {CONF_NAME: "Again"})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# Reauthentication


async def test_reauth_form(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Reauth asks only for a token and names the entry."""
    config_entry.add_to_hass(hass)

    result = await config_entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Pushover"}
    schema = result["data_schema"]
    assert schema is not None
    assert list(schema.schema) == [CONF_API_TOKEN]


async def test_reauth_refused_token(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A token Pushover refuses is shown as invalid."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: UNKNOWN_TOKEN}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: "invalid_api_token"}
    assert config_entry.data[CONF_API_TOKEN] == TEST_APP_TOKEN


async def test_reauth_new_token(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A new valid token replaces the old one and the unique id."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data == {
        CONF_NAME: "Pushover",
        CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
        CONF_USER_KEY: TEST_USER_KEY,
    }
    assert config_entry.unique_id == token_unique_id(TEST_OTHER_APP_TOKEN)


async def test_reauth_token_in_use(
    hass: HomeAssistant, config_entry: MockConfigEntry, other_entry: MockConfigEntry
) -> None:
    """A token another entry has is refused."""
    config_entry.add_to_hass(hass)
    other_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: "token_in_use"}


async def test_reauth_sets_up_refused_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An entry whose token was refused at setup works again after reauth."""
    simulator.faults.reject_token = True
    await _setup(hass, config_entry)
    assert hass.states.get("notify.pushover") is None
    [flow] = config_entry.async_get_active_flows(hass, {"reauth"})
    simulator.faults.reject_token = False

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_TOKEN: TEST_APP_TOKEN}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.pushover") is not None


# Reconfiguration


async def test_reconfigure_form(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Reconfigure shows the current name and key, never the token."""
    config_entry.add_to_hass(hass)

    result = await config_entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _field(result, CONF_NAME).default() == "Pushover"
    assert _field(result, CONF_USER_KEY).default() == TEST_USER_KEY
    assert not callable(_field(result, CONF_API_TOKEN).default)


async def test_reconfigure_changes_everything(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A new name, token and key update the entry, which reloads once."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    simulator.reset()
    new = {
        CONF_NAME: "Office",
        CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
        CONF_USER_KEY: TEST_GROUP_KEY,
    }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.title == "Office"
    assert loaded_entry.data == new
    assert loaded_entry.unique_id == token_unique_id(TEST_OTHER_APP_TOKEN)
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service(Platform.NOTIFY, "office")
    # One check by the flow; the reloaded entry checks and reads its quota.
    assert [request.path for request in simulator.requests] == [
        "/1/users/validate.json",
        "/1/users/validate.json",
        "/1/apps/limits.json",
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_API_TOKEN: UNKNOWN_TOKEN}, {CONF_API_TOKEN: "invalid_api_token"}),
        ({CONF_USER_KEY: UNKNOWN_USER_KEY}, {CONF_USER_KEY: "invalid_user_key"}),
        ({CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}, {CONF_API_TOKEN: "token_in_use"}),
    ],
    ids=["unknown_token", "unknown_user_key", "token_in_use"],
)
async def test_reconfigure_refused(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    other_entry: MockConfigEntry,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Refused credentials keep the form open, with the entered values."""
    config_entry.add_to_hass(hass)
    other_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT | changes
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _field(result, CONF_NAME).default() == "Home"
    assert config_entry.title == "Pushover"


async def test_reconfigure_cannot_connect(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx answer is cannot_connect."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    simulator.faults.fail_next = 1

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )

    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_unexpected_error(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An unexpected exception is reported as unknown."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    with patch.object(PushoverClient, "validate_user", side_effect=Exception("boom")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], USER_INPUT
        )

    assert result["errors"] == {"base": "unknown"}


async def test_reconfigure_sets_up_refused_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry whose primary key was refused works after reconfiguring it."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_USER_KEY: UNKNOWN_USER_KEY}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert hass.states.get("notify.pushover") is None
    result = await config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.home") is not None


# Options


async def test_options_form(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The options offer the primary key's devices and Pushover's sounds."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _selector_config(result, CONF_DEVICES)["options"] == list(TEST_DEVICES)
    assert _selector_config(result, CONF_SOUND)["options"] == [
        {"value": name, "label": label}
        for name, label in {**BUILTIN_SOUNDS, **CUSTOM_SOUNDS}.items()
    ]
    assert _selector_config(result, CONF_PRIORITY)["options"] == list(PRIORITY_NAMES)
    assert _field(result, CONF_RETRY).default() == 60
    assert _field(result, CONF_EXPIRE).default() == 3600
    # Without an external URL Pushover could not call back.
    assert _field(result, CONF_ACK_CALLBACK).default() is False


async def test_options_callback_on_with_external_url(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """With an external URL the acknowledgement callback is on by default."""
    hass.config.external_url = "https://home.example.com"

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)

    assert _field(result, CONF_ACK_CALLBACK).default() is True


async def test_options_saved(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Saving stores the defaults in the entry's options."""
    options = {
        CONF_DEVICES: ["phone", "watch"],
        CONF_SOUND: "doorbell",
        CONF_PRIORITY: "high",
        CONF_RETRY: 120,
        CONF_EXPIRE: 600,
        CONF_ACK_CALLBACK: False,
    }
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == options
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_options_suggest_current_values(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """The form suggests the options already saved."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_SOUND: "bike", CONF_RETRY: 90, CONF_EXPIRE: 900}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)

    result = await hass.config_entries.options.async_init(config_entry.entry_id)

    assert _field(result, CONF_SOUND).description == {"suggested_value": "bike"}
    assert _field(result, CONF_RETRY).description == {"suggested_value": 90}


async def test_options_entry_not_loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry that is not loaded has no options to offer."""
    config_entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(config_entry.entry_id)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_options_cannot_connect(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The options abort when Pushover cannot list the devices and sounds."""
    await simulator.stop()

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# Recipient subentries


async def test_recipient_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Adding a recipient asks for a name, a key and default devices."""
    result = await _start_recipient_flow(hass, loaded_entry)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    schema = result["data_schema"]
    assert schema is not None
    assert list(schema.schema) == [CONF_NAME, CONF_USER_KEY, CONF_DEVICES]


async def test_recipient_added(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A valid key and devices add a recipient with its own notify entity."""
    result = await _add_recipient(hass, loaded_entry, {CONF_NAME: "Partner", **PARTNER})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Partner"
    assert result["data"] == PARTNER
    [subentry] = loaded_entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_RECIPIENT
    assert subentry.title == "Partner"
    assert subentry.data == PARTNER
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.partner") is not None
    assert hass.services.has_service(Platform.NOTIFY, "partner")


async def test_recipient_without_devices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A group key without devices is stored with an empty device list."""
    result = await _add_recipient(
        hass, loaded_entry, {CONF_NAME: "Family", CONF_USER_KEY: TEST_GROUP_KEY}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_USER_KEY: TEST_GROUP_KEY, CONF_DEVICES: []}


@pytest.mark.parametrize(
    "user_key", [TEST_USER_KEY, TEST_SECOND_USER_KEY], ids=["primary", "recipient"]
)
async def test_recipient_already_configured(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry, user_key: str
) -> None:
    """A key that is already the primary or another recipient aborts."""
    result = await _add_recipient(
        hass, entry_with_recipient, {CONF_NAME: "Again", CONF_USER_KEY: user_key}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_USER_KEY: UNKNOWN_USER_KEY}, {CONF_USER_KEY: "invalid_user_key"}),
        (
            {CONF_USER_KEY: TEST_SECOND_USER_KEY, CONF_DEVICES: ["laptop", "phone"]},
            {CONF_DEVICES: "invalid_device"},
        ),
    ],
    ids=["unknown_user_key", "device_of_another_user"],
)
async def test_recipient_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """A key or device Pushover does not know keeps the form open."""
    result = await _add_recipient(
        hass, loaded_entry, {CONF_NAME: "Partner", **user_input}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _field(result, CONF_USER_KEY).default() == user_input[CONF_USER_KEY]
    assert loaded_entry.subentries == {}


async def test_recipient_cannot_connect(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx answer is cannot_connect."""
    simulator.faults.fail_next = 1

    result = await _add_recipient(hass, loaded_entry, {CONF_NAME: "Partner", **PARTNER})

    assert result["errors"] == {"base": "cannot_connect"}


async def test_recipient_token_refused_shows_above_the_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The recipient form has no token field: a refused token is a base error."""
    simulator.faults.reject_token = True

    result = await _add_recipient(hass, loaded_entry, {CONF_NAME: "Partner", **PARTNER})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_api_token"}
    assert loaded_entry.subentries == {}


async def test_recipient_entry_not_loaded(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """Recipients cannot be added while the entry is not loaded."""
    await hass.config_entries.async_unload(entry_with_recipient.entry_id)

    result = await _start_recipient_flow(hass, entry_with_recipient)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_recipient_reconfigure_entry_not_loaded(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """Recipients cannot be changed while the entry is not loaded."""
    await hass.config_entries.async_unload(entry_with_recipient.entry_id)

    result = await _start_recipient_reconfigure(hass, entry_with_recipient)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_recipient_reconfigure_form(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """Changing a recipient starts from its current name, key and devices."""
    result = await _start_recipient_reconfigure(hass, entry_with_recipient)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _field(result, CONF_NAME).default() == "Partner"
    assert _field(result, CONF_USER_KEY).default() == TEST_SECOND_USER_KEY
    assert _field(result, CONF_DEVICES).default() == ["laptop"]


async def test_recipient_reconfigured(
    hass: HomeAssistant,
    entry_with_recipient: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A changed recipient is saved and the entry reloads with its new name."""
    entry = entry_with_recipient
    subentry_id = _subentry_id(entry)
    result = await _start_recipient_reconfigure(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Family", CONF_USER_KEY: TEST_GROUP_KEY, CONF_DEVICES: ["pager"]},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Family"
    assert subentry.data == {CONF_USER_KEY: TEST_GROUP_KEY, CONF_DEVICES: ["pager"]}
    assert entry.state is ConfigEntryState.LOADED
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{entry.entry_id}_{subentry_id}"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Family"
    assert hass.services.has_service(Platform.NOTIFY, "family")
    assert not hass.services.has_service(Platform.NOTIFY, "partner")


async def test_recipient_reconfigure_keeps_own_key(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """A recipient may keep its own key while changing its devices."""
    entry = entry_with_recipient
    subentry_id = _subentry_id(entry)
    result = await _start_recipient_reconfigure(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Partner", CONF_USER_KEY: TEST_SECOND_USER_KEY, CONF_DEVICES: []},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data == {
        CONF_USER_KEY: TEST_SECOND_USER_KEY,
        CONF_DEVICES: [],
    }


async def test_recipient_reconfigure_to_primary_key(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """A recipient cannot take the primary key."""
    entry = entry_with_recipient
    result = await _start_recipient_reconfigure(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: TEST_USER_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_recipient_reconfigure_refused_device(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """An error keeps the form open with the values entered."""
    entry = entry_with_recipient
    result = await _start_recipient_reconfigure(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Renamed",
            CONF_USER_KEY: TEST_SECOND_USER_KEY,
            CONF_DEVICES: ["phone"],
        },
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DEVICES: "invalid_device"}
    assert _field(result, CONF_NAME).default() == "Renamed"
    assert _field(result, CONF_DEVICES).default() == ["phone"]


async def test_reconfigure_primary_key_of_a_recipient(
    hass: HomeAssistant, entry_with_recipient: MockConfigEntry
) -> None:
    """The primary key cannot become a key another recipient already has."""
    result = await entry_with_recipient.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_NAME: entry_with_recipient.title,
            CONF_API_TOKEN: TEST_APP_TOKEN,
            CONF_USER_KEY: PARTNER[CONF_USER_KEY],
        },
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USER_KEY: "user_key_in_use"}
