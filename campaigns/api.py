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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset
from campaigns import selectors, services
from campaigns.models import (
    ActionItem,
    BusinessReview,
    CampaignKit,
    Channel,
    Launch,
    Plan,
    PlanActivity,
    PlanPeriod,
    PlanTarget,
)
from campaigns.serializers import (
    KitSerializer,
    LaunchCreateSerializer,
    LaunchSerializer,
    LaunchUpdateSerializer,
    PlanActivitySerializer,
    PlanActivityWriteSerializer,
    PlanCreateSerializer,
    PlanDetailSerializer,
    PlanPeriodSerializer,
    PlanSerializer,
    PlanTargetActualSerializer,
    PlanTargetSerializer,
    PlanTargetWriteSerializer,
    PlanUpdateSerializer,
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
from partners.scoping import PartnerRefFilter, PartnerScopedAPIMixin

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
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")

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
            "channel, kit (slug) and partner (slug or UUID). Newest first."
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


# --- Joint marketing plans ----------------------------------------------------------------
#
# Plans are the partner's to write: partner admins and marketers (users or keys of that
# role) create them and change a draft, its targets and activities, and submit it;
# sales reps read. Staff read every partner's plans (keys always, users with
# `campaigns.view_plan`) and decide them on the staff pages: through the API they
# never write a partner's plan (403). Another partner's plan answers 404.


class PlanPermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        safe = request.method in permissions.SAFE_METHODS
        if getattr(view, "is_staff_client", False):
            self.message = "Plans are written by the partner; staff review them."
            if not safe:
                return False
            return isinstance(request.auth, PartnerAPIKey) or request.user.has_perm(
                "campaigns.view_plan"
            )
        if safe:
            return True
        self.message = "Only partner admins and marketers write plans."
        return getattr(view, "request_role", None) in WRITER_ROLES


class PlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Plan.Status.choices)
    period = django_filters.NumberFilter(field_name="period_id", help_text="Period id.")
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")

    class Meta:
        model = Plan
        fields = ["status", "period", "partner"]


def _plan_error(exc: DjangoValidationError) -> Exception:
    return as_api_validation_error(exc)


NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The target's number."
)
ACTIVITY = OpenApiParameter(
    "activity", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The activity's id."
)


