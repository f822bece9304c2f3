"""Staff analytics in the admin (/admin/performance/...): the leaderboard sorted by any
KPI and filtered by tier, type, region and channel manager, kits, MDF ROI per partner
and per pool, top assets, the drill-down into one partner's dashboard, CSV exports, and
who may see them (not partners, not staff without the analytics permission)."""

from __future__ import annotations

import csv
import io
import random
import string
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from analytics import kpis, selectors
from partners.models import Partner, Region
from tests.analytics.performance_data import (
    funded_spend,
    make_kit,
    make_launch,
    results,
    rolled_up,
    today,
)
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db
BOARD = "/admin/performance/"


def names(response) -> list[str]:
    return [item["row"].name for item in response.context["rows"]]


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def programme(alice, bob, tiers, staff_users):
    kit = make_kit()
    emea = Region.objects.create(code="emea", name="EMEA")
    carol = make_partner_world("carol", tiers["gold"], partner_type=Partner.Type.MSP)
    carol.partner.regions.add(emea)
    day = today() - timedelta(days=3)
    a, b, c = (make_launch(w, kit) for w in (alice, bob, carol))
    results(alice.partner, day, launch=a, clicks=100, leads=10, won=1, revenue="5000.00")
    results(bob.partner, day, launch=b, clicks=300, leads=3, won=1, revenue="1000.00")
    results(
        carol.partner, day, launch=c, clicks=50, leads=25, won=2, revenue="900.00", currency="USD"
    )
    funded_spend(alice, staff_users, launch=a, amount="1000.00")
    rolled_up(40)
    return {"kit": kit, "carol": carol, "emea": emea}


def test_the_leaderboard_sorts_by_any_kpi(client, staff_users, programme):
    client.force_login(staff_users["analyst"])
    assert names(client.get(BOARD, {"sort": "-clicks"})) == ["Bob Corp", "Alice Corp", "Carol Corp"]
    assert names(client.get(BOARD, {"sort": "clicks"})) == ["Carol Corp", "Alice Corp", "Bob Corp"]
    assert names(client.get(BOARD, {"sort": "-leads"})) == ["Carol Corp", "Alice Corp", "Bob Corp"]
    assert names(client.get(BOARD, {"sort": "-click_to_lead"}))[0] == "Carol Corp"  # 50 %
    # Money sorts within one currency; partners without it come last.
    board = client.get(BOARD, {"sort": "-revenue", "currency": "EUR"})
    assert names(board) == ["Alice Corp", "Bob Corp", "Carol Corp"]
    assert board.context["board"].currency == "EUR"
    usd = client.get(BOARD, {"sort": "-revenue", "currency": "USD"})
    assert names(usd)[0] == "Carol Corp"
    html = client.get(BOARD, {"sort": "-leads"}).content.decode()
    assert 'aria-sort="descending"' in html


def test_the_leaderboard_filters(client, staff_users, programme, tiers):
    client.force_login(staff_users["marketing_admin"])
    assert names(client.get(BOARD, {"tier": tiers["gold"].pk, "sort": "name"})) == [
        "Alice Corp",
        "Carol Corp",
    ]
    assert names(client.get(BOARD, {"type": Partner.Type.MSP})) == ["Carol Corp"]
    assert names(client.get(BOARD, {"region": programme["emea"].pk})) == ["Carol Corp"]
    manager = staff_users["channel_manager"]
    assert names(client.get(BOARD, {"manager": manager.pk})) == ["Alice Corp"]


def test_the_leaderboard_paginates(client, staff_users, programme, tiers):
    for n in range(30):
        make_partner_world(f"p{n:02d}", tiers["silver"])
    client.force_login(staff_users["analyst"])
    first = client.get(BOARD, {"sort": "name"})
    assert first.context["board"].count == 33 and len(names(first)) == 25
    second = client.get(BOARD, {"sort": "name", "page": 2})
    assert len(names(second)) == 8


def test_leaderboard_csv_has_plain_numbers_per_currency(client, staff_users, programme):
    client.force_login(staff_users["channel_manager"])
    rows = read_csv(client.get(BOARD, {"format": "csv", "sort": "-clicks"}))
    assert [row["partner"] for row in rows] == ["Bob Corp", "Alice Corp", "Carol Corp"]
    alice = rows[1]
    assert alice["clicks"] == "100" and alice["revenue_EUR"] == "5000.00"
    assert alice["revenue_USD"] == "0.00" and alice["mdf_roi_EUR_pct"] == "400.0"
    assert rows[2]["revenue_USD"] == "900.00"


