"""Typed keys under which the aiohttp app and requests carry simulator objects."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from .receipts import Receipt
from .state import SimulatorState

type Acknowledger = Callable[[str, str, str], Awaitable[Receipt]]

STATE_KEY = web.AppKey("pushover_simulator_state", SimulatorState)
ACKNOWLEDGE_KEY: web.AppKey[Acknowledger] = web.AppKey("pushover_simulator_ack")
FAULT_KEY = web.RequestKey("pushover_simulator_fault", str)
