"""Lead services: receive (idempotent), offer by hand, accept (into the results stream),
decline, withdraw, work; bad input with nothing half-saved; who may act; the emails;
what a partner may read (selectors).

Alice's and bob's companies compete: whatever happens to a lead, bob learns nothing of
alice (and the other way round).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from analytics.models import DailyMetric, EventKind, ResultEvent
from deals.models import Deal, Lead, LeadOffer, LeadRoutingEntry
from deals.selectors import leads_with_staff, offer_for_partner, offers_for_partner
from deals.services import (
    LeadInput,
    lead_accept,
    lead_convert,
    lead_create,
    lead_decline,
    lead_offer_to,
    lead_route,
    lead_withdraw,
    lead_work,
    leads_reroute_overdue,
)
from partners.models import Partner
from tests.deals import lead_factories as f
from tests.deals.deal_factories import deal_input

pytestmark = pytest.mark.django_db

NO_LONGER = "This lead is no longer offered to you."
A = LeadRoutingEntry.Action


@pytest.fixture
def emea(db):
    return f.region("emea")


@pytest.fixture
def world(alice, bob, emea, staff_users):
    """Alice's and bob's companies both cover EMEA; one rule routes every lead."""
    alice.partner.regions.set([emea])
    bob.partner.regions.set([emea])
    f.rule("Everything")
    return staff_users["marketing_admin"]


def field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- receiving leads ----------------------------------------------------------------------


def test_a_lead_is_received_with_staff_and_its_history_starts(staff_users, emea):
    lead, created = lead_create(
        data=LeadInput(
            company=" Initech ",
            domain="https://www.Initech.example/contact",
            country="de",
            region="EMEA",
            amount="12000.50",
            currency="eur",
        ),
        actor=staff_users["marketing_admin"],
    )
    assert created
    assert (lead.company, lead.domain, lead.country) == ("Initech", "initech.example", "DE")
    assert (lead.region, lead.amount, lead.currency) == (emea, Decimal("12000.50"), "EUR")
    assert lead.status == Lead.Status.NEW
    assert f.history(lead) == [(A.CREATED, None)]


def test_a_resent_external_id_is_the_same_lead(staff_users):
    first, created = lead_create(
        data=LeadInput(company="Initech"),
        external_id="crm-42",
        actor=staff_users["marketing_admin"],
    )
    again, created_again = lead_create(
        data=LeadInput(company="Initech (resent, other values)"), external_id="crm-42"
    )
    assert created and not created_again
    assert again.pk == first.pk and again.company == "Initech"
    assert Lead.objects.count() == 1
    assert LeadRoutingEntry.objects.filter(lead=first).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"amount": "100", "currency": "EURO"}, "currency", "ISO 4217"),
        ({"amount": "100", "currency": "XYZ"}, "currency", "ISO 4217"),
        ({"amount": "-1", "currency": "EUR"}, "amount", "cannot be negative"),
        ({"amount": "12.345", "currency": "EUR"}, "amount", "two decimals"),
        ({"amount": 12.5, "currency": "EUR"}, "amount", "amount like"),
        ({"amount": "100"}, "currency", "currency of the amount"),
        ({"currency": "EUR"}, "amount", "amount in this currency"),
        ({"company": "  "}, "company", "required"),
        ({"country": "Germany"}, "country", "ISO 3166"),
        ({"domain": "not a domain"}, "domain", "web domain"),
        ({"region": "atlantis"}, "region", "Unknown region"),
        ({"specialisation": "alchemy"}, "specialisation", "Unknown specialisation"),
        ({"contact_email": "peter@"}, "contact_email", "valid email"),
    ],
)
def test_bad_lead_input_is_refused_at_its_field_and_nothing_is_stored(
    staff_users, fields, field, words
):
    data = LeadInput(**{"company": "Initech", **fields})
    with pytest.raises(ValidationError) as exc:
        lead_create(data=data, actor=staff_users["marketing_admin"], external_id="crm-1")
    assert words in " ".join(field_errors(exc)[field])
    assert not Lead.objects.exists() and not LeadRoutingEntry.objects.exists()


def test_every_bad_field_is_named_at_once(staff_users):
    with pytest.raises(ValidationError) as exc:
        lead_create(
            data=LeadInput(company="", amount="-5", currency="EURO", country="XX"),
            actor=staff_users["marketing_admin"],
        )
    assert set(field_errors(exc)) == {"company", "amount", "currency", "country"}


def test_a_partner_user_cannot_create_a_lead(alice):
    with pytest.raises(PermissionDenied):
        lead_create(data=LeadInput(company="Initech"), actor=alice.admin)
    assert not Lead.objects.exists()


# --- offering by hand -----------------------------------------------------------------------


def test_staff_offer_a_lead_by_hand_with_an_answer_time(
    world, alice, django_capture_on_commit_callbacks
):
    lead = f.lead()
    with django_capture_on_commit_callbacks(execute=True):
        offer = lead_offer_to(lead=lead, partner=alice.partner, actor=world)
    lead = f.fresh(lead)
    assert (lead.status, lead.current_offer_id) == (Lead.Status.OFFERED, offer.pk)
    assert offer.status == LeadOffer.Status.PENDING and offer.rule is None
    assert offer.due_at > offer.offered_at
    assert f.history(lead) == [(A.CREATED, None), (A.OFFERED, "alice")]
    entry = LeadRoutingEntry.objects.get(lead=lead, action=A.OFFERED)
    assert entry.actor == world and entry.detail == "By hand."
    # the offer is announced to the partner's admins and sales reps, not its marketers
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([alice.admin.email, alice.sales.email])
    assert "Initech" in mail.outbox[0].subject


def test_offer_by_hand_refusals(world, alice, bob, tiers):
    lead = f.lead()
    dormant = f.lead_partner("dormant", tiers["gold"], status=Partner.Status.SUSPENDED)
    with pytest.raises(ValidationError) as exc:
        lead_offer_to(lead=lead, partner=dormant.partner, actor=world)
    assert "active partner" in field_errors(exc)["partner"][0]
    with pytest.raises(PermissionDenied):
        lead_offer_to(lead=lead, partner=alice.partner, actor=alice.admin)
    offer = lead_offer_to(lead=lead, partner=alice.partner, actor=world)
    # the lead is with alice: it cannot be offered to bob as well
    with pytest.raises(ValidationError) as exc:
        lead_offer_to(lead=lead, partner=bob.partner, actor=world)
    assert "already with a partner" in field_errors(exc)["status"][0]
    # alice declines: the rules offer it to bob; staff take it back; alice never again
    lead_decline(offer=offer, user=alice.sales, reason=LeadOffer.DeclineReason.NO_CAPACITY)
    lead_withdraw(lead=lead, actor=world, reason="Our own team takes it")
    with pytest.raises(ValidationError) as exc:
        lead_offer_to(lead=lead, partner=alice.partner, actor=world)
    assert "already been offered this lead" in field_errors(exc)["partner"][0]
    assert [o.partner.slug for o in f.offers_of(lead)] == ["alice", "bob"]


# --- accepting ------------------------------------------------------------------------------


def test_accepting_enters_the_results_stream_and_the_dashboard_figures(
    world, alice, django_capture_on_commit_callbacks
):
    lead = f.lead()
    offer = lead_route(lead=lead)
    assert offer is not None and offer.partner == alice.partner  # lowest id on a tie

    with django_capture_on_commit_callbacks(execute=True):
        accepted = lead_accept(offer=offer, user=alice.sales)

    assert accepted.status == LeadOffer.Status.ACCEPTED
    assert (accepted.responded_by, f.fresh(lead).status) == (alice.sales, Lead.Status.ACCEPTED)
    with scopes_disabled():
        event = ResultEvent.objects.get(source="deals")
        metric = DailyMetric.objects.get(partner=alice.partner, currency="")
    assert event.external_id == f"lead:{offer.uuid}"
    assert (event.kind, event.partner_id, event.company) == (
        EventKind.LEAD,
        alice.partner.pk,
        "Initech",
    )
    assert event.day == timezone.localdate()
    assert metric.leads == 1  # rolled up after commit
    assert f.history(lead)[-1] == (A.ACCEPTED, "alice")


def test_only_the_partners_admins_and_sales_reps_answer_its_leads(world, alice, bob, staff_users):
    offer = lead_route(lead=f.lead())
    assert offer is not None and offer.partner == alice.partner
    for user in (alice.marketer, bob.admin, bob.sales, staff_users["marketing_admin"]):
        with pytest.raises(PermissionDenied):
            lead_accept(offer=offer, user=user)
        with pytest.raises(PermissionDenied):
            lead_decline(offer=offer, user=user, reason=LeadOffer.DeclineReason.NOT_A_FIT)
    assert f.fresh_offer(offer).status == LeadOffer.Status.PENDING
    assert lead_accept(offer=offer, user=alice.admin).status == LeadOffer.Status.ACCEPTED


def test_accepting_twice_says_so(world, alice):
    offer = lead_route(lead=f.lead())
    lead_accept(offer=offer, user=alice.sales)
    with pytest.raises(ValidationError) as exc:
        lead_accept(offer=offer, user=alice.admin)
    assert field_errors(exc)["status"] == ["You have already accepted this lead."]
    with scopes_disabled():
        assert ResultEvent.objects.filter(source="deals").count() == 1


def test_a_lead_rerouted_away_cannot_be_accepted_and_the_words_never_say_where_it_went(
    world, alice, bob
):
    # given: alice let her offer lapse, the lead went to bob
    lead = f.lead()
    first = lead_route(lead=lead)
    assert leads_reroute_overdue(now=first.due_at + timedelta(seconds=1)) == 1
    second = f.fresh(lead).current_offer
    assert second.partner == bob.partner

    # when: alice accepts her old offer
    with pytest.raises(ValidationError) as exc:
        lead_accept(offer=first, user=alice.sales)
    # then: the neutral words, nothing changed, no lead event for alice
    assert field_errors(exc) == {"status": [NO_LONGER]}
    assert "Bob" not in str(exc.value)
    assert f.fresh_offer(first).status == LeadOffer.Status.EXPIRED
    assert f.fresh(lead).current_offer_id == second.pk
    with scopes_disabled():
        assert not ResultEvent.objects.filter(source="deals").exists()
    # and the same words when bob holds it accepted, or staff took it back
    lead_accept(offer=second, user=bob.admin)
    with pytest.raises(ValidationError) as exc:
        lead_decline(offer=first, user=alice.sales, reason=LeadOffer.DeclineReason.NOT_A_FIT)
    assert field_errors(exc) == {"status": [NO_LONGER]}
    lead_withdraw(lead=lead, actor=world, reason="Duplicate of an existing account")
    for offer, user in ((first, alice.sales), (second, bob.admin)):
        with pytest.raises(ValidationError) as exc:
            lead_accept(offer=offer, user=user)
        assert field_errors(exc) == {"status": [NO_LONGER]}


def test_an_offer_past_its_due_time_not_yet_expired_by_the_job_may_still_be_accepted(world, alice):
    offer = lead_route(lead=f.lead())
    with time_machine.travel(offer.due_at + timedelta(minutes=3), tick=False):
        accepted = lead_accept(offer=offer, user=alice.sales)
        assert accepted.status == LeadOffer.Status.ACCEPTED
        assert leads_reroute_overdue() == 0  # the job then leaves it alone
    assert f.fresh_offer(offer).status == LeadOffer.Status.ACCEPTED


# --- declining ------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_a_note_for_other(world, alice):
    offer = lead_route(lead=f.lead())
    for reason, note, field in (
        ("", "", "reason"),
        ("too_busy", "", "reason"),
        (LeadOffer.DeclineReason.OTHER, "  ", "note"),
    ):
        with pytest.raises(ValidationError) as exc:
            lead_decline(offer=offer, user=alice.sales, reason=reason, note=note)
        assert list(field_errors(exc)) == [field]
    # nothing half-saved: still pending with alice, no entry beyond the offer
    assert f.fresh_offer(offer).status == LeadOffer.Status.PENDING
    assert [a for a, _p in f.history(offer.lead)] == [A.CREATED, A.OFFERED]


def test_a_decline_routes_on_at_once_and_the_decliner_is_never_offered_it_again(
    world, alice, bob, django_capture_on_commit_callbacks
):
    lead = f.lead()
    first = lead_route(lead=lead)
    assert first.partner == alice.partner
    with django_capture_on_commit_callbacks(execute=True):
        declined = lead_decline(
            offer=first, user=alice.sales, reason=LeadOffer.DeclineReason.OTHER, note="Too far"
        )
    assert (declined.status, declined.decline_reason, declined.decline_note) == (
        LeadOffer.Status.DECLINED,
        "other",
        "Too far",
    )
    second = f.fresh(lead).current_offer
    assert second.partner == bob.partner
    # bob hears of a new lead; the email says nothing of alice
    assert [m.to for m in mail.outbox] == [[bob.admin.email, bob.sales.email]]
    assert "Alice" not in mail.outbox[0].body + mail.outbox[0].subject
    # bob declines too: no partner left, alice is not asked again, back with staff
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lead_decline(offer=second, user=bob.sales, reason=LeadOffer.DeclineReason.NOT_A_FIT)
    lead = f.fresh(lead)
    assert lead.status == Lead.Status.RETURNED and lead.current_offer is None
    assert f.history(lead) == [
        (A.CREATED, None),
        (A.OFFERED, "alice"),
        (A.DECLINED, "alice"),
        (A.OFFERED, "bob"),
        (A.DECLINED, "bob"),
        (A.RETURNED, None),
    ]
    assert [m.to for m in mail.outbox] == [[world.email]]  # the Marketing admins
    assert lead_route(lead=lead, actor=world) is None  # staff try the rules again: nobody
    assert len(f.offers_of(lead)) == 2


# --- withdrawing ------------------------------------------------------------------------------


def test_staff_withdraw_an_accepted_lead_and_the_partner_is_told(
    world, alice, django_capture_on_commit_callbacks
):
    lead = f.lead()
    offer = lead_route(lead=lead)
    lead_accept(offer=offer, user=alice.sales)
    with pytest.raises(ValidationError) as exc:
        lead_withdraw(lead=lead, actor=world, reason=" ")
    assert list(field_errors(exc)) == ["reason"]
    with pytest.raises(PermissionDenied):
        lead_withdraw(lead=lead, actor=alice.admin, reason="mine")

    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_withdraw(lead=lead, actor=world, reason="The customer called us directly")

    assert lead.status == Lead.Status.RETURNED and lead.current_offer is None
    assert f.fresh_offer(offer).status == LeadOffer.Status.WITHDRAWN
    entry = LeadRoutingEntry.objects.get(lead=lead, action=A.WITHDRAWN)
    assert (entry.actor, entry.partner, entry.detail) == (
        world,
        alice.partner,
        "The customer called us directly",
    )
    assert [m.to for m in mail.outbox] == [[alice.admin.email, alice.sales.email]]
    assert "taken back" in mail.outbox[0].body
    with pytest.raises(ValidationError) as exc:
        lead_withdraw(lead=lead, actor=world, reason="again")
    assert "not with a partner" in field_errors(exc)["status"][0]


# --- working ------------------------------------------------------------------------------------


def test_an_accepted_lead_is_worked_and_staff_see_the_progress(world, alice):
    offer = lead_route(lead=f.lead())
    due = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        lead_work(
            offer=offer, user=alice.sales, work_status="contacted", next_step="", next_step_due=None
        )
    assert "Accept the lead" in field_errors(exc)["status"][0]
    lead_accept(offer=offer, user=alice.sales)

    worked = lead_work(
        offer=offer, user=alice.sales, work_status="contacted", next_step="Demo", next_step_due=due
    )

    assert (worked.work_status, worked.next_step, worked.next_step_due) == (
        "contacted",
        "Demo",
        due,
    )
    entry = LeadRoutingEntry.objects.get(lead=offer.lead, action=A.WORKED)
    assert entry.actor == alice.sales and "Demo" in entry.detail
    # the same again records nothing; bad input is refused at its field
    lead_work(
        offer=offer, user=alice.sales, work_status="contacted", next_step="Demo", next_step_due=due
    )
    assert LeadRoutingEntry.objects.filter(lead=offer.lead, action=A.WORKED).count() == 1
    for kwargs, field in (
        ({"work_status": "sold"}, "work_status"),
        ({"next_step": "x" * 201}, "next_step"),
        ({"next_step_due": timezone.localdate() - timedelta(days=1)}, "next_step_due"),
    ):
        values = {"work_status": "qualified", "next_step": "Call", "next_step_due": due, **kwargs}
        with pytest.raises(ValidationError) as exc:
            lead_work(offer=offer, user=alice.sales, **values)
        assert list(field_errors(exc)) == [field]
    assert f.fresh_offer(offer).work_status == "contacted"
    with pytest.raises(PermissionDenied):
        lead_work(
            offer=offer,
            user=alice.marketer,
            work_status="qualified",
            next_step="",
            next_step_due=None,
        )


# --- converting -----------------------------------------------------------------------------


def test_an_accepted_lead_converts_into_a_registration_in_one_step(world, alice, bob):
    lead = f.lead(domain="https://www.initech.example/")
    offer = lead_route(lead=lead)
    data = deal_input(company=lead.company, domain=lead.domain, country=lead.country)
    with pytest.raises(ValidationError) as exc:
        lead_convert(offer=offer, user=alice.sales, data=data)
    assert "Accept the lead" in field_errors(exc)["status"][0]
    lead_accept(offer=offer, user=alice.sales)
    with pytest.raises(PermissionDenied):
        lead_convert(offer=offer, user=bob.sales, data=data)

    deal = lead_convert(offer=offer, user=alice.sales, data=data)

    with scope(partner=alice.partner):
        deal = Deal.objects.get(pk=deal.pk)
        assert (deal.partner, deal.domain, deal.status) == (
            alice.partner,
            "initech.example",
            Deal.Status.SUBMITTED,
        )
        assert deal.source_offer == offer
    assert f.fresh(lead).status == Lead.Status.CONVERTED
    assert f.history(lead)[-1] == (A.CONVERTED, "alice")
    # once: a second conversion, and progress on the lead, are refused
    with pytest.raises(ValidationError) as exc:
        lead_convert(offer=offer, user=alice.sales, data=deal_input(domain="other.example"))
    assert "already a deal registration" in field_errors(exc)["status"][0]
    with pytest.raises(ValidationError) as exc:
        lead_work(
            offer=offer, user=alice.sales, work_status="qualified", next_step="", next_step_due=None
        )
    assert "work it there" in field_errors(exc)["status"][0]


def test_a_refused_registration_leaves_the_lead_as_it_was(world, alice):
    offer = lead_route(lead=f.lead())
    lead_accept(offer=offer, user=alice.sales)
    bad = deal_input(currency="EURO", amount="-1")

    with pytest.raises(ValidationError) as exc:
        lead_convert(offer=offer, user=alice.sales, data=bad)

    assert {"currency", "amount"} <= set(field_errors(exc))
    assert f.fresh(offer.lead).status == Lead.Status.ACCEPTED
    assert f.fresh_offer(offer).deal is None
    with scopes_disabled():
        assert not Deal.objects.exists()
    assert A.CONVERTED not in [a for a, _p in f.history(offer.lead)]


# --- what a partner reads -----------------------------------------------------------------------


def test_a_partner_reads_only_its_own_offers(world, alice, bob):
    first = lead_route(lead=f.lead("Initech"))
    lead_decline(offer=first, user=alice.sales, reason=LeadOffer.DeclineReason.NO_CAPACITY)
    bobs = f.fresh(first.lead).current_offer
    mine = lead_route(lead=f.lead("Globex", domain="globex.example"))
    assert mine.partner == alice.partner

    with scope(partner=alice.partner):
        assert list(offers_for_partner(partner=alice.partner)) == [mine, first]
        assert list(offers_for_partner(partner=alice.partner, status="pending")) == [mine]
        assert list(offers_for_partner(partner=alice.partner, search="globex")) == [mine]
        assert list(offers_for_partner(partner=alice.partner, status="nonsense")) == []
    assert offer_for_partner(partner=alice.partner, uuid=first.uuid) == first  # lapsed: still opens
    for missing in (bobs.uuid, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Http404):
            offer_for_partner(partner=alice.partner, uuid=missing)
    with scope(partner=bob.partner):
        assert list(offers_for_partner(partner=bob.partner)) == [bobs]


def test_staff_see_the_leads_with_them_with_their_history(world, alice, bob):
    waiting = f.lead("Initech")
    offered = f.lead("Globex")
    lead_route(lead=offered)
    returned = f.lead("Umbrella")
    first = lead_route(lead=returned)
    lead_decline(
        offer=first,
        user=bob.sales if first.partner == bob.partner else alice.sales,
        reason=LeadOffer.DeclineReason.EXISTING,
    )
    second = f.fresh(returned).current_offer
    lead_decline(
        offer=second,
        user=bob.sales if second.partner == bob.partner else alice.sales,
        reason=LeadOffer.DeclineReason.EXISTING,
    )

    leads = list(leads_with_staff())

    assert leads == [waiting, returned]
    assert [e.action for e in leads[1].routing.all()] == [
        A.CREATED, A.OFFERED, A.DECLINED, A.OFFERED, A.DECLINED, A.RETURNED,
    ]  # fmt: skip


def test_reading_offers_and_leads_with_staff_takes_the_same_queries_for_more_rows(
    world, alice, bob, django_assert_num_queries
):
    def read() -> None:
        with scope(partner=alice.partner):
            for offer in offers_for_partner(partner=alice.partner):
                assert offer.lead.company and (offer.deal is None)
        for lead in leads_with_staff():
            history = [(e.action, e.partner, e.actor, e.rule) for e in lead.routing.all()]
            assert history[0][0] == A.CREATED
            assert lead.region is None

    def add_rows(n: int) -> None:
        for number in range(n):
            offered = lead_route(lead=f.lead(f"Offered {number}"))
            if offered.partner == bob.partner:
                lead_decline(offer=offered, user=bob.sales, reason="no_capacity")
            f.lead(f"Waiting {number}")

    add_rows(1)
    with django_assert_num_queries(3):  # offers (with leads, deals); leads; history
        read()
    add_rows(4)
    with django_assert_num_queries(3):
        read()
