"""Single sign-on through SAML 2.0, end to end: our app in `live_server`, the test IdP
(tests/sso/saml_idp: pysaml2, assertions signed by xmlsec1) in a thread beside it, and a
browser made of requests between them. Nothing of the protocol is mocked: allauth
(python3-saml) sends the AuthnRequest, the IdP checks it against our SP metadata, signs
the assertion and posts it back through the browser, python3-saml validates it, our
rules (partners/services/sso.py) decide.

Providers are set up as the admin does (`identity_provider_saml_app_save` reading the
IdP's metadata from its URL); the IdP trusts our SP by reading our metadata URL, as a
customer's IT registers PartnerHub.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from partners import roles
from partners.models import (
    IdentityProvider,
    IdentityProviderDomain,
    Membership,
    Partner,
)
from partners.services import sso
from tests.sso.conftest import Browser
from tests.sso.outcomes import (
    assert_refused,
    events,
    group_names,
    refusals,
    signed_in_to_admin,
    signed_in_to_portal,
)
from tests.sso.saml_idp import quirks
from tests.sso.saml_idp.idp import PASSWORD

pytestmark = [
    pytest.mark.slow,
    # Flushed after each test: restore the roles' groups the data migration made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

User = get_user_model()
STAFF_ROLE_MAP = {
    "partnerhub-marketing": roles.MARKETING_ADMIN,
    "partnerhub-finance": roles.FINANCE_APPROVER,
    "partnerhub-analyst": roles.ANALYST,
}
ENTRA_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"


@pytest.fixture
def saml_provider(live_server, saml_idp):
    """Makes a SAML provider: our IdentityProvider and its SocialApp from the IdP's
    metadata URL, and our SP registered at the IdP (with a quirk, if asked)."""

    def make(
        partner: Partner | None,
        *,
        slug: str,
        domains: tuple[str, ...] = (),
        role_claim: str = "groups",
        role_map: dict[str, str] | None = None,
        default_role: str = "",
        quirk: str | None = None,
        attributes: str = "okta",
    ) -> IdentityProvider:
        with scopes_disabled():
            provider = IdentityProvider.objects.create(
                partner=partner,
                name=f"{slug} login",
                slug=slug,
                protocol=IdentityProvider.Protocol.SAML,
                role_claim=role_claim,
                role_map=role_map or {},
                default_role=default_role,
            )
            for domain in domains:
                IdentityProviderDomain.objects.create(
                    provider=provider,
                    domain=domain,
                    approved_at=timezone.now(),  # approved: staff made it
                )
        sso.identity_provider_saml_app_save(provider=provider, metadata_url=saml_idp.metadata_url)
        saml_idp.register_sp(
            f"{live_server.url}/accounts/saml/{slug}/metadata/", quirk=quirk, attributes=attributes
        )
        return provider

    return make


@pytest.fixture
def staff_saml(saml_provider):
    """The vendor's own provider (no partner) at the test IdP; its slug is unique per
    quirk, since the IdP keeps one quirk per SP entity (our metadata URL)."""

    def make(quirk: str | None = None) -> IdentityProvider:
        return saml_provider(
            None, slug=f"vendor-{quirk or 'ok'}", role_map=STAFF_ROLE_MAP, quirk=quirk
        )

    return make


def sign_in_at_idp(browser: Browser, saml_idp, username: str):
    """On the IdP's login page (allauth sent us there): the password; then the IdP's
    form that posts the response to our ACS."""
    assert browser.url.startswith(f"{saml_idp.url}/sso?"), browser.url
    browser.submit(browser.form(button="Sign in"), username=username, password=PASSWORD)
    return browser.submit(browser.form(button="Continue"))


def staff_sign_in(browser: Browser, live_server, saml_idp, provider, username: str):
    browser.get(f"{live_server.url}/admin/login/")
    browser.submit(browser.form(action_contains=f"/accounts/saml/{provider.slug}/login/"))
    return sign_in_at_idp(browser, saml_idp, username)


def partner_sign_in(browser: Browser, live_server, saml_idp, *, typed_email, username):
    """Home-realm discovery with the typed address, the provider's button, its login."""
    browser.get(f"{live_server.url}/portal/login/")
    browser.submit(browser.form(action_contains="/portal/login/sso/"), email=typed_email)
    browser.submit(browser.form(action_contains="/accounts/saml/"))
    return sign_in_at_idp(browser, saml_idp, username)


