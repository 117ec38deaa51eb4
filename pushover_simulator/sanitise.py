"""Turn a message's Pushover HTML into markup that is safe to show in a page.

Pushover renders a small HTML subset when a message is sent with html=1:
<b>, <i>, <u>, <font color="..."> and <a href="...">. `sanitise_html` keeps
exactly those (a font only with a plain colour, a link only to http(s)) and
turns everything else into escaped text: other elements are dropped but keep
their text, except the contents of script-like elements, which are dropped
whole. The output is built only from tags this module writes itself and from
escaped text, so nothing the sender wrote can become markup of its own.
"""

from functools import lru_cache
from html import escape
from html.parser import HTMLParser
import re
from typing import Final
from urllib.parse import urlsplit

SIMPLE_TAGS: Final = frozenset({"b", "i", "u"})
_KEPT: Final = SIMPLE_TAGS | {"font", "a"}
_COLOUR: Final = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?|[A-Za-z]{1,20}")
_HTTP_URL: Final = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
# Elements whose content is code or markup rather than text: dropped whole.
_HIDDEN: Final = frozenset(
    {
        "script",
        "style",
        "template",
        "iframe",
        "object",
        "embed",
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
_VOID: Final = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


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


def _opening_tag(tag: str, attrs: dict[str, str | None]) -> str | None:
    """Write the start tag of a kept element; None when its attributes fail."""
    if tag in SIMPLE_TAGS:
        return f"<{tag}>"
    if tag == "font":
        colour = safe_colour(attrs.get("color"))
        return None if colour is None else f'<font color="{escape(colour)}">'
    href = safe_http_url(attrs.get("href"))
    if href is None:
        return None
    return f'<a href="{escape(href)}" rel="noopener noreferrer" target="_blank">'


class _Sanitiser(HTMLParser):
    """Rebuild the allowed subset of an HTML fragment; escape all text."""

    def __init__(self) -> None:
        """Start with no output and no open elements."""
        super().__init__(convert_charrefs=True)
        self.output: list[str] = []
        # Open allowed-or-dropped elements: (tag, whether its tags were written).
        self._open: list[tuple[str, bool]] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Write an allowed start tag; remember dropped ones so ends match."""
        if tag in _HIDDEN:
            if tag not in _VOID:
                self._hidden_depth += 1
            return
        if self._hidden_depth or tag not in _KEPT:
            return
        written = _opening_tag(tag, dict(attrs))
        self._open.append((tag, written is not None))
        if written is not None:
            self.output.append(written)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Treat <x/> as an empty element: nothing is kept from it."""
        del tag, attrs

    def handle_endtag(self, tag: str) -> None:
        """Close an open element (and any opened inside it); ignore strays."""
        if tag in _HIDDEN:
            self._hidden_depth = max(self._hidden_depth - 1, 0)
            return
        if self._hidden_depth or all(name != tag for name, _ in self._open):
            return
        while self._open:
            name, written = self._open.pop()
            if written:
                self.output.append(f"</{name}>")
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        """Write text, escaped, unless inside a dropped script-like element."""
        if not self._hidden_depth:
            self.output.append(escape(data, quote=True))

    def finish(self) -> str:
        """Flush what is left, close every open element and return the markup."""
        self.close()
        while self._open:
            name, written = self._open.pop()
            if written:
                self.output.append(f"</{name}>")
        return "".join(self.output)


@lru_cache(maxsize=1024)
def sanitise_html(text: str) -> str:
    """Return the safe markup of a message sent with html=1.

    Comments, declarations and processing instructions are dropped (the
    parser's default handlers ignore them).
    """
    parser = _Sanitiser()
    parser.feed(text)
    return parser.finish()


def escape_text(text: str) -> str:
    """Return the markup of a message sent without html: all of it as text."""
    return escape(text, quote=True)
