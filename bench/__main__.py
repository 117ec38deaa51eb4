"""scripts/bench: Pushover Plus against the built-in integration and a bare client.

`python -m bench` (run by scripts/bench in the host's benchmark environment)
starts the simulator over HTTPS, the latency proxy and Home Assistant, measures,
prints a table and writes .bench/results.json (--quick: .bench/results-quick.json).
"""

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from pathlib import Path
import statistics
import sys
import time
from typing import Any, Final

import aiohttp

from e2e.harness import RunDirectory

from .counted import api_calls_per_day, memory
from .measure import Bench
from .queue import queue_and_deliver
from .receive import receive_latency
from .report import IDLE_CALLS_GOAL, chart, goals, table
from .stack import BENCH_DIR, Stack, builtin_site, in_toolchain

DOCS_CHART: Final = Path(__file__).resolve().parent.parent / "docs" / "performance.png"
# A burst against a simulator that takes this long to answer: requests then
# overlap there, and its peak in flight shows each sender's real concurrency.
SLOW_SERVER_MESSAGES: Final = 50
SLOW_SERVER_DELAY_S: Final = 0.05
# Messages queued during an outage, then delivered (a quick run: 50).
QUEUED_MESSAGES: Final = 1000


@dataclass(frozen=True)
class Options:
    """What to run."""

    quick: bool
    messages: int
    samples: int
    rounds: int
    burst_rounds: int
    reloads: int
    rtt_ms: float
    output: Path
    chart: Path | None
    keep_run: bool
    api_calls_only: bool


def _two_or_more(text: str) -> int:
    """Read a count of samples: percentiles need at least two."""
    count = int(text)
    if count < 2:  # noqa: PLR2004 - the fewest that statistics.quantiles takes
        msg = f"{count}: at least 2 are needed for percentiles"
        raise argparse.ArgumentTypeError(msg)
    return count


def _options() -> Options:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small run (< 60 s) that checks it works"
    )
    parser.add_argument(
        "--messages", type=_two_or_more, help="burst size (500; quick 50)"
    )
    parser.add_argument(
        "--samples", type=_two_or_more, help="latency samples per round (100; quick 10)"
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds of latency samples (3; quick 1)"
    )
    parser.add_argument(
        "--burst-rounds", type=int, help="bursts per sender (2; quick 1)"
    )
    parser.add_argument("--rtt-ms", type=float, default=40.0, help="proxy round trip")
    parser.add_argument("--output", type=Path, help="results JSON file")
    parser.add_argument(
        "--no-chart", action="store_true", help="do not write docs/performance.png"
    )
    parser.add_argument(
        "--keep-run", action="store_true", help="keep .bench/run-* (logs, config)"
    )
    parser.add_argument(
        "--api-calls-only",
        action="store_true",
        help="only count the API calls per simulated day (scripts/test-calendar)",
    )
    arguments = parser.parse_args()
    quick = arguments.quick
    output = arguments.output or BENCH_DIR / (
        "results-quick.json" if quick else "results.json"
    )
    return Options(
        quick=quick,
        messages=arguments.messages or (50 if quick else 500),
        samples=arguments.samples or (10 if quick else 100),
        rounds=arguments.rounds or (1 if quick else 3),
        burst_rounds=arguments.burst_rounds or (1 if quick else 2),
        reloads=1 if quick else 3,
        rtt_ms=arguments.rtt_ms,
        output=output,
        chart=None if quick or arguments.no_chart else DOCS_CHART,
        keep_run=arguments.keep_run,
        api_calls_only=arguments.api_calls_only,
    )


def _say(text: str) -> None:
    sys.stdout.write(f"[bench] {text}\n")
    sys.stdout.flush()


def _inprocess(site: Path) -> dict[str, Any]:
    """Run bench.inprocess in the toolchain, the built-in's library on its path."""
    relative = site.relative_to(BENCH_DIR.parent).as_posix()
    output = in_toolchain(
        "env", f"PYTHONPATH={relative}", "python", "-m", "bench.inprocess"
    )
    result: dict[str, Any] = json.loads(output)
    return result


def _picture(*, quick: bool) -> dict[str, Any]:
    """Run bench.picture in the toolchain, where Pillow is."""
    output = in_toolchain(
        "python", "-m", "bench.picture", *(["--quick"] if quick else [])
    )
    result: dict[str, Any] = json.loads(output)
    return result


