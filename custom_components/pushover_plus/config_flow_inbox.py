"""The inbox's steps of the config flow, its new login, and its options.

Adding an inbox: the account's e-mail and password (users/login.json); a
second step asks for the two-factor code when Pushover answers 412; then the
name of the device the inbox becomes (devices.json, os "O"). A name Pushover
refuses ("has already been taken") is an error on that field, which then
offers another name. The entry keeps the user key, the session secret and the
device id, never the password: it lives in the flow only until Pushover
answers. An account without a Desktop licence is told, with the link, that
the device receives for its trial only.

Reauthentication (the secret stopped working) and reconfiguration are a new
login for the same device: the account must be the same, and the device
must still be one of its devices.
"""

from typing import TYPE_CHECKING, Any, Final, Literal

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.helpers.importlib import async_import_module
from homeassistant.helpers.selector import (
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
    NAME_TAKEN,
    LicenceRequiredError,
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    TwoFactorRequiredError,
)
from .config_flow_checks import Checked
from .const import (
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_KIND,
    CONF_IGNORED_APPS,
    CONF_SECRET,
    CONF_USER_KEY,
    DEFAULT_INBOX_DEVICE_NAME,
    DESKTOP_LICENSING_URL,
    DEVICE_NAME_PATTERN,
    DOMAIN,
    ENTRY_KIND_INBOX,
    INBOX_TITLE,
    MAX_DEVICE_NAME_LENGTH,
)
from .data import InboxConfigEntry, inbox_unique_id

if TYPE_CHECKING:
    from .inbox_api import InboxClient, Login

CONF_TWOFA: Final = "twofa"
TWOFA_DIGITS: Final = 6
# What a login answers when Pushover wants the two-factor code first.
type LoginOutcome = Login | Literal["twofa"] | None

LOGIN_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_EMAIL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
        ),
        probatio.Required(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(
                type=TextSelectorType.PASSWORD, autocomplete="current-password"
            )
        ),
    }
)
TWOFA_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_TWOFA): TextSelector(
            TextSelectorConfig(autocomplete="one-time-code")
        )
    }
)
DEVICE_SCHEMA: Final = probatio.Schema(
    {probatio.Required(CONF_DEVICE_NAME): TextSelector()}
)


