"""The send path's last step: recipients in, outbox and Pushover calls out.

Every API call goes through the entry's outbox, which sends at once when
Pushover answers and keeps the message when it cannot. Emergency messages get
the acknowledgement callback (unless the caller gave one) and are handed to the
receipt tracker once Pushover accepts them, now or from the queue.

A message to many recipients can take several calls (Pushover takes 50 keys a
call). Every call is made even when Pushover refuses one, and each call's
outcome is kept, so that the caller learns exactly who got the message: a
send that is retried after a partial refusal must go to the refused only, or
the others get it twice.

Recipients are known by their ids from here on (the sent signal, the
outbox's records, the tracked receipts); their names are for the log, the
events and the action's response.
"""

from collections.abc import Sequence
from itertools import batched
import logging
from typing import Any, Final, Literal

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import (
    Message,
    PushoverClient,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    SendResult,
)
from .attachment import async_load_attachment
from .choices import EntryChoices
from .const import (
    DOMAIN,
    EVENT_DELIVERED,
    MAX_KEYS_PER_MESSAGE,
    MAX_TITLE_LENGTH,
    PARTLY_REFUSED,
    PRIORITY_EMERGENCY,
)
from .coordinator import LimitsCoordinator
from .data import PushoverConfigEntry
from .encryption import EncryptionError, encrypt_message
from .errors import translated
from .graphemes import cut_to_length
from .message import ELLIPSIS, MessageRequest
from .outbox import Outbox, OutboxItem, Queued, QueueReason
from .receipts import ReceiptTracker
from .recipients import Recipient
from .repairs import async_clear_issue, async_raise_issue
from .value import Value

_LOGGER = logging.getLogger(__name__)

# The issue of an application Pushover refused (its translation key).
REFUSED_APP_ISSUE: Final = "token_refused"


def sent_signal(entry_id: str) -> str:
    """Name the dispatcher signal that tells recipients' entities of a send.

    It carries the ids of the recipients Pushover accepted the message for.
    """
    return f"{DOMAIN}_{entry_id}_sent"


type CallStatus = Literal["sent", "queued", "refused"]


