"""Recruitment services: applications (duplicates, fit score, honeypot, rate limit,
approve once, reject), invitations (single-use tokens) and the team's last-admin guard."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

import partners.mail
from analytics.models import DailyMetric
from partners.models import (
    Invitation,
    Language,
    Membership,
    Partner,
    PartnerApplication,
    PartnerAuditEntry,
    Region,
)
from partners.selectors.recruitment import (
    application_duplicate,
    application_fit,
    company_email_domain,
    is_country,
    website_domain,
)
from partners.services import partner_create
from partners.services.recruitment import (
    APPLICATION_RATE_LIMIT,
    InvitationInvalid,
    application_approve,
    application_reject,
    application_submit,
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_request_new,
    invitation_resend,
    invitation_revoke,
    team_member_change_role,
    team_member_deactivate,
    team_member_reactivate,
    token_hash,
)
from partners.tasks import send_invitation_email
from tests.conftest import PASSWORD, make_user, skip_or_fail

NEW_PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _after_commit_now(monkeypatch):
    """Emails go out after commit; the test's transaction never commits, so run the
    callbacks at once (they are only registered once the service's checks passed)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def places(db):
    return {
        "dach": Region.objects.get_or_create(code="dach", defaults={"name": "DACH"})[0],
        "na": Region.objects.get_or_create(code="na", defaults={"name": "North America"})[0],
        "de": Language.objects.get_or_create(code="de", defaults={"name": "German"})[0],
        "en": Language.objects.get_or_create(code="en", defaults={"name": "English"})[0],
    }


def form_data(places, **overrides):
    data = {
        "company": "Acme Cloud GmbH",
        "website": "https://www.acme-cloud.example",
        "country": "DE",
        "regions": [places["dach"]],
        "partner_type": Partner.Type.RESELLER,
        "size": PartnerApplication.Size.SMALL,
        "specialties": "Backups for dentists",
        "languages": [places["de"]],
        "contact_name": "Anna Acme",
        "contact_email": "anna@acme-cloud.example",
        "contact_phone": "+49 30 1234",
        "sales_motion": PartnerApplication.SalesMotion.RESALE,
        "message": "Hello",
    }
    data.update(overrides)
    return data


def submit(places, ip="198.51.100.7", **overrides):
    return application_submit(data=form_data(places, **overrides), ip=ip)


# --- applications --------------------------------------------------------------------------


def test_an_application_is_stored_and_the_applicant_emailed(places, tiers):
    application = submit(places)
    assert application.status == PartnerApplication.Status.PENDING
    assert application.website_domain == "acme-cloud.example"
    assert list(application.regions.all()) == [places["dach"]]
    assert not application.duplicate_reason
    assert [m.to for m in mail.outbox] == [["anna@acme-cloud.example"]]
    assert "Acme Cloud GmbH" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "150"),  # a UN region, not a country
        ("contact_email", "not-an-email"),
        ("website", "javascript:alert(1)"),
        ("partner_type", "pirate"),
        ("company", ""),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(places, tiers, field, value):
    with pytest.raises(ValidationError) as caught:
        submit(places, **{field: value})
    assert field in caught.value.message_dict
    assert PartnerApplication.objects.count() == 0
    assert mail.outbox == []


def test_countries_are_iso_3166_from_babel():
    assert is_country("DE") and is_country("JP")
    assert not is_country("ZZ") and not is_country("EU") and not is_country("de")


def test_the_rate_limit_refuses_the_sixth_application_from_one_address(places, tiers):
    for number in range(APPLICATION_RATE_LIMIT):
        submit(places, company=f"Company {number}", ip="203.0.113.9")
    with pytest.raises(ValidationError) as caught:
        submit(places, company="One too many", ip="203.0.113.9")
    assert "try again in an hour" in " ".join(caught.value.messages)
    assert not PartnerApplication.objects.filter(company="One too many").exists()
    # Another address is not affected.
    submit(places, company="Elsewhere", ip="203.0.113.10")


