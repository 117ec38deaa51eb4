"""The recipient flow's invitation: a link instead of someone's key.

"Invite by link" asks for the recipient's name and the application's
web-based subscription, opens an invitation and shows its link, as text and
as a QR code (Home Assistant's frontend draws it: no library is needed).
The flow ends there; the recipient is added later, by the invitation's page
(`invitation_view.py`), when the person subscribes at Pushover.
"""

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers.importlib import async_import_module
from homeassistant.helpers.selector import (
    QrCodeSelector,
    QrCodeSelectorConfig,
    QrErrorCorrectionLevel,
    TextSelector,
)
import probatio

from .config_flow_checks import Checked, check_name
from .const import CONF_SUBSCRIPTION_URL, INVITATION_LIFETIME, MAX_OPEN_INVITATIONS
from .subscriptions import invitation_url, subscription_url

if TYPE_CHECKING:
    from .invitations import InvitationBook

QR_CODE = "qr_code"
# Plain text, not a URL field: the subscription's code alone will do too.
SUBSCRIPTION_URL_SELECTOR = TextSelector()
INVITE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_SUBSCRIPTION_URL): SUBSCRIPTION_URL_SELECTOR,
    }
)


def share_schema(link: str) -> probatio.Schema:
    """Show a link as a QR code, to be scanned with a phone's camera."""
    return probatio.Schema(
        {
            probatio.Optional(QR_CODE): QrCodeSelector(
                QrCodeSelectorConfig(
                    data=link,
                    scale=5,
                    error_correction_level=QrErrorCorrectionLevel.MEDIUM,
                )
            )
        }
    )


def link_placeholder(link: str) -> str:
    """Write a link for a form's text: one to open, and its address to copy."""
    return f"[{link}]({link})"


class InviteSteps(ConfigSubentryFlow):
    """Invites someone by link: the invitation, then its link to share."""

    def __init__(self) -> None:
        """Start with no invitation made."""
        self._invited = ""
        self._invitation_link = ""
        self._invitation_expires = ""

    async def async_step_invite(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the recipient's name and the web-based subscription.

        The invitations load here, in the executor, for an entry that had
        none (`invitation_view.async_open_invitations`).
        """
        await async_import_module(self.hass, f"{__package__}.invitation_view")
        from .invitation_view import (  # noqa: PLC0415 - loaded just above
            async_open_invitations,
            external_base_url,
        )

        book = await async_open_invitations(self.hass, self._get_entry())
        checked = Checked()
        base_url = external_base_url(self.hass)
        if base_url is None:
            checked.add("base", "no_external_url")
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            check_name(checked, self.hass, name)
            if name and book.pending_for(name):
                checked.add(CONF_NAME, "invitation_pending")
            subscription = subscription_url(user_input[CONF_SUBSCRIPTION_URL])
            if subscription is None:
                checked.add(CONF_SUBSCRIPTION_URL, "subscription_url_invalid")
            if base_url and subscription and not checked.errors:
                await self._async_open(checked, book, name, subscription, base_url)
                if not checked.errors:
                    return await self.async_step_invite_link()
        suggested = user_input or {CONF_SUBSCRIPTION_URL: book.subscription_url}
        return self.async_show_form(
            step_id="invite",
            data_schema=self.add_suggested_values_to_schema(INVITE_SCHEMA, suggested),
            errors=checked.errors,
            description_placeholders={
                "hours": str(int(INVITATION_LIFETIME.total_seconds() // 3600)),
                **checked.placeholders,
            },
        )

    async def _async_open(
        self,
        checked: Checked,
        book: InvitationBook,
        name: str,
        subscription: str,
        base_url: str,
    ) -> None:
        """Open the invitation and build its link, or say why it cannot be."""
        # Loaded by the step that called this one.
        from .invitation_view import answer_urls  # noqa: PLC0415
        from .invitations import TooManyInvitationsError, format_moment  # noqa: PLC0415

        try:
            invitation_id, invitation = await book.async_create(name, subscription)
        except TooManyInvitationsError as err:
            checked.add(
                "base",
                "too_many_invitations",
                max=str(MAX_OPEN_INVITATIONS),
                first_expiry=format_moment(err.first_expiry),
            )
            return
        success, failure = answer_urls(base_url, invitation_id)
        self._invited = name
        self._invitation_link = invitation_url(
            subscription, success=success, failure=failure
        )
        self._invitation_expires = format_moment(invitation.expires_at)

    async def async_step_invite_link(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the invitation's link and its QR code; the flow ends after it."""
        placeholders = {
            "recipient": self._invited,
            "expires": self._invitation_expires,
        }
        if user_input is not None:
            return self.async_abort(
                reason="invitation_open", description_placeholders=placeholders
            )
        return self.async_show_form(
            step_id="invite_link",
            data_schema=share_schema(self._invitation_link),
            description_placeholders={
                "link": link_placeholder(self._invitation_link),
                **placeholders,
            },
        )
