"""HTTP clients of an end-to-end run: the simulator's control API and Home Assistant.

Only public interfaces are used: the simulator's /_sim API, and Home
Assistant's REST API, websocket API and onboarding endpoints, as the frontend
or another program would use them.
"""

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import itertools
import json
import time
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import aiohttp

Json = dict[str, Any]
T = TypeVar("T")

POLL_INTERVAL: Final = 0.25
HTTP_OK: Final = 200


class WaitTimeoutError(AssertionError):
    """Something awaited did not happen in time."""


async def wait_for(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float,
    what: str,
    interval: float = POLL_INTERVAL,
) -> T:
    """Call `probe` until it returns something other than None; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout:.0f} s waiting for {what}"
            raise WaitTimeoutError(msg)
        await asyncio.sleep(interval)


class SimulatorClient:
    """The simulator's /_sim control API."""

    def __init__(self, session: aiohttp.ClientSession, root_url: str) -> None:
        """Talk to the simulator at `root_url` (ending in /)."""
        self._session = session
        self.root_url = root_url

    async def _json(self, method: str, path: str, body: Json | None = None) -> Json:
        async with self._session.request(
            method, self.root_url + path, json=body
        ) as response:
            data: Json = await response.json()
            if response.status != HTTP_OK:
                msg = f"{method} /{path} answered {response.status}: {data}"
                raise AssertionError(msg)
            return data

    async def state(self) -> Json:
        """Return everything the simulator holds (GET /_sim/state)."""
        return await self._json("GET", "_sim/state")

    async def messages(self) -> list[Json]:
        """Return the accepted messages, oldest first."""
        messages: list[Json] = (await self.state())["messages"]
        return messages

    async def set_faults(self, **faults: object) -> Json:
        """Switch faults on, e.g. fail_next=1000, fail_status=503."""
        return await self._json("POST", "_sim/faults", dict(faults))

    async def clear_faults(self) -> Json:
        """Switch every fault off."""
        return await self._json("DELETE", "_sim/faults")

    async def set_remaining(self, remaining: int) -> Json:
        """Set the messages left this month; return the quota."""
        return await self._json("POST", "_sim/remaining", {"remaining": remaining})

    async def acknowledge(self, receipt: str, user: str, device: str) -> Json:
        """Acknowledge an emergency message as `user` on `device`."""
        return await self._json(
            "POST",
            "_sim/acknowledge",
            {"receipt": receipt, "user": user, "device": device},
        )

    async def push(self, action: str) -> Json:
        """Steer the push server: drop, reload, error, elsewhere, silence, resume."""
        return await self._json("POST", "_sim/push", {"action": action})

    async def send_as_app(self, token: str, user: str, **fields: object) -> Json:
        """Send a message through the simulator's API, as an application would."""
        data = {"token": token, "user": user, **{k: str(v) for k, v in fields.items()}}
        async with self._session.post(
            self.root_url + "1/messages.json", data=data
        ) as response:
            answer: Json = await response.json()
            if response.status != HTTP_OK:
                msg = f"messages.json answered {response.status}: {answer}"
                raise AssertionError(msg)
            return answer

    async def messages_titled(self, title: str) -> list[Json]:
        """Return the accepted messages with this title."""
        return [item for item in await self.messages() if item["title"] == title]

    async def wait_for_message(self, title: str, timeout: float = 30) -> Json:
        """Wait until a message with this title arrived; return the first one."""

        async def probe() -> Json | None:
            found = await self.messages_titled(title)
            return found[0] if found else None

        return await wait_for(probe, timeout=timeout, what=f"message {title!r}")


class HomeAssistantError(AssertionError):
    """Home Assistant answered a request with an unexpected status."""


class WebSocket:
    """A logged-in connection to Home Assistant's websocket API."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Describe the connection; `async with` opens it."""
        self._session = session
        self._url = url
        self._token = token
        self._ids = itertools.count(1)
        self._events: list[Json] = []
        self._socket: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> Self:
        """Connect and authenticate."""
        self._socket = await self._session.ws_connect(self._url)
        required = await self._receive()
        if required["type"] != "auth_required":
            msg = f"unexpected greeting {required}"
            raise HomeAssistantError(msg)
        await self._socket.send_json({"type": "auth", "access_token": self._token})
        answer = await self._receive()
        if answer["type"] != "auth_ok":
            msg = f"websocket authentication failed: {answer}"
            raise HomeAssistantError(msg)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the connection."""
        if self._socket is not None:
            with contextlib.suppress(aiohttp.ClientError):
                await self._socket.close()

    async def _receive(self, timeout: float = 30) -> Json:
        if self._socket is None:
            msg = "not connected"
            raise RuntimeError(msg)
        received = await self._socket.receive(timeout=timeout)
        if received.type is not aiohttp.WSMsgType.TEXT:
            msg = f"the websocket ended ({received.type.name})"
            raise HomeAssistantError(msg)
        message: Json = json.loads(received.data)
        return message

    async def command(self, command_type: str, **fields: Any) -> Any:
        """Send a command; return its result, keeping events that come first."""
        if self._socket is None:
            msg = "not connected"
            raise RuntimeError(msg)
        command_id = next(self._ids)
        await self._socket.send_json({"id": command_id, "type": command_type, **fields})
        while True:
            message = await self._receive()
            if message["type"] == "event":
                self._events.append(message)
                continue
            if message.get("id") != command_id:
                continue
            if not message.get("success"):
                msg = f"{command_type} failed: {message}"
                raise HomeAssistantError(msg)
            return message.get("result")

    async def subscribe_events(self, event_type: str) -> None:
        """Subscribe to one event type of the event bus."""
        await self.command("subscribe_events", event_type=event_type)

    async def next_event(self, event_type: str, timeout: float) -> Json:
        """Return the data of the next event of this type (waiting `timeout`)."""
        data: Json = (await self.next_whole_event(event_type, timeout))["data"]
        return data

    async def next_whole_event(self, event_type: str, timeout: float) -> Json:
        """Return the next event of this type with its `time_fired`."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self._events:
                event: Json = message["event"]
                if event["event_type"] == event_type:
                    self._events.remove(message)
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"no {event_type} event within {timeout:.0f} s"
                raise WaitTimeoutError(msg)
            try:
                message = await self._receive(timeout=remaining)
            except TimeoutError:
                continue
            if message["type"] == "event":
                self._events.append(message)


