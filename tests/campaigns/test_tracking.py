"""The public tracking link `/t/<code>`: the exact redirect and its UTMs, no login and
no cookie, every launch status still redirecting (the not-running ones marked), bots
recorded but flagged, unknown codes answering the portal's 404 page, and a click that
cannot be recorded never breaking the redirect."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import clicks
from analytics.models import BotReason, EventKind, ResultEvent
from campaigns import services as campaign_services
from campaigns import tracking
from campaigns.models import CampaignKit, Channel, Launch

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


# --- fixtures (kits and launches made with the ORM: the campaigns services are
# written elsewhere) ----------------------------------------------------------------


def make_kit(
    *,
    slug: str = "cloud-backup-q3",
    landing_url: str = "https://www.example.com/backup",
    status: str = CampaignKit.Status.PUBLISHED,
    assets=(),
) -> CampaignKit:
    kit = CampaignKit.objects.create(
        name=slug.replace("-", " ").title(),
        slug=slug,
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL, Channel.SOCIAL],
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
        landing_url=landing_url,
        status=status,
        published_at=timezone.now() if status == CampaignKit.Status.PUBLISHED else None,
    )
    kit.assets.set(assets)
    return kit


def make_launch(
    world,
    kit: CampaignKit,
    *,
    channel: str = Channel.EMAIL,
    status: str = Launch.Status.ACTIVE,
) -> Launch:
    with scopes_disabled():
        return Launch.objects.create(
            partner=world.partner,
            kit=kit,
            channel=channel,
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            status=status,
            created_by=world.admin,
        )


def events() -> list[ResultEvent]:
    with scopes_disabled():
        return list(ResultEvent.objects.order_by("id"))


@pytest.fixture(autouse=True)
def _fresh_salts():
    clicks._salts.clear()  # the day's salt is cached per process; each test has its own DB
    cache.clear()  # so are the links' destinations (locmem in the tests)
    yield
    clicks._salts.clear()
    cache.clear()


@pytest.fixture
def kit(db) -> CampaignKit:
    return make_kit()


@pytest.fixture
def launch(alice, kit) -> Launch:
    return make_launch(alice, kit)


def visit(code: str, *, user_agent: str = BROWSER, ip: str = "203.0.113.7", method="get"):
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    return getattr(client, method)(f"/t/{code}")


# --- the redirect ---------------------------------------------------------------------


def test_route_is_the_launch_tracking_path(launch):
    assert reverse("track", args=[launch.code]) == launch.tracking_path == f"/t/{launch.code}"


@pytest.mark.parametrize(
    ("landing", "expected"),
    [
        (
            "https://www.example.com/backup",
            "https://www.example.com/backup?utm_source=alice&utm_medium=social"
            "&utm_campaign=cloud-backup-q3&utm_content={code}",
        ),
        # The landing URL's own parameters are kept, in their order, before ours.
        (
            "https://www.example.com/backup?ref=partners&lang=de&empty=",
            "https://www.example.com/backup?ref=partners&lang=de&empty=&utm_source=alice"
            "&utm_medium=social&utm_campaign=cloud-backup-q3&utm_content={code}",
        ),
        # The fragment stays at the end, where browsers look for it.
        (
            "https://www.example.com/backup?ref=partners#request-demo",
            "https://www.example.com/backup?ref=partners&utm_source=alice&utm_medium=social"
            "&utm_campaign=cloud-backup-q3&utm_content={code}#request-demo",
        ),
        # Our UTMs replace the landing URL's; the ones we do not set stay.
        (
            "http://example.com/?utm_source=vendor-site&utm_term=backup&utm_content=old",
            "http://example.com/?utm_term=backup&utm_source=alice&utm_medium=social"
            "&utm_campaign=cloud-backup-q3&utm_content={code}",
        ),
    ],
)
def test_redirects_to_the_landing_page_with_the_launch_utms(alice, landing, expected):
    launch = make_launch(alice, make_kit(landing_url=landing), channel=Channel.SOCIAL)

    response = visit(launch.code)

    assert response.status_code == 302
    assert response["Location"] == expected.format(code=launch.code)


def test_values_are_url_encoded(alice):
    launch = make_launch(
        alice, make_kit(landing_url="https://example.com/a?q=cloud%20backup&x=a%26b")
    )
    location = visit(launch.code)["Location"]
    assert location.startswith("https://example.com/a?q=cloud+backup&x=a%26b&utm_source=alice")


def test_needs_no_login_sets_no_cookie_and_is_never_cached(launch):
    response = visit(launch.code)

    assert response.status_code == 302
    assert not response.cookies  # no session, no CSRF cookie
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert len(events()) == 1


def test_a_signed_in_user_is_redirected_too_and_gets_no_new_cookie(alice, launch):
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(alice.marketer)
    response = client.get(launch.tracking_path)
    assert response.status_code == 302
    assert not response.cookies


@pytest.mark.parametrize(
    ("status", "inactive"),
    [
        (Launch.Status.PLANNED, False),
        (Launch.Status.ACTIVE, False),
        (Launch.Status.PAUSED, True),
        (Launch.Status.COMPLETED, True),
    ],
)
def test_every_launch_status_redirects_and_the_not_running_are_marked(alice, kit, status, inactive):
    launch = make_launch(alice, kit, status=status)

    response = visit(launch.code)

    assert response.status_code == 302
    assert response["Location"].endswith(f"utm_content={launch.code}")
    [event] = events()
    assert (event.kind, event.launch_id, event.launch_inactive) == (
        EventKind.CLICK,
        launch.pk,
        inactive,
    )
    assert event.counted  # still a person's click; the rollup may split it out


def test_the_click_names_partner_kit_and_launch(alice, launch):
    visit(launch.code)
    [event] = events()
    assert (event.partner_id, event.kit_id, event.launch_id) == (
        alice.partner.pk,
        launch.kit_id,
        launch.pk,
    )
    assert event.source == "tracking"
    assert len(event.external_id) == 32
    assert event.day == timezone.localdate(event.occurred_at)
    assert (event.bot_reason, event.repeat, event.launch_inactive) == ("", False, False)


@pytest.mark.parametrize("code", ["nosuchcode", "x" * 40, "A1b2C3d4E5"])
def test_unknown_codes_answer_the_portal_404_page(db, code):
    response = visit(code)

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert b"We could not find that page" in response.content
    assert events() == []
    assert cache.get(tracking.destination_key(code)) is None  # nothing kept of it


def test_another_partners_code_is_just_that_partners_link(alice, bob, kit):
    # A code is the whole key: whoever opens it lands on the page and the click is
    # the launch's partner's, not the visitor's.
    launch = make_launch(bob, kit)
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(alice.admin)
    assert client.get(launch.tracking_path)["Location"].count("utm_source=bob") == 1
    [event] = events()
    assert event.partner_id == bob.partner.pk


def test_other_methods_are_refused(launch):
    assert Client().post(launch.tracking_path).status_code == 405
    assert events() == []


# --- bots ------------------------------------------------------------------------------


def test_head_redirects_and_is_recorded_as_a_bot(launch):
    response = visit(launch.code, method="head")

    assert response.status_code == 302
    assert response["Location"].endswith(f"utm_content={launch.code}")
    [event] = events()
    assert event.bot_reason == BotReason.HEAD
    assert not event.counted


@pytest.mark.parametrize("user_agent", [GOOGLEBOT, "", "   ", "curl/8.5.0"])
def test_crawlers_and_empty_user_agents_redirect_and_are_recorded_as_bots(launch, user_agent):
    response = visit(launch.code, user_agent=user_agent)

    assert response.status_code == 302
    [event] = events()
    assert event.bot_reason == BotReason.USER_AGENT
    assert not event.counted


def test_a_missing_user_agent_header_is_a_bot(launch):
    response = Client().get(launch.tracking_path)  # the test client sends no User-Agent
    assert response.status_code == 302
    assert events()[0].bot_reason == BotReason.USER_AGENT


# --- a click that cannot be recorded ------------------------------------------------------


# As in production: no transaction around the request (a test's own atomic block would
# be marked for rollback by the failed INSERT and hide what a visitor sees).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_insert_is_logged_and_the_visitor_still_redirected(launch, caplog):
    def refuse_event_inserts(execute, sql, params, many, context):
        if sql.replace('"', "").startswith("INSERT INTO analytics_resultevent"):
            raise DatabaseError("the event table is not writable")
        return execute(sql, params, many, context)

    with (
        caplog.at_level(logging.ERROR, logger="campaigns.tracking"),
        connection.execute_wrapper(refuse_event_inserts),
    ):
        response = visit(launch.code, ip="198.51.100.23", user_agent=BROWSER)

    assert response.status_code == 302
    assert response["Location"].endswith(f"utm_content={launch.code}")
    assert events() == []
    [record] = caplog.records
    assert "could not be recorded" in record.getMessage()
    logged = caplog.text
    assert "198.51.100.23" not in logged and "Chrome/131" not in logged
    # The next click is recorded again.
    assert visit(launch.code).status_code == 302
    assert len(events()) == 1


# --- the cached destination ----------------------------------------------------------------


def test_a_paused_launch_is_marked_while_its_destination_is_cached(alice, launch):
    # given a link that has been followed, so its destination is cached
    visit(launch.code)
    assert cache.get(tracking.destination_key(launch.code)) is not None
    # when the partner pauses the launch, and the link is followed again
    campaign_services.launch_set_status(
        launch=launch, status=Launch.Status.PAUSED, actor=alice.admin
    )
    response = visit(launch.code, ip="198.51.100.8")
    # then it still redirects, and the click says the launch was not running
    assert response.status_code == 302
    assert [e.launch_inactive for e in events()] == [False, True]


def test_a_kits_new_landing_page_reaches_the_link_at_once(
    alice, kit, launch, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        other = make_launch(alice, kit, channel=Channel.SOCIAL)
    visit(launch.code)
    visit(other.code)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.kit_update(
            kit=kit, actor=None, landing_url="https://www.example.com/backup-2027?a=1"
        )

    for each in (launch, other):
        location = visit(each.code, ip="198.51.100.9")["Location"]
        assert location.startswith("https://www.example.com/backup-2027?a=1&utm_source=alice")


def test_a_kit_change_that_is_rolled_back_keeps_the_cached_link(
    kit, launch, django_capture_on_commit_callbacks
):
    visit(launch.code)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        campaign_services.kit_update(kit=kit, actor=None, landing_url="https://elsewhere.example")
        raise RuntimeError
    assert callbacks == []
    assert cache.get(tracking.destination_key(launch.code)) is not None
    assert visit(launch.code)["Location"].startswith("https://www.example.com/backup?")


def test_a_planned_launchs_new_channel_reaches_the_link_at_once(
    alice, kit, django_capture_on_commit_callbacks
):
    launch = make_launch(alice, kit, status=Launch.Status.PLANNED)
    assert "utm_medium=email" in visit(launch.code)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.launch_update(launch=launch, actor=alice.admin, channel=Channel.SOCIAL)

    assert "utm_medium=social" in visit(launch.code)["Location"]


def test_the_redirect_and_the_launch_page_share_one_destination(launch):
    from campaigns.selectors import launch_destination

    assert visit(launch.code)["Location"] == launch_destination(launch)
