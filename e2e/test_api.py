"""The integration in a real Home Assistant, driven through its public APIs."""

from datetime import UTC, datetime
from typing import Any, Final

import pytest

from .clients import HomeAssistantClient, Json, SimulatorClient, wait_for
from .conftest import (
    DOMAIN,
    ENTRY_TITLE,
    LEGACY_ACTION,
    OWNER,
    RECIPIENT,
    SENSOR,
    WRONG_TOKEN,
    Credentials,
    add_entry,
    expect_fields,
)
from .harness import ATTACHMENTS_DIR, REPO_DIR

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The development instance's sample picture, which the hello script attaches.
ATTACHMENT: Final = ATTACHMENTS_DIR / "front-door.png"

# Every field the simulator reports that a plain send leaves unset.
UNSET_FIELDS: Final[dict[str, Any]] = {
    "retry": None,
    "expire": None,
    "callback": None,
    "tags": [],
    "receipt": None,
    "attachment_size": None,
    "monospace": False,
}


async def send(client: HomeAssistantClient, entry_id: str, **data: Any) -> Json:
    """Call pushover_plus.send_message and return its response."""
    answer = await client.call_service(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry_id, **data},
        return_response=True,
    )
    response: Json = answer["service_response"]
    return response


async def test_onboarded_through_the_rest_api(hass_client: HomeAssistantClient) -> None:
    """Onboarding made the owner; every step is done; the token works."""
    steps = await hass_client.request("GET", "/api/onboarding")
    assert {step["step"]: step["done"] for step in steps} == {
        "user": True,
        "core_config": True,
        "analytics": True,
        "integration": True,
    }
    assert await hass_client.request("GET", "/api/") == {"message": "API running."}
    async with hass_client.websocket() as websocket:
        user = await websocket.command("auth/current_user")
    assert user["name"] == OWNER.name
    assert user["is_owner"] is True
    assert user["is_admin"] is True


async def test_config_flow_refuses_wrong_token_then_creates_entry(
    hass_client: HomeAssistantClient, credentials: Credentials
) -> None:
    """The form names the wrong token; the right credentials create the entry."""
    for entry in await hass_client.entries(DOMAIN):
        if entry["title"] == ENTRY_TITLE:
            await hass_client.request(
                "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
            )
    menu = await hass_client.request(
        "POST", "/api/config/config_entries/flow", {"handler": DOMAIN}
    )
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["credentials", "inbox"]
    form = await hass_client.request(
        "POST",
        f"/api/config/config_entries/flow/{menu['flow_id']}",
        {"next_step_id": "credentials"},
    )
    assert form["type"] == "form"
    assert form["step_id"] == "credentials"
    assert [field["name"] for field in form["data_schema"]] == [
        "api_token",
        "user_key",
    ]
    assert form["errors"] in ({}, None)
    step = f"/api/config/config_entries/flow/{form['flow_id']}"

    refused = await hass_client.request(
        "POST",
        step,
        {"api_token": WRONG_TOKEN, "user_key": credentials.user_key},
    )
    assert refused["type"] == "form"
    assert refused["errors"] == {"api_token": "invalid_api_token"}
    # What was typed stays in the form, the token and the key alike.
    typed = {
        field["name"]: field["description"]["suggested_value"]
        for field in refused["data_schema"]
    }
    assert typed == {"api_token": WRONG_TOKEN, "user_key": credentials.user_key}

    named = await hass_client.request(
        "POST",
        step,
        {"api_token": credentials.app_token, "user_key": credentials.user_key},
    )
    assert named["step_id"] == "recipient"
    [name_field] = named["data_schema"]
    # A user key is suggested to be the owner's.
    assert name_field["description"]["suggested_value"] == OWNER.name

    created = await hass_client.request("POST", step, {"name": RECIPIENT})
    assert created["type"] == "create_entry"
    assert created["title"] == ENTRY_TITLE
    entry = created["result"]
    assert entry["domain"] == DOMAIN
    assert entry["state"] == "loaded"

    # The same token a second time is refused before Pushover is asked.
    again = await add_entry(hass_client, credentials)
    assert again["type"] == "abort"
    assert again["reason"] == "already_configured"

    # The entities of the entry exist: the application device and the
    # primary recipient's notify entity and legacy action.
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")
    await hass_client.wait_for_state(f"{SENSOR}queued_messages", "0")
    services = await hass_client.request("GET", "/api/services")
    notify = next(item for item in services if item["domain"] == "notify")
    assert LEGACY_ACTION in notify["services"]
    ours = next(item for item in services if item["domain"] == DOMAIN)
    assert {"send_message", "cancel_receipt", "cancel_by_tag"} <= set(ours["services"])


