"""Config flow: adding an application (or moving a built-in entry), reauth, reconfigure.

The first step is a menu: send messages (an application), receive them (an
inbox, whose steps are in `config_flow_inbox.py`), or bring a built-in entry
over. Adding an application takes two steps: the token and the primary key,
checked with Pushover, then the name of who receives with that key
(suggested from what Pushover said). The recipient and options flows are in
`config_flow_recipient.py` and `config_flow_options.py`; what the flows check
is in `config_flow_checks.py`.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_API_TOKEN, CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
import probatio

from .api import UserInfo
from .client import create_client
from .config_flow_checks import (
    Checked,
    add_refusal,
    async_suggested_name,
    async_validate_key,
    check_name,
    check_shape,
    entry_title,
)
from .config_flow_inbox import InboxConfigFlow, InboxOptionsFlow
from .config_flow_options import PushoverPlusOptionsFlow
from .config_flow_recipient import RecipientSubentryFlow
from .const import (
    CONF_BUILTIN_ENTRY,
    CONF_ENCRYPTION_KEY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    SUBENTRY_RECIPIENT,
)
from .data import PushoverConfigEntry, is_inbox, token_unique_id
from .errors import Refusal
from .migrate_builtin import movable_builtin_entries
from .recipients import recipients_of

__all__ = ["PushoverPlusConfigFlow", "token_unique_id"]

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TEXT = TextSelector()
_TOKEN_ERRORS = (CONF_API_TOKEN, "invalid_api_token")
_KEY_ERRORS = (CONF_USER_KEY, "invalid_user_key")

CREDENTIALS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_API_TOKEN): _PASSWORD,
        probatio.Required(CONF_USER_KEY): _TEXT,
    }
)
NAME_SCHEMA = probatio.Schema({probatio.Required(CONF_NAME): _TEXT})
REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_API_TOKEN): _PASSWORD})
# The stored token is never shown: left empty, it is kept.
RECONFIGURE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): _TEXT,
        probatio.Optional(CONF_API_TOKEN): _PASSWORD,
        probatio.Required(CONF_USER_KEY): _TEXT,
    }
)


class PushoverPlusConfigFlow(InboxConfigFlow, domain=DOMAIN):
    """Adds a Pushover application with its primary recipient, or an inbox."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing accepted yet."""
        self._token = ""
        self._user_key = ""
        self._devices: list[str] = []
        self._suggested_name: str | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: PushoverConfigEntry) -> OptionsFlow:
        """Return the options flow: an application's defaults, an inbox's loop guard."""
        if is_inbox(config_entry):
            return InboxOptionsFlow()
        return PushoverPlusOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: PushoverConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Recipients are subentries of an application; an inbox has none."""
        if is_inbox(config_entry):
            return {}
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to send (an application) or receive (an inbox).

        Moving a built-in Pushover entry over comes first when there is one.
        """
        options = ["credentials", "inbox"]
        if movable_builtin_entries(self.hass):
            options.insert(0, "import_builtin")
        return self.async_show_menu(step_id="user", menu_options=options)

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the application token and the primary key."""
        checked = Checked()
        if user_input is not None:
            token = user_input[CONF_API_TOKEN].strip()
            user_key = user_input[CONF_USER_KEY].strip()
            check_shape(checked, CONF_API_TOKEN, token)
            check_shape(checked, CONF_USER_KEY, user_key)
            if not checked.errors:
                # Refused before Pushover is asked.
                self._async_abort_entries_match({CONF_API_TOKEN: token})
                result = await async_validate_key(
                    create_client(self.hass, token), user_key
                )
                if isinstance(result, UserInfo):
                    return await self._async_accepted(
                        token,
                        user_key,
                        result,
                        await async_suggested_name(self.hass, result),
                    )
                add_refusal(checked, result, token=_TOKEN_ERRORS, user_key=_KEY_ERRORS)
        return self.async_show_form(
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, user_input
            ),
            errors=checked.errors,
            description_placeholders=checked.placeholders,
        )

    async def async_step_import_builtin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Bring a built-in entry's token, key and name over."""
        entries = movable_builtin_entries(self.hass)
        checked = Checked()
        if user_input is not None:
            chosen = next(
                (
                    entry
                    for entry in entries
                    if entry.entry_id == user_input[CONF_BUILTIN_ENTRY]
                ),
                None,
            )
            if chosen is None:
                # Moved over (or removed) by another flow meanwhile.
                return self.async_abort(reason="builtin_entry_gone")
            token = chosen.data[CONF_API_KEY]
            result = await async_validate_key(
                create_client(self.hass, token), chosen.data[CONF_USER_KEY]
            )
            if isinstance(result, UserInfo):
                return await self._async_accepted(
                    token, chosen.data[CONF_USER_KEY], result, chosen.data[CONF_NAME]
                )
            add_refusal(
                checked,
                result,
                token=(CONF_BUILTIN_ENTRY, "builtin_token_refused"),
                user_key=(CONF_BUILTIN_ENTRY, "builtin_user_key_refused"),
            )
        if not entries:
            return self.async_abort(reason="builtin_entry_gone")
        schema = probatio.Schema(
            {
                probatio.Required(CONF_BUILTIN_ENTRY): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=entry.entry_id, label=entry.title)
                            for entry in entries
                        ],
                        mode=SelectSelectorMode.LIST,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="import_builtin",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_BUILTIN_ENTRY: entries[0].entry_id}
            ),
            errors=checked.errors,
        )

    async def _async_accepted(
        self, token: str, user_key: str, info: UserInfo, name: str | None
    ) -> ConfigFlowResult:
        """Keep what Pushover accepted; ask who receives with the key."""
        await self.async_set_unique_id(token_unique_id(token), raise_on_progress=False)
        self._abort_if_unique_id_configured()
        self._token = token
        self._user_key = user_key
        self._devices = info.devices
        self._suggested_name = name
        if info.devices:
            return await self.async_step_recipient()
        return await self.async_step_recipient_no_devices()

    async def async_step_recipient(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the primary recipient, whose key reaches the devices listed."""
        return await self._async_step_name("recipient", user_input)

    async def async_step_recipient_no_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the primary recipient, whose key has no active device yet."""
        return await self._async_step_name("recipient_no_devices", user_input)

    async def _async_step_name(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        checked = Checked()
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            check_name(checked, self.hass, name)
            if not checked.errors:
                return self.async_create_entry(
                    title=entry_title(self.hass, name),
                    data={
                        CONF_NAME: name,
                        CONF_API_TOKEN: self._token,
                        CONF_USER_KEY: self._user_key,
                        CONF_SERVICE_NAME: slugify(name),
                    },
                )
        suggested = user_input or (
            {CONF_NAME: self._suggested_name} if self._suggested_name else {}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(NAME_SCHEMA, suggested),
            errors=checked.errors,
            description_placeholders={
                "devices": ", ".join(self._devices),
                **checked.placeholders,
            },
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start reauthentication when Pushover refuses the token (or the secret)."""
        if is_inbox(self._get_reauth_entry()):
            return await self.async_step_inbox_relogin()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new application token."""
        entry = self._get_reauth_entry()
        checked = Checked()
        if user_input is not None:
            token = user_input[CONF_API_TOKEN].strip()
            check_shape(checked, CONF_API_TOKEN, token)
            if not checked.errors:
                # The form has no key field: a refused key is said above it.
                await self._async_check_replacement(
                    checked,
                    entry,
                    token,
                    entry.data[CONF_USER_KEY],
                    key_errors=("base", "primary_key_refused"),
                )
            if not checked.errors:
                return self._update_and_abort(
                    entry,
                    reason="reauth_successful",
                    unique_id=token_unique_id(token),
                    data_updates={CONF_API_TOKEN: token},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(REAUTH_SCHEMA, user_input),
            description_placeholders={"name": entry.title, **checked.placeholders},
            errors=checked.errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the primary recipient's name, the token or the primary key.

        The token is asked for only to replace it, and Pushover only when the
        token or the key changes. A new name keeps the legacy action. An
        inbox is reconfigured by a new login.
        """
        entry = self._get_reconfigure_entry()
        if is_inbox(entry):
            return await self.async_step_inbox_relogin()
        checked = Checked()
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            typed_token = user_input.get(CONF_API_TOKEN, "").strip()
            token = typed_token or entry.data[CONF_API_TOKEN]
            user_key = user_input[CONF_USER_KEY].strip()
            if not name:
                checked.add(CONF_NAME, "name_empty")
            if typed_token:
                check_shape(checked, CONF_API_TOKEN, typed_token)
            check_shape(checked, CONF_USER_KEY, user_key)
            changed = (token, user_key) != (
                entry.data[CONF_API_TOKEN],
                entry.data[CONF_USER_KEY],
            )
            if not checked.errors and changed:
                await self._async_check_replacement(checked, entry, token, user_key)
            if not checked.errors:
                return self._update_and_abort(
                    entry,
                    reason="reconfigure_successful",
                    unique_id=token_unique_id(token),
                    data={
                        **entry.data,
                        CONF_NAME: name,
                        CONF_API_TOKEN: token,
                        CONF_USER_KEY: user_key,
                    },
                    **_options_for_key(entry, user_key),
                )
        suggested = user_input or {
            CONF_NAME: entry.data[CONF_NAME],
            CONF_USER_KEY: entry.data[CONF_USER_KEY],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, suggested
            ),
            description_placeholders=checked.placeholders,
            errors=checked.errors,
        )

    def _update_and_abort(
        self, entry: PushoverConfigEntry, reason: str, **changes: Any
    ) -> ConfigFlowResult:
        """Update the entry; set it up again if it is not loaded or unchanged.

        A loaded entry reloads through its update listener, but an entry whose
        setup failed has none and would stay failed until a restart. Nor is the
        listener called when nothing changed (the same token given again to
        reauth), and the outbox would stay paused for reauth until a restart.
        The listener stays (rather than async_update_reload_and_abort): adding
        or removing a recipient reloads the entry only through it.
        """
        loaded = entry.state is ConfigEntryState.LOADED
        before = (entry.title, entry.unique_id, dict(entry.data))
        # Our own reason: without one the frontend shows its generic text.
        result = self.async_update_and_abort(entry, reason=reason, **changes)
        if not loaded or before == (entry.title, entry.unique_id, dict(entry.data)):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    async def _async_check_replacement(
        self,
        checked: Checked,
        entry: PushoverConfigEntry,
        token: str,
        user_key: str,
        *,
        key_errors: tuple[str, str] = _KEY_ERRORS,
    ) -> None:
        """Check new credentials.

        Refuse a token another entry already has, and a primary key that is
        already one of the entry's other recipients.
        """
        unique_id = token_unique_id(token)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                checked.add(CONF_API_TOKEN, "token_in_use")
                return
        if any(
            recipient.user_key == user_key
            for recipient in recipients_of(entry)
            if recipient.subentry_id is not None
        ):
            checked.add(CONF_USER_KEY, "user_key_in_use")
            return
        result = await async_validate_key(create_client(self.hass, token), user_key)
        if isinstance(result, Refusal):
            add_refusal(checked, result, token=_TOKEN_ERRORS, user_key=key_errors)


def _options_for_key(entry: PushoverConfigEntry, user_key: str) -> dict[str, Any]:
    """Forget the encryption key when the primary key changes.

    The key is the old account's: messages encrypted with it would reach
    the new account's devices as text they cannot decrypt.
    """
    if (
        user_key == entry.data[CONF_USER_KEY]
        or CONF_ENCRYPTION_KEY not in entry.options
    ):
        return {}
    options = dict(entry.options)
    del options[CONF_ENCRYPTION_KEY]
    return {"options": options}
