"""A config entry's type, what it holds while loaded, and what its options mean."""

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any, cast

from homeassistant.config_entries import ConfigEntry

from .const import (
    CONF_ENTRY_KIND,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    DEFAULT_EXPIRE,
    DEFAULT_RETRY,
    ENTRY_KIND_INBOX,
    PRIORITY_NAMES,
)
from .message import SendDefaults

if TYPE_CHECKING:
    from .api import PushoverClient
    from .coordinator import LimitsCoordinator
    from .escalation import Escalations
    from .glance_queue import GlanceQueue
    from .groups import GroupCoordinator
    from .inbox import Inbox
    from .inbox_api import InboxClient
    from .inbox_delivery import InboxDelivery
    from .inbox_sync import Credentials, InboxSync
    from .receipts import ReceiptTracker
    from .sender import MessageSender

type PushoverConfigEntry = ConfigEntry[PushoverRuntimeData]
type InboxConfigEntry = ConfigEntry[InboxRuntimeData]


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
        "escalations",
        "glances",
        "glances_lock",
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
        escalations: Escalations,
        application_device_id: str,
        groups: dict[str, GroupCoordinator] | None = None,
    ) -> None:
        """Hold the entry's client, its paths, its chains and its device's id."""
        self.client = client
        self.sender = sender
        self.limits = limits
        self.receipts = receipts
        self.escalations = escalations
        # The device registry's id of the application's device.
        self.application_device_id = application_device_id
        # None until the entry uses glances (`glances.async_glance_queue`).
        self.glances: GlanceQueue | None = None
        self.glances_lock = asyncio.Lock()
        # One coordinator per delivery group recipient, by recipient id.
        self.groups: dict[str, GroupCoordinator] = {} if groups is None else groups


class InboxRuntimeData:
    """What a loaded inbox entry holds: its client, connection, syncs, delivery.

    A plain class, as the application's runtime data: a dataclass costs its
    module's import more than it saves here.
    """

    __slots__ = ("client", "credentials", "delivery", "inbox", "sync")

    def __init__(
        self,
        *,
        client: InboxClient,
        credentials: Credentials,
        inbox: Inbox,
        sync: InboxSync,
        delivery: InboxDelivery,
    ) -> None:
        """Hold the parts of a loaded inbox."""
        self.client = client
        self.credentials = credentials
        self.inbox = inbox
        self.sync = sync
        self.delivery = delivery


def is_inbox(entry: ConfigEntry[Any]) -> bool:
    """Tell an inbox entry (it receives) from an application's (it sends)."""
    return bool(entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_INBOX)


def inbox_entry(entry: ConfigEntry[Any]) -> InboxConfigEntry | None:
    """Return the entry as an inbox entry, or None for an application's."""
    return cast("InboxConfigEntry", entry) if is_inbox(entry) else None


def inbox_unique_id(device_id: str) -> str:
    """Derive an inbox entry's unique id from its device id without revealing it."""
    return hashlib.sha256(f"inbox:{device_id}".encode()).hexdigest()


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
