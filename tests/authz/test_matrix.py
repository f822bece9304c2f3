"""Runs the authorization matrix of `matrix.py`: one test per route × actor × object.

The world (alice's company and bob's, their users, staff users of each role, API
keys, logos, logged-in sessions) is built once per module inside a transaction that
is rolled back at the end; each test runs in its own savepoint (pytest-django's
`db`), so what one request changes is gone before the next test. Building the world
takes about a second; once per module instead of per test (300+ tests) is what keeps
this module at seconds rather than minutes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled
from PIL import Image
from rest_framework.test import APIClient

from partners import roles
from partners.models import PartnerAPIKey
from partners.services import api_key_create, partner_update_cobranding
from tests.authz.matrix import (
    ACTORS,
    ALICE_SIDE,
    ROWS,
    Page,
    Redirect,
    Row,
    actors,
    status_of,
)
from tests.conftest import PartnerWorld, make_partner_world, make_user

# SAML's routes are public by nature (the IdP's browser posts arrive signed out), and
# listed so a new one needs a row.
MATRIX_PREFIXES = ("portal/", "api/", "accounts/saml/")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- routes ---------------------------------------------------------------------------


def matrix_routes(resolver: URLResolver | None = None, prefix: str = "", ns: tuple = ()):
    """(name with namespaces, path) of every URL pattern under MATRIX_PREFIXES."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        path = prefix + str(entry.pattern).removeprefix("^")  # re_path patterns start with ^
        if isinstance(entry, URLResolver):
            yield from matrix_routes(entry, path, (*ns, entry.namespace) if entry.namespace else ns)
        elif isinstance(entry, URLPattern) and path.startswith(MATRIX_PREFIXES):
            yield (":".join((*ns, entry.name)) if entry.name else None), path


def test_every_portal_and_api_route_has_a_row():
    routes = list(matrix_routes())
    assert len(routes) >= 15, routes  # the walk itself works
    unnamed = [path for name, path in routes if name is None]
    assert not unnamed, f"Name these routes so the matrix can refer to them: {unnamed}"
    covered = {row.route for row in ROWS}
    missing = sorted({name for name, _path in routes} - covered)
    assert not missing, f"Routes without a row in tests/authz/matrix.py: {missing}"
    stale = sorted(covered - {name for name, _path in routes})
    assert not stale, f"Rows for routes that no longer exist: {stale}"


def test_the_table_refuses_a_missing_actor_or_a_leaking_other_outcome():
    with pytest.raises(ValueError, match="No expected outcome"):
        actors(anonymous=401)
    with pytest.raises(ValueError, match="must get 404 for the other partner's object"):
        Row(
            "api:partner-detail",
            actors(rest=(200, 200), partner_admin=(200, 403)),
            url=lambda w, owner: "/",
        )


# --- the world --------------------------------------------------------------------------


@dataclass
class World:
    alice: PartnerWorld
    bob: PartnerWorld
    staff: dict[str, Any]
    raw_keys: dict[str, str]  # actor -> raw API key
    sessions: dict[str, str]  # actor -> session key
    alice_key_row: PartnerAPIKey
    bob_key_row: PartnerAPIKey

    def markers(self, side: PartnerWorld) -> list[str]:
        """Strings that identify a partner; the other side must never see them."""
        key = self.alice_key_row if side is self.alice else self.bob_key_row
        return [str(side.partner.uuid), side.partner.name, key.prefix, side.admin.username]

    def client(self, actor: str) -> APIClient:
        # With the Host header every browser sends (python3-saml reads it, not SERVER_NAME).
        client = APIClient(HTTP_HOST="testserver")
        if actor in self.raw_keys:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.raw_keys[actor]}")
        elif actor in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]
        return client


