"""A config entry's type, what it holds while loaded, and what its options mean."""

from dataclasses import dataclass, field
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


@dataclass(slots=True)
class PushoverRuntimeData:
    """What a loaded entry holds: the paths to Pushover and the application's device."""

    client: PushoverClient
    sender: MessageSender
    limits: LimitsCoordinator
    receipts: ReceiptTracker
    # The device registry's id of the application's device.
    application_device_id: str
    glances: GlanceQueue
    # One coordinator per delivery group recipient, by recipient id.
    groups: dict[str, GroupCoordinator] = field(default_factory=dict)


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
