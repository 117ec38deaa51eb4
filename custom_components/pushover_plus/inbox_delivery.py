"""What a received message becomes in Home Assistant, and the loop guard.

Each message fires `pushover_plus_message_received` with its fields (the
entity platforms listen to it): the event entity's event and the last
message sensor. Messages from the apps the options name are not delivered:
an automation that forwards what the inbox receives through Pushover Plus
(whose messages reach the same account) would otherwise receive its own
message again, and forward it again, for ever.

Delivery is synchronous, on the event loop: a batch reaches the bus whole,
before anything can cancel the task that delivers it.
"""

from collections.abc import Callable, Iterable
import logging
import re
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .const import (
    CONF_IGNORED_APPS,
    EVENT_MESSAGE_RECEIVED,
    MAX_STATE_LENGTH,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PRIORITY_NAMES,
)
from .graphemes import cut_to_length
from .inbox_api import InboxMessage
from .inbox_store import InboxState, SeenApp

_LOGGER = logging.getLogger(__name__)

PRIORITY_OF_NUMBER: Final = {number: name for name, number in PRIORITY_NAMES.items()}
_SPACES: Final = re.compile(r"\s+")
_ELLIPSIS: Final = "…"


def priority_name(priority: int) -> str:
    """Name a priority: lowest, low, normal, high or emergency."""
    return PRIORITY_OF_NUMBER[min(max(priority, PRIORITY_MIN), PRIORITY_MAX)]


def event_data(message: InboxMessage, entry_id: str) -> dict[str, Any]:
    """Return the event's data: the message's fields as Home Assistant shows them."""
    return {
        "entry_id": entry_id,
        "id": message.id,
        "umid": message.umid,
        "title": message.title,
        "message": message.message,
        "app": message.app,
        "aid": message.aid,
        "priority": priority_name(message.priority),
        "sound": message.sound,
        "url": message.url,
        "url_title": message.url_title,
        "html": message.html,
        "timestamp": message.date.isoformat(),
        "receipt": message.receipt,
        "icon": message.icon,
        "acked": message.acked,
    }


def state_text(data: dict[str, Any]) -> str:
    """Return what the last message sensor shows: the title, else the text.

    On one line, cut (on a whole character, with "…") to Home Assistant's
    255 characters of a state.
    """
    text = _SPACES.sub(" ", data["title"] or data["message"]).strip()
    if len(text) <= MAX_STATE_LENGTH:
        return text
    return cut_to_length(text, MAX_STATE_LENGTH, _ELLIPSIS)


def is_ignored(message: InboxMessage, ignored: Iterable[str]) -> bool:
    """Tell whether the options ignore the message's app, by name or by id."""
    names = set(ignored)
    return message.app in names or str(message.aid) in names


class InboxDelivery:
    """Hands one inbox's messages to Home Assistant, in order, once each."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, options: dict[str, Any]
    ) -> None:
        """Deliver for the entry `entry_id` with its options (the ignored apps)."""
        self._hass = hass
        self._entry_id = entry_id
        self._ignored = tuple(options.get(CONF_IGNORED_APPS, ()))
        self.last: dict[str, Any] | None = None
        self.delivered = 0
        self.ignored = 0
        self._listeners: list[Callable[[], None]] = []

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` after each batch that changed the last message."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def deliver(self, messages: list[InboxMessage], state: InboxState) -> None:
        """Fire each message above `state`'s highest id; move that id past them.

        Messages at or below it reached Home Assistant before (a restart came
        between their delivery and their deletion at Pushover): they are
        skipped, so none arrives twice.
        """
        changed = False
        for message in messages:
            if message.id <= state.highest_delivered:
                continue
            state.highest_delivered = message.id
            state.saw(SeenApp(aid=message.aid, name=message.app))
            if is_ignored(message, self._ignored):
                self.ignored += 1
                _LOGGER.debug(
                    "Message %d from app %d ignored, as the options ask",
                    message.id,
                    message.aid,
                )
                continue
            data = event_data(message, self._entry_id)
            self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, data)
            self.last = data
            self.delivered += 1
            changed = True
        if changed:
            for listener in list(self._listeners):
                listener()

    @callback
    def acknowledged(self, receipt: str) -> None:
        """Mark the last message acknowledged, if it is that emergency message."""
        if self.last is not None and self.last["receipt"] == receipt:
            self.last = {**self.last, "acked": True}
            for listener in list(self._listeners):
                listener()
