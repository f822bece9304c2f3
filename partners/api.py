"""API views of the partners app."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import as_api_validation_error
from partners.models import Partner, Tier
from partners.scoping import PartnerScopedAPIMixin
from partners.selectors import partners_visible
from partners.serializers import (
    CobrandingUpdateSerializer,
    MeSerializer,
    PartnerSerializer,
    TierSerializer,
)
from partners.services import partner_update_cobranding


class CanEditCobranding(permissions.BasePermission):
    """Writes: a partner admin (session) or partner API key for its own partner, or
    staff allowed to change partners. Reads: anyone the view lets in."""

    message = "Only partner admins and staff with the right permission can change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "is_staff_client", False):
            user = request.user
            if hasattr(user, "api_key"):
                return True  # staff integration key
            return user.has_perm("partners.change_partner")
        if hasattr(request.user, "api_key"):
            return True  # a partner key acts for its own partner only
        return getattr(view, "request_role", None) == "admin"


class PartnerFilter(django_filters.FilterSet):
    tier = django_filters.CharFilter(field_name="tier__slug")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)

    class Meta:
        model = Partner
        fields = ["status", "partner_type", "tier", "region"]


class PartnerViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Partners: staff see all; a partner sees only itself. PATCH edits co-branding."""

    queryset = partners_visible(partner=None)
    partner_field = "pk"  # a partner is its own scope: it sees exactly itself
    serializer_class = PartnerSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditCobranding]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = PartnerFilter
    search_fields = ["name", "slug", "display_name"]
    ordering_fields = ["name", "status", "tier__rank", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=CobrandingUpdateSerializer, responses=PartnerSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        partner = self.get_object()
        serializer = CobrandingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            partner = partner_update_cobranding(
                partner=partner,
                actor=request.user if getattr(request.user, "pk", None) else None,
                **serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(PartnerSerializer(partner, context={"request": request}).data)


class TierViewSet(PartnerScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The program tiers, lowest first. Tiers are shared, not partner-owned."""

    queryset = Tier.objects.all()
    partner_field = None
    serializer_class = TierSerializer
    pagination_class = None
    filter_backends: list = []


class MeView(PartnerScopedAPIMixin, APIView):
    """Who the caller is: user or key, its partner and role, or its staff roles."""

    queryset = Partner.objects.none()

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        api_key = getattr(request.user, "api_key", None)
        membership = getattr(request._request, "membership", None)
        if api_key is not None:
            kind = "staff_api_key" if api_key.is_staff_key else "partner_api_key"
        else:
            kind = "staff_user" if request.user.is_staff else "partner_user"
        staff_roles = (
            list(request.user.groups.order_by("name").values_list("name", flat=True))
            if api_key is None and request.user.is_staff
            else []
        )
        data = {
            "kind": kind,
            "username": request.user.get_username(),
            "role": membership.role if (membership and api_key is None) else None,
            "staff_roles": staff_roles,
            "partner": self.partner,
        }
        return Response(MeSerializer(data, context={"request": request}).data)