# --- Staff -----------------------------------------------------------------------------


def test_staff_member_is_created_at_first_sign_in_with_roles_from_groups(
    staff_saml, live_server, saml_idp
):
    provider = staff_saml()
    saml_idp.put_user(
        "sara",
        email="sara.saml@vendor.example",
        groups=("partnerhub-finance", "partnerhub-analyst", "all-employees"),
        given_name="Sara",
        family_name="Saml",
    )
    browser = Browser()

    response = staff_sign_in(browser, live_server, saml_idp, provider, "sara")

    assert response.status_code == 200, response.text[:2000]
    assert response.url == f"{live_server.url}/admin/"
    assert "<title>Your desk | PartnerHub admin</title>" in response.text
    user = User.objects.get(email="sara.saml@vendor.example")
    assert user.is_staff and not user.is_superuser
    assert (user.first_name, user.last_name) == ("Sara", "Saml")
    assert not user.has_usable_password()
    assert group_names(user) == {roles.FINANCE_APPROVER, roles.ANALYST}
    with scopes_disabled():
        assert not Membership.objects.filter(user=user).exists()
    recorded = events("sara.saml@vendor.example")
    # The role map is a JSON column: PostgreSQL keeps its keys in its own order.
    assert (recorded[0], recorded[-1]) == (("created", ""), ("signed_in", ""))
    assert sorted(recorded[1:-1]) == [
        ("role_added", roles.ANALYST),
        ("role_added", roles.FINANCE_APPROVER),
    ]


def test_staff_member_who_left_a_group_loses_its_role_at_the_next_sign_in(
    staff_saml, live_server, saml_idp
):
    provider = staff_saml()
    email = "rolf.roles@vendor.example"
    saml_idp.put_user("rolf", email=email, groups=("partnerhub-marketing", "partnerhub-finance"))
    staff_sign_in(Browser(), live_server, saml_idp, provider, "rolf")
    user = User.objects.get(email=email)
    assert group_names(user) == {roles.MARKETING_ADMIN, roles.FINANCE_APPROVER}

    saml_idp.put_user("rolf", email=email, groups=("partnerhub-marketing",))
    response = staff_sign_in(Browser(), live_server, saml_idp, provider, "rolf")

    assert response.url == f"{live_server.url}/admin/"
    assert group_names(user) == {roles.MARKETING_ADMIN}
    assert events(email)[-2:] == [("role_removed", roles.FINANCE_APPROVER), ("signed_in", "")]
    assert User.objects.filter(email=email).count() == 1


# --- Partner users ---------------------------------------------------------------------


@pytest.fixture
def alice_saml(alice, saml_provider) -> IdentityProvider:
    """Alice's company signs its people in through an Entra-style IdP: its groups come
    in Entra ID's claim URI, which the provider names as its role claim."""
    return saml_provider(
        alice.partner,
        slug="alice-saml",
        domains=("alice.example",),
        role_claim=ENTRA_GROUPS,
        role_map={"sales-team": Membership.Role.SALES, "it-admins": Membership.Role.ADMIN},
        default_role=Membership.Role.MARKETER,
        attributes="entra",
    )


def test_partner_user_is_created_in_their_partner_with_the_mapped_role(
    alice_saml, bob, live_server, saml_idp
):
    saml_idp.put_user("pia", email="pia@alice.example", groups=("sales-team",), given_name="Pia")
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, saml_idp, typed_email="pia@alice.example", username="pia"
    )

    assert response.status_code == 200, response.text[:2000]
    assert response.url == f"{live_server.url}/portal/"
    assert "Alice Corp" in response.text
    user = User.objects.get(email="pia@alice.example")
    assert not user.is_staff and user.first_name == "Pia"
    with scopes_disabled():
        memberships = list(Membership.objects.filter(user=user).values_list("partner", "role"))
    assert memberships == [(alice_saml.partner_id, Membership.Role.SALES)]
    assert events("pia@alice.example") == [
        ("created", ""),
        ("role_added", Membership.Role.SALES),
        ("signed_in", ""),
    ]


