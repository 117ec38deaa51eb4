"""The one ladder from the client's errors to Home Assistant's, step by step."""

from datetime import UTC, datetime

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import homeassistant.util.dt as dt_util
import pytest

from custom_components.pushover_plus.api import (
    PushoverAuthenticationError,
    PushoverError,
    PushoverInvalidRequestError,
    PushoverQuotaExceededError,
    PushoverTemporaryError,
)
from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.errors import (
    Phase,
    Refusal,
    refusal_of,
    reset_text,
    setup_failure,
    translated,
)

RESET = datetime(2027, 1, 1, 6, tzinfo=UTC)
AUTH = PushoverAuthenticationError("token is invalid")
DOWN = PushoverTemporaryError("Pushover answered 503")
USED_UP = PushoverQuotaExceededError(RESET)
REFUSED = PushoverInvalidRequestError(
    ["user key is invalid"], {"user": "invalid"}, request_id="req-1"
)


def test_setup_reauthenticates_stops_or_loads() -> None:
    """A refused token asks for it again; a refused primary key stops; else load."""
    auth = setup_failure(PushoverAuthenticationError("token is invalid"))
    refused = setup_failure(REFUSED)

    assert isinstance(auth, ConfigEntryAuthFailed)
    assert auth.translation_key == "authentication_failed"
    assert isinstance(refused, ConfigEntryError)
    assert refused.translation_key == "primary_key_refused"
    assert refused.translation_placeholders == {"errors": "user key is invalid"}
    assert setup_failure(PushoverTemporaryError("Pushover answered 503")) is None


@pytest.mark.parametrize(
    ("err", "phase", "kind", "key"),
    [
        (AUTH, "limits", ConfigEntryAuthFailed, "authentication_failed"),
        (AUTH, "send", HomeAssistantError, "authentication_failed"),
        (AUTH, "receipt", HomeAssistantError, "authentication_failed"),
        (DOWN, "limits", UpdateFailed, "limits_update_failed"),
        (REFUSED, "limits", UpdateFailed, "limits_update_failed"),
        (REFUSED, "send", ServiceValidationError, "send_rejected"),
        (USED_UP, "send", HomeAssistantError, "quota_exceeded"),
        (DOWN, "send", HomeAssistantError, "send_failed"),
        (REFUSED, "receipt", HomeAssistantError, "receipt_action_failed"),
        (DOWN, "receipt", HomeAssistantError, "receipt_action_failed"),
    ],
)  # fmt: skip
def test_each_failure_has_one_translated_error(
    err: PushoverError, phase: Phase, kind: type[HomeAssistantError], key: str
) -> None:
    """Every client error at every phase becomes exactly one translated error."""
    raised = translated(err, phase)

    assert type(raised) is kind
    assert raised.translation_domain == DOMAIN
    assert raised.translation_key == key


def test_a_refused_send_names_pushovers_reasons_and_request() -> None:
    """The caller reads what Pushover said and the id its support asks for."""
    raised = translated(REFUSED, "send")

    assert raised.translation_placeholders == {
        "errors": "user key is invalid",
        "request_id": "req-1",
    }
    without_id = translated(PushoverInvalidRequestError(["bad"], {}), "send")
    assert without_id.translation_placeholders == {"errors": "bad", "request_id": "-"}


def test_a_used_up_quota_says_until_when() -> None:
    """The reset time is in the message, or a dash when Pushover gave none."""
    known = translated(PushoverQuotaExceededError(RESET), "send")
    unknown = translated(PushoverQuotaExceededError(None), "send")

    assert known.translation_placeholders == {"reset": reset_text(RESET)}
    assert unknown.translation_placeholders == {"reset": "-"}


@pytest.mark.parametrize(
    ("zone", "reset", "text"),
    [
        ("UTC", RESET, "2027-01-01 06:00 UTC (UTC+00:00)"),
        ("Europe/Berlin", RESET, "2027-01-01 07:00 Europe/Berlin (UTC+01:00)"),
        (
            "Europe/Berlin",
            datetime(2027, 7, 1, 6, tzinfo=UTC),
            "2027-07-01 08:00 Europe/Berlin (UTC+02:00)",
        ),
        ("America/Sao_Paulo", RESET, "2027-01-01 03:00 America/Sao_Paulo (UTC-03:00)"),
    ],
)
def test_the_reset_is_local_time_that_names_its_zone(
    zone: str, reset: datetime, text: str
) -> None:
    """Home Assistant's zone, by name and offset: no reader can take it for theirs."""
    time_zone = dt_util.get_time_zone(zone)
    assert time_zone is not None
    dt_util.set_default_time_zone(time_zone)
    try:
        shown = reset_text(reset)
    finally:
        dt_util.set_default_time_zone(UTC)

    assert shown == text


@pytest.mark.parametrize(
    ("err", "refusal"),
    [
        (PushoverAuthenticationError("x"), Refusal.APPLICATION),
        (REFUSED, Refusal.USER_KEY),
        (PushoverTemporaryError("x"), Refusal.CANNOT_CONNECT),
        (PushoverQuotaExceededError(RESET), Refusal.CANNOT_CONNECT),
        (ValueError("bug"), Refusal.UNKNOWN),
    ],
)
def test_a_form_says_why_a_key_was_not_accepted(
    err: Exception, refusal: Refusal
) -> None:
    """The form's error key follows the client's error."""
    assert refusal_of(err) is refusal
