"""A Pushover API simulator that enforces the real API's rules, for tests.

from pushover_simulator import PushoverSimulator, TEST_APP_TOKEN, TEST_USER_KEY

sim = PushoverSimulator()
base_url = await sim.start(host="127.0.0.1", port=0)  # http://127.0.0.1:N/1/
...
await sim.stop()
"""

from .accounts import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_MEMBERS,
    TEST_OTHER_APP_TOKEN,
    TEST_SECOND_USER_DEVICES,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
)
from .faults import Faults
from .models import ReceivedMessage, RequestRecord
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
    "TEST_APP_TOKEN",
    "TEST_DEVICES",
    "TEST_GROUP_KEY",
    "TEST_GROUP_MEMBERS",
    "TEST_GROUP_MEMBER_KEY",
    "TEST_OTHER_APP_TOKEN",
    "TEST_SECOND_USER_DEVICES",
    "TEST_SECOND_USER_KEY",
    "TEST_USER_KEY",
    "Faults",
    "PushoverSimulator",
    "Receipt",
    "ReceiptError",
    "ReceivedMessage",
    "RequestRecord",
    "SimulatorState",
]
