"""Pushover's subscription URLs: the one a user copies, and an invitation's.

An application's subscription is set up on its page at pushover.net, which
then shows its URL, `https://pushover.net/subscribe/<code>`. A group-based
subscription's URL is shared as it is: whoever subscribes joins the group.
A web-based one needs `success` and `failure`, the URLs that Pushover sends
the browser back to once the person has subscribed (with their new key) or
declined; Pushover's page asks for both to be URL-encoded.
"""

import os
import re
from typing import Final
from urllib.parse import quote

from yarl import URL

from .const import ENV_API_BASE_URL

WEBSITE_URL: Final = "https://pushover.net/"
SUBSCRIBE_PATH: Final = "/subscribe/"
# Pushover makes the code from the application's name and random letters
# ("MyHome-a1b2c3d4e5f6g7h"); it documents no alphabet, so this is ours:
# what a URL path segment holds without encoding.
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,99}")
_PATH_PATTERN: Final = re.compile(r"/subscribe/([^/]+)/?")


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
    if CODE_PATTERN.fullmatch(text):
        code = text
    else:
        try:
            url = URL(text)
        except ValueError:
            return None
        match = _PATH_PATTERN.fullmatch(url.path)
        if not (_same_site(url, site) and match and CODE_PATTERN.fullmatch(match[1])):
            return None
        code = match[1]
    return str(site.with_path(SUBSCRIBE_PATH + code))


def invitation_url(subscription: str, *, success: str, failure: str) -> str:
    """Add to a subscription's URL where Pushover sends the browser back."""
    return (
        f"{subscription}?success={quote(success, safe='')}"
        f"&failure={quote(failure, safe='')}"
    )
