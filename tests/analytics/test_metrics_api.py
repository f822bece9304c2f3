"""GET /api/v1/metrics/: a partner key reads its own series and KPI totals (money as
decimal strings with their currency), never another partner's, a kit outside its
audience or another partner's launch (404 naming the field); staff keys read any
partner or all; bad dates and granularities are a 400 naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.analytics.performance_data import (
    funded_spend,
    make_kit,
    make_launch,
    results,
    rolled_up,
    today,
)
from tests.conftest import key_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/"


@pytest.fixture
def data(alice, bob, staff_users):
    kit = make_kit()
    mine, theirs = make_launch(alice, kit), make_launch(bob, kit)
    day = today() - timedelta(days=3)
    results(
        alice.partner,
        day,
        launch=mine,
        clicks=200,
        leads=10,
        opps=2,
        won=1,
        pipeline="8000.00",
        revenue="3000.00",
    )
    results(alice.partner, day, launch=mine, won=1, revenue="700.50", currency="USD")
    results(bob.partner, day, launch=theirs, clicks=999, leads=99)
    funded_spend(alice, staff_users, launch=mine, amount="1000.00")
    rolled_up(30)
    return {"kit": kit, "mine": mine, "theirs": theirs, "day": day}


def errors(response) -> list[tuple[str | None, str]]:
    return [(e.get("attr"), e["detail"]) for e in response.json()["errors"]]


def test_a_partner_key_reads_its_own_totals_and_series(alice_key, data):
    response = key_client(alice_key).get(URL, {"granularity": "day"})
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] == "alice" and body["granularity"] == "day"
    totals = body["totals"]
    assert totals["clicks"] == 200 and totals["leads"] == 10 and totals["won"] == 2
    assert totals["click_to_lead"] == "5.0"
    assert totals["revenue"] == [
        {"currency": "EUR", "value": "3000.00"},
        {"currency": "USD", "value": "700.50"},
    ]
    # Spent in EUR: the launch's EUR revenue against it; its USD revenue is not comparable.
    assert totals["mdf_roi"] == [{"currency": "EUR", "value": "200.0"}]
    assert totals["cost_per_lead"] == [{"currency": "EUR", "value": "100.00"}]
    assert len(body["series"]) == 30
    [point] = [p for p in body["series"] if p["period_start"] == data["day"].isoformat()]
    assert point["clicks"] == 200
    assert body["updated_at"] is not None


def test_week_and_month_series_fill_empty_periods(alice_key, data):
    start, end = today() - timedelta(days=89), today()
    response = key_client(alice_key).get(
        URL, {"granularity": "month", "from": start.isoformat(), "to": end.isoformat()}
    )
    series = response.json()["series"]
    assert len(series) in (3, 4) and sum(p["clicks"] for p in series) == 200
    weeks = key_client(alice_key).get(URL, {"granularity": "week"}).json()["series"]
    assert all(p["clicks"] == 0 for p in weeks if p["clicks"] != 200)
    assert sum(p["clicks"] for p in weeks) == 200


def test_a_partner_key_cannot_read_another_partner(alice_key, bob, data):
    client = key_client(alice_key)
    for params, field in (
        ({"partner": "bob"}, "partner"),
        ({"partner": str(bob.partner.uuid)}, "partner"),
        ({"launch": data["theirs"].code}, "launch"),
        ({"kit": make_kit(slug="hidden", status="draft").slug}, "kit"),
    ):
        response = client.get(URL, params)
        assert response.status_code == 404, params
        assert field in str(response.json())
    assert client.get(URL, {"partner": "alice", "launch": data["mine"].code}).status_code == 200


def test_staff_keys_read_any_partner_or_all(staff_key, data):
    client = key_client(staff_key)
    bob = client.get(URL, {"partner": "bob"}).json()
    assert bob["totals"]["clicks"] == 999
    everyone = client.get(URL).json()
    assert everyone["partner"] is None and everyone["totals"]["clicks"] == 1199
    assert client.get(URL, {"partner": "nobody"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"granularity": "hour"}, "granularity"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice_key, data, params, field):
    response = key_client(alice_key).get(URL, params)
    assert response.status_code == 400
    assert field in [attr for attr, _detail in errors(response)]


def test_the_schema_documents_the_metrics(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/metrics/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "partner",
        "kit",
        "launch",
        "from",
        "to",
        "granularity",
    }
