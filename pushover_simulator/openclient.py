"""The Open Client side of the account, free of HTTP: logins, devices, queues.

Pushover's Open Client API lets a program receive like one of the account's
desktop devices: it logs in with the account's e-mail and password (and a
two-factor code when the account asks for one) for a session secret,
registers a device (`os=O`), downloads that device's pending messages and
deletes them by telling the highest id it has seen. Every message that
messages.json accepts for a user lands in the queue of each of the user's
Open Client devices it targets (no device field: all of them), with ids that
only grow.

Licensing: an Open Client device counts as a desktop device. An account
without a Pushover for Desktop licence gets a trial of 30 days from a
device's registration; after it the device receives nothing more, its
download is refused (HTTP 403) and its push login is answered with `E`.
Pushover documents the trial, not the answer after it: this is the
simulator's model of it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import hmac
import secrets
import string
from typing import Final

from .accounts import DEVICE_PATTERN, Directory
from .models import FieldRejection, JsonObject, ReceivedMessage, Rejection
from .receipts import Receipt
from .rules import EMERGENCY_PRIORITY, FieldReader
from .twofa import is_valid_code, twofa_code

OPEN_CLIENT_OS: Final = "O"
DEVICE_NAME_MAX_CHARS: Final = 25
DEVICE_ID_LENGTH: Final = 30
SECRET_LENGTH: Final = 60
DESKTOP_TRIAL_SECONDS: Final = 30 * 24 * 3600

LOGIN_INVALID: Final = "invalid email and/or password"
TWOFA_REQUIRED: Final = "two-factor authentication code required"
TWOFA_INVALID: Final = "two-factor authentication code is invalid"
SESSION_INVALID: Final = "secret is invalid; log in again"
DEVICE_INVALID: Final = "device_id is not a device of this account"
MESSAGE_REQUIRED: Final = "message is required: the highest message id downloaded"
NO_SESSION_DEVICE: Final = "no device is registered with this secret"
TRIAL_ENDED: Final = (
    "this device needs a Pushover for Desktop license: its 30-day trial has ended"
)
RECEIPT_NOT_OPEN: Final = "receipt has already been acknowledged, cancelled or expired"
# Rails' validation texts: devices.json answers a duplicate name with
# {"errors": {"name": ["has already been taken"]}}, so the others read alike.
NAME_BLANK: Final = "can't be blank"
NAME_TOO_LONG: Final = f"is too long (maximum is {DEVICE_NAME_MAX_CHARS} characters)"
NAME_INVALID: Final = "is invalid"
NAME_TAKEN: Final = "has already been taken"
OS_INVALID: Final = "is not included in the list"
PRECONDITION_FAILED: Final = 412
FORBIDDEN: Final = 403

_ALPHABET: Final = string.ascii_letters + string.digits


def _random_id(length: int) -> str:
    """Make a random [A-Za-z0-9] identifier of `length` characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _same_text(given: str, expected: str) -> bool:
    """Compare a submitted secret with the right one in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class Session:
    """One login: its secret (unique to the login), user and account e-mail."""

    secret: str
    user: str
    email: str
    created_at: float


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message waiting on one device: its id there and its umid.

    `id` counts per device; `umid` names the message for the user across all
    of the user's devices.
    """

    id: int
    umid: int
    message: ReceivedMessage


@dataclass(slots=True, kw_only=True)
class ClientDevice:
    """An Open Client device with its queue of pending messages.

    `highest_deleted` is the highest id the client reported through
    update_highest_message.json: nothing at or below it is pending.
    """

    id: str
    name: str
    user: str
    secret: str
    registered_at: float
    queue: list[QueuedMessage] = field(default_factory=list)
    last_id: int = 0
    highest_deleted: int = 0


@dataclass(slots=True)
class PushStatus:
    """What the push server reports of a device's live WebSocket session."""

    connected_at: float
    silent: bool = False


