"""Asset uploads through the one validator, with real bad files: nothing refused is
stored, and every accepted type is detected from its content."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from assets import services
from assets.models import AssetVersion
from tests.assets.factories import image_bytes, pdf_bytes, upload
from tests.assets.test_validation import png_bomb

pytestmark = pytest.mark.django_db


def office(kind: str, *, macro: bool = False, extra: dict[str, bytes] | None = None) -> bytes:
    folder = {"docx": "word", "pptx": "ppt", "xlsx": "xl"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<doc/>")
        if macro:
            archive.writestr(f"{folder}/vbaProject.bin", b"\x00" * 64)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def plain_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def mp4() -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 512


@pytest.fixture
def asset(db):
    return services.asset_create(actor=None, title="Uploads")


def add(asset, name, content, **kwargs):
    return services.asset_version_add(
        asset=asset, upload=upload(name, content), uploaded_by=None, **kwargs
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.txt", pdf_bytes("x", pages=1), "pdf"),
        ("a.pdf", image_bytes("PNG"), "png"),
        ("a.png", image_bytes("JPEG"), "jpeg"),
        ("a.bin", image_bytes("WEBP"), "webp"),
        ("a.jpg", image_bytes("GIF"), "gif"),
        ("a.mov", mp4(), "mp4"),
        ("a.zip", office("docx"), "docx"),
        ("a.zip", office("pptx"), "pptx"),
        ("a.zip", office("xlsx"), "xlsx"),
        ("a.docx", plain_zip({"logo.png": image_bytes()}), "zip"),
    ],
)
def test_allowed_types_are_detected_from_content(asset, name, content, kind):
    version = add(asset, name, content)
    assert version.file_kind == kind
    assert version.file.name.rsplit(".", 1)[-1] != name.rsplit(".", 1)[-1] or kind == "zip"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("brochure.pdf", b"MZ\x90\x00" + b"\x00" * 300, "executable"),
        ("brochure.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 300, "executable"),
        ("deck.pptx", b"#!/bin/sh\nrm -rf /\n", "script"),
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG",
        ),
        ("page.pdf", b"<!DOCTYPE html><html><body onload=alert(1)></body></html>", "HTML"),
        ("report.docx", office("docx", macro=True), "macros"),
        ("kit.zip", plain_zip({"setup.exe": b"MZ" + b"\0" * 64}), "programs"),
        ("list.pdf", b"name,email\nann,ann@example.com\n", "not an allowed type"),
        ("blank.pdf", b"", "empty"),
        ("half.png", image_bytes("PNG", size=(400, 400))[:300], "damaged"),
        ("cut.pdf", pdf_bytes("x", pages=1)[:34], "not a readable PDF"),
        ("half.pdf", pdf_bytes("x", pages=4)[:2000], "not a readable PDF"),
    ],
)
def test_bad_files_are_refused_and_not_stored(asset, name, content, message):
    with pytest.raises(ValidationError) as exc_info:
        add(asset, name, content)
    assert message in " ".join(exc_info.value.message_dict["file"])
    assert not AssetVersion.objects.filter(asset=asset).exists()
    assert not default_storage.exists(f"assets/{asset.uuid}")


def test_decompression_bomb_is_refused(asset):
    with pytest.raises(ValidationError) as exc_info:
        add(asset, "bomb.png", png_bomb(20_000, 20_000))
    assert "decompression bomb" in " ".join(exc_info.value.message_dict["file"])


def test_zip_bomb_is_refused(asset, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("huge.bin")
        with archive.open(info, "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(64):
                member.write(chunk)
    import assets.validation as validation

    original = validation.ARCHIVE_MAX_UNPACKED
    validation.ARCHIVE_MAX_UNPACKED = 32 * 1024 * 1024
    try:
        with pytest.raises(ValidationError, match="zip bomb"):
            add(asset, "bomb.zip", buffer.getvalue())
    finally:
        validation.ARCHIVE_MAX_UNPACKED = original


def test_oversize_names_the_limit(asset, settings):
    settings.ASSET_MAX_BYTES = 50_000
    with pytest.raises(ValidationError) as exc_info:
        add(asset, "big.png", image_bytes("PNG", size=(1200, 1200)) + b"\0" * 60_000)
    assert "the limit is 48.8" in " ".join(exc_info.value.message_dict["file"])


def test_pixel_limit(asset, settings):
    settings.ASSET_MAX_PIXELS = 1_000_000
    with pytest.raises(ValidationError, match="million pixels"):
        add(asset, "wide.png", image_bytes("PNG", size=(2000, 1000)))


def test_large_upload_is_read_in_chunks_never_whole(asset, tmp_path):
    """A file on disk (as Django keeps uploads above 2 MB) is never read whole."""
    from django.core.files import File

    content = image_bytes("PNG", size=(64, 64)) + b"\0" * (5 * 1024 * 1024)
    path = tmp_path / "big.png"
    path.write_bytes(content)
    sizes = []

    class CountingReads(io.FileIO):
        def read(self, size=-1):
            sizes.append(size)
            return super().read(size)

    with CountingReads(path, "rb") as raw:
        version = services.asset_version_add(
            asset=asset, upload=File(raw, name="big.png"), uploaded_by=None
        )
    assert version.size == len(content)
    whole = [size for size in sizes if size is None or size < 0 or size > 2 * 1024 * 1024]
    assert sizes and not whole


def test_pillow_reads_what_we_store(asset):
    version = add(asset, "photo.webp", image_bytes("WEBP", size=(300, 200)))
    with version.file.open("rb") as handle:
        assert Image.open(handle).size == (300, 200)
    assert (version.width, version.height) == (300, 200)


def test_the_uploaded_as_name_has_no_escaped_path(asset):
    version = add(asset, "..%2f..%2f..%2fetc%2fdatasheet.pdf", pdf_bytes("x", pages=1))
    assert version.original_name == "datasheet.pdf"
