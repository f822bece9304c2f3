"""The one upload validator (ARCHITECTURE.md, Files).

Every upload (partner logos today; assets, proof of performance and CSV imports
later) passes `validate_upload`. The type is detected from the file's content,
never from its name or the browser's claim, and checked against an allow-list
per use. Images are opened by Pillow with its decompression-bomb guard and a
pixel limit. SVG, HTML, scripts and executables are refused. The stored name is
random and carries the detected extension only.

This module imports nothing from the other apps, so any app can use it.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

SNIFF_BYTES = 4096


@dataclass(frozen=True)
class FileKind:
    name: str
    content_type: str
    extension: str
    is_image: bool = False


PNG = FileKind("png", "image/png", "png", is_image=True)
JPEG = FileKind("jpeg", "image/jpeg", "jpg", is_image=True)
WEBP = FileKind("webp", "image/webp", "webp", is_image=True)
GIF = FileKind("gif", "image/gif", "gif", is_image=True)
PDF = FileKind("pdf", "application/pdf", "pdf")

KINDS = {k.name: k for k in (PNG, JPEG, WEBP, GIF, PDF)}
# What each use accepts. Later issues add their own entries.
LOGO_KINDS = frozenset({"png", "jpeg", "webp"})
# Pillow's format names for the image kinds, so the decoder must agree with the sniffer.
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


@dataclass(frozen=True)
class ValidatedUpload:
    kind: FileKind
    size: int
    safe_name: str
    width: int | None = None
    height: int | None = None


def sniff(head: bytes) -> str | None:
    """Name the file kind from its first bytes, or a refused kind, or None if unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "executable"
    if head.startswith(b"#!"):
        return "script"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html", b"<script", b"<!--")):
        return "svg" if b"<svg" in text else "markup"
    return None


REFUSED_DESCRIPTIONS = {
    "executable": "an executable program",
    "script": "a script",
    "svg": "an SVG image (SVG can carry scripts)",
    "markup": "an HTML/XML document",
}


def _describe_allowed(allowed: frozenset[str]) -> str:
    return ", ".join(sorted(KINDS[name].name.upper() for name in allowed))


def validate_upload(
    upload: IO[bytes],
    *,
    field: str,
    allowed: frozenset[str],
    max_bytes: int,
    max_pixels: int | None = None,
) -> ValidatedUpload:
    """Check an uploaded file and return what it really is.

    Raises a ``ValidationError`` keyed by ``field`` whose message names the limit
    that was broken: type (detected from content), size, or pixel count.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise ValidationError({field: _("The file is empty.")}, code="empty")
    if size > max_bytes:
        raise ValidationError(
            {
                field: _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)}
            },
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    detected = sniff(head)
    if detected in REFUSED_DESCRIPTIONS:
        raise ValidationError(
            {
                field: _("This file is %(what)s, which is not accepted. Allowed: %(allowed)s.")
                % {"what": REFUSED_DESCRIPTIONS[detected], "allowed": _describe_allowed(allowed)}
            },
            code="refused_type",
        )
    if detected not in allowed:
        raise ValidationError(
            {
                field: _("This file's content is not an allowed type. Allowed: %(allowed)s.")
                % {"allowed": _describe_allowed(allowed)}
            },
            code="unsupported_type",
        )
    kind = KINDS[detected]
    width = height = None
    if kind.is_image:
        width, height = _check_image(upload, field=field, kind=kind, max_pixels=max_pixels)
    safe_name = f"{secrets.token_urlsafe(16)}.{kind.extension}"
    return ValidatedUpload(kind=kind, size=size, safe_name=safe_name, width=width, height=height)


def _check_image(
    upload: IO[bytes], *, field: str, kind: FileKind, max_pixels: int | None
) -> tuple[int, int]:
    """Open the header (cheap), refuse bombs and oversize images, then decode fully."""
    limit = max_pixels or Image.MAX_IMAGE_PIXELS or 0
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises at twice that; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format != PILLOW_FORMATS[kind.name]:
                    raise ValidationError(
                        {field: _("The image content does not match its format.")},
                        code="corrupt_image",
                    )
                width, height = image.size
                if limit and width * height > limit:
                    raise ValidationError(
                        {
                            field: _(
                                "The image is %(w)s×%(h)s pixels; the limit is %(limit)s "
                                "million pixels."
                            )
                            % {"w": width, "h": height, "limit": f"{limit / 1_000_000:g}"}
                        },
                        code="too_many_pixels",
                    )
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            {field: _("The image is too large when decompressed (a decompression bomb).")},
            code="decompression_bomb",
        ) from None
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            {
                field: _("The image is damaged or not a real %(format)s image.")
                % {"format": kind.name.upper()}
            },
            code="corrupt_image",
        ) from None
    finally:
        upload.seek(0)
    return width, height
