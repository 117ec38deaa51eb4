"""The send path's last step: recipients in, outbox and Pushover calls out.

Every API call goes through the entry's outbox, which sends at once when
Pushover answers and keeps the message when it cannot. Emergency messages get
the acknowledgement callback (unless the caller gave one) and are handed to the
receipt tracker once Pushover accepts them, now or from the queue.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import batched
import logging

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import (
    Message,
    PushoverClient,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    SendResult,
)
from .attachment import async_load_attachment
from .const import DOMAIN, EVENT_DELIVERED, MAX_KEYS_PER_MESSAGE, PRIORITY_EMERGENCY
from .coordinator import LimitsCoordinator
from .data import PushoverConfigEntry
from .message import MessageRequest
from .outbox import Outbox, OutboxItem, Queued
from .receipts import ReceiptTracker
from .recipients import Recipient

_LOGGER = logging.getLogger(__name__)


def sent_signal(entry_id: str) -> str:
    """Name the dispatcher signal that tells recipients' entities of a send."""
    return f"{DOMAIN}_{entry_id}_sent"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One API call's outcome: sent (with Pushover's ids) or queued."""

    recipients: tuple[str, ...]
    request_id: str | None = None
    receipt: str | None = None
    queued_id: str | None = None
    queue_position: int | None = None


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
        self.outbox = Outbox(
            hass,
            entry,
            self._deliver,
            on_sent=self._async_on_sent,
            on_auth_failed=lambda: entry.async_start_reauth(hass),
        )

    @property
    def uses_callback(self) -> bool:
        """Tell whether emergencies carry the acknowledgement callback."""
        return self._callback_url is not None

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
        if (
            message.priority == PRIORITY_EMERGENCY
            and message.callback is None
            and self._callback_url is not None
        ):
            message = replace(message, callback=self._callback_url)
        return [
            await self._async_send_call(
                [recipient.user_key for recipient in batch],
                tuple(recipient.name for recipient in batch),
                message
                if devices == message.devices
                else replace(message, devices=devices),
            )
            for devices, group in _group_by_devices(message, recipients).items()
            for batch in batched(group, MAX_KEYS_PER_MESSAGE, strict=False)
        ]

    async def _async_send_call(
        self, users: list[str], names: tuple[str, ...], message: Message
    ) -> Delivery:
        try:
            outcome = await self.outbox.async_send(users, names, message)
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
        if isinstance(outcome, Queued):
            _LOGGER.info(
                "Message to %s queued (%s, position %d): Pushover cannot take it now",
                ", ".join(names),
                outcome.item_id,
                outcome.position,
            )
            return Delivery(
                recipients=names,
                queued_id=outcome.item_id,
                queue_position=outcome.position,
            )
        return Delivery(
            recipients=names, request_id=outcome.request_id, receipt=outcome.receipt
        )

    async def _deliver(self, item: OutboxItem) -> SendResult:
        return await self._client.send(item.users, item.message)

    @callback
    def _async_on_sent(
        self,
        item: OutboxItem,
        result: SendResult,
        queued: bool,  # noqa: FBT001 - the outbox's callback signature
    ) -> None:
        """Follow up an accepted message, whether sent at once or from the queue."""
        _LOGGER.debug(
            "Pushover accepted the message to %s: request %s",
            ", ".join(item.recipients),
            result.request_id,
        )
        if result.receipt is not None:
            self._hass.async_create_task(
                self._receipts.async_track(
                    result.receipt,
                    item.message,
                    list(item.recipients),
                    callback=self._callback_url is not None
                    and item.message.callback == self._callback_url,
                ),
                eager_start=True,
            )
        async_dispatcher_send(
            self._hass, sent_signal(self._entry.entry_id), list(item.recipients)
        )
        if queued:
            self._hass.bus.async_fire(
                EVENT_DELIVERED,
                {
                    "entry_id": self._entry.entry_id,
                    "queued_id": item.id,
                    "recipients": list(item.recipients),
                    "title": item.message.title,
                    "request_id": result.request_id,
                    "receipt": result.receipt,
                    "accepted_at": item.accepted_at.isoformat(),
                },
            )


def _group_by_devices(
    message: Message, recipients: Sequence[Recipient]
) -> dict[tuple[str, ...], list[Recipient]]:
    groups: dict[tuple[str, ...], list[Recipient]] = {}
    for recipient in recipients:
        devices = message.devices or recipient.devices
        groups.setdefault(devices, []).append(recipient)
    return groups
