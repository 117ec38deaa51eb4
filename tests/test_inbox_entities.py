"""The inbox's entities as syrupy snapshots: registry entries and states."""

from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

from . import SNAPSHOT_TIME
from .inbox_helpers import capture_messages, send, until, until_listening


@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
)
async def test_entities_after_a_message(
    hass: HomeAssistant,
    platform: Platform,
    freezer: FrozenDateTimeFactory,
    inbox_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    api_base_url: str,
    http: aiohttp.ClientSession,
    snapshot: SnapshotAssertion,
) -> None:
    """Event, last message and connection, once a message arrived; the device."""
    freezer.move_to(SNAPSHOT_TIME)
    inbox_entry.add_to_hass(hass)
    # One platform at a time, as snapshot_platform asks.
    with patch(f"custom_components.{DOMAIN}.inbox_setup.INBOX_PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(inbox_entry.entry_id)
    await until_listening(simulator, inbox_entry)
    events = capture_messages(hass)
    await send(http, simulator, title="Washing machine", message="The laundry is done.")
    await until(lambda: len(events) == 1, "the event")
    await hass.async_block_till_done()

    await snapshot_platform(hass, er.async_get(hass), snapshot, inbox_entry.entry_id)
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), inbox_entry.entry_id
    )
    assert devices == snapshot(name="devices")
