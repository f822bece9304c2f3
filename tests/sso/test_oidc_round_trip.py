"""Single sign-on through OpenID Connect, end to end: our app in `live_server`, the test
provider (tests/sso/oidc_provider) in its own process, and a browser made of requests
between them. Nothing of the protocol is mocked: allauth sends the real authorization
request (state, nonce, PKCE), the provider's login form takes the password, allauth
exchanges the code and checks the ID token, our rules (partners/services/sso.py) decide.

Staff sign in from the admin login's company-account button, through the provider
configured by the SSO_STAFF_* settings; partner users from the portal's login page,
by home-realm discovery, through their company's IdentityProvider row and SocialApp.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_scopes import scopes_disabled

from partners import roles
from partners.models import (
    IdentityProvider,
    IdentityProviderDomain,
    Membership,
    Partner,
    SignInRecord,
)
from partners.services import membership_create
from tests.sso.conftest import IDP_PASSWORD, Browser
from tests.sso.oidc_provider import quirks
from tests.sso.outcomes import assert_refused, events, group_names, signed_in_to_portal

pytestmark = [
    pytest.mark.slow,
    # Flushed after each test: restore the roles' groups the data migration made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

User = get_user_model()
STAFF_ROLE_MAP = {
    "partnerhub-marketing": roles.MARKETING_ADMIN,
    "partnerhub-channel": roles.CHANNEL_MANAGER,
    "partnerhub-finance": roles.FINANCE_APPROVER,
    "partnerhub-analyst": roles.ANALYST,
}


def callback_url(live_server, provider_id: str) -> str:
    return f"{live_server.url}/accounts/oidc/{provider_id}/login/callback/"


@pytest.fixture
def staff_idp(settings, live_server, oidc_provider):
    """The staff provider as the environment configures it (SSO_STAFF_*), at the test
    provider. Returns a function that swaps in a faulty client (a quirk)."""

    def configure(quirk: str | None = None) -> str:
        client_id, secret = oidc_provider.put_client(
            f"staff-{quirk or 'ok'}", redirect_uri=callback_url(live_server, "staff"), quirk=quirk
        )
        settings.SSO_STAFF_OIDC_SERVER_URL = oidc_provider.issuer
        settings.SSO_STAFF_OIDC_CLIENT_ID = client_id
        settings.SSO_STAFF_OIDC_CLIENT_SECRET = secret
        settings.SSO_STAFF_ROLE_CLAIM = "groups"
        settings.SSO_STAFF_ROLE_MAP = STAFF_ROLE_MAP
        # config/settings.py builds allauth's app from SSO_STAFF_* once, at start.
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "staff",
                        "name": "Vendor login",
                        "client_id": client_id,
                        "secret": secret,
                        "settings": {"server_url": oidc_provider.issuer},
                    }
                ],
            }
        }
        return client_id

    configure()
    return configure


@pytest.fixture
def partner_idp(live_server, oidc_provider):
    """Makes a partner's identity provider: a client at the test provider, and our
    SocialApp + IdentityProvider + domains for it, as an admin would set them up."""

    def make(
        partner: Partner,
        *,
        slug: str,
        domains: tuple[str, ...],
        role_map: dict[str, str] | None = None,
        default_role: str = Membership.Role.MARKETER,
        quirk: str | None = None,
    ) -> IdentityProvider:
        client_id, secret = oidc_provider.put_client(
            f"{slug}-client", redirect_uri=callback_url(live_server, slug), quirk=quirk
        )
        app = SocialApp.objects.create(
            provider="openid_connect",
            provider_id=slug,
            name=f"{partner.name} login",
            client_id=client_id,
            secret=secret,
            settings={"server_url": oidc_provider.issuer},
        )
        with scopes_disabled():
            provider = IdentityProvider.objects.create(
                partner=partner,
                name=f"{partner.name} login",
                slug=slug,
                app=app,
                role_claim="groups",
                role_map=role_map or {},
                default_role=default_role,
            )
            for domain in domains:
                IdentityProviderDomain.objects.create(
                    provider=provider,
                    domain=domain,
                    approved_at=timezone.now(),  # approved: staff made it
                )
        return provider

    return make


def sign_in_at_provider(browser: Browser, oidc_provider, username: str) -> None:
    """On the provider's login page (allauth sent us there): the password, then back."""
    assert browser.url.startswith(f"{oidc_provider.url}/login/"), browser.url
    browser.submit(browser.form(button="Sign in"), username=username, password=IDP_PASSWORD)


def staff_sign_in(browser: Browser, live_server, oidc_provider, username: str):
    browser.get(f"{live_server.url}/admin/login/")
    browser.submit(browser.form(action_contains="/accounts/oidc/staff/login/"))
    sign_in_at_provider(browser, oidc_provider, username)
    return browser.response


