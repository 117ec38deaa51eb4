"""Group-based subscriptions: the URL a user copies, shared from the flow and device.

The simulator's second application has a group-based subscription whose
subscribers join TEST_SUBSCRIBERS_GROUP_KEY, empty until someone subscribes.
"""

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_SERVICE_NAME,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
    DOMAIN,
    ENV_API_BASE_URL,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.subscriptions import (
    invitation_url,
    subscription_url,
)
from pushover_simulator import (
    TEST_GROUP_KEY,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    PushoverSimulator,
)

from . import send
from .conftest import PRIMARY_DATA
from .flow_helpers import Result, placeholders, selector_config, suggested

CODE = "MyHome-a1b2c3d4e5f6g7h"
PUSHOVER_SUBSCRIPTION = f"https://pushover.net/subscribe/{CODE}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PUSHOVER_SUBSCRIPTION, PUSHOVER_SUBSCRIPTION),
        (f"  {PUSHOVER_SUBSCRIPTION}/  ", PUSHOVER_SUBSCRIPTION),
        (f"http://www.Pushover.net/subscribe/{CODE}?success=x", PUSHOVER_SUBSCRIPTION),
        (CODE, PUSHOVER_SUBSCRIPTION),
        (f"https://pushover.net.example.com/subscribe/{CODE}", None),
        (f"https://example.com/subscribe/{CODE}", None),
        (f"https://pushover.net:8443/subscribe/{CODE}", None),
        (f"ftp://pushover.net/subscribe/{CODE}", None),
        ("https://pushover.net/apps/abc", None),
        ("https://pushover.net/subscribe/", None),
        (f"https://pushover.net/subscribe/{CODE}/more", None),
        ("https://pushover.net/subscribe/%3Cb%3E", None),
        ("http://[::1", None),
        ("", None),
    ],
)
def test_subscription_url_is_pushovers(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: str | None
) -> None:
    """Only a subscription page of Pushover's website (or its code) is taken."""
    monkeypatch.delenv(ENV_API_BASE_URL, raising=False)

    assert subscription_url(text) == expected


def test_subscription_url_follows_the_api_to_the_simulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pointed at the simulator, its pages are the subscription pages."""
    monkeypatch.setenv(ENV_API_BASE_URL, "http://127.0.0.1:8089/1/")

    assert subscription_url(f"http://127.0.0.1:8089/subscribe/{CODE}") == (
        f"http://127.0.0.1:8089/subscribe/{CODE}"
    )
    assert subscription_url(CODE) == f"http://127.0.0.1:8089/subscribe/{CODE}"
    assert subscription_url(PUSHOVER_SUBSCRIPTION) is None


def test_invitation_url_encodes_both_answers() -> None:
    """Both answers' URLs are encoded whole, as Pushover's page asks."""
    url = invitation_url(
        PUSHOVER_SUBSCRIPTION,
        success="https://home.example/api/x/subscribed",
        failure="https://home.example/api/x/declined?a=1&b=2",
    )

    assert url == (
        f"{PUSHOVER_SUBSCRIPTION}?success=https%3A%2F%2Fhome.example%2Fapi%2Fx"
        "%2Fsubscribed&failure=https%3A%2F%2Fhome.example%2Fapi%2Fx%2Fdeclined"
        "%3Fa%3D1%26b%3D2"
    )


# The group-based subscription in the recipient flow


@pytest.fixture
async def second_app(hass: HomeAssistant, api_base_url: str) -> MockConfigEntry:
    """Load the simulator's second application, which has the group subscription."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        data={**PRIMARY_DATA, CONF_API_TOKEN: TEST_OTHER_APP_TOKEN},
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _group_subscription(simulator: PushoverSimulator) -> str:
    return f"{simulator.root_url}subscribe/{TEST_GROUP_SUBSCRIPTION_CODE}"


