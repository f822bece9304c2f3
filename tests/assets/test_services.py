"""Uploads, versions, language variants, publishing, archiving and download records."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django_scopes import scopes_disabled

from assets import services
from assets.models import Asset, AssetEvent, AssetVersion, DownloadRecord
from tests.assets.factories import image_bytes, make_asset, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_upload_stores_the_file_under_an_unguessable_name_with_its_facts(staff_users):
    # given
    content = pdf_bytes("Zero Trust Brochure")
    asset = services.asset_create(actor=staff_users["marketing_admin"], title="Zero Trust")

    # when: the name and the browser's claim lie; the content decides
    version = services.asset_version_add(
        asset=asset,
        upload=upload("../../etc/passwd.exe", content, content_type="text/html"),
        uploaded_by=staff_users["marketing_admin"],
        change_note="First edition",
    )

    # then
    assert version.number == 1 and version.is_current
    assert version.file_kind == "pdf" and version.content_type == "application/pdf"
    assert version.size == len(content)
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.file.name.startswith(f"assets/{asset.uuid}/")
    assert version.file.name.endswith(".pdf")
    assert "passwd" not in version.file.name and "etc" not in version.file.name
    assert version.original_name == "passwd.exe"
    with default_storage.open(version.file.name, "rb") as stored:
        assert stored.read() == content
    assert AssetEvent.objects.filter(asset=asset, action="version_added").exists()


def test_a_new_version_keeps_the_history_and_becomes_current(staff_users, languages):
    asset = make_asset(language=languages["en"], languages=(languages["en"],))
    first = asset.versions.get()

    second = services.asset_version_add(
        asset=asset,
        upload=upload("v2.pdf", pdf_bytes("Datasheet v2")),
        uploaded_by=staff_users["marketing_admin"],
        language=languages["en"],
        change_note="New prices",
    )

    first.refresh_from_db()
    assert (first.number, first.is_current) == (1, False)
    assert (second.number, second.is_current) == (2, True)
    assert asset.versions.count() == 2
    asset.refresh_from_db()
    assert asset.content_updated_at is not None  # published asset got new content


def test_language_variants_are_numbered_separately(languages):
    asset = make_asset(
        language=languages["en"],
        files=(
            ("en.pdf", pdf_bytes("EN")),
            ("de.pdf", pdf_bytes("DE")),
            ("en2.pdf", pdf_bytes("EN2")),
        ),
        languages=(languages["en"], languages["de"], languages["en"]),
    )
    current = {
        v.language.code: v.number for v in AssetVersion.objects.filter(asset=asset, is_current=True)
    }
    assert current == {"en": 2, "de": 1}


def test_publish_needs_a_file_and_archive_hides(staff_users, alice):
    actor = staff_users["marketing_admin"]
    asset = services.asset_create(actor=actor, title="Empty")
    with pytest.raises(ValidationError, match="Upload a file"):
        services.asset_publish(asset=asset, actor=actor)
    asset = make_asset(actor=actor)
    assert Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()
    services.asset_archive(asset=asset, actor=actor)
    assert not Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()
    actions = list(asset.events.values_list("action", flat=True))
    assert {"created", "published", "archived", "version_added"} <= set(actions)


def test_rejected_upload_leaves_nothing_behind(staff_users):
    asset = services.asset_create(actor=staff_users["marketing_admin"], title="Nope")
    with pytest.raises(ValidationError):
        services.asset_version_add(
            asset=asset, upload=upload("x.pdf", b"MZ" + b"\0" * 100), uploaded_by=None
        )
    assert not AssetVersion.objects.filter(asset=asset).exists()
    folder = f"assets/{asset.uuid}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])


def test_failed_database_write_deletes_the_stored_file(staff_users, monkeypatch):
    asset = services.asset_create(actor=staff_users["marketing_admin"], title="Crash")
    saved = []
    original = AssetVersion.save

    def boom(self, *args, **kwargs):
        saved.append(self.file.name)
        raise RuntimeError("database went away")

    monkeypatch.setattr(AssetVersion, "save", boom)
    with pytest.raises(RuntimeError):
        services.asset_version_add(
            asset=asset, upload=upload("a.png", image_bytes()), uploaded_by=None
        )
    monkeypatch.setattr(AssetVersion, "save", original)
    assert saved and not default_storage.exists(saved[0])


def test_download_record_counts_on_asset_and_version(alice):
    asset = make_asset()
    version = asset.versions.get()
    services.download_record(partner=alice.partner, version=version, user=alice.sales)
    services.download_record(
        partner=alice.partner, version=version, user=alice.sales, cobranded=True
    )
    asset.refresh_from_db()
    version.refresh_from_db()
    assert asset.download_count == version.download_count == 2
    with scopes_disabled():
        records = DownloadRecord.objects.filter(asset=asset)
        assert records.count() == 2
        assert records.filter(cobranded=True, user=alice.sales, partner=alice.partner).count() == 1


def test_download_filename_is_clean(languages):
    asset = make_asset(title='Q3 "Price" List / EMEA', language=languages["de"])
    version = asset.versions.get()
    assert services.download_filename(version) == "q3-price-list-emea-de-v1.pdf"


def test_dates_are_checked():
    with pytest.raises(ValidationError) as exc_info:
        from django.utils import timezone

        now = timezone.now()
        services.asset_create(actor=None, title="Bad", publish_at=now, expire_at=now)
    assert "expire_at" in exc_info.value.message_dict
