"""MDF reports against a small scenario computed by hand: utilisation per pool, tier and
partner, pre-approval turnaround, claim cycle time and first-pass acceptance."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import reports, services
from mdf.models import Claim, FundRequest
from mdf.reconcile import reconcile
from mdf.reports import report_tables
from mdf.selectors import Balance
from tests.conftest import make_partner_world, make_user
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    make_pool,
    png_bytes,
    submitted_claim,
    upload,
)

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime(2031, 3, 3, 12, 0))  # a Monday, noon
T1 = timezone.make_aware(datetime(2031, 6, 2, 12, 0))


def decide(fund_request, actor, approve=True, note="ok"):
    return services.request_decide(
        fund_request=fund_request, actor=actor, approve=approve, note=note
    )


def submitted(world, allocation, activity_type, amount):
    fund_request = draft_request(world, allocation, activity_type, amount)
    return services.request_submit(fund_request=fund_request, actor=world.marketer)


def set_times(model, obj, **values):
    with scopes_disabled():
        model.objects.filter(pk=obj.pk).update(**values)


@pytest.fixture
def scenario(pool, allocation, alice, bob, event_type, proof_kinds, staff_users):
    """
    FY27 H1 (EUR, 100 %): alice (gold) 10,000, bob (silver) 5,000; FY27 USD: alice 2,000.
    R1 alice 1,000 approved; R2 alice 2,000 rejected; R3 bob 1,500 approved.
    C1 alice 600 approved first time and paid; C3 alice 200 rejected; C4 alice 100 pending;
    C2 bob 500 returned once, then approved; C5 bob 300 returned (awaiting resubmission).
    """
    carl, maya = staff_users["channel_manager"], staff_users["marketing_admin"]
    finance = staff_users["finance_approver"]
    bob_allocation = services.allocation_create(
        pool=pool, partner=bob.partner, amount="5000", actor=maya, reason="H1"
    )
    dollars = make_pool(name="FY27 USD", currency="USD")
    services.allocation_create(
        pool=dollars, partner=alice.partner, amount="2000", actor=maya, reason="US"
    )
    r1 = decide(submitted(alice, allocation, event_type, "1000.00"), carl)
    r2 = decide(submitted(alice, allocation, event_type, "2000.00"), carl, approve=False)
    r3 = decide(submitted(bob, bob_allocation, event_type, "1500.00"), maya)
    with after_activity(r1):
        c1 = submitted_claim(alice, r1, proof_kinds, "600.00")
        c3 = submitted_claim(alice, r1, proof_kinds, "200.00")
        c4 = submitted_claim(alice, r1, proof_kinds, "100.00")
        c2 = submitted_claim(bob, r3, proof_kinds, "500.00")
        c5 = submitted_claim(bob, r3, proof_kinds, "300.00")
        services.claim_decide(claim=c1, actor=finance, decision="approve", note="ok")
        services.claim_decide(claim=c3, actor=finance, decision="reject", note="not eligible")
        for claim in (c2, c5):
            services.claim_decide(claim=claim, actor=finance, decision="return", note="blurry")
        services.claim_attach_proof(
            claim=c2,
            proof_kind=proof_kinds["photo"],
            upload=upload("sharp.png", png_bytes()),
            actor=bob.marketer,
        )
        services.claim_submit(claim=c2, actor=bob.marketer)
        services.claim_decide(claim=c2, actor=finance, decision="approve", note="ok now")
    with time_machine.travel(T1 + timedelta(days=5), tick=False):
        services.claim_record_payment(
            claim=c1, actor=finance, paid_at=(T1 + timedelta(days=5)).date(), reference="P-1"
        )
    # Hand-set times: turnaround 2, 4 and 9 days; claims decided after 3, 6 and 1 days.
    for fund_request, days in ((r1, 2), (r2, 4), (r3, 9)):
        set_times(
            FundRequest,
            fund_request,
            submitted_at=T0,
            decided_at=T0 + timedelta(days=days),
        )
    for claim, days in ((c1, 3), (c2, 6), (c3, 1)):
        set_times(Claim, claim, first_submitted_at=T1, decided_at=T1 + timedelta(days=days))
    assert c4.status == Claim.Status.SUBMITTED
    return {"pool": pool, "dollars": dollars}


def figures(row):
    b = row.balance
    return (row.label, b.currency, b.allocated, b.committed, b.spent, b.paid, b.utilisation)


def test_utilisation_per_pool_tier_and_partner(scenario):
    assert [(*figures(r), r.total, r.unallocated, r.partners) for r in
            reports.utilisation_by_pool()] == [
        ("FY27 H1", "EUR", D("15000"), D("1400"), D("1100"), D("600"), D("16.7"),
         D("100000"), D("85000"), 2),
        ("FY27 USD", "USD", D("2000"), D("0"), D("0"), D("0"), D("0"),
         D("100000"), D("98000"), 1),
    ]  # fmt: skip
    assert [figures(r) for r in reports.utilisation_by_tier()] == [
        ("Gold", "EUR", D("10000"), D("400"), D("600"), D("600"), D("10.0")),
        ("Gold", "USD", D("2000"), D("0"), D("0"), D("0"), D("0")),
        ("Silver", "EUR", D("5000"), D("1000"), D("500"), D("0"), D("30.0")),
    ]
    assert [figures(r) for r in reports.utilisation_by_partner()] == [
        ("Alice Corp", "EUR", D("10000"), D("400"), D("600"), D("600"), D("10.0")),
        ("Alice Corp", "USD", D("2000"), D("0"), D("0"), D("0"), D("0")),
        ("Bob Corp", "EUR", D("5000"), D("1000"), D("500"), D("0"), D("30.0")),
    ]
    only_dollars = reports.utilisation_by_partner(pool=scenario["dollars"])
    assert [figures(r) for r in only_dollars] == [
        ("Alice Corp", "USD", D("2000"), D("0"), D("0"), D("0"), D("0")),
    ]
    assert reconcile() == []


def test_turnaround_cycle_time_and_first_pass(scenario):
    assert reports.request_turnaround() == [
        reports.DurationRow("FY27 H1", 3, D("4.0"), D("8.0")),
        reports.DurationRow(reports.ALL_POOLS, 3, D("4.0"), D("8.0")),
    ]
    assert reports.claim_cycle_time()[-1] == reports.CycleRow(
        reports.ALL_POOLS,
        decided=3,
        median_to_decision=D("3.0"),
        paid=1,
        median_decision_to_payment=D("2.0"),
        median_submission_to_payment=D("5.0"),
    )
    first_pass = reports.claim_first_pass()
    # decided: C1, C2, C3 and the returned C5; approved on the first pass: C1 only
    assert [(r.label, r.decided, r.first_pass, r.rate) for r in first_pass] == [
        ("FY27 H1", 4, 1, D("25.0")),
        (reports.ALL_POOLS, 4, 1, D("25.0")),
    ]
    assert reports.request_turnaround(pool=scenario["dollars"]) == [
        reports.DurationRow(reports.ALL_POOLS, 0, None, None)
    ]


def test_percentile_interpolates_like_percentile_cont():
    values = [D(1), D(2), D(3), D(4), D(10)]
    assert reports.percentile(values, D("0.5")) == D("3.0")
    assert reports.percentile(values, D("0.9")) == D("7.6")
    assert reports.percentile([D("2.25")], D("0.9")) == D("2.2")
    assert reports.percentile([], D("0.5")) is None


def test_reports_cost_the_same_queries_with_more_rows(
    scenario, tiers, event_type, proof_kinds, staff_users
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            report_tables()
        return len(queries)

    before = count()
    for slug in ("carol", "dave", "erin"):
        world = make_partner_world(slug, tiers["gold"])
        allocation = services.allocation_create(
            pool=scenario["pool"],
            partner=world.partner,
            amount="1000",
            actor=staff_users["marketing_admin"],
            reason="more",
        )
        decide(submitted(world, allocation, event_type, "100.00"), staff_users["marketing_admin"])
    assert count() == before


def test_reports_page_and_csv_exports(client, scenario, staff_users, alice):
    url = reverse("admin:mdf_reports")
    client.force_login(staff_users["analyst"])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for title in ("Utilisation per pool", "Pre-approval turnaround", "first-pass acceptance"):
        assert title in body

    def rows(**params):
        response = client.get(url, params)
        assert response["Content-Disposition"].startswith("attachment;")
        return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    pools = rows(export="pools")
    assert pools[0] == {
        "pool": "FY27 H1",
        "currency": "EUR",
        "total": "100000.00",
        "unallocated": "85000.00",
        "partners": "2",
        "allocated": "15000.00",
        "committed": "1400.00",
        "claimed": "1100.00",
        "paid": "600.00",
        "expired": "0.00",
        "carried_over": "0.00",
        "utilisation_pct": "16.7",
    }
    # the page shows the CSV's figures, money grouped by thousands
    page_row = html_table(body, "pools")[0]
    assert page_row[:6] == ["FY27 H1", "EUR", "100,000.00", "85,000.00", "2", "15,000.00"]
    assert [r["pool"] for r in rows(export="pools", pool=scenario["dollars"].pk)] == ["FY27 USD"]
    assert rows(export="first_pass")[-1] == {
        "pool": "All pools",
        "claims_decided_once": "4",
        "approved_first_pass": "1",
        "rate_pct": "25.0",
    }
    assert rows(export="turnaround")[-1]["p90_days"] == "8.0"
    assert rows(export="cycle")[-1]["median_decision_to_payment"] == "2.0"
    assert {r["partner"] for r in rows(export="partners")} == {"Alice Corp", "Bob Corp"}
    assert client.get(url, {"export": "nope"}).status_code == 404

    client.force_login(make_user("sam_staff", staff=True))  # staff without MDF permissions
    assert client.get(url).status_code == 403
    client.force_login(alice.admin)
    assert client.get(url).status_code == 302  # to the admin login: partners never see it


def html_table(body: str, key: str) -> list[list[str]]:
    """The rows of one report table on the page, as the cells' text."""
    table = body[body.index(f'<h2 id="{key}">') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_first_pass_counts_a_return_as_a_decided_claim_not_accepted_first_time(
    client, allocation, alice, event_type, proof_kinds, staff_users
):
    # given: claims at every step of their life on one approved request
    finance = staff_users["finance_approver"]
    fund_request = approved_request(alice, allocation, event_type, staff_users, "4000.00")

    def decide_claim(claim, decision, **extra):
        return services.claim_decide(
            claim=claim, actor=finance, decision=decision, note="noted", **extra
        )

    with after_activity(fund_request):
        claims = {
            name: submitted_claim(alice, fund_request, proof_kinds, "100.00")
            for name in (
                "approved",
                "approved_partly",
                "rejected",
                "returned_waiting",
                "returned_resubmitted",
                "returned_then_approved",
                "awaiting_first_decision",
            )
        }
        services.claim_create(fund_request=fund_request, amount="100.00", actor=alice.marketer)
        decide_claim(claims["approved"], "approve")
        decide_claim(claims["approved_partly"], "approve", approved_amount="60.00")
        decide_claim(claims["rejected"], "reject")
        for name in ("returned_waiting", "returned_resubmitted", "returned_then_approved"):
            decide_claim(claims[name], "return")
        for name in ("returned_resubmitted", "returned_then_approved"):
            services.claim_submit(claim=claims[name], actor=alice.marketer)
        decide_claim(claims["returned_then_approved"], "approve")

    # when
    rows = reports.claim_first_pass()

    # then: decided = all but the draft and the one awaiting its first decision;
    # accepted first time = the two approved on their first decision
    assert [(r.label, r.decided, r.first_pass, r.rate) for r in rows] == [
        ("FY27 H1", 6, 2, D("33.3")),
        (reports.ALL_POOLS, 6, 2, D("33.3")),
    ]

    # and the reports page shows the same figures as its CSV, with the definition
    client.force_login(staff_users["analyst"])
    url = reverse("admin:mdf_reports")
    body = client.get(url).content.decode()
    assert "First-pass acceptance = claims whose first decision was an approval" in body
    exported = client.get(url, {"export": "first_pass"})
    csv_rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert csv_rows[0] == ["pool", "claims_decided_once", "approved_first_pass", "rate_pct"]
    # the page heads the same columns in words
    assert "<th>Claims decided once</th><th>Approved first pass</th><th>Rate %</th>" in body
    expected = [["FY27 H1", "6", "2", "33.3"], ["All pools", "6", "2", "33.3"]]
    assert html_table(body, "first_pass") == expected
    assert csv_rows[1:] == expected


def test_balances_from_sqlite_sums_are_decimals_in_cents():
    # SQLite sums decimals as int or float; a Balance keeps every figure in cents.
    balance = Balance.from_sums(
        "EUR", {"sum_allocated": 252000, "sum_committed": 0.1 + 0.2}, "sum_"
    )
    assert (balance.allocated, balance.committed, balance.spent) == (
        D("252000.00"),
        D("0.30"),
        D("0.00"),
    )
    assert str(balance.available) == "251999.70"
