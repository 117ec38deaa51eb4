"""Actions of Pushover Plus, registered once in `async_setup`."""

from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service, target
import probatio

from .const import DOMAIN, PRIORITY_EMERGENCY
from .data import PushoverConfigEntry, is_inbox, send_defaults_of
from .escalation import check_tags_fit
from .message import (
    MESSAGE_KEYS,
    FieldError,
    MessageRequest,
    build_message,
    check_receipt,
    check_tag,
    invalid,
    whole_number,
)
from .recipients import Recipient, recipients_of
from .targets import async_resolve_targets, async_send_to_targets, pop_target

SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_CANCEL_RECEIPT: Final = "cancel_receipt"
SERVICE_CANCEL_BY_TAG: Final = "cancel_by_tag"
SERVICE_GET_RECEIPT: Final = "get_receipt"
SERVICE_CANCEL_ESCALATION: Final = "cancel_escalation"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_RECEIPT: Final = "receipt"
ATTR_TAG: Final = "tag"
ATTR_ESCALATE_TO: Final = "escalate_to"
ATTR_ESCALATE_AFTER: Final = "escalate_after"
ATTR_CHAIN_ID: Final = "chain_id"

# Every field is checked by `build_message`, so that every send path gives the
# same translated error for the same mistake, all mistakes at once.
SEND_MESSAGE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_RECIPIENTS): probatio.All(cv.ensure_list, [cv.string]),
        # The target picker's notify entities, devices, areas, floors, labels.
        **cv.ENTITY_SERVICE_FIELDS,
    },
    extra=probatio.ALLOW_EXTRA,
)
# What the send action takes: a message's fields and its own.
SEND_MESSAGE_KEYS: Final = MESSAGE_KEYS | {
    ATTR_CONFIG_ENTRY_ID,
    ATTR_RECIPIENTS,
    ATTR_ESCALATE_TO,
    ATTR_ESCALATE_AFTER,
}


def _receipt(value: Any) -> str:
    return check_receipt(cv.string(value))


def _tag(value: Any) -> str:
    return check_tag(cv.string(value), ATTR_TAG)


# The receipt and the tag become part of a URL path: they are checked where
# they enter, with the same translated errors as the send action's.
CANCEL_RECEIPT_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_RECEIPT): _receipt,
    }
)
GET_RECEIPT_SCHEMA: Final = CANCEL_RECEIPT_SCHEMA
CANCEL_ESCALATION_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_CHAIN_ID): cv.string,
    }
)
CANCEL_BY_TAG_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_TAG): _tag,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
    async_register_send_message(hass)
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_RECEIPT,
        _async_cancel_receipt,
        schema=CANCEL_RECEIPT_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_BY_TAG,
        _async_cancel_by_tag,
        schema=CANCEL_BY_TAG_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_RECEIPT,
        _async_get_receipt,
        schema=GET_RECEIPT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_ESCALATION,
        _async_cancel_escalation,
        schema=CANCEL_ESCALATION_SCHEMA,
    )


