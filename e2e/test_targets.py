"""Sending to a notify entity and to its device, as the UI's target picker does."""

import pytest

from .clients import HomeAssistantClient, Json, SimulatorClient
from .conftest import DOMAIN, RECIPIENT, Credentials

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def primary_notify_entity(
    hass_client: HomeAssistantClient, entry_id: str
) -> Json:
    """Return the registry entry of the primary recipient's notify entity."""
    async with hass_client.websocket() as websocket:
        entities = await websocket.command("config/entity_registry/list")
    [entity] = [
        entity
        for entity in entities
        if entity["platform"] == DOMAIN
        and entity["entity_id"].startswith("notify.")
        and entity["config_entry_id"] == entry_id
        and entity["config_subentry_id"] is None
    ]
    return dict(entity)


async def test_target_entity_and_device_over_rest(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """A target of the notify entity, then of its device, reaches the recipient."""
    entity = await primary_notify_entity(hass_client, entry_id)

    for title, target in (
        ("Targeted entity", {"entity_id": entity["entity_id"]}),
        ("Targeted device", {"device_id": entity["device_id"]}),
    ):
        answer = await hass_client.call_service(
            DOMAIN,
            "send_message",
            {"title": title, "message": "Sent to a target", **target},
            return_response=True,
        )
        response: Json = answer["service_response"]
        [delivery] = response["deliveries"]
        assert delivery["entity_ids"] == [entity["entity_id"]]
        assert delivery["config_entry_id"] == entry_id
        assert delivery["recipients"] == [RECIPIENT]

        received = await simulator.wait_for_message(title)
        assert received["request"] == delivery["request_id"]
        assert received["user"] == credentials.user_key
