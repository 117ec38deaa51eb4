"""The glances' storage: a record per widget, read back only as it was written."""

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.pushover_plus.api import Glance
from custom_components.pushover_plus.glance_store import (
    GlanceStore,
    PendingGlance,
    WidgetState,
    decode_record,
    encode_record,
)
from custom_components.pushover_plus.records import RecordError

ACCEPTED = datetime(2026, 11, 15, 12, tzinfo=UTC)


def record(**changes: Any) -> dict[str, Any]:
    """Return a valid record of the primary's watch widget, with changes."""
    return {
        "format": 1,
        "recipient": "primary",
        "device": "watch",
        "shown": {"text": "shown"},
        "called_at": ACCEPTED.isoformat(),
        "pending": None,
        "accepted_at": None,
        "force": False,
    } | changes


def test_a_widget_is_written_and_read_back_as_it_was() -> None:
    """Every field of a waiting glance, its force, and the device in the name."""
    state = WidgetState(
        recipient_id="primary",
        device="watch",
        shown=Glance(title="Washer", count=0, device="watch"),
        called_at=ACCEPTED,
        pending=PendingGlance(
            glance=Glance(text="12 min", subtext="Eco", percent=80, device="watch"),
            accepted_at=ACCEPTED,
            force=True,
        ),
    )

    assert decode_record(state.file_name, encode_record(state)) == state
    assert state.file_name == "primary~watch.json"


def test_a_bound_glance_is_not_written() -> None:
    """A binding's waiting glance is rendered again at the start: not stored."""
    state = WidgetState(
        recipient_id="primary",
        device=None,
        pending=PendingGlance(
            glance=Glance(text="x"), accepted_at=ACCEPTED, durable=False
        ),
    )

    decoded = decode_record(state.file_name, encode_record(state))

    assert decoded.pending is None
    assert json.loads(encode_record(state))["force"] is False


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("primary watch.json", record(), "not a glance's file name"),
        ("primary~watch.json", b"{", "not valid JSON"),
        ("primary~watch.json", record(format=2), "record format 2"),
        ("primary~watch.json", record(colour="red"), "unknown field(s)"),
        ("primary.json", record(), "its widget is not the one in its file name"),
        (
            "primary~watch.json",
            record(pending={"text": "waits"}),
            "its pending glance has no accepted_at",
        ),
        (
            "primary~watch.json",
            record(shown={"text": 5}),
            "the text of its glance is not text",
        ),
    ],
    ids=[
        "name",
        "json",
        "format",
        "unknown_field",
        "other_widget",
        "no_accepted_at",
        "wrong_type",
    ],
)
def test_what_was_not_written_so_is_refused(
    name: str, content: dict[str, Any] | bytes, reason: str
) -> None:
    """Anything but a record as written raises RecordError with a reason."""
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()

    with pytest.raises(
        RecordError, match=reason.replace("(", r"\(").replace(")", r"\)")
    ):
        decode_record(name, raw)


async def test_files_set_aside_before_are_named_again(hass: HomeAssistant) -> None:
    """A file set aside at an earlier start stays named, and is not read."""
    store = GlanceStore(hass, "entry1")
    directory: Path = store.directory
    directory.mkdir(parents=True)
    (directory / "primary.json.unreadable").write_bytes(b"{")

    found = await store.async_load()

    assert found.widgets == []
    assert found.set_aside == {
        directory / "primary.json.unreadable": "set aside at an earlier start"
    }
