"""Routing by the rules and the SLA: business-day deadlines, which rule decides, which
partners are candidates, the weighted round robin's shares, and the SLA job (the real
Celery task, on a frozen clock across a weekend, and once on a real worker)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django_scopes import scopes_disabled

from deals.models import DealProgram, Lead, LeadOffer, LeadRoutingEntry, RoutingCounter
from deals.selectors import leads_with_staff
from deals.services import (
    business_deadline,
    lead_accept,
    lead_decline,
    lead_route,
    routing_candidates,
)
from deals.tasks import reroute_overdue_leads
from partners.models import Partner
from tests.conftest import skip_or_fail
from tests.deals import lead_factories as f
from tests.platform.conftest import spawn, wait_until
from tests.platform.test_celery_worker import (
    _read_message,
    celery_on_redis,
    database_url,
    queue,
    redis_url,
    start_worker,
)

# Fixtures of the worker test, used by name.
__all__ = ["celery_on_redis", "queue", "redis_url", "spawn", "start_worker"]

pytestmark = pytest.mark.django_db

A = LeadRoutingEntry.Action
UTC = ZoneInfo("UTC")


def at(text: str, zone: ZoneInfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# --- business days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-12-07 09:30", 1, "2026-12-08 09:30"),  # Monday → Tuesday
        ("2026-12-03 23:59", 2, "2026-12-07 23:59"),  # Thursday → Monday, over the weekend
        ("2026-12-04 15:00", 2, "2026-12-08 15:00"),  # Friday → Tuesday
        ("2026-12-05 10:00", 2, "2026-12-09 00:00"),  # Saturday counts from Monday 00:00
        ("2026-12-06 23:00", 1, "2026-12-08 00:00"),  # Sunday likewise
        ("2026-12-04 15:00", 5, "2026-12-11 15:00"),  # a whole week
    ],
)
def test_business_deadline_skips_weekends(start, days, due):
    assert business_deadline(at(start), days) == at(due)


def test_business_deadline_counts_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    zone = ZoneInfo("Pacific/Auckland")
    # Friday 20:00 UTC is already Saturday 09:00 in Auckland: counted from Monday there
    assert business_deadline(at("2026-12-04 20:00"), 1) == at("2026-12-08 00:00", zone)
    settings.TIME_ZONE = "Europe/Berlin"
    zone = ZoneInfo("Europe/Berlin")
    # across the end of summer time the answer is due at the same wall-clock time
    due = business_deadline(at("2026-10-23 15:00", zone), 2)
    assert due == at("2026-10-27 15:00", zone)
    assert due.utcoffset() == timedelta(hours=1)


def test_the_answer_time_is_the_programs_number_of_business_days(alice, tiers):
    program = DealProgram.current()
    program.lead_sla_business_days = 3
    program.save()
    f.rule("All")
    with time_machine.travel(at("2026-12-03 10:00"), tick=False):  # a Thursday
        offer = lead_route(lead=f.lead())
    assert offer.due_at == at("2026-12-08 10:00")  # Friday, Monday, Tuesday


# --- which rule, which partners ----------------------------------------------------------------


@pytest.fixture
def regions(db):
    return {code: f.region(code) for code in ("emea", "apac", "amer")}


@pytest.fixture
def specs(db):
    return {slug: f.specialisation(slug) for slug in ("cloud-security", "data")}


def routed_to(lead: Lead) -> str | None:
    offer = lead_route(lead=lead)
    return offer.partner.slug if offer else None


def test_the_first_matching_rule_by_position_decides(tiers, regions, specs):
    emea, apac = regions["emea"], regions["apac"]
    f.lead_partner("goldie", tiers["gold"], regions=[emea, apac], specialisations=[specs["data"]])
    f.lead_partner("silvio", tiers["silver"], regions=[emea, apac])
    f.lead_partner(
        "mspy", tiers["silver"], regions=[emea], partner_type=Partner.Type.MSP,
        specialisations=[specs["cloud-security"]],
    )  # fmt: skip
    f.rule("Anything else", position=90)
    f.rule("EMEA to gold", position=10, regions=[emea], tiers=[tiers["gold"]])
    f.rule("Security to MSPs", position=5, specialisations=[specs["cloud-security"]],
           partner_types=[Partner.Type.MSP])  # fmt: skip
    f.rule("Retired: all to silver", position=1, tiers=[tiers["silver"]], active=False)

    assert routed_to(f.lead(region=emea)) == "goldie"  # region + tier
    assert routed_to(f.lead(region=apac)) == "goldie"  # the catch-all: goldie, then silvio
    assert routed_to(f.lead(region=apac)) == "silvio"
    # specialisation + type (and the lead's region must be covered)
    assert routed_to(f.lead(region=emea, specialisation=specs["cloud-security"])) == "mspy"
    # a lead without a region does not meet a rule that names regions: the catch-all
    assert routed_to(f.lead(specialisation=specs["data"])) == "goldie"


def test_the_deciding_rule_with_nobody_left_sends_the_lead_back_to_staff(tiers, regions):
    emea = regions["emea"]
    f.lead_partner("silvio", tiers["silver"], regions=[emea])
    gold_rule = f.rule("EMEA to gold", position=10, regions=[emea], tiers=[tiers["gold"]])
    f.rule("Anything else", position=90)  # not tried: the first matching rule decides
    lead = f.lead(region=emea)

    assert lead_route(lead=lead) is None

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == Lead.Status.RETURNED
    entry = LeadRoutingEntry.objects.get(lead=lead, action=A.RETURNED)
    assert entry.rule == gold_rule and "No partner left" in entry.detail


def test_no_matching_rule_sends_the_lead_back_to_staff(tiers, regions):
    f.lead_partner("goldie", tiers["gold"], regions=[regions["emea"]])
    f.rule("EMEA only", regions=[regions["emea"]])
    lead = f.lead(region=regions["amer"])
    assert lead_route(lead=lead) is None
    entry = LeadRoutingEntry.objects.get(lead=lead, action=A.RETURNED)
    assert entry.rule is None and "No active routing rule" in entry.detail


def test_candidates_cover_the_region_hold_the_specialisation_are_active_and_new_to_the_lead(
    tiers, regions, specs
):
    emea = regions["emea"]
    data = specs["data"]
    covers = f.lead_partner("covers", tiers["gold"], regions=[emea], specialisations=[data])
    f.lead_partner("elsewhere", tiers["gold"], regions=[regions["apac"]], specialisations=[data])
    f.lead_partner("generalist", tiers["gold"], regions=[emea])
    f.lead_partner("suspended", tiers["gold"], regions=[emea], specialisations=[data],
                   status=Partner.Status.SUSPENDED)  # fmt: skip
    f.lead_partner("onboarding", tiers["gold"], regions=[emea], specialisations=[data],
                   status=Partner.Status.ONBOARDING)  # fmt: skip
    second = f.lead_partner("second", tiers["gold"], regions=[emea], specialisations=[data])
    rule = f.rule("All")
    lead = f.lead(region=emea, specialisation=data)

    assert [p.slug for p in routing_candidates(lead=lead, rule=rule)] == ["covers", "second"]
    offer = lead_route(lead=lead)
    assert offer.partner == covers.partner
    lead_decline(offer=offer, user=covers.sales, reason=LeadOffer.DeclineReason.NO_CAPACITY)
    assert [p.slug for p in routing_candidates(lead=lead, rule=rule)] == []  # second holds it
    assert Lead.objects.get(pk=lead.pk).current_offer.partner == second.partner


# --- the weighted round robin ---------------------------------------------------------------------


def test_weighted_round_robin_shares_follow_the_weights_over_many_leads(tiers, regions):
    emea = regions["emea"]
    one = f.lead_partner("one", tiers["registered"], regions=[emea])
    two = f.lead_partner("two", tiers["silver"], regions=[emea])
    three = f.lead_partner("three", tiers["gold"], regions=[emea])
    f.weight(tiers["silver"], 2)
    f.weight(tiers["gold"], 3)
    rule = f.rule("EMEA", regions=[emea])

    order = [routed_to(f.lead(f"Lead {n}", region=emea)) for n in range(600)]

    # the first rounds: lowest (offers + 1) / weight, ties by partner id
    assert order[:6] == ["three", "two", "three", "one", "two", "three"]
    shares = Counter(order)
    for world, expected in ((one, 1 / 6), (two, 2 / 6), (three, 3 / 6)):
        assert abs(shares[world.partner.slug] / 600 - expected) < 0.01
    counters = dict(RoutingCounter.objects.filter(rule=rule).values_list("partner__slug", "offers"))
    assert counters == {"one": shares["one"], "two": shares["two"], "three": shares["three"]}
    # any window of the sequence keeps the shares: no partner waits long for its turn
    window = Counter(order[300:360])
    assert (window["one"], window["two"], window["three"]) == (10, 20, 30)


def test_without_weights_partners_share_equally(tiers, regions):
    emea = regions["emea"]
    for slug, tier in (("a", "registered"), ("b", "silver"), ("c", "platinum")):
        f.lead_partner(slug, tiers[tier], regions=[emea])
    f.rule("EMEA")
    shares = Counter(routed_to(f.lead(f"Lead {n}", region=emea)) for n in range(60))
    assert shares == {"a": 20, "b": 20, "c": 20}


# --- the SLA job ----------------------------------------------------------------------------


@pytest.fixture
def sla_world(alice, bob, regions, staff_users):
    alice.partner.regions.set([regions["emea"]])
    bob.partner.regions.set([regions["emea"]])
    f.rule("EMEA", regions=[regions["emea"]])
    return staff_users["marketing_admin"]


def run_job(django_capture_on_commit_callbacks) -> int:
    """The beat's task, called as its function, with its emails sent after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return reroute_overdue_leads()


