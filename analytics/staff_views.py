"""Staff analytics pages in the admin, under /admin/performance/ (not /admin/analytics/,
which is the app's own model admin): the partner leaderboard, kit performance, MDF ROI
per partner and per pool, top assets by downloads, and a drill-down into one partner's
dashboard (the portal's partials, for the partner staff choose). Each has a CSV export
(`?format=csv`).

Kept apart from `analytics/admin.py` (the model admins of the event stream): these are
pages, not model admins, mounted by `config.admin_site.StaffAdminSite.get_urls`. The
middleware has disabled scopes for staff under /admin/; the selectors across partners
say so again themselves. Who may see them: staff with `analytics.view_dailymetric`
(marketing admins, channel managers and analysts; analytics/0003).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from analytics import kpis, selectors
from analytics.dashboard import build_dashboard, export_csv
from analytics.exports import currencies_of, kpi_cells, kpi_header
from analytics.periods import PRESETS, PeriodError, parse_period, preset_period
from config.csv_export import csv_response
from partners.models import Partner, Region, Tier
from partners.selectors import NPS, latest_nps

PERMISSION = "analytics.view_dailymetric"
LEADERBOARD_COLUMNS = (
    "clicks",
    "leads",
    "mqls",
    "opportunities",
    "won",
    "click_to_lead",
    "lead_to_opportunity",
    "opportunity_to_won",
    "pipeline",
    "revenue",
    "mdf_spent",
    "mdf_roi",
)


def may_view(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def _period(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    today = timezone.localdate()
    try:
        return parse_period(request.GET, today), {}
    except PeriodError as exc:
        return preset_period("30d", today), {exc.field: str(exc.message)}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class StaffPage:
    """Renders a staff analytics page in the admin's layout, after the permission check."""

    def __init__(self, site: admin.AdminSite) -> None:
        self.site = site

    def guard(self, view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not may_view(request.user):
                raise PermissionDenied
            with scopes_disabled():
                return view(request, *args, **kwargs)

        return self.site.admin_view(wrapped)

    def render(
        self, request: HttpRequest, template: str, title: Any, context: dict[str, Any]
    ) -> TemplateResponse:
        query = urlencode(
            [(k, v) for k, v in request.GET.items() if k not in ("format", "page", "sort")]
        )
        return TemplateResponse(
            request,
            template,
            {
                **self.site.each_context(request),
                "title": title,
                "nav": nav(request),
                "presets": PRESETS,
                "query": query,
                **context,
            },
            status=400 if context.get("errors") else 200,
        )

    # --- pages ----------------------------------------------------------------------

    def leaderboard(self, request: HttpRequest) -> HttpResponseBase:
        period, errors = _period(request)
        params = request.GET
        board = selectors.leaderboard(
            start=period.start,
            end=period.end,
            sort=params.get("sort") or "-revenue",
            currency=(params.get("currency") or "").upper(),
            tier=_int(params.get("tier")),
            partner_type=params.get("type") or "",
            region=_int(params.get("region")),
            channel_manager=_int(params.get("manager")),
            page=params.get("page") or 1,
            # The CSV holds every partner, in the order shown.
            per_page=None if params.get("format") == "csv" else 25,
        )
        if params.get("format") == "csv":
            currencies = currencies_of(row.totals for row in board.rows)
            header = ["partner", "partner_slug", "tier", "partner_type", "channel_manager"]
            return csv_response(
                "leaderboard",
                header + kpi_header(currencies),
                (
                    [row.name, row.slug, row.tier, row.partner_type, row.channel_manager]
                    + kpi_cells(row.totals, currencies)
                    for row in board.rows
                ),
            )
        sort_name, descending = selectors.parse_sort(board.sort)
        columns = []
        for name in LEADERBOARD_COLUMNS:
            kpi = kpis.BY_NAME[name]
            active = sort_name == name
            next_sort = name if active and descending else "-" + name
            columns.append(
                {
                    "kpi": kpi,
                    "sort": next_sort,
                    "active": active,
                    "aria_sort": ("descending" if descending else "ascending") if active else "",
                }
            )
        # The partner survey's latest NPS per partner on the page (one query).
        nps = latest_nps(partner_ids=[row.partner_id for row in board.rows])
        rows = [
            {
                "row": row,
                "cells": [
                    kpis.display(
                        kpis.BY_NAME[name],
                        {board.currency: row.kpis[name].get(board.currency)}
                        if kpis.BY_NAME[name].per_currency and board.currency in row.kpis[name]
                        else row.kpis[name],
                    )
                    for name in LEADERBOARD_COLUMNS
                ],
                "drill": reverse("admin:performance_partner") + f"?partner={row.slug}",
                "nps": nps.get(row.partner_id, NPS()).display,
            }
            for row in board.rows
        ]
        users = Partner.objects.filter(channel_manager__isnull=False).values(
            "channel_manager_id",
            "channel_manager__first_name",
            "channel_manager__last_name",
            "channel_manager__username",
        )
        managers = {
            u["channel_manager_id"]: " ".join(
                p for p in (u["channel_manager__first_name"], u["channel_manager__last_name"]) if p
            )
            or u["channel_manager__username"]
            for u in users.distinct()
        }
        return self.render(
            request,
            "admin/performance/leaderboard.html",
            _("Partner leaderboard"),
            {
                "board": board,
                "columns": columns,
                "rows": rows,
                "period": period,
                "errors": errors,
                "tiers": Tier.objects.all(),
                "regions": Region.objects.order_by("name"),
                "types": Partner.Type.choices,
                "managers": sorted(managers.items(), key=lambda item: item[1].lower()),
                "filters": {
                    "tier": _int(params.get("tier")),
                    "type": params.get("type") or "",
                    "region": _int(params.get("region")),
                    "manager": _int(params.get("manager")),
                },
                "sort_name": sort_name,
            },
        )

    def kits(self, request: HttpRequest) -> HttpResponseBase:
        period, errors = _period(request)
        rows = selectors.kit_performance(start=period.start, end=period.end)
        if request.GET.get("format") == "csv":
            currencies = currencies_of(row.totals for row in rows)
            return csv_response(
                "kit-performance",
                ["kit", "kit_slug", "partners", "launches", *kpi_header(currencies)],
                (
                    [r.name, r.slug, r.partners, r.launches, *kpi_cells(r.totals, currencies)]
                    for r in rows
                ),
            )
        names = ("clicks", "downloads", "leads", "click_to_lead", "opportunities", "won")
        table = [
            {
                "row": row,
                "cells": [
                    kpis.display(kpis.BY_NAME[n], kpis.BY_NAME[n].value(row.totals)) for n in names
                ],
                "pipeline": kpis.display(kpis.BY_NAME["pipeline"], row.totals.pipeline),
                "revenue": kpis.display(kpis.BY_NAME["revenue"], row.totals.revenue),
            }
            for row in rows
        ]
        return self.render(
            request,
            "admin/performance/kits.html",
            _("Kit performance"),
            {
                "rows": table,
                "headings": [kpis.BY_NAME[n].label for n in names],
                "period": period,
                "errors": errors,
            },
        )

    def roi(self, request: HttpRequest) -> HttpResponseBase:
        period, errors = _period(request)
        by_partner = selectors.mdf_roi_by_partner(start=period.start, end=period.end)
        by_pool = selectors.mdf_roi_by_pool(start=period.start, end=period.end)
        fmt = request.GET.get("format")
        if fmt == "csv":
            group = request.GET.get("by") == "pool"
            rows = by_pool if group else by_partner
            currencies = currencies_of(row.totals for row in rows)
            return csv_response(
                "mdf-roi-by-pool" if group else "mdf-roi-by-partner",
                ["pool" if group else "partner", "funded_launches", *kpi_header(currencies)],
                ([r.name, r.funded_launches, *kpi_cells(r.totals, currencies)] for r in rows),
            )
        names = ("mdf_spent", "cost_per_lead", "pipeline_per_mdf", "mdf_roi")

        def table(rows: list[selectors.RoiRow]) -> list[dict[str, Any]]:
            return [
                {
                    "row": row,
                    "funded_spent": kpis.display(
                        kpis.BY_NAME["mdf_spent"], row.totals.funded_spent
                    ),
                    "funded_revenue": kpis.display(
                        kpis.BY_NAME["revenue"], row.totals.funded_revenue
                    ),
                    "cells": [
                        kpis.display(kpis.BY_NAME[n], kpis.BY_NAME[n].value(row.totals))
                        for n in names
                    ],
                }
                for row in rows
            ]

        return self.render(
            request,
            "admin/performance/roi.html",
            _("MDF return on investment"),
            {
                "by_partner": table(by_partner),
                "by_pool": table(by_pool),
                "headings": [kpis.BY_NAME[n] for n in names],
                "period": period,
                "errors": errors,
                "definition": kpis.BY_NAME["mdf_roi"].meaning,
            },
        )

    def assets(self, request: HttpRequest) -> HttpResponseBase:
        period, errors = _period(request)
        rows = selectors.top_assets_by_downloads(start=period.start, end=period.end, limit=50)
        if request.GET.get("format") == "csv":
            return csv_response(
                "top-assets",
                ["asset", "asset_uuid", "downloads", "partners"],
                (
                    [r["asset__title"], r["asset__uuid"], r["downloads"], r["partners"]]
                    for r in rows
                ),
            )
        return self.render(
            request,
            "admin/performance/assets.html",
            _("Top assets by downloads"),
            {"rows": rows, "period": period, "errors": errors},
        )

    def partner(self, request: HttpRequest) -> HttpResponseBase:
        slug = (request.GET.get("partner") or "").strip()
        partner = Partner.objects.filter(slug=slug).first() if slug else None
        if partner is None:
            if slug:
                raise Http404("No such partner.")
            return self.render(
                request,
                "admin/performance/choose_partner.html",
                _("A partner's dashboard"),
                {
                    "partners": Partner.objects.exclude(status=Partner.Status.APPLICANT).order_by(
                        "name"
                    )
                },
            )
        context = build_dashboard(partner=partner, params=request.GET)
        if request.GET.get("format") == "csv":
            table = "breakdown" if request.GET.get("table") == "breakdown" else "trend"
            return export_csv(context, table, partner.slug)
        context.update(
            {
                "staff_partner": partner.slug,
                "form_action": reverse("admin:performance_partner"),
                "show_funds_link": False,
                "leaderboard_url": reverse("admin:performance_leaderboard"),
                "site_header": self.site.site_header,
            }
        )
        return render(
            request,
            "analytics/staff_dashboard.html",
            context,
            status=400 if context["errors"] else 200,
        )


def nav(request: HttpRequest) -> list[dict[str, Any]]:
    current = request.resolver_match.url_name if request.resolver_match else ""
    pages = (
        ("performance_leaderboard", _("Leaderboard")),
        ("performance_kits", _("Kits")),
        ("performance_roi", _("MDF ROI")),
        ("performance_assets", _("Top assets")),
        ("performance_partner", _("One partner")),
    )
    return [
        {"url": reverse(f"admin:{name}"), "label": label, "current": name == current}
        for name, label in pages
    ]


def urls(site: admin.AdminSite) -> list[URLPattern]:
    page = StaffPage(site)
    return [
        path("performance/", page.guard(page.leaderboard), name="performance_leaderboard"),
        path("performance/kits/", page.guard(page.kits), name="performance_kits"),
        path("performance/mdf-roi/", page.guard(page.roi), name="performance_roi"),
        path("performance/assets/", page.guard(page.assets), name="performance_assets"),
        path("performance/partner/", page.guard(page.partner), name="performance_partner"),
    ]
