"""Test the base of the integration's immutable values."""

from typing import Final

import pytest

from custom_components.pushover_plus.value import Value


class Key(Value):
    """A value with a secret field, as a recipient's user key is."""

    _secret = ("user",)
    __slots__ = ("device", "user")
    user: Final[str]
    device: Final[str | None]

    def __init__(self, *, user: str, device: str | None = None) -> None:
        """Set the fields, each given by name."""
        self.user = user
        self.device = device


class OtherKey(Value):
    """A value of another class with the very same fields."""

    __slots__ = ("device", "user")
    user: Final[str]
    device: Final[str | None]

    def __init__(self, *, user: str, device: str | None = None) -> None:
        """Set the fields, each given by name."""
        self.user = user
        self.device = device


USER: Final = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"


def test_values_with_equal_fields_are_equal() -> None:
    """Two values of one class compare by their fields."""
    assert Key(user=USER, device="phone") == Key(user=USER, device="phone")
    assert Key(user=USER, device="phone") != Key(user=USER, device="tablet")
    assert Key(user=USER) != Key(user=USER.lower())


def test_a_value_of_another_class_is_never_equal() -> None:
    """The same fields in another class, or a plain tuple, are something else."""
    assert Key(user=USER) != OtherKey(user=USER)
    assert Key(user=USER, device=None) != (None, USER)
    assert Key(user=USER) != USER


def test_equal_values_hash_alike() -> None:
    """Values are set members and dict keys, as named tuples were."""
    keys = {Key(user=USER, device="phone"), Key(user=USER, device="phone")}

    assert keys == {Key(user=USER, device="phone")}
    assert hash(Key(user=USER)) == hash(Key(user=USER))
    assert {Key(user=USER): "found"}[Key(user=USER)] == "found"


def test_the_repr_names_the_fields_but_no_secret() -> None:
    """A value in a log line or a traceback shows no user key."""
    assert repr(Key(user=USER, device="phone")) == "Key(device='phone')"
    assert repr(OtherKey(user="u", device=None)) == "OtherKey(device=None, user='u')"


def test_replace_changes_only_the_fields_named() -> None:
    """`replace` returns a new value and leaves the old one as it was."""
    key = Key(user=USER, device="phone")

    changed = key.replace(device="tablet")

    assert changed == Key(user=USER, device="tablet")
    assert type(changed) is Key
    assert key == Key(user=USER, device="phone")


def test_replace_of_an_unknown_field_raises() -> None:
    """A name that is not a field is refused, as the named tuple's was."""
    with pytest.raises(TypeError, match="colour"):
        Key(user=USER).replace(colour="red")
