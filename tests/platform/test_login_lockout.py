"""Login lock-out per address across usernames (config.lockout), beside django-axes' own
lock-out per username and address (tests/partners/test_portal.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


def log_in(client, username: str, password: str, address: str):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_an_address_failing_for_many_usernames_is_locked_out(client, alice, settings):
    limit = settings.LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS
    assert limit > settings.AXES_FAILURE_LIMIT  # one person's typos never reach it

    # given: one password tried once on each of many usernames from one address
    for n in range(limit - 1):
        assert log_in(client, f"someone{n}", "Summer2026!", OFFICE).status_code == 200

    # when: one more username fails from there
    response = log_in(client, f"someone{limit}", "Summer2026!", OFFICE)

    # then: that address is paused for every account, even with the right password
    assert response.status_code == 429
    assert "logging in from your network is paused" in response.content.decode()
    response = log_in(client, alice.admin.username, PASSWORD, OFFICE)
    assert response.status_code == 429
    assert "logging in from your network is paused" in response.content.decode()
    assert client.get(reverse("portal:dashboard")).status_code == 302

    # and: the account itself is not locked from another address
    assert log_in(client, alice.admin.username, PASSWORD, ELSEWHERE).status_code == 302


def test_one_user_mistyping_behind_a_shared_address_does_not_lock_the_others(
    client, alice, bob, settings
):
    # given: one person at the office locks out their own account
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, bob.admin.username, "typo", OFFICE)
    assert log_in(client, bob.admin.username, PASSWORD, OFFICE).status_code == 429

    # when / then: a colleague at the same address logs in
    assert log_in(client, alice.admin.username, PASSWORD, OFFICE).status_code == 302


def test_fewer_usernames_than_the_limit_lock_no_one_out(client, alice, settings):
    for n in range(settings.LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS - 1):
        log_in(client, f"someone{n}", "wrong", OFFICE)

    assert log_in(client, alice.admin.username, PASSWORD, OFFICE).status_code == 302
