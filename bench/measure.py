"""The measured phases: single-message latency, bursts, config entry setup.

Three senders are compared, each measured the same way against the same
simulator behind the same proxy:

- "ours": the action `pushover_plus.send_message`;
- "builtin": the built-in integration's legacy action `notify.<name>`;
- "bare": an aiohttp client with 2 keep-alive connections, straight to the
  proxy (no Home Assistant in between: the floor the others are held to).

Actions are called over Home Assistant's websocket API, as the frontend and
the burst do; the latency phase also times "ours_rest", our action called
over the REST API, whose extra hop and token check are Home Assistant's.

Times are the simulator's receive time (its clock is the wall clock of the
same machine) minus the wall-clock time just before the call.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
import os
import statistics
import time
from typing import Any, Final

import aiohttp

from e2e.clients import HomeAssistantError, Json, WebSocket, wait_for

from .stack import BUILTIN_NAME, OUR_NAME, Credentials, Stack, cpu_seconds

SENDERS: Final = ("ours", "builtin", "bare")
# Latency also times our action called over REST, to show that hop's share.
LATENCY_SENDERS: Final = (*SENDERS, "ours_rest")
ACTIONS: Final = {
    "ours": ("pushover_plus", "send_message"),
    "builtin": ("notify", BUILTIN_NAME.lower()),
}
WARM_UP: Final = 3
TEXT: Final = "Benchmark: the washing machine is done."

Send = Callable[[str], Awaitable[None]]


def summary_ms(values: list[float]) -> dict[str, float]:
    """Summarise seconds (at least two values) as milliseconds: p50, p95, mean, max.

    The percentiles are `statistics.quantiles` with the "inclusive" method:
    linear interpolation between the nearest samples, the lowest and highest
    being the 0th and 100th percentiles (numpy's default, and what the
    published figures always used). The default "exclusive" method treats
    the samples as drawn from a wider population and extrapolates beyond the
    slowest one when a percentile falls past it, as p95 does in a round of 10.
    """
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "mean_ms": statistics.fmean(values) * 1000,
        "max_ms": max(values) * 1000,
    }


def combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool bursts of one sender: rates over all of them, peaks the highest."""
    messages = sum(run["messages"] - run["failed_calls"] for run in runs)
    cpu = sum(run["cpu_seconds"] for run in runs)
    return {
        "messages": runs[0]["messages"],
        "bursts": len(runs),
        "failed_calls": sum(run["failed_calls"] for run in runs),
        "messages_per_second": messages / sum(run["seconds"] for run in runs),
        "cpu_ms_per_message": cpu * 1000 / messages,
        "connections_opened": max(run["connections_opened"] for run in runs),
        "connections_per_1000": max(run["connections_per_1000"] for run in runs),
        "max_concurrent_requests": max(run["max_concurrent_requests"] for run in runs),
        "cpu_process": runs[0]["cpu_process"],
        "rounds": runs,
    }


