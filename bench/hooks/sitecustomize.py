# This folder is no package: it is put on the benchmark hass's PYTHONPATH.
# ruff: noqa: INP001
"""Point pushover_complete at the benchmark's proxy (benchmark Home Assistant only).

`scripts/bench` puts this folder on the PYTHONPATH of the Home Assistant it
starts, with BENCH_PUSHOVER_COMPLETE_URL set. The one change is the library's
API URL constant, which it reads at each request; nothing else is touched.
"""

import os

_URL = os.environ.get("BENCH_PUSHOVER_COMPLETE_URL")
if _URL:
    from pushover_complete import pushover_api  # type: ignore[import-untyped]

    pushover_api.PUSHOVER_API_URL = _URL