def test_an_address_in_a_domain_the_partner_does_not_own_is_refused(
    alice_saml, bob, saml_provider, live_server, saml_idp
):
    saml_provider(bob.partner, slug="bob-saml", domains=("bob.example",))
    saml_idp.put_user("eve", email="eve@bob.example", groups=("it-admins",))
    users_before = User.objects.count()
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, saml_idp, typed_email="eve@alice.example", username="eve"
    )

    assert_refused(response, says="not in a domain this company sign-in is set up for")
    assert User.objects.count() == users_before
    assert refusals() == [("alice-saml", "domain_not_owned", "eve@bob.example")]
    assert not signed_in_to_portal(browser, live_server)


def test_an_assertion_without_an_email_is_refused_and_creates_no_user(
    alice_saml, live_server, saml_idp
):
    saml_idp.put_user("nomail", email="", groups=("sales-team",))
    users_before = User.objects.count()
    browser = Browser()

    response = partner_sign_in(
        browser, live_server, saml_idp, typed_email="nomail@alice.example", username="nomail"
    )

    assert_refused(response, says="did not tell us your email address")
    assert User.objects.count() == users_before
    assert refusals() == [("alice-saml", "missing_email", "")]
    assert not signed_in_to_portal(browser, live_server)


# --- The protocol refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "quirk",
    [
        quirks.UNSIGNED,
        quirks.FOREIGN_KEY,
        quirks.TAMPERED,
        quirks.EXPIRED,
        quirks.WRONG_ISSUER,
        quirks.UNSOLICITED,  # an IdP-initiated sign-in: refused, it answers no request
    ],
)
def test_a_bad_assertion_is_refused(staff_saml, live_server, saml_idp, quirk):
    provider = staff_saml(quirk)
    saml_idp.put_user("fred", email="fred@vendor.example", groups=("partnerhub-marketing",))
    users_before = User.objects.count()
    browser = Browser()

    response = staff_sign_in(browser, live_server, saml_idp, provider, "fred")

    assert_refused(response, says="could not be completed")
    assert User.objects.count() == users_before
    assert refusals() == [(provider.slug, "protocol_error", "")]
    assert not signed_in_to_admin(browser, live_server)


def test_an_assertion_signed_with_another_certificate_than_the_configured_one_is_refused(
    staff_saml, live_server, saml_idp
):
    """The admin configured a certificate the IdP does not sign with (a rotated or
    mistyped one): the IdP's real signature does not verify against it."""
    provider = staff_saml()
    idp = saml_idp
    sso.identity_provider_saml_app_save(
        provider=provider,
        entity_id=idp.entity_id,
        sso_url=idp.sso_url,
        x509cert=idp.foreign.cert_pem,
    )
    idp.put_user("carl", email="carl@vendor.example", groups=("partnerhub-marketing",))
    browser = Browser()

    response = staff_sign_in(browser, live_server, idp, provider, "carl")

    assert_refused(response, says="could not be completed")
    assert not User.objects.filter(email="carl@vendor.example").exists()
    assert refusals() == [(provider.slug, "protocol_error", "")]


def test_a_replayed_response_is_refused(staff_saml, live_server, saml_idp):
    provider = staff_saml()
    saml_idp.put_user("rex", email="rex@vendor.example", groups=("partnerhub-analyst",))
    browser = Browser()
    staff_sign_in(browser, live_server, saml_idp, provider, "rex")
    assert signed_in_to_admin(browser, live_server)
    acs_url = f"{live_server.url}/accounts/saml/{provider.slug}/acs/"
    captured = {"SAMLResponse": saml_idp.last_response, "RelayState": ""}

    # The same response again, in the browser that used it and in another one.
    again = browser.session.post(acs_url, data=captured, timeout=20)
    elsewhere = Browser().session.post(acs_url, data=captured, timeout=20)

    for response in (again, elsewhere):
        assert_refused(response, says="could not be completed")
    assert refusals() == [(provider.slug, "replayed", ""), (provider.slug, "replayed", "")]
    assert list(User.objects.filter(email="rex@vendor.example")) == [
        User.objects.get(email="rex@vendor.example")
    ]
