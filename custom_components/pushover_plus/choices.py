"""The account's sounds and each recipient's devices: the send action's choices.

The action's form offers them as options (custom values still allowed, so
that YAML with another sound keeps working), and a sound is checked against
them. Pushover never says when an account changes, and every read is an API
call, so what is known is kept, with when it was read, for each entry and
across its reloads, and read again only when it may have changed:

- the primary key's devices come with the check every setup makes, and with
  the hourly recheck of a key that has no device yet;
- the options flow and the recipient flows read sounds and devices anyway:
  what they read is kept;
- at setup, what is missing or older than an hour is read in the background
  (`sounds.json`, and `users/validate.json` for each further recipient);
  what setup could not read at all is asked again every five minutes until
  Pushover answers;
- a call naming a sound that the list lacks has the list read again first,
  if it is older than an hour.

Nothing known is polled: a day without calls costs no request for the choices.
The form is one for every entry, so it offers what the loaded entries know
together; each entry checks a sound against its own account's list.
"""

from collections.abc import Mapping, Sequence
import copy
from datetime import datetime
import logging
from pathlib import Path
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.service import async_set_service_schema
import homeassistant.util.dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.yaml import load_yaml_dict

from .api import PushoverClient, PushoverError
from .const import CHOICES_MAX_AGE, CHOICES_RETRY_INTERVAL, DOMAIN
from .data import PushoverConfigEntry
from .message import ATTR_DEVICE, ATTR_SOUND, invalid
from .recipients import Recipient
from .services import SERVICE_SEND_MESSAGE, async_register_send_message

_LOGGER = logging.getLogger(__name__)

_SERVICES_YAML: Final = Path(__file__).parent / "services.yaml"
# The section of the send action's form that holds the sound and devices.
_SECTION: Final = "delivery"


class AccountChoices:
    """What one entry knows of its account, and when it learnt it.

    Devices are kept by user key: the key is what Pushover lists them for.
    Plain classes here and below: a dataclass costs more to create when the
    module is imported, at every start, than it saves.
    """

    __slots__ = (
        "devices",
        "devices_read_at",
        "sounds",
        "sounds_read_at",
        "sounds_tried_at",
    )

    def __init__(self) -> None:
        """Start knowing nothing."""
        self.sounds: dict[str, str] | None = None
        self.sounds_read_at: datetime | None = None
        # The last attempt, which may have failed: the hourly bound counts it.
        self.sounds_tried_at: datetime | None = None
        self.devices: dict[str, tuple[str, ...]] = {}
        self.devices_read_at: dict[str, datetime] = {}


class _Known:
    """Every entry's choices, which of them are loaded, and the form's base."""

    __slots__ = ("base", "described", "entries", "loaded")

    def __init__(self) -> None:
        self.entries: dict[str, AccountChoices] = {}
        # The loaded entries' recipients, whose names label the devices.
        self.loaded: dict[str, list[Recipient]] = {}
        self.base: dict[str, Any] | None = None
        self.described: dict[str, Any] | None = None


_KNOWN: HassKey[_Known] = HassKey(f"{DOMAIN}_choices")


def _known(hass: HomeAssistant) -> _Known:
    return hass.data.setdefault(_KNOWN, _Known())


def account_choices(hass: HomeAssistant, entry_id: str) -> AccountChoices:
    """Return what an entry knows of its account (nothing, the first time)."""
    return _known(hass).entries.setdefault(entry_id, AccountChoices())


@callback
def async_note_sounds(
    hass: HomeAssistant, entry_id: str, sounds: Mapping[str, str]
) -> None:
    """Keep the sounds that something read from Pushover for an entry."""
    choices = account_choices(hass, entry_id)
    choices.sounds = dict(sounds)
    choices.sounds_read_at = choices.sounds_tried_at = dt_util.utcnow()
    _async_describe(hass)


@callback
def async_note_devices(
    hass: HomeAssistant, entry_id: str, user_key: str, devices: Sequence[str]
) -> None:
    """Keep the devices that something read from Pushover for a key."""
    choices = account_choices(hass, entry_id)
    choices.devices[user_key] = tuple(devices)
    choices.devices_read_at[user_key] = dt_util.utcnow()
    _async_describe(hass)


@callback
def async_forget_entry(hass: HomeAssistant, entry_id: str) -> None:
    """Forget what a removed entry knew."""
    _known(hass).entries.pop(entry_id, None)


