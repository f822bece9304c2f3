"""Decision emails go out through the outbox: the decision's own event row, written
in the decision's transaction, sent by a periodic job (mdf.tasks.send_decision_emails)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from mdf import services
from mdf.notifications import send_pending_decision_emails
from tests.mdf.conftest import after_activity, approved_request, draft_request, submitted_claim

pytestmark = pytest.mark.django_db


def test_each_decision_is_emailed_once(allocation, alice, event_type, staff_users):
    fund_request = draft_request(alice, allocation, event_type, "1200.00")
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    assert send_pending_decision_emails() == 0  # a submission is not a decision

    services.request_decide(
        fund_request=fund_request,
        actor=staff_users["channel_manager"],
        approve=False,
        note="Outside the program's scope",
    )

    assert send_pending_decision_emails() == 1
    assert send_pending_decision_emails() == 0  # a second run sends nothing again
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([alice.admin.email, alice.marketer.email])
    assert fund_request.title in message.subject + message.body
    assert "Outside the program's scope" in message.body
    assert f"/portal/funds/requests/{fund_request.uuid}/" in message.body


def test_a_decision_rolled_back_is_never_emailed(allocation, alice, event_type, staff_users):
    fund_request = draft_request(alice, allocation, event_type, "1200.00")
    services.request_submit(fund_request=fund_request, actor=alice.marketer)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=True,
            note="Go ahead",
        )
        raise RuntimeError("the surrounding work failed")

    assert send_pending_decision_emails() == 0
    assert mail.outbox == []


def test_decisions_due_together_make_one_email_with_the_state_now(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "900.00")
    send_pending_decision_emails()
    mail.outbox.clear()
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "900.00")
        services.claim_decide(claim=claim, actor=finance, decision="reject", note="Wrong invoice")
        other = submitted_claim(alice, fund_request, proof_kinds, "900.00")
        services.claim_decide(claim=other, actor=finance, decision="return", note="Blurry photo")

    assert send_pending_decision_emails() == 2  # one per claim
    bodies = sorted(message.body for message in mail.outbox)
    assert any("Wrong invoice" in body for body in bodies)
    assert any("Blurry photo" in body for body in bodies)


def test_an_email_that_fails_stays_due_and_does_not_hold_up_the_others(
    allocation, alice, event_type, staff_users, monkeypatch, caplog
):
    from mdf import notifications

    first = draft_request(alice, allocation, event_type, "1000.00")
    second = draft_request(alice, allocation, event_type, "900.00")
    for fund_request in (first, second):
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
        services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=False,
            note="Not this quarter",
        )
    real_email = notifications.decision_email

    def refused_for_the_first(kind, object_id):
        if object_id == first.pk:
            raise ConnectionError("SMTP server refused the message")
        return real_email(kind, object_id)

    monkeypatch.setattr(notifications, "decision_email", refused_for_the_first)
    assert send_pending_decision_emails() == 1  # the second went out
    assert "not sent" in caplog.text

    monkeypatch.setattr(notifications, "decision_email", real_email)
    assert send_pending_decision_emails() == 1  # the first, on the next run
    assert send_pending_decision_emails() == 0
    assert len(mail.outbox) == 2
