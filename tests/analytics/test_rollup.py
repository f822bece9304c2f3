"""The incremental rollup (analytics/rollup.py) against the two truths it must equal:
a full rebuild from the raw events (`rebuild_metrics`), and totals computed here in
Python from the same events, after every wave of events, rerun, crash and race."""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import rollup
from analytics.models import BotReason, DailyMetric, EventKind, ResultEvent, RollupState
from campaigns.models import CampaignKit, Channel, Launch

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
METRIC_FIELDS = (
    "partner_id",
    "kit_id",
    "launch_id",
    "day",
    "currency",
    "clicks",
    "bot_clicks",
    "downloads",
    "leads",
    "mqls",
    "opportunities",
    "won",
    "lost",
    "pipeline",
    "revenue",
)
_external_ids = itertools.count()


# --- helpers (also used by test_rollup_worker.py) ------------------------------------


def make_kit(slug: str) -> CampaignKit:
    return CampaignKit.objects.create(
        name=slug.title(),
        slug=slug,
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL],
        start_date=DAY,
        end_date=DAY + datetime.timedelta(days=90),
        landing_url="https://example.com/landing",
        status=CampaignKit.Status.PUBLISHED,
    )


def make_launch(world, kit: CampaignKit) -> Launch:
    with scopes_disabled():
        return Launch.objects.create(
            partner=world.partner,
            kit=kit,
            channel=Channel.EMAIL,
            start_date=DAY,
            end_date=DAY + datetime.timedelta(days=30),
            created_by=world.admin,
        )


def event(
    partner,
    kind: str,
    *,
    day: datetime.date = DAY,
    launch: Launch | None = None,
    kit: CampaignKit | None = None,
    amount: str | None = None,
    currency: str = "",
    bot_reason: str = "",
    repeat: bool = False,
) -> ResultEvent:
    """An unsaved event; `launch` implies its kit."""
    occurred = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return ResultEvent(
        partner=partner,
        kit=launch.kit if launch is not None else kit,
        launch=launch,
        kind=kind,
        source="test",
        external_id=f"ev-{next(_external_ids)}",
        occurred_at=occurred,
        day=day,
        amount=None if amount is None else Decimal(amount),
        currency=currency if amount is not None else "",
        bot_reason=bot_reason,
        repeat=repeat,
    )


def insert(events: list[ResultEvent]) -> list[ResultEvent]:
    with scopes_disabled():
        return ResultEvent.objects.bulk_create(events)


def metric_rows() -> set[tuple]:
    with scopes_disabled():
        return set(DailyMetric.objects.values_list(*METRIC_FIELDS))


def expected_rows() -> set[tuple]:
    """The daily metrics, computed here from every event in the database."""
    buckets: dict[tuple, dict[str, object]] = defaultdict(
        lambda: (
            {name: 0 for name in METRIC_FIELDS[5:13]}
            | {"pipeline": Decimal(0), "revenue": Decimal(0)}
        )
    )
    with scopes_disabled():
        events = list(ResultEvent.objects.all())
    for e in events:
        currency = "" if e.amount is None else e.currency
        row = buckets[(e.partner_id, e.kit_id, e.launch_id, e.day, currency)]
        if e.kind == EventKind.CLICK:
            if e.bot_reason:
                row["bot_clicks"] += 1
            elif not e.repeat:
                row["clicks"] += 1
        else:
            counter = {
                EventKind.DOWNLOAD: "downloads",
                EventKind.LEAD: "leads",
                EventKind.MQL: "mqls",
                EventKind.OPPORTUNITY: "opportunities",
                EventKind.WON: "won",
                EventKind.LOST: "lost",
            }[e.kind]
            row[counter] += 1
        if e.kind == EventKind.OPPORTUNITY:
            row["pipeline"] += e.amount
        if e.kind == EventKind.WON:
            row["revenue"] += e.amount
    return {key + tuple(values.values()) for key, values in buckets.items()}


def rebuilt_rows() -> set[tuple]:
    """What a full rebuild writes (the table is left rebuilt)."""
    rollup.rebuild_metrics()
    return metric_rows()


