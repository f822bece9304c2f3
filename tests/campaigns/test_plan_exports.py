"""A plan's downloads: the PDF for the partner's leadership (a real PDF whose text
names the partner, the period, the approval, the targets with their actuals and the
weighted total) and the CSV of targets and activities in plain numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from campaigns import exports, services
from campaigns.models import Plan, PlanTarget
from tests.analytics.performance_data import metric
from tests.campaigns.plan_factories import add_activity, add_target, make_period, make_plan
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(alice, staff_users) -> Plan:
    period = make_period(date(2026, 1, 1), name="2026 H1")
    draft = make_plan(alice, period, title="Alice grows mid-market")
    add_target(draft, alice, values=["100", "120"], weight="2")
    add_target(
        draft,
        alice,
        measure=PlanTarget.Measure.PIPELINE,
        currency="EUR",
        values=["50000", "0"],
    )
    custom = add_target(
        draft,
        alice,
        measure=PlanTarget.Measure.CUSTOM,
        name="Certified engineers",
        values=["5", "5"],
    )
    add_activity(draft, alice, title="Cloud webinar series", budget="2500.00")
    metric(alice.partner, date(2026, 2, 10), leads=80)
    metric(alice.partner, date(2026, 5, 3), leads=150)
    submitted = services.plan_submit(plan=draft, actor=alice.admin)
    approved = services.plan_approve(
        plan=submitted, actor=staff_users["channel_manager"], note="Go."
    )
    services.custom_actual_set(target=custom, quarter=1, actual="4", actor=alice.marketer)
    return approved


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_is_a_plan_a_leadership_reads(plan):
    data = exports.plan_pdf(plan)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (
        "Alice grows mid-market",
        "Alice Corp",
        "2026 H1",
        "Grow pipeline in the mid-market.",
        "Approved",
        "Carl",  # who approved
        "Leads",
        "Pipeline",
        "Certified engineers",
        "Cloud webinar series",
        "2,500.00 EUR",
        "Weighted attainment",
        "Attainment per target",  # the chart's heading
    ):
        assert expected in text, expected
    # Leads: 80 of 100, 150 of 120, 230 of 220 over the period.
    assert "80.0 %" in text and "125.0 %" in text and "104.5 %" in text


def test_an_accented_partner_name_survives_in_the_pdf(tiers, staff_users):
    world = make_partner_world("muller", tiers["gold"])
    with scopes_disabled():
        world.partner.name = "Müller & Søn"
        world.partner.save(update_fields=["name"])
    plan = make_plan(world, make_period(date(2026, 1, 1)), title="Zürich plan")
    text = pdf_text(exports.plan_pdf(plan))
    assert "Müller & Søn" in text and "Zürich plan" in text
    assert "No targets yet." in text


def rows_of(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_has_targets_per_quarter_and_activities_in_plain_numbers(plan):
    response = exports.plan_csv(plan)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="plan-alice-2026-h1-' in response["Content-Disposition"]
    rows = rows_of(response)
    assert list(rows[0]) == exports.CSV_HEADER
    leads = [row for row in rows if row["measure"] == "leads"]
    assert [
        (r["record"], r["quarter"], r["target"], r["actual"], r["attainment_percent"])
        for r in leads
    ] == [
        ("target", "1", "100.00", "80", "80.0"),
        ("target", "2", "120.00", "150", "125.0"),
        ("target_total", "", "220.00", "230", "104.5"),
    ]
    assert leads[0]["quarter_start"] == "2026-01-01" and leads[0]["quarter_end"] == "2026-03-31"
    assert leads[0]["weight"] == "2.00"
    pipeline = [row for row in rows if row["measure"] == "pipeline"]
    assert pipeline[0]["currency"] == "EUR" and pipeline[0]["target"] == "50000.00"
    assert pipeline[1]["attainment_percent"] == ""  # a target of zero has no attainment
    custom = [row for row in rows if row["measure"] == "custom" and row["quarter"] == "1"]
    assert custom[0]["name"] == "Certified engineers" and custom[0]["actual"] == "4.00"
    (total,) = [row for row in rows if row["record"] == "weighted_total"]
    assert total["attainment_percent"] != ""
    (activity,) = [row for row in rows if row["record"] == "activity"]
    assert activity["name"] == "Cloud webinar series"
    assert (activity["budget"], activity["currency"]) == ("2500.00", "EUR")
    assert activity["owner_side"] == "partner" and activity["status"] == "planned"
    assert activity["start_date"] == "2026-01-01"


def test_staff_download_both_from_the_plan_page(client, plan, staff_users):
    client.force_login(staff_users["analyst"])
    pdf = client.get(reverse("admin:campaigns_plan_pdf", args=[plan.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert 'filename="plan-alice-2026-h1.pdf"' in pdf["Content-Disposition"]
    assert "Alice Corp" in pdf_text(pdf.content)
    data = client.get(reverse("admin:campaigns_plan_csv", args=[plan.pk]))
    assert data.status_code == 200 and any(r["name"] == "Leads" for r in rows_of(data))
