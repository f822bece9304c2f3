"""Every KPI's definition (analytics/kpis.py): pure functions over totals. Zero
denominators give None ("—"), currencies are never added or compared across, and MDF
ROI follows the fund request → launch link."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from analytics import kpis, selectors
from analytics.kpis import BY_NAME, Totals, display
from tests.analytics.performance_data import funded_spend, make_kit, make_launch, results, today

D = Decimal


def value(name: str, totals: Totals):
    return BY_NAME[name].value(totals)


def test_every_kpi_has_a_name_label_meaning_and_format():
    names = [kpi.name for kpi in kpis.KPIS]
    assert names == [
        "clicks", "downloads", "leads", "mqls", "opportunities", "won", "pipeline", "revenue",
        "click_to_lead", "lead_to_opportunity", "opportunity_to_won", "mdf_spent",
        "cost_per_lead", "pipeline_per_mdf", "mdf_roi",
    ]  # fmt: skip
    for kpi in kpis.KPIS:
        assert str(kpi.label) and str(kpi.meaning).endswith(".")
        assert kpi.format in ("count", "percent", "money", "ratio")


def test_counts_are_the_totals():
    totals = Totals(clicks=120, downloads=7, leads=12, mqls=5, opportunities=3, won=1)
    assert [
        value(n, totals) for n in ("clicks", "downloads", "leads", "mqls", "opportunities", "won")
    ] == [120, 7, 12, 5, 3, 1]


def test_conversion_rates_in_percent_to_one_decimal():
    totals = Totals(clicks=300, leads=12, opportunities=4, won=1)
    assert value("click_to_lead", totals) == D("4.0")
    assert value("lead_to_opportunity", totals) == D("33.3")
    assert value("opportunity_to_won", totals) == D("25.0")


@pytest.mark.parametrize("name", ["click_to_lead", "lead_to_opportunity", "opportunity_to_won"])
def test_a_rate_with_a_zero_denominator_is_none_and_shows_a_dash(name):
    totals = Totals()
    assert value(name, totals) is None
    assert display(BY_NAME[name], None) == ["—"]


def test_money_stays_per_currency_and_is_never_added_across():
    totals = Totals()
    totals.add_row({"currency": "EUR", "pipeline": "1000.00", "revenue": "200.00", "won": 1})
    totals.add_row({"currency": "USD", "pipeline": "500.00", "revenue": "0", "opportunities": 2})
    totals.add_row({"currency": "EUR", "pipeline": "1.50", "revenue": "0"})
    assert value("pipeline", totals) == {"EUR": D("1001.50"), "USD": D("500.00")}
    assert value("revenue", totals) == {"EUR": D("200.00")}
    assert display(BY_NAME["pipeline"], value("pipeline", totals)) == ["1,001.50 EUR", "500.00 USD"]
    assert display(BY_NAME["revenue"], {}) == ["—"]
    # Counts of all currency rows add up: they carry no currency.
    assert totals.won == 1 and totals.opportunities == 2


def test_cost_per_lead_pipeline_per_mdf_and_roi_within_one_currency():
    totals = Totals(
        funded_spent={"EUR": D("1000.00")},
        funded_leads={"EUR": 40},
        funded_pipeline={"EUR": D("8000.00")},
        funded_revenue={"EUR": D("3000.00")},
    )
    assert value("cost_per_lead", totals) == {"EUR": D("25.00")}
    assert value("pipeline_per_mdf", totals) == {"EUR": D("8.00")}
    assert value("mdf_roi", totals) == {"EUR": D("200.0")}
    assert display(BY_NAME["mdf_roi"], value("mdf_roi", totals)) == ["200.0 % (EUR)"]


def test_a_ratio_never_mixes_currencies():
    # Spent in EUR, earned only in USD: EUR earned nothing (−100 %); USD had no spend
    # to compare with (None). The USD revenue is never set against the EUR spend.
    totals = Totals(
        funded_spent={"EUR": D("1000.00")},
        funded_revenue={"USD": D("5000.00")},
        funded_pipeline={"USD": D("9000.00")},
    )
    assert value("mdf_roi", totals) == {"EUR": D("-100.0"), "USD": None}
    assert value("pipeline_per_mdf", totals) == {"EUR": D("0.00"), "USD": None}
    assert display(BY_NAME["mdf_roi"], value("mdf_roi", totals)) == ["−100.0 % (EUR)", "— (USD)"]
    # Spent in two currencies, earned in one: each currency against itself only.
    totals = Totals(
        funded_spent={"EUR": D("1000.00"), "USD": D("500.00")},
        funded_revenue={"EUR": D("1500.00")},
    )
    assert value("mdf_roi", totals) == {"EUR": D("50.0"), "USD": D("-100.0")}
    # Spent in USD on launches that sold only in euros: not a loss of every dollar, and
    # not comparable either.
    totals = Totals(
        funded_spent={"USD": D("4500.00")},
        funded_revenue_elsewhere={"USD": D("441451.00")},
        funded_pipeline_elsewhere={"USD": D("1793614.00")},
    )
    assert value("mdf_roi", totals) == {"USD": None}
    assert value("pipeline_per_mdf", totals) == {"USD": None}
    assert display(BY_NAME["mdf_roi"], value("mdf_roi", totals)) == ["— (USD)"]


def test_spend_without_any_result_is_minus_one_hundred_percent():
    totals = Totals(funded_spent={"EUR": D("1000.00")})
    assert value("mdf_roi", totals) == {"EUR": D("-100.0")}
    assert value("cost_per_lead", totals) == {"EUR": None}  # no leads: no cost per lead


def test_no_spend_no_ratio():
    totals = Totals(funded_revenue={"EUR": D("1000.00")}, funded_leads={"EUR": 5})
    assert value("mdf_roi", totals) == {"EUR": None}
    assert display(BY_NAME["mdf_roi"], {"EUR": None}) == ["— (EUR)"]
    assert display(BY_NAME["mdf_roi"], {}) == ["—"]
    assert value("cost_per_lead", totals) == {}


def test_change_against_the_previous_period_in_words_and_arrows():
    leads = BY_NAME["leads"]
    [up] = kpis.change(leads, 12, 10)
    assert (up.direction, up.arrow, up.text) == ("up", "▲", "+20.0 %")
    [down] = kpis.change(leads, 5, 10)
    assert (down.direction, down.arrow, down.text) == ("down", "▼", "\u221250.0 %")
    [new] = kpis.change(leads, 3, 0)
    assert new.text == "new"
    rate = BY_NAME["click_to_lead"]
    [points] = kpis.change(rate, D("4.5"), D("3.0"))
    assert points.text == "+1.5 points"
    assert kpis.change(rate, D("4.5"), None) == []  # undefined before: nothing to say
    revenue = kpis.change(
        BY_NAME["revenue"], {"EUR": D("150.00")}, {"EUR": D("100.00"), "USD": D("10.00")}
    )
    assert [(c.currency, c.text) for c in revenue] == [("EUR", "+50.0 %"), ("USD", "\u2212100.0 %")]


def test_api_shape_decimal_strings_with_currency():
    totals = Totals(clicks=10, leads=0, pipeline={"EUR": D("12.50")})
    data = kpis.as_json(totals)
    assert data["clicks"] == 10
    assert data["click_to_lead"] == "0.0"
    assert data["lead_to_opportunity"] is None
    assert data["pipeline"] == [{"currency": "EUR", "value": "12.50"}]


@pytest.mark.django_db
def test_mdf_roi_goes_through_the_fund_request_launch_link(alice, bob, staff_users):
    # given: two launches of alice; a fund request names the first; 1,000 EUR spent on it
    kit = make_kit()
    funded, unfunded = make_launch(alice, kit, "Funded"), make_launch(alice, kit, "Other")
    day = today() - timedelta(days=1)
    results(
        alice.partner,
        day,
        launch=funded,
        clicks=100,
        leads=20,
        opps=2,
        won=1,
        pipeline="9000.00",
        revenue="4000.00",
    )
    results(alice.partner, day, launch=unfunded, clicks=50, leads=10, won=1, revenue="7000.00")
    results(bob.partner, day, launch=make_launch(bob, kit), leads=99, won=3, revenue="99999.00")
    funded_spend(alice, staff_users, launch=funded, amount="1000.00")
    funded_spend(alice, staff_users, launch=None, amount="300.00")  # names no launch

    # when
    from django_scopes import scopes_disabled

    with scopes_disabled():
        totals = selectors.partner_totals(partner=alice.partner, start=day, end=today())

    # then: MDF spent counts all spend; ROI only the funded launch's revenue vs its spend
    assert value("mdf_spent", totals) == {"EUR": D("1300.00")}
    assert totals.funded_spent == {"EUR": D("1000.00")}
    assert value("revenue", totals) == {"EUR": D("11000.00")}
    assert value("mdf_roi", totals) == {"EUR": D("300.0")}  # (4000 − 1000) ÷ 1000
    assert value("cost_per_lead", totals) == {"EUR": D("50.00")}  # 1000 ÷ 20 leads
    assert value("pipeline_per_mdf", totals) == {"EUR": D("9.00")}


def test_the_docs_list_every_kpi_with_its_meaning():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "performance.md").read_text()
    for kpi in kpis.KPIS:
        assert f"| {kpi.label} | `{kpi.name}` | {kpi.format} | {kpi.meaning} |" in text


@pytest.mark.django_db
def test_each_currencys_spend_is_set_against_the_launches_it_funded(alice, staff_users):
    # given: one launch funded in EUR, another in USD, each with its own leads and revenue
    kit = make_kit()
    euro, dollar = make_launch(alice, kit, "Euro"), make_launch(alice, kit, "Dollar")
    day = today() - timedelta(days=1)
    results(alice.partner, day, launch=euro, leads=10, won=1, revenue="3000.00")
    results(alice.partner, day, launch=dollar, leads=40, won=1, revenue="500.00", currency="USD")
    funded_spend(alice, staff_users, launch=euro, amount="1000.00")
    funded_spend(alice, staff_users, launch=dollar, amount="2000.00", currency="USD")

    from django_scopes import scopes_disabled

    with scopes_disabled():
        totals = selectors.partner_totals(partner=alice.partner, start=day, end=today())
        [pool_eur, pool_usd] = selectors.mdf_roi_by_pool(start=day, end=today())

    # then: EUR spend against the EUR-funded launch only, USD against the USD one
    assert value("cost_per_lead", totals) == {"EUR": D("100.00"), "USD": D("50.00")}
    assert value("mdf_roi", totals) == {"EUR": D("200.0"), "USD": D("-75.0")}
    assert value("mdf_roi", pool_eur.totals) == {"EUR": D("200.0")}
    assert value("cost_per_lead", pool_usd.totals) == {"USD": D("50.00")}


@pytest.mark.django_db
def test_totals_of_many_partners_and_periods_at_once_are_each_partners_own(
    alice, tiers, staff_users, django_assert_num_queries
):
    from tests.conftest import make_partner_world

    bob = make_partner_world("bob", tiers["silver"], manager=staff_users["channel_manager"])
    # given: alice's launches funded in EUR and USD, results on several days, bob's too
    kit = make_kit()
    euro, dollar = make_launch(alice, kit, "Euro"), make_launch(alice, kit, "Dollar")
    yesterday, earlier = today() - timedelta(days=1), today() - timedelta(days=40)
    results(alice.partner, yesterday, launch=euro, leads=10, won=1, revenue="3000.00")
    results(
        alice.partner, earlier, launch=dollar, leads=4, opps=1, pipeline="800.00", currency="USD"
    )
    results(alice.partner, earlier, clicks=70, downloads=3, mqls=2)
    results(bob.partner, yesterday, launch=make_launch(bob, kit), leads=99, won=2, revenue="999.00")
    funded_spend(alice, staff_users, launch=euro, amount="1000.00")
    funded_spend(alice, staff_users, launch=dollar, amount="2000.00", currency="USD")
    funded_spend(alice, staff_users, launch=None, amount="300.00")
    funded_spend(bob, staff_users, amount="50.00")
    slices = [
        (partner.pk, start, today())
        for partner in (alice.partner, bob.partner)
        for start in (yesterday, earlier, today() - timedelta(days=400))
    ] + [(alice.partner.pk, earlier, earlier), (bob.partner.pk, earlier, earlier)]

    from django_scopes import scopes_disabled

    with scopes_disabled():
        # when
        with django_assert_num_queries(3):
            many = selectors.partner_totals_by_period(periods=slices)
            allocated = selectors.partner_mdf_allocated_by_period(periods=slices)

        # then: each slice's totals are `partner_totals`' for it, and its MDF allocated
        for partner_id, start, end in slices:
            partner = alice.partner if partner_id == alice.partner.pk else bob.partner
            alone = selectors.partner_totals(partner=partner, start=start, end=end)
            assert many[(partner_id, start, end)] == alone
            assert allocated[(partner_id, start, end)] == selectors.partner_mdf_allocated(
                partner=partner, start=start, end=end
            )
    # the figures are not all zero: MDF ROI and cost per lead ran through the links
    alices = many[(alice.partner.pk, earlier, today())]
    assert value("mdf_roi", alices) == {"EUR": D("200.0"), "USD": D("-100.0")}
    assert value("cost_per_lead", alices) == {"EUR": D("100.00"), "USD": D("500.00")}
    assert value("leads", many[(bob.partner.pk, yesterday, today())]) == 99
    assert allocated[(bob.partner.pk, yesterday, today())] == {"EUR": D("100000.00")}