class HomeAssistantClient:
    """Home Assistant's onboarding, auth, REST and websocket APIs."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Talk to Home Assistant at `url` (no trailing slash)."""
        self._session = session
        self.url = url
        self.client_id = f"{url}/"
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    @property
    def _headers(self) -> dict[str, str]:
        if self.access_token is None:
            return {}
        return {"Authorization": f"Bearer {self.access_token}"}

    async def request(
        self,
        method: str,
        path: str,
        body: Json | None = None,
        *,
        expect: int = HTTP_OK,
    ) -> Any:
        """Send a JSON request; return the JSON answer (None when empty)."""
        async with self._session.request(
            method, self.url + path, json=body, headers=self._headers
        ) as response:
            text = await response.text()
            if response.status != expect:
                msg = f"{method} {path} answered {response.status}: {text[:2000]}"
                raise HomeAssistantError(msg)
            if not text:
                return None
            return await response.json(content_type=None)

    async def is_serving(self) -> bool:
        """Tell whether the HTTP server answers (the frontend needs no login)."""
        try:
            async with self._session.get(
                f"{self.url}/manifest.json",
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                return response.status == HTTP_OK
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def onboard(self, *, name: str, username: str, password: str) -> None:
        """Create the owner and finish onboarding, as the onboarding page does."""
        created = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self.login_with_code(created["auth_code"])
        await self.request("POST", "/api/onboarding/analytics", {})
        integration = await self.request(
            "POST",
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.client_id}?auth_callback=1",
            },
        )
        if not integration.get("auth_code"):
            msg = f"onboarding's integration step gave no auth code: {integration}"
            raise HomeAssistantError(msg)
        steps = await self.request("GET", "/api/onboarding")
        pending = [step["step"] for step in steps if not step["done"]]
        if pending:
            msg = f"onboarding steps not done: {pending}"
            raise HomeAssistantError(msg)

    async def login_with_code(self, code: str) -> None:
        """Exchange an authorization code for tokens."""
        async with self._session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            tokens: Json = await response.json()
            if response.status != HTTP_OK:
                msg = f"POST /auth/token answered {response.status}: {tokens}"
                raise HomeAssistantError(msg)
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    async def core_state(self) -> str | None:
        """Return Home Assistant's state (RUNNING once started), None if down."""
        try:
            config = await self.request("GET", "/api/config")
        except (aiohttp.ClientError, HomeAssistantError):
            return None
        state: str = config["state"]
        return state

    async def state(self, entity_id: str) -> Json:
        """Return an entity's state object."""
        state: Json = await self.request("GET", f"/api/states/{entity_id}")
        return state

    async def wait_for_state(
        self,
        entity_id: str,
        expected: str,
        *,
        timeout: float = 30,
    ) -> Json:
        """Wait until an entity has the expected state; return the state object."""

        async def probe() -> Json | None:
            try:
                state = await self.state(entity_id)
            except HomeAssistantError:
                return None
            return state if state["state"] == expected else None

        return await wait_for(
            probe, timeout=timeout, what=f"{entity_id} to be {expected!r}"
        )

    async def call_service(
        self,
        domain: str,
        service: str,
        data: Json,
        *,
        return_response: bool = False,
        expect: int = HTTP_OK,
    ) -> Any:
        """Call an action through POST /api/services/<domain>/<service>."""
        query = "?return_response" if return_response else ""
        return await self.request(
            "POST", f"/api/services/{domain}/{service}{query}", data, expect=expect
        )

    async def entries(self, domain: str) -> list[Json]:
        """Return the config entries of a domain."""
        entries: list[Json] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    def websocket(self) -> WebSocket:
        """Open the websocket API with this client's token (`async with`)."""
        if self.access_token is None:
            msg = "log in first"
            raise RuntimeError(msg)
        return WebSocket(self._session, f"{self.url}/api/websocket", self.access_token)