class CallOutcome(Value):
    """What became of one API call: sent (Pushover's ids), queued, or refused (why)."""

    __slots__ = (
        "error",
        "errors",
        "queue_position",
        "queued_id",
        "queued_reason",
        "receipt",
        "recipients",
        "request_id",
        "status",
    )
    recipients: Final[tuple[Recipient, ...]]
    status: Final[CallStatus]
    request_id: Final[str | None]
    receipt: Final[str | None]
    queued_id: Final[str | None]
    queue_position: Final[int | None]
    # Why a queued call waits (`Queued.reason`).
    queued_reason: Final[QueueReason | None]
    # Pushover's own error texts (or the outbox's) for a refused call.
    errors: Final[tuple[str, ...]]
    # What a send that reached nobody raises: this call's own error.
    error: Final[HomeAssistantError | None]

    def __init__(
        self,
        *,
        recipients: tuple[Recipient, ...],
        status: CallStatus,
        request_id: str | None = None,
        receipt: str | None = None,
        queued_id: str | None = None,
        queue_position: int | None = None,
        queued_reason: QueueReason | None = None,
        errors: tuple[str, ...] = (),
        error: HomeAssistantError | None = None,
    ) -> None:
        """Set the fields, each given by name."""
        self.recipients = recipients
        self.status = status
        self.request_id = request_id
        self.receipt = receipt
        self.queued_id = queued_id
        self.queue_position = queue_position
        self.queued_reason = queued_reason
        self.errors = errors
        self.error = error

    @property
    def accepted(self) -> bool:
        """Tell whether Pushover took the call or the outbox keeps it."""
        return self.status != "refused"

    @property
    def names(self) -> list[str]:
        """Name the call's recipients, for people."""
        return [recipient.name for recipient in self.recipients]

    @property
    def ids(self) -> list[str]:
        """List the call's recipients' ids."""
        return [recipient.id for recipient in self.recipients]

    def as_response(self) -> dict[str, Any]:
        """Describe the call for the action's response."""
        return {
            "recipients": self.names,
            "recipient_ids": self.ids,
            "status": self.status,
            "request_id": self.request_id,
            "receipt": self.receipt,
            "queued_id": self.queued_id,
            "queue_position": self.queue_position,
            "queued_reason": self.queued_reason,
            "errors": list(self.errors),
        }


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
        choices: EntryChoices,
        callback_url: str | None,
    ) -> None:
        """Bind the sender to its entry, client, quota, receipts and choices."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._limits = limits
        self._receipts = receipts
        self._choices = choices
        self._callback_url = callback_url
        self.outbox = Outbox(
            hass,
            entry,
            self._deliver,
            on_sent=self._async_on_sent,
            on_auth_failed=self._async_on_auth_failed,
        )
        # Whether the refused-token notice may be shown (by this or an
        # earlier load of the entry): the next accepted message clears it.
        self._token_notice = True

    @property
    def uses_callback(self) -> bool:
        """Tell whether emergencies carry the acknowledgement callback."""
        return self._callback_url is not None

    async def async_send(
        self,
        request: MessageRequest,
        recipients: Sequence[Recipient],
        *,
        partial_ok: bool = False,
    ) -> list[CallOutcome]:
        """Send one message to recipients, in as few API calls as possible.

        Recipients that share the same devices go out in one call (Pushover
        takes up to 50 keys); a call that names devices overrides every
        recipient's default devices. Every call is made even when Pushover
        refuses one. Raises the first call's error when no call was sent or
        queued, and `send_partly_refused` when some were refused, unless
        `partial_ok` (the caller reports each call's outcome itself).
        """
        self._limits.raise_if_exhausted()
        message = request.message
        await self._choices.async_check_sound(message.sound)
        if request.attachment is not None:
            attachment = await async_load_attachment(self._hass, request.attachment)
            message = message.replace(attachment=attachment)
        if (
            message.priority == PRIORITY_EMERGENCY
            and message.callback is None
            and self._callback_url is not None
        ):
            message = message.replace(callback=self._callback_url)
        # Every call is encrypted before any goes out: a recipient whose
        # key fails gets no plaintext, and the others nothing half-way.
        calls = [
            (batch, self._call_message(message, devices, encryption_key, batch))
            for (devices, encryption_key), group in _group_calls(
                message, recipients
            ).items()
            for batch in batched(group, MAX_KEYS_PER_MESSAGE, strict=False)
        ]
        outcomes = [
            await self._async_send_call(tuple(batch), call_message)
            for batch, call_message in calls
        ]
        raise_unless_accepted(outcomes, partial_ok=partial_ok)
        return outcomes

    def _call_message(
        self,
        message: Message,
        devices: tuple[str, ...],
        encryption_key: str | None,
        batch: tuple[Recipient, ...],
    ) -> Message:
        """Return one call's message: its devices, encrypted for its account."""
        if devices != message.devices:
            message = message.replace(devices=devices)
        if encryption_key is None:
            return message
        try:
            return encrypt_message(
                message, encryption_key, default_title=self._default_title
            )
        except EncryptionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="encryption_failed",
                translation_placeholders={
                    "recipients": ", ".join(recipient.name for recipient in batch),
                    "error": str(err),
                },
            ) from err

    @property
    def _default_title(self) -> str:
        """Title an encrypted message that has none: the application's name.

        Pushover would put its own name of the application there, in
        plaintext; the entry stands for the application (renamed freely,
        so it is cut to the title's limit).
        """
        title = self._entry.title
        if len(title) <= MAX_TITLE_LENGTH:
            return title
        return cut_to_length(title, MAX_TITLE_LENGTH, ELLIPSIS)

    async def _async_send_call(
        self, recipients: tuple[Recipient, ...], message: Message
    ) -> CallOutcome:
        try:
            # A 429 to an earlier call used up the quota, which is the
            # account's: another call would only earn another 4xx.
            self._limits.raise_if_exhausted()
            outcome = await self.outbox.async_send(recipients, message)
        except PushoverQuotaExceededError as err:
            self._limits.async_set_exhausted(err.reset)
            return _refused(recipients, err, translated(err, "send"))
        except PushoverError as err:
            # Refused (4xx): whatever Pushover cannot take now is queued.
            return _refused(recipients, err, translated(err, "send"))
        except HomeAssistantError as err:
            # The quota is used up, or the outbox is full or closing.
            return CallOutcome(
                recipients=recipients, status="refused", errors=(str(err),), error=err
            )
        if isinstance(outcome, Queued):
            _LOGGER.info(
                "Message to %s queued (%s, position %d): Pushover cannot take it now",
                ", ".join(recipient.name for recipient in recipients),
                outcome.item_id,
                outcome.position,
            )
            return CallOutcome(
                recipients=recipients,
                status="queued",
                queued_id=outcome.item_id,
                queued_reason=outcome.reason,
                queue_position=outcome.position,
            )
        return CallOutcome(
            recipients=recipients,
            status="sent",
            request_id=outcome.request_id,
            receipt=outcome.receipt,
        )

    async def _deliver(self, item: OutboxItem) -> SendResult:
        return await self._client.send(item.users, item.message)

    @callback
    def _async_on_auth_failed(self) -> None:
        """Ask for a new token, and say once, until it comes, why messages wait."""
        self._entry.async_start_reauth(self._hass)
        self._token_notice = True
        async_raise_issue(
            self._hass,
            REFUSED_APP_ISSUE,
            self._entry.entry_id,
            severity=ir.IssueSeverity.ERROR,
            placeholders={"name": self._entry.title},
        )

    @callback
    def _async_on_sent(
        self,
        item: OutboxItem,
        result: SendResult,
        queued: bool,  # noqa: FBT001 - the outbox's callback signature
    ) -> None:
        """Follow up an accepted message, whether sent at once or from the queue."""
        if self._token_notice:
            self._token_notice = False
            async_clear_issue(self._hass, REFUSED_APP_ISSUE, self._entry.entry_id)
        _LOGGER.debug(
            "Pushover accepted the message to %s: request %s",
            ", ".join(item.recipient_names),
            result.request_id,
        )
        if result.receipt is not None:
            # At once: a cancel right after the send finds the receipt.
            self._receipts.async_track(
                result.receipt,
                item.message,
                item.recipient_ids,
                item.recipient_names,
                uses_callback=self._callback_url is not None
                and item.message.callback == self._callback_url,
            )
        async_dispatcher_send(
            self._hass, sent_signal(self._entry.entry_id), list(item.recipient_ids)
        )
        if queued:
            self._hass.bus.async_fire(
                EVENT_DELIVERED,
                {
                    "entry_id": self._entry.entry_id,
                    "queued_id": item.id,
                    "recipients": list(item.recipient_names),
                    "recipient_ids": list(item.recipient_ids),
                    "title": item.message.readable_title,
                    "request_id": result.request_id,
                    "receipt": result.receipt,
                    "accepted_at": item.accepted_at.isoformat(),
                },
            )