def partner_sign_in(browser: Browser, live_server, oidc_provider, *, typed_email, username):
    """Home-realm discovery with the typed address, the provider's button, its login."""
    browser.get(f"{live_server.url}/portal/login/")
    browser.submit(browser.form(action_contains="/portal/login/sso/"), email=typed_email)
    browser.submit(browser.form(action_contains="/accounts/oidc/"))
    sign_in_at_provider(browser, oidc_provider, username)
    return browser.response


# --- Staff -----------------------------------------------------------------------------


def test_staff_member_is_created_at_first_sign_in_with_roles_from_groups(
    staff_idp, live_server, oidc_provider
):
    oidc_provider.put_user(
        "sam",
        email="sam.staff@vendor.example",
        groups=("partnerhub-finance", "partnerhub-analyst", "all-employees"),
        first_name="Sam",
        last_name="Staff",
    )
    browser = Browser()

    response = staff_sign_in(browser, live_server, oidc_provider, "sam")

    assert response.status_code == 200
    assert response.url == f"{live_server.url}/admin/"
    assert "<title>Your desk | PartnerHub admin</title>" in response.text
    user = User.objects.get(email="sam.staff@vendor.example")
    assert user.is_staff and not user.is_superuser
    assert (user.first_name, user.last_name) == ("Sam", "Staff")
    assert not user.has_usable_password()
    assert group_names(user) == {roles.FINANCE_APPROVER, roles.ANALYST}
    with scopes_disabled():
        assert not Membership.objects.filter(user=user).exists()
    # Roles in the role map's order (finance before analyst).
    assert events("sam.staff@vendor.example") == [
        ("created", ""),
        ("role_added", roles.FINANCE_APPROVER),
        ("role_added", roles.ANALYST),
        ("signed_in", ""),
    ]


def test_staff_member_who_left_a_group_loses_its_role_at_the_next_sign_in(
    staff_idp, live_server, oidc_provider
):
    email = "rita.roles@vendor.example"
    oidc_provider.put_user(
        "rita", email=email, groups=("partnerhub-marketing", "partnerhub-finance")
    )
    assert staff_sign_in(Browser(), live_server, oidc_provider, "rita").url.endswith("/admin/")
    user = User.objects.get(email=email)
    assert group_names(user) == {roles.MARKETING_ADMIN, roles.FINANCE_APPROVER}
    # A group our role map does not name, given in the admin: SSO leaves it alone.
    user.groups.add(Group.objects.create(name="Newsletter editors"))

    oidc_provider.put_user("rita", email=email, groups=("partnerhub-marketing",))
    response = staff_sign_in(Browser(), live_server, oidc_provider, "rita")

    assert response.url == f"{live_server.url}/admin/"
    assert group_names(user) == {roles.MARKETING_ADMIN, "Newsletter editors"}
    assert events(email)[-2:] == [("role_removed", roles.FINANCE_APPROVER), ("signed_in", "")]
    assert User.objects.filter(email=email).count() == 1  # the same user, found again


def test_staff_member_without_a_mapped_group_is_refused(staff_idp, live_server, oidc_provider):
    oidc_provider.put_user("una", email="una@vendor.example", groups=("all-employees",))

    response = staff_sign_in(Browser(), live_server, oidc_provider, "una")

    assert_refused(response, says="gives you no role here")
    assert not User.objects.filter(email="una@vendor.example").exists()
    assert events("una@vendor.example") == [("refused", "no_role")]


# --- Partner users ---------------------------------------------------------------------


@pytest.fixture
def alice_idp(alice, partner_idp) -> IdentityProvider:
    """Alice's company signs its people in; "sales-team" at its IdP means sales here."""
    return partner_idp(
        alice.partner,
        slug="alice-sso",
        domains=("alice.example",),
        role_map={"sales-team": Membership.Role.SALES, "it-admins": Membership.Role.ADMIN},
        default_role=Membership.Role.MARKETER,
    )


def test_partner_user_is_created_in_their_partner_with_the_mapped_role(
    alice_idp, bob, live_server, oidc_provider
):
    oidc_provider.put_user(
        "pat", email="pat@alice.example", groups=("sales-team",), first_name="Pat"
    )
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, oidc_provider, typed_email="pat@alice.example", username="pat"
    )

    assert response.status_code == 200
    assert response.url == f"{live_server.url}/portal/"
    assert "<h1" in response.text and "Alice Corp" in response.text
    user = User.objects.get(email="pat@alice.example")
    assert not user.is_staff
    with scopes_disabled():
        memberships = list(Membership.objects.filter(user=user).values_list("partner", "role"))
    assert memberships == [(alice_idp.partner_id, Membership.Role.SALES)]
    assert events("pat@alice.example") == [
        ("created", ""),
        ("role_added", Membership.Role.SALES),
        ("signed_in", ""),
    ]


