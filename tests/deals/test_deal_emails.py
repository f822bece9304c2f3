"""Deal registration emails: who hears of what, each once, and a partner's email never
shows a conflict or another partner (a contested registration's emails read exactly
like a clean one's)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from deals import deal_notifications, selectors, services
from deals.models import Deal, DealEvent
from tests.deals.deal_factories import (
    make_deal,
    make_protected_account,
    products_fixture,  # noqa: F401 - the fixture `products`
    register_deal,
)

pytestmark = pytest.mark.django_db
S = Deal.Status


@pytest.fixture
def carl(staff_users):
    return staff_users["channel_manager"]


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run a service and its after-commit tasks (the emails), as a request would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_a_registration_is_announced_to_the_channel_manager(alice, carl, after_commit, products):
    deal = after_commit(register_deal, alice, company="Acme AG")
    [message] = mail.outbox
    assert message.to == [carl.email]
    assert "Alice Corp" in message.subject and "Acme AG" in message.subject
    assert f"/admin/deals/deal/{deal.pk}/change/" in message.body
    assert "conflict" not in message.body


def test_staff_are_told_of_a_conflict_in_their_email(alice, bob, carl, after_commit, products):
    register_deal(bob, domain="contested.example")
    after_commit(register_deal, alice, domain="contested.example")
    [message] = mail.outbox
    assert message.to == [carl.email]
    assert "One conflict was flagged" in message.body


def test_without_a_channel_manager_the_marketing_admins_hear(
    bob, staff_users, after_commit, products
):
    after_commit(register_deal, bob)
    [message] = mail.outbox
    assert message.to == [staff_users["marketing_admin"].email]


def test_decisions_go_to_the_partners_admins_and_the_registering_rep(
    alice, carl, after_commit, products
):
    partner_side = sorted([alice.admin.email, alice.sales.email])
    approved = register_deal(alice)
    after_commit(services.deal_approve, deal=approved, actor=carl, note="Go.")
    rejected = register_deal(alice)
    after_commit(services.deal_reject, deal=rejected, actor=carl, reason="Out of scope.")
    asked = register_deal(alice)
    after_commit(services.deal_request_info, deal=asked, actor=carl, question="Which sites?")
    assert [sorted(m.to) for m in mail.outbox] == [partner_side] * 3
    approval, rejection, question = mail.outbox
    assert "Approved" in approval.subject and "The deal is yours until" in approval.body
    assert f"/portal/deals/{approved.uuid}/" in approval.body
    assert "Rejected" in rejection.subject and "Reason: Out of scope." in rejection.body
    assert "Question: Which sites?" in question.body
    assert alice.marketer.email not in {a for m in mail.outbox for a in m.to}


def test_the_partners_answer_and_extension_request_go_to_the_channel_manager(
    alice, carl, after_commit, products
):
    asked = make_deal(alice, S.MORE_INFO, actor=carl)
    after_commit(services.deal_answer, deal=asked, user=alice.sales, notes="Berlin and Bonn.")
    approved = make_deal(alice, S.APPROVED, actor=carl)
    extension = after_commit(
        services.extension_request, deal=approved, user=alice.sales, reason="Budget slips."
    )
    after_commit(services.extension_approve, extension=extension, actor=carl, days=15)
    answer, request, decision = mail.outbox
    assert answer.to == [carl.email] and "Answer: Berlin and Bonn." in answer.body
    assert request.to == [carl.email] and "Reason: Budget slips." in request.body
    assert sorted(decision.to) == sorted([alice.admin.email, alice.sales.email])
    assert "Extension approved" in decision.subject


def test_an_extension_refused_tells_the_partner_why(alice, carl, after_commit, products):
    approved = make_deal(alice, S.APPROVED, actor=carl)
    extension = services.extension_request(deal=approved, user=alice.sales, reason="More.")
    after_commit(services.extension_reject, extension=extension, actor=carl, reason="Close it.")
    [message] = mail.outbox
    assert "not approved" in message.body and "Reason: Close it." in message.body


def _partner_emails_of_a_life(world, carl, after_commit, domain: str) -> list[str]:
    """Register, ask, answer, approve, extend, refuse: the partner's emails, with the
    deal's own identifiers replaced so two deals' emails can be compared."""
    mail.outbox.clear()
    deal = after_commit(register_deal, world, domain=domain, company="Same Name GmbH")
    after_commit(services.deal_request_info, deal=deal, actor=carl, question="Sites?")
    after_commit(services.deal_answer, deal=deal, user=world.sales, notes="Two.")
    if selectors.deal_conflicts(deal=deal).filter(deal=deal).exists():
        services.deal_clear_conflict(deal=deal, actor=carl)
    after_commit(services.deal_approve, deal=deal, actor=carl)
    extension = after_commit(
        services.extension_request, deal=deal, user=world.sales, reason="More time."
    )
    after_commit(services.extension_reject, extension=extension, actor=carl, reason="No.")
    partner_side = {world.admin.email, world.sales.email}
    texts = []
    for message in mail.outbox:
        if set(message.to) & partner_side:
            text = f"{message.subject}\n{message.body}"
            text = text.replace(str(deal.uuid), "<uuid>").replace(deal.domain, "<domain>")
            texts.append(text)
    return texts


def test_a_contested_registrations_partner_emails_read_exactly_like_a_clean_ones(
    alice, bob, carl, after_commit, products
):
    # given: bob holds one customer, the vendor protects another
    register_deal(bob, domain="contested.example", company="Contested AG")
    make_protected_account(domain="protected.example")
    # when: alice lives through the same story with a clean, a contested and a
    # protected customer
    clean = _partner_emails_of_a_life(alice, carl, after_commit, "clean.example")
    contested = _partner_emails_of_a_life(alice, carl, after_commit, "contested.example")
    protected = _partner_emails_of_a_life(alice, carl, after_commit, "protected.example")
    # then: the partner's emails are the same, word for word
    assert len(clean) == 3  # more information, approved, extension refused
    assert contested == clean and protected == clean
    every_text = "\n".join(contested + protected)
    for secret in ("Bob", "bob", "Contested AG", "onflict", "rotected account", "Big Bank"):
        assert secret not in every_text
    assert not re.search(r"another partner", every_text, re.IGNORECASE)


def test_each_event_is_emailed_once(alice, carl, after_commit, products):
    deal = register_deal(alice)  # no after-commit: the task did not run
    with scopes_disabled():
        event = DealEvent.objects.get(deal=deal, action=DealEvent.Action.REGISTERED)
    assert deal_notifications.deal_event_email(event.pk) == 1
    assert deal_notifications.deal_event_email(event.pk) == 0
    assert deal_notifications.send_pending_deal_emails() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_sends_what_no_task_sent_and_never_a_staff_only_event(
    alice, bob, carl, staff_users, products
):
    # given: two registrations whose after-commit tasks never ran (a broker down)
    register_deal(bob, domain="contested.example")
    register_deal(alice, domain="contested.example")
    # when / then: the sweep sends both, once
    assert deal_notifications.send_pending_deal_emails() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [carl.email, staff_users["marketing_admin"].email]
    )
    assert deal_notifications.send_pending_deal_emails() == 0
    # and the conflict flags (one on each registration), staff-only, are never emailed
    with scopes_disabled():
        flags = DealEvent.objects.filter(action=DealEvent.Action.CONFLICT_FLAGGED)
        assert flags.count() == 2
        assert [flag.notified_at for flag in flags] == [None, None]
        flag_ids = [flag.pk for flag in flags]
    assert [deal_notifications.deal_event_email(flag_id) for flag_id in flag_ids] == [0, 0]
    assert len(mail.outbox) == 2


def test_a_stage_change_or_a_close_sends_nothing(alice, carl, after_commit, products):
    deal = make_deal(alice, S.APPROVED, actor=carl)
    after_commit(services.deal_set_stage, deal=deal, user=alice.sales, stage="proposal")
    after_commit(services.deal_close_won, deal=deal, user=alice.sales, amount="10.00")
    assert mail.outbox == []
