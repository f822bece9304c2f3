"""The demo's deal registrations and leads: every state a user of `make run` should be
able to open, one flagged conflict, a history dated in the past and in time order,
results that roll up, and a second run that creates nothing.

The whole demo is seeded once per test worker (`seed_demo`, as `make run` does: the
`demo` fixture of tests/conftest.py); each test's changes are rolled back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics.models import DailyMetric, EventKind, ResultEvent, RollupState
from analytics.rollup import STATE_NAME
from deals.demo import seed_deals, seed_leads
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    Lead,
    LeadOffer,
    LeadRoutingEntry,
    Product,
    ProtectedAccount,
    RoutingRule,
    TierLeadWeight,
)
from partners.models import Partner

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DS = Deal.Status
OS = LeadOffer.Status
Entry = LeadRoutingEntry.Action


def deals_by_status() -> dict[str, list[Deal]]:
    found: dict[str, list[Deal]] = {}
    for deal in Deal.objects.select_related("partner").order_by("pk"):
        found.setdefault(deal.status, []).append(deal)
    return found


@scopes_disabled()
def test_registrations_in_every_state(demo):
    today = timezone.localdate()
    by_status = deals_by_status()

    assert set(by_status) == set(DS.values)
    approved = by_status[DS.APPROVED]
    # Varied protection: from days to months ahead, one ending within two weeks with
    # an extension asked for and not decided yet.
    ends = sorted((deal.expires_on - today).days for deal in approved)
    assert len(set(ends)) >= 3 and ends[0] >= 0 and ends[-1] > 60
    ending_soon = [deal for deal in approved if (deal.expires_on - today).days <= 14]
    assert len(ending_soon) == 1
    assert ending_soon[0].extensions.get().status == DealExtension.Status.PENDING
    assert DealExtension.objects.filter(status=DealExtension.Status.PENDING).count() == 1
    # The expired one ended in the past; the rejected one and the lost one say why;
    # the partner of the one waiting for information was asked a question.
    assert all(deal.expires_on < today for deal in by_status[DS.EXPIRED])
    assert all(deal.decision_reason for deal in by_status[DS.REJECTED])
    assert all(deal.lost_reason for deal in by_status[DS.LOST])
    for deal in by_status[DS.MORE_INFO]:
        asked = deal.events.get(action=DealEvent.Action.MORE_INFO)
        assert asked.shared and asked.detail
    # Decided by the partner's own channel manager.
    decided = Deal.objects.exclude(decided_by=None)
    assert decided.exists()
    assert all(deal.decided_by_id == deal.partner.channel_manager_id for deal in decided)


@scopes_disabled()
def test_exactly_one_flagged_conflict_two_partners_one_domain(demo):
    conflict = DealConflict.objects.select_related("deal__partner", "other_deal__partner").get()

    flagged, other = conflict.deal, conflict.other_deal
    assert conflict.kind == DealConflict.Kind.OTHER_PARTNER
    assert flagged.domain == other.domain
    assert flagged.partner_id != other.partner_id
    # Waiting for staff, who see it; the partner sees a registration under review.
    assert flagged.status == DS.SUBMITTED and not flagged.conflict_cleared
    assert other.status in Deal.OPEN_STATUSES
    shared = set(flagged.events.filter(shared=True).values_list("action", flat=True))
    assert shared == {DealEvent.Action.REGISTERED}
    assert flagged.events.filter(shared=False, action=DealEvent.Action.CONFLICT_FLAGGED).exists()
    # The other registrations are clean.
    assert not Deal.objects.exclude(pk=flagged.pk).filter(conflicts__isnull=False).exists()


@scopes_disabled()
def test_leads_offered_accepted_declined_rerouted_and_back_with_staff(demo):
    now = timezone.now()
    offers = LeadOffer.objects.select_related("lead", "partner")

    assert {OS.PENDING, OS.ACCEPTED, OS.DECLINED, OS.EXPIRED} <= set(
        offers.values_list("status", flat=True)
    )
    # Offered, waiting for the partner, the answer due soon (within a day or, over a
    # weekend, two) and not past it: the SLA job of `make run` would move it on at once.
    pending = offers.filter(status=OS.PENDING)
    assert all(now < offer.due_at for offer in pending)
    assert any(offer.due_at - now <= timedelta(days=2) for offer in pending)
    # Accepted: one being worked, one converted into a registration.
    accepted = offers.filter(status=OS.ACCEPTED)
    worked = [o for o in accepted if o.deal_id is None and o.work_status != "new"]
    assert worked and worked[0].next_step and worked[0].next_step_due >= now.date()
    converted = [o for o in accepted if o.deal_id is not None]
    assert len(converted) == 1
    assert converted[0].lead.status == Lead.Status.CONVERTED
    assert converted[0].deal.partner_id == converted[0].partner_id
    # Declined: with a reason, and never offered to that partner again.
    declined = offers.filter(status=OS.DECLINED)
    assert declined and all(offer.decline_reason for offer in declined)
    # Re-routed: an offer that lapsed past the SLA, then the lead offered to the next
    # partner by the rules, with the lapse recorded in its history.
    lapsed = offers.get(status=OS.EXPIRED)
    assert lapsed.due_at < now
    later = lapsed.lead.offers.exclude(pk=lapsed.pk).get()
    assert later.partner_id != lapsed.partner_id and later.rule is not None
    assert later.offered_at > lapsed.due_at
    actions = list(lapsed.lead.routing.values_list("action", flat=True))
    assert actions[actions.index(Entry.EXPIRED) + 1] == Entry.OFFERED
    # Back with staff, with its history: received, offered, declined, returned.
    returned = Lead.objects.get(status=Lead.Status.RETURNED)
    assert list(returned.routing.values_list("action", flat=True)) == [
        Entry.CREATED,
        Entry.OFFERED,
        Entry.DECLINED,
        Entry.RETURNED,
    ]


@scopes_disabled()
def test_reference_data_for_routing(demo):
    assert 4 <= Product.objects.filter(active=True).count() <= 6
    assert RoutingRule.objects.filter(active=True).count() >= 2
    assert ProtectedAccount.objects.count() >= 2
    weights = dict(TierLeadWeight.objects.values_list("tier__slug", "weight"))
    assert weights == {"registered": 1, "silver": 2, "gold": 3, "platinum": 4}
    holders = Partner.objects.filter(status=Partner.Status.ACTIVE, specialisations__isnull=False)
    assert holders.distinct().count() >= 5


@scopes_disabled()
def test_history_is_dated_in_the_past_and_in_time_order(demo):
    now = timezone.now()
    today = timezone.localdate()
    events = list(DealEvent.objects.order_by("deal_id", "pk"))
    entries = list(LeadRoutingEntry.objects.order_by("lead_id", "pk"))

    assert min(event.at for event in events).date() < today - timedelta(days=90)
    assert min(entry.at for entry in entries).date() < today - timedelta(days=7)
    assert max(event.at for event in events) <= now
    assert max(entry.at for entry in entries) <= now
    for earlier, later in zip(events, events[1:], strict=False):
        if earlier.deal_id == later.deal_id:
            assert earlier.at <= later.at, (earlier, later)
    for earlier, later in zip(entries, entries[1:], strict=False):
        if earlier.lead_id == later.lead_id:
            assert earlier.at <= later.at, (earlier, later)
    for lead in Lead.objects.all():
        assert lead.created_at <= lead.routing.first().at


@scopes_disabled()
def test_won_deals_and_accepted_leads_are_in_the_rolled_up_results(demo):
    won = Deal.objects.filter(status=DS.WON).exclude(launch=None)
    watermark = RollupState.objects.get(name=STATE_NAME).watermark

    assert won.exists()
    for deal in won:
        event = ResultEvent.objects.get(source="deals", external_id=f"deal:{deal.uuid}:won")
        assert event.kind == EventKind.WON and event.launch_id == deal.launch_id
        assert event.amount == deal.won_amount and event.day < timezone.localdate()
        assert event.pk <= watermark
        row = DailyMetric.objects.get(
            partner=deal.partner, launch=deal.launch, day=event.day, currency=deal.currency
        )
        assert row.won >= 1 and row.revenue >= deal.won_amount
    leads = ResultEvent.objects.filter(source="deals", kind=EventKind.LEAD)
    assert leads.count() == LeadOffer.objects.filter(status=OS.ACCEPTED).count()
    assert all(event.day < timezone.localdate() for event in leads)


@scopes_disabled()
def test_a_second_run_creates_nothing(demo):
    kinds = (Deal, DealEvent, DealConflict, DealExtension, Lead, LeadOffer, LeadRoutingEntry)
    before = {model: model.objects.count() for model in kinds}
    results = ResultEvent.objects.filter(source="deals").count()

    assert seed_deals() == 0
    assert seed_leads() == 0
    assert {model: model.objects.count() for model in kinds} == before
    assert ResultEvent.objects.filter(source="deals").count() == results
