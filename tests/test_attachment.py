"""Tests for loading an attachment from a file, a URL or an entity."""

from collections.abc import AsyncIterator
import importlib
import importlib.util
from pathlib import Path
import socket
import sys
import threading
from types import ModuleType
from unittest.mock import patch

from aiohttp import web
import homeassistant.components
from homeassistant.components import image
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.pushover_plus.api import Attachment
from custom_components.pushover_plus.attachment import async_load_attachment
from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES
from custom_components.pushover_plus.message import AttachmentSource
from tests.test_message import assert_error

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
LIMIT = "5,242,880 bytes"
IMAGE_GET_IMAGE = "homeassistant.components.image.async_get_image"


async def load(hass: HomeAssistant, kind: str, location: str) -> Attachment:
    """Load the attachment of one source."""
    return await async_load_attachment(hass, AttachmentSource(kind, location))


async def load_error(
    hass: HomeAssistant, kind: str, location: str
) -> ServiceValidationError:
    """Return the validation error that loading the source raises."""
    with pytest.raises(ServiceValidationError) as caught:
        await load(hass, kind, location)
    return caught.value


# Files


@pytest.fixture
def allowed_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Allow files in one directory; `tmp_path/outside` stays forbidden."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (tmp_path / "outside").mkdir()
    hass.config.allowlist_external_dirs = {str(allowed)}
    return allowed