async def _submit(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> Result:
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def _add_group(
    hass: HomeAssistant, entry: MockConfigEntry, user_key: str
) -> Result:
    """Add "Subscribers" with a group key, up to the subscription step."""
    menu = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    form = await _submit(hass, menu, {"next_step_id": "key"})
    result = await _submit(
        hass, form, {CONF_NAME: "Subscribers", CONF_USER_KEY: user_key}
    )
    assert result["step_id"] == "group_subscription"
    assert placeholders(result) == {"recipient": "Subscribers"}
    return result


async def test_group_subscription_is_shared_and_kept(
    hass: HomeAssistant,
    second_app: MockConfigEntry,
    simulator: PushoverSimulator,
    device_registry: dr.DeviceRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The flow shows the link and its QR code; the device page keeps it."""
    result = await _add_group(hass, second_app, TEST_SUBSCRIBERS_GROUP_KEY)
    assert suggested(result, CONF_SUBSCRIPTION_URL) is None

    result = await _submit(
        hass, result, {CONF_SUBSCRIPTION_URL: _group_subscription(simulator)}
    )

    assert result["step_id"] == "share_subscription"
    assert selector_config(result, "qr_code")["data"] == _group_subscription(simulator)
    link = _group_subscription(simulator)
    assert placeholders(result) == {
        "recipient": "Subscribers",
        "link": f"[{link}]({link})",
    }
    # Nobody has subscribed yet: the empty group reaches no device.
    result = await _submit(hass, result, {"qr_code": link})
    assert result["step_id"] == "no_devices"
    result = await _submit(hass, result, {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_USER_KEY: TEST_SUBSCRIBERS_GROUP_KEY,
        CONF_DEVICES: [],
        CONF_SERVICE_NAME: "subscribers",
        CONF_SUBSCRIPTION_URL: link,
    }
    [subentry_id] = second_app.subentries
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{second_app.entry_id}_{subentry_id}"), second_app.entry_id
    )
    assert device is not None
    assert device.configuration_url == link
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, second_app)
    assert link not in str(diagnostics)


async def test_group_subscription_delivers_to_subscribers(
    hass: HomeAssistant,
    second_app: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Whoever subscribes through the shared link gets the group's messages."""
    result = await _add_group(hass, second_app, TEST_SUBSCRIBERS_GROUP_KEY)
    result = await _submit(
        hass, result, {CONF_SUBSCRIPTION_URL: _group_subscription(simulator)}
    )
    await _submit(hass, await _submit(hass, result, {}), {})
    await hass.async_block_till_done()
    subscriber = simulator.subscribe(TEST_GROUP_SUBSCRIPTION_CODE, TEST_SECOND_USER_KEY)

    await send(hass, recipients=["Subscribers"], message="Bins out tonight")

    assert simulator.messages[-1].user == TEST_SUBSCRIBERS_GROUP_KEY
    assert simulator.groups[TEST_SUBSCRIBERS_GROUP_KEY].members[0].user == (
        subscriber.key
    )


async def test_group_without_subscription(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Left empty, nothing is stored and the devices come next."""
    result = await _add_group(hass, loaded_entry, TEST_GROUP_KEY)

    result = await _submit(hass, result, {CONF_SUBSCRIPTION_URL: " "})

    assert result["step_id"] == "devices"
    result = await _submit(hass, result, {})
    assert CONF_SUBSCRIPTION_URL not in result["data"]


async def test_group_subscription_refuses_another_url(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A URL that is no subscription page of Pushover's is named on its field."""
    result = await _add_group(hass, loaded_entry, TEST_GROUP_KEY)

    result = await _submit(
        hass, result, {CONF_SUBSCRIPTION_URL: "https://example.com/join"}
    )

    assert result["step_id"] == "group_subscription"
    assert result["errors"] == {CONF_SUBSCRIPTION_URL: "subscription_url_invalid"}
    assert suggested(result, CONF_SUBSCRIPTION_URL) == "https://example.com/join"


async def test_reconfigure_shows_the_stored_subscription(
    hass: HomeAssistant,
    second_app: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Changing the recipient suggests its subscription; emptied, it goes."""
    result = await _add_group(hass, second_app, TEST_SUBSCRIBERS_GROUP_KEY)
    link = _group_subscription(simulator)
    result = await _submit(hass, result, {CONF_SUBSCRIPTION_URL: link})
    await _submit(hass, await _submit(hass, result, {}), {})
    await hass.async_block_till_done()
    [subentry_id] = second_app.subentries

    result = await hass.config_entries.subentries.async_init(
        (second_app.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    result = await _submit(
        hass,
        result,
        {CONF_NAME: "Subscribers", CONF_USER_KEY: TEST_SUBSCRIBERS_GROUP_KEY},
    )
    assert suggested(result, CONF_SUBSCRIPTION_URL) == link
    result = await _submit(hass, result, {CONF_SUBSCRIPTION_URL: ""})
    result = await _submit(hass, result, {})
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert CONF_SUBSCRIPTION_URL not in second_app.subentries[subentry_id].data
    assert second_app.state is ConfigEntryState.LOADED
