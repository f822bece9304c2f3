"""The portal library: list (search, filters, sort, pages, new marker, query count),
the asset page, downloads (access check, record, headers), previews, co-branding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from assets import services
from assets.models import Asset, CobrandedCopy, DownloadRecord, LibraryVisit
from partners.models import LanguageChoice
from tests.assets.factories import image_bytes, make_asset, pdf_bytes

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def titles(response) -> list[str]:
    return [asset.title for asset in response.context["page"].object_list]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def only_for_bob(bob):
    return make_asset(title="Bob's secret playbook", audience={"partners": [bob.partner]})


# --- list ------------------------------------------------------------------------------


def test_library_lists_what_the_partner_may_see(alice, only_for_bob):
    mine = make_asset(title="For everyone")
    response = client_for(alice.marketer).get(reverse("library:list"))
    assert response.status_code == 200
    assert titles(response) == [mine.title]
    assert b"secret playbook" not in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=backup", ["Cloud Backup Datasheet"]),
        ("q=ransomware", ["Ransomware case study"]),  # in the description
        ("q=smb", ["Ransomware case study"]),  # a tag
        ("kind=case_study", ["Ransomware case study"]),
        ("tag=cloud", ["Cloud Backup Datasheet"]),
        ("language=de", ["Partner pitch deck"]),
        ("sort=title", ["Cloud Backup Datasheet", "Partner pitch deck", "Ransomware case study"]),
        ("kind=nonsense&sort=%00&page=-4&per_page=7", None),  # bad input: ignored, not a 500
        ("page=99999999999999999999999&per_page=96", None),
        ("page=1e9&language=%00&category=%ff&tag=..", None),
        ("q=%00%00%00", None),
        ("q=" + "x" * 2000, []),
    ],
)
def test_search_filters_and_sorts(alice, languages, query, expected):
    make_asset(title="Cloud Backup Datasheet", tags=("cloud", "backup"), language=languages["en"])
    make_asset(
        title="Ransomware case study",
        kind=Asset.Kind.CASE_STUDY,
        description="How a school recovered from ransomware in a day.",
        tags=("SMB",),
    )
    make_asset(
        title="Partner pitch deck",
        kind=Asset.Kind.PRESENTATION,
        language=languages["en"],
        files=(("en.pdf", pdf_bytes("EN")), ("de.pdf", pdf_bytes("DE"))),
        languages=(languages["en"], languages["de"]),
    )
    response = client_for(alice.admin).get(reverse("library:list") + "?" + query)
    assert response.status_code == 200
    if expected is not None:
        assert titles(response) == expected


def test_most_downloaded_sort(alice):
    quiet = make_asset(title="Quiet")
    popular = make_asset(title="Popular")
    version = popular.versions.get()
    for _ in range(3):
        services.download_record(partner=alice.partner, version=version)
    response = client_for(alice.admin).get(reverse("library:list") + "?sort=downloads")
    assert titles(response) == [popular.title, quiet.title]
    # Counts of other partners' downloads are never shown to a partner.
    assert b">3<" not in response.content


def test_pages_and_a_constant_number_of_queries(alice, languages, django_assert_max_num_queries):
    from django.core.cache import cache

    for index in range(3):
        make_asset(title=f"Asset {index}", language=languages["en"])
    client = client_for(alice.admin)
    client.get(reverse("library:list"))  # first visit creates the visit row
    cache.clear()  # measure without the cached tag list and count (the worst case)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("library:list") + "?per_page=12")
    for index in range(3, 30):
        make_asset(
            title=f"Asset {index}",
            language=languages["en"],
            files=(("a.pdf", pdf_bytes("A")), ("b.png", image_bytes())),
            languages=(languages["en"], languages["de"]),
            tags=(f"tag{index}",),
        )
    for query in ("?per_page=12&page=2&sort=title", "?per_page=96&q=asset&language=de"):
        cache.clear()
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("library:list") + query)
    response = client.get(reverse("library:list") + "?per_page=12&page=2&sort=title")
    assert len(titles(response)) == 12
    assert response.context["page"].num_pages == 3


def test_count_is_capped_and_pages_still_go_on(alice, monkeypatch):
    from assets import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for index in range(6):
        make_asset(title=f"Capped {index}", files=(("a.png", image_bytes(size=(8, 8))),))
    client = client_for(alice.admin)
    first = client.get(reverse("library:list") + "?per_page=12")
    page = first.context["page"]
    assert (page.count, page.count_capped, page.num_pages, page.has_next) == (3, True, None, False)
    assert b"More than 3 assets" in first.content
    assert len(page.object_list) == 6  # the page shows everything it holds
    response = client.get(reverse("library:list") + "?per_page=12&page=2")
    assert response.context["page"].object_list == []  # past the end, when uncounted


def test_page_past_the_end_shows_the_last_page(alice):
    for index in range(3):
        make_asset(title=f"Paged {index}", files=(("a.png", image_bytes(size=(8, 8))),))
    response = client_for(alice.admin).get(reverse("library:list") + "?per_page=12&page=99")
    page = response.context["page"]
    assert (page.number, len(page.object_list), page.has_next) == (1, 3, False)


def test_tag_filter_offers_only_tags_of_visible_assets(alice, bob):
    make_asset(title="Shared", tags=("everyone-tag",))
    make_asset(title="Bob's", tags=("bob-acquisition",), audience={"partners": [bob.partner]})
    response = client_for(alice.admin).get(reverse("library:list"))
    assert [tag.slug for tag in response.context["choices"].tags] == ["everyone-tag"]
    assert b"bob-acquisition" not in response.content


def test_new_since_the_last_visit(alice, time_machine):
    old = make_asset(title="Old news")
    client = client_for(alice.admin)
    client.get(reverse("library:list"))  # first visit: nothing is "new"
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    fresh = make_asset(title="Fresh")
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    response = client.get(reverse("library:list"))
    flags = {asset.title: asset.is_new for asset in response.context["page"].object_list}
    assert flags == {fresh.title: True, old.title: False}
    assert b"badge-new" in response.content
    with scopes_disabled():
        assert LibraryVisit.objects.get(user=alice.admin).previous_seen_at is not None


# --- asset page -------------------------------------------------------------------------


def test_asset_page_offers_the_partner_language_first(alice, languages):
    alice.partner.languages.set([languages["de"]])
    # The partner markets in German; this reader chose to read the portal in English.
    LanguageChoice.objects.create(user=alice.sales, language="en")
    asset = make_asset(
        title="Pitch deck",
        language=languages["en"],
        files=(
            ("en.pdf", pdf_bytes("EN")),
            ("de.pdf", pdf_bytes("DE")),
            ("fr.pdf", pdf_bytes("FR")),
        ),
        languages=(languages["en"], languages["de"], languages["fr"]),
    )
    services.asset_version_add(
        asset=asset,
        upload=__import__("tests.assets.factories", fromlist=["upload"]).upload(
            "en2.pdf", pdf_bytes("EN2")
        ),
        uploaded_by=None,
        language=languages["en"],
        change_note="Updated the pricing slide",
    )
    response = client_for(alice.sales).get(reverse("library:detail", args=[asset.uuid]))
    assert response.status_code == 200
    assert response.context["main"].language.code == "de"
    assert [v.language.code for v in response.context["others"]] == ["en", "fr"]
    assert response.context["has_own_language"]
    assert b"Updated the pricing slide" in response.content
    assert b"Your language" in response.content


def test_unavailable_asset_is_404_everywhere(alice, only_for_bob):
    version = only_for_bob.versions.get()
    client = client_for(alice.admin)
    urls = [
        reverse("library:detail", args=[only_for_bob.uuid]),
        reverse("library:download", args=[only_for_bob.uuid, version.uuid]),
        reverse("library:preview", args=[only_for_bob.uuid, version.uuid]),
        reverse("library:thumbnail", args=[only_for_bob.uuid]),
        reverse("library:cobrand_status", args=[only_for_bob.uuid, version.uuid]),
        reverse("library:cobrand_download", args=[only_for_bob.uuid, version.uuid]),
        "/portal/library/not-a-uuid/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("library:cobrand", args=[only_for_bob.uuid, version.uuid])).status_code
        == 404
    )
    with scopes_disabled():
        assert not DownloadRecord.objects.exists()


def test_expired_or_draft_asset_is_404(alice):
    asset = make_asset(title="Gone")
    client = client_for(alice.admin)
    url = reverse("library:detail", args=[asset.uuid])
    assert client.get(url).status_code == 200
    services.asset_archive(asset=asset, actor=None)
    assert client.get(url).status_code == 404


# --- downloads ----------------------------------------------------------------------------


def test_download_is_recorded_and_streamed_with_safe_headers(alice):
    content = pdf_bytes("Datasheet")
    asset = make_asset(title="Datasheet", files=(("d.pdf", content),))
    version = asset.versions.get()

    response = client_for(alice.sales).get(
        reverse("library:download", args=[asset.uuid, version.uuid])
    )

    assert response.status_code == 200
    assert response.streaming and streamed(response) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="datasheet-v1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(content))
    with scopes_disabled():
        record = DownloadRecord.objects.get()
    assert (record.partner, record.user, record.version, record.cobranded) == (
        alice.partner,
        alice.sales,
        version,
        False,
    )
    asset.refresh_from_db()
    assert asset.download_count == 1


def test_old_version_link_sends_to_the_current_one(alice):
    asset = make_asset()
    old = asset.versions.get()
    services.asset_version_add(
        asset=asset,
        upload=__import__("tests.assets.factories", fromlist=["upload"]).upload(
            "n.pdf", pdf_bytes("N")
        ),
        uploaded_by=None,
    )
    response = client_for(alice.admin).get(reverse("library:download", args=[asset.uuid, old.uuid]))
    assert response.status_code == 302
    assert response["Location"] == reverse("library:detail", args=[asset.uuid])


def test_preview_and_thumbnail_are_inline_images(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset = make_asset(files=(("p.png", image_bytes(size=(1600, 1200))),))
    version = asset.versions.get()
    client = client_for(alice.admin)
    for url in (
        reverse("library:thumbnail", args=[asset.uuid]),
        reverse("library:preview", args=[asset.uuid, version.uuid]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
    with scopes_disabled():
        assert not DownloadRecord.objects.exists()  # looking is not downloading


def test_placeholder_until_the_preview_exists(alice):
    asset = make_asset()  # on_commit never ran: no preview yet
    response = client_for(alice.admin).get(reverse("library:list"))
    assert b"asset-thumb-placeholder" in response.content
    assert (
        client_for(alice.admin).get(reverse("library:thumbnail", args=[asset.uuid])).status_code
        == 404
    )


# --- co-branding -------------------------------------------------------------------------


def test_cobranded_copy_is_prepared_then_downloaded(
    branded_alice, django_capture_on_commit_callbacks
):
    alice = branded_alice
    asset = make_asset(title="Co-brand me", cobrandable=True)
    version = asset.versions.get()
    client = client_for(alice.marketer)
    status_url = reverse("library:cobrand_status", args=[asset.uuid, version.uuid])
    assert client.get(status_url).json() == {"state": "none"}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("library:cobrand", args=[asset.uuid, version.uuid]))
    assert response.status_code == 302
    page = client.get(reverse("library:detail", args=[asset.uuid]))
    assert b"Preparing your co-branded copy" in page.content
    assert client.get(status_url).json() == {"state": "pending"}

    for callback in callbacks:  # the worker runs the task
        callback()
    body = client.get(status_url).json()
    assert body["state"] == "ready"
    response = client.get(body["download_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="co-brand-me-v1-alice.pdf"'
    assert streamed(response).startswith(b"%PDF")
    with scopes_disabled():
        assert DownloadRecord.objects.get().cobranded is True


def test_incomplete_profile_says_what_is_missing(alice):
    asset = make_asset(cobrandable=True)
    version = asset.versions.get()
    client = client_for(alice.marketer)
    page = client.get(reverse("library:detail", args=[asset.uuid]))
    assert b"Missing: logo, phone, email." in page.content
    response = client.post(reverse("library:cobrand", args=[asset.uuid, version.uuid]), follow=True)
    assert b"Your company profile is missing: logo, phone, email." in response.content
    with scopes_disabled():
        assert not CobrandedCopy.objects.exists()


def test_profile_change_means_a_new_copy(branded_alice, django_capture_on_commit_callbacks):
    from partners.services import partner_update_cobranding

    alice = branded_alice
    asset = make_asset(cobrandable=True, files=(("i.png", image_bytes()),))
    version = asset.versions.get()
    client = client_for(alice.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("library:cobrand", args=[asset.uuid, version.uuid]))
    status_url = reverse("library:cobrand_status", args=[asset.uuid, version.uuid])
    assert client.get(status_url).json()["state"] == "ready"
    partner_update_cobranding(partner=alice.partner, actor=alice.admin, contact_phone="+1 555 0199")
    assert client.get(status_url).json() == {"state": "none"}  # the old copy is for the old profile


def test_post_only_and_get_only_routes(alice):
    asset = make_asset()
    version = asset.versions.get()
    client = client_for(alice.admin)
    assert (
        client.get(reverse("library:cobrand", args=[asset.uuid, version.uuid])).status_code == 405
    )
    assert (
        client.post(reverse("library:download", args=[asset.uuid, version.uuid])).status_code == 405
    )
