"""The outbox on disk: what queueing and delivering costs in writes and time.

During an outage of the simulator, N short text messages go through our action
over the websocket, one after the other, so that each is queued: the time each
call takes to return is the queueing latency, the file's fsync included. Then
the outage ends and the queue drains through the proxy. Measured:

- the records' own size: the queue's files on disk once all N are queued;
- the bytes the outbox wrote (the spool's count, read from the entry's
  diagnostics) while queueing and while delivering;
- what the kernel counted as written to storage by the whole hass process
  (`/proc/<pid>/io` write_bytes), which rounds each small file up to a page
  and includes everything else Home Assistant wrote meanwhile.
"""

from pathlib import Path
import time
from typing import Any, Final

from e2e.clients import wait_for

from .measure import ACTIONS, Bench, summary_ms

# Longer than the queueing phase can take: the outage lasts until lifted.
OUTAGE_REQUESTS: Final = 1_000_000
PREFIX: Final = "queue-"


def kernel_write_bytes(pid: int) -> int:
    """Return the bytes the process had written to storage (its threads too)."""
    with Path(f"/proc/{pid}/io").open(encoding="ascii") as io:
        for line in io:
            name, _, value = line.partition(":")
            if name == "write_bytes":
                return int(value)
    msg = f"no write_bytes in /proc/{pid}/io"
    raise RuntimeError(msg)


async def outbox_written(bench: Bench, entry_id: str) -> tuple[int, int]:
    """Return the files and bytes the entry's outbox wrote since it loaded."""
    diagnostics = await bench.ha.request(
        "GET", f"/api/diagnostics/config_entry/{entry_id}"
    )
    outbox = diagnostics["data"]["outbox"]
    return outbox["files_written"], outbox["bytes_written"]


def spool(bench: Bench, entry_id: str) -> Path:
    """Return the entry's queue folder in the benchmark's configuration."""
    return bench.stack.hass.config_dir / ".storage" / "pushover_plus_outbox" / entry_id


async def queue_and_deliver(bench: Bench, entry_id: str, count: int) -> dict[str, Any]:
    """Queue `count` messages during an outage, then deliver them; measure."""
    folder = spool(bench, entry_id)
    pid = bench.stack.hass.pid
    await bench.reset_simulator()
    await bench.sim.set_faults(fail_next=OUTAGE_REQUESTS, fail_status=503)
    files_before, bytes_before = await outbox_written(bench, entry_id)
    kernel_before = kernel_write_bytes(pid)
    seconds: list[float] = []
    domain, service = ACTIONS["ours"]
    async with bench.ha.websocket() as socket:
        for number in range(count):
            started = time.perf_counter()
            await socket.command(
                "call_service",
                domain=domain,
                service=service,
                service_data=bench.fields(f"{PREFIX}{number:05d}"),
            )
            seconds.append(time.perf_counter() - started)
    records = sorted(folder.glob("*.json"))
    record_bytes = sum(path.stat().st_size for path in records)
    files_queued, bytes_queued = await outbox_written(bench, entry_id)
    kernel_queued = kernel_write_bytes(pid)
    await bench.sim.clear_faults()
    await bench.received(PREFIX, count, wait=60 + count)

    async def drained() -> bool | None:
        return True if not any(folder.glob("*.json")) else None

    await wait_for(drained, timeout=60, what="the queue's files to go", interval=0.1)
    files_after, bytes_after = await outbox_written(bench, entry_id)
    kernel_after = kernel_write_bytes(pid)
    return {
        "messages": count,
        "queued_files": len(records),
        "record_bytes": record_bytes,
        "outbox_files_written": files_after - files_before,
        "outbox_bytes_written_queueing": bytes_queued - bytes_before,
        "outbox_bytes_written_delivering": bytes_after - bytes_queued,
        "outbox_bytes_written": bytes_after - bytes_before,
        "kernel_write_bytes_queueing": kernel_queued - kernel_before,
        "kernel_write_bytes_delivering": kernel_after - kernel_queued,
        "kernel_write_bytes": kernel_after - kernel_before,
        "queue_files_written_while_queueing": files_queued - files_before,
        "queueing_call": summary_ms(seconds),
    }