class EntryChoices:
    """A loaded entry's choices: offered in the form, read again when stale."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        recipients: list[Recipient],
    ) -> None:
        """Bind to the entry, its client and its recipients."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._recipients = recipients
        self.known = account_choices(hass, entry.entry_id)
        self._cancel_retry: CALLBACK_TYPE | None = None

    async def async_start(self) -> CALLBACK_TYPE:
        """Offer the entry's choices and read what is stale; return the undo."""
        known = _known(self._hass)
        if known.base is None:
            known.base = await self._hass.async_add_executor_job(
                _send_message_description
            )
        known.loaded[self._entry.entry_id] = self._recipients
        _async_describe(self._hass)
        self._entry.async_create_background_task(
            self._hass, self._async_read_stale(), f"{DOMAIN} choices"
        )
        return self._async_stop

    async def async_check_sound(self, sound: str | None) -> None:
        """Refuse a sound that the account's list, read again if stale, lacks.

        Without a list (Pushover could not be asked), Pushover decides.
        """
        if sound is None or (self.known.sounds and sound in self.known.sounds):
            return
        if _stale(self.known.sounds_tried_at):
            await self._async_read_sounds()
        sounds = self.known.sounds
        if sounds is not None and sound not in sounds:
            raise invalid("sound_unknown", sound=sound, sounds=", ".join(sounds))

    @callback
    def _async_stop(self) -> None:
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        _known(self._hass).loaded.pop(self._entry.entry_id, None)
        _async_describe(self._hass)

    async def _async_read_stale(self) -> None:
        if self.known.sounds is None or _stale(self.known.sounds_tried_at):
            await self._async_read_sounds()
        for recipient in self._recipients:
            if _stale(self.known.devices_read_at.get(recipient.user_key)):
                await self._async_read_devices(recipient)
        self._async_retry_if_missing()

    async def _async_read_missing(self) -> None:
        if self.known.sounds is None:
            await self._async_read_sounds()
        for recipient in self._recipients:
            if recipient.user_key not in self.known.devices:
                await self._async_read_devices(recipient)
        self._async_retry_if_missing()

    @callback
    def _async_retry_if_missing(self) -> None:
        """Ask again later for what was never read (Pushover was down)."""
        self._cancel_retry = None
        missing = self.known.sounds is None or any(
            recipient.user_key not in self.known.devices
            for recipient in self._recipients
        )
        if not missing or _known(self._hass).loaded.get(self._entry.entry_id) is None:
            return

        @callback
        def retry(_now: datetime) -> None:
            self._entry.async_create_background_task(
                self._hass, self._async_read_missing(), f"{DOMAIN} choices retry"
            )

        self._cancel_retry = async_call_later(self._hass, CHOICES_RETRY_INTERVAL, retry)

    async def _async_read_sounds(self) -> None:
        self.known.sounds_tried_at = dt_util.utcnow()
        try:
            sounds = await self._client.sounds()
        except PushoverError as err:
            _LOGGER.debug("Could not read the account's sounds: %s", err)
            return
        async_note_sounds(self._hass, self._entry.entry_id, sounds)

    async def _async_read_devices(self, recipient: Recipient) -> None:
        try:
            info = await self._client.validate_user(recipient.user_key)
        except PushoverError as err:
            _LOGGER.debug("Could not read the devices of %s: %s", recipient.name, err)
            return
        async_note_devices(
            self._hass, self._entry.entry_id, recipient.user_key, info.devices
        )


def _stale(read_at: datetime | None) -> bool:
    return read_at is None or dt_util.utcnow() - read_at >= CHOICES_MAX_AGE


def _send_message_description() -> dict[str, Any]:
    """Read the send action's description from services.yaml (blocking)."""
    description: dict[str, Any] = load_yaml_dict(_SERVICES_YAML)[SERVICE_SEND_MESSAGE]
    return description


@callback
def _async_describe(hass: HomeAssistant) -> None:
    """Give the action's form the loaded entries' sounds and devices.

    The frontend reads a new description when an action is registered, so
    the action is registered again (nothing else changes) when it changed.
    """
    known = _known(hass)
    if known.base is None:
        return
    description = copy.deepcopy(known.base)
    fields = description["fields"][_SECTION]["fields"]
    if sounds := _sound_options(known):
        fields[ATTR_SOUND]["selector"] = _select(sounds, multiple=False)
    fields[ATTR_DEVICE]["selector"] = _select(_device_options(known), multiple=True)
    if description == known.described:
        return
    known.described = description
    async_set_service_schema(hass, DOMAIN, SERVICE_SEND_MESSAGE, description)
    async_register_send_message(hass)


def _sound_options(known: _Known) -> list[SelectOptionDict]:
    """Offer every sound a loaded entry's account has, described as Pushover does."""
    sounds: dict[str, str] = {}
    for entry_id in known.loaded:
        for name, label in (known.entries[entry_id].sounds or {}).items():
            sounds.setdefault(name, label)
    return [SelectOptionDict(value=name, label=label) for name, label in sounds.items()]


def _device_options(known: _Known) -> list[SelectOptionDict]:
    """Offer each device with the recipients that have it: "phone (Ada, Bob)"."""
    holders: dict[str, list[str]] = {}
    for entry_id, recipients in known.loaded.items():
        devices = known.entries[entry_id].devices
        for recipient in recipients:
            for device in devices.get(recipient.user_key, ()):
                names = holders.setdefault(device, [])
                if recipient.name not in names:
                    names.append(recipient.name)
    return [
        SelectOptionDict(value=device, label=f"{device} ({', '.join(names)})")
        for device, names in sorted(holders.items())
    ]


def _select(options: list[SelectOptionDict], *, multiple: bool) -> dict[str, Any]:
    """Return a dropdown selector that also takes a value typed in."""
    selector = SelectSelector(
        SelectSelectorConfig(
            options=options,
            multiple=multiple,
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    serialized: dict[str, Any] = selector.serialize()["selector"]
    return serialized
