"""Acknowledgement callbacks: Pushover POSTs here when an emergency is acknowledged.

The POST is unsigned, so it only prompts the tracker to read the receipt from
Pushover; an unknown or forged receipt changes nothing. The answer is always
200, or Pushover would retry a forged callback every minute.
"""

import hashlib
import logging

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_ACK_CALLBACK, KEY_PATTERN
from .data import PushoverConfigEntry
from .receipts import ReceiptTracker

_LOGGER = logging.getLogger(__name__)


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
        form = await request.post()
        receipt = form.get("receipt")
        if isinstance(receipt, str) and KEY_PATTERN.fullmatch(receipt):
            known = await tracker.async_confirm(receipt)
            _LOGGER.debug("Callback for receipt %s (tracked: %s)", receipt, known)
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
