"""The staff side of deals and leads in the admin: a registration's page with its
conflicts side by side and its full history, the decisions through the services with
the actor recorded (mark conflicts reviewed, approve with the exclusivity end shown,
reject with a reason, ask for more information), what a read-only role gets, the
extension queue, the filtered list and its CSV, the protected-accounts CSV import
(good file, malformed file: nothing imported, errors by row and column), the leads'
add form and actions, the program's settings, and the desk's counts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deals import services
from deals.models import (
    Deal,
    DealEvent,
    DealExtension,
    DealProgram,
    Lead,
    LeadOffer,
    LeadRoutingEntry,
    ProtectedAccount,
    RoutingRule,
)
from mdf import clock
from partners.models import Partner
from tests.deals.deal_factories import deal_input, register_deal
from tests.deals.lead_factories import lead as make_lead

pytestmark = pytest.mark.django_db
DS = Deal.Status
ROLES = ["marketing_admin", "channel_manager", "analyst"]  # finance has no deals


def register(world, domain: str, **fields):
    return register_deal(world, domain=domain, **fields)


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(deal: Deal) -> str:
    return reverse("admin:deals_deal_change", args=[deal.pk])


def decide_url(deal: Deal, decision: str) -> str:
    return reverse("admin:deals_deal_decide", args=[deal.pk, decision])


def actions(deal: Deal) -> list[tuple[str, object, bool]]:
    with scopes_disabled():
        return list(
            DealEvent.objects.filter(deal=deal)
            .order_by("id")
            .values_list("action", "actor", "shared")
        )


@pytest.fixture
def conflict(alice, bob):
    """bob registers acme.example first; alice's registration of it is in conflict."""
    theirs = register(bob, "acme.example", company="Acme Inc")
    ours = register(alice, "https://www.ACME.example/about", company="ACME")
    return ours, theirs


# --- the registration's page --------------------------------------------------------


def test_the_decision_page_shows_both_sides_of_a_conflict(client, conflict, staff_users):
    ours, theirs = conflict
    client.force_login(staff_users["channel_manager"])

    html = client.get(change_url(ours)).content.decode()

    sides = html[html.index('id="conflicts"') : html.index('id="extensions"')]
    assert "This registration" in sides and "Alice Corp" in sides
    assert "Registered by another partner" in sides and "Bob Corp" in sides
    assert change_url(theirs) in sides  # the other registration, one click away
    assert (
        theirs.submitted_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d")
        in sides
    )
    assert "To review" in sides
    # the full history, the staff-only conflict flag included
    history = html[html.index('id="history"') :]
    assert "Conflict flagged" in history and "staff only" in history
    # its changes read as words, not codes
    assert "→ Under review" in history and "→ Registered by another partner" in history
    assert "submitted" not in history and "other_partner" not in history
    # the list flags both sides
    listing = client.get(reverse("admin:deals_deal_changelist")).content.decode()
    assert listing.count('class="deal-conflict"') == 2
    # and the first registration's page shows the later one beside it
    first = client.get(change_url(theirs)).content.decode()
    sides = first[first.index('id="conflicts"') : first.index('id="extensions"')]
    assert "Alice Corp" in sides and change_url(ours) in sides


def test_a_protected_account_is_shown_as_the_other_side(client, alice, staff_users):
    ProtectedAccount.objects.create(
        domain="globex.example", company="Globex (vendor-owned)", note="Direct sales only"
    )
    deal = register(alice, "globex.example", company="Globex")
    client.force_login(staff_users["analyst"])

    html = client.get(change_url(deal)).content.decode()

    assert "Protected account" in html
    assert "Globex (vendor-owned)" in html and "Direct sales only" in html


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_reads_registrations(client, conflict, staff_users, role):
    ours, _theirs = conflict
    client.force_login(staff_users[role])
    assert client.get(change_url(ours)).status_code == 200
    assert client.get(reverse("admin:deals_deal_changelist")).status_code == 200
    html = client.get(change_url(ours)).content.decode()
    assert 'name="_save"' not in html  # nothing to edit the partner's registration with


