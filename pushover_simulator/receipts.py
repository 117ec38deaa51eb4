"""Emergency-priority receipts: their state and how it reads at a given time."""

from dataclasses import dataclass, field
import secrets
import string
from typing import Final

from .models import JsonObject

MAX_DELIVERIES: Final = 50
RETENTION_SECONDS: Final = 7 * 24 * 3600
_ALPHABET: Final = string.ascii_letters + string.digits


class ReceiptError(Exception):
    """A receipt is unknown or cannot be acknowledged in its current state."""


def new_receipt_id() -> str:
    """Make a fresh receipt id: 30 random [A-Za-z0-9]."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(30))


@dataclass(slots=True, kw_only=True)
class Receipt:
    """One emergency message's receipt. Times are Unix seconds, 0 = never."""

    receipt: str
    token: str
    request: str
    recipients: list[str]
    retry: int
    expire: int
    created_at: int
    callback: str | None = None
    tags: list[str] = field(default_factory=list)
    acknowledged_at: int = 0
    acknowledged_by: str = ""
    acknowledged_by_device: str = ""
    cancelled_at: int = 0
    called_back_at: int = 0
    callback_statuses: list[int] = field(default_factory=list)

    @property
    def expires_at(self) -> int:
        """When the retries stop unless acknowledged first."""
        return self.created_at + self.expire

    @property
    def acknowledged(self) -> bool:
        """Whether a recipient acknowledged the message."""
        return self.acknowledged_at != 0

    @property
    def cancelled(self) -> bool:
        """Whether the app cancelled the retries."""
        return self.cancelled_at != 0

    @property
    def called_back(self) -> bool:
        """Whether the callback URL answered 2xx to the acknowledgement POST."""
        return self.called_back_at != 0

    def is_expired(self, now: float) -> bool:
        """Expired: the expiry time has come and nobody acknowledged."""
        return not self.acknowledged and now >= self.expires_at

    def is_retained(self, now: float) -> bool:
        """Whether the API still knows the receipt: up to a week after expiry."""
        return now < self.expires_at + RETENTION_SECONDS

    def is_open(self, now: float) -> bool:
        """Still retrying: not acknowledged, cancelled or expired."""
        return not (self.acknowledged or self.cancelled or self.is_expired(now))

    def last_delivered_at(self, now: float) -> int:
        """Time of the latest retry sent by `now` (one every `retry` seconds)."""
        stops = [now] + [t for t in (self.acknowledged_at, self.cancelled_at) if t]
        elapsed = int(min(stops)) - self.created_at
        by_expiry = (self.expire - 1) // self.retry
        count = min(max(elapsed, 0) // self.retry, by_expiry, MAX_DELIVERIES - 1)
        return self.created_at + count * self.retry

    def to_json(self, now: float) -> JsonObject:
        """Build the documented fields of GET receipts/{receipt}.json."""
        return {
            "acknowledged": int(self.acknowledged),
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "last_delivered_at": self.last_delivered_at(now),
            "expired": int(self.is_expired(now)),
            "expires_at": self.expires_at,
            "called_back": int(self.called_back),
            "called_back_at": self.called_back_at,
        }

    def to_state(self, now: float) -> JsonObject:
        """Describe everything the simulator knows, for the state endpoint."""
        return {
            **self.to_json(now),
            "receipt": self.receipt,
            "token": self.token,
            "request": self.request,
            "recipients": self.recipients,
            "retry": self.retry,
            "tags": self.tags,
            "callback": self.callback,
            "cancelled": int(self.cancelled),
            "cancelled_at": self.cancelled_at,
            "callback_statuses": self.callback_statuses,
        }
