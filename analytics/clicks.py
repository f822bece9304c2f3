"""Clicks on tracking links and library downloads entering the event stream.

A click is recorded as one `ResultEvent` (kind click, source "tracking"). The visitor
is never stored: `visitor_key` is a SHA-256 of a salt of the day, the client address
and the user agent (as Plausible and Umami do). The salt is a `VisitorSalt` row per
day, deleted once the day is past (`purge_visitor_salts`), so the same visitor gets
another key tomorrow and nobody, us included, can follow them from day to day.

A click is recorded but not counted (`ResultEvent.counted` is False) when it is:
- a bot (`bot_reason`): a user agent that crawlerdetect's maintained list knows, an
  empty user agent, a HEAD request, or part of a link-scanner burst (see BURST_*);
- a repeat (`repeat`): the same visitor on the same link within REPEAT_WINDOW of a
  click that was counted.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, timedelta

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scope

from analytics.models import BotReason, EventKind, ResultEvent, VisitorSalt
from assets.models import DownloadRecord
from campaigns.models import CampaignKit, Launch

CLICK_SOURCE = "tracking"
DOWNLOAD_SOURCE = "library"

# A visitor's clicks on the same link count once per this window, starting at the
# click that was counted (the rule: "within 30 minutes counts once").
REPEAT_WINDOW = timedelta(minutes=30)
# Email security scanners (Microsoft Defender's Safe Links, Mimecast, Proofpoint) open
# every link of a message within a second or two of delivery, from one address with one
# user agent. A person reading the same email opens one link, then reads the page
# before opening another. So the same visitor opening links of this many different
# launches of one partner within this window is a scanner: the clicks that complete
# the burst are marked (the first one cannot be told apart from a person yet, and
# events are append-only, so it stays counted). Two launches within a few seconds is
# already faster than a reader; a longer window would start catching people who
# open two tabs on purpose.
BURST_WINDOW = timedelta(seconds=5)
BURST_LAUNCHES = 2

# One detector per process: its compiled patterns and its own LRU cache of user
# agents are shared; `is_crawler` only reads them (the `matches` it keeps are unused).
_crawler_detect = CrawlerDetect()

# The salt of the day, per process: {day: salt}. Rows never change once written (a
# day's row is created once, under the unique constraint, and only deleted when the
# day is past), so a cached salt is always the one every other process uses.
_salts: dict[date, str] = {}


# --- The visitor -------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless settings.PROXY_COUNT says how many
    reverse proxies stand in front of us (each appends the address it received the
    request from to X-Forwarded-For, so the client is that many entries from the
    right). A client can put anything in the header; only the proxies' entries count.
    """
    proxies = getattr(settings, "PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def daily_salt(day: date) -> str:
    """The salt of `day`'s visitor keys, made on first use (race-safe: the unique
    constraint on `day` decides, and `get_or_create` reads the winner's row)."""
    salt = _salts.get(day)
    if salt is None:
        row, _created = VisitorSalt.objects.get_or_create(
            day=day, defaults={"salt": secrets.token_hex(32)}
        )
        salt = row.salt
        _salts.clear()  # only today's is ever needed
        _salts[day] = salt
    return salt


def visitor_key(*, day: date, ip: str, user_agent: str) -> str:
    """sha256(salt of the day + address + user agent), hex. A NUL separates the parts,
    so no address and agent can be shifted into another pair's key."""
    material = "\0".join((daily_salt(day), ip, user_agent))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def is_crawler(user_agent: str) -> bool:
    """A bot by its user agent: crawlerdetect's list, or no user agent at all."""
    return not user_agent.strip() or _crawler_detect.is_crawler(user_agent)


# --- Clicks --------------------------------------------------------------------------

# The click, in ONE statement: this module owns the click path, so its one piece of
# hand-written SQL sits here. The ORM would need three round trips (the launch's row,
# the visitor's recent clicks, the INSERT), and they are most of a redirect's cost; an
# INSERT ... SELECT makes the database judge the click where the rows are:
# - partner, kit and `launch_inactive` come from the launch's row as it is now, so a
#   paused launch's clicks are marked whatever the tracking link's cache holds (and an
#   unknown launch id inserts nothing);
# - `burst`: the visitor's clicks on other launches of the same partner since the
#   burst window's start, counted by distinct launch;
# - `seen`: a counted click (no bot reason, not a repeat) by the visitor on this launch
#   since the repeat window's start, which makes this one a repeat.
# Both subqueries read the partial index `resultevent_visitor_clicks` (visitor_key,
# occurred_at WHERE kind = 'click'); the kind is written in the text, not passed, so
# the planner can match the index's condition. A bot reason found in Python (HEAD, the
# user agent) wins over both. The subquery in FROM reads one row (the launch's
# primary key); its LIMIT 1 also keeps PostgreSQL from copying it into each column
# that names `c.burst`, which would plan and run the burst count twice. Window starts
# are computed in Python and passed as parameters, so no date function of either
# database is needed: the same text runs on PostgreSQL and SQLite. Planning this
# statement costs PostgreSQL more than running it; prepared statements
# (`DATABASE_PREPARED_STATEMENTS`, config/settings.py) plan it once per connection.
_RUNNING = ", ".join(f"'{status}'" for status in Launch.RUNNING)
_CLICK_INSERT = f"""INSERT INTO analytics_resultevent (
    partner_id, kit_id, launch_id, kind, source, external_id, occurred_at, day,
    received_at, currency, company, email_domain, visitor_key, bot_reason, "repeat",
    launch_inactive, fingerprint
)
SELECT
    c.partner_id, c.kit_id, c.id, '{EventKind.CLICK.value}', '{CLICK_SOURCE}', %(external_id)s,
    c.now, %(day)s, c.now, '', '', '', %(visitor)s,
    CASE
        WHEN c.bot <> '' THEN c.bot
        WHEN c.burst THEN '{BotReason.BURST.value}'
        ELSE ''
    END,
    CASE
        WHEN c.bot <> '' THEN FALSE
        WHEN NOT c.seen THEN FALSE
        WHEN c.burst THEN FALSE
        ELSE TRUE
    END,
    c.status NOT IN ({_RUNNING}),
    ''
FROM (
    SELECT
        l.id, l.partner_id, l.kit_id, l.status, %(now)s AS now, %(bot_reason)s AS bot,
        (
            SELECT COUNT(DISTINCT e.launch_id)
            FROM analytics_resultevent e
            WHERE e.kind = '{EventKind.CLICK.value}' AND e.visitor_key = %(visitor)s
                AND e.occurred_at >= %(burst_since)s
                AND e.partner_id = l.partner_id AND e.launch_id <> l.id
        ) >= {BURST_LAUNCHES - 1} AS burst,
        EXISTS (
            SELECT 1
            FROM analytics_resultevent e
            WHERE e.kind = '{EventKind.CLICK.value}' AND e.visitor_key = %(visitor)s
                AND e.occurred_at >= %(repeat_since)s
                AND e.launch_id = l.id AND e.bot_reason = '' AND NOT e."repeat"
        ) AS seen
    FROM campaigns_launch l
    WHERE l.id = %(launch)s
    LIMIT 1
) c
"""  # noqa: S608 - the f-string only puts in the code's own constants


def click_record(*, launch_id: int, request: HttpRequest) -> bool:
    """Record a click on the tracking link of launch `launch_id`: one ResultEvent, one
    statement (`_CLICK_INSERT`); answers whether the launch existed to take it.

    Rules:
    - the visitor is a daily-salted hash of address and user agent; neither is stored;
    - a HEAD request, an empty user agent or a known crawler is a bot; so is a click
      that completes a burst (BURST_LAUNCHES launches of one partner in BURST_WINDOW);
    - a click on the same launch within REPEAT_WINDOW of a counted one is a repeat;
    - a launch that is not running (paused, completed) still gets its click, marked
      `launch_inactive`, read from the launch's row when the click is written;
    - bots and repeats are recorded, never counted (`ResultEvent.counted`).
    No transaction of its own: the judgement and the INSERT are one statement, and two
    clicks at the same instant could both be counted under any isolation short of
    serializable, which a click is not worth. Raises what the database raises; the
    tracking view catches it, since a click that could not be recorded must never
    break the redirect.
    """
    now = timezone.now()
    day = timezone.localdate(now)
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    key = visitor_key(day=day, ip=client_ip(request), user_agent=user_agent)
    if request.method == "HEAD":
        bot_reason = BotReason.HEAD.value
    elif is_crawler(user_agent):
        bot_reason = BotReason.USER_AGENT.value
    else:
        bot_reason = ""
    ops = connection.ops
    params = {
        "launch": launch_id,
        "external_id": uuid.uuid4().hex,
        # As the ORM would store them (SQLite keeps naive UTC text).
        "now": ops.adapt_datetimefield_value(now),
        "day": ops.adapt_datefield_value(day),
        "visitor": key,
        "bot_reason": bot_reason,
        "burst_since": ops.adapt_datetimefield_value(now - BURST_WINDOW),
        "repeat_since": ops.adapt_datetimefield_value(now - REPEAT_WINDOW),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLICK_INSERT, params)
        return cursor.rowcount == 1


def purge_visitor_salts() -> int:
    """Delete the salts of the days before yesterday; answer how many went.

    Yesterday's stays: a click just after midnight may still be written with it in a
    process that read it a moment before, and the day is over soon enough.
    """
    yesterday = timezone.localdate() - timedelta(days=1)
    deleted, _by_model = VisitorSalt.objects.filter(day__lt=yesterday).delete()
    return deleted


# --- Downloads -----------------------------------------------------------------------


def download_kit(*, download: DownloadRecord, kit_slug: str | None) -> CampaignKit | None:
    """The kit a download came from, if `kit_slug` names one the partner may see
    (`CampaignKit.objects.available_to`) that bundles the downloaded asset; else None.
    The slug comes from a URL parameter: it is a claim, checked here, never trusted."""
    if not kit_slug:
        return None
    return (
        CampaignKit.objects.available_to(download.partner)
        .filter(slug=kit_slug, assets=download.asset_id)
        .first()
    )


def download_record(*, download: DownloadRecord, kit_slug: str | None) -> ResultEvent:
    """A library download enters the event stream (kind download, source "library").

    Rules:
    - one event per DownloadRecord (its id is the external id), written in the
      caller's transaction (`assets.services.download_record`), so both are stored
      or neither is;
    - attributed to a kit only when `download_kit` accepts the kit the download page
      named; the API's downloads name none.
    """
    kit = download_kit(download=download, kit_slug=kit_slug)
    occurred_at = download.at
    with scope(partner=download.partner):
        return ResultEvent.objects.create(
            partner=download.partner,
            kit=kit,
            asset_id=download.asset_id,
            kind=EventKind.DOWNLOAD,
            source=DOWNLOAD_SOURCE,
            external_id=str(download.pk),
            occurred_at=occurred_at,
            day=timezone.localdate(occurred_at),
        )