def test_domains():
    assert website_domain("https://WWW.Example.COM/path?q=1") == "example.com"
    assert website_domain("example.org") == "example.org"
    assert company_email_domain("x@gmail.com") == ""
    assert company_email_domain("x@Acme.example") == "acme.example"


def test_a_partner_with_the_same_website_domain_is_flagged_never_merged(places, alice):
    alice.partner.website = "http://acme-cloud.example/"
    alice.partner.save()
    application = submit(places)
    assert application.duplicate_of_partner == alice.partner
    assert "acme-cloud.example" in application.duplicate_reason
    assert application.partner is None
    assert Partner.objects.count() == 1


def test_a_partner_whose_users_share_the_email_domain_is_flagged(places, alice):
    alice.marketer.email = "mark@acme-cloud.example"
    alice.marketer.save()
    application = submit(places, website="https://other-site.example")
    assert application.duplicate_of_partner == alice.partner
    assert "Users of partner Alice Corp" in application.duplicate_reason


def test_an_open_application_with_the_same_domain_is_flagged(places, tiers):
    first = submit(places)
    second = submit(places, company="Acme again", contact_email="bob@acme-cloud.example")
    assert second.duplicate_of_application == first
    assert second.duplicate_of_partner is None
    # A decided application is no longer open.
    application_reject(application=first, actor=make_user("rita", staff=True), reason="No")
    third = submit(places, company="Acme thrice")
    assert third.duplicate_of_application == second


def test_free_mail_domains_are_not_a_company(places, alice):
    alice.admin.email = "someone@gmail.com"
    alice.admin.save()
    application = submit(
        places, website="https://solo.example", contact_email="applicant@gmail.com"
    )
    assert not application.duplicate_reason
    assert not application_duplicate(website="", contact_email="x@gmail.com")


# --- the fit score ---------------------------------------------------------------------------


def _performer(
    slug,
    tiers,
    places,
    *,
    kind=Partner.Type.RESELLER,
    regions=(),
    languages=(),
    revenue="0",
    leads=0,
    status=Partner.Status.ACTIVE,
    size="",
):
    partner = partner_create(
        actor=None,
        name=slug.title(),
        slug=slug,
        tier=tiers["silver"],
        partner_type=kind,
        status=status,
    )
    partner.regions.set([places[r] for r in regions])
    partner.languages.set([places[code] for code in languages])
    if Decimal(revenue) or leads:
        with scopes_disabled():
            DailyMetric.objects.create(
                partner=partner,
                day=timezone.localdate() - timedelta(days=30),
                currency="EUR",
                revenue=Decimal(revenue),
                leads=leads,
            )
    if size:
        PartnerApplication.objects.create(
            company=partner.name,
            website="https://x.example",
            website_domain="x.example",
            country="DE",
            partner_type=kind,
            size=size,
            contact_name="x",
            contact_email="x@x.example",
            sales_motion="resale",
            status="approved",
            partner=partner,
        )
    return partner


@pytest.fixture
def performers(tiers, places):
    S = PartnerApplication.Size
    _performer(
        "r1", tiers, places, regions=["dach"], languages=["de"], revenue="9000", size=S.SMALL
    )
    _performer(
        "r2", tiers, places, regions=["dach"], languages=["de"], revenue="8000", size=S.MEDIUM
    )
    _performer("r3", tiers, places, regions=["dach"], languages=["en"], revenue="7000")
    _performer("r4", tiers, places, regions=["na"], languages=["en"], leads=40)
    _performer("m1", tiers, places, kind=Partner.Type.MSP, regions=["na"], revenue="5000")
    # Not among the best: onboarding (not active), and active without results.
    _performer(
        "r5", tiers, places, regions=["na"], revenue="99999", status=Partner.Status.ONBOARDING
    )
    _performer("r6", tiers, places, regions=["na"])


