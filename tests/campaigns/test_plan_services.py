"""The services of joint marketing plans: the workflow and its guards, revisions frozen
byte for byte, targets and activities and their bad input, links to launches, fund
requests and kits of the partner only, custom actuals, comments, emails, the close job."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from campaigns import selectors, services, tasks
from campaigns.models import Plan, PlanEvent, PlanRevision, PlanTarget
from partners import roles
from tests.campaigns.factories import make_kit, make_launch
from tests.campaigns.plan_factories import (
    add_activity,
    add_target,
    make_fund_request,
    make_period,
    make_plan,
    submitted_plan,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
D = Decimal
PS = Plan.Status


@pytest.fixture
def period(db):
    return make_period(date(2026, 1, 1))


@pytest.fixture
def manager(staff_users):
    return staff_users["channel_manager"]


def events(plan: Plan) -> list[str]:
    with scopes_disabled():
        return list(
            PlanEvent.objects.filter(plan=plan).order_by("id").values_list("action", flat=True)
        )


def field_of(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.message_dict)


# --- creating and editing -------------------------------------------------------------


def test_a_partner_marketer_starts_a_draft_for_an_open_period(alice, period):
    plan = make_plan(alice, period)
    assert plan.status == PS.DRAFT
    assert plan.revision == 1
    assert events(plan) == ["created"]


def test_one_plan_per_partner_and_period(alice, bob, period):
    make_plan(alice, period)
    with pytest.raises(ValidationError) as exc:
        make_plan(alice, period, title="Again")
    assert field_of(exc) == {"period"}
    make_plan(bob, period)  # another partner may


def test_a_closed_period_takes_no_new_plan(alice):
    closed = make_period(date(2026, 7, 1), is_open=False)
    with pytest.raises(ValidationError) as exc:
        make_plan(alice, closed)
    assert field_of(exc) == {"period"}
    with scopes_disabled():
        assert not Plan.objects.exists()


def test_only_the_partners_admins_and_marketers_write_the_plan(alice, bob, period, staff_users):
    with pytest.raises(PermissionDenied):
        services.plan_create(partner=alice.partner, period=period, actor=alice.sales, title="x")
    with pytest.raises(PermissionDenied):
        services.plan_create(partner=alice.partner, period=period, actor=bob.admin, title="x")
    plan = make_plan(alice, period)
    for outsider in (
        alice.sales,
        bob.admin,
        staff_users["marketing_admin"],
        staff_users["channel_manager"],
    ):
        assert not services.can_edit_plan(outsider, plan)
        with pytest.raises(PermissionDenied):
            services.plan_update(plan=plan, actor=outsider, title="Taken over")
        with pytest.raises(PermissionDenied):
            services.target_add(
                plan=plan, actor=outsider, measure="leads", values=["1", "1"], weight="1"
            )
    assert services.can_edit_plan(alice.admin, plan)
    plan.refresh_from_db()
    assert plan.title == "Alice Corp plan"


def test_targets_refuse_bad_input_at_the_field(alice, period):
    plan = make_plan(alice, period)
    cases = [
        ({"values": ["10"]}, "values"),  # a half year has two quarters
        ({"values": ["-1", "10"]}, "values"),
        ({"values": ["ten", "10"]}, "values"),
        ({"values": ["1.234", "10"]}, "values"),
        ({"weight": "0"}, "weight"),
        ({"weight": "-2"}, "weight"),
        ({"weight": "heavy"}, "weight"),
        ({"measure": "revenue"}, "currency"),  # money needs a currency
        ({"measure": "revenue", "currency": "XYZ"}, "currency"),
        ({"measure": "leads", "currency": "EUR"}, "currency"),
        ({"measure": "custom"}, "name"),
        ({"measure": "vibes"}, "measure"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as exc:
            add_target(plan, alice, **fields)
        assert field in field_of(exc), fields
    with scopes_disabled():
        assert not PlanTarget.objects.exists()
    add_target(plan, alice, measure="revenue", currency="eur", values=["1000.50", "2000"])
    with pytest.raises(ValidationError) as exc:
        add_target(plan, alice, measure="revenue", currency="EUR")
    assert field_of(exc) == {"measure"}


def test_activities_stay_inside_the_period_with_a_sane_budget(alice, period):
    plan = make_plan(alice, period)
    cases = [
        ({"start_date": date(2025, 12, 31)}, "start_date"),
        ({"end_date": date(2026, 7, 1)}, "end_date"),
        ({"start_date": date(2026, 3, 1), "end_date": date(2026, 2, 1)}, "end_date"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "12.345"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"currency": "EURO"}, "currency"),
        ({"title": " "}, "title"),
        ({"owner_side": "nobody"}, "owner_side"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as exc:
            add_activity(plan, alice, **fields)
        assert field in field_of(exc), fields
    assert selectors.plan_activities(plan=plan) == []


def test_a_partner_links_only_its_own_launch_and_fund_request_and_kits_of_its_audience(
    alice, bob, period, staff_users
):
    plan = make_plan(alice, period)
    kit = make_kit(name="Shared kit")
    bobs_kit = make_kit(name="Bob only", audience={"partners": [bob.partner]})
    bobs_launch = make_launch(bob, kit)
    bobs_request = make_fund_request(bob, staff_users)
    for fields, field in (
        ({"launch": bobs_launch}, "launch"),
        ({"fund_request": bobs_request}, "fund_request"),
        ({"kit": bobs_kit}, "kit"),
    ):
        with pytest.raises(ValidationError) as exc:
            add_activity(plan, alice, **fields)
        assert field_of(exc) == {field}
        assert "does not exist" in exc.value.message_dict[field][0]
    own_launch = make_launch(alice, kit)
    activity = add_activity(plan, alice, kit=kit, launch=own_launch)
    assert activity.launch == own_launch


# --- the workflow ------------------------------------------------------------------------


def test_submit_needs_a_target_and_freezes_a_revision(
    alice, period, manager, django_capture_on_commit_callbacks
):
    plan = make_plan(alice, period)
    with pytest.raises(ValidationError) as exc:
        services.plan_submit(plan=plan, actor=alice.admin)
    assert field_of(exc) == {"targets"}
    add_target(plan, alice)
    add_activity(plan, alice)
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.plan_submit(plan=plan, actor=alice.admin)
    assert plan.status == PS.SUBMITTED
    (revision,) = selectors.plan_revisions(plan=plan)
    assert revision.number == 1 and revision.decision == PlanRevision.Decision.PENDING
    assert revision.content == selectors.canonical_json(selectors.plan_content(plan=plan))
    # the reviewer (the partner's channel manager) hears of it
    (email,) = mail.outbox
    assert email.to == [manager.email]
    assert "Alice Corp" in email.subject


def test_while_submitted_the_partner_waits(alice, period):
    plan = submitted_plan(alice, period)
    with pytest.raises(ValidationError) as exc:
        services.plan_update(plan=plan, actor=alice.admin, title="Sneaky")
    assert field_of(exc) == {"status"}
    with pytest.raises(ValidationError):
        add_target(plan, alice, measure="clicks")


def test_only_staff_reviewers_approve(
    alice, bob, period, staff_users, django_capture_on_commit_callbacks
):
    plan = submitted_plan(alice, period)
    for refused in (
        alice.admin,
        bob.admin,
        staff_users["finance_approver"],
        staff_users["analyst"],
    ):
        assert not services.can_review_plan(refused, plan)
        with pytest.raises(PermissionDenied):
            services.plan_approve(plan=plan, actor=refused)
    # a channel manager of another partner may not either
    other_manager = make_user("otto_other", staff=True, role=roles.CHANNEL_MANAGER)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, actor=other_manager)
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.plan_approve(plan=plan, actor=staff_users["channel_manager"], note="Go")
    assert plan.status == PS.APPROVED
    assert plan.approved_by == staff_users["channel_manager"]
    (revision,) = selectors.plan_revisions(plan=plan)
    assert revision.decision == "approved" and revision.decided_by == staff_users["channel_manager"]
    (email,) = mail.outbox
    assert sorted(email.to) == sorted([alice.admin.email, alice.marketer.email])
    assert "Approved" in email.subject


def test_a_named_reviewer_or_any_marketing_admin_decides(alice, period, staff_users):
    plan = submitted_plan(alice, period)
    reviewer = make_user("rita_reviewer", staff=True, role=roles.CHANNEL_MANAGER)
    with scopes_disabled():
        Plan.objects.filter(pk=plan.pk).update(reviewer=reviewer)
    plan.refresh_from_db()
    assert services.can_review_plan(reviewer, plan)
    assert not services.can_review_plan(staff_users["channel_manager"], plan)
    assert services.can_review_plan(staff_users["marketing_admin"], plan)
    with scopes_disabled():  # the staff queue spans partners
        assert list(selectors.plans_for_review(user=reviewer)) == [plan]
        assert list(selectors.plans_for_review(user=staff_users["channel_manager"])) == []
        assert list(selectors.plans_for_review(user=staff_users["marketing_admin"])) == [plan]


def test_changes_requested_then_resubmitted_as_the_next_revision(
    alice, period, manager, django_capture_on_commit_callbacks
):
    plan = submitted_plan(alice, period)
    with pytest.raises(ValidationError) as exc:
        services.plan_request_changes(plan=plan, actor=manager, note="  ")
    assert field_of(exc) == {"note"}
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.plan_request_changes(plan=plan, actor=manager, note="Add an MQL target")
    assert plan.status == PS.CHANGES_REQUESTED
    (email,) = mail.outbox
    assert "Add an MQL target" in email.body
    add_target(plan, alice, measure="mqls")
    plan = services.plan_submit(plan=plan, actor=alice.marketer)
    assert [(r.number, r.decision) for r in selectors.plan_revisions(plan=plan)] == [
        (2, "pending"),
        (1, "changes_requested"),
    ]
    plan = services.plan_approve(plan=plan, actor=manager)
    assert plan.status == PS.APPROVED and plan.revision == 2


def test_an_approved_revision_stays_byte_for_byte_and_the_next_needs_approval(
    alice, period, manager
):
    plan = submitted_plan(alice, period)
    plan = services.plan_approve(plan=plan, actor=manager)
    (approved,) = selectors.plan_revisions(plan=plan)
    frozen = approved.content
    target = selectors.plan_targets(plan=plan)[0]
    plan = services.plan_update(plan=plan, actor=alice.admin, objectives="Double the pipeline.")
    assert plan.status == PS.DRAFT and plan.revision == 2
    services.target_update(target=target, actor=alice.admin, values=["150", "150"])
    services.target_add(
        plan=plan, actor=alice.admin, measure="clicks", values=["1", "2"], weight="1"
    )
    assert events(plan)[-4:] == ["reopened", "changed", "changed", "changed"]
    approved.refresh_from_db()
    assert approved.content == frozen
    assert approved.decision == "approved"
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    newer, older = selectors.plan_revisions(plan=plan)
    assert (newer.number, newer.decision) == (2, "pending")
    assert older.content == frozen
    changed = {
        (row.section, row.field)
        for row in selectors.revision_compare(older=older, newer=newer)
        if row.changed
    }
    assert ("plan", "objectives") in changed
    assert ("target", "values") in changed
    assert ("target", "measure") in changed  # the new clicks target: absent before


def test_execution_does_not_start_a_revision(alice, period, manager):
    plan = make_plan(alice, period)
    add_target(plan, alice, measure="custom", name="Certified engineers")
    activity = add_activity(plan, alice)
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    plan = services.plan_approve(plan=plan, actor=manager)
    target = selectors.plan_targets(plan=plan)[0]
    services.custom_actual_set(target=target, quarter=1, actual="3", actor=alice.marketer)
    services.activity_set_status(activity=activity, status="in_progress", actor=manager)
    services.comment_add(plan=plan, actor=alice.admin, body="Kick-off done")
    plan.refresh_from_db()
    assert plan.status == PS.APPROVED and plan.revision == 1


def test_a_sales_rep_reads_but_does_not_execute(alice, period):
    plan = make_plan(alice, period)
    target = add_target(plan, alice, measure="custom", name="Deals registered")
    with pytest.raises(PermissionDenied):
        services.custom_actual_set(target=target, quarter=1, actual="3", actor=alice.sales)
    assert list(selectors.plans_for_partner(partner=alice.partner)) == [plan]


# --- actuals ---------------------------------------------------------------------------


def test_custom_actuals_record_who_and_when(alice, period, manager):
    plan = make_plan(alice, period)
    target = add_target(
        plan, alice, measure="custom", name="Certified engineers", values=["4", "6"]
    )
    kpi = add_target(plan, alice, measure="leads")
    with pytest.raises(ValidationError) as exc:
        services.custom_actual_set(target=kpi, quarter=1, actual="50", actor=alice.admin)
    assert field_of(exc) == {"actual"}
    for quarter, actual, field in ((3, "1", "quarter"), (1, "-1", "actual"), (1, "x", "actual")):
        with pytest.raises(ValidationError) as exc:
            services.custom_actual_set(
                target=target, quarter=quarter, actual=actual, actor=alice.admin
            )
        assert field_of(exc) == {field}
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=datetime.now().astimezone().tzinfo)
    with time_machine.travel(moment, tick=False):
        row = services.custom_actual_set(target=target, quarter=1, actual="5", actor=alice.admin)
    assert row.actual == D("5.00")
    assert row.actual_entered_by == alice.admin
    assert row.actual_entered_at == moment
    card = selectors.plan_scorecard(plan=plan, today=date(2026, 6, 30))
    custom = next(r for r in card.rows if r.measure == "custom")
    assert custom.quarters[0].actual == D("5.00")
    assert custom.quarters[0].entered_by == "Alice"
    assert custom.quarters[0].attainment == D("125.0")
    assert events(plan)[-1] == "actual_entered"


# --- comments ------------------------------------------------------------------------------


def test_comments_notify_the_other_side(alice, period, manager, django_capture_on_commit_callbacks):
    plan = make_plan(alice, period)
    activity = add_activity(plan, alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            plan=plan, actor=alice.marketer, body="Can we get co-funding?", activity=activity
        )
    assert [m.to for m in mail.outbox] == [[manager.email]]
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(plan=plan, actor=manager, body="Yes, 50 %.")
    assert sorted(mail.outbox[1].to) == sorted([alice.admin.email, alice.marketer.email])
    with pytest.raises(ValidationError) as exc:
        services.comment_add(plan=plan, actor=alice.admin, body="")
    assert field_of(exc) == {"body"}


# --- closing ---------------------------------------------------------------------------------


def test_closing_waits_for_the_period_end_and_freezes_the_scorecard(
    alice, period, manager, django_capture_on_commit_callbacks
):
    plan = make_plan(alice, period)
    target = add_target(
        plan, alice, measure="custom", name="Engineers", values=["4", "4"], weight="2"
    )
    add_target(plan, alice, measure="clicks", values=["0", "0"])
    plan = services.plan_submit(plan=plan, actor=alice.admin)
    plan = services.plan_approve(plan=plan, actor=manager)
    services.custom_actual_set(target=target, quarter=1, actual="2", actor=alice.admin)
    with time_machine.travel(datetime(2026, 6, 30, 12, 0), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.plan_close(plan=plan, actor=manager)
        assert field_of(exc) == {"status"}
        assert tasks.close_ended_plans() == 0
    with time_machine.travel(datetime(2026, 7, 1, 12, 0), tick=False):
        with pytest.raises(PermissionDenied):
            services.plan_close(plan=plan, actor=alice.admin)
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.close_ended_plans() == 1
        assert tasks.close_ended_plans() == 0  # twice: nothing more
    plan.refresh_from_db()
    assert plan.status == PS.CLOSED and plan.closed_by is None
    card = selectors.plan_scorecard(plan=plan)
    assert card.frozen
    engineers, clicks = card.rows
    assert engineers.attainment == D("25.0")  # 2 of 8
    assert clicks.attainment is None  # a zero target: "—"
    assert card.weighted_total == D("25.0")  # only targets with an attainment count
    # later entries change nothing: the plan is closed
    with pytest.raises(ValidationError):
        services.custom_actual_set(target=target, quarter=2, actual="4", actor=alice.admin)
    assert events(plan)[-1] == "closed"
    (email,) = mail.outbox
    assert "closed" in email.body
