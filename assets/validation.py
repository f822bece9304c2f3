"""The one upload validator (ARCHITECTURE.md, Files).

Every upload (partner logos today; assets, proof of performance and CSV imports
later) passes `validate_upload`. The type is detected from the file's content,
never from its name or the browser's claim, and checked against an allow-list
per use. Images are opened by Pillow with its decompression-bomb guard and a
pixel limit. PDFs must open (every page readable by PDFium). SVG, HTML, scripts and
executables are refused. The stored name is random and carries the detected
extension only; the name people see (`display_name`) is the uploaded one without
any path, escapes or control characters.

This module imports nothing from the other apps, so any app can use it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from urllib.parse import unquote

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
MP4 = FileKind("mp4", "video/mp4", "mp4")
ZIP = FileKind("zip", "application/zip", "zip")
DOCX = FileKind(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
PPTX = FileKind(
    "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"
)
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
CSV = FileKind("csv", "text/csv", "csv")

KINDS = {k.name: k for k in (PNG, JPEG, WEBP, GIF, PDF, MP4, ZIP, DOCX, PPTX, XLSX, CSV)}
# What each use accepts.
LOGO_KINDS = frozenset({"png", "jpeg", "webp"})
# Proof of performance for MDF claims: invoices, screenshots, photos, attendee lists.
PROOF_KINDS = frozenset({"pdf", "png", "jpeg", "webp", "xlsx", "csv"})
# Results uploaded in the portal by partners without an integration (analytics).
RESULTS_CSV_KINDS = frozenset({"csv"})
# Files of the content library (assets): documents, images, video, Office files, archives.
ASSET_KINDS = frozenset({"pdf", "png", "jpeg", "webp", "gif", "mp4", "pptx", "docx", "xlsx", "zip"})
# Members of ZIP-based files that make them unsafe to hand to partners.
UNSAFE_ARCHIVE_SUFFIXES = (
    ".exe",
    ".dll",
    ".bat",
    ".cmd",
    ".com",
    ".scr",
    ".msi",
    ".ps1",
    ".vbs",
    ".js",
    ".jar",
    ".sh",
    ".app",
    ".hta",
    ".lnk",
)
# Unpacked size and member count beyond which an archive is treated as a zip bomb.
ARCHIVE_MAX_UNPACKED = 4 * 1024 * 1024 * 1024
ARCHIVE_MAX_MEMBERS = 20_000
# Pillow's format names for the image kinds, so the decoder must agree with the sniffer.
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


@dataclass(frozen=True)
class ValidatedUpload:
    kind: FileKind
    size: int
    safe_name: str  # the stored name: random, with the detected extension
    display_name: str = ""  # the name people see: `display_name(upload.name, kind)`
    width: int | None = None
    height: int | None = None


DISPLAY_NAME_MAX = 150
# Characters that mean something to a file system, a shell or an HTTP header.
_NAME_RESERVED = re.compile(r'[<>:"/\\|?*;%\x00-\x1f\x7f]+')
_EXTENSION_ALIASES = {"jpg": {"jpg", "jpeg", "jpe"}, "mp4": {"mp4", "m4v"}}


def display_name(name: str, kind: FileKind | None = None) -> str:
    """The uploaded name as people see it (pages, emails, Content-Disposition).

    Percent escapes are decoded first (`..%2f..%2fpasswd.pdf` is a path), then only
    the last path component is kept; control and reserved characters become `_`;
    leading dots and spaces go; it is at most DISPLAY_NAME_MAX characters. With the
    detected `kind`, the name ends in that kind's extension (appended when the
    name claims another). Never empty: "file" when nothing is left.
    """
    text = str(name or "")
    for _round in range(5):  # double-encoded escapes (%252f) decode in rounds
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFC", text).replace("\\", "/")
    text = PurePosixPath("/" + text).name
    text = "".join(ch if ch.isprintable() else "_" for ch in text)
    text = " ".join(_NAME_RESERVED.sub("_", text).split()).strip(" ._")
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    if kind is not None and suffix.lower() not in _EXTENSION_ALIASES.get(
        kind.extension, {kind.extension}
    ):
        stem, suffix = text, kind.extension
    stem = stem.rstrip(" ._")[: DISPLAY_NAME_MAX - len(suffix) - 1].rstrip(" ._") or "file"
    return f"{stem}.{suffix}" if suffix else stem


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
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "mp4"
    if head.startswith(b"PK\x03\x04"):
        return "zip"  # refined by _zip_kind: docx, pptx, xlsx or plain zip
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "executable"
    if head.startswith(b"#!"):
        return "script"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html", b"<script", b"<!--")):
        return "svg" if b"<svg" in text else "markup"
    if _looks_like_csv(head):
        return "csv"
    return None


MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
    b"qt  ",
}


def _looks_like_csv(head: bytes) -> bool:
    """UTF-8 text without control bytes, whose first line has a delimiter."""
    if b"\x00" in head or not head.strip():
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sniffed head may cut a multi-byte character; retry without the tail.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        return False
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return any(delimiter in first_line for delimiter in (",", ";", "\t"))


def _zip_kind(upload: IO[bytes], field: str) -> str:
    """Tell an Office document from a plain ZIP and refuse unsafe or bomb archives."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            if len(members) > ARCHIVE_MAX_MEMBERS or (
                sum(member.file_size for member in members) > ARCHIVE_MAX_UNPACKED
            ):
                raise ValidationError(
                    {field: _("The archive unpacks to too much data (a zip bomb).")},
                    code="zip_bomb",
                )
            names = [member.filename for member in members]
    except zipfile.BadZipFile:
        raise ValidationError(
            {field: _("The archive is damaged.")}, code="corrupt_archive"
        ) from None
    finally:
        upload.seek(0)
    unsafe = [name for name in names if name.lower().endswith(UNSAFE_ARCHIVE_SUFFIXES)]
    if unsafe:
        raise ValidationError(
            {
                field: _(
                    "The archive contains programs or scripts (%(name)s), which are not accepted."
                )
                % {"name": unsafe[0][:80]}
            },
            code="refused_type",
        )
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
            if any(name.startswith(prefix) for name in names):
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    raise ValidationError(
                        {field: _("Documents with macros are not accepted.")},
                        code="refused_type",
                    )
                return kind
    return "zip"


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
    if detected == "zip":
        detected = _zip_kind(upload, field)
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
    if kind is PDF:
        _check_pdf(upload, field=field)
    safe_name = f"{secrets.token_urlsafe(16)}.{kind.extension}"
    return ValidatedUpload(
        kind=kind,
        size=size,
        safe_name=safe_name,
        display_name=display_name(getattr(upload, "name", "") or "", kind),
        width=width,
        height=height,
    )


def _check_pdf(upload: IO[bytes], *, field: str) -> None:
    """Open the PDF with PDFium (what renders its previews) and read every page.

    Anything that only starts like a PDF (a truncated or damaged file) fails here,
    at upload, rather than later in the preview job or in a reader's viewer.
    """
    import pypdfium2 as pdfium

    temporary_path = getattr(upload, "temporary_file_path", None)
    upload.seek(0)
    try:
        # A large upload is already on disk: PDFium reads it there. Otherwise PDFium
        # reads the file object through callbacks; nothing is copied into memory.
        source = temporary_path() if temporary_path else upload
        pdf = pdfium.PdfDocument(source)
        try:
            if len(pdf) == 0:
                raise pdfium.PdfiumError("no pages")
            for index in range(len(pdf)):
                pdf[index].close()
        finally:
            pdf.close()
    except pdfium.PdfiumError as exc:
        message = (
            _("This PDF is protected by a password; upload it without one.")
            if "password" in str(exc).lower()
            else _("This is not a readable PDF (it is damaged or incomplete).")
        )
        raise ValidationError({field: message}, code="corrupt_pdf") from None
    finally:
        upload.seek(0)


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
