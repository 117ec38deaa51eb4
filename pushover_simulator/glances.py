"""Pushover's Glances API, free of HTTP: small data for a watch or lock screen.

`POST glances.json` takes token, user and an optional device like a message,
and at least one of title, text and subtext (each at most 100 characters),
count (an integer) and percent (0 to 100). A glance makes no sound and is
not stored as a message; the widget shows the latest one.

Where Pushover's page is silent, the simulator chooses:

- The latest glance replaces what a widget showed, field by field as sent:
  a field left out is shown empty, not kept from before.
- A glance to a group reaches its enabled members, like a message.
- Glances are not counted against the monthly message quota, and their
  answers carry no X-Limit-App-* headers (Pushover documents both only for
  messages). Pushover asks senders to wait about 20 minutes between updates
  (watchOS stops taking them otherwise) and does not throttle itself; the
  simulator takes every update and keeps each one's time.
- The user's widget must exist on Pushover; the simulator assumes every
  device has one.
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Final

from .accounts import App, Directory
from .models import Encoding, JsonObject, Rejection, Route
from .rules import FieldReader, read_devices, read_recipients

GLANCE_TEXT_MAX_CHARS: Final = 100
PERCENT_MAX: Final = 100
GLANCE_FIELDS: Final = ("title", "text", "subtext", "count", "percent")
NO_GLANCE_DATA: Final = (
    "at least one of title, text, subtext, count or percent must be supplied"
)


@dataclass(slots=True, kw_only=True)
class GlanceRecord:
    """One accepted glances.json request, with every field parsed."""

    request: str
    token: str
    app_name: str
    user: str
    users: list[str]
    recipients: list[str]
    devices: list[str]
    title: str | None = None
    text: str | None = None
    subtext: str | None = None
    count: int | None = None
    percent: int | None = None
    encoding: Encoding = "form"
    received_at: float = 0.0
    routes: list[Route] = field(default_factory=list)

    def values(self) -> JsonObject:
        """Return the five glance fields as sent (None when left out)."""
        return {name: getattr(self, name) for name in GLANCE_FIELDS}

    def to_json(self) -> JsonObject:
        """Describe the request for the state endpoint."""
        return asdict(self)


def parse_glance(
    fields: Mapping[str, str],
    *,
    app: App,
    directory: Directory,
    encoding: Encoding,
    request_id: str,
) -> GlanceRecord | Rejection:
    """Apply every glances.json rule; return the glance or all its errors."""
    reader = FieldReader(fields)
    keys, routes = read_recipients(reader, directory, app.token)
    record = GlanceRecord(
        request=request_id,
        token=app.token,
        app_name=app.name,
        user=fields.get("user", ""),
        users=keys,
        recipients=[route.key for route in routes],
        routes=routes,
        devices=read_devices(reader, directory, keys, app.token),
        title=reader.text("title", GLANCE_TEXT_MAX_CHARS),
        text=reader.text("text", GLANCE_TEXT_MAX_CHARS),
        subtext=reader.text("subtext", GLANCE_TEXT_MAX_CHARS),
        count=reader.integer("count"),
        percent=reader.integer("percent", minimum=0, maximum=PERCENT_MAX),
        encoding=encoding,
    )
    if not reader.rejection and all(
        value is None for value in record.values().values()
    ):
        reader.rejection.add(None, NO_GLANCE_DATA)
    return reader.rejection or record


@dataclass(frozen=True, slots=True)
class Widget:
    """Where a glance shows: a recipient's widget on one device, or on all."""

    recipient: str
    device: str | None


class Glances:
    """Every accepted glance, and the latest one each widget shows."""

    def __init__(
        self,
        directory: Directory,
        clock: Callable[[], float],
        on_change: Callable[[], None],
    ) -> None:
        """Start with no glance."""
        self._directory = directory
        self._clock = clock
        self._on_change = on_change
        self.records: list[GlanceRecord] = []
        self.latest: dict[Widget, GlanceRecord] = {}

    def reset(self) -> None:
        """Forget every glance."""
        self.records.clear()
        self.latest.clear()

    def submit(
        self,
        fields: Mapping[str, str],
        app: App,
        encoding: Encoding,
        request_id: str,
    ) -> GlanceRecord | Rejection:
        """Handle a glances.json request: check it, then show it on its widgets."""
        result = parse_glance(
            fields,
            app=app,
            directory=self._directory,
            encoding=encoding,
            request_id=request_id,
        )
        if isinstance(result, Rejection):
            return result
        result.received_at = self._clock()
        self.records.append(result)
        devices: list[str | None] = list(result.devices) or [None]
        for recipient in result.recipients:
            for device in devices:
                self.latest[Widget(recipient, device)] = result
        self._on_change()
        return result

    def to_json(self) -> list[JsonObject]:
        """Describe what each widget shows, the latest update first."""
        shown = sorted(
            self.latest.items(), key=lambda item: item[1].received_at, reverse=True
        )
        return [
            {
                "user": widget.recipient,
                "device": widget.device,
                **record.values(),
                "app": record.app_name,
                "request": record.request,
                "updated_at": record.received_at,
            }
            for widget, record in shown
        ]
