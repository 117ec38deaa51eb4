"""The simulated Pushover account: test credentials, users, groups, apps, sounds.

Besides the fixed setup, the directory holds what changes at run time: the
delivery groups (the Groups API edits them), the subscribers of the apps'
subscriptions, the accounts' end-to-end encryption keys and the Open Client
devices. `Directory.restore` puts them back as configured.
"""

from collections.abc import Iterable, Mapping
import copy
from dataclasses import dataclass, field
import re
import secrets
import string
from typing import Final

from .models import Route

KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9]{30}")
KEY_LENGTH: Final = 30
_KEY_ALPHABET: Final = string.ascii_letters + string.digits
DEVICE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,25}")

# Made-up credentials that exist only inside the simulator.
TEST_APP_TOKEN: Final = "aLdFVDlH2Os17hQWxIDa2o4Ue7oxSk"  # noqa: S105 - fake test token
TEST_OTHER_APP_TOKEN: Final = "aI0fQxt5BqY0JXITHxzA6eEQJo640E"  # noqa: S105 - fake
TEST_USER_KEY: Final = "uaawFftLzEhNBE8rGvTHb5lycpSvhF"
TEST_SECOND_USER_KEY: Final = "urE3YVyMoXu9G3WUhL5GY5QPXk4axu"
TEST_GROUP_MEMBER_KEY: Final = "uqMd1j7VMmmvua9XAM7hSjtnIjBeys"
TEST_GROUP_KEY: Final = "g49HS1hq48WPfHVboSStByTgIM3EtX"
# A valid user who has not logged in to any Pushover app yet: no active device.
TEST_NO_DEVICE_USER_KEY: Final = "uNewcomerW1thNoDev1ces00000000"

TEST_DEVICES: Final = ("phone", "tablet", "watch")
TEST_SECOND_USER_DEVICES: Final = ("laptop",)
TEST_GROUP_MEMBERS: Final = (TEST_USER_KEY, TEST_SECOND_USER_KEY, TEST_GROUP_MEMBER_KEY)
TEST_GROUP_NAME: Final = "Pushover Plus Test Group"

# The end-to-end encryption keys the test user's and the second user's
# Pushover apps show (64 hex characters, 256 bits); the group member's
# account has none. Made up, like the keys above.
TEST_ENCRYPTION_KEY: Final = (
    "deeac73a927a8772067ca3ccf540e9877c8f14d9a9c8205e7fb2c6e05cd50c4a"
)
TEST_SECOND_ENCRYPTION_KEY: Final = (
    "678ae5ec615c166596b5714a55f8dfbac55ccbfacb8efedf73584bca720128af"
)

# Subscriptions: the test app's is web-based (the browser comes back to the
# sender's `success` URL with a new user key), the second app's is
# group-based (subscribers join the group below, empty at first). Codes are
# the last part of the subscription URL, as Pushover makes them from the
# application's name.
TEST_SUBSCRIPTION_CODE: Final = "PushoverPlusTest-g3eou8jodo184jj"
TEST_GROUP_SUBSCRIPTION_CODE: Final = "PushoverPlusSecond-f24e4pusvxqgy2l"
TEST_SUBSCRIBERS_GROUP_KEY: Final = "gt86mZfIpukgd0guBueNazyG9SOzW7"
TEST_SUBSCRIBERS_GROUP_NAME: Final = "Pushover Plus Subscribers"

# Logins of the Open Client API (users/login.json), one per test user: the
# test user, the second user with two-factor authentication, and the group
# member, whose account has no Desktop licence (its Open Client devices get
# Pushover's trial). Made up, like the keys above.
TEST_EMAIL: Final = "tester@example.com"
TEST_PASSWORD: Final = "correct-horse-battery"  # noqa: S105 - fake test password
TEST_TWOFA_EMAIL: Final = "second@example.com"
TEST_TWOFA_PASSWORD: Final = "second-factor-please"  # noqa: S105 - fake
TEST_NO_DESKTOP_EMAIL: Final = "member@example.com"
TEST_NO_DESKTOP_PASSWORD: Final = "no-desktop-licence"  # noqa: S105 - fake
TEST_NO_DEVICE_EMAIL: Final = "newcomer@example.com"
TEST_NO_DEVICE_PASSWORD: Final = "no-device-yet"  # noqa: S105 - fake
# The base32 key of the second user's authenticator app (RFC 6238 codes).
TEST_TWOFA_KEY: Final = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DESKTOP_LICENSE: Final = "Desktop"

BUILTIN_SOUNDS: Final[Mapping[str, str]] = {
    "pushover": "Pushover (default)",
    "bike": "Bike",
    "bugle": "Bugle",
    "cashregister": "Cash Register",
    "classical": "Classical",
    "cosmic": "Cosmic",
    "falling": "Falling",
    "gamelan": "Gamelan",
    "incoming": "Incoming",
    "intermission": "Intermission",
    "magic": "Magic",
    "mechanical": "Mechanical",
    "pianobar": "Piano Bar",
    "siren": "Siren",
    "spacealarm": "Space Alarm",
    "tugboat": "Tug Boat",
    "alien": "Alien Alarm (long)",
    "climb": "Climb (long)",
    "persistent": "Persistent (long)",
    "echo": "Pushover Echo (long)",
    "updown": "Up Down (long)",
    "vibrate": "Vibrate Only",
    "none": "None (silent)",
}
CUSTOM_SOUNDS: Final[Mapping[str, str]] = {"doorbell": "Doorbell (custom)"}


