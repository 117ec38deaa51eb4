"""`pushover_plus.send_message` end to end against the simulator."""

from datetime import UTC, datetime
from pathlib import Path

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir, service
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.recipients import Recipient
from pushover_simulator import (
    TEST_GROUP_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from . import send

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def test_every_field_reaches_pushover(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Each field arrives under its Pushover name, with its value."""
    response = await send(
        hass,
        message="<b>Door</b> open",
        title="Front door",
        device=["phone", "tablet"],
        html=True,
        priority="emergency",
        retry=45,
        expire=600,
        callback_url="https://example.com/acknowledged",
        tags=["door", "alarm"],
        sound="siren",
        timestamp="2026-11-26T12:00:00+00:00",
        url="https://example.com/door",
        url_title="Camera",
    )

    received = simulator.messages[-1]
    assert received.users == [TEST_USER_KEY]
    assert received.message == "<b>Door</b> open"
    assert received.title == "Front door"
    assert received.devices == ["phone", "tablet"]
    assert received.html
    assert not received.monospace
    assert (received.priority, received.retry, received.expire) == (2, 45, 600)
    assert received.callback == "https://example.com/acknowledged"
    assert received.tags == ["door", "alarm"]
    assert received.sound == "siren"
    assert received.timestamp == int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())
    assert received.url == "https://example.com/door"
    assert received.url_title == "Camera"
    assert response["request_id"] == received.request
    assert response["receipt"] == received.receipt
    assert received.receipt is not None
    assert response["deliveries"] == [
        {
            "recipients": ["Pushover"],
            "recipient_ids": ["primary"],
            "status": "sent",
            "request_id": received.request,
            "receipt": received.receipt,
            "queued_id": None,
            "queue_position": None,
            "queued_reason": None,
            "errors": [],
        }
    ]
    assert response["queued"] is False
    assert response["accepted"] == ["Pushover"]
    assert response["refused"] == []


async def test_monospace_and_ttl(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Monospace and a time to live are passed on; no receipt without emergency."""
    response = await send(hass, message="12:00 ok", monospace=True, ttl=3600)

    received = simulator.messages[-1]
    assert received.monospace
    assert received.ttl == 3600
    assert received.priority == 0
    assert response["receipt"] is None


async def test_emergency_uses_option_defaults(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Options fill the sound, priority, devices and emergency timing."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options={
            CONF_DEVICES: ["watch"],
            CONF_SOUND: "bugle",
            CONF_PRIORITY: "emergency",
            CONF_RETRY: 120.0,
            CONF_EXPIRE: 1800.0,
        },
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await send(hass, message="Smoke")

    received = simulator.messages[-1]
    assert (received.priority, received.retry, received.expire) == (2, 120, 1800)
    assert received.sound == "bugle"
    assert received.devices == ["watch"]


async def test_emergency_without_timing_uses_builtin_defaults(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Without options, an emergency repeats every 60 s for an hour."""
    await send(hass, message="Water leak", priority=2)

    received = simulator.messages[-1]
    assert (received.retry, received.expire) == (60, 3600)


@pytest.fixture
def entry_with_recipients(config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the test entry with a second user and a group as recipients."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        data=config_entry.data,
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alex",
                data={CONF_USER_KEY: TEST_SECOND_USER_KEY, CONF_DEVICES: []},
                unique_id=None,
            ),
            ConfigSubentryData(
                subentry_type=SUBENTRY_RECIPIENT,
                title="Family",
                data={CONF_USER_KEY: TEST_GROUP_KEY, CONF_DEVICES: []},
                unique_id=None,
            ),
        ],
    )


async def test_recipients_share_one_call(
    hass: HomeAssistant,
    entry_with_recipients: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Recipients with the same devices go out in one API call."""
    entry_with_recipients.add_to_hass(hass)
    await hass.config_entries.async_setup(entry_with_recipients.entry_id)
    await hass.async_block_till_done()

    response = await send(
        hass, message="Dinner", recipients=["Pushover", "Alex", "Family"]
    )

    assert len(simulator.messages) == 1
    assert simulator.messages[0].users == [
        TEST_USER_KEY,
        TEST_SECOND_USER_KEY,
        TEST_GROUP_KEY,
    ]
    assert response["deliveries"][0]["recipients"] == ["Pushover", "Alex", "Family"]


async def test_recipients_with_own_devices_get_own_call(
    hass: HomeAssistant,
    entry_with_recipients: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A recipient's default devices need a call of their own."""
    entry_with_recipients.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry_with_recipients, options={CONF_DEVICES: ["phone"]}
    )
    await hass.config_entries.async_setup(entry_with_recipients.entry_id)
    await hass.async_block_till_done()

    response = await send(hass, message="Dinner", recipients=["Pushover", "Alex"])

    assert [(m.users, m.devices) for m in simulator.messages] == [
        ([TEST_USER_KEY], ["phone"]),
        ([TEST_SECOND_USER_KEY], []),
    ]
    assert len(response["deliveries"]) == 2


async def test_unknown_recipient_sends_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A recipient name the entry does not have is refused before sending."""
    sent_before = len(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", recipients=["Nobody"])

    assert err.value.translation_key == "unknown_recipient"
    assert err.value.translation_placeholders == {
        "recipient": "Nobody",
        "known": "Pushover",
    }
    assert len(simulator.requests) == sent_before


async def test_a_shared_name_is_refused_and_an_id_picks_one(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Names are for people and may be shared; the id says whom a send is for."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        data=config_entry.data,
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alex",
                data={CONF_USER_KEY: key, CONF_DEVICES: []},
                unique_id=None,
            )
            for key in (TEST_SECOND_USER_KEY, TEST_GROUP_KEY)
        ],
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    first, second = entry.subentries
    sent_before = len(simulator.requests)

    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", recipients=["Alex"])

    assert err.value.translation_key == "recipient_name_shared"
    assert err.value.translation_placeholders == {
        "recipient": "Alex",
        "ids": f"{first}, {second}",
    }
    assert len(simulator.requests) == sent_before

    response = await send(hass, message="Hi", recipients=[second])

    assert [message.users for message in simulator.messages] == [[TEST_GROUP_KEY]]
    assert response["accepted"] == ["Alex"]
    assert response["accepted_ids"] == [second]
    assert response["deliveries"][0]["recipient_ids"] == [second]


def test_a_recipient_is_shown_without_its_secrets() -> None:
    """Its key and subscription link stay out of logs and tracebacks."""
    recipient = Recipient(
        id="01KALEXRECIPIENT0000000000",
        name="Alex",
        user_key=TEST_SECOND_USER_KEY,
        service_name="alex",
        subscription_url="https://pushover.net/subscribe/secret",
    )

    assert repr(recipient) == (
        "Recipient(devices=(), id='01KALEXRECIPIENT0000000000', is_group=False, "
        "name='Alex', service_name='alex', subentry_id=None)"
    )


async def test_invalid_field_sends_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Validation happens before any request."""
    sent_before = len(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", title="t" * 251)

    assert err.value.translation_key == "title_too_long"
    assert "250" in str(err.value)
    assert len(simulator.requests) == sent_before


async def test_long_message_is_cut(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A message over 1024 characters arrives cut to 1024."""
    await send(hass, message="x" * 2000)

    assert len(simulator.messages[-1].message) == 1024


async def test_pushover_refusal_keeps_its_text(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 4xx is reported with Pushover's own error text and request id."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", device="fridge")

    assert err.value.translation_key == "send_rejected"
    placeholders = err.value.translation_placeholders
    assert placeholders is not None
    assert "device name is not valid for user" in placeholders["errors"]
    assert len(placeholders["request_id"]) == 36


async def test_quota_exhausted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 429 says until when the quota is used up."""
    simulator.set_remaining(0)

    with pytest.raises(HomeAssistantError) as err:
        await send(hass, message="Hi")

    assert err.value.translation_key == "quota_exceeded"


async def test_server_error_queues(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx queues the message; the response says so and names its place."""
    simulator.faults.fail_next = 1

    response = await send(hass, message="Hi")

    assert response["queued"] is True
    assert response["queued_reason"] == "pushover_unreachable"
    assert response["request_id"] is None
    [delivery] = response["deliveries"]
    assert delivery["queue_position"] == 1
    assert delivery["queued_id"]
    assert delivery["queued_reason"] == "pushover_unreachable"
    assert len(loaded_entry.runtime_data.sender.outbox) == 1


async def test_refused_token_queues_and_starts_reauth(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A token refused while sending keeps the message and starts reauth."""
    simulator.faults.reject_token = True

    response = await send(hass, message="Hi")
    await hass.async_block_till_done()

    assert response["queued"] is True
    assert response["queued_reason"] == "token_refused"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    notice = f"token_refused_{loaded_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, notice)
    assert issue is not None
    assert issue.translation_placeholders == {"name": loaded_entry.title}
    # A second message waits for the same reason; the notice says it once.
    second = await send(hass, message="Again")
    assert second["queued_reason"] == "token_refused"

    # The token works again (as after a reauth): the reloaded entry sees it.
    simulator.faults.reject_token = False
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert ir.async_get(hass).async_get_issue(DOMAIN, notice) is None
    assert [message.message for message in simulator.messages] == ["Hi", "Again"]


async def test_file_attachment_is_multipart(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    tmp_path: Path,
) -> None:
    """An allowed image file is uploaded as a multipart file part."""
    picture = tmp_path / "snapshot.png"
    picture.write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    await send(hass, message="Motion", attachment=str(picture))

    received = simulator.messages[-1]
    assert received.encoding == "multipart"
    assert received.attachment == PNG
    assert received.attachment_type == "image/png"
    assert received.attachment_filename == "snapshot.png"


async def test_entry_not_loaded(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """An unloaded entry is named in the error."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", config_entry_id=loaded_entry.entry_id)

    assert err.value.translation_key == "service_config_entry_not_loaded"


async def test_recipient_named_twice_gets_one_message(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Naming a recipient twice (by name and by id) sends to it once."""
    await send(hass, message="Hi", recipients=["Pushover", "primary"])

    assert simulator.messages[-1].users == [TEST_USER_KEY]


async def test_a_misspelt_action_field_is_named_with_its_nearest(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The action's own fields are listed, and the nearest one is suggested."""
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, message="Hello", recipent=["Family"])

    error = caught.value
    assert error.translation_key == "unknown_data_key_near"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["near"] == "recipients"
    allowed = error.translation_placeholders["allowed"].split(", ")
    assert {"config_entry_id", "recipients", "message", "attachment"} <= set(allowed)
    assert simulator.messages == []


async def test_the_action_reports_every_mistake_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Missing message, a bad priority and an unknown field: one error."""
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, priority="urgent", colour="red")

    assert caught.value.translation_key == "fields_invalid"
    assert str(caught.value).startswith("Invalid fields (3):\n• Unknown field")
    assert "The field message must be text" in str(caught.value)
    assert simulator.messages == []


async def test_the_action_form_is_grouped_in_sections(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Home Assistant reads services.yaml with its sections, rarely used ones folded."""
    descriptions = await service.async_get_all_descriptions(hass)

    fields = descriptions[DOMAIN]["send_message"]["fields"]
    assert list(fields) == [
        "config_entry_id",
        "recipients",
        "message",
        "title",
        "delivery",
        "emergency",
        "link",
        "attachments",
    ]
    assert fields["delivery"]["collapsed"] is False
    assert all(
        fields[name]["collapsed"] for name in ("emergency", "link", "attachments")
    )
    assert "priority" in fields["delivery"]["fields"]
    assert "attachment_entity" in fields["attachments"]["fields"]
