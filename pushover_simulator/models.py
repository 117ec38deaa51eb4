"""Plain records the simulator keeps: received messages, requests, rejections."""

from dataclasses import asdict, dataclass, field
from typing import Literal

type Encoding = Literal["form", "multipart", "json"]
type JsonObject = dict[str, object]


@dataclass(frozen=True, slots=True)
class Upload:
    """An attachment file part as it arrived in a multipart body."""

    data: bytes
    content_type: str
    filename: str | None


@dataclass(frozen=True, slots=True)
class Route:
    """How a message reaches one recipient.

    `key` is the user key Pushover counts (a user's own key or a
    subscription's); `user` is the account whose devices receive it;
    `devices` are the only devices it may reach (a group member added with a
    device, a subscriber who chose one), empty for all of them.
    """

    key: str
    user: str
    devices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decryption:
    """What one account's devices make of an end-to-end encrypted message.

    `plaintext` holds each field they could decrypt; `problems` says, per
    field, why they could not (no key, a wrong HMAC, ...).
    """

    plaintext: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class ReceivedMessage:
    """A message the simulator accepted, with every field parsed."""

    token: str
    app_name: str
    user: str
    users: list[str]
    recipients: list[str]
    message: str
    title: str | None = None
    device: str | None = None
    devices: list[str] = field(default_factory=list)
    html: bool = False
    monospace: bool = False
    priority: int = 0
    retry: int | None = None
    expire: int | None = None
    callback: str | None = None
    tags: list[str] = field(default_factory=list)
    sound: str | None = None
    timestamp: int | None = None
    ttl: int | None = None
    url: str | None = None
    url_title: str | None = None
    attachment: bytes | None = None
    attachment_type: str | None = None
    attachment_filename: str | None = None
    encoding: Encoding = "form"
    request: str = ""
    receipt: str | None = None
    received_at: float = 0.0
    routes: list[Route] = field(default_factory=list)
    encrypted: bool = False
    decryptions: dict[str, Decryption] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        """Describe the message for the state endpoint (attachment as a size)."""
        data: JsonObject = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in {"attachment", "routes", "decryptions"}
        }
        data["attachment_size"] = (
            None if self.attachment is None else len(self.attachment)
        )
        data["routes"] = [asdict(route) for route in self.routes]
        data["decryptions"] = {
            user: asdict(decryption) for user, decryption in self.decryptions.items()
        }
        return data


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One API request the simulator saw; status is None when none was sent."""

    method: str
    path: str
    status: int | None
    fault: str | None
    at: float


@dataclass(slots=True)
class Rejection:
    """A refused request: HTTP status, error strings and per-field flags."""

    errors: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    status: int = 400

    def add(self, name: str | None, error: str) -> None:
        """Record an error, flagging the field at fault when there is one."""
        self.errors.append(error)
        if name is not None:
            self.flags[name] = "invalid"

    def __bool__(self) -> bool:
        """Tell whether any error was recorded."""
        return bool(self.errors)

    def to_json(self, request_id: str) -> JsonObject:
        """Build the Pushover error body: flags, errors, status 0, request id."""
        return {**self.flags, "errors": self.errors, "status": 0, "request": request_id}


@dataclass(slots=True)
class FieldRejection(Rejection):
    """A refusal whose errors are grouped by field, as devices.json answers.

    Pushover answers a refused device registration with an errors hash, not
    a list: {"errors": {"name": ["has already been taken"]}, "status": 0}.
    """

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str | None, error: str) -> None:
        """Record an error under its field (under "base" when it has none)."""
        self.errors.append(error)
        self.by_field.setdefault(name or "base", []).append(error)

    def to_json(self, request_id: str) -> JsonObject:
        """Build the body: the errors hash, status 0 and the request id."""
        return {"errors": self.by_field, "status": 0, "request": request_id}
