"""Home Assistant's own UI and the simulator's phone page, in Debian's Chromium."""

from collections.abc import AsyncIterator
import json
import os
from pathlib import Path
import re
from typing import Final
from urllib.parse import urlsplit

from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    ViewportSize,
    async_playwright,
    expect,
)
import pytest
import pytest_asyncio

from .clients import (
    HomeAssistantClient,
    HomeAssistantError,
    Json,
    SimulatorClient,
    wait_for,
)
from .conftest import (
    DOMAIN,
    ENTRY_TITLE,
    LEGACY_ACTION,
    OWNER,
    SENSOR,
    Credentials,
    HomeAssistant,
)
from .harness import REPO_DIR

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHROMIUM: Final = os.environ.get("PUSHOVER_PLUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS: Final = {"127.0.0.1", "localhost"}
UI_RECIPIENT: Final = "Second"
# Pushover names no application: a second entry adds its recipient's name.
UI_ENTRY_TITLE: Final = f"Pushover ({UI_RECIPIENT})"
# Well-formed, but no user of the simulator's account has it.
WRONG_USER_KEY: Final = "uWrongUserKeyOfThirtyCharacter"
# At most this many pixels between a field and its error.
MAX_ERROR_GAP: Final = 24
TRANSLATIONS_DIR: Final = (
    REPO_DIR / "custom_components" / "pushover_plus" / "translations"
)
TRANSLATIONS: Final = json.loads(
    (TRANSLATIONS_DIR / "en.json").read_text(encoding="utf-8")
)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Launch Debian's Chromium, headless, driven by Playwright."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def _loopback_only(route: Route) -> None:
    """Let the page reach this machine only (the frontend may ask for brands)."""
    url = urlsplit(route.request.url)
    if url.scheme in {"http", "https"} and url.hostname not in LOOPBACK_HOSTS:
        await route.abort()
    else:
        await route.continue_()


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """Open a fresh browser profile for one test, kept on this machine."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="en-US"
    )
    context.set_default_timeout(20_000)
    await context.route("**/*", _loopback_only)
    try:
        yield context
    finally:
        await context.close()


async def log_in(page: Page, home_assistant: HomeAssistant) -> None:
    """Log in on Home Assistant's login page as the onboarded owner."""
    await page.goto(home_assistant.url + "/")
    await page.get_by_label("Username").fill(OWNER.username)
    await page.locator("input[type=password]").fill(OWNER.password)
    await page.get_by_role("button", name="Log in").click()
    # The frontend keeps the tokens it got ("Keep me logged in" is ticked).
    await page.wait_for_function("() => localStorage.getItem('hassTokens') !== null")
    await page.locator("home-assistant-main").wait_for(state="attached")


async def _remove_entries(client: HomeAssistantClient, title: str) -> None:
    for entry in await client.entries(DOMAIN):
        if entry["title"] == title:
            await client.request(
                "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
            )


@pytest_asyncio.fixture(loop_scope="session")
async def no_ui_entry(hass_client: HomeAssistantClient) -> AsyncIterator[None]:
    """Remove the entry the UI adds, before and after the test.

    With two entries, actions (and the example scripts) would have to name
    the entry they mean.
    """
    await _remove_entries(hass_client, UI_ENTRY_TITLE)
    yield
    await _remove_entries(hass_client, UI_ENTRY_TITLE)


async def test_add_integration_in_the_ui(
    context: BrowserContext,
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    screenshots_dir: Path,
    no_ui_entry: None,
) -> None:
    """Settings → Devices & services → Add integration → Pushover Plus.

    The token and the key first: a wrong key is named beside its field and
    the token stays typed in. Then the recipient's name, suggested from the
    owner's: here taken by the first entry's recipient, which is said too.
    """
    flow = TRANSLATIONS["config"]
    step = flow["step"]["credentials"]
    page = await context.new_page()
    await _open_add_integration(page, home_assistant)

    # The flow's dialog slots its content: look for it in the whole page.
    await page.get_by_text(step["title"]).wait_for()
    await page.get_by_text(step["description"]).wait_for()
    for field in ("api_token", "user_key"):
        await page.get_by_role("textbox", name=step["data"][field]).wait_for()
        await page.get_by_text(step["data_description"][field]).wait_for()
    # A help text the frontend cannot format shows this instead.
    assert await page.get_by_text("Translation error").count() == 0
    await page.screenshot(path=screenshots_dir / "config-flow.png")

    token = page.get_by_role("textbox", name=step["data"]["api_token"])
    user_key = page.get_by_role("textbox", name=step["data"]["user_key"])
    await token.fill(credentials.other_token)
    await user_key.fill(WRONG_USER_KEY)
    await page.get_by_role("button", name="Submit").click()

    error = page.get_by_text(flow["error"]["invalid_user_key"])
    await _expect_error_above(page, error, user_key, below=token)
    # Nothing typed is lost: the token is still there, only the key is wrong.
    assert await token.input_value() == credentials.other_token
    await page.screenshot(path=screenshots_dir / "config-flow-error.png")

    await user_key.fill(credentials.user_key)
    await page.get_by_role("button", name="Submit").click()
    recipient = flow["step"]["recipient"]
    await page.get_by_text(recipient["title"]).wait_for()
    name = page.get_by_role("textbox", name=recipient["data"]["name"])
    assert await name.input_value() == OWNER.name
    await page.get_by_role("button", name="Submit").click()
    taken = flow["error"]["name_in_use"].split("{action}")[0]
    await page.get_by_text(f"{taken}notify.{LEGACY_ACTION}").wait_for()
    await page.screenshot(path=screenshots_dir / "config-flow-name.png")
    await name.fill(UI_RECIPIENT)
    await page.get_by_role("button", name="Submit").click()

    # The entry is created; Home Assistant offers to name its devices.
    application = page.get_by_role("textbox", name="Device name").first
    await application.wait_for()
    assert await application.input_value() == f"{UI_ENTRY_TITLE} app"
    await page.screenshot(path=screenshots_dir / "config-flow-done.png")
    await page.get_by_role("button", name="Skip and finish").click()
    await page.get_by_text("Name and assign").wait_for(state="hidden")
    [entry] = [
        item
        for item in await hass_client.entries(DOMAIN)
        if item["title"] == UI_ENTRY_TITLE
    ]
    assert entry["state"] == "loaded"
    # Its quota sensors read the simulator's quota when the entry was set up.
    quota = (await simulator.state())["quota"]
    await hass_client.wait_for_state(
        "sensor.pushover_second_app_remaining_messages", str(quota["remaining"])
    )


async def test_add_integration_speaks_the_users_language(
    context: BrowserContext,
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    screenshots_dir: Path,
) -> None:
    """A user whose profile says German adds the integration in German."""
    german_flow = json.loads(
        (TRANSLATIONS_DIR / "de.json").read_text(encoding="utf-8")
    )["config"]["step"]
    german = german_flow["credentials"]
    german_menu = german_flow["user"]["menu_options"]
    page = await context.new_page()
    await log_in(page, home_assistant)
    # What the profile page's Language picker keeps in the browser.
    await page.evaluate("() => localStorage.setItem('selectedLanguage', '\"de\"')")
    await page.goto(
        home_assistant.url + f"/config/integrations/dashboard/add?domain={DOMAIN}"
    )

    # The frontend's own question, in German too ("Do you want to set up …?").
    await page.get_by_text("Möchtest du Pushover Plus einrichten?").wait_for()
    await page.get_by_role("button", name="OK").click()
    await page.get_by_text(german_menu["credentials"]).click()

    await page.get_by_text(german["title"]).wait_for()
    await page.get_by_text(german["description"]).wait_for()
    for field in ("api_token", "user_key"):
        await page.get_by_role("textbox", name=german["data"][field]).wait_for()
        await page.get_by_text(german["data_description"][field]).wait_for()
    assert await page.get_by_text("Translation error").count() == 0
    await page.screenshot(path=screenshots_dir / "config-flow-de.png")

    # Closing the dialog ends the flow: nothing is left in progress. (Its
    # close button: after the menu's choice, Escape no longer reaches it.)
    await page.get_by_role("button", name="Schließen").first.click()
    await page.get_by_text(german["title"]).wait_for(state="hidden")
    async with hass_client.websocket() as websocket:
        flows = await websocket.command("config_entries/flow/progress")
    assert [flow for flow in flows if flow["handler"] == DOMAIN] == []


async def _open_add_integration(page: Page, home_assistant: HomeAssistant) -> None:
    """Log in and choose Add integration → Pushover Plus."""
    await log_in(page, home_assistant)
    await page.goto(home_assistant.url + "/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("Pushover Plus")
    # The brand in the dialog's list (the dashboard may list the integration
    # too, as a link).
    await page.get_by_role("button", name="Pushover Plus", exact=True).click()
    # The flow's menu: send messages (an application) or receive them.
    menu = TRANSLATIONS["config"]["step"]["user"]["menu_options"]
    await page.get_by_text(menu["credentials"]).click()


async def _expect_error_above(
    page: Page, error: Locator, field: Locator, *, below: Locator
) -> None:
    """Check that a field's error is the form's one alert, attached to the field.

    Home Assistant shows it right above the field, below the field before.
    """
    await error.wait_for()
    error_box, field_box, before_box = [
        await item.bounding_box() for item in (error, field, below)
    ]
    assert error_box is not None
    assert field_box is not None
    assert before_box is not None
    assert before_box["y"] + before_box["height"] <= error_box["y"]
    gap = field_box["y"] - (error_box["y"] + error_box["height"])
    assert 0 <= gap < MAX_ERROR_GAP, f"the error is {gap} px away from its field"
    assert await page.get_by_role("alert").count() == 1


async def test_device_page_shows_the_quota(
    context: BrowserContext,
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    screenshots_dir: Path,
) -> None:
    """The application's device page lists its sensors with the quota."""
    await hass_client.call_service(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry_id, "title": "Device page", "message": "Count."},
    )
    remaining = (await simulator.state())["quota"]["remaining"]
    await hass_client.wait_for_state(f"{SENSOR}remaining_messages", str(remaining))
    async with hass_client.websocket() as websocket:
        devices = await websocket.command("config/device_registry/list")
    [device] = [
        item
        for item in devices
        if entry_id in item["config_entries"] and item["name"] == f"{ENTRY_TITLE} app"
    ]
    page = await context.new_page()
    await log_in(page, home_assistant)
    await page.goto(f"{home_assistant.url}/config/devices/device/{device['id']}")
    for name, value in (
        ("Remaining messages", f"{remaining:,}"),
        ("Queued messages", "0"),
    ):
        await _expect_row(page, name, value)
    await page.screenshot(path=screenshots_dir / "device.png")


async def test_tour_runs_the_hello_script_from_the_ui(
    context: BrowserContext,
    home_assistant: HomeAssistant,
    simulator: SimulatorClient,
    entry_id: str,
) -> None:
    """The README's tour: Settings → Automations & scenes → Scripts → Run."""
    title = "Hello from Home Assistant"
    before = len(await simulator.messages_titled(title))
    page = await context.new_page()
    await log_in(page, home_assistant)
    await page.goto(home_assistant.url + "/config")
    await page.get_by_text("Automations & scenes").first.click()
    await page.get_by_role("tab", name="Scripts").click()
    row = page.get_by_role("row", name="Pushover Plus: say hello")
    await row.get_by_role("button", name="Overflow menu").click()
    await page.get_by_role("menuitem", name="Run").click()

    async def arrived() -> bool | None:
        return True if len(await simulator.messages_titled(title)) > before else None

    await wait_for(arrived, timeout=20, what="the hello script's message")


async def _expect_row(page: Page, name: str, value: str) -> None:
    """Check that an entity row reads `name` followed by its `value`.

    The accessibility tree is what a screen reader reads; it does not depend
    on how the frontend nests its elements.
    """
    pattern = re.compile(rf"{re.escape(name)}\s+{re.escape(value)}(\s|$)", re.MULTILINE)

    async def shown() -> bool | None:
        return (
            True if pattern.search(await page.locator("body").aria_snapshot()) else None
        )

    await wait_for(shown, timeout=20, what=f"{name} to show {value}")


async def _open_phone(context: BrowserContext, simulator: SimulatorClient) -> Page:
    """Open the simulator's phone page and wait for it to render."""
    page = await context.new_page()
    await page.goto(simulator.root_url)
    await page.locator('[data-testid="phone"]').wait_for()
    return page


def _message_card(page: Page, title: str) -> Locator:
    return page.locator('[data-testid="message"]').filter(
        has=page.locator('[data-testid="message-title"]', has_text=title)
    )


async def test_phone_page_shows_messages_and_acknowledges(
    context: BrowserContext,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    screenshots_dir: Path,
) -> None:
    """A sent message appears live; Acknowledge reaches Home Assistant."""
    page = await _open_phone(context, simulator)
    await hass_client.call_service(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry_id,
            "title": "Washing machine",
            "message": "The laundry is done.",
            "sound": "cashregister",
        },
    )
    card = _message_card(page, "Washing machine")
    await card.wait_for()
    await expect(card.locator('[data-testid="message-body"]')).to_have_text(
        "The laundry is done."
    )

    answer = await hass_client.call_service(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry_id,
            "title": "Smoke alarm",
            "message": "Smoke in the hallway.",
            "priority": "emergency",
            "retry": 30,
            "expire": 600,
        },
        return_response=True,
    )
    receipt = answer["service_response"]["receipt"]
    alarm = _message_card(page, "Smoke alarm")
    acknowledge = alarm.locator('[data-testid="ack-button"]')
    await acknowledge.wait_for()
    await page.screenshot(path=screenshots_dir / "phone.png")
    await acknowledge.click()

    async def acknowledged() -> Json | None:
        state = (await simulator.state())["receipts"][receipt]
        return state if state["acknowledged"] else None

    on_simulator = await wait_for(acknowledged, timeout=10, what="the acknowledgement")
    await expect(alarm).to_contain_text(re.compile("acknowledged", re.IGNORECASE))
    await expect(acknowledge).to_have_count(0)
    # Home Assistant learns it at its next poll of the receipt.
    last = await hass_client.wait_for_state(
        f"{SENSOR}last_emergency", "acknowledged", timeout=45
    )
    assert last["attributes"]["receipt"] == receipt
    assert (
        last["attributes"]["acknowledged_by_device"]
        == on_simulator["acknowledged_by_device"]
    )
    await page.screenshot(path=screenshots_dir / "phone-acknowledged.png")


