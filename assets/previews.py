"""Preview images of asset files: images scaled down with Pillow, the first page of a
PDF rendered with pypdfium2. Pure functions on local files; the service stores them."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

# Longest side of a preview, in pixels: sharp on the asset page, small in the grid.
PREVIEW_SIZE = 900
IMAGE_KINDS = frozenset({"png", "jpeg", "webp", "gif"})
PREVIEW_KINDS = IMAGE_KINDS | {"pdf"}
# A rendered PDF page is bounded whatever the page size claims to be.
MAX_RENDER_SCALE = 4.0


def can_preview(kind: str) -> bool:
    return kind in PREVIEW_KINDS


def render(path: Path, kind: str) -> tuple[Image.Image, int | None]:
    """The preview of a file (RGB, at most PREVIEW_SIZE on its longest side) and, for a
    PDF, its page count. Raises on a damaged file."""
    if kind == "pdf":
        return _render_pdf(path)
    if kind in IMAGE_KINDS:
        return _render_image(path), None
    raise ValueError(f"No preview for {kind} files.")


def _render_image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.seek(0)  # the first frame of an animated GIF
            image.draft("RGB", (PREVIEW_SIZE, PREVIEW_SIZE))  # JPEG: decode at a smaller scale
            image = ImageOps.exif_transpose(image)
            image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
            return _flatten(image)


def _render_pdf(path: Path) -> tuple[Image.Image, int]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        page_count = len(pdf)
        if page_count == 0:
            raise ValueError("The PDF has no pages.")
        page = pdf[0]
        try:
            width, height = page.get_size()
            scale = min(MAX_RENDER_SCALE, PREVIEW_SIZE / max(width, height, 1))
            image = page.render(scale=scale).to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    return _flatten(image), page_count


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (transparent areas of logos would otherwise turn black)."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def as_png_file(image: Image.Image) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name="preview.png")
