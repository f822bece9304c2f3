"""The campaigns API: the kits available to the caller, and launches (list, create,
read, change status, name and notes), named by tracking code.

Every view is a `PartnerScopedAPIMixin`: a partner caller sees the kits of its
audience and its own launches (another partner's launch is a 404, a kit outside
its audience "does not exist"); staff keys read every published kit and every
launch and create launches for a partner they name. Writes call
campaigns.services; their ValidationErrors, keyed by field, become 400s.

Who may write launches: partner admins and marketers (sessions) and partner API
keys of those roles, for their partner; staff API keys for any partner. Sales reps
and staff users read (staff users with `campaigns.view_*`).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset
from campaigns import selectors, services
from campaigns.models import ActionItem, BusinessReview, CampaignKit, Channel, Launch
from campaigns.serializers import (
    KitSerializer,
    LaunchCreateSerializer,
    LaunchSerializer,
    LaunchUpdateSerializer,
    ReviewSerializer,
)
from config.api import as_api_validation_error
from config.idempotency import (
    HEADER,
    IDEMPOTENCY_KEY_PARAMETER,
    ErrorResponse422Serializer,
    idempotent,
    replayed_header,
)
from partners.models import Membership, PartnerAPIKey
from partners.scoping import PartnerScopedAPIMixin

WRITER_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})


class CampaignPermission(permissions.BasePermission):
    """Reads: partner callers (their audience / own rows, by the queryset), staff keys,
    staff users with the view's `staff_read_permission`. Writes: partner admins and
    marketers (users or keys of that role) and staff keys."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        safe = request.method in permissions.SAFE_METHODS
        if getattr(view, "is_staff_client", False):
            if isinstance(request.auth, PartnerAPIKey):
                return True
            self.message = "Your staff role does not allow this."
            return safe and request.user.has_perm(view.staff_read_permission)  # type: ignore[attr-defined]
        if safe:
            return True
        self.message = "Only partner admins and marketers can launch campaigns."
        return getattr(view, "request_role", None) in WRITER_ROLES


class KitFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, method="filter_channel", help_text="A channel the kit offers."
    )
    search = django_filters.CharFilter(
        method="filter_search", help_text="Words found in the name or the description."
    )
    objective = django_filters.ChoiceFilter(choices=CampaignKit.Objective.choices)
    mdf_eligible = django_filters.BooleanFilter()

    class Meta:
        model = CampaignKit
        fields = ["channel", "search", "objective", "mdf_eligible"]

    def filter_channel(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.kits_search(queryset, channel=value)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.kits_search(queryset, search=value)


@extend_schema_view(
    list=extend_schema(
        summary="List the campaign kits available to the caller",
        description=(
            "A partner key or user sees the published kits meant for its partner (the "
            "content library's audience rules); staff see every published kit. Filter by "
            "`channel`, `objective`, `mdf_eligible`; `search` finds words in the name and "
            "description. Newest first. `assets` lists the bundled assets the caller may see."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one campaign kit",
        description="By its slug. A kit not available to the caller answers 404.",
    ),
)
class KitViewSet(
    PartnerScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Shared content: narrowed to `available_to(partner)` for partner callers."""

    queryset = CampaignKit.objects.all()
    partner_field = None  # shared content: the audience rule decides
    serializer_class = KitSerializer
    permission_classes = [permissions.IsAuthenticated, CampaignPermission]
    staff_read_permission = "campaigns.view_campaignkit"
    lookup_field = "slug"
    lookup_url_kwarg = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = KitFilter
    ordering = ["-published_at", "-id"]
    ordering_fields = ["published_at", "start_date", "name"]
    http_method_names = ["get", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.partner is not None:
            queryset = queryset.available_to(self.partner)
            visible = Asset.objects.available_to(self.partner)
        else:
            queryset = queryset.published()
            visible = Asset.objects.all()
        return queryset.prefetch_related(
            Prefetch("assets", visible.order_by("title", "id"), to_attr="visible_assets")
        )


class LaunchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Launch.Status.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    kit = django_filters.CharFilter(field_name="kit__slug", help_text="Kit slug.")
    partner = django_filters.CharFilter(
        field_name="partner__slug", help_text="Partner slug (useful to staff)."
    )

    class Meta:
        model = Launch
        fields = ["status", "channel", "kit", "partner"]


# Errors raised past the serializers' own fields (the services', the header's, the
# partner a staff key must name), documented so the schema says what a client gets.
@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(
    ["required", "invalid", "does_not_exist"], field_name="partner", actions=["create"]
)
@extend_validation_errors(["invalid", "does_not_exist"], field_name="kit", actions=["create"])
@extend_validation_errors(["invalid"], field_name="channel", actions=["create"])
@extend_validation_errors(["invalid"], field_name="start_date", actions=["create"])
@extend_validation_errors(["invalid"], field_name="end_date", actions=["create"])
@extend_validation_errors(["invalid"], field_name="name", actions=["create", "partial_update"])
@extend_validation_errors(["invalid"], field_name="notes", actions=["create", "partial_update"])
@extend_validation_errors(["invalid"], field_name="status", actions=["partial_update"])
@extend_schema_view(
    list=extend_schema(
        summary="List launches",
        description=(
            "Partner callers see their own; staff see every partner's. Filter by status, "
            "channel, kit (slug) and partner (slug). Newest first."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one launch",
        description="By its tracking code; another partner's answers 404 like a missing one.",
    ),
)
class LaunchViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Launch.objects
    serializer_class = LaunchSerializer
    permission_classes = [permissions.IsAuthenticated, CampaignPermission]
    staff_read_permission = "campaigns.view_launch"
    lookup_field = "code"
    lookup_url_kwarg = "code"
    lookup_value_regex = r"[0-9A-Za-z]{1,16}"
    filterset_class = LaunchFilter
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at", "start_date", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("partner", "kit")

    def _show(self, launch: Launch) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=launch.pk)).data

    @extend_schema(
        summary="Launch a kit",
        description=(
            "Creates a planned launch with its own tracking link. A partner caller launches "
            "for its own partner; a staff key must name `partner` (slug or UUID). The kit "
            "must be published and meant for the partner (else 400 on `kit`, as for a kit "
            "that does not exist); the channel one the kit offers; the end not before the "
            "start."
        ),
        request=LaunchCreateSerializer,
        responses={201: LaunchSerializer, 422: ErrorResponse422Serializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER, replayed_header(201)],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = LaunchCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            launch = services.launch_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(self._show(launch), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a launch",
        description=(
            "Moves its `status` along planned → active → paused → completed (paused → "
            "active resumes; a completed launch stays completed: else 400 on `status`), "
            "and/or changes its `name` or `notes`. All or nothing."
        ),
        request=LaunchUpdateSerializer,
        responses={200: LaunchSerializer},
    )
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        launch = self.get_object()
        assert isinstance(launch, Launch)
        serializer = LaunchUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        new_status = data.pop("status", None)
        try:
            with transaction.atomic():
                if data:
                    launch = services.launch_update(launch=launch, actor=request.user, **data)  # type: ignore[arg-type]
                if new_status is not None and new_status != launch.status:
                    launch = services.launch_set_status(
                        launch=launch,
                        status=new_status,
                        actor=request.user,  # type: ignore[arg-type]
                    )
        except DjangoValidationError as exc:
            raise as_api_validation_error(exc) from exc
        return Response(self._show(launch))


# --- business reviews (read only) ----------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BusinessReview.Status.choices)
    plan = django_filters.UUIDFilter(field_name="plan__uuid", help_text="The plan's UUID.")
    partner = django_filters.CharFilter(
        field_name="partner__slug", help_text="Partner slug (useful to staff)."
    )

    class Meta:
        model = BusinessReview
        fields = ["status", "plan", "partner"]


@extend_schema_view(
    list=extend_schema(
        summary="List business reviews",
        description=(
            "Reviews of joint marketing plans with their action items. Partner callers see "
            "their own; staff see every partner's. Filter by status, plan (UUID) and partner "
            "(slug). Latest first. A held review carries the scorecard frozen when it was held."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one business review",
        description="By its UUID; another partner's answers 404 like a missing one.",
    ),
)
class ReviewViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = BusinessReview.objects
    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticated, CampaignPermission]
    staff_read_permission = "campaigns.view_businessreview"
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = ReviewFilter
    ordering = ["-scheduled_at", "-id"]
    ordering_fields = ["scheduled_at", "status"]
    http_method_names = ["get", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("partner", "plan").prefetch_related(
            "attendees",
            Prefetch(
                "action_items",
                ActionItem.objects.select_related("owner").order_by("due_date", "id"),
            ),
        )
