"""Two-factor codes as an authenticator app makes them (RFC 6238, TOTP).

Pushover's two-factor authentication is TOTP-based: a code is six digits
worked out from the account's key and the time, new every 30 seconds. The
simulator works the code out from its own clock, so a test that moves the
clock gets the code of that moment.
"""

import base64
import hashlib
import hmac
from typing import Final

STEP_SECONDS: Final = 30
DIGITS: Final = 6
# A code typed just before the step turned is still taken (RFC 6238 §5.2
# allows for the delay between reading the code and the request arriving).
ACCEPTED_PAST_STEPS: Final = 1


def twofa_code(key: str, now: float, *, steps_back: int = 0) -> str:
    """Return the code an authenticator app shows at `now` (or steps earlier)."""
    counter = int(now // STEP_SECONDS) - steps_back
    digest = hmac.new(
        base64.b32decode(key), counter.to_bytes(8, "big"), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def is_valid_code(key: str, code: str, now: float) -> bool:
    """Tell whether a submitted code is the current one or the one just before."""
    return any(
        hmac.compare_digest(code, twofa_code(key, now, steps_back=back))
        for back in range(ACCEPTED_PAST_STEPS + 1)
    )
