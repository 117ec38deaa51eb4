"""The durable outbox across a Pushover outage and a Home Assistant restart."""

import asyncio
from typing import Final

import pytest

from .clients import HomeAssistantClient, SimulatorClient
from .conftest import DOMAIN, SENSOR, HomeAssistant, expect_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")

TITLE: Final = "Sent through an outage"
# Longer than any retry back-off the test could wait for, so the outage lasts
# until the test ends it.
OUTAGE_REQUESTS: Final = 100_000
# How long to watch for a second copy after the first arrived.
DUPLICATE_WATCH: Final = 8.0


async def test_message_queued_in_outage_arrives_once_after_restart(
    home_assistant: HomeAssistant,
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
) -> None:
    """Queued while Pushover answers 503, kept across a restart, delivered once."""
    await simulator.set_faults(fail_next=OUTAGE_REQUESTS, fail_status=503)
    try:
        answer = await hass_client.call_service(
            DOMAIN,
            "send_message",
            {"config_entry_id": entry_id, "title": TITLE, "message": "Still here."},
            return_response=True,
        )
        response = answer["service_response"]
        assert response["queued"] is True
        assert response["request_id"] is None
        [delivery] = response["deliveries"]
        queued_id = delivery["queued_id"]
        assert queued_id
        assert delivery["queue_position"] == 1
        queued = await home_assistant.client.wait_for_state(
            f"{SENSOR}queued_messages", "1"
        )
        assert queued["attributes"]["stuck_since"] is not None

        code = await home_assistant.restart()
        assert code == 0, "Home Assistant did not stop cleanly on SIGTERM"
        assert not await simulator.messages_titled(TITLE)
        # Still queued after the restart, and still failing.
        await hass_client.wait_for_state(f"{SENSOR}queued_messages", "1")
        assert (await simulator.state())["faults"]["fail_next"] < OUTAGE_REQUESTS

        async with hass_client.websocket() as websocket:
            await websocket.subscribe_events("pushover_plus_delivered")
            await simulator.clear_faults()
            # Retries back off from 5 s; those after the restart failed.
            delivered = await websocket.next_event(
                "pushover_plus_delivered", timeout=90
            )
    finally:
        await simulator.clear_faults()

    expect_fields(
        delivered,
        {"entry_id": entry_id, "queued_id": queued_id, "title": TITLE},
    )
    received = await simulator.wait_for_message(TITLE)
    assert received["request"] == delivered["request_id"]
    assert received["message"] == "Still here."
    await hass_client.wait_for_state(f"{SENSOR}queued_messages", "0")
    await asyncio.sleep(DUPLICATE_WATCH)
    assert len(await simulator.messages_titled(TITLE)) == 1
