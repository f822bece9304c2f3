"""Races on PostgreSQL: partners answering, staff routing and the SLA job, at once.

Each thread has its own connection and transaction, released together by a barrier,
so what keeps a lead with one partner is the services' row locks (lead, then offer,
then rule) and the `leadoffer_one_live` constraint behind them. Every thread must
finish (no deadlock left hanging).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django_scopes import scopes_disabled

from analytics.models import ResultEvent
from deals.models import Lead, LeadOffer, LeadRoutingEntry, RoutingCounter
from deals.services import (
    LeadInput,
    lead_accept,
    lead_create,
    lead_decline,
    lead_offer_to,
    lead_route,
    leads_reroute_overdue,
)
from tests.deals import lead_factories as f

pytestmark = [
    pytest.mark.slow,
    # Committed for real, so each thread's connection sees the others' rows; the staff
    # role groups, made by a data migration, are restored from the serialized copy.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NO_LONGER = "This lead is no longer offered to you."
A = LeadRoutingEntry.Action


def run_together(work: Callable[[Any], Any], items: Iterable[Any]) -> list[str]:
    """Run work(item) in one thread per item, all released at once; the outcomes in
    the order of the items: "ok", "refused: <message>" or "error: ..."."""
    items = list(items)
    barrier = threading.Barrier(len(items))
    outcomes: list[str] = [""] * len(items)

    def target(index: int, item: Any) -> None:
        try:
            barrier.wait(timeout=30)
            work(item)
            outcomes[index] = "ok"
        except ValidationError as exc:
            outcomes[index] = "refused: " + "; ".join(exc.messages)
        except PermissionDenied as exc:
            outcomes[index] = f"denied: {exc}"
        except Exception as exc:  # noqa: BLE001 - reported, then asserted on
            outcomes[index] = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=pair) for pair in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


@pytest.fixture
def world(alice, bob, staff_users):
    """Alice and bob both cover EMEA; one rule routes every EMEA lead."""
    emea = f.region("emea")
    alice.partner.regions.set([emea])
    bob.partner.regions.set([emea])
    f.rule("EMEA", regions=[emea])
    return emea


def live_offers(lead: Lead) -> list[LeadOffer]:
    return [o for o in f.offers_of(lead) if o.status in ("pending", "accepted")]


def overdue(offer: LeadOffer) -> None:
    """Setup, not raced: the offer's answer time has passed."""
    with scopes_disabled():
        LeadOffer.objects.filter(pk=offer.pk).update(due_at=offer.offered_at - timedelta(hours=1))


def test_two_partners_one_lead_only_one_holds_it(world, alice, bob, staff_users):
    # staff offer the same lead by hand to alice and to bob at the same moment
    staff = staff_users["marketing_admin"]
    for round_ in range(5):
        lead = f.lead(f"Lead {round_}", region=world)
        outcomes = run_together(
            lambda partner, lead=lead: lead_offer_to(lead=lead, partner=partner, actor=staff),
            [alice.partner, bob.partner],
        )
        assert sorted(outcomes) == [
            "ok",
            "refused: This lead is already with a partner: withdraw it first.",
        ]
        assert len(live_offers(lead)) == 1
        assert Lead.objects.get(pk=lead.pk).current_offer_id == live_offers(lead)[0].pk


def test_accept_against_the_sla_job_one_wins_and_the_lead_stays_whole(
    world, alice, bob, staff_users
):
    for n in range(6):
        # given: a lead offered to alice, past its answer time, not yet expired by the job
        lead = f.lead(f"Lead {n}", region=world)
        offer = lead_offer_to(
            lead=lead, partner=alice.partner, actor=staff_users["marketing_admin"]
        )
        overdue(offer)

        # when: alice accepts while the SLA job runs
        accept, job = run_together(
            lambda job, offer=offer: (
                leads_reroute_overdue() if job else lead_accept(offer=offer, user=alice.sales)
            ),
            [False, True],
        )

        # then: either alice got it in time (the job skipped the locked lead or found it
        # answered), or the job took it first and she is told in the neutral words
        assert job == "ok"
        lead = Lead.objects.get(pk=lead.pk)
        status = f.fresh_offer(offer).status
        with scopes_disabled():
            event = ResultEvent.objects.filter(external_id=f"lead:{offer.uuid}").exists()
        if accept == "ok":
            assert (status, lead.status, event) == ("accepted", Lead.Status.ACCEPTED, True)
            assert lead.current_offer_id == offer.pk
        else:
            assert accept == f"refused: {NO_LONGER}"
            assert (status, event) == (LeadOffer.Status.EXPIRED, False)
            assert lead.current_offer.partner == bob.partner
        assert len(live_offers(lead)) == 1
        assert [a for a, _p in f.history(lead)].count(A.EXPIRED) == (accept != "ok")


