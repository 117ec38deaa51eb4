"""Escalation until someone acknowledges, in a real Home Assistant.

The entry has one recipient, so the chain alerts it twice: a step is an
emergency message of its own, whoever receives it. The wait is Pushover's
shortest retry (30 s), the quickest a chain can move on.
"""

from typing import Any

import pytest

from .clients import HomeAssistantClient, Json, SimulatorClient
from .conftest import DOMAIN, RECIPIENT, Credentials

pytestmark = pytest.mark.asyncio(loop_scope="session")

WAIT = 30


async def send(client: HomeAssistantClient, entry_id: str, **data: Any) -> Json:
    """Call the send action over REST; return its response."""
    answer = await client.call_service(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry_id, **data},
        return_response=True,
    )
    response: Json = answer["service_response"]
    return response


async def test_second_step_acknowledged_cancels_the_first(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """Nobody answers the first step; the second is acknowledged; the first goes."""
    async with hass_client.websocket() as websocket:
        await websocket.subscribe_events("pushover_plus_escalated")
        await websocket.subscribe_events("pushover_plus_cancelled")
        sent = await send(
            hass_client,
            entry_id,
            title="Escalating leak",
            message="Water under the sink.",
            priority="emergency",
            retry=WAIT,
            expire=600,
            escalate_to=[RECIPIENT],
            escalate_after=WAIT,
        )
        chain_id = sent["chain_id"]
        assert chain_id

        escalated = await websocket.next_event(
            "pushover_plus_escalated", timeout=WAIT + 30
        )
        assert (escalated["chain_id"], escalated["step"]) == (chain_id, 1)
        assert escalated["recipients"] == [RECIPIENT]
        await simulator.acknowledge(escalated["receipt"], credentials.user_key, "phone")
        cancelled = await websocket.next_event("pushover_plus_cancelled", timeout=45)

    assert cancelled["receipt"] == sent["receipt"]
    assert cancelled["chain_id"] == chain_id
    state = await simulator.state()
    assert state["receipts"][sent["receipt"]]["cancelled_at"] > 0
    assert len(await simulator.messages_titled("Escalating leak")) == 2


async def test_cancel_escalation_over_rest(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
) -> None:
    """The action ends the chain at once: its open message is cancelled."""
    sent = await send(
        hass_client,
        entry_id,
        title="Escalation stopped",
        message="False alarm.",
        priority="emergency",
        retry=WAIT,
        expire=600,
        escalate_to=[RECIPIENT],
        escalate_after=WAIT,
    )

    await hass_client.call_service(
        DOMAIN,
        "cancel_escalation",
        {"config_entry_id": entry_id, "chain_id": sent["chain_id"]},
    )

    state = await simulator.state()
    assert state["receipts"][sent["receipt"]]["cancelled_at"] > 0
