"""Pictures that fit: a picture over Pushover's size limit made small enough.

Pushover takes at most 5,242,880 bytes and asks senders to resize. A picture
over the limit is turned upright (its EXIF orientation applied, since the
tag does not survive), flattened onto white if it has transparency, and
saved as JPEG at the largest size that fits, its aspect ratio kept. The
search tries a few sizes, each a JPEG encoding of the whole picture: it runs
in Home Assistant's executor, never in the event loop.
"""

from dataclasses import dataclass, field
from io import BytesIO
import math
from typing import Final
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

JPEG_QUALITY: Final = 85
# Encodings tried at most: the first guess from the byte ratio is usually
# within a few per cent, and each further try closes in on the limit.
MAX_TRIES: Final = 6
# How close under the limit is close enough to stop searching.
GOOD_ENOUGH: Final = 0.9
# Pictures larger than this many pixels (a 48-megapixel phone makes 48 million)
# are refused rather than decoded: a small file can claim an enormous picture
# (a decompression bomb). Below Pillow's own warning threshold.
MAX_PIXELS: Final = 64_000_000


class PictureError(Exception):
    """The data is not a picture that can be made to fit."""


@dataclass(frozen=True, slots=True)
class FittedPicture:
    """A picture re-encoded to fit, and its size before (turned upright)."""

    content: bytes = field(repr=False)
    width: int
    height: int
    original_width: int
    original_height: int


def fit_picture(content: bytes, limit: int) -> FittedPicture:
    """Return the picture as a JPEG of at most `limit` bytes (blocking)."""
    upright = _flattened(ImageOps.exif_transpose(_open(content)))
    scale = 1.0
    best: tuple[bytes, tuple[int, int]] | None = None
    for _ in range(MAX_TRIES):
        size = _scaled(upright.size, scale)
        encoded = _jpeg(upright if size == upright.size else upright.resize(size))
        if len(encoded) <= limit:
            if best is None or len(encoded) > len(best[0]):
                best = (encoded, size)
            if scale == 1.0 or len(encoded) >= limit * GOOD_ENOUGH:
                break
        # JPEG bytes grow roughly with the pixel count, so with the square of
        # the scale: aim a little under the limit.
        scale *= math.sqrt(limit * 0.95 / len(encoded))
        scale = min(scale, 1.0)
    if best is None:
        msg = "the picture cannot be made small enough"
        raise PictureError(msg)
    encoded, (width, height) = best
    return FittedPicture(encoded, width, height, *upright.size)


def _open(content: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns of a bomb below twice its threshold: refuse it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(BytesIO(content))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
        msg = f"the picture has more than {MAX_PIXELS:,} pixels"
        raise PictureError(msg) from err
    except (UnidentifiedImageError, OSError) as err:
        msg = "not a picture that can be read"
        raise PictureError(msg) from err
    if picture.width * picture.height > MAX_PIXELS:
        msg = f"the picture has more than {MAX_PIXELS:,} pixels"
        raise PictureError(msg)
    try:
        picture.load()
    except OSError as err:
        msg = "the picture's data is damaged"
        raise PictureError(msg) from err
    return picture


def _flattened(picture: Image.Image) -> Image.Image:
    """Return an RGB picture; transparency goes onto white, as a viewer shows it."""
    if picture.mode in {"RGBA", "LA"} or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return picture.convert("RGB")


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    width, height = size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(picture: Image.Image) -> bytes:
    out = BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
