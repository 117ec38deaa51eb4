"""Every task and timer of the integration belongs to its config entry.

An unload, after sends, emergencies, an outage and its retries, leaves
nothing of ours running: no task, no timer. A receipt is tracked the moment
Pushover accepts its message, whether or not tasks start eagerly, and one
accepted after the entry unloaded is neither tracked nor written.
"""

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
import functools
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.api import Message, PushoverClient, SendResult
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
)
from custom_components.pushover_plus.message import MessageRequest
from custom_components.pushover_plus.recipients import recipients_of
from pushover_simulator import (
    TEST_NO_DEVICE_USER_KEY,
    PushoverSimulator,
)

from . import advance, send, send_emergency
from .conftest import PRIMARY_DATA

PACKAGE = "custom_components.pushover_plus"
# Loop turns a timer's work may take to reach Pushover.
_TURNS = 100
# How deep to look into a timer's callback for a function of ours.
_DEPTH = 4


def _is_ours(target: object, depth: int = _DEPTH) -> bool:
    """Tell whether a timer's callback is, or leads to, a function of ours.

    Home Assistant wraps what it schedules (jobs, partials, trackers that
    hold the action); the wrappers are followed a few levels deep.
    """
    if depth == 0 or target is None:
        return False
    if (getattr(target, "__module__", None) or "").startswith(PACKAGE) and callable(
        target
    ):
        return True
    if isinstance(target, HassJob):
        return _is_ours(target.target, depth - 1)
    if isinstance(target, functools.partial):
        return any(_is_ours(item, depth - 1) for item in (target.func, *target.args))
    if (owner := getattr(target, "__self__", None)) is not None:
        return type(owner).__module__.startswith(PACKAGE) or _is_ours(owner, depth - 1)
    attributes = getattr(target, "__dict__", None) or {
        name: getattr(target, name)
        for name in getattr(type(target), "__slots__", ())
        if hasattr(target, name)
    }
    return any(
        _is_ours(value, depth - 1)
        for value in attributes.values()
        if not isinstance(value, HomeAssistant)
    )


def _awaits_ours(coro: object) -> bool:
    """Tell whether a coroutine, or one it awaits, is ours."""
    while coro is not None:
        code = getattr(coro, "cr_code", None)
        if code is not None and f"{Path('custom_components', 'pushover_plus')}" in (
            code.co_filename
        ):
            return True
        coro = getattr(coro, "cr_await", None)
    return False


def running(hass: HomeAssistant) -> tuple[list[asyncio.Task[Any]], list[Any]]:
    """Return our tasks and our timers that are still scheduled."""
    tasks = [
        task
        for task in asyncio.all_tasks(hass.loop)
        if not task.done() and _awaits_ours(task.get_coro())
    ]
    timers = [
        handle
        for handle in get_scheduled_timer_handles(hass.loop)
        if not handle.cancelled()
        # A timer's callback and arguments are private to asyncio's handle.
        and any(
            _is_ours(item)
            for item in (getattr(handle, "_callback", None), *handle._args)
        )
    ]
    return tasks, timers


