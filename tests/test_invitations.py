"""Invitations by link: the flow, the page Pushover sends the browser back to.

The whole way runs over HTTP: the flow's link opens the simulator's
subscription page, whose form sends the browser (303) to Home Assistant's
page, served on loopback as its external URL. Pages are read as a browser
would, and nothing in them, in the log or in the store may show the key
Pushover gave or the invitation's id.
"""

import asyncio
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
    DOMAIN,
    INVITATION_KEPT_AFTER_EXPIRY,
    INVITATION_LIFETIME,
    MAX_INVITATION_RECORDS,
    MAX_OPEN_INVITATIONS,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.invitation_view import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    MAX_REMOTES,
    FailureLimiter,
    async_open_invitations,
)
from custom_components.pushover_plus.invitations import format_moment, storage_key
from pushover_simulator import (
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIPTION_CODE,
    PushoverSimulator,
)

from . import WebClient, load_with_webhook, send
from .flow_helpers import (
    UNKNOWN_USER_KEY,
    Result,
    placeholders,
    selector_config,
    suggested,
)

# Well-formed (43 URL-safe characters) but no invitation's.
FORGED_ID = "F" * 43
# Well-formed, but no subscriber's.
FORGED_KEY = "uForgedSubscriberKey0000000000"
SUBSCRIBED_TEXT = "Done: {name} now gets notifications from Home Assistant."


