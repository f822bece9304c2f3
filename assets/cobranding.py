"""Co-branding: a partner's logo and contact block placed in a zone of a PDF (every
page, drawn with reportlab and merged with pypdf) or of an image (Pillow).

Pure functions on local files. The logo is fitted into the zone whatever its shape
(wide, tall, square, transparent), keeping its aspect ratio; the text shrinks to fit
and is cut with an ellipsis rather than spill out of the zone.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from assets.delivery import local_copy

COBRANDABLE_KINDS = frozenset({"pdf", "png", "jpeg", "webp"})
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
BOLD_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
TEXT_COLOR = (27, 37, 80)  # the portal's header navy
RULE_COLOR = (210, 215, 228)


@dataclass(frozen=True)
class BrandProfile:
    """What goes on a copy: the name, the contact items (phone, email, website,
    address) and the logo as a local file."""

    name: str
    contact_items: tuple[str, ...]
    logo_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def line_sets(self) -> list[list[str]]:
        """Ways to set the block: contact items two to a line (wide zones), or one per
        line (narrow zones). The layout takes whichever gives the larger text."""
        items = list(self.contact_items)
        paired = ["  ·  ".join(items[i : i + 2]) for i in range(0, len(items), 2)]
        return [[self.name, *paired], [self.name, *items]]


def profile_missing(partner: Any) -> list[str]:
    """What a partner's co-branding profile still needs (names for the portal)."""
    missing = []
    if not partner.logo:
        missing.append(_("logo"))
    if not partner.contact_phone:
        missing.append(_("phone"))
    if not partner.contact_email:
        missing.append(_("email"))
    return missing


def contact_items(
    *, phone: str = "", email: str = "", website: str = "", address: str = ""
) -> tuple[str, ...]:
    website = website.removeprefix("https://").removeprefix("http://").rstrip("/")
    address = ", ".join(part.strip() for part in address.splitlines() if part.strip())
    return tuple(value for value in (phone, email, website, address) if value)


@contextmanager
def partner_profile(partner: Any) -> Iterator[BrandProfile]:
    """The partner's profile, its logo available as a local file while in use."""
    items = contact_items(
        phone=partner.contact_phone,
        email=partner.contact_email,
        website=partner.contact_website,
        address=partner.address,
    )
    with local_copy(partner.logo, suffix=Path(partner.logo.name).suffix) as logo_path:
        yield BrandProfile(name=partner.brand_name, contact_items=items, logo_path=logo_path)


@contextmanager
def sample_profile(tmp_dir: Path) -> Iterator[BrandProfile]:
    """A made-up partner for staff previews: a wide transparent logo and a full block."""
    logo_path = tmp_dir / "sample-logo.png"
    logo = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle((4, 4, 156, 156), radius=28, fill=(232, 93, 4, 255))
    draw.text((190, 40), "SAMPLE", fill=(27, 37, 80, 255), font=_pil_font(True, 64))
    logo.save(logo_path)
    yield BrandProfile(
        name="Sample Partner Inc.",
        contact_items=contact_items(
            phone="+1 555 0100",
            email="hello@sample-partner.example",
            website="https://www.sample-partner.example",
            address="1 Example Street\nSpringfield",
        ),
        logo_path=logo_path,
    )


# --- Geometry --------------------------------------------------------------------------


def zone_rect(
    width: float, height: float, zone: str, size_percent: int
) -> tuple[float, float, float, float]:
    """The zone as (left, top, right, bottom), origin top-left, in the file's units.

    Bands span the full width; corner boxes are as tall as the band would be and
    wide enough for a logo and a few words (at most 60 % of the width).
    """
    band = height * max(5, min(40, size_percent)) / 100
    if zone == "footer":
        return 0.0, height - band, width, height
    if zone == "header":
        return 0.0, 0.0, width, band
    box_width = min(width * 0.6, max(band * 3.2, width * 0.3))
    left = width - box_width if zone.endswith("right") else 0.0
    top = 0.0 if zone.startswith("top") else height - band
    return left, top, left + box_width, top + band


def fit(inner_w: float, inner_h: float, box_w: float, box_h: float) -> tuple[float, float]:
    """The largest size of an inner_w × inner_h picture that fits the box, same shape."""
    if inner_w <= 0 or inner_h <= 0:
        return 0.0, 0.0
    scale = min(box_w / inner_w, box_h / inner_h)
    return inner_w * scale, inner_h * scale


@dataclass(frozen=True)
class Layout:
    """Where things go inside a zone (origin top-left): the logo box and the text."""

    logo_box: tuple[float, float, float, float]  # left, top, width, height
    logo_size: tuple[float, float]
    text_left: float
    text_width: float
    lines: tuple[str, ...]
    line_tops: tuple[float, ...]
    font_sizes: tuple[float, ...]


# measure(text, bold, size) -> its width in the file's units
Measure = Callable[[str, bool, float], float]
NAME_SCALE = 1.25
LEADING = 1.3


