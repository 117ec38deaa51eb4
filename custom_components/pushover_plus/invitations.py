"""Invitations by link: the one-time ids of a web-based subscription.

An invitation is an id of 256 random bits in the `success` and `failure`
URLs that Pushover sends the invited person's browser back to. Whoever holds
the id can answer the invitation once, so it is a secret until then:

- Only its SHA-256 digest is kept, in Home Assistant's store (one file per
  entry, readable by Home Assistant's user only), so the file holds nothing
  that answers an invitation. A visit's id is compared with every digest
  (`hmac.compare_digest`, no early exit), never looked up, so the time an
  answer takes says nothing about the digests kept.
- It is open until its expiry, at most MAX_OPEN_INVITATIONS at once per
  entry; any answer uses it up (subscribed, declined, or a key Pushover
  refused), so an id that reached a log is worthless.
- What became of it is kept until a week after its expiry, so that a late
  visit is told "used" or "expired" rather than "not valid"; then the
  record is purged, by a timer of the entry.

The book of an entry lives as long as Home Assistant runs (not one load of
the entry): an answer adds a recipient, which reloads the entry, and the
save that follows must be what the next load reads.

An invitation is a plain class: a dataclass costs more to create when the
module is imported, at every start, than it is worth here. Its default repr
names no field, so its digest stays out of logs.
"""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
import hashlib
import hmac
import logging
import re
import secrets
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.hass_dict import HassKey

from .const import (
    DOMAIN,
    INVITATION_KEPT_AFTER_EXPIRY,
    INVITATION_LIFETIME,
    INVITATIONS_STORAGE_KEY,
    INVITATIONS_STORAGE_VERSION,
    MAX_INVITATION_RECORDS,
    MAX_OPEN_INVITATIONS,
)
from .records import RecordError, RecordFields

_LOGGER = logging.getLogger(__name__)

# 32 bytes: 256 bits, written as 43 characters of URL-safe base64.
ID_BYTES: Final = 32
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_RECORD_FIELDS: Final = frozenset(
    {"digest", "name", "created_at", "expires_at", "state"}
)


class InvitationState(StrEnum):
    """Whether an invitation can still be answered."""

    OPEN = "open"
    USED = "used"


class Invitation:
    """One invitation: who it is for, until when, and whether it was answered."""

    __slots__ = ("claimed", "created_at", "digest", "expires_at", "name", "state")

    def __init__(
        self,
        *,
        digest: bytes,
        name: str,
        created_at: datetime,
        expires_at: datetime,
        state: InvitationState = InvitationState.OPEN,
    ) -> None:
        """Hold what is kept of the invitation; it is not claimed yet."""
        self.digest = digest
        self.name = name
        self.created_at = created_at
        self.expires_at = expires_at
        self.state = state
        # A visit holds it while Pushover is asked about the key it brought,
        # so that a second visit at the same moment cannot answer it too.
        self.claimed = False

    def is_open(self, now: datetime) -> bool:
        """Tell whether it can be answered now."""
        return self.state is InvitationState.OPEN and now < self.expires_at

    @property
    def purge_at(self) -> datetime:
        """When its record goes: a week after its expiry."""
        return self.expires_at + INVITATION_KEPT_AFTER_EXPIRY


class TooManyInvitationsError(Exception):
    """As many invitations as allowed are open; `first_expiry` frees one."""

    def __init__(self, first_expiry: datetime) -> None:
        """Say when the first open invitation expires."""
        super().__init__(f"{MAX_OPEN_INVITATIONS} invitations are open")
        self.first_expiry = first_expiry


def digest_of(invitation_id: str) -> bytes:
    """Return what is kept of an invitation id."""
    return hashlib.sha256(invitation_id.encode()).digest()


def format_moment(moment: datetime) -> str:
    """Write a moment as Home Assistant's local time, to the minute."""
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")


