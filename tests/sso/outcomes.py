"""What a sign-in round trip left behind, as the SSO round-trip tests (OpenID Connect and
SAML 2.0) check it: where the browser may go, the refusal page, the sign-in records."""

from __future__ import annotations

from django_scopes import scopes_disabled

from partners.models import SignInRecord
from tests.sso.conftest import Browser


def signed_in_to_portal(browser: Browser, live_server) -> bool:
    response = browser.get(f"{live_server.url}/portal/")
    return response.status_code == 200 and response.url == f"{live_server.url}/portal/"


def signed_in_to_admin(browser: Browser, live_server) -> bool:
    response = browser.get(f"{live_server.url}/admin/")
    return response.status_code == 200 and response.url == f"{live_server.url}/admin/"


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def events(email: str) -> list[tuple[str, str]]:
    """The sign-in records of this address, oldest first: (event, role or reason)."""
    with scopes_disabled():
        return [
            (record.event, record.detail.get("role") or record.detail.get("reason") or "")
            for record in SignInRecord.objects.filter(email=email).order_by("pk")
        ]


def refusals() -> list[tuple[str, str, str]]:
    """Every refusal recorded: (provider slug, reason, email)."""
    with scopes_disabled():
        return list(
            SignInRecord.objects.filter(event=SignInRecord.Event.REFUSED).values_list(
                "provider_slug", "detail__reason", "email"
            )
        )


def assert_refused(response, *, says: str) -> None:
    """Our refusal page (403) with the reason a person reads."""
    assert response.status_code == 403, response.text[:2000]
    assert "We could not sign you in" in response.text
    assert says in response.text
