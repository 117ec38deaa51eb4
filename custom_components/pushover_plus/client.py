"""Every entry's Pushover client: on Home Assistant's shared session and limiter."""

import asyncio
import os

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .api import PushoverClient
from .const import (
    API_BASE_URL,
    DOMAIN,
    ENV_API_BASE_URL,
    ENV_PUSH_URL,
    MAX_CONCURRENT_REQUESTS,
    PUSH_URL,
)
from .inbox_api import InboxClient

# One limiter for every entry: Pushover counts connections per sender.
_LIMITER: HassKey[asyncio.Semaphore] = HassKey(f"{DOMAIN}_limiter")


def create_client(hass: HomeAssistant, token: str) -> PushoverClient:
    """Build a client on Home Assistant's shared session and limiter."""
    return PushoverClient(
        async_get_clientsession(hass),
        token,
        base_url=os.environ.get(ENV_API_BASE_URL, API_BASE_URL),
        limiter=_limiter(hass),
    )


def create_inbox_client(hass: HomeAssistant) -> InboxClient:
    """Build an inbox's client on the same session and the same limiter."""
    return InboxClient(
        async_get_clientsession(hass),
        base_url=os.environ.get(ENV_API_BASE_URL, API_BASE_URL),
        limiter=_limiter(hass),
    )


def push_url() -> str:
    """Return the push server's WebSocket URL.

    Another API base URL (the simulator's) serves its socket at /push,
    unless ENV_PUSH_URL names one.
    """
    if named := os.environ.get(ENV_PUSH_URL):
        return named
    base = os.environ.get(ENV_API_BASE_URL)
    if not base:
        return PUSH_URL
    url = URL(base)
    return str(
        url.with_scheme("wss" if url.scheme == "https" else "ws").with_path("/push")
    )


def _limiter(hass: HomeAssistant) -> asyncio.Semaphore:
    return hass.data.setdefault(_LIMITER, asyncio.Semaphore(MAX_CONCURRENT_REQUESTS))
