"""Diagnostics, redacted and checked against a snapshot."""

import aiohttp
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from pushover_simulator import PushoverSimulator

from .conftest import SECRETS, inbox_secrets
from .inbox_helpers import capture_messages, send, until


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics match the snapshot and hold no token or key."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    # The simulator's quota resets at the start of next month.
    assert diagnostics == snapshot(exclude=props("reset"))
    assert not any(secret in str(diagnostics) for secret in SECRETS)


async def test_inbox_diagnostics_show_counts_and_no_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_inbox: MockConfigEntry,
    simulator: PushoverSimulator,
    http: aiohttp.ClientSession,
    snapshot: SnapshotAssertion,
) -> None:
    """An inbox's diagnostics: its connection and counts, nothing it received."""
    events = capture_messages(hass)
    await send(http, simulator, title="Door", message="The front door opened.")
    await until(lambda: len(events) == 1, "the event")

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_inbox
    )

    # Syncs asked for while one runs are merged: their count varies.
    assert diagnostics == snapshot(exclude=props("syncs"))
    assert isinstance(diagnostics["syncs"], int)
    assert diagnostics["syncs"] >= 1
    text = str(diagnostics)
    assert "The front door opened." not in text
    assert not any(secret in text for secret in inbox_secrets(simulator))
