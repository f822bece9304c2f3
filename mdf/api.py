"""The MDF API: balances, fund requests and claims, for partners (own) and staff (all).

Every view is a `PartnerScopedAPIMixin`: a partner caller's querysets hold only its
rows (another partner's object is a 404, its ids in input "do not exist"), staff
act across partners. Writes call mdf.services only; their ValidationErrors, keyed by
field, become 400s naming the field. Every POST accepts `Idempotency-Key`
(config.idempotency): a replay returns the first answer and changes nothing.

Who may write: partner admins and marketers (sessions) and partner API keys, for
their partner; staff API keys for any partner (naming it on creates); staff users
holding `mdf.add_fundrequest` / `mdf.add_claim`, recorded by the services as acting
on the partner's behalf. Partner sales reps and other staff only read. A partner key
may do what its role may (partner admin or marketer: write; sales rep: read); an API
key acts as its own user (partners.models.PartnerAPIKey), so the trails name the key.
Drafts (and returned claims) are changed with PATCH; proof is added to a claim and
removed from it under /claims/<id>/proof/.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import as_api_validation_error
from config.idempotency import (
    HEADER,
    IDEMPOTENCY_KEY_PARAMETER,
    ErrorResponse422Serializer,
    idempotent,
    replayed_header,
)
from mdf import selectors, services
from mdf.models import ActivityType, Allocation, Claim, ClaimProof, FundRequest, ProofKind
from mdf.serializers import (
    ActivityTypeSerializer,
    BalancesSerializer,
    ClaimCreateErrorResponse400Serializer,
    ClaimCreateSerializer,
    ClaimCreateWithFilesSerializer,
    ClaimProofUploadSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    FundRequestCreateSerializer,
    FundRequestSerializer,
    FundRequestUpdateSerializer,
    balance_totals,
)
from partners.models import Membership, PartnerAPIKey
from partners.scoping import PartnerScopedAPIMixin

WRITER_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})


class MDFPermission(permissions.BasePermission):
    """Reads: partner callers (own rows, by the queryset), staff keys, staff users with
    the view's `staff_read_permission`. Writes: partner admins and marketers (users or
    keys with that role), staff keys, staff users with `staff_write_permission`."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        safe = request.method in permissions.SAFE_METHODS
        is_key = isinstance(request.auth, PartnerAPIKey)
        if getattr(view, "is_staff_client", False):
            if is_key:
                return True
            perm = view.staff_read_permission if safe else view.staff_write_permission  # type: ignore[attr-defined]
            self.message = _("Your staff role does not allow this (needs %(perm)s).") % {
                "perm": perm
            }
            return request.user.has_perm(perm)
        if safe:
            return True
        self.message = _("Only partner admins and marketers can request and claim funds.")
        return getattr(view, "request_role", None) in WRITER_ROLES


class MDFViewMixin:
    """Shared by the MDF views: who acts, and service errors as 400s."""

    request: Request
    staff_read_permission = ""
    staff_write_permission = ""

    def acting_user(self) -> User:
        """Who the services record: the session user, or the API key's own user."""
        return self.request.user  # type: ignore[return-value]


def _service_error(exc: DjangoValidationError, rename: dict[str, str] | None = None):
    error = as_api_validation_error(exc)
    if rename and isinstance(error.detail, dict):
        error.detail = {rename.get(field, field): value for field, value in error.detail.items()}
    return error


def proof_uploads(data: dict) -> list[tuple[ProofKind, UploadedFile]]:
    """The (proof kind, file) pairs of a validated upload, in the order sent."""
    return [(kind, upload) for _field, kind, uploads in data["proofs"] for upload in uploads]


# --- balances -----------------------------------------------------------------------


class BalanceFilter(django_filters.FilterSet):
    partner = django_filters.UUIDFilter(field_name="partner__uuid", help_text="Partner UUID.")
    pool = django_filters.UUIDFilter(field_name="pool__uuid", help_text="Fund pool UUID.")

    class Meta:
        model = Allocation
        fields = ["partner", "pool"]


