"""Tests for loading an attachment from a file, a URL or an entity."""

import asyncio
from collections.abc import AsyncIterator
import importlib
import importlib.util
import io
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
from PIL import Image
import pytest

from custom_components.pushover_plus import attachment as attachment_module
from custom_components.pushover_plus.api import Attachment
from custom_components.pushover_plus.attachment import (
    async_load_attachment,
    image_type,
)
from custom_components.pushover_plus.const import (
    IMAGE_FORMAT_NAMES,
    MAX_ATTACHMENT_BYTES,
    MAX_PICTURE_SOURCE_BYTES,
)
from custom_components.pushover_plus.message import AttachmentSource, mebibytes
from custom_components.pushover_plus.picture import (
    FittedPicture,
    PictureError,
    PictureProblem,
    fit_picture,
)
from tests.test_message import assert_error
from tests.test_picture import png_header

from .pictures import decoded, twelve_megapixel_photo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_START = b"\xff\xd8\xff\xe0"
# In MiB: the translated text names the unit, so no digit separator is needed.
LIMIT = "5"
SOURCE_LIMIT = "50"
IMAGE_GET_IMAGE = "homeassistant.components.image.async_get_image"


def picture(image_format: str) -> bytes:
    """Return a real picture of 2 by 2 pixels in one of Pillow's formats."""
    content = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(content, image_format)
    return content.getvalue()


def iso_media(major: bytes, *compatible: bytes) -> bytes:
    """Return the start of an ISO media file: its `ftyp` box and some data."""
    brands = major + bytes(4) + b"".join(compatible)
    return (8 + len(brands)).to_bytes(4, "big") + b"ftyp" + brands + bytes(16)


def not_image_error(location: str) -> dict[str, str]:
    """Return the placeholders of the refusal of a non-image."""
    return {"attachment": location, "formats": IMAGE_FORMAT_NAMES}


# Signatures


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(picture("JPEG"), "image/jpeg", id="jpeg"),
        pytest.param(picture("PNG"), "image/png", id="png"),
        pytest.param(picture("GIF"), "image/gif", id="gif87a"),
        pytest.param(b"GIF89a" + bytes(16), "image/gif", id="gif89a"),
        pytest.param(picture("WEBP"), "image/webp", id="webp"),
        pytest.param(picture("BMP"), "image/bmp", id="bmp"),
        pytest.param(picture("AVIF"), "image/avif", id="avif"),
        pytest.param(iso_media(b"mif1", b"avif"), "image/avif", id="avif-by-brand"),
        pytest.param(iso_media(b"heic", b"mif1"), "image/heic", id="heic"),
        pytest.param(iso_media(b"mif1", b"heic"), "image/heic", id="heic-by-brand"),
        pytest.param(iso_media(b"mif1"), "image/heif", id="heif"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"hello, this is text", None, id="text"),
        pytest.param(b"BMW parked in the garage", None, id="text-starting-bm"),
        pytest.param(b"BM" + bytes(20), None, id="bm-without-header"),
        pytest.param(b"<html><body>Not found</body></html>", None, id="html"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", None, id="wave"),
        pytest.param(iso_media(b"isom", b"mp41"), None, id="mp4-video"),
        pytest.param(picture("TIFF"), None, id="tiff"),
        pytest.param(b"%PDF-1.7", None, id="pdf"),
    ],
)
def test_image_type_comes_from_the_signature(
    content: bytes, expected: str | None
) -> None:
    """Each accepted format is known by its own bytes; anything else is not."""
    assert image_type(content) == expected


async def load(
    hass: HomeAssistant, kind: str, location: str, *, resize: bool = True
) -> Attachment:
    """Load the attachment of one source."""
    return await async_load_attachment(
        hass, AttachmentSource(kind=kind, location=location, resize=resize)
    )


async def load_error(
    hass: HomeAssistant, kind: str, location: str, *, resize: bool = True
) -> ServiceValidationError:
    """Return the validation error that loading the source raises."""
    with pytest.raises(ServiceValidationError) as caught:
        await load(hass, kind, location, resize=resize)
    return caught.value


def assert_fitted(attachment: Attachment, filename: str) -> None:
    """Check that a picture over the limit was sent as a JPEG that fits."""
    assert attachment.content_type == "image/jpeg"
    assert attachment.filename == filename
    assert len(attachment.content) <= MAX_ATTACHMENT_BYTES
    with decoded(attachment.content) as result:
        assert result.format == "JPEG"
        assert result.width / result.height == pytest.approx(4 / 3, rel=0.01)


