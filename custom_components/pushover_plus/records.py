"""Typed reads of the JSON records Pushover Plus writes to disk.

A record is read back only if it is exactly what was written: every field
present with its type, none unknown. Anything else raises `RecordError` with
a reason a user can act on, and the caller sets the file aside.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any


class RecordError(Exception):
    """A stored record that this version cannot read."""


class RecordFields:
    """Typed reads from one JSON object of a record, failing with RecordError."""

    def __init__(self, value: object, what: str) -> None:
        """Read `value`, a part of a record called `what` in the reasons."""
        if not isinstance(value, dict):
            msg = f"its {what} is not an object"
            raise RecordError(msg)
        self._data: dict[str, Any] = value
        self._what = what

    def only(self, allowed: frozenset[str]) -> None:
        """Refuse fields other than `allowed`."""
        if unknown := sorted(set(self._data) - allowed):
            msg = f"unknown field(s) in its {self._what}: {', '.join(unknown)}"
            raise RecordError(msg)

    def raw(self, key: str) -> object:
        """Return a field as it is; refuse a record without it."""
        if key not in self._data:
            msg = f"its {self._what} has no {key}"
            raise RecordError(msg)
        return self._data[key]

    def _get(self, key: str, check: Callable[[Any], bool], kind: str) -> Any:
        value = self.raw(key)
        if not check(value):
            msg = f"the {key} of its {self._what} is not {kind}"
            raise RecordError(msg)
        return value

    def text(self, key: str) -> str:
        """Return a text field."""
        text: str = self._get(key, lambda v: isinstance(v, str), "text")
        return text

    def optional_text(self, key: str) -> str | None:
        """Return a text field, or None when it is absent."""
        return self.text(key) if key in self._data else None

    def number(self, key: str) -> int:
        """Return a whole-number field."""
        number: int = self._get(key, _is_integer, "a whole number")
        return number

    def optional_number(self, key: str) -> int | None:
        """Return a whole-number field, or None when it is absent."""
        return self.number(key) if key in self._data else None

    def flag(self, key: str) -> bool:
        """Return whether a flag is set: present and true."""
        return key in self._data and bool(self._get(key, lambda v: v is True, "true"))

    def boolean(self, key: str) -> bool:
        """Return a field that is true or false."""
        value: bool = self._get(key, lambda v: isinstance(v, bool), "true or false")
        return value

    def optional_moment(self, key: str) -> datetime | None:
        """Return a date and time, or None when it is absent."""
        return self.moment(key) if key in self._data else None

    def names(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """Return a list of texts; `required` refuses it absent or empty."""
        if key not in self._data and not required:
            return ()
        names: list[str] = self._get(
            key,
            lambda v: (
                isinstance(v, list)
                and all(isinstance(item, str) for item in v)
                and (bool(v) or not required)
            ),
            "a list of names",
        )
        return tuple(names)

    def moment(self, key: str) -> datetime:
        """Return a date and time, written with its time zone."""
        text = self.text(key)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as err:
            msg = f"the {key} of its {self._what} is not a date and time"
            raise RecordError(msg) from err
        if moment.tzinfo is None:
            # Always written with its offset: without one, it is not ours.
            msg = f"the {key} of its {self._what} has no time zone"
            raise RecordError(msg)
        return moment


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
