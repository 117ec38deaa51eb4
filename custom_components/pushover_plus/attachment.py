"""Fetch a message's image from a file, a URL or a camera or image entity."""

import mimetypes
from pathlib import Path

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import Attachment
from .const import MAX_ATTACHMENT_BYTES, REQUEST_TIMEOUT_SECONDS
from .message import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_URL,
    AttachmentSource,
    invalid,
)

_CHUNK_BYTES = 64 * 1024


async def async_load_attachment(
    hass: HomeAssistant, source: AttachmentSource
) -> Attachment:
    """Return the image a message names, checked for type and size."""
    if source.kind == ATTR_ATTACHMENT:
        attachment = await _load_file(hass, source.location)
    elif source.kind == ATTR_ATTACHMENT_URL:
        attachment = await _load_url(hass, source.location)
    else:
        attachment = await _load_entity_image(hass, source.location)
    if not attachment.content_type.startswith("image/"):
        raise invalid(
            "attachment_not_image",
            attachment=source.location,
            content_type=attachment.content_type,
        )
    return attachment


async def _load_file(hass: HomeAssistant, location: str) -> Attachment:
    # is_allowed_path does blocking I/O: it resolves the path on disk.
    if not await hass.async_add_executor_job(hass.config.is_allowed_path, location):
        raise invalid("attachment_not_allowed", attachment=location)
    path = Path(location)
    try:
        content = await hass.async_add_executor_job(_read_capped, path)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise invalid("attachment_unreadable", attachment=location) from err
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Attachment(content=content, content_type=content_type, filename=path.name)


def _read_capped(path: Path) -> bytes:
    """Read a file, refusing one over the limit without reading it all."""
    with path.open("rb") as file:
        content = file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise invalid("attachment_too_large", attachment=path.name, limit=_limit())
    return content


async def _load_url(hass: HomeAssistant, location: str) -> Attachment:
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
            content_type = response.content_type
    except (TimeoutError, aiohttp.ClientError) as err:
        raise invalid(
            "attachment_download_failed",
            attachment=location,
            reason=type(err).__name__,
        ) from err
    filename = Path(response.url.path).name or "attachment"
    return Attachment(bytes(content), content_type, filename)


async def _load_entity_image(hass: HomeAssistant, entity_id: str) -> Attachment:
    domain = entity_id.partition(".")[0]
    if hass.states.get(entity_id) is None or domain not in {"camera", "image"}:
        raise invalid("attachment_entity_not_found", entity_id=entity_id)
    # Imported here, each only when used: most installations never attach a
    # picture, and camera needs its own requirement (PyTurboJPEG) installed.
    try:
        if domain == "camera":
            from homeassistant.components import camera  # noqa: PLC0415

            picture = await camera.async_get_image(hass, entity_id)
            content, content_type = picture.content, picture.content_type
        else:
            from homeassistant.components import image  # noqa: PLC0415

            snapshot = await image.async_get_image(hass, entity_id)
            content, content_type = snapshot.content, snapshot.content_type
    except HomeAssistantError as err:
        raise invalid("attachment_entity_unavailable", entity_id=entity_id) from err
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise invalid("attachment_too_large", attachment=entity_id, limit=_limit())
    extension = mimetypes.guess_extension(content_type) or ""
    return Attachment(content, content_type, f"{domain}_snapshot{extension}")


def _limit() -> str:
    return f"{MAX_ATTACHMENT_BYTES:,} bytes"
