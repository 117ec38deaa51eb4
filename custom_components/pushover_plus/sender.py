"""The send path's last step: recipients in, Pushover calls out, errors mapped.

Emergency messages get the acknowledgement callback (unless the caller gave
one) and are handed to the receipt tracker once Pushover accepts them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import batched
import logging

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import (
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    PushoverTemporaryError,
    SendResult,
)
from .attachment import async_load_attachment
from .const import DOMAIN, MAX_KEYS_PER_MESSAGE, PRIORITY_EMERGENCY
from .coordinator import LimitsCoordinator
from .data import PushoverConfigEntry, Recipient
from .message import MessageRequest
from .receipts import ReceiptTracker

_LOGGER = logging.getLogger(__name__)


def sent_signal(entry_id: str) -> str:
    """Name the dispatcher signal that tells recipients' entities of a send."""
    return f"{DOMAIN}_{entry_id}_sent"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One accepted API call and the recipients it reached."""

    recipients: tuple[str, ...]
    request_id: str
    receipt: str | None


class MessageSender:
    """Sends validated messages for one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        *,
        limits: LimitsCoordinator,
        receipts: ReceiptTracker,
        callback_url: str | None,
    ) -> None:
        """Bind the sender to its entry, client, quota and receipt tracker."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._limits = limits
        self._receipts = receipts
        self._callback_url = callback_url

    async def async_send(
        self, request: MessageRequest, recipients: Sequence[Recipient]
    ) -> list[Delivery]:
        """Send one message to recipients, in as few API calls as possible.

        Recipients that share the same devices go out in one call (Pushover
        takes up to 50 keys); a call that names devices overrides every
        recipient's default devices.
        """
        self._limits.raise_if_exhausted()
        message = request.message
        if request.attachment is not None:
            attachment = await async_load_attachment(self._hass, request.attachment)
            message = replace(message, attachment=attachment)
        our_callback = (
            message.priority == PRIORITY_EMERGENCY
            and message.callback is None
            and self._callback_url is not None
        )
        if our_callback:
            message = replace(message, callback=self._callback_url)
        deliveries = []
        for devices, group in _group_by_devices(message, recipients).items():
            for batch in batched(group, MAX_KEYS_PER_MESSAGE, strict=False):
                call = replace(message, devices=devices)
                result = await self._send_call(
                    [recipient.user_key for recipient in batch], call
                )
                names = [recipient.name for recipient in batch]
                if result.receipt is not None:
                    await self._receipts.async_track(
                        result.receipt, call, names, callback=our_callback
                    )
                deliveries.append(
                    Delivery(
                        recipients=tuple(names),
                        request_id=result.request_id,
                        receipt=result.receipt,
                    )
                )
                async_dispatcher_send(
                    self._hass,
                    sent_signal(self._entry.entry_id),
                    [recipient.id for recipient in batch],
                )
        return deliveries

    async def _send_call(self, users: list[str], message: Message) -> SendResult:
        try:
            result = await self._client.send(users, message)
        except PushoverAuthenticationError as err:
            self._entry.async_start_reauth(self._hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except PushoverInvalidRequestError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="send_rejected",
                translation_placeholders={
                    "errors": "; ".join(err.errors),
                    "request_id": err.request_id or "-",
                },
            ) from err
        except PushoverQuotaExceededError as err:
            self._limits.async_set_exhausted(err.reset)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="quota_exceeded",
                translation_placeholders={
                    "reset": err.reset.isoformat() if err.reset else "-"
                },
            ) from err
        except PushoverTemporaryError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        _LOGGER.debug("Pushover accepted request %s", result.request_id)
        return result


def _group_by_devices(
    message: Message, recipients: Sequence[Recipient]
) -> dict[tuple[str, ...], list[Recipient]]:
    groups: dict[tuple[str, ...], list[Recipient]] = {}
    for recipient in recipients:
        devices = message.devices or recipient.devices
        groups.setdefault(devices, []).append(recipient)
    return groups
