"""The reads of joint marketing plans: KPI actuals equal the KPI module's figure for the
partner and the quarter (results sent through the ingest and rolled up), the scorecard's
attainment and weighted total, MDF utilisation, budget against MDF, activity results,
periods' quarters, revisions side by side, and a constant number of queries."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from analytics import kpis, rollup
from analytics import selectors as analytics_selectors
from analytics.ingest import Caller, ingest_events
from campaigns import selectors, services
from campaigns.models import PlanPeriod
from tests.analytics.performance_data import funded_spend, results
from tests.campaigns.factories import make_kit, make_launch
from tests.campaigns.plan_factories import (
    add_activity,
    add_target,
    make_fund_request,
    make_period,
    make_plan,
)

pytestmark = pytest.mark.django_db
D = Decimal
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))


@pytest.fixture
def period(db) -> PlanPeriod:
    return make_period(date(2026, 1, 1))  # 2026 H1: two quarters, both past


def send(world, events: list[dict]) -> None:
    """Results as a partner's marketing automation sends them, then rolled up."""
    ingest_events(
        payload=json.dumps({"events": events}).encode(),
        caller=Caller(user=world.marketer, partner=world.partner),
    )
    rollup.rollup_metrics()


def result(external_id: str, kind: str, day: str, **fields) -> dict:
    return {
        "external_id": external_id,
        "kind": kind,
        "occurred_at": f"{day}T10:00:00+00:00",
        **fields,
    }


def test_period_quarters():
    assert selectors.period_quarters(make_period(date(2026, 7, 1), PlanPeriod.Kind.YEAR)) == [
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 6, 30)),
    ]
    assert selectors.period_quarters(make_period(date(2026, 10, 1), PlanPeriod.Kind.QUARTER)) == [
        (date(2026, 10, 1), date(2026, 12, 31))
    ]


def test_kpi_actuals_equal_the_kpi_modules_figure_for_the_partner_and_quarter(alice, bob, period):
    # given results of alice (and of bob, which must not count) in both quarters
    send(
        alice,
        [
            result("a1", "lead", "2026-01-10"),
            result("a2", "lead", "2026-02-10"),
            result("a3", "lead", "2026-04-10"),
            result("a4", "opportunity", "2026-02-11", amount="5000.00", currency="EUR"),
            result("a5", "opportunity", "2026-05-11", amount="700.00", currency="USD"),
            result("a6", "won", "2026-05-20", amount="1200.00", currency="EUR"),
        ],
    )
    send(bob, [result("b1", "lead", "2026-01-11"), result("b2", "lead", "2026-04-11")])
    plan = make_plan(alice, period)
    add_target(plan, alice, measure="leads", values=["4", "4"], weight="2")
    add_target(plan, alice, measure="pipeline", currency="EUR", values=["4000", "4000"])
    add_target(plan, alice, measure="revenue", currency="EUR", values=["0", "1000"])
    add_target(plan, alice, measure="opportunities", values=["1", "1"])

    # when
    card = selectors.plan_scorecard(plan=plan, today=date(2026, 12, 1))

    # then each quarter's actual is the KPI module's figure for alice and that quarter
    rows = {row.measure: row for row in card.rows}
    for number, (start, end) in enumerate((Q1, Q2)):
        with scope(partner=alice.partner):
            totals = analytics_selectors.partner_totals(partner=alice.partner, start=start, end=end)
        assert rows["leads"].quarters[number].actual == kpis.BY_NAME["leads"].value(totals)
        assert rows["pipeline"].quarters[number].actual == kpis.BY_NAME["pipeline"].value(
            totals
        ).get("EUR", D(0))
        assert rows["opportunities"].quarters[number].actual == totals.opportunities
    assert [q.actual for q in rows["leads"].quarters] == [2, 1]
    assert [q.actual for q in rows["pipeline"].quarters] == [D("5000.00"), D("0")]  # USD apart
    assert rows["leads"].actual == 3 and rows["leads"].attainment == D("37.5")
    assert rows["pipeline"].attainment == D("62.5")  # 5000 of 8000
    assert rows["revenue"].quarters[0].attainment is None  # a zero target: "—"
    assert rows["revenue"].attainment == D("120.0")
    assert rows["opportunities"].attainment == D("100.0")
    # weighted: (2 × 37.5 + 62.5 + 120 + 100) ÷ 5
    assert card.weighted_total == D("71.5")
    # frozen and read back, the same numbers
    again = selectors.Scorecard.from_json(json.loads(json.dumps(card.as_json())))
    assert again.as_json() == card.as_json()