@extend_schema_view(
    get=extend_schema(
        summary="Fund balances",
        description=(
            "Per allocation: its pool, deadlines and buckets (allocated, committed, spent, "
            "paid ⊆ spent, expired, carried_over; available = allocated − committed − spent "
            "− expired − carried_over), and totals per currency. Partner callers see their "
            "own allocations; staff see every partner's, narrowed with `?partner=<uuid>` "
            "and `?pool=<uuid>`."
        ),
        responses=BalancesSerializer,
    )
)
class BalanceView(PartnerScopedAPIMixin, MDFViewMixin, GenericAPIView):
    queryset = Allocation.objects
    serializer_class = BalancesSerializer
    permission_classes = [permissions.IsAuthenticated, MDFPermission]
    staff_read_permission = "mdf.view_allocation"
    filter_backends = [DjangoFilterBackend]
    filterset_class = BalanceFilter
    pagination_class = None

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("pool", "partner").order_by(
            "-pool__period_start", "pool__name", "partner__name", "pk"
        )

    def get(self, request: Request) -> Response:
        allocations = list(self.filter_queryset(self.get_queryset()))
        data = {"allocations": allocations, "totals": balance_totals(allocations)}
        return Response(BalancesSerializer(data, context=self.get_serializer_context()).data)


# --- activity types ---------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List the activity types",
        description=(
            "Every activity type a request can name (by `slug`), with the proof kinds a "
            "claim of that type must include and the multipart field each is sent in "
            "(`proof_<slug>`). Partners see the types still offered; staff also see "
            "retired ones (`active: false`), which requests made earlier keep."
        ),
    )
)
class ActivityTypeViewSet(
    PartnerScopedAPIMixin, MDFViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """The activity types: a shared catalogue (staff maintain it), not partner-owned."""

    queryset = ActivityType.objects.all()
    partner_field = None
    serializer_class = ActivityTypeSerializer
    permission_classes = [permissions.IsAuthenticated, MDFPermission]
    staff_read_permission = "mdf.view_activitytype"
    pagination_class = None
    filter_backends: list = []

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.partner is not None:
            return selectors.activity_types_offered().order_by("name", "pk")
        return queryset.prefetch_related("proof_kinds").order_by("name", "pk")


# --- fund requests --------------------------------------------------------------------


class FundRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FundRequest.Status.choices)
    pool = django_filters.UUIDFilter(field_name="allocation__pool__uuid", help_text="Pool UUID.")
    allocation = django_filters.UUIDFilter(
        field_name="allocation__uuid", help_text="Allocation UUID."
    )
    partner = django_filters.UUIDFilter(
        field_name="partner__uuid", help_text="Partner UUID (useful to staff)."
    )
    activity_type = django_filters.CharFilter(
        field_name="activity_type__slug", help_text="Activity type slug."
    )

    class Meta:
        model = FundRequest
        fields = ["status", "pool", "allocation", "partner", "activity_type"]