def _fit_lines(
    lines: list[str], width: float, height: float, measure: Measure, max_font: float
) -> tuple[float, float]:
    """(name size, contact size) for these lines: as large as the height allows, then
    shrunk until the widest line fits the width."""
    unit = min(max_font, height / ((NAME_SCALE + len(lines) - 1) * LEADING))
    name_size = unit * NAME_SCALE
    name_width = measure(lines[0], True, name_size)
    if name_width > width > 0:
        name_size *= width / name_width * 0.97  # glyph widths do not scale quite linearly
    contact = unit
    for line in lines[1:]:
        line_width = measure(line, False, unit)
        if line_width > width > 0:
            contact = min(contact, unit * width / line_width * 0.97)
    return name_size, contact


def layout(
    rect: tuple[float, float, float, float],
    logo_pixels: tuple[int, int] | None,
    line_sets: list[list[str]],
    measure: Measure,
    *,
    min_font: float,
    max_font: float,
) -> Layout:
    left, top, right, bottom = rect
    width, height = right - left, bottom - top
    pad = max(2.0, height * 0.14)
    inner_h = height - 2 * pad
    logo_size = fit(*logo_pixels, width * 0.35, inner_h) if logo_pixels else (0.0, 0.0)
    logo_box = (left + pad, top + pad + (inner_h - logo_size[1]) / 2, *logo_size)
    text_left = left + pad + (logo_size[0] + pad * 1.5 if logo_size[0] else 0)
    text_width = max(0.0, right - pad - text_left)
    if inner_h < min_font * LEADING or text_width < min_font * 3:
        return Layout(logo_box, logo_size, text_left, 0.0, (), (), ())

    def score(lines: list[str]) -> tuple[float, int]:
        name_size, contact = _fit_lines(lines, text_width, inner_h, measure, max_font)
        return min(contact, name_size / NAME_SCALE), -len(lines)

    best = max(line_sets, key=score)  # the larger text; on a tie, fewer lines
    name_size, contact = _fit_lines(best, text_width, inner_h, measure, max_font)
    if min(name_size, contact) < min_font:
        # Too small to read: the smallest readable size, as many lines as fit (the
        # rest, then the ends of long lines, are cut).
        name_size, contact = max(min_font, name_size), max(min_font, contact)
        rows = int((inner_h - name_size * LEADING) // (contact * LEADING)) + 1
        best = best[: max(1, rows)]
    sizes = [name_size, *([contact] * (len(best) - 1))]
    block = sum(size * LEADING for size in sizes)
    y = top + (height - block) / 2
    tops = []
    for size in sizes:
        tops.append(y)
        y += size * LEADING
    return Layout(
        logo_box, logo_size, text_left, text_width, tuple(best), tuple(tops), tuple(sizes)
    )


def _shorten(text: str, width: float, measure: Any) -> str:
    """Cut `text` with an ellipsis until `measure(text)` fits `width`."""
    if measure(text) <= width:
        return text
    while text and measure(text + "…") > width:
        text = text[:-1]
    return (text.rstrip() + "…") if text else ""


# --- Fonts -----------------------------------------------------------------------------


def _font_path(bold: bool) -> str | None:
    for candidate in BOLD_FONT_CANDIDATES if bold else FONT_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return None


@lru_cache(maxsize=64)
def _pil_font(bold: bool, size: int) -> Any:
    path = _font_path(bold)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1)
