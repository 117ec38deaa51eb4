"""Switchable faults: server errors, delays, dropped connections, bad JSON."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal

from .models import JsonObject

type FailBody = Literal["html", "empty"]


@dataclass(slots=True)
class Faults:
    """Faults applied to /1/ requests; counters count down as they fire.

    - fail_next: answer the next N requests with `fail_status` and an HTML
      or empty body (`fail_body`);
    - delay: sleep that many seconds before answering every request (after
      processing it when `delay_after_processing`, so a timed-out send was
      still delivered);
    - drop_next: send the status line, headers and part of the body, then
      close the connection (after processing when `drop_after_processing`);
    - malformed_next: answer 200 with a truncated JSON body;
    - rate_limit_next: answer 429 to the next N messages.json requests;
    - reject_token: treat every app token as invalid until switched off.
    """

    fail_next: int = 0
    fail_status: int = 503
    fail_body: FailBody = "html"
    delay: float = 0.0
    delay_after_processing: bool = False
    drop_next: int = 0
    drop_after_processing: bool = False
    malformed_next: int = 0
    rate_limit_next: int = 0
    reject_token: bool = False

    def take(self, counter: str) -> bool:
        """Use one shot of a `*_next` counter; tell whether it fired."""
        remaining = getattr(self, counter)
        if not isinstance(remaining, int) or isinstance(remaining, bool):
            msg = f"{counter} is not a fault counter"
            raise TypeError(msg)
        if remaining <= 0:
            return False
        setattr(self, counter, remaining - 1)
        return True

    def reset(self) -> None:
        """Switch every fault off."""
        for item in fields(self):
            setattr(self, item.name, item.default)

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a partial update (e.g. from JSON), all or nothing.

        Raises ValueError naming the first unknown or ill-typed setting.
        """
        checked = {name: _check_setting(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def to_json(self) -> JsonObject:
        """Describe the current settings."""
        return asdict(self)


def _check_setting(name: str, value: object) -> object:
    """Validate one fault setting and return it in its stored type."""
    match name, value:
        case (
            "fail_next" | "drop_next" | "malformed_next" | "rate_limit_next",
            int(n),
        ) if not isinstance(n, bool) and n >= 0:
            return n
        case ("fail_status", int(status)) if 500 <= status <= 599:  # noqa: PLR2004 - 5xx
            return status
        case ("fail_body", "html" | "empty"):
            return value
        case ("delay", int(seconds) | float(seconds)) if (
            not isinstance(seconds, bool) and seconds >= 0
        ):
            return float(seconds)
        case (
            "delay_after_processing" | "drop_after_processing" | "reject_token",
            bool(switch),
        ):
            return switch
    msg = f"invalid fault setting {name}={value!r}"
    raise ValueError(msg)
