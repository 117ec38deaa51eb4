"""Every repair issue of the integration, raised and cleared in one way.

An issue belongs to one config entry: its id is the translation key followed
by the entry id (and, for a notice about one recipient, the recipient's id),
so that two entries never share a notice. The one notice that belongs to no
entry, of built-in entries left to move over, is named by its key alone.

This is also the repairs platform: the notice of a renamed recipient whose
legacy action kept its old name is fixable, by moving the action to the new
name; the notice of an inbox's device left on the Pushover account is fixed
by confirming that it was deleted there.
"""

from pathlib import Path
from typing import Any

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify
import probatio

from .const import CONF_SERVICE_NAME, DOMAIN, PRIMARY_RECIPIENT_ID
from .data import PushoverConfigEntry
from .recipients import Recipient, action_taken, recipients_of

ACTION_KEPT = "legacy_action_kept"
# An inbox's device that its removal left on the Pushover account.
DEVICE_LEFT = "inbox_device_left"
FIX_ENTRY_ID = "entry_id"
FIX_RECIPIENT_ID = "recipient_id"


def issue_id(key: str, entry_id: str | None, item: str | None = None) -> str:
    """Name an entry's issue, or one about an item (a recipient) of the entry."""
    return "_".join(part for part in (key, entry_id, item) if part)


@callback
def async_raise_issue(
    hass: HomeAssistant,
    key: str,
    entry_id: str | None,
    *,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
    item: str | None = None,
    fix_data: dict[str, str | int | float | None] | None = None,
) -> None:
    """Show (or update) a notice, translated under `issues.<key>`.

    With `fix_data` the notice is fixable: the data reaches its fix flow.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(key, entry_id, item),
        is_fixable=fix_data is not None,
        data=fix_data,
        severity=severity,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_clear_issue(
    hass: HomeAssistant, key: str, entry_id: str | None, item: str | None = None
) -> None:
    """Remove a notice, if it is shown."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(key, entry_id, item))


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


@callback
def async_issue_items(hass: HomeAssistant, key: str, entry_id: str) -> set[str]:
    """Return the items (recipient ids) that have an entry's notice of `key`."""
    prefix = f"{issue_id(key, entry_id)}_"
    return {
        name.removeprefix(prefix)
        for domain, name in ir.async_get(hass).issues
        if domain == DOMAIN and name.startswith(prefix)
    }


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001
    issue_id: str,
    data: dict[str, Any],
) -> RepairsFlow:
    """Fix a notice: a legacy action that kept its old name, or a device left."""
    if issue_id.startswith(DEVICE_LEFT):
        return ConfirmRepairFlow()
    return MoveActionRepairFlow(data[FIX_ENTRY_ID], data[FIX_RECIPIENT_ID])


class MoveActionRepairFlow(RepairsFlow):
    """Moves a renamed recipient's legacy action to its new name, once confirmed."""

    def __init__(self, entry_id: str, recipient_id: str) -> None:
        """Name the recipient whose action may move."""
        self._entry_id = entry_id
        self._recipient_id = recipient_id

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Say which action moves where; move it when confirmed."""
        entry: PushoverConfigEntry | None = self.hass.config_entries.async_get_entry(
            self._entry_id
        )
        recipient = next(
            (
                item
                for item in (recipients_of(entry) if entry else [])
                if item.id == self._recipient_id
            ),
            None,
        )
        if entry is None or recipient is None:
            return self.async_abort(reason="recipient_gone")
        action = slugify(recipient.name)
        if action_taken(self.hass, action, but=(entry.entry_id, recipient.id)):
            return self.async_abort(
                reason="action_taken", description_placeholders={"action": action}
            )
        if user_input is not None:
            _move_action(self.hass, entry, recipient, action)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema({}),
            description_placeholders={
                "recipient": recipient.name,
                "action": recipient.service_name,
                "new_action": action,
            },
        )


def _move_action(
    hass: HomeAssistant, entry: PushoverConfigEntry, recipient: Recipient, action: str
) -> None:
    """Store the new action name; the entry reloads through its update listener."""
    if recipient.id == PRIMARY_RECIPIENT_ID:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_SERVICE_NAME: action}
        )
        return
    subentry = entry.subentries[recipient.id]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_SERVICE_NAME: action}
    )
