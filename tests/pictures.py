"""Real pictures for the tests, generated: noise compresses badly, a worst case."""

from functools import cache
from io import BytesIO
import random

from PIL import Image, ImageStat

from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES

# EXIF tag 274: how a viewer must turn the stored pixels.
ORIENTATION = 274
ROTATED_90_CLOCKWISE = 6


def noisy(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Return a picture of noise, the same for the same size."""
    generator = random.Random(width * height)  # noqa: S311 - test data
    channels = len(mode)
    return Image.frombytes(
        mode, (width, height), generator.randbytes(width * height * channels)
    )


def encoded(picture: Image.Image, image_format: str, **options: object) -> bytes:
    """Return the picture saved in `image_format`."""
    out = BytesIO()
    picture.save(out, format=image_format, **options)
    return out.getvalue()


@cache
def twelve_megapixel_photo() -> bytes:
    """Return a 4000 by 3000 camera-like JPEG well over Pushover's limit."""
    content = encoded(noisy(4000, 3000), "JPEG", quality=95)
    assert len(content) > MAX_ATTACHMENT_BYTES
    return content


@cache
def sideways_photo() -> bytes:
    """Return a 4000 by 3000 JPEG over the limit, stored turned (EXIF 6).

    Upright it is 3000 wide and 4000 high: its left half, noise, is then the
    top, and the flat blue right half the bottom.
    """
    picture = Image.new("RGB", (4000, 3000), "blue")
    picture.paste(noisy(2000, 3000), (0, 0))
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90_CLOCKWISE
    content = encoded(picture, "JPEG", quality=100, exif=exif)
    assert len(content) > MAX_ATTACHMENT_BYTES
    return content


def decoded(content: bytes) -> Image.Image:
    """Decode a picture fully: whatever Pillow cannot read fails here."""
    picture = Image.open(BytesIO(content))
    picture.load()
    return picture


def assert_upright(content: bytes) -> None:
    """Check that `sideways_photo` arrived upright: noise on top, blue below."""
    with decoded(content) as result:
        assert result.width < result.height
        assert ORIENTATION not in result.getexif()
        top = result.crop((0, 0, result.width, result.height // 2 - 8))
        bottom = result.crop((0, result.height // 2 + 8, result.width, result.height))
        # The blue half is flat; the noise is not.
        assert ImageStat.Stat(bottom.convert("L")).stddev[0] < 5
        assert ImageStat.Stat(top.convert("L")).stddev[0] > 20
