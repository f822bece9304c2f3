"""The partner CSV import in the admin (django-import-export): the dry run changes
nothing, row errors (unknown tier, duplicate slug, bad URL or email) are shown and
nothing is imported, a good file imports through the confirm step with an audit entry."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import Language, Partner, PartnerAuditEntry, Region

pytestmark = pytest.mark.django_db

HEADER = [
    "name",
    "slug",
    "status",
    "tier",
    "partner_type",
    "regions",
    "languages",
    "website",
    "contact_email",
    "channel_manager",
]
IMPORT_URL = "admin:partners_partner_import"


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("partners.csv", buffer.getvalue().encode(), "text/csv")


@pytest.fixture
def codes(db):
    Region.objects.get_or_create(code="emea", defaults={"name": "EMEA"})
    Region.objects.get_or_create(code="na", defaults={"name": "North America"})
    Language.objects.get_or_create(code="de", defaults={"name": "German"})
    Language.objects.get_or_create(code="en", defaults={"name": "English"})


GOOD = [
    [
        "Delta GmbH",
        "delta",
        "onboarding",
        "silver",
        "reseller",
        "emea",
        "de en",
        "https://delta.example",
        "hi@delta.example",
        "carl_channel",
    ],
    [
        "Echo Ltd",
        "echo",
        "active",
        "gold",
        "msp",
        "na emea",
        "en",
        "https://echo.example",
        "",
        "",
    ],
]


def dry_run(client, rows):
    return client.post(
        reverse(IMPORT_URL), {"format": "0", "import_file": csv_file(rows), "resource": "0"}
    )


def test_a_good_file_previews_without_saving_then_imports_on_confirm(
    client, alice, staff_users, codes, tiers
):
    client.force_login(staff_users["marketing_admin"])

    # when: the dry run
    response = dry_run(client, GOOD)

    # then: a preview, nothing saved
    page = response.content.decode()
    assert response.status_code == 200
    assert "Delta GmbH" in page and "Echo Ltd" in page
    assert not Partner.objects.filter(slug__in=["delta", "echo"]).exists()
    confirm = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }

    # when: confirmed
    response = client.post(reverse("admin:partners_partner_process_import"), confirm)

    # then
    assert response.status_code == 302
    delta = Partner.objects.get(slug="delta")
    assert delta.tier == tiers["silver"]
    assert delta.status == "onboarding"
    assert delta.channel_manager == staff_users["channel_manager"]
    assert sorted(delta.regions.values_list("code", flat=True)) == ["emea"]
    assert sorted(delta.languages.values_list("code", flat=True)) == ["de", "en"]
    assert Partner.objects.get(slug="echo").regions.count() == 2
    with scopes_disabled():
        entry = PartnerAuditEntry.objects.get(partner=delta)
    assert entry.field == "created" and entry.actor == staff_users["marketing_admin"]
    assert entry.reason == "Imported from a CSV file"


def test_row_errors_are_shown_and_nothing_is_imported(client, alice, staff_users, codes):
    client.force_login(staff_users["marketing_admin"])
    rows = [
        GOOD[0],
        ["Foxtrot", "foxtrot", "active", "diamond", "reseller", "", "", "", "", ""],
        ["Alice again", "alice", "active", "gold", "reseller", "", "", "", "", ""],
        ["Golf", "delta", "active", "gold", "reseller", "", "", "", "", ""],
        ["Hotel", "hotel", "active", "gold", "reseller", "mars", "", "not a url", "nope", ""],
    ]

    response = dry_run(client, rows)

    page = response.content.decode()
    assert "No tier “diamond”; known tiers: registered, silver, gold, platinum." in page
    assert "A partner with the slug “alice” already exists." in page
    assert "The slug “delta” appears in 2 rows of the file." in page
    assert "Unknown region code(s): mars." in page
    assert "Enter a valid URL." in page
    assert "Enter a valid email address." in page
    assert 'name="import_file_name"' not in page  # no confirm step
    assert not Partner.objects.filter(slug__in=["delta", "foxtrot", "hotel"]).exists()


def test_a_file_that_is_not_csv_is_refused_at_the_field(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse(IMPORT_URL),
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("p.csv", b"%PDF-1.4 fake", "text/csv"),
        },
    )
    assert "not an allowed type" in response.content.decode()


def test_only_staff_who_add_partners_may_import(client, staff_users):
    client.force_login(staff_users["analyst"])
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    client.force_login(staff_users["marketing_admin"])
    assert client.get(reverse(IMPORT_URL)).status_code == 200


def test_an_exported_file_imports_back(client, alice, staff_users, codes):
    # given: alice exported, then renamed into a new partner
    alice.partner.regions.set(Region.objects.filter(code="emea"))
    alice.partner.contact_phone = "+49 30 1234"  # the export defuses it as '+49…
    alice.partner.save(update_fields=["contact_phone"])
    client.force_login(staff_users["marketing_admin"])
    export = client.get(reverse("admin:partners_partner_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    row = next(r for r in rows if r["slug"] == "alice")
    row.update(slug="alice-two", name="Alice Two")
    header = list(row)

    response = client.post(
        reverse(IMPORT_URL),
        {"format": "0", "resource": "0", "import_file": csv_file([list(row.values())], header)},
    )

    assert "Alice Two" in response.content.decode()
    assert 'name="import_file_name"' in response.content.decode()
