"""Targets of the send action: our notify entities, and what holds them.

The UI's target picker gives entity, device, area, floor and label ids. Home
Assistant's target helper expands devices, areas, floors and labels to the
entities they hold, as it does for every entity action; the entity registry
then names the entry and the recipient behind each of our notify entities.
A target may reach recipients of several entries: each entry sends its share
with its own application, recipients that share devices in one call.

An entry's share is a value (`value.py`): immutable, and cheap to create
when the module is imported, at every start.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, service, target

from .const import DOMAIN, PRIMARY_RECIPIENT_ID
from .data import PushoverConfigEntry
from .message import FieldError, MessageRequest, refusal
from .recipients import Recipient, recipients_of
from .value import Value

if TYPE_CHECKING:
    from .sender import CallOutcome

# The fields a target arrives in, as Home Assistant spreads it into the data.
TARGET_FIELDS: Final = (
    ATTR_ENTITY_ID,
    ATTR_DEVICE_ID,
    ATTR_AREA_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)


class TargetedEntry(Value):
    """An entry's share of a target: its recipients and their notify entities."""

    __slots__ = ("entity_ids", "entry", "recipients")
    entry: Final[PushoverConfigEntry]
    recipients: Final[list[Recipient]]
    # The notify entity of each recipient, by recipient id.
    entity_ids: Final[dict[str, str]]

    def __init__(
        self,
        *,
        entry: PushoverConfigEntry,
        recipients: list[Recipient],
        entity_ids: dict[str, str],
    ) -> None:
        """Set the fields, each given by name."""
        self.entry = entry
        self.recipients = recipients
        self.entity_ids = entity_ids


def pop_target(data: dict[str, Any]) -> target.TargetSelection:
    """Take the target's fields out of the action's data."""
    return target.TargetSelection(
        {field: data.pop(field) for field in TARGET_FIELDS if field in data}
    )


def async_resolve_targets(
    hass: HomeAssistant, selection: target.TargetSelection
) -> list[TargetedEntry]:
    """Find the recipients a target means, grouped by entry.

    Every mistake is named at once, before anything is sent: an id nothing
    has, an entity that is not one of our notify entities, and a device,
    area, floor or label that holds none of them.
    """
    registry = er.async_get(hass)
    errors: list[FieldError] = []
    unknown = _missing(hass, selection)
    found: dict[str, er.RegistryEntry] = {}
    not_ours: list[str] = []
    for entity_id in sorted(selection.entity_ids):
        entity = registry.async_get(entity_id)
        if (mine := _ours(entity)) is not None:
            found[entity_id] = mine
        elif entity is None and hass.states.get(entity_id) is None:
            unknown.append(entity_id)
        else:
            not_ours.append(entity_id)
    empty: list[str] = []
    for holder, entity_ids in _held_entities(hass, selection, set(unknown)):
        held = _ours_among(registry, entity_ids)
        if not held:
            empty.append(holder)
        found |= held
    if unknown:
        errors.append(FieldError("target_unknown", targets=", ".join(unknown)))
    if not_ours:
        errors.append(FieldError("target_not_ours", entities=", ".join(not_ours)))
    if empty:
        errors.append(FieldError("target_without_recipients", targets=", ".join(empty)))
    if errors:
        raise refusal(errors)
    return _by_entry(hass, found)


def _missing(hass: HomeAssistant, selection: target.TargetSelection) -> list[str]:
    """List the devices, areas, floors and labels that nothing has the id of."""
    missing = target.async_extract_referenced_entity_ids(hass, selection)
    return sorted(
        missing.missing_devices
        | missing.missing_areas
        | missing.missing_floors
        | missing.missing_labels
    )


def _held_entities(
    hass: HomeAssistant, selection: target.TargetSelection, unknown: set[str]
) -> Iterable[tuple[str, set[str]]]:
    """Expand each device, area, floor and label alone, to name an empty one."""
    for field, ids in (
        (ATTR_DEVICE_ID, selection.device_ids),
        (ATTR_AREA_ID, selection.area_ids),
        (ATTR_FLOOR_ID, selection.floor_ids),
        (ATTR_LABEL_ID, selection.label_ids),
    ):
        for holder in sorted(ids - unknown):
            held = target.async_extract_referenced_entity_ids(
                hass, target.TargetSelection({field: holder})
            )
            yield holder, held.indirectly_referenced


def _ours(entity: er.RegistryEntry | None) -> er.RegistryEntry | None:
    """Return the entity if it is one of our notify entities."""
    if (
        entity is not None
        and entity.platform == DOMAIN
        and entity.domain == NOTIFY_DOMAIN
        and entity.config_entry_id is not None
    ):
        return entity
    return None


