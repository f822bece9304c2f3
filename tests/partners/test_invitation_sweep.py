"""The sweep that sends the invitation emails their own task never sent
(`invitation_send_owed`, beat task `send_owed_invitation_emails`): a lost message still
gets its invitee a working link, and nobody gets a second email."""

from __future__ import annotations

import re
import smtplib
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connections
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

import partners.mail
from partners.models import Invitation
from partners.services.recruitment import (
    INVITATION_SWEEP_DELAY,
    InvitationInvalid,
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitation_send_owed,
)
from partners.tasks import send_invitation_email, send_owed_invitation_emails
from tests.conftest import skip_or_fail


@pytest.fixture(autouse=True)
def _after_commit_now(monkeypatch):
    """The invitation's task is queued after commit; the test's transaction never
    commits, so run the callbacks at once."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def broker_loses(monkeypatch) -> list:
    """The broker loses every invitation task queued from now on; the ids it lost."""
    lost: list = []
    monkeypatch.setattr(send_invitation_email, "delay", lambda *args, **kwargs: lost.append(args))
    return lost


@contextmanager
def later(delay: timedelta = INVITATION_SWEEP_DELAY + timedelta(minutes=1)):
    with time_machine.travel(timezone.now() + delay, tick=False):
        yield


def invite(world, address: str) -> Invitation:
    return invitation_create(partner=world.partner, email=address, role="sales", actor=world.admin)


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def emailed_link(address: str) -> str:
    """The path of the link in the latest invitation email to `address`."""
    body = emails_to(address)[-1].body
    return re.search(r"/invitations/[^/\s]+/", body).group(0)


def test_a_lost_invitation_email_is_sent_by_the_sweep_with_a_working_link(alice, broker_loses):
    # given: the invitation's task never reaches a worker
    invitation = invite(alice, "lost@alice.example")
    assert broker_loses == [(invitation.pk,)]
    assert mail.outbox == []

    # when: the sweep runs once the invitation's own task had its time
    with later():
        sent = invitation_send_owed()

    # then: the invitee has one email, and its link opens the join page
    assert sent == 1
    assert len(emails_to("lost@alice.example")) == 1
    path = emailed_link("lost@alice.example")
    page = Client().get(path)
    assert page.status_code == 200
    assert "Join Alice Corp" in page.content.decode()
    assert invitation_by_token(path.split("/")[-2]) == invitation


def test_a_fresh_invitation_is_left_to_its_own_task(alice, broker_loses):
    invitation = invite(alice, "fresh@alice.example")

    with later(INVITATION_SWEEP_DELAY - timedelta(minutes=1)):
        assert invitation_send_owed() == 0
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.token_hash is None

    # Its task, delivered late, still sends it; the sweep afterwards sends nothing more.
    assert send_invitation_email(invitation.pk) == 1
    with later():
        assert invitation_send_owed() == 0
    assert len(emails_to("fresh@alice.example")) == 1


def test_a_resend_whose_task_was_lost_is_swept_from_the_resend_on(alice, monkeypatch):
    # given: an invitation emailed days ago, resent now, and the resend's task lost
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        invitation = invite(alice, "again@alice.example")
    old = emailed_link("again@alice.example")
    monkeypatch.setattr(send_invitation_email, "delay", lambda *args, **kwargs: None)
    invitation_resend(invitation=invitation, actor=alice.admin)

    # when / then: the sweep counts from the resend, not from the creation
    assert invitation_send_owed() == 0
    assert len(emails_to("again@alice.example")) == 1
    with later():
        assert invitation_send_owed() == 1
    new = emailed_link("again@alice.example")
    assert new != old
    assert invitation_by_token(new.split("/")[-2]) == invitation
    with pytest.raises(InvitationInvalid):
        invitation_by_token(old.split("/")[-2])


def test_an_emailed_invitation_gets_nothing_more(alice):
    invitation = invite(alice, "done@alice.example")
    path = emailed_link("done@alice.example")

    with later():
        assert send_owed_invitation_emails.delay().get() == 0

    assert len(emails_to("done@alice.example")) == 1
    assert invitation_by_token(path.split("/")[-2]) == invitation  # the emailed link works


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_an_invitation_no_longer_pending_gets_nothing(alice, broker_loses, state):
    invitation = invite(alice, f"{state}@alice.example")
    when = later()
    if state == "expired":
        when = later(timedelta(days=8))
    elif state == "revoked":
        invitation_revoke(invitation=invitation, actor=alice.admin)
    else:
        # Accepted through a link emailed by hand; then its hash is gone, as if owed.
        assert send_invitation_email(invitation.pk) == 1
        invitation_accept(
            token=emailed_link("accepted@alice.example").split("/")[-2],
            password="a-long-and-unusual-passphrase",
        )
        with scopes_disabled():
            Invitation.objects.filter(pk=invitation.pk).update(token_hash=None)
        mail.outbox.clear()

    with when:
        assert invitation_send_owed() == 0
    assert emails_to(f"{state}@alice.example") == []


def test_running_the_sweep_twice_sends_one_email(alice, broker_loses):
    invite(alice, "once@alice.example")
    with later():
        assert send_owed_invitation_emails.delay().get() == 1
        assert send_owed_invitation_emails.delay().get() == 0
    assert len(emails_to("once@alice.example")) == 1


def test_an_email_that_cannot_go_stays_owed_and_holds_up_no_other(alice, broker_loses, monkeypatch):
    invite(alice, "refused@alice.example")
    invitation_ok = invite(alice, "fine@alice.example")
    working = partners.mail.send_mail

    def refuse_one(**kwargs):
        if kwargs["recipient_list"] == ["refused@alice.example"]:
            raise smtplib.SMTPRecipientsRefused({"refused@alice.example": (550, b"busy")})
        return working(**kwargs)

    monkeypatch.setattr(partners.mail, "send_mail", refuse_one)
    with later():
        assert invitation_send_owed() == 1
    assert emails_to("refused@alice.example") == []
    assert invitation_by_token(emailed_link("fine@alice.example").split("/")[-2]) == invitation_ok

    # The mail server takes it again: the next run sends the one still owed.
    monkeypatch.setattr(partners.mail, "send_mail", working)
    with later():
        assert invitation_send_owed() == 1
    assert len(emails_to("refused@alice.example")) == 1
    assert len(emails_to("fine@alice.example")) == 1


def test_the_sweep_is_on_the_beat_schedule_within_its_delay():
    entry = settings.CELERY_BEAT_SCHEDULE["partners-owed-invitation-emails"]
    assert entry["task"] == "partners.tasks.send_owed_invitation_emails"
    # Each invitation is looked at again before it has owed its email twice the delay.
    assert entry["schedule"].remaining_estimate(timezone.now()) < INVITATION_SWEEP_DELAY


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_send_one_email(alice, broker_loses, is_postgres):
    if not is_postgres:
        skip_or_fail("row locks are tested on PostgreSQL")
    invite(alice, "race@alice.example")
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def sweep(index):
        try:
            barrier.wait(timeout=10)
            results[index] = invitation_send_owed()
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[index] = exc
        finally:
            connections.close_all()

    with later():
        threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results) == [0, 1], results
    assert len(emails_to("race@alice.example")) == 1
    connections.close_all()