def test_partner_user_without_a_mapped_group_gets_the_default_role(
    alice_idp, live_server, oidc_provider
):
    oidc_provider.put_user("dana", email="dana@alice.example", groups=("all-staff",))

    response = partner_sign_in(
        Browser(), live_server, oidc_provider, typed_email="dana@alice.example", username="dana"
    )

    assert response.url == f"{live_server.url}/portal/"
    with scopes_disabled():
        membership = Membership.objects.get(user__email="dana@alice.example")
    assert (membership.partner_id, membership.role) == (
        alice_idp.partner_id,
        Membership.Role.MARKETER,
    )


def test_an_idp_asserting_an_address_of_another_partners_domain_is_refused(
    alice_idp, bob, partner_idp, live_server, oidc_provider
):
    # Bob's company owns bob.example; alice's IdP vouches for someone there.
    partner_idp(bob.partner, slug="bob-sso", domains=("bob.example",))
    oidc_provider.put_user("eve", email="eve@bob.example", groups=("it-admins",))
    users_before = User.objects.count()
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, oidc_provider, typed_email="eve@alice.example", username="eve"
    )

    assert_refused(response, says="not in a domain this company sign-in is set up for")
    assert User.objects.count() == users_before
    assert not User.objects.filter(email="eve@bob.example").exists()
    assert events("eve@bob.example") == [("refused", "domain_not_owned")]
    with scopes_disabled():
        record = SignInRecord.objects.get(email="eve@bob.example")
    assert (record.provider_slug, record.partner_id, record.user_id) == (
        "alice-sso",
        alice_idp.partner_id,
        None,
    )
    assert not signed_in_to_portal(browser, live_server)


def test_an_existing_user_of_another_partner_is_refused_with_a_clear_page(
    alice_idp, bob, live_server, oidc_provider
):
    # Mallory has an account at bob's company under an alice.example address.
    with scopes_disabled():
        mallory = User.objects.create_user("mallory", email="mallory@alice.example")
        membership_create(partner=bob.partner, user=mallory, role=Membership.Role.SALES)
    oidc_provider.put_user("mallory", email="mallory@alice.example", groups=("it-admins",))
    browser = Browser()

    response = partner_sign_in(
        browser,
        live_server,
        oidc_provider,
        typed_email="mallory@alice.example",
        username="mallory",
    )

    assert_refused(response, says="belongs to an account of another partner company")
    with scopes_disabled():
        assert list(Membership.objects.filter(user=mallory).values_list("partner", "role")) == [
            (bob.partner.pk, Membership.Role.SALES)
        ]
    assert events("mallory@alice.example") == [("refused", "other_partner")]
    assert not signed_in_to_portal(browser, live_server)


def test_a_token_without_an_email_claim_is_refused_and_creates_no_user(
    alice_idp, live_server, oidc_provider
):
    oidc_provider.put_user("nomail", email="", groups=("sales-team",))
    users_before = User.objects.count()
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, oidc_provider, typed_email="nomail@alice.example", username="nomail"
    )

    assert_refused(response, says="did not tell us your email address")
    assert User.objects.count() == users_before
    with scopes_disabled():
        record = SignInRecord.objects.get(provider_slug="alice-sso")
    assert (record.event, record.detail.get("reason"), record.user_id) == (
        "refused",
        "missing_email",
        None,
    )
    assert not signed_in_to_portal(browser, live_server)


# --- The protocol refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "quirk",
    [
        quirks.EXPIRED_ID_TOKEN,
        quirks.FOREIGN_SIGNING_KEY,
        quirks.WRONG_ISSUER,
    ],
    ids=["expired-id-token", "id-token-signed-by-a-foreign-key", "issuer-mismatch"],
)
def test_a_bad_id_token_is_refused(staff_idp, live_server, oidc_provider, quirk):
    staff_idp(quirk=quirk)
    oidc_provider.put_user("fay", email="fay@vendor.example", groups=("partnerhub-marketing",))
    users_before = User.objects.count()
    browser = Browser()

    response = staff_sign_in(browser, live_server, oidc_provider, "fay")

    assert_refused(response, says="could not be completed")
    assert User.objects.count() == users_before
    assert not User.objects.filter(email="fay@vendor.example").exists()
    with scopes_disabled():
        assert list(
            SignInRecord.objects.values_list("provider_slug", "event", "detail__reason")
        ) == [("staff", "refused", "protocol_error")]
    assert browser.get(f"{live_server.url}/admin/").url.startswith(
        f"{live_server.url}/admin/login/"
    )
