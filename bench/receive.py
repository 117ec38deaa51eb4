"""Receive latency: from the simulator accepting a message to Home Assistant's event.

An inbox entry logs in through the latency proxy as the config flow does
over REST, and keeps its push WebSocket open through the proxy. Each sample
is one message sent to the account by the bare client; it is timed from the
simulator's `received_at` to the `time_fired` of Home Assistant's
`pushover_plus_message_received` event. The baseline, in the same run and
through the same proxy: a bare Open Client of its own (a second device of the
account) that downloads as soon as the push socket says `!`, timed from
`received_at` to the end of its download, the simulator's own
push-to-download round trip. Both devices get every message.
"""

import asyncio
from datetime import datetime
import time
from typing import Any, Final

import aiohttp

from e2e.clients import Json

from .measure import Bench, summary_ms

EMAIL: Final = "tester@example.com"
PASSWORD: Final = "correct-horse-battery"  # noqa: S105 - the simulator's test login
INBOX_DEVICE: Final = "BenchInbox"
BASELINE_DEVICE: Final = "BenchBare"
EVENT: Final = "pushover_plus_message_received"
TIMEOUT_S: Final = 30.0


async def add_inbox(bench: Bench) -> str:
    """Add the inbox through the config flow over REST; return its entry id."""
    menu = await bench.ha.request(
        "POST", "/api/config/config_entries/flow", {"handler": "pushover_plus"}
    )
    step = f"/api/config/config_entries/flow/{menu['flow_id']}"
    await bench.ha.request("POST", step, {"next_step_id": "inbox"})
    await bench.ha.request("POST", step, {"email": EMAIL, "password": PASSWORD})
    created = await bench.ha.request("POST", step, {"device_name": INBOX_DEVICE})
    if created.get("type") != "create_entry":
        msg = f"the inbox flow did not create an entry: {created}"
        raise RuntimeError(msg)
    entry_id: str = created["result"]["entry_id"]
    return entry_id


class BareClient:
    """A minimal Open Client: a device, its push socket, a download per `!`."""

    def __init__(self, bench: Bench) -> None:
        """Use the bench's bare session, which goes through the proxy."""
        self._session = bench.bare
        self._api = bench.stack.api_url
        self.secret = ""
        self.device_id = ""
        self.downloaded_at: dict[str, float] = {}

    async def _post(self, path: str, data: dict[str, str]) -> Json:
        async with self._session.post(self._api + path, data=data) as response:
            body: Json = await response.json()
        if body.get("status") != 1:
            msg = f"{path}: {body}"
            raise RuntimeError(msg)
        return body

    async def register(self) -> None:
        """Log in and register the baseline's own device."""
        login = await self._post(
            "users/login.json", {"email": EMAIL, "password": PASSWORD}
        )
        self.secret = login["secret"]
        device = await self._post(
            "devices.json", {"secret": self.secret, "name": BASELINE_DEVICE, "os": "O"}
        )
        self.device_id = device["id"]

    async def listen(self, push_url: str, ready: asyncio.Event) -> None:
        """Download at each `!`, noting when each title arrived; until cancelled."""
        async with self._session.ws_connect(push_url) as socket:
            await socket.send_str(f"login:{self.device_id}:{self.secret}\n")
            ready.set()
            async for frame in socket:
                if frame.type is aiohttp.WSMsgType.BINARY and frame.data == b"!":
                    await self._download()

    async def _download(self) -> None:
        async with self._session.get(
            self._api + "messages.json",
            params={"secret": self.secret, "device_id": self.device_id},
        ) as response:
            body: Json = await response.json()
        done = time.time()
        messages = body.get("messages", [])
        for message in messages:
            self.downloaded_at.setdefault(str(message["title"]), done)
        if messages:
            await self._post(
                f"devices/{self.device_id}/update_highest_message.json",
                {"secret": self.secret, "message": str(messages[-1]["id"])},
            )


async def receive_latency(bench: Bench, samples: int) -> dict[str, Any]:
    """Time `samples` messages from the simulator to Home Assistant's event."""
    await add_inbox(bench)
    baseline = BareClient(bench)
    await baseline.register()
    push_url = bench.stack.api_url.replace("https://", "wss://").replace("/1/", "/push")
    ready = asyncio.Event()
    listener = asyncio.create_task(baseline.listen(push_url, ready))
    to_event: list[float] = []
    to_download: list[float] = []
    try:
        await asyncio.wait_for(ready.wait(), TIMEOUT_S)
        async with bench.ha.websocket() as socket:
            await socket.subscribe_events(EVENT)
            send = bench.sender("bare")
            # The inbox's first login sync may still run: one message to warm up.
            await send("receive-warm")
            await socket.next_whole_event(EVENT, TIMEOUT_S)
            for index in range(samples):
                title = f"receive-{index:04d}"
                await send(title)
                event = await socket.next_whole_event(EVENT, TIMEOUT_S)
                fired = datetime.fromisoformat(event["time_fired"]).timestamp()
                [accepted] = await bench.received(title, 1, wait=TIMEOUT_S)
                to_event.append(fired - accepted["received_at"])
                downloaded = await _downloaded(baseline, title)
                to_download.append(downloaded - accepted["received_at"])
    finally:
        listener.cancel()
    return {
        "samples": samples,
        "to_event": summary_ms(to_event),
        "baseline_push_to_download": summary_ms(to_download),
    }


async def _downloaded(baseline: BareClient, title: str) -> float:
    """Wait until the baseline client downloaded `title`; return when it did."""
    deadline = time.monotonic() + TIMEOUT_S
    while title not in baseline.downloaded_at:
        if time.monotonic() > deadline:
            msg = f"the baseline client never downloaded {title}"
            raise TimeoutError(msg)
        await asyncio.sleep(0.005)
    return baseline.downloaded_at[title]
