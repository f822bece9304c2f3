"""The library API: list and read what is available to the caller, filters, and
short-lived download links (recorded; expired links refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from assets.models import Asset, DownloadRecord
from tests.assets.factories import make_asset, pdf_bytes
from tests.conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(alice, bob, languages):
    return {
        "everyone": make_asset(
            title="Cloud Backup Datasheet",
            tags=("cloud",),
            language=languages["en"],
            files=(("en.pdf", pdf_bytes("EN")), ("de.pdf", pdf_bytes("DE"))),
            languages=(languages["en"], languages["de"]),
        ),
        "bob": make_asset(title="Bob only", audience={"partners": [bob.partner]}),
        "draft": make_asset(title="Draft", publish=False),
    }


def ids(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


def test_partner_key_lists_what_its_partner_may_see(alice_key, library):
    response = key_client(alice_key).get(reverse("api:asset-list"))
    assert response.status_code == 200
    assert ids(response) == ["Cloud Backup Datasheet"]
    item = response.json()["results"][0]
    assert {f["language"] for f in item["files"]} == {"en", "de"}
    assert "download_count" not in item  # other partners' activity is not shown


def test_staff_key_sees_every_asset(staff_key, library):
    response = key_client(staff_key).get(reverse("api:asset-list") + "?ordering=title")
    assert ids(response) == ["Bob only", "Cloud Backup Datasheet", "Draft"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=backup", ["Cloud Backup Datasheet"]),
        ("q=nothing-like-this", []),
        ("tag=cloud", ["Cloud Backup Datasheet"]),
        ("language=de", ["Cloud Backup Datasheet"]),
        ("language=ja", []),
        ("kind=other", ["Cloud Backup Datasheet"]),
    ],
)
def test_filters(alice_key, library, query, expected):
    response = key_client(alice_key).get(reverse("api:asset-list") + "?" + query)
    assert response.status_code == 200, response.content
    assert ids(response) == expected


@pytest.mark.parametrize(
    ("query", "attr"), [("kind=pirate", "kind"), ("q=%00", "q"), ("category=%00x", "category")]
)
def test_bad_filter_is_a_400_naming_it(alice_key, library, query, attr):
    response = key_client(alice_key).get(reverse("api:asset-list") + "?" + query)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr


def test_unavailable_asset_is_404(alice_key, library):
    client = key_client(alice_key)
    for asset in (library["bob"], library["draft"]):
        assert client.get(reverse("api:asset-detail", args=[asset.uuid])).status_code == 404
        response = client.post(reverse("api:asset-download", args=[asset.uuid]), {}, format="json")
        assert response.status_code == 404
    assert client.get("/api/v1/assets/not-a-uuid/").status_code == 404
    with scopes_disabled():
        assert not DownloadRecord.objects.exists()


def test_download_link_is_recorded_and_serves_the_file(alice, alice_key, library):
    asset = library["everyone"]
    client = key_client(alice_key)

    response = client.post(
        reverse("api:asset-download", args=[asset.uuid]), {"language": "de"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["file"]["language"] == "de"
    assert body["filename"] == "cloud-backup-datasheet-de-v1.pdf"
    file_response = Client().get(body["url"])  # no credentials: the link is the permission
    assert file_response.status_code == 200
    content = b"".join(file_response.streaming_content)
    with asset.versions.get(language__code="de").file.open("rb") as stored:
        assert content == stored.read()
    assert file_response["Content-Disposition"].startswith("attachment")
    assert file_response["X-Content-Type-Options"] == "nosniff"
    with scopes_disabled():
        record = DownloadRecord.objects.get()
    assert record.partner == alice.partner and record.channel == "api"
    assert record.api_key is not None and record.user is None


def test_default_file_is_the_callers_language(alice, alice_key, library, languages):
    alice.partner.languages.set([languages["de"]])
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[library["everyone"].uuid]), {}, format="json"
    )
    assert response.json()["file"]["language"] == "de"


def test_download_link_expires(alice_key, library, time_machine, settings):
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[library["everyone"].uuid]), {}, format="json"
    )
    url = response.json()["url"]
    expires_at = response.json()["expires_at"]
    assert expires_at
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.ASSET_DOWNLOAD_URL_TTL + 5))
    assert Client().get(url).status_code == 404


def test_tampered_link_is_404(alice_key, library):
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[library["everyone"].uuid]), {}, format="json"
    )
    url = response.json()["url"]
    assert Client().get(url[:-3] + "xyz/").status_code == 404
    assert Client().get(reverse("library:file", args=["garbage"])).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"language": "ja"}, {"file": "00000000-0000-0000-0000-000000000000"}, {"colour": "red"}],
)
def test_download_body_errors_name_the_field(alice_key, library, body):
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[library["everyone"].uuid]), body, format="json"
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not DownloadRecord.objects.exists()


def test_partner_user_session_works_too(alice, library):
    client = Client()
    client.force_login(alice.sales)
    assert client.get(reverse("api:asset-list")).json()["count"] == 1


def test_list_query_count_is_constant(alice_key, library, django_assert_max_num_queries):
    client = key_client(alice_key)
    with django_assert_max_num_queries(12) as baseline:
        client.get(reverse("api:asset-list"))
    for index in range(8):
        make_asset(title=f"More {index}", tags=("x", "y"))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(reverse("api:asset-list"))
    assert response.json()["count"] == 9
    assert Asset.objects.count() == 11
