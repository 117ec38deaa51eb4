"""Every entry's Pushover client: on Home Assistant's shared session and limiter."""

import asyncio
import os

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .api import PushoverClient
from .const import API_BASE_URL, DOMAIN, ENV_API_BASE_URL, MAX_CONCURRENT_REQUESTS

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
