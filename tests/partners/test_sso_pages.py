"""The pages around single sign-on: home-realm discovery on the portal login, the staff
button and SSO_STAFF_PASSWORD_LOGIN on the login pages, the refusal page, the admin
of identity providers and sign-in records, allauth's account pages not served.
The protocol round trips are tests/sso/."""

import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from partners import sso as adapter
from partners.models import IdentityProvider, IdentityProviderDomain, Membership, SignInRecord
from partners.services import sso
from tests.conftest import PASSWORD
from tests.sso.conftest import _oidc_provider  # noqa: F401  (the fixture oidc_provider)

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
LOGIN_SSO = reverse("portal:login_sso")
ADMIN_LOGIN = reverse("admin:login")


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def alice_idp(alice):
    with scopes_disabled():
        provider = IdentityProvider.objects.create(
            partner=alice.partner, name="Alice Okta", slug="alice-okta", default_role="sales"
        )
        IdentityProviderDomain.objects.create(
            provider=provider,
            domain="alice.example",
            approved_at=timezone.now(),  # approved: staff made it
        )
    return provider


@pytest.fixture
def staff_idp(settings):
    """The staff provider as SSO_STAFF_* configure it (config/settings.py builds the
    allauth app from them when it loads, so the test sets both)."""
    settings.SSO_STAFF_OIDC_SERVER_URL = "https://idp.vendor.example"
    settings.SSO_STAFF_OIDC_CLIENT_ID = "partnerhub"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "staff",
                    "name": "Vendor SSO",
                    "client_id": "partnerhub",
                    "secret": "s",
                    "settings": {"server_url": "https://idp.vendor.example"},
                }
            ],
        }
    }


# --- home-realm discovery -------------------------------------------------------------


def test_login_page_offers_the_company_sign_in(client):
    body = text(client.get(LOGIN))
    assert "Sign in with your company account" in body
    assert f'action="{LOGIN_SSO}"' in body


def test_discovery_answers_with_the_button_of_the_domains_provider(client, alice_idp):
    response = client.post(LOGIN_SSO, {"email": "Pat@Alice.example", "next": "/portal/deals/"})

    assert response.status_code == 200
    body = text(response)
    assert "Continue to Alice Okta" in body
    # the button POSTs to allauth's login address of that provider, with the next page
    form = re.search(r'<form method="post" action="([^"]+)">', body)
    assert form and form.group(1) == "/accounts/oidc/alice-okta/login/"
    assert 'name="next" value="/portal/deals/"' in body


def test_discovery_without_provider_keeps_the_password_form(client, alice_idp):
    response = client.post(LOGIN_SSO, {"email": "someone@carol.example"})

    assert response.status_code == 200
    body = text(response)
    assert "No company sign-in for this address; use your password." in body
    assert 'name="password"' in body
    assert 'value="someone@carol.example"' in body  # in the username field


def test_discovery_of_an_inactive_provider_finds_none(client, alice_idp):
    alice_idp.is_active = False
    alice_idp.save()
    response = client.post(LOGIN_SSO, {"email": "pat@alice.example"})
    assert "No company sign-in for this address" in text(response)


