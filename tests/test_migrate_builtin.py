"""Moving from the built-in `pushover` integration, with real built-in entries.

The built-in integration is set up for real, with its own library
(`pushover_complete`, at Home Assistant's pin), whose API address is pointed
at the simulator: its `notify.<name>` is registered and sends as it would.
"""

from homeassistant.config_entries import (
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import CONF_API_KEY, CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    BUILTIN_DOMAIN,
    CONF_BUILTIN_ENTRY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    PRIMARY_RECIPIENT_ID,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_OTHER_APP_TOKEN,
    TEST_USER_KEY,
    PushoverSimulator,
)

from .conftest import PRIMARY_DATA
from .flow_helpers import (
    UNKNOWN_TOKEN,
    UNKNOWN_USER_KEY,
    choose,
    field_names,
    selector_config,
    start_flow,
    submit,
    suggested,
)

pytestmark = pytest.mark.usefixtures("api_base_url")


def _builtin(
    title: str = "Pushover",
    token: str = TEST_APP_TOKEN,
    user_key: str = TEST_USER_KEY,
    disabled_by: ConfigEntryDisabler | None = None,
) -> MockConfigEntry:
    """Return a built-in entry as its config flow stores it."""
    return MockConfigEntry(
        domain=BUILTIN_DOMAIN,
        title=title,
        data={CONF_NAME: title, CONF_API_KEY: token, CONF_USER_KEY: user_key},
        disabled_by=disabled_by,
    )


