"""Reads of campaigns: the kits a partner may see, their bundled assets the partner
may see, a partner's launches (and staff's view of every launch of a kit), a launch
by its tracking code, and the launches' result figures (from analytics' KPIs)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypedDict
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django_scopes import scope, scopes_disabled

from analytics import selectors as analytics_selectors
from assets.models import Asset, AssetVersion
from campaigns.models import CampaignKit, Channel, Launch, LaunchStatusChange
from partners.models import Partner

MAX_QUERY_LENGTH = 200


def clean_query(text: str) -> str:
    """Search text as the database can take it: no NUL bytes, bounded, trimmed."""
    return " ".join((text or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


# --- Kits ---------------------------------------------------------------------------------


def kits_available(*, partner: Partner) -> QuerySet[CampaignKit]:
    """The kits this partner may see: published and in its audience (`available_to`)."""
    return CampaignKit.objects.available_to(partner)


def kits_search(
    kits: QuerySet[CampaignKit], *, search: str = "", channel: str = ""
) -> QuerySet[CampaignKit]:
    """Narrow kits by words (each found in the name, objective label aside, or the
    description) and by a channel they offer; an unknown channel matches nothing."""
    for word in clean_query(search).split():
        kits = kits.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if channel:
        if channel not in Channel.values:
            return kits.none()
        kits = kits.filter(channels__contains=f",{channel},")
    return kits


def kits_for_partner(
    *, partner: Partner, search: str = "", channel: str = ""
) -> QuerySet[CampaignKit]:
    """The partner's kits page: available kits, searched and filtered, newest first."""
    kits = kits_search(kits_available(partner=partner), search=search, channel=channel)
    return kits.order_by("-published_at", "-id")


def kit_for_partner(*, partner: Partner, slug: str) -> CampaignKit:
    """One kit the partner may see, by slug; Http404 when missing or not for it."""
    kit = kits_available(partner=partner).filter(slug=str(slug)[:80]).first()
    if kit is None:
        raise Http404
    return kit


def kit_assets_for_partner(*, kit: CampaignKit, partner: Partner) -> list[Asset]:
    """The kit's bundled assets that this partner may see (the library's own rule,
    `Asset.objects.available_to`), with their current files; the others stay hidden."""
    current = AssetVersion.objects.filter(is_current=True).select_related("language")
    return list(
        Asset.objects.available_to(partner)
        .filter(campaign_kits=kit)
        .select_related("category", "language")
        .prefetch_related(Prefetch("versions", current, to_attr="current_versions"))
        .order_by("title", "id")
    )


# --- Launches ------------------------------------------------------------------------------


def launches_for_partner(
    *, partner: Partner, kit: CampaignKit | None = None, status: str = ""
) -> QuerySet[Launch]:
    """The partner's own launches, newest first; optionally of one kit, in one status
    (an unknown status matches nothing)."""
    with scope(partner=partner):
        launches = Launch.objects.filter(partner=partner).select_related("kit", "partner")
    if kit is not None:
        launches = launches.filter(kit=kit)
    if status:
        launches = (
            launches.filter(status=status) if status in Launch.Status.values else launches.none()
        )
    return launches.order_by("-created_at", "-id")


def launches_for_kit(*, kit: CampaignKit) -> QuerySet[Launch]:
    """Staff: every partner's launches of a kit (across partners, visibly)."""
    with scopes_disabled():
        return (
            Launch.objects.filter(kit=kit)
            .select_related("partner", "created_by")
            .order_by("-created_at", "-id")
        )


def launch_counts(*, kit_ids: Iterable[int]) -> dict[int, int]:
    """Staff: how many launches each kit has (across partners)."""
    with scopes_disabled():
        rows = (
            Launch.objects.filter(kit_id__in=list(kit_ids))
            .values("kit_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {row["kit_id"]: row["n"] for row in rows}


def launch_by_code(code: str) -> Launch | None:
    """The launch of a tracking link, whoever follows it (the link is public): scopes
    disabled; None when the code is unknown."""
    if not code or len(code) > 16:
        return None
    with scopes_disabled():
        return Launch.objects.select_related("kit", "partner").filter(code=code).first()


def launch_history(*, launch: Launch) -> list[LaunchStatusChange]:
    """Who moved the launch, when, from what to what (oldest first)."""
    with scope(partner=launch.partner_id):
        return list(
            LaunchStatusChange.objects.filter(launch=launch)
            .select_related("actor")
            .order_by("at", "id")
        )


def fund_requests_for_launch(*, partner: Partner, launch: Launch) -> list[Any]:
    """The partner's fund requests that name this launch (its MDF)."""
    from mdf.models import FundRequest

    with scope(partner=partner):
        return list(
            FundRequest.objects.filter(partner=partner, launch=launch)
            .select_related("allocation__pool")
            .order_by("-created_at")
        )


def launch_destination(launch: Launch) -> str:
    """Where the launch's tracking link sends a visitor: the kit's landing URL, its own
    query parameters kept, with utm_source = partner slug, utm_medium = channel,
    utm_campaign = kit slug, utm_content = tracking code (ours replace any of the
    landing URL's own utm_ values of those four names)."""
    parts = urlsplit(launch.kit.landing_url)
    ours = {
        "utm_source": launch.partner.slug,
        "utm_medium": launch.channel,
        "utm_campaign": launch.kit.slug,
        "utm_content": launch.code,
    }
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    query = urlencode([*kept, *ours.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


# --- Results (from analytics) ----------------------------------------------------------------


class LaunchResults(TypedDict):
    clicks: int
    leads: int
    # Amounts stay per currency: (amount, currency) pairs, never added together.
    pipeline: list[tuple[Decimal, str]]
    revenue: list[tuple[Decimal, str]]


def _amounts(money: dict[str, Decimal]) -> list[tuple[Decimal, str]]:
    return [(amount, currency) for currency, amount in sorted(money.items())]


def launch_results(*, partner: Partner, launch_ids: Iterable[int]) -> dict[int, LaunchResults]:
    """Clicks, leads, pipeline and revenue per launch id, as analytics defines them
    (`analytics.selectors.launch_totals`, one query); a launch without results reads 0."""
    ids = list(launch_ids)
    totals = analytics_selectors.launch_totals(partner=partner, launch_ids=ids)
    results: dict[int, LaunchResults] = {}
    for launch_id in ids:
        figures = totals.get(launch_id)
        results[launch_id] = (
            {
                "clicks": figures.clicks,
                "leads": figures.leads,
                "pipeline": _amounts(figures.pipeline),
                "revenue": _amounts(figures.revenue),
            }
            if figures
            else {"clicks": 0, "leads": 0, "pipeline": [], "revenue": []}
        )
    return results
