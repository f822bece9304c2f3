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
from datetime import date, datetime, timedelta

from crawlerdetect import CrawlerDetect
from django.conf import settings
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


def _burst_or_repeat(*, launch: Launch, key: str, now: datetime) -> tuple[str, bool]:
    """(bot reason, repeat) of a click of visitor `key` on `launch` at `now`.

    One query on the partial index `resultevent_visitor_clicks` (visitor_key,
    occurred_at): the visitor's clicks on this partner's links within REPEAT_WINDOW
    (a handful for a person), judged here: another launch within BURST_WINDOW makes
    a burst; a counted click on this launch makes a repeat.
    """
    recent = (
        ResultEvent.objects.filter(
            kind=EventKind.CLICK,
            visitor_key=key,
            occurred_at__gte=now - REPEAT_WINDOW,
            partner_id=launch.partner_id,
        )
        .order_by()
        .values_list("launch_id", "occurred_at", "bot_reason", "repeat")
    )
    burst_since = now - BURST_WINDOW
    others: set[int] = set()
    repeat = False
    for launch_id, occurred_at, bot_reason, was_repeat in recent:
        if launch_id != launch.pk:
            if occurred_at >= burst_since:
                others.add(launch_id)
        elif not bot_reason and not was_repeat:
            repeat = True
    if len(others) + 1 >= BURST_LAUNCHES:
        return BotReason.BURST, False
    return "", repeat


def click_record(*, launch: Launch, request: HttpRequest) -> ResultEvent:
    """Record a click on `launch`'s tracking link: one ResultEvent, one INSERT.

    Rules:
    - the visitor is a daily-salted hash of address and user agent; neither is stored;
    - a HEAD request, an empty user agent or a known crawler is a bot; so is a click
      that completes a burst (BURST_LAUNCHES launches of one partner in BURST_WINDOW);
    - a click on the same launch within REPEAT_WINDOW of a counted one is a repeat;
    - a launch that is not running (paused, completed) still gets its click, marked
      `launch_inactive`;
    - bots and repeats are recorded, never counted (`ResultEvent.counted`).
    No transaction of its own: the check and the INSERT are each one statement, and
    two clicks at the same instant could both be counted under any isolation short of
    serializable, which a click is not worth. Raises what the database raises; the
    tracking view catches it, since a click that could not be recorded must never
    break the redirect.
    """
    now = timezone.now()
    day = timezone.localdate(now)
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    repeat = False
    with scope(partner=launch.partner):
        key = visitor_key(day=day, ip=client_ip(request), user_agent=user_agent)
        if request.method == "HEAD":
            bot_reason = BotReason.HEAD
        elif is_crawler(user_agent):
            bot_reason = BotReason.USER_AGENT
        else:
            bot_reason, repeat = _burst_or_repeat(launch=launch, key=key, now=now)
        return ResultEvent.objects.create(
            partner=launch.partner,
            kit_id=launch.kit_id,
            launch=launch,
            kind=EventKind.CLICK,
            source=CLICK_SOURCE,
            external_id=uuid.uuid4().hex,
            occurred_at=now,
            day=day,
            received_at=now,
            visitor_key=key,
            bot_reason=bot_reason,
            repeat=repeat,
            launch_inactive=launch.status not in Launch.RUNNING,
        )


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