@pytest.fixture
def builtin_library(
    simulator: PushoverSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the built-in integration's library at the simulator."""
    from pushover_complete import (  # type: ignore[import-untyped]  # noqa: PLC0415
        pushover_api,
    )

    monkeypatch.setattr(pushover_api, "PUSHOVER_API_URL", simulator.base_url)


@pytest.fixture
async def builtin_entry(hass: HomeAssistant, builtin_library: None) -> MockConfigEntry:
    """Set up a real built-in entry named Pushover: it has notify.pushover."""
    entry = _builtin()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service(Platform.NOTIFY, "pushover")
    return entry


def _imported_entry() -> MockConfigEntry:
    """Return the entry the import makes of the built-in entry."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


async def _notify_title(
    hass: HomeAssistant, simulator: PushoverSimulator, message: str
) -> str | None:
    """Call notify.pushover; return the title Pushover received with it."""
    await hass.services.async_call(
        Platform.NOTIFY, "pushover", {"message": message}, blocking=True
    )
    await hass.async_block_till_done()
    [received] = [item for item in simulator.messages if item.message == message]
    return received.title


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def test_flow_offers_to_bring_a_builtin_entry_over(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    """With a built-in entry, the first step is a choice; entering keys stays one."""
    result = await start_flow(hass)

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["import_builtin", "credentials", "inbox"]

    result = await choose(hass, result, "credentials")

    assert result["step_id"] == "credentials"


async def test_builtin_entry_brought_over(
    hass: HomeAssistant, builtin_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The built-in entry's token, key and name come over, validated.

    Its notify.pushover stays the built-in's while that entry is enabled (a
    notice says what to disable), and unloading Pushover Plus leaves it.
    """
    result = await choose(hass, await start_flow(hass), "import_builtin")
    assert result["step_id"] == "import_builtin"
    assert field_names(result) == [CONF_BUILTIN_ENTRY]
    assert selector_config(result, CONF_BUILTIN_ENTRY)["options"] == [
        {"value": builtin_entry.entry_id, "label": "Pushover"}
    ]
    assert suggested(result, CONF_BUILTIN_ENTRY) == builtin_entry.entry_id

    result = await submit(hass, result, {CONF_BUILTIN_ENTRY: builtin_entry.entry_id})
    assert result["step_id"] == "recipient"
    assert suggested(result, CONF_NAME) == "Pushover"
    result = await submit(hass, result, {CONF_NAME: "Pushover"})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pushover"
    assert result["data"] == PRIMARY_DATA
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    issue = _issue(hass, f"legacy_action_held_by_builtin_{entry.entry_id}_primary")
    assert issue is not None
    assert issue.translation_placeholders == {
        "action": "notify.pushover",
        "recipient": "Pushover",
        "builtin": "Pushover",
    }
    # Still the built-in's: it sends "Home Assistant" as the title.
    assert await _notify_title(hass, simulator, "Still built-in") == "Home Assistant"
    assert hass.states.get("notify.pushover") is not None

    assert await hass.config_entries.async_unload(entry.entry_id)

    assert hass.services.has_service(Platform.NOTIFY, "pushover")
    assert (
        _issue(hass, f"legacy_action_held_by_builtin_{entry.entry_id}_primary") is None
    )


async def test_action_claimed_by_an_enabled_builtin_entry_is_not_taken(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    """While the built-in entry is enabled its name stays its own, even unused.

    Which of the two registers first at a start would otherwise be chance.
    """
    entry = _imported_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    hass.services.async_remove(Platform.NOTIFY, "pushover")
    await hass.async_block_till_done()

    assert not hass.services.has_service(Platform.NOTIFY, "pushover")
    assert _issue(hass, f"legacy_action_held_by_builtin_{entry.entry_id}_primary")


async def test_action_moves_over_once_the_builtin_entry_is_disabled(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """After the restart with the built-in entry disabled, the action is ours."""
    _builtin(disabled_by=ConfigEntryDisabler.USER).add_to_hass(hass)
    entry = _imported_entry()
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # Ours leaves the title out: Pushover shows the application's name.
    assert await _notify_title(hass, simulator, "Moved over") is None
    assert (
        _issue(hass, f"legacy_action_held_by_builtin_{entry.entry_id}_primary") is None
    )


async def test_action_held_by_another_integration_is_taken_once_free(
    hass: HomeAssistant,
) -> None:
    """An action another integration registered is waited for, then taken."""
    calls: list[ServiceCall] = []
    hass.services.async_register(Platform.NOTIFY, "pushover", calls.append)
    entry = _imported_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"legacy_action_taken_{entry.entry_id}_{PRIMARY_RECIPIENT_ID}"
    assert _issue(hass, issue_id) is not None

    hass.services.async_remove(Platform.NOTIFY, "pushover")
    await hass.async_block_till_done()

    assert hass.services.has_service(Platform.NOTIFY, "pushover")
    assert _issue(hass, issue_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert not hass.services.has_service(Platform.NOTIFY, "pushover")


async def test_unloading_while_waiting_stops_waiting(hass: HomeAssistant) -> None:
    """An entry unloaded while its action is held leaves the holder's alone."""
    hass.services.async_register(Platform.NOTIFY, "pushover", lambda _: None)
    entry = _imported_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.services.async_remove(Platform.NOTIFY, "pushover")
    await hass.async_block_till_done()

    assert not hass.services.has_service(Platform.NOTIFY, "pushover")
    assert not _issue(hass, f"legacy_action_taken_{entry.entry_id}_primary")


async def test_entries_already_brought_over_are_not_offered(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A built-in entry whose token Pushover Plus has is no choice."""
    config_entry.add_to_hass(hass)
    _builtin().add_to_hass(hass)

    result = await start_flow(hass)

    assert result["menu_options"] == ["credentials", "inbox"]


@pytest.mark.parametrize(
    ("builtin", "errors"),
    [
        (_builtin(token=UNKNOWN_TOKEN), {CONF_BUILTIN_ENTRY: "builtin_token_refused"}),
        (
            _builtin(user_key=UNKNOWN_USER_KEY),
            {CONF_BUILTIN_ENTRY: "builtin_user_key_refused"},
        ),
    ],
    ids=["token", "user_key"],
)
async def test_builtin_entry_refused_by_pushover(
    hass: HomeAssistant, builtin: MockConfigEntry, errors: dict[str, str]
) -> None:
    """Credentials Pushover no longer takes are said on the choice."""
    builtin.add_to_hass(hass)
    result = await choose(hass, await start_flow(hass), "import_builtin")

    result = await submit(hass, result, {CONF_BUILTIN_ENTRY: builtin.entry_id})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert suggested(result, CONF_BUILTIN_ENTRY) == builtin.entry_id


async def test_builtin_entry_cannot_connect(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Pushover unreachable is said above the choice."""
    builtin = _builtin()
    builtin.add_to_hass(hass)
    result = await choose(hass, await start_flow(hass), "import_builtin")
    simulator.faults.fail_next = 1

    result = await submit(hass, result, {CONF_BUILTIN_ENTRY: builtin.entry_id})

    assert result["errors"] == {"base": "cannot_connect"}


async def test_builtin_entry_gone_meanwhile(hass: HomeAssistant) -> None:
    """An entry removed while the form was open ends the flow, said why."""
    builtin = _builtin()
    builtin.add_to_hass(hass)
    result = await choose(hass, await start_flow(hass), "import_builtin")
    await hass.config_entries.async_remove(builtin.entry_id)

    result = await submit(hass, result, {CONF_BUILTIN_ENTRY: builtin.entry_id})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "builtin_entry_gone"


async def test_import_step_without_builtin_entries(hass: HomeAssistant) -> None:
    """The menu's choice, once nothing is left to bring over, ends the flow."""
    builtin = _builtin()
    builtin.add_to_hass(hass)
    result = await start_flow(hass)
    await hass.config_entries.async_remove(builtin.entry_id)

    result = await choose(hass, result, "import_builtin")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "builtin_entry_gone"


@pytest.mark.usefixtures("builtin_library")
async def test_notice_of_builtin_entries_left_to_move(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Built-in entries whose token is not here get a notice, until moved."""
    await hass.config_entries.async_add(_builtin())
    assert _issue(hass, "builtin_entries") is None
    others = [
        _builtin("Family", TEST_OTHER_APP_TOKEN),
        _builtin("Office", TEST_OTHER_APP_TOKEN),
    ]
    for builtin in others:
        await hass.config_entries.async_add(builtin)
    await hass.async_block_till_done()

    issue = _issue(hass, "builtin_entries")

    assert issue is not None
    assert issue.translation_placeholders == {"entries": '"Family", "Office"'}
    assert not issue.is_fixable
    # Other integrations' entries change nothing.
    unrelated = MockConfigEntry(domain="sun", title="Sun")
    unrelated.add_to_hass(hass)
    hass.config_entries.async_update_entry(unrelated, title="The sun")
    assert _issue(hass, "builtin_entries") == issue

    await hass.config_entries.async_remove(others[0].entry_id)
    await hass.config_entries.async_remove(others[1].entry_id)

    assert _issue(hass, "builtin_entries") is None


async def test_name_of_a_builtin_entry_is_free_to_take(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    """Typing the built-in entry's name by hand takes its action over too."""
    result = await choose(hass, await start_flow(hass), "credentials")
    result = await submit(
        hass,
        result,
        {CONF_API_TOKEN: TEST_OTHER_APP_TOKEN, CONF_USER_KEY: TEST_USER_KEY},
    )

    result = await submit(hass, result, {CONF_NAME: "Pushover"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SERVICE_NAME] == "pushover"
