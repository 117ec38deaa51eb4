"""The spool: one durable file per record, written whole or not at all."""

import errno
import os
from pathlib import Path
import stat
from unittest.mock import patch

import pytest

from custom_components.pushover_plus.spool import Spool


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return an empty folder for the spool (tmp_path may hold a test config)."""
    return tmp_path / "spool"


def test_a_record_is_written_whole_and_private(folder: Path) -> None:
    """The file and its folder are readable by Home Assistant alone."""
    spool = Spool(folder)

    spool.write("000000000001-a.json", b"record")

    assert spool.read("000000000001-a.json") == b"record"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "000000000001-a.json").stat().st_mode) == (0o600)
    assert (spool.stats.files_written, spool.stats.bytes_written) == (1, 6)


def test_a_write_flushes_the_file_and_the_folder(folder: Path) -> None:
    """Fsync on the file before the rename, then on the folder after it."""
    spool = Spool(folder)
    synced: list[str] = []
    fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{descriptor}").readlink()))
        fsync(descriptor)

    with patch("os.fsync", recording_fsync):
        spool.write("000000000001-a.json", b"record")

    assert synced == [str(folder / ".tmp-000000000001-a.json"), str(folder)]


@pytest.mark.parametrize("failing", ["os.write", "os.fsync"])
def test_a_failed_write_leaves_no_trace(folder: Path, failing: str) -> None:
    """A full disk mid-write leaves neither the record nor a temporary file."""
    spool = Spool(folder)
    spool.write("000000000001-a.json", b"kept")

    with (
        patch(failing, side_effect=OSError(errno.ENOSPC, "No space left on device")),
        pytest.raises(OSError, match="No space left"),
    ):
        spool.write("000000000002-b.json", b"lost")

    assert sorted(path.name for path in folder.iterdir()) == ["000000000001-a.json"]
    assert spool.stats.files_written == 1


def test_a_short_write_is_completed(folder: Path) -> None:
    """os.write may take part of the bytes; the rest follows."""
    spool = Spool(folder)
    write = os.write

    def two_bytes_at_a_time(descriptor: int, data: bytes | memoryview) -> int:
        return write(descriptor, bytes(data[:2]))

    with patch("os.write", two_bytes_at_a_time):
        spool.write("000000000001-a.json", b"a longer record")

    assert spool.read("000000000001-a.json") == b"a longer record"


def test_names_are_sorted_and_leftovers_deleted(folder: Path) -> None:
    """A temporary file left by a crash is deleted; records come in name order."""
    spool = Spool(folder)
    assert spool.names() == []
    spool.write("000000000002-b.json", b"2")
    spool.write("000000000001-a.json", b"1")
    (folder / ".tmp-000000000003-c.json").write_bytes(b"half")
    (folder / "folder").mkdir()

    assert spool.names() == ["000000000001-a.json", "000000000002-b.json"]
    assert not (folder / ".tmp-000000000003-c.json").exists()


def test_set_aside_and_remove(folder: Path) -> None:
    """A set-aside file keeps its bytes under a new name; removal forgives."""
    spool = Spool(folder)
    spool.write("000000000001-a.json", b"bad")

    aside = spool.set_aside("000000000001-a.json")
    spool.remove(["000000000001-a.json", "missing.bin"])

    assert aside == "000000000001-a.json.unreadable"
    assert spool.read(aside) == b"bad"
    assert spool.names() == [aside]
