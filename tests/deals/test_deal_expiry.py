"""The daily deal jobs with a frozen clock: approved deals expire the day after their
`expires_on`, and partners are reminded 14 and 3 days before, each reminder once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django_scopes import scopes_disabled

from deals import services, tasks
from deals.models import Deal, DealEvent, DealReminder
from mdf import clock
from tests.deals.deal_factories import make_deal, products_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
S = Deal.Status
APPROVAL_DAY = date(2027, 3, 1)


@pytest.fixture
def carl(staff_users):
    return staff_users["channel_manager"]


@pytest.fixture
def approved(alice, carl, products):
    """Alice's deal approved on APPROVAL_DAY: protected for 90 days, to 30 May 2027."""
    with clock.as_of(APPROVAL_DAY):
        return make_deal(alice, S.APPROVED, actor=carl, expected_close_date=APPROVAL_DAY)


def status(deal: Deal) -> str:
    with scopes_disabled():
        return Deal.objects.get(pk=deal.pk).status


def test_the_deal_is_protected_through_its_last_day_and_expires_the_day_after(approved):
    assert approved.expires_on == APPROVAL_DAY + timedelta(days=90) == date(2027, 5, 30)
    assert services.deals_expire(today=approved.expires_on) == 0
    assert status(approved) == S.APPROVED
    assert services.deals_expire(today=approved.expires_on + timedelta(days=1)) == 1
    assert status(approved) == S.EXPIRED
    with scopes_disabled():
        event = DealEvent.objects.get(deal=approved, action=DealEvent.Action.EXPIRED)
    assert (event.actor, event.shared, event.old_value, event.new_value) == (
        None,
        True,
        S.APPROVED,
        S.EXPIRED,
    )
    # run twice: nothing more
    assert services.deals_expire(today=approved.expires_on + timedelta(days=2)) == 0


def test_the_daily_task_goes_by_the_clock(approved):
    with time_machine.travel(date(2027, 5, 30), tick=False):
        assert tasks.expire_deals.delay().get() == 0
    with time_machine.travel(date(2027, 5, 31), tick=False):
        assert tasks.expire_deals.delay().get() == 1
    assert status(approved) == S.EXPIRED


def test_closed_deals_and_other_states_never_expire(alice, carl, products):
    from tests.deals.deal_factories import deals_in_every_state

    deals = deals_in_every_state(alice, actor=carl)
    far = date.today() + timedelta(days=400)
    services.deals_expire(today=far)
    assert {s: status(d) for s, d in deals.items() if s != S.APPROVED} == {
        s: s for s in S.values if s != S.APPROVED
    }
    assert status(deals[S.APPROVED]) == S.EXPIRED


def test_a_pending_extension_holds_the_expiry_until_it_is_decided(alice, carl, approved):
    extension = services.extension_request(deal=approved, user=alice.sales, reason="Slipped.")
    after = approved.expires_on + timedelta(days=1)
    assert services.deals_expire(today=after) == 0
    assert status(approved) == S.APPROVED
    # approved: the new date counts
    services.extension_approve(extension=extension, actor=carl, days=10)
    assert services.deals_expire(today=after) == 0
    assert services.deals_expire(today=approved.expires_on + timedelta(days=11)) == 1


def test_a_refused_extension_lets_the_next_run_expire_it(alice, carl, approved):
    extension = services.extension_request(deal=approved, user=alice.sales, reason="Slipped.")
    services.extension_reject(extension=extension, actor=carl, reason="No.")
    assert services.deals_expire(today=approved.expires_on + timedelta(days=1)) == 1


# --- reminders ---------------------------------------------------------------------------


def reminders(deal: Deal) -> list[tuple[date, int]]:
    with scopes_disabled():
        return list(
            DealReminder.objects.filter(deal=deal)
            .order_by("sent_at", "id")
            .values_list("expires_on", "days_before")
        )


def run_reminders(day: date, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.deal_expiry_reminders(today=day)


def test_reminders_go_14_and_3_days_before_each_once(
    approved, alice, django_capture_on_commit_callbacks
):
    expiry = approved.expires_on
    sent_per_day = {}
    day = expiry - timedelta(days=20)
    while day <= expiry + timedelta(days=1):
        sent_per_day[day] = run_reminders(day, django_capture_on_commit_callbacks)
        # the same day again (a second worker, a retried beat): nothing more
        assert run_reminders(day, django_capture_on_commit_callbacks) == 0
        day += timedelta(days=1)
    assert {d: n for d, n in sent_per_day.items() if n} == {
        expiry - timedelta(days=14): 1,
        expiry - timedelta(days=3): 1,
    }
    assert reminders(approved) == [(expiry, 14), (expiry, 3)]
    # one email each, to the partner's admin and the registering rep
    assert len(mail.outbox) == 2
    assert all(sorted(m.to) == sorted([alice.admin.email, alice.sales.email]) for m in mail.outbox)
    assert "30 May 2027" in mail.outbox[0].subject or "May 30, 2027" in mail.outbox[0].subject
    with scopes_disabled():
        reminded = DealEvent.objects.filter(
            deal=approved, action=DealEvent.Action.REMINDED, shared=True
        )
        assert reminded.count() == 2
        # the history says the date as the pages do, not in ISO form
        assert {event.detail_text for event in reminded} == {"Protected until May 30, 2027."}


def test_a_missed_run_sends_the_nearest_reminder_only(approved, django_capture_on_commit_callbacks):
    expiry = approved.expires_on
    assert run_reminders(expiry - timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert run_reminders(expiry - timedelta(days=1), django_capture_on_commit_callbacks) == 0
    assert reminders(approved) == [(expiry, 3)]
    assert len(mail.outbox) == 1


def test_an_extension_brings_the_reminders_again_for_the_new_date(
    alice, carl, approved, django_capture_on_commit_callbacks
):
    expiry = approved.expires_on
    run_reminders(expiry - timedelta(days=3), django_capture_on_commit_callbacks)
    extension = services.extension_request(deal=approved, user=alice.sales, reason="Slipped.")
    services.extension_approve(extension=extension, actor=carl, days=30)
    new_expiry = expiry + timedelta(days=30)
    assert run_reminders(new_expiry - timedelta(days=14), django_capture_on_commit_callbacks) == 1
    assert run_reminders(new_expiry - timedelta(days=3), django_capture_on_commit_callbacks) == 1
    assert reminders(approved) == [(expiry, 3), (new_expiry, 14), (new_expiry, 3)]


def test_no_reminder_for_a_deal_no_longer_approved(
    alice, approved, django_capture_on_commit_callbacks
):
    services.deal_close_lost(deal=approved, user=alice.sales, reason="Price.")
    expiry = approved.expires_on
    assert run_reminders(expiry - timedelta(days=14), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_reminder_task_goes_by_the_clock(approved, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(approved.expires_on - timedelta(days=14), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.send_deal_expiry_reminders.delay().get() == 1
    assert len(mail.outbox) == 1