async def _measure(options: Options, run: RunDirectory) -> dict[str, Any]:
    stack = Stack(run, options.rtt_ms)
    results: dict[str, Any] = {}
    try:
        _say("starting the simulator (HTTPS), the latency proxy and Home Assistant")
        results["hass_start_s"] = await stack.start()
        _say(f"Home Assistant running after {results['hass_start_s']:.1f} s")
        connector = aiohttp.TCPConnector(limit=2, ssl=stack.ssl_context)
        async with aiohttp.ClientSession(connector=connector) as bare:
            bench = Bench(stack, stack.credentials(), bare)
            entries = await bench.add_entries()
            results["setup"] = {}
            for domain, kind in (("pushover_plus", "ours"), ("pushover", "builtin")):
                results["setup"][kind] = {
                    "create_flow_s": entries[domain]["create_flow_s"]
                }
            # The built-in cannot be unloaded ("Unload not supported"), so only
            # ours is reloaded; its create flow (validation + setup) compares.
            reloads = await bench.reload_times(
                entries["pushover_plus"]["entry_id"], options.reloads
            )
            results["setup"]["ours"] |= {
                "reload_s": reloads["seconds"],
                "reload_refused": reloads["refused"],
                "reload_median_s": statistics.median(
                    reloads["seconds"] or [float("nan")]
                ),
            }
            _say(
                f"single messages: {options.rounds} rounds of {options.samples} "
                "per sender, taking turns"
            )
            results["latency"] = await bench.latency(options.samples, options.rounds)
            _say(
                f"bursts: {options.burst_rounds} rounds of {options.messages} "
                "messages per sender, taking turns"
            )
            results["burst"] = await bench.bursts(
                options.messages, options.burst_rounds
            )
            _say(
                f"slow server: a burst of {SLOW_SERVER_MESSAGES} per sender, "
                f"each answer held {SLOW_SERVER_DELAY_S * 1000:.0f} ms"
            )
            results["slow_server"] = await bench.slow_server(
                SLOW_SERVER_MESSAGES, SLOW_SERVER_DELAY_S
            )
            queued = 50 if options.quick else QUEUED_MESSAGES
            _say(f"outbox: {queued} messages queued during an outage, then delivered")
            results["queue"] = await queue_and_deliver(
                bench, entries["pushover_plus"]["entry_id"], queued
            )
            # Last: the inbox's device gets every later message too.
            _say(f"receiving: {options.samples} messages to an inbox")
            results["receive"] = await receive_latency(bench, options.samples)
    except BaseException:
        for process in stack.processes:
            log = process.log_tail(30)
            if log:
                _say(f"--- {process.name} log (end)\n{log}")
        raise
    finally:
        await stack.stop()
    return results


def _count_api_calls(run: RunDirectory) -> None:
    """Count the API calls per simulated day alone; fail if the idle goal is missed."""
    try:
        calls = api_calls_per_day(run.path)
    finally:
        run.remove()
    idle = max(
        scenario["total"]
        for name, scenario in calls["scenarios"].items()
        if name.startswith("idle")
    )
    for name, scenario in calls["scenarios"].items():
        label = name.replace("_", " ")
        _say(f"API calls per simulated day, {label}: {scenario['total']}")
    _say(f"idle API calls per day: {idle} (goal <= {IDLE_CALLS_GOAL})")
    if idle > IDLE_CALLS_GOAL:
        sys.exit(1)


def main() -> None:
    """Entry point."""
    options = _options()
    began = time.monotonic()
    BENCH_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = BENCH_DIR / f"run-{stamp}"
    path.mkdir()
    run = RunDirectory(path)
    if options.api_calls_only:
        _count_api_calls(run)
        return
    try:
        results: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "scripts/bench" + (" --quick" if options.quick else ""),
            "parameters": {
                "messages": options.messages,
                "latency_samples": options.samples,
                "latency_rounds": options.rounds,
                "burst_rounds": options.burst_rounds,
                "rtt_ms": options.rtt_ms,
                "slow_server_messages": SLOW_SERVER_MESSAGES,
                "slow_server_delay_ms": SLOW_SERVER_DELAY_S * 1000,
            },
        }
        results |= asyncio.run(_measure(options, run))
        _say("import times")
        results["inprocess"] = _inprocess(builtin_site())
        _say("fitting a 12-megapixel picture under Pushover's limit")
        results["picture"] = _picture(quick=options.quick)
        _say("API calls per simulated day, counted by the simulator")
        results["api_calls_per_day"] = api_calls_per_day(run.path)
        _say("memory held by 500 queued messages and 500 open receipts")
        results["memory"] = memory(run.path)
    finally:
        if not options.keep_run:
            run.remove()
    results["goals"] = goals(results)
    results["wall_seconds"] = time.monotonic() - began
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(table(results))
    if options.chart is not None:
        written = chart(results, options.chart)
        _say(f"chart: {written}" if written else "chart skipped: no matplotlib")
    _say(f"results: {options.output} ({results['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