def png_logo(color: str) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def build_world() -> World:
    from partners.models import Tier

    tiers = {
        slug: Tier.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "rank": rank})[
            0
        ]
        for slug, rank in (("silver", 20), ("gold", 30))
    }
    staff = {
        "marketing_admin": make_user("maya_marketing", staff=True, role=roles.MARKETING_ADMIN),
        "channel_manager": make_user("carl_channel", staff=True, role=roles.CHANNEL_MANAGER),
        "finance_approver": make_user("fiona_finance", staff=True, role=roles.FINANCE_APPROVER),
        "analyst": make_user("andre_analyst", staff=True, role=roles.ANALYST),
    }
    alice = make_partner_world("alice", tiers["gold"], manager=staff["channel_manager"])
    bob = make_partner_world("bob", tiers["silver"])
    for side, color in ((alice, "red"), (bob, "blue")):
        partner_update_cobranding(partner=side.partner, actor=side.admin, logo=png_logo(color))
    alice_key = api_key_create(name="alice sync", partner=alice.partner, created_by=alice.admin)
    bob_key = api_key_create(name="bob sync", partner=bob.partner, created_by=bob.admin)
    staff_key = api_key_create(name="crm", partner=None, created_by=staff["marketing_admin"])
    users = {
        "partner_admin": alice.admin,
        "partner_marketer": alice.marketer,
        "partner_sales": alice.sales,
        "other_partner_admin": bob.admin,
        **staff,
    }
    sessions = {}
    for actor, user in users.items():
        client = APIClient()
        client.force_login(user)
        sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        alice=alice,
        bob=bob,
        staff=staff,
        raw_keys={"partner_key": alice_key.raw_key, "staff_key": staff_key.raw_key},
        sessions=sessions,
        alice_key_row=alice_key.api_key,
        bob_key_row=bob_key.api_key,
    )


@pytest.fixture(scope="module")
def media_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("authz-media"))


def storages_in(media_root: str) -> dict:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media_root},
        },
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    """Built once, inside a transaction that is rolled back when the module is done."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, STORAGES=storages_in(media_root)),
        transaction.atomic(),
    ):
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _matrix_settings(settings, _test_settings, media_root):
    # The logos were written under the module's media root (tests/conftest.py points
    # every test at its own, empty one).
    settings.STORAGES = storages_in(media_root)
    cache.clear()  # throttle counters


# --- the matrix -------------------------------------------------------------------------


def cases():
    for row in ROWS:
        for actor in ACTORS:
            for target in ("own", "other") if row.scoped else ("-",):
                outcome = row.expect[actor]
                if row.scoped:
                    outcome = outcome[0] if target == "own" else outcome[1]
                yield pytest.param(
                    row, actor, target, outcome, id=f"{row.label} | {actor} | {target}"
                )


def assert_outcome(response, outcome) -> None:
    status = status_of(outcome)
    assert response.status_code == status, (
        f"expected {outcome}, got {response.status_code}: {response.content[:300]!r}"
    )
    if isinstance(outcome, Redirect):
        from django.urls import reverse

        assert response["Location"].split("?")[0] == reverse(outcome.to)
    if isinstance(outcome, Page):
        used = [template.name for template in response.templates]
        assert outcome.template in used, used


@pytest.mark.parametrize(("row", "actor", "target", "outcome"), list(cases()))
def test_matrix(world: World, db, row: Row, actor: str, target: str, outcome) -> None:
    url = row.build_url(world, target)
    client = world.client(actor)
    method = getattr(client, row.method.lower())
    response = method(url, row.body(world), format=row.format)

    assert_outcome(response, outcome)

    content = b"".join(response) if response.streaming else response.content
    if url.startswith("/api/v1/") and response.status_code >= 400:
        # The API's one error format, whoever asks.
        body = response.json()
        assert set(body) == {"type", "errors"}, body
        assert body["errors"][0]["code"], body
    if 200 <= response.status_code < 300:
        # Whatever a partner-side actor is shown, nothing of the other partner is in it.
        hidden = (
            world.markers(world.bob)
            if actor in ALICE_SIDE
            else world.markers(world.alice)
            if actor == "other_partner_admin"
            else []
        )
        text = content.decode("utf-8", errors="replace")
        leaked = [marker for marker in hidden if marker in text]
        assert not leaked, f"{actor} was shown {leaked}"


def test_world_is_rolled_back_between_tests(world, db):
    """The savepoint per test really undoes writes (the matrix relies on it)."""
    with scopes_disabled():
        assert PartnerAPIKey.objects.filter(name="Matrix sync").count() == 0
        assert not PartnerAPIKey.objects.get(pk=world.alice_key_row.pk).revoked
    world.alice.partner.refresh_from_db()
    assert world.alice.partner.display_name == ""
