"""Pictures sent to the simulator over real HTTP: made to fit, or sent unchanged."""

import base64
from importlib import import_module
from io import BytesIO
from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN, MAX_ATTACHMENT_BYTES
from custom_components.pushover_plus.message import mebibytes
from pushover_simulator import PushoverSimulator, ReceivedMessage

from . import advance, send
from .pictures import assert_upright, decoded, sideways_photo, twelve_megapixel_photo

# Every request fails until switched off: an outage of any length.
FOREVER = 1_000_000


def small_png() -> bytes:
    """Return a real PNG well within the limit."""
    out = BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "PNG")
    return out.getvalue()


def assert_fits(received: ReceivedMessage, filename: str) -> Image.Image:
    """Check that the simulator got a JPEG within the limit; return it decoded."""
    assert received.attachment is not None
    assert len(received.attachment) <= MAX_ATTACHMENT_BYTES
    assert (received.attachment_type, received.attachment_filename) == (
        "image/jpeg",
        filename,
    )
    return decoded(received.attachment)


@pytest.fixture
def allowed_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Allow attachments from one directory."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return tmp_path


@pytest.mark.usefixtures("loaded_entry")
async def test_large_camera_snapshot_arrives_resized_and_upright(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A camera's sideways 12-megapixel photo arrives small enough, upright."""
    camera = import_module("homeassistant.components.camera")
    hass.states.async_set("camera.garden", "idle")
    snapshot = camera.Image("image/jpeg", sideways_photo())

    with patch.object(camera, "async_get_image", return_value=snapshot):
        await send(hass, message="Motion", attachment_entity="camera.garden")

    [received] = simulator.messages
    with assert_fits(received, "camera_snapshot.jpg") as result:
        # 3000 by 4000 upright; at most that, a little less to fit.
        assert result.width / result.height == pytest.approx(3 / 4, rel=0.01)
    assert_upright(received.attachment or b"")


@pytest.mark.usefixtures("loaded_entry")
async def test_large_file_arrives_resized(
    hass: HomeAssistant, simulator: PushoverSimulator, allowed_dir: Path
) -> None:
    """A 12-megapixel file arrives as the largest JPEG that fits."""
    path = allowed_dir / "garden.jpg"
    path.write_bytes(twelve_megapixel_photo())

    await send(hass, message="Garden", attachment=str(path))

    [received] = simulator.messages
    with assert_fits(received, "garden.jpg") as result:
        assert result.width / result.height == pytest.approx(4 / 3, rel=0.01)
        assert result.width < 4000
    assert len(received.attachment or b"") >= MAX_ATTACHMENT_BYTES * 0.9


@pytest.mark.usefixtures("loaded_entry")
async def test_picture_within_the_limit_arrives_unchanged(
    hass: HomeAssistant, simulator: PushoverSimulator, allowed_dir: Path
) -> None:
    """A picture that fits goes byte for byte, in its own format."""
    content = small_png()
    path = allowed_dir / "door.png"
    path.write_bytes(content)

    await send(hass, message="Door", attachment=str(path))

    [received] = simulator.messages
    assert received.attachment == content
    assert (received.attachment_type, received.attachment_filename) == (
        "image/png",
        "door.png",
    )


@pytest.mark.usefixtures("loaded_entry")
async def test_large_base64_picture_arrives_resized(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A picture a template made as base64 is decoded, resized and uploaded."""
    await send(
        hass,
        message="Chart",
        attachment_base64=base64.b64encode(twelve_megapixel_photo()).decode(),
        attachment_type="image/jpeg",
    )

    [received] = simulator.messages
    assert received.encoding == "multipart"
    with assert_fits(received, "attachment.jpg") as result:
        assert result.width / result.height == pytest.approx(4 / 3, rel=0.01)


@pytest.mark.usefixtures("loaded_entry")
async def test_base64_picture_goes_as_the_type_its_bytes_are(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A PNG given as image/jpeg goes unchanged, as the PNG it is."""
    content = small_png()

    await send(
        hass,
        message="Chart",
        attachment_base64=base64.b64encode(content).decode(),
        attachment_type="image/jpeg",
    )

    [received] = simulator.messages
    assert received.attachment == content
    assert received.attachment_type == "image/png"


@pytest.mark.usefixtures("loaded_entry")
async def test_large_picture_without_resizing_is_refused_and_nothing_sent(
    hass: HomeAssistant, simulator: PushoverSimulator, allowed_dir: Path
) -> None:
    """attachment_resize false: the too-large error, and Pushover hears nothing."""
    path = allowed_dir / "garden.jpg"
    path.write_bytes(twelve_megapixel_photo())

    with pytest.raises(ServiceValidationError) as caught:
        await send(
            hass, message="Garden", attachment=str(path), attachment_resize=False
        )

    assert caught.value.translation_key == "attachment_too_large"
    size = mebibytes(len(twelve_megapixel_photo()))
    assert (caught.value.translation_placeholders or {})["size"] == size
    assert simulator.messages == []


@pytest.mark.usefixtures("loaded_entry")
async def test_legacy_action_takes_a_base64_picture(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """notify.<name> takes attachment_base64 in its data, as the action does."""
    content = small_png()

    await hass.services.async_call(
        "notify",
        "pushover",
        {
            "message": "Chart",
            "data": {
                "attachment_base64": base64.b64encode(content).decode(),
                "attachment_type": "image/png",
            },
        },
        blocking=True,
    )

    [received] = simulator.messages
    assert received.attachment == content


async def test_queued_large_picture_waits_resized_on_disk(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    allowed_dir: Path,
) -> None:
    """Queued during an outage, the fitted picture waits in its file, then goes."""
    path = allowed_dir / "garden.jpg"
    path.write_bytes(twelve_megapixel_photo())
    simulator.faults.fail_next = FOREVER

    response = await send(hass, message="Garden", attachment=str(path))

    assert response["queued"] is True
    folder = Path(hass.config.path(".storage", f"{DOMAIN}_outbox"))
    [spooled] = folder.glob(f"{loaded_entry.entry_id}/*.bin")
    waiting = spooled.read_bytes()
    assert len(waiting) <= MAX_ATTACHMENT_BYTES
    [item] = loaded_entry.runtime_data.sender.outbox._items
    assert item.message.attachment is not None
    assert item.message.attachment.content == b""  # on disk, not in memory

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 30, step=5)

    [received] = simulator.messages
    assert received.attachment == waiting
    assert_fits(received, "garden.jpg").close()
    assert not spooled.exists()
