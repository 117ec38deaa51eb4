"""The inbox's action: `pushover_plus.acknowledge`, registered in `async_setup`.

It acknowledges an emergency message that the inbox's account received, as
the inbox's device (receipts/{receipt}/acknowledge.json), so that an
automation can stop an alarm that someone dealt with in Home Assistant. The
sender's receipt then shows it acknowledged by that account and device.
"""

from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .api import (
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    ReceiptNotFoundError,
)
from .const import DOMAIN
from .data import InboxConfigEntry
from .message import check_receipt
from .services import ATTR_RECEIPT, entry_for_call

SERVICE_ACKNOWLEDGE: Final = "acknowledge"


def _receipt(value: Any) -> str:
    return check_receipt(cv.string(value))


# The receipt becomes part of a URL path: it is checked where it enters.
ACKNOWLEDGE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_RECEIPT): _receipt,
    }
)


@callback
def async_setup_inbox_services(hass: HomeAssistant) -> None:
    """Register the acknowledge action."""
    hass.services.async_register(
        DOMAIN, SERVICE_ACKNOWLEDGE, _async_acknowledge, schema=ACKNOWLEDGE_SCHEMA
    )


async def _async_acknowledge(call: ServiceCall) -> None:
    entry: InboxConfigEntry = entry_for_call(call, inbox=True)
    runtime = entry.runtime_data
    receipt: str = call.data[ATTR_RECEIPT]
    try:
        await runtime.client.acknowledge(runtime.credentials.secret, receipt)
    except PushoverError as err:
        raise _acknowledge_error(err, receipt) from err
    runtime.delivery.acknowledged(receipt)


def _acknowledge_error(err: PushoverError, receipt: str) -> HomeAssistantError:
    """Say why Pushover did not take the acknowledgement."""
    match err:
        case ReceiptNotFoundError():
            key, placeholders = "acknowledge_unknown_receipt", {"receipt": receipt}
        case PushoverInvalidRequestError() if "receipt" in err.fields:
            key, placeholders = "acknowledge_not_open", {"receipt": receipt}
        case PushoverAuthenticationError():
            return HomeAssistantError(
                translation_domain=DOMAIN, translation_key="acknowledge_session_refused"
            )
        case PushoverInvalidRequestError():
            key = "acknowledge_refused"
            placeholders = {"receipt": receipt, "errors": "; ".join(err.errors)}
        case _:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="acknowledge_failed",
                translation_placeholders={"error": str(err)},
            )
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
