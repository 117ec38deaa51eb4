"""Escalation: an emergency goes to the next person until someone acknowledges.

A chain is one message and its steps: the send's recipients first, then each
recipient of `escalate_to` in turn. Every step is an emergency message of its
own, handed to the sender like any message (queued while Pushover is down),
and carries the chain's tag (`escalation-<chain id>`). The outbox and the
receipts store keep the tag with the message, so a step that waits in the
queue, or is tracked across a restart, still knows its chain.

A step's clock starts when Pushover accepts it (its receipt is tracked); the
next step goes `escalate_after` seconds later. Just before it goes, the
chain's open receipts are read (free when read in the last 5 seconds), so
that a step never follows an acknowledgement the poll has not seen yet. The
first acknowledgement ends the chain: its other open receipts are cancelled
through the API (one cancel.json each) and no further step goes out. A step
Pushover accepts after its chain ended (it waited in the outbox) is
cancelled at once.

Each running chain is one file beside the receipts store, rewritten when the
chain moves on and deleted when it ends; a step that fell due while Home
Assistant was down goes out right after the start.
"""

import asyncio
import base64
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path
import secrets
import shutil
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
import homeassistant.util.dt as dt_util

from .api import Message
from .const import (
    DOMAIN,
    EVENT_ESCALATED,
    HEX_DIGITS,
    MAX_TAGS_LENGTH,
    PARTLY_REFUSED,
)
from .data import PushoverConfigEntry
from .message import AttachmentSource, MessageRequest, invalid
from .outbox_store import decode_message, encode_message
from .receipts import ReceiptTracker
from .receipts_model import EmergencyState, TrackedReceipt, chain_tag
from .recipients import Recipient
from .records import RecordError, RecordFields
from .spool import SET_ASIDE_SUFFIX, Spool

if TYPE_CHECKING:
    # The sender imports the actions, which import this module.
    from .sender import CallOutcome, MessageSender

_LOGGER = logging.getLogger(__name__)

RECORD_FORMAT: Final = 1
# 64 random bits: unique among an entry's chains, short enough for the tag.
_CHAIN_ID_BYTES: Final = 8
_CHAIN_FILE_SUFFIX: Final = ".json"
_FIELDS: Final = frozenset(
    {
        "format",
        "chain_id",
        "message",
        "attachment",
        "steps",
        "escalate_after",
        "sent_steps",
        "handed_at",
        "accepted_at",
    }
)
_ATTACHMENT_FIELDS: Final = frozenset({"kind", "location", "resize", "content"})


class EscalationChain:
    """One escalating emergency: its message, its steps and how far it got.

    A plain class: a dataclass costs more to create when the module is
    imported, at every start, than it saves here.
    """

    __slots__ = (
        "accepted_at",
        "attachment",
        "chain_id",
        "ended",
        "escalate_after",
        "handed_at",
        "message",
        "sent_steps",
        "steps",
    )

    def __init__(
        self,
        *,
        chain_id: str,
        message: Message,
        attachment: AttachmentSource | None,
        steps: list[tuple[str, ...]],
        escalate_after: int,
        handed_at: datetime,
        sent_steps: int = 1,
        accepted_at: datetime | None = None,
    ) -> None:
        """Hold a chain as it is sent, or as its file has it."""
        self.chain_id = chain_id
        # Tagged with the chain's tag; its picture, if any, is fetched per step.
        self.message = message
        self.attachment = attachment
        # The recipients' ids of each step, in order.
        self.steps = steps
        self.escalate_after = escalate_after
        # How many steps were handed to the sender, the latest when, and
        # when Pushover accepted it (None while it waits in the outbox).
        self.sent_steps = sent_steps
        self.handed_at = handed_at
        self.accepted_at = accepted_at
        # Acknowledged, cancelled or over: no step goes, and its file is deleted.
        self.ended = False

    @property
    def all_sent(self) -> bool:
        """Tell whether every step was handed to the sender."""
        return self.sent_steps >= len(self.steps)

    def next_due(self) -> datetime | None:
        """Return when the next step goes, or None: ended, none left, or queued."""
        if self.ended or self.accepted_at is None or self.all_sent:
            return None
        return self.accepted_at + timedelta(seconds=self.escalate_after)


