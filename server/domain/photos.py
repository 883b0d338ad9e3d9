"""Profile photos: whatever the person uploads becomes a small square JPEG.

The upload is decoded (Pillow reads JPEG, PNG, WebP and GIF, nothing else is tried), turned
upright by its EXIF orientation, cropped to the largest centred square, scaled down and
encoded again. Nothing of the upload survives but its pixels: no EXIF (a phone's photo
carries where it was taken), no colour profile, no second frame, no bytes a browser might
sniff as something else.
"""

from __future__ import annotations

import io
import warnings

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import PHOTO_MAX_MB, InvalidPhoto

MAX_BYTES = PHOTO_MAX_MB * 1024 * 1024
# A decompression bomb is a small file of huge dimensions: refused before decoding.
MAX_PIXELS = 40_000_000
SIDE = 256  # pixels of the stored square: sharp at 128 CSS pixels on a 2× screen
MEDIA_TYPE = "image/jpeg"
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def square_jpeg(upload: bytes) -> bytes:
    """The photo to keep, made from the uploaded bytes; InvalidPhoto when they cannot be."""
    if len(upload) > MAX_BYTES:
        raise InvalidPhoto("too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidPhoto("too_many_pixels")
            # A JPEG decodes at a fraction of its size when that is all the square needs.
            image.draft("RGB", (SIDE, SIDE))
            image = _on_white(ImageOps.exif_transpose(image))
    except InvalidPhoto:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidPhoto("unreadable") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidPhoto("too_many_pixels") from error
    square = ImageOps.fit(image, (SIDE, SIDE), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    """RGB pixels; what was transparent becomes white, as on the pages, not black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def photo_url(photo_id: str) -> str:
    """Where a portal fetches the person's photo (OIDC Core §5.1 `picture`): a URL under the
    issuer, public, as the claim's readers expect, and unguessable."""
    return f"{current_app.config['ISSUER']}/photos/{photo_id}.jpg"
