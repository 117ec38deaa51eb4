"""The simulated Pushover account: test credentials, users, groups, apps, sounds."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import re
from typing import Final

KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9]{30}")
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
    """A user key with its devices and licences."""

    key: str
    devices: tuple[str, ...]
    licenses: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class Group:
    """A delivery group: one key that reaches several users."""

    key: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    """Everything the simulated account knows: apps, users, groups, sounds, logins.

    `client_devices` holds the Open Client devices registered at run time, by
    user key: like on Pushover they are the user's devices as much as the
    fixed ones (users/validate.json lists them, messages.json may target
    them).
    """

    apps: Mapping[str, App]
    users: Mapping[str, User]
    groups: Mapping[str, Group]
    sounds: Mapping[str, str]
    logins: Mapping[str, Login] = field(default_factory=dict)
    client_devices: dict[str, list[str]] = field(default_factory=dict)

    def is_known_key(self, key: str) -> bool:
        """Tell whether a user or group key exists."""
        return key in self.users or key in self.groups

    def members(self, key: str) -> tuple[str, ...]:
        """Return the user keys a (known) user or group key reaches."""
        group = self.groups.get(key)
        return group.members if group else (key,)

    def devices_of(self, key: str) -> tuple[str, ...]:
        """Return the device names of a user, or of all members of a group."""
        return _union(
            self.users[member].devices + tuple(self.client_devices.get(member, ()))
            for member in self.members(key)
        )

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
        return _union(self.users[member].licenses for member in self.members(key))


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
        User(TEST_USER_KEY, TEST_DEVICES, ("Android", "iOS", DESKTOP_LICENSE)),
        User(TEST_SECOND_USER_KEY, TEST_SECOND_USER_DEVICES, (DESKTOP_LICENSE,)),
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
    return Directory(
        apps={app.token: app for app in apps},
        users={user.key: user for user in users},
        groups={TEST_GROUP_KEY: Group(TEST_GROUP_KEY, TEST_GROUP_MEMBERS)},
        sounds={**BUILTIN_SOUNDS, **CUSTOM_SOUNDS},
        logins={login.email: login for login in logins},
    )
