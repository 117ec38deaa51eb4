"""The receipts path's storage: a file per open emergency, migrated from 0.2.0."""

from datetime import UTC, datetime, timedelta
import errno
import json
from pathlib import Path
import shutil
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.receipts_model import (
    EmergencyState,
    TrackedReceipt,
)
from custom_components.pushover_plus.receipts_store import (
    ReceiptStore,
    decode_receipt,
    encode_receipt,
)
from custom_components.pushover_plus.recipients import Recipient
from custom_components.pushover_plus.records import RecordError
from custom_components.pushover_plus.spool import Spool
from pushover_simulator import TEST_SECOND_USER_KEY, TEST_USER_KEY

from . import send_emergency
from .conftest import SNAPSHOT_ENTRY_ID, SNAPSHOT_RECIPIENT_ID

ENTRY_ID = "01KFIXTURE0OUTBOX0VERSION1"
FIXTURE = Path(__file__).parent / "fixtures" / "outbox_0.2.0" / ".storage"
SENT = datetime(2026, 11, 26, 12, tzinfo=UTC)
RECEIPT = "r" * 30
FAMILY_ID = "01KFAMI1YRECIPIENT00000000"
PRIMARY = Recipient(
    id="primary", name="Pushover", user_key=TEST_USER_KEY, service_name="pushover"
)
FAMILY = Recipient(
    id=FAMILY_ID, name="Family", user_key=TEST_SECOND_USER_KEY, service_name="family"
)
RECIPIENTS = [PRIMARY, FAMILY]
# Tracked receipts as format 1 wrote them: an open one, and the latest.
FORMAT_1 = (
    Path(__file__).parent
    / "fixtures"
    / "records_format_1"
    / ".storage"
    / "pushover_plus_receipts"
    / SNAPSHOT_ENTRY_ID
)


def tracked(**changes: Any) -> TrackedReceipt:
    """Return a tracked receipt with every field set, changed as asked."""
    fields: dict[str, Any] = {
        "receipt": RECEIPT,
        "title": "Leak",
        "tags": ["leak"],
        "recipient_ids": ["primary"],
        "recipient_names": ["Pushover"],
        "sent_at": SENT,
        "expires_at": SENT + timedelta(hours=1),
        "uses_callback": True,
        "state": EmergencyState.ACKNOWLEDGED,
        "acknowledged_by": "Pushover",
        "acknowledged_by_device": "phone",
        "changed_at": SENT + timedelta(minutes=3),
    }
    return TrackedReceipt(**fields | changes)


def record(**changes: Any) -> bytes:
    """Return the stored record of `tracked()`, its fields changed as asked."""
    data = json.loads(encode_receipt(tracked())) | changes
    return json.dumps(data).encode()


def folder(hass: HomeAssistant, entry_id: str = ENTRY_ID) -> Path:
    """Return the entry's receipts folder."""
    return Path(hass.config.path(".storage", "pushover_plus_receipts", entry_id))


@pytest.mark.parametrize(
    "receipt",
    [tracked(), tracked(title=None, acknowledged_by=None, changed_at=None, tags=[])],
    ids=["every_field", "few_fields"],
)
def test_records_read_back_as_written(receipt: TrackedReceipt) -> None:
    """Every stored field survives; the poll time is not stored."""
    receipt.polled_at = SENT + timedelta(minutes=2)

    read = decode_receipt(encode_receipt(receipt), RECIPIENTS)

    assert read.polled_at is None
    read.polled_at = receipt.polled_at
    assert read == receipt


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{", "not valid JSON"),
        (record(format=3), "record format 3; this Pushover Plus reads 1 to 2"),
        (record(state="snoozed"), "its state 'snoozed' is not one of this version's"),
        (record(receipt="../x"), "its receipt is not 30 letters and digits"),
        (
            record(uses_callback="yes"),
            "the uses_callback of its record is not true or false",
        ),
        (record(callback=True), "unknown field(s) in its record: callback"),
        (record(polled_at="2026"), "unknown field(s) in its record: polled_at"),
        (
            record(sent_at="2026-11-26T12:00:00"),
            "the sent_at of its record has no time zone",
        ),
    ],
)
def test_records_not_written_by_this_version_are_refused(
    content: bytes, reason: str
) -> None:
    """Anything but a record as written is refused, saying why."""
    with pytest.raises(RecordError) as raised:
        decode_receipt(content, RECIPIENTS)

    assert str(raised.value) == reason


