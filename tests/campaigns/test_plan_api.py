"""The plans API: a partner's marketing automation (or its people) writes its plan,
targets and activities and submits it; errors are 400s naming the field, nothing
half-saved; another partner's plan is a 404; staff keys read but never write."""

from __future__ import annotations

from datetime import date

import pytest
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import Plan, PlanActivity, PlanTarget
from tests.campaigns.factories import make_kit, make_launch
from tests.campaigns.plan_factories import activity_type, make_fund_request, make_period, make_plan
from tests.conftest import key_client

pytestmark = pytest.mark.django_db
PLANS = "/api/v1/plans/"


@pytest.fixture
def period(db):
    return make_period(date(2027, 1, 1))  # 2027 H1


def attrs(response) -> set[str]:
    assert response.status_code == 400, response.content
    return {error["attr"] for error in response.json()["errors"]}


def activity_body(**fields) -> dict:
    activity_type()
    return {
        "title": "Cloud webinar",
        "activity_type": "webinar",
        "owner_side": "partner",
        "start_date": "2027-02-01",
        "end_date": "2027-02-02",
        "budget": "2500.00",
        "currency": "EUR",
        **fields,
    }


def test_a_partner_key_writes_and_submits_its_plan(alice, alice_key, period, staff_users):
    client = key_client(alice_key)
    periods = client.get("/api/v1/plan-periods/").json()
    assert [p["id"] for p in periods] == [period.pk]

    created = client.post(PLANS, {"period": period.pk, "title": "FY27 H1"}, format="json")
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["status"] == "draft" and plan["partner"] == "alice"
    url = f"{PLANS}{plan['id']}/"

    target = client.post(
        f"{url}targets/",
        {"measure": "pipeline", "currency": "EUR", "values": ["10000", "12500.50"], "weight": "2"},
        format="json",
    )
    assert target.status_code == 201, target.content
    assert target.json()["number"] == 1
    assert [q["value"] for q in target.json()["quarters"]] == ["10000.00", "12500.50"]
    custom = client.post(
        f"{url}targets/",
        {"measure": "custom", "name": "Engineers certified", "values": ["2", "2"], "weight": "1"},
        format="json",
    )
    assert custom.json()["number"] == 2
    actual = client.post(f"{url}targets/2/actual/", {"quarter": 1, "actual": "1"}, format="json")
    assert actual.status_code == 200, actual.content
    assert actual.json()["quarters"][0]["actual"] == "1.00"

    kit = make_kit()
    launch = make_launch(alice, kit)
    request = make_fund_request(alice, staff_users)
    activity = client.post(
        f"{url}activities/",
        activity_body(kit=kit.slug, launch=launch.code, fund_request=str(request.uuid)),
        format="json",
    )
    assert activity.status_code == 201, activity.content
    assert activity.json()["launch"] == launch.code
    moved = client.patch(
        f"{url}activities/{activity.json()['id']}/",
        {"status": "in_progress", "budget": "3000.00"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["status"], moved.json()["budget"]) == ("in_progress", "3000.00")

    assert client.patch(url, {"objectives": "Grow EUR pipeline"}, format="json").status_code == 200
    submitted = client.post(f"{url}submit/")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted" and body["revision"] == 1
    assert [row["measure"] for row in body["scorecard"]["rows"]] == ["pipeline", "custom"]
    # while submitted, no more edits
    refused = client.patch(url, {"title": "Sneaky"}, format="json")
    assert attrs(refused) == {"status"}


def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(alice, alice_key, period):
    client = key_client(alice_key)
    plan = make_plan(alice, period)
    url = f"{PLANS}{plan.uuid}/"
    for body, field in (
        ({"measure": "leads", "values": ["-1", "2"], "weight": "1"}, "values"),
        ({"measure": "leads", "values": ["many", "2"], "weight": "1"}, "values"),
        ({"measure": "leads", "values": ["1"], "weight": "1"}, "values"),
        ({"measure": "leads", "values": ["1", "2"], "weight": "0"}, "weight"),
        ({"measure": "leads", "values": ["1", "2"], "weight": "-1"}, "weight"),
        ({"measure": "revenue", "values": ["1", "2"], "weight": "1"}, "currency"),
        ({"measure": "nope", "values": ["1", "2"], "weight": "1"}, "measure"),
    ):
        assert attrs(client.post(f"{url}targets/", body, format="json")) == {field}, body
    for fields, field in (
        ({"start_date": "2026-12-31"}, "start_date"),
        ({"end_date": "2027-07-01"}, "end_date"),
        ({"budget": "-3"}, "budget"),
        ({"budget": "1.001"}, "budget"),
        ({"currency": "ZZZ"}, "currency"),
        ({"activity_type": "no-such-type"}, "activity_type"),
    ):
        assert attrs(client.post(f"{url}activities/", activity_body(**fields), format="json")) == {
            field
        }
    with scopes_disabled():
        assert not PlanTarget.objects.exists() and not PlanActivity.objects.exists()
    # a second plan for the same period
    again = client.post(PLANS, {"period": period.pk, "title": "Again"}, format="json")
    assert attrs(again) == {"period"}
    # submitting without targets
    assert attrs(client.post(f"{url}submit/")) == {"targets"}
    # a KPI's actual is not typed in
    client.post(f"{url}targets/", {"measure": "leads", "values": ["1", "2"], "weight": "1"})
    typed = client.post(f"{url}targets/1/actual/", {"quarter": 1, "actual": "5"}, format="json")
    assert attrs(typed) == {"actual"}


def test_another_partners_launch_fund_request_or_kit_does_not_exist(
    alice, bob, alice_key, period, staff_users
):
    client = key_client(alice_key)
    plan = make_plan(alice, period)
    kit = make_kit(name="Shared")
    bobs_kit = make_kit(name="Bob only", audience={"partners": [bob.partner]})
    for fields, field in (
        ({"launch": make_launch(bob, kit).code}, "launch"),
        ({"fund_request": str(make_fund_request(bob, staff_users).uuid)}, "fund_request"),
        ({"kit": bobs_kit.slug}, "kit"),
    ):
        response = client.post(
            f"{PLANS}{plan.uuid}/activities/", activity_body(**fields), format="json"
        )
        assert attrs(response) == {field}
        assert "does not exist" in response.json()["errors"][0]["detail"]


def test_another_partners_plan_is_not_found(alice, bob, bob_key, period):
    plan = make_plan(alice, period)
    client = key_client(bob_key)
    assert client.get(f"{PLANS}{plan.uuid}/").status_code == 404
    assert client.patch(f"{PLANS}{plan.uuid}/", {"title": "x"}, format="json").status_code == 404
    assert client.get(f"{PLANS}{plan.uuid}/targets/").status_code == 404
    assert client.get(PLANS).json()["results"] == []


def test_staff_keys_read_every_plan_but_never_write(alice, bob, staff_key, period):
    make_plan(alice, period)
    bobs = make_plan(bob, period)
    client = key_client(staff_key)
    listed = client.get(PLANS, {"partner": "bob"}).json()["results"]
    assert [p["id"] for p in listed] == [str(bobs.uuid)]
    assert client.get(f"{PLANS}{bobs.uuid}/").status_code == 200
    assert client.patch(f"{PLANS}{bobs.uuid}/", {"title": "x"}, format="json").status_code == 403
    created = client.post(
        PLANS, {"partner": "bob", "period": period.pk, "title": "x"}, format="json"
    )
    assert created.status_code == 403


def test_a_sales_rep_reads(alice, period):
    from rest_framework.test import APIClient

    plan = make_plan(alice, period)
    client = APIClient()
    client.force_login(alice.sales)
    assert client.get(f"{PLANS}{plan.uuid}/").status_code == 200
    assert client.post(f"{PLANS}{plan.uuid}/submit/").status_code == 403


def test_editing_an_approved_plan_through_the_api_starts_a_new_revision(
    alice, alice_key, period, staff_users
):
    plan = make_plan(alice, period)
    services.target_add(
        plan=plan, actor=alice.admin, measure="leads", values=["1", "1"], weight="1"
    )
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    services.plan_approve(plan=plan, actor=staff_users["channel_manager"])
    client = key_client(alice_key)
    changed = client.patch(f"{PLANS}{plan.uuid}/targets/1/", {"values": ["2", "2"]}, format="json")
    assert changed.status_code == 200, changed.content
    detail = client.get(f"{PLANS}{plan.uuid}/").json()
    assert (detail["status"], detail["revision"]) == ("draft", 2)
    with scopes_disabled():
        assert Plan.objects.get(pk=plan.pk).revisions.get().decision == "approved"
