"""A year of generated results for the demo launches, so the dashboards tell a story.

Each launch gets, for every day it ran: clicks on its tracking link (some of them
from bots and link scanners, some repeats), and the results a CRM would sync for it:
leads, MQLs, opportunities with amounts, and weeks later won and lost deals.
Partners differ: Contoso and Fabrikam convert well, Northwind grows through the
year, Tailspin draws clicks that rarely turn into leads, Fabrikam sells in euros.

The clicks are written straight into the event stream (no visitor ever opened
these links), the results go through the same ingest as the API
(`analytics.ingest.ingest_events`, as the partner's integration), so they are
validated and recognised on a second run. The Celery rollup of `make run` rolls them
up within a minute; `seed_analytics` does not.

Idempotent: a launch with events already is skipped.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import ingest
from analytics.models import BotReason, EventKind, ResultEvent
from campaigns.models import Launch

# The size of a batch sent to the ingest, as an integration would (the API's limit).
BATCH = 5000


@dataclass(frozen=True)
class Profile:
    """How a partner's campaigns perform in the demo."""

    clicks_per_day: float
    lead_rate: float  # leads per counted click
    deal_size: int  # typical opportunity amount
    currency: str = "USD"
    growth: float = 0.0  # relative growth of clicks over the year


PROFILES = {
    "northwind": Profile(14, 0.06, 24000, growth=1.5),
    "contoso": Profile(20, 0.08, 38000),
    "fabrikam": Profile(16, 0.09, 42000, currency="EUR"),
    "tailspin": Profile(22, 0.015, 15000),
    "wingtip": Profile(9, 0.05, 30000),
    "adventure": Profile(6, 0.05, 9000),
    "litware": Profile(7, 0.04, 18000, growth=0.5),
}


def seed_analytics() -> int:
    """Generate the events of every demo launch without any; return how many."""
    today = timezone.localdate()
    total = 0
    with scopes_disabled():
        launches = Launch.objects.select_related("partner", "kit").order_by("id")
        for launch in launches:
            profile = PROFILES.get(launch.partner.slug)
            if profile is None or ResultEvent.objects.filter(launch=launch).exists():
                continue
            total += _seed_launch(launch, profile, today)
    return total


def _seed_launch(launch: Launch, profile: Profile, today: date) -> int:
    rng = random.Random(f"{launch.partner.slug}/{launch.kit.slug}/{launch.channel}")  # noqa: S311
    first, last = launch.start_date, min(launch.end_date, today)
    if first > last:
        return 0
    span = max((last - first).days, 1)
    clicks: list[ResultEvent] = []
    results: list[dict] = []
    n = 0
    for offset in range(span + 1):
        day = first + timedelta(days=offset)
        weekday = 0.45 if day.weekday() >= 5 else 1.0
        trend = 1 + profile.growth * offset / 365
        expected = profile.clicks_per_day * weekday * trend
        for _ in range(_poisson(rng, expected)):
            clicks.append(_click(launch, day, rng))
        for _ in range(_poisson(rng, expected * profile.lead_rate)):
            n += 1
            company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
            domain = company.lower().replace(" ", "") + ".example"
            at = _moment(day, rng)
            results.append(_result(launch, n, "lead", at, company, domain))
            if rng.random() < 0.45:
                results.append(_result(launch, n, "mql", at + timedelta(days=2), company, domain))
                if rng.random() < 0.4:
                    amount = Decimal(int(profile.deal_size * rng.uniform(0.4, 1.8)))
                    opened = at + timedelta(days=rng.randint(5, 15))
                    results.append(
                        _result(launch, n, "opportunity", opened, company, domain, amount, profile)
                    )
                    closed = opened + timedelta(days=rng.randint(25, 70))
                    if closed.date() <= today:
                        outcome = rng.random()
                        if outcome < 0.35:
                            won = (amount * Decimal(rng.uniform(0.85, 1.0))).quantize(Decimal(1))
                            results.append(
                                _result(launch, n, "won", closed, company, domain, won, profile)
                            )
                        elif outcome < 0.6:
                            results.append(_result(launch, n, "lost", closed, company, domain))
    now = timezone.now()
    results = [e for e in results if datetime.fromisoformat(e["occurred_at"]) <= now]
    ResultEvent.objects.bulk_create(clicks, batch_size=2000)
    caller = ingest.Caller(partner=launch.partner, user=None)
    for start in range(0, len(results), BATCH):
        ingest.ingest_events(payload=results[start : start + BATCH], caller=caller)
    return len(clicks) + len(results)


def _click(launch: Launch, day: date, rng: random.Random) -> ResultEvent:
    roll = rng.random()
    bot = ""
    if roll < 0.06:
        bot = BotReason.USER_AGENT
    elif roll < 0.12:
        bot = BotReason.BURST
    at = _moment(day, rng)
    return ResultEvent(
        # By id: tens of thousands of rows, and the instances are not needed on them.
        partner_id=launch.partner_id,
        kit_id=launch.kit_id,
        launch_id=launch.pk,
        kind=EventKind.CLICK,
        source="tracking",
        external_id=uuid.UUID(int=rng.getrandbits(128)).hex,
        occurred_at=at,
        day=day,
        received_at=at,
        visitor_key=hashlib.sha256(str(rng.random()).encode()).hexdigest(),
        bot_reason=bot,
        repeat=not bot and rng.random() < 0.05,
    )


def _result(
    launch: Launch,
    n: int,
    kind: str,
    at: datetime,
    company: str,
    domain: str,
    amount: Decimal | None = None,
    profile: Profile | None = None,
) -> dict:
    event = {
        "external_id": f"crm-{launch.code}-{n}-{kind}",
        "launch": launch.code,
        "kind": kind,
        "occurred_at": at.isoformat(),
        "company": company,
        "email_domain": domain,
    }
    if amount is not None and profile is not None:
        event["amount"] = f"{amount:.2f}"
        event["currency"] = profile.currency
    return event


def _moment(day: date, rng: random.Random) -> datetime:
    minutes = rng.randint(8 * 60, 19 * 60)
    return timezone.make_aware(datetime.combine(day, time(minutes // 60, minutes % 60)))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


COMPANY_WORDS = (
    "Alder",
    "Birch",
    "Cedar",
    "Harbor",
    "Summit",
    "Granite",
    "Meridian",
    "Orchid",
    "Pioneer",
    "Riverside",
    "Silver",
    "Beacon",
    "Lakeside",
    "Northgate",
    "Redwood",
)
COMPANY_KINDS = (
    "Logistics",
    "Health",
    "Foods",
    "Legal",
    "Manufacturing",
    "Dental",
    "Retail",
    "Insurance",
    "Schools",
    "Energy",
    "Hotels",
    "Analytics",
)
