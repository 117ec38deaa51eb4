"""Shared fixtures: the Pushover simulator, config entries and secret checks."""

from collections.abc import AsyncIterator, Iterator
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import (
    ConfigSubentryDataWithId,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    ENV_API_BASE_URL,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from .inbox_helpers import (
    InboxDevice,
    inbox_config_entry,
    register_device,
    until_listening,
)

# Fixed ids for the entry whose entities are snapshotted (ULID-shaped).
SNAPSHOT_ENTRY_ID = "01KPUSH0VERP1USENTRY000000"
SNAPSHOT_RECIPIENT_ID = "01KPUSH0VERP1USRECIP1ENT00"
HARNESS_STORAGE_LOGGER = "pytest_homeassistant_custom_component.common"
TRANSLATIONS = json.loads(
    (
        Path(__file__).parent.parent
        / "custom_components"
        / DOMAIN
        / "translations"
        / "en.json"
    ).read_text(encoding="utf-8")
)
# The test application's entry as this version stores it: its primary
# recipient, named Pushover, sends with notify.pushover.
PRIMARY_DATA = {
    CONF_NAME: "Pushover",
    CONF_API_TOKEN: TEST_APP_TOKEN,
    CONF_USER_KEY: TEST_USER_KEY,
    CONF_SERVICE_NAME: "pushover",
}
# The test's simulator, for the secret-leak check to know its inboxes.
SIMULATOR_KEY: pytest.StashKey[PushoverSimulator] = pytest.StashKey()
# Message texts shorter than this are not looked for in the log.
MIN_CHECKED_TEXT = 6
SECRETS = (
    TEST_APP_TOKEN,
    TEST_OTHER_APP_TOKEN,
    TEST_USER_KEY,
    TEST_SECOND_USER_KEY,
    TEST_GROUP_KEY,
    TEST_NO_DEVICE_USER_KEY,
    # End-to-end encryption keys, in either case the app may show them.
    *(
        key
        for secret in (TEST_ENCRYPTION_KEY, TEST_SECOND_ENCRYPTION_KEY)
        for key in (secret.lower(), secret.upper())
    ),
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give every test a configuration directory of its own.

    The outbox keeps each queued message in a real file under `.storage`, so
    tests must not share one directory.
    """
    return hass_tmp_config_dir


def inbox_secrets(simulator: PushoverSimulator) -> set[str]:
    """Return what an inbox must never log.

    The simulator's session secrets and device ids, and the texts of every
    message its Open Client devices could receive. Texts of a few characters
    are left out: they occur in any log.
    """
    open_client = simulator.open_client
    secrets = set(open_client.sessions) | set(open_client.devices)
    receivers = {device.user for device in open_client.devices.values()}
    for message in simulator.messages:
        if receivers.isdisjoint(route.user for route in message.routes):
            continue
        texts = (message.message, message.title, message.url, message.url_title)
        secrets.update(text for text in texts if text and len(text) >= MIN_CHECKED_TEXT)
    return secrets


@pytest.fixture(autouse=True)
def no_secrets_in_logs(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Fail a test whose log records or logged exceptions show a secret.

    The secrets: every token and key, encryption keys too (one in the log
    would undo end-to-end encryption), and (when the test runs the
    simulator) every inbox's session secret, device id and received text.
    """
    # The harness's storage mock logs whatever is stored at debug level (the
    # outbox keeps the keys of queued messages); Home Assistant's real store
    # does not. Formatting those records made large queues slow to test.
    caplog.set_level(logging.INFO, logger=HARNESS_STORAGE_LOGGER)
    # Last: set_level also sets the capturing handler's level, which must let
    # our debug records through.
    caplog.set_level(logging.DEBUG, logger="custom_components.pushover_plus")
    yield
    secrets = set(SECRETS)
    # The simulator is stopped by now, but its state stays readable.
    simulator = request.node.stash.get(SIMULATOR_KEY, None)
    if simulator is not None:
        secrets |= inbox_secrets(simulator)
    for record in caplog.get_records("call") + caplog.get_records("setup"):
        if record.name == HARNESS_STORAGE_LOGGER:
            continue
        text = record.getMessage() + (record.exc_text or "")
        if record.exc_info and record.exc_info[1] is not None:
            text += repr(record.exc_info[1]) + str(record.exc_info[1])
        for secret in secrets:
            assert secret not in text, f"a secret reached the log: {record.name}"


def _error_texts(flow: FlowHandler[Any, Any, Any]) -> dict[str, str]:
    """Return the translated form errors of the flow's kind."""
    if isinstance(flow, ConfigSubentryFlow):
        _entry_id, subentry_type = flow.handler
        texts: dict[str, str] = TRANSLATIONS["config_subentries"][subentry_type].get(
            "error", {}
        )
        return texts
    section = "options" if isinstance(flow, OptionsFlow) else "config"
    errors: dict[str, str] = TRANSLATIONS[section].get("error", {})
    return errors


@pytest.fixture(autouse=True)
def form_errors_belong_to_the_form() -> Iterator[None]:
    """Fail a test whose flow shows an error the user cannot see.

    An error is shown beside its field, so a field the form lacks hides it;
    "base" shows above the form. Every error needs its translated text.
    """
    show_form = FlowHandler.async_show_form

    def checked(self: FlowHandler[Any, Any, Any], **kwargs: Any) -> Any:
        errors: dict[str, str] = kwargs.get("errors") or {}
        schema = kwargs.get("data_schema")
        fields = {str(key) for key in schema.schema} if schema is not None else set()
        hidden = set(errors) - fields - {"base"}
        assert not hidden, f"{kwargs.get('step_id')}: errors on missing fields {hidden}"
        untranslated = set(errors.values()) - set(_error_texts(self))
        assert not untranslated, f"untranslated form errors {untranslated}"
        return show_form(self, **kwargs)

    with patch.object(FlowHandler, "async_show_form", checked):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise Home Assistant's objects as core's tests do.

    The harness offers the same fixture, but syrupy's own, registered after
    it, wins: without this one a registry entry is stored as its repr, with
    its random id and creation time. Snapshots go to tests/snapshots/.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def simulator(
    socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncIterator[PushoverSimulator]:
    """Run the Pushover simulator on loopback for one test."""
    simulator = PushoverSimulator()
    await simulator.start(host="127.0.0.1", port=0)
    # For the secret-leak check, which ends after this fixture.
    request.node.stash[SIMULATOR_KEY] = simulator
    yield simulator
    await simulator.stop()


@pytest.fixture
def api_base_url(simulator: PushoverSimulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the integration at the simulator."""
    monkeypatch.setenv(ENV_API_BASE_URL, simulator.base_url)
    return simulator.base_url


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """Return an entry for the simulator's test application and user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


@pytest.fixture
def entry_with_alex() -> MockConfigEntry:
    """Return the test application's entry with a second recipient, Alex.

    Its ids are fixed: the unique ids of its entities and devices hold them,
    and the entity snapshots show those.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        entry_id=SNAPSHOT_ENTRY_ID,
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        subentries_data=[
            ConfigSubentryDataWithId(
                subentry_id=SNAPSHOT_RECIPIENT_ID,
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alex",
                data={
                    CONF_USER_KEY: TEST_SECOND_USER_KEY,
                    CONF_DEVICES: ["laptop"],
                    CONF_SERVICE_NAME: "alex",
                },
                unique_id=None,
            )
        ],
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> MockConfigEntry:
    """Set up the entry against the simulator, its background reads done."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return config_entry


@pytest.fixture
async def inbox_device(simulator: PushoverSimulator) -> InboxDevice:
    """Register the inbox's device for the test user at the simulator."""
    return await register_device(simulator)


@pytest.fixture
def inbox_entry(inbox_device: InboxDevice) -> MockConfigEntry:
    """Return an inbox entry for the registered device, with fixed ids."""
    return inbox_config_entry(inbox_device)


@pytest.fixture
async def loaded_inbox(
    hass: HomeAssistant,
    inbox_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    api_base_url: str,
) -> MockConfigEntry:
    """Set the inbox up; return once it listens at the push server."""
    inbox_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(inbox_entry.entry_id)
    await hass.async_block_till_done()
    await until_listening(simulator, inbox_entry)
    return inbox_entry


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session for the test's own requests (a sender's)."""
    async with aiohttp.ClientSession() as session:
        yield session
