"""Turn a message's Pushover HTML into markup that is safe to show in a page.

Pushover renders a small HTML subset when a message is sent with html=1:
<b>, <i>, <u>, <font color="..."> and <a href="...">. `sanitise_html` keeps
exactly those with nh3 (the Ammonia allowlist sanitiser), which parses the
text as a browser would and writes the markup back itself, so nothing the
sender wrote can become markup of its own. Other elements are dropped but
keep their text, except script-like ones, which go with their contents. A
font keeps only a plain colour and a link only an absolute http(s) URL;
every link opens in a new tab without the page as its opener or referrer.
"""

from functools import lru_cache
import re
from typing import Final
from urllib.parse import urlsplit

import nh3

KEPT_TAGS: Final = frozenset({"b", "i", "u", "font", "a"})
# Elements whose content is code or markup rather than text: dropped whole.
HIDDEN_TAGS: Final = frozenset(
    {
        "script",
        "style",
        "template",
        "iframe",
        "object",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "textarea",
        "title",
        "select",
        "svg",
        "math",
    }
)
LINK_REL: Final = "noopener noreferrer"
_COLOUR: Final = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?|[A-Za-z]{1,20}")
_HTTP_URL: Final = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
# The page keeps up to 200 messages and rebuilds its view every second.
_CACHED_MESSAGES: Final = 1024


def safe_http_url(value: str | None) -> str | None:
    """Return an absolute http(s) URL with a host, stripped; None for anything else.

    Whitespace and control characters inside are refused: browsers drop tabs
    and newlines from a URL, so "java<TAB>script:" would still be javascript:.
    """
    if value is None:
        return None
    candidate = value.strip()
    if not _HTTP_URL.fullmatch(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return candidate


def safe_colour(value: str | None) -> str | None:
    """Return a #rgb / #rrggbb or a plain colour name; None for anything else."""
    if value is None:
        return None
    candidate = value.strip()
    return candidate if _COLOUR.fullmatch(candidate) else None


def _checked_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep a font's plain colour and a link's http(s) URL; None drops one.

    nh3 asks about every attribute before it applies its allowlist, so the
    others pass unchanged here and are then dropped or kept by that list.
    """
    if (tag, attribute) == ("font", "color"):
        return safe_colour(value)
    if (tag, attribute) == ("a", "href"):
        return safe_http_url(value)
    return value


_CLEANER: Final = nh3.Cleaner(
    tags=set(KEPT_TAGS),
    clean_content_tags=set(HIDDEN_TAGS),
    # "*" too: without it Ammonia keeps its own lang and title on every tag.
    attributes={"*": set(), "font": {"color"}, "a": {"href"}},
    attribute_filter=_checked_attribute,
    url_schemes={"http", "https"},
    url_relative="deny",
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


@lru_cache(maxsize=_CACHED_MESSAGES)
def sanitise_html(text: str) -> str:
    """Return the safe markup of a message sent with html=1."""
    return _CLEANER.clean(text)
