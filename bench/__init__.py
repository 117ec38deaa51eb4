"""The benchmark of Pushover Plus: `scripts/bench` (see README, "Performance").

The driver (`python -m bench`) runs on the host in a small virtual
environment, like the end-to-end tests, and reuses their process harness
(`e2e.harness`) to start the simulator, the latency proxy and Home Assistant
inside the project's toolchain. The modules run in the toolchain are
`bench.certs`, `bench.proxy` and `bench.inprocess`; `bench/hooks` is put on
the benchmark Home Assistant's PYTHONPATH only.
"""
