"""Nothing accepted is lost: SIGKILL Home Assistant while it queues, and fill its disk.

During an outage of the simulator, four senders (as four scripts would) send
75 numbered messages each through the REST API, while Home Assistant is
killed with SIGKILL at five random moments and started again. For part of the
run the disk that holds the queue is full (a 2 MiB tmpfs over the entry's
queue folder, filled up). Then the outage ends, and every message whose send
returned "sent" or "queued" must arrive exactly once (Pushover accepts
nothing while Home Assistant is killed, so a copy would be our bug), each
sender's in its order. A send refused while the disk is full must say so with the
translated error; one cut off by a kill may or may not arrive.

Mounting the tmpfs needs root (or `sudo -n`): scripts/e2e runs as root here.
"""

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
import errno
import os
from pathlib import Path
import random
import subprocess
import time
from typing import Final

import aiohttp
import pytest

from .clients import HomeAssistantClient, HomeAssistantError, SimulatorClient, wait_for
from .conftest import DOMAIN, SENSOR, HomeAssistant

pytestmark = pytest.mark.asyncio(loop_scope="session")

SENDERS: Final = 4
PER_SENDER: Final = 75
KILLS: Final = 5
# In calls begun by all senders together (about 35 a second).
KILL_GAP: Final = 20
CALLS_AFTER_LAST_KILL: Final = 20
OUTAGE_REQUESTS: Final = 1_000_000
# A file per queued message takes a page of tmpfs: 300 of them fit in 2 MiB.
TMPFS_SIZE: Final = "2m"
TITLE: Final = "crash test"
WRITE_FAILED: Final = "writing it to disk failed"
DELIVERY_TIMEOUT: Final = 240.0
DUPLICATE_WATCH: Final = 8.0


@dataclass
class Ledger:
    """What each send answered, by sender and number."""

    accepted: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    refused: list[tuple[int, int]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Set while a call is in flight, so that a kill can cut one off.
    calling: asyncio.Event = field(default_factory=asyncio.Event)
    # Calls begun by all senders, and an event set at each.
    begun: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)
    cut_off: list[tuple[int, int]] = field(default_factory=list)


def _privileged(*argv: str) -> None:
    command = list(argv) if os.geteuid() == 0 else ["sudo", "-n", *argv]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603


def _fill(folder: Path) -> Path:
    """Fill the tmpfs under `folder` until it refuses another byte."""
    filler = folder / "filler.dat"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with pytest.raises(OSError, match="No space left") as full:
            _write_until_full(descriptor)
    finally:
        os.close(descriptor)
    assert full.value.errno == errno.ENOSPC
    return filler


def _write_until_full(descriptor: int) -> None:
    chunk = bytes(64 * 1024)
    while True:
        os.write(descriptor, chunk)


async def _restart_after_kill(home_assistant: HomeAssistant, up: asyncio.Event) -> None:
    up.clear()
    home_assistant.process.kill()
    home_assistant.process.start()
    await home_assistant.wait_until_running()
    up.set()


async def _send_all(
    client: HomeAssistantClient,
    entry_id: str,
    sender: int,
    up: asyncio.Event,
    ledger: Ledger,
) -> None:
    """Send one sender's numbered messages in order, as a script would."""
    for number in range(PER_SENDER):
        await up.wait()
        data = {
            "config_entry_id": entry_id,
            "title": TITLE,
            "message": f"{sender}:{number}",
        }
        ledger.calling.set()
        ledger.begun += 1
        ledger.progress.set()
        try:
            answer = await client.call_service(
                DOMAIN, "send_message", data, return_response=True
            )
        except HomeAssistantError as err:
            # Answered: refused, and it must say why (checked at the end).
            ledger.refused.append((sender, number))
            ledger.refusals.append(str(err))
        except (TimeoutError, aiohttp.ClientError):
            # Killed while the call was in flight: its fate is unknown.
            ledger.cut_off.append((sender, number))
        else:
            response = answer["service_response"]
            assert response["queued"] or response["request_id"], response
            ledger.accepted[sender].append(number)
        finally:
            ledger.calling.clear()


