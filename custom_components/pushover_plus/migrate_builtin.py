"""The built-in `pushover` integration's entries, seen from Pushover Plus.

A built-in entry holds an application token (`api_key`), a user key and a
name, whose slug is its legacy action `notify.<name>`. One whose token no
Pushover Plus entry has yet can move over (the config flow's first step
offers it); one whose name claims an action keeps it while it is enabled.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.util import slugify

from .const import BUILTIN_DOMAIN, DOMAIN
from .data import token_unique_id


def builtin_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    """Return the built-in integration's entries, disabled ones too."""
    return hass.config_entries.async_entries(BUILTIN_DOMAIN, include_ignore=False)


def movable_builtin_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    """Return the built-in entries whose token no Pushover Plus entry has."""
    ours = {entry.unique_id for entry in hass.config_entries.async_entries(DOMAIN)}
    return [
        entry
        for entry in builtin_entries(hass)
        if token_unique_id(entry.data[CONF_API_KEY]) not in ours
    ]


def builtin_entry_named(
    hass: HomeAssistant, action: str, *, enabled_only: bool = False
) -> ConfigEntry | None:
    """Return the built-in entry whose legacy action is `notify.<action>`."""
    return next(
        (
            entry
            for entry in builtin_entries(hass)
            if slugify(entry.data[CONF_NAME]) == action
            and not (enabled_only and entry.disabled_by is not None)
        ),
        None,
    )