@extend_validation_errors(
    ["required", "invalid", "does_not_exist"], field_name="partner", actions=["create"]
)
@extend_validation_errors(["invalid", "does_not_exist"], field_name="period", actions=["create"])
@extend_validation_errors(["invalid"], field_name="title", actions=["create", "partial_update"])
@extend_validation_errors(
    ["invalid"], field_name="objectives", actions=["create", "partial_update"]
)
@extend_validation_errors(["invalid"], field_name="status", actions=["partial_update", "submit"])
@extend_validation_errors(["invalid"], field_name="targets", actions=["submit"])
@extend_validation_errors(
    ["invalid"], field_name="measure", actions=["targets", "target"], methods=["post", "patch"]
)
@extend_validation_errors(
    ["invalid"], field_name="values", actions=["targets", "target"], methods=["post", "patch"]
)
@extend_validation_errors(
    ["invalid"], field_name="weight", actions=["targets", "target"], methods=["post", "patch"]
)
@extend_validation_errors(
    ["invalid"], field_name="currency", actions=["targets", "target", "activities", "activity"]
)
@extend_validation_errors(["invalid"], field_name="actual", actions=["target_actual"])
@extend_validation_errors(["invalid"], field_name="quarter", actions=["target_actual"])
@extend_validation_errors(
    ["invalid"],
    field_name="start_date",
    actions=["activities", "activity"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    ["invalid"],
    field_name="end_date",
    actions=["activities", "activity"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    ["invalid"], field_name="budget", actions=["activities", "activity"], methods=["post", "patch"]
)
@extend_validation_errors(
    ["invalid", "does_not_exist"],
    field_name="kit",
    actions=["activities", "activity"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    ["invalid", "does_not_exist"],
    field_name="launch",
    actions=["activities", "activity"],
    methods=["post", "patch"],
)
@extend_validation_errors(
    ["invalid", "does_not_exist"],
    field_name="fund_request",
    actions=["activities", "activity"],
    methods=["post", "patch"],
)
@extend_schema_view(
    list=extend_schema(
        summary="List joint marketing plans",
        description=(
            "Partner callers see their own; staff every partner's. Filter by `status`, "
            "`period` (id) and `partner` (slug or UUID). The latest period first."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one plan",
        description=(
            "By its UUID, with its targets, activities and scorecard; another partner's "
            "plan answers 404 like a missing one."
        ),
        responses={200: PlanDetailSerializer},
    ),
)
class PlanViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Plan.objects
    serializer_class = PlanSerializer
    permission_classes = [permissions.IsAuthenticated, PlanPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = PlanFilter
    ordering = ["-period__start", "partner__name", "id"]
    ordering_fields = ["updated_at", "status"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("partner", "period")

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return PlanDetailSerializer
        return super().get_serializer_class()

    def _show(self, plan: Plan, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=plan.pk)
        return Response(
            PlanDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def _plan(self) -> Plan:
        plan = self.get_object()
        assert isinstance(plan, Plan)
        return plan

    def _target(self, plan: Plan, number: str | None) -> PlanTarget:
        found = (
            PlanTarget.objects.filter(plan=plan, position=number).first()
            if (number or "").isdigit()
            else None
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def _activity(self, plan: Plan, activity: str | None) -> PlanActivity:
        try:
            return PlanActivity.objects.get(plan=plan, uuid=activity)
        except (PlanActivity.DoesNotExist, DjangoValidationError, ValueError, TypeError) as exc:
            raise exceptions.NotFound() from exc

    @extend_schema(
        summary="Start a plan",
        description=(
            "A draft plan for an open period (one per partner and period: a second is a 400 "
            "on `period`). Partner admins and marketers, for their own partner."
        ),
        request=PlanCreateSerializer,
        responses={201: PlanDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = PlanCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            plan = services.plan_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return self._show(plan, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a plan's title or objectives",
        description=(
            "While it is a draft, has changes requested, or is approved (an edit of an "
            "approved plan starts a new revision, to be approved again). A submitted or "
            "closed plan: 400 on `status`."
        ),
        request=PlanUpdateSerializer,
        responses={200: PlanDetailSerializer},
    )
    def partial_update(self, request: Request, id: str | None = None) -> Response:
        plan = self._plan()
        serializer = PlanUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            plan = services.plan_update(plan=plan, actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return self._show(plan)

    @extend_schema(
        summary="Submit a plan for review",
        description=(
            "A draft (or a plan with changes requested) with at least one target goes to "
            "its reviewer, frozen as a revision."
        ),
        request=None,
        responses={200: PlanDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id: str | None = None) -> Response:
        plan = self._plan()
        try:
            plan = services.plan_submit(plan=plan, actor=request.user)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return self._show(plan)

    @extend_schema(
        methods=["get"],
        summary="List a plan's targets",
        request=None,
        responses={200: PlanTargetSerializer(many=True)},
    )
    @extend_schema(
        methods=["post"],
        summary="Add a target",
        description=(
            "A KPI (`leads`, `mqls`, `opportunities`, `won`, `pipeline`, `revenue`, "
            "`clicks`, `downloads`, `mdf_utilisation`: its actuals come from the results) "
            "or `custom` (named; actuals entered). One value per quarter of the period, "
            "each ≥ 0 with two decimals at most; a weight > 0; a currency for pipeline and "
            "revenue only."
        ),
        request=PlanTargetWriteSerializer,
        responses={201: PlanTargetSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def targets(self, request: Request, id: str | None = None) -> Response:
        plan = self._plan()
        if request.method == "GET":
            return Response(PlanTargetSerializer(selectors.plan_targets(plan=plan), many=True).data)
        serializer = PlanTargetWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            target = services.target_add(plan=plan, actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return Response(self._target_data(plan, target), status=status.HTTP_201_CREATED)

    def _target_data(self, plan: Plan, target: PlanTarget) -> Any:
        fresh = next(t for t in selectors.plan_targets(plan=plan) if t.pk == target.pk)
        return PlanTargetSerializer(fresh).data

    @extend_schema(
        methods=["patch"],
        summary="Change a target",
        parameters=[NUMBER],
        request=PlanTargetWriteSerializer(partial=True),
        responses={200: PlanTargetSerializer},
    )
    @extend_schema(
        methods=["delete"],
        summary="Remove a target",
        parameters=[NUMBER],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"targets/(?P<number>[0-9]+)",
        url_name="target",
        filterset_class=None,
    )
    def target(
        self, request: Request, id: str | None = None, number: str | None = None
    ) -> Response:
        plan = self._plan()
        target = self._target(plan, number)
        try:
            if request.method == "DELETE":
                services.target_remove(target=target, actor=request.user)  # type: ignore[arg-type]
                return Response(status=status.HTTP_204_NO_CONTENT)
            serializer = PlanTargetWriteSerializer(
                data=request.data, partial=True, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            target = services.target_update(
                target=target, actor=request.user, **serializer.validated_data
            )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return Response(self._target_data(plan, target))

    @extend_schema(
        summary="Enter a custom target's actual",
        description=(
            "For one quarter (1 = the period's first); null clears it. Custom targets only: "
            "a KPI's actuals come from the results (400 on `actual`). Who and when are "
            "recorded; the plan keeps its revision."
        ),
        parameters=[NUMBER],
        request=PlanTargetActualSerializer,
        responses={200: PlanTargetSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"targets/(?P<number>[0-9]+)/actual",
        url_name="target-actual",
        filterset_class=None,
    )
    def target_actual(
        self, request: Request, id: str | None = None, number: str | None = None
    ) -> Response:
        plan = self._plan()
        target = self._target(plan, number)
        serializer = PlanTargetActualSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.custom_actual_set(
                target=target, actor=request.user, **serializer.validated_data
            )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return Response(self._target_data(plan, target))

    @extend_schema(
        methods=["get"],
        summary="List a plan's activities",
        request=None,
        responses={200: PlanActivitySerializer(many=True)},
    )
    @extend_schema(
        methods=["post"],
        summary="Add an activity",
        description=(
            "Dates inside the plan's period; a budget ≥ 0 with its currency; optionally the "
            "kit (slug) or your launch (tracking code) that runs it and your fund request "
            "(UUID) that pays for it: another partner's, or a kit not meant for you, is a "
            "400 saying it does not exist."
        ),
        request=PlanActivityWriteSerializer,
        responses={201: PlanActivitySerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def activities(self, request: Request, id: str | None = None) -> Response:
        plan = self._plan()
        if request.method == "GET":
            return Response(
                PlanActivitySerializer(selectors.plan_activities(plan=plan), many=True).data
            )
        serializer = PlanActivityWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            activity = services.activity_add(
                plan=plan, actor=request.user, **serializer.validated_data
            )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return Response(PlanActivitySerializer(activity).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["patch"],
        summary="Change an activity",
        description=(
            "Its fields (the rules of adding one) and/or its `status` (planned, in "
            "progress, done, cancelled: execution, which keeps the plan's revision). All "
            "or nothing."
        ),
        parameters=[ACTIVITY],
        request=PlanActivityWriteSerializer(partial=True),
        responses={200: PlanActivitySerializer},
    )
    @extend_schema(
        methods=["delete"],
        summary="Remove an activity",
        parameters=[ACTIVITY],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"activities/(?P<activity>[0-9a-fA-F-]{36})",
        url_name="activity",
        filterset_class=None,
    )
    def activity(
        self, request: Request, id: str | None = None, activity: str | None = None
    ) -> Response:
        plan = self._plan()
        found = self._activity(plan, activity)
        try:
            if request.method == "DELETE":
                services.activity_remove(activity=found, actor=request.user)  # type: ignore[arg-type]
                return Response(status=status.HTTP_204_NO_CONTENT)
            serializer = PlanActivityWriteSerializer(
                data=request.data, partial=True, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            new_status = data.pop("status", None)
            with transaction.atomic():
                if data:
                    found = services.activity_update(activity=found, actor=request.user, **data)  # type: ignore[arg-type]
                if new_status is not None:
                    found = services.activity_set_status(
                        activity=found,
                        status=new_status,
                        actor=request.user,  # type: ignore[arg-type]
                    )
        except DjangoValidationError as exc:
            raise _plan_error(exc) from exc
        return Response(PlanActivitySerializer(self._activity(plan, str(found.uuid))).data)


@extend_schema_view(
    list=extend_schema(
        summary="List the planning periods open for plans",
        description="Quarters, halves and years staff opened; the soonest first.",
    )
)
class PlanPeriodViewSet(PartnerScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Vendor-wide reference data (like tiers): every caller sees the open periods."""

    queryset = PlanPeriod.objects.filter(is_open=True)
    partner_field = None
    serializer_class = PlanPeriodSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    ordering = ["start", "kind"]
    http_method_names = ["get", "head", "options"]


# --- business reviews (read only) ----------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BusinessReview.Status.choices)
    plan = django_filters.UUIDFilter(field_name="plan__uuid", help_text="The plan's UUID.")
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")

    class Meta:
        model = BusinessReview
        fields = ["status", "plan", "partner"]


@extend_schema_view(
    list=extend_schema(
        summary="List business reviews",
        description=(
            "Reviews of joint marketing plans with their action items. Partner callers see "
            "their own; staff see every partner's. Filter by status, plan (UUID) and partner "
            "(slug or UUID). Latest first. A held review carries the scorecard frozen when it "
            "was held."
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
