"""Helpers of the inbox tests: a device at the simulator, its entry, waiting.

The inbox runs in background tasks of its entry, talking to the simulator
over real HTTP and a real WebSocket, so a test waits for what it expects to
happen: `until` gives the event loop turns (never a clock, which `freezer`
may hold still) until a condition holds.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_KIND,
    CONF_SECRET,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_KIND_INBOX,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.pushover_plus.data import InboxRuntimeData, inbox_unique_id
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_EMAIL,
    TEST_PASSWORD,
    TEST_USER_KEY,
    PushoverSimulator,
)

# The inbox entry whose entities are snapshotted (ULID-shaped).
INBOX_ENTRY_ID: Final = "01KPUSH0VERP1US1NB0XENTRY0"
DEVICE_NAME: Final = "HomeAssistant"
# Loop turns before `until` gives up: far more than any wait here needs.
MAX_TURNS: Final = 500_000


@dataclass(frozen=True, slots=True)
class InboxDevice:
    """A device registered at the simulator: what an inbox entry stores."""

    user_key: str
    secret: str
    device_id: str
    name: str

    def data(self) -> dict[str, str]:
        """Return the entry's data."""
        return {
            CONF_ENTRY_KIND: ENTRY_KIND_INBOX,
            CONF_USER_KEY: self.user_key,
            CONF_SECRET: self.secret,
            CONF_DEVICE_ID: self.device_id,
            CONF_DEVICE_NAME: self.name,
        }


async def register_device(
    simulator: PushoverSimulator,
    name: str = DEVICE_NAME,
    email: str = TEST_EMAIL,
    password: str = TEST_PASSWORD,
) -> InboxDevice:
    """Log in and register a device at the simulator, as the flow does."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            simulator.base_url + "users/login.json",
            data={"email": email, "password": password},
        ) as response:
            login = await response.json()
        async with session.post(
            simulator.base_url + "devices.json",
            data={"secret": login["secret"], "name": name, "os": "O"},
        ) as response:
            device = await response.json()
    return InboxDevice(login["id"], login["secret"], device["id"], name)


def inbox_config_entry(
    device: InboxDevice,
    *,
    entry_id: str = INBOX_ENTRY_ID,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Return an inbox entry for a registered device."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover inbox",
        entry_id=entry_id,
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=device.data(),
        options=options or {},
        unique_id=inbox_unique_id(device.device_id),
    )


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run until `condition` holds; fail if it never does."""
    for _ in range(MAX_TURNS):
        if condition():
            return
        await asyncio.sleep(0)
    msg = f"never happened: {what}"
    raise AssertionError(msg)


def runtime_of(entry: MockConfigEntry) -> InboxRuntimeData:
    """Return a loaded inbox entry's runtime data."""
    runtime: InboxRuntimeData = entry.runtime_data
    return runtime


async def until_listening(
    simulator: PushoverSimulator, entry: MockConfigEntry, syncs: int = 1
) -> None:
    """Wait until the inbox is logged in at the push server and has synced."""
    device_id = entry.data[CONF_DEVICE_ID]
    runtime = runtime_of(entry)
    await until(
        lambda: (
            device_id in simulator.open_client.connections
            and runtime.inbox.connected
            and runtime.sync.syncs >= syncs
        ),
        "the inbox logged in and synced",
    )


def capture_messages(hass: HomeAssistant) -> list[Event]:
    """Collect the pushover_plus_message_received events."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


async def send(
    session: aiohttp.ClientSession, simulator: PushoverSimulator, **fields: str
) -> dict[str, Any]:
    """Send a message to the test user through the API; return Pushover's answer."""
    data = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, **fields}
    async with session.post(simulator.base_url + "messages.json", data=data) as reply:
        body: dict[str, Any] = await reply.json()
    assert body["status"] == 1, body
    return body


def pending(simulator: PushoverSimulator, entry: MockConfigEntry) -> list[int]:
    """Return the ids the simulator still holds for the inbox's device."""
    device = simulator.open_client.devices[entry.data[CONF_DEVICE_ID]]
    return [queued.id for queued in simulator.open_client.pending(device)]
