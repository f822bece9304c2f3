"""The staff admin: decisions through the service, audit trail, CSV export, roles."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from partners.models import (
    Membership,
    Partner,
    PartnerAPIKey,
    PartnerAuditEntry,
    Region,
    Specialisation,
)
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


def test_csv_export_defuses_formulas_and_keeps_numbers_plain(client, alice, staff_users):
    # given: a partner whose name a spreadsheet would run as a formula
    alice.partner.name = '=HYPERLINK("http://evil.example","open")'
    alice.partner.contact_phone = "+49 30 1234"
    alice.partner.save(update_fields=["name", "contact_phone"])
    client.force_login(staff_users["analyst"])

    # when
    response = client.get(reverse("admin:partners_partner_export"))

    # then
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = [row for row in rows if row["slug"] == "alice"]
    assert row["name"] == '\'=HYPERLINK("http://evil.example","open")'
    assert row["contact_phone"] == "'+49 30 1234"
    assert response["X-Content-Type-Options"] == "nosniff"


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


# --- a partner's page: funds, decisions, downloads, people ---------------------------


def membership_rows(partner, changes=None, deletes=(), add=None):
    """The people inline's POST data: each membership, a role changed, some deleted."""
    with scopes_disabled():
        memberships = list(Membership.objects.filter(partner=partner).order_by("pk"))
    changes = changes or {}
    data = {}
    rows = [
        (m.pk, m.user_id, changes.get(m.user_id, m.role), m.user_id in deletes) for m in memberships
    ]
    if add:
        rows.append(("", add[0].pk, add[1], False))
    for index, (pk, user_id, role, delete) in enumerate(rows):
        data.update(
            {
                f"memberships-{index}-id": pk,
                f"memberships-{index}-partner": partner.pk,
                f"memberships-{index}-user": user_id,
                f"memberships-{index}-role": role,
            }
        )
        if delete:
            data[f"memberships-{index}-DELETE"] = "on"
    data["memberships-TOTAL_FORMS"] = str(len(rows))
    data["memberships-INITIAL_FORMS"] = str(len(memberships))
    return data


def test_partner_page_shows_its_funds_decisions_and_downloads(client, alice, bob, staff_users):
    from assets import services as asset_services
    from mdf import services as mdf_services
    from mdf.models import ActivityType
    from tests.assets.factories import make_asset
    from tests.mdf.conftest import draft_request, make_pool

    # given: alice has an allocation with an approved request and downloaded a file;
    # bob has an allocation of its own
    manager = staff_users["channel_manager"]
    manager.last_name = "Channel"
    manager.save()
    pool = make_pool(name="FY27 H1")
    admin = staff_users["marketing_admin"]
    allocation = mdf_services.allocation_create(
        pool=pool, partner=alice.partner, amount="10000.00", actor=admin, reason="H1"
    )
    mdf_services.allocation_create(
        pool=pool, partner=bob.partner, amount="7777.00", actor=admin, reason="H1"
    )
    event = ActivityType.objects.create(slug="event", name="Event")
    fund_request = draft_request(alice, allocation, event, "2500.00")
    mdf_services.request_submit(fund_request=fund_request, actor=alice.marketer)
    mdf_services.request_decide(
        fund_request=fund_request, actor=manager, approve=True, note="Good plan"
    )
    asset = make_asset(title="Edge Security Brochure", actor=admin)
    asset_services.download_record(
        partner=alice.partner, version=asset.versions.get(), user=alice.marketer
    )

    # when
    client.force_login(admin)
    response = client.get(reverse("admin:partners_partner_change", args=[alice.partner.pk]))

    # then: the panels, fed by the selectors, hold alice's figures and nothing of bob's
    panels = response.context["panels"]
    assert [
        (str(row["pool"]), row["allocated"], row["committed"], row["available"])
        for row in panels["funds"]
    ] == [("FY27 H1 (EUR)", "10,000.00 EUR", "2,500.00 EUR", "7,500.00 EUR")]
    decision = panels["decisions"][0]
    assert (str(decision["actor"]), decision["subject"], decision["amount"]) == (
        "Carl Channel",
        "Partner summit booth",
        "2,500.00 EUR",
    )
    assert decision["what"].endswith("Awaiting channel manager → Approved")
    assert [(row["asset"], str(row["who"])) for row in panels["downloads"]] == [
        ("Edge Security Brochure", "Alice")
    ]
    page = response.content.decode()
    for heading in ("Funds", "Latest decisions on its requests and claims", "Latest downloads"):
        assert f"<h2>{heading}</h2>" in page
    assert "7,777.00" not in page
    assert f"{alice.marketer.email}" in page  # the people inline shows their addresses

    # finance reads funds and decisions, not the library's downloads
    client.force_login(staff_users["finance_approver"])
    response = client.get(reverse("admin:partners_partner_change", args=[alice.partner.pk]))
    assert set(response.context["panels"]) >= {"funds", "decisions"}
    assert "downloads" not in response.context["panels"]
    assert "Latest downloads" not in response.content.decode()


def test_people_are_named_in_full_wherever_the_admin_shows_them(client, alice, staff_users):
    manager = staff_users["channel_manager"]
    manager.first_name, manager.last_name = "Carlos", "Channel"
    manager.save()
    client.force_login(staff_users["marketing_admin"])

    page = client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert '<td class="field-channel_manager nowrap">Carlos Channel</td>' in page  # column
    assert ">Carlos Channel</a>" in page  # the filter
    assert "carl_channel" not in page

    page = client.get(
        reverse("admin:partners_partner_change", args=[alice.partner.pk])
    ).content.decode()
    assert f'<option value="{manager.pk}" selected>Carlos Channel</option>' in page

    found = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "carlos",
            "app_label": "partners",
            "model_name": "partner",
            "field_name": "channel_manager",
        },
    ).json()
    assert [row["text"] for row in found["results"]] == ["Carlos Channel"]


