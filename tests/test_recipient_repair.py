"""The repair notices of recipients: no device yet, a kept legacy action."""

from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    PRIMARY_RECIPIENT_ID,
)
from pushover_simulator import (
    TEST_NO_DEVICE_EMAIL,
    TEST_NO_DEVICE_PASSWORD,
    TEST_NO_DEVICE_USER_KEY,
    PushoverSimulator,
)

from . import advance
from .conftest import SNAPSHOT_RECIPIENT_ID
from .simulator.inbox import log_in, register

pytestmark = pytest.mark.usefixtures("api_base_url")

HOUR = 3600


def _validations(simulator: PushoverSimulator) -> int:
    return sum(r.path == "/1/users/validate.json" for r in simulator.requests)


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def newcomer_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Load the test application with a primary key that has no device yet."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        minor_version=config_entry.minor_version,
        data={**config_entry.data, CONF_USER_KEY: TEST_NO_DEVICE_USER_KEY},
        unique_id=config_entry.unique_id,
    )
    await _load(hass, entry)
    return entry


# A primary key that no device is logged in with


async def test_no_devices_notice_until_a_device_logs_in(
    hass: HomeAssistant,
    newcomer_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The entry loads with a notice; Pushover is asked hourly until a device is."""
    issue_id = f"no_active_devices_{newcomer_entry.entry_id}"
    issue = _issue(hass, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "recipient": "Pushover",
        "name": "Pushover",
    }
    checks = _validations(simulator)

    await advance(hass, freezer, HOUR, step=600)
    assert _validations(simulator) == checks + 1
    assert _issue(hass, issue_id) is not None

    async with aiohttp.ClientSession() as session:
        secret = await log_in(
            session, simulator, TEST_NO_DEVICE_EMAIL, TEST_NO_DEVICE_PASSWORD
        )
        await register(session, simulator, secret, "desk")
    await advance(hass, freezer, HOUR, step=600)

    assert _issue(hass, issue_id) is None
    # Nothing more to ask once the device is there.
    await advance(hass, freezer, 2 * HOUR, step=600)
    assert _validations(simulator) == checks + 2


async def test_no_devices_recheck_while_pushover_is_down(
    hass: HomeAssistant,
    newcomer_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A recheck that fails keeps the notice and asks again an hour later."""
    # The hourly quota read fails too: both calls of the first hour fail.
    simulator.faults.fail_next = 2
    checks = _validations(simulator)

    await advance(hass, freezer, 2 * HOUR, step=600)

    assert _issue(hass, f"no_active_devices_{newcomer_entry.entry_id}") is not None
    assert _validations(simulator) == checks + 2


async def test_no_devices_notice_ends_with_the_entry(
    hass: HomeAssistant,
    newcomer_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading removes the notice and its recheck."""
    assert await hass.config_entries.async_unload(newcomer_entry.entry_id)
    checks = _validations(simulator)

    await advance(hass, freezer, 2 * HOUR, step=600)

    assert _issue(hass, f"no_active_devices_{newcomer_entry.entry_id}") is None
    assert _validations(simulator) == checks


# A renamed recipient whose legacy action kept its name


async def _fix(hass: HomeAssistant, issue_id: str) -> dict[str, Any]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, context={"issue_id": issue_id})
    return dict(result)


async def _confirm(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    done = dict(await manager.async_configure(result["flow_id"], {}))
    await hass.async_block_till_done()
    return done


async def _rename_alex(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> None:
    hass.config_entries.async_update_subentry(
        entry, entry.subentries[SNAPSHOT_RECIPIENT_ID], title=name
    )
    await hass.async_block_till_done()


async def test_renamed_recipient_moves_its_action_when_fixed(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """The fix moves notify.alex to notify.alex_smith, and the notice goes."""
    await _load(hass, entry_with_alex)
    await _rename_alex(hass, entry_with_alex, "Alex Smith")
    issue_id = f"legacy_action_kept_{entry_with_alex.entry_id}_{SNAPSHOT_RECIPIENT_ID}"
    assert _issue(hass, issue_id) is not None
    assert hass.services.has_service(Platform.NOTIFY, "alex")

    result = await _fix(hass, issue_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {
        "recipient": "Alex Smith",
        "action": "alex",
        "new_action": "alex_smith",
    }
    result = await _confirm(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = entry_with_alex.subentries[SNAPSHOT_RECIPIENT_ID]
    assert subentry.data[CONF_SERVICE_NAME] == "alex_smith"
    assert hass.services.has_service(Platform.NOTIFY, "alex_smith")
    assert not hass.services.has_service(Platform.NOTIFY, "alex")
    assert _issue(hass, issue_id) is None


async def test_renamed_primary_recipient_moves_its_action_when_fixed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The primary recipient, renamed in the entry's reconfigure, moves too."""
    reconfigure = await loaded_entry.start_reconfigure_flow(hass)
    await hass.config_entries.flow.async_configure(
        reconfigure["flow_id"],
        {CONF_NAME: "Ada", CONF_USER_KEY: loaded_entry.data[CONF_USER_KEY]},
    )
    await hass.async_block_till_done()
    issue_id = f"legacy_action_kept_{loaded_entry.entry_id}_{PRIMARY_RECIPIENT_ID}"

    result = await _confirm(hass, await _fix(hass, issue_id))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.data[CONF_SERVICE_NAME] == "ada"
    assert hass.services.has_service(Platform.NOTIFY, "ada")
    assert not hass.services.has_service(Platform.NOTIFY, "pushover")


async def test_fix_refused_when_the_new_action_is_taken(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """Alex renamed Pushover cannot take the primary recipient's action."""
    await _load(hass, entry_with_alex)
    await _rename_alex(hass, entry_with_alex, "Pushover")
    issue_id = f"legacy_action_kept_{entry_with_alex.entry_id}_{SNAPSHOT_RECIPIENT_ID}"

    result = await _fix(hass, issue_id)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "action_taken"
    assert result["description_placeholders"] == {"action": "pushover"}
    assert _issue(hass, issue_id) is not None


async def test_fix_of_a_recipient_removed_meanwhile(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """A recipient removed while its fix was open ends the fix, said why."""
    await _load(hass, entry_with_alex)
    await _rename_alex(hass, entry_with_alex, "Alex Smith")
    issue_id = f"legacy_action_kept_{entry_with_alex.entry_id}_{SNAPSHOT_RECIPIENT_ID}"
    result = await _fix(hass, issue_id)
    await hass.config_entries.async_remove(entry_with_alex.entry_id)

    result = await _confirm(hass, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "recipient_gone"


async def test_kept_action_notices_follow_their_recipients(
    hass: HomeAssistant, entry_with_alex: MockConfigEntry
) -> None:
    """A notice goes when the name matches again, or the recipient or entry goes."""
    await _load(hass, entry_with_alex)
    issue_id = f"legacy_action_kept_{entry_with_alex.entry_id}_{SNAPSHOT_RECIPIENT_ID}"
    await _rename_alex(hass, entry_with_alex, "Alex Smith")
    assert _issue(hass, issue_id) is not None

    await _rename_alex(hass, entry_with_alex, "ALEX")
    assert _issue(hass, issue_id) is None

    await _rename_alex(hass, entry_with_alex, "Alex Smith")
    hass.config_entries.async_remove_subentry(entry_with_alex, SNAPSHOT_RECIPIENT_ID)
    await hass.async_block_till_done()
    assert _issue(hass, issue_id) is None

    await _rename_primary_and_remove(hass, entry_with_alex)


async def _rename_primary_and_remove(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_NAME: "Ada"})
    await hass.async_block_till_done()
    issue_id = f"legacy_action_kept_{entry.entry_id}_{PRIMARY_RECIPIENT_ID}"
    assert _issue(hass, issue_id) is not None

    await hass.config_entries.async_remove(entry.entry_id)

    assert _issue(hass, issue_id) is None
