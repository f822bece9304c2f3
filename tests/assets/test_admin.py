"""The staff admin: create an asset with a file and publish it, set an audience, see
download counts per asset, file and partner, bulk upload, the co-branding preview."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from PIL import Image

from assets import services
from assets.models import Asset, AssetEvent, AssetVersion, AudienceScope
from tests.assets.factories import image_bytes, make_asset, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff_users) -> Client:
    client = Client()
    client.force_login(staff_users["marketing_admin"])
    return client


def form_data(**overrides):
    data = {
        "title": "Edge Security Brochure",
        "description": "Why the edge matters.",
        "kind": "brochure",
        "tag_names": "security, edge",
        "cobrand_zone": "footer",
        "cobrand_zone_size": "12",
        "decision": "publish",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        # The partners' ratings, read-only (partners.admin.RatingInline).
        "ratings-TOTAL_FORMS": "0",
        "ratings-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_add_with_a_file_and_publish(staff, tiers, alice, bob):
    response = staff.post(
        reverse("admin:assets_asset_add"),
        form_data(
            new_file=upload("edge.pdf", pdf_bytes("Edge")),
            change_note="First edition",
            audience_tiers=[tiers["gold"].pk],
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    asset = Asset.objects.get()
    assert asset.status == Asset.Status.PUBLISHED
    assert asset.audience_scope == AudienceScope.RULES
    assert sorted(asset.tags.values_list("slug", flat=True)) == ["edge", "security"]
    assert asset.versions.get().change_note == "First edition"
    assert Asset.objects.available_to(alice.partner).filter(pk=asset.pk).exists()  # gold
    assert not Asset.objects.available_to(bob.partner).filter(pk=asset.pk).exists()  # silver
    assert set(asset.events.values_list("action", flat=True)) >= {
        "created",
        "version_added",
        "published",
    }


def test_publish_without_a_file_is_refused_on_the_form(staff):
    response = staff.post(reverse("admin:assets_asset_add"), form_data())
    assert response.status_code == 200
    assert "Upload a file before publishing." in response.content.decode()
    assert not Asset.objects.exists()


def test_bad_file_is_refused_on_the_form(staff):
    response = staff.post(
        reverse("admin:assets_asset_add"),
        form_data(new_file=upload("x.pdf", b"MZ" + b"\0" * 100), decision=""),
    )
    assert response.status_code == 200
    assert "executable program" in response.content.decode()


def test_change_page_shows_downloads_per_partner_and_file(staff, alice, bob):
    asset = make_asset(title="Counted", cobrandable=True)
    version = asset.versions.get()
    for partner in (alice.partner, alice.partner, bob.partner):
        services.download_record(partner=partner, version=version)
    response = staff.get(reverse("admin:assets_asset_change", args=[asset.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alice Corp" in page and "Bob Corp" in page
    assert reverse("admin:assets_asset_cobrand_preview", args=[asset.pk]) in page
    changelist = staff.get(reverse("admin:assets_asset_changelist"))
    assert changelist.status_code == 200
    records = staff.get(
        reverse("admin:assets_downloadrecord_changelist") + f"?asset__id__exact={asset.pk}"
    )
    assert records.status_code == 200 and records.context["cl"].result_count == 3


def test_new_version_from_the_change_form(staff, languages):
    asset = make_asset(title="Versioned", language=languages["en"])
    data = form_data(
        title="Versioned",
        decision="",
        new_file=upload("v2.pdf", pdf_bytes("v2")),
        new_file_language=languages["de"].pk,
        language=languages["en"].pk,
        change_note="German edition",
    )
    response = staff.post(reverse("admin:assets_asset_change", args=[asset.pk]), data)
    assert response.status_code == 302
    german = AssetVersion.objects.get(asset=asset, language=languages["de"])
    assert (german.number, german.change_note) == (1, "German edition")
    assert asset.versions.filter(is_current=True).count() == 2


def test_bulk_upload(staff):
    response = staff.post(
        reverse("admin:assets_asset_bulk_upload"),
        {
            "files": [
                upload("Q3_partner-deck.pdf", pdf_bytes("Deck")),
                upload("social banner.png", image_bytes()),
                upload("virus.pdf", b"MZ" + b"\0" * 99),
            ],
            "kind": "social_post",
            "publish": "on",
        },
    )
    assert response.status_code == 200  # stays on the page to show what was refused
    messages = [str(m) for m in response.context["messages"]]
    assert any("2 assets created" in m for m in messages)
    assert any("virus.pdf" in m and "executable" in m for m in messages)
    assert sorted(Asset.objects.values_list("title", "status")) == [
        ("Q3 partner deck", "published"),
        ("social banner", "published"),
    ]


def test_cobrand_preview_is_a_png_with_the_sample_partner(staff):
    asset = make_asset(cobrandable=True, publish=False)
    response = staff.get(reverse("admin:assets_asset_cobrand_preview", args=[asset.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    import io

    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_staff_file_download_is_not_recorded(staff):
    asset = make_asset()
    version = asset.versions.get()
    response = staff.get(reverse("admin:assets_asset_file", args=[asset.pk, version.pk]))
    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.download_count == 0


def test_analyst_reads_but_cannot_change(staff_users):
    asset = make_asset()
    client = Client()
    client.force_login(staff_users["analyst"])
    assert client.get(reverse("admin:assets_asset_change", args=[asset.pk])).status_code == 200
    assert client.get(reverse("admin:assets_asset_add")).status_code == 403
    assert client.get(reverse("admin:assets_asset_bulk_upload")).status_code == 403


# --- the form's layout, and all or nothing per file ----------------------------------


def test_the_form_starts_with_the_file_and_folds_the_rest(staff):
    response = staff.get(reverse("admin:assets_asset_add"))
    fieldsets = [
        (str(fieldset.name), list(fieldset.fields), fieldset.classes)
        for fieldset in response.context["adminform"]
    ]
    names = [name for name, _fields, _classes in fieldsets]
    first_fields = fieldsets[0][1]
    assert first_fields[:2] == ["new_file", "new_file_language"]
    assert names[:3] == ["File and language", "Audience", "Publishing and dates"]
    assert "publish_at" in fieldsets[2][1] and "audience_tiers" in fieldsets[1][1]
    # the rest is folded, not spread out
    assert all("collapse" in classes for _name, _fields, classes in fieldsets[3:])
    assert {"description", "tag_names", "cobrandable"} <= {
        field for _name, fields, _classes in fieldsets[3:] for field in fields
    }


def stored_files(settings):
    from pathlib import Path

    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_failure_mid_file_leaves_nothing_of_that_file(staff, settings, monkeypatch):
    # given: publishing fails for one file, after its asset and version were written
    # (simulated: a real publish of a file-bearing asset cannot fail otherwise)
    publish = services.asset_publish

    def publish_or_fail(*, asset, actor):
        if asset.title == "broken deck":
            raise ValidationError({"status": "The publishing service is down."})
        return publish(asset=asset, actor=actor)

    monkeypatch.setattr(services, "asset_publish", publish_or_fail)

    # when
    response = staff.post(
        reverse("admin:assets_asset_bulk_upload"),
        {
            "files": [
                upload("good deck.pdf", pdf_bytes("Good")),
                upload("broken deck.pdf", pdf_bytes("Broken")),
                upload("banner.png", image_bytes()),
            ],
            "kind": "presentation",
            "publish": "on",
        },
    )

    # then: the broken file is reported and left nothing (asset, version, event, file);
    # the other two are whole
    messages = [str(m) for m in response.context["messages"]]
    assert any("broken deck.pdf: The publishing service is down." in m for m in messages)
    assert sorted(Asset.objects.values_list("title", "status")) == [
        ("banner", "published"),
        ("good deck", "published"),
    ]
    assert AssetVersion.objects.count() == 2
    assert not AssetEvent.objects.exclude(asset__in=Asset.objects.all()).exists()
    files = stored_files(settings)
    assert sorted(v.file.name for v in AssetVersion.objects.all()) == files


def test_asset_upload_rolls_back_and_deletes_the_file_on_any_error(
    staff_users, settings, monkeypatch
):
    def broken_event(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "asset_publish", broken_event)
    with pytest.raises(DatabaseError):
        services.asset_upload(
            actor=staff_users["marketing_admin"],
            upload=upload("deck.pdf", pdf_bytes("Deck")),
            title="Deck",
            kind="presentation",
            publish=True,
        )
    assert not Asset.objects.exists()
    assert not AssetVersion.objects.exists()
    assert stored_files(settings) == []
