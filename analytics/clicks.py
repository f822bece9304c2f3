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

The request decides what it can alone (HEAD, the user agent) and records the click
with one INSERT; the repeat and burst rules need the visitor's other clicks, so the
rollup applies them (`classify_clicks`) to the new clicks, in order, in its own
transaction, before it counts them: a click is counted only once it has been judged.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

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

# The click, as the request records it: one INSERT of the event. The partner, kit and
# `launch_inactive` come from the launch's row as it is now (its primary key: nothing
# to plan but that lookup), so a paused launch's clicks are marked whatever the
# tracking link's cache holds, and an unknown launch id inserts nothing. The flags the
# request can decide by itself (HEAD, the user agent) are written with it; the rules
# that need the visitor's other clicks (repeat, burst) are applied afterwards, in
# order, by the rollup (`classify_clicks`), so the redirect never waits on them.
# The ORM has no INSERT ... SELECT; the statement is portable (PostgreSQL, SQLite).
_RUNNING = ", ".join(f"'{status}'" for status in Launch.RUNNING)
_CLICK_INSERT = f"""INSERT INTO analytics_resultevent (
    partner_id, kit_id, launch_id, kind, source, external_id, occurred_at, day,
    received_at, currency, company, email_domain, visitor_key, bot_reason, "repeat",
    launch_inactive, fingerprint
)
SELECT
    l.partner_id, l.kit_id, l.id, '{EventKind.CLICK.value}', '{CLICK_SOURCE}',
    %(external_id)s, %(now)s, %(day)s, %(now)s, '', '', '', %(visitor)s, %(bot_reason)s,
    FALSE, l.status NOT IN ({_RUNNING}), ''
FROM campaigns_launch l
WHERE l.id = %(launch)s
"""  # noqa: S608 - the f-string only puts in the code's own constants


# PostgreSQL's asynchronous commit, for the click's own transaction only: the INSERT
# is acknowledged once it is in the WAL buffers, before the WAL is flushed to disk.
# After a crash of the database server (not of the application), the clicks of the
# last moments before it (at most three times `wal_writer_delay`) may be missing; the
# database is never left inconsistent. A click is already best effort (one that
# cannot be written is logged and the visitor redirected all the same), and the
# redirect no longer waits for a disk flush. The INSERT and the SET go in one query
# string: the server runs them as one implicit transaction, which `SET LOCAL` covers
# (the setting is read when the transaction commits, after both).
_ASYNC_COMMIT = ";\nSET LOCAL synchronous_commit TO OFF"


