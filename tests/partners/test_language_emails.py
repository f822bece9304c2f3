"""Emails in their reader's language, whoever triggered them (issue 22).

An English-speaking staff member decides; the partner user who reads German gets the
email in German, a colleague of the same partner who chose English gets a separate
English one. Each goes through the real notification path: MDF decisions through the
outbox job (`mdf.tasks.send_decision_emails`), deal decisions through the task the
service queues after commit (Celery eager, as in tests/deals/test_deal_emails.py).
The German texts are the catalogue's, written out (locale/de/LC_MESSAGES/django.po).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, translation

from deals import services as deal_services
from mdf import services as mdf_services
from mdf import tasks as mdf_tasks
from partners.models import Language, LanguageChoice
from tests.deals.deal_factories import products_fixture, register_deal  # noqa: F401
from tests.mdf.conftest import draft_request

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def german_alice(alice):
    """alice's company works in German; her marketer and sales rep chose English."""
    german, _ = Language.objects.get_or_create(code="de", defaults={"name": "German"})
    alice.partner.languages.add(german)
    for user in (alice.marketer, alice.sales):
        LanguageChoice.objects.create(user=user, language="en")
    return alice


def only_email_to(address: str):
    [message] = [m for m in mail.outbox if address in m.to]
    return message


def test_an_mdf_decision_reaches_each_reader_in_their_language(german_alice, funds, staff_users):
    allocation, event_type = funds
    alice = german_alice
    fund_request = draft_request(alice, allocation, event_type, "1200.00")
    mdf_services.request_submit(fund_request=fund_request, actor=alice.marketer)
    with translation.override("en"):  # the English-speaking channel manager's request
        mdf_services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=True,
            note="Looks good",
        )

    assert mdf_tasks.send_decision_emails.delay().get() == 1  # the outbox job

    assert len(mail.outbox) == 2  # one email per language, each to its readers
    german = only_email_to(alice.admin.email)
    assert german.to == [alice.admin.email]
    assert german.subject == "MDF-Antrag „Partner summit booth“: Genehmigt"
    assert "Über Ihren MDF-Antrag wurde entschieden." in german.body
    assert "Aktivität: Partner summit booth" in german.body
    assert f"Beantragt: 1.200,00{NBSP}€" in german.body
    assert "Im Portal ansehen:" in german.body
    assert "Looks good" in german.body  # the staff member's own words stay as written
    for english_text in ("Your fund request", "Requested", "See it in the portal", "EUR"):
        assert english_text not in german.subject + german.body

    english = only_email_to(alice.marketer.email)
    assert english.to == [alice.marketer.email]
    assert english.subject == "Fund request “Partner summit booth”: Approved"
    assert "Your fund request was decided." in english.body
    assert "Requested: 1,200.00 EUR" in english.body
    assert "Über" not in english.body and "€" not in english.body


def test_a_deal_decision_reaches_each_reader_in_their_language(
    german_alice, staff_users, products, django_capture_on_commit_callbacks
):
    alice = german_alice
    deal = register_deal(alice, company="Acme GmbH", domain="acme.example")

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        deal = deal_services.deal_approve(
            deal=deal, actor=staff_users["channel_manager"], note="Go ahead."
        )

    # The admin (German) and the rep who registered it (English); nobody else.
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [alice.admin.email, alice.sales.email]
    )
    assert len(mail.outbox) == 2
    german = only_email_to(alice.admin.email)
    assert german.subject == "Deal-Registrierung „Acme GmbH“: Genehmigt"
    with translation.override("de"):
        until = dateformat.format(deal.expires_on, "j. F Y")  # German's DATE_FORMAT
    assert (
        f"Ihre Deal-Registrierung wurde genehmigt. Der Deal ist bis {until} für Sie geschützt."
        in german.body
    )
    assert "Kunde: Acme GmbH (acme.example)" in german.body
    assert "Go ahead." in german.body
    for english_text in ("Your deal registration", "Customer", "approved", "See it in"):
        assert english_text not in german.subject + german.body

    english = only_email_to(alice.sales.email)
    assert english.subject == "Deal registration “Acme GmbH”: Approved"
    assert "Your deal registration was approved." in english.body
    assert "Customer: Acme GmbH (acme.example)" in english.body
    assert "Kunde" not in english.body


def test_the_password_reset_email_is_in_the_account_holders_language(client, german_alice):
    alice = german_alice

    # Asked from a French browser: the account holder reads German.
    response = client.post(
        reverse("portal:password_reset"),
        {"email": alice.admin.email},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [alice.admin.email]
    assert message.subject == (
        f"Neues Passwort für das Partnerportal von {settings.SITE_NAME} festlegen"
    )
    assert "Hallo Alice," in message.body
    assert "Öffnen Sie diesen Link, um ein neues Passwort festzulegen:" in message.body
    assert f"Ihr Benutzername: {alice.admin.username}" in message.body
    assert "Set a new password" not in message.subject
    assert "Open this link" not in message.body


def test_a_password_reset_asked_in_german_for_an_english_reader_is_english(client, german_alice):
    alice = german_alice  # her marketer chose English
    client.post(reverse("portal:language"), {"language": "de", "next": "/portal/login/"})

    client.post(reverse("portal:password_reset"), {"email": alice.marketer.email})

    [message] = mail.outbox
    assert message.subject == f"Set a new password for the {settings.SITE_NAME} partner portal"
    assert "Open this link to choose a new password:" in message.body
    assert "Öffnen" not in message.body


def test_amounts_in_an_email_follow_the_reader_not_the_sender(german_alice, funds, staff_users):
    allocation, event_type = funds
    # A German-reading staff member decides: the English reader still sees "EUR".
    alice = german_alice
    LanguageChoice.objects.create(user=staff_users["channel_manager"], language="de")
    fund_request = draft_request(alice, allocation, event_type, "950.50")
    mdf_services.request_submit(fund_request=fund_request, actor=alice.marketer)
    with translation.override("de"):
        mdf_services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=True,
            approved_amount=Decimal("900.00"),
            note="Ohne Catering",
        )
        mdf_tasks.send_decision_emails.delay().get()

    english = only_email_to(alice.marketer.email)
    assert "Approved: 900.00 EUR" in english.body
    assert "Requested: 950.50 EUR" in english.body
    german = only_email_to(alice.admin.email)
    assert f"Genehmigt: 900,00{NBSP}€" in german.body
