"""API views of the partners app."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import as_api_validation_error
from partners.models import Membership, Partner, PartnerAPIKey, Tier
from partners.scoping import PartnerScopedAPIMixin
from partners.selectors import partners_visible
from partners.serializers import (
    CobrandingUpdateSerializer,
    MeSerializer,
    PartnerSerializer,
    TierSerializer,
)
from partners.services import partner_update_cobranding


class PartnerPermission(permissions.BasePermission):
    """Who may read and change partners through the API.

    Reads: partner callers (their own partner only, by the queryset), staff keys,
    and staff users holding `partners.view_partner`. Writes (co-branding): a partner
    admin (user, or key with the admin role) for its own partner, a staff key, or a
    staff user holding `partners.change_partner` (so analysts and finance approvers
    cannot).
    """

    message = _("Only partner admins and staff allowed to change partners can do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        is_key = isinstance(request.auth, PartnerAPIKey)
        if getattr(view, "is_staff_client", False):
            if is_key:
                return True  # a staff integration key acts across partners
            perm = (
                "partners.view_partner"
                if request.method in permissions.SAFE_METHODS
                else "partners.change_partner"
            )
            return request.user.has_perm(perm)
        if request.method in permissions.SAFE_METHODS:
            return True  # a partner caller reads its own partner only (the queryset)
        return getattr(view, "request_role", None) == Membership.Role.ADMIN


class PartnerFilter(django_filters.FilterSet):
    tier = django_filters.CharFilter(field_name="tier__slug")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)

    class Meta:
        model = Partner
        fields = ["status", "partner_type", "tier", "region"]


@extend_schema_view(
    list=extend_schema(
        summary="List partners",
        description=(
            "Staff (keys and users) see every partner; a partner key or partner user "
            "sees only its own partner. Filter by status, partner_type, tier (slug) and "
            "region (code); search in name, slug and display name; order by name, "
            "status, tier__rank or created_at (prefix `-` for descending)."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one partner",
        description=(
            "By its UUID. Another partner's UUID answers 404, exactly as one that does not exist."
        ),
    ),
    partial_update=extend_schema(
        summary="Change the co-branding profile",
        description=(
            "Only the co-branding fields can be changed; any other field answers 400 "
            "naming it. Allowed for a partner key or partner admin (own partner), a "
            "staff key, and staff users with the `partners.change_partner` permission."
        ),
        request=CobrandingUpdateSerializer,
        responses=PartnerSerializer,
    ),
)
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
    permission_classes = [permissions.IsAuthenticated, PartnerPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = PartnerFilter
    search_fields = ["name", "slug", "display_name"]
    ordering_fields = ["name", "status", "tier__rank", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "patch", "head", "options"]

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.get_object()
        serializer = CobrandingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            partner = partner_update_cobranding(
                partner=partner,
                actor=request.user,  # for a key, its own user
                **serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(PartnerSerializer(partner, context={"request": request}).data)


@extend_schema_view(list=extend_schema(summary="List the program tiers"))
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

    @extend_schema(summary="Who am I", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        api_key = request.auth if isinstance(request.auth, PartnerAPIKey) else None
        if api_key is not None:
            kind = "staff_api_key" if api_key.is_staff_key else "partner_api_key"
            staff_roles: list[str] = []
        elif self.is_staff_client:
            kind = "staff_user"
            staff_roles = list(request.user.groups.order_by("name").values_list("name", flat=True))
        else:
            kind = "partner_user"
            staff_roles = []
        data = {
            "kind": kind,
            "username": request.user.get_username(),
            "role": self.request_role,
            "staff_roles": staff_roles,
            "partner": self.partner,
        }
        return Response(MeSerializer(data, context={"request": request}).data)
