"""Pictures over Pushover's limit, made to fit: real, large generated images."""

from io import BytesIO
import random

from PIL import Image, ImageStat
import pytest

from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES
from custom_components.pushover_plus.picture import (
    MAX_PIXELS,
    PictureError,
    fit_picture,
)

# EXIF tag 274: how a viewer must turn the stored pixels.
ORIENTATION = 274
ROTATED_90_CLOCKWISE = 6


def noisy(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Return a picture of noise, which compresses badly: a worst case."""
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


@pytest.fixture(scope="module")
def twelve_megapixels() -> bytes:
    """Return a 4000 by 3000 camera-like JPEG well over Pushover's limit."""
    content = encoded(noisy(4000, 3000), "JPEG", quality=95)
    assert len(content) > MAX_ATTACHMENT_BYTES
    return content


def test_a_large_photo_fits_and_keeps_its_shape(twelve_megapixels: bytes) -> None:
    """The result is a valid JPEG under the limit, of the same aspect ratio."""
    fitted = fit_picture(twelve_megapixels, MAX_ATTACHMENT_BYTES)

    assert len(fitted.content) <= MAX_ATTACHMENT_BYTES
    # The largest that fits: within a tenth of the limit.
    assert len(fitted.content) >= MAX_ATTACHMENT_BYTES * 0.9
    with Image.open(BytesIO(fitted.content)) as result:
        assert result.format == "JPEG"
        result.verify()
        assert result.size == (fitted.width, fitted.height)
    assert (fitted.original_width, fitted.original_height) == (4000, 3000)
    assert fitted.width / fitted.height == pytest.approx(4 / 3, rel=0.01)
    assert fitted.width < 4000


def test_the_orientation_is_applied() -> None:
    """A photo stored sideways with an EXIF tag comes out upright, tag gone."""
    picture = Image.new("RGB", (4000, 3000), "blue")
    picture.paste(noisy(2000, 3000), (0, 0))
    # The left half (noise) is the top once turned 90° clockwise.
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90_CLOCKWISE
    content = encoded(picture, "JPEG", quality=98, exif=exif)
    assert len(content) > MAX_ATTACHMENT_BYTES // 2

    fitted = fit_picture(content, MAX_ATTACHMENT_BYTES // 2)

    with Image.open(BytesIO(fitted.content)) as result:
        assert result.width < result.height
        assert ORIENTATION not in result.getexif()
        top = result.crop((0, 0, result.width, result.height // 2 - 8))
        bottom = result.crop((0, result.height // 2 + 8, result.width, result.height))
        # The blue half is flat; the noise is not.
        assert ImageStat.Stat(bottom.convert("L")).stddev[0] < 5
        assert ImageStat.Stat(top.convert("L")).stddev[0] > 20


def test_transparency_goes_onto_white() -> None:
    """A PNG with an alpha channel becomes a JPEG on a white background."""
    picture = Image.new("RGBA", (3000, 2000), (0, 0, 0, 0))
    picture.paste(noisy(1000, 2000, "RGBA"), (0, 0))
    content = encoded(picture, "PNG")

    fitted = fit_picture(content, 500_000)

    with Image.open(BytesIO(fitted.content)) as result:
        assert result.mode == "RGB"
        right = result.crop((result.width - 50, 0, result.width, 50))
        assert ImageStat.Stat(right.convert("L")).extrema[0][0] > 240


def test_a_picture_that_fits_as_jpeg_keeps_its_size() -> None:
    """A large PNG that compresses well is re-encoded at full size."""
    picture = Image.new("RGB", (4000, 3000), "white")
    content = encoded(picture, "BMP")
    assert len(content) > MAX_ATTACHMENT_BYTES

    fitted = fit_picture(content, MAX_ATTACHMENT_BYTES)

    assert (fitted.width, fitted.height) == (4000, 3000)


@pytest.mark.parametrize(
    "content",
    [b"not a picture", b"\x89PNG\r\n\x1a\n" + bytes(40), b""],
    ids=["text", "truncated_png", "empty"],
)
def test_what_is_no_picture_is_refused(content: bytes) -> None:
    """Data Pillow cannot read is refused, not sent as it is."""
    with pytest.raises(PictureError):
        fit_picture(content, MAX_ATTACHMENT_BYTES)


def test_a_decompression_bomb_is_refused() -> None:
    """A small file claiming an enormous picture is not decoded."""
    side = int(MAX_PIXELS**0.5) + 1
    content = encoded(Image.new("1", (side, side)), "PNG")
    assert len(content) < 2_000_000

    with pytest.raises(PictureError, match="more than 64,000,000 pixels"):
        fit_picture(content, MAX_ATTACHMENT_BYTES)


def test_a_limit_too_small_for_any_size_is_an_error() -> None:
    """When even the smallest try is too big, the caller hears of it."""
    content = encoded(noisy(2000, 2000), "JPEG", quality=95)

    with pytest.raises(PictureError, match="cannot be made small enough"):
        fit_picture(content, 10)
