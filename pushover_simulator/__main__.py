"""Run the simulator: python -m pushover_simulator --host 127.0.0.1 --port 8089."""

import argparse
import asyncio
import contextlib
import ssl
import sys

from .accounts import (
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_EMAIL,
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_NO_DEVICE_EMAIL,
    TEST_NO_DEVICE_PASSWORD,
    TEST_NO_DEVICE_USER_KEY,
    TEST_OTHER_APP_TOKEN,
    TEST_PASSWORD,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_DEVICES,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_SUBSCRIPTION_CODE,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
)
from .quota import DEFAULT_MONTHLY_LIMIT
from .simulator import PushoverSimulator


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m pushover_simulator", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8089, help="port (0 = any free)")
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_MONTHLY_LIMIT, help="monthly message limit"
    )
    parser.add_argument(
        "--tls-cert", help="PEM certificate (chain) to serve HTTPS with --tls-key"
    )
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    return parser.parse_args()


def _ssl_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """Build the server's TLS context, or None to serve plain HTTP."""
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _banner(base_url: str, root_url: str, push_url: str) -> str:
    """Format the URLs and test credentials printed at start."""
    second_devices = f"devices: {', '.join(TEST_SECOND_USER_DEVICES)}"
    return "\n".join(
        [
            f"Pushover simulator: {base_url}",
            f"  phone page:    {root_url} (live messages, faults, quota)",
            f"  control API:   {root_url}_sim/state, {root_url}_sim/faults",
            f"  push socket:   {push_url} (Open Client WebSocket)",
            f"  app token:     {TEST_APP_TOKEN}",
            f"  other token:   {TEST_OTHER_APP_TOKEN}",
            f"  user key:      {TEST_USER_KEY} (devices: {', '.join(TEST_DEVICES)})",
            f"  second user:   {TEST_SECOND_USER_KEY} ({second_devices})",
            f"  group key:     {TEST_GROUP_KEY}",
            f"  no devices:    {TEST_NO_DEVICE_USER_KEY} (valid; no device logged in)",
            "End-to-end encryption keys (as the Pushover apps show them):",
            f"  user key's:    {TEST_ENCRYPTION_KEY}",
            f"  second user's: {TEST_SECOND_ENCRYPTION_KEY}",
            "Subscriptions:",
            (
                f"  web-based:     {root_url}subscribe/{TEST_SUBSCRIPTION_CODE}"
                "?success=…&failure=… (app token)"
            ),
            (
                f"  group-based:   {root_url}subscribe/{TEST_GROUP_SUBSCRIPTION_CODE}"
                f" (other token; joins group {TEST_SUBSCRIBERS_GROUP_KEY})"
            ),
            "Open Client logins (users/login.json):",
            f"  test user:     {TEST_EMAIL} / {TEST_PASSWORD} (the user key)",
            (
                f"  with 2FA:      {TEST_TWOFA_EMAIL} / {TEST_TWOFA_PASSWORD}"
                " (the second user; current code on the phone page)"
            ),
            (
                f"  no Desktop:    {TEST_NO_DESKTOP_EMAIL} / {TEST_NO_DESKTOP_PASSWORD}"
                " (a group member; its devices get the 30-day trial)"
            ),
            (
                f"  newcomer:      {TEST_NO_DEVICE_EMAIL} / {TEST_NO_DEVICE_PASSWORD}"
                " (the key with no devices; registering one gives it a device)"
            ),
            "Press Ctrl-C to stop.",
            "",
        ]
    )


async def _serve(
    host: str, port: int, limit: int, context: ssl.SSLContext | None
) -> None:
    """Serve until cancelled (Ctrl-C)."""
    simulator = PushoverSimulator(monthly_limit=limit)
    base_url = await simulator.start(host=host, port=port, ssl_context=context)
    sys.stdout.write(_banner(base_url, simulator.root_url, simulator.push_url))
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()


def main() -> None:
    """Entry point."""
    arguments = _arguments()
    with contextlib.suppress(KeyboardInterrupt):
        context = _ssl_context(arguments.tls_cert, arguments.tls_key)
        asyncio.run(_serve(arguments.host, arguments.port, arguments.limit, context))


if __name__ == "__main__":
    main()
