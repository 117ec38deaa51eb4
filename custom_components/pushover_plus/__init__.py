"""Pushover Plus: Pushover notifications for Home Assistant."""

from collections.abc import Coroutine
import logging
from pathlib import Path
from typing import Any, Final

from homeassistant.const import CONF_API_TOKEN, CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
)
from homeassistant.helpers.importlib import async_import_module
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .api import PushoverError, UserInfo
from .callback import async_setup_callback
from .choices import EntryChoices, async_forget_entry, async_note_devices
from .client import create_client
from .const import (
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    INVITATIONS_STORAGE_KEY,
    INVITATIONS_STORAGE_VERSION,
)
from .coordinator import LimitsCoordinator
from .data import PushoverConfigEntry, PushoverRuntimeData, inbox_entry
from .entity import application_device
from .errors import setup_failure
from .escalation import Escalations, remove_escalations
from .glances import (
    async_glance_queue,
    async_setup_glance_action,
    glances_directory,
    has_bound_glances,
    has_stored_glances,
    remove_glances,
)
from .group_actions import async_setup_group_actions
from .groups import async_learn_group_keys, async_setup_groups
from .inbox_services import async_setup_inbox_services
from .legacy_notify import async_setup_legacy_actions, async_unload_legacy_actions
from .outbox_repair import OutboxRepair
from .outbox_store import remove_queue
from .receipts import ReceiptTracker
from .receipts_store import remove_receipts
from .recipient_repair import (
    NoDevicesNotice,
    async_update_kept_actions,
    async_watch_builtin_entries,
)
from .recipients import Recipient, recipients_of
from .repairs import async_clear_issue, async_report_unreadable
from .sender import REFUSED_APP_ISSUE, MessageSender
from .services import async_setup_services

_LOGGER = logging.getLogger(__name__)

PLATFORMS: Final = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA: Final = cv.config_entry_only_config_schema(DOMAIN)

# The legacy notify actions are loaded by discovery, which needs the YAML config.
_HASS_CONFIG: HassKey[ConfigType] = HassKey(f"{DOMAIN}_hass_config")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions; offer to move built-in Pushover entries over."""
    hass.data[_HASS_CONFIG] = config
    async_setup_services(hass)
    async_setup_glance_action(hass)
    async_setup_group_actions(hass)
    async_setup_inbox_services(hass)
    async_watch_builtin_entries(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Bring an entry written by an older version to today's layout.

    1.2: the title no longer names the primary recipient, and every recipient
    stores its legacy action. The primary recipient's name is the title (what
    it was until now), and each action the slug of the name it had, so that
    no `notify.<name>` changes. (Home Assistant itself refuses an entry of a
    newer major version; a newer minor one is read as it is.)
    """
    # The one step so far: from 1.1 to 1.2.
    if entry.minor_version < ENTRY_MINOR_VERSION:
        for subentry in entry.subentries.values():
            hass.config_entries.async_update_subentry(
                entry,
                subentry,
                data={**subentry.data, CONF_SERVICE_NAME: slugify(subentry.title)},
            )
        hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_NAME: entry.title,
                CONF_SERVICE_NAME: slugify(entry.title),
            },
            minor_version=ENTRY_MINOR_VERSION,
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Check the token and primary key; set up the send, limits and receipts paths.

    An inbox entry receives instead (`inbox_setup.py`).
    """
    if (inbox := inbox_entry(entry)) is not None:
        await _async_load_inbox(hass)
        from .inbox_setup import async_setup_inbox  # noqa: PLC0415 - loaded just above

        return await async_setup_inbox(hass, inbox)
    client = create_client(hass, entry.data[CONF_API_TOKEN])
    info: UserInfo | None = None
    try:
        info = await client.validate_user(entry.data[CONF_USER_KEY])
    except PushoverError as err:
        if (failure := setup_failure(err)) is not None:
            raise failure from err
        # Load anyway: the outbox must take messages from the first minute
        # after a restart, even while Pushover is down.
        _LOGGER.warning(
            "Pushover cannot be reached (%s); messages are queued until it can", err
        )
    else:
        # The token works (again, after a reauth): no message waits for it.
        async_clear_issue(hass, REFUSED_APP_ISSUE, entry.entry_id)
        async_note_devices(
            hass, entry.entry_id, entry.data[CONF_USER_KEY], info.devices
        )

    limits = LimitsCoordinator(hass, entry, client)
    await limits.async_refresh()
    client.on_limits = limits.async_set_limits
    entry.async_on_unload(limits.async_clear_issue)
    recipients = recipients_of(entry)
    receipts = ReceiptTracker(hass, entry, client, recipients)
    # Before the choices: the devices read to learn which keys are groups
    # are noted, so the send action's form needs no second read of them.
    await async_learn_group_keys(hass, entry, client, info)
    choices = EntryChoices(hass, entry, client, recipients_of(entry))
    entry.async_on_unload(await choices.async_start())
    sender = MessageSender(
        hass,
        entry,
        client,
        limits=limits,
        receipts=receipts,
        choices=choices,
        callback_url=async_setup_callback(hass, entry, receipts),
    )
    # The chains follow the receipts before they load: an acknowledgement
    # read at the start ends its chain.
    escalations = Escalations(hass, entry, sender, receipts, recipients)
    await _async_load_storage(escalations.async_load(), escalations.directory)
    entry.async_on_unload(escalations.async_unload)
    await _async_load_storage(receipts.async_load(), receipts.directory)
    entry.async_on_unload(receipts.async_unload)
    entry.async_on_unload(
        async_report_unreadable(
            hass,
            "receipts_unreadable",
            entry.entry_id,
            entry.title,
            receipts.unreadable,
        )
    )
    # The queue is read before anything can send: messages queued before a
    # restart go out before any new one.
    await _async_load_storage(
        sender.outbox.async_load(recipients), sender.outbox.directory
    )
    entry.async_on_unload(sender.outbox.async_unload)
    entry.async_on_unload(
        async_report_unreadable(
            hass,
            "outbox_unreadable",
            entry.entry_id,
            entry.title,
            sender.outbox.unreadable,
        )
    )
    # After the outbox: a step that fell due while Home Assistant was down
    # queues behind the messages that waited.
    escalations.async_run()
    repair = OutboxRepair(hass, entry.entry_id, entry.title, sender.outbox)
    entry.async_on_unload(repair.async_start())
    if await _async_keeps_invitations(hass, entry.entry_id):
        await _async_open_invitations(hass, entry)
    application = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **application_device(entry)
    )
    entry.runtime_data = PushoverRuntimeData(
        client=client,
        sender=sender,
        limits=limits,
        receipts=receipts,
        escalations=escalations,
        application_device_id=application.id,
        groups=await async_setup_groups(hass, entry, client),
    )
    await _async_load_glances(hass, entry, recipients)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_setup_legacy_actions(hass, entry, recipients, hass.data[_HASS_CONFIG])
    async_update_kept_actions(hass, entry.entry_id, recipients)
    if has_bound_glances(entry, recipients):
        await _async_bind_glances(hass, entry, recipients)
    if info is not None and not info.devices:
        entry.async_on_unload(
            NoDevicesNotice(hass, entry, client, recipients[0]).async_start()
        )
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def _async_load_inbox(hass: HomeAssistant) -> None:
    """Import the receiving side, in the executor: only an inbox entry needs it.

    An installation that only sends never loads it, so that Home Assistant's
    start does not pay for it (README, "Import time").
    """
    await async_import_module(hass, f"{__name__}.inbox_setup")


async def _async_keeps_invitations(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether Home Assistant's store holds an entry's invitations."""
    store: Store[dict[str, Any]] = Store(
        hass,
        INVITATIONS_STORAGE_VERSION,
        INVITATIONS_STORAGE_KEY.format(entry_id=entry_id),
        private=True,
    )
    return await store.async_load() is not None