class InvitationBook:
    """One entry's invitations, in Home Assistant's store."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; `async_load` reads it."""
        self._hass = hass
        self.entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass, INVITATIONS_STORAGE_VERSION, storage_key(entry_id), private=True
        )
        self.invitations: list[Invitation] = []
        # The web-based subscription of the latest invitation, suggested next.
        self.subscription_url: str | None = None
        self._cancel_purge: CALLBACK_TYPE | None = None
        self._started = False

    async def async_load(self) -> None:
        """Read the stored invitations.

        What this version cannot read is left out with a warning: such an
        invitation can no longer be answered, which is the safe side.
        """
        stored = await self._store.async_load()
        if stored is None:
            return
        try:
            self.subscription_url, records = _read_file(stored)
        except RecordError as err:
            _LOGGER.warning("The stored invitations cannot be read: %s", err)
            return
        for record in records:
            try:
                self.invitations.append(_read(record))
            except RecordError as err:
                _LOGGER.warning("A stored invitation cannot be read: %s", err)
        self._purge(dt_util.utcnow())

    def open_invitations(self, now: datetime) -> list[Invitation]:
        """Return the invitations that can be answered now, oldest first."""
        return [item for item in self.invitations if item.is_open(now)]

    def pending_for(self, name: str) -> bool:
        """Tell whether an open invitation's recipient would take this name's action."""
        now = dt_util.utcnow()
        return any(
            slugify(item.name) == slugify(name) for item in self.open_invitations(now)
        )

    async def async_create(
        self, name: str, subscription_url: str
    ) -> tuple[str, Invitation]:
        """Open an invitation for `name`; return its id (kept nowhere) and it.

        Raises TooManyInvitationsError when MAX_OPEN_INVITATIONS are open.
        """
        now = dt_util.utcnow()
        self._purge(now)
        if len(open_now := self.open_invitations(now)) >= MAX_OPEN_INVITATIONS:
            raise TooManyInvitationsError(open_now[0].expires_at)
        invitation_id = secrets.token_urlsafe(ID_BYTES)
        invitation = Invitation(
            digest=digest_of(invitation_id),
            name=name,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        self.invitations.append(invitation)
        self.subscription_url = subscription_url
        self._drop_oldest_answered()
        await self._async_save()
        self._schedule_purge()
        return invitation_id, invitation

    async def async_use(self, invitation: Invitation) -> None:
        """Mark an invitation answered, on disk before anything is said."""
        invitation.state = InvitationState.USED
        invitation.claimed = False
        await self._async_save()

    @property
    def started(self) -> bool:
        """Tell whether the book purges for the entry's current load."""
        return self._started

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Purge records when they are due while the entry is loaded."""
        self._started = True
        self._schedule_purge()
        return self._async_stop

    @callback
    def _async_stop(self) -> None:
        self._started = False
        self._cancel_purge_timer()

    def _cancel_purge_timer(self) -> None:
        if self._cancel_purge is not None:
            self._cancel_purge()
            self._cancel_purge = None

    def _schedule_purge(self) -> None:
        """Wake up when the oldest record is due; nothing to wait for, no timer."""
        self._cancel_purge_timer()
        if self.invitations:
            self._cancel_purge = async_track_point_in_utc_time(
                self._hass,
                self._async_purge_due,
                min(item.purge_at for item in self.invitations),
            )

    async def _async_purge_due(self, now: datetime) -> None:
        self._cancel_purge = None
        self._purge(now)
        await self._async_save()
        self._schedule_purge()

    def _purge(self, now: datetime) -> None:
        """Forget the records kept long enough."""
        self.invitations = [item for item in self.invitations if item.purge_at > now]

    def _drop_oldest_answered(self) -> None:
        """Keep at most MAX_INVITATION_RECORDS; open ones are never dropped."""
        excess = len(self.invitations) - MAX_INVITATION_RECORDS
        now = dt_util.utcnow()
        for item in [item for item in self.invitations if not item.is_open(now)]:
            if excess <= 0:
                break
            self.invitations.remove(item)
            excess -= 1

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                # Empty until an invitation was made.
                "subscription_url": self.subscription_url or "",
                "invitations": [_record(item) for item in self.invitations],
            }
        )


_BOOKS: HassKey[dict[str, InvitationBook]] = HassKey(f"{DOMAIN}_invitations")


def storage_key(entry_id: str) -> str:
    """Name an entry's file of invitations in Home Assistant's store."""
    return INVITATIONS_STORAGE_KEY.format(entry_id=entry_id)


def _read_file(stored: object) -> tuple[str | None, list[object]]:
    """Read the file's suggested subscription and its list of records."""
    fields = RecordFields(stored, "file")
    records = fields.raw("invitations")
    if not isinstance(records, list):
        msg = "its invitations are not a list"
        raise RecordError(msg)
    return fields.text("subscription_url") or None, records


def _record(invitation: Invitation) -> dict[str, str]:
    return {
        "digest": invitation.digest.hex(),
        "name": invitation.name,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
        "state": invitation.state.value,
    }


def _read(record: object) -> Invitation:
    fields = RecordFields(record, "invitation")
    fields.only(_RECORD_FIELDS)
    try:
        digest = bytes.fromhex(fields.text("digest"))
        state = InvitationState(fields.text("state"))
    except ValueError as err:
        msg = f"its digest or state is not one this version writes ({err})"
        raise RecordError(msg) from err
    return Invitation(
        digest=digest,
        name=fields.text("name"),
        created_at=fields.moment("created_at"),
        expires_at=fields.moment("expires_at"),
        state=state,
    )


async def async_get_book(hass: HomeAssistant, entry_id: str) -> InvitationBook:
    """Return an entry's book, read from the store the first time."""
    books = hass.data.setdefault(_BOOKS, {})
    if (book := books.get(entry_id)) is None:
        book = InvitationBook(hass, entry_id)
        await book.async_load()
        books[entry_id] = book
    return book


async def async_remove_book(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a removed entry's invitations and delete their file."""
    books = hass.data.get(_BOOKS, {})
    books.pop(entry_id, None)
    await Store[dict[str, Any]](
        hass, INVITATIONS_STORAGE_VERSION, storage_key(entry_id), private=True
    ).async_remove()


def find_invitation(
    hass: HomeAssistant, invitation_id: str
) -> tuple[InvitationBook, Invitation] | None:
    """Find the invitation of an id among every entry's, in constant time.

    Every kept digest is compared, whatever matched before, so the time
    taken depends on how many are kept, not on which one matches.
    """
    digest = digest_of(invitation_id)
    found: tuple[InvitationBook, Invitation] | None = None
    for book, invitation in _every_invitation(hass.data.get(_BOOKS, {}).values()):
        if hmac.compare_digest(invitation.digest, digest):
            found = (book, invitation)
    return found


def _every_invitation(
    books: Iterable[InvitationBook],
) -> Iterable[tuple[InvitationBook, Invitation]]:
    return [(book, item) for book in books for item in book.invitations]
