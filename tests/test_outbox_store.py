"""The outbox's storage: its record format, unreadable files, the 0.2.0 migration."""

from datetime import UTC, datetime
import json
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest

from custom_components.pushover_plus.api import Attachment, Message
from custom_components.pushover_plus.outbox_store import (
    OutboxItem,
    QueueStore,
    decode_record,
    encode_record,
    remove_queue,
)
from custom_components.pushover_plus.recipients import Recipient
from custom_components.pushover_plus.records import RecordError
from custom_components.pushover_plus.spool import Spool
from pushover_simulator import TEST_SECOND_USER_KEY

from .conftest import SNAPSHOT_ENTRY_ID, SNAPSHOT_RECIPIENT_ID

ENTRY_ID = "01KFIXTURE0OUTBOX0VERSION1"
FIXTURE = Path(__file__).parent / "fixtures" / "outbox_0.2.0" / ".storage"
# Queued messages as format 1 wrote them, to the simulator's keys.
FORMAT_1 = (
    Path(__file__).parent
    / "fixtures"
    / "records_format_1"
    / ".storage"
    / "pushover_plus_outbox"
    / SNAPSHOT_ENTRY_ID
)
FORMAT_1_TO_ALEX = "000000000002-1f2e3d4c5b6a79889706b5c4d3e2f1a0.json"
USER_KEY = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
FAMILY_KEY = "uHyT2ZfAHSmY2cWyyK4C7Gk3rAUZfk"
ACCEPTED = datetime(2026, 12, 1, 8, 55, 44, 649740, tzinfo=UTC)
PRIMARY = Recipient(
    id="primary", name="Pushover", user_key=USER_KEY, service_name="pushover"
)
FAMILY = Recipient(
    id="01KFAMI1YRECIPIENT00000000",
    name="Family",
    user_key=FAMILY_KEY,
    service_name="family",
)
RECIPIENTS = [PRIMARY, FAMILY]
FULL = Message(
    message="Door open ✓ \udc00",
    title="Front door",
    devices=("phone", "tablet"),
    html=True,
    monospace=False,
    priority=2,
    retry=60,
    expire=3600,
    callback="https://example.com/ack",
    tags=("door", "night"),
    sound="siren",
    timestamp=1_795_000_000,
    ttl=3600,
    url="https://example.com",
    url_title="Camera",
    attachment=Attachment(content=b"", content_type="image/png", filename="door.png"),
)


def item(**changes: Any) -> OutboxItem:
    """Return a queued item, changed as asked."""
    return OutboxItem(
        id="a" * 32,
        seq=7,
        users=(USER_KEY,),
        recipient_ids=("primary",),
        recipient_names=("Alice",),
        message=Message(message="hi"),
        accepted_at=ACCEPTED,
    ).replace(**changes)


def record(**changes: Any) -> bytes:
    """Return the stored record of `item()`, its fields changed as asked."""
    data = json.loads(encode_record(item()))
    data.update(changes)
    return json.dumps(data).encode()


def spool_dir(hass: HomeAssistant, entry_id: str = ENTRY_ID) -> Path:
    """Return the entry's spool directory."""
    return Path(hass.config.path(".storage", "pushover_plus_outbox", entry_id))


@pytest.mark.parametrize(
    "stored",
    [
        item(),
        item(
            message=FULL,
            attachment_size=1234,
            users=(USER_KEY, FAMILY_KEY),
            recipient_ids=("primary", FAMILY.id),
            recipient_names=("Alice", "Family"),
        ),
        item(message=FULL.replace(attachment=None, html=False, monospace=True)),
    ],
    ids=["plain", "every_field", "monospace"],
)
def test_records_read_back_as_written(stored: OutboxItem) -> None:
    """Every field survives the round trip, a lone surrogate included."""
    content = encode_record(stored)

    assert decode_record(stored.record_name, content, RECIPIENTS) == stored
    # Unset fields are left out: each record is written once, kept small.
    assert "title" not in json.loads(encode_record(item()))["message"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (record()[:-20], "not valid JSON"),
        (b"[]", "its record is not an object"),
        (record(format=3), "record format 3; this Pushover Plus reads 1 to 2"),
        (record(format="1"), "the format of its record is not a whole number"),
        (record(surprise=True), "unknown field(s) in its record: surprise"),
        (record(id="b" * 32), "its id is not the one in its file name"),
        (record(users=[]), "the users of its record is not a list of names"),
        (record(users=None), "the users of its record is not a list of names"),
        (record(message=None), "its message is not an object"),
        (record(message={"title": "x"}), "its message has no message"),
        (
            record(message={"message": "x", "priority": "high"}),
            "the priority of its message is not a whole number",
        ),
        (
            record(message={"message": "x", "html": 1}),
            "the html of its message is not true",
        ),
        (
            record(message={"message": "x", "colour": "red"}),
            "unknown field(s) in its message: colour",
        ),
        (
            record(accepted_at="2026-12-01T08:55:44"),
            "the accepted_at of its record has no time zone",
        ),
        (
            record(accepted_at="yesterday"),
            "the accepted_at of its record is not a date and time",
        ),
        (
            record(attachment={"content_type": "image/png", "filename": "x.png"}),
            "its attachment has no size",
        ),
    ],
)
def test_records_not_written_by_this_version_are_refused(
    content: bytes, reason: str
) -> None:
    """Anything but a record as written is refused, saying why."""
    with pytest.raises(RecordError) as raised:
        decode_record(item().record_name, content, RECIPIENTS)

    assert str(raised.value) == reason


