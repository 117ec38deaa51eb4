"""A recipient's glance bound to entities: it follows their state.

Each of the glance's fields (title, text, subtext, count, percent) may follow
an entity's state or a template, as chosen in the recipient's settings
(`config_flow_glance.py`). Whenever one changes, the whole glance is rendered
again and handed to the queue, which sends the latest at most once every 20
minutes (`glance_queue.py`). A bound glance is not stored: the binding
renders it again at every start.

What an entity or a template gives is made to fit, since nobody is there to
fix it: a text is one line of at most 100 characters (cut with "…"), a count
is rounded to a whole number, a percent too, and kept within 0 to 100. An
entity that is unknown or unavailable, a template that fails or renders
nothing, or a number that is no number leaves its field empty.
"""

from collections.abc import Mapping, Sequence
import json
import logging
import math
import re
from typing import Any, Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers.event import (
    EventStateChangedData,
    TrackTemplate,
    TrackTemplateResult,
    async_track_template_result,
)
from homeassistant.helpers.template import Template

from .api import Glance
from .const import (
    DOMAIN,
    GLANCE_PERCENT_MAX,
    GLANCE_PERCENT_MIN,
    MAX_GLANCE_TEXT_LENGTH,
)
from .data import PushoverConfigEntry
from .glance_queue import GlanceQueue, GlanceRefusedError
from .glances import (
    ATTR_COUNT,
    ATTR_DEVICE,
    ATTR_PERCENT,
    ATTR_SUBTEXT,
    ATTR_TEXT,
    ATTR_TITLE,
    binding_sources,
    glance_config_of,
)
from .graphemes import cut_to_length
from .recipients import Recipient

_LOGGER = logging.getLogger(__name__)

_ENTITY_STATE: Final = "{{{{ states({entity_id}) }}}}"
_NOT_A_VALUE: Final = frozenset({STATE_UNKNOWN, STATE_UNAVAILABLE})
# A widget shows one line: line breaks and other control characters become
# spaces, and a lone surrogate (which no request can carry) a replacement.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


@callback
def async_bind_glances(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    recipients: Sequence[Recipient],
    queue: GlanceQueue,
) -> CALLBACK_TYPE:
    """Start the bound glance of every recipient that has one; return the stop."""
    stops = [
        GlanceBinding(hass, entry, queue, recipient, config).async_start()
        for recipient in recipients
        if binding_sources(config := glance_config_of(entry, recipient))
    ]

    @callback
    def stop() -> None:
        for stop_binding in stops:
            stop_binding()

    return stop


class GlanceBinding:
    """Follows the entities and templates of one recipient's glance."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        queue: GlanceQueue,
        recipient: Recipient,
        config: Mapping[str, Any],
    ) -> None:
        """Bind the recipient's glance as `config` (the settings' values) says."""
        self._hass = hass
        self._entry = entry
        self._queue = queue
        self._recipient = recipient
        self._device: str | None = config.get(ATTR_DEVICE) or None
        self._entity_fields: set[str] = set()
        # Fields with the same source share one template: Home Assistant
        # tracks templates by their text.
        self._fields: dict[Template, list[str]] = {}
        for field, (kind, source) in binding_sources(config).items():
            text = source
            if kind == "entity":
                self._entity_fields.add(field)
                text = _ENTITY_STATE.format(entity_id=json.dumps(source))
            self._fields.setdefault(Template(text, hass), []).append(field)
        self._results: dict[str, Any] = {}

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Render the glance now and whenever a field changes; return the stop."""
        tracker = async_track_template_result(
            self._hass,
            [TrackTemplate(template, None) for template in self._fields],
            self._async_changed,
        )
        tracker.async_refresh()
        return tracker.async_remove

    @callback
    def _async_changed(
        self,
        _event: Event[EventStateChangedData] | None,
        updates: list[TrackTemplateResult],
    ) -> None:
        for update in updates:
            for field in self._fields[update.template]:
                self._results[field] = update.result
        glance = self.glance()
        if glance is None:
            return
        self._entry.async_create_background_task(
            self._hass,
            self._async_offer(glance),
            f"{DOMAIN} glance of {self._recipient.name}",
        )

    def glance(self) -> Glance | None:
        """Return the glance as its fields are now; None when every field is empty."""
        glance = Glance(
            title=self._text(ATTR_TITLE),
            text=self._text(ATTR_TEXT),
            subtext=self._text(ATTR_SUBTEXT),
            count=self._number(ATTR_COUNT),
            percent=self._number(ATTR_PERCENT),
            device=self._device,
        )
        return None if glance == Glance(device=self._device) else glance

    def _result(self, field: str) -> Any:
        """Return a field's rendered value; None when it has none to show."""
        result = self._results.get(field)
        if isinstance(result, TemplateError):
            return None
        if field in self._entity_fields and result in _NOT_A_VALUE:
            return None
        return result

    def _text(self, field: str) -> str | None:
        result = self._result(field)
        return None if result is None else _text(result)

    def _number(self, field: str) -> int | None:
        result = self._result(field)
        return (
            None if result is None else _number(result, percent=field == ATTR_PERCENT)
        )

    async def _async_offer(self, glance: Glance) -> None:
        try:
            await self._queue.async_submit(self._recipient, glance, durable=False)
        except GlanceRefusedError as err:
            _LOGGER.warning(
                "Pushover refused the bound glance of %s: %s (request %s)",
                err.recipient,
                "; ".join(err.refusal.errors),
                err.refusal.request_id or "-",
            )
        except HomeAssistantError as err:
            # The entry is unloading: the next start renders it again.
            _LOGGER.debug("Bound glance of %s not taken: %s", self._recipient.name, err)


def _text(result: Any) -> str | None:
    text = _CONTROL.sub(" ", str(result)).strip()
    text = _SURROGATE.sub("\ufffd", text)
    if not text:
        return None
    if len(text) <= MAX_GLANCE_TEXT_LENGTH:
        return text
    return cut_to_length(text, MAX_GLANCE_TEXT_LENGTH, "…")


def _number(result: Any, *, percent: bool) -> int | None:
    if isinstance(result, bool):
        return None
    try:
        number = float(result)
    except TypeError, ValueError:
        return None
    if not math.isfinite(number):
        return None
    whole = round(number)
    if percent:
        return min(max(whole, GLANCE_PERCENT_MIN), GLANCE_PERCENT_MAX)
    return whole
