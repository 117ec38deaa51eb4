"""The options flow: defaults of a message, and the primary recipient's settings.

Default devices, sound, priority, emergency timing and the acknowledgement
callback; the primary recipient's end-to-end encryption key.

A switch leads on to the primary recipient's bound glance (`config_flow_glance.py`).

The form checks its numbers itself, so that each error is translated and
names the field and its limit; Home Assistant's own range check would say
only "Value 10.0 is too small".
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import PushoverError
from .choices import async_note_devices, async_note_sounds
from .config_flow_checks import Checked, check_encryption_key
from .config_flow_glance import (
    CONF_EDIT_GLANCE,
    EDIT_GLANCE_FIELD,
    check_glance,
    glance_schema,
    offered_devices,
)
from .config_flow_recipient import check_devices
from .const import (
    CONF_ACK_CALLBACK,
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_EXPIRE,
    CONF_GLANCE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    CONF_USER_KEY,
    DEFAULT_EXPIRE,
    DEFAULT_RETRY,
    MAX_EXPIRE,
    MIN_RETRY,
    PRIORITY_NAMES,
)
from .data import PushoverConfigEntry

_SECONDS = NumberSelector(
    NumberSelectorConfig(unit_of_measurement="s", mode=NumberSelectorMode.BOX)
)


class PushoverPlusOptionsFlow(OptionsFlow):
    """Default devices, sound, priority and emergency timing."""

    def __init__(self) -> None:
        """Read Pushover's devices and sounds once, at the first form."""
        self._devices: list[str] | None = None
        self._sounds: dict[str, str] = {}
        self._options: dict[str, Any] = {}
        self._is_group: bool | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer choices read from Pushover: the key's devices and the sounds."""
        entry: PushoverConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        if self._devices is None:
            client = entry.runtime_data.client
            try:
                info = await client.validate_user(entry.data[CONF_USER_KEY])
                self._sounds = await client.sounds()
            except PushoverError:
                return self.async_abort(reason="cannot_connect")
            self._devices = info.devices
            self._is_group = info.is_group
            # The send action's form offers them too, at no further request.
            async_note_sounds(self.hass, entry.entry_id, self._sounds)
            async_note_devices(
                self.hass, entry.entry_id, entry.data[CONF_USER_KEY], info.devices
            )
        external_url = _has_external_url(self.hass)
        checked = Checked()
        if user_input is not None:
            check_options(checked, user_input, self._devices, external_url=external_url)
            encryption_key = check_encryption_key(
                checked,
                user_input.get(CONF_ENCRYPTION_KEY, ""),
                is_group=self._is_group,
            )
            if not checked.errors:
                options = {
                    key: value
                    for key, value in user_input.items()
                    if key != CONF_EDIT_GLANCE
                }
                self._options = {
                    **options,
                    CONF_RETRY: int(user_input[CONF_RETRY]),
                    CONF_EXPIRE: int(user_input[CONF_EXPIRE]),
                }
                # Stored as checked (trimmed, lower case), or not at all.
                self._options.pop(CONF_ENCRYPTION_KEY, None)
                if encryption_key is not None:
                    self._options[CONF_ENCRYPTION_KEY] = encryption_key
                if CONF_GLANCE in entry.options:
                    self._options[CONF_GLANCE] = entry.options[CONF_GLANCE]
                if user_input.get(CONF_EDIT_GLANCE):
                    return await self.async_step_glance()
                return self.async_create_entry(data=self._options)
        stored = entry.options.get(CONF_DEVICES, [])
        # A stored device the key no longer has is offered, so that the
        # form opens with it, and refused with the devices the key has.
        offered = self._devices + [name for name in stored if name not in self._devices]
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(offered, self._sounds, external_url=external_url),
                user_input or entry.options,
            ),
            errors=checked.errors,
            description_placeholders={
                "min_retry": str(MIN_RETRY),
                "max_expire": str(MAX_EXPIRE),
                **checked.placeholders,
            },
        )

    async def async_step_glance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Bind the primary recipient's glance to entities or templates."""
        entry: PushoverConfigEntry = self.config_entry
        devices = self._devices or []
        stored = entry.options.get(CONF_GLANCE) or {}
        checked = Checked()
        if user_input is not None:
            glance = check_glance(checked, user_input, devices)
            if not checked.errors:
                return self.async_create_entry(
                    data={**self._options, CONF_GLANCE: glance}
                )
        return self.async_show_form(
            step_id="glance",
            data_schema=self.add_suggested_values_to_schema(
                glance_schema(offered_devices(devices, stored)), user_input or stored
            ),
            errors=checked.errors,
            description_placeholders=checked.placeholders,
        )


def check_options(
    checked: Checked,
    options: Mapping[str, Any],
    devices: list[str],
    *,
    external_url: bool,
) -> None:
    """Check the emergency timing, the callback and the default devices."""
    retry: float = options[CONF_RETRY]
    expire: float = options[CONF_EXPIRE]
    if not retry.is_integer():
        checked.add(CONF_RETRY, "not_whole_seconds")
    elif retry < MIN_RETRY:
        checked.add(CONF_RETRY, "retry_too_short")
    if not expire.is_integer():
        checked.add(CONF_EXPIRE, "not_whole_seconds")
    elif not 1 <= expire <= MAX_EXPIRE:
        checked.add(CONF_EXPIRE, "expire_out_of_range")
    if not checked.errors and retry > expire:
        checked.add(
            CONF_RETRY,
            "retry_longer_than_expire",
            retry=str(int(retry)),
            expire=str(int(expire)),
        )
    if options.get(CONF_ACK_CALLBACK) and not external_url:
        checked.add(CONF_ACK_CALLBACK, "callback_needs_external_url")
    check_devices(checked, options.get(CONF_DEVICES, []), devices)


def _has_external_url(hass: HomeAssistant) -> bool:
    """Tell whether Pushover could reach Home Assistant for callbacks."""
    try:
        get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError:
        return False
    return True


def _options_schema(
    devices: list[str], sounds: Mapping[str, str], *, external_url: bool
) -> probatio.Schema:
    # Sound and priority may stay blank: Pushover then uses the user's choice.
    sound_options = [
        SelectOptionDict(value=name, label=description)
        for name, description in sounds.items()
    ]
    return probatio.Schema(
        {
            probatio.Optional(CONF_DEVICES): SelectSelector(
                SelectSelectorConfig(
                    options=devices, multiple=True, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            probatio.Optional(CONF_SOUND): SelectSelector(
                SelectSelectorConfig(
                    options=sound_options, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            probatio.Optional(CONF_PRIORITY): SelectSelector(
                SelectSelectorConfig(
                    options=list(PRIORITY_NAMES),
                    translation_key=CONF_PRIORITY,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            probatio.Required(CONF_RETRY, default=DEFAULT_RETRY): _SECONDS,
            probatio.Required(CONF_EXPIRE, default=DEFAULT_EXPIRE): _SECONDS,
            probatio.Required(
                CONF_ACK_CALLBACK, default=external_url
            ): BooleanSelector(),
            # Shown as dots, as the token is: a secret as much as the token.
            probatio.Optional(CONF_ENCRYPTION_KEY): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
            **EDIT_GLANCE_FIELD,
        }
    )
