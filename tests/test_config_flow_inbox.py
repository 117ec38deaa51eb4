"""Adding an inbox: the login, the two-factor code, the device's name, reauth.

Every step talks to the simulator over real HTTP, which enforces Pushover's
rules: refused logins, 412 for a two-factor account, taken and malformed
device names, the Desktop trial.
"""

import aiohttp
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow_inbox import CONF_TWOFA, free_name
from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_KIND,
    CONF_IGNORED_APPS,
    CONF_SECRET,
    CONF_USER_KEY,
    DESKTOP_LICENSING_URL,
    ENTRY_KIND_INBOX,
)
from pushover_simulator import (
    TEST_EMAIL,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_PASSWORD,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
    PushoverSimulator,
)

from .flow_helpers import (
    choose,
    placeholders,
    selector_config,
    start_flow,
    submit,
    suggested,
)
from .inbox_helpers import (
    DEVICE_NAME,
    InboxDevice,
    capture_messages,
    send,
    until,
    until_listening,
)

LOGIN = {CONF_EMAIL: TEST_EMAIL, CONF_PASSWORD: TEST_PASSWORD}

pytestmark = pytest.mark.usefixtures("api_base_url")


async def start_inbox_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Start adding an inbox: the menu's "Receive messages" choice."""
    result = await choose(hass, await start_flow(hass), "inbox")
    assert result["step_id"] == "inbox"
    return result


async def test_the_menu_offers_both_kinds(hass: HomeAssistant) -> None:
    """The first step is a menu: send (application) or receive (inbox)."""
    result = await start_flow(hass)

    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["credentials", "inbox"]