async def _async_open_invitations(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> None:
    """Read the invitations of an entry that keeps some; serve their page."""
    await async_import_module(hass, f"{__name__}.invitation_view")
    from .invitation_view import async_open_invitations  # noqa: PLC0415

    await async_open_invitations(hass, entry)


async def _async_load_glances(
    hass: HomeAssistant, entry: PushoverConfigEntry, recipients: list[Recipient]
) -> None:
    """Read the glances of an entry that uses them; the others load them when used.

    Before the platforms: a folder that cannot be read retries the setup.
    """
    if has_bound_glances(entry, recipients) or await hass.async_add_executor_job(
        has_stored_glances, hass, entry.entry_id
    ):
        await _async_load_storage(
            async_glance_queue(hass, entry), glances_directory(hass, entry.entry_id)
        )


async def _async_bind_glances(
    hass: HomeAssistant, entry: PushoverConfigEntry, recipients: list[Recipient]
) -> None:
    """Start the bound glances; their module loads only for an entry that has one."""
    await async_import_module(hass, f"{__name__}.glance_binding")
    from .glance_binding import async_bind_glances  # noqa: PLC0415 - loaded just above

    glances = await async_glance_queue(hass, entry)
    entry.async_on_unload(async_bind_glances(hass, entry, recipients, glances))


async def _async_load_storage(
    load: Coroutine[Any, Any, object], directory: Path
) -> None:
    """Read what an entry stored; a folder that cannot be read retries the setup."""
    try:
        await load
    except OSError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="storage_unreadable",
            translation_placeholders={
                "directory": str(directory),
                "error": err.strerror or str(err),
            },
        ) from err


async def _async_reload_on_update(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> None:
    """Delete what the entry stored: queue, receipts, chains, glances, invitations."""
    if (inbox := inbox_entry(entry)) is not None:
        await _async_load_inbox(hass)
        from .inbox_setup import async_remove_inbox  # noqa: PLC0415 - loaded just above

        await async_remove_inbox(hass, inbox)
        return
    await hass.async_add_executor_job(remove_queue, hass, entry.entry_id)
    await hass.async_add_executor_job(remove_receipts, hass, entry.entry_id)
    await hass.async_add_executor_job(remove_escalations, hass, entry.entry_id)
    await hass.async_add_executor_job(remove_glances, hass, entry.entry_id)
    await async_import_module(hass, f"{__name__}.invitations")
    from .invitations import async_remove_book  # noqa: PLC0415 - loaded just above

    await async_remove_book(hass, entry.entry_id)
    async_forget_entry(hass, entry.entry_id)
    async_update_kept_actions(hass, entry.entry_id, [])


async def async_unload_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Remove the entities and this entry's legacy notify actions."""
    if (inbox := inbox_entry(entry)) is not None:
        # Loaded: the entry was set up.
        from .inbox_setup import async_unload_inbox  # noqa: PLC0415

        return await async_unload_inbox(hass, inbox)
    await async_unload_legacy_actions(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