@callback
def async_register_send_message(hass: HomeAssistant) -> None:
    """Register the send action; again, so that the frontend reads its form anew."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _entry_of(call: ServiceCall) -> PushoverConfigEntry:
    return entry_for_call(call, inbox=False)


def entry_for_call(call: ServiceCall, *, inbox: bool) -> ConfigEntry[Any]:
    """Find the call's entry: an application's to send, an inbox's to acknowledge.

    Without `config_entry_id`, the one entry of that kind is meant: an
    application and an inbox may be set up side by side.
    """
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        of_kind = [
            entry
            for entry in call.hass.config_entries.async_entries(
                DOMAIN, include_ignore=False, include_disabled=False
            )
            if is_inbox(entry) == inbox
        ]
        if len(of_kind) == 1:
            entry_id = of_kind[0].entry_id
    entry = service.async_get_config_entry(call.hass, DOMAIN, entry_id)
    if is_inbox(entry) != inbox:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_is_application" if inbox else "entry_is_inbox",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def _async_cancel_receipt(call: ServiceCall) -> None:
    await _entry_of(call).runtime_data.receipts.async_cancel(call.data[ATTR_RECEIPT])


async def _async_cancel_by_tag(call: ServiceCall) -> ServiceResponse:
    receipts = _entry_of(call).runtime_data.receipts
    return {"cancelled": await receipts.async_cancel_by_tag(call.data[ATTR_TAG])}


async def _async_get_receipt(call: ServiceCall) -> ServiceResponse:
    receipts = _entry_of(call).runtime_data.receipts
    return await receipts.async_status(call.data[ATTR_RECEIPT])


async def _async_cancel_escalation(call: ServiceCall) -> None:
    escalations = _entry_of(call).runtime_data.escalations
    await escalations.async_cancel(call.data[ATTR_CHAIN_ID])


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    data: dict[str, Any] = dict(call.data)
    selection = pop_target(data)
    if selection.has_any_target:
        return await _async_send_to_targets(call, data, selection)
    entry = _entry_of(call)
    data.pop(ATTR_CONFIG_ENTRY_ID, None)
    recipients = select_recipients(entry, data.pop(ATTR_RECIPIENTS, None))
    escalate_to, escalate_after = (
        data.pop(ATTR_ESCALATE_TO, None),
        data.pop(ATTR_ESCALATE_AFTER, None),
    )
    request = build_message(
        data,
        send_defaults_of(entry),
        allowed=MESSAGE_KEYS,
        listed=SEND_MESSAGE_KEYS,
        found=_escalation_errors(escalate_to, escalate_after),
    )
    chain_id = None
    # A caller that takes the response learns each call's outcome there; one
    # that does not must hear of a partial refusal through an error.
    if escalate_to:
        steps = _escalation_recipients(entry, escalate_to)
        # A chain keeps its message on disk for the later steps: encrypted
        # recipients would find their text stored in plaintext.
        if encrypted := [
            recipient.name
            for recipient in (*recipients, *steps)
            if recipient.encryption_key
        ]:
            raise invalid(
                "escalation_encrypted",
                field=ATTR_ESCALATE_TO,
                recipients=", ".join(dict.fromkeys(encrypted)),
            )
        chain_id, outcomes = await entry.runtime_data.escalations.async_start(
            request,
            recipients,
            steps,
            _checked_escalate_after(request, escalate_after),
            partial_ok=call.return_response,
        )
    else:
        outcomes = await entry.runtime_data.sender.async_send(
            request, recipients, partial_ok=call.return_response
        )
    accepted = [outcome for outcome in outcomes if outcome.accepted]
    refused = [outcome for outcome in outcomes if not outcome.accepted]
    first = accepted[0]
    queued = [outcome for outcome in outcomes if outcome.status == "queued"]
    return {
        "request_id": first.request_id,
        "receipt": first.receipt,
        "queued": bool(queued),
        "queued_reason": queued[0].queued_reason if queued else None,
        # Names for people; ids for a script that sends again to the refused.
        "accepted": [name for outcome in accepted for name in outcome.names],
        "accepted_ids": [id_ for outcome in accepted for id_ in outcome.ids],
        "refused": [name for outcome in refused for name in outcome.names],
        "refused_ids": [id_ for outcome in refused for id_ in outcome.ids],
        "deliveries": [outcome.as_response() for outcome in outcomes],
        "chain_id": chain_id,
    }


def _escalation_errors(escalate_to: Any, escalate_after: Any) -> list[FieldError]:
    """Check the escalation's fields on their own, with the message's fields."""
    errors = []
    if escalate_to not in (None, "", []) and not (
        isinstance(escalate_to, str)
        or (
            isinstance(escalate_to, list)
            and all(isinstance(name, str) for name in escalate_to)
        )
    ):
        errors.append(FieldError("invalid_type_names", field=ATTR_ESCALATE_TO))
    if escalate_after is not None:
        try:
            whole_number(ATTR_ESCALATE_AFTER, escalate_after)
        except FieldError as err:
            errors.append(err)
    if (escalate_to in (None, "", [])) != (escalate_after is None):
        errors.append(FieldError("escalation_needs_both"))
    return errors


def _checked_escalate_after(request: MessageRequest, escalate_after: Any) -> int:
    """Return the seconds between steps: an emergency's, at least its retry."""
    message = request.message
    if message.priority != PRIORITY_EMERGENCY:
        raise invalid("escalation_not_emergency")
    check_tags_fit(message)
    # Checked with the message's fields: a whole number by now.
    seconds = whole_number(ATTR_ESCALATE_AFTER, escalate_after) or 0
    retry = message.retry or 0
    if seconds < retry:
        raise invalid(
            "escalate_after_too_short",
            field=ATTR_ESCALATE_AFTER,
            value=seconds,
            limit=retry,
        )
    return seconds


def _escalation_recipients(
    entry: PushoverConfigEntry, wanted: str | list[str]
) -> list[Recipient]:
    """Find each step's recipient in order; the same one may come again."""
    known = recipients_of(entry)
    names = [wanted] if isinstance(wanted, str) else wanted
    return [_recipient_named(known, name) for name in names]


async def _async_send_to_targets(
    call: ServiceCall, data: dict[str, Any], selection: target.TargetSelection
) -> ServiceResponse:
    """Send to the recipients behind notify entities, devices and areas."""
    # A target may span entries, while recipients are named within one:
    # together, which entry a name means would be a guess. An escalation's
    # steps are recipients too, so it runs within one entry.
    within_one_entry = (
        ATTR_CONFIG_ENTRY_ID,
        ATTR_RECIPIENTS,
        ATTR_ESCALATE_TO,
        ATTR_ESCALATE_AFTER,
    )
    if given := [field for field in within_one_entry if field in data]:
        raise invalid("target_with_recipients", fields=", ".join(given))
    targeted = async_resolve_targets(call.hass, selection)
    return await async_send_to_targets(
        targeted,
        lambda entry: build_message(
            data,
            send_defaults_of(entry),
            allowed=MESSAGE_KEYS,
            listed=SEND_MESSAGE_KEYS,
        ),
        partial_ok=call.return_response,
    )


def select_recipients(
    entry: PushoverConfigEntry, wanted: list[str] | None
) -> list[Recipient]:
    """Find recipients by id, or by a name one recipient alone has.

    None named means the primary recipient.
    """
    known = recipients_of(entry)
    if not wanted:
        return known[:1]
    selected = []
    for given in wanted:
        match = _recipient_named(known, given)
        if match not in selected:
            selected.append(match)
    return selected


def _recipient_named(known: list[Recipient], given: str) -> Recipient:
    """Return the recipient with the id `given`, or the one of that name."""
    if (match := next((item for item in known if item.id == given), None)) is not None:
        return match
    named = [item for item in known if item.name == given]
    if not named:
        raise invalid(
            "unknown_recipient",
            recipient=given,
            known=", ".join(item.name for item in known),
        )
    if len(named) > 1:
        # Names are for people and may be shared: which one is meant is a
        # guess the action does not make.
        raise invalid(
            "recipient_name_shared",
            recipient=given,
            ids=", ".join(item.id for item in named),
        )
    return named[0]