def test_finance_approvers_have_no_deals_pages(client, conflict, staff_users):
    ours, _theirs = conflict
    client.force_login(staff_users["finance_approver"])
    assert client.get(change_url(ours)).status_code == 403
    assert client.get(reverse("admin:deals_lead_changelist")).status_code == 403


@pytest.mark.parametrize("role, decides", [("channel_manager", True), ("analyst", False)])
def test_only_a_decider_sees_the_decision_buttons(client, conflict, staff_users, role, decides):
    ours, _theirs = conflict
    client.force_login(staff_users[role])
    html = client.get(change_url(ours)).content.decode()
    assert (decide_url(ours, "clear_conflict") in html) is decides
    assert (decide_url(ours, "reject") in html) is decides
    assert (decide_url(ours, "request_info") in html) is decides
    # approval waits for the conflict to be reviewed
    assert decide_url(ours, "approve") not in html


def test_an_analyst_cannot_decide(client, conflict, staff_users):
    ours, _theirs = conflict
    client.force_login(staff_users["analyst"])
    for decision in ("clear_conflict", "approve", "reject", "request_info"):
        assert client.get(decide_url(ours, decision)).status_code == 403
        data = {"note": "x", "reason": "x", "question": "x"}
        assert client.post(decide_url(ours, decision), data).status_code == 403
    deal = fresh(ours)
    assert deal.status == DS.SUBMITTED and not deal.conflict_cleared


def test_partners_do_not_get_into_the_deal_admin(client, conflict, alice):
    ours, _theirs = conflict
    client.force_login(alice.admin)
    response = client.get(change_url(ours))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- decisions through the services ----------------------------------------------------------


def test_the_channel_manager_reviews_the_conflict_then_approves(client, conflict, staff_users):
    ours, _theirs = conflict
    manager = staff_users["channel_manager"]
    client.force_login(manager)

    # approving first is refused: the conflict is not reviewed
    response = client.post(decide_url(ours, "approve"), {"note": ""})
    assert response.status_code == 200
    assert fresh(ours).status == DS.SUBMITTED

    response = client.post(decide_url(ours, "clear_conflict"), {"note": "Bob's is stale."})
    assert response.status_code == 302
    assert fresh(ours).conflict_cleared

    page = client.get(decide_url(ours, "approve")).content.decode()
    days = DealProgram.current().exclusivity_days
    expected_end = clock.today() + timedelta(days=days)
    assert f'<td id="protected-until">{expected_end:%Y-%m-%d}</td>' in page

    response = client.post(decide_url(ours, "approve"), {"note": "Go get them."})
    assert response.status_code == 302
    deal = fresh(ours)
    assert deal.status == DS.APPROVED
    assert deal.decided_by == manager
    assert deal.expires_on == expected_end
    recorded = actions(ours)
    assert ("conflict_cleared", manager.pk, False) in recorded
    assert any(action == "approved" and actor == manager.pk for action, actor, _ in recorded)
    followed = client.get(change_url(ours)).content.decode()
    assert "Approved" in followed


