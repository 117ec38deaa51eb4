"""`pushover_plus.get_receipt`: an emergency message's status on demand."""

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    EVENT_ACKNOWLEDGED,
    SUBENTRY_RECIPIENT,
)
from pushover_simulator import TEST_GROUP_KEY, TEST_GROUP_MEMBER_KEY, PushoverSimulator

from . import receipt_reads, send_emergency

UNKNOWN_RECEIPT = "u" * 30


def iso(timestamp: float) -> str:
    """Return a Unix time as the response writes it."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


async def get_receipt(hass: HomeAssistant, receipt: str) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "get_receipt",
        {"receipt": receipt},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_open_emergency(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushover's answer, with the times as ISO strings; followed here."""
    receipt = await send_emergency(hass, retry=30, expire=600)
    freezer.tick(timedelta(seconds=31))

    status = await get_receipt(hass, receipt)

    sent = simulator.receipts[receipt]
    assert status == {
        "receipt": receipt,
        "followed": True,
        "acknowledged": False,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "acknowledged_by_device": None,
        "last_delivered_at": status["last_delivered_at"],
        "expired": False,
        "expires_at": status["expires_at"],
        "called_back": False,
        "called_back_at": None,
    }
    assert status["expires_at"] == iso(sent.expires_at)
    assert status["last_delivered_at"] == iso(sent.created_at + 30)
    assert len(receipt_reads(simulator)) == 1


async def test_asked_again_within_five_seconds(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A receipt is read at most once every 5 seconds, as Pushover asks.

    Within them the last answer is given again; after them Pushover is asked.
    """
    receipt = await send_emergency(hass)
    first = await get_receipt(hass, receipt)
    freezer.tick(timedelta(seconds=4))

    assert await get_receipt(hass, receipt) == first
    assert len(receipt_reads(simulator)) == 1

    freezer.tick(timedelta(seconds=1))
    await get_receipt(hass, receipt)
    assert len(receipt_reads(simulator)) == 2


async def test_poll_answers_too(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The tracker's own poll of a moment ago answers, without another read."""
    receipt = await send_emergency(hass)
    freezer.tick(timedelta(seconds=5))
    await tracker_read(hass, loaded_entry)
    assert len(receipt_reads(simulator)) == 1

    await get_receipt(hass, receipt)

    assert len(receipt_reads(simulator)) == 1


async def tracker_read(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Let the tracker poll what is due now."""
    entry.runtime_data.receipts._schedule()
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_acknowledgement_closes_it_here_too(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An answer that says acknowledged closes the followed receipt, with its event.

    The user key becomes the recipient's name.
    """
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    receipt = await send_emergency(hass)
    await simulator.acknowledge(receipt, device="tablet")
    freezer.tick(timedelta(seconds=5))

    status = await get_receipt(hass, receipt)

    assert status["acknowledged"] is True
    assert status["acknowledged_by"] == "Pushover"
    assert status["acknowledged_by_device"] == "tablet"
    assert status["acknowledged_at"] is not None
    assert status["followed"] is False
    assert [event.data["receipt"] for event in acknowledged] == [receipt]
    assert loaded_entry.runtime_data.receipts.open == []


async def test_closed_receipt_is_read_from_pushover(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A receipt no longer followed (cancelled here) is still Pushover's to tell."""
    receipt = await send_emergency(hass)
    await hass.services.async_call(
        DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
    )
    freezer.tick(timedelta(seconds=5))

    status = await get_receipt(hass, receipt)

    assert status["followed"] is False
    assert status["acknowledged"] is False
    assert len(receipt_reads(simulator)) == 1


async def test_unknown_receipt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A receipt Pushover does not know for this application is refused, named."""
    with pytest.raises(ServiceValidationError) as raised:
        await get_receipt(hass, UNKNOWN_RECEIPT)

    assert raised.value.translation_key == "receipt_not_found"
    assert raised.value.translation_placeholders == {"receipt": UNKNOWN_RECEIPT}


async def test_followed_receipt_pushover_lost(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A followed receipt Pushover forgot is refused, and the tracker learns it."""
    receipt = await send_emergency(hass)
    simulator.reset()

    with pytest.raises(ServiceValidationError):
        await get_receipt(hass, receipt)
    freezer.tick(timedelta(seconds=5))
    await tracker_read(hass, loaded_entry)

    assert loaded_entry.runtime_data.receipts.open == []


async def test_pushover_down(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A 5xx is reported with its reason; the receipt stays followed."""
    receipt = await send_emergency(hass)
    simulator.faults.fail_next = 1

    with pytest.raises(HomeAssistantError) as raised:
        await get_receipt(hass, receipt)

    assert raised.value.translation_key == "receipt_read_failed"
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["receipt"] == receipt
    assert "503" in placeholders["error"]
    assert len(loaded_entry.runtime_data.receipts.open) == 1


async def test_token_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A refused token asks for reauthentication, as every action does."""
    receipt = await send_emergency(hass)
    simulator.faults.reject_token = True

    with pytest.raises(HomeAssistantError) as raised:
        await get_receipt(hass, receipt)

    assert raised.value.translation_key == "authentication_failed"


async def test_group_member_is_not_named_by_key(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A group's member who is no recipient acknowledged: no key is shown."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        version=config_entry.version,
        minor_version=config_entry.minor_version,
        data=config_entry.data,
        unique_id=config_entry.unique_id,
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_RECIPIENT,
                title="Family",
                data={
                    CONF_USER_KEY: TEST_GROUP_KEY,
                    CONF_DEVICES: [],
                    CONF_SERVICE_NAME: "family",
                },
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    receipt = await send_emergency(hass, recipients=["Family"])
    await simulator.acknowledge(receipt, user=TEST_GROUP_MEMBER_KEY, device="pager")

    status = await get_receipt(hass, receipt)

    assert status["acknowledged"] is True
    assert status["acknowledged_by"] is None
    assert status["acknowledged_by_device"] == "pager"
    assert TEST_GROUP_MEMBER_KEY not in str(status)
