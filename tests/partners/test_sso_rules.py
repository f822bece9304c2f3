"""The single sign-on rules (partners.services.sso), called directly with the claims an
identity provider would send. The protocol round trips (allauth against a real OIDC
provider) are tests/sso/."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_scopes import scopes_disabled

from partners import roles
from partners.models import (
    IdentityProvider,
    IdentityProviderDomain,
    Membership,
    SignInRecord,
)
from partners.services import sso
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

STAFF_MAP = {
    "partnerhub-marketing": roles.MARKETING_ADMIN,
    "partnerhub-channel": roles.CHANNEL_MANAGER,
    "partnerhub-finance": roles.FINANCE_APPROVER,
    "partnerhub-analyst": roles.ANALYST,
}


@pytest.fixture
def staff_idp(settings):
    """The staff provider configured by the environment, as SSO_STAFF_* would."""
    settings.SSO_STAFF_OIDC_SERVER_URL = "https://idp.vendor.example"
    settings.SSO_STAFF_OIDC_CLIENT_ID = "partnerhub"
    settings.SSO_STAFF_ROLE_CLAIM = "groups"
    settings.SSO_STAFF_ROLE_MAP = STAFF_MAP
    return "staff"


@pytest.fixture
def alice_idp(alice):
    with scopes_disabled():
        provider = IdentityProvider.objects.create(
            partner=alice.partner,
            name="Alice Okta",
            slug="alice-okta",
            role_claim="groups",
            role_map={"pp-admins": "admin", "pp-marketing": "marketer"},
            default_role=Membership.Role.SALES,
        )
        IdentityProviderDomain.objects.create(
            provider=provider,
            domain="alice.example",
            approved_at=timezone.now(),  # approved: staff made it
        )
    return provider


@pytest.fixture
def bob_idp(bob):
    with scopes_disabled():
        provider = IdentityProvider.objects.create(
            partner=bob.partner, name="Bob Entra", slug="bob-entra", default_role="sales"
        )
        IdentityProviderDomain.objects.create(
            provider=provider,
            domain="bob.example",
            approved_at=timezone.now(),  # approved: staff made it
        )
    return provider


def records(email):
    with scopes_disabled():
        return list(
            SignInRecord.objects.filter(email=email)
            .order_by("id")
            .values_list("event", "detail", "partner__slug")
        )


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def membership_of(user):
    with scopes_disabled():
        return Membership.objects.select_related("partner").filter(user=user).first()


def refused(slug, claims):
    with pytest.raises(sso.SignInRefused) as caught:
        sso.sso_sign_in(provider_slug=slug, claims=claims)
    return caught.value


# --- staff ----------------------------------------------------------------------------


def test_staff_jit_creates_staff_user_with_roles_from_groups(staff_idp):
    # given an email the database does not know, in two mapped groups and one other
    claims = {
        "sub": "u1",
        "email": "Nina.New@Vendor.example",
        "given_name": "Nina",
        "groups": ["partnerhub-finance", "partnerhub-analyst", "everyone"],
    }

    # when
    user = sso.sso_sign_in(provider_slug=staff_idp, claims=claims)

    # then a staff user, in exactly the mapped roles, without a usable password
    user.refresh_from_db()
    assert user.email == "nina.new@vendor.example"
    assert user.is_staff and user.is_active and not user.has_usable_password()
    assert user.first_name == "Nina"
    assert group_names(user) == {roles.FINANCE_APPROVER, roles.ANALYST}
    assert membership_of(user) is None
    events = records("nina.new@vendor.example")
    assert [event for event, _detail, _partner in events] == [
        "created",
        "role_added",
        "role_added",
        "signed_in",
    ]
    assert {detail.get("role") for _e, detail, _p in events if detail} == {
        roles.FINANCE_APPROVER,
        roles.ANALYST,
    }


def test_staff_role_removed_when_no_longer_in_groups_and_unmapped_groups_kept(staff_idp, db):
    # given a staff member who is finance approver and analyst, plus a group the map
    # does not name
    from django.contrib.auth.models import Group

    fiona = make_user("fiona", staff=True, role=roles.FINANCE_APPROVER)
    fiona.groups.add(Group.objects.get(name=roles.ANALYST))
    other, _ = Group.objects.get_or_create(name="Beta testers")
    fiona.groups.add(other)

    # when the IdP now only says analyst
    user = sso.sso_sign_in(
        provider_slug=staff_idp,
        claims={"sub": "f", "email": "fiona@example.com", "groups": ["partnerhub-analyst"]},
    )

    # then finance approver is gone, analyst and the unmapped group stay
    assert user.pk == fiona.pk
    assert group_names(fiona) == {roles.ANALYST, "Beta testers"}
    assert [(e, d.get("role")) for e, d, _p in records("fiona@example.com")] == [
        ("role_removed", roles.FINANCE_APPROVER),
        ("signed_in", None),
    ]


def test_staff_without_mapped_role_refused_and_no_user_created(staff_idp):
    refusal = refused(staff_idp, {"sub": "x", "email": "x@vendor.example", "groups": ["sales"]})

    assert refusal.reason == sso.NO_ROLE
    assert "no role" in refusal.text
    assert not User.objects.filter(email="x@vendor.example").exists()
    assert records("x@vendor.example") == [("refused", {"reason": "no_role"}, None)]


def test_staff_provider_refuses_a_partner_user(staff_idp, alice):
    refusal = refused(
        staff_idp,
        {"sub": "a", "email": alice.admin.email, "groups": ["partnerhub-marketing"]},
    )

    assert refusal.reason == sso.PARTNER_USER
    alice.admin.refresh_from_db()
    assert not alice.admin.is_staff
    assert group_names(alice.admin) == set()


def test_unconfigured_staff_provider_refused(settings):
    settings.SSO_STAFF_OIDC_SERVER_URL = ""
    refusal = refused("staff", {"sub": "s", "email": "s@vendor.example"})
    assert refusal.reason == sso.UNKNOWN_PROVIDER
    assert records("s@vendor.example") == [("refused", {"reason": "unknown_provider"}, None)]


# --- partners --------------------------------------------------------------------------


def test_partner_jit_joins_the_providers_partner_with_mapped_role(alice_idp, alice):
    user = sso.sso_sign_in(
        provider_slug="alice-okta",
        claims={"sub": "p1", "email": "pat@alice.example", "groups": ["pp-marketing"]},
    )

    membership = membership_of(user)
    assert membership.partner == alice.partner
    assert membership.role == Membership.Role.MARKETER
    assert not user.is_staff
    assert [(e, d.get("role"), p) for e, d, p in records("pat@alice.example")] == [
        ("created", None, "alice"),
        ("role_added", "marketer", "alice"),
        ("signed_in", None, "alice"),
    ]


def test_partner_jit_without_mapped_claim_gets_default_role(alice_idp, alice):
    user = sso.sso_sign_in(
        provider_slug="alice-okta", claims={"sub": "p2", "email": "sam@alice.example"}
    )

    assert membership_of(user).role == Membership.Role.SALES
    assert membership_of(user).partner == alice.partner


def test_partner_member_role_follows_claims_at_next_login(alice_idp, alice):
    # alice's sales rep (known by email) is now in the admins group
    alice.sales.email = "rep@alice.example"
    alice.sales.save()

    sso.sso_sign_in(
        provider_slug="alice-okta",
        claims={"sub": "r", "email": "rep@alice.example", "groups": ["pp-admins"]},
    )

    assert membership_of(alice.sales).role == Membership.Role.ADMIN
    assert [(e, d.get("role")) for e, d, _p in records("rep@alice.example")] == [
        ("role_removed", "sales"),
        ("role_added", "admin"),
        ("signed_in", None),
    ]


def test_partner_provider_refuses_a_domain_it_does_not_own(alice_idp, bob_idp, bob):
    # alice's provider vouches for an address of bob's domain
    refusal = refused(
        "alice-okta", {"sub": "evil", "email": "newcomer@bob.example", "groups": ["pp-admins"]}
    )

    assert refusal.reason == sso.DOMAIN_NOT_OWNED
    assert not User.objects.filter(email="newcomer@bob.example").exists()
    assert records("newcomer@bob.example") == [("refused", {"reason": "domain_not_owned"}, "alice")]


def test_partner_provider_refuses_existing_user_of_another_partner(alice_idp, alice, bob):
    # bob's marketer has an address in alice's domain
    bob.marketer.email = "moved@alice.example"
    bob.marketer.save()

    refusal = refused(
        "alice-okta", {"sub": "m", "email": "moved@alice.example", "groups": ["pp-admins"]}
    )

    assert refusal.reason == sso.OTHER_PARTNER
    assert "another partner company" in refusal.text
    assert membership_of(bob.marketer).partner == bob.partner
    assert membership_of(bob.marketer).role == Membership.Role.MARKETER
    assert records("moved@alice.example") == [("refused", {"reason": "other_partner"}, "alice")]


def test_partner_provider_refuses_a_staff_user(alice_idp, staff_users):
    analyst = staff_users["analyst"]
    analyst.email = "andre@alice.example"
    analyst.save()

    refusal = refused("alice-okta", {"sub": "s", "email": "andre@alice.example"})

    assert refusal.reason == sso.STAFF_USER
    assert membership_of(analyst) is None


def test_missing_email_claim_refused_and_no_user_created(alice_idp):
    users_before = User.objects.count()

    refusal = refused("alice-okta", {"sub": "no-mail", "groups": ["pp-admins"]})

    assert refusal.reason == sso.MISSING_EMAIL
    assert User.objects.count() == users_before
    with scopes_disabled():
        record = SignInRecord.objects.get()
    assert (record.event, record.detail, record.provider) == (
        "refused",
        {"reason": "missing_email"},
        alice_idp,
    )
    assert "email address" in record.detail_text


def test_inactive_provider_refused(alice_idp):
    alice_idp.is_active = False
    alice_idp.save()

    refusal = refused("alice-okta", {"sub": "p", "email": "pat@alice.example"})

    assert refusal.reason == sso.UNKNOWN_PROVIDER
    assert not User.objects.filter(email="pat@alice.example").exists()


def test_home_realm_discovery_finds_the_provider_of_the_domain(alice_idp, bob_idp):
    assert sso.provider_for_email(email="Someone@ALICE.example") == alice_idp
    assert sso.provider_for_email(email="someone@bob.example") == bob_idp
    assert sso.provider_for_email(email="someone@carol.example") is None
    assert sso.provider_for_email(email="not-an-address") is None


def test_staff_password_login_switch(settings, alice, staff_users):
    settings.SSO_STAFF_PASSWORD_LOGIN = False
    assert not sso.staff_password_login_allowed(user=staff_users["analyst"])
    assert sso.staff_password_login_allowed(user=alice.admin)
    settings.SSO_STAFF_PASSWORD_LOGIN = True
    assert sso.staff_password_login_allowed(user=staff_users["analyst"])


def test_a_domain_pending_staff_approval_signs_nobody_in(alice_idp, alice):
    with scopes_disabled():
        IdentityProviderDomain.objects.create(provider=alice_idp, domain="alice-new.example")

    assert sso.provider_for_email(email="pat@alice-new.example") is None
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sso_sign_in(
            provider_slug=alice_idp.slug, claims={"sub": "9", "email": "pat@alice-new.example"}
        )
    assert refused.value.reason == sso.DOMAIN_NOT_OWNED
    assert not User.objects.filter(email="pat@alice-new.example").exists()


def test_the_last_partner_admin_stays_an_admin_whatever_the_claims_say(alice_idp, alice):
    # alice's only admin signs in through the company's provider, whose groups map them
    # to marketer (a wrongly mapped group): demoted, nobody could mend the set-up
    alice.admin.email = "boss@alice.example"
    alice.admin.save()

    sso.sso_sign_in(
        provider_slug="alice-okta",
        claims={"sub": "b", "email": "boss@alice.example", "groups": ["pp-marketing"]},
    )

    assert membership_of(alice.admin).role == Membership.Role.ADMIN
    assert [e for e, _d, _p in records("boss@alice.example")] == ["signed_in"]


def test_an_admin_who_is_not_the_last_follows_the_claims(alice_idp, alice):
    alice.admin.email = "boss@alice.example"
    alice.admin.save()
    with scopes_disabled():
        Membership.objects.filter(user=alice.marketer).update(role=Membership.Role.ADMIN)

    sso.sso_sign_in(
        provider_slug="alice-okta",
        claims={"sub": "b", "email": "boss@alice.example", "groups": ["pp-marketing"]},
    )

    assert membership_of(alice.admin).role == Membership.Role.MARKETER