def check_tags_fit(message: Message) -> None:
    """Refuse tags that leave no room for the chain's tag within Pushover's limit."""
    room = MAX_TAGS_LENGTH - len(chain_tag("0" * _CHAIN_ID_BYTES * 2)) - 1
    length = len(",".join(message.tags))
    if length > room:
        raise invalid("tags_too_long", length=length, limit=room)


def encode_chain(chain: EscalationChain) -> bytes:
    """Write a chain's record."""
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "chain_id": chain.chain_id,
        "message": encode_message(chain.message),
        "steps": [list(step) for step in chain.steps],
        "escalate_after": chain.escalate_after,
        "sent_steps": chain.sent_steps,
        "handed_at": chain.handed_at.isoformat(),
    }
    if chain.accepted_at is not None:
        record["accepted_at"] = chain.accepted_at.isoformat()
    if (source := chain.attachment) is not None:
        attachment: dict[str, Any] = {
            "kind": source.kind,
            "location": source.location,
            "resize": source.resize,
        }
        if source.content is not None:
            attachment["content"] = base64.b64encode(source.content).decode()
        record["attachment"] = attachment
    return json.dumps(record, separators=(",", ":")).encode()


def decode_chain(content: bytes) -> EscalationChain:
    """Read a chain's record back; RecordError for anything not written as above."""
    try:
        record = json.loads(content)
    except ValueError as err:
        msg = "not valid JSON"
        raise RecordError(msg) from err
    fields = RecordFields(record, "record")
    version = fields.number("format")
    if version != RECORD_FORMAT:
        msg = f"record format {version}; this Pushover Plus reads {RECORD_FORMAT}"
        raise RecordError(msg)
    fields.only(_FIELDS)
    steps = fields.raw("steps")
    if not isinstance(steps, list) or not steps:
        msg = "its steps are not a list of steps"
        raise RecordError(msg)
    return EscalationChain(
        chain_id=fields.text("chain_id"),
        message=decode_message(fields.raw("message"), None),
        attachment=_decode_attachment(record.get("attachment")),
        steps=[RecordFields({"step": step}, "step").names("step") for step in steps],
        escalate_after=fields.number("escalate_after"),
        sent_steps=fields.number("sent_steps"),
        handed_at=fields.moment("handed_at"),
        accepted_at=fields.optional_moment("accepted_at"),
    )


def _decode_attachment(value: object) -> AttachmentSource | None:
    if value is None:
        return None
    fields = RecordFields(value, "attachment")
    fields.only(_ATTACHMENT_FIELDS)
    content = fields.optional_text("content")
    return AttachmentSource(
        kind=fields.text("kind"),
        location=fields.text("location"),
        resize=fields.boolean("resize"),
        content=None if content is None else base64.b64decode(content),
    )


