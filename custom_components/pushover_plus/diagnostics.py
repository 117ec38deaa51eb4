"""Diagnostics: the entry's settings and recipients, with every secret redacted.

An inbox's show its connection and counts: never its secret, device id,
user key or anything a message said.
"""

from typing import Any

from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.redact import async_redact_data

from .api import Limits
from .const import (
    API_BASE_URL,
    CONF_DEVICE_ID,
    CONF_ENCRYPTION_KEY,
    CONF_SECRET,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
)
from .data import InboxConfigEntry, PushoverConfigEntry, inbox_entry
from .glances import binding_sources, glance_config_of
from .recipients import recipients_of

# A group's subscription URL lets whoever has it join the group; an inbox's
# secret and device id let whoever has them read the account's messages.
TO_REDACT = {
    CONF_API_TOKEN,
    CONF_USER_KEY,
    CONF_ENCRYPTION_KEY,
    CONF_SUBSCRIPTION_URL,
    CONF_SECRET,
    CONF_DEVICE_ID,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: PushoverConfigEntry,
) -> dict[str, Any]:
    """Return what support needs to see, never the token or a key."""
    if (inbox := inbox_entry(entry)) is not None:
        return _inbox_diagnostics(inbox)
    runtime = entry.runtime_data
    glances = runtime.glances
    return {
        "entry": async_redact_data(entry.data, TO_REDACT),
        "options": async_redact_data(entry.options, TO_REDACT),
        "recipients": [
            {
                "title": subentry.title,
                "data": async_redact_data(subentry.data, TO_REDACT),
            }
            for subentry in entry.subentries.values()
        ],
        # The simulator's address changes between runs; whether one is used matters.
        "custom_api_base_url": runtime.client.base_url != API_BASE_URL,
        "limits": _limits(runtime.limits.data) if runtime.limits.data else None,
        "acknowledgement_callback": runtime.sender.uses_callback,
        "open_emergencies": [item.event_data() for item in runtime.receipts.open],
        # Counts only: queued messages hold user keys and private text.
        "outbox": {
            "queued_messages": len(runtime.sender.outbox),
            "queued_bytes": runtime.sender.outbox.queued_bytes,
            "stuck_since": runtime.sender.outbox.stuck_since,
            "files_written": runtime.sender.outbox.storage_stats.files_written,
            "bytes_written": runtime.sender.outbox.storage_stats.bytes_written,
            "unreadable_files": len(runtime.sender.outbox.unreadable),
        },
        # Counts and names only: a glance may show private data.
        # An entry that never used glances has not loaded them (glances.py).
        "glances": {
            "loaded": glances is not None,
            "widgets": glances.widgets if glances else 0,
            "pending": glances.pending if glances else 0,
            "bound": [
                recipient.name
                for recipient in recipients_of(entry)
                if binding_sources(glance_config_of(entry, recipient))
            ],
            "unreadable_files": len(glances.unreadable) if glances else 0,
        },
        "groups": [
            {
                "recipient": coordinator.recipient.name,
                "last_update_success": coordinator.last_update_success,
                "members": len(coordinator.data.members) if coordinator.data else None,
            }
            for coordinator in runtime.groups.values()
        ],
    }


def _limits(limits: Limits) -> dict[str, Any]:
    return {"limit": limits.limit, "remaining": limits.remaining, "reset": limits.reset}


def _inbox_diagnostics(entry: InboxConfigEntry) -> dict[str, Any]:
    """Return an inbox's settings, connection and counts."""
    runtime = entry.runtime_data
    state = runtime.sync.state
    return {
        "entry": async_redact_data(entry.data, TO_REDACT),
        # App names and ids: who sends, never what.
        "options": dict(entry.options),
        "connected": runtime.inbox.connected,
        "stopped": runtime.inbox.stopped,
        "connections": runtime.inbox.connections,
        "syncs": runtime.sync.syncs,
        "desktop_licensed": runtime.sync.desktop_licensed,
        "highest_delivered": state.highest_delivered,
        "delivered": runtime.delivery.delivered,
        "ignored": runtime.delivery.ignored,
        "seen_apps": [{"aid": app.aid, "name": app.name} for app in state.seen_apps],
    }
