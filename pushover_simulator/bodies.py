"""Read a request body (form, multipart or JSON) into flat text fields."""

from dataclasses import dataclass, field
import json
from typing import Final
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, hdrs, web

from .models import Encoding, Rejection, Upload

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
_UNSUPPORTED: Final = "request body must be form-encoded, multipart/form-data or JSON"


@dataclass(slots=True)
class Body:
    """A parsed request body: text fields plus the attachment file part."""

    encoding: Encoding
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None


async def read_body(request: web.Request) -> Body | Rejection:
    """Parse the body by its content type; reject what Pushover would not read."""
    content_type = request.content_type
    if content_type == "application/json":
        return await _read_json(request)
    if content_type == "multipart/form-data":
        try:
            return await _read_multipart(request)
        except ValueError:
            return Rejection(errors=["multipart body is malformed"])
    if content_type == "application/x-www-form-urlencoded" or not request.body_exists:
        return await _read_form(request)
    return Rejection(errors=[_UNSUPPORTED], status=415)


def read_query(request: web.Request) -> Body:
    """Take a GET request's query string as its fields."""
    return Body("form", dict(request.query))


async def _read_form(request: web.Request) -> Body | Rejection:
    """Read an application/x-www-form-urlencoded UTF-8 body (first value wins)."""
    raw = await request.read()
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return Rejection(errors=["form body is not valid URL-encoded UTF-8"])
    body = Body("form")
    for name, value in pairs:
        body.fields.setdefault(name, value)
    return body


async def _read_json(request: web.Request) -> Body | Rejection:
    """Read a JSON object whose values are strings, numbers or booleans."""
    try:
        data = json.loads(await request.read())
    except ValueError:
        return Rejection(errors=["request body is not valid JSON"])
    if not isinstance(data, dict):
        return Rejection(errors=["request body must be a JSON object"])
    body, rejection = Body("json"), Rejection()
    for name, value in data.items():
        match value:
            case None:
                continue
            case bool():
                body.fields[name] = "1" if value else "0"
            case str() | int() | float():
                body.fields[name] = str(value)
            case _:
                rejection.add(name, f"{name} must be a string or a number")
    return rejection or body


async def _read_multipart(request: web.Request) -> Body | Rejection:
    """Read multipart/form-data; the `attachment` file part becomes the upload."""
    body, rejection = Body("multipart"), Rejection()
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader) or not part.name:
            rejection.add(None, "multipart parts must be named form fields")
            continue
        data = bytes(await part.read(decode=True))
        if part.filename is None:
            _add_text_part(body, rejection, part, data)
        elif part.name == "attachment" and body.upload is None:
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "")
            body.upload = Upload(data, content_type, part.filename)
        else:
            rejection.add(part.name, f"{part.name} must not be a file part")
    return rejection or body


def _add_text_part(
    body: Body, rejection: Rejection, part: BodyPartReader, data: bytes
) -> None:
    """Decode a plain form field of a multipart body (first value wins)."""
    name = part.name or ""
    try:
        text = data.decode(part.get_charset(default="utf-8"))
    except UnicodeDecodeError, LookupError:
        rejection.add(name, f"{name} is not valid text")
        return
    body.fields.setdefault(name, text)
