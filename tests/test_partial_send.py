"""A message that takes several API calls says exactly who got it.

Pushover takes 50 keys a call, so 52 recipients take two calls. When Pushover
refuses one call and takes the other, some recipients have the message and
some do not: a blind retry would send it twice to the first. Every call is
made, each call's outcome is reported, and the simulator (which refuses a
call naming an unknown key, and charges the quota one message per user
reached, refused calls nothing) shows what really went out.
"""

from collections.abc import Iterator
from dataclasses import replace

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.recipients import recipients_of
from pushover_simulator import (
    DEFAULT_MONTHLY_LIMIT,
    TEST_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)
from pushover_simulator.accounts import User

from . import send

MESSAGES_PATH = "/1/messages.json"
# Recipient n (1-based) is "Person n"; the first is the entry's primary one.
NAMES = [f"Person {number:02d}" for number in range(1, 53)]
UNKNOWN_POSITION = 51
# Made-up keys of the shape Pushover uses; the 51st is unknown to the simulator.
KEYS = [TEST_USER_KEY] + [f"u{number:029d}" for number in range(2, 53)]
UNKNOWN_KEY = KEYS[UNKNOWN_POSITION - 1]
USER_INVALID = "user identifier is not a valid user"


@pytest.fixture
def many_users(simulator: PushoverSimulator) -> None:
    """Give the simulated account 50 more users, but not the 51st key."""
    directory = simulator.state.directory
    added = {
        key: User(key, ("phone",), ("Android",))
        for key in KEYS[1:]
        if key != UNKNOWN_KEY
    }
    simulator.state.directory = replace(directory, users={**directory.users, **added})


def entry_with(recipients: list[tuple[str, str, list[str]]]) -> MockConfigEntry:
    """Return an entry of (name, key, default devices): the primary, then the rest."""
    (primary_name, primary_key, primary_devices), *others = recipients
    return MockConfigEntry(
        domain=DOMAIN,
        title=primary_name,
        data={
            CONF_NAME: primary_name,
            CONF_API_TOKEN: TEST_APP_TOKEN,
            CONF_USER_KEY: primary_key,
        },
        options={CONF_DEVICES: primary_devices},
        unique_id=token_unique_id(TEST_APP_TOKEN),
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_RECIPIENT,
                title=name,
                data={CONF_USER_KEY: key, CONF_DEVICES: devices},
                unique_id=None,
            )
            for name, key, devices in others
        ],
    )


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up against the simulator."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def fifty_two(
    hass: HomeAssistant,
    api_base_url: str,
    many_users: None,
) -> MockConfigEntry:
    """Load an entry with 52 recipients, the 51st with a key Pushover does not know."""
    entry = entry_with([(name, key, []) for name, key in zip(NAMES, KEYS, strict=True)])
    await load(hass, entry)
    return entry


@pytest.fixture
def no_new_keys_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail when a log record shows one of this module's made-up keys."""
    yield
    text = "\n".join(
        record.getMessage() + (record.exc_text or "")
        for record in caplog.get_records("setup") + caplog.get_records("call")
    )
    assert text
    assert not [key for key in KEYS[1:] if key in text]


def posts(simulator: PushoverSimulator) -> int:
    """Count the messages.json requests the simulator saw."""
    return sum(record.path == MESSAGES_PATH for record in simulator.requests)


@pytest.mark.usefixtures("no_new_keys_in_logs")
async def test_response_says_who_got_it_and_who_did_not(
    hass: HomeAssistant,
    fifty_two: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two calls: 50 got it, the call with the unknown key was refused whole."""
    ids = [recipient.id for recipient in recipients_of(fifty_two)]
    response = await send(
        hass, message="The water is off until noon.", recipients=NAMES
    )

    [received] = simulator.messages
    assert received.users == KEYS[:50]
    assert posts(simulator) == 2
    sent, refused = response["deliveries"]
    assert sent == {
        "recipients": NAMES[:50],
        "recipient_ids": ids[:50],
        "status": "sent",
        "request_id": received.request,
        "receipt": None,
        "queued_id": None,
        "queue_position": None,
        "queued_reason": None,
        "errors": [],
    }
    assert refused["recipients"] == ["Person 51", "Person 52"]
    assert refused["recipient_ids"] == ids[50:]
    assert refused["status"] == "refused"
    assert [error[: len(USER_INVALID)] for error in refused["errors"]] == [USER_INVALID]
    assert len(refused["request_id"]) == 36
    assert refused["request_id"] != received.request
    assert response["accepted"] == NAMES[:50]
    assert response["accepted_ids"] == ids[:50]
    assert response["refused"] == ["Person 51", "Person 52"]
    assert response["refused_ids"] == ids[50:]
    assert response["request_id"] == received.request
    assert response["queued"] is False
    # One message per user reached; the refused call costs nothing, and the
    # sensor follows the answers' headers.
    assert simulator.remaining == DEFAULT_MONTHLY_LIMIT - 50
    remaining = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{fifty_two.entry_id}_messages_remaining"
    )
    assert remaining is not None
    state = hass.states.get(remaining)
    assert state is not None
    assert state.state == str(DEFAULT_MONTHLY_LIMIT - 50)
    assert "but not to Person 51, Person 52" in caplog.text


@pytest.mark.usefixtures("fifty_two", "no_new_keys_in_logs")
async def test_without_a_response_the_error_names_both_sides(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A caller that takes no response gets an error aimed at a retry."""
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"message": "The water is off until noon.", "recipients": NAMES},
            blocking=True,
        )

    [received] = simulator.messages
    error = raised.value
    assert not isinstance(error, ServiceValidationError)
    assert error.translation_key == "send_partly_refused"
    placeholders = error.translation_placeholders
    assert placeholders is not None
    assert placeholders["accepted"] == ", ".join(NAMES[:50])
    assert placeholders["request_ids"] == received.request
    assert placeholders["refused"] == "Person 51, Person 52"
    assert placeholders["refusals"].startswith(f"Person 51, Person 52 ({USER_INVALID}")
    assert placeholders["refusals"].endswith(")")
    # The word "request" is the translation's, never built into a placeholder.
    assert "request" not in placeholders["refusals"]
    refused_request = placeholders["refused_request_ids"]
    assert len(refused_request) == 36
    assert refused_request != received.request
    text = str(error)
    assert f"{placeholders['refusals']} (requests: {refused_request})." in text
    assert text.startswith("Only part of the message went out. Sent to Person 01, ")
    assert "Send it again to Person 51, Person 52 only" in text
    assert simulator.remaining == DEFAULT_MONTHLY_LIMIT - 50


