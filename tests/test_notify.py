"""The notify entity and the legacy `notify.<name>` action."""

from pathlib import Path
from typing import Any

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import homeassistant.util.dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.notify import async_get_service
from pushover_simulator import TEST_SECOND_USER_KEY, TEST_USER_KEY, PushoverSimulator

from . import snapshot_one_platform
from .conftest import SNAPSHOT_RECIPIENT_ID

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def test_entity_sends_message_and_title(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """`notify.send_message` sends to the entity's recipient and records it."""
    assert hass.states.get("notify.pushover").state == STATE_UNKNOWN  # type: ignore[union-attr]

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.pushover", "message": "Hello", "title": "Hi"},
        blocking=True,
    )

    received = simulator.messages[-1]
    assert (received.users, received.message, received.title) == (
        [TEST_USER_KEY],
        "Hello",
        "Hi",
    )
    assert hass.states.get("notify.pushover").state != STATE_UNKNOWN  # type: ignore[union-attr]


async def test_action_records_on_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A send through `pushover_plus.send_message` updates the entity too."""
    await hass.services.async_call(
        DOMAIN, "send_message", {"message": "Hello"}, blocking=True
    )

    assert hass.states.get("notify.pushover").state != STATE_UNKNOWN  # type: ignore[union-attr]


async def test_entities(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    """Each recipient's notify entity and device: the primary one and Alex."""
    await snapshot_one_platform(hass, entry_with_alex, Platform.NOTIFY, snapshot)


async def test_recipient_devices_are_reached_through_the_application(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry, api_base_url: str
) -> None:
    """Every recipient's device links to the application's device."""
    entry_with_alex.add_to_hass(hass)
    await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    application = registry.async_get_device_by_identifier(
        (DOMAIN, entry_with_alex.entry_id), entry_with_alex.entry_id
    )
    assert application is not None

    recipients = [
        device
        for device in dr.async_entries_for_config_entry(
            registry, entry_with_alex.entry_id
        )
        if device.id != application.id
    ]

    assert len(recipients) == 2
    assert {device.via_device_id for device in recipients} == {application.id}


async def test_legacy_action_accepts_builtin_data(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    tmp_path: Path,
) -> None:
    """Service data written for the built-in integration works unchanged."""
    picture = tmp_path / "snapshot.png"
    picture.write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    an_hour_ago = int(dt_util.utcnow().timestamp()) - 3600
    data: dict[str, Any] = {
        "url": "https://example.com",
        "url_title": "Example",
        "priority": 2,
        "retry": 30,
        "expire": 300,
        "callback_url": "https://example.com/callback",
        "timestamp": an_hour_ago,
        "sound": "pianobar",
        "html": 1,
        "ttl": 60,
        "tags": "door",
        "attachment": str(picture),
    }

    await hass.services.async_call(
        "notify",
        "pushover",
        {"message": "Door", "title": "Home", "target": ["phone"], "data": data},
        blocking=True,
    )

    received = simulator.messages[-1]
    assert received.devices == ["phone"]
    assert (received.message, received.title) == ("Door", "Home")
    assert (received.url, received.url_title) == ("https://example.com", "Example")
    assert (received.priority, received.retry, received.expire) == (2, 30, 300)
    assert received.callback == "https://example.com/callback"
    assert received.timestamp == an_hour_ago
    assert received.sound == "pianobar"
    assert received.html
    assert received.ttl == 60
    assert received.tags == ["door"]
    assert received.attachment == PNG


async def test_legacy_action_accepts_our_keys(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Monospace and device work in a legacy action's data too."""
    await hass.services.async_call(
        "notify",
        "pushover",
        {"message": "ok", "data": {"monospace": True, "device": "tablet"}},
        blocking=True,
    )

    received = simulator.messages[-1]
    assert received.monospace
    assert received.devices == ["tablet"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"colour": "red"}, "unknown_data_key"),
        ({"message": "twice"}, "unknown_data_key"),
    ],
)
async def test_legacy_action_refuses_bad_data(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    data: Any,
    key: str,
) -> None:
    """Data that means nothing is refused, naming the allowed keys."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "pushover", {"message": "x", "data": data}, blocking=True
        )

    assert err.value.translation_key == key
    assert simulator.messages == []


async def test_recipient_subentry_gets_entity_and_legacy_action(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Each recipient has its own entity and `notify.<name>` action."""
    entry_with_alex.add_to_hass(hass)
    await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()

    await hass.services.async_call("notify", "alex", {"message": "A"}, blocking=True)
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alex", "message": "B"},
        blocking=True,
    )

    assert [(m.users, m.devices, m.message) for m in simulator.messages] == [
        ([TEST_SECOND_USER_KEY], ["laptop"], "A"),
        ([TEST_SECOND_USER_KEY], ["laptop"], "B"),
    ]


async def test_targets_in_both_places_are_merged(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A top-level `target` and one inside `data` both name devices."""
    await hass.services.async_call(
        "notify",
        "pushover",
        {"message": "ok", "target": ["phone"], "data": {"target": "watch"}},
        blocking=True,
    )

    assert simulator.messages[-1].devices == ["phone", "watch"]


async def test_yaml_platform_gets_no_service(hass: HomeAssistant) -> None:
    """The legacy action comes only from a config entry, never from YAML."""
    assert await async_get_service(hass, {}, None) is None
    assert await async_get_service(hass, {}, {"entry_id": "gone"}) is None


async def test_removed_recipient_takes_its_device_along(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Removing a recipient removes its device and entity; the others stay."""
    entry_with_alex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry_with_alex.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_remove_subentry(
        entry_with_alex, SNAPSHOT_RECIPIENT_ID
    )
    await hass.async_block_till_done()

    devices = dr.async_entries_for_config_entry(
        device_registry, entry_with_alex.entry_id
    )
    assert sorted(device.name or "" for device in devices) == [
        "Pushover",
        "Pushover app",
    ]
    assert entity_registry.async_get("notify.alex") is None
    assert hass.states.get("notify.alex") is None
    assert not hass.services.has_service("notify", "alex")
    assert hass.services.has_service("notify", "pushover")
