"""Fixtures: one simulator and one Home Assistant, shared by the whole run.

The processes start once per session (Home Assistant takes seconds to start)
and the tests run in file order: the REST tests (test_api.py) add the
integration, the outage test restarts Home Assistant, the browser tests
(test_ui.py) come last. Each test still asks for what it needs through a
fixture, so any test can also run on its own.
"""

from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
import shutil
import signal
from types import FrameType
from typing import Any, Final

import aiohttp
import pytest
import pytest_asyncio

from .clients import HomeAssistantClient, Json, SimulatorClient, wait_for
from .harness import (
    E2E_DIR,
    REPO_DIR,
    HomeAssistantProcess,
    RunDirectory,
    SimulatorProcess,
    free_port,
)

DOMAIN: Final = "pushover_plus"
# The first entry's title: Pushover's API names no application.
ENTRY_TITLE: Final = "Pushover"
# The entities of the entry's application device, as the README names them.
SENSOR: Final = "sensor.pushover_app_"
# Well-formed, but no application of the simulator's account has it.
WRONG_TOKEN: Final = "aWrongTokenOfThirtyCharacters0"  # noqa: S105 - not a secret
# The first start on a fresh toolchain installs the frontend's package.
START_TIMEOUT: Final = 300.0
LOGS_DIR: Final = E2E_DIR / "logs"
SCREENSHOTS_DIR: Final = E2E_DIR / "screenshots"
_HASS_KEY: Final = pytest.StashKey["HomeAssistantProcess"]()


def expect_fields(message: Json, expected: dict[str, Any]) -> None:
    """Compare received fields with the expected ones, naming every difference."""
    differences = {
        name: (message.get(name), value)
        for name, value in expected.items()
        if message.get(name) != value
    }
    assert not differences, f"fields differ (received, expected): {differences}"


@dataclass(frozen=True)
class Credentials:
    """The simulator's test credentials, as it printed them."""

    app_token: str
    other_token: str
    user_key: str
    second_user_key: str
    group_key: str
    # The test user's end-to-end encryption key.
    encryption_key: str


@dataclass(frozen=True)
class Owner:
    """The user created during onboarding."""

    name: str
    username: str
    password: str


OWNER: Final = Owner(
    name="Ada Owner",
    username="owner",
    password="e2e-not-a-secret",  # noqa: S106 - a throwaway instance's
)
# The primary recipient: the flow suggests the owner's name for a user key,
# and the tests keep it. Its legacy action is notify.ada_owner.
RECIPIENT: Final = OWNER.name
LEGACY_ACTION: Final = "ada_owner"