@pytest.fixture
def no_device_entry() -> MockConfigEntry:
    """Return an entry whose primary key has no device: it is asked again hourly."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA
        | {CONF_USER_KEY: TEST_NO_DEVICE_USER_KEY, CONF_SERVICE_NAME: "pushover"},
        unique_id=token_unique_id(PRIMARY_DATA[CONF_API_TOKEN]),
    )


@pytest.mark.parametrize("primary", ["with_devices", "without_devices"])
async def test_an_unload_leaves_nothing_running(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    no_device_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    primary: str,
) -> None:
    """After sends, an open emergency, an outage and a retry: nothing of ours."""
    entry = config_entry if primary == "with_devices" else no_device_entry
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await send(hass, message="Door open")
    await send_emergency(hass)
    # Pushover goes down: a message waits, retried later, and stays.
    simulator.faults.fail_next = 1_000
    queued = await send(hass, message="Window open")
    assert queued["queued"]
    await advance(hass, freezer, 12, step=6)
    tasks, timers = running(hass)
    # The receipts' poll, the outbox's retry and its stuck notice at least.
    assert len(timers) >= 3
    assert tasks == []

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert running(hass) == ([], [])


async def test_a_read_and_a_drain_in_flight_end_with_the_unload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A receipt read and a queued send that wait on Pushover are cancelled."""
    client = loaded_entry.runtime_data.client
    held = asyncio.Event()
    waiting: list[str] = []

    def hold[**P, R](
        real: Callable[P, Coroutine[Any, Any, R]],
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        async def held_call(*args: P.args, **kwargs: P.kwargs) -> R:
            waiting.append(real.__name__)
            await held.wait()
            return await real(*args, **kwargs)

        return held_call

    await send_emergency(hass)
    simulator.faults.fail_next = 1
    await send(hass, message="Window open")
    # Setup's own background reads (the form's choices) end first: only the
    # two held calls may be running below.
    await hass.async_block_till_done(wait_background_tasks=True)
    with (
        patch.object(client, "receipt", hold(client.receipt)),
        patch.object(client, "send", hold(client.send)),
    ):
        # Not `advance`: it would wait for the held calls for ever.
        freezer.tick(timedelta(seconds=6))
        async_fire_time_changed(hass)
        for _turn in range(_TURNS):
            if len(waiting) == 2:
                break
            await asyncio.sleep(0)
        assert sorted(waiting) == ["receipt", "send"]
        tasks, _timers = running(hass)
        assert len(tasks) == 2

        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

        assert running(hass) == ([], [])


def _lazy_task(
    coro: Coroutine[Any, Any, Any],
    *,
    name: str | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> asyncio.Task[Any]:
    """Create a task that starts at the loop's next turn, not at once."""
    assert loop is not None
    return loop.create_task(coro, name=name)


@pytest.fixture
def no_eager_start() -> Iterator[None]:
    """Make every task Home Assistant creates start lazily."""
    with patch("homeassistant.core.create_eager_task", _lazy_task):
        yield


async def test_a_receipt_is_tracked_when_pushover_accepts_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, no_eager_start: None
) -> None:
    """It is open on the send's return: a cancel right after it finds it."""
    runtime = loaded_entry.runtime_data
    request = MessageRequest(
        message=Message(message="Smoke", priority=2, retry=60, expire=3600),
        attachment=None,
    )

    [outcome] = await runtime.sender.async_send(request, recipients_of(loaded_entry))

    assert [item.receipt for item in runtime.receipts.open] == [outcome.receipt]
    assert outcome.receipt is not None
    await runtime.receipts.async_cancel(outcome.receipt)
    assert runtime.receipts.open == []
    await hass.async_block_till_done()


async def test_an_emergency_accepted_after_the_unload_is_not_followed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its send was in flight: the unloaded tracker neither keeps nor writes it."""
    client: PushoverClient = loaded_entry.runtime_data.client
    tracker = loaded_entry.runtime_data.receipts
    sending = asyncio.Event()
    answer = asyncio.Event()
    real_send = client.send

    async def held_send(users: list[str], message: Message) -> SendResult:
        sending.set()
        await answer.wait()
        return await real_send(users, message)

    with patch.object(client, "send", held_send):
        call = hass.async_create_task(send_emergency(hass))
        await sending.wait()
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
        answer.set()
        receipt = await call
        await hass.async_block_till_done(wait_background_tasks=True)

    assert tracker.open == []
    assert not list(tracker.directory.glob("*.json"))
    assert [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and receipt in record.getMessage()
    ] == [
        (
            f"Emergency message {receipt} was accepted while the entry unloaded; "
            "it is not followed: no event will say how it ends"
        )
    ]
    assert running(hass) == ([], [])