async def test_crashes_and_a_full_disk_lose_no_accepted_message(
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every accepted message arrives once, in each sender's order."""
    seed = time.time_ns()
    spool = (
        home_assistant.process.config_dir / ".storage" / f"{DOMAIN}_outbox" / entry_id
    )
    # The queue's folder goes on a small file system of its own.
    home_assistant.process.stop()
    spool.mkdir(parents=True, exist_ok=True)
    assert not any(spool.iterdir()), "the queue should be empty before the test"
    _privileged(
        "mount", "-t", "tmpfs",
        "-o", f"size={TMPFS_SIZE},mode=0700,uid={os.getuid()},gid={os.getgid()}",
        "tmpfs", str(spool),
    )  # fmt: skip
    try:
        home_assistant.process.start()
        await home_assistant.wait_until_running()
        ledger = await _send_through_crashes(
            home_assistant, hass_client, simulator, entry_id, spool, seed
        )
        arrived = await _wait_for_arrivals(simulator, ledger)
    finally:
        await simulator.clear_faults()
        (spool / "filler.dat").unlink(missing_ok=True)
        home_assistant.process.stop()
        _privileged("umount", str(spool))
        home_assistant.process.start()
        await home_assistant.wait_until_running()

    counts = Counter(arrived)
    accepted = {(s, n) for s, numbers in ledger.accepted.items() for n in numbers}
    lost = sorted(accepted - set(counts))
    duplicates = sum(count - 1 for count in counts.values())
    with capsys.disabled():
        print(  # noqa: T201 - the counts are the test's report
            f"\ncrash test (seed {seed}): {SENDERS * PER_SENDER} sends, "
            f"{len(accepted)} accepted, {len(ledger.refused)} refused (disk full), "
            f"{len(ledger.cut_off)} cut off by a kill; "
            f"{len(set(counts) & accepted)} accepted delivered, {len(lost)} lost, "
            f"{duplicates} duplicates, "
            f"{len(set(counts) & set(ledger.cut_off))} cut-off delivered"
        )
    assert lost == []
    assert duplicates == 0
    assert ledger.refused, "the full disk refused nothing: it was not full"
    assert all(WRITE_FAILED in text for text in ledger.refusals), ledger.refusals
    assert not set(counts) & set(ledger.refused), "a refused send arrived"
    for sender in range(SENDERS):
        order = [n for s, n in dict.fromkeys(arrived) if s == sender]
        assert order == sorted(order), f"sender {sender} arrived out of order"
    await hass_client.wait_for_state(f"{SENSOR}queued_messages", "0")


def _kill_points(moments: random.Random) -> list[int]:
    """Return after how many begun calls each kill falls, at random.

    Counted in calls, not seconds: a kill timed by the clock could fall after
    the senders' last call, and then wait for a call in flight forever. Kills
    are KILL_GAP calls apart at least (the disk is full between two of them),
    and the last leaves calls to cut off.
    """
    last = SENDERS * PER_SENDER - CALLS_AFTER_LAST_KILL
    span = range(SENDERS, last - KILL_GAP * (KILLS - 1))
    return [
        at + KILL_GAP * index
        for index, at in enumerate(sorted(moments.sample(span, KILLS)))
    ]


async def _send_through_crashes(
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
    spool: Path,
    seed: int,
) -> Ledger:
    """Send everything during an outage while Home Assistant is killed."""
    moments = random.Random(seed)  # noqa: S311 - test timing, not crypto
    await simulator.set_faults(fail_next=OUTAGE_REQUESTS, fail_status=503)
    up = asyncio.Event()
    up.set()
    ledger = Ledger()
    senders = [
        asyncio.create_task(_send_all(hass_client, entry_id, sender, up, ledger))
        for sender in range(SENDERS)
    ]
    filler: Path | None = None
    for kill, calls in enumerate(_kill_points(moments), start=1):
        while ledger.begun < calls:
            ledger.progress.clear()
            await ledger.progress.wait()
        # Then as soon as a call is in flight.
        await ledger.calling.wait()
        await _restart_after_kill(home_assistant, up)
        # The disk is full from the second restart to the fourth.
        if kill == 2:
            filler = await asyncio.to_thread(_fill, spool)
        elif kill == 4 and filler is not None:
            filler.unlink()
    await asyncio.gather(*senders)
    await simulator.clear_faults()
    return ledger


async def _wait_for_arrivals(
    simulator: SimulatorClient, ledger: Ledger
) -> list[tuple[int, int]]:
    """Wait until every accepted message arrived; watch for late copies."""
    wanted = {(s, n) for s, numbers in ledger.accepted.items() for n in numbers}

    async def arrivals() -> list[tuple[int, int]]:
        received = await simulator.messages_titled(TITLE)
        return [
            (int(sender), int(number))
            for sender, number in (m["message"].split(":") for m in received)
        ]

    async def all_arrived() -> bool | None:
        return True if wanted <= set(await arrivals()) else None

    await wait_for(all_arrived, timeout=DELIVERY_TIMEOUT, what="the queued messages")
    await asyncio.sleep(DUPLICATE_WATCH)
    return await arrivals()
