"""Recruitment pages: the public form (/apply/), invitation links (/invitations/<token>/),
the portal's team page and the staff review queue in the admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import (
    Invitation,
    Language,
    Membership,
    Partner,
    PartnerApplication,
    PartnerAuditEntry,
    Region,
)
from partners.services import set_languages_in_order
from partners.services.recruitment import invitation_create
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    from django.db import transaction

    cache.clear()
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    yield
    cache.clear()


@pytest.fixture
def region(db):
    return Region.objects.get_or_create(code="emea", defaults={"name": "EMEA"})[0]


def application_form(region, **overrides):
    data = {
        "company": "Acme Cloud",
        "website": "acme-cloud.example",
        "country": "FR",
        "regions": [region.pk],
        "partner_type": "reseller",
        "size": "11-50",
        "contact_name": "Anna",
        "contact_email": "anna@acme-cloud.example",
        "sales_motion": "resale",
        "fax_number": "",
    }
    data.update(overrides)
    return data


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- /apply/ -------------------------------------------------------------------------------


def test_the_form_is_public_and_has_no_partner_navigation(client, db):
    response = client.get(reverse("apply"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Become a partner" in html
    assert 'id="portal-nav"' not in html
    assert '<option value="DE">Germany</option>' in html


def test_an_application_goes_to_the_thanks_page_and_is_emailed(client, region, tiers):
    response = client.post(reverse("apply"), application_form(region))
    assert response.status_code == 302
    assert response["Location"] == reverse("apply_done")
    application = PartnerApplication.objects.get()
    assert application.website == "https://acme-cloud.example"
    assert mail.outbox[0].to == ["anna@acme-cloud.example"]
    assert "received" in client.get(response["Location"]).content.decode()


def test_errors_show_at_the_field(client, region, tiers):
    response = client.post(
        reverse("apply"), application_form(region, contact_email="nope", country="QQ")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_contact_email_error"' in html
    assert 'id="id_country_error"' in html
    assert PartnerApplication.objects.count() == 0


def test_a_filled_honeypot_is_thanked_and_stored_nowhere(client, region, tiers):
    response = client.post(reverse("apply"), application_form(region, fax_number="+1 555"))
    assert response.status_code == 302
    assert response["Location"] == reverse("apply_done")
    assert PartnerApplication.objects.count() == 0
    assert mail.outbox == []


def test_the_rate_limit_is_per_client_address(region, tiers, settings):
    settings.PROXY_COUNT = 1
    client = Client()
    for number in range(5):
        response = client.post(
            reverse("apply"),
            application_form(region, company=f"C{number}"),
            HTTP_X_FORWARDED_FOR="192.0.2.50",
        )
        assert response.status_code == 302
    response = client.post(
        reverse("apply"), application_form(region, company="C6"), HTTP_X_FORWARDED_FOR="192.0.2.50"
    )
    assert response.status_code == 400
    assert "try again in an hour" in response.content.decode()
    response = client.post(
        reverse("apply"), application_form(region, company="C7"), HTTP_X_FORWARDED_FOR="192.0.2.51"
    )
    assert response.status_code == 302


# --- /invitations/<token>/ ------------------------------------------------------------------


def emailed_link(message) -> str:
    """The path of the invitation link an email carries (what the invitee clicks)."""
    link = next(line for line in message.body.splitlines() if "/invitations/" in line)
    return link[link.index("/invitations/") :].strip()


def test_accepting_an_invitation_logs_in_and_opens_the_portal(alice):
    client = Client()
    invitation_create(
        partner=alice.partner, email="newbie@alice.example", role="marketer", actor=alice.admin
    )
    path = emailed_link(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Alice Corp" in page.content.decode()
    weak = client.post(path, {"first_name": "Nia", "password": "123", "password_again": "123"})
    assert weak.status_code == 400
    assert 'id="id_password_error"' in weak.content.decode()
    password = "a-long-and-unusual-passphrase"
    response = client.post(
        path, {"first_name": "Nia", "password": password, "password_again": password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    dashboard = client.get(reverse("portal:dashboard"))
    assert dashboard.status_code == 200
    with scopes_disabled():
        assert Membership.objects.get(user__username="newbie@alice.example").role == "marketer"
    # The link works once.
    again = Client().get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()


def test_the_invitation_page_reads_as_the_email_in_the_companys_language(alice):
    from django.conf import settings

    from partners.models import Language
    from partners.services import set_languages_in_order

    german, _ = Language.objects.get_or_create(code="de", defaults={"name": "German"})
    set_languages_in_order(alice.partner.languages, [german])
    invitation_create(
        partner=alice.partner, email="neu@alice.example", role="marketer", actor=alice.admin
    )
    message = mail.outbox[0]
    assert "Partnerportal" in message.subject
    path = emailed_link(message)
    # A browser set to English still reads the company's language, as the email did.
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="de"' in html and page["Content-Language"] == "de"
    assert "Alice Corp beitreten" in html and "Join Alice Corp" not in html
    # Errors in it too, and the welcome after joining.
    weak = client.post(path, {"first_name": "Nia", "password": "123", "password_again": "123"})
    assert weak.status_code == 400
    assert 'lang="de"' in weak.content.decode()
    assert "Passwort" in weak.content.decode()
    password = "eine-lange-und-ungewoehnliche-passphrase"
    joined = client.post(
        path, {"first_name": "Nia", "password": password, "password_again": password}, follow=True
    )
    html = joined.content.decode()
    assert '<html lang="de"' in html
    assert "Willkommen" in html
    # Someone who chose English with the switcher reads English.
    invitation_create(
        partner=alice.partner, email="en@alice.example", role="marketer", actor=alice.admin
    )
    chooser = Client()
    chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = chooser.get(emailed_link(mail.outbox[-1]))
    assert "Join Alice Corp" in english.content.decode()
    assert '<html lang="en"' in english.content.decode()


@pytest.mark.parametrize("state", ["expired", "unknown"])
def test_an_unusable_link_says_why_and_offers_a_new_one(alice, staff_users, state):
    invitation = invitation_create(
        partner=alice.partner, email="late@alice.example", role="sales", actor=alice.admin
    )
    token = emailed_link(mail.outbox[-1]).rstrip("/").rsplit("/", 1)[-1]
    if state == "expired":
        with scopes_disabled():
            Invitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            )
    else:
        token = "forged-" + token[7:]
    client = Client()
    response = client.get(reverse("invitation_accept", kwargs={"token": token}))
    html = response.content.decode()
    assert response.status_code == (410 if state == "expired" else 404)
    assert ("expired" if state == "expired" else "not valid") in html
    assert reverse("invitation_request") in html
    mail.outbox.clear()
    asked = client.post(
        reverse("invitation_request"), {"email": "late@alice.example", "token": token}
    )
    unknown = client.post(reverse("invitation_request"), {"email": "who@else.example"})
    # The same answer whether the address was invited or not.
    assert asked.status_code == unknown.status_code == 200
    # (Each page carries its own CSRF token, random per response: it says nothing.)
    assert without_csrf_token(asked.content).replace(b"late@alice.example", b"") == (
        without_csrf_token(unknown.content).replace(b"who@else.example", b"")
    )
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(
        [alice.admin.email, staff_users["channel_manager"].email]
    )


# --- the portal's team page ----------------------------------------------------------------


def test_members_read_the_team_and_admins_invite(alice, bob):
    marketer = logged_in(alice.marketer).get(reverse("portal:team"))
    html = marketer.content.decode()
    assert alice.sales.email in html and bob.admin.email not in html
    assert "Send the invitation" not in html
    admin = logged_in(alice.admin)
    response = admin.post(reverse("portal:team"), {"email": "pat@alice.example", "role": "sales"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["pat@alice.example"]
    assert "pat@alice.example" in admin.get(reverse("portal:team")).content.decode()
    bad = admin.post(reverse("portal:team"), {"email": alice.sales.email, "role": "sales"})
    assert bad.status_code == 400
    assert "already on your team" in bad.content.decode()


def test_the_last_admin_sees_a_clear_error(alice):
    with scopes_disabled():
        own = Membership.objects.get(user=alice.admin)
    client = logged_in(alice.admin)
    response = client.post(
        reverse("portal:team_member_role", kwargs={"uuid": own.uuid}), {"role": "sales"}
    )
    assert response.status_code == 400
    assert "last active partner admin" in response.content.decode()
    response = client.post(
        reverse("portal:team_member_deactivate", kwargs={"uuid": own.uuid}), {"reason": ""}
    )
    assert response.status_code == 400
    assert "last active partner admin" in response.content.decode()
    alice.admin.refresh_from_db()
    assert alice.admin.is_active


def test_a_german_reading_admin_writes_team_changes_in_the_staffs_english(alice):
    # given: a company that reads German, so its admin's team page is German
    german, _created = Language.objects.get_or_create(code="de", defaults={"name": "German"})
    set_languages_in_order(alice.partner.languages, [german])
    with scopes_disabled():
        own = Membership.objects.get(user=alice.admin)
        sales = Membership.objects.get(user=alice.sales)
    client = logged_in(alice.admin)

    # when: the admin changes a role, tries to demote themselves, deactivates someone
    changed = client.post(
        reverse("portal:team_member_role", kwargs={"uuid": sales.uuid}),
        {"role": "marketer"},
        follow=True,
    )
    refused = client.post(
        reverse("portal:team_member_role", kwargs={"uuid": own.uuid}), {"role": "sales"}
    )
    client.post(
        reverse("portal:team_member_deactivate", kwargs={"uuid": sales.uuid}),
        {"reason": "hat gekündigt"},
    )

    # then: the admin reads German, the staff's audit trail is English (the reason the
    # admin typed stays as typed)
    assert "Die Rolle von Alice wurde geändert." in changed.content.decode()
    assert "ist der letzte aktive Partner-Admin" in refused.content.decode()
    with scopes_disabled():
        trail = [
            (entry.old_value, entry.new_value, entry.reason)
            for entry in PartnerAuditEntry.objects.filter(
                partner=alice.partner, field="membership"
            ).order_by("pk")
        ]
    assert trail == [
        ("Alice <alice_sales>: Sales rep", "Alice <alice_sales>: Marketer", ""),
        ("Alice <alice_sales>: Marketer", "Alice <alice_sales>: deactivated", "hat gekündigt"),
    ]


def test_a_deactivated_member_is_logged_out(alice):
    sales_client = logged_in(alice.sales)
    with scopes_disabled():
        sales = Membership.objects.get(user=alice.sales)
    response = logged_in(alice.admin).post(
        reverse("portal:team_member_deactivate", kwargs={"uuid": sales.uuid}), {"reason": "left"}
    )
    assert response.status_code == 302
    assert sales_client.get(reverse("portal:dashboard")).status_code == 302  # to the login


def test_resend_and_revoke_from_the_team_page(alice):
    invitation = invitation_create(
        partner=alice.partner, email="r@alice.example", role="sales", actor=alice.admin
    )
    old_link = emailed_link(mail.outbox[-1])
    client = logged_in(alice.admin)
    mail.outbox.clear()
    client.post(reverse("portal:team_invitation_resend", kwargs={"uuid": invitation.uuid}))
    assert mail.outbox[0].to == ["r@alice.example"]
    new_link = emailed_link(mail.outbox[0])
    # The invitee's first email no longer works; the new one opens the join page.
    stale = Client().get(old_link)
    assert stale.status_code == 404
    assert "replaced by a newer one" in stale.content.decode()
    assert Client().get(new_link).status_code == 200
    client.post(reverse("portal:team_invitation_revoke", kwargs={"uuid": invitation.uuid}))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get(reverse("portal:team")).context["invitations"] == []


# --- the staff review queue -----------------------------------------------------------------


@pytest.fixture
def pending(client, region, tiers, alice):
    alice.partner.website = "https://acme-cloud.example"
    alice.partner.save()
    client.post(reverse("apply"), application_form(region))
    return PartnerApplication.objects.get()


def test_the_queue_lists_fit_and_duplicate_flags_with_filters(pending, staff_users):
    client = logged_in(staff_users["channel_manager"])
    url = reverse("admin:partners_partnerapplication_changelist")
    html = client.get(url).content.decode()
    assert "Acme Cloud" in html and "Possible duplicate" in html
    for query in (
        "status__exact=pending",
        "partner_type__exact=reseller",
        "age=week",
        f"regions__id__exact={pending.regions.get().pk}",
        "duplicate=yes",
    ):
        assert "Acme Cloud" in client.get(f"{url}?{query}").content.decode(), query
    assert "Acme Cloud" not in client.get(f"{url}?age=older").content.decode()


def test_approve_from_the_review_page_creates_the_partner_once(pending, staff_users, tiers):
    client = logged_in(staff_users["channel_manager"])
    url = reverse("admin:partners_partnerapplication_review", args=[pending.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Alice Corp" in page.content.decode()  # the duplicate's match
    form = {
        "decision": "approve",
        "tier": tiers["registered"].pk,
        "channel_manager": staff_users["channel_manager"].pk,
    }
    first = client.post(url, form)
    second = client.post(url, form)  # a double click
    assert first.status_code == second.status_code == 302
    assert Partner.objects.filter(status=Partner.Status.ONBOARDING).count() == 1
    with scopes_disabled():
        assert Invitation.objects.filter(email="anna@acme-cloud.example").count() == 1


def test_reject_needs_a_reason_and_emails_the_applicant(pending, staff_users):
    client = logged_in(staff_users["marketing_admin"])
    url = reverse("admin:partners_partnerapplication_review", args=[pending.pk])
    empty = client.post(url, {"decision": "reject", "reason": ""})
    assert empty.status_code == 400
    mail.outbox.clear()
    done = client.post(url, {"decision": "reject", "reason": "Not our market"})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PartnerApplication.Status.REJECTED
    assert "Not our market" in mail.outbox[0].body


def test_readers_cannot_decide(pending, staff_users, tiers):
    client = logged_in(staff_users["analyst"])
    url = reverse("admin:partners_partnerapplication_review", args=[pending.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "reject", "reason": "x"})
    assert response.status_code == 403
    assert logged_in(make_user("plain")).get(url).status_code == 302  # not staff: admin login


def without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
