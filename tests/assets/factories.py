"""Real files and assets for the content library tests (and the authz matrix rows)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets import services
from assets.models import Asset


def pdf_bytes(
    title: str = "Cloud Backup Datasheet",
    *,
    pages: int = 2,
    size: tuple[float, float] = (595.0, 842.0),
    rotate: int = 0,
) -> bytes:
    """A real PDF drawn with reportlab: a heading and body text on each page."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    for number in range(1, pages + 1):
        pdf.setFillColorRGB(0.23, 0.27, 0.76)
        pdf.rect(0, size[1] - 120, size[0], 120, stroke=0, fill=1)
        pdf.setFillColorRGB(1, 1, 1)
        pdf.setFont("Helvetica-Bold", 24)
        pdf.drawString(40, size[1] - 70, title)
        pdf.setFillColorRGB(0.1, 0.1, 0.1)
        pdf.setFont("Helvetica", 12)
        pdf.drawString(40, size[1] - 160, f"Page {number} of {pages}")
        pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    if rotate:
        from pypdf import PdfReader, PdfWriter

        reader = PdfReader(io.BytesIO(data))
        writer = PdfWriter()
        for page in reader.pages:
            page.rotate(rotate)
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (800, 600), color: Any = (40, 120, 200)
) -> bytes:
    buffer = io.BytesIO()
    mode = (
        "RGBA" if fmt in ("PNG", "WEBP") and isinstance(color, tuple) and len(color) == 4 else "RGB"
    )
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_asset(
    *,
    title: str = "Cloud Backup Datasheet",
    actor: Any = None,
    files: tuple[tuple[str, bytes], ...] | None = None,
    languages: tuple[Any, ...] | None = None,
    audience: dict[str, Any] | None = None,
    publish: bool = True,
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> Asset:
    """An asset with files (default: one PDF), an audience, published unless told not."""
    asset = services.asset_create(
        actor=actor,
        title=title,
        tags=services.tags_from_names(tags),
        audience=audience,
        **fields,
    )
    files = files if files is not None else (("datasheet.pdf", pdf_bytes(title)),)
    languages = languages or (fields.get("language"),) * len(files)
    for (name, content), language in zip(files, languages, strict=True):
        services.asset_version_add(
            asset=asset, upload=upload(name, content), uploaded_by=actor, language=language
        )
    if publish and files:
        asset = services.asset_publish(asset=asset, actor=actor)
    asset.refresh_from_db()
    return asset


def logo_file(size=(300, 100), color=(220, 40, 40, 255)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGBA", size, color).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def brand(world: Any) -> Any:
    """Give a partner world a complete co-branding profile; returns the world."""
    from partners.services import partner_update_cobranding

    world.partner = partner_update_cobranding(
        partner=world.partner,
        actor=world.admin,
        logo=logo_file(),
        display_name=f"{world.partner.name.split()[0]} Networks",
        contact_phone="+44 20 7946 0000",
        contact_email=f"sales@{world.partner.slug}.example",
        contact_website=f"https://{world.partner.slug}.example",
        address=f"1 {world.partner.name.split()[0]} Street\nLondon",
    )
    return world
