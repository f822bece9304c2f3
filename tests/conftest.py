"""Shared fixtures: two competing partners (alice's company and bob's), users of
every partner role, users of every staff role, and API keys.

Alice's company is "own", bob's is "other" (healthchecks' alice/bob/charlie):
tests prove that whatever alice's users do, bob's data stays invisible.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from partners import roles
from partners.models import Membership, Partner, Tier
from partners.services import api_key_create, membership_create, partner_create

PASSWORD = "correct-horse-battery-staple"


def services_required() -> bool:
    """In CI a missing service fails the test instead of skipping it."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (CI=true: nothing may be skipped)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks run in-process unless a test starts a real worker (tests/platform).
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def tiers(db) -> dict[str, Tier]:
    result = {}
    for slug, name, rank in (
        ("registered", "Registered", 10),
        ("silver", "Silver", 20),
        ("gold", "Gold", 30),
        ("platinum", "Platinum", 40),
    ):
        result[slug], _ = Tier.objects.get_or_create(
            slug=slug, defaults={"name": name, "rank": rank}
        )
    return result


def make_user(username: str, *, staff: bool = False, role: str | None = None, **extra):
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        is_staff=staff,
        first_name=username.split("_")[0].title(),
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def staff_users(db) -> dict[str, object]:
    return {
        "marketing_admin": make_user("maya_marketing", staff=True, role=roles.MARKETING_ADMIN),
        "channel_manager": make_user("carl_channel", staff=True, role=roles.CHANNEL_MANAGER),
        "finance_approver": make_user("fiona_finance", staff=True, role=roles.FINANCE_APPROVER),
        "analyst": make_user("andre_analyst", staff=True, role=roles.ANALYST),
    }


@dataclass
class PartnerWorld:
    partner: Partner
    admin: object
    marketer: object
    sales: object


def make_partner_world(slug: str, tier: Tier, manager=None, **fields) -> PartnerWorld:
    partner = partner_create(
        actor=None,
        name=f"{slug.title()} Corp",
        slug=slug,
        tier=tier,
        partner_type=fields.pop("partner_type", Partner.Type.RESELLER),
        status=fields.pop("status", Partner.Status.ACTIVE),
        channel_manager=manager,
        **fields,
    )
    users = {}
    for role in Membership.Role.values:
        user = make_user(f"{slug}_{role}")
        membership_create(partner=partner, user=user, role=role)
        users[role] = user
    return PartnerWorld(partner, users["admin"], users["marketer"], users["sales"])


@pytest.fixture
def alice(tiers, staff_users) -> PartnerWorld:
    """The partner under test ("own")."""
    return make_partner_world("alice", tiers["gold"], manager=staff_users["channel_manager"])


@pytest.fixture
def bob(tiers) -> PartnerWorld:
    """A competing partner ("other"): nothing of it may leak to alice."""
    return make_partner_world("bob", tiers["silver"])


@pytest.fixture
def alice_key(alice) -> str:
    return api_key_create(name="alice sync", partner=alice.partner, created_by=alice.admin).raw_key


@pytest.fixture
def bob_key(bob) -> str:
    return api_key_create(name="bob sync", partner=bob.partner, created_by=bob.admin).raw_key


@pytest.fixture
def staff_key(staff_users) -> str:
    return api_key_create(
        name="crm", partner=None, created_by=staff_users["marketing_admin"]
    ).raw_key


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def unscoped():
    """For assertions that read across partners, visibly."""
    with scopes_disabled():
        yield
