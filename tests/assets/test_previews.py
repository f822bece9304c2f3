"""Previews: made by a Celery task after commit, for images and the first page of PDFs;
the asset's thumbnail follows its main file; running the task twice is harmless."""

from __future__ import annotations

import pytest
from PIL import Image

from assets import services
from assets.models import AssetVersion
from assets.tasks import make_preview
from tests.assets.factories import image_bytes, make_asset, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_pdf_preview_is_the_first_page(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        asset = make_asset(files=(("d.pdf", pdf_bytes("Preview me", pages=4)),))
    assert len(callbacks) == 1  # enqueued after commit, with the version's id
    version = asset.versions.get()
    assert version.preview_state == AssetVersion.Preview.READY
    assert version.page_count == 4
    with version.preview.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    assert image.format == "PNG" and max(image.size) <= 900
    assert image.getpixel((image.width // 2, 10))[2] > 150  # the blue heading band
    asset.refresh_from_db()
    assert asset.thumbnail.name == version.preview.name


def test_image_preview_is_scaled_down(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset = make_asset(files=(("big.jpg", image_bytes("JPEG", size=(3000, 1500))),))
    version = asset.versions.get()
    with version.preview.open("rb") as handle:
        assert Image.open(handle).size == (900, 450)


def test_no_preview_for_video_and_office_files():
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    asset = make_asset(files=(("v.mp4", mp4),))
    assert asset.versions.get().preview_state == AssetVersion.Preview.NONE


def test_task_is_safe_to_run_twice_and_for_a_missing_row():
    asset = make_asset(files=(("a.png", image_bytes()),))
    version = asset.versions.get()
    assert make_preview.delay(version.pk).get() == "ready"
    first = AssetVersion.objects.get(pk=version.pk).preview.name
    assert make_preview.delay(version.pk).get() == "skipped"
    assert AssetVersion.objects.get(pk=version.pk).preview.name == first
    assert make_preview.delay(10**9).get() == "skipped"


def damage(stored) -> None:
    """Cut a stored file short, as a storage fault would (uploads must open, so a
    damaged file can only be one that changed after it was accepted)."""
    from django.core.files.base import ContentFile

    name, storage = stored.name, stored.storage
    data = storage.open(name, "rb").read()
    storage.delete(name)
    assert storage.save(name, ContentFile(data[:100] + b"\0" * 100)) == name


def test_damaged_file_marks_the_preview_failed_without_raising():
    asset = make_asset(files=(("bad.pdf", pdf_bytes("x")),))
    version = asset.versions.get()
    damage(version.file)
    assert services.version_make_preview(version_id=version.pk) == "failed"
    version.refresh_from_db()
    assert version.preview_state == AssetVersion.Preview.FAILED


def test_thumbnail_follows_the_main_language(languages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset = make_asset(
            language=languages["en"],
            files=(
                ("en.png", image_bytes(color=(255, 0, 0))),
                ("de.png", image_bytes(color=(0, 255, 0))),
            ),
            languages=(languages["en"], languages["de"]),
        )
    english = asset.versions.get(language=languages["en"])
    asset.refresh_from_db()
    assert asset.thumbnail.name == english.preview.name
    with django_capture_on_commit_callbacks(execute=True):
        newer = services.asset_version_add(
            asset=asset,
            upload=upload("en2.png", image_bytes(color=(0, 0, 255))),
            uploaded_by=None,
            language=languages["en"],
        )
    newer.refresh_from_db()
    asset.refresh_from_db()
    assert asset.thumbnail.name == newer.preview.name
