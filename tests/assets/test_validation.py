"""The one upload validator, with real bad files."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets.validation import LOGO_KINDS, validate_upload

MB = 1024 * 1024


def image_bytes(fmt: str, size=(120, 40), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode if fmt != "JPEG" else "RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def validate(file, **overrides):
    options = {"field": "logo", "allowed": LOGO_KINDS, "max_bytes": 2 * MB, "max_pixels": 4_000_000}
    options.update(overrides)
    return validate_upload(file, **options)


def error_of(exc_info) -> str:
    return " ".join(exc_info.value.message_dict["logo"])


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_real_images_are_accepted_with_type_from_content(fmt, kind, content_type):
    # The name and the browser's claim lie; the content decides.
    result = validate(upload("logo.txt", image_bytes(fmt), content_type="text/plain"))
    assert result.kind.name == kind
    assert result.kind.content_type == content_type
    assert (result.width, result.height) == (120, 40)
    assert result.safe_name.endswith("." + result.kind.extension)
    assert "logo" not in result.safe_name


def test_svg_with_script_is_refused():
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b"<script>alert(1)</script></svg>"
    )
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", svg))
    assert "SVG" in error_of(exc_info)


def test_renamed_executable_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", exe))
    assert "executable" in error_of(exc_info)


def test_html_is_refused():
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", b"<!DOCTYPE html><html><script>x()</script></html>"))
    assert "HTML" in error_of(exc_info)


def test_gif_is_not_a_logo_type():
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.gif", image_bytes("GIF", mode="P")))
    message = error_of(exc_info)
    assert "Allowed: JPEG, PNG, WEBP" in message


def test_oversize_file_names_the_limit():
    big = image_bytes("PNG") + b"\x00" * (2 * MB)
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", big))
    assert "limit is 2.0\xa0MB" in error_of(exc_info)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        validate(upload("logo.png", b""))


def test_truncated_png_is_refused():
    data = image_bytes("PNG", size=(400, 400))
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", data[: len(data) // 2]))
    assert "damaged" in error_of(exc_info)


def png_bomb(width: int, height: int) -> bytes:
    """A small PNG that claims (and decompresses to) a huge pixel area."""
    raw_row = b"\x00" + b"\x00" * width  # filter byte + 1 byte/pixel (grayscale)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(raw_row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb(20_000, 20_000)  # 400 million pixels in a few hundred KB
    assert len(bomb) < 2 * MB
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", bomb), max_pixels=None)
    assert "decompression bomb" in error_of(exc_info)


def test_pixel_limit_names_the_limit():
    with pytest.raises(ValidationError) as exc_info:
        validate(upload("logo.png", image_bytes("PNG", size=(3000, 2000))), max_pixels=4_000_000)
    assert "3000×2000" in error_of(exc_info)
    assert "4 million" in error_of(exc_info)


# --- PDFs open, or are refused -------------------------------------------------------------


def pdf_options():
    from assets.validation import ASSET_KINDS

    return {"field": "file", "allowed": ASSET_KINDS, "max_bytes": 10 * MB}


def real_pdf(pages: int = 3) -> bytes:
    from tests.assets.factories import pdf_bytes

    return pdf_bytes("Datasheet", pages=pages)


@pytest.mark.parametrize(
    "content",
    [
        real_pdf()[:34],  # the 34-byte file that passed as a PDF before
        b"%PDF-1.7\n",
        real_pdf()[: len(real_pdf()) // 2],  # cut in the middle of its pages
        b"%PDF-1.4\n" + b"\x00" * 4000,
    ],
    ids=["34-bytes", "header-only", "half", "header-then-zeros"],
)
def test_a_file_that_only_starts_like_a_pdf_is_refused(content):
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(SimpleUploadedFile("datasheet.pdf", content), **pdf_options())
    assert exc_info.value.message_dict["file"] == [
        "This is not a readable PDF (it is damaged or incomplete)."
    ]


def test_a_password_protected_pdf_is_refused_saying_so():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(real_pdf(pages=1))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(SimpleUploadedFile("locked.pdf", buffer.getvalue()), **pdf_options())
    assert "password" in " ".join(exc_info.value.message_dict["file"])


def test_a_real_pdf_passes_in_memory_and_on_disk():
    from django.core.files.uploadedfile import TemporaryUploadedFile

    content = real_pdf(pages=5)
    assert validate_upload(SimpleUploadedFile("a.pdf", content), **pdf_options()).kind.name == "pdf"
    on_disk = TemporaryUploadedFile("b.pdf", "application/pdf", len(content), None)
    on_disk.write(content)
    on_disk.seek(0)
    assert validate_upload(on_disk, **pdf_options()).kind.name == "pdf"
    assert on_disk.tell() == 0  # left where the storage expects to start reading


# --- the name people see ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("..%2f..%2fetc%2fpasswd.pdf", "passwd.pdf"),
        ("..%252f..%252fsecret.pdf", "secret.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\ann\\Rapport été.pdf", "Rapport été.pdf"),
        ('x"; filename=evil.pdf', "x_ filename=evil.pdf"),
        ("line\r\nbreak.pdf", "line__break.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("invoice.exe", "invoice.exe.pdf"),  # the detected type's extension, always
        ("Scan.PDF", "Scan.PDF"),
        ("%2e%2e%2f", "file.pdf"),
        ("", "file.pdf"),
    ],
)
def test_the_name_people_see_has_no_path_escape_or_control_character(uploaded, shown):
    from assets.validation import PDF, display_name

    assert display_name(uploaded, PDF) == shown
    checked = validate_upload(SimpleUploadedFile(uploaded or "x", real_pdf(1)), **pdf_options())
    assert "/" not in checked.display_name and "%" not in checked.display_name


def test_a_long_name_keeps_its_extension():
    from assets.validation import DISPLAY_NAME_MAX, PDF, display_name

    shown = display_name("a" * 500 + ".pdf", PDF)
    assert len(shown) == DISPLAY_NAME_MAX and shown.endswith("a.pdf")