def click_record(*, launch_id: int, request: HttpRequest) -> bool:
    """Record a click on the tracking link of launch `launch_id`: one ResultEvent, one
    statement (`_CLICK_INSERT`); answers whether the launch existed to take it.

    Rules:
    - the visitor is a daily-salted hash of address and user agent; neither is stored;
    - a HEAD request, an empty user agent or a known crawler is a bot, marked here;
    - the repeat and burst rules are not judged here: the rollup judges every new
      click in order (`classify_clicks`) before it counts them;
    - a launch that is not running (paused, completed) still gets its click, marked
      `launch_inactive`, read from the launch's row when the click is written;
    - bots and repeats are recorded, never counted (`ResultEvent.counted`).
    No transaction of its own: one statement. Raises what the database raises; the
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
    params: dict[str, Any] = {
        "launch": launch_id,
        "external_id": uuid.uuid4().hex,
        # As the ORM would store them (SQLite keeps naive UTC text).
        "now": ops.adapt_datetimefield_value(now),
        "day": ops.adapt_datefield_value(day),
        "visitor": key,
        "bot_reason": bot_reason,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_CLICK_INSERT + _ASYNC_COMMIT, params)
        else:
            cursor.execute(_CLICK_INSERT, params)
        return cursor.rowcount == 1  # the INSERT's, the first result


# How many ids one UPDATE of `classify_clicks` names.
_UPDATE_CHUNK = 5000


def classify_clicks(*, after: int, upto: int) -> dict[str, int]:
    """Judge the clicks with an id in (after, upto] by the repeat and burst rules, in
    id order (the order they were recorded), and mark them; answers how many of each.

    Rules:
    - a click completes a link-scanner burst (`bot_reason` "burst") when the same
      visitor clicked links of BURST_LAUNCHES - 1 other launches of the same partner
      within BURST_WINDOW before it (any of its clicks, bots included); a bot reason
      found by the request (HEAD, user agent) stays and wins;
    - a click that is no bot is a repeat when the same visitor's last counted click on
      the same launch is within REPEAT_WINDOW before it: the window starts at the click
      that was counted, so a click after it opens a new one;
    - a click without a visitor key is not judged (nobody to compare it with);
    - the clicks up to `after` were judged by earlier runs and are read as they are;
      flags are only ever added, so judging the same clicks again changes nothing.
    Called by the rollup inside its transaction, under its lock: one judge at a time,
    so the judgement is sequential and deterministic. Reads the new clicks' visitors'
    clicks from REPEAT_WINDOW before the first of them (the partial index
    `resultevent_visitor_clicks`), decides in Python (the repeat rule carries state
    from click to click, which a set-based statement cannot express), and writes the
    marks with two ORM UPDATEs.
    """
    with scopes_disabled():
        # (A click without a visitor key, not written by `click_record`, has no
        # visitor whose other clicks could make it a repeat or a burst.)
        new = ResultEvent.objects.filter(kind=EventKind.CLICK, id__gt=after, id__lte=upto).exclude(
            visitor_key=""
        )
        first = new.aggregate(first=Min("occurred_at"))["first"]
        if first is None:
            return {"burst": 0, "repeat": 0}
        rows = (
            ResultEvent.objects.filter(
                kind=EventKind.CLICK,
                visitor_key__in=new.values("visitor_key"),
                occurred_at__gte=first - max(REPEAT_WINDOW, BURST_WINDOW),
                id__lte=upto,
            )
            .order_by("id")
            .values_list(
                "id",
                "visitor_key",
                "partner_id",
                "launch_id",
                "occurred_at",
                "bot_reason",
                "repeat",
            )
        )
        # Per (visitor, partner): the visitor's clicks seen so far, (time, launch).
        recent: dict[tuple[str, int], list[tuple[datetime, int]]] = defaultdict(list)
        # Per (visitor, launch): the time of the visitor's last counted click.
        last_counted: dict[tuple[str, int], datetime] = {}
        bursts: list[int] = []
        repeats: list[int] = []
        # Read whole (not through a server-side cursor: PostgreSQL plans a cursor for
        # its first rows, which made this read several times slower).
        for pk, visitor, partner_id, launch_id, at, bot_reason, repeat in list(rows):
            seen = recent[(visitor, partner_id)]
            if pk > after:
                if not bot_reason:
                    others = {
                        other
                        for when, other in seen
                        if when >= at - BURST_WINDOW and other != launch_id
                    }
                    if len(others) >= BURST_LAUNCHES - 1:
                        bot_reason = BotReason.BURST.value
                        bursts.append(pk)
                if not bot_reason:
                    since = last_counted.get((visitor, launch_id))
                    repeat = since is not None and since >= at - REPEAT_WINDOW
                    if repeat:
                        repeats.append(pk)
            seen.append((at, launch_id))
            if not bot_reason and not repeat:
                key = (visitor, launch_id)
                last_counted[key] = max(at, last_counted.get(key, at))
        for start in range(0, len(bursts), _UPDATE_CHUNK):
            ResultEvent.objects.filter(pk__in=bursts[start : start + _UPDATE_CHUNK]).update(
                bot_reason=BotReason.BURST.value
            )
        for start in range(0, len(repeats), _UPDATE_CHUNK):
            ResultEvent.objects.filter(pk__in=repeats[start : start + _UPDATE_CHUNK]).update(
                repeat=True
            )
    return {"burst": len(bursts), "repeat": len(repeats)}


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
