"""Inviting someone by link, the whole way, in Home Assistant's UI and Chromium.

Add recipient → Invite by link in Home Assistant's UI; the link opens the
simulator's subscription page (Pushover's, at pushover.net/subscribe/…),
where Subscribe sends the browser back to Home Assistant's page, which adds
the recipient; a message then reaches the subscriber's new key.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from playwright.async_api import BrowserContext, Page
import pytest
import pytest_asyncio

from .clients import HomeAssistantClient, Json, SimulatorClient, wait_for
from .conftest import DOMAIN, Credentials, HomeAssistant
from .test_ui import TRANSLATIONS, browser, context, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio(loop_scope="session")

INVITED: Final = "Grandma"
FLOW: Final = TRANSLATIONS["config_subentries"]["recipient"]
PAGES: Final = TRANSLATIONS["exceptions"]


@pytest_asyncio.fixture(loop_scope="session")
async def external_url(
    home_assistant: HomeAssistant, hass_client: HomeAssistantClient
) -> AsyncIterator[str]:
    """Give Home Assistant its own address as external URL, for the test only.

    Pushover sends the invited person's browser there. Without one, the
    entry's acknowledgement callback is off, as the other tests expect.
    """
    async with hass_client.websocket() as websocket:
        await websocket.command("config/core/update", external_url=home_assistant.url)
    try:
        yield home_assistant.url
    finally:
        async with hass_client.websocket() as websocket:
            await websocket.command("config/core/update", external_url=None)


@pytest_asyncio.fixture(loop_scope="session")
async def no_invited_recipient(
    hass_client: HomeAssistantClient, entry_id: str
) -> AsyncIterator[None]:
    """Remove the invited recipient after the test: the others send to one."""
    yield
    for subentry in await _subentries(hass_client, entry_id):
        if subentry["title"] == INVITED:
            async with hass_client.websocket() as websocket:
                await websocket.command(
                    "config_entries/subentries/delete",
                    entry_id=entry_id,
                    subentry_id=subentry["subentry_id"],
                )


async def _subentries(client: HomeAssistantClient, entry_id: str) -> list[Json]:
    async with client.websocket() as websocket:
        subentries: list[Json] = await websocket.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
    return subentries


async def _web_subscription(simulator: SimulatorClient, app_token: str) -> Json:
    """Return the application's web-based subscription, as the simulator has it."""
    subscriptions: list[Json] = (await simulator.state())["subscriptions"]
    [subscription] = [
        item
        for item in subscriptions
        if item["token"] == app_token and item["kind"] == "web"
    ]
    return subscription


async def _invite_in_the_ui(
    page: Page, home_assistant: HomeAssistant, subscription_url: str
) -> str:
    """Add recipient → Invite by link; return the link the flow shows."""
    await page.goto(f"{home_assistant.url}/config/integrations/integration/{DOMAIN}")
    await page.get_by_role("button", name=FLOW["initiate_flow"]["user"]).first.click()
    await page.get_by_text(FLOW["step"]["user"]["menu_options"]["invite"]).click()
    invite = FLOW["step"]["invite"]
    await page.get_by_text(invite["title"]).wait_for()
    await page.get_by_role("textbox", name=invite["data"]["name"]).fill(INVITED)
    await page.get_by_role("textbox", name=invite["data"]["subscription_url"]).fill(
        subscription_url
    )
    await page.get_by_role("button", name="Submit").click()
    link = page.get_by_role("link", name=subscription_url)
    await link.wait_for()
    href = await link.get_attribute("href")
    assert href is not None
    assert href.startswith(subscription_url + "?success=")
    # The QR code is Home Assistant's own, drawn on a canvas.
    await page.locator("ha-qr-code canvas").wait_for()
    return href


async def test_invitation_by_link_adds_the_subscriber(
    context: BrowserContext,  # noqa: F811 - the fixture imported above
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
    external_url: str,
    no_invited_recipient: None,
    screenshots_dir: Path,
) -> None:
    """Invite by link, subscribe at the simulator, land on Home Assistant's page."""
    subscription = await _web_subscription(simulator, credentials.app_token)
    subscription_url = f"{simulator.root_url}subscribe/{subscription['code']}"
    admin = await context.new_page()
    await log_in(admin, home_assistant)

    link = await _invite_in_the_ui(admin, home_assistant, subscription_url)

    await admin.screenshot(path=screenshots_dir / "invitation.png")
    await admin.get_by_role("button", name="Submit").click()
    waiting = FLOW["abort"]["invitation_open"].split("{recipient}")[0]
    await admin.get_by_text(waiting).first.wait_for()

    # The invited person's page: Home Assistant's asks for no login.
    invited = await context.new_page()
    await invited.goto(link)
    await invited.locator('[data-testid="subscribe-as"]').select_option(
        f"{credentials.second_user_key}:"
    )
    await invited.locator('[data-testid="subscribe-confirm"]').click()
    done = invited.locator('[data-outcome="invitation_subscribed"]')
    await done.wait_for()
    assert await done.inner_text() == PAGES["invitation_subscribed"]["message"].format(
        name=INVITED
    )
    assert invited.url.startswith(external_url + "/api/pushover_plus/invitations/")
    await invited.screenshot(path=screenshots_dir / "invitation-done.png")
    await invited.close()

    subscriber = (await _web_subscription(simulator, credentials.app_token))[
        "subscribers"
    ][0]

    async def added() -> bool | None:
        titles = [item["title"] for item in await _subentries(hass_client, entry_id)]
        return True if INVITED in titles else None

    await wait_for(added, timeout=20, what="the invited recipient")
    await hass_client.wait_for_state(f"notify.{INVITED.lower()}", "unknown")
    await hass_client.call_service(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry_id,
            "recipients": [INVITED],
            "title": "Welcome",
            "message": "Invited by link.",
        },
    )
    message = await simulator.wait_for_message("Welcome")
    assert message["user"] == subscriber["key"]
