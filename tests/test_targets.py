"""`pushover_plus.send_message` with a target: notify entities, devices, areas.

Every send goes over real HTTP to the simulator, which refuses a key it does
not know; a refused target reaches Pushover not at all.
"""

from typing import Any

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    PRIMARY_RECIPIENT_ID,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from . import send

# Entry ids in the order the entries send: a target's entries go by id.
FIRST_ENTRY_ID = "01KPUSH0VERP1USENTRYAAAAAA"
SECOND_ENTRY_ID = "01KPUSH0VERP1USENTRYBBBBBB"
BEA_ID = "01KPUSH0VERP1USRECIPBEA000"
CAI_ID = "01KPUSH0VERP1USRECIPCA1000"
# A key of Pushover's shape that the simulated account does not have.
UNKNOWN_KEY = "u" + "9" * 29


def recipient_data(
    subentry_id: str, name: str, user_key: str
) -> ConfigSubentryDataWithId:
    """Describe a recipient without default devices."""
    return ConfigSubentryDataWithId(
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_RECIPIENT,
        title=name,
        data={CONF_USER_KEY: user_key, CONF_SERVICE_NAME: name.lower()},
        unique_id=None,
    )


def pushover_entry(
    entry_id: str, token: str, name: str, *recipients: ConfigSubentryDataWithId
) -> MockConfigEntry:
    """Return an entry of the test account whose primary recipient is `name`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=name,
        entry_id=entry_id,
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data={
            CONF_NAME: name,
            CONF_API_TOKEN: token,
            CONF_USER_KEY: TEST_USER_KEY,
            CONF_SERVICE_NAME: name.lower(),
        },
        subentries_data=list(recipients),
        unique_id=token_unique_id(token),
    )


async def load(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Set the entries up against the simulator."""
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def notify_entity(hass: HomeAssistant, entry_id: str, recipient_id: str) -> str:
    """Return the notify entity of one recipient."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "notify", DOMAIN, f"{entry_id}_{recipient_id}_message"
    )
    assert entity_id is not None
    return entity_id


def recipient_device(hass: HomeAssistant, entry_id: str, recipient_id: str) -> str:
    """Return the device id of one recipient."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{entry_id}_{recipient_id}"), entry_id
    )
    assert device is not None
    return device.id


@pytest.fixture
async def household(hass: HomeAssistant, api_base_url: str) -> MockConfigEntry:
    """Load one entry: Ada (primary) and Bea, neither with default devices."""
    entry = pushover_entry(
        FIRST_ENTRY_ID,
        TEST_APP_TOKEN,
        "Ada",
        recipient_data(BEA_ID, "Bea", TEST_SECOND_USER_KEY),
    )
    await load(hass, entry)
    return entry


