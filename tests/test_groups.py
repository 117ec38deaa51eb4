"""Delivery groups: their sensors, the five actions, and what a group message costs.

The simulator serves Pushover's Groups API with its rules; its test group
holds the test user (the primary recipient, "Pushover"), the second user
("Alex") and a member who is no recipient.
"""

from collections.abc import Iterator
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigSubentryDataWithId
from homeassistant.const import CONF_NAME, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.api import (
    PushoverClient,
    PushoverTemporaryError,
    UserInfo,
)
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    DEFAULT_MONTHLY_LIMIT,
    TEST_APP_TOKEN,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_NAME,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from . import SNAPSHOT_TIME, run_timers, send, snapshot_one_platform
from .conftest import PRIMARY_DATA, SNAPSHOT_ENTRY_ID, SNAPSHOT_RECIPIENT_ID

pytestmark = pytest.mark.usefixtures("api_base_url")

GROUP_ID = "01KGR0UPRECIP1ENTH0MEA1ERT"
NAME = "sensor.home_alerts_group_name"
MEMBERS = "sensor.home_alerts_members"
GROUP_PATH = f"/1/groups/{TEST_GROUP_KEY}.json"


def recipient(
    subentry_id: str, title: str, user_key: str, *, is_group: bool | None
) -> ConfigSubentryDataWithId:
    """Describe a recipient subentry; `is_group` None leaves it unknown."""
    data: dict[str, Any] = {
        CONF_USER_KEY: user_key,
        CONF_DEVICES: [],
        CONF_SERVICE_NAME: title.lower().replace(" ", "_"),
    }
    if is_group is not None:
        data[CONF_IS_GROUP] = is_group
    return ConfigSubentryDataWithId(
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_RECIPIENT,
        title=title,
        data=data,
        unique_id=None,
    )


def entry_with(*subentries: ConfigSubentryDataWithId) -> MockConfigEntry:
    """Return the test application's entry with these recipients."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        entry_id=SNAPSHOT_ENTRY_ID,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        subentries_data=list(subentries),
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


ALEX = recipient(SNAPSHOT_RECIPIENT_ID, "Alex", TEST_SECOND_USER_KEY, is_group=False)
HOME_ALERTS = recipient(GROUP_ID, "Home alerts", TEST_GROUP_KEY, is_group=True)


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set an entry up against the simulator."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def group_entry(hass: HomeAssistant) -> MockConfigEntry:
    """Load the entry with Alex and the group recipient "Home alerts"."""
    return await load(hass, entry_with(ALEX, HOME_ALERTS))


def state(hass: HomeAssistant, entity_id: str) -> State:
    """Return an entity's state."""
    found = hass.states.get(entity_id)
    assert found is not None
    return found


async def change(hass: HomeAssistant, action: str, **data: Any) -> None:
    """Call one of the group actions."""
    await hass.services.async_call(DOMAIN, action, data, blocking=True)


def group_reads(simulator: PushoverSimulator, key: str = TEST_GROUP_KEY) -> int:
    """Count the reads of a group's details."""
    return sum(record.path == f"/1/groups/{key}.json" for record in simulator.requests)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Register every entity enabled, as core's tests do for their snapshots."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor with the group's two, and the devices, as the platform has them."""
    freezer.move_to(SNAPSHOT_TIME)

    await snapshot_one_platform(
        hass, entry_with(ALEX, HOME_ALERTS), Platform.SENSOR, snapshot
    )


async def test_sensors_show_the_group_without_keys(
    hass: HomeAssistant, group_entry: MockConfigEntry
) -> None:
    """Name, count, and each member's recipient, device, memo and state; no key."""
    assert state(hass, NAME).state == TEST_GROUP_NAME
    members = state(hass, MEMBERS)
    assert members.state == "3"
    assert members.attributes["enabled_members"] == 3
    assert members.attributes["members"] == [
        {"recipient": "Pushover", "device": None, "memo": "", "disabled": False},
        {"recipient": "Alex", "device": None, "memo": "", "disabled": False},
        {"recipient": None, "device": None, "memo": "", "disabled": False},
    ]
    for key in (TEST_USER_KEY, TEST_SECOND_USER_KEY, TEST_GROUP_MEMBER_KEY):
        assert key not in str(members.attributes)
    # Users only: the group recipient has none of the user-recipient entities.
    assert hass.states.get("sensor.alex_members") is None


