"""The page Pushover sends an invited person's browser back to.

    GET /api/pushover_plus/invitations/<id>/subscribed?pushover_user_key=<key>
    GET /api/pushover_plus/invitations/<id>/declined

Nothing here needs a Home Assistant login (the invited person has none), so
every request is hostile until it proves otherwise:

- The id is in the path and the key in the query, where Pushover puts it.
  Home Assistant logs a view's path at debug level (never its query), and
  any answer uses an invitation up, so an id in a log opens nothing.
- Shapes first: an id of 43 URL-safe characters, a key of 30 letters and
  digits, a query of at most MAX_QUERY_LENGTH; then the id is compared with
  every kept digest in constant time; then Pushover confirms the key with
  the application's token before a recipient is added.
- A remote address with MAX_FAILURES failed visits in FAILURE_WINDOW gets
  429 until the window ends, without anything being looked at.
- The pages are plain, translated into Home Assistant's language, and never
  show the key, the id or the token; they ask browsers to send no referrer,
  keep no copy and allow no script.
"""

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from html import escape
from http import HTTPStatus
import logging
from types import MappingProxyType
from typing import Final

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.hass_dict import HassKey

from .api import UserInfo
from .config_flow_checks import async_validate_key
from .const import (
    CONF_DEVICES,
    CONF_IS_GROUP,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    KEY_PATTERN,
    SUBENTRY_RECIPIENT,
)
from .data import PushoverConfigEntry
from .errors import Refusal
from .invitations import (
    ID_PATTERN,
    Invitation,
    InvitationBook,
    InvitationState,
    async_get_book,
    find_invitation,
    format_moment,
)
from .recipients import action_taken, recipients_of
from .value import Value

_LOGGER = logging.getLogger(__name__)

_VIEW_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_invitation_view")

VIEW_PREFIX: Final = f"/api/{DOMAIN}/invitations/"
VIEW_URL: Final = VIEW_PREFIX + "{invitation_id}/{outcome}"
SUBSCRIBED: Final = "subscribed"
DECLINED: Final = "declined"
USER_KEY_PARAMETER: Final = "pushover_user_key"
# Pushover's redirect adds one parameter of 48 characters.
MAX_QUERY_LENGTH: Final = 256
MAX_FAILURES: Final = 10
FAILURE_WINDOW: Final = timedelta(minutes=10)
# Remote addresses followed at once; the oldest window goes first.
MAX_REMOTES: Final = 256
PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def external_base_url(hass: HomeAssistant) -> str | None:
    """Return the URL Pushover can send a browser to, None without one."""
    try:
        return get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError:
        return None


def answer_urls(base_url: str, invitation_id: str) -> tuple[str, str]:
    """Return an invitation's `success` and `failure` URLs."""
    answer = f"{base_url}{VIEW_PREFIX}{invitation_id}/"
    return answer + SUBSCRIBED, answer + DECLINED


class Page(Value):
    """What the visitor is told: a translated text, its status and values."""

    __slots__ = ("failed", "key", "placeholders", "status")
    key: Final[str]
    status: Final[HTTPStatus]
    # Read-only, so that the one empty default is shared safely.
    placeholders: Final[Mapping[str, str]]
    # Whether the visit counts against the remote address.
    failed: Final[bool]

    def __init__(
        self,
        *,
        key: str,
        status: HTTPStatus,
        placeholders: Mapping[str, str] = MappingProxyType({}),
        failed: bool = False,
    ) -> None:
        """Set the fields, each given by name."""
        self.key = key
        self.status = status
        self.placeholders = placeholders
        self.failed = failed


UNKNOWN: Final = Page(
    key="invitation_unknown", status=HTTPStatus.NOT_FOUND, failed=True
)
USED: Final = Page(key="invitation_used", status=HTTPStatus.GONE, failed=True)
BAD_KEY: Final = Page(
    key="invitation_bad_key", status=HTTPStatus.BAD_REQUEST, failed=True
)
KEY_REFUSED: Final = Page(
    key="invitation_key_refused", status=HTTPStatus.BAD_REQUEST, failed=True
)
DECLINED_PAGE: Final = Page(key="invitation_declined", status=HTTPStatus.OK)
BLOCKED: Final = Page(key="invitation_blocked", status=HTTPStatus.TOO_MANY_REQUESTS)