async def test_entities_of_one_entry_share_one_call(
    hass: HomeAssistant, household: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Two notify entities of one entry, without devices, make one API call."""
    ada = notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID)
    bea = notify_entity(hass, FIRST_ENTRY_ID, BEA_ID)

    response = await send(hass, message="Dinner is ready", entity_id=[bea, ada])

    [received] = simulator.messages
    assert received.users == [TEST_USER_KEY, TEST_SECOND_USER_KEY]
    assert received.message == "Dinner is ready"
    assert response["deliveries"] == [
        {
            "config_entry_id": FIRST_ENTRY_ID,
            "entity_ids": [ada, bea],
            "recipients": ["Ada", "Bea"],
            "recipient_ids": [PRIMARY_RECIPIENT_ID, BEA_ID],
            "status": "sent",
            "request_id": received.request,
            "receipt": None,
            "queued_id": None,
            "queue_position": None,
            "queued_reason": None,
            "errors": [],
        }
    ]
    assert response["request_id"] == received.request
    assert response["accepted_entities"] == [ada, bea]
    assert response["refused_entities"] == []
    # The entity records the send, as when it is called itself.
    state = hass.states.get(bea)
    assert state is not None
    assert state.state != "unknown"


async def test_device_target_sends_to_its_recipient(
    hass: HomeAssistant, household: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A recipient's device stands for its notify entity."""
    bea = notify_entity(hass, FIRST_ENTRY_ID, BEA_ID)

    response = await send(
        hass,
        message="Parcel at the door",
        priority="emergency",
        device_id=recipient_device(hass, FIRST_ENTRY_ID, BEA_ID),
    )

    [received] = simulator.messages
    assert received.users == [TEST_SECOND_USER_KEY]
    assert response["accepted_entities"] == [bea]
    assert response["receipt"] == received.receipt
    assert response["deliveries"][0]["receipt"] == received.receipt


async def test_area_target_sends_to_the_recipients_in_it(
    hass: HomeAssistant, household: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An area holding a recipient's device reaches that recipient alone."""
    hall = ar.async_get(hass).async_create("Hall")
    devices = dr.async_get(hass)
    devices.async_update_device(
        recipient_device(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID), area_id=hall.id
    )
    # The application's device holds sensors: no recipient of its own.
    application = devices.async_get_device_by_identifier(
        (DOMAIN, FIRST_ENTRY_ID), FIRST_ENTRY_ID
    )
    assert application is not None
    devices.async_update_device(application.id, area_id=hall.id)

    response = await send(hass, message="Lights left on", area_id=hall.id)

    [received] = simulator.messages
    assert received.users == [TEST_USER_KEY]
    assert response["accepted_entities"] == [
        notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID)
    ]


async def test_target_across_entries_sends_with_each_application(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """Each entry sends its share with its own token; the response says which."""
    first = pushover_entry(FIRST_ENTRY_ID, TEST_APP_TOKEN, "Ada")
    second = pushover_entry(
        SECOND_ENTRY_ID,
        TEST_OTHER_APP_TOKEN,
        "Cottage",
        recipient_data(CAI_ID, "Cai", TEST_SECOND_USER_KEY),
    )
    await load(hass, first, second)
    ada = notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID)
    cai = notify_entity(hass, SECOND_ENTRY_ID, CAI_ID)

    response = await send(hass, message="Storm tonight", entity_id=[cai, ada])

    assert [(item.token, item.users) for item in simulator.messages] == [
        (TEST_APP_TOKEN, [TEST_USER_KEY]),
        (TEST_OTHER_APP_TOKEN, [TEST_SECOND_USER_KEY]),
    ]
    assert [
        (call["config_entry_id"], call["entity_ids"], call["request_id"])
        for call in response["deliveries"]
    ] == [
        (FIRST_ENTRY_ID, [ada], simulator.messages[0].request),
        (SECOND_ENTRY_ID, [cai], simulator.messages[1].request),
    ]


@pytest.fixture
async def one_entry_refuses(hass: HomeAssistant, api_base_url: str) -> tuple[str, str]:
    """Load two entries; the second's only recipient has a key Pushover refuses."""
    first = pushover_entry(FIRST_ENTRY_ID, TEST_APP_TOKEN, "Ada")
    second = pushover_entry(
        SECOND_ENTRY_ID,
        TEST_OTHER_APP_TOKEN,
        "Cottage",
        recipient_data(CAI_ID, "Cai", UNKNOWN_KEY),
    )
    await load(hass, first, second)
    return (
        notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID),
        notify_entity(hass, SECOND_ENTRY_ID, CAI_ID),
    )


async def test_entry_refused_after_another_sent_is_reported(
    hass: HomeAssistant,
    one_entry_refuses: tuple[str, str],
    simulator: PushoverSimulator,
) -> None:
    """The response names who got it and who did not, by entity."""
    ada, cai = one_entry_refuses

    response = await send(hass, message="Storm tonight", entity_id=[ada, cai])

    assert [item.users for item in simulator.messages] == [[TEST_USER_KEY]]
    assert response["accepted_entities"] == [ada]
    assert response["refused_entities"] == [cai]
    assert response["refused"] == ["Cai"]
    assert response["refused_ids"] == [CAI_ID]
    refused = response["deliveries"][1]
    assert (refused["status"], refused["config_entry_id"]) == (
        "refused",
        SECOND_ENTRY_ID,
    )
    assert refused["errors"]


