"""Figures counted in Home Assistant's test harness rather than timed.

Two test modules, run in the toolchain, load the integration against the
simulator on loopback and record what they count as JUnit XML properties,
read back here:

- tests/test_api_calls_per_day.py: API calls in a day of simulated time, as
  the simulator counted them (Home Assistant's timers run through 24 hours of
  frozen time after the entry's setup);
- tests/test_footprint.py: memory held by the outbox with 500 queued messages
  and by the receipt tracker with 500 open receipts.
"""

from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree as ET

from e2e.harness import REPO_DIR

from .stack import in_toolchain

CALLS_MODULE: Final = "tests/test_api_calls_per_day.py"
FOOTPRINT_MODULE: Final = "tests/test_footprint.py"
TOTAL: Final = "api_calls"


def _recorded(module: str, report: Path) -> dict[str, dict[str, int]]:
    """Run a test module; return each test's recorded properties by its id."""
    in_toolchain(
        "python",
        "-m",
        "pytest",
        module,
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-cov",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={report.resolve().relative_to(REPO_DIR).as_posix()}",
    )
    # Our own pytest's report, written a moment ago: not untrusted input.
    return {
        case.attrib["name"]: {
            item.attrib["name"]: int(item.attrib["value"])
            for item in case.iter("property")
        }
        for case in ET.parse(report).getroot().iter("testcase")  # noqa: S314
    }


def api_calls_per_day(run_dir: Path) -> dict[str, Any]:
    """Count each scenario's API calls in its day, in total and per endpoint."""
    scenarios: dict[str, Any] = {}
    for test, properties in _recorded(
        CALLS_MODULE, run_dir / "api-calls-per-day.xml"
    ).items():
        name = test.split("[", 1)[1].rstrip("]")
        scenarios[name] = {
            "total": properties.pop(TOTAL),
            "by_endpoint": {
                key.removeprefix(TOTAL).strip(): value
                for key, value in properties.items()
            },
        }
    return {
        "method": (
            f"counted by the simulator: {CALLS_MODULE} runs Home Assistant's "
            "timers through 24 hours of frozen time after the entry's setup"
        ),
        "scenarios": scenarios,
    }


def memory(run_dir: Path) -> dict[str, Any]:
    """Measure what the outbox and the receipt tracker hold with 500 items."""
    held = _recorded(FOOTPRINT_MODULE, run_dir / "footprint.xml")
    outbox = held["test_outbox_with_500_queued_messages"]
    receipts = held["test_tracker_with_500_open_receipts"]
    return {
        "method": (
            f"{FOOTPRINT_MODULE}: objects reachable from the loaded entry's "
            "queue or open receipts, each once, shared ones left out"
        ),
        "count": outbox["count"],
        "outbox_bytes": outbox["bytes"],
        "outbox_bytes_per_item": outbox["bytes"] / outbox["count"],
        "receipts_bytes": receipts["bytes"],
        "receipts_bytes_per_item": receipts["bytes"] / receipts["count"],
    }