class FailureLimiter:
    """Counts each remote address's failed visits in a window of its own."""

    def __init__(self) -> None:
        """Follow no address yet."""
        # Address -> (when its window started, failures in it).
        self._windows: OrderedDict[str, tuple[datetime, int]] = OrderedDict()

    def blocked(self, remote: str, now: datetime) -> bool:
        """Tell whether the address used up its failures for now."""
        window = self._windows.get(remote)
        return (
            window is not None
            and now - window[0] < FAILURE_WINDOW
            and window[1] >= MAX_FAILURES
        )

    def failed(self, remote: str, now: datetime) -> None:
        """Count a failed visit of the address."""
        started, count = self._windows.pop(remote, (now, 0))
        if now - started >= FAILURE_WINDOW:
            started, count = now, 0
        while len(self._windows) >= MAX_REMOTES:
            self._windows.popitem(last=False)
        self._windows[remote] = (started, count + 1)


class InvitationView(HomeAssistantView):
    """Answers invitations: adds the recipient, or says why nothing changed."""

    url = VIEW_URL
    name = f"api:{DOMAIN}:invitation"
    requires_auth = False

    def __init__(self) -> None:
        """Start with no failed visits."""
        self._failures = FailureLimiter()

    async def get(
        self, request: web.Request, invitation_id: str, outcome: str
    ) -> web.Response:
        """Answer a visit; the page says what happened, never the key."""
        hass = request.app[KEY_HASS]
        remote = request.remote or ""
        now = dt_util.utcnow()
        if self._failures.blocked(remote, now):
            page = BLOCKED
        else:
            page = await _async_answer(hass, request, invitation_id, outcome)
            if page.failed:
                self._failures.failed(remote, now)
        return await _async_render(hass, page)


async def _async_answer(
    hass: HomeAssistant, request: web.Request, invitation_id: str, outcome: str
) -> Page:
    """Find the visit's open invitation, then act on its outcome."""
    found = _open_invitation(hass, request, invitation_id, outcome)
    if isinstance(found, Page):
        return found
    book, invitation, key = found
    if key is None:
        await book.async_use(invitation)
        _LOGGER.info("The invitation of %s was declined", invitation.name)
        return DECLINED_PAGE
    return await _async_subscribed(hass, book, invitation, key)


def _open_invitation(
    hass: HomeAssistant, request: web.Request, invitation_id: str, outcome: str
) -> Page | tuple[InvitationBook, Invitation, str | None]:
    """Check the visit's shape, then find its invitation and whether it is open.

    Returns the invitation and the key Pushover added (None for a decline),
    or the page saying why there is nothing to do.
    """
    if outcome not in {SUBSCRIBED, DECLINED} or not ID_PATTERN.fullmatch(invitation_id):
        return UNKNOWN
    key = _key_of(request) if outcome == SUBSCRIBED else None
    if outcome == SUBSCRIBED and key is None:
        return BAD_KEY
    found = find_invitation(hass, invitation_id)
    if found is None:
        return UNKNOWN
    book, invitation = found
    if invitation.state is InvitationState.USED or invitation.claimed:
        return USED
    if invitation.expires_at <= dt_util.utcnow():
        return Page(
            key="invitation_expired",
            status=HTTPStatus.GONE,
            placeholders={"expires": format_moment(invitation.expires_at)},
            failed=True,
        )
    return book, invitation, key


def _key_of(request: web.Request) -> str | None:
    """Return the key Pushover added, if the query is what Pushover sends.

    That is one key of 30 letters and digits; a query longer than any
    Pushover sends is not even parsed.
    """
    if len(request.query_string) > MAX_QUERY_LENGTH:
        return None
    keys = request.query.getall(USER_KEY_PARAMETER, [])
    return keys[0] if len(keys) == 1 and KEY_PATTERN.fullmatch(keys[0]) else None


