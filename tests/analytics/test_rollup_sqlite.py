"""The rollup's one SQL text on the embedded default, SQLite (the rest of the suite runs
on PostgreSQL): a child process migrates a SQLite file, inserts random waves of events
(late ones included), rolls them up, and compares the table with a full rebuild and
with totals computed in Python after every wave."""

from __future__ import annotations

import pytest

from tests.platform.conftest import child_env, manage

pytestmark = pytest.mark.slow

SCRIPT = r"""
import datetime, random
from collections import defaultdict
from decimal import Decimal
from django.contrib.auth.models import User
from django_scopes import scopes_disabled
from analytics import rollup
from analytics.models import DailyMetric, ResultEvent
from campaigns.models import CampaignKit, Launch
from partners.models import Partner, Tier

FIELDS = ("partner_id", "kit_id", "launch_id", "day", "currency", "clicks", "bot_clicks",
          "downloads", "leads", "mqls", "opportunities", "won", "lost", "pipeline", "revenue")
COUNTERS = {"download": "downloads", "lead": "leads", "mql": "mqls",
            "opportunity": "opportunities", "won": "won", "lost": "lost"}
rng = random.Random(18)
day0 = datetime.date(2026, 3, 2)


def rows():
    return set(DailyMetric.objects.values_list(*FIELDS))


def python_rows():
    zero = dict.fromkeys(FIELDS[5:13], 0) | {"p": Decimal(0), "r": Decimal(0)}
    buckets = defaultdict(lambda: dict(zero))
    for e in ResultEvent.objects.all():
        currency = "" if e.amount is None else e.currency
        b = buckets[(e.partner_id, e.kit_id, e.launch_id, e.day, currency)]
        if e.kind == "click":
            if e.bot_reason:
                b["bot_clicks"] += 1
            elif not e.repeat:
                b["clicks"] += 1
        else:
            b[COUNTERS[e.kind]] += 1
        b["p"] += e.amount if e.kind == "opportunity" else 0
        b["r"] += e.amount if e.kind == "won" else 0
    return {key + tuple(v.values()) for key, v in buckets.items()}


with scopes_disabled():
    tier = Tier.objects.create(name="T", slug="t", rank=1)
    user = User.objects.create(username="u")
    partners = [Partner.objects.create(name=s, slug=s, tier=tier, partner_type="reseller",
                                       status="active")
                for s in ("alice", "bob")]
    kit = CampaignKit.objects.create(name="K", slug="k", objective="pipeline", channels=["email"],
                                     start_date=day0, end_date=day0, landing_url="https://e.com")
    launches = [Launch.objects.create(partner=p, kit=kit, channel="email", start_date=day0,
                                      end_date=day0, created_by=user) for p in partners]
    n = 0
    for wave in range(4):
        events = []
        for _ in range(rng.randint(1, 40)):
            n += 1
            i = rng.randrange(2)
            kind = rng.choice(["click", "click", "download", *COUNTERS])
            amount = None
            if kind in ("opportunity", "won") or (kind == "lost" and rng.random() < 0.5):
                amount = Decimal(rng.randint(0, 10**7)) / 100
            day = day0 - datetime.timedelta(days=rng.randint(0, 5))
            attributed = rng.random() < 0.7
            events.append(ResultEvent(
                partner=partners[i], kit=kit if attributed else None,
                launch=launches[i] if attributed and rng.random() < 0.5 else None,
                kind=kind, source="s", external_id=str(n), day=day,
                occurred_at=datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC),
                amount=amount, currency=rng.choice(["USD", "EUR"]) if amount is not None else "",
                bot_reason=rng.choice(["", "", "head"]) if kind == "click" else "",
                repeat=kind == "click" and rng.random() < 0.3))
        ResultEvent.objects.bulk_create(events)
        assert rollup.rollup_metrics() == len(events)
        assert rollup.rollup_metrics() == 0
        incremental = rows()
        assert incremental == python_rows(), (incremental ^ python_rows())
        rollup.rebuild_metrics()
        assert rows() == incremental
        rollup.rebuild_metrics(partner=partners[0], since=day0 - datetime.timedelta(days=2))
        assert rows() == incremental
    # The staff leaderboard ranks by a KPI of these rows with a UNION (SQLite's rules
    # for compound statements differ from PostgreSQL's).
    from analytics.selectors import leaderboard

    leads = {p.pk: ResultEvent.objects.filter(partner=p, kind="lead").count() for p in partners}
    board = leaderboard(
        start=day0 - datetime.timedelta(days=5), end=day0, sort="-leads", per_page=None
    )
    names = {p.pk: p.name for p in partners}
    expected = sorted(leads, key=lambda pk: (-leads[pk], names[pk]))
    assert [row.partner_id for row in board.rows] == expected, (board.rows, leads)
    print("rollup on sqlite: ok", n, "events")
"""


def test_rollup_equals_rebuild_and_python_totals_on_sqlite(tmp_path):
    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate = manage("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    run = manage("shell", "-c", SCRIPT, env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "rollup on sqlite: ok" in run.stdout
