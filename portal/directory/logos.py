"""A partner's logo, re-encoded by the portal: only PNG, JPEG or WebP are read, never more
than a bounded number of pixels (decompression bombs), and what is kept is a fresh WebP of
bounded size, so no metadata (location, camera, comments) nor hostile bytes reach a visitor.

Pure computation on bytes in memory: no I/O, but up to a second of CPU, so the service runs
it in a worker thread."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 1024 * 1024  # 1 MB: a logo, not a photograph
# 2000 × 2000: decoding costs CPU and memory with the pixel count (16 million took ~2 s and
# 210 MB), and a logo shown at 400 px gains nothing from more.
MAX_SOURCE_PIXELS = 4_000_000
MIN_SIDE = 16
LARGEST_SIDE = 400  # shown at most 200 px wide, 2× for sharp screens
ACCEPTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}


class LogoRefused(ValueError):
    """Why an upload cannot be a logo, in words for the partner."""


@dataclass(frozen=True)
class Logo:
    image: bytes
    width: int
    height: int
    media_type: str = "image/webp"


def reencode_logo(data: bytes) -> Logo:
    """The logo to keep, or LogoRefused with the reason."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise LogoRefused("Choose an image file.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; a logo may be at most 1 MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as source:
                _check_dimensions(source.size)
                source.seek(0)  # an animation keeps its first frame
                if source.format == "JPEG":  # decoded at 1/2, 1/4 or 1/8 scale: far cheaper
                    source.draft(None, (LARGEST_SIDE, LARGEST_SIDE))
                source.load()
                return _encode(source)
    except LogoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused("This image has too many pixels to be a logo.") from None
    except UnidentifiedImageError:
        raise LogoRefused("This is not a PNG, JPEG or WebP image.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise LogoRefused("This image is damaged and cannot be read.") from None


def _check_dimensions(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_SOURCE_PIXELS:
        raise LogoRefused(
            f"This image is {width} × {height} pixels; a logo may have at most "
            f"{MAX_SOURCE_PIXELS // 1_000_000} million pixels."
        )
    if min(width, height) < MIN_SIDE:
        raise LogoRefused(f"This image is too small; a logo needs at least {MIN_SIDE} pixels.")


def _encode(source) -> Logo:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(source)  # honour the camera's rotation, then drop EXIF
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((LARGEST_SIDE, LARGEST_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new(image.mode, image.size)  # pixels only: no info, no profile, no EXIF
    clean.paste(image)
    output = io.BytesIO()
    clean.save(output, format="WEBP", quality=88, method=4)
    return Logo(output.getvalue(), clean.width, clean.height)