def test_rejecting_needs_a_reason(client, alice, staff_users):
    deal = register(alice, "initech.example")
    manager = staff_users["channel_manager"]
    client.force_login(manager)

    response = client.post(decide_url(deal, "reject"), {"reason": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert fresh(deal).status == DS.SUBMITTED

    response = client.post(decide_url(deal, "reject"), {"reason": "Not a new opportunity."})
    assert response.status_code == 302
    deal = fresh(deal)
    assert deal.status == DS.REJECTED
    assert deal.decided_by == manager
    assert "Not a new opportunity." in deal.decision_reason


def test_asking_for_more_information_needs_a_question(client, alice, staff_users):
    deal = register(alice, "umbrella.example")
    manager = staff_users["marketing_admin"]
    client.force_login(manager)

    response = client.post(decide_url(deal, "request_info"), {"question": ""})
    assert "This field is required." in response.content.decode()
    assert fresh(deal).status == DS.SUBMITTED

    response = client.post(decide_url(deal, "request_info"), {"question": "Who is the buyer?"})
    assert response.status_code == 302
    assert fresh(deal).status == DS.MORE_INFO
    with scopes_disabled():
        event = DealEvent.objects.filter(deal=deal, action="more_info").get()
    assert event.actor == manager and "Who is the buyer?" in event.detail


def test_a_decided_registration_offers_no_decision(client, alice, staff_users):
    deal = register(alice, "hooli.example")
    manager = staff_users["channel_manager"]
    services.deal_reject(deal=deal, actor=manager, reason="Duplicate")
    client.force_login(manager)
    html = client.get(change_url(deal)).content.decode()
    assert decide_url(deal, "approve") not in html
    page = client.get(decide_url(deal, "approve")).content.decode()
    assert "This registration is decided already." in page
    client.post(decide_url(deal, "approve"), {"note": ""})
    assert fresh(deal).status == DS.REJECTED


# --- the list: filters, search, CSV ------------------------------------------------------------


def test_the_list_filters_by_conflict_and_searches_by_domain(client, conflict, alice, staff_users):
    ours, theirs = conflict
    plain = register(alice, "stark.example", company="Stark Industries")
    client.force_login(staff_users["analyst"])
    url = reverse("admin:deals_deal_changelist")

    flagged = client.get(url, {"conflict": "open"}).context["cl"].result_list
    assert {deal.pk for deal in flagged} == {ours.pk, theirs.pk}
    clean = client.get(url, {"conflict": "none"}).context["cl"].result_list
    assert [deal.pk for deal in clean] == [plain.pk]
    found = client.get(url, {"q": "stark"}).context["cl"].result_list
    assert [deal.pk for deal in found] == [plain.pk]
    by_partner = client.get(url, {"partner__id__exact": alice.partner.pk}).context["cl"]
    assert {deal.pk for deal in by_partner.result_list} == {ours.pk, plain.pk}
    by_tier = client.get(url, {"tier": alice.partner.tier_id}).context["cl"].result_list
    assert theirs.pk not in {deal.pk for deal in by_tier}


def test_the_csv_export_is_the_filtered_list(client, conflict, alice, staff_users):
    ours, _theirs = conflict
    register(alice, "stark.example", company="Stark Industries")
    client.force_login(staff_users["analyst"])

    response = client.get(reverse("admin:deals_deal_export"), {"conflict": "open", "q": "Alice"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["uuid"] for row in rows] == [str(ours.uuid)]
    assert rows[0]["partner"] == "Alice Corp"
    assert rows[0]["conflict"] == "open"
    assert rows[0]["status"] == "submitted"


# --- extension requests ----------------------------------------------------------------------


@pytest.fixture
def extension(alice, staff_users):
    deal = register(alice, "wayne.example")
    services.deal_approve(deal=deal, actor=staff_users["channel_manager"])
    return services.extension_request(deal=fresh(deal), user=alice.sales, reason="Board meets late")


def test_an_extension_is_approved_with_the_programs_days_by_default(client, extension, staff_users):
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    queue = client.get(reverse("admin:deals_dealextension_changelist")).context["cl"]
    assert [item.pk for item in queue.result_list] == [extension.pk]
    url = reverse("admin:deals_dealextension_decide", args=[extension.pk, "approve"])
    form = client.get(url).context["form"]
    assert form.initial["days"] == DealProgram.current().extension_days
    before = fresh(extension.deal).expires_on

    response = client.post(url, {"days": "15"})

    assert response.status_code == 302
    decided = fresh(extension)
    assert decided.status == DealExtension.Status.APPROVED
    assert decided.days == 15 and decided.decided_by == manager
    assert fresh(extension.deal).expires_on == before + timedelta(days=15)
    # the pending queue is empty again
    queue = client.get(reverse("admin:deals_dealextension_changelist")).context["cl"]
    assert list(queue.result_list) == []


def test_an_extension_is_rejected_with_a_reason_only(client, extension, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:deals_dealextension_decide", args=[extension.pk, "reject"])
    assert "This field is required." in client.post(url, {"reason": ""}).content.decode()
    assert fresh(extension).status == DealExtension.Status.PENDING
    assert client.post(url, {"reason": "Already extended once"}).status_code == 302
    assert fresh(extension).status == DealExtension.Status.REJECTED


def test_an_analyst_does_not_decide_extensions(client, extension, staff_users):
    client.force_login(staff_users["analyst"])
    page = client.get(reverse("admin:deals_dealextension_change", args=[extension.pk]))
    assert page.status_code == 200
    url = reverse("admin:deals_dealextension_decide", args=[extension.pk, "approve"])
    assert url not in page.content.decode()
    assert client.post(url, {"days": "10"}).status_code == 403
    assert fresh(extension).status == DealExtension.Status.PENDING


# --- protected accounts: CSV import -----------------------------------------------------------


IMPORT_URL = "admin:deals_protectedaccount_import"


def csv_upload(rows: list[list[str]], header=("domain", "company", "country", "note")):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("accounts.csv", buffer.getvalue().encode(), "text/csv")


def dry_run(client, rows, **kwargs):
    return client.post(
        reverse(IMPORT_URL),
        {"format": "0", "resource": "0", "import_file": csv_upload(rows, **kwargs)},
    )


def test_a_good_file_previews_then_imports_on_confirm(client, staff_users):
    ProtectedAccount.objects.create(domain="globex.example", company="Globex", country="US")
    manager = staff_users["channel_manager"]
    client.force_login(manager)

    response = dry_run(
        client,
        [
            ["https://www.Initech.example/", "Initech", "de", "Key account"],
            ["globex.example", "Globex Corporation", "US", ""],
        ],
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Initech" in page
    assert not ProtectedAccount.objects.filter(domain="initech.example").exists()
    confirm = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }
    response = client.post(reverse("admin:deals_protectedaccount_process_import"), confirm)

    assert response.status_code == 302
    initech = ProtectedAccount.objects.get(domain="initech.example")
    assert (initech.company, initech.country, initech.note) == ("Initech", "DE", "Key account")
    assert initech.added_by == manager
    assert ProtectedAccount.objects.get(domain="globex.example").company == "Globex Corporation"
    assert ProtectedAccount.objects.count() == 2


def test_a_malformed_file_names_row_and_column_and_imports_nothing(client, staff_users):
    client.force_login(staff_users["channel_manager"])

    response = dry_run(
        client,
        [
            ["initech.example", "Initech", "DE", ""],
            ["not a domain", "Broken", "DE", ""],
            ["umbrella.example", "", "GB", ""],
            ["hooli.example", "Hooli", "XX", ""],
            ["www.initech.example", "Initech again", "", ""],
        ],
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="import_file_name"' not in page  # no confirm step
    assert ProtectedAccount.objects.count() == 0
    invalid = response.context["result"].invalid_rows
    errors = {row.number: row.field_specific_errors for row in invalid}
    assert set(errors) == {1, 2, 3, 4, 5}
    assert "domain" in errors[2]
    assert errors[3] == {"company": ["Give the customer's company name."]}
    assert errors[4] == {"country": ["“XX” is not a country code (two letters, e.g. DE, US)."]}
    assert "appears in 2 rows of the file" in errors[1]["domain"][0]
    assert "appears in 2 rows of the file" in errors[5]["domain"][0]
    # the page names each row and its column
    assert "Give the customer&#x27;s company name." in page
    assert '<span class="validation-error-field-label">country</span>' in page


def test_a_file_without_the_domain_column_imports_nothing(client, staff_users):
    client.force_login(staff_users["channel_manager"])
    response = dry_run(client, [["Initech", "DE"]], header=("company", "country"))
    assert response.status_code == 200
    assert 'name="import_file_name"' not in response.content.decode()
    assert ProtectedAccount.objects.count() == 0


def test_an_analyst_does_not_import_and_a_channel_manager_does_not_delete(client, staff_users):
    account = ProtectedAccount.objects.create(domain="globex.example", company="Globex")
    delete_url = reverse("admin:deals_protectedaccount_delete", args=[account.pk])
    client.force_login(staff_users["analyst"])
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    client.force_login(staff_users["channel_manager"])
    assert client.get(delete_url).status_code == 403
    client.force_login(staff_users["marketing_admin"])
    confirm = client.get(delete_url)
    assert "Are you sure" in confirm.content.decode()
    assert ProtectedAccount.objects.filter(pk=account.pk).exists()  # not before confirming
    client.post(delete_url, {"post": "yes"})
    assert not ProtectedAccount.objects.filter(pk=account.pk).exists()


def test_a_protected_account_added_by_hand_reads_its_domain_as_registrations_do(
    client, staff_users
):
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    response = client.post(
        reverse("admin:deals_protectedaccount_add"),
        {"domain": "HTTPS://www.Soylent.example/path", "company": "Soylent", "country": "us"},
    )
    assert response.status_code == 302
    account = ProtectedAccount.objects.get()
    assert (account.domain, account.country, account.added_by) == ("soylent.example", "US", manager)


# --- leads -------------------------------------------------------------------------------------


def lead_url(lead: Lead, action: str | None = None) -> str:
    if action is None:
        return reverse("admin:deals_lead_change", args=[lead.pk])
    return reverse("admin:deals_lead_act", args=[lead.pk, action])


def routing(lead: Lead) -> list[tuple[str, object, object]]:
    return list(
        LeadRoutingEntry.objects.filter(lead=lead)
        .order_by("id")
        .values_list("action", "partner", "actor")
    )


def test_the_add_form_creates_the_lead_through_the_service(client, staff_users):
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    response = client.post(
        reverse("admin:deals_lead_add"),
        {
            "company": "Vandelay Industries",
            "domain": "vandelay.example",
            "country": "US",
            "contact_name": "Art Vandelay",
            "contact_email": "art@vandelay.example",
            "description": "Wants 40 seats",
            "amount": "12000.00",
            "currency": "USD",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == lead_url(lead)
    assert lead.company == "Vandelay Industries" and lead.created_by == manager
    assert routing(lead)[0][0] == LeadRoutingEntry.Action.CREATED


def test_the_add_form_shows_bad_input_at_the_field_and_saves_nothing(client, staff_users):
    client.force_login(staff_users["channel_manager"])
    response = client.post(
        reverse("admin:deals_lead_add"),
        {"company": "Vandelay", "amount": "-5", "currency": "XYZ"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "amount" in form.errors or "currency" in form.errors
    assert not Lead.objects.exists()


def test_offer_to_a_partner_by_hand(client, alice, bob, staff_users):
    lead = make_lead(company="Kramerica")
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    html = client.get(lead_url(lead)).content.decode()
    assert lead_url(lead, "offer") in html and lead_url(lead, "route") in html

    response = client.post(lead_url(lead, "offer"), {"partner": bob.partner.pk})

    assert response.status_code == 302
    lead = fresh(lead)
    assert lead.status == Lead.Status.OFFERED
    with scopes_disabled():
        offer = LeadOffer.objects.get(lead=lead)
    assert offer.partner == bob.partner and offer.status == LeadOffer.Status.PENDING
    assert (LeadRoutingEntry.Action.OFFERED, bob.partner.pk, manager.pk) in routing(lead)
    page = client.get(lead_url(lead)).content.decode()
    current = page[page.index('id="current-offer"') : page.index('id="offers"')]
    assert "Bob Corp" in current
    # bob was offered it once: not a choice any more
    form = client.get(lead_url(lead, "offer")).context["form"]
    assert bob.partner not in form.fields["partner"].queryset


def test_route_by_the_rules_and_withdraw(client, alice, bob, staff_users):
    rule = RoutingRule.objects.create(name="Gold partners", position=1)
    rule.tiers.add(alice.partner.tier)
    lead = make_lead(company="Pendant Publishing")
    manager = staff_users["channel_manager"]
    client.force_login(manager)

    response = client.post(lead_url(lead, "route"))

    assert response.status_code == 302
    with scopes_disabled():
        offer = LeadOffer.objects.get(lead=lead)
    assert offer.partner == alice.partner and offer.rule == rule
    html = client.get(lead_url(lead)).content.decode()
    assert lead_url(lead, "withdraw") in html and lead_url(lead, "route") not in html

    assert "This field is required." in (
        client.post(lead_url(lead, "withdraw"), {"reason": ""}).content.decode()
    )
    assert fresh(lead).status == Lead.Status.OFFERED
    response = client.post(lead_url(lead, "withdraw"), {"reason": "Customer called us"})
    assert response.status_code == 302
    assert fresh(offer).status == LeadOffer.Status.WITHDRAWN
    assert fresh(lead).status in (Lead.Status.NEW, Lead.Status.RETURNED)
    assert routing(lead)[-1][0] == LeadRoutingEntry.Action.WITHDRAWN
    assert routing(lead)[-1][2] == manager.pk


def test_routing_with_no_partner_left_keeps_the_lead_with_staff(client, alice, staff_users):
    lead = make_lead(company="Monks Diner")
    RoutingRule.objects.create(name="Technology only", position=1, partner_types=["technology"])
    client.force_login(staff_users["channel_manager"])
    response = client.post(lead_url(lead, "route"), follow=True)
    assert "back with staff" in response.content.decode()
    assert fresh(lead).status in (Lead.Status.NEW, Lead.Status.RETURNED)
    with scopes_disabled():
        assert not LeadOffer.objects.filter(lead=lead).exists()


def test_an_analyst_reads_leads_but_does_not_act(client, alice, staff_users):
    lead = make_lead(company="Kramerica")
    client.force_login(staff_users["analyst"])
    page = client.get(lead_url(lead))
    assert page.status_code == 200
    assert lead_url(lead, "offer") not in page.content.decode()
    assert client.get(reverse("admin:deals_lead_add")).status_code == 403
    assert client.post(lead_url(lead, "offer"), {"partner": alice.partner.pk}).status_code == 403
    assert client.post(lead_url(lead, "route")).status_code == 403
    assert fresh(lead).status == Lead.Status.NEW


def test_the_with_staff_filter(client, alice, staff_users):
    waiting = make_lead(company="Waiting Co")
    held = make_lead(company="Held Co")
    services.lead_offer_to(lead=held, partner=alice.partner, actor=staff_users["channel_manager"])
    client.force_login(staff_users["analyst"])
    listed = client.get(reverse("admin:deals_lead_changelist"), {"with_staff": "yes"})
    assert [lead.pk for lead in listed.context["cl"].result_list] == [waiting.pk]


# --- program settings ---------------------------------------------------------------------------


def test_the_program_list_opens_its_one_row(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    response = client.get(reverse("admin:deals_dealprogram_changelist"))
    program = DealProgram.current()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:deals_dealprogram_change", args=[program.pk])
    response = client.post(
        response["Location"],
        {"exclusivity_days": "60", "extension_days": "20", "lead_sla_business_days": "3"},
    )
    assert response.status_code == 302
    assert DealProgram.current().exclusivity_days == 60


def test_a_routing_rule_names_partner_types(client, tiers, staff_users):
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:deals_routingrule_add"),
        {
            "name": "MSPs in gold",
            "position": "5",
            "active": "on",
            "partner_types": [Partner.Type.MSP],
            "tiers": [tiers["gold"].pk],
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.partner_types == ["msp"] and list(rule.tiers.all()) == [tiers["gold"]]
    listing = client.get(reverse("admin:deals_routingrule_changelist")).content.decode()
    assert "Managed service provider" in listing


# --- the desk -----------------------------------------------------------------------------------


def desk_card(client, title):
    desk = client.get(reverse("admin:index")).context["desk"]
    return next((card for card in desk["queues"] if card.title == title), None)


def test_the_desk_counts_deals_to_decide_and_leads_with_staff(client, conflict, staff_users):
    make_lead(company="Kramerica")
    client.force_login(staff_users["channel_manager"])
    deals_card = desk_card(client, "Deals to decide")
    assert deals_card is not None and deals_card.count >= 1
    assert deals_card.url.startswith(reverse("admin:deals_deal_changelist"))
    leads_card = desk_card(client, "Leads with staff")
    assert leads_card is not None and leads_card.count == 1
    client.force_login(staff_users["analyst"])
    assert desk_card(client, "Deals to decide") is None
    assert desk_card(client, "Leads with staff") is None


# --- the lists' queries do not grow with their rows --------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_deal_and_lead_lists_queries_do_not_grow_with_rows(client, alice, bob, staff_users):
    client.force_login(staff_users["channel_manager"])
    register(alice, "one.example")
    register(bob, "one.example")
    make_lead(company="Lead one")
    deals_url = reverse("admin:deals_deal_changelist")
    leads_url = reverse("admin:deals_lead_changelist")
    few = count_queries(client, deals_url), count_queries(client, leads_url)

    for number in range(2, 6):
        register(alice, f"more{number}.example")
        register(bob, f"more{number}.example")
        services.lead_offer_to(
            lead=make_lead(company=f"Lead {number}"),
            partner=alice.partner,
            actor=staff_users["channel_manager"],
        )

    assert (count_queries(client, deals_url), count_queries(client, leads_url)) == few


def test_a_converted_lead_and_its_registration_link_to_each_other(client, alice, staff_users):
    lead = make_lead(company="Kramerica")
    offer = services.lead_offer_to(
        lead=lead, partner=alice.partner, actor=staff_users["channel_manager"]
    )
    offer = services.lead_accept(offer=offer, user=alice.sales)
    deal = services.lead_convert(
        offer=offer, user=alice.sales, data=deal_input(company="Kramerica")
    )
    client.force_login(staff_users["analyst"])

    assert lead_url(lead) in client.get(change_url(deal)).content.decode()
    assert change_url(deal) in client.get(lead_url(lead)).content.decode()


def test_route_the_selected_leads_from_the_list(client, alice, staff_users):
    RoutingRule.objects.create(name="Everyone", position=1)
    first, second = make_lead(company="First"), make_lead(company="Second")
    client.force_login(staff_users["channel_manager"])

    response = client.post(
        reverse("admin:deals_lead_changelist"),
        {"action": "route_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "2 lead(s) offered" in response.content.decode()
    assert {fresh(first).status, fresh(second).status} == {Lead.Status.OFFERED}
    client.force_login(staff_users["analyst"])
    listing = client.get(reverse("admin:deals_lead_changelist")).content.decode()
    assert "route_selected" not in listing  # no action for a read-only role


def test_the_first_registration_is_flagged_when_staff_try_to_approve_it(
    client, conflict, staff_users
):
    _ours, theirs = conflict
    client.force_login(staff_users["marketing_admin"])  # bob has no channel manager

    refused = client.post(decide_url(theirs, "approve"), {"note": ""})

    assert "Review the conflicts of this registration before approving it." in (
        refused.content.decode()
    )
    assert fresh(theirs).status == DS.SUBMITTED
    html = client.get(change_url(theirs)).content.decode()
    assert decide_url(theirs, "clear_conflict") in html
    assert client.post(decide_url(theirs, "clear_conflict"), {"note": ""}).status_code == 302
    assert client.post(decide_url(theirs, "approve"), {"note": ""}).status_code == 302
    assert fresh(theirs).status == DS.APPROVED


@pytest.mark.parametrize("role", ["marketing_admin", "channel_manager", "analyst"])
def test_every_deals_page_opens_for_every_deals_role(
    client, conflict, extension, role, tiers, staff_users
):
    RoutingRule.objects.create(name="Everyone", position=1)
    ProtectedAccount.objects.create(domain="globex.example", company="Globex")
    make_lead(company="Kramerica")
    client.force_login(staff_users[role])
    for name in (
        "deal",
        "dealextension",
        "lead",
        "product",
        "protectedaccount",
        "routingrule",
        "tierleadweight",
    ):
        url = reverse(f"admin:deals_{name}_changelist")
        assert client.get(url).status_code == 200, url
        assert client.get(url, {"q": "x"}).status_code == 200, url
    assert client.get(reverse("admin:deals_dealprogram_changelist"), follow=True).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    may_add = role != "analyst"
    for name in ("lead", "protectedaccount"):
        status = client.get(reverse(f"admin:deals_{name}_add")).status_code
        assert status == (200 if may_add else 403), name