def test_kits_roi_and_assets_pages(client, staff_users, programme):
    client.force_login(staff_users["analyst"])
    kits = client.get("/admin/performance/kits/")
    [kit] = kits.context["rows"]
    assert kit["row"].partners == 3 and kit["row"].totals.leads == 38
    roi = client.get("/admin/performance/mdf-roi/")
    [alice] = roi.context["by_partner"]
    assert alice["row"].name == "Alice Corp"
    assert alice["cells"][-1] == ["400.0 % (EUR)"]  # (5000 − 1000) ÷ 1000
    [pool] = roi.context["by_pool"]
    assert pool["row"].name == "Pool EUR" and pool["cells"][-1] == ["400.0 % (EUR)"]
    rows = read_csv(client.get("/admin/performance/mdf-roi/", {"format": "csv", "by": "pool"}))
    assert rows[0]["mdf_roi_EUR_pct"] == "400.0"
    assert client.get("/admin/performance/assets/").status_code == 200


def test_drill_down_into_one_partners_dashboard(client, staff_users, programme, alice):
    client.force_login(staff_users["analyst"])
    response = client.get("/admin/performance/partner/", {"partner": "alice"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Performance of Alice Corp" in html and 'data-kpi="clicks"' in html
    assert response.context["totals"].clicks == 100
    csv_rows = read_csv(
        client.get(
            "/admin/performance/partner/",
            {"partner": "alice", "format": "csv", "table": "breakdown"},
        )
    )
    assert csv_rows[0]["clicks"] == "100"
    assert client.get("/admin/performance/partner/", {"partner": "nobody"}).status_code == 404
    assert client.get("/admin/performance/partner/").status_code == 200  # the chooser


def test_the_leaderboard_reads_new_results_at_once(client, staff_users, programme, alice):
    client.force_login(staff_users["analyst"])
    assert names(client.get(BOARD, {"sort": "-clicks"}))[0] == "Bob Corp"
    results(
        alice.partner, today() - timedelta(days=1), launch=None, kit=programme["kit"], clicks=1000
    )
    assert names(client.get(BOARD, {"sort": "-clicks"}))[0] == "Alice Corp"
    rolled_up(5)  # a rollup run (rows updated in place): read afresh, nothing is cached
    with CaptureQueriesContext(connection) as queries:
        client.get(BOARD, {"sort": "-clicks"})
    assert any("SUM" in q["sql"] for q in queries)


def test_the_desk_links_to_the_pages(client, staff_users, programme):
    client.force_login(staff_users["analyst"])
    assert reverse("admin:performance_leaderboard") in client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/performance/",
        "/admin/performance/kits/",
        "/admin/performance/mdf-roi/",
        "/admin/performance/assets/",
        "/admin/performance/partner/?partner=alice",
    ],
)
def test_partners_and_staff_without_the_permission_are_refused(
    client, staff_users, alice, programme, url
):
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(alice.admin)
    assert client.get(url).status_code == 302  # not staff: the admin login
    client.force_login(staff_users["finance_approver"])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("sort", ["-revenue", "-click_to_lead", "name", "-mdf_roi"])
def test_leaderboard_queries_do_not_grow_with_partners(client, staff_users, programme, tiers, sort):
    client.force_login(staff_users["analyst"])
    client.get(BOARD, {"sort": sort})
    with CaptureQueriesContext(connection) as small:
        client.get(BOARD, {"sort": sort})
    kit = make_kit(slug="k2", name="K2")
    manager = staff_users["channel_manager"]
    for n in range(30):
        world = make_partner_world(f"q{n:02d}", tiers["silver"], manager=manager)
        launch = make_launch(world, kit)
        results(
            world.partner,
            today() - timedelta(days=2),
            launch=launch,
            clicks=n,
            leads=1,
            won=1,
            revenue="10.00",
        )
        if n % 10 == 0:  # more partners with MDF spend too
            funded_spend(world, staff_users, launch=launch, amount="5.00")
    with CaptureQueriesContext(connection) as large:
        response = client.get(BOARD, {"sort": sort})
    assert len(response.context["rows"]) == 25  # a full page, of more partners
    assert len(small) > 5
    assert len(large) == len(small)