def test_the_fit_score_and_its_parts_from_known_results(places, performers):
    fit = application_fit(
        partner_type=Partner.Type.RESELLER,
        region_ids=[places["dach"].pk],
        language_ids=[places["de"].pk],
        size=PartnerApplication.Size.SMALL,
    )
    texts = [part["text"] for part in fit.parts]
    assert texts == [
        "type: 4 of your top 5 partners are reseller partners",
        "region: 3 of your top 4 reseller partners are in DACH",
        "languages: 2 of your top 4 reseller partners market in German",
        "size: 1 of the 2 top reseller partners whose size we know have 11–50 employees",
    ]
    # 20 × 4/5 + 35 × 3/4 + 25 × 2/4 + 20 × 1/2 = 64.75
    assert fit.score == 65
    # Deterministic: the same data, the same answer.
    assert (
        application_fit(
            partner_type=Partner.Type.RESELLER,
            region_ids=[places["dach"].pk],
            language_ids=[places["de"].pk],
            size=PartnerApplication.Size.SMALL,
        )
        == fit
    )


def test_a_weaker_fit_scores_lower_and_an_unknown_part_is_left_out(places, performers):
    fit = application_fit(
        partner_type=Partner.Type.RESELLER,
        region_ids=[places["na"].pk],
        language_ids=[],
        size="",
    )
    # type 4/5 (20) and region 1/4 (35): (16 + 8.75) / 55 = 45 %
    assert fit.score == 45
    assert [p["part"] for p in fit.parts] == ["type", "region"]


def test_no_peers_means_no_score_and_says_why(places, tiers):
    fit = application_fit(
        partner_type=Partner.Type.DISTRIBUTOR, region_ids=[], language_ids=[], size="1-10"
    )
    assert fit.score is None
    assert "nothing to compare" in fit.parts[-1]["text"]


def test_the_application_stores_its_fit(places, performers):
    application = submit(places)
    assert application.fit_score == 65
    assert application.fit_parts[1]["text"].startswith("region: 3 of your top 4")


# --- approve and reject ---------------------------------------------------------------------


def test_approve_creates_the_onboarding_partner_and_invites_the_contact(places, tiers, staff_users):
    application = submit(places)
    mail.outbox.clear()
    manager = staff_users["channel_manager"]
    partner = application_approve(
        application=application,
        actor=staff_users["marketing_admin"],
        tier=tiers["registered"],
        channel_manager=manager,
    )
    assert partner.status == Partner.Status.ONBOARDING
    assert partner.slug == "acme-cloud-gmbh"
    assert partner.channel_manager == manager
    assert list(partner.regions.all()) == [places["dach"]]
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.APPROVED
    assert application.partner == partner
    with scopes_disabled():
        invitation = Invitation.objects.get(partner=partner)
        created = PartnerAuditEntry.objects.get(partner=partner)
    assert invitation.email == "anna@acme-cloud.example"
    assert invitation.role == Membership.Role.ADMIN
    assert created.field == PartnerAuditEntry.Field.CREATED
    assert created.actor == staff_users["marketing_admin"]
    assert [m.to for m in mail.outbox] == [["anna@acme-cloud.example"]]
    assert "/invitations/" in mail.outbox[0].body


def test_approving_twice_creates_one_partner(places, tiers, staff_users):
    application = submit(places)
    stale = PartnerApplication.objects.get(pk=application.pk)  # loaded before the first click
    first = application_approve(
        application=application,
        actor=staff_users["marketing_admin"],
        tier=tiers["silver"],
        channel_manager=None,
    )
    second = application_approve(
        application=stale,
        actor=staff_users["channel_manager"],
        tier=tiers["gold"],
        channel_manager=None,
    )
    assert first == second
    assert Partner.objects.count() == 1
    with scopes_disabled():
        assert Invitation.objects.count() == 1
    assert Partner.objects.get().tier == tiers["silver"]