def _write_schema(
    summary: str,
    description: str,
    ok: int,
    body: Any,
    request: Any = None,
    errors: dict[int, Any] | None = None,
):
    """An idempotent POST: the Idempotency-Key header, the replay header, the 422."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={ok: body, 422: ErrorResponse422Serializer, **(errors or {})},
        parameters=[IDEMPOTENCY_KEY_PARAMETER, replayed_header(ok)],
    )


@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(["required"], field_name="partner", actions=["create"])
@extend_validation_errors(["invalid"], field_name="status", actions=["submit", "cancel"])
@extend_validation_errors(["invalid"], field_name="status", actions=["partial_update"])
@extend_validation_errors(
    ["invalid"], field_name="activity_start", actions=["submit"], methods=["post"]
)
@extend_validation_errors(
    ["invalid"], field_name="requested_amount", actions=["submit"], methods=["post"]
)
@extend_schema_view(
    list=extend_schema(
        summary="List fund requests",
        description=(
            "Partner callers see their own; staff see every partner's. Filter by status, "
            "pool, allocation, partner (UUIDs) and activity_type (slug); search the title; "
            "order by created_at, submitted_at, activity_start, requested_amount or status."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one fund request",
        description="By its UUID; another partner's answers 404 like a missing one.",
    ),
)
class FundRequestViewSet(
    PartnerScopedAPIMixin,
    MDFViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Fund requests (pre-approval of an activity's cost)."""

    queryset = FundRequest.objects
    serializer_class = FundRequestSerializer
    permission_classes = [permissions.IsAuthenticated, MDFPermission]
    staff_read_permission = "mdf.view_fundrequest"
    staff_write_permission = "mdf.add_fundrequest"
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = FundRequestFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "submitted_at", "activity_start", "requested_amount", "status"]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "partner", "allocation__pool", "activity_type"
        ).prefetch_related("activity_type__proof_kinds")

    def _show(self, fund_request: FundRequest) -> dict:
        fresh = self.get_queryset().get(pk=fund_request.pk)
        return self.get_serializer(fresh).data

    @_write_schema(
        "Draft a fund request",
        "Creates a draft (nothing is committed until it is submitted and approved). "
        "`requested_amount` and `expected_pipeline` are decimal strings. A partner may "
        "name only its own allocation; staff must name `partner`, and the allocation must "
        "be that partner's. An allocation that is not the partner's answers 400 on "
        "`allocation` exactly like one that does not exist.",
        201,
        FundRequestSerializer,
        request=FundRequestCreateSerializer,
    )
    @idempotent
    def create(self, request: Request) -> Response:
        actor = self.acting_user()
        serializer = FundRequestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            fund_request = services.request_create(actor=actor, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(fund_request), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft request",
        description=(
            "Changes any of the draft's activity type, title, description, dates, "
            "requested amount and expected results; the fields not sent stay as they "
            "are. The request as changed passes the same checks as a new one (400 "
            "naming the field). Only a draft can be changed (else 400 on `status`); its "
            "partner and allocation never change. Staff are recorded as acting on the "
            "partner's behalf."
        ),
        request=FundRequestUpdateSerializer,
        responses={200: FundRequestSerializer},
    )
    def partial_update(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        fund_request = self.get_object()
        serializer = FundRequestUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.request_update(
                fund_request=fund_request, actor=actor, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(fund_request))

    @_write_schema(
        "Submit a draft request",
        "Submits the draft for decision: before the pool's request deadline and before "
        "the activity starts, and the fund's share must fit in what is available now. "
        "Staff submitting are recorded as acting on the partner's behalf.",
        200,
        FundRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        fund_request = self.get_object()
        try:
            services.request_submit(fund_request=fund_request, actor=actor)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(fund_request))

    @_write_schema(
        "Cancel a request",
        "Withdraws a request that is not decided yet; nothing was committed, nothing moves.",
        200,
        FundRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        fund_request = self.get_object()
        try:
            services.request_cancel(fund_request=fund_request, actor=actor)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(fund_request))


# --- claims ---------------------------------------------------------------------------


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)
    request = django_filters.UUIDFilter(field_name="request__uuid", help_text="Request UUID.")
    pool = django_filters.UUIDFilter(
        field_name="request__allocation__pool__uuid", help_text="Pool UUID."
    )
    partner = django_filters.UUIDFilter(
        field_name="partner__uuid", help_text="Partner UUID (useful to staff)."
    )

    class Meta:
        model = Claim
        fields = ["status", "request", "pool", "partner"]