def escalations_directory(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's running chains are kept, beside its receipts."""
    return Path(hass.config.path(".storage", f"{DOMAIN}_escalations", entry_id))


def remove_escalations(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's chains, files set aside included (blocking)."""
    shutil.rmtree(escalations_directory(hass, entry_id), ignore_errors=True)


class EscalationStore:
    """One entry's running chains on disk, one file each, used from the event loop."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to the entry's folder; nothing is read yet."""
        self._hass = hass
        self._spool = Spool(escalations_directory(hass, entry_id))
        # One write at a time, in order: a deletion is never overtaken.
        self._writing = asyncio.Lock()

    async def async_load(self) -> list[EscalationChain]:
        """Read the running chains; a file that cannot be read is set aside."""
        return await self._hass.async_add_executor_job(self._load)

    async def async_write(self, chain: EscalationChain) -> None:
        """Write a chain as it is now; or OSError."""
        content = encode_chain(chain)
        async with self._writing:
            await self._hass.async_add_executor_job(
                self._spool.write, f"{chain.chain_id}.json", content
            )

    async def async_remove(self, chain_id: str) -> None:
        """Delete a chain's file; or OSError."""
        async with self._writing:
            await self._hass.async_add_executor_job(
                self._spool.remove, [f"{chain_id}.json"]
            )

    def _load(self) -> list[EscalationChain]:
        chains = []
        for name in self._spool.names():
            if name.endswith(SET_ASIDE_SUFFIX):
                continue
            try:
                chains.append(self._read(name))
            except (RecordError, OSError) as err:
                self._spool.set_aside(name)
                _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                    "Escalation file %s cannot be read: %s", name, err
                )
        return chains

    def _read(self, name: str) -> EscalationChain:
        chain_id = name.removesuffix(_CHAIN_FILE_SUFFIX)
        # The id's bytes in lower-case hexadecimal, then ".json".
        if (
            chain_id == name
            or len(chain_id) != 2 * _CHAIN_ID_BYTES
            or chain_id.strip(HEX_DIGITS)
        ):
            msg = "not an escalation's file name"
            raise RecordError(msg)
        chain = decode_chain(self._spool.read(name))
        if chain.chain_id != chain_id:
            msg = "its chain id is not the one in its file name"
            raise RecordError(msg)
        return chain


class Escalations:
    """Runs one config entry's escalation chains."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        sender: MessageSender,
        receipts: ReceiptTracker,
        recipients: Sequence[Recipient],
    ) -> None:
        """Bind the chains to the entry's sender, receipts and recipients."""
        self._hass = hass
        self._entry = entry
        self._sender = sender
        self._receipts = receipts
        self._recipients = {recipient.id: recipient for recipient in recipients}
        self._store = EscalationStore(hass, entry.entry_id)
        self._chains: dict[str, EscalationChain] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        # Chains ended while loaded: a late step of theirs is cancelled.
        self._ended: set[str] = set()
        self._unsubs: list[CALLBACK_TYPE] = []

    @property
    def directory(self) -> Path:
        """Return where the running chains' files are kept."""
        return escalations_directory(self._hass, self._entry.entry_id)

    @property
    def running(self) -> list[EscalationChain]:
        """Return the chains that still run."""
        return list(self._chains.values())

    async def async_load(self) -> None:
        """Read the running chains and follow the receipts; OSError if unreadable.

        Before the receipts load, so that an acknowledgement their first
        reads find ends its chain; nothing is sent until `async_run`.
        """
        for chain in await self._store.async_load():
            self._chains[chain.chain_id] = chain
        self._unsubs = [
            self._receipts.async_add_track_listener(self._async_on_receipt),
            self._receipts.async_add_close_listener(self._async_on_receipt),
        ]

    @callback
    def async_run(self) -> None:
        """Plan every chain's next step, once the receipts and the outbox are loaded."""
        for chain in self.running:
            if chain.accepted_at is None:
                # A stop may have come before the chain's file took the time
                # its step was accepted; the receipts store has it.
                chain.accepted_at = min(
                    (
                        item.sent_at
                        for item in self._open_of(chain)
                        if item.sent_at >= chain.handed_at
                    ),
                    default=None,
                )
            self._plan(chain)

    @callback
    def async_unload(self) -> None:
        """Stop the timers; the store keeps the chains for the next start."""
        for unsub in [*self._unsubs, *self._timers.values()]:
            unsub()
        self._timers.clear()

    async def async_start(
        self,
        request: MessageRequest,
        first: Sequence[Recipient],
        escalate_to: Sequence[Recipient],
        escalate_after: int,
        *,
        partial_ok: bool,
    ) -> tuple[str, list[CallOutcome]]:
        """Send a chain's first step; return the chain's id and its calls' outcomes."""
        chain_id = secrets.token_hex(_CHAIN_ID_BYTES)
        message = request.message.replace(
            tags=(*request.message.tags, chain_tag(chain_id))
        )
        chain = EscalationChain(
            chain_id=chain_id,
            message=message,
            attachment=request.attachment,
            steps=[
                tuple(recipient.id for recipient in first),
                *((recipient.id,) for recipient in escalate_to),
            ],
            escalate_after=escalate_after,
            handed_at=dt_util.utcnow(),
        )
        # Known before the send: Pushover's answer may come before it returns.
        self._chains[chain_id] = chain
        try:
            outcomes = await self._sender.async_send(
                MessageRequest(message=message, attachment=request.attachment),
                first,
                partial_ok=partial_ok,
            )
        except HomeAssistantError as err:
            if err.translation_key == PARTLY_REFUSED:
                # The chain runs for those who got its first step.
                await self._async_save_and_plan(chain)
            else:
                # Nobody got the first step: there is no chain.
                self._chains.pop(chain_id)
            raise
        await self._async_save_and_plan(chain)
        return chain_id, outcomes

    async def async_cancel(self, chain_id: str) -> None:
        """End a chain: no further step, its open receipts cancelled."""
        chain = self._chains.get(chain_id)
        if chain is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_chain",
                translation_placeholders={"chain_id": chain_id},
            )
        self._forget(chain)
        await self._async_end(chain)

    def _open_of(self, chain: EscalationChain) -> list[TrackedReceipt]:
        return [item for item in self._receipts.open if item.chain_id == chain.chain_id]

    @callback
    def _async_on_receipt(self, tracked: TrackedReceipt) -> None:
        """Follow the chain's receipts: accepted, acknowledged or closed."""
        if (chain_id := tracked.chain_id) is None:
            return
        chain = self._chains.get(chain_id)
        if tracked.state is EmergencyState.PENDING:
            if chain is None:
                if chain_id in self._ended:
                    # Left the outbox after its chain ended: nobody must answer it.
                    self._spawn(self._async_cancel_receipts([tracked]), "cancel")
                return
            if chain.accepted_at is None:
                self._accepted(chain, tracked)
            return
        if chain is None:
            return
        if tracked.state is EmergencyState.ACKNOWLEDGED:
            self._forget(chain)
            self._spawn(self._async_end(chain), "end")
        elif chain.all_sent and chain.accepted_at and not self._open_of(chain):
            # Every step went out and every receipt closed unanswered.
            self._forget(chain)
            self._spawn(self._async_remove(chain), "end")

    @callback
    def _accepted(self, chain: EscalationChain, tracked: TrackedReceipt) -> None:
        """Start the step's clock; tell automations of an escalation."""
        chain.accepted_at = tracked.sent_at
        step = chain.sent_steps - 1
        if step > 0:
            self._hass.bus.async_fire(
                EVENT_ESCALATED,
                {
                    "entry_id": self._entry.entry_id,
                    "chain_id": chain.chain_id,
                    "step": step,
                    "recipients": list(tracked.recipient_names),
                    "recipient_ids": list(tracked.recipient_ids),
                    "receipt": tracked.receipt,
                    "title": tracked.title,
                },
            )
        self._spawn(self._async_save_and_plan(chain), "save")

    @callback
    def _forget(self, chain: EscalationChain) -> None:
        """Stop a chain at once: no timer, no step; a late step gets cancelled."""
        chain.ended = True
        self._chains.pop(chain.chain_id, None)
        self._ended.add(chain.chain_id)
        if (unsub := self._timers.pop(chain.chain_id, None)) is not None:
            unsub()

    async def _async_end(self, chain: EscalationChain) -> None:
        await self._async_remove(chain)
        await self._async_cancel_receipts(self._open_of(chain))

    async def _async_cancel_receipts(self, receipts: list[TrackedReceipt]) -> None:
        for tracked in receipts:
            try:
                await self._receipts.async_cancel(tracked.receipt)
            except HomeAssistantError as err:
                # Closed meanwhile, or Pushover cannot be reached: it expires.
                _LOGGER.warning(
                    "Emergency %s of escalation %s was not cancelled: %s",
                    tracked.receipt,
                    tracked.chain_id,
                    err,
                )

    @callback
    def _plan(self, chain: EscalationChain) -> None:
        """Set the timer of the chain's next step, or send it if it is due."""
        if (unsub := self._timers.pop(chain.chain_id, None)) is not None:
            unsub()
        if (
            not chain.ended
            and chain.all_sent
            and chain.accepted_at
            and not self._open_of(chain)
        ):
            # The last step could not go, or its receipts closed while Home
            # Assistant was down: nothing is left to wait for.
            self._forget(chain)
            self._spawn(self._async_remove(chain), "end")
            return
        if (due := chain.next_due()) is None:
            return
        delay = (due - dt_util.utcnow()).total_seconds()
        if delay <= 0:
            self._spawn(self._async_next_step(chain), "step")
            return

        @callback
        def on_due(_now: datetime) -> None:
            self._timers.pop(chain.chain_id, None)
            self._spawn(self._async_next_step(chain), "step")

        self._timers[chain.chain_id] = async_call_later(self._hass, delay, on_due)

    async def _async_next_step(self, chain: EscalationChain) -> None:
        """Send the chain's next step, unless an acknowledgement came first."""
        for tracked in self._open_of(chain):
            try:
                # Closes the receipt, and ends the chain, if acknowledged.
                await self._receipts.async_status(tracked.receipt)
            except HomeAssistantError as err:
                _LOGGER.debug("Receipt %s not read: %s", tracked.receipt, err)
        if chain.next_due() is None:
            # Ended by an acknowledgement just read, or by the action.
            return
        ids = chain.steps[chain.sent_steps]
        recipients = [self._recipients[id_] for id_ in ids if id_ in self._recipients]
        step = chain.sent_steps
        chain.sent_steps += 1
        chain.handed_at = dt_util.utcnow()
        chain.accepted_at = None
        if not recipients:
            _LOGGER.warning(
                "Step %d of escalation %s is skipped: its recipient was removed",
                step,
                chain.chain_id,
            )
        else:
            try:
                await self._sender.async_send(
                    MessageRequest(message=chain.message, attachment=chain.attachment),
                    recipients,
                    partial_ok=True,
                )
            except HomeAssistantError as err:
                _LOGGER.warning(
                    "Step %d of escalation %s did not go out (%s); the chain goes on",
                    step,
                    chain.chain_id,
                    err,
                )
            else:
                await self._async_save_and_plan(chain)
                return
        # Nothing to wait for: the next step's clock starts now.
        chain.accepted_at = dt_util.utcnow()
        await self._async_save_and_plan(chain)

    async def _async_save_and_plan(self, chain: EscalationChain) -> None:
        self._plan(chain)
        if chain.ended:
            # Meanwhile, or by the plan: its file is deleted, not written.
            return
        try:
            await self._store.async_write(chain)
        except OSError as err:
            _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                "Cannot store escalation %s in %s (%s); it runs until Home "
                "Assistant stops",
                chain.chain_id,
                self.directory,
                err,
            )

    async def _async_remove(self, chain: EscalationChain) -> None:
        try:
            await self._store.async_remove(chain.chain_id)
        except OSError as err:
            _LOGGER.error(  # noqa: TRY400 - the reason says it all; no traceback
                "Cannot delete the file of escalation %s (%s)", chain.chain_id, err
            )

    @callback
    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        self._entry.async_create_background_task(
            self._hass, work, f"{DOMAIN} escalation {what} {self._entry.entry_id}"
        )
