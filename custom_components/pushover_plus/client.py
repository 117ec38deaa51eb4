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

# One limiter for every entry: Pushover counts connections per sender.
_LIMITER: HassKey[asyncio.Semaphore] = HassKey(f"{DOMAIN}_limiter")


def create_client(hass: HomeAssistant, token: str) -> PushoverClient:
    """Build a client on Home Assistant's shared session and limiter."""
    return PushoverClient(
        async_get_clientsession(hass),
        token,
        base_url=api_base_url(),
        limiter=shared_limiter(hass),
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


def api_base_url() -> str:
    """Return the API's base URL: Pushover's, or the one ENV_API_BASE_URL names."""
    return os.environ.get(ENV_API_BASE_URL, API_BASE_URL)


def shared_limiter(hass: HomeAssistant) -> asyncio.Semaphore:
    """Return the limiter every client of every entry shares."""
    return hass.data.setdefault(_LIMITER, asyncio.Semaphore(MAX_CONCURRENT_REQUESTS))
