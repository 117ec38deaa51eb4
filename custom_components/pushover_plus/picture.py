"""Pictures that fit: a picture over Pushover's size limit made small enough.

Pushover takes at most 5,242,880 bytes and asks senders to resize. A picture
over the limit is turned upright (its EXIF orientation applied, since the
tag does not survive), flattened onto white if it has transparency, and
saved as JPEG at the largest size that fits, its aspect ratio kept. The
search tries a few sizes, each a JPEG encoding of the whole picture: it runs
in Home Assistant's executor, never in the event loop.

Memory: a picture is decoded once, and turned and flattened in place where
Pillow allows it. Pillow keeps RGB in four bytes a pixel, so a 12-megapixel
photo takes 48 MB decoded, and fitting it (the smaller copy and the JPEG
made of it besides) raises the process's peak by about 125 MB (measured by
scripts/bench); a 48-megapixel one by four times that. More than
`MAX_PIXELS` is refused before decoding, and the caller makes one picture at
a time.

Pillow is imported where a picture is fitted, in the executor: importing it
with the package would add about a third to the package's import time at
every start, for pictures over the limit that most installations never send.
"""

from enum import StrEnum
from io import BytesIO
import math
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image

JPEG_QUALITY: Final = 85
# Encodings tried at most: the first guess is usually within a few per cent,
# and each further try closes in on the limit.
MAX_TRIES: Final = 6
# How close under the limit is close enough to stop searching.
GOOD_ENOUGH: Final = 0.9
# Where the guesses aim: a little under the limit, so that a guess a few per
# cent off still fits.
AIM: Final = 0.97
# JPEG bytes grow faster than the pixel count when a photo is scaled up (fine
# detail and noise that a smaller copy smooths out): the exponent of the
# first guess. Later guesses measure it from the tries so far.
FIRST_EXPONENT: Final = 2.5
MIN_EXPONENT: Final = 1.0
MAX_EXPONENT: Final = 4.0
# Pictures larger than this many pixels (a 48-megapixel phone makes 48 million)
# are refused rather than decoded: a small file can claim an enormous picture
# (a decompression bomb). Below Pillow's own threshold, which refuses more
# than twice its 89 million and warns above it.
MAX_PIXELS: Final = 64_000_000
# JPEG holds these modes as they are; any other is converted to RGB.
_JPEG_MODES: Final = frozenset({"RGB", "L"})
_TRANSPARENT_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


class PictureProblem(StrEnum):
    """Why a picture cannot be made to fit."""

    UNREADABLE = "unreadable"
    TOO_MANY_PIXELS = "too_many_pixels"
    CANNOT_FIT = "cannot_fit"


class PictureError(Exception):
    """The data is not a picture that can be made to fit."""

    def __init__(self, problem: PictureProblem) -> None:
        """Say which problem it is."""
        super().__init__(problem.value)
        self.problem = problem


class FittedPicture:
    """A picture re-encoded to fit, and its size before (turned upright).

    A plain class: a dataclass costs more to create at import than it saves.
    """

    __slots__ = ("content", "height", "original_height", "original_width", "width")

    def __init__(
        self,
        content: bytes,
        width: int,
        height: int,
        original_width: int,
        original_height: int,
    ) -> None:
        """Hold the JPEG and the sizes after and before."""
        self.content = content
        self.width = width
        self.height = height
        self.original_width = original_width
        self.original_height = original_height


def fit_picture(content: bytes, limit: int) -> FittedPicture:
    """Return the picture as a JPEG of at most `limit` bytes (blocking)."""
    from PIL import Image  # noqa: PLC0415 - in the executor, see the module's note

    upright = _upright(_open(content))
    tries: list[tuple[float, int]] = []
    best: tuple[bytes, tuple[int, int]] | None = None
    scale = 1.0
    for _ in range(MAX_TRIES):
        size = _scaled(upright.size, scale)
        encoded = _jpeg(
            upright
            if size == upright.size
            else upright.resize(size, Image.Resampling.LANCZOS)
        )
        fits = len(encoded) <= limit
        if fits and (best is None or len(encoded) > len(best[0])):
            best = (encoded, size)
        if fits and (scale == 1.0 or len(encoded) >= limit * GOOD_ENOUGH):
            break
        tries.append((scale, len(encoded)))
        following = _next_scale(tries, limit * AIM)
        if _scaled(upright.size, following) == size:
            # A picture of a pixel or two that still does not fit.
            break
        scale = following
    if best is None:
        raise PictureError(PictureProblem.CANNOT_FIT)
    encoded, (width, height) = best
    return FittedPicture(encoded, width, height, *upright.size)


def _open(content: bytes) -> Image.Image:
    from PIL import Image  # noqa: PLC0415 - in the executor, see the module's note

    try:
        picture = Image.open(BytesIO(content))
    except Image.DecompressionBombError as err:
        raise PictureError(PictureProblem.TOO_MANY_PIXELS) from err
    except (OSError, ValueError, SyntaxError) as err:
        # UnidentifiedImageError is an OSError.
        raise PictureError(PictureProblem.UNREADABLE) from err
    if picture.width * picture.height > MAX_PIXELS:
        raise PictureError(PictureProblem.TOO_MANY_PIXELS)
    try:
        picture.load()
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        # Truncated or damaged data, which a decoder finds only as it reads.
        raise PictureError(PictureProblem.UNREADABLE) from err
    return picture


def _upright(picture: Image.Image) -> Image.Image:
    """Apply the EXIF orientation and make the picture one that JPEG holds."""
    from PIL import Image, ImageOps  # noqa: PLC0415 - in the executor, see above

    ImageOps.exif_transpose(picture, in_place=True)
    if picture.mode in _TRANSPARENT_MODES or "transparency" in picture.info:
        # Onto white, as a viewer shows transparency.
        rgba = picture.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if picture.mode in _JPEG_MODES:
        return picture
    return picture.convert("RGB")


def _next_scale(tries: list[tuple[float, int]], target: float) -> float:
    """Guess the scale whose JPEG has `target` bytes, from the tries so far.

    Bytes follow the scale to some power: with two tries it is measured
    between the last two (a secant in log-log space), else assumed. Two tries
    never share a scale: the search stops when a guess repeats a size.
    """
    scale, size = tries[-1]
    exponent = FIRST_EXPONENT
    if len(tries) > 1:
        earlier_scale, earlier_size = tries[-2]
        measured = math.log(size / earlier_size) / math.log(scale / earlier_scale)
        exponent = min(max(measured, MIN_EXPONENT), MAX_EXPONENT)
    guess: float = scale * (target / size) ** (1 / exponent)
    return min(guess, 1.0)


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    width, height = size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(picture: Image.Image) -> bytes:
    out = BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
