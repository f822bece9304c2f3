"""GET /api/v1/metrics/: rollups and KPIs.

A partner's caller (its key or its users) reads its own results only: `partner=` may
name it (UUID or slug, read as every API reads a partner's name:
`partners.selectors.partner_named`) or be left out; naming another partner, a kit
outside its audience or a launch of another partner answers 404, like one that does
not exist.
Staff callers read any partner, or the whole programme without `partner=`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import kpis, selectors
from analytics.periods import PeriodError, parse_granularity, parse_period
from campaigns.models import CampaignKit, Launch
from partners.models import Partner
from partners.scoping import PartnerScopedAPIMixin
from partners.selectors import partner_named

STAFF_PERMISSION = "analytics.view_dailymetric"


class MetricsPermission(permissions.BasePermission):
    """Partner callers read their own; staff keys read all; staff users need the
    analytics view permission (marketing admins, channel managers, analysts)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "partner", None) is not None or view.is_staff_client and request.auth:
            return True
        return request.user.has_perm(STAFF_PERMISSION)


class MoneyValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    value = serializers.CharField(allow_null=True)


def _kpi_fields() -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {}
    for kpi in kpis.KPIS:
        if kpi.per_currency:
            fields[kpi.name] = MoneyValueSerializer(many=True, help_text=str(kpi.meaning))
        elif kpi.format == "count":
            fields[kpi.name] = serializers.IntegerField(help_text=str(kpi.meaning))
        else:
            fields[kpi.name] = serializers.CharField(allow_null=True, help_text=str(kpi.meaning))
    return fields


KPISerializer = type("KPISerializer", (serializers.Serializer,), _kpi_fields())
PointSerializer = type(
    "MetricsPointSerializer",
    (KPISerializer,),
    {"period_start": serializers.DateField()},
)


MetricsSerializer = type(
    "MetricsSerializer",
    (serializers.Serializer,),
    {
        "partner": serializers.CharField(allow_null=True, help_text="Partner slug; null: all."),
        "kit": serializers.CharField(allow_null=True),
        "launch": serializers.CharField(allow_null=True),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "granularity": serializers.CharField(),
        "updated_at": serializers.DateTimeField(
            allow_null=True, help_text="When the metrics were last rolled up."
        ),
        "totals": KPISerializer(),
        "series": PointSerializer(many=True),
    },
)


def _not_found(field: str, value: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"{field}: “{value}” was not found.")


def _bad(field: str, message: Any) -> serializers.ValidationError:
    return serializers.ValidationError({field: [str(message)]})


@extend_schema(
    summary="Metrics: rollups and KPIs",
    description=(
        "Totals and a series (per day, week or month) of the daily metrics, with every "
        "KPI (see the README's KPI table). Money is per currency, as decimal strings; a "
        "rate with a zero denominator is null. Partner callers read their own results "
        "(`partner` may be left out); staff read any partner, or all without `partner`. "
        "Another partner, a kit outside the caller's audience or another partner's "
        "launch answers 404."
    ),
    parameters=[
        OpenApiParameter("partner", OpenApiTypes.STR, description="Partner UUID or slug."),
        OpenApiParameter("kit", OpenApiTypes.STR, description="Campaign kit slug."),
        OpenApiParameter("launch", OpenApiTypes.STR, description="Launch tracking code."),
        OpenApiParameter(
            "from", OpenApiTypes.DATE, description="First day (default: 30 days ago)."
        ),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)."),
        OpenApiParameter("granularity", OpenApiTypes.STR, enum=["day", "week", "month"]),
    ],
    responses=MetricsSerializer,
)
@extend_validation_errors(["invalid"], field_name="from", methods=["get"])
@extend_validation_errors(["invalid"], field_name="to", methods=["get"])
@extend_validation_errors(["invalid"], field_name="granularity", methods=["get"])
class MetricsView(PartnerScopedAPIMixin, APIView):
    partner_field = None
    permission_classes = [MetricsPermission]

    def _partner(self, value: str) -> Partner | None:
        """The partner `?partner=` names for the caller (`partner_named`: a partner's
        caller only its own, by default; staff any, or all when left out)."""
        if not value:
            return self.partner
        found = partner_named(name=value, own=self.partner)
        if found is None:
            raise _not_found("partner", value)
        return found

    def get(self, request: Request) -> Response:
        params = request.query_params
        partner = self._partner((params.get("partner") or "").strip())
        try:
            period = parse_period(params, timezone.localdate())
            granularity = parse_granularity(params, "day")
        except PeriodError as exc:
            raise _bad(exc.field, exc.message) from None
        kit = launch = None
        kit_slug = (params.get("kit") or "").strip()
        if kit_slug:
            # A partner's caller sees the kits of its audience; staff see every kit.
            kits = (
                CampaignKit.objects.available_to(self.partner)
                if self.partner is not None
                else CampaignKit.objects.all()
            )
            kit = kits.filter(slug=kit_slug).first()
            if kit is None:
                raise _not_found("kit", kit_slug)
        code = (params.get("launch") or "").strip()
        if code:
            launches = Launch.objects.filter(code=code)
            if partner is not None:
                launches = launches.filter(partner=partner)
            launch = launches.first()
            if launch is None:
                raise _not_found("launch", code)
        totals = selectors.partner_totals(
            partner=partner, start=period.start, end=period.end, kit=kit, launch=launch
        )
        points = selectors.series(
            partner=partner,
            start=period.start,
            end=period.end,
            granularity=granularity,
            kit=kit,
            launch=launch,
        )
        updated = selectors.freshness()
        data = {
            "partner": partner.slug if partner else None,
            "kit": kit.slug if kit else None,
            "launch": launch.code if launch else None,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "granularity": granularity,
            "updated_at": updated.isoformat() if updated else None,
            "totals": kpis.as_json(totals),
            "series": [
                {"period_start": point.start.isoformat(), **kpis.as_json(point.totals)}
                for point in points
            ],
        }
        return Response(data)