def picture_error(problem: PictureProblem, size: int) -> dict[str, str]:
    """Return the placeholders of a picture that cannot be made smaller."""
    placeholders = {
        "attachment": "attachment_base64",
        "size": mebibytes(size),
        "limit": LIMIT,
    }
    if problem is PictureProblem.TOO_MANY_PIXELS:
        placeholders["megapixels"] = "64"
    return placeholders


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

    assert attachment == Attachment(
        content=PNG, content_type="image/png", filename="door.png"
    )


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
    """A path no file system accepts is refused, not a crash.

    The error writes the NUL as an escape, so that it can be shown.
    """
    location = f"{allowed_dir}/door\x00.png"

    err = await load_error(hass, "attachment", location)

    assert_error(
        err, "attachment_unreadable", {"attachment": f"{allowed_dir}/door\\u0000.png"}
    )


@pytest.mark.parametrize("name", ["notes.txt", "door.jpg", "door"])
async def test_text_file_is_not_an_image(
    hass: HomeAssistant, allowed_dir: Path, name: str
) -> None:
    """Text is refused whatever its file name says."""
    path = allowed_dir / name
    path.write_text("hello")

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_not_image", not_image_error(str(path)))


async def test_file_type_comes_from_its_content(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A PNG named .jpg goes out as the PNG it is, under its own name."""
    path = allowed_dir / "door.jpg"
    path.write_bytes(PNG)

    attachment = await load(hass, "attachment", str(path))

    assert attachment == Attachment(
        content=PNG, content_type="image/png", filename="door.jpg"
    )


async def test_file_without_extension_gets_its_types_extension(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file name without an extension gets the one of its content's type."""
    path = allowed_dir / "snapshot"
    path.write_bytes(picture("WEBP"))

    attachment = await load(hass, "attachment", str(path))

    assert (attachment.content_type, attachment.filename) == (
        "image/webp",
        "snapshot.webp",
    )


async def test_empty_file_is_refused(hass: HomeAssistant, allowed_dir: Path) -> None:
    """A file of 0 bytes is no picture, whatever its name."""
    path = allowed_dir / "door.png"
    path.touch()

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_empty", {"attachment": str(path), "limit": LIMIT})


async def test_directory_is_not_a_file(hass: HomeAssistant, allowed_dir: Path) -> None:
    """Only regular files are attached; a directory named .jpg is refused."""
    path = allowed_dir / "album.jpg"
    path.mkdir()

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_not_a_file", {"attachment": str(path)})


async def test_file_over_limit_is_too_large_without_resizing(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """With attachment_resize false, a file one byte over the limit is refused."""
    path = allowed_dir / "big.jpg"
    path.write_bytes(JPEG_START.ljust(MAX_ATTACHMENT_BYTES + 1, b"\xff"))

    err = await load_error(hass, "attachment", str(path), resize=False)

    assert_error(
        err,
        "attachment_too_large",
        {"attachment": str(path), "size": "5.1", "limit": LIMIT},
    )


async def test_file_over_limit_names_its_whole_size(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """The error gives the file's size, read from the disk, not the bytes read."""
    path = allowed_dir / "big.jpg"
    with path.open("wb") as file:  # sparse: 6 MiB on no disk space
        file.truncate(6 * 1024 * 1024)

    err = await load_error(hass, "attachment", str(path), resize=False)

    assert (err.translation_placeholders or {})["size"] == "6"


async def test_file_over_the_most_that_is_resized_is_refused(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A file over 50 MiB is refused before it is read, even to be resized."""
    path = allowed_dir / "huge.jpg"
    with path.open("wb") as file:
        file.truncate(MAX_PICTURE_SOURCE_BYTES + 1)

    err = await load_error(hass, "attachment", str(path))

    assert_error(
        err,
        "attachment_source_too_large",
        {
            "attachment": str(path),
            "size": "50.1",
            "source_limit": SOURCE_LIMIT,
            "limit": LIMIT,
        },
    )


async def test_file_over_limit_that_is_no_picture_is_not_an_image(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A large file that is no picture is named for what it is, not its size."""
    path = allowed_dir / "archive.jpg"
    path.write_bytes(b"PK\x03\x04" * (MAX_ATTACHMENT_BYTES // 2))

    err = await load_error(hass, "attachment", str(path))

    assert_error(err, "attachment_not_image", not_image_error(str(path)))


async def test_large_picture_file_is_made_to_fit(
    hass: HomeAssistant, allowed_dir: Path
) -> None:
    """A 12-megapixel photo goes as a JPEG that fits, named after the file."""
    path = allowed_dir / "garden.png"
    path.write_bytes(twelve_megapixel_photo())

    attachment = await load(hass, "attachment", str(path))

    assert_fitted(attachment, "garden.jpg")


async def test_file_at_limit_loads(hass: HomeAssistant, allowed_dir: Path) -> None:
    """A file of exactly 5,242,880 bytes is sent."""
    path = allowed_dir / "big.jpg"
    path.write_bytes(JPEG_START.ljust(MAX_ATTACHMENT_BYTES, b"\xff"))

    attachment = await load(hass, "attachment", str(path))

    assert len(attachment.content) == MAX_ATTACHMENT_BYTES
    assert attachment.content_type == "image/jpeg"


# URLs


async def _png(_request: web.Request) -> web.Response:
    return web.Response(body=PNG, content_type="image/png")


async def _text(_request: web.Request) -> web.Response:
    return web.Response(text="hello", content_type="text/plain")


async def _error_page_as_jpeg(_request: web.Request) -> web.Response:
    return web.Response(body=b"<html>Camera offline</html>", content_type="image/jpeg")


async def _empty(_request: web.Request) -> web.Response:
    return web.Response(body=b"", content_type="image/png")


async def _png_as_octets(_request: web.Request) -> web.Response:
    return web.Response(body=PNG, content_type="application/octet-stream")


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


async def _photo(_request: web.Request) -> web.Response:
    return web.Response(body=twelve_megapixel_photo(), content_type="image/jpeg")


async def _claims_too_much(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
    response.content_length = 60 * 1024 * 1024
    await response.prepare(request)
    try:
        # The client reads the length and hangs up; it never gets the rest.
        for _ in range(500):
            await response.write(JPEG_START)
            await asyncio.sleep(0.01)
    except ConnectionError:
        pass
    return response


@pytest.fixture
async def image_server(
    hass: HomeAssistant,
    socket_enabled: None,
) -> AsyncIterator[str]:
    """Serve test pictures on loopback; return the allowlisted base URL."""
    app = web.Application()
    app.router.add_get("/door.png", _png)
    app.router.add_get("/notes.txt", _text)
    app.router.add_get("/offline.jpg", _error_page_as_jpeg)
    app.router.add_get("/empty.png", _empty)
    app.router.add_get("/snapshot", _png_as_octets)
    app.router.add_get("/huge.jpg", _huge)
    app.router.add_get("/moved.png", _moved)
    app.router.add_get("/photo.jpg", _photo)
    app.router.add_get("/claims-60-mib.jpg", _claims_too_much)
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

    assert attachment == Attachment(
        content=PNG, content_type="image/png", filename="door.png"
    )


@pytest.mark.parametrize("path", ["notes.txt", "offline.jpg"])
async def test_url_text_is_not_an_image(
    hass: HomeAssistant, image_server: str, path: str
) -> None:
    """Text is refused, also when the server calls it image/jpeg."""
    url = f"{image_server}{path}"

    err = await load_error(hass, "attachment_url", url)

    assert_error(err, "attachment_not_image", not_image_error(url))


async def test_url_empty_download_is_refused(
    hass: HomeAssistant, image_server: str
) -> None:
    """A 200 answer with no body is no picture, whatever its Content-Type."""
    url = f"{image_server}empty.png"

    err = await load_error(hass, "attachment_url", url)

    assert_error(err, "attachment_empty", {"attachment": url, "limit": LIMIT})


async def test_url_type_comes_from_the_content(
    hass: HomeAssistant, image_server: str
) -> None:
    """A PNG served as octets is a PNG, named with its extension."""
    attachment = await load(hass, "attachment_url", f"{image_server}snapshot")

    assert attachment == Attachment(
        content=PNG, content_type="image/png", filename="snapshot.png"
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


async def test_url_over_limit_is_stopped_without_resizing(
    hass: HomeAssistant, image_server: str
) -> None:
    """With attachment_resize false, a download is stopped past the limit."""
    url = f"{image_server}huge.jpg"

    err = await load_error(hass, "attachment_url", url, resize=False)

    assert_error(
        err, "attachment_download_too_large", {"attachment": url, "most": LIMIT}
    )


async def test_url_over_the_most_that_is_resized_is_stopped(
    hass: HomeAssistant, image_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download without a length is stopped once past what may be resized."""
    most = MAX_ATTACHMENT_BYTES + 65536
    monkeypatch.setattr(attachment_module, "MAX_PICTURE_SOURCE_BYTES", most)
    url = f"{image_server}huge.jpg"

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err,
        "attachment_download_too_large",
        {"attachment": url, "most": mebibytes(most)},
    )


async def test_url_whose_length_is_too_large_is_not_downloaded(
    hass: HomeAssistant, image_server: str
) -> None:
    """A Content-Length over what may be resized is refused, its body unread."""
    url = f"{image_server}claims-60-mib.jpg"

    err = await load_error(hass, "attachment_url", url)

    assert_error(
        err,
        "attachment_source_too_large",
        {
            "attachment": url,
            "size": "60",
            "source_limit": SOURCE_LIMIT,
            "limit": LIMIT,
        },
    )


async def test_large_url_picture_is_made_to_fit(
    hass: HomeAssistant, image_server: str
) -> None:
    """A large photo from a URL goes as a JPEG that fits."""
    attachment = await load(hass, "attachment_url", f"{image_server}photo.jpg")

    assert_fitted(attachment, "photo.jpg")


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
    jpeg = picture("JPEG")
    snapshot = camera.Image("image/jpeg", jpeg)

    with patch.object(camera, "async_get_image", return_value=snapshot):
        attachment = await load(hass, "attachment_entity", "camera.front")

    assert attachment == Attachment(
        content=jpeg, content_type="image/jpeg", filename="camera_snapshot.jpg"
    )


@pytest.mark.parametrize(
    ("content", "key"),
    [(b"", "attachment_empty"), (b"no signal", "attachment_not_image")],
)
async def test_camera_picture_must_be_an_image(
    hass: HomeAssistant, camera: ModuleType, content: bytes, key: str
) -> None:
    """A camera's empty or non-image snapshot is refused, whatever its type says."""
    hass.states.async_set("camera.front", "idle")
    snapshot = camera.Image("image/jpeg", content)

    with patch.object(camera, "async_get_image", return_value=snapshot):
        err = await load_error(hass, "attachment_entity", "camera.front")

    assert err.translation_key == key
    assert (err.translation_placeholders or {})["attachment"] == "camera.front"


async def test_image_entity_picture_loads(hass: HomeAssistant) -> None:
    """An image entity's picture is attached."""
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")

    # The entity says JPEG; its bytes are a PNG, which is what is sent.
    with patch(IMAGE_GET_IMAGE, return_value=image.Image("image/jpeg", PNG)):
        attachment = await load(hass, "attachment_entity", "image.plan")

    assert attachment == Attachment(
        content=PNG, content_type="image/png", filename="image_snapshot.png"
    )


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


async def test_oversize_snapshot_is_too_large_without_resizing(
    hass: HomeAssistant,
) -> None:
    """With attachment_resize false, a snapshot over the limit is refused."""
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")
    picture = image.Image("image/png", b"\x00" * (MAX_ATTACHMENT_BYTES + 1))

    with patch(IMAGE_GET_IMAGE, return_value=picture):
        err = await load_error(hass, "attachment_entity", "image.plan", resize=False)

    assert_error(
        err,
        "attachment_too_large",
        {"attachment": "image.plan", "size": "5.1", "limit": LIMIT},
    )


async def test_oversize_snapshot_that_is_no_picture_is_refused(
    hass: HomeAssistant,
) -> None:
    """Bytes that are no picture are not resized: they are not an image."""
    hass.states.async_set("image.plan", "2024-01-01T00:00:00+00:00")
    picture = image.Image("image/png", b"\x00" * (MAX_ATTACHMENT_BYTES + 1))

    with patch(IMAGE_GET_IMAGE, return_value=picture):
        err = await load_error(hass, "attachment_entity", "image.plan")

    assert_error(err, "attachment_not_image", not_image_error("image.plan"))


async def test_large_camera_snapshot_is_made_to_fit(
    hass: HomeAssistant, camera: ModuleType
) -> None:
    """A 4K camera's snapshot over the limit goes as a JPEG that fits."""
    hass.states.async_set("camera.front", "idle")
    snapshot = camera.Image("image/jpeg", twelve_megapixel_photo())

    with patch.object(camera, "async_get_image", return_value=snapshot):
        attachment = await load(hass, "attachment_entity", "camera.front")

    assert_fitted(attachment, "camera_snapshot.jpg")


# Base64


async def load_base64(hass: HomeAssistant, content: bytes) -> Attachment:
    """Load a decoded attachment_base64."""
    source = AttachmentSource(
        kind="attachment_base64", location="attachment_base64", content=content
    )
    return await async_load_attachment(hass, source)


async def load_base64_error(
    hass: HomeAssistant, content: bytes
) -> ServiceValidationError:
    """Return the validation error that a decoded attachment_base64 raises."""
    with pytest.raises(ServiceValidationError) as caught:
        await load_base64(hass, content)
    return caught.value


async def test_base64_picture_within_limit_is_sent_as_it_is(
    hass: HomeAssistant,
) -> None:
    """A small picture keeps its bytes; its name gets its type's extension."""
    assert await load_base64(hass, PNG) == Attachment(
        content=PNG, content_type="image/png", filename="attachment.png"
    )


async def test_large_base64_picture_is_made_to_fit(hass: HomeAssistant) -> None:
    """A large picture given as base64 goes as a JPEG that fits."""
    attachment = await load_base64(hass, twelve_megapixel_photo())

    assert_fitted(attachment, "attachment.jpg")


async def test_empty_base64_picture_is_refused(hass: HomeAssistant) -> None:
    """Base64 of nothing is no picture."""
    err = await load_base64_error(hass, b"")

    assert_error(
        err, "attachment_empty", {"attachment": "attachment_base64", "limit": LIMIT}
    )


# Pictures that cannot be made smaller


async def test_large_heic_cannot_be_made_smaller(hass: HomeAssistant) -> None:
    """HEIC is sent as it is, but not decoded here: over the limit, refused."""
    content = iso_media(b"heic", b"mif1").ljust(MAX_ATTACHMENT_BYTES + 1, b"\0")

    err = await load_base64_error(hass, content)

    assert_error(
        err,
        "attachment_picture_unreadable",
        picture_error(PictureProblem.UNREADABLE, len(content)),
    )


async def test_picture_of_too_many_pixels_is_not_decoded(hass: HomeAssistant) -> None:
    """A picture claiming 81 million pixels is refused, not made smaller."""
    content = png_header(9000, 9000).ljust(MAX_ATTACHMENT_BYTES + 1, b"\0")

    err = await load_base64_error(hass, content)

    assert_error(
        err,
        "attachment_too_many_pixels",
        picture_error(PictureProblem.TOO_MANY_PIXELS, len(content)),
    )


async def test_picture_that_cannot_fit_is_refused(hass: HomeAssistant) -> None:
    """Should no size fit, the error says so and nothing is sent."""
    content = twelve_megapixel_photo()

    with patch.object(
        attachment_module,
        "fit_picture",
        side_effect=PictureError(PictureProblem.CANNOT_FIT),
    ):
        err = await load_base64_error(hass, content)

    assert_error(
        err,
        "attachment_cannot_fit",
        picture_error(PictureProblem.CANNOT_FIT, len(content)),
    )


async def test_pictures_are_made_smaller_off_the_loop_one_at_a_time(
    hass: HomeAssistant,
) -> None:
    """Three large pictures at once: each in a worker thread, never two together."""
    lock = threading.Lock()
    running: list[int] = []
    overlaps: list[int] = []
    threads: list[int] = []

    def spy(content: bytes, limit: int) -> FittedPicture:
        with lock:
            running.append(1)
            overlaps.append(len(running))
            threads.append(threading.get_ident())
        try:
            return fit_picture(content, limit)
        finally:
            with lock:
                running.pop()

    with patch.object(attachment_module, "fit_picture", spy):
        results = await asyncio.gather(
            *(load_base64(hass, twelve_megapixel_photo()) for _ in range(3))
        )

    assert max(overlaps) == 1
    assert len(threads) == 3
    assert threading.get_ident() not in threads
    for result in results:
        assert_fitted(result, "attachment.jpg")