def test_the_slug_is_unique_from_the_company_name(places, alice, staff_users, tiers):
    alice.partner.slug = "acme-cloud-gmbh"
    alice.partner.save()
    application = submit(places, website="https://new.example", contact_email="a@new.example")
    partner = application_approve(
        application=application,
        actor=staff_users["marketing_admin"],
        tier=tiers["silver"],
        channel_manager=None,
    )
    assert partner.slug == "acme-cloud-gmbh-2"


def test_a_non_staff_channel_manager_is_refused(places, tiers, staff_users, alice):
    application = submit(places)
    with pytest.raises(ValidationError) as caught:
        application_approve(
            application=application,
            actor=staff_users["marketing_admin"],
            tier=tiers["silver"],
            channel_manager=alice.admin,
        )
    assert "channel_manager" in caught.value.message_dict
    assert Partner.objects.filter(slug="acme-cloud-gmbh").count() == 0


def test_reject_needs_a_reason_and_emails_it(places, tiers, staff_users):
    application = submit(places)
    mail.outbox.clear()
    with pytest.raises(ValidationError) as caught:
        application_reject(
            application=application, actor=staff_users["marketing_admin"], reason=" "
        )
    assert "reason" in caught.value.message_dict
    application_reject(
        application=application, actor=staff_users["marketing_admin"], reason="Outside our markets"
    )
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.REJECTED
    assert "Outside our markets" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        application_approve(
            application=application,
            actor=staff_users["marketing_admin"],
            tier=tiers["silver"],
            channel_manager=None,
        )
    assert Partner.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_staff_approving_at_once_create_one_partner(places, tiers, staff_users, is_postgres):
    if not is_postgres:
        skip_or_fail("row locks are tested on PostgreSQL")
    application = submit(places)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def approve(index, actor):
        try:
            barrier.wait(timeout=10)
            results[index] = application_approve(
                application=PartnerApplication.objects.get(pk=application.pk),
                actor=actor,
                tier=tiers["silver"],
                channel_manager=None,
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=(i, staff_users[name]))
        for i, name in enumerate(("marketing_admin", "channel_manager"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, Partner) for r in results), results
    assert results[0].pk == results[1].pk
    assert Partner.objects.count() == 1
    with scopes_disabled():
        assert Invitation.objects.count() == 1
        assert PartnerAuditEntry.objects.count() == 1
    connections.close_all()


# --- invitations ----------------------------------------------------------------------------


def emailed_token(address: str) -> str:
    """The token in the link of the latest invitation email to `address`: what the
    invitee holds (nobody else ever does)."""
    body = next(
        m.body for m in reversed(mail.outbox) if m.to == [address] and "/invitations/" in m.body
    )
    return re.search(r"/invitations/([^/\s]+)/", body).group(1)


def invite(world, address: str, role: str = "sales") -> tuple[Invitation, str]:
    """The world's admin invites `address`; the invitation and its emailed token."""
    invitation = invitation_create(
        partner=world.partner, email=address, role=role, actor=world.admin
    )
    return invitation, emailed_token(address.lower())


def test_an_invitation_stores_only_the_hash_and_expires_in_7_days(alice):
    invitation = invitation_create(
        partner=alice.partner, email="New@Alice.example", role="marketer", actor=alice.admin
    )
    token = emailed_token("new@alice.example")
    invitation.refresh_from_db()
    assert invitation.email == "new@alice.example"
    assert invitation.token_hash == token_hash(token) != token
    assert len(token) >= 40
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert invitation_by_token(token) == invitation


def test_the_invitation_task_is_queued_with_the_id_alone(alice, monkeypatch):
    queued = []
    monkeypatch.setattr(
        send_invitation_email,
        "delay",
        lambda *args, **kwargs: queued.append((args, kwargs)),
    )
    invitation = invitation_create(
        partner=alice.partner, email="q@alice.example", role="sales", actor=alice.admin
    )
    invitation_resend(invitation=invitation, actor=alice.admin)
    assert queued == [((invitation.pk,), {}), ((invitation.pk,), {})]
    # Nothing was sent yet, and no link works before the email that carries it.
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.token_hash is None