async def test_an_inbox_is_added_and_keeps_no_password(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Login, device name, entry: the user key, secret and device id only."""
    result = await submit(hass, await start_inbox_flow(hass), LOGIN)
    assert result["step_id"] == "inbox_device"
    assert suggested(result, CONF_DEVICE_NAME) == DEVICE_NAME

    result = await submit(hass, result, {CONF_DEVICE_NAME: "Kitchen"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    device_id = data[CONF_DEVICE_ID]
    assert data == {
        CONF_ENTRY_KIND: ENTRY_KIND_INBOX,
        CONF_USER_KEY: TEST_USER_KEY,
        CONF_SECRET: data[CONF_SECRET],
        CONF_DEVICE_ID: device_id,
        CONF_DEVICE_NAME: "Kitchen",
    }
    assert TEST_PASSWORD not in str(result)
    device = simulator.open_client.devices[device_id]
    assert device.name == "Kitchen"
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    await until(lambda: device_id in simulator.open_client.connections, "the login")


async def test_a_two_factor_account_asks_for_the_code(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """412: a second step for the code; a wrong or malformed code is a field error."""
    result = await submit(
        hass,
        await start_inbox_flow(hass),
        {CONF_EMAIL: TEST_TWOFA_EMAIL, CONF_PASSWORD: TEST_TWOFA_PASSWORD},
    )
    assert result["step_id"] == "inbox_twofa"
    assert placeholders(result)["email"] == TEST_TWOFA_EMAIL

    result = await submit(hass, result, {CONF_TWOFA: "12ab"})
    assert result["errors"] == {CONF_TWOFA: "twofa_malformed"}
    assert placeholders(result)["digits"] == "6"

    code = simulator.twofa_code(TEST_TWOFA_EMAIL)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    result = await submit(hass, result, {CONF_TWOFA: wrong})
    assert result["errors"] == {CONF_TWOFA: "twofa_refused"}

    result = await submit(
        hass, result, {CONF_TWOFA: simulator.twofa_code(TEST_TWOFA_EMAIL)}
    )
    assert result["step_id"] == "inbox_device"


async def test_a_wrong_password_is_a_form_error(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Pushover refuses the login: the form again, the e-mail kept."""
    result = await submit(
        hass,
        await start_inbox_flow(hass),
        {CONF_EMAIL: TEST_EMAIL, CONF_PASSWORD: "not-the-password"},
    )

    assert result["step_id"] == "inbox"
    assert result["errors"] == {CONF_PASSWORD: "login_refused"}
    assert suggested(result, CONF_EMAIL) == TEST_EMAIL


async def test_a_taken_name_offers_a_free_one(
    hass: HomeAssistant, simulator: PushoverSimulator, inbox_device: InboxDevice
) -> None:
    """A name the account has: a field error, and the next free name filled in."""
    result = await submit(hass, await start_inbox_flow(hass), LOGIN)

    result = await submit(hass, result, {CONF_DEVICE_NAME: DEVICE_NAME})
    assert result["errors"] == {CONF_DEVICE_NAME: "device_name_taken"}
    assert placeholders(result)["suggestion"] == f"{DEVICE_NAME}-2"
    assert suggested(result, CONF_DEVICE_NAME) == f"{DEVICE_NAME}-2"

    result = await submit(hass, result, {CONF_DEVICE_NAME: "has space"})
    assert result["errors"] == {CONF_DEVICE_NAME: "device_name_malformed"}
    assert placeholders(result)["limit"] == "25"

    result = await submit(hass, result, {CONF_DEVICE_NAME: f"{DEVICE_NAME}-2"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pushover inbox"


def test_free_name_is_cut_to_fit() -> None:
    """The offered name stays within 25 characters and skips names tried."""
    assert free_name("a" * 25, frozenset()) == "a" * 23 + "-2"
    assert free_name("Box", frozenset({"Box-2", "Box-3"})) == "Box-4"


async def test_no_desktop_licence_says_so_and_adds_the_trial(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """An account without the licence: a step that names it, with the link."""
    result = await submit(
        hass,
        await start_inbox_flow(hass),
        {CONF_EMAIL: TEST_NO_DESKTOP_EMAIL, CONF_PASSWORD: TEST_NO_DESKTOP_PASSWORD},
    )
    result = await submit(hass, result, {CONF_DEVICE_NAME: "Trial"})

    assert result["step_id"] == "inbox_trial"
    assert placeholders(result) == {
        "device": "Trial",
        "licensing_url": DESKTOP_LICENSING_URL,
    }
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_trial_over_aborts_with_the_licence(
    hass: HomeAssistant, simulator: PushoverSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device that may not receive at all: the flow ends, naming the licence."""
    result = await submit(
        hass,
        await start_inbox_flow(hass),
        {CONF_EMAIL: TEST_NO_DESKTOP_EMAIL, CONF_PASSWORD: TEST_NO_DESKTOP_PASSWORD},
    )
    # A device whose trial is over as soon as it is registered (the account
    # had one before, say): Pushover refuses its downloads.
    monkeypatch.setattr(simulator.open_client, "can_receive", lambda _device: False)
    result = await submit(hass, result, {CONF_DEVICE_NAME: "Late"})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "desktop_licence_required"
    assert placeholders(result)["licensing_url"] == DESKTOP_LICENSING_URL


async def test_reauth_keeps_the_device_and_takes_the_new_secret(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A new login for the same account: the same device, a new secret."""
    old_secret = loaded_inbox.data[CONF_SECRET]
    result = await loaded_inbox.start_reauth_flow(hass)
    assert result["step_id"] == "inbox_relogin"
    assert placeholders(result)["name"] == loaded_inbox.title

    result = await submit(hass, result, LOGIN)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "inbox_relogin_successful"
    assert loaded_inbox.data[CONF_DEVICE_ID] in simulator.open_client.devices
    assert loaded_inbox.data[CONF_SECRET] != old_secret
    await hass.async_block_till_done()
    await until_listening(simulator, loaded_inbox)


async def test_reauth_with_another_account_is_refused(
    hass: HomeAssistant, loaded_inbox: MockConfigEntry
) -> None:
    """The device belongs to the account it was added with."""
    result = await loaded_inbox.start_reauth_flow(hass)

    result = await submit(
        hass,
        result,
        {CONF_EMAIL: TEST_NO_DESKTOP_EMAIL, CONF_PASSWORD: TEST_NO_DESKTOP_PASSWORD},
    )

    assert result["errors"] == {CONF_EMAIL: "login_other_account"}
    assert placeholders(result)["name"] == loaded_inbox.title


async def test_reauth_after_the_device_was_deleted(
    hass: HomeAssistant, loaded_inbox: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A device deleted on Pushover's website: the login cannot bring it back."""
    result = await loaded_inbox.start_reauth_flow(hass)
    del simulator.open_client.devices[loaded_inbox.data[CONF_DEVICE_ID]]

    result = await submit(hass, result, LOGIN)

    assert result["errors"] == {"base": "device_gone"}


async def test_options_offer_the_apps_seen(
    hass: HomeAssistant,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
) -> None:
    """The loop guard lists the apps seen and keeps typed names, cleaned."""
    events = capture_messages(hass)
    await send(http, simulator, message="From the test app")
    await until(lambda: len(events) == 1, "the event")

    result = await hass.config_entries.options.async_init(loaded_inbox.entry_id)
    assert result["step_id"] == "ignored_apps"
    offered = selector_config(result, CONF_IGNORED_APPS)["options"]
    assert offered == [{"value": "1001", "label": "Pushover Plus Test (1001)"}]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_IGNORED_APPS: [" Forwarder ", "1001", "", "1001"]}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_inbox.options == {CONF_IGNORED_APPS: ["Forwarder", "1001"]}
