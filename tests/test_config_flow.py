"""Tests of adding an application, reauthentication and reconfiguration.

Every flow talks to the Pushover simulator over real HTTP.
"""

from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.pushover_plus.api import PushoverClient
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_GROUP_KEY,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from .conftest import PRIMARY_DATA
from .flow_helpers import (
    CREDENTIALS,
    UNKNOWN_TOKEN,
    UNKNOWN_USER_KEY,
    add_entry,
    field_names,
    placeholders,
    selector_config,
    start_user_flow,
    submit,
    suggested,
)

pytestmark = pytest.mark.usefixtures("api_base_url")


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
        minor_version=ENTRY_MINOR_VERSION,
        data={
            CONF_NAME: "Other",
            CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
            CONF_USER_KEY: TEST_USER_KEY,
            CONF_SERVICE_NAME: "other",
        },
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
    )


@pytest.fixture
def owner(hass: HomeAssistant) -> MockUser:
    """Add the owner who set Home Assistant up."""
    return MockUser(name="Ada Lovelace", is_owner=True).add_to_hass(hass)


# Adding an application


async def test_user_form(hass: HomeAssistant) -> None:
    """The first form asks for the token, hidden, and the primary key only."""
    result = await start_user_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert field_names(result) == [CONF_API_TOKEN, CONF_USER_KEY]
    assert selector_config(result, CONF_API_TOKEN)["type"] == "password"


@pytest.mark.usefixtures("owner")
async def test_user_creates_entry(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Accepted credentials lead to the recipient's name, then the entry."""
    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "recipient"
    assert field_names(result) == [CONF_NAME]
    # The owner's name, for a user key: acknowledged by Ada Lovelace.
    assert suggested(result, CONF_NAME) == "Ada Lovelace"
    assert placeholders(result)["devices"] == "phone, tablet, watch"

    result = await submit(hass, result, {CONF_NAME: " Ada Lovelace "})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pushover"
    assert result["data"] == {
        CONF_NAME: "Ada Lovelace",
        **CREDENTIALS,
        CONF_SERVICE_NAME: "ada_lovelace",
    }
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.unique_id == token_unique_id(TEST_APP_TOKEN)
    assert len(entry.unique_id) == 64
    assert TEST_APP_TOKEN not in entry.unique_id
    assert entry.minor_version == ENTRY_MINOR_VERSION
    assert hass.services.has_service(Platform.NOTIFY, "ada_lovelace")
    # One check by the flow; the new entry checks, reads its quota and, in
    # the background, the account's sounds for the send action's form.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [request.path for request in simulator.requests] == [
        "/1/users/validate.json",
        "/1/users/validate.json",
        "/1/apps/limits.json",
        "/1/sounds.json",
    ]


async def test_user_without_owner_suggests_no_name(hass: HomeAssistant) -> None:
    """Without an owner's name nothing is suggested: the field is required."""
    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert suggested(result, CONF_NAME) is None


@pytest.mark.usefixtures("owner")
async def test_group_key_suggests_everyone(hass: HomeAssistant) -> None:
    """A delivery group's key is everyone in the group, not the owner."""
    result = await submit(
        hass, await start_user_flow(hass), CREDENTIALS | {CONF_USER_KEY: TEST_GROUP_KEY}
    )

    assert suggested(result, CONF_NAME) == "Everyone"


async def test_second_entry_title_names_its_recipient(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Pushover names no application: a second one adds its recipient's name."""
    config_entry.add_to_hass(hass)

    result = await add_entry(
        hass, "Bob", CREDENTIALS | {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}
    )

    assert result["title"] == "Pushover (Bob)"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_API_TOKEN: UNKNOWN_TOKEN}, {CONF_API_TOKEN: "invalid_api_token"}),
        ({CONF_USER_KEY: UNKNOWN_USER_KEY}, {CONF_USER_KEY: "invalid_user_key"}),
    ],
    ids=["unknown_token", "unknown_user_key"],
)
async def test_user_refused_credentials_keep_what_was_typed(
    hass: HomeAssistant, changes: dict[str, str], errors: dict[str, str]
) -> None:
    """Only the refused field shows an error; both keep their values."""
    typed = CREDENTIALS | changes
    result = await submit(hass, await start_user_flow(hass), typed)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == errors
    # The token too: a password field keeps what was typed.
    assert suggested(result, CONF_API_TOKEN) == typed[CONF_API_TOKEN]
    assert suggested(result, CONF_USER_KEY) == typed[CONF_USER_KEY]


