"""Tests of the recipient flow: the name and key, then the key's devices."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.api import PushoverClient
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_NO_DEVICE_USER_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from .flow_helpers import (
    UNKNOWN_USER_KEY,
    Result,
    field_names,
    selector_config,
    suggested,
)

pytestmark = pytest.mark.usefixtures("api_base_url")

PARTNER = {
    CONF_USER_KEY: TEST_SECOND_USER_KEY,
    CONF_DEVICES: ["laptop"],
    CONF_SERVICE_NAME: "partner",
    CONF_IS_GROUP: False,
}


def _subentry_id(entry: MockConfigEntry) -> str:
    subentry_id: str = next(iter(entry.subentries))
    return subentry_id


async def _open_menu(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    """Press Add recipient: the choice of a key or an invitation."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    """Start adding a recipient and choose to enter its key."""
    return await _submit(hass, await _open_menu(hass, entry), {"next_step_id": "key"})


async def _start_reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    """Start changing the entry's only recipient."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": _subentry_id(entry)},
    )


async def _submit(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> Result:
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def _add(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, user_key: str
) -> Result:
    return await _submit(
        hass, await _start(hass, entry), {CONF_NAME: name, CONF_USER_KEY: user_key}
    )


@pytest.fixture
async def entry_with_partner(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the test entry with a recipient subentry, "Partner"."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        minor_version=config_entry.minor_version,
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
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


# Adding


async def test_recipient_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Adding a recipient asks for a name, a key and an optional encryption key."""
    result = await _start(hass, loaded_entry)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "key"
    assert result["errors"] == {}
    assert field_names(result) == [CONF_NAME, CONF_USER_KEY, CONF_ENCRYPTION_KEY]


async def test_recipient_added_with_a_device_picked(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The devices step offers the key's devices; the recipient gets its action."""
    result = await _add(hass, loaded_entry, " Partner ", TEST_SECOND_USER_KEY)

    assert result["step_id"] == "devices"
    assert field_names(result) == [CONF_DEVICES]
    config = selector_config(result, CONF_DEVICES)
    assert config["options"] == ["laptop"]
    assert config["multiple"] is True
    assert result["description_placeholders"] == {
        "recipient": "Partner",
        "devices": "laptop",
    }

    result = await _submit(hass, result, {CONF_DEVICES: ["laptop"]})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Partner"
    assert result["data"] == PARTNER
    [subentry] = loaded_entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_RECIPIENT
    assert subentry.data == PARTNER
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.partner") is not None
    assert hass.services.has_service(Platform.NOTIFY, "partner")


async def test_group_recipient_offers_every_members_devices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A group's devices are its members'; none picked means all of them."""
    result = await _add(hass, loaded_entry, "Family", TEST_GROUP_KEY)
    assert result["step_id"] == "group_subscription"
    result = await _submit(hass, result, {})
    assert selector_config(result, CONF_DEVICES)["options"] == [
        "phone",
        "tablet",
        "watch",
        "laptop",
        "pager",
    ]

    result = await _submit(hass, result, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_USER_KEY: TEST_GROUP_KEY,
        CONF_DEVICES: [],
        CONF_SERVICE_NAME: "family",
        CONF_IS_GROUP: True,
    }


async def test_recipient_without_devices_is_added(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A key no device is logged in with skips the picker, said so."""
    result = await _add(hass, loaded_entry, "Newcomer", TEST_NO_DEVICE_USER_KEY)
    # It could be a subscription's group nobody has joined yet.
    assert result["step_id"] == "group_subscription"
    result = await _submit(hass, result, {})

    assert result["step_id"] == "no_devices"
    assert field_names(result) == []
    assert result["description_placeholders"] == {"recipient": "Newcomer"}

    result = await _submit(hass, result, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICES] == []


@pytest.mark.parametrize(
    ("user_key", "holder"),
    [(TEST_USER_KEY, "Pushover"), (TEST_SECOND_USER_KEY, "Partner")],
    ids=["primary", "recipient"],
)
async def test_recipient_key_in_use_is_a_field_error(
    hass: HomeAssistant,
    entry_with_partner: MockConfigEntry,
    user_key: str,
    holder: str,
) -> None:
    """A key the application has already is named on its field; nothing is lost."""
    result = await _add(hass, entry_with_partner, "Again", user_key)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USER_KEY: "user_key_in_use"}
    assert result["description_placeholders"] == {"recipient": holder}
    assert suggested(result, CONF_NAME) == "Again"
    assert suggested(result, CONF_USER_KEY) == user_key


@pytest.mark.parametrize(
    ("name", "user_key", "errors"),
    [
        ("Alex", UNKNOWN_USER_KEY, {CONF_USER_KEY: "invalid_user_key"}),
        ("Alex", "u-not-a-key", {CONF_USER_KEY: "user_key_malformed"}),
        ("Pushover", TEST_SECOND_USER_KEY, {CONF_NAME: "name_in_use"}),
        ("", TEST_SECOND_USER_KEY, {CONF_NAME: "name_empty"}),
    ],
    ids=["unknown_user_key", "malformed_key", "action_taken", "empty_name"],
)
async def test_recipient_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    name: str,
    user_key: str,
    errors: dict[str, str],
) -> None:
    """A refused name or key keeps the form open with what was typed."""
    result = await _add(hass, loaded_entry, name, user_key)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert suggested(result, CONF_USER_KEY) == user_key
    assert loaded_entry.subentries == {}


