"""Where encryption keys are set: the recipient flow, the options, reconfigure.

And where they must never show: diagnostics.
"""

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigSubentryData,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_EXPIRE,
    CONF_RETRY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.recipients import Recipient
from pushover_simulator import (
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
)

from .conftest import SECRETS
from .flow_helpers import Result, placeholders, selector_config, suggested

pytestmark = pytest.mark.usefixtures("api_base_url")

OPTIONS = {CONF_RETRY: 60, CONF_EXPIRE: 3600}
ALEX = {
    CONF_USER_KEY: TEST_SECOND_USER_KEY,
    CONF_DEVICES: [],
    CONF_SERVICE_NAME: "alex",
    CONF_ENCRYPTION_KEY: TEST_SECOND_ENCRYPTION_KEY,
}


async def _key_form(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    """Open Add recipient and choose to enter a key."""
    menu = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    return await hass.config_entries.subentries.async_configure(
        menu["flow_id"], {"next_step_id": "key"}
    )


async def _add_recipient(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> Result:
    result = await _key_form(hass, entry)
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


@pytest.fixture
async def entry_with_alex_encrypting(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Load the test entry with Alex, a recipient with an encryption key."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        minor_version=config_entry.minor_version,
        data=dict(config_entry.data),
        options={**OPTIONS, CONF_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY},
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                data=ALEX,
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


async def test_a_recipient_is_added_with_its_key_as_stored(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Outer spaces and upper case are taken; the key is stored in lower case."""
    result = await _add_recipient(
        hass,
        loaded_entry,
        {
            CONF_NAME: "Alex",
            CONF_USER_KEY: TEST_SECOND_USER_KEY,
            CONF_ENCRYPTION_KEY: f" {TEST_SECOND_ENCRYPTION_KEY.upper()} ",
        },
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: []}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = loaded_entry.subentries.values()
    assert subentry.data[CONF_ENCRYPTION_KEY] == TEST_SECOND_ENCRYPTION_KEY


async def test_a_recipient_key_field_is_a_password(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The key is shown as dots, like the token."""
    result = await _key_form(hass, loaded_entry)

    assert selector_config(result, CONF_ENCRYPTION_KEY)["type"] == "password"


@pytest.mark.parametrize(
    ("typed", "length"),
    [
        (TEST_SECOND_ENCRYPTION_KEY[:-1], "63"),
        (TEST_SECOND_ENCRYPTION_KEY[:-1] + "x", "64"),
    ],
    ids=["short", "not-hex"],
)
async def test_a_malformed_recipient_key_is_named_on_its_field(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, typed: str, length: str
) -> None:
    """A key that is not 64 hex characters is refused before Pushover is asked."""
    result = await _add_recipient(
        hass,
        loaded_entry,
        {
            CONF_NAME: "Alex",
            CONF_USER_KEY: TEST_SECOND_USER_KEY,
            CONF_ENCRYPTION_KEY: typed,
        },
    )

    assert result["step_id"] == "key"
    assert result["errors"] == {CONF_ENCRYPTION_KEY: "encryption_key_malformed"}
    assert result["description_placeholders"] == {"encryption_key_length": length}
    assert suggested(result, CONF_ENCRYPTION_KEY) == typed


async def test_a_delivery_group_takes_no_key(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A group's members are separate accounts: no one key encrypts for them."""
    result = await _add_recipient(
        hass,
        loaded_entry,
        {
            CONF_NAME: "Family",
            CONF_USER_KEY: TEST_GROUP_KEY,
            CONF_ENCRYPTION_KEY: TEST_SECOND_ENCRYPTION_KEY,
        },
    )

    assert result["step_id"] == "key"
    assert result["errors"] == {CONF_ENCRYPTION_KEY: "encryption_key_for_group"}


async def test_reconfigure_shows_the_key_and_clearing_it_removes_it(
    hass: HomeAssistant, entry_with_alex_encrypting: MockConfigEntry
) -> None:
    """The stored key is offered (as dots); an empty field sends without it."""
    entry = entry_with_alex_encrypting
    subentry_id = next(iter(entry.subentries))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert suggested(result, CONF_ENCRYPTION_KEY) == TEST_SECOND_ENCRYPTION_KEY

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Alex", CONF_USER_KEY: TEST_SECOND_USER_KEY},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: []}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert CONF_ENCRYPTION_KEY not in entry.subentries[subentry_id].data


async def _options(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> Result:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {**OPTIONS, CONF_ENCRYPTION_KEY: key}
    )


async def test_the_primary_key_is_set_in_the_options(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The primary recipient's key is an option, stored in lower case."""
    result = await _options(hass, loaded_entry, TEST_ENCRYPTION_KEY.upper())

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_ENCRYPTION_KEY] == TEST_ENCRYPTION_KEY


async def test_an_empty_primary_key_is_not_stored(
    hass: HomeAssistant, entry_with_alex_encrypting: MockConfigEntry
) -> None:
    """Clearing the field turns encryption off for the primary recipient."""
    await _options(hass, entry_with_alex_encrypting, "")

    assert CONF_ENCRYPTION_KEY not in entry_with_alex_encrypting.options


async def test_a_malformed_primary_key_is_named_on_its_field(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The options refuse a key that is not 64 hex characters, keeping it typed."""
    result = await _options(hass, loaded_entry, "0123")

    assert result["errors"] == {CONF_ENCRYPTION_KEY: "encryption_key_malformed"}
    assert placeholders(result)["encryption_key_length"] == "4"
    assert suggested(result, CONF_ENCRYPTION_KEY) == "0123"


async def test_a_new_primary_key_forgets_the_old_accounts_encryption_key(
    hass: HomeAssistant, entry_with_alex_encrypting: MockConfigEntry
) -> None:
    """The key belonged to the old account: the new one could not decrypt."""
    entry = entry_with_alex_encrypting
    # Alex has the key the primary recipient takes over.
    assert hass.config_entries.async_remove_subentry(
        entry, next(iter(entry.subentries))
    )
    await hass.async_block_till_done()
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Pushover", CONF_USER_KEY: TEST_SECOND_USER_KEY}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_USER_KEY] == TEST_SECOND_USER_KEY
    assert entry.options == OPTIONS


async def test_a_rename_keeps_the_primary_encryption_key(
    hass: HomeAssistant, entry_with_alex_encrypting: MockConfigEntry
) -> None:
    """The same account keeps its key."""
    entry = entry_with_alex_encrypting
    result = await entry.start_reconfigure_flow(hass)

    await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Ada", CONF_USER_KEY: TEST_USER_KEY}
    )
    await hass.async_block_till_done()

    assert entry.options[CONF_ENCRYPTION_KEY] == TEST_ENCRYPTION_KEY


async def test_diagnostics_redact_every_encryption_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry_with_alex_encrypting: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Neither the primary's key (options) nor a recipient's (data) is shown."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, entry_with_alex_encrypting
    )

    assert diagnostics == snapshot(exclude=props("reset"))
    assert not any(secret in str(diagnostics) for secret in SECRETS)


def test_a_recipient_repr_shows_no_key() -> None:
    """A recipient in a log or a traceback names no key."""
    recipient = Recipient(
        id="alex",
        name="Alex",
        user_key=TEST_SECOND_USER_KEY,
        service_name="alex",
        encryption_key=TEST_SECOND_ENCRYPTION_KEY,
    )

    assert TEST_SECOND_ENCRYPTION_KEY not in repr(recipient)
    assert TEST_SECOND_USER_KEY not in repr(recipient)