async def test_phone_page_runs_no_script_from_a_message(
    context: BrowserContext,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    screenshots_dir: Path,
) -> None:
    """An HTML message shows its markup but none of its scripts run."""
    page = await _open_phone(context, simulator)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    title_before = await page.title()
    await hass_client.call_service(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry_id,
            "title": "<script>window.__xss = 'title'</script>Markup",
            "message": (
                "<b>bold</b> "
                "<script>window.__xss = 'script'; document.title = 'owned'</script>"
                '<img src="x" onerror="window.__xss = \'img\'">'
                "<a href=\"javascript:window.__xss = 'link'\">link</a> "
                '<font color="red" onmouseover="window.__xss = \'font\'">red</font>'
            ),
            "html": True,
        },
    )
    card = _message_card(page, "Markup")
    await card.wait_for()
    body = card.locator('[data-testid="message-body"]')
    await expect(body.locator("b")).to_have_text("bold")
    await expect(body.locator("script, img, iframe")).to_have_count(0)
    await body.locator("font").hover()
    await page.wait_for_timeout(500)

    assert await page.evaluate("() => window.__xss === undefined")
    assert await page.title() == title_before
    assert not dialogs
    for href in await body.locator("a").evaluate_all(
        "(links) => links.map((link) => link.getAttribute('href'))"
    ):
        assert href is None or not href.lower().startswith("javascript")
    await expect(card.locator('[data-testid="message-title"]')).to_contain_text(
        "<script>"
    )
    await page.screenshot(path=screenshots_dir / "phone-html.png")