async def test_bad_files_are_set_aside_and_the_rest_load(hass: HomeAssistant) -> None:
    """A file that cannot be read never hides the other receipts."""
    spool = Spool(folder(hass))
    open_receipt = tracked(state=EmergencyState.PENDING, receipt="a" * 30)
    spool.write(f"{'a' * 30}.json", encode_receipt(open_receipt))
    spool.write(f"{'b' * 30}.json", record(format=9, receipt="b" * 30))
    spool.write(f"{'c' * 30}.json", encode_receipt(tracked(receipt="d" * 30)))
    spool.write("notes.json", b"{}")
    spool.write("last.json", encode_receipt(open_receipt))

    found = await ReceiptStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert found.open == [open_receipt]
    assert found.last is found.open[0]
    assert {path.name: reason for path, reason in found.set_aside.items()} == {
        f"{'b' * 30}.json.unreadable": (
            "record format 9; this Pushover Plus reads 1 to 2"
        ),
        f"{'c' * 30}.json.unreadable": "its receipt is not the one in its file name",
        "notes.json.unreadable": "not a tracked receipt's file name",
    }


async def test_a_closed_receipt_left_on_disk_is_deleted(hass: HomeAssistant) -> None:
    """A stop between a close and the file's deletion leaves no open receipt."""
    spool = Spool(folder(hass))
    spool.write(f"{RECEIPT}.json", encode_receipt(tracked()))

    found = await ReceiptStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert found.open == []
    assert not any(folder(hass).iterdir())


async def test_the_0_2_0_store_moves_into_the_folder(hass: HomeAssistant) -> None:
    """Both open receipts and the latest one, field for field."""
    storage = Path(hass.config.path(".storage"))
    shutil.copytree(FIXTURE, storage, dirs_exist_ok=True)
    legacy = storage / f"pushover_plus.receipts.{ENTRY_ID}"

    found = await ReceiptStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert not legacy.exists()
    assert found.set_aside == {}
    first, second = found.open
    assert first.receipt == "rFixtureReceipt000000000000001"
    assert (first.title, first.tags, first.uses_callback) == (
        "Kitchen",
        ["smoke"],
        False,
    )
    assert second.recipient_names == ["Pushover", "Family"]
    assert second.recipient_ids == ["primary", FAMILY_ID]
    assert second.title is None
    assert second.uses_callback is True
    assert found.last is second
    assert sorted(path.name for path in folder(hass).iterdir()) == [
        "last.json",
        "rFixtureReceipt000000000000001.json",
        "rFixtureReceipt000000000000002.json",
    ]


ALEX = FAMILY.replace(id=SNAPSHOT_RECIPIENT_ID, name="Alex")


@pytest.mark.parametrize(
    ("recipients", "ids"),
    [
        ([PRIMARY, ALEX], ["primary", SNAPSHOT_RECIPIENT_ID]),
        ([PRIMARY], ["primary"]),
        ([PRIMARY, ALEX.replace(name="Alexandra")], ["primary"]),
        ([PRIMARY, ALEX, FAMILY.replace(name="Alex")], ["primary"]),
    ],
    ids=["as_written", "alex_gone", "alex_renamed", "name_shared"],
)
async def test_format_1_receipts_find_their_recipients_ids(
    hass: HomeAssistant, recipients: list[Recipient], ids: list[str]
) -> None:
    """Receipts that named their recipients alone are read with their ids.

    A record of format 1 holds no user key: a name one recipient alone has
    is that recipient; a name no longer there, or shared, gives no id.
    """
    shutil.copytree(FORMAT_1, folder(hass))

    found = await ReceiptStore(hass, ENTRY_ID).async_load(recipients)

    [tracked_receipt] = found.open
    assert found.last is tracked_receipt
    assert found.set_aside == {}
    assert tracked_receipt.receipt == "rFormatOneReceipt0000000000001"
    assert tracked_receipt.recipient_names == ["Pushover", "Alex"]
    assert tracked_receipt.recipient_ids == ids
    assert tracked_receipt.uses_callback is True
    assert tracked_receipt.state is EmergencyState.PENDING


