"""Config flow: the application, its recipients, reauth, reconfigure, options."""

from collections.abc import Mapping
import hashlib
import logging
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant, callback
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

from .api import (
    PushoverAuthenticationError,
    PushoverClient,
    PushoverError,
    PushoverInvalidRequestError,
    UserInfo,
)
from .client import create_client
from .const import (
    CONF_ACK_CALLBACK,
    CONF_DEVICES,
    CONF_EXPIRE,
    CONF_PRIORITY,
    CONF_RETRY,
    CONF_SOUND,
    CONF_USER_KEY,
    DEFAULT_EXPIRE,
    DEFAULT_NAME,
    DEFAULT_RETRY,
    DOMAIN,
    MAX_EXPIRE,
    MIN_RETRY,
    PRIORITY_NAMES,
    SUBENTRY_RECIPIENT,
)
from .data import PushoverConfigEntry
from .recipients import recipients_of

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_DEVICE_NAMES = TextSelector(TextSelectorConfig(multiple=True))


def token_unique_id(token: str) -> str:
    """Derive an entry's unique id from its token without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _validate(
    client: PushoverClient,
    user_key: str,
    devices: list[str] | None = None,
    *,
    token_on_form: bool = True,
) -> tuple[dict[str, str], UserInfo | None]:
    """Check a key (and devices) with Pushover; return form errors or its info.

    A refused token is shown beside the token field, or above a form without one.
    """
    try:
        info = await client.validate_user(user_key)
    except PushoverAuthenticationError:
        return {CONF_API_TOKEN if token_on_form else "base": "invalid_api_token"}, None
    except PushoverInvalidRequestError:
        return {CONF_USER_KEY: "invalid_user_key"}, None
    except PushoverError:
        return {"base": "cannot_connect"}, None
    except Exception:
        _LOGGER.exception("Unexpected error while validating a Pushover key")
        return {"base": "unknown"}, None
    if devices and not set(devices) <= set(info.devices):
        return {CONF_DEVICES: "invalid_device"}, None
    return {}, info


def _credentials_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(
                CONF_NAME, default=defaults.get(CONF_NAME, DEFAULT_NAME)
            ): str,
            probatio.Required(CONF_API_TOKEN): _PASSWORD,
            probatio.Required(
                CONF_USER_KEY, default=defaults.get(CONF_USER_KEY, "")
            ): str,
        }
    )


class PushoverPlusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Adds a Pushover application with its primary recipient."""

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: PushoverConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return PushoverPlusOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: PushoverConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Recipients are subentries."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a name, the application token and the primary key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(token_unique_id(user_input[CONF_API_TOKEN]))
            self._abort_if_unique_id_configured()
            client = create_client(self.hass, user_input[CONF_API_TOKEN])
            errors, _ = await _validate(client, user_input[CONF_USER_KEY])
            if not errors:
                return self.async_create_entry(
                    title=user_input[CONF_NAME], data=user_input
                )
        return self.async_show_form(
            step_id="user",
            data_schema=_credentials_schema(user_input or {}),
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start reauthentication when Pushover refuses the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new application token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_API_TOKEN]
            errors = await self._validate_replacement(
                entry, token, entry.data[CONF_USER_KEY]
            )
            if not errors:
                return self._update_and_abort(
                    entry,
                    unique_id=token_unique_id(token),
                    data_updates={CONF_API_TOKEN: token},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_API_TOKEN): _PASSWORD}),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the name, the token or the primary key."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_API_TOKEN]
            errors = await self._validate_replacement(
                entry, token, user_input[CONF_USER_KEY]
            )
            if not errors:
                return self._update_and_abort(
                    entry,
                    title=user_input[CONF_NAME],
                    unique_id=token_unique_id(token),
                    data=user_input,
                )
        defaults = user_input or {
            CONF_NAME: entry.title,
            CONF_USER_KEY: entry.data[CONF_USER_KEY],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_credentials_schema(defaults),
            errors=errors,
        )

    def _update_and_abort(
        self, entry: PushoverConfigEntry, **changes: Any
    ) -> ConfigFlowResult:
        """Update the entry; set it up again if it is not loaded or unchanged.

        A loaded entry reloads through its update listener, but an entry whose
        setup failed has none and would stay failed until a restart. Nor is the
        listener called when nothing changed (the same token given again to
        reauth), and the outbox would stay paused for reauth until a restart.
        """
        loaded = entry.state is ConfigEntryState.LOADED
        before = (entry.title, entry.unique_id, dict(entry.data))
        result = self.async_update_and_abort(entry, **changes)
        if not loaded or before == (entry.title, entry.unique_id, dict(entry.data)):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    async def _validate_replacement(
        self, entry: PushoverConfigEntry, token: str, user_key: str
    ) -> dict[str, str]:
        """Validate new credentials.

        Refuse a token another entry already has, and a primary key that is
        already one of the entry's other recipients.
        """
        unique_id = token_unique_id(token)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return {CONF_API_TOKEN: "token_in_use"}
        if any(
            recipient.user_key == user_key
            for recipient in recipients_of(entry)
            if recipient.subentry_id is not None
        ):
            return {CONF_USER_KEY: "user_key_in_use"}
        errors, _ = await _validate(create_client(self.hass, token), user_key)
        return errors


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Adds or changes a further user or group key of an application."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_step_recipient("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient."""
        subentry = self._get_reconfigure_subentry()
        return await self._async_step_recipient(
            "reconfigure", user_input, subentry.subentry_id
        )

    async def _async_step_recipient(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        subentry_id: str | None,
    ) -> SubentryFlowResult:
        entry: PushoverConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            user_key = user_input[CONF_USER_KEY]
            devices = user_input.get(CONF_DEVICES) or []
            taken = {
                recipient.user_key
                for recipient in recipients_of(entry)
                if recipient.subentry_id is None or recipient.subentry_id != subentry_id
            }
            if user_key in taken:
                return self.async_abort(reason="already_configured")
            errors, _ = await _validate(
                entry.runtime_data.client,
                user_key,
                devices,
                token_on_form=False,
            )
            if not errors:
                data = {CONF_USER_KEY: user_key, CONF_DEVICES: devices}
                title = user_input[CONF_NAME]
                if subentry_id is None:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(
                    entry, self._get_reconfigure_subentry(), title=title, data=data
                )
        defaults = user_input or {}
        if subentry_id is not None and user_input is None:
            subentry = self._get_reconfigure_subentry()
            defaults = {CONF_NAME: subentry.title, **subentry.data}
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_NAME, default=defaults.get(CONF_NAME, "")
                    ): str,
                    probatio.Required(
                        CONF_USER_KEY, default=defaults.get(CONF_USER_KEY, "")
                    ): str,
                    probatio.Optional(
                        CONF_DEVICES, default=defaults.get(CONF_DEVICES, [])
                    ): _DEVICE_NAMES,
                }
            ),
            errors=errors,
        )


class PushoverPlusOptionsFlow(OptionsFlow):
    """Default devices, sound, priority and emergency timing."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer choices read from Pushover: the key's devices and the sounds."""
        entry: PushoverConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        client = entry.runtime_data.client
        try:
            info = await client.validate_user(entry.data[CONF_USER_KEY])
            sounds = await client.sounds()
        except PushoverError:
            return self.async_abort(reason="cannot_connect")
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(
                    info.devices, sounds, external_url=_has_external_url(self.hass)
                ),
                entry.options,
            ),
        )


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
            probatio.Required(CONF_RETRY, default=DEFAULT_RETRY): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_RETRY,
                    max=MAX_EXPIRE,
                    unit_of_measurement="s",
                    mode=NumberSelectorMode.BOX,
                )
            ),
            probatio.Required(CONF_EXPIRE, default=DEFAULT_EXPIRE): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_RETRY,
                    max=MAX_EXPIRE,
                    unit_of_measurement="s",
                    mode=NumberSelectorMode.BOX,
                )
            ),
            probatio.Required(
                CONF_ACK_CALLBACK, default=external_url
            ): BooleanSelector(),
        }
    )