def test_sla_job_reroutes_over_a_weekend_then_returns_the_lead_to_staff(
    sla_world, alice, bob, regions, django_capture_on_commit_callbacks
):
    # given: a lead offered to alice on Friday at 15:00, answer due Tuesday 15:00
    with time_machine.travel(at("2026-12-04 15:00"), tick=False):
        lead = f.lead(region=regions["emea"])
        first = lead_route(lead=lead)
    assert first.partner == alice.partner and first.due_at == at("2026-12-08 15:00")

    # when: the job runs over the weekend and on Monday: nothing is due yet
    for moment in ("2026-12-05 12:00", "2026-12-07 16:00", "2026-12-08 14:59"):
        with time_machine.travel(at(moment), tick=False):
            assert run_job(django_capture_on_commit_callbacks) == 0
    with scopes_disabled():
        assert LeadOffer.objects.get(pk=first.pk).status == LeadOffer.Status.PENDING

    # when: Tuesday 15:05 — alice loses the lead (recorded and told), bob is offered it
    with time_machine.travel(at("2026-12-08 15:05"), tick=False):
        assert run_job(django_capture_on_commit_callbacks) == 1
        assert run_job(django_capture_on_commit_callbacks) == 0  # safe to run twice
    with scopes_disabled():
        first.refresh_from_db()
        second = Lead.objects.get(pk=lead.pk).current_offer
    assert first.status == LeadOffer.Status.EXPIRED
    assert second.partner == bob.partner
    assert second.due_at == at("2026-12-10 15:05")  # Thursday
    lost, offered = mail.outbox
    assert lost.to == [alice.admin.email, alice.sales.email]
    assert "not answered in time" in lost.body
    assert offered.to == [bob.admin.email, bob.sales.email]
    # neither names the other partner
    assert "Bob" not in lost.subject + lost.body
    assert "Alice" not in offered.subject + offered.body

    # when: bob does not answer either — nobody is left: back with staff, with history
    mail.outbox.clear()
    with time_machine.travel(at("2026-12-10 15:06"), tick=False):
        assert run_job(django_capture_on_commit_callbacks) == 1
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == Lead.Status.RETURNED and lead.current_offer is None
    assert f.history(lead) == [
        (A.CREATED, None),
        (A.OFFERED, "alice"),
        (A.EXPIRED, "alice"),
        (A.OFFERED, "bob"),
        (A.EXPIRED, "bob"),
        (A.RETURNED, None),
    ]
    expired = LeadRoutingEntry.objects.filter(lead=lead, action=A.EXPIRED)
    assert all(e.actor is None and e.detail == "Not answered in time." for e in expired)
    to_bob, to_staff = mail.outbox
    assert to_bob.to == [bob.admin.email, bob.sales.email]
    assert to_staff.to == [sla_world.email]
    assert "Alice Corp" in to_staff.body and "Bob Corp" in to_staff.body  # staff see it all
    assert lead in list(leads_with_staff())


