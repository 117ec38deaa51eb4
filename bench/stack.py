"""The processes of a benchmark run, started through the end-to-end harness.

The simulator serves HTTPS with a throw-away certificate; the latency proxy
relays TCP in front of it; Home Assistant talks to the proxy, trusting the
throw-away CA through REQUESTS_CA_BUNDLE (its aiohttp SSL context and
`requests` both read it), with `pushover_complete` on its PYTHONPATH only.
"""

import asyncio
from dataclasses import dataclass
import os
from pathlib import Path
import ssl
import subprocess
import time
from typing import Final

import aiohttp

from e2e.clients import HomeAssistantClient, SimulatorClient, wait_for
from e2e.harness import (
    IN_TOOLCHAIN,
    LOCALHOST,
    REPO_DIR,
    HomeAssistantProcess,
    ManagedProcess,
    RunDirectory,
    SimulatorProcess,
    free_port,
)

BENCH_DIR: Final = REPO_DIR / ".bench"
START_TIMEOUT: Final = 300.0
MONTHLY_LIMIT: Final = 10_000_000
OUR_NAME: Final = "Ours"
BUILTIN_NAME: Final = "Builtin"
OWNER: Final = ("Bench Owner", "owner", "bench-not-a-secret")


def in_toolchain(*argv: str) -> str:
    """Run a command in the toolchain; return its standard output."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [str(IN_TOOLCHAIN), *argv],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
        raise RuntimeError(msg)
    return result.stdout


def builtin_requirement() -> str:
    """Return the built-in pushover integration's pinned requirement."""
    return in_toolchain(
        "python",
        "-c",
        # Found without importing it: its package needs the library.
        "import importlib.util, json, pathlib;"
        "spec = importlib.util.find_spec('homeassistant.components.pushover');"
        "m = pathlib.Path(spec.origin).with_name('manifest.json');"
        "print(json.loads(m.read_text())['requirements'][0])",
    ).strip()


def builtin_site() -> Path:
    """Install the built-in's library into a folder of its own (once)."""
    requirement = builtin_requirement()
    site = BENCH_DIR / ("site-" + requirement.replace("==", "-"))
    if not (site / ".complete").exists():
        relative = site.relative_to(REPO_DIR).as_posix()
        # Its one dependency, requests, is in the toolchain already.
        in_toolchain(
            "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            relative,
            requirement,
        )
        (site / ".complete").write_text(requirement + "\n", encoding="utf-8")
    return site


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of a process, threads included."""
    with Path(f"/proc/{pid}/stat").open(encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Credentials:
    """The simulator's test token and user key."""

    token: str
    user: str


class Stack:
    """The simulator, the proxy and Home Assistant of one benchmark run."""

    def __init__(self, run: RunDirectory, rtt_ms: float) -> None:
        """Describe the processes; `start` starts them."""
        self.run = run
        self.rtt_ms = rtt_ms
        self.tls_dir = run.path / "tls"
        self.sim_port = free_port()
        self.proxy_port = free_port()
        self.simulator = SimulatorProcess(run, self.sim_port)
        self.proxy = ManagedProcess(
            run,
            "proxy",
            [
                "python",
                "-m",
                "bench.proxy",
                "--listen-port",
                str(self.proxy_port),
                "--target-port",
                str(self.sim_port),
                "--rtt-ms",
                str(rtt_ms),
            ],
        )
        self.api_url = f"https://{LOCALHOST}:{self.proxy_port}/1/"
        self.sim_root_url = f"https://{LOCALHOST}:{self.sim_port}/"
        self.hass = HomeAssistantProcess(run, free_port(), self.api_url)
        self.ssl_context: ssl.SSLContext = ssl.create_default_context()
        self.session: aiohttp.ClientSession | None = None
        self.sim: SimulatorClient | None = None
        self.ha: HomeAssistantClient | None = None

    @property
    def processes(self) -> list[ManagedProcess]:
        """Return the processes, in the order they start."""
        return [self.simulator, self.proxy, self.hass]

    async def start(self) -> float:
        """Start everything and onboard Home Assistant; return its start time."""
        repo_in_toolchain = in_toolchain("pwd").strip()
        tls = self.run.relative(self.tls_dir)
        in_toolchain("python", "-m", "bench.certs", tls)
        site = builtin_site().relative_to(REPO_DIR).as_posix()
        self.ssl_context = ssl.create_default_context(
            cafile=str(self.tls_dir / "ca.pem")
        )
        self.session = aiohttp.ClientSession()
        self.simulator.argv += [
            "--tls-cert",
            f"{tls}/server.pem",
            "--tls-key",
            f"{tls}/server.key",
            "--limit",
            str(MONTHLY_LIMIT),
        ]
        self.simulator.start()
        self.proxy.start()
        self.hass.prepare()
        # The integration logs each send at debug level in the e2e setup: a
        # benchmark measures it as users run it.
        configuration = self.hass.config_dir / "configuration.yaml"
        configuration.write_text(
            configuration.read_text(encoding="utf-8").replace(
                "custom_components.pushover_plus: debug",
                "custom_components.pushover_plus: warning",
            )
            # The outbox's count of bytes written is read from its diagnostics.
            + "diagnostics:\n",
            encoding="utf-8",
        )
        base = repo_in_toolchain
        self.hass.argv = [
            "env",
            f"REQUESTS_CA_BUNDLE={base}/{tls}/ca.pem",
            f"PYTHONPATH={base}/bench/hooks:{base}/{site}",
            f"BENCH_PUSHOVER_COMPLETE_URL={self.api_url}",
            *self.hass.argv,
            "--skip-pip-packages",
            "pushover_complete",
        ]
        self.sim = SimulatorClient(self._tls_session(), self.sim_root_url)
        await self._wait_for_simulator()
        started = time.monotonic()
        self.hass.start()
        self.ha = HomeAssistantClient(self.session, self.hass.url)
        await self._wait_for_hass(logged_in=False)
        await self.ha.onboard(name=OWNER[0], username=OWNER[1], password=OWNER[2])
        await self._wait_for_hass(logged_in=True)
        return time.monotonic() - started

    def _tls_session(self) -> aiohttp.ClientSession:
        self.tls_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self.ssl_context)
        )
        return self.tls_session

    def credentials(self) -> Credentials:
        """Return the simulator's test credentials from its banner."""
        printed = self.simulator.credentials()
        return Credentials(token=printed["app token"], user=printed["user key"])

    async def _wait_for_simulator(self) -> None:
        sim = self.simulator
        client = self.sim
        assert client is not None  # noqa: S101 - set by start

        async def ready() -> bool | None:
            sim.check_running()
            self.proxy.check_running()
            if "user key" not in sim.credentials():
                return None
            try:
                await client.state()
            except aiohttp.ClientError:
                return None
            return True

        await wait_for(ready, timeout=START_TIMEOUT, what="the simulator")

    async def _wait_for_hass(self, *, logged_in: bool) -> None:
        client = self.ha
        assert client is not None  # noqa: S101 - set by start

        async def probe() -> bool | None:
            self.hass.check_running()
            if not await client.is_serving():
                return None
            if not logged_in:
                return True
            return True if await client.core_state() == "RUNNING" else None

        await wait_for(probe, timeout=START_TIMEOUT, what="Home Assistant to start")

    async def stop(self) -> None:
        """Stop the processes (last started first) and close the sessions."""
        for process in reversed(self.processes):
            await asyncio.to_thread(process.stop)
        for session in (self.session, getattr(self, "tls_session", None)):
            if session is not None:
                await session.close()