def test_a_redelivered_invitation_task_keeps_the_emailed_link(alice):
    invitation, token = invite(alice, "twice@alice.example")

    # The broker hands the same task out again (a worker lost before its ack).
    assert send_invitation_email.delay(invitation.pk).get() == 0

    assert len(mail.outbox) == 1
    assert invitation_by_token(token) == invitation


def test_a_task_queued_with_a_token_by_the_release_before_sends_a_fresh_one(alice, monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: None)
    invitation = invitation_create(
        partner=alice.partner, email="old@alice.example", role="sales", actor=alice.admin
    )
    # What the release before stored and queued: the hash, and the token in the message.
    leaked = "token-that-went-through-the-broker"
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash(leaked))

    assert send_invitation_email.delay(invitation.pk, leaked).get() == 1
    assert send_invitation_email.delay(invitation.pk, leaked).get() == 0  # redelivered

    assert len(mail.outbox) == 1
    token = emailed_token("old@alice.example")
    assert token != leaked
    assert invitation_by_token(token) == invitation
    with pytest.raises(InvitationInvalid):
        invitation_by_token(leaked)


def test_a_failed_send_stores_no_token_and_the_next_send_works(alice, monkeypatch):
    queued = []
    monkeypatch.setattr(
        transaction, "on_commit", lambda func, using=None, robust=False: queued.append(func)
    )
    invitation = invitation_create(
        partner=alice.partner, email="down@alice.example", role="sales", actor=alice.admin
    )
    working = partners.mail.send_mail

    def refuse(**kwargs):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr(partners.mail, "send_mail", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        queued[0]()
    invitation.refresh_from_db()
    assert invitation.token_hash is None  # still owed

    monkeypatch.setattr(partners.mail, "send_mail", working)
    queued[0]()
    token = emailed_token("down@alice.example")
    assert invitation_by_token(token) == invitation


def test_no_invitation_email_once_revoked_or_accepted(alice, monkeypatch):
    queued = []
    monkeypatch.setattr(
        transaction, "on_commit", lambda func, using=None, robust=False: queued.append(func)
    )
    revoked = invitation_create(
        partner=alice.partner, email="rev@alice.example", role="sales", actor=alice.admin
    )
    invitation_revoke(invitation=revoked, actor=alice.admin)
    queued.pop()()  # the create's task runs after the revoke
    assert mail.outbox == []

    accepted = invitation_create(
        partner=alice.partner, email="acc@alice.example", role="sales", actor=alice.admin
    )
    queued.pop()()
    invitation_accept(token=emailed_token("acc@alice.example"), password=NEW_PASSWORD)
    with scopes_disabled():
        Invitation.objects.filter(pk=accepted.pk).update(token_hash=None)
    assert send_invitation_email.delay(accepted.pk).get() == 0
    assert len(mail.outbox) == 1


def test_the_invitation_email_is_in_the_company_language(alice, places):
    alice.partner.languages.set([places["de"]])
    invitation, token = invite(alice, "de@alice.example")
    message = mail.outbox[-1]
    assert message.subject == "Treten Sie Alice Corp im Partnerportal von PartnerHub bei"
    assert invitation_by_token(token) == invitation


def test_only_admins_and_staff_invite(alice, bob, staff_users):
    for actor in (alice.marketer, bob.admin):
        with pytest.raises(ValidationError):
            invitation_create(partner=alice.partner, email="x@y.example", role="sales", actor=actor)
    invitation_create(
        partner=alice.partner,
        email="x@y.example",
        role="sales",
        actor=staff_users["channel_manager"],
    )


def test_invite_refuses_a_member_and_a_second_pending_invitation(alice):
    with pytest.raises(ValidationError) as caught:
        invitation_create(
            partner=alice.partner, email=alice.sales.email, role="sales", actor=alice.admin
        )
    assert "already on your team" in caught.value.message_dict["email"][0]
    invitation_create(partner=alice.partner, email="n@x.example", role="sales", actor=alice.admin)
    with pytest.raises(ValidationError) as caught:
        invitation_create(
            partner=alice.partner, email="N@x.example", role="sales", actor=alice.admin
        )
    assert "resend" in caught.value.message_dict["email"][0]
    with pytest.raises(ValidationError) as caught:
        invitation_create(partner=alice.partner, email="bad", role="sales", actor=alice.admin)
    assert "email" in caught.value.message_dict


def test_accepting_creates_the_user_and_membership_once(alice, monkeypatch):
    recorded = []
    _, token = invite(alice, "new@alice.example", role="marketer")
    user = invitation_accept(token=token, password=NEW_PASSWORD, first_name="Nina")
    assert user.username == "new@alice.example"
    assert user.check_password(NEW_PASSWORD)
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
        entry = PartnerAuditEntry.objects.filter(partner=alice.partner).first()
    assert membership.partner == alice.partner and membership.role == "marketer"
    assert "Accepted the invitation" in entry.reason
    with pytest.raises(InvitationInvalid) as caught:
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert caught.value.reason == "accepted"
    assert recorded == []


def test_accepting_tells_the_onboarding_checklist(alice, monkeypatch):
    import partners.services.recruitment as recruitment

    calls = []
    monkeypatch.setattr(
        recruitment,
        "_record_teammate_joined",
        lambda *, invitation, user: calls.append((invitation.partner, user)),
    )
    _, token = invite(alice, "t@alice.example")
    user = invitation_accept(token=token, password=NEW_PASSWORD)
    assert calls == [(alice.partner, user)]


@pytest.mark.parametrize("reason", ["expired", "revoked", "unknown", "forged"])
def test_unusable_tokens_are_refused_with_the_reason(alice, reason):
    invitation, token = invite(alice, "late@alice.example")
    if reason == "expired":
        with scopes_disabled():
            Invitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
    elif reason == "revoked":
        invitation_revoke(invitation=invitation, actor=alice.admin)
    elif reason == "unknown":
        token = "x" * 43
    else:
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvitationInvalid) as caught:
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert caught.value.reason == ("unknown" if reason == "forged" else reason)
    assert not get_user_model().objects.filter(username="late@alice.example").exists()