def test_sla_job_leaves_answered_offers_alone(
    sla_world, alice, regions, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-12-07 09:00"), tick=False):
        offer = lead_route(lead=f.lead(region=regions["emea"]))
        lead_accept(offer=offer, user=alice.admin)
    with time_machine.travel(at("2026-12-14 09:00"), tick=False):
        assert run_job(django_capture_on_commit_callbacks) == 0
    with scopes_disabled():
        assert LeadOffer.objects.get(pk=offer.pk).status == LeadOffer.Status.ACCEPTED
    assert mail.outbox == []


# --- the SLA job on a real worker -----------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sla_job_on_a_real_worker_reroutes_and_emails(
    alice, bob, regions, staff_users, start_worker, tmp_path
):
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process needs a server database shared with the test")
    # given: alice's offer overdue, bob also covering the region, a worker on Redis
    alice.partner.regions.set([regions["emea"]])
    bob.partner.regions.set([regions["emea"]])
    f.rule("EMEA", regions=[regions["emea"]])
    lead = f.lead(region=regions["emea"])
    first = lead_route(lead=lead)
    with scopes_disabled():
        LeadOffer.objects.filter(pk=first.pk).update(due_at=first.offered_at - timedelta(hours=1))
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    # The emails the worker's task queues go back through Redis to the same worker.
    worker = start_worker(DATABASE_URL=database_url(), EMAIL_URL=f"filemail:///{outbox}")

    # when: the beat's task runs on the worker
    try:
        expired = reroute_overdue_leads.delay().get(timeout=30, disable_sync_subtasks=False)
    except Exception as exc:
        pytest.fail(f"no answer from the worker ({exc!r}); its log:\n{worker.log_text()}")

    # then: alice lost it, bob has it, and both were emailed by the worker
    assert expired == 1
    with scopes_disabled():
        assert LeadOffer.objects.get(pk=first.pk).status == LeadOffer.Status.EXPIRED
        assert Lead.objects.get(pk=lead.pk).current_offer.partner == bob.partner
    # the offer to alice (queued by this test), then alice's loss and bob's offer
    if not wait_until(lambda: len(list(outbox.iterdir())) >= 3, timeout=20):
        sent = len(list(outbox.iterdir()))
        pytest.fail(f"the worker sent {sent} of 3 emails; its log:\n{worker.log_text()}")
    sent = sorted(
        (message["to"], message["subject"])
        for message in (_read_message(path) for path in outbox.iterdir())
    )
    alice_to = f"{alice.admin.email}, {alice.sales.email}"
    bob_to = f"{bob.admin.email}, {bob.sales.email}"
    assert sent == sorted(
        [
            (alice_to, "A new lead for you: Initech"),
            (alice_to, "Lead no longer offered to you: Initech"),
            (bob_to, "A new lead for you: Initech"),
        ]
    )
