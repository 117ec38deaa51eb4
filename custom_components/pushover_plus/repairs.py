"""Every repair issue of the integration, raised and cleared in one way.

An issue belongs to one config entry: its id is the translation key followed
by the entry id, so that two entries never share a notice.
"""

from pathlib import Path

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
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


@callback
def async_report_unreadable(
    hass: HomeAssistant,
    key: str,
    entry_id: str,
    title: str,
    unreadable: dict[Path, str],
) -> CALLBACK_TYPE:
    """Name the files set aside in a notice while there are any; return its remover.

    `key` says whose files they are (`outbox_unreadable`,
    `receipts_unreadable`); the notice shows each file's path in the
    configuration folder and why it could not be read.
    """
    if not unreadable:
        async_clear_issue(hass, key, entry_id)
        return lambda: None
    config_dir = Path(hass.config.config_dir)
    files = "\n".join(
        f"- `{path.relative_to(config_dir)}`: {reason}"
        for path, reason in sorted(unreadable.items())
    )
    async_raise_issue(
        hass,
        key,
        entry_id,
        severity=ir.IssueSeverity.ERROR,
        placeholders={"name": title, "count": str(len(unreadable)), "files": files},
    )
    return lambda: async_clear_issue(hass, key, entry_id)