@pytest.mark.usefixtures("fifty_two")
async def test_retry_aimed_at_the_refused_reaches_only_them(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Sent again to the refused ones that have a valid key: nobody gets it twice.

    The script aims the retry at their ids, which no rename can change.
    """
    first = await send(hass, message="The water is off until noon.", recipients=NAMES)
    retry = [
        recipient_id
        for recipient_id, name in zip(
            first["refused_ids"], first["refused"], strict=True
        )
        if name != NAMES[UNKNOWN_POSITION - 1]
    ]

    second = await send(hass, message="The water is off until noon.", recipients=retry)

    assert second["accepted"] == ["Person 52"]
    assert second["accepted_ids"] == retry
    assert [message.users for message in simulator.messages] == [
        KEYS[:50],
        [KEYS[51]],
    ]


@pytest.mark.usefixtures("fifty_two")
async def test_quota_used_up_by_the_first_call_refuses_the_second_unsent(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """After the call that used the last messages, no call earns a 429."""
    simulator.set_remaining(50)

    response = await send(
        hass, message="The water is off until noon.", recipients=NAMES
    )

    assert posts(simulator) == 1
    sent, refused = response["deliveries"]
    assert sent["status"] == "sent"
    assert refused["status"] == "refused"
    assert refused["request_id"] is None
    assert refused["errors"][0].startswith("The monthly Pushover message limit")
    assert simulator.remaining == 0


@pytest.mark.usefixtures("fifty_two")
async def test_quota_refusal_of_the_only_call_out_raises_quota_exceeded(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """With 49 messages left the first call gets a 429; the second is not tried."""
    simulator.set_remaining(49)

    with pytest.raises(HomeAssistantError) as raised:
        await send(hass, message="The water is off until noon.", recipients=NAMES)

    assert raised.value.translation_key == "quota_exceeded"
    assert posts(simulator) == 1
    assert simulator.messages == []


async def test_a_refused_first_call_does_not_stop_the_second(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """The first call is refused (a device the user lacks); the second still goes."""
    await load(
        hass,
        entry_with(
            [
                ("Pushover", TEST_USER_KEY, ["laptop"]),
                ("Alex", TEST_SECOND_USER_KEY, []),
            ]
        ),
    )

    response = await send(hass, message="Dinner", recipients=["Pushover", "Alex"])

    [received] = simulator.messages
    assert received.users == [TEST_SECOND_USER_KEY]
    assert [item["status"] for item in response["deliveries"]] == ["refused", "sent"]
    assert response["request_id"] == received.request
    assert response["accepted"] == ["Alex"]
    assert response["refused"] == ["Pushover"]
    assert posts(simulator) == 2


async def test_nothing_sent_raises_the_first_refusal_after_trying_all(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """Both calls refused: the first call's own error, and both were tried."""
    await load(
        hass,
        entry_with(
            [
                ("Pushover", TEST_USER_KEY, ["laptop"]),
                ("Alex", TEST_SECOND_USER_KEY, ["phone"]),
            ]
        ),
    )

    with pytest.raises(ServiceValidationError) as raised:
        await send(hass, message="Dinner", recipients=["Pushover", "Alex"])

    assert raised.value.translation_key == "send_rejected"
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["errors"] == "device name is not valid for user"
    assert posts(simulator) == 2
    assert simulator.messages == []
