"""Demo content library: realistic generated PDFs and images, language variants,
audiences of every kind, co-brandable assets, a little download history.

`seed_assets` is idempotent: assets are found by title and only created when
missing, so a second run adds nothing. Called by `partners.demo.seed_demo`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw, ImageFont

from assets import services
from assets.models import Asset, Category, LibraryVisit
from partners.models import Language, Membership, Partner, Region, Tier

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BRAND = (58, 69, 194)
NAVY = (27, 37, 80)
ACCENT = (240, 194, 75)

CATEGORIES = [
    ("product", "Product", 10),
    ("solutions", "Solutions", 20),
    ("campaigns", "Campaigns", 30),
    ("brand", "Brand", 40),
    ("sales", "Sales enablement", 50),
]


@dataclass(frozen=True)
class DemoAsset:
    title: str
    kind: str
    category: str
    description: str
    files: tuple[tuple[str, str], ...]  # (language code or "", generator name)
    tags: tuple[str, ...] = ()
    main_language: str = "en"
    cobrandable: bool = False
    zone: str = "footer"
    zone_size: int = 12
    featured: bool = False
    audience: dict[str, Any] = field(default_factory=dict)
    age_days: int = 30
    status: str = "published"
    publish_in_days: int | None = None
    expire_in_days: int | None = None
    updates: tuple[tuple[str, str], ...] = ()  # (language, change note): later versions


ASSETS = [
    DemoAsset(
        "Secure Edge Platform datasheet",
        Asset.Kind.DATASHEET,
        "product",
        "Features, deployment options and technical specifications of the Secure Edge "
        "Platform, on two pages your customers can keep.",
        (("en", "datasheet"), ("de", "datasheet"), ("fr", "datasheet")),
        tags=("security", "edge", "datasheet"),
        cobrandable=True,
        featured=True,
        age_days=2,
        updates=(("en", "New throughput figures for the 2027 appliances."),),
    ),
    DemoAsset(
        "Cloud Backup for small businesses",
        Asset.Kind.BROCHURE,
        "solutions",
        "A four-page brochure for owners of small businesses: why backups fail, what "
        "a managed cloud backup changes, and what it costs.",
        (("en", "brochure"), ("es", "brochure"), ("pt", "brochure")),
        tags=("backup", "cloud", "SMB"),
        cobrandable=True,
        age_days=45,
    ),
    DemoAsset(
        "Case study: City of Lakeside cuts recovery time by 80%",
        Asset.Kind.CASE_STUDY,
        "solutions",
        "How a mid-sized city recovered from a ransomware attack in hours instead of "
        "weeks, and what its IT team changed afterwards.",
        (("en", "case_study"),),
        tags=("ransomware", "public sector", "backup"),
        age_days=20,
    ),
    DemoAsset(
        "Zero Trust in five steps: partner pitch deck",
        Asset.Kind.PRESENTATION,
        "sales",
        "Twelve slides to run a first meeting on Zero Trust with an IT director, with "
        "speaker notes. For Gold and Platinum partners.",
        (("en", "deck"), ("de", "deck")),
        tags=("zero trust", "security", "pitch"),
        audience={"tiers": ("gold", "platinum")},
        age_days=4,
    ),
    DemoAsset(
        "LinkedIn post: Are you ready for ransomware?",
        Asset.Kind.SOCIAL_POST,
        "campaigns",
        "A 1200 × 627 image for LinkedIn with a suggested caption in the change note. "
        "Co-brand it with your logo in the corner.",
        (("en", "social_wide"),),
        tags=("ransomware", "social", "awareness"),
        cobrandable=True,
        zone="bottom_right",
        zone_size=18,
        featured=True,
        age_days=1,
    ),
    DemoAsset(
        "World Backup Day square post",
        Asset.Kind.SOCIAL_POST,
        "campaigns",
        "A 1080 × 1080 image for Instagram and Facebook for 31 March.",
        (("", "social_square"),),
        tags=("backup", "social"),
        cobrandable=True,
        zone="top_left",
        zone_size=18,
        age_days=60,
    ),
    DemoAsset(
        "Webinar invitation email template",
        Asset.Kind.EMAIL_TEMPLATE,
        "campaigns",
        "HTML email and header image to invite customers to a 30-minute webinar on "
        "modern backup. Import it into your email tool.",
        (("en", "email_zip"),),
        tags=("email", "webinar"),
        age_days=15,
    ),
    DemoAsset(
        "Vendor logo pack",
        Asset.Kind.LOGO_PACK,
        "brand",
        "Our logo in colour, white and black, as PNG, with the brand guidelines for partners.",
        (("", "logo_zip"),),
        tags=("brand", "logo"),
        main_language="",
        age_days=120,
    ),
    DemoAsset(
        "Managed services pricing guide",
        Asset.Kind.DATASHEET,
        "sales",
        "Per-seat and per-device prices for managed service providers, with margin "
        "examples. For MSP partners only.",
        (("en", "datasheet"),),
        tags=("pricing", "MSP"),
        audience={"partner_types": (Partner.Type.MSP,)},
        age_days=10,
    ),
    DemoAsset(
        "GDPR compliance brief for EMEA customers",
        Asset.Kind.BROCHURE,
        "solutions",
        "What data protection law asks of backups and where our platform stores data. "
        "For partners selling in EMEA.",
        (("en", "brochure"), ("de", "brochure"), ("fr", "brochure")),
        tags=("compliance", "GDPR", "EMEA"),
        audience={"regions": ("emea",)},
        cobrandable=True,
        age_days=25,
    ),
    DemoAsset(
        "APAC launch datasheet",
        Asset.Kind.DATASHEET,
        "product",
        "The Secure Edge Platform for the APAC data centres: regions, latency and "
        "local support hours.",
        (("en", "datasheet"), ("ja", "datasheet")),
        tags=("APAC", "launch"),
        audience={"regions": ("apac",)},
        age_days=3,
    ),
    DemoAsset(
        "2027 roadmap preview (Platinum only)",
        Asset.Kind.PRESENTATION,
        "product",
        "What ships in 2027, under NDA. Available until the public announcement.",
        (("en", "deck"),),
        tags=("roadmap",),
        audience={"tiers": ("platinum",)},
        expire_in_days=60,
        age_days=6,
    ),
    DemoAsset(
        "Partner program guide",
        Asset.Kind.OTHER,
        "sales",
        "Tiers, benefits, market development funds and deal registration, explained.",
        (("en", "brochure"),),
        tags=("program",),
        featured=True,
        age_days=90,
        updates=(("en", "Added the 2027 MDF rules."),),
    ),
    DemoAsset(
        "Spanish-speaking markets: backup brochure",
        Asset.Kind.BROCHURE,
        "solutions",
        "For partners who market in Spanish or Portuguese.",
        (("es", "brochure"), ("pt", "brochure")),
        tags=("backup", "LATAM"),
        main_language="es",
        audience={"languages": ("es", "pt")},
        age_days=12,
    ),
    DemoAsset(
        "Q1 campaign brochure",
        Asset.Kind.BROCHURE,
        "campaigns",
        "Next quarter's campaign; partners see it from its publish date.",
        (("en", "brochure"),),
        tags=("campaign",),
        publish_in_days=14,
        age_days=0,
    ),
    DemoAsset(
        "2025 price list",
        Asset.Kind.DATASHEET,
        "sales",
        "Superseded by the 2026 prices.",
        (("en", "datasheet"),),
        status="archived",
        age_days=400,
    ),
    DemoAsset(
        "Draft: customer success story",
        Asset.Kind.CASE_STUDY,
        "solutions",
        "Waiting for the customer's approval.",
        (("en", "case_study"),),
        status="draft",
    ),
]


# --- Generated files ------------------------------------------------------------------


def _font(bold: bool, size: int) -> Any:
    path = BOLD if bold else FONT
    if Path(path).exists():
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _pdf(title: str, language: str, *, pages: int, landscape: bool = False) -> bytes:
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas

    size = (842.0, 595.0) if landscape else (595.0, 842.0)
    width, height = size
    brand = Color(*(c / 255 for c in BRAND))
    navy = Color(*(c / 255 for c in NAVY))
    accent = Color(*(c / 255 for c in ACCENT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    pdf.setTitle(title)
    label = f" ({language.upper()})" if language else ""
    bullets = [
        "Protects every device and cloud workload from one console",
        "Recovers a whole site in minutes, not days",
        "Meets GDPR, HIPAA and SOC 2 requirements out of the box",
        "Priced per seat, with no hidden storage fees",
    ]
    for number in range(1, pages + 1):
        pdf.setFillColor(brand)
        pdf.rect(0, height - 170, width, 170, stroke=0, fill=1)
        pdf.setFillColor(accent)
        pdf.rect(0, height - 176, width, 6, stroke=0, fill=1)
        pdf.setFillColorRGB(1, 1, 1)
        pdf.setFont("Helvetica-Bold", 26 if len(title) < 40 else 20)
        pdf.drawString(48, height - 90, title[:60])
        pdf.setFont("Helvetica", 13)
        pdf.drawString(
            48, height - 120, f"Secure Edge Platform{label}  ·  page {number} of {pages}"
        )
        pdf.setFillColor(navy)
        pdf.setFont("Helvetica-Bold", 16)
        y = height - 230
        pdf.drawString(48, y, "Why customers choose us" if number == 1 else "How it works")
        pdf.setFont("Helvetica", 12)
        for bullet in bullets:
            y -= 28
            pdf.setFillColor(brand)
            pdf.circle(56, y + 4, 3, stroke=0, fill=1)
            pdf.setFillColor(navy)
            pdf.drawString(70, y, bullet)
        # A simple chart, so previews look like a real document.
        base = y - 60
        for index, value in enumerate((0.45, 0.7, 0.55, 0.9, 0.8)):
            pdf.setFillColor(brand if index % 2 else accent)
            pdf.rect(60 + index * 70, base - 200, 44, 200 * value, stroke=0, fill=1)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _image(title: str, size: tuple[int, int], fmt: str = "PNG") -> bytes:
    width, height = size
    image = Image.new("RGB", size, BRAND)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a diagonal-feeling vertical gradient
        shade = int(40 * y / height)
        draw.line(((0, y), (width, y)), fill=(BRAND[0] - shade, BRAND[1] - shade, BRAND[2] - shade))
    draw.ellipse(
        (width * 0.55, -height * 0.3, width * 1.3, height * 0.6), fill=(ACCENT[0], ACCENT[1], 90)
    )
    font = _font(True, max(24, width // 16))
    words, lines, line = title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > width * 0.8 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    y = height * 0.3
    for text in lines:
        draw.text((width * 0.07, y), text, font=font, fill="white")
        y += font.size * 1.25
    draw.text(
        (width * 0.07, y + font.size * 0.6),
        "Secure Edge Platform",
        font=_font(False, max(14, width // 40)),
        fill=ACCENT,
    )
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _logo(color: tuple[int, int, int], text: str, height: int = 160) -> bytes:
    """A wide transparent logo: a rounded square and the name, as wide as the name."""
    font = _font(True, 56)
    width = height + 30 + int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(text, font=font))
    image = Image.new("RGBA", (width + 10, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((6, 6, height - 6, height - 6), radius=30, fill=color + (255,))
    draw.text((height + 20, height * 0.28), text, font=font, fill=NAVY + (255,))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def generate(kind: str, title: str, language: str) -> tuple[str, bytes]:
    if kind == "datasheet":
        return "datasheet.pdf", _pdf(title, language, pages=2)
    if kind == "brochure":
        return "brochure.pdf", _pdf(title, language, pages=4)
    if kind == "case_study":
        return "case-study.pdf", _pdf(title, language, pages=3)
    if kind == "deck":
        return "deck.pdf", _pdf(title, language, pages=6, landscape=True)
    if kind == "social_wide":
        return "post.png", _image(title, (1200, 627))
    if kind == "social_square":
        return "post.jpg", _image(title, (1080, 1080), "JPEG")
    if kind == "email_zip":
        html = (
            b"<html><body><h1>You are invited</h1><p>Join our 30-minute webinar on modern "
            b"backup.</p></body></html>"
        )
        return "email-template.zip", _zip(
            {"invitation.html": html, "header.png": _image(title, (600, 200))}
        )
    if kind == "logo_zip":
        return "logo-pack.zip", _zip(
            {
                "logo-colour.png": _logo(BRAND, "VENDOR"),
                "logo-white.png": _logo((255, 255, 255), "VENDOR"),
                "guidelines.pdf": _pdf("Brand guidelines", "", pages=1),
            }
        )
    raise ValueError(kind)


# --- Seeding ---------------------------------------------------------------------------


def seed_assets(*, actor: Any) -> int:
    """Create the demo library where missing; return how many assets were created."""
    now = timezone.now()
    for slug, name, position in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    languages = {language.code: language for language in Language.objects.all()}
    created = 0
    for demo in ASSETS:
        if Asset.objects.filter(title=demo.title).exists():
            continue
        created += 1
        audience = {
            "tiers": list(Tier.objects.filter(slug__in=demo.audience.get("tiers", ()))),
            "partner_types": list(demo.audience.get("partner_types", ())),
            "regions": list(Region.objects.filter(code__in=demo.audience.get("regions", ()))),
            "languages": [languages[c] for c in demo.audience.get("languages", ())],
        }
        asset = services.asset_create(
            actor=actor,
            title=demo.title,
            kind=demo.kind,
            description=demo.description,
            category=Category.objects.get(slug=demo.category),
            language=languages.get(demo.main_language),
            tags=services.tags_from_names(demo.tags),
            featured=demo.featured,
            cobrandable=demo.cobrandable,
            cobrand_zone=demo.zone,
            cobrand_zone_size=demo.zone_size,
            publish_at=now + timedelta(days=demo.publish_in_days) if demo.publish_in_days else None,
            expire_at=now + timedelta(days=demo.expire_in_days) if demo.expire_in_days else None,
            audience=audience,
        )
        for code, generator in demo.files + tuple((c, "update") for c, _note in demo.updates):
            note = dict(demo.updates).get(code, "") if generator == "update" else "First edition"
            source = dict(demo.files)[code] if generator == "update" else generator
            name, content = generate(source, demo.title, code)
            version = services.asset_version_add(
                asset=asset,
                upload=SimpleUploadedFile(name, content),
                uploaded_by=actor,
                language=languages.get(code),
                change_note=note,
            )
            # Previews now, so the library has thumbnails even before a worker runs
            # (the task queued after commit then finds them made and does nothing).
            services.version_make_preview(version_id=version.pk)
        if demo.status in ("published", "archived"):
            services.asset_publish(asset=asset, actor=actor)
            # Demo history: spread the publication dates over the past months.
            published = now - timedelta(days=demo.age_days, hours=3)
            Asset.objects.filter(pk=asset.pk).update(published_at=published)
            asset.refresh_from_db()
            Asset.objects.filter(pk=asset.pk).update(live_at=services._live_at(asset))
        if demo.status == "archived":
            services.asset_archive(asset=asset, actor=actor)
    if created:
        _seed_profiles_and_history(actor=actor)
    return created


def _seed_profiles_and_history(*, actor: Any) -> None:
    """Logos for two demo partners (so co-branding works for their logins), some
    downloads (for "most downloaded"), and a visit five days ago for Northwind's users
    (so the newest assets show "New")."""
    from partners.services import partner_update_cobranding

    logos = {"northwind": ((31, 122, 77), "NORTHWIND"), "contoso": ((232, 93, 4), "CONTOSO")}
    for slug, (color, text) in logos.items():
        partner = Partner.objects.filter(slug=slug).first()
        if partner is not None and not partner.logo:
            partner_update_cobranding(
                partner=partner,
                actor=actor,
                logo=SimpleUploadedFile("logo.png", _logo(color, text)),
                address="100 Main Street\nSpringfield",
            )
    popular = {
        "Cloud Backup for small businesses": 9,
        "Case study: City of Lakeside cuts recovery time by 80%": 6,
        "Partner program guide": 4,
    }
    partners = list(Partner.objects.filter(status=Partner.Status.ACTIVE).order_by("slug")[:6])
    for title, count in popular.items():
        asset = Asset.objects.filter(title=title).first()
        version = asset.versions.filter(is_current=True).first() if asset else None
        if version is None or not partners:
            continue
        for index in range(count):
            services.download_record(partner=partners[index % len(partners)], version=version)
    five_days_ago = timezone.now() - timedelta(days=5)
    with scopes_disabled():
        for membership in Membership.objects.filter(partner__slug="northwind").select_related(
            "user", "partner"
        ):
            LibraryVisit.objects.update_or_create(
                user=membership.user,
                defaults={
                    "partner": membership.partner,
                    "seen_at": five_days_ago,
                    "previous_seen_at": five_days_ago - timedelta(days=7),
                },
            )
