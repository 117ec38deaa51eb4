"""The one ladder from the Pushover client's errors to Home Assistant's.

Every place that asks Pushover something turns a failure into what Home
Assistant shows here, and only here, translated:

- at setup, a refused token starts reauthentication and a refused primary key
  stops the entry, while a Pushover that cannot be reached lets it load (so
  that the outbox takes messages from the first minute after a restart);
- the limits poll turns a refused token into reauthentication, anything else
  into a failed update;
- a send refused by Pushover is the caller's mistake; a used-up quota says
  until when;
- the receipt actions say what Pushover answered;
- a form shows why a key was not accepted.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import homeassistant.util.dt as dt_util

from .api import (
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
)
from .const import DOMAIN

# Where a failure happened, after the entry's setup.
type Phase = Literal["limits", "send", "receipt"]


class Refusal(StrEnum):
    """Why a form's key was not accepted; the form's error key."""

    APPLICATION = "application"
    USER_KEY = "user_key"
    CANNOT_CONNECT = "cannot_connect"
    UNKNOWN = "unknown"


def setup_failure(err: PushoverError) -> HomeAssistantError | None:
    """Return what the entry's setup raises for `err`, or None to load anyway."""
    match err:
        case PushoverAuthenticationError():
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            )
        case PushoverInvalidRequestError():
            return ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="primary_key_refused",
                translation_placeholders={"errors": "; ".join(err.errors)},
            )
        case _:
            return None


def translated(err: PushoverError, phase: Phase) -> HomeAssistantError:
    """Return what Home Assistant raises for `err` at `phase`."""
    match err, phase:
        case PushoverAuthenticationError(), "limits":
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            )
        case PushoverAuthenticationError(), _:
            return HomeAssistantError(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            )
        case _, "limits":
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="limits_update_failed",
                translation_placeholders={"error": str(err)},
            )
        case PushoverInvalidRequestError(), "send":
            return ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="send_rejected",
                translation_placeholders={
                    "errors": "; ".join(err.errors),
                    "request_id": err.request_id or "-",
                },
            )
        case PushoverQuotaExceededError(), "send":
            return quota_exceeded(err.reset)
        case _:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="receipt_action_failed"
                if phase == "receipt"
                else "send_failed",
                translation_placeholders={"error": str(err)},
            )


def quota_exceeded(reset: datetime | None) -> HomeAssistantError:
    """Return the error of a used-up monthly quota, saying until when."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="quota_exceeded",
        translation_placeholders={"reset": reset_text(reset) if reset else "-"},
    )


def reset_text(reset: datetime) -> str:
    """Render the quota's reset in Home Assistant's time zone, naming the zone.

    The notice and the error say the same moment the same way; the zone and
    its offset keep it unambiguous for a reader elsewhere, or in the hour a
    clock change repeats.
    """
    local = dt_util.as_local(reset)
    return f"{local:%Y-%m-%d %H:%M} {local.tzinfo} (UTC{local:%:z})"


def refusal_of(err: Exception) -> Refusal:
    """Return why a form's key was not accepted."""
    match err:
        case PushoverAuthenticationError():
            return Refusal.APPLICATION
        case PushoverInvalidRequestError():
            return Refusal.USER_KEY
        case PushoverError():
            return Refusal.CANNOT_CONNECT
        case _:
            return Refusal.UNKNOWN
