"""An inbox in a real Home Assistant: added over REST with a two-factor code.

Messages sent to the account arrive as events, after a reconnect and after a
restart with messages waiting; an acknowledgement from Home Assistant
reaches the sender's receipt. The inbox logs in as the simulator's
two-factor account (its second user).
"""

from typing import Final

import pytest

from .clients import HomeAssistantClient, SimulatorClient, wait_for
from .conftest import DOMAIN, Credentials, HomeAssistant

# The simulator's two-factor account (see pushover_simulator/accounts.py).
TWOFA_EMAIL: Final = "second@example.com"
TWOFA_PASSWORD: Final = "second-factor-please"  # noqa: S105 - the simulator's
DEVICE: Final = "E2EInbox"
RECEIVED: Final = "pushover_plus_message_received"

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def add_inbox(
    hass_client: HomeAssistantClient, simulator: SimulatorClient
) -> str:
    """Go through the inbox's flow over REST, with the 2FA code; return its id."""
    menu = await hass_client.request(
        "POST", "/api/config/config_entries/flow", {"handler": DOMAIN}
    )
    step = f"/api/config/config_entries/flow/{menu['flow_id']}"
    login = await hass_client.request("POST", step, {"next_step_id": "inbox"})
    assert login["step_id"] == "inbox"
    twofa = await hass_client.request(
        "POST", step, {"email": TWOFA_EMAIL, "password": TWOFA_PASSWORD}
    )
    assert twofa["step_id"] == "inbox_twofa", twofa
    code = (await simulator.state())["open_client"]["twofa_codes"][TWOFA_EMAIL]
    device = await hass_client.request("POST", step, {"twofa": code})
    assert device["step_id"] == "inbox_device", device
    created = await hass_client.request("POST", step, {"device_name": DEVICE})
    assert created["type"] == "create_entry", created
    assert created["result"]["state"] == "loaded"
    entry_id: str = created["result"]["entry_id"]
    return entry_id


async def connected(simulator: SimulatorClient) -> bool | None:
    """Whether the inbox's device has a push session at the simulator."""
    devices = (await simulator.state())["open_client"]["devices"]
    ours = [device for device in devices if device["name"] == DEVICE]
    return True if ours and ours[0]["connection"] else None


async def test_inbox_receives_reconnects_restarts_and_acknowledges(
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
) -> None:
    """The whole path of a received message, in a real Home Assistant."""
    entry_id = await add_inbox(hass_client, simulator)
    await wait_for(lambda: connected(simulator), timeout=30, what="the push login")
    user = credentials.second_user_key
    try:
        async with hass_client.websocket() as websocket:
            await websocket.subscribe_events(RECEIVED)
            await simulator.send_as_app(
                credentials.app_token, user, title="Doorbell", message="Ring"
            )
            event = await websocket.next_event(RECEIVED, timeout=30)
            assert event["title"] == "Doorbell"
            assert event["entry_id"] == entry_id

            await simulator.push("reload")
            await simulator.send_as_app(
                credentials.app_token, user, title="After R", message="Again"
            )
            event = await websocket.next_event(RECEIVED, timeout=30)
            assert event["title"] == "After R"

        # Messages that wait while Home Assistant is stopped come at its start.
        home_assistant.process.stop()
        for number in range(3):
            await simulator.send_as_app(
                credentials.app_token, user, title=f"Waiting {number}", message="."
            )
        home_assistant.process.start()
        await home_assistant.wait_until_running()
        last = await hass_client.wait_for_state(
            "sensor.pushover_inbox_last_message", "Waiting 2", timeout=60
        )
        assert last["attributes"]["id"] >= 5

        async with hass_client.websocket() as websocket:
            await websocket.subscribe_events(RECEIVED)
            sent = await simulator.send_as_app(
                credentials.app_token,
                user,
                title="Smoke",
                message="Smoke in the kitchen",
                priority=2,
                retry=30,
                expire=600,
            )
            event = await websocket.next_event(RECEIVED, timeout=30)
            assert event["receipt"] == sent["receipt"]
            await hass_client.call_service(
                DOMAIN,
                "acknowledge",
                {"config_entry_id": entry_id, "receipt": sent["receipt"]},
            )
        receipt = (await simulator.state())["receipts"][sent["receipt"]]
        assert receipt["acknowledged"] == 1
        assert receipt["acknowledged_by_device"] == DEVICE
    finally:
        await hass_client.request(
            "DELETE", f"/api/config/config_entries/entry/{entry_id}"
        )
