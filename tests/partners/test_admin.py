"""The staff admin: decisions through the service, audit trail, CSV export, roles."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from partners.models import Partner, PartnerAPIKey, PartnerAuditEntry, Region
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db


def change_form_data(partner, **overrides):
    data = {
        "name": partner.name,
        "slug": partner.slug,
        "partner_type": partner.partner_type,
        "website": partner.website,
        "status": partner.status,
        "tier": partner.tier_id,
        "channel_manager": partner.channel_manager_id or "",
        "display_name": partner.display_name,
        "contact_phone": partner.contact_phone,
        "contact_email": partner.contact_email,
        "contact_website": partner.contact_website,
        "address": partner.address,
        "decision_reason": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "audit_entries-TOTAL_FORMS": "0",
        "audit_entries-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_status_change_in_admin_needs_a_reason_and_is_audited(client, alice, staff_users):
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])

    response = client.post(url, change_form_data(alice.partner, status="suspended"))
    assert response.status_code == 200
    assert "Say why you changed" in response.content.decode()
    alice.partner.refresh_from_db()
    assert alice.partner.status == "active"

    response = client.post(
        url, change_form_data(alice.partner, status="suspended", decision_reason="Unpaid invoices")
    )
    assert response.status_code == 302
    alice.partner.refresh_from_db()
    assert alice.partner.status == "suspended"
    with scopes_disabled():
        entry = PartnerAuditEntry.objects.filter(partner=alice.partner, field="status").get()
    assert (entry.old_value, entry.new_value, entry.reason) == (
        "Active",
        "Suspended",
        "Unpaid invoices",
    )
    assert entry.actor == staff_users["channel_manager"]

    # The audit trail is on the partner's page.
    page = client.get(url).content.decode()
    assert "Unpaid invoices" in page


def test_admin_refuses_a_status_jump(client, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    Partner.objects.filter(pk=alice.partner.pk).update(status="applicant")
    alice.partner.refresh_from_db()
    response = client.post(
        reverse("admin:partners_partner_change", args=[alice.partner.pk]),
        change_form_data(alice.partner, status="active", decision_reason="fast track"),
    )
    assert response.status_code == 200
    assert "cannot move from Applicant to Active" in response.content.decode()


def test_partner_created_in_admin_is_audited(client, tiers, staff_users):
    client.force_login(staff_users["marketing_admin"])
    data = {
        "name": "Zeta Partners",
        "slug": "zeta",
        "partner_type": "msp",
        "website": "",
        "status": "applicant",
        "tier": tiers["registered"].pk,
        "channel_manager": staff_users["channel_manager"].pk,
        "display_name": "",
        "contact_phone": "",
        "contact_email": "",
        "contact_website": "",
        "address": "",
        "decision_reason": "Applied at the partner summit",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "audit_entries-TOTAL_FORMS": "0",
        "audit_entries-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:partners_partner_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(slug="zeta")
    with scopes_disabled():
        entry = PartnerAuditEntry.objects.get(partner=partner)
    assert entry.field == "created"
    assert entry.actor == staff_users["marketing_admin"]
    assert entry.reason == "Applied at the partner summit"


def test_csv_export_follows_filters_and_search(client, alice, bob, tiers, staff_users):
    make_partner_world("carol", tiers["gold"], status="onboarding")
    client.force_login(staff_users["analyst"])
    url = reverse("admin:partners_partner_export")

    rows = list(csv.DictReader(io.StringIO(b"".join(client.get(url).streaming_content).decode())))
    assert sorted(row["slug"] for row in rows) == ["alice", "bob", "carol"]

    response = client.get(url, {"tier__id__exact": tiers["gold"].pk, "status__exact": "active"})
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["slug"] for row in rows] == ["alice"]
    assert rows[0]["channel_manager"] == "carl_channel"

    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(client.get(url, {"q": "bob"}).streaming_content).decode())
        )
    )
    assert [row["slug"] for row in rows] == ["bob"]


def test_analyst_can_read_but_not_change(client, alice, staff_users):
    client.force_login(staff_users["analyst"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, change_form_data(alice.partner, status="suspended", decision_reason="x")
    )
    assert response.status_code == 403
    alice.partner.refresh_from_db()
    assert alice.partner.status == "active"


def test_changelist_filters_render(client, alice, bob, staff_users):
    emea = Region.objects.create(code="emea", name="EMEA")
    Region.objects.create(code="na", name="North America")
    alice.partner.regions.add(emea)
    client.force_login(staff_users["marketing_admin"])
    response = client.get(reverse("admin:partners_partner_changelist"), {"q": "alice"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice Corp" in body and "Bob Corp" not in body
    for label in ("By status", "By tier", "By partner type", "By regions", "By channel manager"):
        assert label in body


def test_staff_key_created_in_admin_is_shown_once(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:partners_partnerapikey_add"),
        {"name": "CRM sync", "partner": ""},
        follow=True,
    )
    assert response.status_code == 200
    message = [str(m) for m in response.context["messages"]][0]
    raw_key = message.split("<code>")[1].split("</code>")[0]
    with scopes_disabled():
        api_key = PartnerAPIKey.objects.get(name="CRM sync")
    assert api_key.partner is None
    assert raw_key.startswith(api_key.prefix + ".")
    assert raw_key not in api_key.hashed_key and raw_key != api_key.id


def png_file(name="logo.png", size=(200, 80)):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 80, 200, 255)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_staff_upload_a_logo_through_the_validator(client, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    revision = alice.partner.cobranding_revision

    svg = SimpleUploadedFile("logo.png", b"<svg onload='alert(1)'></svg>", content_type="image/png")
    response = client.post(url, change_form_data(alice.partner, logo_upload=svg))
    assert response.status_code == 200
    assert "SVG" in response.content.decode()
    alice.partner.refresh_from_db()
    assert not alice.partner.logo

    response = client.post(url, change_form_data(alice.partner, logo_upload=png_file()))
    assert response.status_code == 302
    alice.partner.refresh_from_db()
    assert alice.partner.logo.name.endswith(".png")
    assert "logo.png" not in alice.partner.logo.name  # stored under an unguessable name
    assert alice.partner.cobranding_revision == revision + 1
    with alice.partner.logo.open("rb") as handle:
        assert Image.open(handle).size == (200, 80)
