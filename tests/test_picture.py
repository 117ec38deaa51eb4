"""Pictures over Pushover's limit, made to fit: real, large generated images."""

from io import BytesIO
import struct
import zlib

from PIL import Image, ImageStat
import pytest

from custom_components.pushover_plus import picture
from custom_components.pushover_plus.const import MAX_ATTACHMENT_BYTES
from custom_components.pushover_plus.picture import (
    MAX_PIXELS,
    PictureError,
    PictureProblem,
    fit_picture,
)

from .pictures import (
    assert_upright,
    encoded,
    noisy,
    sideways_photo,
    twelve_megapixel_photo,
)


@pytest.fixture(scope="module")
def twelve_megapixels() -> bytes:
    """Return a 4000 by 3000 camera-like JPEG well over Pushover's limit."""
    return twelve_megapixel_photo()


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
    fitted = fit_picture(sideways_photo(), MAX_ATTACHMENT_BYTES)

    assert_upright(fitted.content)


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
    [
        b"not a picture",
        b"\x89PNG\r\n\x1a\n" + bytes(40),
        b"",
        encoded(noisy(400, 300), "JPEG")[:20_000],
    ],
    ids=["text", "truncated_png", "empty", "truncated_jpeg"],
)
def test_what_is_no_picture_is_refused(content: bytes) -> None:
    """Data Pillow cannot read is refused, not sent as it is."""
    with pytest.raises(PictureError) as caught:
        fit_picture(content, MAX_ATTACHMENT_BYTES)

    assert caught.value.problem is PictureProblem.UNREADABLE


def test_a_decompression_bomb_is_refused() -> None:
    """A small file claiming an enormous picture is not decoded."""
    side = int(MAX_PIXELS**0.5) + 1
    content = encoded(Image.new("1", (side, side)), "PNG")
    assert len(content) < 2_000_000

    with pytest.raises(PictureError) as caught:
        fit_picture(content, MAX_ATTACHMENT_BYTES)

    assert caught.value.problem is PictureProblem.TOO_MANY_PIXELS


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk: length, type, data and CRC."""
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def png_header(width: int, height: int) -> bytes:
    """Return a PNG that claims a picture of that size and has no pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"")
        + png_chunk(b"IEND", b"")
    )


def test_a_header_claiming_a_huge_picture_is_refused_unread() -> None:
    """Over twice Pillow's own bound, Pillow refuses to open it at all."""
    with pytest.raises(PictureError) as caught:
        fit_picture(png_header(20_000, 20_000), MAX_ATTACHMENT_BYTES)

    assert caught.value.problem is PictureProblem.TOO_MANY_PIXELS


def test_over_pillows_warning_bound_is_refused_unread() -> None:
    """Between Pillow's bound and twice it, Pillow warns (to the log); we refuse."""
    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(PictureError) as caught,
    ):
        fit_picture(png_header(10_000, 10_000), MAX_ATTACHMENT_BYTES)

    assert caught.value.problem is PictureProblem.TOO_MANY_PIXELS


def test_a_limit_too_small_for_any_size_is_an_error() -> None:
    """When even the smallest try is too big, the caller hears of it."""
    content = encoded(noisy(2000, 2000), "JPEG", quality=95)

    with pytest.raises(PictureError) as caught:
        fit_picture(content, 10)

    assert caught.value.problem is PictureProblem.CANNOT_FIT


def test_the_search_ends_after_its_tries(
    twelve_megapixels: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never close enough, the search stops and keeps the largest that fitted."""
    monkeypatch.setattr(picture, "GOOD_ENOUGH", 1.0)
    monkeypatch.setattr(picture, "MAX_TRIES", 2)
    encodings: list[int] = []
    jpeg = picture._jpeg

    def counted(image: Image.Image) -> bytes:
        content = jpeg(image)
        encodings.append(len(content))
        return content

    monkeypatch.setattr(picture, "_jpeg", counted)

    fitted = fit_picture(twelve_megapixels, MAX_ATTACHMENT_BYTES)

    assert len(encodings) == 2
    assert len(fitted.content) == max(
        size for size in encodings if size <= MAX_ATTACHMENT_BYTES
    )


def test_a_grey_photo_stays_grey() -> None:
    """A greyscale picture is saved as greyscale JPEG, not made RGB."""
    content = encoded(noisy(3000, 3000, "L"), "PNG")
    assert len(content) > MAX_ATTACHMENT_BYTES

    fitted = fit_picture(content, MAX_ATTACHMENT_BYTES)

    with Image.open(BytesIO(fitted.content)) as result:
        assert result.mode == "L"
    assert len(fitted.content) <= MAX_ATTACHMENT_BYTES


def test_a_cmyk_photo_becomes_rgb() -> None:
    """A print shop's CMYK JPEG is sent as RGB, which every phone shows."""
    content = encoded(noisy(2500, 2000, "CMYK"), "JPEG", quality=95)
    assert len(content) > MAX_ATTACHMENT_BYTES

    fitted = fit_picture(content, MAX_ATTACHMENT_BYTES)

    with Image.open(BytesIO(fitted.content)) as result:
        assert result.mode == "RGB"


def test_an_animation_keeps_its_first_frame() -> None:
    """A GIF over the limit becomes a still JPEG of its first frame."""
    first = Image.new("RGB", (2500, 2500), "red")
    second = Image.new("RGB", (2500, 2500), "blue")
    first.paste(noisy(2500, 1200), (0, 0))
    content = encoded(first, "GIF", save_all=True, append_images=[second])
    assert len(content) > MAX_ATTACHMENT_BYTES // 2

    fitted = fit_picture(content, MAX_ATTACHMENT_BYTES // 2)

    with Image.open(BytesIO(fitted.content)) as result:
        bottom = result.convert("RGB").getpixel((10, result.height - 10))
    assert isinstance(bottom, tuple)
    red, green, blue = bottom[:3]
    assert red > 200 > green
    assert blue < 60
