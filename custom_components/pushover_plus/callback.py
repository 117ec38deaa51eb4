"""Acknowledgement callbacks: Pushover POSTs here when an emergency is acknowledged.

The POST is unsigned and reaches us without a login, so it is hostile until
Pushover says otherwise: it only asks the tracker to read the receipt, and the
tracker reads each receipt at most every 5 seconds, in a task of its own,
however many POSTs name it. The answer is always 200, at once and without
waiting for Pushover, or Pushover would retry a forged callback every minute.
An unknown or forged receipt changes nothing and costs no API call.
"""

import hashlib
import logging
from typing import Final

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_ACK_CALLBACK, KEY_PATTERN
from .data import PushoverConfigEntry
from .receipts import ReceiptTracker

_LOGGER = logging.getLogger(__name__)

# Pushover's callback is a short form (five fields, under 300 bytes). A body
# of unknown or larger size is not Pushover's and is not read, so that a
# flood of large POSTs cannot make Home Assistant hold them in memory.
MAX_CALLBACK_BYTES: Final = 4096


def webhook_id_of(entry: PushoverConfigEntry) -> str:
    """Derive the entry's webhook id: stable, and unguessable without the token."""
    secret = f"{entry.entry_id}:{entry.data[CONF_API_TOKEN]}"
    return hashlib.sha256(secret.encode()).hexdigest()


def async_setup_callback(
    hass: HomeAssistant, entry: PushoverConfigEntry, tracker: ReceiptTracker
) -> str | None:
    """Register the entry's webhook; return its URL, or None when not in use."""
    if not entry.options.get(CONF_ACK_CALLBACK, True):
        return None
    webhook_id = webhook_id_of(entry)
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        _LOGGER.debug("No external URL: acknowledgements are found by polling")
        return None

    async def handle(
        hass: HomeAssistant,  # noqa: ARG001
        webhook_id: str,  # noqa: ARG001
        request: web.Request,
    ) -> web.Response:
        length = request.content_length
        if length is None or length > MAX_CALLBACK_BYTES:
            _LOGGER.debug("Callback of %s bytes ignored: not Pushover's", length)
            return web.Response(status=200)
        form = await request.post()
        receipt = form.get("receipt")
        if isinstance(receipt, str) and KEY_PATTERN.fullmatch(receipt):
            tracker.async_request_read(receipt)
        return web.Response(status=200)

    webhook.async_register(
        hass,
        entry.domain,
        "Pushover Plus acknowledgements",
        webhook_id,
        handle,
        allowed_methods=["POST"],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    return url