@dataclass(frozen=True, slots=True)
class App:
    """A registered application (API token) on the account.

    `aid` and `icon` are what an Open Client download shows of the sender:
    the application's number and the name of its icon.
    """

    token: str
    name: str
    aid: int
    icon: str


@dataclass(frozen=True, slots=True)
class User:
    """A user key with its devices, licences and end-to-end encryption key.

    `encryption_key` is the 64 hex characters the account's Pushover app
    shows, None when end-to-end encryption is not set up.
    """

    key: str
    devices: tuple[str, ...]
    licenses: tuple[str, ...]
    encryption_key: str | None = None


@dataclass(frozen=True, slots=True)
class Login:
    """An account's e-mail and password (both case-sensitive), and its 2FA key.

    `twofa_key` is the base32 key of an authenticator app; None when the
    account logs in without a second factor.
    """

    email: str
    password: str
    user: str
    twofa_key: str | None = None


@dataclass(slots=True)
class GroupMember:
    """One entry of a delivery group: a user key, maybe limited to one device.

    The same user may be in a group more than once, each time with another
    device. A disabled entry stays in the group but receives nothing.
    """

    user: str
    device: str | None = None
    memo: str = ""
    disabled: bool = False


@dataclass(slots=True)
class Group:
    """A delivery group: one key that reaches its enabled members."""

    key: str
    name: str
    members: list[GroupMember] = field(default_factory=list)

    def enabled(self) -> list[GroupMember]:
        """Return the entries that receive the group's messages."""
        return [member for member in self.members if not member.disabled]


@dataclass(frozen=True, slots=True)
class Subscription:
    """An application's subscription, as set up on its page at pushover.net.

    `group` is the delivery group a group-based subscription adds its
    subscribers to; None for a web-based one, which sends the browser back
    to the sender with the subscriber's new key.
    """

    code: str
    token: str
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A user who subscribed: their key for the subscription's app only.

    `user` is their own account (whose key stays private); `device` the one
    device they chose on the subscription page, None for all.
    """

    key: str
    code: str
    token: str
    user: str
    device: str | None = None


@dataclass(slots=True)
class Directory:
    """Everything the simulated account knows: apps, users, groups, sounds, logins.

    `configured_groups` and the users' keys are the setup; `groups`,
    `subscribers` and `encryption_keys` start from it and change at run time
    (`restore` undoes that). `client_devices` holds the Open Client devices
    registered at run time, by user key: like on Pushover they are the
    user's devices as much as the fixed ones (users/validate.json lists
    them, messages.json may target them).
    """

    apps: Mapping[str, App]
    users: Mapping[str, User]
    sounds: Mapping[str, str]
    logins: Mapping[str, Login] = field(default_factory=dict)
    subscriptions: Mapping[str, Subscription] = field(default_factory=dict)
    configured_groups: tuple[Group, ...] = ()
    client_devices: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, Group] = field(init=False, default_factory=dict)
    subscribers: dict[str, Subscriber] = field(init=False, default_factory=dict)
    encryption_keys: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        """Start from the configured groups and keys."""
        self.restore()

    def restore(self) -> None:
        """Undo run-time changes to groups, subscribers and encryption keys."""
        self.groups = {
            group.key: copy.deepcopy(group) for group in self.configured_groups
        }
        self.subscribers.clear()
        self.encryption_keys = {
            user.key: user.encryption_key
            for user in self.users.values()
            if user.encryption_key is not None
        }

    def new_key(self, prefix: str) -> str:
        """Make a 30-character key no user, group or subscriber has.

        Pushover's group keys start with "g" and user keys with "u".
        """
        while True:
            key = prefix + "".join(
                secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH - len(prefix))
            )
            if not (key in self.users or key in self.groups or key in self.subscribers):
                return key

    def is_known_key(self, key: str, token: str) -> bool:
        """Tell whether the app may send to a key: a user, group or its subscriber.

        A subscriber's key is valid for the subscription's app only.
        """
        subscriber = self.subscribers.get(key)
        if subscriber is not None:
            return subscriber.token == token
        return key in self.users or key in self.groups

    def account_of(self, key: str) -> str | None:
        """Return the account behind a user or subscriber key, None if unknown."""
        subscriber = self.subscribers.get(key)
        if subscriber is not None:
            return subscriber.user
        return key if key in self.users else None

    def routes(self, key: str) -> list[Route]:
        """Return how a message to a (known) key reaches each recipient.

        A group reaches its enabled entries; an entry whose subscriber has
        gone reaches nobody.
        """
        group = self.groups.get(key)
        if group is None:
            route = self._route(key, None)
            return [] if route is None else [route]
        found = (self._route(member.user, member.device) for member in group.enabled())
        return merge_routes(route for route in found if route is not None)

    def _route(self, key: str, device: str | None) -> Route | None:
        """Route a user or subscriber key, limited to `device` when given."""
        account = self.account_of(key)
        if account is None:
            return None
        subscriber = self.subscribers.get(key)
        chosen = device or (subscriber.device if subscriber else None)
        return Route(key, account, (chosen,) if chosen else ())

    def own_devices(self, user: str) -> tuple[str, ...]:
        """Return an account's devices: its fixed ones and its Open Client ones."""
        return self.users[user].devices + tuple(self.client_devices.get(user, ()))

    def devices_of(self, key: str) -> tuple[str, ...]:
        """Return the devices a user, subscriber or group key reaches."""
        return _union(
            route.devices or self.own_devices(route.user) for route in self.routes(key)
        )

    def recipient_for(self, recipients: Iterable[str], user: str) -> str | None:
        """Find the recipient key that is `user` or one of `user`'s subscriptions."""
        for key in recipients:
            if user in {key, self.account_of(key)}:
                return key
        return None

    def add_client_device(self, user: str, name: str) -> None:
        """Make a newly registered Open Client device one of the user's devices."""
        self.client_devices.setdefault(user, []).append(name)

    def forget_client_devices(self) -> None:
        """Drop every Open Client device registered since the start."""
        self.client_devices.clear()

    def has_desktop_license(self, user: str) -> bool:
        """Tell whether a user's account holds a Pushover for Desktop licence."""
        return DESKTOP_LICENSE in self.users[user].licenses

    def licenses_of(self, key: str) -> tuple[str, ...]:
        """Return the licences of a user, or of all members of a group."""
        return _union(self.users[route.user].licenses for route in self.routes(key))