async def test_options_flow_sets_message_defaults(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
) -> None:
    """Options chosen in the options flow are used when a call leaves them out."""
    form = await hass_client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    assert form["type"] == "form"
    assert form["step_id"] == "init"
    assert {field["name"] for field in form["data_schema"]} == {
        "devices",
        "sound",
        "priority",
        "retry",
        "expire",
        "acknowledgement_callback",
        "edit_glance",
        "encryption_key",
    }
    done = await hass_client.request(
        "POST",
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {
            "devices": ["tablet", "watch"],
            "sound": "doorbell",
            "priority": "low",
            "retry": 90,
            "expire": 900,
            "acknowledgement_callback": False,
        },
    )
    assert done["type"] == "create_entry"
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")

    async def defaults_applied() -> Json | None:
        # The entry reloads after the options change; the action fails
        # until it is back.
        try:
            return await send(hass_client, entry_id, message="Defaults", title="Opts")
        except AssertionError:
            return None

    await wait_for(defaults_applied, timeout=30, what="the entry to reload")
    received = await simulator.wait_for_message("Opts")
    expect_fields(
        received,
        {
            "message": "Defaults",
            "devices": ["tablet", "watch"],
            "device": "tablet,watch",
            "sound": "doorbell",
            "priority": -1,
            **UNSET_FIELDS,
        },
    )

    # Back to no defaults, which later tests expect.
    form = await hass_client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    done = await hass_client.request(
        "POST",
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {"retry": 60, "expire": 3600, "acknowledgement_callback": False},
    )
    assert done["type"] == "create_entry"

    async def restored() -> Json | None:
        try:
            return await send(hass_client, entry_id, message="Plain", title="Plain")
        except AssertionError:
            return None

    await wait_for(restored, timeout=30, what="the entry to reload")
    plain = await simulator.wait_for_message("Plain")
    expect_fields(plain, {"devices": [], "device": None, "sound": None, "priority": 0})


