"""What the partner dashboard shows, assembled from the selectors and the KPI definitions:
for the portal page (/portal/performance/), its CSV export, the portal home's KPI row and
the staff drill-down (`analytics.staff_views`), which renders the same partials for the
partner staff choose. Filters name public identifiers only: a
kit by slug (among the kits the partner may see), a launch by tracking code (among its
own launches); anything else is the portal's 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponseBase
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from analytics import kpis, selectors
from analytics.exports import currencies_of, kpi_cells, kpi_header
from analytics.periods import (
    GRANULARITIES,
    PRESETS,
    Period,
    PeriodError,
    default_granularity,
    parse_granularity,
    parse_period,
    preset_period,
)
from campaigns.models import CampaignKit, Launch
from config.csv_export import csv_response
from mdf.selectors import balances_for_partner
from partners.models import Partner

# Line styles per dataset, so the lines differ by more than colour (charts.js reads
# them from the data): solid, dashed, dotted, dash-dot.
DASHES = ([], [8, 4], [2, 3], [10, 3, 2, 3])
POINTS = ("circle", "rect", "triangle", "rectRot")
TABLE_COUNTS = ("clicks", "downloads", "leads", "mqls", "opportunities", "won")
MDF_TILE_KPIS = ("mdf_spent", "cost_per_lead", "pipeline_per_mdf", "mdf_roi")


def point_label(first: date, granularity: str) -> str:
    if granularity == "month":
        return date_format(first, "M Y")
    if granularity == "week":
        return _("Week of %(day)s") % {"day": date_format(first, "M j")}
    return date_format(first, "M j")


def resolve_filters(partner: Partner, params: Any) -> tuple[CampaignKit | None, Launch | None]:
    """The kit (`kit=` slug, among the kits available to the partner) and the launch
    (`launch=` tracking code, among its own launches) a query names; Http404 for one
    the partner may not see (another partner's launch is not found either)."""
    kit = launch = None
    kit_slug = (params.get("kit") or "").strip()
    if kit_slug:
        kit = CampaignKit.objects.available_to(partner).filter(slug=kit_slug).first()
        if kit is None:
            raise Http404("No such campaign kit.")
    code = (params.get("launch") or "").strip()
    if code:
        launch = Launch.objects.filter(partner=partner, code=code).select_related("kit").first()
        if launch is None:
            raise Http404("No such launch.")
    return kit, launch


def tiles(names: tuple[str, ...], now: kpis.Totals, before: kpis.Totals) -> list[dict[str, Any]]:
    result = []
    for name in names:
        kpi = kpis.BY_NAME[name]
        value, previous = kpi.value(now), kpi.value(before)
        result.append(
            {
                "kpi": kpi,
                "lines": kpis.display(kpi, value),
                "changes": kpis.change(kpi, value, previous),
            }
        )
    return result


def chart_data(points: list[selectors.Point], granularity: str) -> dict[str, Any]:
    """Two charts from the series: counts (clicks, leads, opportunities, won) and money
    (pipeline and revenue per currency), each with its table rows for screen readers."""
    labels = [point_label(point.start, granularity) for point in points]
    count_names = ("clicks", "leads", "opportunities", "won")
    counts = {
        "labels": labels,
        "yTitle": _("Count"),
        "datasets": [
            {
                "label": str(kpis.BY_NAME[name].label),
                "data": [getattr(point.totals, name) for point in points],
                "dash": DASHES[i % len(DASHES)],
                "point": POINTS[i % len(POINTS)],
            }
            for i, name in enumerate(count_names)
        ],
    }
    currencies = currencies_of(point.totals for point in points)
    money_sets = []
    for currency in currencies:
        for name in ("pipeline", "revenue"):
            i = len(money_sets)
            money_sets.append(
                {
                    "label": f"{kpis.BY_NAME[name].label} ({currency})",
                    "data": [
                        f"{getattr(p.totals, name).get(currency, kpis.ZERO):f}" for p in points
                    ],
                    "dash": DASHES[i % len(DASHES)],
                    "point": POINTS[i % len(POINTS)],
                }
            )
    money = {"labels": labels, "yTitle": _("Amount"), "datasets": money_sets}
    return {"counts": counts, "money": money, "currencies": currencies}


def series_table(points: list[selectors.Point], granularity: str, currencies: list[str]) -> dict:
    """The trend as a table (the charts' numbers for everyone, screen readers included)."""
    header = [str(_("Period"))] + [str(kpis.BY_NAME[n].label) for n in TABLE_COUNTS]
    for currency in currencies:
        header += [f"{kpis.BY_NAME[n].label} ({currency})" for n in ("pipeline", "revenue")]
    rows = []
    for point in points:
        cells = [kpis.format_scalar("count", getattr(point.totals, n)) for n in TABLE_COUNTS]
        for currency in currencies:
            cells += [
                kpis.format_scalar(
                    "money", getattr(point.totals, n).get(currency, kpis.ZERO), currency
                )
                for n in ("pipeline", "revenue")
            ]
        rows.append({"label": point_label(point.start, granularity), "cells": cells})
    return {"header": header, "rows": rows}


def build_dashboard(*, partner: Partner, params: Any, today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard partials show for `partner` with these query
    parameters. A fixed number of queries, whatever the data. Raises Http404 for a
    kit or launch the partner may not see; bad dates come back as `errors` (field →
    message) with the default period shown."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    kit, launch = resolve_filters(partner, params)
    try:
        period = parse_period(params, today)
    except PeriodError as exc:
        errors[exc.field] = str(exc.message)
        period = preset_period("30d", today)
    try:
        granularity = parse_granularity(params, default_granularity(period))
    except PeriodError as exc:
        errors[exc.field] = str(exc.message)
        granularity = default_granularity(period)
    previous = period.previous()
    now = selectors.partner_totals(
        partner=partner, start=period.start, end=period.end, kit=kit, launch=launch
    )
    before = selectors.partner_totals(
        partner=partner, start=previous.start, end=previous.end, kit=kit, launch=launch
    )
    points = selectors.series(
        partner=partner,
        start=period.start,
        end=period.end,
        granularity=granularity,
        kit=kit,
        launch=launch,
    )
    breakdown = selectors.breakdown_by_kit_and_launch(
        partner=partner, start=period.start, end=period.end
    )
    if kit is not None:
        breakdown = [row for row in breakdown if row.kit_id == kit.pk]
    if launch is not None:
        breakdown = [row for row in breakdown if row.launch_id == launch.pk]
    charts = chart_data(points, granularity)
    series_currencies = charts["currencies"]
    breakdown_currencies = currencies_of(row.totals for row in breakdown)
    return {
        "partner": partner,
        "period": period,
        "previous": previous,
        "granularity": granularity,
        "errors": errors,
        "kit": kit,
        "launch": launch,
        "presets": PRESETS,
        "granularities": GRANULARITIES,
        "granularity_label": GRANULARITIES[granularity],
        # What the filter form keeps: a granularity the user chose, or "" (automatic:
        # days for a month, weeks for a quarter, months beyond).
        "granularity_chosen": granularity if params.get("granularity") else "",
        "csv_query": urlencode(
            [(key, value) for key, value in params.items() if key not in ("format", "table")]
        ),
        "show_funds_link": True,
        "totals": now,
        "tiles": tiles(kpis.TILE_KPIS, now, before),
        "mdf_tiles": tiles(
            ("mdf_spent", "cost_per_lead", "pipeline_per_mdf", "mdf_roi"), now, before
        ),
        "has_results": any(getattr(now, name) for name in kpis.COUNT_FIELDS)
        or bool(now.pipeline or now.revenue),
        "points": [
            {
                "label": point_label(point.start, granularity),
                "start": point.start,
                "totals": point.totals,
            }
            for point in points
        ],
        "series_currencies": series_currencies,
        "series_table": series_table(points, granularity, series_currencies),
        "charts": charts,
        "breakdown": [
            {
                "row": row,
                "kpis": {kpi.name: kpis.display(kpi, kpi.value(row.totals)) for kpi in kpis.KPIS},
            }
            for row in breakdown
        ],
        "breakdown_currencies": breakdown_currencies,
        "balances": list(balances_for_partner(partner=partner).values()),
        "kits": list(
            CampaignKit.objects.available_to(partner).order_by("name").values("slug", "name")
        ),
        "launches": list(
            Launch.objects.filter(partner=partner)
            .order_by("kit__name", "code")
            .values("code", "name", "kit__name")
        ),
        "freshness": selectors.freshness_text(selectors.freshness()),
        "kpi_help": kpis.KPIS,
    }


def export_csv(context: dict[str, Any], table: str, slug: str) -> HttpResponseBase:
    """The dashboard's trend table (`table=trend`) or breakdown (`table=breakdown`) as
    CSV: plain numbers, ISO dates, one column group per currency."""
    period: Period = context["period"]
    if table == "breakdown":
        rows = [item["row"] for item in context["breakdown"]]
        currencies = currencies_of(row.totals for row in rows)
        header = ["kit", "kit_slug", "launch_code", "launch_name", *kpi_header(currencies)]
        body = [
            [
                row.kit_name,
                row.kit_slug,
                row.launch_code,
                row.launch_name,
                *kpi_cells(row.totals, currencies),
            ]
            for row in rows
        ]
    else:
        points = context["points"]
        currencies = currencies_of(point["totals"] for point in points)
        header = ["period_start", *kpi_header(currencies)]
        body = [
            [point["start"].isoformat(), *kpi_cells(point["totals"], currencies)]
            for point in points
        ]
    name = f"performance-{slug}-{table}-{period.start.isoformat()}-{period.end.isoformat()}"
    return csv_response(name, header, body)


def home_tiles(partner: Partner) -> dict[str, Any]:
    """The compact KPI row of the portal home: the last 30 days against the 30 before."""
    period = preset_period("30d", timezone.localdate())
    previous = period.previous()
    now = selectors.partner_totals(partner=partner, start=period.start, end=period.end)
    before = selectors.partner_totals(partner=partner, start=previous.start, end=previous.end)
    return {
        "performance_tiles": tiles(kpis.COMPACT_TILE_KPIS, now, before),
        "performance_period": period,
    }