async def test_file_in_allowed_dir_loads(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A PNG in an allowed directory loads with its type and name."""
    path = allowed_dir / "door.png"
    path.write_bytes(PNG)

    attachment = await load(hass, "attachment", str(path))

    assert attachment == Attachment(PNG, "image/png", "door.png")


async def test_allowed_path_is_checked_off_the_event_loop(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """is_allowed_path touches the disk, so it runs in the executor."""
    path = allowed_dir / "door.png"
    path.write_bytes(PNG)
    is_allowed_path = hass.config.is_allowed_path
    threads: list[int] = []

    def spy(location: str) -> bool:
        threads.append(threading.get_ident())
        return is_allowed_path(location)

    with patch.object(hass.config, "is_allowed_path", spy):
        await load(hass, "attachment", str(path))

    assert threads
    assert threading.get_ident() not in threads


async def test_file_outside_allowed_dirs_is_refused(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file in no allowed directory is refused."""
    path = allowed_dir.parent / "outside" / "door.png"
    path.write_bytes(PNG)

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_not_allowed", {"attachment": str(path)})


async def test_traversal_out_of_allowed_dir_is_refused(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """`..` cannot climb out of an allowed directory."""
    (allowed_dir.parent / "outside" / "door.png").write_bytes(PNG)
    location = f"{allowed_dir}/../outside/door.png"

    err = await load_error(hass, "attachment", location)

    assert_error(err, "attachment_not_allowed", {"attachment": location})


async def test_missing_file_is_unreadable(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file that does not exist in an allowed directory cannot be read."""
    location = str(allowed_dir / "missing.png")

    err = await load_error(hass, "attachment", location)

    assert_error(err, "attachment_unreadable", {"attachment": location})


async def test_path_with_nul_is_unreadable(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A path no file system accepts is refused, not a crash."""
    location = f"{allowed_dir}/door\x00.png"

    err = await load_error(hass, "attachment", location)

    assert_error(err, "attachment_unreadable", {"attachment": location})


async def test_text_file_is_not_an_image(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file whose name says text is refused."""
    path = allowed_dir / "notes.txt"
    path.write_text("hello")

    err = await load_error(hass, "attachment", str(path))

    assert_error(
        err,
        "attachment_not_image",
        {"attachment": str(path), "content_type": "text/plain"},
    )


async def test_file_over_limit_is_too_large(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file one byte over 5,242,880 bytes is refused."""
    path = allowed_dir / "big.jpg"
    path.write_bytes(b"\xff" * (MAX_ATTACHMENT_BYTES + 1))

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_too_large", {"attachment": "big.jpg", "limit": LIMIT})


async def test_file_at_limit_loads(hass: HomeAssistant, allowed_dir: Path) -> None:
    """A file of exactly 5,242,880 bytes is sent."""
    path = allowed_dir / "big.jpg"
    path.write_bytes(b"\xff" * MAX_ATTACHMENT_BYTES)

    attachment = await load(hass, "attachment", str(path))

    assert len(attachment.content) == MAX_ATTACHMENT_BYTES
    assert attachment.content_type == "image/jpeg"


# URLs


async def _png(_request: web.Request) -> web.Response:
    return web.Response(body=PNG, content_type="image/png")


async def _text(_request: web.Request) -> web.Response:
    return web.Response(text="hello", content_type="text/plain")


async def _huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
    await response.prepare(request)
    chunk = b"\xff" * 65536
    try:
        for _ in range(MAX_ATTACHMENT_BYTES // len(chunk) + 2):
            await response.write(chunk)
    except ConnectionError:
        pass  # the client hung up once it had read too much
    return response


async def _moved(_request: web.Request) -> web.Response:
    raise web.HTTPFound("http://127.0.0.1:1/elsewhere.png")


@pytest.fixture
async def image_server(
    hass: HomeAssistant,
    socket_enabled: None,
) -> AsyncIterator[str]:
    """Serve test pictures on loopback; return the allowlisted base URL."""
    app = web.Application()
    app.router.add_get("/door.png", _png)
    app.router.add_get("/notes.txt", _text)
    app.router.add_get("/huge.jpg", _huge)
    app.router.add_get("/moved.png", _moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    hass.config.allowlist_external_urls = {base_url}
    yield base_url
    await runner.cleanup()


async def test_url_png_loads(hass: HomeAssistant, image_server: str) -> None:
    """An allowlisted PNG URL loads with the server's type and the path's name."""
    attachment = await load(hass, "attachment_url", f"{image_server}door.png")

    assert attachment == Attachment(PNG, "image/png", "door.png")


async def test_url_text_is_not_an_image(hass: HomeAssistant, image_server: str) -> None:
    """A text/plain answer is refused."""
    url = f"{image_server}notes.txt"

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err, "attachment_not_image", {"attachment": url, "content_type": "text/plain"}
    )


async def test_url_not_found_fails(hass: HomeAssistant, image_server: str) -> None:
    """A 404 answer is a failed download naming the status."""
    url = f"{image_server}missing.png"

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err, "attachment_download_failed", {"attachment": url, "reason": "HTTP 404"}
    )


async def test_url_redirect_is_not_followed(
    hass: HomeAssistant, image_server: str
) -> None:
    """A redirect could lead off the allowlist, so it is not followed."""
    url = f"{image_server}moved.png"

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err, "attachment_download_failed", {"attachment": url, "reason": "HTTP 302"}
    )


async def test_url_over_limit_is_too_large(
    hass: HomeAssistant, image_server: str
) -> None:
    """A download that grows past 5,242,880 bytes is refused."""
    url = f"{image_server}huge.jpg"

    err = await load_error(hass, "attachment_url", url)

    assert_error(err, "attachment_too_large", {"attachment": url, "limit": LIMIT})


@pytest.mark.parametrize(
    "url", ["https://example.com/door.png", "http://127.0.0.1:1/door.png", "http://[x"]
)
@pytest.mark.usefixtures("image_server")
async def test_url_off_the_allowlist_is_refused(hass: HomeAssistant, url: str) -> None:
    """Only URLs under allowlist_external_urls are fetched."""
    err = await load_error(hass, "attachment_url", url)

    assert_error(err, "attachment_url_not_allowed", {"attachment": url})


@pytest.mark.usefixtures("socket_enabled")
async def test_url_connection_refused_fails(hass: HomeAssistant) -> None:
    """A server that refuses the connection is a failed download."""
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/door.png"
    hass.config.allowlist_external_urls = {f"http://127.0.0.1:{port}/"}

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err,
        "attachment_download_failed",
        {"attachment": url, "reason": "ClientConnectorError"},
    )


# Entities


@pytest.fixture
def camera() -> ModuleType:
    """Import the camera component only in the tests that use it.

    Another test removes it from `sys.modules` to show images need no camera.
    """
    return importlib.import_module("homeassistant.components.camera")


async def test_camera_picture_loads(hass: HomeAssistant, camera: ModuleType) -> None:
    """A camera's snapshot is attached under a name with its extension."""
    hass.states.async_set("camera.front", "idle")
    picture = camera.Image("image/jpeg", b"jpeg")

    with patch.object(camera, "async_get_image", return_value=picture):
        attachment = await load(hass, "attachment_entity", "camera.front")

    assert attachment == Attachment(b"jpeg", "image/jpeg", "camera_snapshot.jpg")


async def test_image_entity_picture_loads(hass: HomeAssistant) -> None:
    """An image entity's picture is attached."""
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")

    with patch(IMAGE_GET_IMAGE, return_value=image.Image("image/png", PNG)):
        attachment = await load(hass, "attachment_entity", "image.plan")

    assert attachment == Attachment(PNG, "image/png", "image_snapshot.png")


async def test_image_entity_needs_no_camera_component(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image entity's picture loads where camera cannot be imported."""
    monkeypatch.delattr(homeassistant.components, "camera", raising=False)
    monkeypatch.setitem(sys.modules, "homeassistant.components.camera", None)
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")

    with patch(IMAGE_GET_IMAGE, return_value=image.Image("image/png", PNG)):
        attachment = await load(hass, "attachment_entity", "image.plan")

    assert attachment.content == PNG


@pytest.mark.parametrize("entity_id", ["camera.nowhere", "sensor.x"])
async def test_entity_without_picture_is_not_found(
    hass: HomeAssistant, entity_id: str
) -> None:
    """Only existing camera and image entities are accepted."""
    hass.states.async_set("sensor.x", "1")

    err = await load_error(hass, "attachment_entity", entity_id)

    assert_error(err, "attachment_entity_not_found", {"entity_id": entity_id})


async def test_camera_without_picture_is_unavailable(
    hass: HomeAssistant, camera: ModuleType
) -> None:
    """A camera that cannot give a picture is reported unavailable."""
    hass.states.async_set("camera.front", "unavailable")

    with patch.object(camera, "async_get_image", side_effect=HomeAssistantError()):
        err = await load_error(hass, "attachment_entity", "camera.front")

    assert_error(err, "attachment_entity_unavailable", {"entity_id": "camera.front"})


async def test_oversize_picture_is_too_large(hass: HomeAssistant) -> None:
    """A snapshot over 5,242,880 bytes is refused."""
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")
    picture = image.Image("image/png", b"\x00" * (MAX_ATTACHMENT_BYTES + 1))

    with patch(IMAGE_GET_IMAGE, return_value=picture):
        err = await load_error(hass, "attachment_entity", "image.plan")

    assert_error(
        err, "attachment_too_large", {"attachment": "image.plan", "limit": LIMIT}
    )