def test_accept_after_reroute_is_refused_while_the_new_holder_accepts(world, alice, bob):
    lead = f.lead(region=world)
    first = lead_route(lead=lead)
    assert first.partner == alice.partner
    overdue(first)
    assert leads_reroute_overdue() == 1
    second = Lead.objects.get(pk=lead.pk).current_offer

    outcomes = run_together(
        lambda pair: lead_accept(offer=pair[0], user=pair[1]),
        [(first, alice.sales), (second, bob.sales)],
    )

    assert outcomes == [f"refused: {NO_LONGER}", "ok"]
    assert [o.partner.slug for o in live_offers(lead)] == ["bob"]
    with scopes_disabled():
        assert list(ResultEvent.objects.values_list("partner__slug", flat=True)) == ["bob"]


def test_accept_against_decline_of_the_same_offer(world, alice, staff_users):
    # alice's admin accepts while her sales rep declines: one answer counts
    for n in range(4):
        lead = f.lead(f"Lead {n}", region=world)
        offer = lead_offer_to(
            lead=lead, partner=alice.partner, actor=staff_users["marketing_admin"]
        )
        accept, decline = run_together(
            lambda declining, offer=offer: (
                lead_decline(offer=offer, user=alice.sales, reason="no_capacity")
                if declining
                else lead_accept(offer=offer, user=alice.admin)
            ),
            [False, True],
        )
        status = f.fresh_offer(offer).status
        if accept == "ok":
            assert decline == (
                "refused: You have accepted this lead: it can no longer be declined."
            )
            assert status == LeadOffer.Status.ACCEPTED
        else:
            assert (accept, decline) == (f"refused: {NO_LONGER}", "ok")
            assert status == LeadOffer.Status.DECLINED
        assert len(live_offers(lead)) == 1  # alice's accepted offer, or bob's new one


def test_two_sla_jobs_at_once_expire_each_offer_once(world, alice, bob):
    leads = [f.lead(f"Lead {n}", region=world) for n in range(8)]
    for lead in leads:
        overdue(lead_route(lead=lead))

    outcomes = run_together(lambda _n: leads_reroute_overdue(), [1, 2, 3])

    assert outcomes == ["ok", "ok", "ok"]
    for lead in leads:
        actions = [a for a, _p in f.history(lead)]
        assert actions == [A.CREATED, A.OFFERED, A.EXPIRED, A.OFFERED]
        assert len(live_offers(lead)) == 1
    # what is left pending is the second offers, not yet due
    assert leads_reroute_overdue() == 0


def test_routings_at_once_keep_the_round_robin_exact(world, alice, bob, tiers):
    # bob's tier weighs twice alice's: 12 leads routed in parallel go 4 / 8, as in
    # sequence, because the rule row is locked while the counters are read and moved
    f.weight(tiers["silver"], 2)  # bob
    f.weight(tiers["gold"], 1)  # alice
    leads = [f.lead(f"Lead {n}", region=world) for n in range(12)]

    outcomes = run_together(lambda lead: lead_route(lead=lead), leads)

    assert outcomes == ["ok"] * 12
    with scopes_disabled():
        shares = Counter(LeadOffer.objects.values_list("partner__slug", flat=True))
    assert shares == {"alice": 4, "bob": 8}
    counters = dict(RoutingCounter.objects.values_list("partner__slug", "offers"))
    assert counters == {"alice": 4, "bob": 8}


def test_the_same_external_id_sent_at_once_is_one_lead(world):
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def send(_n: int) -> None:
        lead, created = lead_create(data=LeadInput(company="Initech"), external_id="crm-7")
        with lock:
            results.append((lead.pk, created))

    outcomes = run_together(send, range(6))

    assert outcomes == ["ok"] * 6
    assert Lead.objects.filter(external_id="crm-7").count() == 1
    assert len({pk for pk, _created in results}) == 1
    assert sum(created for _pk, created in results) == 1
    assert LeadRoutingEntry.objects.filter(action=A.CREATED).count() == 1