@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(["invalid"], field_name="status", actions=["submit"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="proofs", actions=["submit"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="request", actions=["submit"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="amount", actions=["submit"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="status", actions=["partial_update"])
@extend_validation_errors(["invalid"], field_name="request", actions=["partial_update"])
@extend_validation_errors(["invalid"], field_name="status", actions=["remove_proof"])
@extend_validation_errors(["invalid"], field_name="proof", actions=["remove_proof"])
@extend_schema_view(
    list=extend_schema(
        summary="List claims",
        description=(
            "Partner callers see their own; staff see every partner's. Filter by status, "
            "request, pool and partner (UUIDs); order by created_at, submitted_at, amount "
            "or status."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one claim",
        description="By its UUID; another partner's answers 404 like a missing one.",
    ),
)
class ClaimViewSet(
    PartnerScopedAPIMixin,
    MDFViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Claims against approved requests, with proof of performance."""

    queryset = Claim.objects
    serializer_class = ClaimSerializer
    permission_classes = [permissions.IsAuthenticated, MDFPermission]
    staff_read_permission = "mdf.view_claim"
    staff_write_permission = "mdf.add_claim"
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = ClaimFilter
    ordering_fields = ["created_at", "submitted_at", "amount", "status"]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(
            "partner", "request__allocation__pool", "request__activity_type"
        ).prefetch_related(
            Prefetch("proofs", queryset=ClaimProof.objects.select_related("proof_kind")),
            "request__activity_type__proof_kinds",
        )

    def _show(self, claim: Claim) -> dict:
        fresh = self.get_queryset().get(pk=claim.pk)
        return self.get_serializer(fresh).data

    @_write_schema(
        "Claim an approved request, with proof",
        "One multipart/form-data request: the claim's fields plus one file per proof kind "
        "in a field named `proof_<slug>` (e.g. `proof_invoice`, `proof_attendees`; the "
        "request's `required_proof` lists the slugs). Each file passes the upload "
        "validator (type from content, size limit). With `submit=true` the claim is "
        "submitted in the same call. All or nothing: any error (400 naming the field) "
        "leaves no claim and no file behind. JSON is accepted for claims without files. "
        "Staff must name `partner`; the request must be that partner's.",
        201,
        ClaimSerializer,
        request={
            "multipart/form-data": ClaimCreateWithFilesSerializer,
            "application/json": ClaimCreateSerializer,
        },
        errors={400: ClaimCreateErrorResponse400Serializer},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        actor = self.acting_user()
        serializer = ClaimCreateWithFilesSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            claim = services.claim_create_with_proof(
                fund_request=data["request"],
                amount=data["amount"],
                actor=actor,
                proofs=proof_uploads(data),
                submit=data["submit"],
                actual_leads=data["actual_leads"],
                actual_pipeline=data["actual_pipeline"],
                results_note=data["results_note"],
            )
        except DjangoValidationError as exc:
            raise _service_error(exc, {NON_FIELD_ERRORS: "non_field_errors"}) from exc
        return Response(self._show(claim), status=status.HTTP_201_CREATED)

    @_write_schema(
        "Submit a claim",
        "Submits a draft (or returned) claim for finance's decision: every proof its "
        "activity type requires must have a file (else 400 on `proofs`), after the "
        "activity and before the claim deadline, within what is still claimable.",
        200,
        ClaimSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        claim = self.get_object()
        try:
            services.claim_submit(claim=claim, actor=actor)
        except DjangoValidationError as exc:
            raise _service_error(exc, {"file": "proofs"}) from exc
        return Response(self._show(claim))

    @extend_schema(
        summary="Change a draft or returned claim",
        description=(
            "Changes the claimed amount and results of a draft claim, or of one returned "
            "for more proof; the fields not sent stay as they are. The same checks as a "
            "new claim: after the activity and before the claim deadline, within what is "
            "still claimable on the request besides this claim (400 naming the field). "
            "Any other claim: 400 on `status`."
        ),
        request=ClaimUpdateSerializer,
        responses={200: ClaimSerializer},
    )
    def partial_update(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        claim = self.get_object()
        serializer = ClaimUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.claim_update(claim=claim, actor=actor, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(claim))

    @_write_schema(
        "Add proof to a claim",
        "Adds proof files to a draft or returned claim, so it can be (re)submitted: "
        "multipart/form-data with one or more files, each in a field named "
        "`proof_<slug>` (GET /api/v1/mdf/activity-types/ lists the kinds; the claim's "
        "`missing_proof` says which are still needed). Each file passes the upload "
        "validator (type from content, size limit). All or nothing: any error (400 "
        "naming the proof field) leaves no file behind.",
        201,
        ClaimSerializer,
        request={"multipart/form-data": ClaimProofUploadSerializer},
        errors={400: ClaimCreateErrorResponse400Serializer},
    )
    @action(detail=True, methods=["post"], url_path="proof", url_name="proof")
    @idempotent
    def proof(self, request: Request, id: str | None = None) -> Response:
        actor = self.acting_user()
        claim = self.get_object()
        serializer = ClaimProofUploadSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.claim_attach_proofs(
                claim=claim, proofs=proof_uploads(serializer.validated_data), actor=actor
            )
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(self._show(claim), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a proof file from a claim",
        description=(
            "Removes one proof file (by its id, from the claim's `proofs`) from a draft "
            "or returned claim; any other claim: 400 on `status`. Another claim's or "
            "partner's file answers 404."
        ),
        parameters=[
            OpenApiParameter(
                "proof_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Proof id."
            )
        ],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"proof/(?P<proof_id>[^/.]+)",
        url_name="proof-remove",
    )
    def remove_proof(
        self, request: Request, id: str | None = None, proof_id: str | None = None
    ) -> Response:
        actor = self.acting_user()
        claim = self.get_object()
        try:
            proof = ClaimProof.objects.get(claim=claim, uuid=proof_id)
        except (ClaimProof.DoesNotExist, DjangoValidationError, ValueError, TypeError) as exc:
            raise exceptions.NotFound() from exc
        try:
            services.claim_remove_proof(proof=proof, actor=actor)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
