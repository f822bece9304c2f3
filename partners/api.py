"""API views of the partners app."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import as_api_validation_error
from partners.models import ContentRating, Membership, Partner, PartnerAPIKey, Tier
from partners.scoping import PartnerRefFilter, PartnerScopedAPIMixin
from partners.selectors import partners_visible
from partners.serializers import (
    CobrandingUpdateSerializer,
    FeedbackCreateSerializer,
    FeedbackSerializer,
    FeedbackUpdateSerializer,
    MeSerializer,
    PartnerSerializer,
    TierSerializer,
)
from partners.services import partner_update_cobranding, rating_save


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


# --- Feedback: ratings of library assets and campaign kits ------------------------------


class FeedbackPermission(permissions.BasePermission):
    """Every partner role rates (users and keys, for their own partner); a staff key
    rates for a partner it names; staff users read every rating with
    `partners.view_contentrating` and rate nothing (ratings are the partners' voice)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "is_staff_client", False):
            if isinstance(request.auth, PartnerAPIKey):
                return True
            self.message = _("Staff read ratings; partners give them.")
            return request.method in permissions.SAFE_METHODS and request.user.has_perm(
                "partners.view_contentrating"
            )
        return True


class FeedbackFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=[("asset", "asset"), ("kit", "kit")],
        method="filter_kind",
        help_text="Only ratings of assets, or of kits.",
    )
    asset = django_filters.UUIDFilter(field_name="asset__uuid", help_text="Asset UUID.")
    kit = django_filters.CharFilter(field_name="kit__slug", help_text="Kit slug.")
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")

    class Meta:
        model = ContentRating
        fields = ["kind", "asset", "kit", "partner"]

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"{value}__isnull": False})


@extend_validation_errors(
    ["required", "invalid", "does_not_exist"], field_name="partner", actions=["create"]
)
@extend_validation_errors(["invalid", "does_not_exist"], field_name="asset", actions=["create"])
@extend_validation_errors(["invalid", "does_not_exist"], field_name="kit", actions=["create"])
@extend_validation_errors(["invalid"], field_name="rating", actions=["create", "partial_update"])
@extend_validation_errors(["invalid"], field_name="comment", actions=["create", "partial_update"])
@extend_schema_view(
    list=extend_schema(
        summary="List ratings",
        description=(
            "A partner user or key sees the ratings it gave; staff see every partner's. "
            "Filter by `kind` (asset or kit), `asset` (UUID), `kit` (slug) and `partner` "
            "(slug or UUID). Newest change first."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one rating",
        description="By its id; a rating that is not the caller's answers 404.",
    ),
)
class FeedbackViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Ratings (1–5 and a comment) of library assets and campaign kits: one per caller
    and item. Writes call `partners.services.rating_save`, the portal's rule."""

    queryset = ContentRating.objects
    serializer_class = FeedbackSerializer
    permission_classes = [permissions.IsAuthenticated, FeedbackPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = FeedbackFilter
    ordering = ["-updated_at", "-id"]
    ordering_fields = ["updated_at", "rating"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        # A partner caller's own ratings; staff read everyone's, and change their own.
        if self.partner is not None or self.request.method not in permissions.SAFE_METHODS:
            queryset = queryset.filter(user=self.request.user)
        return queryset.select_related("partner", "asset", "kit")

    def _show(self, rating: ContentRating) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=rating.pk)).data

    @extend_schema(
        summary="Rate an asset or a kit",
        description=(
            "Gives the caller's rating (1–5) and comment of one `asset` (UUID) or one `kit` "
            "(slug). The caller's second rating of the same item changes the first (200); a "
            "new one answers 201. A partner caller rates for its own partner; a staff key "
            "must name `partner`. The item must be one the partner may see (else 400 on "
            "`asset` or `kit`, as for one that does not exist)."
        ),
        request=FeedbackCreateSerializer,
        responses={201: FeedbackSerializer, 200: FeedbackSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = FeedbackCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            rating, created = rating_save(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(
            self._show(rating), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Change a rating",
        description="Its `rating` and/or `comment`; only the caller's own ratings.",
        request=FeedbackUpdateSerializer,
        responses={200: FeedbackSerializer},
    )
    def partial_update(self, request: Request, id: str | None = None) -> Response:
        rating = self.get_object()
        assert isinstance(rating, ContentRating)
        serializer = FeedbackUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            rating, _created = rating_save(
                actor=request.user,  # type: ignore[arg-type]
                partner=rating.partner,
                asset=rating.asset,
                kit=rating.kit,
                rating=data.get("rating", rating.rating),
                comment=data.get("comment", rating.comment),
            )
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(self._show(rating))
