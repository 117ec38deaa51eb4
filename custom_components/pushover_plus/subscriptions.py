"""Pushover's subscription URLs: the one a user copies, and an invitation's.

An application's subscription is set up on its page at pushover.net, which
then shows its URL, `https://pushover.net/subscribe/<code>`. A group-based
subscription's URL is shared as it is: whoever subscribes joins the group.
A web-based one needs `success` and `failure`, the URLs that Pushover sends
the browser back to once the person has subscribed (with their new key) or
declined; Pushover's page asks for both to be URL-encoded.
"""

import os
import string
from typing import Final
from urllib.parse import quote

from yarl import URL

from .const import ENV_API_BASE_URL

WEBSITE_URL: Final = "https://pushover.net/"
SUBSCRIBE_PATH: Final = "/subscribe/"
# Pushover makes the code from the application's name and random letters
# ("MyHome-a1b2c3d4e5f6g7h"); it documents no alphabet, so this is ours:
# what a URL path segment holds without encoding, a letter or digit first.
_CODE_FIRST: Final = frozenset(string.ascii_letters + string.digits)
_CODE_CHARACTERS: Final = _CODE_FIRST | frozenset("._~-")
MAX_CODE_LENGTH: Final = 100


def website_url() -> URL:
    """Return Pushover's website: where its subscription pages are.

    The simulator serves them beside its API, so pointing the API elsewhere
    (the simulator, the development instance) points the pages there too.
    """
    override = os.environ.get(ENV_API_BASE_URL)
    return URL(override).origin() if override else URL(WEBSITE_URL)


def _same_site(url: URL, site: URL) -> bool:
    """Tell whether a URL is on Pushover's website (with or without www.)."""
    if url.scheme not in {"http", "https"} or url.host is None:
        return False
    host = url.host.lower().removeprefix("www.")
    return host == (site.host or "").removeprefix("www.") and url.explicit_port in {
        None,
        site.explicit_port,
    }


def subscription_url(text: str) -> str | None:
    """Read a subscription's URL as copied from pushover.net, or its code alone.

    Returns the URL as Pushover Plus stores it (on Pushover's website, no
    query), or None when the text is neither.
    """
    text = text.strip()
    site = website_url()
    code: str | None = text
    if not is_code(text):
        try:
            url = URL(text)
        except ValueError:
            return None
        code = _code_in_path(url.path)
        if not (_same_site(url, site) and code and is_code(code)):
            return None
    return str(site.with_path(f"{SUBSCRIBE_PATH}{code}"))


def is_code(text: str) -> bool:
    """Tell whether a text has the shape of a subscription's code."""
    return (
        0 < len(text) <= MAX_CODE_LENGTH
        and text[0] in _CODE_FIRST
        and all(character in _CODE_CHARACTERS for character in text)
    )


def _code_in_path(path: str) -> str | None:
    """Return the code of a path `/subscribe/<code>`, a final slash allowed."""
    if not path.startswith(SUBSCRIBE_PATH):
        return None
    code = path.removeprefix(SUBSCRIBE_PATH).removesuffix("/")
    return code if code and "/" not in code else None


def invitation_url(subscription: str, *, success: str, failure: str) -> str:
    """Add to a subscription's URL where Pushover sends the browser back."""
    return (
        f"{subscription}?success={quote(success, safe='')}"
        f"&failure={quote(failure, safe='')}"
    )