@dataclass
class Bench:
    """The running stack and the clients that drive it."""

    stack: Stack
    credentials: Credentials
    bare: aiohttp.ClientSession

    @property
    def ha(self) -> Any:
        """Return the logged-in Home Assistant client."""
        return self.stack.ha

    @property
    def sim(self) -> Any:
        """Return the simulator's control client."""
        return self.stack.sim

    def fields(self, title: str) -> Json:
        """Return the service data of one benchmark message."""
        return {"message": TEXT, "title": title}

    def sender(self, kind: str, socket: WebSocket | None = None) -> Send:
        """Return a function sending one message titled `title` through `kind`.

        Home Assistant's senders call their action over `socket`, one logged-in
        websocket as the frontend uses; "ours_rest" calls over REST instead (an
        HTTP request and a token check each time).
        """

        async def over_websocket(title: str) -> None:
            if socket is None:
                msg = f"{kind} calls its action over the websocket"
                raise RuntimeError(msg)
            domain, service = ACTIONS[kind]
            await socket.command(
                "call_service",
                domain=domain,
                service=service,
                service_data=self.fields(title),
            )

        async def ours_rest(title: str) -> None:
            await self.ha.call_service(*ACTIONS["ours"], self.fields(title))

        async def bare(title: str) -> None:
            form = {
                "token": self.credentials.token,
                "user": self.credentials.user,
                **self.fields(title),
            }
            async with self.bare.post(
                f"{self.stack.api_url}messages.json", data=form
            ) as response:
                await response.read()
                if response.status != 200:  # noqa: PLR2004
                    msg = f"bare send answered {response.status}"
                    raise RuntimeError(msg)

        senders: dict[str, Send] = {
            "ours": over_websocket,
            "ours_rest": ours_rest,
            "builtin": over_websocket,
            "bare": bare,
        }
        return senders[kind]

    def cpu_pid(self, kind: str) -> int:
        """Return the id of the process that sends for `kind`."""
        return os.getpid() if kind == "bare" else self.stack.hass.pid

    async def reset_simulator(self) -> None:
        """Forget messages and zero the counters (POST /_sim/reset)."""
        async with self.stack.tls_session.post(
            f"{self.stack.sim_root_url}_sim/reset"
        ) as response:
            response.raise_for_status()

    async def received(self, prefix: str, count: int, wait: float) -> list[Json]:
        """Wait until `count` messages titled `prefix...` arrived; return them."""

        async def probe() -> list[Json] | None:
            found = [
                item
                for item in await self.sim.messages()
                if str(item["title"]).startswith(prefix)
            ]
            return found if len(found) >= count else None

        return await wait_for(
            probe, timeout=wait, what=f"{count} messages {prefix!r}", interval=0.1
        )

    async def latency(self, samples: int, rounds: int) -> dict[str, Any]:
        """Time single messages on warm clients, the senders taking turns.

        Each round sends `samples` messages per sender, one after the other and
        round-robin across the senders, so that the machine's drift (it is
        shared) falls on all of them alike; rounds show the spread.
        """
        async with self.ha.websocket() as socket:
            return await self._latency(socket, samples, rounds)

    async def _latency(
        self, socket: WebSocket, samples: int, rounds: int
    ) -> dict[str, Any]:
        senders = {kind: self.sender(kind, socket) for kind in LATENCY_SENDERS}
        for kind, send in senders.items():
            for index in range(WARM_UP):
                await send(f"{kind}-warm-{index}")
        started: dict[str, float] = {}
        call_seconds: dict[str, list[float]] = {kind: [] for kind in LATENCY_SENDERS}
        for number in range(rounds):
            for index in range(samples):
                for kind, send in senders.items():
                    title = f"{kind}-lat-{number}-{index:04d}"
                    started[title] = time.time()
                    await send(title)
                    call_seconds[kind].append(time.time() - started[title])
        results: dict[str, Any] = {}
        for kind in LATENCY_SENDERS:
            messages = await self.received(f"{kind}-lat-", samples * rounds, wait=60)
            by_round: list[list[float]] = [[] for _ in range(rounds)]
            for item in messages:
                title = str(item["title"])
                by_round[int(title.split("-")[2])].append(
                    item["received_at"] - started[title]
                )
            results[kind] = {
                "samples": samples * rounds,
                "to_receipt": summary_ms([value for row in by_round for value in row]),
                "rounds": [summary_ms(row) for row in by_round],
                "call_returned": summary_ms(call_seconds[kind]),
            }
        return results

    async def bursts(self, count: int, rounds: int) -> dict[str, Any]:
        """Run `rounds` bursts per sender, the senders taking turns; combine them."""
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SENDERS}
        for number in range(rounds):
            for kind in SENDERS:
                runs[kind].append(await self.burst(kind, count, f"burst-{number}"))
        return {kind: combined(kind_runs) for kind, kind_runs in runs.items()}

    async def slow_server(self, count: int, delay_s: float) -> dict[str, Any]:
        """Run a burst per sender while the simulator takes `delay_s` to answer.

        The simulator answers at once, so in a normal burst even requests on
        two connections rarely meet there; a slow answer makes them overlap,
        and the peak in flight then shows how many a sender really runs.
        """
        results = {
            kind: await self.burst(kind, count, "slow", delay_s) for kind in SENDERS
        }
        await self.sim.clear_faults()
        return results

    async def burst(
        self, kind: str, count: int, label: str, server_delay_s: float = 0.0
    ) -> dict[str, Any]:
        """Hand `count` messages over at once; measure until the last arrives.

        The sender is warmed first, as for the latency, so that connections
        counted are those the burst itself needed. `server_delay_s` holds
        every answer of the simulator back that long.
        """
        await self._warm_up(kind)
        await self.reset_simulator()
        if server_delay_s:
            await self.sim.set_faults(delay=server_delay_s)
        prefix = f"{kind}-{label}-"
        titles = [f"{prefix}{index:05d}" for index in range(count)]
        pid = self.cpu_pid(kind)
        cpu_before = cpu_seconds(pid)
        started = time.time()
        if kind == "bare":
            results = await asyncio.gather(
                *(self.sender(kind)(title) for title in titles), return_exceptions=True
            )
            failed = sum(isinstance(result, BaseException) for result in results)
        else:
            failed = await self._burst_over_websocket(kind, titles)
        handed_over = time.time() - started
        messages = await self.received(prefix, count - failed, wait=600)
        cpu_after = cpu_seconds(pid)
        state = await self.sim.state()
        arrival = [item["received_at"] - started for item in messages]
        elapsed = max(arrival)
        return {
            "messages": count,
            "failed_calls": failed,
            "seconds": elapsed,
            "all_calls_returned_s": handed_over,
            "messages_per_second": len(messages) / elapsed,
            "delivery": summary_ms(arrival),
            "connections_opened": state["connections_opened"],
            "connections_per_1000": state["connections_opened"] * 1000 / count,
            "max_concurrent_requests": state["max_concurrent_requests"],
            "api_requests": state["requests"],
            "cpu_seconds": cpu_after - cpu_before,
            "cpu_ms_per_message": (cpu_after - cpu_before) * 1000 / count,
            "cpu_process": "driver (bare client)" if kind == "bare" else "hass",
        }

    async def _warm_up(self, kind: str) -> None:
        """Send one message through `kind` (HA's senders over REST)."""
        title = f"{kind}-warm-burst"
        if kind == "bare":
            await self.sender(kind)(title)
            return
        await self.ha.call_service(*ACTIONS[kind], self.fields(title))
        await self.received(title, 1, wait=30)

    async def _burst_over_websocket(self, kind: str, titles: list[str]) -> int:
        """Send every call over one websocket without waiting; return failures.

        This is how fast automations can hand actions over: Home Assistant runs
        each websocket command as its own task, so all calls are in at once.
        """
        domain, service = ACTIONS[kind]
        session: aiohttp.ClientSession = self.stack.session  # type: ignore[assignment]
        async with session.ws_connect(
            f"{self.stack.hass.url}/api/websocket", max_msg_size=0
        ) as socket:
            await socket.receive_json()
            await socket.send_json(
                {"type": "auth", "access_token": self.ha.access_token}
            )
            await socket.receive_json()
            for number, title in enumerate(titles, start=1):
                await socket.send_str(
                    json.dumps(
                        {
                            "id": number,
                            "type": "call_service",
                            "domain": domain,
                            "service": service,
                            "service_data": self.fields(title),
                        }
                    )
                )
            failed = 0
            pending = set(range(1, len(titles) + 1))
            while pending:
                answer = await socket.receive_json(timeout=600)
                if answer.get("type") != "result":
                    continue
                pending.discard(answer["id"])
                failed += not answer.get("success")
            return failed

    async def add_entries(self) -> dict[str, Any]:
        """Add both integrations through the config flow; time each flow."""
        timings: dict[str, Any] = {}
        # Ours offers a menu (send or receive), asks for the token and key,
        # then the recipient's name.
        for domain, steps in (
            (
                "pushover_plus",
                [
                    {"next_step_id": "credentials"},
                    {
                        "api_token": self.credentials.token,
                        "user_key": self.credentials.user,
                    },
                    {"name": OUR_NAME},
                ],
            ),
            (
                "pushover",
                [
                    {
                        "name": BUILTIN_NAME,
                        "api_key": self.credentials.token,
                        "user_key": self.credentials.user,
                    }
                ],
            ),
        ):
            form = await self.ha.request(
                "POST", "/api/config/config_entries/flow", {"handler": domain}
            )
            started = time.perf_counter()
            for data in steps:
                created = await self.ha.request(
                    "POST", f"/api/config/config_entries/flow/{form['flow_id']}", data
                )
            seconds = time.perf_counter() - started
            if created.get("type") != "create_entry":
                msg = f"{domain} flow did not create an entry: {created}"
                raise RuntimeError(msg)
            timings[domain] = {
                "entry_id": created["result"]["entry_id"],
                "create_flow_s": seconds,
            }
        for domain in timings:
            await self.wait_loaded(domain)
        return timings

    async def wait_loaded(self, domain: str) -> None:
        """Wait until the domain's entry is loaded (setup ends after the flow)."""

        async def probe() -> bool | None:
            entries = await self.ha.entries(domain)
            return True if entries and entries[0]["state"] == "loaded" else None

        await wait_for(probe, timeout=120, what=f"the {domain} entry", interval=0.1)

    async def reload_times(self, entry_id: str, times: int) -> dict[str, Any]:
        """Reload an entry `times` times; return each reload's seconds.

        A reload refused (Home Assistant answers 403 while the entry is not in
        a reloadable state) is recorded with the entry's state, not timed.
        """
        seconds: list[float] = []
        refused: list[str] = []
        for _ in range(times):
            started = time.perf_counter()
            try:
                await self.ha.request(
                    "POST", f"/api/config/config_entries/entry/{entry_id}/reload"
                )
            except HomeAssistantError as err:
                states = [
                    (entry["domain"], entry["state"], entry.get("reason"))
                    for entry in await self.ha.entries("pushover_plus")
                    + await self.ha.entries("pushover")
                ]
                refused.append(f"{err} entries={states}")
                await asyncio.sleep(1)
                continue
            seconds.append(time.perf_counter() - started)
        return {"seconds": seconds, "refused": refused}
