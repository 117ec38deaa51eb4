"""The processes of an end-to-end run: the Pushover simulator and Home Assistant.

Both run inside the project's toolchain through `scripts/in-toolchain`, which
execs down to the command: the process id we start is the simulator's or
hass's own, so SIGTERM reaches it directly. Each is started in a session of
its own, so that whatever it spawned can be ended with its process group.

Everything a run writes lives in one run directory inside the repository
(`.e2e/run-...`), because the toolchain may see the repository under another
path (a chroot): commands get paths relative to the repository's root.
"""

from collections.abc import Mapping
import contextlib
import json
import os
from pathlib import Path, PurePosixPath
import re
import shutil
import signal
import socket
import subprocess
import time
from typing import Final, Self

REPO_DIR: Final = Path(__file__).resolve().parent.parent
IN_TOOLCHAIN: Final = REPO_DIR / "scripts" / "in-toolchain"
# The development instance's sample pictures, which its example scripts attach.
ATTACHMENTS_DIR: Final = Path("config") / "attachments"
E2E_DIR: Final = REPO_DIR / ".e2e"
# scripts/e2e names the run directory, so that it can clean up after a crash.
RUN_DIR_VARIABLE: Final = "PUSHOVER_PLUS_E2E_RUN_DIR"
PIDS_FILE: Final = "pids"
STOP_TIMEOUT: Final = 60.0
LOCALHOST: Final = "127.0.0.1"

_CREDENTIAL_LINE: Final = re.compile(
    r"^\s*(app token|other token|user key|second user|group key):\s+([A-Za-z0-9]{30})",
    re.MULTILINE,
)
# The test user's end-to-end encryption key, under its own heading.
_ENCRYPTION_KEY_LINE: Final = re.compile(
    r"^\s*user key's:\s+([0-9a-f]{64})", re.MULTILINE
)


class ProcessExitedError(RuntimeError):
    """A process of the run ended when it should be running."""


def free_port() -> int:
    """Return a TCP port on the loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


class RunDirectory:
    """The directory of one run: configuration, logs and started process ids."""

    def __init__(self, path: Path) -> None:
        """Use `path`, which must be inside the repository."""
        self.path = path.resolve()
        if not self.path.is_relative_to(REPO_DIR):
            msg = f"the run directory {path} is not inside the repository"
            raise ValueError(msg)

    @classmethod
    def create(cls) -> Self:
        """Create the run directory scripts/e2e named, or a fresh one."""
        named = os.environ.get(RUN_DIR_VARIABLE)
        if named:
            path = Path(named)
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = E2E_DIR / f"run-{stamp}-{os.getpid()}"
        path.mkdir(parents=True, exist_ok=False)
        return cls(path)

    def relative(self, path: Path) -> str:
        """Return `path` relative to the repository, as the toolchain sees it."""
        return path.resolve().relative_to(REPO_DIR).as_posix()

    def record_pid(self, pid: int) -> None:
        """Note a started process, so that scripts/e2e can end it after a crash."""
        with (self.path / PIDS_FILE).open("a", encoding="utf-8") as pids:
            pids.write(f"{pid}\n")

    def remove(self) -> None:
        """Delete the run directory and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)


