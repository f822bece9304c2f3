"""Staff pages of the voice of the partner, in the admin under /admin/voice/: the
lowest-rated library assets and campaign kits (with a CSV export), and the NPS of the
partner surveys per round, per tier and per partner, with the trend and the comments.

Pages, not model admins, mounted by `config.admin_site.StaffAdminSite.get_urls` (as
`analytics.staff_views`). The middleware has disabled scopes for staff under /admin/;
the selectors across partners say so again themselves. Who may see them: staff with
`partners.view_contentrating` (ratings) or `partners.view_surveyresponse` (NPS):
marketing admins, channel managers and analysts (partners/0009).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from config.csv_export import csv_response
from partners import selectors
from partners.models import Partner, Survey, SurveyRound

RATINGS_PERMISSION = "partners.view_contentrating"
NPS_PERMISSION = "partners.view_surveyresponse"


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


class VoicePages:
    def __init__(self, site: admin.AdminSite) -> None:
        self.site = site

    def guard(
        self, permission: str, view: Callable[..., HttpResponseBase]
    ) -> Callable[..., HttpResponseBase]:
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user: Any = request.user
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise PermissionDenied
            with scopes_disabled():
                return view(request, *args, **kwargs)

        return self.site.admin_view(wrapped)

    def render(
        self, request: HttpRequest, template: str, title: Any, context: dict[str, Any]
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {**self.site.each_context(request), "title": title, "nav": nav(request), **context},
        )

    def lowest_rated(self, request: HttpRequest) -> HttpResponseBase:
        kind = request.GET.get("kind", "")
        kind = kind if kind in ("asset", "kit") else ""
        rows = selectors.lowest_rated(kind=kind, limit=200 if request.GET.get("format") else 50)
        for row in rows:
            row.admin_url = reverse(
                "admin:assets_asset_change"
                if row.kind == "asset"
                else "admin:campaigns_campaignkit_change",
                args=[row.item.pk],
            )
        if request.GET.get("format") == "csv":
            return csv_response(
                "lowest-rated-content",
                ["kind", "item", "identifier", "average", "ratings", "latest", "latest_comments"],
                (
                    [
                        row.kind,
                        str(row.item),
                        str(row.item.uuid) if row.kind == "asset" else row.item.slug,
                        row.average,
                        row.count,
                        row.latest.isoformat(),
                        " | ".join(
                            f"{c.rating}/5 {c.partner.name}: {c.comment}" for c in row.comments
                        ),
                    ]
                    for row in rows
                ),
            )
        return self.render(
            request,
            "admin/voice/lowest_rated.html",
            _("Lowest-rated content"),
            {
                "rows": rows,
                "kind": kind,
                "kinds": [("", _("Assets and kits")), ("asset", _("Assets")), ("kit", _("Kits"))],
            },
        )

    def nps(self, request: HttpRequest) -> HttpResponseBase:
        surveys = list(Survey.objects.order_by("title"))
        survey_id = _id(request.GET.get("survey"))
        survey = next((s for s in surveys if s.pk == survey_id), None)
        if survey is None:
            latest = SurveyRound.objects.order_by("-opens_on", "-id").first()
            survey = latest.survey if latest else (surveys[0] if surveys else None)
        slug = (request.GET.get("partner") or "").strip()
        partner = Partner.objects.filter(slug=slug).first() if slug else None
        context: dict[str, Any] = {"surveys": surveys, "survey": survey, "partner": partner}
        if survey is not None:
            trend = selectors.nps_by_round(survey=survey)
            partner_trend = (
                dict(
                    (survey_round.pk, nps)
                    for survey_round, nps in selectors.nps_by_round(survey=survey, partner=partner)
                )
                if partner
                else {}
            )
            rounds = [survey_round for survey_round, _nps in trend]
            round_id = _id(request.GET.get("round"))
            chosen = next((r for r in rounds if r.pk == round_id), rounds[-1] if rounds else None)
            answered = [(r, nps) for r, nps in trend if nps.answers]
            chart = {
                "labels": [f"#{r.number} {r.opens_on:%Y-%m-%d}" for r, _nps in answered],
                "yTitle": str(_("NPS (points)")),
                "datasets": [{"label": str(_("NPS")), "data": [nps.score for _r, nps in answered]}],
            }
            context.update(
                trend=[
                    {"round": r, "nps": nps, "partner_nps": partner_trend.get(r.pk)}
                    for r, nps in trend
                ],
                chosen=chosen,
                chart=chart,
                has_chart=bool(answered),
            )
            if chosen is not None:
                context.update(
                    by_tier=selectors.nps_by_tier(survey_round=chosen),
                    by_partner=selectors.nps_by_partner(survey_round=chosen),
                    comments=selectors.survey_comments(survey_round=chosen, partner=partner),
                )
        return self.render(request, "admin/voice/nps.html", _("Partner NPS"), context)


def nav(request: HttpRequest) -> list[dict[str, Any]]:
    current = request.resolver_match.url_name if request.resolver_match else ""
    user: Any = request.user
    pages = (
        ("voice_lowest_rated", _("Lowest-rated content"), RATINGS_PERMISSION),
        ("voice_nps", _("Partner NPS"), NPS_PERMISSION),
    )
    return [
        {"url": reverse(f"admin:{name}"), "label": label, "current": name == current}
        for name, label, permission in pages
        if user.has_perm(permission)
    ]


def urls(site: admin.AdminSite) -> list[URLPattern]:
    pages = VoicePages(site)
    return [
        path(
            "voice/lowest-rated/",
            pages.guard(RATINGS_PERMISSION, pages.lowest_rated),
            name="voice_lowest_rated",
        ),
        path("voice/nps/", pages.guard(NPS_PERMISSION, pages.nps), name="voice_nps"),
    ]
