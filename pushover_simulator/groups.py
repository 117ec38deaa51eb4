"""Pushover's Groups API, free of HTTP: delivery groups and their members.

- `POST groups.json` (name) creates a group and answers its key;
  `GET groups.json` lists the account's groups (key and name);
- `GET groups/{key}.json` answers its name and its users, each with `user`,
  `device`, `memo` and `disabled`;
- `POST groups/{key}/add_user.json` (user, optional device, optional memo of
  at most 200 characters), `remove_user.json`, `disable_user.json` and
  `enable_user.json` (user, optional device) change its members;
- `POST groups/{key}/rename.json` (name) renames it.

Every call needs an application token of the account the group belongs to
(the simulator's apps are all one account's). A message to the group's key
reaches each enabled member, only on the member's device when one was given,
and costs one message per member against the quota.

Where Pushover's page is silent, the simulator chooses:

- A failure answers HTTP 400 with `errors` (the page says every failed call
  does), an unknown group key included ("group key is invalid").
- A group name has 1 to 200 characters (Pushover names no limit).
- A user may be in a group several times, once per device; adding the same
  user and device again is refused, as is a group key as a member. A device
  must be one of the user's.
- Without a device, remove, disable and enable act on every entry of the
  user; with one, on that entry only. Disabling a disabled entry (or
  enabling an enabled one) succeeds and changes nothing.
- `device` is null in the group's users for an entry without a device.
"""

from collections.abc import Callable, Mapping
from typing import Final

from .accounts import DEVICE_PATTERN, Directory, Group, GroupMember, is_well_formed_key
from .models import JsonObject, Rejection
from .rules import DEVICE_NOT_FOR_USER, USER_INVALID, too_long

MEMO_MAX_CHARS: Final = 200
GROUP_NAME_MAX_CHARS: Final = 200
GROUP_KEY_PREFIX: Final = "g"

GROUP_INVALID: Final = "group key is invalid"
NAME_BLANK: Final = "name cannot be blank"
NOT_A_MEMBER: Final = "user is not a member of this group"
ALREADY_A_MEMBER: Final = "user is already a member of this group with this device"
GROUP_AS_MEMBER: Final = "a delivery group cannot be a member of a group"
DEVICE_INVALID: Final = "device name is invalid: at most 25 of [A-Za-z0-9_-]"


def _field_error(name: str, error: str) -> Rejection:
    """Build a refusal of one field."""
    rejection = Rejection()
    rejection.add(name, error)
    return rejection


def member_json(member: GroupMember) -> JsonObject:
    """Describe a group entry as groups/{key}.json lists it."""
    return {
        "user": member.user,
        "device": member.device,
        "memo": member.memo,
        "disabled": member.disabled,
    }


def group_json(group: Group) -> JsonObject:
    """Describe a group for the state endpoint and the phone page."""
    return {
        "key": group.key,
        "name": group.name,
        "users": [member_json(member) for member in group.members],
    }


class GroupsApi:
    """The account's delivery groups as the Groups API changes them."""

    def __init__(self, directory: Directory, on_change: Callable[[], None]) -> None:
        """Work on the directory's groups; call `on_change` after each change."""
        self._directory = directory
        self._on_change = on_change

    def find(self, key: str) -> Group | Rejection:
        """Return the group in the path, or the answer to an unknown key."""
        group = self._directory.groups.get(key)
        return _field_error("group", GROUP_INVALID) if group is None else group

    def create(self, fields: Mapping[str, str]) -> JsonObject | Rejection:
        """Handle POST groups.json: a new, empty group with the name given."""
        name = _name(fields)
        if isinstance(name, Rejection):
            return name
        group = Group(self._directory.new_key(GROUP_KEY_PREFIX), name)
        self._directory.groups[group.key] = group
        self._on_change()
        return {"group": group.key}

    def list_groups(self) -> JsonObject:
        """Handle GET groups.json: every group's key and name."""
        return {
            "groups": [
                {"group": group.key, "name": group.name}
                for group in self._directory.groups.values()
            ]
        }

    @staticmethod
    def info(group: Group) -> JsonObject:
        """Handle GET groups/{key}.json: the name and the users."""
        return {
            "name": group.name,
            "users": [member_json(member) for member in group.members],
        }

    def add_user(self, group: Group, fields: Mapping[str, str]) -> Rejection | None:
        """Handle add_user.json: a user (maybe limited to a device) with a memo."""
        user = fields.get("user", "").strip()
        device = fields.get("device", "").strip() or None
        memo = fields.get("memo", "")
        rejection = self._member_rejection(user, device)
        if len(memo) > MEMO_MAX_CHARS:
            rejection.add("memo", too_long("memo", MEMO_MAX_CHARS))
        if not rejection and any(
            (member.user, member.device) == (user, device) for member in group.members
        ):
            rejection.add("user", ALREADY_A_MEMBER)
        if rejection:
            return rejection
        group.members.append(GroupMember(user, device, memo))
        self._on_change()
        return None

    def remove_user(self, group: Group, fields: Mapping[str, str]) -> Rejection | None:
        """Handle remove_user.json: drop the user's entry (or all of them)."""
        entries = _entries(group, fields)
        if isinstance(entries, Rejection):
            return entries
        removed = {id(member) for member in entries}
        group.members = [m for m in group.members if id(m) not in removed]
        self._on_change()
        return None

    def set_disabled(
        self, group: Group, fields: Mapping[str, str], *, disabled: bool
    ) -> Rejection | None:
        """Handle disable_user.json and enable_user.json."""
        entries = _entries(group, fields)
        if isinstance(entries, Rejection):
            return entries
        for member in entries:
            member.disabled = disabled
        self._on_change()
        return None

    def rename(self, group: Group, fields: Mapping[str, str]) -> Rejection | None:
        """Handle rename.json."""
        name = _name(fields)
        if isinstance(name, Rejection):
            return name
        group.name = name
        self._on_change()
        return None

    def _member_rejection(self, user: str, device: str | None) -> Rejection:
        """Check a new member: a user or subscriber key, a device of theirs."""
        rejection = Rejection()
        if user in self._directory.groups:
            rejection.add("user", GROUP_AS_MEMBER)
        elif not is_well_formed_key(user) or self._directory.account_of(user) is None:
            rejection.add("user", USER_INVALID)
        elif device is not None and not DEVICE_PATTERN.fullmatch(device):
            rejection.add("device", DEVICE_INVALID)
        elif device is not None and device not in self._directory.devices_of(user):
            rejection.add("device", DEVICE_NOT_FOR_USER)
        return rejection


def _name(fields: Mapping[str, str]) -> str | Rejection:
    """Return a group name of 1 to 200 characters, or the refusal."""
    name = fields.get("name", "").strip()
    if not name:
        return _field_error("name", NAME_BLANK)
    if len(name) > GROUP_NAME_MAX_CHARS:
        return _field_error("name", too_long("name", GROUP_NAME_MAX_CHARS))
    return name


def _entries(group: Group, fields: Mapping[str, str]) -> list[GroupMember] | Rejection:
    """Find the user's entries, or the one with the device given."""
    user = fields.get("user", "").strip()
    device = fields.get("device", "").strip() or None
    if not is_well_formed_key(user):
        return _field_error("user", USER_INVALID)
    entries = [
        member
        for member in group.members
        if member.user == user and (device is None or member.device == device)
    ]
    return entries or _field_error("user", NOT_A_MEMBER)
