"""Logos: only real PNG, JPEG or WebP images are kept, re-encoded without their metadata and
with bounded dimensions; anything else is refused with a reason."""

import io

import pytest
from PIL import Image

from portal.directory.logos import (
    LARGEST_SIDE,
    MAX_UPLOAD_BYTES,
    LogoRefused,
    reencode_logo,
)
from tests.factories.directory import png_claiming


def image_bytes(fmt: str, size=(300, 200), mode="RGB", **save) -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(
        output, format=fmt, **save
    )
    return output.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_each_accepted_format_becomes_a_webp(fmt):
    logo = reencode_logo(image_bytes(fmt))
    with Image.open(io.BytesIO(logo.image)) as result:
        assert result.format == "WEBP"
        assert result.size == (300, 200) == (logo.width, logo.height)


def test_a_large_image_is_scaled_down_keeping_its_proportions():
    logo = reencode_logo(image_bytes("PNG", size=(2000, 1000)))
    assert (logo.width, logo.height) == (LARGEST_SIDE, LARGEST_SIDE // 2)


def test_transparency_is_kept():
    logo = reencode_logo(image_bytes("PNG", mode="RGBA"))
    with Image.open(io.BytesIO(logo.image)) as result:
        assert result.mode == "RGBA"


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (46.0, 12.0, 0.0)}  # GPS
    source = image_bytes("JPEG", exif=exif.tobytes(), comment=b"internal note")
    assert b"SecretCam" in source
    logo = reencode_logo(source)
    assert b"SecretCam" not in logo.image and b"internal note" not in logo.image
    with Image.open(io.BytesIO(logo.image)) as result:
        assert not result.getexif()
        assert "exif" not in result.info and "icc_profile" not in result.info


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Choose an image"),
        (b"%PDF-1.7 not an image", "not a PNG, JPEG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not a PNG, JPEG or WebP"),
        (b"GIF89a" + b"\x00" * 100, "not a PNG, JPEG or WebP"),
    ],
)
def test_what_is_not_an_accepted_image_is_refused(data, reason):
    with pytest.raises(LogoRefused, match=reason):
        reencode_logo(data)


def test_a_gif_or_bmp_is_refused_even_though_pillow_reads_it():
    for fmt in ("GIF", "BMP", "TIFF"):
        with pytest.raises(LogoRefused, match="not a PNG, JPEG or WebP"):
            reencode_logo(image_bytes(fmt))


def test_a_truncated_image_is_refused():
    data = image_bytes("PNG", size=(400, 400))
    with pytest.raises(LogoRefused, match="damaged"):
        reencode_logo(data[: len(data) // 2])


def test_an_oversized_file_is_refused_before_reading():
    with pytest.raises(LogoRefused, match="at most 1 MB"):
        reencode_logo(b"\x89PNG" + b"\x00" * MAX_UPLOAD_BYTES)


@pytest.mark.parametrize("side", [5000, 20000, 100000])
def test_a_decompression_bomb_is_refused_without_decoding(side):
    data = png_claiming(side, side)
    assert len(data) < 200
    with pytest.raises(LogoRefused, match="pixels"):
        reencode_logo(data)


def test_a_tiny_image_is_refused():
    with pytest.raises(LogoRefused, match="too small"):
        reencode_logo(image_bytes("PNG", size=(8, 8)))


def test_more_than_four_million_pixels_is_refused_and_four_million_are_read():
    """Decoding costs memory and CPU with the pixel count (16 million: ~2 s and 210 MB)."""
    with pytest.raises(LogoRefused, match="at most 4 million pixels"):
        reencode_logo(png_claiming(2100, 2100))
    logo = reencode_logo(image_bytes("PNG", size=(2000, 2000)))
    assert (logo.width, logo.height) == (LARGEST_SIDE, LARGEST_SIDE)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_still_sharp_enough():
    logo = reencode_logo(image_bytes("JPEG", size=(2000, 1000)))
    assert (logo.width, logo.height) == (LARGEST_SIDE, LARGEST_SIDE // 2)