async def test_someone_away_is_disabled_and_gets_nothing(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Disabled by recipient name: the group's message goes to the two others.

    Pushover counts one message per member reached, and the quota sensors
    follow what its answer says.
    """
    await change(hass, "disable_group_user", user="Alex")

    assert state(hass, MEMBERS).attributes["enabled_members"] == 2
    assert simulator.groups[TEST_GROUP_KEY].members[1].disabled
    await send(hass, recipients=["Home alerts"], message="Window open")

    [message] = simulator.messages
    assert [route.user for route in message.routes] == [
        TEST_USER_KEY,
        TEST_GROUP_MEMBER_KEY,
    ]
    assert simulator.remaining == DEFAULT_MONTHLY_LIMIT - 2
    assert state(hass, "sensor.pushover_app_remaining_messages").state == str(
        DEFAULT_MONTHLY_LIMIT - 2
    )

    await change(hass, "enable_group_user", group="Home alerts", user="Alex")
    await send(hass, recipients=["Home alerts"], message="Door open")

    assert state(hass, MEMBERS).attributes["enabled_members"] == 3
    assert len(simulator.messages[-1].routes) == 3
    assert state(hass, "sensor.pushover_app_remaining_messages").state == str(
        DEFAULT_MONTHLY_LIMIT - 5
    )


async def test_add_on_one_device_with_a_memo_then_remove(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A user key given as is, a device and a memo; removed from that device."""
    await change(
        hass,
        "add_group_user",
        user=TEST_USER_KEY,
        device="watch",
        memo="On call: watch only",
    )

    members = state(hass, MEMBERS)
    assert members.state == "4"
    assert members.attributes["members"][-1] == {
        "recipient": "Pushover",
        "device": "watch",
        "memo": "On call: watch only",
        "disabled": False,
    }

    await change(hass, "remove_group_user", user="Pushover", device="watch")

    assert state(hass, MEMBERS).state == "3"
    assert [member.device for member in simulator.groups[TEST_GROUP_KEY].members] == [
        None,
        None,
        None,
    ]


async def test_rename(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The group's name changes at Pushover, and its sensor with it."""
    await change(hass, "rename_group", name="  Home alerts (holiday) ")

    assert simulator.groups[TEST_GROUP_KEY].name == "Home alerts (holiday)"
    assert state(hass, NAME).state == "Home alerts (holiday)"


async def test_every_mistake_is_named_at_once(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Four mistakes, one translated error; Pushover is not asked."""
    before = len(simulator.requests)

    with pytest.raises(ServiceValidationError) as caught:
        await change(
            hass,
            "add_group_user",
            user="Bob",
            device="two words",
            memo="x" * 201,
            colour="red",
        )

    assert caught.value.translation_key == "fields_invalid"
    placeholders = caught.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["count"] == "4"
    for text in (
        "• Unknown field colour. Allowed: config_entry_id, device, group, memo, user",
        'The device name "two words" is not valid',
        "The memo has 201 characters; Pushover allows at most 200",
        (
            "The user must be the name of one of this application's recipients "
            "(Pushover, Alex) or a 30-character user key"
        ),
    ):
        assert text in placeholders["errors"]
    assert len(simulator.requests) == before


@pytest.mark.parametrize(
    ("action", "data", "key", "placeholders"),
    [
        ("rename_group", {"name": " "}, "group_name_empty", {}),
        ("rename_group", {}, "group_name_empty", {}),
        (
            "rename_group",
            {"name": "tab\tname"},
            "control_character",
            {"field": "name", "position": "4", "code": "0009"},
        ),
        (
            "disable_group_user",
            {"user": "Alex", "group": "Alex"},
            "not_a_group_recipient",
            {"group": "Alex", "groups": "Home alerts"},
        ),
        (
            "disable_group_user",
            {"user": "Home alerts"},
            "group_user_invalid",
            {"recipients": "Pushover, Alex"},
        ),
        (
            "disable_group_user",
            {"user": 12},
            "group_user_invalid",
            {"recipients": "Pushover, Alex"},
        ),
        (
            "disable_group_user",
            {"user": "Alex", "group": ["Home alerts"]},
            "invalid_type_text",
            {"field": "group"},
        ),
        (
            "disable_group_user",
            {"user": "Alex", "device": ["phone"]},
            "invalid_type_device_name",
            {"field": "device"},
        ),
        (
            "add_group_user",
            {"user": "Alex", "memo": 5},
            "invalid_type_text",
            {"field": "memo"},
        ),
        (
            "rename_group",
            {"name": 5},
            "invalid_type_text",
            {"field": "name"},
        ),
    ],
    ids=[
        "blank_name",
        "no_name",
        "tab_in_name",
        "user_as_group",
        "group_as_user",
        "user_not_text",
        "group_not_text",
        "two_devices",
        "memo_not_text",
        "name_not_text",
    ],
)
async def test_one_mistake_names_its_field(
    hass: HomeAssistant,
    group_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A single mistake is its own translated error."""
    with pytest.raises(ServiceValidationError) as caught:
        await change(hass, action, **data)

    assert caught.value.translation_key == key
    assert caught.value.translation_placeholders == placeholders


async def test_the_group_must_be_one_of_the_entrys(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Without a group recipient there is nothing to change, said so."""
    with pytest.raises(ServiceValidationError) as caught:
        await change(hass, "disable_group_user", user="Pushover")

    assert caught.value.translation_key == "no_group_recipient"


async def test_two_groups_must_be_told_apart(hass: HomeAssistant) -> None:
    """With two group recipients, the action names which."""
    subscribers = recipient(
        "01KSUBSCR1BERSGR0UP0000000",
        "Subscribers",
        TEST_SUBSCRIBERS_GROUP_KEY,
        is_group=True,
    )
    await load(hass, entry_with(HOME_ALERTS, subscribers))

    with pytest.raises(ServiceValidationError) as caught:
        await change(hass, "rename_group", name="Everyone")

    assert caught.value.translation_key == "group_required"
    assert caught.value.translation_placeholders == {
        "groups": "Home alerts, Subscribers"
    }
    await change(hass, "rename_group", group="Subscribers", name="Everyone")
    assert state(hass, "sensor.subscribers_group_name").state == "Everyone"


async def test_pushovers_refusal_comes_back_with_its_text(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Pushover's own text and request id; the group's key is in neither."""
    await change(hass, "remove_group_user", user="Alex")

    with pytest.raises(ServiceValidationError) as caught:
        await change(hass, "remove_group_user", user="Alex")

    assert caught.value.translation_key == "group_change_refused"
    placeholders = caught.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["group"] == "Home alerts"
    assert placeholders["change"] == "remove_user"
    assert placeholders["errors"] == "user is not a member of this group"
    assert placeholders["request_id"] != "-"
    assert TEST_GROUP_KEY not in str(placeholders)


async def test_an_unreachable_pushover_is_said_without_the_key(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx fails the action, naming the endpoint without the group's key."""
    simulator.faults.fail_next = 1

    with pytest.raises(HomeAssistantError) as caught:
        await change(hass, "disable_group_user", user="Alex")

    assert caught.value.translation_key == "group_change_failed"
    placeholders = caught.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["error"] == (
        "Pushover answered HTTP 503 to groups/<group>/disable_user.json"
    )
    assert not simulator.groups[TEST_GROUP_KEY].members[1].disabled


async def test_a_refused_token_is_said(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A refused token fails the action with the reauthentication text."""
    simulator.faults.reject_token = True

    with pytest.raises(HomeAssistantError) as caught:
        await change(hass, "enable_group_user", user="Alex")

    assert caught.value.translation_key == "authentication_failed"


async def test_the_group_is_read_hourly_and_unavailable_when_it_cannot_be(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    group_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Changes made elsewhere show within the hour; a failed read is unavailable."""
    reads = group_reads(simulator)
    simulator.groups[TEST_GROUP_KEY].name = "Renamed on pushover.net"

    await run_timers(hass, freezer, 3600)

    assert group_reads(simulator) == reads + 1
    assert state(hass, NAME).state == "Renamed on pushover.net"

    # The limits and the group are read in the same second: both fail.
    simulator.faults.fail_next = 2
    await run_timers(hass, freezer, 3600)
    assert state(hass, NAME).state == STATE_UNAVAILABLE
    assert state(hass, MEMBERS).state == STATE_UNAVAILABLE

    await run_timers(hass, freezer, 3600)
    assert state(hass, NAME).state == "Renamed on pushover.net"


async def test_a_group_of_another_account_stays_unavailable(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Pushover refuses to show a group to another account's app: unavailable."""
    entry = await load(hass, entry_with(HOME_ALERTS))
    coordinator = entry.runtime_data.groups[GROUP_ID]
    simulator.state.directory.groups.pop(TEST_GROUP_KEY)

    await coordinator.async_refresh()

    assert not coordinator.last_update_success
    assert state(hass, NAME).state == STATE_UNAVAILABLE


async def test_a_group_primary_key_has_the_sensors_too(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """An entry whose primary key is a group learns it at setup and reads it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        minor_version=ENTRY_MINOR_VERSION,
        data={**PRIMARY_DATA, CONF_USER_KEY: TEST_GROUP_KEY},
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )
    await load(hass, entry)

    assert entry.data[CONF_IS_GROUP] is True
    assert state(hass, "sensor.pushover_members").state == "3"


async def test_recipients_from_before_groups_are_asked_once(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A recipient stored without the flag is asked at one setup, then known."""
    unknown = recipient(GROUP_ID, "Home alerts", TEST_GROUP_KEY, is_group=None)
    entry = entry_with(ALEX, unknown)
    validate = PushoverClient.validate_user

    async def down_for_the_group(
        client: PushoverClient, user: str, device: str | None = None
    ) -> UserInfo:
        if user == TEST_GROUP_KEY:
            msg = "Pushover answered HTTP 503 to users/validate.json"
            raise PushoverTemporaryError(msg)
        return await validate(client, user, device)

    with patch.object(PushoverClient, "validate_user", down_for_the_group):
        await load(hass, entry)
    assert CONF_IS_GROUP not in entry.subentries[GROUP_ID].data
    assert hass.states.get(MEMBERS) is None

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.subentries[GROUP_ID].data[CONF_IS_GROUP] is True
    assert state(hass, MEMBERS).state == "3"
    validations = sum(
        record.path == "/1/users/validate.json" for record in simulator.requests
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    # Only the primary key is asked again: the group is known now.
    assert (
        sum(record.path == "/1/users/validate.json" for record in simulator.requests)
        == validations + 1
    )


async def test_every_change_is_read_back_at_once(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Each change costs its call and one read; the sensors follow each."""
    reads = group_reads(simulator)

    for _ in range(3):
        await change(hass, "disable_group_user", user="Alex")
        assert state(hass, MEMBERS).attributes["enabled_members"] == 2
        await change(hass, "enable_group_user", user="Alex")
        assert state(hass, MEMBERS).attributes["enabled_members"] == 3

    assert group_reads(simulator) == reads + 6


async def test_an_empty_memo_is_no_memo_and_a_line_break_is_refused(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A memo is one line; left empty, the member has none."""
    with pytest.raises(ServiceValidationError) as caught:
        await change(hass, "add_group_user", user=TEST_USER_KEY, memo="a\nb")
    assert caught.value.translation_key == "control_character"

    await change(hass, "add_group_user", user=TEST_USER_KEY, device="phone", memo="")

    assert simulator.groups[TEST_GROUP_KEY].members[-1].memo == ""


async def test_an_empty_group_is_asked_again_not_called_a_user(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Pushover says "no active devices" of an empty group: it stays unknown."""
    unknown = recipient(
        GROUP_ID, "Subscribers", TEST_SUBSCRIBERS_GROUP_KEY, is_group=None
    )
    entry = await load(hass, entry_with(unknown))

    assert CONF_IS_GROUP not in entry.subentries[GROUP_ID].data
    assert hass.states.get("sensor.subscribers_members") is None


async def test_reconfiguring_a_group_keeps_it_a_group_with_its_subscription(
    hass: HomeAssistant, group_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The group's flag and its subscription survive a reconfigure."""
    link = f"{simulator.root_url}subscribe/{TEST_GROUP_SUBSCRIPTION_CODE}"
    flow = hass.config_entries.subentries
    result = await flow.async_init(
        (group_entry.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": GROUP_ID},
    )
    result = await flow.async_configure(
        result["flow_id"], {CONF_NAME: "Home alerts", CONF_USER_KEY: TEST_GROUP_KEY}
    )
    assert result["step_id"] == "group_subscription"
    result = await flow.async_configure(
        result["flow_id"], {CONF_SUBSCRIPTION_URL: link}
    )
    assert result["step_id"] == "share_subscription"
    result = await flow.async_configure(result["flow_id"], {"qr_code": link})
    assert result["step_id"] == "devices"
    result = await flow.async_configure(result["flow_id"], {CONF_DEVICES: []})
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    data = group_entry.subentries[GROUP_ID].data
    assert (data[CONF_IS_GROUP], data[CONF_SUBSCRIPTION_URL]) == (True, link)
    assert state(hass, MEMBERS).state == "3"