async def test_recipient_cannot_connect(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx answer is cannot_connect."""
    simulator.faults.fail_next = 1

    result = await _add(hass, loaded_entry, "Partner", TEST_SECOND_USER_KEY)

    assert result["errors"] == {"base": "cannot_connect"}


async def test_recipient_unexpected_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """An unexpected exception is reported as unknown."""
    with patch.object(PushoverClient, "validate_user", side_effect=Exception("boom")):
        result = await _add(hass, loaded_entry, "Partner", TEST_SECOND_USER_KEY)

    assert result["errors"] == {"base": "unknown"}


async def test_recipient_token_refused_shows_above_the_form(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The recipient form has no token field: a refused token is a base error."""
    simulator.faults.reject_token = True

    result = await _add(hass, loaded_entry, "Partner", TEST_SECOND_USER_KEY)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_api_token"}
    assert loaded_entry.subentries == {}


@pytest.mark.parametrize("reconfigure", [False, True], ids=["add", "change"])
async def test_recipient_entry_not_loaded(
    hass: HomeAssistant, entry_with_partner: MockConfigEntry, reconfigure: bool
) -> None:
    """Recipients cannot be added or changed while the entry is not loaded."""
    await hass.config_entries.async_unload(entry_with_partner.entry_id)

    start = _start_reconfigure if reconfigure else _open_menu
    result = await start(hass, entry_with_partner)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


# Changing


async def test_recipient_reconfigure_form(
    hass: HomeAssistant, entry_with_partner: MockConfigEntry
) -> None:
    """Changing a recipient starts from its name and key, then its devices."""
    result = await _start_reconfigure(hass, entry_with_partner)

    assert result["step_id"] == "reconfigure"
    assert suggested(result, CONF_NAME) == "Partner"
    assert suggested(result, CONF_USER_KEY) == TEST_SECOND_USER_KEY

    result = await _submit(
        hass, result, {CONF_NAME: "Partner", CONF_USER_KEY: TEST_SECOND_USER_KEY}
    )

    assert result["step_id"] == "devices"
    assert suggested(result, CONF_DEVICES) == ["laptop"]


async def test_recipient_renamed_keeps_its_action(
    hass: HomeAssistant,
    entry_with_partner: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A new name renames the device; notify.partner stays, with a notice."""
    entry = entry_with_partner
    subentry_id = _subentry_id(entry)
    result = await _start_reconfigure(hass, entry)
    result = await _submit(
        hass, result, {CONF_NAME: "Family group", CONF_USER_KEY: TEST_GROUP_KEY}
    )
    result = await _submit(hass, result, {})

    result = await _submit(hass, result, {CONF_DEVICES: ["pager"]})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert "translation_domain" not in result
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Family group"
    assert subentry.data == {
        CONF_USER_KEY: TEST_GROUP_KEY,
        CONF_DEVICES: ["pager"],
        CONF_SERVICE_NAME: "partner",
        CONF_IS_GROUP: True,
    }
    assert entry.state is ConfigEntryState.LOADED
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{entry.entry_id}_{subentry_id}"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Family group"
    assert hass.services.has_service(Platform.NOTIFY, "partner")
    assert not hass.services.has_service(Platform.NOTIFY, "family_group")
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"legacy_action_kept_{entry.entry_id}_{subentry_id}"
    )
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "recipient": "Family group",
        "action": "partner",
        "new_action": "family_group",
    }


async def test_recipient_device_the_new_key_lacks_is_named(
    hass: HomeAssistant, entry_with_partner: MockConfigEntry
) -> None:
    """A kept device the new key does not have is refused, naming both."""
    result = await _start_reconfigure(hass, entry_with_partner)
    result = await _submit(
        hass, result, {CONF_NAME: "Partner", CONF_USER_KEY: TEST_GROUP_MEMBER_KEY}
    )
    # The stored device is offered too, so that the form opens with it.
    assert selector_config(result, CONF_DEVICES)["options"] == ["pager", "laptop"]

    result = await _submit(hass, result, {CONF_DEVICES: ["laptop"]})

    assert result["errors"] == {CONF_DEVICES: "invalid_device"}
    assert result["description_placeholders"] == {
        "recipient": "Partner",
        "devices": "pager",
        "device": "laptop",
    }
    assert suggested(result, CONF_DEVICES) == ["laptop"]

    result = await _submit(hass, result, {CONF_DEVICES: ["pager"]})

    assert result["reason"] == "reconfigure_successful"


async def test_recipient_reconfigure_keeps_own_key(
    hass: HomeAssistant, entry_with_partner: MockConfigEntry
) -> None:
    """A recipient may keep its own key while changing its devices."""
    entry = entry_with_partner
    result = await _start_reconfigure(hass, entry)
    result = await _submit(
        hass, result, {CONF_NAME: "Partner", CONF_USER_KEY: TEST_SECOND_USER_KEY}
    )

    result = await _submit(hass, result, {CONF_DEVICES: []})

    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[_subentry_id(entry)].data == PARTNER | {CONF_DEVICES: []}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_USER_KEY: TEST_USER_KEY}, {CONF_USER_KEY: "user_key_in_use"}),
        ({CONF_NAME: " "}, {CONF_NAME: "name_empty"}),
    ],
    ids=["primary_key", "empty_name"],
)
async def test_recipient_reconfigure_refused(
    hass: HomeAssistant,
    entry_with_partner: MockConfigEntry,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    """A recipient cannot take the primary key, nor lose its name."""
    result = await _start_reconfigure(hass, entry_with_partner)

    result = await _submit(
        hass,
        result,
        {CONF_NAME: "Partner", CONF_USER_KEY: TEST_SECOND_USER_KEY, **changes},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