def test_a_weak_password_is_refused_at_the_field(alice):
    _, token = invite(alice, "weak@alice.example")
    with pytest.raises(ValidationError) as caught:
        invitation_accept(token=token, password="123")
    assert "password" in caught.value.message_dict
    assert invitation_by_token(token)  # still usable


def test_a_user_of_another_partner_is_refused_clearly(alice, bob):
    _, token = invite(alice, bob.sales.email)
    with pytest.raises(ValidationError) as caught:
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert "already belongs to another partner" in caught.value.messages[0]
    bob.sales.refresh_from_db()
    assert bob.sales.check_password(PASSWORD)
    with scopes_disabled():
        assert Membership.objects.get(user=bob.sales).partner == bob.partner


def test_resend_replaces_the_link(alice):
    invitation, old = invite(alice, "r@alice.example")
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(days=1)
        )
    invitation_resend(invitation=invitation, actor=alice.admin)
    new = emailed_token("r@alice.example")
    assert len(mail.outbox) == 2 and new != old
    with pytest.raises(InvitationInvalid) as caught:
        invitation_by_token(old)
    assert caught.value.reason == "unknown"  # "replaced by a newer one"
    user = invitation_accept(token=new, password=NEW_PASSWORD)
    assert user.email == "r@alice.example"