def test_a_quarter_not_begun_has_no_actual_yet(alice):
    plan = make_plan(alice, make_period(date(2026, 10, 1)))  # 2026 Q4 and 2027 Q1
    add_target(plan, alice, measure="leads", values=["5", "5"])
    card = selectors.plan_scorecard(plan=plan, today=date(2026, 11, 15))
    (row,) = card.rows
    assert [q.actual for q in row.quarters] == [0, None]


def test_mdf_utilisation_is_spent_over_allocated_defined_once(alice, staff_users, period):
    plan = make_plan(alice, make_period(date(2026, 10, 1), PlanPeriod.Kind.QUARTER))
    add_target(plan, alice, measure="mdf_utilisation", values=["50"])
    funded_spend(alice, staff_users, amount="25000.00")  # allocation of 100,000.00
    today = timezone.localdate()
    card = selectors.plan_scorecard(plan=plan, today=today)
    (row,) = card.rows
    with scope(partner=alice.partner):
        totals = analytics_selectors.partner_totals(
            partner=alice.partner, start=date(2026, 10, 1), end=today
        )
        totals.mdf_allocated = analytics_selectors.partner_mdf_allocated(
            partner=alice.partner, start=date(2026, 10, 1), end=today
        )
    assert kpis.MDF_UTILISATION.value(totals) == {"EUR": D("25.0")}
    assert row.quarters[0].actual == D("25.0")
    assert row.attainment == D("50.0")


def test_mdf_utilisation_kpi_per_currency():
    totals = kpis.Totals(
        mdf_spent={"EUR": D("50.00"), "USD": D("10.00")},
        mdf_allocated={"EUR": D("200.00"), "GBP": D("10.00")},
    )
    assert kpis.mdf_utilisation(totals) == {"EUR": D("25.0"), "GBP": D("0.0"), "USD": None}


def test_budget_against_mdf_and_results_through_the_launch(alice, staff_users, period):
    plan = make_plan(alice, period)
    kit = make_kit(name="Webinars")
    launch = make_launch(alice, kit)
    request = make_fund_request(alice, staff_users, requested_amount="3000.00")
    add_activity(plan, alice, budget="2500.00", currency="EUR", launch=launch, fund_request=request)
    add_activity(
        plan, alice, title="Roadshow", budget="1000.00", currency="USD", fund_request=request
    )
    with scopes_disabled():
        from analytics.models import DailyMetric

        DailyMetric.objects.create(
            partner=alice.partner, kit=kit, launch=launch, day=date(2026, 2, 1), clicks=40, leads=4
        )
    budget = selectors.plan_budget(plan=plan)
    assert list(budget) == ["EUR", "USD"]
    assert budget["EUR"].budget == D("2500.00")
    assert budget["EUR"].requested == D("3000.00")  # one request, counted once
    assert budget["USD"].budget == D("1000.00") and budget["USD"].requested == 0
    results = selectors.activity_results(plan=plan)
    assert len(results) == 1
    ((_activity_id, figures),) = results.items()
    assert (figures["clicks"], figures["leads"]) == (40, 4)


def test_plan_for_partner_is_its_own_only(alice, bob, period):
    plan = make_plan(alice, period)
    from django.http import Http404

    assert selectors.plan_for_partner(partner=alice.partner, uuid=plan.uuid) == plan
    for uuid in (plan.uuid, "not-a-uuid"):
        with pytest.raises(Http404):
            selectors.plan_for_partner(partner=bob.partner, uuid=uuid)
    with scope(partner=bob.partner):
        assert list(selectors.plans_for_partner(partner=bob.partner)) == []


def test_open_periods_only(db):
    open_one = make_period(date(2027, 1, 1))
    make_period(date(2026, 1, 1), is_open=False)
    assert list(selectors.open_periods()) == [open_one]


def test_the_scorecard_reads_a_fixed_number_of_queries(alice, period):
    plan = make_plan(alice, period)
    add_target(plan, alice, measure="leads")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.plan_scorecard(plan=plan, today=date(2026, 12, 1))
            selectors.plan_budget(plan=plan)
            selectors.activity_results(plan=plan)
        return len(queries)

    few = count()
    for measure in ("mqls", "clicks", "won"):
        add_target(plan, alice, measure=measure)
    add_target(plan, alice, measure="custom", name="Engineers")
    for n in range(3):
        add_activity(plan, alice, title=f"Activity {n}")
    assert count() == few