async def _async_subscribed(
    hass: HomeAssistant, book: InvitationBook, invitation: Invitation, key: str
) -> Page:
    """Confirm the key with Pushover, then add the recipient once."""
    entry: PushoverConfigEntry | None = hass.config_entries.async_get_entry(
        book.entry_id
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return _unconfirmed(invitation)
    invitation.claimed = True
    result = await async_validate_key(entry.runtime_data.client, key)
    if result is Refusal.USER_KEY:
        await book.async_use(invitation)
        return KEY_REFUSED
    if not isinstance(result, UserInfo):
        invitation.claimed = False
        return _unconfirmed(invitation)
    holder = next(
        (item.name for item in recipients_of(entry) if item.user_key == key), None
    )
    if holder is not None:
        await book.async_use(invitation)
        return Page(
            key="invitation_already_recipient",
            status=HTTPStatus.OK,
            placeholders={CONF_NAME: holder},
        )
    # Added before the invitation is marked used: should Home Assistant stop
    # in between, the recipient is there and a second visit is told so.
    name = _async_add_recipient(hass, entry, invitation.name, key)
    await book.async_use(invitation)
    _LOGGER.info("%s subscribed and was added as a recipient", name)
    return Page(
        key="invitation_subscribed",
        status=HTTPStatus.OK,
        placeholders={CONF_NAME: name},
    )


def _unconfirmed(invitation: Invitation) -> Page:
    """Say that Pushover could not be asked; the invitation stays open."""
    return Page(
        key="invitation_unconfirmed",
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        placeholders={"expires": format_moment(invitation.expires_at)},
    )


@callback
def _async_add_recipient(
    hass: HomeAssistant, entry: PushoverConfigEntry, name: str, key: str
) -> str:
    """Add the recipient as the recipient flow would; return the name it got.

    The name was free when the invitation was made; should another
    recipient have taken its action since, a number is added.
    """
    chosen = name
    number = 1
    while action_taken(hass, slugify(chosen)):
        number += 1
        chosen = f"{name} {number}"
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(
                {
                    CONF_USER_KEY: key,
                    CONF_DEVICES: [],
                    CONF_SERVICE_NAME: slugify(chosen),
                    # A subscription's key is one person's, never a group's.
                    CONF_IS_GROUP: False,
                }
            ),
            subentry_type=SUBENTRY_RECIPIENT,
            title=chosen,
            unique_id=None,
        ),
    )
    return chosen


async def _async_render(hass: HomeAssistant, page: Page) -> web.Response:
    """Write the page in Home Assistant's language (English where it has none)."""
    language = hass.config.language
    texts = await async_get_translations(hass, language, "exceptions", {DOMAIN})
    prefix = f"component.{DOMAIN}.exceptions."
    title = escape(texts[f"{prefix}invitation_page.message"])
    text = escape(texts[f"{prefix}{page.key}.message"].format(**page.placeholders))
    body = (
        f'<!doctype html>\n<html lang="{escape(language)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
        f'<p data-outcome="{page.key}">{text}</p>\n</main>\n</body>\n</html>\n'
    )
    return web.Response(
        text=body,
        status=page.status,
        content_type="text/html",
        headers=PAGE_HEADERS,
    )


async def async_open_invitations(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> InvitationBook:
    """Read an entry's book and serve the page, for its current load.

    Called at an entry's setup when it keeps invitations, else by the flow
    that opens its first: an installation that never invites loads neither
    this module nor `invitations.py`. Home Assistant cannot take a view back,
    so it is registered once.
    """
    if not hass.data.get(_VIEW_REGISTERED):
        hass.http.register_view(InvitationView())
        hass.data[_VIEW_REGISTERED] = True
    book = await async_get_book(hass, entry.entry_id)
    if not book.started:
        entry.async_on_unload(book.async_start())
    return book