DASHBOARD_PATH: Final = "pushover-plus"
# The application's entities by the end of their unique ids, in the order of
# the entities card.
APPLICATION_KEYS: Final = (
    "messages_remaining",
    "messages_used",
    "monthly_limit",
    "quota_reset",
    "last_emergency",
    "open_emergencies",
    "queued_messages",
    "emergency",
)
DISABLED_BY_DEFAULT: Final = {"messages_used", "monthly_limit"}
# Home Assistant reloads an entry 30 s after one of its entities is enabled.
ENABLE_TIMEOUT: Final = 90.0
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
APPLICATION_DEVICE: Final = TRANSLATIONS["device"]["application"]["name"].format(
    name=ENTRY_TITLE
)
VISIBLE_NAMES_JS: Final = (Path(__file__).parent / "visible_names.js").read_text(
    encoding="utf-8"
)


async def _application_entities(
    client: HomeAssistantClient, entry_id: str
) -> dict[str, Json]:
    """Return the registry entries of the application's entities, by key."""
    async with client.websocket() as websocket:
        registry = await websocket.command("config/entity_registry/list")
    prefix = f"{entry_id}_"
    return {
        key: item
        for item in registry
        if item["config_entry_id"] == entry_id
        and (key := item["unique_id"].removeprefix(prefix)) in APPLICATION_KEYS
    }


