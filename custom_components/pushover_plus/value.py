"""The base of Pushover Plus's small immutable values (a message, an answer).

Home Assistant imports the integration at every start, and creating a class
is part of that: a `typing.NamedTuple` costs about ten times as much to
create as a plain class with `__slots__` and a written-out `__init__`, and the
package defines a few dozen such values. They are therefore plain slotted
classes, as Home Assistant's own `State` and `Context` are, and this base
gives them what the named tuples gave: equality and a hash from their fields,
a readable repr (without secrets) and `replace`.

A value's fields are its `__slots__`, and its `__init__` takes them by those
names. Values are not subclassed further.
"""

from collections.abc import Callable
from typing import Any, ClassVar, Self


class Value:
    """An immutable value whose fields are its subclass's `__slots__`."""

    __slots__: tuple[str, ...] = ()
    # Fields the repr leaves out: user keys, tokens, message texts.
    _secret: ClassVar[tuple[str, ...]] = ()

    def __eq__(self, other: object) -> bool:
        """Compare the fields of two values of the same class."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def __hash__(self) -> int:
        """Hash the fields, so that equal values make the same set member."""
        return hash(tuple(getattr(self, name) for name in self.__slots__))

    def __repr__(self) -> str:
        """Name the class and its fields, leaving out the secret ones."""
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self.__slots__
            if name not in self._secret
        )
        return f"{self.__class__.__name__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """Return a copy with some fields changed; an unknown name is a TypeError."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        # Through the subclass's __init__, which refuses a name it does not take.
        create: Callable[..., Self] = self.__class__
        return create(**(fields | changes))