@pytest.mark.parametrize(
    "content",
    [b"garbage", b'{"data": {"open": null}}'],
    ids=["garbage", "open_null"],
)
async def test_an_unreadable_0_2_0_store_is_set_aside(
    hass: HomeAssistant, content: bytes
) -> None:
    """The old file is kept aside, named, and nothing else breaks."""
    storage = Path(hass.config.path(".storage"))
    storage.mkdir(parents=True, exist_ok=True)
    legacy = storage / f"pushover_plus.receipts.{ENTRY_ID}"
    legacy.write_bytes(content)

    found = await ReceiptStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert found.open == []
    [(aside, _reason)] = found.set_aside.items()
    assert aside.read_bytes() == content


async def test_an_unreadable_0_2_0_receipt_is_set_aside_alone(
    hass: HomeAssistant,
) -> None:
    """One bad receipt of the old store is kept aside; the others move."""
    storage = Path(hass.config.path(".storage"))
    shutil.copytree(FIXTURE, storage, dirs_exist_ok=True)
    legacy = storage / f"pushover_plus.receipts.{ENTRY_ID}"
    stored = json.loads(legacy.read_bytes())
    stored["data"]["open"][0]["state"] = "snoozed"
    legacy.write_text(json.dumps(stored))

    found = await ReceiptStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert [item.receipt for item in found.open] == ["rFixtureReceipt000000000000002"]
    assert list(found.set_aside.values()) == [
        "its state 'snoozed' is not one of this version's"
    ]


async def test_unreadable_receipts_are_named_at_setup(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """The entry loads; a repair notice names the file and why."""
    config_entry.add_to_hass(hass)
    Spool(folder(hass, config_entry.entry_id)).write(f"{'a' * 30}.json", b"{")

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"receipts_unreadable_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "not valid JSON" in issue.translation_placeholders["files"]


async def test_a_receipt_that_cannot_be_stored_is_still_tracked(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The message was sent: tracking goes on in memory, and the log says why."""
    with patch(
        "custom_components.pushover_plus.spool.os.open",
        side_effect=OSError(errno.EROFS, "Read-only file system"),
    ):
        receipt = await send_emergency(hass)
        await hass.async_block_till_done()

    assert [item.receipt for item in loaded_entry.runtime_data.receipts.open] == [
        receipt
    ]
    assert "Cannot store the tracked emergency messages" in caplog.text
    assert "Read-only file system" in caplog.text


async def test_writes_keep_their_order(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A slow first write is never overtaken by the deletion that follows it."""
    write = Spool.write
    started = threading.Event()
    release = threading.Event()

    def slow_first_write(spool: Spool, name: str, content: bytes) -> None:
        if not started.is_set():
            started.set()
            release.wait(timeout=10)
        write(spool, name, content)

    with patch.object(Spool, "write", slow_first_write):
        receipt = await send_emergency(hass)
        await hass.async_add_executor_job(started.wait)
        await hass.services.async_call(
            DOMAIN, "cancel_receipt", {"receipt": receipt}, blocking=True
        )
        release.set()
        await hass.async_block_till_done()

    files = sorted(path.name for path in folder(hass, loaded_entry.entry_id).iterdir())
    assert files == ["last.json"]
    last = json.loads((folder(hass, loaded_entry.entry_id) / "last.json").read_bytes())
    assert last["state"] == "cancelled"
