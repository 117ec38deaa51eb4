"""A directory of files, each written whole or not at all: storage like a mail queue.

Each record is its own file. A file is written to a temporary name, flushed to
disk, renamed into place and the directory flushed too, so that after a crash
or power cut a record is either there, complete, or not there at all; a bad
byte spoils one record, never the others. Nothing rewrites what is already
stored, so the bytes written stay proportional to what is stored, not to the
square of it (Home Assistant often runs from an SD card).

Every function here blocks: callers run them in Home Assistant's executor.
"""

from collections.abc import Iterable
import os
from pathlib import Path
import threading
from typing import Final

TEMPORARY_PREFIX: Final = ".tmp-"
SET_ASIDE_SUFFIX: Final = ".unreadable"


class SpoolStats:
    """What a spool wrote, for diagnostics and the benchmark's disk-write goal."""

    __slots__ = ("_lock", "bytes_written", "files_written")

    def __init__(self) -> None:
        """Start with nothing written."""
        self.files_written = 0
        self.bytes_written = 0
        self._lock = threading.Lock()

    def count(self, size: int) -> None:
        """Count one file of `size` bytes written (from any executor thread)."""
        with self._lock:
            self.files_written += 1
            self.bytes_written += size


class Spool:
    """One directory whose files are records, readable only by Home Assistant."""

    def __init__(self, directory: Path) -> None:
        """Use `directory`; it is made on the first write."""
        self.directory = directory
        self.stats = SpoolStats()

    def names(self) -> list[str]:
        """List the stored files' names, sorted; temporary leftovers are deleted.

        A temporary file is what a crash left of a write that never finished:
        its record was never accepted, so it goes.
        """
        if not self.directory.is_dir():
            return []
        names = []
        for path in self.directory.iterdir():
            if path.name.startswith(TEMPORARY_PREFIX):
                path.unlink(missing_ok=True)
            elif path.is_file():
                names.append(path.name)
        return sorted(names)

    def write(self, name: str, content: bytes) -> None:
        """Store `content` as `name`, durably, or raise OSError leaving no trace."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.directory / name
        partial = self.directory / f"{TEMPORARY_PREFIX}{name}"
        try:
            descriptor = os.open(
                partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600
            )
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(descriptor, view) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        # The rename is only durable once the directory itself is on disk.
        self._sync_directory()
        self.stats.count(len(content))

    def read(self, name: str) -> bytes:
        """Read a stored file."""
        return (self.directory / name).read_bytes()

    def remove(self, names: Iterable[str]) -> None:
        """Delete stored files; one already gone is no error.

        No directory flush: a removal lost in a power cut brings a record
        back, which at worst sends a message twice, never loses one.
        """
        for name in names:
            (self.directory / name).unlink(missing_ok=True)

    def set_aside(self, name: str) -> str:
        """Rename a file that cannot be read so that it is kept but never read again."""
        aside = f"{name}{SET_ASIDE_SUFFIX}"
        (self.directory / name).replace(self.directory / aside)
        self._sync_directory()
        return aside

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