async def _enable(client: HomeAssistantClient, entity_ids: list[str]) -> None:
    """Enable entities as the entity settings dialog does; wait for their states."""
    async with client.websocket() as websocket:
        for entity_id in entity_ids:
            await websocket.command(
                "config/entity_registry/update", entity_id=entity_id, disabled_by=None
            )
    for entity_id in entity_ids:

        async def added(entity_id: str = entity_id) -> Json | None:
            try:
                return await client.state(entity_id)
            except HomeAssistantError:
                return None

        await wait_for(added, timeout=ENABLE_TIMEOUT, what=f"{entity_id} to be added")


def _dashboard(entity: dict[str, str], limit: int) -> Json:
    """Return a dashboard of the application: every entity, tiles and a gauge."""

    def tiles(*keys: str) -> list[Json]:
        return [{"type": "tile", "entity": entity[key]} for key in keys]

    return {
        "views": [
            {
                "title": "Pushover",
                "path": "pushover",
                "type": "sections",
                "sections": [
                    {
                        "type": "grid",
                        "cards": [
                            {"type": "heading", "heading": "Application"},
                            {
                                "type": "entities",
                                "entities": [entity[key] for key in APPLICATION_KEYS],
                            },
                        ],
                    },
                    {
                        "type": "grid",
                        "cards": [
                            {"type": "heading", "heading": "Quota"},
                            {
                                "type": "gauge",
                                "entity": entity["messages_remaining"],
                                "min": 0,
                                "max": limit,
                            },
                            *tiles(
                                "messages_remaining",
                                "messages_used",
                                "monthly_limit",
                                "quota_reset",
                            ),
                        ],
                    },
                    {
                        "type": "grid",
                        "cards": [
                            {"type": "heading", "heading": "Emergencies and outbox"},
                            *tiles(
                                "last_emergency",
                                "open_emergencies",
                                "queued_messages",
                                "emergency",
                            ),
                        ],
                    },
                ],
            }
        ]
    }


