"""Fitting a 12-megapixel camera picture: `python -m bench.picture`.

Run in the toolchain (Pillow is Home Assistant's); prints one JSON object.
The picture is the tests' worst case: a 4000 by 3000 JPEG of noise at
quality 95, which compresses as badly as a photo can. The time of
`fit_picture` is given against a baseline taken in the same process, on the
same bytes: Pillow decoding them (what any resize must do first), so that
the ratio, unlike the seconds, does not depend on the machine.
"""

import argparse
from collections.abc import Callable
import json
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Final

from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES
from custom_components.pushover_plus.picture import fit_picture
from tests.pictures import decoded, twelve_megapixel_photo

ROUNDS: Final = 5
QUICK_ROUNDS: Final = 2


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def fit_memory_mib(path: Path) -> float:
    """Return how far fitting the picture in `path` raises a fresh process's peak.

    In a process of its own, whose peak so far is the interpreter, the
    modules and the picture's bytes, what the fit adds is its own. The peak
    is Linux's VmHWM, which (unlike getrusage's) starts anew at exec.
    """
    code = (
        "import re\n"
        "from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES\n"
        "from custom_components.pushover_plus.picture import fit_picture\n"
        "def peak():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
        f"content = open({str(path)!r}, 'rb').read()\n"
        "before = peak()\n"
        "fit_picture(content, MAX_ATTACHMENT_BYTES)\n"
        "print(peak() - before)\n"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return int(output) / 1024


def measure(rounds: int) -> dict[str, Any]:
    """Decode and fit the picture, in turns, `rounds` times; return the figures.

    Taking turns, a busy machine slows both alike, and each round's ratio
    compares two timings taken a moment apart.
    """
    photo = twelve_megapixel_photo()
    fitted = fit_picture(photo, MAX_ATTACHMENT_BYTES)
    decode_rounds, fit_rounds = [], []
    for _ in range(rounds):
        decode_rounds.append(_seconds(lambda: decoded(photo).close()))
        fit_rounds.append(_seconds(lambda: fit_picture(photo, MAX_ATTACHMENT_BYTES)))
    ratios = [
        fit / decode for fit, decode in zip(fit_rounds, decode_rounds, strict=True)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        path.write_bytes(photo)
        memory_mib = fit_memory_mib(path)
    return {
        "method": (
            "a 4000x3000 JPEG of noise (quality 95) fitted under Pushover's "
            f"limit, {rounds} rounds taking turns with Pillow decoding it"
        ),
        "rounds": rounds,
        "source_bytes": len(photo),
        "source_size": [fitted.original_width, fitted.original_height],
        "fitted_bytes": len(fitted.content),
        "fitted_size": [fitted.width, fitted.height],
        "limit_bytes": MAX_ATTACHMENT_BYTES,
        "decode_s": statistics.median(decode_rounds),
        "fit_s": statistics.median(fit_rounds),
        "fit_to_decode": statistics.median(ratios),
        "fit_to_decode_rounds": ratios,
        "fit_memory_mib": memory_mib,
    }


def main() -> None:
    """Print the measurements as one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.picture")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    arguments = parser.parse_args()
    rounds = QUICK_ROUNDS if arguments.quick else ROUNDS
    sys.stdout.write(json.dumps(measure(rounds)) + "\n")


if __name__ == "__main__":
    main()