def _ours_among(
    registry: er.EntityRegistry, entity_ids: set[str]
) -> dict[str, er.RegistryEntry]:
    """Keep our notify entities among those a device or an area holds."""
    ours: dict[str, er.RegistryEntry] = {}
    for entity_id in entity_ids:
        if (entity := _ours(registry.async_get(entity_id))) is not None:
            ours[entity_id] = entity
    return ours


def _by_entry(
    hass: HomeAssistant, entities: dict[str, er.RegistryEntry]
) -> list[TargetedEntry]:
    """Group our notify entities by entry, recipients in the entry's order."""
    wanted: dict[str, dict[str, str]] = {}
    for entity_id, entity in entities.items():
        # The primary recipient's entity belongs to no subentry.
        recipient_id = entity.config_subentry_id or PRIMARY_RECIPIENT_ID
        wanted.setdefault(str(entity.config_entry_id), {})[recipient_id] = entity_id
    targeted = []
    for entry_id in sorted(wanted):
        # An entry that is not loaded cannot send: Home Assistant's own
        # translated error says so.
        entry: PushoverConfigEntry = service.async_get_config_entry(
            hass, DOMAIN, entry_id
        )
        entity_of = wanted[entry_id]
        recipients = [
            recipient for recipient in recipients_of(entry) if recipient.id in entity_of
        ]
        targeted.append(
            TargetedEntry(entry=entry, recipients=recipients, entity_ids=entity_of)
        )
    return targeted


type RequestBuilder = Callable[[PushoverConfigEntry], MessageRequest]


async def async_send_to_targets(
    targeted: list[TargetedEntry], build: RequestBuilder, *, partial_ok: bool
) -> ServiceResponse:
    """Send one message to the targeted recipients, entry by entry.

    Each entry's message is built (with its own defaults) and checked before
    any goes out. An entry whose calls all fail once another entry's went out
    is reported as refused, like a refused call: the message is not sent
    half-way without the caller hearing of it.
    """
    # The sender imports the action's live choices, which import the
    # actions: it is read when a target is sent to, not when this loads.
    from .sender import CallOutcome, raise_unless_accepted  # noqa: PLC0415

    requests = [(share, build(share.entry)) for share in targeted]
    sent: list[tuple[TargetedEntry, CallOutcome]] = []
    for share, request in requests:
        try:
            outcomes = await share.entry.runtime_data.sender.async_send(
                request, share.recipients, partial_ok=True
            )
        except HomeAssistantError as err:
            if isinstance(err, ServiceValidationError) and not any(
                outcome.accepted for _, outcome in sent
            ):
                # A mistake in the call itself, found before anything went out.
                raise
            outcomes = [
                CallOutcome(
                    recipients=tuple(share.recipients),
                    status="refused",
                    errors=(str(err),),
                    error=err,
                )
            ]
        sent.extend((share, outcome) for outcome in outcomes)
    raise_unless_accepted([outcome for _, outcome in sent], partial_ok=partial_ok)
    return _response(sent)


def _response(sent: list[tuple[TargetedEntry, CallOutcome]]) -> ServiceResponse:
    """Describe every call: its entry, its recipients' entities, its outcome."""
    calls = [
        {
            **outcome.as_response(),
            "config_entry_id": share.entry.entry_id,
            "entity_ids": _entity_ids(share, outcome),
        }
        for share, outcome in sent
    ]
    accepted = [call for call in calls if call["status"] != "refused"]
    queued = [call for call in calls if call["status"] == "queued"]
    first = accepted[0]
    return {
        "request_id": first["request_id"],
        "receipt": first["receipt"],
        "queued": bool(queued),
        "queued_reason": queued[0]["queued_reason"] if queued else None,
        "accepted": [name for call in accepted for name in call["recipients"]],
        "refused": [
            name
            for call in calls
            if call["status"] == "refused"
            for name in call["recipients"]
        ],
        "accepted_ids": [id_ for call in accepted for id_ in call["recipient_ids"]],
        "refused_ids": [
            id_
            for call in calls
            if call["status"] == "refused"
            for id_ in call["recipient_ids"]
        ],
        "accepted_entities": [
            entity_id for call in accepted for entity_id in call["entity_ids"]
        ],
        "refused_entities": [
            entity_id
            for call in calls
            if call["status"] == "refused"
            for entity_id in call["entity_ids"]
        ],
        "deliveries": calls,
    }


def _entity_ids(share: TargetedEntry, outcome: CallOutcome) -> list[str]:
    """Name a call's recipients by their notify entities."""
    return [share.entity_ids[recipient.id] for recipient in outcome.recipients]
