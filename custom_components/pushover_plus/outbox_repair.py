"""The repair notice of a stuck outbox: a quarter of an hour without moving.

It goes when the queue drains. (Queue files that cannot be read are named by
`repairs.async_report_unreadable`.)
"""

from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
import homeassistant.util.dt as dt_util

from .const import OUTBOX_STUCK_AFTER
from .outbox import Outbox
from .repairs import async_clear_issue, async_raise_issue

STUCK_ISSUE = "outbox_stuck"


class OutboxRepair:
    """Raises the notice 15 minutes into a stall and removes it once it drains."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, title: str, outbox: Outbox
    ) -> None:
        """Watch one entry's outbox."""
        self._hass = hass
        self._title = title
        self._outbox = outbox
        self._entry_id = entry_id
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._watched_since: datetime | None = None

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the outbox; return the function that stops and clears it."""
        remove_listener = self._outbox.async_add_listener(self._async_update)
        self._async_update()

        @callback
        def stop() -> None:
            remove_listener()
            self._cancel_timer()
            async_clear_issue(self._hass, STUCK_ISSUE, self._entry_id)

        return stop

    @callback
    def _async_update(self) -> None:
        stuck_since = self._outbox.stuck_since
        if stuck_since is None:
            self._cancel_timer()
            self._watched_since = None
            async_clear_issue(self._hass, STUCK_ISSUE, self._entry_id)
            return
        if stuck_since == self._watched_since:
            return
        self._cancel_timer()
        self._watched_since = stuck_since
        self._unsub_timer = async_track_point_in_utc_time(
            self._hass, self._async_raise, stuck_since + OUTBOX_STUCK_AFTER
        )

    @callback
    def _async_raise(self, _now: datetime) -> None:
        # The timer is cancelled as soon as the queue moves, so it is stuck.
        self._unsub_timer = None
        stuck_since = self._watched_since or dt_util.utcnow()
        async_raise_issue(
            self._hass,
            STUCK_ISSUE,
            self._entry_id,
            severity=ir.IssueSeverity.ERROR,
            placeholders={
                "name": self._title,
                "count": str(len(self._outbox)),
                "since": dt_util.as_local(stuck_since).strftime("%Y-%m-%d %H:%M"),
            },
        )

    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
