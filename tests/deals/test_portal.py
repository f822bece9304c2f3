"""The partner's side of deal registration and lead distribution in the portal.

Deals: the list (search, status filter, sort, pagination, "expires in N days", the CSV
of the filtered list, the empty state), registering with errors at their fields and
nothing saved, a registration's page with its shared history only, answering a request
for more information, editing while under review, stage, close won/lost, extension.
Leads: offered and accepted, accept, decline with a reason, work, convert in one step.
Every page: another partner's object answers 404; marketers read deals but do not act
and do not see leads; and when a registration conflicts with another partner's, the
partner's pages say "Under review" and nothing else.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deals import services
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    Lead,
    LeadOffer,
    Product,
)
from tests.campaigns.factories import make_kit, make_launch

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
NUMBERS = itertools.count(1)
CONFLICT_WORDS = re.compile(r"conflict|another partner|protected account|bob", re.IGNORECASE)


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def products(db) -> dict[str, Product]:
    return {
        slug: Product.objects.create(name=name, slug=slug)
        for slug, name in (("firewall", "Next-gen firewall"), ("edr", "Endpoint detection"))
    }


def form_data(catalogue: dict[str, Product], **overrides: Any) -> dict[str, Any]:
    data = {
        "company": "Acme Robotics",
        "domain": "https://www.Acme-Robotics.example/contact",
        "country": "DE",
        "products": [catalogue["firewall"].pk],
        "amount": "25000.00",
        "currency": "eur",
        "expected_close_date": (TODAY + timedelta(days=45)).isoformat(),
        "stage": Deal.Stage.QUALIFICATION,
        "launch": "",
        "contact_name": "Rita Buyer",
        "contact_email": "rita@acme-robotics.example",
        "notes": "Replacing their old firewalls.",
    }
    data.update(overrides)
    return data


def register(world, products, **overrides: Any) -> Deal:
    """A registration made through the service, as the portal makes it."""
    values = {
        "company": "Acme Robotics",
        "domain": "acme-robotics.example",
        "country": "DE",
        "products": [products["firewall"].slug],
        "amount": Decimal("25000.00"),
        "currency": "EUR",
        "expected_close_date": TODAY + timedelta(days=45),
        "stage": Deal.Stage.QUALIFICATION,
    }
    values.update(overrides)
    return services.deal_register(
        partner=world.partner, user=world.sales, data=services.DealInput(**values)
    )


def approved(world, products, staff_users, **overrides: Any) -> Deal:
    deal = register(world, products, **overrides)
    with scopes_disabled():
        if DealConflict.objects.filter(deal=deal).exists():
            deal = services.deal_clear_conflict(deal=deal, actor=staff_users["channel_manager"])
    return services.deal_approve(deal=deal, actor=staff_users["channel_manager"])


def make_deal(world, **fields: Any) -> Deal:
    """A row for the read-only pages (list, sort, pagination), written directly."""
    fields.setdefault("company", "Globex")
    fields.setdefault("domain", f"globex-{next(NUMBERS)}.example")
    fields.setdefault("country", "US")
    fields.setdefault("amount", Decimal("1000.00"))
    fields.setdefault("currency", "USD")
    fields.setdefault("expected_close_date", TODAY + timedelta(days=30))
    fields.setdefault("submitted_at", timezone.now())
    with scopes_disabled():
        return Deal.objects.create(partner=world.partner, registered_by=world.sales, **fields)


def page(client, url: str, **params: Any):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response


def text_of(response) -> str:
    return response.content.decode()


def detail(deal: Deal) -> str:
    return reverse("deals:detail", kwargs={"uuid": deal.uuid})


def deal_route(name: str, deal: Deal) -> str:
    return reverse(f"deals:{name}", kwargs={"uuid": deal.uuid})


def count_deals(**filters: Any) -> int:
    with scopes_disabled():
        return Deal.objects.filter(**filters).count()


# --- the list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_leads"), [("admin", True), ("sales", True), ("marketer", False)]
)
def test_navigation_and_dashboard_lead_to_deals(client, alice, role, sees_leads):
    client.force_login(getattr(alice, role))
    home = text_of(page(client, reverse("portal:dashboard")))
    nav = home.split('aria-label="Portal sections"')[1].split("</nav>")[0]
    assert f'href="{reverse("deals:list")}"' in nav
    assert (f'href="{reverse("deals:lead_list")}"' in nav) is sees_leads
    tiles = home.split('id="jobs-heading"')[1]
    assert f'href="{reverse("deals:list")}"' in tiles
    deals_page = text_of(page(client, reverse("deals:list")))
    assert re.search(r'class="nav-link active" href="/portal/deals/"', deals_page)


def test_empty_list_invites_to_register(client, alice):
    client.force_login(alice.sales)
    response = page(client, reverse("deals:list"))
    assert "No deals registered yet" in text_of(response)
    assert reverse("deals:create") in text_of(response)

    client.force_login(alice.marketer)  # reads, does not register
    response = page(client, reverse("deals:list"))
    assert reverse("deals:create") not in text_of(response)


def test_list_shows_own_deals_only_with_status_and_days_left(client, alice, bob):
    make_deal(
        alice,
        company="Initech",
        domain="initech.example",
        status=Deal.Status.APPROVED,
        expires_on=TODAY + timedelta(days=12),
    )
    make_deal(alice, company="Hooli", domain="hooli.example")
    make_deal(bob, company="Bob's Secret Customer", domain="secret.example")
    client.force_login(alice.marketer)
    body = text_of(page(client, reverse("deals:list")))
    assert "Initech" in body and "Hooli" in body
    assert "Bob&#x27;s Secret Customer" not in body and "secret.example" not in body
    assert "expires in 12 days" in body
    assert "Under review" in body  # submitted, in the partner's words


def test_search_filter_sort_and_pages(client, alice):
    for number in range(23):
        make_deal(
            alice,
            company=f"Customer {number:02d}",
            domain=f"customer{number:02d}.example",
            amount=Decimal(number * 100),
        )
    make_deal(alice, company="Umbrella", domain="umbrella.example", status=Deal.Status.WON)
    client.force_login(alice.admin)
    url = reverse("deals:list")

    first = page(client, url)
    assert len(first.context["deals"]) == 20 and first.context["paginator"].count == 24
    assert len(page(client, url, page=2).context["deals"]) == 4

    found = page(client, url, q="UMBRELLA").context["deals"]
    assert [d.company for d in found] == ["Umbrella"]
    assert [d.company for d in page(client, url, q="customer07.exa").context["deals"]] == [
        "Customer 07"
    ]
    won = page(client, url, status="won").context["deals"]
    assert [d.company for d in won] == ["Umbrella"]
    by_amount = page(client, url, sort="amount_desc").context["deals"]
    assert by_amount[0].company == "Customer 22"
    assert page(client, url, sort="amount").context["deals"][0].amount == 0
    # Unknown values are ignored, never a 500.
    assert page(client, url, status="nope", sort="'; drop", page="x").status_code == 200
    assert len(page(client, url, page="99").context["deals"]) == 4  # the last page

    nothing = text_of(page(client, url, q="no such company"))
    assert "No registration matches these filters." in nothing


def test_list_queries_do_not_grow_with_rows(client, alice, django_assert_max_num_queries):
    client.force_login(alice.admin)
    for number in range(3):
        make_deal(alice, domain=f"few{number}.example")
    with django_assert_max_num_queries(30) as few:
        page(client, reverse("deals:list"))
    for number in range(15):
        make_deal(alice, domain=f"many{number}.example")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, reverse("deals:list"))


def test_csv_is_the_filtered_list_of_own_deals(client, alice, bob):
    make_deal(alice, company="=HYPERLINK(1)", domain="formula.example", status=Deal.Status.WON)
    make_deal(alice, company="Hooli", domain="hooli.example")
    make_deal(bob, company="Bob customer", domain="bob-customer.example", status=Deal.Status.WON)
    client.force_login(alice.marketer)
    response = client.get(reverse("deals:export"), {"status": "won"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Registration ID", "Customer company", "Web domain"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)"]  # defused, filtered, own only


# --- registering ------------------------------------------------------------------------------


def test_register_a_deal(client, alice, products):
    launch = make_launch(alice, make_kit(name="Firewall refresh"))
    client.force_login(alice.sales)
    form = page(client, reverse("deals:create")).context["form"]
    assert [p.slug for p in form.fields["products"].queryset] == ["edr", "firewall"]

    response = client.post(reverse("deals:create"), form_data(products, launch=launch.pk))
    with scopes_disabled():
        deal = Deal.objects.get(partner=alice.partner)
    assert response.status_code == 302 and response["Location"] == detail(deal)
    assert deal.domain == "acme-robotics.example" and deal.currency == "EUR"
    assert deal.launch == launch and deal.registered_by == alice.sales
    body = text_of(client.get(detail(deal)))
    assert "Under review" in body and "Acme Robotics" in body and "Next-gen firewall" in body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"expected_close_date": (TODAY - timedelta(days=1)).isoformat()}, "expected_close_date"),
        ({"domain": "not a domain"}, "domain"),
        ({"country": "QQ"}, "country"),
        ({"products": []}, "products"),
        ({"company": ""}, "company"),
        ({"contact_email": "not-an-email"}, "contact_email"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(
    client, alice, products, overrides, field
):
    client.force_login(alice.admin)
    response = client.post(reverse("deals:create"), form_data(products, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert f'id="id_{field}_error"' in text_of(response) or field == "products"
    assert count_deals() == 0


def test_duplicate_registration_and_another_partners_launch_are_refused(
    client, alice, bob, products
):
    register(alice, products)
    bobs_launch = make_launch(bob, make_kit(name="Bob's kit"))
    client.force_login(alice.admin)
    duplicate = client.post(reverse("deals:create"), form_data(products))
    assert duplicate.status_code == 400 and "domain" in duplicate.context["form"].errors

    foreign = client.post(
        reverse("deals:create"),
        form_data(products, domain="other.example", launch=bobs_launch.pk),
    )
    assert foreign.status_code == 400 and list(foreign.context["form"].errors) == ["launch"]
    assert count_deals(partner=alice.partner) == 1


def test_marketers_and_staff_do_not_register(client, alice, staff_users, products):
    client.force_login(alice.marketer)
    assert client.get(reverse("deals:create")).status_code == 403
    assert client.post(reverse("deals:create"), form_data(products)).status_code == 403
    client.force_login(staff_users["channel_manager"])
    response = client.get(reverse("deals:list"))
    assert "portal/staff_notice.html" in [t.name for t in response.templates]
    assert count_deals() == 0


# --- one registration -----------------------------------------------------------------------------


def test_another_partners_deal_is_not_found(client, alice, bob, products):
    deal = register(bob, products)
    client.force_login(alice.admin)
    for name in ("detail", "edit", "answer", "stage", "extension", "close_won", "close_lost"):
        assert client.get(deal_route(name, deal)).status_code == 404, name
        if name != "detail":
            assert client.post(deal_route(name, deal), {}).status_code == 404, name
    assert client.get("/portal/deals/not-a-uuid/").status_code == 404


def test_conflicts_never_show_on_the_partners_pages(client, alice, bob, products):
    """Bob registered the customer first: alice's registration is flagged to staff, and
    everything alice reads says "Under review" like any other registration."""
    register(bob, products, company="Acme Robotics (Bob)")
    deal = register(alice, products)
    with scopes_disabled():
        assert DealConflict.objects.filter(deal=deal).exists()
        assert DealEvent.objects.filter(deal=deal, shared=False).exists()
    plain = register(alice, products, company="Plain Co", domain="plain.example")
    client.force_login(alice.sales)

    conflicted, unflagged = (text_of(page(client, detail(d))) for d in (deal, plain))
    for body in (
        conflicted,
        text_of(page(client, reverse("deals:list"))),
        text_of(page(client, reverse("deals:list"), status="submitted")),
        b"".join(client.get(reverse("deals:export")).streaming_content).decode(),
    ):
        assert not CONFLICT_WORDS.search(body), CONFLICT_WORDS.search(body)
    assert "Under review" in conflicted
    # The same words and the same history as a registration without a conflict.
    assert (
        page(client, detail(deal)).context["history"][0]["label"]
        == (page(client, detail(plain)).context["history"][0]["label"])
    )
    assert len(page(client, detail(deal)).context["history"]) == len(
        page(client, detail(plain)).context["history"]
    )
    assert "Plain Co" in unflagged


def test_history_shows_shared_events_only(client, alice, products, staff_users):
    deal = register(alice, products)
    with scopes_disabled():
        DealEvent.objects.create(
            deal=deal,
            partner=alice.partner,
            actor=staff_users["channel_manager"],
            at=timezone.now(),
            action=DealEvent.Action.CHANGED,
            detail="Staff-only note about pricing",
            shared=False,
        )
    client.force_login(alice.admin)
    body = text_of(page(client, detail(deal)))
    assert "Staff-only note about pricing" not in body
    assert "Registered" in body


def test_more_information_is_answered_and_back_under_review(client, alice, products, staff_users):
    deal = register(alice, products)
    services.deal_request_info(
        deal=deal, actor=staff_users["channel_manager"], question="Which sites are in scope?"
    )
    client.force_login(alice.sales)
    body = text_of(page(client, detail(deal)))
    assert "Which sites are in scope?" in body and "Vendor: Carl" in body

    empty = client.post(deal_route("answer", deal), {"notes": ""})
    assert empty.status_code == 400 and list(empty.context["form"].errors) == ["notes"]

    response = client.post(deal_route("answer", deal), {"notes": "All three plants."})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == Deal.Status.SUBMITTED
    assert "All three plants." in text_of(page(client, detail(deal)))


def test_edit_while_under_review_only(client, alice, products, staff_users):
    deal = register(alice, products)
    client.force_login(alice.admin)
    form = page(client, deal_route("edit", deal)).context["form"]
    assert form.initial["company"] == "Acme Robotics"

    bad = client.post(deal_route("edit", deal), form_data(products, amount="-1"))
    assert bad.status_code == 400 and "amount" in bad.context["form"].errors
    response = client.post(deal_route("edit", deal), form_data(products, amount="30000"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("30000.00")

    services.deal_approve(deal=deal, actor=staff_users["channel_manager"])
    assert "no longer be changed" in text_of(page(client, deal_route("edit", deal)))
    refused = client.post(deal_route("edit", deal), form_data(products, amount="1"))
    assert refused.status_code == 400
    deal.refresh_from_db()
    assert deal.amount == Decimal("30000.00")


def test_stage_extension_and_close_won(client, alice, products, staff_users):
    deal = approved(alice, products, staff_users)
    client.force_login(alice.sales)
    body = text_of(page(client, detail(deal)))
    assert "Approved" in body and "protected for you until" in body
    assert re.search(r"It expires in \d+ days", body)

    assert client.post(deal_route("stage", deal), {"stage": "proposal"}).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Deal.Stage.PROPOSAL
    assert client.post(deal_route("stage", deal), {"stage": "nope"}).status_code == 400

    assert client.post(deal_route("extension", deal), {"reason": ""}).status_code == 400
    response = client.post(deal_route("extension", deal), {"reason": "Board meets next month."})
    assert response.status_code == 302
    with scopes_disabled():
        assert DealExtension.objects.get(deal=deal).status == DealExtension.Status.PENDING
    again = client.post(deal_route("extension", deal), {"reason": "Again"})
    assert again.status_code == 400  # one pending request at a time, said on the page
    assert "waiting for a decision" in text_of(page(client, detail(deal)))

    confirm = page(client, deal_route("close_won", deal))
    assert "cannot be reopened" in text_of(confirm)
    assert confirm.context["form"].initial["amount"] == deal.amount
    negative = client.post(deal_route("close_won", deal), {"amount": "-3"})
    assert negative.status_code == 400 and "amount" in negative.context["form"].errors
    assert client.post(deal_route("close_won", deal), {"amount": "24000"}).status_code == 302
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.won_amount == Decimal("24000.00")

    # Closed: a second close is refused with the reason, nothing changes.
    lost = client.post(deal_route("close_lost", deal), {"reason": "Budget cut"})
    assert lost.status_code == 400 and lost.context["form"].non_field_errors()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON


def test_close_lost_needs_a_reason(client, alice, products, staff_users):
    deal = approved(alice, products, staff_users)
    client.force_login(alice.admin)
    empty = client.post(deal_route("close_lost", deal), {"reason": ""})
    assert empty.status_code == 400 and list(empty.context["form"].errors) == ["reason"]
    assert client.post(deal_route("close_lost", deal), {"reason": "Budget cut"}).status_code == 302
    deal.refresh_from_db()
    assert deal.status == Deal.Status.LOST and deal.lost_reason == "Budget cut"


def test_marketers_read_a_deal_but_do_not_act(client, alice, products, staff_users):
    deal = approved(alice, products, staff_users)
    client.force_login(alice.marketer)
    body = text_of(page(client, detail(deal)))
    assert deal_route("close_won", deal) not in body
    for name, data in (("stage", {"stage": "proposal"}), ("close_won", {"amount": "1"})):
        assert client.post(deal_route(name, deal), data).status_code == 403
    deal.refresh_from_db()
    assert deal.status == Deal.Status.APPROVED


# --- leads ---------------------------------------------------------------------------------


def offer_lead(world, actor, **fields: Any) -> LeadOffer:
    fields.setdefault("company", "Wayne Logistics")
    fields.setdefault("domain", "wayne-logistics.example")
    fields.setdefault("country", "US")
    fields.setdefault("contact_name", "Lucius Fox")
    fields.setdefault("contact_email", "lucius@wayne-logistics.example")
    fields.setdefault("contact_phone", "+1 555 0199")
    fields.setdefault("description", "Wants EDR for 400 laptops.")
    fields.setdefault("amount", Decimal("40000.00"))
    fields.setdefault("currency", "USD")
    lead = Lead.objects.create(created_at=timezone.now(), created_by=actor, **fields)
    return services.lead_offer_to(lead=lead, partner=world.partner, actor=actor)


def lead_route(name: str, offer: LeadOffer) -> str:
    return reverse(f"deals:{name}", kwargs={"uuid": offer.uuid})


def test_leads_list_shows_answer_by_and_time_left(client, alice, bob, staff_users):
    offer = offer_lead(alice, staff_users["marketing_admin"])
    offer_lead(bob, staff_users["marketing_admin"], company="Bob's lead", domain="bl.example")
    client.force_login(alice.sales)
    response = page(client, reverse("deals:lead_list"))
    body = text_of(response)
    assert "Wayne Logistics" in body and "Bob&#x27;s lead" not in body
    assert "1 lead is waiting for your answer." in body
    assert re.search(r"\d+ days?, \d+ h left|\d+ hours? left", body)
    assert [o.uuid for o in response.context["offers"]] == [offer.uuid]
    # Contact details wait for the answer.
    detail_body = text_of(page(client, lead_route("lead_detail", offer)))
    assert "Answer by" in detail_body
    assert "lucius@wayne-logistics.example" not in detail_body


def test_leads_list_queries_do_not_grow_with_rows(
    client, alice, staff_users, django_assert_max_num_queries
):
    client.force_login(alice.sales)
    for number in range(2):
        offer_lead(alice, staff_users["marketing_admin"], company=f"Few {number}")
    with django_assert_max_num_queries(30) as few:
        page(client, reverse("deals:lead_list"))
    for number in range(10):
        offer_lead(alice, staff_users["marketing_admin"], company=f"Many {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(page(client, reverse("deals:lead_list")).context["offers"]) == 12


def test_no_leads_yet(client, alice):
    client.force_login(alice.admin)
    assert "No leads right now" in text_of(page(client, reverse("deals:lead_list")))


def test_marketers_do_not_see_leads(client, alice, staff_users):
    offer = offer_lead(alice, staff_users["marketing_admin"])
    client.force_login(alice.marketer)
    assert client.get(reverse("deals:lead_list")).status_code == 403
    assert client.get(lead_route("lead_detail", offer)).status_code == 403
    assert client.post(lead_route("lead_accept", offer)).status_code == 403
    assert reverse("deals:lead_list") not in text_of(page(client, reverse("deals:list")))


def test_another_partners_offer_is_not_found(client, alice, bob, staff_users):
    offer = offer_lead(bob, staff_users["marketing_admin"])
    client.force_login(alice.admin)
    for name in ("lead_detail", "lead_decline", "lead_work", "lead_convert"):
        assert client.get(lead_route(name, offer)).status_code == 404, name
    for name in ("lead_accept", "lead_decline", "lead_work", "lead_convert"):
        assert client.post(lead_route(name, offer), {}).status_code == 404, name
    offer.refresh_from_db()
    assert offer.status == LeadOffer.Status.PENDING


def test_accept_work_and_convert_a_lead(client, alice, products, staff_users):
    offer = offer_lead(alice, staff_users["marketing_admin"])
    client.force_login(alice.sales)
    assert client.post(lead_route("lead_accept", offer)).status_code == 302
    offer.refresh_from_db()
    assert offer.status == LeadOffer.Status.ACCEPTED
    body = text_of(page(client, lead_route("lead_detail", offer)))
    assert "lucius@wayne-logistics.example" in body

    bad = client.post(
        lead_route("lead_work", offer), {"work_status": "sideways", "next_step_due": "x"}
    )
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"work_status", "next_step_due"}
    response = client.post(
        lead_route("lead_work", offer),
        {"work_status": "contacted", "next_step": "Demo", "next_step_due": ""},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.work_status == LeadOffer.WorkStatus.CONTACTED and offer.next_step == "Demo"

    form = page(client, lead_route("lead_convert", offer)).context["form"]
    assert form.initial["company"] == "Wayne Logistics"
    assert form.initial["domain"] == "wayne-logistics.example"
    assert form.initial["amount"] == Decimal("40000.00")

    refused = client.post(lead_route("lead_convert", offer), form_data(products, amount="-1"))
    assert refused.status_code == 400 and "amount" in refused.context["form"].errors
    assert count_deals() == 0
    data = form_data(products, company="Wayne Logistics", domain="wayne-logistics.example")
    response = client.post(lead_route("lead_convert", offer), data)
    with scopes_disabled():
        deal = Deal.objects.get(partner=alice.partner)
    assert response.status_code == 302 and response["Location"] == detail(deal)
    offer.refresh_from_db()
    assert offer.deal == deal
    assert "Registered as a deal" in text_of(page(client, lead_route("lead_detail", offer)))


def test_decline_needs_a_reason_and_the_lead_is_gone(client, alice, staff_users):
    offer = offer_lead(alice, staff_users["marketing_admin"])
    client.force_login(alice.admin)
    confirm = text_of(page(client, lead_route("lead_decline", offer)))
    assert "will not be offered to you again" in confirm

    empty = client.post(lead_route("lead_decline", offer), {"reason": "", "note": "x"})
    assert empty.status_code == 400 and list(empty.context["form"].errors) == ["reason"]
    offer.refresh_from_db()
    assert offer.status == LeadOffer.Status.PENDING

    response = client.post(
        lead_route("lead_decline", offer), {"reason": "no_capacity", "note": "Busy season"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("deals:lead_list")
    offer.refresh_from_db()
    assert offer.status == LeadOffer.Status.DECLINED and offer.decline_note == "Busy season"
    body = text_of(page(client, lead_route("lead_detail", offer)))
    assert "This lead is no longer offered to you." in body
    assert "lucius@wayne-logistics.example" not in body and "Lucius Fox" not in body

    late = client.post(lead_route("lead_accept", offer), follow=True)
    assert "This lead is no longer offered to you." in text_of(late)
    offer.refresh_from_db()
    assert offer.status == LeadOffer.Status.DECLINED
