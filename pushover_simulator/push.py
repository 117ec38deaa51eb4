"""The push server: Pushover's Open Client WebSocket (`/push`).

A client connects and sends `login:<device_id>:<secret>` and a newline. The
server answers with one-byte binary frames:

- `#` keep-alive, every `keep_alive_seconds` of the simulator's clock;
- `!` a new message is in the device's queue: download, then delete;
- `R` reload: the client should drop the connection and connect again;
- `E` a permanent error (a bad login, a device that may no longer receive):
  the server closes, and the client should not reconnect by itself;
- `A` the device logged in from another session: the server closes this one.

The keep-alives are timed by the simulator's clock and driven by the event
loop: while a session is open, one timer waits until the next keep-alive is
due by the clock (at most `keep_alive_seconds`), and none runs when no
session is open, so tests that run the loop's timers see no timer of the
simulator's unless they use the push server. A test on a hand-moved clock
calls `beat()` after moving it; under a frozen clock that also moves the
loop's time, the timer fires when the keep-alive falls due. Through `act()`
(the control API and the phone page) a test drops connections, sends `R`,
`E` or `A`, or makes a session fall silent (no keep-alives, no `!`, as a
connection that died without closing) and speak again.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
import re
from typing import Final, Literal, get_args

from aiohttp import WSCloseCode, WSMsgType, web

from .state import SimulatorState

PUSH_PATH: Final = "/push"
KEEP_ALIVE_SECONDS: Final = 30.0
# A login line is under 100 characters; anything much longer is hostile.
_MAX_FRAME_BYTES: Final = 4096
_CLOSE_TIMEOUT: Final = 1.0
KEEP_ALIVE: Final = b"#"
NEW_MESSAGE: Final = b"!"
RELOAD: Final = b"R"
ERROR: Final = b"E"
ELSEWHERE: Final = b"A"
_CLOSING_FRAMES: Final = frozenset({ERROR, ELSEWHERE})
_LOGIN: Final = re.compile(r"login:([A-Za-z0-9]+):([A-Za-z0-9]+)\n")

type PushAction = Literal["drop", "reload", "error", "elsewhere", "silence", "resume"]
PUSH_ACTIONS: Final[tuple[str, ...]] = get_args(PushAction.__value__)
_FRAMES: Final[dict[str, bytes]] = {
    "reload": RELOAD,
    "error": ERROR,
    "elsewhere": ELSEWHERE,
}


@dataclass(slots=True, eq=False)
class _Session:
    """A logged-in connection: its socket, frames to send, keep-alive time."""

    device_id: str
    socket: web.WebSocketResponse
    transport: asyncio.Transport | None
    last_keep_alive: float
    silent: bool = False
    ending: bool = False
    frames: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)

    def send(self, frame: bytes) -> None:
        """Queue a frame; after `E` or `A` the session sends nothing more."""
        if self.ending:
            return
        self.ending = frame in _CLOSING_FRAMES
        self.frames.put_nowait(frame)


class PushServer:
    """The WebSocket sessions of the Open Client devices, one per device."""

    def __init__(
        self, state: SimulatorState, *, keep_alive_seconds: float = KEEP_ALIVE_SECONDS
    ) -> None:
        """Serve the devices of `state`; nothing runs until a device logs in."""
        self._state = state
        self.keep_alive_seconds = keep_alive_seconds
        self._sessions: dict[str, _Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        state.open_client.subscribe(self._message_queued)

    def add_to(self, app: web.Application) -> None:
        """Serve `/push` in `app`; its shutdown closes every connection."""
        app.router.add_get(PUSH_PATH, self.handle)
        app.on_startup.append(self._open)
        app.on_shutdown.append(self._close_all)

    @property
    def device_ids(self) -> list[str]:
        """The devices with a logged-in session now."""
        return list(self._sessions)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """GET /push: log a device in, then send its frames until either side ends."""
        socket = web.WebSocketResponse(
            timeout=_CLOSE_TIMEOUT, compress=False, max_msg_size=_MAX_FRAME_BYTES
        )
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            device_id = await self._read_login(socket)
            if device_id is None:
                await self._refuse(socket)
                return socket
            session = _Session(
                device_id, socket, request.transport, self._state.clock()
            )
            await self._serve(session)
        finally:
            self._sockets.discard(socket)
        return socket

    async def _read_login(self, socket: web.WebSocketResponse) -> str | None:
        """Read the login frame; return the device id when it is valid."""
        message = await socket.receive()
        if message.type is not WSMsgType.TEXT:
            return None
        match = _LOGIN.fullmatch(message.data)
        if match is None:
            return None
        device_id, secret = match.groups()
        device = self._state.open_client.push_login(device_id, secret)
        return None if device is None else device.id

    async def _refuse(self, socket: web.WebSocketResponse) -> None:
        """Answer a bad login with `E` and close, unless the client already left."""
        if socket.closed:
            return
        with contextlib.suppress(ConnectionResetError):
            await socket.send_bytes(ERROR)
            await socket.close()

    async def _serve(self, session: _Session) -> None:
        """Run a logged-in session: one task writes frames, this one reads.

        The client sends nothing after its login; reading is how the server
        sees it go (or its own close after `E` or `A` complete).
        """
        self._attach(session)
        writer = asyncio.create_task(self._write(session))
        try:
            async for _message in session.socket:
                continue
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self._detach(session)

    async def _write(self, session: _Session) -> None:
        """Send the session's frames in order; close after `E` or `A`."""
        with contextlib.suppress(ConnectionResetError):
            while True:
                frame = await session.frames.get()
                await session.socket.send_bytes(frame)
                if frame in _CLOSING_FRAMES:
                    await session.socket.close()
                    return

    def _attach(self, session: _Session) -> None:
        """Make the session the device's one; tell an older one with `A`."""
        older = self._sessions.get(session.device_id)
        if older is not None:
            older.send(ELSEWHERE)
        self._sessions[session.device_id] = session
        self._state.open_client.connected(session.device_id)
        self._schedule()

    def _detach(self, session: _Session) -> None:
        """Forget an ended session (unless a newer one replaced it)."""
        if self._sessions.get(session.device_id) is session:
            del self._sessions[session.device_id]
            self._state.open_client.disconnected(session.device_id)
            self._schedule()

    def _message_queued(self, device_id: str) -> None:
        """Tell the device's session that a message waits, unless it is silent."""
        session = self._sessions.get(device_id)
        if session is not None and not session.silent:
            session.send(NEW_MESSAGE)

    def beat(self) -> None:
        """Run one keep-alive round now, then wait for the next one.

        A session whose device may no longer receive (its trial ended, or the
        simulator was reset) gets `E`; any other that is not silent gets `#`
        when `keep_alive_seconds` of the clock passed since its last one.
        """
        now = self._state.clock()
        for session in self._live_sessions():
            if not self._state.open_client.may_push(session.device_id):
                session.send(ERROR)
            elif (
                not session.silent
                and now - session.last_keep_alive >= self.keep_alive_seconds
            ):
                session.last_keep_alive = now
                session.send(KEEP_ALIVE)
        self._schedule()

    def _live_sessions(self) -> list[_Session]:
        """Return the sessions that have not been sent their last frame."""
        return [session for session in self._sessions.values() if not session.ending]

    def _schedule(self) -> None:
        """Set the one timer for the next keep-alive round, or none without sessions.

        The round is due when the earliest keep-alive falls due by the clock;
        silent sessions are looked at every `keep_alive_seconds` (a device
        may lose its licence meanwhile). A clock moved back waits one interval.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        sessions = self._live_sessions()
        if self._closing or not sessions:
            return
        now = self._state.clock()
        due = min(
            now + self.keep_alive_seconds
            if session.silent
            else session.last_keep_alive + self.keep_alive_seconds
            for session in sessions
        )
        delay = min(max(due - now, 0.0), self.keep_alive_seconds)
        self._timer = asyncio.get_running_loop().call_later(delay, self.beat)

    def act(self, action: PushAction, device_id: str | None = None) -> int:
        """Apply a control action to a device's session, or to all; return how many.

        `drop` closes the TCP connection without a closing handshake, as a
        network failure would; `reload`, `error` and `elsewhere` send `R`,
        `E` and `A`; `silence` and `resume` stop and restart everything the
        server sends by itself.
        """
        sessions = [
            session
            for session in self._sessions.values()
            if device_id is None or session.device_id == device_id
        ]
        for session in sessions:
            if action == "drop":
                if session.transport is not None:
                    session.transport.abort()
            elif action in _FRAMES:
                session.send(_FRAMES[action])
            else:
                session.silent = action == "silence"
                self._state.open_client.set_silent(
                    session.device_id, silent=session.silent
                )
        self._schedule()
        return len(sessions)

    async def _open(self, _app: web.Application) -> None:
        """Accept sessions again (a stopped simulator may start anew)."""
        self._closing = False

    async def _close_all(self, _app: web.Application) -> None:
        """On shutdown, stop the timer and close every connection, logged in or not."""
        self._closing = True
        self._schedule()
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY)
