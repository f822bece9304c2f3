"""The decision SLA counts from when an item started waiting for the decision it awaits:
a request awaiting finance, from the channel manager's approval (not the partner's
submission) — in the admin queue's SLA badge, the SLA reminder emails and the queue
order alike."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from mdf import selectors, services
from mdf.models import FundRequest
from mdf.notifications import sla_reminders
from tests.mdf.conftest import draft_request

pytestmark = pytest.mark.django_db


def next_monday_noon() -> datetime:
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    return timezone.make_aware(datetime.combine(monday, time(12)))


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def large_request(alice, allocation, event_type):
    """Above the pool's finance threshold (5,000 at 100 %): it needs finance too."""
    fund_request = draft_request(alice, allocation, event_type, "6000.00", starts_in=60)
    return services.request_submit(fund_request=fund_request, actor=alice.marketer)


def manager_approves(fund_request, staff_users):
    return services.request_decide(
        fund_request=fund_request,
        actor=staff_users["channel_manager"],
        approve=True,
        note="Strategic",
    )


def sla_cell(client, fund_request) -> str:
    """The SLA cell of the request's row in the approver's queue."""
    response = client.get(reverse("admin:mdf_fundrequest_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    row = body[body.index(f"/admin/mdf/fundrequest/{fund_request.pk}/change/") :]
    return row[row.index('<td class="field-sla">') : row.index("</td>", row.index("field-sla"))]


@pytest.fixture
def waited_two_weeks_for_the_manager(alice, allocation, event_type, staff_users):
    """Submitted on a Monday; the channel manager approved it two weeks (ten business
    days) later, so from then on it awaits finance."""
    monday = next_monday_noon()
    with at(monday):
        fund_request = large_request(alice, allocation, event_type)
    with at(monday + timedelta(days=14)):
        fund_request = manager_approves(fund_request, staff_users)
    assert fund_request.status == FundRequest.Status.AWAITING_FINANCE
    return fund_request


def test_finance_sla_counts_from_the_managers_approval_in_the_queue(
    client, waited_two_weeks_for_the_manager, staff_users
):
    fund_request = waited_two_weeks_for_the_manager
    manager_decided = fund_request.manager_decided_at

    # two business days after the manager's approval: within finance's 5-day SLA
    with at(manager_decided + timedelta(days=2)):
        client.force_login(staff_users["finance_approver"])
        cell = sla_cell(client, fund_request)
        assert "2 of 5 business days" in cell
        assert "Overdue" not in cell
        decide_page = client.get(reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk]))
        assert b"Overdue (" not in decide_page.content

    # six business days after it: overdue, counted from the approval
    with at(manager_decided + timedelta(days=8)):
        client.force_login(staff_users["finance_approver"])
        assert "Overdue (6 business days)" in sla_cell(client, fund_request)


def test_finance_sla_reminder_counts_from_the_managers_approval(
    waited_two_weeks_for_the_manager, staff_users
):
    fund_request = waited_two_weeks_for_the_manager
    finance = staff_users["finance_approver"]
    manager_decided = fund_request.manager_decided_at

    with at(manager_decided + timedelta(days=2)):
        sla_reminders()
    assert [m.to for m in mail.outbox] == []  # twelve days since submission, two waiting

    with at(manager_decided + timedelta(days=8)):
        sla_reminders()
    assert [m.to for m in mail.outbox] == [[finance.email]]
    assert fund_request.title in mail.outbox[0].body
    # In the one date format people read (the locale's DATE_FORMAT, as in the portal).
    waiting = f"waiting for finance since {date_format(manager_decided)}"
    assert waiting in mail.outbox[0].body


def test_the_channel_managers_sla_still_counts_from_the_submission(
    client, alice, allocation, event_type, staff_users
):
    monday = next_monday_noon()
    with at(monday):
        fund_request = large_request(alice, allocation, event_type)
    carl = staff_users["channel_manager"]
    with at(monday + timedelta(days=8)):  # six business days
        client.force_login(carl)
        assert "Overdue (6 business days)" in sla_cell(client, fund_request)
        sla_reminders()
    assert [carl.email] in [m.to for m in mail.outbox]


def test_finance_queue_lists_the_longest_waiting_for_finance_first(
    alice, allocation, event_type, staff_users
):
    # given: `early` was submitted first but approved by the manager last
    monday = next_monday_noon()
    with at(monday):
        early = large_request(alice, allocation, event_type)
    with at(monday + timedelta(days=1)):
        late = manager_approves(large_request(alice, allocation, event_type), staff_users)
    with at(monday + timedelta(days=2)):
        early = manager_approves(early, staff_users)

    # when
    with scopes_disabled():
        queue = list(selectors.requests_awaiting(user=staff_users["finance_approver"]))

    # then
    assert [r.pk for r in queue] == [late.pk, early.pk]
    assert [selectors.request_waiting_since(r) for r in queue] == [
        late.manager_decided_at,
        early.manager_decided_at,
    ]


def test_a_decided_request_waits_for_nobody(waited_two_weeks_for_the_manager, staff_users):
    fund_request = services.request_decide(
        fund_request=waited_two_weeks_for_the_manager,
        actor=staff_users["finance_approver"],
        approve=True,
        note="ok",
    )
    assert selectors.request_waiting_since(fund_request) is None
    assert not selectors.is_overdue(selectors.request_waiting_since(fund_request), 5)
