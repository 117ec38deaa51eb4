"""Fetch a message's image from a file, a URL or a camera or image entity.

Whatever the source, the image's type comes from its own bytes (the
signature every image format starts with), never from a file name or a
server's Content-Type: a text file named `.jpg`, an HTML error page served as
`image/jpeg` and an empty download are refused alike.
"""

import os
from pathlib import Path
import stat
from typing import Final

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import Attachment
from .const import (
    IMAGE_FORMAT_NAMES,
    IMAGE_TYPES,
    MAX_ATTACHMENT_BYTES,
    REQUEST_TIMEOUT_SECONDS,
)
from .message import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_URL,
    AttachmentSource,
    invalid,
)

_CHUNK_BYTES = 64 * 1024

_PREFIXES: Final = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# A BMP starts with "BM", which plain text may too: its 4 reserved bytes are
# zero and its second header has one of the sizes the format defines.
_BMP_INFO_HEADER_SIZES: Final = frozenset({12, 40, 52, 56, 64, 108, 124})
# HEIF and AVIF are ISO media files: an `ftyp` box names their brands.
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
_HEIC_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
)
_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})


async def async_load_attachment(
    hass: HomeAssistant, source: AttachmentSource
) -> Attachment:
    """Return the image a message names, checked for content and size."""
    if source.kind == ATTR_ATTACHMENT:
        content, filename = await _load_file(hass, source.location)
    elif source.kind == ATTR_ATTACHMENT_URL:
        content, filename = await _load_url(hass, source.location)
    else:
        content, filename = await _load_entity_image(hass, source.location)
    if not content:
        raise invalid("attachment_empty", attachment=source.location, limit=_limit())
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise invalid(
            "attachment_too_large", attachment=source.location, limit=_limit()
        )
    content_type = image_type(content)
    if content_type is None:
        raise invalid(
            "attachment_not_image",
            attachment=source.location,
            formats=IMAGE_FORMAT_NAMES,
        )
    if not Path(filename).suffix:
        filename += IMAGE_TYPES[content_type]
    return Attachment(content=content, content_type=content_type, filename=filename)


def image_type(content: bytes) -> str | None:
    """Return the media type of an image by its signature, or None."""
    for prefix, media_type in _PREFIXES:
        if content.startswith(prefix):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if _is_bmp(content):
        return "image/bmp"
    return _iso_image_type(content)


def _is_bmp(content: bytes) -> bool:
    return (
        content[:2] == b"BM"
        and content[6:10] == bytes(4)
        and int.from_bytes(content[14:18], "little") in _BMP_INFO_HEADER_SIZES
    )


def _iso_image_type(content: bytes) -> str | None:
    if content[4:8] != b"ftyp":
        return None
    box_end = min(int.from_bytes(content[:4], "big"), len(content))
    # The major brand, then (past a 4-byte version) the compatible brands.
    brands = {content[8:12]} | {
        content[start : start + 4] for start in range(16, box_end - 3, 4)
    }
    if brands & _AVIF_BRANDS:
        return "image/avif"
    if brands & _HEIC_BRANDS:
        return "image/heic"
    if brands & _HEIF_BRANDS:
        return "image/heif"
    return None


async def _load_file(hass: HomeAssistant, location: str) -> tuple[bytes, str]:
    # is_allowed_path does blocking I/O: it resolves the path on disk.
    if not await hass.async_add_executor_job(hass.config.is_allowed_path, location):
        raise invalid("attachment_not_allowed", attachment=location)
    try:
        content = await hass.async_add_executor_job(_read_regular_file, location)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise invalid("attachment_unreadable", attachment=location) from err
    return content, Path(location).name


def _read_regular_file(location: str) -> bytes:
    """Read at most one byte over the limit of a regular file.

    Opening without blocking, then checking what was opened, means that a
    FIFO (which would wait for a writer, holding a worker thread) or a device
    is refused at once and never read.
    """
    descriptor = os.open(location, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise invalid("attachment_not_a_file", attachment=location)
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            return file.read(MAX_ATTACHMENT_BYTES + 1)
    finally:
        os.close(descriptor)


async def _load_url(hass: HomeAssistant, location: str) -> tuple[bytes, str]:
    try:
        allowed = hass.config.is_allowed_external_url(location)
    except ValueError:  # yarl cannot parse it, as http://[bad
        allowed = False
    if not allowed:
        raise invalid("attachment_url_not_allowed", attachment=location)
    session = async_get_clientsession(hass)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    try:
        # A redirect could lead off the allowlist: only the named URL is read.
        async with session.get(
            location, timeout=timeout, allow_redirects=False
        ) as response:
            if response.status != 200:  # noqa: PLR2004
                raise invalid(
                    "attachment_download_failed",
                    attachment=location,
                    reason=f"HTTP {response.status}",
                )
            content = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                content += chunk
                if len(content) > MAX_ATTACHMENT_BYTES:
                    raise invalid(
                        "attachment_too_large", attachment=location, limit=_limit()
                    )
    except (TimeoutError, aiohttp.ClientError) as err:
        raise invalid(
            "attachment_download_failed",
            attachment=location,
            reason=type(err).__name__,
        ) from err
    return bytes(content), Path(response.url.path).name or "attachment"


async def _load_entity_image(hass: HomeAssistant, entity_id: str) -> tuple[bytes, str]:
    domain = entity_id.partition(".")[0]
    if hass.states.get(entity_id) is None or domain not in {"camera", "image"}:
        raise invalid("attachment_entity_not_found", entity_id=entity_id)
    # Imported here, each only when used: most installations never attach a
    # picture, and camera needs its own requirement (PyTurboJPEG) installed.
    try:
        if domain == "camera":
            from homeassistant.components import camera  # noqa: PLC0415

            content = (await camera.async_get_image(hass, entity_id)).content
        else:
            from homeassistant.components import image  # noqa: PLC0415

            content = (await image.async_get_image(hass, entity_id)).content
    except HomeAssistantError as err:
        raise invalid("attachment_entity_unavailable", entity_id=entity_id) from err
    return content, f"{domain}_snapshot"


def _limit() -> str:
    """Return the size limit in MiB, the unit that the translated text names.

    A count of bytes would need a digit separator, which differs by language.
    """
    return f"{MAX_ATTACHMENT_BYTES / 2**20:g}"