async def test_user_malformed_credentials_are_refused_before_pushover(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A token or key that is not 30 letters and digits never reaches Pushover."""
    result = await submit(
        hass,
        await start_user_flow(hass),
        {CONF_API_TOKEN: "short", CONF_USER_KEY: f"{TEST_USER_KEY}-x"},
    )

    assert result["errors"] == {
        CONF_API_TOKEN: "api_token_malformed",
        CONF_USER_KEY: "user_key_malformed",
    }
    assert result["description_placeholders"] == {
        "api_token_length": "5",
        "user_key_length": "32",
    }
    assert simulator.requests == []


async def test_user_pasted_spaces_are_removed(hass: HomeAssistant) -> None:
    """Spaces and line breaks around a pasted token or key are not part of it."""
    result = await add_entry(
        hass,
        credentials={
            CONF_API_TOKEN: f" {TEST_APP_TOKEN}\n",
            CONF_USER_KEY: f"\t{TEST_USER_KEY} ",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_TOKEN] == TEST_APP_TOKEN
    assert result["data"][CONF_USER_KEY] == TEST_USER_KEY


@pytest.mark.parametrize("fault", ["fail_next", "drop_next", "malformed_next"])
async def test_user_cannot_connect(
    hass: HomeAssistant, simulator: PushoverSimulator, fault: str
) -> None:
    """A 5xx, a dropped connection or broken JSON is cannot_connect."""
    simulator.faults.update({fault: 1})

    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result, CONF_API_TOKEN) == TEST_APP_TOKEN


async def test_user_simulator_down(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """An unreachable Pushover is cannot_connect."""
    await simulator.stop()

    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_unexpected_error(hass: HomeAssistant) -> None:
    """An unexpected exception is reported as unknown."""
    with patch.object(PushoverClient, "validate_user", side_effect=Exception("boom")):
        result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert result["errors"] == {"base": "unknown"}


async def test_user_recovers_after_error(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """After an error, the same form goes on once the input is right."""
    simulator.faults.fail_next = 1
    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)
    assert result["errors"] == {"base": "cannot_connect"}

    result = await submit(hass, result, CREDENTIALS)

    assert result["step_id"] == "recipient"


async def test_abandoned_flows_do_not_block_a_new_one(hass: HomeAssistant) -> None:
    """A flow left after an error, or before its last step, blocks nothing.

    The unique id is set only after Pushover accepted the token, and without
    refusing other flows in progress: a closed browser tab must not stop the
    user from starting again.
    """
    after_error = await submit(
        hass,
        await start_user_flow(hass),
        CREDENTIALS | {CONF_USER_KEY: UNKNOWN_USER_KEY},
    )
    assert after_error["errors"] == {CONF_USER_KEY: "invalid_user_key"}
    before_name = await submit(hass, await start_user_flow(hass), CREDENTIALS)
    assert before_name["step_id"] == "recipient"

    result = await add_entry(hass)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The entry now has the token: the abandoned flow with it is ended.
    in_progress = {
        flow["flow_id"] for flow in hass.config_entries.flow.async_progress()
    }
    assert before_name["flow_id"] not in in_progress


async def test_user_token_already_configured(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A token that already has an entry aborts before Pushover is asked."""
    config_entry.add_to_hass(hass)

    result = await submit(hass, await start_user_flow(hass), CREDENTIALS)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.requests == []


async def test_name_whose_action_is_taken_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A name whose legacy action exists already is refused on its field.

    Here the other application's primary recipient has notify.pushover, and
    the notify integration itself notify.persistent_notification.
    """
    result = await submit(
        hass,
        await start_user_flow(hass),
        CREDENTIALS | {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN},
    )

    for name, action in (
        ("PushOver", "notify.pushover"),
        ("Persistent notification", "notify.persistent_notification"),
    ):
        result = await submit(hass, result, {CONF_NAME: name})

        assert result["errors"] == {CONF_NAME: "name_in_use"}
        assert placeholders(result)["action"] == action
        assert suggested(result, CONF_NAME) == name

    result = await submit(hass, result, {CONF_NAME: "   "})
    assert result["errors"] == {CONF_NAME: "name_empty"}


async def test_key_without_devices_is_accepted(hass: HomeAssistant) -> None:
    """A valid key that no device is logged in with is added, and said so."""
    result = await submit(
        hass,
        await start_user_flow(hass),
        CREDENTIALS | {CONF_USER_KEY: TEST_NO_DEVICE_USER_KEY},
    )

    assert result["step_id"] == "recipient_no_devices"

    result = await submit(hass, result, {CONF_NAME: "Newcomer"})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"no_active_devices_{entry.entry_id}"
    )


# Reauthentication


async def test_reauth_form(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Reauth asks only for a token and names the entry."""
    config_entry.add_to_hass(hass)

    result = await config_entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Pushover"}
    assert field_names(result) == [CONF_API_TOKEN]


@pytest.mark.parametrize(
    ("token", "error"),
    [(UNKNOWN_TOKEN, "invalid_api_token"), ("short", "api_token_malformed")],
    ids=["unknown", "malformed"],
)
async def test_reauth_refused_token(
    hass: HomeAssistant, config_entry: MockConfigEntry, token: str, error: str
) -> None:
    """A token Pushover refuses, or that is no token, stays in its field."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await submit(hass, result, {CONF_API_TOKEN: token})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: error}
    assert suggested(result, CONF_API_TOKEN) == token
    assert config_entry.data[CONF_API_TOKEN] == TEST_APP_TOKEN


async def test_reauth_new_token(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A new valid token replaces the old one and the unique id."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await submit(hass, result, {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    # Our own text, not Home Assistant's generic one.
    assert "translation_domain" not in result
    assert config_entry.data == PRIMARY_DATA | {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}
    assert config_entry.unique_id == token_unique_id(TEST_OTHER_APP_TOKEN)


async def test_reauth_token_in_use(
    hass: HomeAssistant, config_entry: MockConfigEntry, other_entry: MockConfigEntry
) -> None:
    """A token another entry has is refused."""
    config_entry.add_to_hass(hass)
    other_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await submit(hass, result, {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: "token_in_use"}


async def test_reauth_primary_key_refused(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A good token with a key Pushover no longer knows: said above the form."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data=PRIMARY_DATA | {CONF_USER_KEY: UNKNOWN_USER_KEY}
    )
    result = await config_entry.start_reauth_flow(hass)

    result = await submit(hass, result, {CONF_API_TOKEN: TEST_APP_TOKEN})

    assert result["errors"] == {"base": "primary_key_refused"}


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
    """Reconfigure shows the recipient's name and key; the token is never shown."""
    config_entry.add_to_hass(hass)

    result = await config_entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert field_names(result) == [CONF_NAME, CONF_API_TOKEN, CONF_USER_KEY]
    assert suggested(result, CONF_NAME) == "Pushover"
    assert suggested(result, CONF_USER_KEY) == TEST_USER_KEY
    assert suggested(result, CONF_API_TOKEN) is None
    assert selector_config(result, CONF_API_TOKEN)["type"] == "password"


async def test_reconfigure_rename_only_keeps_token_and_action(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Renaming needs no token and no Pushover; the legacy action stays."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    simulator.reset()

    result = await submit(
        hass, result, {CONF_NAME: "Ada", CONF_USER_KEY: TEST_USER_KEY}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert "translation_domain" not in result
    assert loaded_entry.data == PRIMARY_DATA | {CONF_NAME: "Ada", CONF_IS_GROUP: False}
    assert loaded_entry.title == "Pushover"
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service(Platform.NOTIFY, "pushover")
    assert not hass.services.has_service(Platform.NOTIFY, "ada")
    # No check by the flow; the reloaded entry checks and reads its quota.
    assert [request.path for request in simulator.requests] == [
        "/1/users/validate.json",
        "/1/apps/limits.json",
    ]


async def test_reconfigure_new_key_keeps_the_stored_token(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Left empty, the token field keeps the stored token; the new key is checked."""
    result = await loaded_entry.start_reconfigure_flow(hass)

    result = await submit(
        hass,
        result,
        {CONF_NAME: "Pushover", CONF_API_TOKEN: "", CONF_USER_KEY: TEST_GROUP_KEY},
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == PRIMARY_DATA | {
        CONF_USER_KEY: TEST_GROUP_KEY,
        CONF_IS_GROUP: True,
    }


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

    result = await submit(hass, result, new)
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == PRIMARY_DATA | new | {CONF_IS_GROUP: True}
    assert loaded_entry.unique_id == token_unique_id(TEST_OTHER_APP_TOKEN)
    assert loaded_entry.state is ConfigEntryState.LOADED
    # The key is now a group's: the reloaded entry reads it too.
    assert [request.path for request in simulator.requests] == [
        "/1/users/validate.json",
        "/1/users/validate.json",
        "/1/apps/limits.json",
        f"/1/groups/{TEST_GROUP_KEY}.json",
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_API_TOKEN: UNKNOWN_TOKEN}, {CONF_API_TOKEN: "invalid_api_token"}),
        ({CONF_USER_KEY: UNKNOWN_USER_KEY}, {CONF_USER_KEY: "invalid_user_key"}),
        ({CONF_API_TOKEN: TEST_OTHER_APP_TOKEN}, {CONF_API_TOKEN: "token_in_use"}),
        ({CONF_API_TOKEN: "short"}, {CONF_API_TOKEN: "api_token_malformed"}),
        ({CONF_USER_KEY: "short"}, {CONF_USER_KEY: "user_key_malformed"}),
        ({CONF_NAME: " "}, {CONF_NAME: "name_empty"}),
    ],
    ids=[
        "unknown_token",
        "unknown_user_key",
        "token_in_use",
        "malformed_token",
        "malformed_key",
        "empty_name",
    ],
)
async def test_reconfigure_refused(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    other_entry: MockConfigEntry,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Refused input keeps the form open with everything typed, token included."""
    config_entry.add_to_hass(hass)
    other_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    typed = {CONF_NAME: "Home", **CREDENTIALS, **changes}

    result = await submit(hass, result, typed)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    for name in (CONF_NAME, CONF_API_TOKEN, CONF_USER_KEY):
        assert suggested(result, name) == typed[name]
    assert config_entry.data == PRIMARY_DATA


async def test_reconfigure_cannot_connect(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx answer is cannot_connect."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    simulator.faults.fail_next = 1

    result = await submit(
        hass, result, {CONF_NAME: "Pushover", CONF_USER_KEY: TEST_GROUP_KEY}
    )

    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_unexpected_error(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An unexpected exception is reported as unknown."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    with patch.object(PushoverClient, "validate_user", side_effect=Exception("boom")):
        result = await submit(
            hass, result, {CONF_NAME: "Pushover", CONF_USER_KEY: TEST_GROUP_KEY}
        )

    assert result["errors"] == {"base": "unknown"}


async def test_reconfigure_sets_up_refused_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry whose primary key was refused works after reconfiguring it."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data=PRIMARY_DATA | {CONF_USER_KEY: UNKNOWN_USER_KEY}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert hass.states.get("notify.pushover") is None
    result = await config_entry.start_reconfigure_flow(hass)

    result = await submit(
        hass, result, {CONF_NAME: "Pushover", CONF_USER_KEY: TEST_USER_KEY}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.pushover") is not None


async def test_reconfigure_primary_key_of_a_recipient(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """The primary key cannot become a key another recipient already has."""
    await _setup(hass, entry_with_alex)
    result = await entry_with_alex.start_reconfigure_flow(hass)

    result = await submit(
        hass, result, {CONF_NAME: "Pushover", CONF_USER_KEY: TEST_SECOND_USER_KEY}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USER_KEY: "user_key_in_use"}