class ManagedProcess:
    """A command run in the toolchain with its output in a log file."""

    def __init__(
        self,
        run: RunDirectory,
        name: str,
        argv: list[str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the process; nothing starts before `start`."""
        self.run = run
        self.name = name
        self.argv = argv
        self.env = dict(env or {})
        self.log_path = run.path / f"{name}.out"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """Return the process id (that of the command itself)."""
        if self._process is None:
            msg = f"{self.name} was not started"
            raise RuntimeError(msg)
        return self._process.pid

    def start(self) -> None:
        """Start the command through scripts/in-toolchain."""
        if self.running:
            msg = f"{self.name} is already running"
            raise RuntimeError(msg)
        with self.log_path.open("ab") as log:
            log.write(f"--- starting {' '.join(self.argv)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv
                [str(IN_TOOLCHAIN), *self.argv],
                cwd=REPO_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        self.run.record_pid(self._process.pid)

    @property
    def running(self) -> bool:
        """Tell whether the process was started and has not ended."""
        return self._process is not None and self._process.poll() is None

    def check_running(self) -> None:
        """Raise ProcessExitedError, with the log's end, if it is not running."""
        if self._process is None:
            msg = f"{self.name} was not started"
            raise ProcessExitedError(msg)
        code = self._process.poll()
        if code is not None:
            msg = f"{self.name} exited with {code}:\n{self.log_tail()}"
            raise ProcessExitedError(msg)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Send SIGTERM, wait for the exit, then end what is left of its group.

        Returns the exit code, or None when the process had to be killed.
        """
        process = self._process
        if process is None:
            return None
        code: int | None = process.poll()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                code = None
        # Anything the command started (and the command itself after a
        # timeout) is in the process group it leads.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if code is None:
            process.wait()
        return code

    def kill(self) -> None:
        """End the process and its group with SIGKILL, as a power cut would."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def log_text(self) -> str:
        """Return the output so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        """Return the last lines of the output."""
        return "\n".join(self.log_text().splitlines()[-lines:])


class SimulatorProcess(ManagedProcess):
    """`python -m pushover_simulator` on a free loopback port."""

    def __init__(self, run: RunDirectory, port: int) -> None:
        """Describe the simulator on `port`."""
        super().__init__(
            run,
            "simulator",
            [
                "python",
                "-m",
                "pushover_simulator",
                "--host",
                LOCALHOST,
                "--port",
                str(port),
            ],
        )
        self.port = port
        self.root_url = f"http://{LOCALHOST}:{port}/"
        self.base_url = f"{self.root_url}1/"

    def credentials(self) -> dict[str, str]:
        """Read the test credentials the simulator printed at start.

        Keys: "app token", "other token", "user key", "second user",
        "group key", and "encryption key" (the test user's); empty until the
        banner is out.
        """
        log = self.log_text()
        credentials = dict(_CREDENTIAL_LINE.findall(log))
        credentials.update(
            ("encryption key", key) for key in _ENCRYPTION_KEY_LINE.findall(log)
        )
        return credentials


class HomeAssistantProcess(ManagedProcess):
    """`hass` with a configuration directory of its own in the run directory."""

    def __init__(self, run: RunDirectory, port: int, api_base_url: str) -> None:
        """Describe Home Assistant on `port`, with the integration on `api_base_url`."""
        self.config_dir = run.path / "config"
        super().__init__(
            run,
            "hass",
            [
                "hass",
                "--config",
                run.relative(self.config_dir),
                "--log-no-color",
            ],
            env={"PUSHOVER_PLUS_API_BASE_URL": api_base_url},
        )
        self.port = port
        self.url = f"http://{LOCALHOST}:{port}"

    @property
    def log_file(self) -> Path:
        """Return Home Assistant's own log file."""
        return self.config_dir / "home-assistant.log"

    def prepare(self) -> None:
        """Write the configuration directory: YAML, the integration, storage."""
        self.config_dir.mkdir(parents=True)
        # The example scripts name their picture relative to the repository,
        # Home Assistant's working directory; its folder is allowlisted by
        # the absolute path it has inside the toolchain.
        attachments_dir = toolchain_repo_dir() / ATTACHMENTS_DIR.as_posix()
        (self.config_dir / "configuration.yaml").write_text(
            configuration_yaml(attachments_dir), encoding="utf-8"
        )
        shutil.copytree(
            REPO_DIR / "custom_components" / "pushover_plus",
            self.config_dir / "custom_components" / "pushover_plus",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        # The example scripts of the development instance, as documented.
        shutil.copytree(REPO_DIR / "config" / "scripts", self.config_dir / "scripts")
        storage = self.config_dir / ".storage"
        storage.mkdir()
        # Home Assistant 2026.10 moves `http:` from YAML into its store as a
        # trial that the UI must confirm and that reverts after five minutes:
        # give the store the address instead, in its first format, which
        # Home Assistant migrates as a confirmed configuration.
        _write_store(
            storage,
            "http",
            version=1,
            data={"server_host": [LOCALHOST], "server_port": self.port},
        )
        # Onboarding's core_config step starts the flows of integrations that
        # reach the internet (met, radio_browser, google_translate): mark it
        # done beforehand. The tests do the other steps through the REST API.
        _write_store(storage, "onboarding", version=4, data={"done": ["core_config"]})

    def home_assistant_log_tail(self, lines: int = 80) -> str:
        """Return the end of Home Assistant's log file."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _write_store(
    storage: Path, key: str, *, version: int, data: dict[str, object]
) -> None:
    """Write one file of Home Assistant's .storage as its Store class would."""
    (storage / key).write_text(
        json.dumps({"version": version, "minor_version": 1, "key": key, "data": data}),
        encoding="utf-8",
    )


def toolchain_repo_dir() -> PurePosixPath:
    """Return the repository's absolute path as commands in the toolchain see it."""
    shown = subprocess.run(  # noqa: S603 - fixed argv
        [str(IN_TOOLCHAIN), "pwd"],
        cwd=REPO_DIR,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return PurePosixPath(shown.stdout.strip())


def configuration_yaml(attachments_dir: PurePosixPath) -> str:
    """Return a minimal configuration: what the integration and the UI need."""
    return f"""\
homeassistant:
  name: Pushover Plus end-to-end
  allowlist_external_dirs:
    - {attachments_dir}
  time_zone: UTC
  country: US
  language: en
  unit_system: metric
  latitude: 0
  longitude: 0
  elevation: 0

frontend:
config:
onboarding:
api:
websocket_api:
automation:
script: !include_dir_merge_named scripts
notify:
webhook:
logger:
  default: warning
  logs:
    custom_components.pushover_plus: debug
"""
