"""A Pushover API simulator that enforces the real API's rules, for tests.

from pushover_simulator import PushoverSimulator, TEST_APP_TOKEN, TEST_USER_KEY

sim = PushoverSimulator()
base_url = await sim.start(host="127.0.0.1", port=0)  # http://127.0.0.1:N/1/
...
await sim.stop()

The Open Client side (receiving like a desktop device) logs in with
TEST_EMAIL / TEST_PASSWORD and pushes over `sim.push_url`. Glances, delivery
groups, subscriptions (`sim.subscribe_url(code)`) and end-to-end encryption
(`TEST_ENCRYPTION_KEY`) are served too.
"""

from .accounts import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_EMAIL,
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_MEMBERS,
    TEST_GROUP_NAME,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_NO_DEVICE_EMAIL,
    TEST_NO_DEVICE_PASSWORD,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_PASSWORD,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_DEVICES,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_SUBSCRIBERS_GROUP_NAME,
    TEST_SUBSCRIPTION_CODE,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
    Group,
    GroupMember,
    Subscriber,
    Subscription,
)
from .encryption import DecryptionError, decrypt_field
from .faults import Faults
from .glances import GlanceRecord, Widget
from .models import Decryption, ReceivedMessage, RequestRecord, Route
from .openclient import DESKTOP_TRIAL_SECONDS, ClientDevice, OpenClient
from .push import KEEP_ALIVE_SECONDS, PushServer
from .quota import DEFAULT_MONTHLY_LIMIT
from .receipts import Receipt, ReceiptError
from .rules import ATTACHMENT_MAX_BYTES
from .simulator import PushoverSimulator
from .state import SimulatorState
from .subscriptions import SubscriptionError

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
    "TEST_ENCRYPTION_KEY",
    "TEST_GROUP_KEY",
    "TEST_GROUP_MEMBERS",
    "TEST_GROUP_MEMBER_KEY",
    "TEST_GROUP_NAME",
    "TEST_GROUP_SUBSCRIPTION_CODE",
    "TEST_NO_DESKTOP_EMAIL",
    "TEST_NO_DESKTOP_PASSWORD",
    "TEST_NO_DEVICE_EMAIL",
    "TEST_NO_DEVICE_PASSWORD",
    "TEST_NO_DEVICE_USER_KEY",
    "TEST_OTHER_APP_TOKEN",
    "TEST_PASSWORD",
    "TEST_SECOND_ENCRYPTION_KEY",
    "TEST_SECOND_USER_DEVICES",
    "TEST_SECOND_USER_KEY",
    "TEST_SUBSCRIBERS_GROUP_KEY",
    "TEST_SUBSCRIBERS_GROUP_NAME",
    "TEST_SUBSCRIPTION_CODE",
    "TEST_TWOFA_EMAIL",
    "TEST_TWOFA_PASSWORD",
    "TEST_USER_KEY",
    "ClientDevice",
    "Decryption",
    "DecryptionError",
    "Faults",
    "GlanceRecord",
    "Group",
    "GroupMember",
    "OpenClient",
    "PushServer",
    "PushoverSimulator",
    "Receipt",
    "ReceiptError",
    "ReceivedMessage",
    "RequestRecord",
    "Route",
    "SimulatorState",
    "Subscriber",
    "Subscription",
    "SubscriptionError",
    "Widget",
    "decrypt_field",
]
