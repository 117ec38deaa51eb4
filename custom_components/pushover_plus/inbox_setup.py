"""Setting an inbox entry up, unloading and removing it.

Setup reads what the inbox stored, then asks Pushover once whether the
secret and the device still work (a download, whose messages are left for
the first sync): a refused secret asks for a new login, a device without a
Desktop licence stops the entry with a notice, a Pushover that cannot be
reached retries the setup. Receiving starts once Home Assistant has started,
so that automations listen before the messages that waited are delivered.
"""

from typing import Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started

from .api import (
    LicenceRequiredError,
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
)
from .client import api_base_url, push_url, shared_limiter
from .const import CONF_DEVICE_ID, CONF_SECRET, DESKTOP_LICENSING_URL, DOMAIN
from .data import InboxConfigEntry, InboxRuntimeData
from .inbox import Inbox
from .inbox_api import InboxClient
from .inbox_delivery import InboxDelivery
from .inbox_repair import async_clear_stops, async_report_device_left, async_report_stop
from .inbox_store import InboxStore, remove_inbox_state
from .inbox_sync import Credentials, InboxSync, Stop

INBOX_PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]


def create_inbox_client(hass: HomeAssistant) -> InboxClient:
    """Build an inbox's client on the senders' session and limiter."""
    return InboxClient(
        async_get_clientsession(hass),
        base_url=api_base_url(),
        limiter=shared_limiter(hass),
    )


async def async_setup_inbox(hass: HomeAssistant, entry: InboxConfigEntry) -> bool:
    """Check the inbox's credentials, add its entities, start receiving."""
    client = create_inbox_client(hass)
    credentials = Credentials(entry.data[CONF_SECRET], entry.data[CONF_DEVICE_ID])
    store = InboxStore(hass, entry.entry_id)
    delivery = InboxDelivery(hass, entry.entry_id, dict(entry.options))
    sync = InboxSync(
        hass,
        entry,
        client,
        credentials,
        store=store,
        delivery=delivery,
    )
    try:
        await sync.async_load()
    except OSError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="storage_unreadable",
            translation_placeholders={
                "directory": str(store.directory),
                "error": err.strerror or str(err),
            },
        ) from err
    await _async_check(hass, entry, sync)
    async_clear_stops(hass, entry.entry_id)
    inbox = Inbox(hass, entry, sync, push_url=push_url(), credentials=credentials)
    entry.runtime_data = InboxRuntimeData(
        client=client,
        credentials=credentials,
        inbox=inbox,
        sync=sync,
        delivery=delivery,
    )
    await hass.config_entries.async_forward_entry_setups(entry, INBOX_PLATFORMS)
    entry.async_on_unload(inbox.async_close)
    entry.async_on_unload(async_at_started(hass, inbox.async_start))
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def _async_check(
    hass: HomeAssistant, entry: InboxConfigEntry, sync: InboxSync
) -> None:
    """Ask Pushover whether the secret and device work; raise what setup raises."""
    try:
        await sync.async_check()
    except PushoverAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="inbox_session_refused"
        ) from err
    except LicenceRequiredError as err:
        async_report_stop(hass, entry, Stop.LICENCE)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="inbox_licence_required",
            translation_placeholders={"licensing_url": DESKTOP_LICENSING_URL},
        ) from err
    except PushoverInvalidRequestError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="inbox_device_refused",
            translation_placeholders={"errors": "; ".join(err.errors)},
        ) from err
    except PushoverError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="inbox_unreachable",
            translation_placeholders={"error": str(err)},
        ) from err


async def _async_reload_on_update(hass: HomeAssistant, entry: InboxConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_inbox(hass: HomeAssistant, entry: InboxConfigEntry) -> bool:
    """Remove the inbox's entities; its socket and tasks end with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, INBOX_PLATFORMS)


async def async_remove_inbox(hass: HomeAssistant, entry: InboxConfigEntry) -> None:
    """Delete what the inbox stored; name the device left at Pushover."""
    await hass.async_add_executor_job(remove_inbox_state, hass, entry.entry_id)
    async_clear_stops(hass, entry.entry_id)
    async_report_device_left(hass, entry)
