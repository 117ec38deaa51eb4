"""Typed keys under which the aiohttp app and requests carry simulator objects."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from .push import PushServer
from .receipts import Receipt
from .state import SimulatorState

type Acknowledger = Callable[[str, str, str], Awaitable[Receipt]]

STATE_KEY = web.AppKey("pushover_simulator_state", SimulatorState)
ACKNOWLEDGE_KEY: web.AppKey[Acknowledger] = web.AppKey("pushover_simulator_ack")
PUSH_KEY = web.AppKey("pushover_simulator_push", PushServer)
FAULT_KEY = web.RequestKey("pushover_simulator_fault", str)
