"""The simulator's state model, free of HTTP: messages, receipts, quota, faults.

The Open Client side (logins, devices, their queues) is in `openclient.py`;
every accepted message is handed to it. Glances (`glances.py`), delivery
groups (`groups.py`), subscriptions (`subscriptions.py`) and end-to-end
encryption (`encryption.py`) each have a module of their own.
"""

from collections.abc import Callable, Mapping

from .accounts import App, Directory, default_directory
from .encryption import decrypt_message, shape_rejection
from .faults import Faults
from .glances import Glances
from .groups import GroupsApi, group_json
from .models import (
    Encoding,
    JsonObject,
    ReceivedMessage,
    Rejection,
    RequestRecord,
    Upload,
)
from .openclient import RECEIPT_NOT_OPEN, OpenClient
from .quota import Quota
from .receipts import Receipt, ReceiptError, new_receipt_id
from .rules import (
    EMERGENCY_PRIORITY,
    RECEIPT_NOT_FOUND,
    Validation,
    find_app,
    limit_rejection,
    parse_message,
    token_rejection,
    validate_user,
)
from .subscriptions import Subscriptions


class SimulatorState:
    """Everything the simulated Pushover service remembers."""

    def __init__(
        self,
        *,
        monthly_limit: int,
        clock: Callable[[], float],
        directory: Directory | None = None,
    ) -> None:
        """Start with a full quota, no messages and no faults."""
        self.clock = clock
        self.directory = directory or default_directory()
        self.faults = Faults()
        self.quota = Quota(monthly_limit, clock)
        self.messages: list[ReceivedMessage] = []
        self.receipts: dict[str, Receipt] = {}
        self.requests: list[RequestRecord] = []
        self.in_flight = 0
        self.max_concurrent_requests = 0
        self.connections_opened = 0
        self._listeners: list[Callable[[], None]] = []
        self.open_client = OpenClient(
            self.directory, clock, self.receipts, self.changed
        )
        self.glances = Glances(self.directory, clock, self.changed)
        self.groups = GroupsApi(self.directory, self.changed)
        self.subscriptions = Subscriptions(self.directory, self.changed)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after each change; return a function that unsubscribes.

        Changes are: a message or glance accepted, a receipt acknowledged or
        cancelled, the quota set, faults switched through the control API, a
        group or its members changed, a user subscribed or unsubscribed, an
        encryption key set, a reset, and on the Open Client side a login, a
        device registered, messages deleted, a push session started, ended,
        silenced or resumed.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def changed(self) -> None:
        """Tell the listeners that the state changed."""
        for listener in list(self._listeners):
            listener()

    def reset(self) -> None:
        """Forget messages, glances, receipts, requests, counters, devices.

        Also refill the quota, clear the faults, and put groups, subscribers
        and encryption keys back as configured.
        """
        self.faults.reset()
        self.open_client.reset()
        self.directory.restore()
        self.glances.reset()
        self.quota.refill()
        self.messages.clear()
        self.receipts.clear()
        self.requests.clear()
        self.max_concurrent_requests = self.in_flight
        self.connections_opened = 0
        self.changed()

    def request_started(self) -> None:
        """Count a request as in flight and track the peak."""
        self.in_flight += 1
        self.max_concurrent_requests = max(self.max_concurrent_requests, self.in_flight)

    def request_finished(self, record: RequestRecord) -> None:
        """Count a request as done and log it."""
        self.in_flight -= 1
        self.requests.append(record)

    def app_for(self, fields: Mapping[str, str]) -> App | None:
        """Find the app the request's token names; None if invalid or rejected."""
        if self.faults.reject_token:
            return None
        return find_app(fields, self.directory)

    def quota_headers(self) -> dict[str, str]:
        """Build the X-Limit-App-* headers, after any monthly reset."""
        return self.quota.headers()

    def submit_message(
        self,
        fields: Mapping[str, str],
        upload: Upload | None,
        encoding: Encoding,
        request_id: str,
    ) -> ReceivedMessage | Rejection:
        """Handle a messages.json send: fault, token, rules, quota, receipt."""
        if self.faults.take("rate_limit_next"):
            return limit_rejection()
        app = self.app_for(fields)
        if app is None:
            return token_rejection()
        result = parse_message(
            fields,
            upload,
            app=app,
            directory=self.directory,
            encoding=encoding,
            request_id=request_id,
        )
        if isinstance(result, Rejection):
            return result
        if result.encrypted:
            decrypted = self._decrypt(result)
            if isinstance(decrypted, Rejection):
                return decrypted
        if not self.quota.charge(len(result.recipients)):
            return limit_rejection()
        return self._record(result)

    def _decrypt(self, message: ReceivedMessage) -> ReceivedMessage | Rejection:
        """Check an encrypted message's fields and decrypt them per account."""
        rejection = shape_rejection(message)
        if rejection:
            return rejection
        decryptions = decrypt_message(message, self.directory.encryption_keys)
        if isinstance(decryptions, Rejection):
            return decryptions
        message.decryptions = decryptions
        return message

    def submit_glance(
        self, fields: Mapping[str, str], encoding: Encoding, request_id: str
    ) -> JsonObject | Rejection:
        """Handle a glances.json request: token, then the glance's rules."""
        app = self.app_for(fields)
        if app is None:
            return token_rejection()
        result = self.glances.submit(fields, app, encoding, request_id)
        return result if isinstance(result, Rejection) else {}

    def _record(self, message: ReceivedMessage) -> ReceivedMessage:
        """Store an accepted message, opening a receipt for emergency priority."""
        message.received_at = self.clock()
        if message.priority == EMERGENCY_PRIORITY:
            message.receipt = self._open_receipt(message).receipt
        self.messages.append(message)
        self.open_client.deliver(message)
        self.changed()
        return message

    def _open_receipt(self, message: ReceivedMessage) -> Receipt:
        """Create the receipt of an emergency message."""
        receipt = Receipt(
            receipt=new_receipt_id(),
            token=message.token,
            request=message.request,
            recipients=list(message.recipients),
            retry=message.retry or 0,
            expire=message.expire or 0,
            created_at=int(self.clock()),
            callback=message.callback,
            tags=list(message.tags),
        )
        self.receipts[receipt.receipt] = receipt
        return receipt

    def validate_user(
        self, fields: Mapping[str, str], app: App
    ) -> Validation | Rejection:
        """Handle users/validate.json for the app (subscriber keys are per app)."""
        return validate_user(fields, self.directory, app.token)

    def set_encryption_key(self, user: str, key: str | None) -> None:
        """Set (or, with None, remove) an account's end-to-end encryption key.

        Raises KeyError for an unknown account; the caller checks the key's form.
        """
        if user not in self.directory.users:
            raise KeyError(user)
        if key is None:
            self.directory.encryption_keys.pop(user, None)
        else:
            self.directory.encryption_keys[user] = key.lower()
        self.changed()

    def find_receipt(self, receipt_id: str, app: App) -> Receipt | None:
        """Find the receipt of a message the app sent (while retained), or None."""
        receipt = self.receipts.get(receipt_id)
        if receipt is None or receipt.token != app.token:
            return None
        return receipt if receipt.is_retained(self.clock()) else None

    def cancel_receipt(self, receipt: Receipt) -> None:
        """Stop a receipt's retries."""
        if not receipt.cancelled:
            receipt.cancelled_at = int(self.clock())
            self.changed()

    def cancel_by_tag(self, tag: str, app: App) -> int:
        """Cancel the app's open receipts carrying `tag`; return how many."""
        now = self.clock()
        matching = [
            receipt
            for receipt in self.receipts.values()
            if receipt.token == app.token
            and tag in receipt.tags
            and receipt.is_open(now)
        ]
        for receipt in matching:
            self.cancel_receipt(receipt)
        return len(matching)

    def acknowledge(self, receipt_id: str, user: str, device: str) -> Receipt:
        """Mark an open receipt acknowledged by a recipient's device.

        `user` is a recipient key or the account behind one (a subscriber's).
        Raises ReceiptError when the receipt is unknown or no longer open, or
        when the user is not a recipient or the device is not the user's.
        """
        receipt = self.receipts.get(receipt_id)
        if receipt is None:
            msg = f"unknown receipt {receipt_id!r}"
            raise ReceiptError(msg)
        if not receipt.is_open(self.clock()):
            msg = f"receipt {receipt_id!r} is acknowledged, cancelled or expired"
            raise ReceiptError(msg)
        recipient = self.directory.recipient_for(receipt.recipients, user)
        if recipient is None:
            msg = f"user {user!r} is not a recipient of receipt {receipt_id!r}"
            raise ReceiptError(msg)
        if device not in self.directory.devices_of(recipient):
            msg = f"device {device!r} is not a device of user {user!r}"
            raise ReceiptError(msg)
        receipt.acknowledged_at = int(self.clock())
        # Pushover names the key the sender used: a subscriber's, not theirs.
        receipt.acknowledged_by = recipient
        receipt.acknowledged_by_device = device
        self.changed()
        return receipt

    def client_acknowledgement(
        self, receipt_id: str, fields: Mapping[str, str]
    ) -> tuple[str, str] | Rejection:
        """Check receipts/{receipt}/acknowledge.json; return the user and device.

        The secret names the user and (through the device registered with it)
        the device. A receipt the user did not receive is not found, as an
        unknown one; one no longer open is refused.
        """
        who = self.open_client.acknowledger(fields)
        if isinstance(who, Rejection):
            return who
        user, _device = who
        now = self.clock()
        receipt = self.receipts.get(receipt_id)
        if (
            receipt is None
            or self.directory.recipient_for(receipt.recipients, user) is None
            or not receipt.is_retained(now)
        ):
            return Rejection(errors=[RECEIPT_NOT_FOUND], status=404)
        if not receipt.is_open(now):
            rejection = Rejection()
            rejection.add("receipt", RECEIPT_NOT_OPEN)
            return rejection
        return who

    def set_remaining(self, remaining: int) -> None:
        """Set the messages left this month."""
        if remaining < 0:
            msg = "remaining must not be negative"
            raise ValueError(msg)
        self.quota.remaining = remaining
        self.changed()

    def snapshot(self) -> JsonObject:
        """Describe the whole state for humans and other tools."""
        now = self.clock()
        return {
            "messages": [message.to_json() for message in self.messages],
            "receipts": {key: r.to_state(now) for key, r in self.receipts.items()},
            "quota": self.quota.to_json(),
            "faults": self.faults.to_json(),
            "requests": len(self.requests),
            "in_flight": self.in_flight,
            "max_concurrent_requests": self.max_concurrent_requests,
            "connections_opened": self.connections_opened,
            "open_client": self.open_client.to_json(),
            "glances": [record.to_json() for record in self.glances.records],
            "widgets": self.glances.to_json(),
            "groups": [group_json(g) for g in self.directory.groups.values()],
            "subscriptions": self.subscriptions.to_json(),
            "encryption_keys": dict(self.directory.encryption_keys),
        }
