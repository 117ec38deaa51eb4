"""Every repair issue of the integration, raised and cleared in one way.

An issue belongs to one config entry: its id is the translation key followed
by the entry id, so that two entries never share a notice.
"""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def issue_id(key: str, entry_id: str) -> str:
    """Name an entry's issue."""
    return f"{key}_{entry_id}"


@callback
def async_raise_issue(
    hass: HomeAssistant,
    key: str,
    entry_id: str,
    *,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
) -> None:
    """Show (or update) an entry's notice, translated under `issues.<key>`."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(key, entry_id),
        is_fixable=False,
        severity=severity,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_clear_issue(hass: HomeAssistant, key: str, entry_id: str) -> None:
    """Remove an entry's notice, if it is shown."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(key, entry_id))