ALEX = Recipient(
    id=SNAPSHOT_RECIPIENT_ID,
    name="Alex",
    user_key=TEST_SECOND_USER_KEY,
    service_name="alex",
    devices=("laptop",),
)


@pytest.mark.parametrize(
    ("recipients", "ids"),
    [
        ([PRIMARY, ALEX], (SNAPSHOT_RECIPIENT_ID,)),
        ([PRIMARY, ALEX.replace(name="Alexandra")], (SNAPSHOT_RECIPIENT_ID,)),
        ([PRIMARY, ALEX.replace(user_key=FAMILY_KEY)], (SNAPSHOT_RECIPIENT_ID,)),
        ([PRIMARY, ALEX.replace(user_key=FAMILY_KEY, name="Al")], ()),
        (
            [
                PRIMARY,
                ALEX.replace(user_key=FAMILY_KEY),
                ALEX.replace(id="other", user_key=USER_KEY.swapcase()),
            ],
            (),
        ),
        ([PRIMARY], ()),
    ],
    ids=["as_written", "renamed", "new_key", "new_key_and_name", "name_shared", "gone"],
)
def test_a_format_1_record_finds_its_recipients_ids(
    recipients: list[Recipient], ids: tuple[str, ...]
) -> None:
    """A record that named its recipients alone is read with their ids.

    By the user key first (a rename changes nothing), else by a name one
    recipient alone has; a recipient found by neither has no id to give.
    """
    content = (FORMAT_1 / FORMAT_1_TO_ALEX).read_bytes()

    read = decode_record(FORMAT_1_TO_ALEX, content, recipients)

    assert read.recipient_ids == ids
    assert read.recipient_names == ("Alex",)
    assert read.users == (TEST_SECOND_USER_KEY,)
    assert read.message == Message(
        message="Smoke in the kitchen",
        devices=("laptop",),
        priority=2,
        retry=60,
        expire=3600,
        attachment=Attachment(
            content=b"", content_type="image/png", filename="kitchen.png"
        ),
    )
    assert read.attachment_size == 72


def test_a_file_not_named_as_a_record_is_refused() -> None:
    """Only `{seq}-{id}.json` names a record."""
    with pytest.raises(RecordError, match="not a queued message's file name"):
        decode_record("notes.json", record(), RECIPIENTS)


async def test_unreadable_records_are_set_aside_and_the_rest_load(
    hass: HomeAssistant,
) -> None:
    """A bad file never blocks the others: it is renamed aside with its reason."""
    spool = Spool(spool_dir(hass))
    good = [item(id=f"{n:032x}", seq=n) for n in (1, 3)]
    for stored in good:
        spool.write(stored.record_name, encode_record(stored))
    bad = item(id="f" * 32, seq=2)
    spool.write(bad.record_name, record(id=bad.id, format=9))
    spool.write("000000000004-" + "e" * 32 + ".json", b"\x00garbage")

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert found.items == good
    assert {path.name: reason for path, reason in found.set_aside.items()} == {
        f"{bad.record_name}.unreadable": (
            "record format 9; this Pushover Plus reads 1 to 2"
        ),
        f"000000000004-{'e' * 32}.json.unreadable": "not valid JSON",
    }
    assert sorted(path.name for path in spool_dir(hass).iterdir()) == sorted(
        [stored.record_name for stored in good]
        + [path.name for path in found.set_aside]
    )
    # Set aside, they are named again at the next load but never read.
    again = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)
    assert again.items == good
    assert set(again.set_aside) == set(found.set_aside)


async def test_a_record_without_its_attachment_is_lost(hass: HomeAssistant) -> None:
    """The load reports a message whose picture file is gone; stray pictures go."""
    spool = Spool(spool_dir(hass))
    pictured = item(message=FULL, attachment_size=3)
    spool.write(pictured.record_name, encode_record(pictured))
    spool.write("000000000009-" + "c" * 32 + ".bin", b"png")

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert found.items == []
    assert found.lost == [pictured]
    assert list(spool_dir(hass).iterdir()) == [spool_dir(hass) / pictured.record_name]


async def test_the_queue_directory_must_be_readable(hass: HomeAssistant) -> None:
    """A spool that cannot be listed at all is an error for the entry's setup."""
    with (
        patch.object(Spool, "names", side_effect=PermissionError(13, "denied")),
        pytest.raises(PermissionError),
    ):
        await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)


def copy_fixture(hass: HomeAssistant) -> Path:
    """Put the stored outbox written by Pushover Plus 0.2.0 into .storage."""
    storage = Path(hass.config.path(".storage"))
    shutil.copytree(FIXTURE, storage, dirs_exist_ok=True)
    return storage / f"pushover_plus.outbox.{ENTRY_ID}"


