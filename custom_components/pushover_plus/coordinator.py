"""The limits path: the monthly quota from polls and from every send's headers."""

from datetime import datetime, timedelta
import logging
from typing import override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
import homeassistant.util.dt as dt_util

from .api import Limits, PushoverClient, PushoverError
from .const import DOMAIN, LIMITS_POLL_INTERVAL, LIMITS_RESET_GRACE
from .data import PushoverConfigEntry
from .errors import quota_exceeded, reset_text, translated
from .repairs import async_clear_issue, async_raise_issue

_LOGGER = logging.getLogger(__name__)

QUOTA_ISSUE = "quota_exhausted"


class LimitsCoordinator(DataUpdateCoordinator[Limits]):
    """Keeps the application's quota current.

    A monthly quota changes only when messages are sent, and each send's
    answer carries the quota in its headers, so a slow poll is enough: hourly,
    and once more just after the monthly reset.
    """

    config_entry: PushoverConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: PushoverConfigEntry, client: PushoverClient
    ) -> None:
        """Poll `apps/limits.json` with the entry's client."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} limits",
            update_interval=LIMITS_POLL_INTERVAL,
        )
        self._client = client

    @override
    async def _async_update_data(self) -> Limits:
        try:
            limits = await self._client.limits()
        except PushoverError as err:
            raise translated(err, "limits") from err
        self._follow(limits)
        return limits

    @callback
    def async_set_limits(self, limits: Limits) -> None:
        """Take the quota from a send's headers: no API call needed."""
        self._follow(limits)
        self.async_set_updated_data(limits)

    @callback
    def async_set_exhausted(self, reset: datetime | None) -> None:
        """Record a 429: nothing is left until the reset."""
        # None until the first poll answered.
        current: Limits | None = self.data
        limit = current.limit if current is not None else 0
        reset = reset or (current.reset if current is not None else None)
        if reset is None:
            return
        self.async_set_limits(Limits(limit=limit, remaining=0, reset=reset))

    @property
    def exhausted_until(self) -> datetime | None:
        """Return the reset time while the quota is used up, else None."""
        limits = self.data
        if limits is None or limits.remaining > 0 or limits.reset <= dt_util.utcnow():
            return None
        return limits.reset

    def raise_if_exhausted(self) -> None:
        """Fail fast, without calling Pushover, while the quota is used up."""
        if (until := self.exhausted_until) is not None:
            raise quota_exceeded(until)

    @callback
    def async_clear_issue(self) -> None:
        """Remove the quota notice (after the reset, or with the entry)."""
        async_clear_issue(self.hass, QUOTA_ISSUE, self.config_entry.entry_id)

    def _follow(self, limits: Limits) -> None:
        """Poll again just after the reset, and keep the repair issue true."""
        until_reset = limits.reset - dt_util.utcnow()
        self.update_interval = (
            min(LIMITS_POLL_INTERVAL, until_reset + LIMITS_RESET_GRACE)
            if until_reset > timedelta(0)
            else LIMITS_POLL_INTERVAL
        )
        if limits.remaining > 0 or limits.reset <= dt_util.utcnow():
            self.async_clear_issue()
            return
        async_raise_issue(
            self.hass,
            QUOTA_ISSUE,
            self.config_entry.entry_id,
            severity=ir.IssueSeverity.WARNING,
            placeholders={
                "name": self.config_entry.title,
                "limit": str(limits.limit),
                "reset": reset_text(limits.reset),
            },
        )
