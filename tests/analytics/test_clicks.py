"""Clicks and downloads entering the event stream (`analytics.clicks`): no address or
user agent kept in clear, the visitor key's salt rotating daily, the 30-minute repeat
window, link-scanner bursts, the client address behind proxies, and downloads
attributed to a kit only when the kit bundles the asset and the partner may see it."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Sum
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import clicks, rollup
from analytics.models import DailyMetric, EventKind, ResultEvent, VisitorSalt
from assets import services as asset_services
from assets.models import DownloadRecord
from campaigns.models import CampaignKit, Launch
from tests.assets.factories import make_asset
from tests.campaigns.test_tracking import BROWSER, events, make_kit, make_launch, visit
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
IP = "203.0.113.77"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 Unique/4.2"


@pytest.fixture(autouse=True)
def _fresh_salts():
    clicks._salts.clear()
    cache.clear()  # the links' cached destinations
    yield
    clicks._salts.clear()
    cache.clear()


@pytest.fixture
def launch(alice) -> Launch:
    return make_launch(alice, make_kit())


def judged_events() -> list[ResultEvent]:
    """The events once the rollup has judged the clicks (repeat, burst) and counted them."""
    rollup.rollup_metrics()
    return events()


def metric_clicks() -> tuple[int, int]:
    """Counted and bot clicks as the dashboards read them (the daily metrics)."""
    with scopes_disabled():
        sums = DailyMetric.objects.aggregate(Sum("clicks"), Sum("bot_clicks"))
    return (sums["clicks__sum"] or 0, sums["bot_clicks__sum"] or 0)


def counted(event: ResultEvent) -> str:
    """How a person reading the dashboard would see the click."""
    if event.bot_reason:
        return f"bot:{event.bot_reason}"
    return "repeat" if event.repeat else "counted"


# --- nothing in clear ----------------------------------------------------------------------


def test_no_address_or_user_agent_is_stored_in_clear(launch, caplog):
    visit(launch.code, ip=IP, user_agent=AGENT)
    visit(launch.code, ip=IP, user_agent=AGENT, method="head")

    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM analytics_resultevent e")
        rows = [row for (row,) in cursor.fetchall()]
        cursor.execute("SELECT row_to_json(s)::text FROM analytics_visitorsalt s")
        salts = [row for (row,) in cursor.fetchall()]
    assert len(rows) == 2 and len(salts) == 1
    for stored in rows + salts:
        for secret in (IP, AGENT, "Firefox", "Unique/4.2", "203.0.113"):
            assert secret not in stored
    # Nor in a hash anyone could recompute without the salt.
    unsalted = hashlib.sha256(f"{IP}{AGENT}".encode()).hexdigest()
    assert all(unsalted not in stored for stored in rows)
    assert IP not in caplog.text and "Unique/4.2" not in caplog.text


def test_the_visitor_key_is_a_salted_hash_of_address_and_agent(launch):
    with scopes_disabled():
        VisitorSalt.objects.create(day=timezone.localdate(), salt="s" * 64)
    visit(launch.code, ip=IP, user_agent=AGENT)
    [event] = events()
    expected = hashlib.sha256("\0".join(("s" * 64, IP, AGENT)).encode()).hexdigest()
    assert event.visitor_key == expected


def test_the_salt_rotates_daily(launch, time_machine):
    time_machine.move_to(T0, tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + timedelta(minutes=1), tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)

    monday, monday_again, tuesday = events()
    assert monday.visitor_key == monday_again.visitor_key
    assert tuesday.visitor_key != monday.visitor_key
    assert [e.day for e in (monday, tuesday)] == [date(2026, 11, 3), date(2026, 11, 4)]
    assert VisitorSalt.objects.count() == 2
    assert VisitorSalt.objects.values("salt").distinct().count() == 2


def test_a_day_has_one_salt_whoever_makes_it(launch, time_machine):
    # Another process made today's salt first: this one reads it instead of its own.
    time_machine.move_to(T0, tick=False)
    VisitorSalt.objects.create(day=date(2026, 11, 3), salt="made-elsewhere")
    assert clicks.daily_salt(date(2026, 11, 3)) == "made-elsewhere"
    assert VisitorSalt.objects.count() == 1


def test_purge_keeps_only_today_and_yesterday(db, time_machine):
    time_machine.move_to(T0, tick=False)
    for days_ago in range(4):
        VisitorSalt.objects.create(day=date(2026, 11, 3) - timedelta(days=days_ago), salt="x")

    assert clicks.purge_visitor_salts() == 2
    assert sorted(VisitorSalt.objects.values_list("day", flat=True)) == [
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]
    assert clicks.purge_visitor_salts() == 0


# --- the client address --------------------------------------------------------------------


def key_of(request) -> str:
    return clicks.visitor_key(day=date(2026, 11, 3), ip=clicks.client_ip(request), user_agent=AGENT)


def test_forwarded_for_is_ignored_without_a_proxy(db, settings):
    settings.PROXY_COUNT = 0
    factory = RequestFactory()
    plain = factory.get("/t/x", REMOTE_ADDR="10.0.0.5")
    spoofed = factory.get("/t/x", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert clicks.client_ip(spoofed) == "10.0.0.5"
    assert key_of(plain) == key_of(spoofed)


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(db, settings):
    settings.PROXY_COUNT = 1
    factory = RequestFactory()
    # The client wrote "1.2.3.4" itself; our proxy appended the address it saw.
    request = factory.get(
        "/t/x", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"
    )
    assert clicks.client_ip(request) == "198.51.100.9"
    # No header although a proxy was promised: the connection's address.
    assert clicks.client_ip(factory.get("/t/x", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


# --- the 30-minute window ------------------------------------------------------------------


def test_a_repeat_within_30_minutes_of_a_counted_click_counts_once(launch, time_machine):
    for minutes in (0, 10, 29.99, 30.01, 45, 60.5):
        time_machine.move_to(T0 + timedelta(minutes=minutes), tick=False)
        visit(launch.code, ip=IP, user_agent=AGENT)

    # The window starts at the counted click: 30.01 opens a new one, 45 is inside it,
    # 60.5 is past it.
    assert [counted(e) for e in judged_events()] == [
        "counted",
        "repeat",
        "repeat",
        "counted",
        "repeat",
        "counted",
    ]
    assert metric_clicks() == (3, 0)  # what the dashboard shows


def test_other_visitors_and_other_links_are_not_repeats(alice, launch, time_machine):
    other_launch = make_launch(alice, make_kit(slug="other-kit"))
    time_machine.move_to(T0, tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + timedelta(minutes=1), tick=False)
    visit(launch.code, ip="198.51.100.50", user_agent=AGENT)  # another address
    visit(launch.code, ip=IP, user_agent=BROWSER)  # another browser
    time_machine.move_to(T0 + timedelta(minutes=2), tick=False)
    visit(other_launch.code, ip=IP, user_agent=AGENT)  # another link, a minute later

    assert [counted(e) for e in judged_events()] == ["counted"] * 4


def test_a_bot_click_does_not_open_the_window(launch, time_machine):
    time_machine.move_to(T0, tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT, method="head")  # a link preview
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)  # the person

    assert [counted(e) for e in judged_events()] == ["bot:head", "counted"]


# --- link-scanner bursts -------------------------------------------------------------------


def test_a_scanner_opening_a_partners_links_within_seconds_is_a_burst(alice, time_machine):
    kit = make_kit()
    first, second, third = (make_launch(alice, kit) for _ in range(3))
    scanner = {"ip": "40.94.0.10", "user_agent": BROWSER}
    time_machine.move_to(T0, tick=False)
    visit(first.code, **scanner)
    time_machine.move_to(T0 + timedelta(seconds=1), tick=False)
    visit(second.code, **scanner)
    time_machine.move_to(T0 + timedelta(seconds=2), tick=False)
    visit(third.code, **scanner)
    visit(first.code, **scanner)  # the first link again, inside the burst

    assert [(e.launch_id, counted(e)) for e in judged_events()] == [
        (first.pk, "counted"),
        (second.pk, "bot:burst"),
        (third.pk, "bot:burst"),
        (first.pk, "bot:burst"),
    ]
    assert metric_clicks() == (1, 3)


def test_a_reader_opening_two_links_seconds_apart_is_not_a_burst(alice, time_machine):
    kit = make_kit()
    first, second = make_launch(alice, kit), make_launch(alice, kit)
    time_machine.move_to(T0, tick=False)
    visit(first.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + clicks.BURST_WINDOW + timedelta(seconds=1), tick=False)
    visit(second.code, ip=IP, user_agent=AGENT)

    assert [counted(e) for e in judged_events()] == ["counted", "counted"]


def test_links_of_different_partners_do_not_make_a_burst(alice, bob, time_machine):
    kit = make_kit()
    mine, theirs = make_launch(alice, kit), make_launch(bob, kit)
    time_machine.move_to(T0, tick=False)
    visit(mine.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + timedelta(seconds=1), tick=False)
    visit(theirs.code, ip=IP, user_agent=AGENT)

    assert [counted(e) for e in judged_events()] == ["counted", "counted"]


def test_different_visitors_within_seconds_are_not_a_burst(alice, time_machine):
    kit = make_kit()
    first, second = make_launch(alice, kit), make_launch(alice, kit)
    time_machine.move_to(T0, tick=False)
    visit(first.code, ip=IP, user_agent=AGENT)
    visit(second.code, ip="198.51.100.50", user_agent=AGENT)

    assert [counted(e) for e in judged_events()] == ["counted", "counted"]


def test_the_request_records_the_click_and_the_rollup_judges_it(launch, time_machine):
    # given two clicks of one visitor on one link, ten minutes apart
    time_machine.move_to(T0, tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    # then the request has judged neither, and nothing is counted yet
    assert [counted(e) for e in events()] == ["counted", "counted"]
    assert metric_clicks() == (0, 0)
    # when the rollup runs, the second is a repeat, and the dashboard counts one click
    assert [counted(e) for e in judged_events()] == ["counted", "repeat"]
    assert metric_clicks() == (1, 0)


def test_clicks_judged_over_several_runs_are_judged_as_in_one(alice, time_machine):
    """The window and the burst reach back over clicks judged by an earlier run."""
    kit = make_kit()
    first, second = make_launch(alice, kit), make_launch(alice, kit)
    scanner = {"ip": "40.94.0.10", "user_agent": BROWSER}
    script = [
        (timedelta(0), first, {"ip": IP, "user_agent": AGENT}),
        (timedelta(minutes=20), first, {"ip": IP, "user_agent": AGENT}),  # repeat
        (timedelta(minutes=31), first, {"ip": IP, "user_agent": AGENT}),  # counted
        (timedelta(minutes=40), first, scanner),
        (timedelta(minutes=40, seconds=2), second, scanner),  # burst
        (timedelta(minutes=55), first, {"ip": IP, "user_agent": AGENT}),  # repeat
    ]
    for offset, launch, who in script:
        time_machine.move_to(T0 + offset, tick=False)
        visit(launch.code, **who)
        rollup.rollup_metrics()  # a run after every click

    assert [counted(e) for e in events()] == [
        "counted",
        "repeat",
        "counted",
        "counted",
        "bot:burst",
        "repeat",
    ]
    with scopes_disabled():
        assert DailyMetric.objects.aggregate(Sum("clicks"), Sum("bot_clicks")) == {
            "clicks__sum": 3,
            "bot_clicks__sum": 1,
        }
        incremental = sorted(DailyMetric.objects.values_list("launch_id", "clicks", "bot_clicks"))
    rollup.rebuild_metrics()
    with scopes_disabled():
        rebuilt = sorted(DailyMetric.objects.values_list("launch_id", "clicks", "bot_clicks"))
    assert rebuilt == incremental


def test_a_rebuild_counts_only_the_clicks_a_rollup_has_judged(launch, time_machine):
    time_machine.move_to(T0, tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)
    rollup.rollup_metrics()
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    visit(launch.code, ip=IP, user_agent=AGENT)  # a repeat, not judged yet

    rollup.rebuild_metrics()
    assert metric_clicks() == (1, 0)
    rollup.rollup_metrics()
    assert metric_clicks() == (1, 0)
    assert [counted(e) for e in events()] == ["counted", "repeat"]


def test_the_judgement_reads_the_visitors_clicks_through_the_visitor_index(launch):
    """The rollup finds the new clicks' visitors' earlier clicks through the partial
    index (visitor_key, occurred_at), not by a scan of the event table."""
    visit(launch.code, ip=IP, user_agent=AGENT)
    with CaptureQueriesContext(connection) as captured:
        rollup.rollup_metrics()
    [sql] = [  # the read of the visitors' clicks, in the order they were recorded
        q["sql"]
        for q in captured.captured_queries
        if "visitor_key" in q["sql"] and "ORDER BY" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: what would it use?
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "resultevent_visitor_clicks" in plan, plan


def test_a_click_is_one_statement_once_the_link_and_the_day_are_known(
    launch, django_assert_num_queries
):
    visit(launch.code, ip=IP, user_agent=AGENT)  # makes the day's salt, caches the link
    with django_assert_num_queries(1) as captured:
        response = visit(launch.code, ip="198.51.100.3", user_agent=AGENT)
    assert response.status_code == 302
    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO analytics_resultevent")
    assert len(events()) == 2


# As in production: no transaction around the request, so the click's statement is
# its own transaction, as it is behind the tracking link.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_only_the_clicks_own_transaction_skips_the_wait_for_the_disk(launch):
    visit(launch.code, ip=IP, user_agent=AGENT)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        [(setting,)] = cursor.fetchall()
    # Every other write of the connection (money, decisions) still waits for the disk.
    assert setting == "on"
    assert len(events()) == 1


def test_an_unknown_launch_id_stores_nothing(db):
    request = RequestFactory().get("/t/x", HTTP_USER_AGENT=AGENT)
    assert clicks.click_record(launch_id=2**62, request=request) is False
    assert events() == []


# --- downloads -------------------------------------------------------------------------------


@pytest.fixture
def library(alice, bob):
    bundled = make_asset(title="Backup datasheet")
    loose = make_asset(title="Unrelated brochure")
    kits = {
        "kit": make_kit(slug="backup-kit", assets=[bundled]),
        "without": make_kit(slug="other-kit", assets=[loose]),
        "draft": make_kit(slug="draft-kit", status=CampaignKit.Status.DRAFT, assets=[bundled]),
        "bobs": make_kit(slug="bobs-kit", assets=[bundled]),
    }
    asset_services.audience_set(obj=kits["bobs"], partners=[bob.partner])
    return {"bundled": bundled, "loose": loose, **kits}


def download(world, asset, kit_slug):
    with scopes_disabled():
        version = asset.versions.get()
    asset_services.download_record(partner=world.partner, version=version, kit_slug=kit_slug)
    with scopes_disabled():
        record = DownloadRecord.objects.latest("id")
        event = ResultEvent.objects.get(source="library", external_id=str(record.pk))
    return record, event


@pytest.mark.parametrize(
    ("kit_slug", "attributed"),
    [
        ("backup-kit", True),  # available and bundles the asset
        ("other-kit", False),  # does not bundle it
        ("draft-kit", False),  # not published
        ("bobs-kit", False),  # not in alice's audience
        ("no-such-kit", False),
        ("", False),
        (None, False),
    ],
)
def test_a_download_is_attributed_to_a_kit_only_when_it_may_be(
    alice, library, kit_slug, attributed
):
    record, event = download(alice, library["bundled"], kit_slug)

    assert (event.kind, event.partner_id, event.asset_id) == (
        EventKind.DOWNLOAD,
        alice.partner.pk,
        library["bundled"].pk,
    )
    assert event.kit_id == (library["kit"].pk if attributed else None)
    assert event.launch_id is None
    assert event.occurred_at == record.at
    assert event.day == timezone.localdate(record.at)


def test_the_kit_page_download_link_attributes_the_download(alice, library):
    asset = library["bundled"]
    with scopes_disabled():
        version = asset.versions.get()
    client = Client()
    client.force_login(alice.marketer)
    url = reverse("library:download", args=[asset.uuid, version.uuid])

    assert client.get(url + "?kit=backup-kit").status_code == 200
    assert client.get(url + "?kit=bobs-kit").status_code == 200
    assert client.get(url).status_code == 200

    assert [(e.kind, e.kit_id) for e in events()] == [
        (EventKind.DOWNLOAD, library["kit"].pk),
        (EventKind.DOWNLOAD, None),
        (EventKind.DOWNLOAD, None),
    ]


def test_an_api_download_enters_the_stream_without_a_kit(alice, alice_key, library):
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[library["bundled"].uuid]), {}, format="json"
    )
    assert response.status_code == 200, response.content
    [event] = events()
    assert (event.kind, event.kit_id, event.partner_id) == (
        EventKind.DOWNLOAD,
        None,
        alice.partner.pk,
    )


def test_the_download_and_its_event_are_stored_together_or_not_at_all(alice, library):
    def refuse_event_inserts(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "analytics_resultevent"'):
            raise DatabaseError("the event table is not writable")
        return execute(sql, params, many, context)

    with scopes_disabled():
        version = library["bundled"].versions.get()
    with connection.execute_wrapper(refuse_event_inserts), pytest.raises(DatabaseError):
        asset_services.download_record(partner=alice.partner, version=version, kit_slug=None)

    with scopes_disabled():
        assert not DownloadRecord.objects.exists()
    library["bundled"].refresh_from_db()
    assert library["bundled"].download_count == 0


# --- the embedded default: SQLite ------------------------------------------------------------

SQLITE_SCRIPT = r"""
import datetime
import time_machine
from django.contrib.auth.models import User
from django.test import RequestFactory
from django_scopes import scopes_disabled
from analytics import rollup
from analytics.models import ResultEvent
from campaigns import tracking
from campaigns.models import CampaignKit, Launch
from partners.models import Partner, Tier