async def test_the_0_2_0_outbox_moves_into_the_spool(hass: HomeAssistant) -> None:
    """The whole queue, in order, every field, its picture beside it."""
    legacy = copy_fixture(hass)
    old_picture = spool_dir(hass) / "abb46e4e369d4a5cb1a009e8ea40ba51.bin"
    picture = old_picture.read_bytes()

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert not legacy.exists()
    assert found.set_aside == {}
    assert [stored.message.message for stored in found.items] == [
        "First: the washing machine is done.",
        "Second: <b>front door</b> open",
        "Third: smoke",
    ]
    first, second, third = found.items
    assert [stored.seq for stored in found.items] == [1, 2, 3]
    assert first.accepted_at == ACCEPTED
    assert second.users == (USER_KEY, FAMILY_KEY)
    assert second.recipient_names == ("Pushover", "Family")
    assert second.recipient_ids == ("primary", FAMILY.id)
    assert second.message == Message(
        message="Second: <b>front door</b> open",
        title="Front door",
        devices=("phone", "tablet"),
        html=True,
        priority=1,
        tags=("door",),
        sound="bugle",
        timestamp=1795000000,
        ttl=86400,
        url="https://example.com/door",
        url_title="Camera",
    )
    assert third.message.attachment == Attachment(
        content=b"", content_type="image/png", filename="kitchen.png"
    )
    assert third.attachment_size == len(picture)
    assert (spool_dir(hass) / third.attachment_name).read_bytes() == picture
    assert not old_picture.exists()
    # Loading again reads the spool alone.
    again = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)
    assert again.items == found.items


async def test_a_migration_cut_short_is_finished_without_duplicates(
    hass: HomeAssistant,
) -> None:
    """A stop half-way (old file still there) moves each message once."""
    legacy = copy_fixture(hass)
    delete = Path.unlink

    def stop_before_deleting(path: Path, *, missing_ok: bool = False) -> None:
        if path == legacy:
            msg = "Home Assistant stopped"
            raise SystemExit(msg)
        delete(path, missing_ok=missing_ok)

    with (
        patch.object(Path, "unlink", stop_before_deleting),
        pytest.raises(SystemExit),
    ):
        await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)
    assert legacy.exists()

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert len(found.items) == 3
    assert len(list(spool_dir(hass).glob("*.json"))) == 3
    assert not legacy.exists()


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01 not json", b'{"version": 1, "data": {"items": null}}'],
    ids=["garbage", "items_null"],
)
async def test_an_unreadable_0_2_0_outbox_is_set_aside(
    hass: HomeAssistant, content: bytes
) -> None:
    """An old file that cannot be read is kept aside, not lost with its messages."""
    legacy = copy_fixture(hass)
    legacy.write_bytes(content)

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    aside = legacy.with_name(legacy.name + ".unreadable")
    assert aside.read_bytes() == content
    assert list(found.set_aside) == [aside]
    assert found.items == []


async def test_an_unreadable_0_2_0_record_is_set_aside_alone(
    hass: HomeAssistant,
) -> None:
    """One bad record of the old file is kept aside; the others move."""
    legacy = copy_fixture(hass)
    stored = json.loads(legacy.read_bytes())
    stored["data"]["items"][1]["accepted_at"] = "2026-12-01T08:55:44"
    legacy.write_text(json.dumps(stored))

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert [stored.message.message for stored in found.items] == [
        "First: the washing machine is done.",
        "Third: smoke",
    ]
    [(aside, reason)] = found.set_aside.items()
    assert aside.name == "000000000002-legacy.json.unreadable"
    assert reason == "the accepted_at of its record has no time zone"
    assert json.loads(aside.read_bytes())["message"]["title"] == "Front door"


async def test_remove_queue_deletes_everything(hass: HomeAssistant) -> None:
    """Removing the entry's queue leaves nothing, set-aside files included."""
    legacy = copy_fixture(hass)
    await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)
    legacy.write_bytes(b"{}")

    await hass.async_add_executor_job(remove_queue, hass, ENTRY_ID)

    assert not spool_dir(hass).exists()
    assert not legacy.exists()


async def test_a_0_2_0_record_without_its_picture_is_lost(hass: HomeAssistant) -> None:
    """An old message whose picture file is gone moves over, to be dropped."""
    copy_fixture(hass)
    (spool_dir(hass) / "abb46e4e369d4a5cb1a009e8ea40ba51.bin").unlink()

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert len(found.items) == 2
    [lost] = found.lost
    assert lost.message.message == "Third: smoke"


async def test_a_0_2_0_record_with_a_strange_id_is_set_aside(
    hass: HomeAssistant,
) -> None:
    """An id that is not 32 hex digits could not name a file: set aside."""
    legacy = copy_fixture(hass)
    stored = json.loads(legacy.read_bytes())
    stored["data"]["items"][0]["id"] = "../../escape"
    legacy.write_text(json.dumps(stored))

    found = await QueueStore(hass, ENTRY_ID).async_load(RECIPIENTS)

    assert len(found.items) == 2
    assert list(found.set_aside.values()) == ["its id is not a queued message's id"]
