"""Fetch a message's image: a file, a URL, a camera or image entity, or base64.

Whatever the source, the image's type comes from its own bytes (the
signature every image format starts with), never from a file name, a
server's Content-Type or `attachment_type`: a text file named `.jpg`, an HTML
error page served as `image/jpeg` and an empty download are refused alike.

A picture over Pushover's limit is made smaller to fit (`picture.py`), in
Home Assistant's executor and one picture at a time, so that several large
pictures at once never hold more than one decoded picture in memory; with
`attachment_resize: false` it is refused instead. A picture within the
limit is sent as it is, byte for byte.
"""

import asyncio
import logging
import os
from pathlib import Path
import stat
from typing import Final

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .api import Attachment
from .const import (
    DOMAIN,
    IMAGE_FORMAT_NAMES,
    IMAGE_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_PICTURE_SOURCE_BYTES,
    REQUEST_TIMEOUT_SECONDS,
)
from .message import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_BASE64,
    ATTR_ATTACHMENT_URL,
    AttachmentSource,
    invalid,
    mebibytes,
)
from .picture import MAX_PIXELS, PictureError, PictureProblem, fit_picture

_LOGGER = logging.getLogger(__name__)

_CHUNK_BYTES = 64 * 1024
# One picture is made smaller at a time, whichever entry sends it.
_RESIZING: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_resizing")
# What a picture that cannot be made smaller is refused with.
_PICTURE_REFUSALS: Final = {
    PictureProblem.UNREADABLE: "attachment_picture_unreadable",
    PictureProblem.TOO_MANY_PIXELS: "attachment_too_many_pixels",
    PictureProblem.CANNOT_FIT: "attachment_cannot_fit",
}

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


class _Loaded:
    """What a source gave (never more than may be read) and its whole size.

    `size` is None when a download without a length was stopped part-way.
    A plain class: a dataclass costs more to create at import than it saves.
    """

    __slots__ = ("content", "filename", "size")

    def __init__(self, content: bytes, filename: str, size: int | None) -> None:
        self.content = content
        self.filename = filename
        self.size = size


async def async_load_attachment(
    hass: HomeAssistant, source: AttachmentSource
) -> Attachment:
    """Return the image a message names, checked, and made to fit if allowed."""
    # The most that is read: the limit itself unless a picture may shrink.
    most = MAX_PICTURE_SOURCE_BYTES if source.resize else MAX_ATTACHMENT_BYTES
    if source.kind == ATTR_ATTACHMENT:
        loaded = await _load_file(hass, source.location, most)
    elif source.kind == ATTR_ATTACHMENT_URL:
        loaded = await _load_url(hass, source.location, most)
    elif source.kind == ATTR_ATTACHMENT_BASE64:
        content = source.content or b""
        loaded = _Loaded(content, "attachment", len(content))
    else:
        loaded = await _load_entity_image(hass, source.location)
    _check_size(source, loaded, most)
    content, filename = loaded.content, loaded.filename
    content_type = image_type(content)
    if content_type is None:
        raise invalid(
            "attachment_not_image",
            attachment=source.location,
            formats=IMAGE_FORMAT_NAMES,
        )
    if len(content) > MAX_ATTACHMENT_BYTES:
        # Only read when it may be made smaller (`most`).
        return await _async_fitted(hass, source, content, filename)
    if not Path(filename).suffix:
        filename += IMAGE_TYPES[content_type]
    return Attachment(content=content, content_type=content_type, filename=filename)


def _check_size(source: AttachmentSource, loaded: _Loaded, most: int) -> None:
    """Refuse what is empty, or larger than may be sent or made smaller."""
    size = len(loaded.content) if loaded.size is None else loaded.size
    if size == 0:
        raise invalid("attachment_empty", attachment=source.location, limit=_limit())
    if size <= most:
        return
    if loaded.size is None:
        # Stopped part-way: only known to be too large.
        raise invalid(
            "attachment_download_too_large",
            attachment=source.location,
            most=mebibytes(most),
        )
    if source.resize:
        raise invalid(
            "attachment_source_too_large",
            attachment=source.location,
            size=mebibytes(size),
            source_limit=mebibytes(MAX_PICTURE_SOURCE_BYTES),
            limit=_limit(),
        )
    raise invalid(
        "attachment_too_large",
        attachment=source.location,
        size=mebibytes(size),
        limit=_limit(),
    )