def merge_routes(routes: Iterable[Route]) -> list[Route]:
    """Keep one route per recipient key, in order, joining their device limits.

    A key reached several times receives on every device one of its routes
    allows: on all of them as soon as one route has no limit.
    """
    merged: dict[str, Route] = {}
    for route in routes:
        known = merged.get(route.key)
        if known is None:
            merged[route.key] = route
        elif known.devices and route.devices:
            devices = _union((known.devices, route.devices))
            merged[route.key] = Route(route.key, route.user, devices)
        else:
            merged[route.key] = Route(route.key, route.user)
    return list(merged.values())


def _union(parts: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Join tuples of names, keeping the first occurrence's order."""
    seen: dict[str, None] = {}
    for part in parts:
        seen.update(dict.fromkeys(part))
    return tuple(seen)


def is_well_formed_key(value: str) -> bool:
    """Tell whether a value has the shape of a token or key: 30 [A-Za-z0-9]."""
    return KEY_PATTERN.fullmatch(value) is not None


def default_directory() -> Directory:
    """Build the account the simulator serves, with the exported test credentials."""
    apps = (
        App(TEST_APP_TOKEN, "Pushover Plus Test", 1001, "pushover_plus_test"),
        App(TEST_OTHER_APP_TOKEN, "Pushover Plus Second", 1002, "pushover_plus_2"),
    )
    users = (
        User(
            TEST_USER_KEY,
            TEST_DEVICES,
            ("Android", "iOS", DESKTOP_LICENSE),
            TEST_ENCRYPTION_KEY,
        ),
        User(
            TEST_SECOND_USER_KEY,
            TEST_SECOND_USER_DEVICES,
            (DESKTOP_LICENSE,),
            TEST_SECOND_ENCRYPTION_KEY,
        ),
        User(TEST_GROUP_MEMBER_KEY, ("pager",), ("Android",)),
        User(TEST_NO_DEVICE_USER_KEY, (), ()),
    )
    logins = (
        Login(TEST_EMAIL, TEST_PASSWORD, TEST_USER_KEY),
        Login(
            TEST_TWOFA_EMAIL, TEST_TWOFA_PASSWORD, TEST_SECOND_USER_KEY, TEST_TWOFA_KEY
        ),
        Login(TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD, TEST_GROUP_MEMBER_KEY),
        Login(TEST_NO_DEVICE_EMAIL, TEST_NO_DEVICE_PASSWORD, TEST_NO_DEVICE_USER_KEY),
    )
    groups = (
        Group(
            TEST_GROUP_KEY,
            TEST_GROUP_NAME,
            [GroupMember(member) for member in TEST_GROUP_MEMBERS],
        ),
        Group(TEST_SUBSCRIBERS_GROUP_KEY, TEST_SUBSCRIBERS_GROUP_NAME),
    )
    subscriptions = (
        Subscription(TEST_SUBSCRIPTION_CODE, TEST_APP_TOKEN),
        Subscription(
            TEST_GROUP_SUBSCRIPTION_CODE,
            TEST_OTHER_APP_TOKEN,
            TEST_SUBSCRIBERS_GROUP_KEY,
        ),
    )
    return Directory(
        apps={app.token: app for app in apps},
        users={user.key: user for user in users},
        sounds={**BUILTIN_SOUNDS, **CUSTOM_SOUNDS},
        logins={login.email: login for login in logins},
        subscriptions={sub.code: sub for sub in subscriptions},
        configured_groups=groups,
    )
