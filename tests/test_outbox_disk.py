"""The outbox on a real disk, through the whole integration and the simulator.

Accepted means on disk: a send that answers "queued" has its file flushed,
and a send whose file cannot be written fails with a translated error. Files
the integration cannot read are set aside and named, and never stop the entry
from loading or the other messages from going, first.
"""

from datetime import timedelta
import errno
import json
from pathlib import Path
import shutil
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import CONF_USER_KEY, DOMAIN
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from . import advance, send

FOREVER = 1_000_000
FIXTURE = Path(__file__).parent / "fixtures" / "outbox_0.2.0" / ".storage"
FIXTURE_ENTRY_ID = "01KFIXTURE0OUTBOX0VERSION1"
# The user keys the 0.2.0 fixture was written with.
FIXTURE_KEYS = {
    "uQiRzpo4DXghDmr9QzzfQu27cmVRsG": TEST_USER_KEY,
    "uHyT2ZfAHSmY2cWyyK4C7Gk3rAUZfk": TEST_SECOND_USER_KEY,
}


def spool_dir(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    """Return the entry's queue folder."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_outbox", entry.entry_id))


def stored_texts(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Return the texts of the queued messages on disk, in order."""
    return [
        json.loads(path.read_bytes())["message"]["message"]
        for path in sorted(spool_dir(hass, entry).glob("*.json"))
    ]


def texts(simulator: PushoverSimulator) -> list[str]:
    """Return what Pushover accepted, in order."""
    return [message.message for message in simulator.messages]


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up the entry again, as a restart of Home Assistant would."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("failing", "error"),
    [
        ("os.write", OSError(errno.ENOSPC, "No space left on device")),
        ("os.open", OSError(errno.EROFS, "Read-only file system")),
    ],
    ids=["disk_full", "read_only"],
)
async def test_no_message_is_reported_queued_and_lost(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    failing: str,
    error: OSError,
) -> None:
    """While the disk takes nothing, sends fail; after a restart the first arrives."""
    simulator.faults.fail_next = FOREVER
    first = await send(hass, message="queued before the disk filled")
    assert first["queued"] is True

    with patch(failing, side_effect=error):
        for number in range(3):
            with pytest.raises(HomeAssistantError) as raised:
                await send(hass, message=f"refused {number}")
            assert raised.value.translation_key == "outbox_write_failed"
            assert raised.value.translation_placeholders == {"error": error.strerror}

    assert stored_texts(hass, loaded_entry) == ["queued before the disk filled"]
    await restart(hass, loaded_entry)
    simulator.faults.fail_next = 0
    await advance(hass, freezer, 60, step=5)

    assert texts(simulator) == ["queued before the disk filled"]
    assert stored_texts(hass, loaded_entry) == []


async def test_an_attachment_that_cannot_be_written_is_a_translated_error(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    tmp_path: Path,
) -> None:
    """A full disk while a picture is queued: translated, nothing half-stored."""
    picture = tmp_path / "door.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    simulator.faults.fail_next = FOREVER
    await send(hass, message="first")

    with (
        patch("os.write", side_effect=OSError(errno.ENOSPC, "No space left")),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await send(hass, message="door", attachment=str(picture))

    assert raised.value.translation_key == "outbox_write_failed"
    assert [path.suffix for path in spool_dir(hass, loaded_entry).iterdir()] == [
        ".json"
    ]


async def test_unreadable_files_are_set_aside_and_named(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """The entry loads, sends the readable queue first, and names the rest."""
    # The stored records were accepted a minute ago, whatever today's date.
    freezer.move_to("2026-11-30T12:01:00+00:00")
    config_entry.add_to_hass(hass)
    folder = spool_dir(hass, config_entry)
    folder.mkdir(parents=True)
    # Accepted an hour ago by the test's clock, well inside the keep window.
    accepted_at = dt_util.utcnow() - timedelta(hours=1)
    good = {
        "format": 2,
        "id": "a" * 32,
        "accepted_at": accepted_at.isoformat(),
        "users": [TEST_USER_KEY],
        "recipient_ids": ["primary"],
        "recipient_names": ["Pushover"],
        "message": {"message": "stored before the restart"},
    }
    (folder / f"000000000002-{'a' * 32}.json").write_text(json.dumps(good))
    future = good | {"id": "b" * 32, "format": 3}
    (folder / f"000000000001-{'b' * 32}.json").write_text(json.dumps(future))
    naive = good | {
        "id": "c" * 32,
        "accepted_at": accepted_at.replace(tzinfo=None).isoformat(),
    }
    (folder / f"000000000003-{'c' * 32}.json").write_text(json.dumps(naive))
    (folder / f"000000000004-{'d' * 32}.json").write_bytes(b'{"format": 1, "id')
    simulator.faults.fail_next = 1

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"outbox_unreadable_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "3"
    files = issue.translation_placeholders["files"]
    assert f"000000000001-{'b' * 32}.json.unreadable`: record format 3" in files
    assert "has no time zone" in files
    assert "not valid JSON" in files
    # A new message queues behind the stored one, and both go in order.
    await send(hass, message="sent after the restart")
    await advance(hass, freezer, 30, step=5)
    assert texts(simulator) == ["stored before the restart", "sent after the restart"]
    # The entry reloads cleanly, and the notice stays while the files do.
    await restart(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"outbox_unreadable_{config_entry.entry_id}"
    )
    for path in folder.glob("*.unreadable"):
        path.unlink()
    await restart(hass, config_entry)
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"outbox_unreadable_{config_entry.entry_id}"
    )


async def test_a_queue_folder_that_cannot_be_read_retries_the_setup(
    hass: HomeAssistant, config_entry: MockConfigEntry, api_base_url: str
) -> None:
    """The entry does not load without its queue, and says why."""
    config_entry.add_to_hass(hass)

    with patch(
        "custom_components.pushover_plus.spool.Spool.names",
        side_effect=OSError(errno.EIO, "Input/output error"),
    ):
        assert not await hass.config_entries.async_setup(config_entry.entry_id)

    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "Input/output error" in str(config_entry.reason)


async def test_the_0_2_0_outbox_is_delivered_after_the_upgrade(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Messages queued by 0.2.0 arrive after the upgrade, in order, picture too."""
    storage = Path(hass.config.path(".storage"))
    shutil.copytree(FIXTURE, storage, dirs_exist_ok=True)
    legacy = storage / f"pushover_plus.outbox.{FIXTURE_ENTRY_ID}"
    content = legacy.read_text()
    for old, new in FIXTURE_KEYS.items():
        content = content.replace(old, new)
    legacy.write_text(content)
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=FIXTURE_ENTRY_ID,
        title="Pushover",
        data={
            CONF_NAME: "Pushover",
            CONF_API_TOKEN: TEST_APP_TOKEN,
            CONF_USER_KEY: TEST_USER_KEY,
        },
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )
    entry.add_to_hass(hass)
    # The stored messages date from the day the fixture was written.
    freezer.move_to("2026-12-01T09:00:00+00:00")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert texts(simulator) == [
        "First: the washing machine is done.",
        "Second: <b>front door</b> open",
        "Third: smoke",
    ]
    second, third = simulator.messages[1:]
    assert second.users == [TEST_USER_KEY, TEST_SECOND_USER_KEY]
    assert (second.title, second.sound, second.url_title) == (
        "Front door",
        "bugle",
        "Camera",
    )
    assert third.attachment == b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    assert third.receipt is not None
    assert not legacy.exists()
    assert list(spool_dir(hass, entry).iterdir()) == []