class HomeAssistant:
    """The running Home Assistant: its process and a logged-in client."""

    def __init__(
        self, process: HomeAssistantProcess, client: HomeAssistantClient
    ) -> None:
        """Bundle the process and its client."""
        self.process = process
        self.client = client
        self.url = process.url

    async def wait_until_running(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until Home Assistant has started (its core state is RUNNING)."""

        async def probe() -> bool | None:
            self.process.check_running()
            if not await self.client.is_serving():
                return None
            if self.client.access_token is None:
                return True
            return True if await self.client.core_state() == "RUNNING" else None

        await wait_for(probe, timeout=timeout, what="Home Assistant to start")

    async def restart(self) -> int | None:
        """Stop Home Assistant with SIGTERM, start it again; return the exit code."""
        code = self.process.stop()
        self.process.start()
        await self.wait_until_running()
        return code


def pytest_configure(config: pytest.Config) -> None:
    """Treat SIGTERM like Ctrl-C, so that the processes are stopped cleanly."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def run_dir() -> Iterator[RunDirectory]:
    """Create the run directory; keep its logs and remove it at the end."""
    run = RunDirectory.create()
    try:
        yield run
    finally:
        _keep_logs(run)
        run.remove()


def _keep_logs(run: RunDirectory) -> None:
    """Copy the run's logs to .e2e/logs/ (replacing the last run's)."""
    shutil.rmtree(LOGS_DIR, ignore_errors=True)
    LOGS_DIR.mkdir(parents=True)
    for log in (
        run.path / "simulator.out",
        run.path / "hass.out",
        run.path / "config" / "home-assistant.log.1",
        run.path / "config" / "home-assistant.log",
    ):
        if log.exists():
            shutil.copy(log, LOGS_DIR / log.name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Open one HTTP client session for the run."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def simulator_process(
    run_dir: RunDirectory, http: aiohttp.ClientSession
) -> AsyncIterator[SimulatorProcess]:
    """Start the Pushover simulator; wait for its banner and its control API."""
    process = SimulatorProcess(run_dir, free_port())
    process.start()
    try:
        client = SimulatorClient(http, process.root_url)

        async def ready() -> bool | None:
            process.check_running()
            if "user key" not in process.credentials():
                return None
            try:
                await client.state()
            except aiohttp.ClientError:
                return None
            return True

        await wait_for(ready, timeout=START_TIMEOUT, what="the simulator to start")
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def simulator(
    simulator_process: SimulatorProcess, http: aiohttp.ClientSession
) -> SimulatorClient:
    """Return the simulator's control API, with its faults switched off."""
    client = SimulatorClient(http, simulator_process.root_url)
    await client.clear_faults()
    return client


@pytest.fixture(scope="session")
def credentials(simulator_process: SimulatorProcess) -> Credentials:
    """Return the test credentials the simulator printed."""
    printed = simulator_process.credentials()
    return Credentials(
        app_token=printed["app token"],
        other_token=printed["other token"],
        user_key=printed["user key"],
        second_user_key=printed["second user"],
        group_key=printed["group key"],
        encryption_key=printed["encryption key"],
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def home_assistant(
    request: pytest.FixtureRequest,
    run_dir: RunDirectory,
    simulator_process: SimulatorProcess,
    http: aiohttp.ClientSession,
) -> AsyncIterator[HomeAssistant]:
    """Start Home Assistant on a fresh configuration directory and onboard it."""
    process = HomeAssistantProcess(run_dir, free_port(), simulator_process.base_url)
    process.prepare()
    request.config.stash[_HASS_KEY] = process
    process.start()
    try:
        instance = HomeAssistant(process, HomeAssistantClient(http, process.url))
        await instance.wait_until_running()
        await instance.client.onboard(
            name=OWNER.name, username=OWNER.username, password=OWNER.password
        )
        await instance.wait_until_running()
        yield instance
    finally:
        process.stop()


@pytest.fixture
def hass_client(home_assistant: HomeAssistant) -> HomeAssistantClient:
    """Return the logged-in client of the running Home Assistant."""
    return home_assistant.client


async def add_entry(
    client: HomeAssistantClient,
    credentials: Credentials,
    recipient: str = RECIPIENT,
    token: str | None = None,
) -> Any:
    """Add Pushover Plus through the config flow; return the flow's last answer.

    The menu's "Send messages", then its two forms: the token and the key,
    then the primary recipient's name.
    An answer that is no form (an abort) ends it early.
    """
    menu = await client.request(
        "POST", "/api/config/config_entries/flow", {"handler": DOMAIN}
    )
    step = f"/api/config/config_entries/flow/{menu['flow_id']}"
    # The first step is a menu: send messages (an application), or an inbox.
    await client.request("POST", step, {"next_step_id": "credentials"})
    answer = await client.request(
        "POST",
        step,
        {
            "api_token": token or credentials.app_token,
            "user_key": credentials.user_key,
        },
    )
    if answer["type"] != "form":
        return answer
    return await client.request("POST", step, {"name": recipient})


@pytest_asyncio.fixture(loop_scope="session")
async def entry_id(hass_client: HomeAssistantClient, credentials: Credentials) -> str:
    """Return the entry id of the simulator's test application; add it if missing."""
    for entry in await hass_client.entries(DOMAIN):
        if entry["title"] == ENTRY_TITLE:
            found: str = entry["entry_id"]
            return found
    created = await add_entry(hass_client, credentials)
    new: str = created["result"]["entry_id"]
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")
    return new


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Return the folder for screenshots (named at the end of the run)."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS_DIR


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the screenshots and logs of the run, before pytest's closing line."""
    for title, folder in (("screenshots", SCREENSHOTS_DIR), ("logs", LOGS_DIR)):
        if folder.is_dir() and any(folder.iterdir()):
            names = ", ".join(sorted(path.name for path in folder.iterdir()))
            relative = folder.relative_to(REPO_DIR)
            terminalreporter.write_sep("-", title)
            terminalreporter.write_line(f"{relative}/: {names}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the end of Home Assistant's log to a failed test's report."""
    report = yield
    process = item.config.stash.get(_HASS_KEY, None)
    if report.failed and process is not None and call.when != "teardown":
        report.sections.append(
            ("Home Assistant log (end)", process.home_assistant_log_tail())
        )
    return report
