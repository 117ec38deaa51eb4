"""What is known of an emergency message's receipt, and when to ask again.

A tracked receipt is a plain class: a dataclass costs more to create when the
module is imported, at every start, than it saves.
"""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from .const import (
    CHAIN_TAG_PREFIX,
    RECEIPT_POLL_AGE_DIVISOR,
    RECEIPT_POLL_MAX,
    RECEIPT_POLL_MIN,
)


def chain_tag(chain_id: str) -> str:
    """Return the tag every message of an escalation chain carries."""
    return f"{CHAIN_TAG_PREFIX}{chain_id}"


def chain_id_of(tags: Sequence[str]) -> str | None:
    """Return the escalation chain a message's tags name, if any.

    The tag goes to Pushover with the message and is stored with it in the
    outbox and the receipts, so a step queued or tracked across a restart
    still knows its chain.
    """
    return next(
        (
            tag.removeprefix(CHAIN_TAG_PREFIX)
            for tag in tags
            if tag.startswith(CHAIN_TAG_PREFIX)
        ),
        None,
    )


class EmergencyState(StrEnum):
    """Where an emergency message stands."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    # Pushover no longer knows the receipt, before it could have expired.
    UNKNOWN = "unknown"


class TrackedReceipt:
    """An emergency message and what is known of its receipt.

    The recipients are known by id; their names, as they were when it was
    sent, are for people (events and the sensor).
    """

    # Compared by value but not frozen: it cannot be hashed.
    __hash__ = None  # type: ignore[assignment]
    __slots__ = (
        "acknowledged_by",
        "acknowledged_by_device",
        "changed_at",
        "expires_at",
        "polled_at",
        "receipt",
        "recipient_ids",
        "recipient_names",
        "sent_at",
        "state",
        "tags",
        "title",
        "uses_callback",
    )

    def __init__(
        self,
        *,
        receipt: str,
        title: str | None,
        tags: list[str],
        recipient_ids: list[str],
        recipient_names: list[str],
        sent_at: datetime,
        expires_at: datetime,
        uses_callback: bool,
        state: EmergencyState = EmergencyState.PENDING,
        acknowledged_by: str | None = None,
        acknowledged_by_device: str | None = None,
        changed_at: datetime | None = None,
        polled_at: datetime | None = None,
    ) -> None:
        """Hold the message's receipt and what is known of it so far."""
        self.receipt = receipt
        self.title = title
        self.tags = tags
        self.recipient_ids = recipient_ids
        self.recipient_names = recipient_names
        self.sent_at = sent_at
        self.expires_at = expires_at
        # True when our webhook was given as the callback: polling can be slow.
        self.uses_callback = uses_callback
        self.state = state
        self.acknowledged_by = acknowledged_by
        self.acknowledged_by_device = acknowledged_by_device
        self.changed_at = changed_at
        self.polled_at = polled_at

    def __eq__(self, other: object) -> bool:
        """Compare field by field, as the tracker finds a receipt in its lists."""
        return isinstance(other, TrackedReceipt) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    @property
    def chain_id(self) -> str | None:
        """Return the escalation chain the message belongs to, if any."""
        return chain_id_of(self.tags)

    def event_data(self) -> dict[str, Any]:
        """Describe the receipt for an event or a sensor's attributes."""
        return {
            "receipt": self.receipt,
            "title": self.title,
            "tags": list(self.tags),
            "chain_id": self.chain_id,
            "recipients": list(self.recipient_names),
            "recipient_ids": list(self.recipient_ids),
            "state": self.state.value,
            "sent_at": self.sent_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "time": self.changed_at.isoformat() if self.changed_at else None,
        }

    def next_poll(self) -> datetime:
        """Return when to ask Pushover next: slower as the receipt ages."""
        last = self.polled_at or self.sent_at
        if self.uses_callback:
            interval = RECEIPT_POLL_MAX
        else:
            age = last - self.sent_at
            interval = min(
                max(age / RECEIPT_POLL_AGE_DIVISOR, RECEIPT_POLL_MIN),
                RECEIPT_POLL_MAX,
            )
        regular = last + interval
        # Look once more just after expiry to learn the final state.
        final_look = self.expires_at + RECEIPT_POLL_MIN
        return final_look if last < final_look < regular else regular