async def test_send_message_action_delivers_every_field(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """pushover_plus.send_message: each field arrives at Pushover as given."""
    timestamp = datetime(2026, 1, 1, tzinfo=UTC)

    async def sent() -> Json | None:
        try:
            return await send(
                hass_client,
                entry_id,
                title="All fields",
                message="The <b>kitchen</b> sensor is wet.",
                html=True,
                priority="high",
                sound="bugle",
                device=["phone", "tablet"],
                url="https://example.invalid/camera",
                url_title="Open the camera",
                ttl=3600,
                timestamp=timestamp.isoformat(),
            )
        except AssertionError:
            return None  # the entry may still be reloading after the options

    response = await wait_for(sent, timeout=30, what="send_message to succeed")
    assert response["queued"] is False
    assert response["receipt"] is None
    assert len(response["request_id"]) > 0
    [delivery] = response["deliveries"]
    assert delivery["recipients"] == [RECIPIENT]
    assert delivery["recipient_ids"] == ["primary"]
    assert response["accepted_ids"] == ["primary"]
    assert delivery["request_id"] == response["request_id"]

    received = await simulator.wait_for_message("All fields")
    expect_fields(
        received,
        {
            "request": response["request_id"],
            "token": credentials.app_token,
            "user": credentials.user_key,
            "title": "All fields",
            "message": "The <b>kitchen</b> sensor is wet.",
            "html": True,
            "priority": 1,
            "sound": "bugle",
            "device": "phone,tablet",
            "devices": ["phone", "tablet"],
            "url": "https://example.invalid/camera",
            "url_title": "Open the camera",
            "ttl": 3600,
            "timestamp": int(timestamp.timestamp()),
            **UNSET_FIELDS,
        },
    )


async def test_encrypted_send_decrypts_on_the_account(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """With the primary's key in the options, Pushover gets only ciphertext."""

    async def set_options(**options: Any) -> None:
        form = await hass_client.request(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        done = await hass_client.request(
            "POST",
            f"/api/config/config_entries/options/flow/{form['flow_id']}",
            {"retry": 60, "expire": 3600, "acknowledgement_callback": False, **options},
        )
        assert done["type"] == "create_entry"

    await set_options(encryption_key=credentials.encryption_key.upper())

    async def sent() -> Json | None:
        try:
            return await send(
                hass_client, entry_id, title="Sealed", message="Alarm code 4711"
            )
        except AssertionError:
            return None  # the entry reloads after the options change

    await wait_for(sent, timeout=30, what="send_message to succeed")

    async def decrypted() -> Json | None:
        for message in await simulator.messages():
            decryption = message["decryptions"].get(credentials.user_key)
            if decryption and decryption["plaintext"].get("title") == "Sealed":
                return message
        return None

    received = await wait_for(decrypted, timeout=30, what="the encrypted message")
    assert received["encrypted"] is True
    assert "4711" not in received["message"]
    assert received["decryptions"][credentials.user_key] == {
        "plaintext": {"message": "Alarm code 4711", "title": "Sealed"},
        "problems": {},
    }

    # Back to plaintext, which later tests expect.
    await set_options()

    async def plain() -> Json | None:
        try:
            return await send(hass_client, entry_id, message="Open", title="Unsealed")
        except AssertionError:
            return None

    await wait_for(plain, timeout=30, what="the entry to reload")
    unsealed = await simulator.wait_for_message("Unsealed")
    assert unsealed["encrypted"] is False


async def test_legacy_notify_action_takes_builtin_service_data(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """notify.ada_owner accepts the built-in integration's data unchanged."""
    await hass_client.call_service(
        "notify",
        LEGACY_ACTION,
        {
            "title": "Front door",
            "message": "Someone rang the bell.",
            "target": ["phone"],
            "data": {
                "priority": 1,
                "sound": "bugle",
                "url": "https://example.invalid/door",
                "url_title": "Open the door camera",
                "ttl": 600,
            },
        },
    )
    received = await simulator.wait_for_message("Front door")
    expect_fields(
        received,
        {
            "token": credentials.app_token,
            "user": credentials.user_key,
            "message": "Someone rang the bell.",
            "devices": ["phone"],
            "priority": 1,
            "sound": "bugle",
            "url": "https://example.invalid/door",
            "url_title": "Open the door camera",
            "ttl": 600,
            "html": False,
            **UNSET_FIELDS,
        },
    )
    assert len(await simulator.messages_titled("Front door")) == 1


async def test_example_scripts_of_the_walkthrough(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """The README's example scripts send what they promise."""
    await hass_client.call_service("script", "pushover_plus_hello", {})
    hello = await simulator.wait_for_message("Hello from Home Assistant")
    expect_fields(
        hello,
        {
            "message": "<b>Pushover Plus</b> works.",
            "html": True,
            "sound": "magic",
            "url_title": "Open Home Assistant",
            "attachment_filename": ATTACHMENT.name,
            "attachment_type": "image/png",
            "attachment_size": (REPO_DIR / ATTACHMENT).stat().st_size,
        },
    )
    # This one waits for the acknowledgement: start it without waiting.
    script = "script.pushover_plus_emergency"
    await hass_client.call_service("script", "turn_on", {"entity_id": script})
    emergency = await simulator.wait_for_message("Water leak (example)")
    assert emergency["priority"] == 2
    assert emergency["receipt"]
    assert emergency["tags"] == ["example"]
    await hass_client.wait_for_state(script, "on")
    await simulator.acknowledge(emergency["receipt"], credentials.user_key, "watch")
    # The script ends when Home Assistant's next poll sees the acknowledgement.
    await hass_client.wait_for_state(script, "off", timeout=45)
    last = await hass_client.wait_for_state(f"{SENSOR}last_emergency", "acknowledged")
    assert last["attributes"]["acknowledged_by_device"] == "watch"


async def test_emergency_acknowledged_on_the_phone(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """An acknowledgement is seen by polling: event, then sensors."""
    async with hass_client.websocket() as websocket:
        await websocket.subscribe_events("pushover_plus_acknowledged")
        response = await send(
            hass_client,
            entry_id,
            title="Water leak",
            message="Water under the sink.",
            priority="emergency",
            retry=30,
            expire=600,
            tags=["leak"],
        )
        receipt = response["receipt"]
        assert receipt
        pending = await hass_client.wait_for_state(f"{SENSOR}last_emergency", "pending")
        assert pending["attributes"]["receipt"] == receipt
        assert pending["attributes"]["tags"] == ["leak"]
        await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "1")
        received = await simulator.wait_for_message("Water leak")
        expect_fields(
            received,
            {"priority": 2, "retry": 30, "expire": 600, "receipt": receipt},
        )

        await simulator.acknowledge(receipt, credentials.user_key, "phone")
        # Without an external URL there is no callback: the first poll comes
        # 5 s after the send.
        event = await websocket.next_event("pushover_plus_acknowledged", timeout=45)

    expect_fields(
        event,
        {
            "entry_id": entry_id,
            "receipt": receipt,
            "state": "acknowledged",
            "title": "Water leak",
            "tags": ["leak"],
            "recipients": [RECIPIENT],
            "recipient_ids": ["primary"],
            "acknowledged_by": RECIPIENT,
            "acknowledged_by_device": "phone",
        },
    )
    last = await hass_client.wait_for_state(f"{SENSOR}last_emergency", "acknowledged")
    assert last["attributes"]["acknowledged_by"] == RECIPIENT
    assert last["attributes"]["acknowledged_by_device"] == "phone"
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")
    state = await simulator.state()
    assert state["receipts"][receipt]["acknowledged"] == 1


async def test_limits_sensors_follow_the_quota(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    entry_id: str,
) -> None:
    """Each send's quota headers update the limits sensors at once.

    The messages sent and the monthly limit are registered disabled, as on
    every new installation (the dashboard test enables them).
    """
    await simulator.set_remaining(4321)
    await send(hass_client, entry_id, title="Quota", message="Counting.")
    quota = (await simulator.state())["quota"]
    assert quota["remaining"] == 4320

    remaining = await hass_client.wait_for_state(f"{SENSOR}remaining_messages", "4320")
    assert "unit_of_measurement" not in remaining["attributes"]
    reset = await hass_client.state(f"{SENSOR}next_quota_reset")
    assert datetime.fromisoformat(reset["state"]) == datetime.fromtimestamp(
        quota["reset"], tz=UTC
    )
    async with hass_client.websocket() as websocket:
        registry = await websocket.command("config/entity_registry/list")
    disabled = {
        item["entity_id"]: item["disabled_by"]
        for item in registry
        if item["config_entry_id"] == entry_id and item["disabled_by"]
    }
    assert disabled == {
        f"{SENSOR}sent_this_month": "integration",
        f"{SENSOR}monthly_limit": "integration",
    }


async def options_flow(
    client: HomeAssistantClient, entry_id: str, *steps: Json
) -> Json:
    """Go through the options flow, submitting each step; return the last answer."""
    answer: Json = await client.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    for step in steps:
        answer = await client.request(
            "POST", f"/api/config/config_entries/options/flow/{answer['flow_id']}", step
        )
    return answer


async def widget_of(simulator: SimulatorClient, user: str) -> Json | None:
    """Return what the simulator's widget of a user (on every device) shows."""
    widgets: list[Json] = (await simulator.state())["widgets"]
    return next(
        (item for item in widgets if item["user"] == user and item["device"] is None),
        None,
    )


async def test_a_bound_glance_and_the_glance_action(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """The primary's glance follows a template; the action waits its turn or forces."""
    defaults = {"retry": 60, "expire": 3600, "acknowledgement_callback": False}
    glance_form = await options_flow(
        hass_client, entry_id, {**defaults, "edit_glance": True}
    )
    assert glance_form["step_id"] == "glance"
    assert {field["name"] for field in glance_form["data_schema"]} >= {
        "device",
        "title_entity",
        "title_template",
        "percent_template",
    }
    done = await hass_client.request(
        "POST",
        f"/api/config/config_entries/options/flow/{glance_form['flow_id']}",
        {"title_template": "Home", "count_template": "{{ 6 * 7 }}"},
    )
    assert done["type"] == "create_entry"

    async def bound() -> Json | None:
        widget = await widget_of(simulator, credentials.user_key)
        return widget if widget and widget["count"] == 42 else None

    widget = await wait_for(bound, timeout=30, what="the bound glance")
    assert (widget["title"], widget["text"]) == ("Home", None)
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")

    async def waiting() -> Json | None:
        # The entry reloads after the options change; the action fails
        # until it is back.
        try:
            answer = await hass_client.call_service(
                DOMAIN,
                "update_glance",
                {"config_entry_id": entry_id, "text": "Waits its turn"},
                return_response=True,
            )
        except AssertionError:
            return None
        response: Json = answer["service_response"]
        return response

    [pending] = (await wait_for(waiting, timeout=30, what="the reload"))["glances"]
    # The bound glance went just now: the next may go in 20 minutes.
    assert (pending["status"], pending["reason"]) == ("pending", "rate_limited")
    send_at = datetime.fromisoformat(pending["send_at"])
    assert 19 * 60 < (send_at - datetime.now(UTC)).total_seconds() <= 20 * 60

    answer = await hass_client.call_service(
        DOMAIN,
        "update_glance",
        {"config_entry_id": entry_id, "text": "Forced", "percent": 55, "force": True},
        return_response=True,
    )
    [forced] = answer["service_response"]["glances"]
    assert forced["status"] == "sent"
    shown = await widget_of(simulator, credentials.user_key)
    assert shown is not None
    assert (shown["text"], shown["percent"], shown["title"]) == ("Forced", 55, None)
    assert shown["request"] == forced["request_id"]

    # The binding goes again, which later tests expect.
    glance_form = await options_flow(
        hass_client, entry_id, {**defaults, "edit_glance": True}
    )
    done = await hass_client.request(
        "POST",
        f"/api/config/config_entries/options/flow/{glance_form['flow_id']}",
        {},
    )
    assert done["type"] == "create_entry"
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")


async def test_a_delivery_group_is_managed_from_automations(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """Added as a recipient, the group shows its members; one is disabled and back.

    The owner (the primary recipient) is a member of the simulator's test
    group: disabled while away, the group's message reaches the two others,
    and costs two messages of the quota.
    """
    flow = await hass_client.request(
        "POST",
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, "recipient"]},
    )
    step = f"/api/config/config_entries/subentries/flow/{flow['flow_id']}"
    await hass_client.request("POST", step, {"next_step_id": "key"})
    subscription = await hass_client.request(
        "POST", step, {"name": "Home alerts", "user_key": credentials.group_key}
    )
    assert subscription["step_id"] == "group_subscription"
    devices = await hass_client.request("POST", step, {})
    assert devices["step_id"] == "devices"
    created = await hass_client.request("POST", step, {})
    assert created["type"] == "create_entry"

    members = await hass_client.wait_for_state("sensor.home_alerts_members", "3")
    assert members["attributes"]["enabled_members"] == 3
    assert [item["recipient"] for item in members["attributes"]["members"]] == [
        RECIPIENT,
        None,
        None,
    ]
    assert credentials.user_key not in str(members["attributes"])
    name = await hass_client.state("sensor.home_alerts_group_name")
    assert name["state"] == "Pushover Plus Test Group"

    await hass_client.call_service(
        DOMAIN, "disable_group_user", {"config_entry_id": entry_id, "user": RECIPIENT}
    )
    members = await hass_client.state("sensor.home_alerts_members")
    assert members["attributes"]["enabled_members"] == 2
    remaining = int((await hass_client.state(f"{SENSOR}remaining_messages"))["state"])
    await send(
        hass_client,
        entry_id,
        recipients=["Home alerts"],
        title="Group away",
        message="The window is open.",
    )
    received = await simulator.wait_for_message("Group away")
    reached = [route["user"] for route in received["routes"]]
    assert credentials.user_key not in reached
    assert len(reached) == 2
    await hass_client.wait_for_state(f"{SENSOR}remaining_messages", str(remaining - 2))

    await hass_client.call_service(
        DOMAIN, "enable_group_user", {"config_entry_id": entry_id, "user": RECIPIENT}
    )
    await hass_client.call_service(
        DOMAIN,
        "rename_group",
        {"config_entry_id": entry_id, "group": "Home alerts", "name": "Home (away)"},
    )
    name = await hass_client.state("sensor.home_alerts_group_name")
    assert name["state"] == "Home (away)"
    members = await hass_client.state("sensor.home_alerts_members")
    assert members["attributes"]["enabled_members"] == 3
    refused = await hass_client.call_service(
        DOMAIN,
        "remove_group_user",
        {"config_entry_id": entry_id, "user": credentials.second_user_key, "memo": "x"},
        expect=400,
    )
    assert "Unknown field memo" in str(refused)

    # Back as it was, and the recipient gone, which later tests expect.
    await hass_client.call_service(
        DOMAIN,
        "rename_group",
        {"config_entry_id": entry_id, "name": "Pushover Plus Test Group"},
    )
    async with hass_client.websocket() as websocket:
        listed = await websocket.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
        subentry_id = next(
            item["subentry_id"] for item in listed if item["title"] == "Home alerts"
        )
        await websocket.command(
            "config_entries/subentries/delete",
            entry_id=entry_id,
            subentry_id=subentry_id,
        )
    await hass_client.wait_for_state(f"{SENSOR}open_emergencies", "0")


async def test_no_repair_notice_after_the_sends(
    hass_client: HomeAssistantClient, entry_id: str
) -> None:
    """Nothing above leaves a repair notice of the integration behind."""
    async with hass_client.websocket() as websocket:
        issues = (await websocket.command("repairs/list_issues"))["issues"]
    assert [issue for issue in issues if issue["domain"] == DOMAIN] == []
