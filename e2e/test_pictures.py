"""Pictures that fit, the form's choices and get_receipt in a real Home Assistant.

The driver has no Pillow: the large picture is made, and what arrived is
decoded, by Python in the toolchain, where Home Assistant's Pillow is.
"""

import asyncio
import json
from typing import Any, Final

import aiohttp
import pytest

from .clients import HomeAssistantClient, Json, SimulatorClient, wait_for
from .conftest import DOMAIN, RECIPIENT, Credentials
from .harness import IN_TOOLCHAIN, REPO_DIR, RunDirectory

pytestmark = pytest.mark.asyncio(loop_scope="session")

PUSHOVER_LIMIT: Final = 5_242_880
# A camera-sized JPEG of noise, about twice Pushover's limit and too large
# for it even at the quality we send, yet small enough that its base64
# stays within Home Assistant's 16 MiB request body.
PICTURE_WIDTH: Final = 3500
PICTURE_HEIGHT: Final = 2625
MAKE_PICTURE: Final = (
    "import base64, sys\n"
    "from tests.pictures import encoded, noisy\n"
    "picture = encoded(noisy(int(sys.argv[1]), int(sys.argv[2])), 'JPEG', quality=95)\n"
    "sys.stdout.write(base64.b64encode(picture).decode())\n"
)
DECODE_PICTURE: Final = (
    "import json, sys\n"
    "from PIL import Image\n"
    "with Image.open(sys.argv[1]) as picture:\n"
    "    picture.load()\n"
    "    print(json.dumps({'format': picture.format, 'size': picture.size}))\n"
)


async def in_toolchain_python(code: str, *arguments: str) -> str:
    """Run Python code in the toolchain, from the repository; return its output."""
    process = await asyncio.create_subprocess_exec(
        str(IN_TOOLCHAIN),
        "python",
        "-c",
        code,
        *arguments,
        cwd=REPO_DIR,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()
    return output.decode()


async def call(
    client: HomeAssistantClient, service: str, entry_id: str, **data: Any
) -> Json:
    """Call one of the integration's actions over REST; return its response."""
    answer = await client.call_service(
        DOMAIN,
        service,
        {"config_entry_id": entry_id, **data},
        return_response=True,
    )
    response: Json = answer["service_response"]
    return response


async def test_large_base64_picture_arrives_fitted(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    http: aiohttp.ClientSession,
    run_dir: RunDirectory,
    entry_id: str,
) -> None:
    """A picture over the limit, as base64, arrives a JPEG under it, aspect kept."""
    text = await in_toolchain_python(
        MAKE_PICTURE, str(PICTURE_WIDTH), str(PICTURE_HEIGHT)
    )
    assert len(text) * 3 // 4 > PUSHOVER_LIMIT

    response = await call(
        hass_client,
        "send_message",
        entry_id,
        title="Large picture",
        message="Made to fit",
        attachment_base64=text,
        attachment_type="image/jpeg",
    )

    received = await simulator.wait_for_message("Large picture")
    assert received["attachment_type"] == "image/jpeg"
    assert 0 < received["attachment_size"] <= PUSHOVER_LIMIT
    attachment_url = f"{simulator.root_url}_sim/attachments/{response['request_id']}"
    async with http.get(attachment_url) as answer:
        content = await answer.read()
    assert len(content) == received["attachment_size"]
    path = run_dir.path / "arrived.jpg"
    path.write_bytes(content)
    decoded = json.loads(
        await in_toolchain_python(DECODE_PICTURE, run_dir.relative(path))
    )
    width, height = decoded["size"]
    assert decoded["format"] == "JPEG"
    assert width < PICTURE_WIDTH
    assert abs(width / height - PICTURE_WIDTH / PICTURE_HEIGHT) < 0.01


async def test_form_offers_the_accounts_sounds_and_devices(
    hass_client: HomeAssistantClient, entry_id: str
) -> None:
    """The action's form, as the frontend reads it, lists the account's choices.

    An earlier test may have started Home Assistant while Pushover was down:
    a reload reads what is missing, in the background.
    """
    await hass_client.request(
        "POST", f"/api/config/config_entries/entry/{entry_id}/reload"
    )

    async def choices() -> tuple[dict[str, str], dict[str, str]] | None:
        async with hass_client.websocket() as websocket:
            services = await websocket.command("get_services")
        fields = services[DOMAIN]["send_message"]["fields"]["delivery"]["fields"]
        sounds = {
            option["value"]: option["label"]
            for option in fields["sound"]["selector"]["select"]["options"]
        }
        devices = {
            option["value"]: option["label"]
            for option in fields["device"]["selector"]["select"]["options"]
        }
        return (sounds, devices) if "doorbell" in sounds else None

    sounds, devices = await wait_for(choices, timeout=30, what="the custom sound")
    assert sounds["doorbell"] == "Doorbell (custom)"
    assert devices["phone"] == f"phone ({RECIPIENT})"


async def test_get_receipt_over_rest(
    hass_client: HomeAssistantClient,
    simulator: SimulatorClient,
    credentials: Credentials,
    entry_id: str,
) -> None:
    """get_receipt answers pending, then acknowledged once Pushover says so."""
    sent = await call(
        hass_client,
        "send_message",
        entry_id,
        title="Receipt on demand",
        message="Gas detected",
        priority="emergency",
        retry=30,
        expire=600,
    )
    receipt = sent["receipt"]
    pending = await call(hass_client, "get_receipt", entry_id, receipt=receipt)
    assert pending["acknowledged"] is False
    assert pending["followed"] is True
    assert pending["expires_at"]

    await simulator.acknowledge(receipt, credentials.user_key, "phone")

    async def acknowledged() -> Json | None:
        status = await call(hass_client, "get_receipt", entry_id, receipt=receipt)
        return status if status["acknowledged"] else None

    # A receipt is read at most every 5 seconds: the answer may wait for that.
    status = await wait_for(acknowledged, timeout=30, what="the acknowledgement")
    assert status["acknowledged_by"] == RECIPIENT
    assert status["acknowledged_by_device"] == "phone"
    assert status["followed"] is False