async def _expect_states(
    page: Page, name: dict[str, str], expected: dict[str, str]
) -> None:
    """Check each card's state text: the value alone, with nothing after it."""
    for key, value in expected.items():
        # A tile is a button named by the entity's name and its state.
        tile = page.get_by_role("button", name=f"{name[key]} {value}", exact=True)
        await expect(tile).to_have_count(1)
    # The entities card reads as one line: each name, then its state, then
    # the next name (each starts with the device's) or the end of the line.
    rows = await page.locator("hui-entities-card").aria_snapshot()
    for key, value in expected.items():
        row = rf"{re.escape(name[key])} {re.escape(value)}(?= {APPLICATION_DEVICE} |$)"
        assert re.search(row, rows, re.MULTILINE), (name[key], value, rows)
    await expect(page.locator("hui-gauge-card")).to_match_aria_snapshot(
        f'- img: "{expected["messages_remaining"]}"\n'
        f"- paragraph: {name['messages_remaining']}"
    )


async def _gauge_drawn(page: Page) -> None:
    """Wait until the gauge shows its number and its arc has swept to it.

    A frame after its first render the gauge fits its number into place and
    starts a one-second transition of its arc.
    """
    gauge = page.locator("hui-gauge-card")
    await gauge.locator("svg.text[viewBox]").wait_for()
    await gauge.locator("path.value").evaluate(
        "(arc) => Promise.all(arc.getAnimations().map((sweep) => sweep.finished))"
    )