T0 = datetime.datetime(2026, 11, 3, 14, 0, tzinfo=datetime.UTC)
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
factory = RequestFactory()


def visit(launch, at, ip="203.0.113.7", method="get", agent=AGENT):
    with time_machine.travel(at, tick=False):
        request = getattr(factory, method)("/t/x", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
        response = tracking.track(request, launch.code)
    assert response.status_code == 302, response.status_code
    return response["Location"]


with scopes_disabled():
    tier = Tier.objects.create(name="T", slug="t", rank=1)
    user = User.objects.create(username="u")
    alice, bob = (Partner.objects.create(name=s, slug=s, tier=tier, partner_type="reseller")
                  for s in ("alice", "bob"))
    day = datetime.date(2026, 1, 1)
    kit = CampaignKit.objects.create(name="K", slug="k", objective="pipeline", channels=["email"],
                                     start_date=day, end_date=day, landing_url="https://e.com/?a=1")
    def launch(partner, status="active"):
        return Launch.objects.create(partner=partner, kit=kit, channel="email", start_date=day,
                                     end_date=day, created_by=user, status=status)
    first, second, theirs = launch(alice), launch(alice), launch(bob)
    paused = launch(alice, "paused")
    m, s = datetime.timedelta(minutes=1), datetime.timedelta(seconds=1)

    location = visit(first, T0)
    assert location == ("https://e.com/?a=1&utm_source=alice&utm_medium=email&utm_campaign=k"
                        f"&utm_content={first.code}"), location
    for minutes in (10, 29.99, 30.01, 45, 60.5):
        visit(first, T0 + minutes * m)
    visit(second, T0 + 3 * 60 * m)  # a reader, hours later: counted
    scanner = "40.94.0.10"
    visit(first, T0 + 5 * 60 * m, ip=scanner)
    visit(theirs, T0 + 5 * 60 * m + s, ip=scanner)  # another partner's: no burst
    visit(second, T0 + 5 * 60 * m + 2 * s, ip=scanner)  # alice's second link: burst
    visit(first, T0 + 5 * 60 * m + 3 * s, ip=scanner)  # her first again: burst
    visit(first, T0 + 6 * 60 * m, ip="198.51.100.1", method="head")
    visit(first, T0 + 6 * 60 * m, ip="198.51.100.2", agent=BOT)
    visit(paused, T0 + 6 * 60 * m)

    def flags(e):
        return (e.launch_id, e.bot_reason, e.repeat, e.launch_inactive)

    rollup.rollup_metrics()  # judges the clicks (repeat, burst), then counts them
    got = [flags(e) for e in ResultEvent.objects.order_by("id")]
    expected = [
        (first.pk, "", False, False),
        (first.pk, "", True, False),
        (first.pk, "", True, False),
        (first.pk, "", False, False),
        (first.pk, "", True, False),
        (first.pk, "", False, False),
        (second.pk, "", False, False),
        (first.pk, "", False, False),
        (theirs.pk, "", False, False),
        (second.pk, "burst", False, False),
        (first.pk, "burst", False, False),
        (first.pk, "head", False, False),
        (first.pk, "user_agent", False, False),
        (paused.pk, "", False, True),
    ]
    assert got == expected, got
    event = ResultEvent.objects.get(launch=theirs)
    assert (event.partner_id, event.kit_id, event.kind, event.source) == (
        bob.pk, kit.pk, "click", "tracking")
    assert event.day == datetime.date(2026, 11, 3)
    assert event.occurred_at == T0 + 5 * 60 * m + s
print("clicks on sqlite: ok")
"""


@pytest.mark.slow
def test_clicks_are_judged_the_same_on_sqlite(tmp_path):
    from tests.platform.conftest import child_env, manage

    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate = manage("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    run = manage("shell", "-c", SQLITE_SCRIPT, env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "clicks on sqlite: ok" in run.stdout
