"""A config entry's type, what it holds while loaded, and what its options mean."""

import hashlib
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .const import (
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    DEFAULT_EXPIRE,
    DEFAULT_RETRY,
    PRIORITY_NAMES,
)
from .message import SendDefaults

if TYPE_CHECKING:
    from .api import PushoverClient
    from .coordinator import LimitsCoordinator
    from .glance_queue import GlanceQueue
    from .groups import GroupCoordinator
    from .receipts import ReceiptTracker
    from .sender import MessageSender

type PushoverConfigEntry = ConfigEntry[PushoverRuntimeData]


def token_unique_id(token: str) -> str:
    """Derive an entry's unique id from its token without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()


class PushoverRuntimeData:
    """What a loaded entry holds: the paths to Pushover and the application's device.

    A plain class: a dataclass costs more to create when the module is
    imported, at every start, than these fields are worth.
    """

    __slots__ = (
        "application_device_id",
        "client",
        "glances",
        "groups",
        "limits",
        "receipts",
        "sender",
    )

    def __init__(
        self,
        *,
        client: PushoverClient,
        sender: MessageSender,
        limits: LimitsCoordinator,
        receipts: ReceiptTracker,
        application_device_id: str,
        glances: GlanceQueue,
        groups: dict[str, GroupCoordinator] | None = None,
    ) -> None:
        """Hold the entry's client, its paths and its device's id."""
        self.client = client
        self.sender = sender
        self.limits = limits
        self.receipts = receipts
        # The device registry's id of the application's device.
        self.application_device_id = application_device_id
        self.glances = glances
        # One coordinator per delivery group recipient, by recipient id.
        self.groups: dict[str, GroupCoordinator] = {} if groups is None else groups


def send_defaults_of(entry: PushoverConfigEntry) -> SendDefaults:
    """Read the options that fill what a call leaves out."""
    options = entry.options
    priority = options.get(CONF_PRIORITY)
    return SendDefaults(
        sound=options.get(CONF_SOUND) or None,
        priority=PRIORITY_NAMES[priority] if priority else None,
        retry=int(options.get(CONF_RETRY, DEFAULT_RETRY)),
        expire=int(options.get(CONF_EXPIRE, DEFAULT_EXPIRE)),
    )
