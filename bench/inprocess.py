"""Import times, measured without Home Assistant: `python -m bench.inprocess`.

Run in the toolchain; prints one JSON object with the import time of the
integration (and of the built-in `pushover`, when its library is on the path),
after the Home Assistant modules a running instance has already loaded: the
median wall time of fresh interpreters, and from one more run under
`python -X importtime` (which slows each import it times) the modules that
importing loads and the time spent in their own bodies.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from typing import Any, Final

# What a running Home Assistant has imported before it loads a notify
# integration with sensors and events from a config entry.
PRELUDE = (
    "import homeassistant.core, homeassistant.config_entries, "
    "homeassistant.helpers.config_validation, homeassistant.helpers.storage, "
    "homeassistant.helpers.update_coordinator, homeassistant.helpers.entity_platform, "
    "homeassistant.components.notify, homeassistant.components.sensor, "
    "homeassistant.components.event, homeassistant.components.webhook, "
    "homeassistant.components.repairs, homeassistant.helpers.aiohttp_client"
)
OURS = [
    "custom_components.pushover_plus",
    "custom_components.pushover_plus.config_flow",
    "custom_components.pushover_plus.notify",
    "custom_components.pushover_plus.sensor",
    "custom_components.pushover_plus.event",
    "custom_components.pushover_plus.diagnostics",
]
BUILTIN = [
    "homeassistant.components.pushover",
    "homeassistant.components.pushover.config_flow",
    "homeassistant.components.pushover.notify",
]
MARKER = "bench: prelude imported\n"
# Fresh interpreters timed per measurement. On a shared machine one varies by
# half; the fastest of fifteen is the import's own cost (as `timeit` advises:
# slower runs measure what else the machine did), the median what a start
# typically pays there.
IMPORT_ROUNDS: Final = 15
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _run(modules: list[str], *flags: str) -> subprocess.CompletedProcess[str]:
    """Import `modules` after the prelude in a fresh interpreter; print the seconds."""
    code = (
        f"{PRELUDE}\nimport importlib, sys, time\nsys.stderr.write({MARKER!r})\n"
        "start = time.perf_counter()\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(time.perf_counter() - start)"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )


def import_time(modules: list[str]) -> dict[str, Any] | None:
    """Time importing `modules` after the prelude, in fresh interpreters."""
    walls = []
    for _ in range(IMPORT_ROUNDS):
        timed = _run(modules)
        if timed.returncode != 0:
            return None
        walls.append(float(timed.stdout.strip()) * 1000)
    result = _run(modules, "-X", "importtime")
    if result.returncode != 0:
        return None
    # -X importtime lists every module imported; keep those after the prelude.
    lines = result.stderr.splitlines()
    marker = lines.index(MARKER.strip())
    own_prefix = modules[0].rsplit(".", 1)[0] if "." in modules[0] else modules[0]
    total_self = 0
    own_self = 0
    count = 0
    for line in lines[marker:]:
        match = _LINE.match(line)
        if match is None:
            continue
        self_us, name = int(match.group(1)), match.group(4)
        total_self += self_us
        count += 1
        if name.startswith((modules[0], own_prefix + ".")):
            own_self += self_us
    return {
        "wall_ms": statistics.median(walls),
        "wall_ms_fastest": min(walls),
        "wall_ms_rounds": [round(wall, 2) for wall in walls],
        "wall_ms_under_importtime": float(result.stdout.strip()) * 1000,
        "modules_imported": count,
        "self_ms_all_new_modules": total_self / 1000,
        "self_ms_own_modules": own_self / 1000,
    }


def main() -> None:
    """Print the measurements as one JSON object."""
    argparse.ArgumentParser(prog="python -m bench.inprocess").parse_args()
    start = time.perf_counter()
    results: dict[str, Any] = {
        "import_ours": import_time(OURS),
        "import_builtin": import_time(BUILTIN),
    }
    results["seconds"] = time.perf_counter() - start
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
