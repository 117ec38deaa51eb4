"""Runtime data of a config entry and the recipients it sends to."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import os
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .api import PushoverClient
from .const import (
    API_BASE_URL,
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    CONF_USER_KEY,
    DEFAULT_EXPIRE,
    DEFAULT_RETRY,
    DOMAIN,
    ENV_API_BASE_URL,
    MAX_CONCURRENT_REQUESTS,
    PRIMARY_RECIPIENT_ID,
    PRIORITY_NAMES,
    SUBENTRY_RECIPIENT,
)
from .message import SendDefaults

if TYPE_CHECKING:
    from homeassistant.components.notify.legacy import BaseNotificationService

    from .coordinator import LimitsCoordinator
    from .receipts import ReceiptTracker
    from .sender import MessageSender

type PushoverConfigEntry = ConfigEntry[PushoverRuntimeData]

# One limiter for every entry: Pushover counts connections per sender.
_LIMITER: HassKey[asyncio.Semaphore] = HassKey(f"{DOMAIN}_limiter")


def create_client(hass: HomeAssistant, token: str) -> PushoverClient:
    """Build a client on Home Assistant's shared session and limiter."""
    limiter = hass.data.setdefault(_LIMITER, asyncio.Semaphore(MAX_CONCURRENT_REQUESTS))
    return PushoverClient(
        async_get_clientsession(hass),
        token,
        base_url=os.environ.get(ENV_API_BASE_URL, API_BASE_URL),
        limiter=limiter,
    )


@dataclass(slots=True)
class PushoverRuntimeData:
    """What a loaded entry holds: the three paths and the legacy actions."""

    client: PushoverClient
    sender: MessageSender
    limits: LimitsCoordinator
    receipts: ReceiptTracker
    legacy_services: list[BaseNotificationService] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user or group key that messages go to, with its default devices."""

    id: str
    name: str
    user_key: str = field(repr=False)
    devices: tuple[str, ...] = ()
    subentry_id: str | None = None


def recipients_of(entry: PushoverConfigEntry) -> list[Recipient]:
    """List the primary recipient first, then those added as subentries."""
    primary = Recipient(
        id=PRIMARY_RECIPIENT_ID,
        name=entry.title,
        user_key=entry.data[CONF_USER_KEY],
        devices=tuple(entry.options.get(CONF_DEVICES, ())),
    )
    added = [
        Recipient(
            id=subentry.subentry_id,
            name=subentry.title,
            user_key=subentry.data[CONF_USER_KEY],
            devices=tuple(subentry.data.get(CONF_DEVICES, ())),
            subentry_id=subentry.subentry_id,
        )
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]
    return [primary, *added]


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


def recipient_name_of(entry: PushoverConfigEntry) -> Callable[[str], str]:
    """Return a function naming a user key after its recipient, if it is one."""
    names = {recipient.user_key: recipient.name for recipient in recipients_of(entry)}
    return lambda user_key: names.get(user_key, user_key)