def watermark() -> int:
    return RollupState.objects.get(name=rollup.STATE_NAME).watermark


@pytest.fixture
def world(alice, bob):
    """Two partners, two kits, a launch of each kit for each partner."""
    kits = [make_kit("spring-promo"), make_kit("cloud-webinar")]
    launches = {
        alice.partner.pk: [make_launch(alice, kit) for kit in kits],
        bob.partner.pk: [make_launch(bob, kit) for kit in kits],
    }
    return {"partners": [alice.partner, bob.partner], "kits": kits, "launches": launches}


# --- properties -------------------------------------------------------------------------


# One event, as indexes into the world: which partner, where it is attributed (a
# launch, a kit only, nothing), which day (days before earlier waves are late events).
event_specs = st.fixed_dictionaries(
    {
        "partner": st.integers(0, 1),
        "attribution": st.sampled_from(["launch0", "launch1", "kit0", "kit1", "none"]),
        "day": st.integers(0, 6),
        "kind": st.sampled_from(EventKind.values),
        "amount": st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
        "lost_has_amount": st.booleans(),
        "currency": st.sampled_from(["USD", "EUR"]),
        "bot_reason": st.sampled_from(["", "", "", *BotReason.values]),
        "repeat": st.booleans(),
    }
)


def build(spec: dict, world) -> ResultEvent:
    partner = world["partners"][spec["partner"]]
    attribution = spec["attribution"]
    launch = kit = None
    if attribution.startswith("launch"):
        launch = world["launches"][partner.pk][int(attribution[-1])]
    elif attribution.startswith("kit"):
        kit = world["kits"][int(attribution[-1])]
    kind = spec["kind"]
    has_amount = kind in (EventKind.OPPORTUNITY, EventKind.WON) or (
        kind == EventKind.LOST and spec["lost_has_amount"]
    )
    is_click = kind == EventKind.CLICK
    return event(
        partner,
        kind,
        day=DAY + datetime.timedelta(days=spec["day"]),
        launch=launch,
        kit=kit,
        amount=str(spec["amount"]) if has_amount else None,
        currency=spec["currency"],
        bot_reason=spec["bot_reason"] if is_click else "",
        repeat=spec["repeat"] if is_click else False,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(waves=st.lists(st.lists(event_specs, max_size=25), min_size=1, max_size=4))
def test_incremental_rollup_equals_rebuild_and_python_totals_after_every_wave(world, waves):
    # Each example starts from no events and no metrics, and leaves none behind.
    with transaction.atomic():
        total = 0
        for wave in waves:
            # given: a wave of events (for any day: some are late for earlier days)
            insert([build(spec, world) for spec in wave])
            total += len(wave)

            # when: the rollup runs
            rolled = rollup.rollup_metrics()

            # then: it took exactly the new events, and the table is the truth
            assert rolled == len(wave)
            incremental = metric_rows()
            assert incremental == expected_rows()
            assert incremental == rebuilt_rows()
            # and a second run right after changes nothing
            assert rollup.rollup_metrics() == 0
            assert metric_rows() == incremental
        with scopes_disabled():
            assert watermark() == max(ResultEvent.objects.values_list("id", flat=True), default=0)
        transaction.set_rollback(True)


# --- examples ---------------------------------------------------------------------------


def test_counts_follow_the_rules_and_amounts_stay_per_currency(world):
    alice_partner = world["partners"][0]
    launch = world["launches"][alice_partner.pk][0]
    # given: one day of a launch's events, of every kind
    insert(
        [
            event(alice_partner, EventKind.CLICK, launch=launch),
            event(alice_partner, EventKind.CLICK, launch=launch),
            event(alice_partner, EventKind.CLICK, launch=launch, repeat=True),
            event(alice_partner, EventKind.CLICK, launch=launch, bot_reason=BotReason.HEAD),
            event(alice_partner, EventKind.DOWNLOAD, launch=launch),
            event(alice_partner, EventKind.LEAD, launch=launch),
            event(alice_partner, EventKind.MQL, launch=launch),
            event(alice_partner, EventKind.LOST, launch=launch),
            event(
                alice_partner, EventKind.OPPORTUNITY, launch=launch, amount="100.50", currency="USD"
            ),
            event(
                alice_partner, EventKind.OPPORTUNITY, launch=launch, amount="20.00", currency="USD"
            ),
            event(alice_partner, EventKind.WON, launch=launch, amount="70.25", currency="USD"),
            event(alice_partner, EventKind.WON, launch=launch, amount="999.99", currency="EUR"),
        ]
    )

    # when
    assert rollup.rollup_metrics() == 12

    # then: one row without a currency for the counts, one per currency for amounts
    with scopes_disabled():
        rows = {m.currency: m for m in DailyMetric.objects.filter(launch=launch)}
    assert set(rows) == {"", "USD", "EUR"}
    plain, usd, eur = rows[""], rows["USD"], rows["EUR"]
    # a repeat click is neither a click nor a bot click
    assert (plain.clicks, plain.bot_clicks, plain.downloads) == (2, 1, 1)
    assert (plain.leads, plain.mqls, plain.lost, plain.opportunities) == (1, 1, 1, 0)
    assert (usd.opportunities, usd.won, usd.pipeline, usd.revenue) == (
        2,
        1,
        Decimal("120.50"),
        Decimal("70.25"),
    )
    assert (eur.won, eur.pipeline, eur.revenue) == (1, Decimal("0"), Decimal("999.99"))
    assert plain.kit_id == launch.kit_id and plain.day == DAY


def test_late_event_lands_on_its_own_day(world):
    alice_partner = world["partners"][0]
    launch = world["launches"][alice_partner.pk][0]
    insert([event(alice_partner, EventKind.LEAD, launch=launch, day=DAY)])
    insert([event(alice_partner, EventKind.LEAD, launch=launch, day=DAY + datetime.timedelta(1))])
    rollup.rollup_metrics()

    # when: a lead of the first day arrives after that day was rolled up
    insert([event(alice_partner, EventKind.LEAD, launch=launch, day=DAY)])
    assert rollup.rollup_metrics() == 1

    # then: the first day has two leads, the second day still one
    with scopes_disabled():
        leads = dict(DailyMetric.objects.filter(launch=launch).values_list("day", "leads"))
    assert leads == {DAY: 2, DAY + datetime.timedelta(1): 1}
    assert metric_rows() == expected_rows()


def test_a_touched_day_rewrites_only_the_rows_that_changed(world):
    alice_partner = world["partners"][0]
    first, second = world["launches"][alice_partner.pk][:2]
    insert([event(alice_partner, EventKind.LEAD, launch=first)])
    insert([event(alice_partner, EventKind.LEAD, launch=second)])
    rollup.rollup_metrics()

    def row_versions() -> dict[int, str]:
        # PostgreSQL's ctid: where the row's current version lies (an update makes a new one).
        with connection.cursor() as cursor:
            cursor.execute("SELECT launch_id, ctid::text FROM analytics_dailymetric")
            return dict(cursor.fetchall())

    before = row_versions()

    # when: a lead for the first launch arrives on the same partner-day
    insert([event(alice_partner, EventKind.LEAD, launch=first)])
    assert rollup.rollup_metrics() == 1

    # then: the first launch's row is rewritten, the second launch's row is untouched
    after = row_versions()
    assert after[first.pk] != before[first.pk]
    assert after[second.pk] == before[second.pk]
    assert metric_rows() == expected_rows()


def test_rollup_twice_changes_nothing_and_records_freshness(world):
    alice_partner = world["partners"][0]
    assert rollup.freshness() is None
    insert([event(alice_partner, EventKind.LEAD), event(alice_partner, EventKind.DOWNLOAD)])

    assert rollup.rollup_metrics() == 2
    first = metric_rows()
    first_fresh = rollup.freshness()
    assert rollup.rollup_metrics() == 0

    assert metric_rows() == first == expected_rows()
    assert rollup.freshness() >= first_fresh


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_that_finds_the_lock_taken_leaves_the_work_to_the_holder(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: its writers wait for each other")
    insert([event(world["partners"][0], EventKind.LEAD)])
    rollup.rollup_metrics()
    insert([event(world["partners"][0], EventKind.LEAD)])
    before, mark = metric_rows(), watermark()
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                RollupState.objects.select_for_update().get(name=rollup.STATE_NAME)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    # given: another run holds the state row
    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        # when / then: this run returns at once, doing nothing
        assert rollup.rollup_metrics() == 0
        assert metric_rows() == before
        assert watermark() == mark
    finally:
        release.set()
        holder.join(timeout=10)
    assert rollup.rollup_metrics() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_exception_after_the_insert_moves_neither_metrics_nor_watermark(world, monkeypatch):
    alice_partner = world["partners"][0]
    insert([event(alice_partner, EventKind.LEAD)])
    rollup.rollup_metrics()
    before_rows, before_mark = metric_rows(), watermark()
    insert([event(alice_partner, EventKind.LEAD), event(alice_partner, EventKind.CLICK)])

    # when: saving the state (after the INSERT … SELECT) fails
    def boom(self, *args, **kwargs):
        raise RuntimeError("worker died")

    with monkeypatch.context() as patch:
        patch.setattr(RollupState, "save", boom)
        with pytest.raises(RuntimeError):
            rollup.rollup_metrics()

    # then: nothing moved
    assert metric_rows() == before_rows
    assert watermark() == before_mark
    # and the next run takes the events the failed one did not
    assert rollup.rollup_metrics() == 2
    assert metric_rows() == expected_rows() == rebuilt_rows()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_roll_each_event_up_once_and_equal_a_rebuild(world):
    partners = world["partners"]
    launches = world["launches"]
    total = 0
    returned: list[int] = []
    errors: list[BaseException] = []

    def run_rollups(barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                returned.append(rollup.rollup_metrics())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def write_events(barrier: threading.Barrier) -> None:
        nonlocal total
        try:
            barrier.wait()
            for wave in range(5):
                batch = [
                    event(
                        partners[i % 2],
                        EventKind.LEAD if i % 3 else EventKind.CLICK,
                        launch=launches[partners[i % 2].pk][i % 2],
                        day=DAY + datetime.timedelta(days=(wave + i) % 4),
                    )
                    for i in range(20)
                ]
                insert(batch)
                total += len(batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # given: events already waiting, and more arriving while four rollups race
    insert([event(partners[i % 2], EventKind.DOWNLOAD) for i in range(30)])
    total += 30
    barrier = threading.Barrier(5)
    threads = [threading.Thread(target=run_rollups, args=(barrier,)) for _ in range(4)]
    threads.append(threading.Thread(target=write_events, args=(barrier,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    # when: one more run takes what arrived after the last racing one
    returned.append(rollup.rollup_metrics())

    # then: every event was rolled up by exactly one run, and the table is the truth
    assert sum(returned) == total
    assert metric_rows() == expected_rows() == rebuilt_rows()


def _hold_an_insert_open(partner, inserted: threading.Event, release: threading.Event, ids):
    """Insert one event in a transaction that stays open until `release` is set."""
    try:
        with transaction.atomic():
            ids.append(insert([event(partner, EventKind.LEAD)])[0].pk)
            inserted.set()
            release.wait(timeout=30)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_insert_committed_during_the_rollup_is_not_skipped(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: no insert can be in flight")
    alice_partner = world["partners"][0]
    inserted, release, ids = threading.Event(), threading.Event(), []
    # given: A takes an id and holds its transaction open; B takes a later id and commits
    writer_a = threading.Thread(
        target=_hold_an_insert_open, args=(alice_partner, inserted, release, ids)
    )
    writer_a.start()
    assert inserted.wait(timeout=10)
    later = insert([event(alice_partner, EventKind.LEAD)])[0]
    assert later.pk > ids[0]

    # when: the rollup starts while A is still open
    results: list[int] = []
    runner = threading.Thread(
        target=lambda: (results.append(rollup.rollup_metrics()), connection.close())
    )
    runner.start()
    runner.join(timeout=1)
    # then: it waits for A rather than take B's id as its bound and skip A's
    assert runner.is_alive()
    release.set()
    writer_a.join(timeout=10)
    runner.join(timeout=10)
    assert results == [2]
    with scopes_disabled():
        assert DailyMetric.objects.get(partner=alice_partner).leads == 2
    assert metric_rows() == expected_rows() == rebuilt_rows()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rollup_that_cannot_wait_for_an_open_insert_moves_nothing(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: no insert can be in flight")
    monkeypatch.setattr(rollup, "BOUND_LOCK_TIMEOUT", "200ms")
    alice_partner = world["partners"][0]
    inserted, release, ids = threading.Event(), threading.Event(), []
    writer_a = threading.Thread(
        target=_hold_an_insert_open, args=(alice_partner, inserted, release, ids)
    )
    writer_a.start()
    assert inserted.wait(timeout=10)
    insert([event(alice_partner, EventKind.LEAD)])

    # when: the rollup runs while A stays open longer than the rollup may wait
    with pytest.raises(OperationalError, match="lock timeout"):
        rollup.rollup_metrics()
    release.set()
    writer_a.join(timeout=10)

    # then: nothing moved past A's event; the next run counts both
    assert watermark() == 0
    assert metric_rows() == set()
    assert rollup.rollup_metrics() == 2
    assert metric_rows() == expected_rows() == rebuilt_rows()


# --- rebuild_metrics ---------------------------------------------------------------------


def _spread(world) -> None:
    """Leads for both partners on three days, rolled up."""
    insert(
        [
            event(partner, EventKind.LEAD, day=DAY + datetime.timedelta(days=offset))
            for partner in world["partners"]
            for offset in range(3)
        ]
    )
    rollup.rollup_metrics()


def _corrupt_all() -> None:
    with scopes_disabled():
        DailyMetric.objects.update(leads=999)


def _leads() -> dict[tuple[str, datetime.date], int]:
    with scopes_disabled():
        return {
            (m.partner.slug, m.day): m.leads for m in DailyMetric.objects.select_related("partner")
        }


def test_rebuild_restores_everything_and_keeps_the_watermark(world):
    _spread(world)
    mark = watermark()
    _corrupt_all()
    with scopes_disabled():
        # a row no event supports disappears
        DailyMetric.objects.create(partner=world["partners"][0], day=DAY - datetime.timedelta(9))

    rows = rollup.rebuild_metrics()

    assert rows == 6
    assert metric_rows() == expected_rows()
    assert watermark() == mark


def test_rebuild_command_for_one_partner(world, capsys):
    _spread(world)
    _corrupt_all()

    call_command("rebuild_metrics", "--partner", "alice")

    leads = _leads()
    assert {leads[("alice", DAY + datetime.timedelta(d))] for d in range(3)} == {1}
    assert {leads[("bob", DAY + datetime.timedelta(d))] for d in range(3)} == {999}
    assert "Rebuilt 3 daily metric row(s)" in capsys.readouterr().out


def test_rebuild_command_since_a_day(world, capsys):
    _spread(world)
    _corrupt_all()
    second = DAY + datetime.timedelta(1)

    call_command("rebuild_metrics", "--since", second.isoformat())

    leads = _leads()
    for slug in ("alice", "bob"):
        assert leads[(slug, DAY)] == 999
        assert leads[(slug, second)] == leads[(slug, second + datetime.timedelta(1))] == 1
    assert f"days from {second.isoformat()}" in capsys.readouterr().out


def test_rebuild_command_for_one_partner_since_a_day(world):
    _spread(world)
    _corrupt_all()

    call_command("rebuild_metrics", "--partner", "bob", "--since", str(DAY + datetime.timedelta(2)))

    leads = _leads()
    assert leads[("bob", DAY + datetime.timedelta(2))] == 1
    assert leads[("bob", DAY)] == leads[("alice", DAY + datetime.timedelta(2))] == 999


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--partner", "nobody"], "--partner: no partner with slug 'nobody'"),
        (["--since", "2026-13-01"], "--since: '2026-13-01' is not a date (YYYY-MM-DD)"),
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
    ],
)
def test_rebuild_command_refuses_bad_input_and_changes_nothing(world, args, message):
    _spread(world)
    _corrupt_all()
    before = metric_rows()

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("rebuild_metrics", *args)

    assert metric_rows() == before
