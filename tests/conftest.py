"""Shared fixtures: two competing partners (alice's company and bob's), users of
every partner role, users of every staff role, and API keys.

Alice's company is "own", bob's is "other" (healthchecks' alice/bob/charlie):
tests prove that whatever alice's users do, bob's data stays invisible.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation
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


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"


def storages_in(media_root: Path | str, storages: dict) -> dict:
    """`storages` with the default storage on disk in `media_root`."""
    return {
        **storages,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_root)},
        },
    }


@contextlib.contextmanager
def eager_tasks() -> Iterator[None]:
    """Tasks run in-process unless a test starts a real worker (tests/platform)."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STORAGES = storages_in(tmp_path / "media", settings.STORAGES)
    settings.EMAIL_BACKEND = LOCMEM_EMAIL
    # Each test starts in English, whatever language a request of the test before left
    # active in this thread (Django's LocaleMiddleware does not deactivate it).
    with eager_tasks(), translation.override(settings.LANGUAGE_CODE):
        yield


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


# --- The demo, seeded once per worker -------------------------------------------------
#
# `manage.py seed_demo` takes seconds (a year of generated results). The tests of the
# demo only read it, or change it inside their own savepoint (pytest-django's `db`), so
# a worker seeds it once, inside a transaction that stays open while the demo tests
# run, and rolls it back as soon as a test that does not ask for the demo comes next:
# no other test ever sees the demo's rows. The demo tests are run one after the other
# (`pytest_collection_modifyitems` below), so each worker that gets some of them seeds
# the demo once.


@dataclass
class Demo:
    """What `seed_demo` reported on its first run, and where its files are."""

    output: str
    media_root: Path
    created: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        # "Demo data: 4 tiers created, 7 partners created, ..."
        self.created = {
            kind: int(count) for count, kind in re.findall(r"(\d+) ([^,]+?) created", self.output)
        }


class SeededDemo:
    """The worker's seeded demo: an open transaction holding it, or nothing."""

    def __init__(self, django_db_blocker, media_root: Path) -> None:
        self._blocker = django_db_blocker
        self._media_root = media_root
        self._held: contextlib.ExitStack | None = None
        self.demo: Demo | None = None

    def open(self) -> Demo:
        if self._held is None:
            held = contextlib.ExitStack()
            held.enter_context(self._blocker.unblock())
            held.enter_context(transaction.atomic())
            try:
                self.demo = self._seed()
            except BaseException:
                transaction.set_rollback(True)
                held.close()
                raise
            self._held = held
        assert self.demo is not None
        return self.demo

    def _seed(self) -> Demo:
        _clear_caches()
        output = io.StringIO()
        with (
            override_settings(
                PASSWORD_HASHERS=FAST_HASHERS,
                EMAIL_BACKEND=LOCMEM_EMAIL,
                STORAGES=storages_in(self._media_root, django_settings.STORAGES),
            ),
            eager_tasks(),
        ):
            call_command("seed_demo", stdout=output)
        # Check the deferred foreign keys now, once: left pending, they would be checked
        # again at the end of every demo test (pytest-django checks before rolling back).
        connection.check_constraints()
        return Demo(output=output.getvalue(), media_root=self._media_root)

    def close(self) -> None:
        """Roll the demo back (nothing of it stays for the tests that follow)."""
        if self._held is not None:
            held, self._held = self._held, None
            transaction.set_rollback(True)
            held.close()
            _clear_caches()


def _clear_caches() -> None:
    for cache in caches.all():
        cache.clear()


_seeded_demo: SeededDemo | None = None


@pytest.fixture(scope="session")
def _demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[SeededDemo]:
    global _seeded_demo  # noqa: PLW0603 - read by pytest_runtest_setup below
    seeded = SeededDemo(django_db_blocker, tmp_path_factory.mktemp("demo-media"))
    seeded.open()  # a failure is reported once, as this fixture's, to each demo test
    _seeded_demo = seeded
    try:
        yield seeded
    finally:
        seeded.close()
        _seeded_demo = None


@pytest.fixture
def demo(_demo_seeded: SeededDemo, db, settings, _test_settings) -> Demo:
    """The demo as `manage.py seed_demo` makes it; the test's changes are rolled back."""
    demo = _demo_seeded.open()
    settings.STORAGES = storages_in(demo.media_root, settings.STORAGES)  # the demo's files
    return demo


def uses_demo(item: pytest.Item) -> bool:
    return "_demo_seeded" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures: the demo is there for a demo test, gone for others."""
    if _seeded_demo is None:
        return
    if uses_demo(item):
        _seeded_demo.open()
    else:
        _seeded_demo.close()


# --- The order of the run -------------------------------------------------------------
#
# With xdist (`scripts/testenv.py` passes `--dist load --maxschedchunk 1`) the tests are
# handed out one at a time, in the order of the collection, to whichever worker is
# free: so the long tests go first, and no worker is left with one at the end while
# the other idles. Each worker still runs its share in the collection's order.
#
# pytest-django's order stays: the tests in a transaction before the transactional ones
# (which empty the tables when they end, so the staff groups of the data migrations
# are gone), and those before the tests without the database. Only the long tests
# without the database, which may run at any time, are moved to the very front.


def _database_phase(item: pytest.Item) -> int:
    """pytest-django's: in a transaction (0), transactional (1), no database (2)."""
    from pytest_django.fixtures import validate_django_db

    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = "transactional_db" in names or "live_server" in names
    if marker is not None:
        transaction_, reset_sequences, *_ = validate_django_db(marker)
        transactional = transactional or transaction_ or reset_sequences
    if transactional:
        return 1
    return 0 if marker is not None or "db" in names else 2


def _length_rank(item: pytest.Item) -> int:
    if uses_demo(item):
        return 0  # one after the other: a worker seeds the demo once
    if item.get_closest_marker("slow") or item.get_closest_marker("celery_worker"):
        return 1
    if item.get_closest_marker("browser"):
        return 2
    return 3


def _run_order(item: pytest.Item) -> tuple[int, int]:
    phase, rank = _database_phase(item), _length_rank(item)
    if phase == 2 and rank < 3:
        return (-1, rank)  # long, and independent of the database's state: first
    return (phase, rank)


@pytest.hookimpl(trylast=True)  # after pytest-django's own sort
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)  # stable: each rank keeps the collection's order
