"""Prepare the development instance's configuration directory for a start.

scripts/develop runs this inside the toolchain before every start of Home
Assistant (`python scripts/develop_config.py --port 8123 config`):

- `automations.yaml`, `scripts.yaml` and `scenes.yaml`, which the shipped
  `configuration.yaml` includes and the UI's editors write, are created empty
  when missing. Home Assistant creates them only together with a
  `configuration.yaml` of its own, and a missing included file would stop the
  whole configuration from loading.
- `.storage/http` gets the chosen port. Since 2026.10 Home Assistant keeps its
  HTTP settings there and flags YAML `http:` as deprecated (and starts it as
  a trial that reverts after five minutes). A new file is written in the
  store's first format, which Home Assistant migrates as a confirmed
  configuration; an existing one keeps every setting a user changed in the
  UI and only gets the port, in each slot Home Assistant may start with.

Nothing is written while a Home Assistant runs with the directory: its
settings would change under it, and the new start would be refused anyway.
"""

import argparse
import contextlib
import copy
import fcntl
import json
import os
from pathlib import Path
import sys
import tempfile
from typing import Any, Final

# What Home Assistant writes into a new installation's files: an empty list
# of automations, and nothing at all for scripts and scenes.
INCLUDED_FILES: Final = {
    "automations.yaml": "[]\n",
    "scripts.yaml": "",
    "scenes.yaml": "",
}
HTTP_STORE: Final = Path(".storage") / "http"
HTTP_STORE_KEY: Final = "http"
# Home Assistant's lock on a configuration directory it runs with.
RUN_LOCK: Final = ".ha_run.lock"
LOOPBACK: Final = "127.0.0.1"
# Version 1 held the settings themselves; version 2 holds a confirmed
# (stable) and an unconfirmed (pending) set, each a mapping of the settings.
FIRST_VERSION: Final = 1
SLOTS_VERSION: Final = 2
HIGHEST_PORT: Final = 65535

type Store = dict[str, Any]


class PrepareError(Exception):
    """The configuration directory cannot be prepared; the message says why."""


def prepare(config_dir: Path, port: int) -> list[str]:
    """Prepare `config_dir` for a start on `port`; return what was written."""
    _refuse_if_running(config_dir)
    written = [
        name
        for name, content in INCLUDED_FILES.items()
        if _create_if_missing(config_dir / name, content)
    ]
    if write_http_port(config_dir, port):
        written.append(HTTP_STORE.as_posix())
    return written


def _refuse_if_running(config_dir: Path) -> None:
    """Raise PrepareError while a Home Assistant runs with `config_dir`."""
    lock_path = config_dir / RUN_LOCK
    if not lock_path.exists():
        return
    with lock_path.open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            msg = (
                "a Home Assistant is already running with the configuration in"
                f" {config_dir}/; stop it first"
            )
            raise PrepareError(msg) from None
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _create_if_missing(path: Path, content: str) -> bool:
    """Create `path` with `content` unless it exists; return whether it did."""
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(content)
    except FileExistsError:
        return False
    return True


def write_http_port(config_dir: Path, port: int) -> bool:
    """Give `.storage/http` the port; return whether the file changed."""
    path = config_dir / HTTP_STORE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        store = first_http_store(port)
    else:
        try:
            current = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"{path} is not JSON ({err}); remove it to start from the defaults"
            raise PrepareError(msg) from err
        store = http_store_with_port(current, port, path)
        if store == current:
            return False
    _write_private_json(path, store)
    return True


def first_http_store(port: int) -> Store:
    """Return a new store in its first format: loopback only, on `port`."""
    return {
        "version": FIRST_VERSION,
        "minor_version": 1,
        "key": HTTP_STORE_KEY,
        "data": {"server_host": [LOOPBACK], "server_port": port},
    }


def http_store_with_port(store: object, port: int, path: Path) -> Store:
    """Return a copy of an existing store with `port` wherever it applies.

    Version 1 is the file as written here before Home Assistant's first
    start. In version 2 the confirmed settings get the port, and so do the
    unconfirmed ones when Home Assistant would start with them (no failed
    trial recorded on them). Everything else is kept as it is.
    """
    if not isinstance(store, dict) or store.get("key") != HTTP_STORE_KEY:
        msg = f"{path} is not Home Assistant's HTTP settings store"
        raise PrepareError(msg)
    updated: Store = copy.deepcopy(store)
    data = updated.get("data")
    version = updated.get("version")
    if version == FIRST_VERSION and isinstance(data, dict):
        data["server_port"] = port
        return updated
    if version == SLOTS_VERSION and isinstance(data, dict):
        stable, pending = data.get("stable"), data.get("pending")
        if isinstance(stable, dict):
            stable["server_port"] = port
            if isinstance(pending, dict) and pending.get("error") is None:
                pending["server_port"] = port
            return updated
    msg = (
        f"{path} has a layout this script does not know (version {version!r});"
        " remove it to start from the defaults"
    )
    raise PrepareError(msg)


def _write_private_json(path: Path, content: Store) -> None:
    """Write `content` to `path` whole or not at all, readable by the owner only.

    Home Assistant keeps its HTTP settings private (mode 0600) and replaces
    the file in one step; the same is done here.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(content, file, indent=4)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


def _port(value: str) -> int:
    """Parse a TCP port number for argparse."""
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= HIGHEST_PORT:
        msg = f"{value!r} is not a TCP port (1 to {HIGHEST_PORT})"
        raise argparse.ArgumentTypeError(msg)
    return port


def main(argv: list[str] | None = None) -> None:
    """Prepare the directory named on the command line; exit 1 on failure."""
    parser = argparse.ArgumentParser(
        prog="python scripts/develop_config.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--port", type=_port, required=True, help="Home Assistant's port"
    )
    parser.add_argument("config_dir", type=Path, help="the configuration directory")
    arguments = parser.parse_args(argv)
    try:
        written = prepare(arguments.config_dir, arguments.port)
    except (PrepareError, OSError) as err:
        sys.exit(f"scripts/develop: {err}")
    for name in written:
        sys.stdout.write(f"Wrote {arguments.config_dir / name}\n")


if __name__ == "__main__":
    main()
