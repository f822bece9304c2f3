"""Portal pages say only what works today: no feature that does not exist yet
(executive briefings) is promised."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from partners.demo import TIERS
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# Features the product does not have yet; each adds its own words when it lands.
NOT_YET = re.compile(
    r"executive briefing",
    re.IGNORECASE,
)


def words(response) -> str:
    """The page's visible words (tags and whitespace collapsed)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_api_keys_page_names_what_the_api_does_today(client, alice):
    client.force_login(alice.admin)
    page = words(client.get(reverse("portal:api_keys")))
    assert not NOT_YET.search(page), NOT_YET.search(page)
    assert "fund requests and claims" in page
    assert "content library" in page
    assert "register deals" in page and "leads offered to you" in page


def test_the_no_partner_page_and_the_login_page_promise_nothing_unbuilt(client):
    login = words(client.get(reverse("portal:login")))
    assert not NOT_YET.search(login), NOT_YET.search(login)
    client.force_login(make_user("loner"))
    page = words(client.get(reverse("portal:dashboard")))
    assert "does not belong to a partner company" in page
    assert not NOT_YET.search(page), NOT_YET.search(page)
    assert "partner team" in page


@pytest.mark.parametrize("slug, name, rank, benefits", TIERS)
def test_the_demo_tiers_promise_only_what_exists(slug, name, rank, benefits):
    assert not NOT_YET.search(benefits), (slug, NOT_YET.search(benefits))
