"""Memory held by a loaded entry's outbox and receipt tracker.

500 messages go through the action while Pushover is down, so the real outbox
queues them; 500 emergency messages go through while it is up, so the real
tracker holds their receipts. What each holds is every object reachable from
its queue or open list that is not shared with the rest of the process.
`scripts/bench` runs this module and reads the JUnit XML properties recorded
here; the assertions keep the figures in check between benchmark runs.
"""

from collections.abc import Callable
from enum import Enum
import gc
import sys
from types import BuiltinFunctionType, FunctionType, ModuleType

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from pushover_simulator import PushoverSimulator

from . import send

COUNT = 500
# Shared with the rest of the process, so not held by the queue.
SHARED = (type, ModuleType, FunctionType, BuiltinFunctionType, Enum, bool)
# Generous ceilings: a queued text message is under 1.5 KiB (the 0.2.0
# outbox's figure, which also kept each item's stored form), a tracked
# receipt under 600 bytes; more means something keeps what it should not.
MAX_BYTES_PER_QUEUED = 2048
MAX_BYTES_PER_RECEIPT = 1024
WASHING_MACHINE = "The washing machine is done: {} minutes, 40 °C, spin 1200."


def retained_bytes(root: object) -> int:
    """Add up the objects reachable from `root`, each once, shared ones left out."""
    seen: set[int] = set()
    pending = [root]
    total = 0
    while pending:
        item = pending.pop()
        if item is None or isinstance(item, SHARED) or id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        pending.extend(gc.get_referents(item))
    return total


async def test_outbox_with_500_queued_messages(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    record_property: Callable[[str, object], None],
) -> None:
    """The queue of 500 text messages held during an outage."""
    simulator.faults.fail_next = COUNT * 2
    for number in range(COUNT):
        response = await send(
            hass, message=WASHING_MACHINE.format(number), title=f"Laundry {number}"
        )
        assert response["queued"]
    outbox = loaded_entry.runtime_data.sender.outbox
    assert len(outbox) == COUNT

    # The queue; each item's record is on disk, not in memory.
    held = retained_bytes(outbox._items)

    record_property("count", COUNT)
    record_property("bytes", held)
    assert held <= COUNT * MAX_BYTES_PER_QUEUED


async def test_tracker_with_500_open_receipts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    record_property: Callable[[str, object], None],
) -> None:
    """500 open emergency messages, tracked until acknowledged or expired.

    Time stands still meanwhile, so that no receipt falls due for a read.
    """
    for number in range(COUNT):
        response = await send(
            hass,
            message=f"Water on the basement floor, sensor {number}",
            title="Leak",
            priority="emergency",
            tags=["leak", f"sensor_{number}"],
        )
        assert response["receipt"]
    tracker = loaded_entry.runtime_data.receipts
    assert len(tracker.open) == COUNT

    held = retained_bytes(tracker._open)

    record_property("count", COUNT)
    record_property("bytes", held)
    assert held <= COUNT * MAX_BYTES_PER_RECEIPT