class InboxConfigFlow(ConfigFlow):
    """The steps that add an inbox, and log an inbox in again."""

    _email = ""
    # Held only between the login form and the two-factor code.
    _password: str | None = None
    _login: Login | None = None
    _device_id = ""
    _device_name = ""
    _tried_names: frozenset[str] = frozenset()

    async def async_step_inbox(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Pushover account's e-mail and password."""
        return await self._async_login_form("inbox", user_input)

    async def async_step_inbox_relogin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Log an inbox in again: its secret stopped working, or the user asks."""
        return await self._async_login_form("inbox_relogin", user_input)

    async def async_step_inbox_twofa(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the two-factor code the account's authenticator shows."""
        checked = Checked()
        if user_input is not None and self._password is not None:
            code = "".join(user_input[CONF_TWOFA].split())
            if not (code.isdecimal() and len(code) == TWOFA_DIGITS):
                checked.add(CONF_TWOFA, "twofa_malformed", digits=str(TWOFA_DIGITS))
            else:
                login = await self._async_log_in(checked, CONF_TWOFA, code)
                if login is not None and login != "twofa":
                    return await self._async_logged_in(login)
        return self.async_show_form(
            step_id="inbox_twofa",
            data_schema=TWOFA_SCHEMA,
            errors=checked.errors,
            description_placeholders={"email": self._email, **checked.placeholders},
        )

    async def async_step_inbox_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the device the inbox becomes on the account; register it."""
        checked = Checked()
        suggestion = DEFAULT_INBOX_DEVICE_NAME
        if user_input is not None and self._login is not None:
            name = user_input[CONF_DEVICE_NAME].strip()
            suggestion = name
            if not DEVICE_NAME_PATTERN.fullmatch(name):
                checked.add(
                    CONF_DEVICE_NAME,
                    "device_name_malformed",
                    limit=str(MAX_DEVICE_NAME_LENGTH),
                )
            else:
                device_id = await self._async_register(checked, self._login, name)
                if device_id is not None:
                    return await self._async_registered(self._login, name, device_id)
                if checked.errors.get(CONF_DEVICE_NAME) == "device_name_taken":
                    suggestion = checked.placeholders["suggestion"]
        return self.async_show_form(
            step_id="inbox_device",
            data_schema=self.add_suggested_values_to_schema(
                DEVICE_SCHEMA, {CONF_DEVICE_NAME: suggestion}
            ),
            errors=checked.errors,
            description_placeholders=checked.placeholders,
        )

    async def async_step_inbox_trial(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say that the account has no Desktop licence; add the inbox anyway."""
        if user_input is not None and self._login is not None:
            return self._async_create_inbox(self._login)
        return self.async_show_form(
            step_id="inbox_trial",
            data_schema=probatio.Schema({}),
            description_placeholders={
                "device": self._device_name,
                "licensing_url": DESKTOP_LICENSING_URL,
            },
        )

    async def _async_client(self) -> InboxClient:
        """Return an inbox's client; the receiving side loads at the first call.

        In the executor: an installation that never adds an inbox never
        imports it (`inbox_setup.py`).
        """
        await async_import_module(self.hass, f"{__package__}.inbox_setup")
        from .inbox_setup import create_inbox_client  # noqa: PLC0415 - loaded above

        return create_inbox_client(self.hass)

    async def _async_login_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        checked = Checked()
        if user_input is not None:
            self._email = user_input[CONF_EMAIL].strip()
            self._password = user_input[CONF_PASSWORD]
            login = await self._async_log_in(checked, CONF_PASSWORD, None)
            if login == "twofa":
                return await self.async_step_inbox_twofa()
            if login is not None:
                return await self._async_logged_in(login)
        return self._login_form(step_id, checked)

    def _login_form(self, step_id: str, checked: Checked) -> ConfigFlowResult:
        """Show the login form with the e-mail typed (never the password)."""
        placeholders = {**checked.placeholders}
        if step_id == "inbox_relogin":
            placeholders["name"] = self._relogin_entry().title
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                LOGIN_SCHEMA, {CONF_EMAIL: self._email}
            ),
            errors=checked.errors,
            description_placeholders=placeholders,
        )

    async def _async_log_in(
        self, checked: Checked, field: str, twofa: str | None
    ) -> LoginOutcome:
        """Log in: the login, "twofa" to ask for the code, or None (see `checked`).

        The password is forgotten as soon as Pushover accepts or refuses it;
        only a request for the two-factor code keeps it for the next step.
        """
        password = self._password or ""
        client = await self._async_client()
        try:
            login = await client.login(self._email, password, twofa)
        except TwoFactorRequiredError as err:
            if not err.code_refused:
                return "twofa"
            checked.add(CONF_TWOFA, "twofa_refused")
            return None
        except PushoverInvalidRequestError:
            self._password = None
            checked.add(field, "login_refused")
            return None
        except PushoverError:
            checked.add("base", "cannot_connect")
            return None
        self._password = None
        return login

    async def _async_logged_in(self, login: Login) -> ConfigFlowResult:
        """Go on after a login: name the new device, or keep the inbox's own.

        A new login for an inbox that fails its checks shows the login form
        again, with why: the password is gone by then.
        """
        if self.source not in {SOURCE_REAUTH, SOURCE_RECONFIGURE}:
            self._login = login
            return await self.async_step_inbox_device()
        entry = self._relogin_entry()
        checked = Checked()
        if login.user_key != entry.data[CONF_USER_KEY]:
            checked.add(CONF_EMAIL, "login_other_account", name=entry.title)
        elif await self._async_check_device(checked, login, entry.data[CONF_DEVICE_ID]):
            return self._async_relogged_in(entry, login)
        return self._login_form("inbox_relogin", checked)

    def _relogin_entry(self) -> InboxConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    def _async_relogged_in(
        self, entry: InboxConfigEntry, login: Login
    ) -> ConfigFlowResult:
        """Keep the new secret; set the inbox up again with it.

        A loaded entry reloads through its update listener; one whose setup
        failed (its secret was refused) has none and is reloaded here.
        """
        loaded = entry.state is ConfigEntryState.LOADED
        result = self.async_update_and_abort(
            entry,
            data_updates={CONF_SECRET: login.secret},
            reason="inbox_relogin_successful",
        )
        if not loaded:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    async def _async_register(
        self, checked: Checked, login: Login, name: str
    ) -> str | None:
        """Register the device; None with the reason in `checked`."""
        client = await self._async_client()
        try:
            return await client.register_device(login.secret, name)
        except PushoverInvalidRequestError as err:
            # Pushover's field is "name": {"errors": {"name": [...]}}.
            if "name" not in err.fields:
                checked.add("base", "device_refused", errors="; ".join(err.errors))
            elif NAME_TAKEN in err.fields["name"]:
                self._tried_names |= {name}
                checked.add(
                    CONF_DEVICE_NAME,
                    "device_name_taken",
                    name=name,
                    suggestion=free_name(name, self._tried_names),
                )
            else:
                checked.add(
                    CONF_DEVICE_NAME, "device_name_refused", reason=err.fields["name"]
                )
        except PushoverAuthenticationError:
            checked.add("base", "login_expired")
        except PushoverError:
            checked.add("base", "cannot_connect")
        return None

    async def _async_registered(
        self, login: Login, name: str, device_id: str
    ) -> ConfigFlowResult:
        """Check the new device's licence; add the inbox, or say why not yet."""
        # A new device: no other entry can have it.
        await self.async_set_unique_id(
            inbox_unique_id(device_id), raise_on_progress=False
        )
        self._device_id = device_id
        self._device_name = name
        client = await self._async_client()
        try:
            download = await client.download(login.secret, device_id)
        except LicenceRequiredError:
            return self.async_abort(
                reason="desktop_licence_required",
                description_placeholders={
                    "device": name,
                    "licensing_url": DESKTOP_LICENSING_URL,
                },
            )
        except PushoverError:
            # Registered: the entry's setup asks again, and retries.
            return self._async_create_inbox(login)
        if not download.desktop_licensed:
            return await self.async_step_inbox_trial()
        return self._async_create_inbox(login)

    async def _async_check_device(
        self, checked: Checked, login: Login, device_id: str
    ) -> bool:
        """Check that the inbox's device works with a new login's secret."""
        client = await self._async_client()
        try:
            await client.download(login.secret, device_id)
        except LicenceRequiredError:
            checked.add(
                "base", "desktop_licence_required", licensing_url=DESKTOP_LICENSING_URL
            )
        except PushoverInvalidRequestError:
            checked.add("base", "device_gone")
        except PushoverError:
            checked.add("base", "cannot_connect")
        else:
            return True
        return False

    def _async_create_inbox(self, login: Login) -> ConfigFlowResult:
        titles = {
            entry.title for entry in self.hass.config_entries.async_entries(DOMAIN)
        }
        title = INBOX_TITLE
        if title in titles:
            title = f"{INBOX_TITLE} ({self._device_name})"
        return self.async_create_entry(
            title=title,
            data={
                CONF_ENTRY_KIND: ENTRY_KIND_INBOX,
                CONF_USER_KEY: login.user_key,
                CONF_SECRET: login.secret,
                CONF_DEVICE_ID: self._device_id,
                CONF_DEVICE_NAME: self._device_name,
            },
        )