async def _async_fitted(
    hass: HomeAssistant, source: AttachmentSource, content: bytes, filename: str
) -> Attachment:
    """Make a picture over Pushover's limit small enough, or say why not."""
    lock = hass.data.setdefault(_RESIZING, asyncio.Lock())
    try:
        async with lock:
            fitted = await hass.async_add_executor_job(
                fit_picture, content, MAX_ATTACHMENT_BYTES
            )
    except PictureError as err:
        raise _picture_refusal(source, err.problem, len(content)) from err
    # Neither the file nor the URL is logged: a camera's URL may hold its login.
    _LOGGER.debug(
        "Picture from %s of %d x %d (%d bytes) sent as %d x %d (%d bytes)",
        source.kind,
        fitted.original_width,
        fitted.original_height,
        len(content),
        fitted.width,
        fitted.height,
        len(fitted.content),
    )
    return Attachment(
        content=fitted.content,
        content_type="image/jpeg",
        filename=f"{Path(filename).stem or 'attachment'}.jpg",
    )


def _picture_refusal(
    source: AttachmentSource, problem: PictureProblem, size: int
) -> ServiceValidationError:
    # In millions: a count of pixels would need a digit separator.
    bound = {"megapixels": f"{MAX_PIXELS / 1_000_000:g}"}
    return invalid(
        _PICTURE_REFUSALS[problem],
        attachment=source.location,
        size=mebibytes(size),
        limit=_limit(),
        **(bound if problem is PictureProblem.TOO_MANY_PIXELS else {}),
    )


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


async def _load_file(hass: HomeAssistant, location: str, most: int) -> _Loaded:
    # is_allowed_path does blocking I/O: it resolves the path on disk.
    if not await hass.async_add_executor_job(hass.config.is_allowed_path, location):
        raise invalid("attachment_not_allowed", attachment=location)
    try:
        content, size = await hass.async_add_executor_job(
            _read_regular_file, location, most
        )
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise invalid("attachment_unreadable", attachment=location) from err
    return _Loaded(content, Path(location).name, size)


def _read_regular_file(location: str, most: int) -> tuple[bytes, int]:
    """Return a regular file's content and size; a file over `most` is not read.

    Opening without blocking, then checking what was opened, means that a
    FIFO (which would wait for a writer, holding a worker thread) or a device
    is refused at once and never read. A file growing meanwhile is read to
    one byte over `most`.
    """
    descriptor = os.open(location, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise invalid("attachment_not_a_file", attachment=location)
        if status.st_size > most:
            return b"", status.st_size
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            content = file.read(most + 1)
    finally:
        os.close(descriptor)
    return content, max(len(content), status.st_size)


async def _load_url(hass: HomeAssistant, location: str, most: int) -> _Loaded:
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
            name = Path(response.url.path).name or "attachment"
            if (length := response.content_length) is not None and length > most:
                # Larger than may be read: not downloaded at all.
                return _Loaded(b"", name, length)
            content = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                content += chunk
                if len(content) > most:
                    return _Loaded(bytes(content), name, None)
    except (TimeoutError, aiohttp.ClientError) as err:
        raise invalid(
            "attachment_download_failed",
            attachment=location,
            reason=type(err).__name__,
        ) from err
    return _Loaded(bytes(content), name, len(content))


async def _load_entity_image(hass: HomeAssistant, entity_id: str) -> _Loaded:
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
    return _Loaded(content, f"{domain}_snapshot", len(content))


def _limit() -> str:
    return mebibytes(MAX_ATTACHMENT_BYTES)
