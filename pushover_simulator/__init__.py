"""A Pushover API simulator that enforces the real API's rules, for tests.

from pushover_simulator import PushoverSimulator, TEST_APP_TOKEN, TEST_USER_KEY

sim = PushoverSimulator()
base_url = await sim.start(host="127.0.0.1", port=0)  # http://127.0.0.1:N/1/
...
await sim.stop()

The Open Client side (receiving like a desktop device) logs in with
TEST_EMAIL / TEST_PASSWORD and pushes over `sim.push_url`.
"""

from .accounts import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_EMAIL,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_MEMBERS,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_NO_DEVICE_EMAIL,
    TEST_NO_DEVICE_PASSWORD,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_PASSWORD,
    TEST_SECOND_USER_DEVICES,
    TEST_SECOND_USER_KEY,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
)
from .faults import Faults
from .models import ReceivedMessage, RequestRecord
from .openclient import DESKTOP_TRIAL_SECONDS, ClientDevice, OpenClient
from .push import KEEP_ALIVE_SECONDS, PushServer
from .quota import DEFAULT_MONTHLY_LIMIT
from .receipts import Receipt, ReceiptError
from .rules import ATTACHMENT_MAX_BYTES
from .simulator import PushoverSimulator
from .state import SimulatorState

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "BUILTIN_SOUNDS",
    "CUSTOM_SOUNDS",
    "DEFAULT_MONTHLY_LIMIT",
    "DESKTOP_TRIAL_SECONDS",
    "KEEP_ALIVE_SECONDS",
    "TEST_APP_TOKEN",
    "TEST_DEVICES",
    "TEST_EMAIL",
    "TEST_GROUP_KEY",
    "TEST_GROUP_MEMBERS",
    "TEST_GROUP_MEMBER_KEY",
    "TEST_NO_DESKTOP_EMAIL",
    "TEST_NO_DESKTOP_PASSWORD",
    "TEST_NO_DEVICE_EMAIL",
    "TEST_NO_DEVICE_PASSWORD",
    "TEST_NO_DEVICE_USER_KEY",
    "TEST_OTHER_APP_TOKEN",
    "TEST_PASSWORD",
    "TEST_SECOND_USER_DEVICES",
    "TEST_SECOND_USER_KEY",
    "TEST_TWOFA_EMAIL",
    "TEST_TWOFA_PASSWORD",
    "TEST_USER_KEY",
    "ClientDevice",
    "Faults",
    "OpenClient",
    "PushServer",
    "PushoverSimulator",
    "Receipt",
    "ReceiptError",
    "ReceivedMessage",
    "RequestRecord",
    "SimulatorState",
]
