"""An API key acts as itself: whatever its role allows, recorded in every trail as the
key ("API key ‘CRM sync’, created by …"), never as whoever created it. Each key has a
user of its own that cannot log in and is not one of the partner's people."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from mdf import services
from mdf.models import FundRequest, LedgerEntry, MDFEvent
from partners.models import Membership, PartnerAPIKey
from partners.selectors import partner_admin_emails, partner_people
from partners.services import api_key_create
from tests.conftest import key_client
from tests.mdf.conftest import make_pool

REQUESTS = "/api/v1/mdf/requests/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def command_line_key(slug: str, name: str, *role: str) -> tuple[str, PartnerAPIKey]:
    """`manage.py create_api_key --partner SLUG --name NAME [--role ROLE]`, as the README
    tells an integrator; the raw key is what the command prints on stdout."""
    out = io.StringIO()
    call_command(
        "create_api_key", "--partner", slug, "--name", name, *role, stdout=out, stderr=io.StringIO()
    )
    raw = out.getvalue().strip()
    with scopes_disabled():
        return raw, PartnerAPIKey.objects.select_related("user").get(prefix=raw.partition(".")[0])


@pytest.fixture
def funds(alice, staff_users):
    from mdf.models import ActivityType

    allocation = services.allocation_create(
        pool=make_pool(),
        partner=alice.partner,
        amount="10000.00",
        actor=staff_users["marketing_admin"],
        reason="H1",
    )
    activity = ActivityType.objects.create(slug="webinar", name="Webinar")
    return allocation, activity


def request_body(allocation, activity, **extra) -> dict:
    start = timezone.localdate() + timedelta(days=20)
    return {
        "allocation": str(allocation.uuid),
        "activity_type": activity.slug,
        "title": "CRM-synced webinar",
        "description": "Booked from the CRM",
        "activity_start": start.isoformat(),
        "activity_end": start.isoformat(),
        "requested_amount": "1500.00",
        **extra,
    }


@pytest.mark.django_db
def test_a_command_line_key_drafts_and_submits_a_request_and_the_trail_names_the_key(alice, funds):
    # given a key made at the command line, as the README says
    allocation, activity = funds
    raw, key = command_line_key("alice", "CRM sync")
    client = key_client(raw)

    # when it drafts a fund request and submits it through the API
    created = client.post(REQUESTS, request_body(allocation, activity), format="json")
    assert created.status_code == 201, created.content
    submitted = client.post(f"{REQUESTS}{created.json()['id']}/submit/")
    assert submitted.status_code == 200, submitted.content

    # then every trail names the key, whose name says who made it
    label = "API key ‘CRM sync’, created by the operator (command line)"
    with scopes_disabled():
        fund_request = FundRequest.objects.get(uuid=created.json()["id"])
        assert fund_request.created_by == key.user
        assert fund_request.submitted_by == key.user
        assert fund_request.created_by.get_full_name() == label
        actors = set(MDFEvent.objects.filter(request=fund_request).values_list("actor", flat=True))
        assert actors == {key.user.pk}
        ledger = LedgerEntry.objects.filter(allocation=allocation).exclude(kind="allocate")
        assert set(ledger.values_list("actor", flat=True)) <= {key.user.pk}
    assert submitted.json()["on_behalf"] is False  # a partner key is the partner itself


@pytest.mark.django_db
def test_a_key_made_in_the_portal_acts_as_itself_not_as_its_creator(alice, funds):
    allocation, activity = funds
    created = api_key_create(name="Marketo", partner=alice.partner, created_by=alice.admin)
    response = key_client(created.raw_key).post(
        REQUESTS, request_body(allocation, activity), format="json"
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        author = FundRequest.objects.get(uuid=response.json()["id"]).created_by
    assert author != alice.admin
    assert author == created.api_key.user
    assert author.get_full_name() == (
        f"API key ‘Marketo’, created by {alice.admin.get_full_name()}"
    )


@pytest.mark.django_db
def test_a_key_can_do_only_what_its_role_can(alice, funds):
    allocation, activity = funds
    partner_url = f"/api/v1/partners/{alice.partner.uuid}/"
    outcomes = {}
    for role in ("admin", "marketer", "sales"):
        raw, _key = command_line_key("alice", f"{role} sync", "--role", role)
        client = key_client(raw)
        outcomes[role] = (
            client.get(REQUESTS).status_code,
            client.post(REQUESTS, request_body(allocation, activity), format="json").status_code,
            client.patch(partner_url, {"display_name": role}, format="json").status_code,
            client.get("/api/v1/me/").json()["role"],
        )
    assert outcomes == {
        "admin": (200, 201, 200, "admin"),
        "marketer": (200, 201, 403, "marketer"),
        "sales": (200, 403, 403, "sales"),
    }


@pytest.mark.django_db
def test_the_command_line_refuses_a_role_it_does_not_know_or_a_role_for_a_staff_key(alice):
    with pytest.raises(CommandError):
        command_line_key("alice", "x", "--role", "owner")
    with pytest.raises(CommandError, match="no --role"):
        call_command(
            "create_api_key", "--staff", "--name", "x", "--role", "admin", stdout=io.StringIO()
        )


@pytest.mark.django_db
def test_a_staff_key_is_recorded_as_itself_on_the_partners_behalf(alice, funds, staff_users):
    allocation, activity = funds
    created = api_key_create(
        name="Salesforce", partner=None, created_by=staff_users["marketing_admin"]
    )
    body = request_body(allocation, activity, partner=str(alice.partner.uuid))
    response = key_client(created.raw_key).post(REQUESTS, body, format="json")
    assert response.status_code == 201, response.content
    with scopes_disabled():
        fund_request = FundRequest.objects.get(uuid=response.json()["id"])
        assert fund_request.created_by == created.api_key.user
        assert list(
            MDFEvent.objects.filter(request=fund_request).values_list("action", flat=True)
        ) == ["created_on_behalf"]
    assert created.api_key.user.get_full_name().startswith("API key ‘Salesforce’, created by ")


@pytest.mark.django_db
def test_the_keys_user_cannot_log_in_anywhere_and_is_nobodys_colleague(alice, staff_users):
    partner_key = api_key_create(name="CRM", partner=alice.partner, created_by=alice.admin)
    staff_key = api_key_create(name="ERP", partner=None, created_by=staff_users["marketing_admin"])
    for created in (partner_key, staff_key):
        user = User.objects.get(pk=created.api_key.user.pk)
        assert not user.has_usable_password()
        assert not user.is_active
        # even if someone gave it a password in the admin, it could not log in
        user.set_password("a password someone set")
        user.save()
        login = RequestFactory().post("/portal/login/")
        assert (
            authenticate(login, username=user.username, password="a password someone set") is None
        )
        for login_url in ("/portal/login/", "/admin/login/"):
            client = APIClient()
            page = client.post(
                login_url, {"username": user.username, "password": "a password someone set"}
            )
            assert "_auth_user_id" not in client.session, login_url
            assert page.status_code in (200, 403), login_url
    # a member of alice's company by role, but not one of its people
    with scopes_disabled():
        assert Membership.objects.get(user=partner_key.api_key.user).role == "admin"
    people = [m.user.username for m in partner_people(partner=alice.partner)]
    assert people == ["alice_admin", "alice_marketer", "alice_sales"]
    assert partner_key.api_key.user.email == ""
    assert partner_key.api_key.user.email not in partner_admin_emails(partner=alice.partner)
    # nor a staff member to assign partners to
    from partners.models import Partner

    field = Partner._meta.get_field("channel_manager")
    choices = field.get_limit_choices_to()
    assert not User.objects.filter(pk=staff_key.api_key.user.pk, **choices).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_every_existing_key_its_own_user(tiers, staff_users):
    # given the schema before keys had users, with a partner key and a staff key
    executor = MigrationExecutor(connection)
    before = [("partners", "0003_idempotency_record")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldPartner = old.get_model("partners", "Partner")
    OldKey = old.get_model("partners", "PartnerAPIKey")
    partner = OldPartner.objects.create(
        name="Legacy Co", slug="legacy", tier_id=tiers["gold"].pk, partner_type="reseller"
    )
    creator = staff_users["marketing_admin"]
    for prefix, owner in (("legacyp1", partner.pk), ("legacys1", None)):
        OldKey.objects.create(
            id=f"{prefix}.x",
            prefix=prefix,
            hashed_key="x",
            name=f"old {prefix}",
            partner_id=owner,
            created_by_id=creator.pk,
        )

    # when the migrations run
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then each key has its user, named after it, with the partner admin role (what a
    # key could do before) or staff status
    with scopes_disabled():
        partner_key = PartnerAPIKey.objects.select_related("user").get(prefix="legacyp1")
        staff_key = PartnerAPIKey.objects.select_related("user").get(prefix="legacys1")
        membership = Membership.objects.get(user=partner_key.user)
    assert (membership.partner.slug, membership.role) == ("legacy", "admin")
    assert partner_key.user.get_full_name() == (
        f"API key ‘old legacyp1’, created by {creator.get_full_name()}"
    )
    assert staff_key.user.is_staff and not staff_key.user.is_active
    assert not partner_key.user.has_usable_password()


@pytest.mark.django_db
def test_a_partner_admin_chooses_the_keys_role_in_the_portal(client, alice):
    client.force_login(alice.admin)
    response = client.post("/portal/api-keys/", {"name": "Read-only BI", "role": "sales"})
    assert response.status_code == 201, response.content[:500]
    with scopes_disabled():
        key = PartnerAPIKey.objects.select_related("user__membership").get(name="Read-only BI")
    assert key.user.membership.role == "sales"
    page = client.get("/portal/api-keys/").content.decode()
    assert "Read-only BI" in page and "Sales rep" in page