def reportlab_fonts() -> tuple[str, str]:
    """The names (regular, bold) of the TrueType fonts registered with reportlab for
    PDFs drawn here and by other apps (a plan's PDF): text stays extractable and
    accented names render, which reportlab's built-in Helvetica cannot beyond Latin-1.
    Registered once per process; reportlab's bundled Vera is the fallback when the
    system has no DejaVu/Liberation."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = []
    for bold, fallback in ((False, "Vera.ttf"), (True, "VeraBd.ttf")):
        name = "PHBrandBold" if bold else "PHBrand"
        path = _font_path(bold)
        if path is None:
            for folder in rl_config.TTFSearchPath:
                candidate = Path(str(folder)) / fallback
                if candidate.exists():
                    path = str(candidate)
                    break
        pdfmetrics.registerFont(TTFont(name, path or fallback))
        names.append(name)
    return names[0], names[1]


# --- Files -----------------------------------------------------------------------------


def cobrand_file(
    source: Path,
    target: Path,
    *,
    kind: str,
    profile: BrandProfile,
    zone: str,
    size_percent: int,
    first_page_only: bool = False,
) -> None:
    """Write the co-branded copy of `source` (a PDF or an image) to `target`."""
    if kind == "pdf":
        cobrand_pdf(source, target, profile, zone, size_percent, first_page_only=first_page_only)
    elif kind in PILLOW_FORMATS:
        cobrand_image(source, target, profile, zone, size_percent, out_format=kind)
    else:
        raise ValueError(f"{kind} files cannot be co-branded.")


def _logo_image(profile: BrandProfile) -> Image.Image | None:
    if profile.logo_path is None:
        return None
    with Image.open(profile.logo_path) as logo:
        logo.load()
        return logo.convert("RGBA")


def cobrand_pdf(
    source: Path,
    target: Path,
    profile: BrandProfile,
    zone: str,
    size_percent: int,
    *,
    first_page_only: bool = False,
) -> None:
    """Merge the brand block onto every page (in the page's visible orientation)."""
    from pypdf import PdfReader, PdfWriter, Transformation

    reader = PdfReader(str(source))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("The PDF is encrypted.")
    writer = PdfWriter()
    logo = _logo_image(profile)
    overlays: dict[tuple[float, float], Any] = {}
    for index, original in enumerate(reader.pages):
        if first_page_only and index:
            break
        page = writer.add_page(original)
        page.transfer_rotation_to_content()
        box = page.cropbox
        width, height = float(box.width), float(box.height)
        key = (round(width, 1), round(height, 1))
        if key not in overlays:
            overlays[key] = _pdf_overlay(width, height, profile, logo, zone, size_percent)
        page.merge_transformed_page(
            overlays[key], Transformation().translate(float(box.left), float(box.bottom))
        )
    with target.open("wb") as out:
        writer.write(out)


def _pdf_overlay(
    width: float,
    height: float,
    profile: BrandProfile,
    logo: Image.Image | None,
    zone: str,
    size_percent: int,
) -> Any:
    from pypdf import PdfReader
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    regular, bold = reportlab_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    rect = zone_rect(width, height, zone, size_percent)
    left, top, right, bottom = rect

    def y(value: float) -> float:  # top-left origin → PDF's bottom-left origin
        return height - value

    pdf.setFillColorRGB(1, 1, 1)
    pdf.rect(left, y(bottom), right - left, bottom - top, stroke=0, fill=1)
    pdf.setStrokeColorRGB(*(c / 255 for c in RULE_COLOR))
    pdf.setLineWidth(0.75)
    edge = top if zone != "header" and not zone.startswith("top") else bottom
    pdf.line(left, y(edge), right, y(edge))
    spec = layout(
        rect,
        logo.size if logo else None,
        profile.line_sets(),
        lambda text, strong, size: stringWidth(text, bold if strong else regular, size),
        min_font=5,
        max_font=min(14.0, width / 40),
    )
    if logo is not None and spec.logo_size[0] > 0:
        x, t, w, h = spec.logo_box
        pdf.drawImage(ImageReader(logo), x, y(t + h), width=w, height=h, mask="auto")
    pdf.setFillColorRGB(*(c / 255 for c in TEXT_COLOR))
    for index, (line_top, size) in enumerate(zip(spec.line_tops, spec.font_sizes, strict=True)):
        font = bold if index == 0 else regular
        text = _shorten(
            spec.lines[index], spec.text_width, lambda s, f=font, z=size: stringWidth(s, f, z)
        )
        if text:
            pdf.setFont(font, size)
            pdf.drawString(spec.text_left, y(line_top + size), text)
    pdf.showPage()
    pdf.save()
    buffer.seek(0)
    return PdfReader(buffer).pages[0]


def cobrand_image(
    source: Path,
    target: Path,
    profile: BrandProfile,
    zone: str,
    size_percent: int,
    *,
    out_format: str,
) -> None:
    """Draw the brand block into a zone of the image; keep its format."""
    with Image.open(source) as opened:
        opened.seek(0)
        image = ImageOps.exif_transpose(opened).convert("RGBA")
    rect = zone_rect(image.width, image.height, zone, size_percent)
    left, top, right, bottom = (round(v) for v in rect)
    panel = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=(255, 255, 255, 240))
    image = Image.alpha_composite(image, panel)
    draw = ImageDraw.Draw(image)
    edge = top if zone != "header" and not zone.startswith("top") else bottom - 1
    draw.line((left, edge, right, edge), fill=RULE_COLOR, width=max(1, image.height // 400))
    logo = _logo_image(profile)
    spec = layout(
        (left, top, right, bottom),
        logo.size if logo else None,
        profile.line_sets(),
        lambda text, strong, size: _pil_font(strong, max(1, int(size))).getlength(text),
        min_font=10,
        max_font=max(10.0, image.width / 40),
    )
    if logo is not None and spec.logo_size[0] >= 1 and spec.logo_size[1] >= 1:
        x, t, w, h = spec.logo_box
        fitted = logo.resize((max(1, round(w)), max(1, round(h))), Image.Resampling.LANCZOS)
        image.alpha_composite(fitted, (round(x), round(t)))
    for index, (line_top, size) in enumerate(zip(spec.line_tops, spec.font_sizes, strict=True)):
        font = _pil_font(index == 0, max(1, int(size)))  # never larger than measured
        text = _shorten(
            spec.lines[index], spec.text_width, lambda s, f=font: draw.textlength(s, font=f)
        )
        if text:
            draw.text((round(spec.text_left), round(line_top)), text, fill=TEXT_COLOR, font=font)
    fmt = PILLOW_FORMATS[out_format]
    if fmt == "JPEG":
        image.convert("RGB").save(target, fmt, quality=92)
    else:
        image.save(target, fmt)
