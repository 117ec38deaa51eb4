"""API calls per simulated day, counted by the simulator.

Runs tests/test_api_calls_per_day.py in the toolchain: each scenario loads the
integration in Home Assistant's test harness against the simulator on
loopback, runs the timers through 24 hours of frozen time and records the
requests the simulator counted as JUnit XML properties, read back here.
"""

from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree as ET

from e2e.harness import REPO_DIR

from .stack import in_toolchain

MODULE: Final = "tests/test_api_calls_per_day.py"
TOTAL: Final = "api_calls"


def api_calls_per_day(run_dir: Path) -> dict[str, Any]:
    """Run the scenarios; return each one's total and per-endpoint counts."""
    report = run_dir / "api-calls-per-day.xml"
    in_toolchain(
        "python",
        "-m",
        "pytest",
        MODULE,
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-cov",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={report.resolve().relative_to(REPO_DIR).as_posix()}",
    )
    scenarios: dict[str, Any] = {}
    # Our own pytest's report, written a moment ago: not untrusted input.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        name = case.attrib["name"].split("[", 1)[1].rstrip("]")
        properties = {
            item.attrib["name"]: int(item.attrib["value"])
            for item in case.iter("property")
        }
        scenarios[name] = {
            "total": properties.pop(TOTAL),
            "by_endpoint": {
                key.removeprefix(TOTAL).strip(): value
                for key, value in properties.items()
            },
        }
    return {
        "method": (
            f"counted by the simulator: {MODULE} runs Home Assistant's timers "
            "through 24 hours of frozen time after the entry's setup"
        ),
        "scenarios": scenarios,
    }
