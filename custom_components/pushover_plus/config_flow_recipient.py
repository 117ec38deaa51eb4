"""The recipient flow: a further user or group key of an application.

Adding starts with a choice: enter the key, or invite someone by link (the
invitation's steps are in `config_flow_invite.py`). With a key: the name and
the key, checked with Pushover; for a delivery group, the URL of its
group-based subscription, if it has one, shown to be shared; then the key's
default devices, picked from those Pushover lists for it. A key without an
active device skips the picker and is added all the same. A reconfigure may
go on to the recipient's bound glance (`config_flow_glance.py`).
"""

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.helpers.selector import (
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
from .choices import async_note_devices
from .config_flow_checks import (
    Checked,
    add_refusal,
    async_validate_key,
    check_encryption_key,
    check_name,
    check_shape,
)
from .config_flow_glance import (
    CONF_EDIT_GLANCE,
    EDIT_GLANCE_FIELD,
    check_glance,
    glance_schema,
    offered_devices,
)
from .config_flow_invite import (
    SUBSCRIPTION_URL_SELECTOR,
    InviteSteps,
    link_placeholder,
    share_schema,
)
from .const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_GLANCE,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_SUBSCRIPTION_URL,
    CONF_USER_KEY,
)
from .data import PushoverConfigEntry
from .recipients import recipients_of
from .subscriptions import subscription_url

_TEXT = TextSelector()
# Shown as dots, as the token is: a secret as much as the token.
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
KEY_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): _TEXT,
        probatio.Required(CONF_USER_KEY): _TEXT,
        probatio.Optional(CONF_ENCRYPTION_KEY): _PASSWORD,
    }
)
RECONFIGURE_KEY_SCHEMA = KEY_SCHEMA.extend(EDIT_GLANCE_FIELD)
GROUP_SUBSCRIPTION_SCHEMA = probatio.Schema(
    {probatio.Optional(CONF_SUBSCRIPTION_URL): SUBSCRIPTION_URL_SELECTOR}
)


def devices_schema(devices: list[str]) -> probatio.Schema:
    """Offer the devices to pick from."""
    return probatio.Schema(
        {
            probatio.Optional(CONF_DEVICES): SelectSelector(
                SelectSelectorConfig(
                    options=devices, multiple=True, mode=SelectSelectorMode.LIST
                )
            )
        }
    )


def check_devices(checked: Checked, chosen: list[str], devices: list[str]) -> None:
    """Name the first chosen device the key does not have, and those it has.

    The picker offers a stored device the key no longer has, so that the
    form opens; it is refused here.
    """
    unknown = [name for name in chosen if name not in devices]
    if unknown:
        checked.add(
            CONF_DEVICES,
            "invalid_device",
            device=unknown[0],
            devices=", ".join(devices),
        )