@pytest.fixture
async def web(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> WebClient:
    """Load the entry with Home Assistant served at its external URL."""
    return await load_with_webhook(hass, config_entry, hass_client_no_auth)


def _subscription(simulator: PushoverSimulator) -> str:
    """Return the test application's web-based subscription, as its page shows it."""
    return f"{simulator.root_url}subscribe/{TEST_SUBSCRIPTION_CODE}"


async def _submit(
    hass: HomeAssistant, result: Result, user_input: dict[str, Any]
) -> Result:
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


async def _invite_form(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    """Press Add recipient, then choose Invite by link."""
    menu = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    assert menu["type"] is FlowResultType.MENU
    assert menu["menu_options"] == ["key", "invite"]
    return await _submit(hass, menu, {"next_step_id": "invite"})


async def _invite(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    simulator: PushoverSimulator,
    name: str = "Grandma",
) -> str:
    """Go through the invitation flow; return the link it shows."""
    form = await _invite_form(hass, entry)
    result = await _submit(
        hass, form, {CONF_NAME: name, CONF_SUBSCRIPTION_URL: _subscription(simulator)}
    )
    assert result["step_id"] == "invite_link", result.get("errors")
    link: str = selector_config(result, "qr_code")["data"]
    assert placeholders(result)["link"] == f"[{link}]({link})"
    done = await _submit(hass, result, {})
    assert done["type"] is FlowResultType.ABORT
    assert done["reason"] == "invitation_open"
    return link


async def _visit_pushover(
    hass: HomeAssistant,
    link: str,
    *,
    choice: str = "subscribe",
    user: str = TEST_SECOND_USER_KEY,
) -> tuple[int, str]:
    """Open the link, answer Pushover's page; return where the browser lands.

    A recipient it adds reloads the entry: that is waited for too.
    """
    url = URL(link)
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            assert page.status == 200
        form = {
            "success": url.query["success"],
            "failure": url.query["failure"],
            "subscriber": f"{user}:",
            "choice": choice,
        }
        async with session.post(url.with_query(None), data=form) as landed:
            answer = landed.status, await landed.text()
    await hass.async_block_till_done()
    return answer


def _answer_path(link: str, outcome: str = "subscribed") -> str:
    """Return the path of the link's page for an outcome, as Pushover sends it."""
    success = URL(URL(link).query["success"])
    return (success.parent / outcome).path


def _subscriber_key(simulator: PushoverSimulator) -> str:
    """Return the key Pushover gave the one subscriber of the test application."""
    [key] = [
        key
        for key, subscriber in simulator.state.directory.subscribers.items()
        if subscriber.code == TEST_SUBSCRIPTION_CODE
    ]
    return key


def _added(entry: MockConfigEntry) -> list[tuple[str, dict[str, Any]]]:
    return [(item.title, dict(item.data)) for item in entry.subentries.values()]


def _loggers_showing(caplog: pytest.LogCaptureFixture, secret: str) -> set[str]:
    """Name the loggers whose records show a secret."""
    return {record.name for record in caplog.records if secret in record.getMessage()}


# The whole way


async def test_invitation_adds_the_subscriber(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Subscribing at Pushover adds the recipient, who then gets messages."""
    caplog.set_level(logging.DEBUG, logger="homeassistant.helpers.http")
    link = await _invite(hass, config_entry, simulator)
    assert link.startswith(_subscription(simulator) + "?success=http%3A%2F%2F127.0.0.1")

    status, page = await _visit_pushover(hass, link)
    await hass.async_block_till_done()

    assert status == 200
    assert SUBSCRIBED_TEXT.format(name="Grandma") in page
    key = _subscriber_key(simulator)
    assert _added(config_entry) == [
        (
            "Grandma",
            {
                CONF_USER_KEY: key,
                CONF_DEVICES: [],
                CONF_SERVICE_NAME: "grandma",
                CONF_IS_GROUP: False,
            },
        )
    ]
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service(Platform.NOTIFY, "grandma")
    await send(hass, recipients=["Grandma"], message="Welcome")
    assert simulator.messages[-1].user == key
    invitation_id = URL(_answer_path(link)).parts[-2]
    assert key not in page
    assert invitation_id not in page
    # Home Assistant sets aiohttp's access log to warnings (the harness does
    # not): only a request line there has the key; the path, with the spent
    # id, is also in Home Assistant's debug log of the views it serves.
    assert _loggers_showing(caplog, key) <= {"aiohttp.access"}
    assert _loggers_showing(caplog, invitation_id) <= {
        "aiohttp.access",
        "homeassistant.helpers.http",
    }


async def test_page_speaks_home_assistants_language(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """The invited person reads the page in the language Home Assistant is set to."""
    hass.config.language = "de"
    link = await _invite(hass, config_entry, simulator)

    status, page = await _visit_pushover(hass, link)

    assert status == 200
    assert '<html lang="de">' in page
    assert "Pushover-Benachrichtigungen von Home Assistant" in page
    assert (
        "Erledigt: Grandma erhält jetzt Benachrichtigungen von Home Assistant." in page
    )


async def test_declined_invitation_changes_nothing(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Declining adds no one, and uses the invitation up."""
    link = await _invite(hass, config_entry, simulator)

    status, page = await _visit_pushover(hass, link, choice="decline")

    assert status == 200
    assert "You did not subscribe, so nothing changed." in page
    status, page = await _visit_pushover(hass, link)
    assert status == 410
    assert "This invitation was already answered" in page
    assert config_entry.subentries == {}


async def test_invitation_works_once(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """A second visit of a used invitation, another account's too, adds nobody."""
    link = await _invite(hass, config_entry, simulator)
    await _visit_pushover(hass, link)
    await hass.async_block_till_done()

    status, page = await _visit_pushover(hass, link, user=TEST_GROUP_MEMBER_KEY)

    assert status == 410
    assert "already answered" in page
    assert [title for title, _ in _added(config_entry)] == ["Grandma"]


async def test_two_visits_at_once_add_one_recipient(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """While Pushover is asked about the key, the invitation is held."""
    link = await _invite(hass, config_entry, simulator)
    subscriber = simulator.subscribe(TEST_SUBSCRIPTION_CODE, TEST_SECOND_USER_KEY)
    path = f"{_answer_path(link)}?pushover_user_key={subscriber.key}"
    simulator.faults.delay = 0.2

    first, second = await asyncio.gather(web.get(path), web.get(path))

    assert sorted([first.status, second.status]) == [200, 410]
    await hass.async_block_till_done()
    assert len(config_entry.subentries) == 1


async def test_subscriber_already_a_recipient(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Pushover gives an account the same key again: it is not added twice."""
    await _visit_pushover(hass, await _invite(hass, config_entry, simulator))
    await hass.async_block_till_done()
    link = await _invite(hass, config_entry, simulator, name="Nana")

    status, page = await _visit_pushover(hass, link)

    assert status == 200
    assert "already gets notifications from Home Assistant, as Grandma" in page
    assert [title for title, _ in _added(config_entry)] == ["Grandma"]


async def test_name_taken_meanwhile_gets_a_number(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """A recipient added since the invitation keeps its action; the new one is 2."""
    link = await _invite(hass, config_entry, simulator)
    menu = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    form = await _submit(hass, menu, {"next_step_id": "key"})
    form = await _submit(
        hass, form, {CONF_NAME: "Grandma", CONF_USER_KEY: TEST_GROUP_MEMBER_KEY}
    )
    await _submit(hass, form, {})
    await hass.async_block_till_done()

    status, page = await _visit_pushover(hass, link)
    await hass.async_block_till_done()

    assert status == 200
    assert SUBSCRIBED_TEXT.format(name="Grandma 2") in page
    assert [
        (title, data[CONF_SERVICE_NAME]) for title, data in _added(config_entry)
    ] == [
        ("Grandma", "grandma"),
        ("Grandma 2", "grandma_2"),
    ]


# Hostile visits


@pytest.mark.parametrize(
    "path",
    [
        (
            f"/api/pushover_plus/invitations/{FORGED_ID}/subscribed"
            f"?pushover_user_key={FORGED_KEY}"
        ),
        f"/api/pushover_plus/invitations/{FORGED_ID}/declined",
        "/api/pushover_plus/invitations/short/declined",
        f"/api/pushover_plus/invitations/{'é' * 43}/declined",
    ],
    ids=["forged", "forged-declined", "short", "not-url-safe"],
)
async def test_forged_invitation_changes_nothing(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    path: str,
) -> None:
    """An id that is no invitation's is told so; the open one stays open."""
    link = await _invite(hass, config_entry, simulator)

    response = await web.get(path)

    assert response.status == 404
    page = await response.text()
    assert "This invitation link is not valid, so nothing changed." in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert (await _visit_pushover(hass, link))[0] == 200


async def test_unknown_outcome_is_not_an_answer(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Only subscribed and declined answer an invitation."""
    link = await _invite(hass, config_entry, simulator)

    response = await web.get(_answer_path(link, "accepted"))

    assert response.status == 404
    assert (await _visit_pushover(hass, link))[0] == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?pushover_user_key=",
        f"?pushover_user_key={FORGED_KEY}x",
        "?pushover_user_key=" + "u" * 5000,
        f"?pushover_user_key={FORGED_KEY}&padding={'p' * 300}",
        "?pushover_user_key=" + "%27" * 30,
        f"?pushover_user_key={FORGED_KEY}&pushover_user_key={FORGED_KEY}",
    ],
    ids=["none", "empty", "too-long", "oversized", "long-query", "quotes", "twice"],
)
async def test_missing_or_malformed_key_changes_nothing(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    query: str,
) -> None:
    """A subscribed answer without a key of Pushover's shape keeps it open."""
    link = await _invite(hass, config_entry, simulator)

    response = await web.get(_answer_path(link) + query)

    assert response.status == 400
    assert "does not carry the key Pushover gives a subscriber" in (
        await response.text()
    )
    assert config_entry.subentries == {}
    assert (await _visit_pushover(hass, link))[0] == 200


async def test_markup_is_stopped_before_the_page(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Home Assistant's own filter refuses a script in the query first."""
    link = await _invite(hass, config_entry, simulator)

    response = await web.get(_answer_path(link) + "?pushover_user_key=%3Cscript%3E")

    assert response.status == 400
    assert (await _visit_pushover(hass, link))[0] == 200


async def test_key_pushover_does_not_confirm(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """A key of the right shape that the application cannot validate adds nobody."""
    link = await _invite(hass, config_entry, simulator)

    response = await web.get(
        f"{_answer_path(link)}?pushover_user_key={UNKNOWN_USER_KEY}"
    )

    assert response.status == 400
    assert "Pushover does not confirm the key" in await response.text()
    assert config_entry.subentries == {}
    assert (await _visit_pushover(hass, link))[0] == 410


async def test_key_of_another_application_is_refused(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """A subscriber key is valid for its own application only."""
    link = await _invite(hass, config_entry, simulator)
    foreign = simulator.subscribe(TEST_GROUP_SUBSCRIPTION_CODE, TEST_SECOND_USER_KEY)

    response = await web.get(f"{_answer_path(link)}?pushover_user_key={foreign.key}")

    assert response.status == 400
    assert config_entry.subentries == {}


async def test_pushover_unreachable_keeps_the_invitation(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """When Pushover cannot confirm the key, nothing is added and it stays open."""
    link = await _invite(hass, config_entry, simulator)
    simulator.faults.fail_next = 1

    status, page = await _visit_pushover(hass, link)

    assert status == 503
    assert "could not confirm the subscription with Pushover just now" in page
    assert config_entry.subentries == {}
    status, page = await _visit_pushover(hass, link)
    assert status == 200


async def test_unloaded_entry_keeps_the_invitation(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """An entry that is not loaded cannot ask Pushover: nothing changes yet."""
    link = await _invite(hass, config_entry, simulator)
    await hass.config_entries.async_unload(config_entry.entry_id)

    status, _ = await _visit_pushover(hass, link)
    assert status == 503

    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert (await _visit_pushover(hass, link))[0] == 200


async def test_failed_visits_are_bounded(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After MAX_FAILURES failed visits an address is refused for a while."""
    link = await _invite(hass, config_entry, simulator)
    forged = f"/api/pushover_plus/invitations/{FORGED_ID}/declined"
    for _ in range(MAX_FAILURES):
        assert (await web.get(forged)).status == 404

    blocked = await web.get(_answer_path(link, "declined"))

    assert blocked.status == 429
    assert "Too many invitation links that do not work" in await blocked.text()
    freezer.tick(timedelta(minutes=10))
    assert (await web.get(_answer_path(link, "declined"))).status == 200


# Expiry, storage, restarts


async def test_expired_invitation_then_purged(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """An invitation expires; a week later its record is purged by a timer."""
    link = await _invite(hass, config_entry, simulator)
    freezer.tick(INVITATION_LIFETIME)

    status, page = await _visit_pushover(hass, link)

    assert status == 410
    assert "This invitation expired on" in page
    assert config_entry.subentries == {}
    freezer.tick(INVITATION_KEPT_AFTER_EXPIRY)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[storage_key(config_entry.entry_id)]["data"]["invitations"] == []
    status, page = await _visit_pushover(hass, link)
    assert status == 404


async def test_invitations_survive_a_restart(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """The store keeps each invitation's digest and expiry, never its id."""
    link = await _invite(hass, config_entry, simulator)
    invitation_id = URL(_answer_path(link)).parts[-2]
    stored = hass_storage[storage_key(config_entry.entry_id)]
    assert invitation_id not in str(stored)
    [record] = stored["data"]["invitations"]
    assert set(record) == {"digest", "name", "created_at", "expires_at", "state"}

    await hass.config_entries.async_unload(config_entry.entry_id)
    # A new process knows only what is on disk.
    hass.data.pop(f"{DOMAIN}_invitations")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    status, _ = await _visit_pushover(hass, link)
    assert status == 200


@pytest.mark.parametrize(
    "stored",
    [
        {"subscription_url": "", "invitations": "none"},
        {"invitations": []},
        {"subscription_url": 7, "invitations": []},
        {
            "subscription_url": "",
            "invitations": [{"digest": "zz", "name": "A", "state": "open"}],
        },
        {
            "subscription_url": "",
            "invitations": [
                {
                    "digest": "00",
                    "name": "A",
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "expires_at": "2026-01-03T00:00:00+00:00",
                    "state": "lost",
                }
            ],
        },
    ],
    ids=["not-a-list", "no-url", "bad-url", "missing-fields", "unknown-state"],
)
async def test_unreadable_invitations_are_left_out(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
) -> None:
    """What this version cannot read opens nothing, and the entry loads."""
    hass_storage[storage_key(config_entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(config_entry.entry_id),
        "data": stored,
    }
    config_entry.add_to_hass(hass)
    caplog.set_level(logging.WARNING)

    assert await hass.config_entries.async_setup(config_entry.entry_id)

    assert "invitation" in caplog.text
    assert "cannot be read" in caplog.text


async def test_removed_entry_deletes_its_invitations(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the entry forgets its invitations, on disk too."""
    link = await _invite(hass, config_entry, simulator)

    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()

    assert storage_key(config_entry.entry_id) not in hass_storage
    assert (await _visit_pushover(hass, link))[0] == 404


# The flow's checks


async def test_invite_form(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """The form asks for a name and the subscription; the last one is suggested."""
    form = await _invite_form(hass, config_entry)
    assert form["step_id"] == "invite"
    assert form["errors"] == {}
    assert form["description_placeholders"] == {"hours": "48"}
    assert suggested(form, CONF_SUBSCRIPTION_URL) is None

    await _invite(hass, config_entry, simulator)

    form = await _invite_form(hass, config_entry)
    assert suggested(form, CONF_SUBSCRIPTION_URL) == _subscription(simulator)


@pytest.mark.parametrize(
    ("name", "subscription", "errors"),
    [
        ("Pushover", None, {CONF_NAME: "name_in_use"}),
        (" ", None, {CONF_NAME: "name_empty"}),
        (
            "Grandma",
            "https://example.com/subscribe/x",
            {"subscription_url": "subscription_url_invalid"},
        ),
        (
            "Grandma",
            "https://pushover.net/apps/abc",
            {"subscription_url": "subscription_url_invalid"},
        ),
    ],
    ids=["action-taken", "empty", "other-site", "not-a-subscription"],
)
async def test_invite_refuses_what_cannot_work(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    name: str,
    subscription: str | None,
    errors: dict[str, str],
) -> None:
    """A taken name or a URL that is no subscription of Pushover's is named."""
    form = await _invite_form(hass, config_entry)

    result = await _submit(
        hass,
        form,
        {
            CONF_NAME: name,
            CONF_SUBSCRIPTION_URL: subscription or _subscription(simulator),
        },
    )

    assert result["step_id"] == "invite"
    assert result["errors"] == errors
    assert suggested(result, CONF_NAME) == name


async def test_invite_name_of_an_open_invitation(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """Two open invitations cannot compete for one legacy action."""
    await _invite(hass, config_entry, simulator)
    form = await _invite_form(hass, config_entry)

    result = await _submit(
        hass,
        form,
        {CONF_NAME: "grandma", CONF_SUBSCRIPTION_URL: _subscription(simulator)},
    )

    assert result["errors"] == {CONF_NAME: "invitation_pending"}


async def test_too_many_open_invitations(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At most MAX_OPEN_INVITATIONS are open; the error says when one frees."""
    for number in range(MAX_OPEN_INVITATIONS):
        await _invite(hass, config_entry, simulator, name=f"Guest {number}")
    form = await _invite_form(hass, config_entry)

    result = await _submit(
        hass,
        form,
        {CONF_NAME: "One more", CONF_SUBSCRIPTION_URL: _subscription(simulator)},
    )

    assert result["errors"] == {"base": "too_many_invitations"}
    assert placeholders(result)["max"] == str(MAX_OPEN_INVITATIONS)
    assert placeholders(result)["first_expiry"] == format_moment(
        dt_util.utcnow() + INVITATION_LIFETIME
    )


async def test_invite_needs_an_external_url(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Without an external URL Pushover could not send anyone back: said at once."""
    form = await _invite_form(hass, loaded_entry)
    assert form["errors"] == {"base": "no_external_url"}

    result = await _submit(
        hass,
        form,
        {CONF_NAME: "Grandma", CONF_SUBSCRIPTION_URL: _subscription(simulator)},
    )

    assert result["step_id"] == "invite"
    assert result["errors"] == {"base": "no_external_url"}


async def test_answered_records_are_capped(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """At most MAX_INVITATION_RECORDS are kept; the oldest answered go first."""
    book = await async_open_invitations(hass, config_entry)
    for number in range(MAX_INVITATION_RECORDS + 1):
        _, invitation = await book.async_create(
            f"Guest {number}", _subscription(simulator)
        )
        await book.async_use(invitation)

    assert len(book.invitations) == MAX_INVITATION_RECORDS
    assert book.invitations[0].name == "Guest 1"


def test_failure_limiter_forgets_the_oldest_address() -> None:
    """The addresses followed are bounded: a full table drops the oldest."""
    limiter = FailureLimiter()
    now = dt_util.utcnow()
    for _ in range(MAX_FAILURES):
        limiter.failed("203.0.113.1", now)
    assert limiter.blocked("203.0.113.1", now)

    for number in range(MAX_REMOTES):
        limiter.failed(f"198.51.100.{number}", now)

    assert not limiter.blocked("203.0.113.1", now)


def test_failure_limiter_counts_within_its_window() -> None:
    """Failures further apart than the window never add up."""
    limiter = FailureLimiter()
    now = dt_util.utcnow()
    for step in range(MAX_FAILURES * 2):
        limiter.failed("203.0.113.1", now + step * FAILURE_WINDOW / 5)

    assert not limiter.blocked(
        "203.0.113.1", now + MAX_FAILURES * 2 * FAILURE_WINDOW / 5
    )


async def test_an_entry_that_never_invited_loads_no_invitations(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    web: WebClient,
    simulator: PushoverSimulator,
) -> None:
    """No book is read and no page served until the first invitation opens."""
    assert f"{DOMAIN}_invitations" not in hass.data
    answer = "/api/pushover_plus/invitations/" + "a" * 43 + "/declined"
    assert (await web.get(answer)).status == 404

    link = await _invite(hass, config_entry, simulator)

    status, page = await _visit_pushover(hass, link)
    assert status == 200
    assert SUBSCRIBED_TEXT.format(name="Grandma") in page
