"""The partner dashboard (/portal/performance/) and the portal home's KPI row, as a
partner sees them: tiles with their change, the period, the breakdown, CSV, freshness,
the empty state, and filters naming what is not the partner's (404)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.analytics.performance_data import (
    funded_spend,
    make_kit,
    make_launch,
    results,
    rolled_up,
    today,
)

pytestmark = pytest.mark.django_db
URL = "/portal/performance/"


@pytest.fixture
def story(alice, bob, staff_users):
    """alice ran two launches of the spring kit; results this month and last."""
    kit = make_kit()
    webinar = make_launch(alice, kit, "Webinar series")
    mailing = make_launch(alice, kit, "Newsletter")
    for offset in range(1, 11):  # the last 30 days: 10 days of results
        day = today() - timedelta(days=offset)
        results(
            alice.partner,
            day,
            launch=webinar,
            clicks=30,
            leads=3,
            opps=1,
            pipeline="1000.00",
            revenue="500.00" if offset % 5 == 0 else "0",
        )
        results(alice.partner, day, launch=mailing, clicks=10, leads=1)
    for offset in range(31, 36):  # the 30 days before: less
        results(alice.partner, today() - timedelta(days=offset), launch=webinar, clicks=20, leads=2)
    results(
        alice.partner,
        today() - timedelta(days=2),
        launch=mailing,
        won=1,
        revenue="800.00",
        currency="USD",
    )
    funded_spend(alice, staff_users, launch=webinar, amount="250.00")
    rolled_up(40)
    return {"kit": kit, "webinar": webinar, "mailing": mailing}


def tile(response, name: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-kpi="{name}"')
    return " ".join(html[start : html.index("</div>\n      </div>", start)].split())


def test_tiles_show_the_period_with_the_change_in_words(client, alice, story):
    client.force_login(alice.marketer)
    response = client.get(URL)
    assert response.status_code == 200
    clicks = tile(response, "clicks")
    assert "400" in clicks  # 10 days × (30 + 10)
    assert "▲" in clicks and "+300.0 %" in clicks and "Up" in clicks  # 100 the 30 days before
    leads = tile(response, "leads")
    assert "40" in leads and "+300.0 %" in leads
    revenue = tile(response, "revenue")
    assert "1,000.00 EUR" in revenue and "800.00 USD" in revenue  # never added together
    assert "10.0 %" in tile(response, "click_to_lead")  # 40 leads ÷ 400 clicks
    assert "Updated 40\xa0seconds ago" in response.content.decode()


def test_another_period_shows_other_totals(client, alice, story):
    client.force_login(alice.marketer)
    start = (today() - timedelta(days=35)).isoformat()
    end = (today() - timedelta(days=31)).isoformat()
    response = client.get(URL, {"from": start, "to": end, "granularity": "day"})
    assert response.status_code == 200
    assert "100" in tile(response, "clicks")
    assert response.context["period"].start.isoformat() == start
    response = client.get(URL, {"period": "12m"})
    assert "500" in tile(response, "clicks")
    assert response.context["granularity"] == "month"


def test_breakdown_by_kit_and_launch_with_the_funded_launchs_roi(client, alice, story):
    client.force_login(alice.admin)
    response = client.get(URL)
    rows = {item["row"].launch_name: item["kpis"] for item in response.context["breakdown"]}
    assert set(rows) == {"Webinar series", "Newsletter"}
    assert rows["Webinar series"]["clicks"] == ["300"]
    assert rows["Webinar series"]["mdf_spent"] == ["250.00 EUR"]
    assert rows["Webinar series"]["mdf_roi"] == ["300.0 % (EUR)"]  # (1000 − 250) ÷ 250
    assert rows["Newsletter"]["mdf_roi"] == ["—"]
    html = response.content.decode()
    assert "Spring promo" in html and "Webinar series" in html


def test_csv_exports_what_is_shown_as_plain_numbers(client, alice, story):
    client.force_login(alice.sales)
    response = client.get(URL, {"format": "csv", "table": "breakdown"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    webinar = next(row for row in rows if row["launch_name"] == "Webinar series")
    assert webinar["clicks"] == "300"
    assert webinar["pipeline_EUR"] == "10000.00"
    assert webinar["mdf_roi_EUR_pct"] == "300.0"
    assert webinar["click_to_lead_pct"] == "10.0"
    response = client.get(URL, {"format": "csv", "granularity": "week"})
    trend = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sum(int(row["clicks"]) for row in trend) == 400
    assert "revenue_USD" in trend[0] and "revenue_EUR" in trend[0]


def test_a_partner_without_results_sees_the_empty_state(client, bob, alice, story):
    client.force_login(bob.admin)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No results in this period yet" in html
    assert "—" in tile(response, "click_to_lead")  # zero clicks: no rate, no error


def test_another_partners_launch_or_a_kit_outside_the_audience_is_not_found(
    client, alice, bob, story
):
    client.force_login(bob.admin)
    assert client.get(URL, {"launch": story["webinar"].code}).status_code == 404
    draft = make_kit(slug="draft-kit", status="draft")
    assert client.get(URL, {"kit": draft.slug}).status_code == 404
    assert client.get(URL, {"kit": "no-such-kit"}).status_code == 404
    client.force_login(alice.admin)
    response = client.get(URL, {"launch": story["webinar"].code})
    assert response.status_code == 200
    assert "300" in tile(response, "clicks")


def test_bad_dates_name_the_field(client, alice, story):
    client.force_login(alice.admin)
    response = client.get(URL, {"from": "2026-13-01"})
    assert response.status_code == 400
    assert "from" in response.context["errors"]
    response = client.get(URL, {"from": "2026-05-01", "to": "2026-04-01"})
    assert response.status_code == 400 and "from" in response.context["errors"]
    response = client.get(URL, {"granularity": "hour"})
    assert response.status_code == 400 and "granularity" in response.context["errors"]


def test_charts_get_their_data_as_json_and_their_numbers_as_a_table(client, alice, story):
    client.force_login(alice.admin)
    html = client.get(URL).content.decode()
    assert 'id="chart-counts-data" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html
    assert "Show the charts&#x27; numbers as a table" in html or "numbers as a table" in html
    assert "<script>" not in html  # no inline script


def test_the_portal_home_shows_the_compact_kpi_row_and_links_to_performance(client, alice, story):
    client.force_login(alice.marketer)
    response = client.get(reverse("portal:dashboard"))
    html = response.content.decode()
    assert "Your results, last 30 days" in html and "See performance" in html
    assert 'data-kpi="leads"' in html and 'href="/portal/performance/"' in html


def test_the_dashboards_queries_do_not_grow_with_the_data(client, alice, staff_users, story):
    client.force_login(alice.admin)
    client.get(URL)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    kit = make_kit(slug="more", name="More")
    for n in range(6):
        launch = make_launch(alice, kit, f"Extra {n}")
        funded_spend(alice, staff_users, launch=launch, amount="10.00")
        for offset in range(1, 25):
            results(
                alice.partner,
                today() - timedelta(days=offset),
                launch=launch,
                clicks=5,
                leads=1,
                opps=1,
                pipeline="10.00",
                currency="USD" if n % 2 else "EUR",
            )
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).status_code == 200
    assert len(small) > 5
    assert len(large) == len(small), [q["sql"][:80] for q in large]
