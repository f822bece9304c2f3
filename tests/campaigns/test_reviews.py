"""Business reviews through the services: who schedules, changes, cancels and holds
them; the snapshot frozen when held; action items and who marks them; a closed plan's
reviews refused; the reminders, once each, with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics.rollup import rollup_metrics
from campaigns import services
from campaigns.models import ActionItem, BusinessReview, PlanEvent
from campaigns.selectors import plan_scorecard
from tests.analytics.results_fixtures import event
from tests.campaigns.review_factories import close, current_plan, schedule, soon
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

RS = BusinessReview.Status
AS = ActionItem.Status


@pytest.fixture
def plan(alice):
    return current_plan(alice)


@pytest.fixture
def carl(staff_users):
    return staff_users["channel_manager"]  # alice's channel manager


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def sync_leads(raw_key: str, count: int, prefix: str) -> None:
    """Leads sent by the partner's integration, then rolled up (what the KPIs read)."""
    response = key_client(raw_key).post(
        "/api/v1/results/",
        {"events": [event(f"{prefix}-{n}") for n in range(count)]},
        format="json",
    )
    assert response.status_code == 201, response.content
    rollup_metrics()


# --- scheduling ---


def test_the_channel_manager_schedules_a_review_with_both_sides_invited(
    plan, alice, carl, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = schedule(plan, carl, attendees=[carl, alice.admin], other_attendees="Pat (CFO)")

    review = fresh(review)
    assert review.status == RS.SCHEDULED
    assert review.partner_id == alice.partner.pk
    assert set(review.attendees.all()) == {carl, alice.admin}
    # one email per side, each with its own link
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {carl.email, alice.admin.email}
    assert f"/portal/plans/reviews/{review.uuid}/" in by_recipient[alice.admin.email].body
    assert "/admin/campaigns/businessreview/" in by_recipient[carl.email].body
    with scopes_disabled():
        trail = PlanEvent.objects.filter(plan=plan).first()
    assert "scheduled" in trail.detail and trail.actor == carl


@pytest.mark.parametrize("who", ["marketer", "admin", "analyst", "finance_approver", "other_cm"])
def test_only_the_plans_reviewers_schedule(plan, alice, staff_users, who):
    from partners import roles
    from tests.conftest import make_user

    actor = {
        "marketer": alice.marketer,
        "admin": alice.admin,
        "analyst": staff_users["analyst"],
        "finance_approver": staff_users["finance_approver"],
        "other_cm": make_user("olga_cm", staff=True, role=roles.CHANNEL_MANAGER),
    }[who]
    with pytest.raises(ValidationError) as caught:
        schedule(plan, actor)
    assert "plan" in caught.value.message_dict
    with scopes_disabled():
        assert not BusinessReview.objects.exists()


def test_a_marketing_admin_schedules_any_plans_review(plan, staff_users):
    review = schedule(plan, staff_users["marketing_admin"])
    assert review.pk


def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(plan, carl, bob):
    naive = soon().replace(tzinfo=None)
    with pytest.raises(ValidationError) as caught:
        services.review_schedule(
            plan=plan,
            actor=carl,
            title="  ",
            scheduled_at=naive,
            attendees=[bob.admin],
            other_attendees="x" * 501,
        )
    assert set(caught.value.message_dict) == {
        "title",
        "scheduled_at",
        "attendees",
        "other_attendees",
    }
    assert "bob_admin" in caught.value.message_dict["attendees"][0]
    with scopes_disabled():
        assert not BusinessReview.objects.exists()


# --- editing, cancelling, closed plans ---


def test_moving_a_review_makes_a_new_reminder_due_and_tells_the_attendees(
    plan, carl, alice, django_capture_on_commit_callbacks
):
    review = schedule(plan, carl, attendees=[alice.admin])
    with scopes_disabled():
        BusinessReview.objects.filter(pk=review.pk).update(reminder_sent_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_update(review=review, actor=carl, scheduled_at=soon(20), title="Moved")

    review = fresh(review)
    assert review.title == "Moved" and review.reminder_sent_at is None
    assert [m.to for m in mail.outbox] == [[alice.admin.email]]
    assert "moved" in mail.outbox[0].subject


def test_unknown_fields_are_not_changed(plan, carl):
    review = schedule(plan, carl)
    with pytest.raises(ValidationError) as caught:
        services.review_update(review=review, actor=carl, status="held")
    assert "status" in caught.value.message_dict
    assert fresh(review).status == RS.SCHEDULED


def test_a_review_in_a_closed_plan_cannot_be_changed(plan, carl, alice):
    review = schedule(plan, carl)
    item = services.action_item_add(
        review=review, actor=carl, title="Send deck", owner_side="partner", due_date=soon().date()
    )
    close(plan)
    review = fresh(review)
    for attempt in (
        lambda: services.review_update(review=review, actor=carl, title="Renamed"),
        lambda: services.review_cancel(review=review, actor=carl),
        lambda: services.review_hold(review=review, actor=carl, notes="Went well."),
        lambda: services.action_item_add(
            review=review, actor=carl, title="More", owner_side="vendor", due_date=soon().date()
        ),
        lambda: services.action_item_update(item=item, actor=carl, title="Renamed"),
        lambda: schedule(fresh(plan), carl),
    ):
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.message_dict["plan"] == [
            "This plan is closed: its reviews and their action items are final."
        ]
    review = fresh(review)
    assert (review.title, review.status) == ("Q review", RS.SCHEDULED)


def test_cancel_only_a_scheduled_review(plan, carl, alice, django_capture_on_commit_callbacks):
    review = schedule(plan, carl, attendees=[alice.admin])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_cancel(review=review, actor=carl)
    assert fresh(review).status == RS.CANCELLED
    assert "cancelled" in mail.outbox[0].subject
    with pytest.raises(ValidationError) as caught:
        services.review_cancel(review=review, actor=carl)
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.review_hold(review=review, actor=carl, notes="Too late")
    with pytest.raises(ValidationError):
        services.review_update(review=review, actor=carl, title="Again")


def test_a_partner_user_cannot_cancel(plan, carl, alice):
    review = schedule(plan, carl)
    with pytest.raises(ValidationError):
        services.review_cancel(review=review, actor=alice.admin)
    assert fresh(review).status == RS.SCHEDULED


# --- holding: the frozen snapshot ---


def test_holding_freezes_the_scorecard_later_results_do_not_rewrite_it(
    plan, carl, alice, alice_key
):
    sync_leads(alice_key, 3, "before")
    review = schedule(plan, carl)

    review = services.review_hold(
        review=review, actor=carl, notes="Leads are behind; push webinars."
    )
    frozen = fresh(review).snapshot
    assert frozen == plan_scorecard(plan=fresh(plan)).as_json()
    leads = next(row for row in frozen["rows"] if row["measure"] == "leads")
    assert leads["actual"] == "3"

    sync_leads(alice_key, 4, "after")  # results synced after the review

    live = plan_scorecard(plan=fresh(plan)).as_json()
    assert next(r for r in live["rows"] if r["measure"] == "leads")["actual"] == "7"
    review = fresh(review)
    assert review.snapshot == frozen
    assert (review.status, review.held_by, review.notes) == (
        RS.HELD,
        carl,
        "Leads are behind; push webinars.",
    )


def test_a_review_is_held_once_and_needs_notes(plan, carl):
    review = schedule(plan, carl)
    with pytest.raises(ValidationError) as caught:
        services.review_hold(review=review, actor=carl, notes="   ")
    assert "notes" in caught.value.message_dict
    assert fresh(review).snapshot is None
    services.review_hold(review=review, actor=carl, notes="Done.")
    with pytest.raises(ValidationError) as caught:
        services.review_hold(review=review, actor=carl, notes="Again")
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.review_update(review=review, actor=carl, title="Rewrite history")
    assert "held" in caught.value.message_dict["status"][0]


def test_the_held_email_carries_the_notes_and_action_items(
    plan, carl, alice, django_capture_on_commit_callbacks
):
    review = schedule(plan, carl, attendees=[alice.admin])
    services.action_item_add(
        review=review,
        actor=carl,
        title="Book the venue",
        owner_side="partner",
        due_date=soon().date(),
        owner=alice.marketer,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_hold(review=review, actor=carl, notes="Agreed on two events.")
    (message,) = mail.outbox
    assert "Agreed on two events." in message.body
    assert "Book the venue" in message.body


# --- action items ---


def test_action_item_owner_is_a_person_of_its_side(plan, carl, alice, bob):
    review = schedule(plan, carl)
    due = soon().date()
    for side, owner in (("vendor", alice.admin), ("partner", carl), ("partner", bob.admin)):
        with pytest.raises(ValidationError) as caught:
            services.action_item_add(
                review=review, actor=carl, title="X", owner_side=side, due_date=due, owner=owner
            )
        assert "owner" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.action_item_add(
            review=review, actor=carl, title="", owner_side="nobody", due_date="tomorrow"
        )
    assert set(caught.value.message_dict) == {"title", "owner_side", "due_date"}
    with scopes_disabled():
        assert not ActionItem.objects.exists()
    item = services.action_item_add(
        review=review,
        actor=carl,
        title="Send deck",
        owner_side="partner",
        due_date=due,
        owner=alice.sales,
    )
    assert (item.partner_id, item.owner, item.status) == (alice.partner.pk, alice.sales, AS.OPEN)


def test_partner_users_mark_their_sides_items_staff_any(plan, carl, alice, bob, staff_users):
    review = schedule(plan, carl)
    due = soon().date()
    theirs = services.action_item_add(
        review=review, actor=carl, title="Partner task", owner_side="partner", due_date=due
    )
    ours = services.action_item_add(
        review=review, actor=carl, title="Vendor task", owner_side="vendor", due_date=due
    )

    done = services.action_item_set_status(item=theirs, status=AS.DONE, actor=alice.sales)
    assert (done.status, done.completed_by) == (AS.DONE, alice.sales)
    assert done.completed_at is not None
    reopened = services.action_item_set_status(item=theirs, status=AS.OPEN, actor=alice.admin)
    assert (reopened.status, reopened.completed_at, reopened.completed_by) == (AS.OPEN, None, None)

    refusals = [
        (ours, AS.DONE, alice.admin),  # the vendor's side
        (theirs, AS.CANCELLED, alice.admin),  # cancelling is the vendor's call
        (theirs, AS.DONE, bob.admin),  # another partner
        (theirs, AS.DONE, staff_users["analyst"]),  # staff who do not run the plan's reviews
        (theirs, "finished", carl),  # no such status
    ]
    for item, status, actor in refusals:
        with pytest.raises(ValidationError) as caught:
            services.action_item_set_status(item=item, status=status, actor=actor)
        assert "status" in caught.value.message_dict
    assert fresh(ours).status == AS.OPEN and fresh(theirs).status == AS.OPEN

    services.action_item_set_status(item=ours, status=AS.DONE, actor=carl)
    services.action_item_set_status(item=theirs, status=AS.CANCELLED, actor=carl)
    assert (fresh(ours).status, fresh(theirs).status) == (AS.DONE, AS.CANCELLED)


def test_items_of_a_closed_plan_may_still_be_marked_done(plan, carl, alice):
    review = schedule(plan, carl)
    item = services.action_item_add(
        review=review, actor=carl, title="Follow up", owner_side="partner", due_date=soon().date()
    )
    close(plan)
    assert services.action_item_set_status(item=item, status=AS.DONE, actor=alice.admin).status == (
        AS.DONE
    )


# --- reminders (frozen clock) ---


def test_review_reminder_n_days_before_once(plan, carl, alice, settings):
    settings.REVIEW_REMINDER_DAYS = 2
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        review = schedule(
            plan, carl, when=start + timedelta(days=5), attendees=[carl, alice.marketer]
        )
        mail.outbox.clear()
        assert services.review_reminders_send() == 0  # five days ahead: not yet

    with time_machine.travel(start + timedelta(days=3, hours=1), tick=False):
        assert services.review_reminders_send() == 1
        assert sorted(m.to[0] for m in mail.outbox) == sorted([carl.email, alice.marketer.email])
        assert all("Reminder" in m.subject for m in mail.outbox)
        assert services.review_reminders_send() == 0  # the second run sends nothing
    assert len(mail.outbox) == 2

    with time_machine.travel(start + timedelta(days=4), tick=False):
        assert services.review_reminders_send() == 0
    assert fresh(review).reminder_sent_at is not None


def test_no_reminder_for_a_cancelled_or_closed_plans_review(plan, carl, alice):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        review = schedule(plan, carl, when=start + timedelta(days=1), attendees=[alice.admin])
        services.review_cancel(review=review, actor=carl)
        schedule(plan, carl, when=start + timedelta(days=1), attendees=[alice.admin])
        close(plan)
        mail.outbox.clear()
        assert services.review_reminders_send() == 0
    assert mail.outbox == []


def test_overdue_action_items_are_told_to_their_owner_once(plan, carl, alice, staff_users):
    today = timezone.localdate()
    review = schedule(plan, carl)
    add = lambda **kw: services.action_item_add(review=review, actor=carl, **kw)  # noqa: E731
    owned = add(
        title="Owned",
        owner_side="partner",
        due_date=today + timedelta(days=3),
        owner=alice.marketer,
    )
    partner_side = add(title="Nobody's", owner_side="partner", due_date=today + timedelta(days=3))
    vendor_side = add(title="Vendor's", owner_side="vendor", due_date=today + timedelta(days=3))
    done = add(title="Done", owner_side="partner", due_date=today + timedelta(days=3))
    later = add(title="Later", owner_side="partner", due_date=today + timedelta(days=30))
    services.action_item_set_status(item=done, status=AS.DONE, actor=alice.admin)
    mail.outbox.clear()

    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert services.action_item_overdue_reminders_send() == 3
        recipients = {m.subject: m.to for m in mail.outbox}
        assert recipients == {
            "Overdue action item: Owned": [alice.marketer.email],
            "Overdue action item: Nobody's": [alice.admin.email],  # the partner's admins
            "Overdue action item: Vendor's": [carl.email],  # the channel manager
        }
        assert services.action_item_overdue_reminders_send() == 0
    assert len(mail.outbox) == 3
    for item in (done, later):
        assert fresh(item).overdue_reminded_at is None
    assert fresh(owned).overdue_reminded_at is not None and partner_side and vendor_side


def test_a_new_due_date_makes_an_overdue_reminder_due_again(plan, carl, alice):
    today = timezone.localdate()
    review = schedule(plan, carl)
    item = services.action_item_add(
        review=review,
        actor=carl,
        title="Late",
        owner_side="partner",
        due_date=today + timedelta(days=1),
        owner=alice.admin,
    )
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert services.action_item_overdue_reminders_send() == 1
        services.action_item_update(item=item, actor=carl, due_date=timezone.localdate())
        assert services.action_item_overdue_reminders_send() == 0
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert services.action_item_overdue_reminders_send() == 1


def test_the_beat_tasks_run_the_services_and_are_safe_twice(plan, carl, alice, settings):
    from campaigns import tasks

    assert "campaigns.tasks.send_review_reminders" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert "campaigns.tasks.send_overdue_action_item_reminders" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    schedule(plan, carl, when=soon(1), attendees=[alice.admin])
    assert tasks.send_review_reminders.delay().get() == 1
    assert tasks.send_review_reminders.delay().get() == 0


# --- demo ---


def test_the_demo_holds_a_review_with_action_items_and_schedules_the_next(alice, carl):
    from campaigns.demo import seed_reviews

    plan = current_plan(alice)
    services.plan_submit(plan=plan, actor=alice.admin)
    assert seed_reviews() == 2
    assert seed_reviews() == 0  # idempotent
    with scopes_disabled():
        held = BusinessReview.objects.get(plan=plan, status=RS.HELD)
        upcoming = BusinessReview.objects.get(plan=plan, status=RS.SCHEDULED)
        items = list(held.action_items.all())
    assert held.snapshot["rows"] and held.held_at < timezone.now() - timedelta(days=20)
    assert upcoming.scheduled_at > timezone.now()
    today = timezone.localdate()
    assert any(i.status == AS.OPEN and i.due_date < today for i in items)  # overdue
    assert any(i.status == AS.DONE for i in items)