def test_mdf_kpis_sort_the_partners_with_spend_first(client, staff_users, programme):
    client.force_login(staff_users["analyst"])
    # Only Alice has MDF spend (ROI 400 %); the others have none, last, by name.
    assert names(client.get(BOARD, {"sort": "-mdf_roi"})) == [
        "Alice Corp",
        "Bob Corp",
        "Carol Corp",
    ]
    assert names(client.get(BOARD, {"sort": "mdf_spent"})) == [
        "Alice Corp",
        "Bob Corp",
        "Carol Corp",
    ]


def test_the_csv_holds_every_partner_not_one_page(client, staff_users, programme, tiers):
    for n in range(30):
        make_partner_world(f"p{n:02d}", tiers["silver"])
    client.force_login(staff_users["analyst"])
    rows = read_csv(client.get(BOARD, {"format": "csv", "sort": "name"}))
    assert len(rows) == 33
    assert [row["partner"] for row in rows] == sorted(row["partner"] for row in rows)


# --- the database's ranking equals the KPI definitions ----------------------------------


def _random_programme(rng: random.Random, tier) -> list[Partner]:
    """Partners with random daily metrics over the last days: small counts so that rates
    tie and denominators are zero, amounts in EUR and USD, some partners with nothing."""
    partners = []
    used: set[str] = set()
    while len(partners) < 14:
        name = "".join(rng.choice(string.ascii_lowercase) for _ in range(5))
        if name in used:
            continue
        used.add(name)
        partner = Partner.objects.create(
            name=name.capitalize() if rng.random() < 0.5 else name,
            slug=name,
            tier=tier,
            status=Partner.Status.ACTIVE,
        )
        partners.append(partner)
        for offset in rng.sample(range(1, 20), rng.randint(0, 4)):
            won = rng.randint(0, 2)
            results(
                partner,
                today() - timedelta(days=offset),
                clicks=rng.choice([0, 0, 3, 6, 7, 9]),
                leads=rng.randint(0, 3),
                downloads=rng.randint(0, 2),
                mqls=rng.randint(0, 1),
                opps=rng.randint(0, 3),
                won=won,
                pipeline=str(rng.choice([0, 100, 250])),
                revenue=str(won * rng.choice([0, 100, 250])),
                currency=rng.choice(["EUR", "USD"]),
            )
    return partners


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_ranking_follows_the_kpi_definitions(seed, tiers):
    """For random programmes: the order the database gives for each KPI (both ways, money
    in each currency) is the order of the values `analytics.kpis` computes from each
    partner's `Totals` (`partner_totals`, the portal's path), None last, ties by name."""
    rng = random.Random(seed)
    partners = _random_programme(rng, tiers["gold"])
    start, end = today() - timedelta(days=29), today()
    totals = {}
    for partner in partners:
        with scope(partner=partner):
            totals[partner.name] = selectors.partner_totals(partner=partner, start=start, end=end)
    sortable = [
        name for name in kpis.BY_NAME if name not in selectors.MDF_KPIS and name != "downloads"
    ] + ["downloads"]
    for name in sortable:
        kpi = kpis.BY_NAME[name]
        for currency in ("EUR", "USD") if kpi.per_currency else ("",):
            values = {}
            for partner_name, partner_totals in totals.items():
                value = kpi.value(partner_totals)
                values[partner_name] = value.get(currency) if kpi.per_currency else value
            for descending in (True, False):
                present = sorted((n for n, v in values.items() if v is not None), key=str.lower)
                present.sort(key=lambda n: values[n], reverse=descending)
                missing = sorted((n for n, v in values.items() if v is None), key=str.lower)
                board = selectors.leaderboard(
                    start=start,
                    end=end,
                    sort=("-" if descending else "") + name,
                    currency=currency,
                    per_page=None,
                )
                got = [row.name for row in board.rows]
                assert got == present + missing, (name, currency, descending, values)
                # The page shows exactly what kpis.py computes.
                for row in board.rows:
                    assert row.kpis[name] == kpi.value(totals[row.name])