def free_name(name: str, taken: frozenset[str]) -> str:
    """Offer a device name like `name` that this flow has not seen refused.

    Pushover's API does not list an account's device names to a login, so
    the offer is the first of name-2, name-3, … not tried yet, cut to fit.
    """
    number = 2
    while True:
        ending = f"-{number}"
        candidate = name[: MAX_DEVICE_NAME_LENGTH - len(ending)] + ending
        if candidate not in taken:
            return candidate
        number += 1


class InboxOptionsFlow(OptionsFlow):
    """The loop guard: apps whose messages the inbox does not deliver."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Go to the inbox's own form (the application's options are `init`)."""
        return await self.async_step_ignored_apps(user_input)

    async def async_step_ignored_apps(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the apps seen lately; any other name or app id may be typed."""
        entry: InboxConfigEntry = self.config_entry
        if user_input is not None:
            ignored = _cleaned(user_input.get(CONF_IGNORED_APPS, []))
            return self.async_create_entry(data={CONF_IGNORED_APPS: ignored})
        seen = (
            entry.runtime_data.sync.state.seen_apps
            if entry.state is ConfigEntryState.LOADED
            else []
        )
        options = [
            SelectOptionDict(value=str(app.aid), label=f"{app.name} ({app.aid})")
            for app in seen
        ]
        offered = {option["value"] for option in options}
        stored: list[str] = list(entry.options.get(CONF_IGNORED_APPS, []))
        options += [
            SelectOptionDict(value=value, label=value)
            for value in stored
            if value not in offered
        ]
        schema = probatio.Schema(
            {
                probatio.Optional(CONF_IGNORED_APPS): SelectSelector(
                    SelectSelectorConfig(
                        options=options,
                        multiple=True,
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="ignored_apps",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_IGNORED_APPS: stored}
            ),
        )


def _cleaned(values: list[str]) -> list[str]:
    """Strip typed names, dropping blanks and repeats, in the order given."""
    cleaned: list[str] = []
    for value in values:
        text = value.strip()
        if text and text not in cleaned:
            cleaned.append(text)
    return cleaned