def _refused(
    recipients: tuple[Recipient, ...], err: PushoverError, error: HomeAssistantError
) -> CallOutcome:
    errors = err.errors if isinstance(err, PushoverInvalidRequestError) else []
    return CallOutcome(
        recipients=recipients,
        status="refused",
        request_id=err.request_id,
        errors=tuple(errors) or (str(err),),
        error=error,
    )


def raise_unless_accepted(outcomes: list[CallOutcome], *, partial_ok: bool) -> None:
    """Raise when the message reached nobody, or only some without `partial_ok`."""
    refused = [outcome for outcome in outcomes if not outcome.accepted]
    if not refused:
        return
    accepted = [outcome for outcome in outcomes if outcome.accepted]
    if not accepted:
        # Nobody got it: the first refusal says what to fix.
        raise next(outcome.error for outcome in refused if outcome.error)
    if partial_ok:
        # The response says it too, but a script may not look.
        for outcome in refused:
            _LOGGER.warning(
                "The message went to %s, but not to %s: %s (request %s)",
                ", ".join(_names(accepted)),
                ", ".join(outcome.names),
                "; ".join(outcome.errors),
                outcome.request_id or "-",
            )
        return
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=PARTLY_REFUSED,
        translation_placeholders={
            "accepted": ", ".join(_names(accepted)),
            "request_ids": ", ".join(
                outcome.request_id or outcome.queued_id or "-" for outcome in accepted
            ),
            "refusals": "; ".join(
                f"{', '.join(outcome.names)} ({'; '.join(outcome.errors)})"
                for outcome in refused
            ),
            # In the order of the refusals; the words around them are translated.
            "refused_request_ids": ", ".join(
                outcome.request_id or "-" for outcome in refused
            ),
            "refused": ", ".join(_names(refused)),
        },
    )


def _names(outcomes: list[CallOutcome]) -> list[str]:
    """Name the recipients of the calls, in the order of the calls."""
    return [name for outcome in outcomes for name in outcome.names]


def _group_calls(
    message: Message, recipients: Sequence[Recipient]
) -> dict[tuple[tuple[str, ...], str | None], list[Recipient]]:
    """Group recipients into calls: the same devices and the same key.

    A call's text is encrypted for one account at most, so a recipient with
    an encryption key shares a call with no recipient without one (nor with
    one of another key).
    """
    groups: dict[tuple[tuple[str, ...], str | None], list[Recipient]] = {}
    for recipient in recipients:
        devices = message.devices or recipient.devices
        groups.setdefault((devices, recipient.encryption_key), []).append(recipient)
    return groups