class RecipientSubentryFlow(InviteSteps):
    """Adds or changes a further user or group key of an application."""

    def __init__(self) -> None:
        """Start with nothing accepted yet."""
        super().__init__()
        self._name = ""
        self._user_key = ""
        self._devices: list[str] = []
        self._encryption_key: str | None = None
        # A delivery group's group-based subscription, to be shared.
        self._subscription_url: str | None = None
        self._is_group: bool | None = None
        self._edit_glance = False
        self._chosen_devices: list[str] = []

    async def async_step_user(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> SubentryFlowResult:
        """Add a recipient: by its key, or by inviting someone with a link."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        return self.async_show_menu(step_id="user", menu_options=["key", "invite"])

    async def async_step_key(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient: its name and key."""
        return await self._async_step_key("key", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient: its name and key; its legacy action stays."""
        return await self._async_step_key("reconfigure", user_input)

    @property
    def _reconfiguring(self) -> bool:
        return self.source == SOURCE_RECONFIGURE

    async def _async_step_key(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry: PushoverConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        checked = Checked()
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            user_key = user_input[CONF_USER_KEY].strip()
            self._edit_glance = bool(user_input.get(CONF_EDIT_GLANCE))
            self._check_name_and_key(checked, entry, name, user_key)
            typed_key = user_input.get(CONF_ENCRYPTION_KEY, "")
            check_encryption_key(checked, typed_key)
            if not checked.errors:
                result = await async_validate_key(entry.runtime_data.client, user_key)
                if isinstance(result, UserInfo):
                    # A group's key is known only now: it takes no encryption key.
                    self._encryption_key = check_encryption_key(
                        checked, typed_key, is_group=result.is_group
                    )
                    if not checked.errors:
                        return await self._async_accepted(name, user_key, result)
                else:
                    # The form has no token field: a refused token is said above it.
                    add_refusal(
                        checked,
                        result,
                        token=("base", "invalid_api_token"),
                        user_key=(CONF_USER_KEY, "invalid_user_key"),
                    )
        suggested = user_input
        if suggested is None and self._reconfiguring:
            subentry = self._get_reconfigure_subentry()
            suggested = {
                CONF_NAME: subentry.title,
                CONF_USER_KEY: subentry.data[CONF_USER_KEY],
                CONF_ENCRYPTION_KEY: subentry.data.get(CONF_ENCRYPTION_KEY, ""),
            }
        schema = RECONFIGURE_KEY_SCHEMA if self._reconfiguring else KEY_SCHEMA
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=checked.errors,
            description_placeholders=checked.placeholders,
        )

    def _check_name_and_key(
        self, checked: Checked, entry: PushoverConfigEntry, name: str, user_key: str
    ) -> None:
        """Check what can be checked without Pushover.

        A new recipient's name must leave its legacy action free; a changed
        one keeps its action, so any name will do.
        """
        if self._reconfiguring:
            if not name:
                checked.add(CONF_NAME, "name_empty")
        else:
            check_name(checked, self.hass, name)
        check_shape(checked, CONF_USER_KEY, user_key)
        own_id = self._reconfigure_subentry_id if self._reconfiguring else None
        holder = next(
            (
                recipient
                for recipient in recipients_of(entry)
                if recipient.user_key == user_key and recipient.id != own_id
            ),
            None,
        )
        if holder is not None:
            checked.add(CONF_USER_KEY, "user_key_in_use", recipient=holder.name)

    async def _async_accepted(
        self, name: str, user_key: str, info: UserInfo
    ) -> SubentryFlowResult:
        self._name = name
        self._user_key = user_key
        self._devices = info.devices
        self._is_group = info.is_group
        # The send action's form offers them too, at no further request.
        async_note_devices(
            self.hass, self._get_entry().entry_id, user_key, info.devices
        )
        # Pushover lists no device for a group nobody has subscribed to yet,
        # as for a user who has not logged in anywhere: both are asked.
        if info.is_group or not info.devices:
            return await self.async_step_group_subscription()
        return await self._async_step_devices()

    async def _async_step_devices(self) -> SubentryFlowResult:
        if self._devices:
            return await self.async_step_devices()
        return await self.async_step_no_devices()

    async def async_step_group_subscription(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the URL of the group's group-based subscription, if it has one."""
        checked = Checked()
        if user_input is not None:
            text = user_input.get(CONF_SUBSCRIPTION_URL, "").strip()
            self._subscription_url = subscription_url(text) if text else None
            if not text:
                return await self._async_step_devices()
            if self._subscription_url is not None:
                return await self.async_step_share_subscription()
            checked.add(CONF_SUBSCRIPTION_URL, "subscription_url_invalid")
        stored = self._stored_subscription_url()
        return self.async_show_form(
            step_id="group_subscription",
            data_schema=self.add_suggested_values_to_schema(
                GROUP_SUBSCRIPTION_SCHEMA,
                user_input or {CONF_SUBSCRIPTION_URL: stored},
            ),
            errors=checked.errors,
            description_placeholders={"recipient": self._name},
        )

    async def async_step_share_subscription(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the group's subscription as a link and a QR code to share."""
        if user_input is not None:
            return await self._async_step_devices()
        link = self._subscription_url or ""
        return self.async_show_form(
            step_id="share_subscription",
            data_schema=share_schema(link),
            description_placeholders={
                "recipient": self._name,
                "link": link_placeholder(link),
            },
        )

    def _stored_subscription_url(self) -> str | None:
        """Return the changed recipient's subscription (none for a new one)."""
        if not self._reconfiguring:
            return None
        stored: str | None = self._get_reconfigure_subentry().data.get(
            CONF_SUBSCRIPTION_URL
        )
        return stored

    async def async_step_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick the devices that get this recipient's messages by default."""
        stored = self._stored_devices()
        checked = Checked()
        if user_input is not None:
            chosen = user_input.get(CONF_DEVICES, [])
            check_devices(checked, chosen, self._devices)
            if not checked.errors:
                return await self._async_devices_chosen(chosen)
        offered = self._devices + [name for name in stored if name not in self._devices]
        suggested = user_input or {CONF_DEVICES: stored}
        return self.async_show_form(
            step_id="devices",
            data_schema=self.add_suggested_values_to_schema(
                devices_schema(offered), suggested
            ),
            errors=checked.errors,
            description_placeholders={
                "recipient": self._name,
                "devices": ", ".join(self._devices),
                **checked.placeholders,
            },
        )

    async def async_step_no_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Say that the key has no active device yet; add it when confirmed."""
        if user_input is not None:
            return await self._async_devices_chosen([])
        return self.async_show_form(
            step_id="no_devices",
            data_schema=probatio.Schema({}),
            description_placeholders={"recipient": self._name},
        )

    def _stored_devices(self) -> list[str]:
        """Return the changed recipient's devices (none for a new one)."""
        if not self._reconfiguring:
            return []
        devices: list[str] = self._get_reconfigure_subentry().data.get(CONF_DEVICES, [])
        return devices

    async def _async_devices_chosen(self, devices: list[str]) -> SubentryFlowResult:
        if self._edit_glance:
            self._chosen_devices = devices
            return await self.async_step_glance()
        return self._async_finish(devices)

    async def async_step_glance(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Bind the recipient's glance to entities or templates."""
        stored = self._get_reconfigure_subentry().data.get(CONF_GLANCE) or {}
        checked = Checked()
        if user_input is not None:
            glance = check_glance(checked, user_input, self._devices)
            if not checked.errors:
                return self._async_finish(self._chosen_devices, glance)
        return self.async_show_form(
            step_id="glance",
            data_schema=self.add_suggested_values_to_schema(
                glance_schema(offered_devices(self._devices, stored)),
                user_input or stored,
            ),
            errors=checked.errors,
            description_placeholders={"recipient": self._name, **checked.placeholders},
        )

    def _async_finish(
        self, devices: list[str], glance: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        updates: dict[str, Any] = {CONF_USER_KEY: self._user_key, CONF_DEVICES: devices}
        # Unknown for a key without devices: the entry's setup asks again.
        if self._is_group is not None:
            updates[CONF_IS_GROUP] = self._is_group
        if self._encryption_key is not None:
            updates[CONF_ENCRYPTION_KEY] = self._encryption_key
        if self._subscription_url is not None:
            updates[CONF_SUBSCRIPTION_URL] = self._subscription_url
        if not self._reconfiguring:
            data = {**updates, CONF_SERVICE_NAME: slugify(self._name)}
            return self.async_create_entry(title=self._name, data=data)
        subentry = self._get_reconfigure_subentry()
        # What the flow does not change (its legacy action, its glance) stays;
        # what it left empty (a subscription, an encryption key) is gone.
        data = {**subentry.data, **updates}
        for key, value in (
            (CONF_SUBSCRIPTION_URL, self._subscription_url),
            (CONF_IS_GROUP, self._is_group),
            (CONF_ENCRYPTION_KEY, self._encryption_key),
        ):
            if value is None:
                data.pop(key, None)
        if glance is not None:
            data[CONF_GLANCE] = glance
        return self.async_update_and_abort(
            self._get_entry(),
            subentry,
            title=self._name,
            data=data,
            reason="reconfigure_successful",
        )