def test_the_scorecards_of_many_plans_are_each_plans_own(
    alice, bob, staff_users, period, django_assert_num_queries
):
    # given: results of alice and of bob, and plans of both for overlapping periods:
    # KPI targets, MDF utilisation, custom only, and one closed (its scorecard frozen)
    results(alice.partner, date(2026, 2, 10), leads=6, opps=1, pipeline="5000.00")
    results(alice.partner, date(2026, 5, 10), leads=3)
    results(bob.partner, date(2026, 5, 11), leads=40)
    results(bob.partner, date(2025, 8, 1), leads=9)
    alices = make_plan(alice, period)
    add_target(alices, alice, measure="leads", values=["4", "4"], weight="2")
    add_target(alices, alice, measure="pipeline", currency="EUR", values=["4000", "4000"])
    alices_q2 = make_plan(alice, make_period(date(2026, 4, 1), PlanPeriod.Kind.QUARTER))
    add_target(alices_q2, alice, measure="leads", values=["2"])
    bobs = make_plan(bob, period)
    add_target(bobs, bob, measure="leads", values=["30", "30"])
    add_target(bobs, bob, measure="mdf_utilisation", values=["50", "50"])
    alices_custom = make_plan(alice, make_period(date(2025, 1, 1), PlanPeriod.Kind.YEAR))
    add_target(alices_custom, alice, measure="custom", name="Events", values=["1"] * 4)
    bobs_closed = make_plan(bob, make_period(date(2025, 7, 1)))
    add_target(bobs_closed, bob, measure="leads", values=["6", "6"])
    bobs_closed = services.plan_submit(plan=bobs_closed, actor=bob.admin)
    bobs_closed = services.plan_approve(plan=bobs_closed, actor=staff_users["marketing_admin"])
    bobs_closed = services.plan_close(plan=bobs_closed, actor=None, today=date(2026, 1, 5))
    plans = [alices, alices_q2, bobs, alices_custom, bobs_closed]
    today = date(2026, 12, 1)

    # when: read together (targets, quarters, the totals of every plan's quarters in one
    # batch, the MDF allocated)
    with scopes_disabled(), django_assert_num_queries(5):
        cards = selectors.plan_scorecards(plans=plans, today=today)

    # then: each is the plan's own scorecard, read alone
    for plan in plans:
        assert (
            cards[plan.pk].as_json() == selectors.plan_scorecard(plan=plan, today=today).as_json()
        )
    leads = {plan.pk: cards[plan.pk].rows[0] for plan in plans}
    assert [q.actual for q in leads[alices.pk].quarters] == [6, 3]
    assert [q.actual for q in leads[alices_q2.pk].quarters] == [3]
    assert [q.actual for q in leads[bobs.pk].quarters] == [0, 40]
    assert [q.actual for q in leads[bobs_closed.pk].quarters] == [9, 0]
    assert cards[bobs_closed.pk].frozen and cards[bobs_closed.pk].as_of == date(2026, 1, 5)
    assert cards[alices.pk].weighted_total == D("95.8")  # (2 × 112.5 + 62.5) ÷ 3


def test_revision_compare_side_by_side(alice, period, staff_users):
    plan = make_plan(alice, period)
    add_target(plan, alice)
    activity = add_activity(plan, alice)
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    plan = services.plan_approve(plan=plan, actor=staff_users["marketing_admin"])
    services.activity_update(activity=activity, actor=alice.admin, budget="4000.00")
    services.activity_add(
        plan=plan,
        actor=alice.admin,
        title="Partner summit",
        activity_type=activity.activity_type,
        owner_side="vendor",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 5, 2),
        budget="0",
        currency="EUR",
    )
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    newer, older = selectors.plan_revisions(plan=plan)
    changed = [row for row in selectors.revision_compare(older=older, newer=newer) if row.changed]
    assert ("activity", "Cloud webinar series", "budget", "2500.00", "4000.00") in [
        (r.section, r.name, r.field, r.older, r.newer) for r in changed
    ]
    assert {(r.name, r.field, r.older) for r in changed if r.name == "Partner summit"} >= {
        ("Partner summit", "title", "")
    }