async def test_entry_refused_after_another_sent_raises_without_response(
    hass: HomeAssistant,
    one_entry_refuses: tuple[str, str],
    simulator: PushoverSimulator,
) -> None:
    """A caller that takes no response hears of the partial send by an error."""
    with pytest.raises(HomeAssistantError) as partly:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"message": "Storm tonight", "entity_id": list(one_entry_refuses)},
            blocking=True,
        )

    assert partly.value.translation_key == "send_partly_refused"
    assert (partly.value.translation_placeholders or {})["refused"] == "Cai"
    assert len(simulator.messages) == 1


async def test_mistake_found_while_sending_stops_every_entry(
    hass: HomeAssistant,
    one_entry_refuses: tuple[str, str],
    simulator: PushoverSimulator,
) -> None:
    """A camera that is not there fails the first entry's send: none goes out."""
    with pytest.raises(ServiceValidationError) as refused:
        await send(
            hass,
            message="Motion",
            attachment_entity="camera.nowhere",
            entity_id=list(one_entry_refuses),
        )

    assert refused.value.translation_key == "attachment_entity_not_found"
    assert simulator.messages == []


def bad_targets(hass: HomeAssistant) -> dict[str, tuple[dict[str, Any], str, str]]:
    """Name each kind of bad target: its data, error key and placeholder value."""
    ada = notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID)
    hass.states.async_set("notify.elsewhere", "unknown")
    empty = ar.async_get(hass).async_create("Attic")
    quota = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{FIRST_ENTRY_ID}_messages_remaining"
    )
    return {
        "unknown entity": (
            {"entity_id": "notify.nobody"},
            "target_unknown",
            "notify.nobody",
        ),
        "unknown device": ({"device_id": "nodevice"}, "target_unknown", "nodevice"),
        "unknown area": ({"area_id": "noarea"}, "target_unknown", "noarea"),
        "another integration's": (
            {"entity_id": "notify.elsewhere"},
            "target_not_ours",
            "notify.elsewhere",
        ),
        "our sensor": ({"entity_id": str(quota)}, "target_not_ours", str(quota)),
        "empty area": ({"area_id": empty.id}, "target_without_recipients", empty.id),
        "with recipients": (
            {"entity_id": ada, "recipients": ["Ada"]},
            "target_with_recipients",
            "recipients",
        ),
        "with an entry": (
            {"entity_id": ada, "config_entry_id": FIRST_ENTRY_ID},
            "target_with_recipients",
            "config_entry_id",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown entity",
        "unknown device",
        "unknown area",
        "another integration's",
        "our sensor",
        "empty area",
        "with recipients",
        "with an entry",
    ],
)
async def test_bad_target_is_refused_before_any_request(
    hass: HomeAssistant,
    household: MockConfigEntry,
    simulator: PushoverSimulator,
    case: str,
) -> None:
    """A translated error names the target; Pushover hears nothing."""
    data, key, named = bad_targets(hass)[case]
    requests_before = len(simulator.requests)

    with pytest.raises(ServiceValidationError) as refused:
        await send(hass, message="Hello", **data)

    assert refused.value.translation_key == key
    assert named in (refused.value.translation_placeholders or {}).values()
    assert len(simulator.requests) == requests_before


async def test_every_bad_target_is_named_at_once(
    hass: HomeAssistant, household: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An unknown id and an entity not ours are refused in one error."""
    hass.states.async_set("notify.elsewhere", "unknown")

    with pytest.raises(ServiceValidationError) as refused:
        await send(
            hass,
            message="Hello",
            entity_id=["notify.elsewhere", "notify.nobody"],
            device_id="nodevice",
        )

    assert refused.value.translation_key == "fields_invalid"
    placeholders = refused.value.translation_placeholders or {}
    assert placeholders["count"] == "2"
    assert "nodevice, notify.nobody" in placeholders["errors"]
    assert "notify.elsewhere" in placeholders["errors"]
    assert simulator.messages == []


async def test_target_of_an_unloaded_entry_is_refused(
    hass: HomeAssistant, household: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """An entry that is not loaded cannot send: Home Assistant says so."""
    ada = notify_entity(hass, FIRST_ENTRY_ID, PRIMARY_RECIPIENT_ID)
    assert await hass.config_entries.async_unload(household.entry_id)

    with pytest.raises(ServiceValidationError) as refused:
        await send(hass, message="Hello", entity_id=ada)

    assert refused.value.translation_key == "service_config_entry_not_loaded"
    assert simulator.messages == []