async def _visible_names(page: Page, names: list[str]) -> dict[str, list[str]]:
    """Return, per kind of card, what the page shows of each name."""
    shown: dict[str, list[str]] = {}
    for item in await page.evaluate(VISIBLE_NAMES_JS, names):
        shown.setdefault(item["card"], []).append(item["shown"])
    return shown


async def _expect_names_apart(page: Page, names: list[str]) -> None:
    """Every name shows in each kind of card, and no two look the same there."""
    shown = await _visible_names(page, names)
    for card in ("hui-generic-entity-row", "hui-tile-card"):
        assert len(shown[card]) == len(names), (card, shown[card])
        assert len(set(shown[card])) == len(names), (card, shown[card])


async def _counts_of_one(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    entity: dict[str, str],
) -> int:
    """Open one emergency and count one message sent; return the monthly limit."""
    await hass_client.call_service(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry_id,
            "title": "Dashboard",
            "message": "Counted as open.",
            "priority": "emergency",
            "retry": 30,
            "expire": 600,
        },
    )
    await hass_client.wait_for_state(entity["open_emergencies"], "1")
    limit: int = (await simulator.state())["quota"]["limit"]
    await simulator.set_remaining(limit - 1)
    # homeassistant.update_entity makes the limits coordinator read the quota.
    await hass_client.call_service(
        "homeassistant", "update_entity", {"entity_id": entity["messages_remaining"]}
    )
    await hass_client.wait_for_state(entity["messages_remaining"], str(limit - 1))
    await hass_client.wait_for_state(entity["messages_used"], "1")
    return limit


async def _create_dashboard(client: HomeAssistantClient, config: Json) -> None:
    """Create a dashboard and save its configuration, as its editor does."""
    async with client.websocket() as websocket:
        await websocket.command(
            "lovelace/dashboards/create", url_path=DASHBOARD_PATH, title="Pushover"
        )
        await websocket.command(
            "lovelace/config/save", url_path=DASHBOARD_PATH, config=config
        )


async def test_dashboard_tells_the_entities_apart(
    context: BrowserContext,
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    screenshots_dir: Path,
) -> None:
    """A new dashboard with an entities card, tiles and a gauge of the quota.

    Each name is told apart from the others where a card cuts it (at a
    laptop's width and a phone's), and counts read as plain numbers, for
    one as for many.
    """
    registered = await _application_entities(hass_client, entry_id)
    assert set(registered) == set(APPLICATION_KEYS)
    disabled = {
        key: item["disabled_by"]
        for key, item in registered.items()
        if item["disabled_by"]
    }
    assert disabled == dict.fromkeys(DISABLED_BY_DEFAULT, "integration")
    entity = {key: item["entity_id"] for key, item in registered.items()}
    await _enable(hass_client, [entity[key] for key in sorted(DISABLED_BY_DEFAULT)])
    limit = await _counts_of_one(hass_client, simulator, entry_id, entity)
    await _create_dashboard(hass_client, _dashboard(entity, limit))
    name = {
        key: (await hass_client.state(entity_id))["attributes"]["friendly_name"]
        for key, entity_id in entity.items()
    }
    expected = {
        "messages_remaining": f"{limit - 1:,}",
        "messages_used": "1",
        "monthly_limit": f"{limit:,}",
        "last_emergency": "Pending",
        "open_emergencies": "1",
        "queued_messages": "0",
    }

    laptop = await context.new_page()
    await log_in(laptop, home_assistant)
    # A second page of the context is logged in already: it keeps the tokens.
    phone = await context.new_page()
    await phone.set_viewport_size(PHONE)
    # The laptop's view fits its window; the phone's is one long column.
    for page, shot, whole in (
        (laptop, "dashboard.png", False),
        (phone, "dashboard-phone.png", True),
    ):
        await page.goto(f"{home_assistant.url}/{DASHBOARD_PATH}/pushover")
        await _expect_states(page, name, expected)
        await _expect_names_apart(page, list(name.values()))
        await _gauge_drawn(page)
        await page.screenshot(path=screenshots_dir / shot, full_page=whole)
