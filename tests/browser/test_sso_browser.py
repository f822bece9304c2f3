"""A partner user signs in with their company account in a real browser: the portal's
login page, home-realm discovery by the typed address, the company's provider (the test
OIDC provider of tests/sso, a separate server), back to the portal's dashboard as a new
member of their company. axe-core finds no serious or critical problem on our pages of
the way (the provider's login page is not ours)."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from partners.models import IdentityProvider, IdentityProviderDomain, Membership
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible
from tests.sso.conftest import IDP_PASSWORD, _oidc_provider  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_partner_user_signs_in_with_the_company_account(
    live_server, oidc_provider, alice, new_page, screenshot
):
    client_id, secret = oidc_provider.put_client(
        "alice-browser",
        redirect_uri=f"{live_server.url}/accounts/oidc/alice-sso/login/callback/",
    )
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="alice-sso",
        name="Alice Okta",
        client_id=client_id,
        secret=secret,
        settings={"server_url": oidc_provider.issuer},
    )
    with scopes_disabled():
        provider = IdentityProvider.objects.create(
            partner=alice.partner,
            name="Alice Okta",
            slug="alice-sso",
            app=app,
            role_map={"sales-team": Membership.Role.SALES},
            default_role=Membership.Role.MARKETER,
        )
        IdentityProviderDomain.objects.create(
            provider=provider,
            domain="alice.example",
            approved_at=timezone.now(),  # approved: staff made it
        )
    oidc_provider.put_user(
        "sky", email="sky@alice.example", groups=("sales-team",), first_name="Sky"
    )
    page = new_page(DESKTOP)

    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label(re.compile("email", re.IGNORECASE)).fill("sky@alice.example")
    page.get_by_role("button", name="Continue with my company account").click()

    page.wait_for_url(f"{live_server.url}/portal/login/sso/")
    expect(page.get_by_text("Your company signs you in through Alice Okta.")).to_be_visible()
    screenshot(page, "sso-continue-desktop")
    assert_accessible(page, "company sign-in")
    page.get_by_role("button", name="Continue to Alice Okta").click()

    page.wait_for_url(re.compile(rf"^{re.escape(oidc_provider.url)}/login/"))
    page.get_by_label("Username").fill("sky")
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/portal/")
    main = page.get_by_role("main")
    assert main.get_by_role("heading", level=1).inner_text() == "Alice Corp"
    expect(page.get_by_role("button", name=re.compile("Sky"))).to_be_visible()
    screenshot(page, "sso-dashboard-desktop")
    assert_accessible(page, "dashboard after company sign-in")
    user = get_user_model().objects.get(email="sky@alice.example")
    with scopes_disabled():
        assert Membership.objects.get(user=user).role == Membership.Role.SALES