class OpenClient:
    """The account's Open Client sessions, devices, queues and push sessions."""

    def __init__(
        self,
        directory: Directory,
        clock: Callable[[], float],
        receipts: Mapping[str, Receipt],
        on_change: Callable[[], None],
    ) -> None:
        """Start with no session and no device.

        `receipts` is the state's live receipt table (for the `acked` flag);
        `on_change` is called after every change the phone page shows.
        """
        self._directory = directory
        self._clock = clock
        self._receipts = receipts
        self._on_change = on_change
        self.sessions: dict[str, Session] = {}
        self.devices: dict[str, ClientDevice] = {}
        self.connections: dict[str, PushStatus] = {}
        # The device each secret acts for: the one registered with it, or
        # (after a new login of an existing device) the one it downloads for.
        self._device_of_secret: dict[str, str] = {}
        self._last_umid = 0
        self._delivery_listeners: list[Callable[[str], None]] = []

    def subscribe(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener(device_id)` when a message lands in a device's queue."""
        self._delivery_listeners.append(listener)
        return lambda: self._delivery_listeners.remove(listener)

    def reset(self) -> None:
        """Forget every session and device (their names leave the account)."""
        self.sessions.clear()
        self.devices.clear()
        self.connections.clear()
        self._device_of_secret.clear()
        self._directory.forget_client_devices()

    # Logging in and registering

    def login(self, fields: Mapping[str, str]) -> Session | Rejection:
        """Handle users/login.json: password first, then the two-factor code."""
        login = self._directory.logins.get(fields.get("email", ""))
        if login is None or not _same_text(fields.get("password", ""), login.password):
            return Rejection(errors=[LOGIN_INVALID])
        if login.twofa_key is not None:
            code = fields.get("twofa", "").strip()
            if not code:
                return Rejection(errors=[TWOFA_REQUIRED], status=PRECONDITION_FAILED)
            if not is_valid_code(login.twofa_key, code, self._clock()):
                rejection = Rejection(status=PRECONDITION_FAILED)
                rejection.add("twofa", TWOFA_INVALID)
                return rejection
        session = Session(
            _random_id(SECRET_LENGTH), login.user, login.email, self._clock()
        )
        self.sessions[session.secret] = session
        self._on_change()
        return session

    def register(self, fields: Mapping[str, str]) -> ClientDevice | Rejection:
        """Handle devices.json: a new device named by the rules, with os=O."""
        session = self._session(fields)
        if isinstance(session, Rejection):
            return session
        name = fields.get("name", "")
        rejection = FieldRejection()
        name_error = self._name_error(session.user, name)
        if name_error is not None:
            rejection.add("name", name_error)
        if fields.get("os", "") != OPEN_CLIENT_OS:
            rejection.add("os", OS_INVALID)
        if rejection:
            return rejection
        device = ClientDevice(
            id=self._new_device_id(),
            name=name,
            user=session.user,
            secret=session.secret,
            registered_at=self._clock(),
        )
        self.devices[device.id] = device
        self._device_of_secret[session.secret] = device.id
        self._directory.add_client_device(session.user, name)
        self._on_change()
        return device

    def _name_error(self, user: str, name: str) -> str | None:
        """Say what is wrong with a new device's name, or None."""
        if not name:
            return NAME_BLANK
        if len(name) > DEVICE_NAME_MAX_CHARS:
            return NAME_TOO_LONG
        if not DEVICE_PATTERN.fullmatch(name):
            return NAME_INVALID
        if name in self._directory.devices_of(user):
            return NAME_TAKEN
        return None

    def _new_device_id(self) -> str:
        """Make a device id no device has."""
        while (device_id := _random_id(DEVICE_ID_LENGTH)) in self.devices:
            continue  # pragma: no cover - 62**30 ids make a clash unheard of
        return device_id

    def _session(self, fields: Mapping[str, str]) -> Session | Rejection:
        """Find the session whose secret the request carries."""
        session = self.sessions.get(fields.get("secret", ""))
        if session is None:
            rejection = Rejection()
            rejection.add("secret", SESSION_INVALID)
            return rejection
        return session

    def _own_device(
        self, fields: Mapping[str, str], device_id: str
    ) -> ClientDevice | Rejection:
        """Find a device of the secret's user that may still receive."""
        session = self._session(fields)
        if isinstance(session, Rejection):
            return session
        device = self.devices.get(device_id)
        if device is None or device.user != session.user:
            rejection = Rejection()
            rejection.add("device_id", DEVICE_INVALID)
            return rejection
        if not self.can_receive(device):
            return Rejection(errors=[TRIAL_ENDED], status=FORBIDDEN)
        self._device_of_secret[session.secret] = device.id
        return device

    # Licensing

    def trial_ends_at(self, device: ClientDevice) -> float | None:
        """When the device's Desktop trial ends; None when the account is licensed."""
        if self._directory.has_desktop_license(device.user):
            return None
        return device.registered_at + DESKTOP_TRIAL_SECONDS

    def can_receive(self, device: ClientDevice) -> bool:
        """Whether the device is licensed or still in its trial."""
        ends_at = self.trial_ends_at(device)
        return ends_at is None or self._clock() < ends_at

    # Queues

    def deliver(self, message: ReceivedMessage) -> None:
        """Queue an accepted message on every Open Client device it targets.

        A device receives it when one of the message's routes reaches its
        account on it (a group entry or a subscription may be limited to one
        device) and the message's own device field names it or is empty.
        """
        umids: dict[str, int] = {}
        for device in list(self.devices.values()):
            if not any(
                route.user == device.user
                and (not route.devices or device.name in route.devices)
                for route in message.routes
            ):
                continue
            if message.devices and device.name not in message.devices:
                continue
            if not self.can_receive(device):
                continue
            if device.user not in umids:
                self._last_umid += 1
                umids[device.user] = self._last_umid
            device.last_id += 1
            device.queue.append(
                QueuedMessage(device.last_id, umids[device.user], message)
            )
            for listener in list(self._delivery_listeners):
                listener(device.id)

    def pending(self, device: ClientDevice) -> list[QueuedMessage]:
        """Return the device's pending messages, oldest first; drop the others.

        Pending are the messages above the highest id the client deleted
        through, whose ttl has not run out (a message with a ttl is deleted
        from devices when it does; never an emergency one, whose ttl
        Pushover ignores).
        """
        now = self._clock()
        device.queue = [
            queued
            for queued in device.queue
            if queued.id > device.highest_deleted
            and not _ttl_passed(queued.message, now)
        ]
        return list(device.queue)

    def download(self, fields: Mapping[str, str]) -> JsonObject | Rejection:
        """Handle GET messages.json: the device's pending messages and context."""
        device = self._own_device(fields, fields.get("device_id", ""))
        if isinstance(device, Rejection):
            return device
        user = self._directory.users[device.user]
        login_email = self.sessions[fields["secret"]].email
        return {
            "messages": [self.message_json(queued) for queued in self.pending(device)],
            "user": {
                "quiet_hours": False,
                "is_android_licensed": "Android" in user.licenses,
                "is_ios_licensed": "iOS" in user.licenses,
                "is_desktop_licensed": self._directory.has_desktop_license(user.key),
                "email": login_email,
            },
            "device": {"name": device.name, "encryption_enabled": False},
        }

    def delete_through(
        self, device_id: str, fields: Mapping[str, str]
    ) -> ClientDevice | Rejection:
        """Handle update_highest_message.json: delete up to and with `message`.

        The device remembers the highest id it was told: a later message
        with a lower id never shows. That way a client that sends something
        other than the highest downloaded id (a umid, say) loses messages
        here as it would on Pushover.
        """
        device = self._own_device(fields, device_id)
        if isinstance(device, Rejection):
            return device
        reader = FieldReader(fields)
        highest = reader.integer("message", minimum=0)
        if highest is None:
            if not reader.rejection:
                reader.rejection.add("message", MESSAGE_REQUIRED)
            return reader.rejection
        device.highest_deleted = max(device.highest_deleted, highest)
        self.pending(device)
        self._on_change()
        return device

    def message_json(self, queued: QueuedMessage) -> JsonObject:
        """Describe a queued message with the fields an Open Client download has.

        Optional fields (title, sound, url, url_title, receipt, html) appear
        only when the sender gave them, as in Pushover's answers.
        """
        message = queued.message
        app = self._directory.apps[message.token]
        received = int(message.received_at)
        receipt = self._receipts.get(message.receipt) if message.receipt else None
        data: JsonObject = {
            "id": queued.id,
            "id_str": str(queued.id),
            "umid": queued.umid,
            "umid_str": str(queued.umid),
            "message": message.message,
            "app": app.name,
            "aid": app.aid,
            "aid_str": str(app.aid),
            "icon": app.icon,
            "date": message.timestamp or received,
            "queued_date": received,
            "dispatched_date": received,
            "priority": message.priority,
            "acked": int(receipt is not None and receipt.acknowledged),
        }
        optional = {
            "title": message.title,
            "sound": message.sound,
            "url": message.url,
            "url_title": message.url_title,
            "receipt": message.receipt,
            "html": 1 if message.html else None,
        }
        data.update({name: value for name, value in optional.items() if value})
        return data

    # Acknowledging from a device

    def acknowledger(self, fields: Mapping[str, str]) -> tuple[str, str] | Rejection:
        """Who acknowledges with this secret: the user and the session's device.

        A session secret belongs to one device (Pushover asks clients not to
        share one between devices): the device registered with it last, or,
        for a new login of a device registered before (a client that logged
        in again), the device it last downloaded or deleted for. Pushover
        does not document which device it names; this is our model.
        """
        session = self._session(fields)
        if isinstance(session, Rejection):
            return session
        device = self.devices.get(self._device_of_secret.get(session.secret, ""))
        if device is None:
            rejection = Rejection()
            rejection.add("secret", NO_SESSION_DEVICE)
            return rejection
        return session.user, device.name

    # Push sessions, as the push server reports them

    def push_login(self, device_id: str, secret: str) -> ClientDevice | None:
        """Check a WebSocket login: a device of the secret's user that may receive."""
        session = self.sessions.get(secret)
        device = self.devices.get(device_id)
        if session is None or device is None or device.user != session.user:
            return None
        return device if self.can_receive(device) else None

    def may_push(self, device_id: str) -> bool:
        """Whether a logged-in push session of the device may go on."""
        device = self.devices.get(device_id)
        return device is not None and self.can_receive(device)

    def connected(self, device_id: str) -> None:
        """Record that a device's push session started."""
        self.connections[device_id] = PushStatus(self._clock())
        self._on_change()

    def disconnected(self, device_id: str) -> None:
        """Record that a device's push session ended."""
        if self.connections.pop(device_id, None) is not None:
            self._on_change()

    def set_silent(self, device_id: str, *, silent: bool) -> None:
        """Record that a device's push session fell silent, or speaks again."""
        status = self.connections.get(device_id)
        if status is not None and status.silent != silent:
            status.silent = silent
            self._on_change()

    # Views

    def twofa_codes(self) -> dict[str, str]:
        """Return the current two-factor code of every account that has one."""
        now = self._clock()
        return {
            login.email: twofa_code(login.twofa_key, now)
            for login in self._directory.logins.values()
            if login.twofa_key is not None
        }

    def device_json(self, device: ClientDevice) -> JsonObject:
        """Describe a device, its licence, push session and pending messages."""
        status = self.connections.get(device.id)
        return {
            "id": device.id,
            "name": device.name,
            "user": device.user,
            "registered_at": device.registered_at,
            "trial_ends_at": self.trial_ends_at(device),
            "receiving": self.can_receive(device),
            "highest_deleted": device.highest_deleted,
            "connection": (
                None
                if status is None
                else {"connected_at": status.connected_at, "silent": status.silent}
            ),
            "pending": [self.message_json(queued) for queued in self.pending(device)],
        }

    def to_json(self) -> JsonObject:
        """Describe the Open Client side for the state endpoint (no secrets)."""
        return {
            "devices": [self.device_json(device) for device in self.devices.values()],
            "sessions": len(self.sessions),
            "twofa_codes": self.twofa_codes(),
        }


def _ttl_passed(message: ReceivedMessage, now: float) -> bool:
    """Whether a message's ttl ran out (emergency messages have none)."""
    if message.ttl is None or message.priority == EMERGENCY_PRIORITY:
        return False
    return now >= message.received_at + message.ttl