def test_discovery_with_a_bad_address_says_so(client):
    response = client.post(LOGIN_SSO, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in text(response)


def test_password_login_still_throttled_by_axes(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _attempt in range(2):
        client.post(LOGIN, {"username": alice.admin.username, "password": "wrong"})
    response = client.post(LOGIN, {"username": alice.admin.username, "password": PASSWORD})
    assert response.status_code == 429


# --- staff password login switched off ---------------------------------------------------


def test_staff_password_login_off_refuses_staff_on_the_portal_with_a_clear_message(
    client, staff_users, settings
):
    settings.SSO_STAFF_PASSWORD_LOGIN = False
    analyst = staff_users["analyst"]

    response = client.post(LOGIN, {"username": analyst.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "Staff sign in with the company account" in text(response)
    assert "_auth_user_id" not in client.session


def test_staff_password_login_off_leaves_partner_users_alone(client, alice, settings):
    settings.SSO_STAFF_PASSWORD_LOGIN = False
    response = client.post(LOGIN, {"username": alice.admin.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


def test_staff_password_login_off_refuses_staff_on_the_admin_login(client, staff_users, settings):
    settings.SSO_STAFF_PASSWORD_LOGIN = False
    admin_user = staff_users["marketing_admin"]

    response = client.post(
        ADMIN_LOGIN,
        {"username": admin_user.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 200
    assert "Staff sign in with the company account" in text(response)
    assert "_auth_user_id" not in client.session


def test_staff_password_login_on_by_default(client, staff_users):
    admin_user = staff_users["marketing_admin"]
    response = client.post(
        ADMIN_LOGIN, {"username": admin_user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302


def test_admin_login_shows_the_staff_button_when_configured(client, staff_idp, settings):
    body = text(client.get(ADMIN_LOGIN))
    assert 'action="/accounts/oidc/staff/login/"' in body
    assert "Sign in with your company account" in body
    assert 'name="password"' in body  # password login still on

    settings.SSO_STAFF_PASSWORD_LOGIN = False
    body = text(client.get(ADMIN_LOGIN))
    assert 'action="/accounts/oidc/staff/login/"' in body
    assert 'name="password"' not in body


def test_admin_login_without_staff_provider_has_no_button(client):
    body = text(client.get(ADMIN_LOGIN))
    assert "/accounts/oidc/" not in body
    assert 'name="password"' in body


# --- the refusal page and allauth's pages ---------------------------------------------


def test_refusal_page_is_403_in_the_readers_language():
    request = RequestFactory().get("/accounts/oidc/alice-okta/login/callback/")
    with translation.override("de"):
        response = adapter.refusal_page(request, sso.OTHER_PARTNER)
    assert response.status_code == 403
    body = text(response)
    assert "another partner company" not in body  # worded in German
    assert "eines anderen Partnerunternehmens" in body
    assert "Wir konnten Sie nicht anmelden" in body


def test_allauths_account_pages_lead_to_the_portals(client):
    for name in ("account_login", "account_signup", "account_inactive"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == LOGIN
    assert client.get("/accounts/password/reset/").status_code == 404
    assert client.get("/accounts/email/").status_code == 404


def test_a_get_of_the_sign_in_address_starts_nothing(client, staff_idp):
    response = client.get("/accounts/oidc/staff/login/")
    assert response.status_code == 200
    body = text(response)
    assert "Continue to Vendor SSO to sign in." in body
    assert 'method="post"' in body


# --- the admin ----------------------------------------------------------------------------


def test_admin_creates_a_partner_provider_with_domains_and_its_client(
    client, alice, staff_users, oidc_provider
):
    # The issuer URL is checked on save: the real test provider's.
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        {
            "name": "Alice Entra",
            "slug": "alice-entra",
            "partner": alice.partner.pk,
            "protocol": "oidc",
            "is_active": "on",
            "server_url": oidc_provider.issuer,
            "client_id": "client-1",
            "secret": "s3cret",
            "role_claim": "roles",
            "role_map": '{"PartnerHub.Admin": "admin"}',
            "default_role": "sales",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
            "domains-0-domain": "Alice-Corp.example",
        },
    )

    assert response.status_code == 302, text(response)
    with scopes_disabled():
        provider = IdentityProvider.objects.get(slug="alice-entra")
        assert list(provider.domains.values_list("domain", flat=True)) == ["alice-corp.example"]
    app = SocialApp.objects.get(provider_id="alice-entra")
    assert provider.app == app
    assert (app.provider, app.client_id, app.secret) == ("openid_connect", "client-1", "s3cret")
    assert app.settings["server_url"] == oidc_provider.issuer
    assert app.settings["oauth_pkce_enabled"] is True


def test_admin_refuses_a_domain_another_partner_owns_and_unknown_roles(
    client, alice_idp, bob, staff_users
):
    client.force_login(staff_users["marketing_admin"])
    response = client.post(
        reverse("admin:partners_identityprovider_add"),
        {
            "name": "Bob IdP",
            "slug": "bob-idp",
            "partner": bob.partner.pk,
            "protocol": "oidc",
            "is_active": "on",
            "server_url": "https://bob.example/idp",
            "client_id": "c",
            "secret": "s",
            "role_claim": "groups",
            "role_map": '{"x": "Finance approver"}',
            "default_role": "sales",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
            "domains-0-domain": "alice.example",
        },
    )

    assert response.status_code == 200
    body = text(response)
    assert "alice.example already belongs to another company." in body
    assert "https://bob.example/idp does not answer as an OpenID Connect issuer" in body
    assert "Unknown roles: Finance approver" in body
    with scopes_disabled():
        assert not IdentityProvider.objects.filter(slug="bob-idp").exists()


def test_sign_in_records_are_listed_read_only(client, alice_idp, staff_users):
    sso.sso_sign_in(provider_slug="alice-okta", claims={"sub": "1", "email": "p@alice.example"})
    client.force_login(staff_users["analyst"])

    response = client.get(reverse("admin:partners_signinrecord_changelist") + "?event=created")

    assert response.status_code == 200
    assert "p@alice.example" in text(response)
    with scopes_disabled():
        record = SignInRecord.objects.filter(event="created").get()
    change = client.get(reverse("admin:partners_signinrecord_change", args=[record.pk]))
    assert change.status_code == 200
    assert "Save" not in text(change) or 'name="_save"' not in text(change)
    assert client.get(reverse("admin:partners_signinrecord_add")).status_code == 403
    with scopes_disabled():
        assert Membership.objects.get(user__email="p@alice.example").role == "sales"