def test_regions_read_the_same_in_the_list_and_the_filter(client, alice, staff_users):
    emea = Region.objects.create(code="emea", name="Europe, Middle East and Africa")
    alice.partner.regions.add(emea)
    client.force_login(staff_users["marketing_admin"])
    page = client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert '<td class="field-region_list">Europe, Middle East and Africa</td>' in page
    assert ">Europe, Middle East and Africa</a>" in page  # the filter's choice
    assert "EMEA" not in page


def test_api_keys_are_listed_once_on_the_home_page(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    page = client.get(reverse("admin:index")).content.decode()
    assert page.count(">API keys</a>") == 1


def test_role_change_and_removal_in_the_admin_are_audited(client, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    data = change_form_data(alice.partner)
    data.update(
        membership_rows(
            alice.partner,
            changes={alice.marketer.pk: Membership.Role.ADMIN},
            deletes={alice.sales.pk},
        )
    )
    data["decision_reason"] = "Ada runs marketing; Sam left"

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        roles = dict(
            Membership.objects.filter(partner=alice.partner).values_list("user__username", "role")
        )
        entries = list(
            PartnerAuditEntry.objects.filter(partner=alice.partner, field="membership")
            .order_by("id")
            .values_list("actor__username", "old_value", "new_value", "reason")
        )
    assert roles == {"alice_admin": "admin", "alice_marketer": "admin"}
    assert entries == [
        ("maya_marketing", "Alice <alice_sales>: Sales rep", "", "Ada runs marketing; Sam left"),
        (
            "maya_marketing",
            "Alice <alice_marketer>: Marketer",
            "Alice <alice_marketer>: Partner admin",
            "Ada runs marketing; Sam left",
        ),
    ]
    assert "Alice &lt;alice_sales&gt;: Sales rep" in client.get(url).content.decode()


def test_adding_someone_of_another_partner_is_a_field_error(client, alice, bob, staff_users):
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    data = change_form_data(alice.partner)
    data.update(membership_rows(alice.partner, add=(bob.marketer, Membership.Role.MARKETER)))

    response = client.post(url, data)

    assert response.status_code == 200
    assert "This user already belongs to Bob Corp." in response.content.decode()
    with scopes_disabled():
        assert Membership.objects.get(user=bob.marketer).partner == bob.partner


def test_a_new_partner_with_someone_of_another_partner_is_refused_on_the_field(
    client, tiers, bob, staff_users
):
    client.force_login(staff_users["marketing_admin"])
    data = {
        "name": "Zeta Partners",
        "slug": "zeta",
        "partner_type": "msp",
        "status": "applicant",
        "tier": tiers["registered"].pk,
        "decision_reason": "Applied at the summit",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": bob.admin.pk,
        "memberships-0-role": "admin",
        "audit_entries-TOTAL_FORMS": "0",
        "audit_entries-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:partners_partner_add"), data)
    assert response.status_code == 200
    assert "This user already belongs to Bob Corp." in response.content.decode()
    assert not Partner.objects.filter(slug="zeta").exists()


def test_a_persons_last_login_reads_like_every_other_date_of_the_page(client, alice, staff_users):
    from datetime import UTC, datetime

    alice.admin.last_login = datetime(2026, 11, 30, 14, 5, 33, 840389, tzinfo=UTC)
    alice.admin.save(update_fields=["last_login"])
    client.force_login(staff_users["marketing_admin"])

    page = client.get(
        reverse("admin:partners_partner_change", args=[alice.partner.pk])
    ).content.decode()

    assert "2026-11-30 14:05:33" not in page
    assert "Nov. 30, 2026, 2:05 p.m." in page  # settings.TIME_ZONE is UTC


def test_a_partners_page_reads_no_more_with_more_decisions(client, alice, staff_users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mdf import services as mdf_services
    from mdf.models import ActivityType
    from tests.mdf.conftest import draft_request, make_pool

    admin, manager = staff_users["marketing_admin"], staff_users["channel_manager"]
    allocation = mdf_services.allocation_create(
        pool=make_pool(name="FY27 H1"),
        partner=alice.partner,
        amount="50000.00",
        actor=admin,
        reason="H1",
    )
    event = ActivityType.objects.create(slug="event", name="Event")

    def decide_one() -> None:
        fund_request = draft_request(alice, allocation, event, "1000.00")
        mdf_services.request_submit(fund_request=fund_request, actor=alice.marketer)
        mdf_services.request_decide(
            fund_request=fund_request, actor=manager, approve=True, note="Fine"
        )

    client.force_login(admin)
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    decide_one()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        decide_one()
    with CaptureQueriesContext(connection) as six:
        page = client.get(url).content.decode()

    assert page.count("Approved: Awaiting channel manager → Approved") == 6
    assert len(six) == len(one)


def test_staff_give_a_partner_the_specialisations_leads_are_routed_by(client, alice, staff_users):
    # given two specialisations in the list staff keep
    security = Specialisation.objects.create(name="Cloud security", slug="cloud-security")
    Specialisation.objects.create(name="Data centre", slug="data-centre")
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:partners_partner_change", args=[alice.partner.pk])
    # when the channel manager ticks one on the partner's page
    page = client.get(url).content.decode()
    assert "Cloud security" in page and "Data centre" in page
    response = client.post(url, change_form_data(alice.partner, specialisations=[security.pk]))
    # then the partner holds that one only
    assert response.status_code == 302
    assert list(alice.partner.specialisations.all()) == [security]