def test_asking_for_a_new_invitation_tells_the_partner_not_the_asker(alice, staff_users):
    invitation, token = invite(alice, "gone@alice.example")
    invitation_revoke(invitation=invitation, actor=alice.admin)
    mail.outbox.clear()
    invitation_request_new(token=token, email="gone@alice.example", ip="192.0.2.1")
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted([alice.admin.email, staff_users["channel_manager"].email])
    mail.outbox.clear()
    invitation_request_new(token="", email="never@invited.example", ip="192.0.2.1")
    assert mail.outbox == []  # and the same (silent) answer to the asker


# --- the team and the last admin ------------------------------------------------------------


def membership(user):
    with scopes_disabled():
        return Membership.objects.select_related("user", "partner").get(user=user)


def test_the_last_admin_cannot_be_demoted_or_deactivated(alice):
    admin = membership(alice.admin)
    with pytest.raises(ValidationError) as caught:
        team_member_change_role(membership=admin, role="sales", actor=alice.admin)
    assert "last active partner admin" in caught.value.message_dict["role"][0]
    with pytest.raises(ValidationError) as caught:
        team_member_deactivate(membership=admin, actor=alice.admin)
    assert "last active partner admin" in caught.value.message_dict["membership"][0]
    assert membership(alice.admin).role == "admin"


def test_an_api_key_or_a_deactivated_admin_does_not_count(alice):
    from partners.services import api_key_create

    api_key_create(name="sync", partner=alice.partner, created_by=alice.admin)  # an admin key
    team_member_change_role(membership=membership(alice.marketer), role="admin", actor=alice.admin)
    team_member_deactivate(membership=membership(alice.marketer), actor=alice.admin)
    with pytest.raises(ValidationError):
        team_member_change_role(membership=membership(alice.admin), role="sales", actor=alice.admin)


def test_with_a_second_admin_the_first_can_step_down(alice):
    team_member_change_role(membership=membership(alice.marketer), role="admin", actor=alice.admin)
    team_member_change_role(membership=membership(alice.admin), role="sales", actor=alice.admin)
    assert membership(alice.admin).role == "sales"


def test_deactivate_and_reactivate_are_audited(alice):
    team_member_deactivate(membership=membership(alice.sales), actor=alice.admin, reason="left")
    alice.sales.refresh_from_db()
    assert not alice.sales.is_active
    team_member_reactivate(membership=membership(alice.sales), actor=alice.admin)
    alice.sales.refresh_from_db()
    assert alice.sales.is_active
    with scopes_disabled():
        entries = list(PartnerAuditEntry.objects.filter(partner=alice.partner, actor=alice.admin))
    assert [e.new_value.endswith("deactivated") for e in entries] == [False, True]
    assert entries[1].reason == "left"


def test_only_the_partners_admins_manage_the_team(alice, bob):
    for actor in (alice.marketer, bob.admin):
        with pytest.raises(ValidationError):
            team_member_deactivate(membership=membership(alice.sales), actor=actor)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admins_demoting_each_other_at_once_leave_one(alice, is_postgres):
    if not is_postgres:
        skip_or_fail("row locks are tested on PostgreSQL")
    team_member_change_role(membership=membership(alice.marketer), role="admin", actor=alice.admin)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def demote(index, user, actor):
        try:
            barrier.wait(timeout=10)
            results[index] = team_member_change_role(
                membership=membership(user), role="sales", actor=actor
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(0, alice.admin, alice.marketer)),
        threading.Thread(target=demote, args=(1, alice.marketer, alice.admin)),
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=60)
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    with scopes_disabled():
        assert Membership.objects.filter(partner=alice.partner, role="admin").count() == 1
    connections.close_all()


def test_a_pending_fit_can_be_computed_again_once_results_arrive(places, tiers):
    from partners.services.recruitment import application_refit

    application = submit(places)
    assert application.fit_score is None
    _performer("r1", tiers, places, regions=["dach"], languages=["de"], revenue="100")
    application_refit(application=application)
    application.refresh_from_db()
    assert application.fit_score == 100
