"""The deals API: deal registrations, leads offered to partners, protected accounts.

Every view is a `PartnerScopedAPIMixin`: a partner caller's querysets hold only its
rows (another partner's registration or offer is a 404, its partner "does not
exist" in a body); staff act across partners. Writes call deals.services only; their
ValidationErrors, keyed by field, become 400s naming the field, except a refusal
because of the object's state (`status`: closing a deal under review, accepting a lead
no longer offered) which is a 409. Every POST accepts `Idempotency-Key`.

What a partner never reads here: a registration's conflicts (another partner's
registration of the same customer, a protected account), who decided it, the events
staff keep to themselves, a lead's routing history or any other partner's offer. Its
status says "submitted" (under review) whatever staff are looking at.

Who may do what:
- deals: partner admins and sales reps (users or keys of those roles) register,
  move the stage, close and ask for an extension, for their partner; marketers read.
  Staff keys and staff users with `deals.view_deal` read every partner's. A staff key
  (the vendor's CRM) registers for the partner it names in `partner`, which a partner
  caller may leave out or set to its own (`deals.services.registration_partner`, the
  results sync's rule). Deals are otherwise the partner's to work and staff decide
  them in the admin, so every other staff write here answers 403.
- leads: partner admins and sales reps accept or decline their partner's offers;
  marketers read. Staff keys (and staff users with `deals.add_lead`) hand leads out;
  staff users read every offer with `deals.view_leadoffer`. Only the partner offered
  a lead answers it.
- protected accounts: staff only (keys; users with the `deals.*_protectedaccount`
  permission of the method). Partner callers are refused (403) whatever they ask.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
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
from deals import services
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    Lead,
    LeadOffer,
    ProtectedAccount,
)
from deals.serializers import (
    DealCloseSerializer,
    DealCreateSerializer,
    DealDetailSerializer,
    DealExtensionRequestSerializer,
    DealSerializer,
    DealStageSerializer,
    ErrorResponse409Serializer,
    LeadCreateSerializer,
    LeadDeclineSerializer,
    LeadOfferSerializer,
    LeadSerializer,
    ProtectedAccountCreateSerializer,
    ProtectedAccountSerializer,
    StaffDealDetailSerializer,
    StaffDealSerializer,
    StaffLeadOfferSerializer,
)
from deals.services.lead_intake import lead_receive
from deals.services.protected_accounts import protected_account_add, protected_account_remove
from partners.models import Partner, PartnerAPIKey
from partners.scoping import PartnerRefFilter, PartnerScopedAPIMixin


class WrongState(exceptions.APIException):
    """The object is not in a state that allows the request (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "wrong_state"
    default_detail = _("This cannot be done in the current state.")


def service_error(exc: DjangoValidationError) -> exceptions.APIException:
    """A service's refusal: `status` (the object's state) is a 409 with its message,
    anything else a 400 naming the field, with the code the service gave (`required`,
    `does_not_exist`; `invalid` when it gave none)."""
    if not hasattr(exc, "error_dict"):
        return as_api_validation_error(exc)
    if "status" in exc.error_dict:
        messages = [message for error in exc.error_dict["status"] for message in error.messages]
        return WrongState(" ".join(messages))
    return serializers.ValidationError(
        {
            field: [
                serializers.ErrorDetail(message, code=error.code or "invalid")
                for error in errors
                for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    )


def _is_key(request: Request) -> bool:
    return isinstance(request.auth, PartnerAPIKey)


def _post_schema(
    summary: str, description: str, ok: int, body: Any, request: Any = None, conflict=True
):
    """An idempotent POST: the Idempotency-Key header, the replay header, 409 and 422."""
    responses: dict[int, Any] = {ok: body, 422: ErrorResponse422Serializer}
    if conflict:
        responses[409] = ErrorResponse409Serializer
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses=responses,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, replayed_header(ok)],
    )


# --- deals --------------------------------------------------------------------------


class DealPermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        safe = request.method in permissions.SAFE_METHODS
        if getattr(view, "is_staff_client", False):
            if not safe:
                # The vendor's CRM registers for the partner it names; for which ones
                # is deals.services.registration_partner's rule.
                if _is_key(request) and getattr(view, "action", None) == "create":
                    return True
                self.message = _(
                    "Deals are worked by the partner; staff decide them in the admin "
                    "(a staff integration key may register one for a partner)."
                )
                return False
            if _is_key(request):
                return True
            self.message = _("Your staff role does not allow this (needs deals.view_deal).")
            return request.user.has_perm("deals.view_deal")
        if safe:
            return True
        self.message = _("Only partner admins and sales reps register and work deals.")
        return getattr(view, "request_role", None) in services.DEAL_WRITER_ROLES


class DealFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Deal.Status.choices)
    stage = django_filters.ChoiceFilter(choices=Deal.Stage.choices)
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")

    class Meta:
        model = Deal
        fields = ["status", "stage", "partner"]


DEAL_STATE = "409 when the registration's state does not allow it."


@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(["invalid"], field_name="domain", actions=["create"])
@extend_validation_errors(["invalid"], field_name="country", actions=["create"])
@extend_validation_errors(["invalid"], field_name="currency", actions=["create"])
@extend_validation_errors(["invalid"], field_name="products", actions=["create"])
@extend_validation_errors(["invalid"], field_name="expected_close_date", actions=["create"])
@extend_validation_errors(["invalid"], field_name="launch", actions=["create"])
@extend_validation_errors(["required", "does_not_exist"], field_name="partner", actions=["create"])
@extend_validation_errors(["invalid"], field_name="amount", actions=["create", "close"])
@extend_validation_errors(["required", "invalid"], field_name="reason", actions=["close"])
@extend_validation_errors(["invalid"], field_name="occurred_at", actions=["close"])
@extend_schema_view(
    list=extend_schema(
        summary="List deal registrations",
        description=(
            "Partner callers see their own registrations; staff see every partner's "
            "(with the conflicts found at registration). Filter by `status`, `stage` and "
            "`partner` (slug or UUID); `search` finds words in the customer's company and "
            "domain; order by submitted_at, expected_close_date, amount, status or company. "
            "Staff callers also get each registration's `conflicts`, `conflict_cleared`, "
            "`registered_by` and `decided_by`."
        ),
        responses=DealSerializer,
    ),
    retrieve=extend_schema(
        summary="Read one deal registration",
        description=(
            "By its UUID; another partner's answers 404 like a missing one. With the "
            "history shown to the partner; staff callers get the whole history (each "
            "event with its `actor` and `shared`) and the staff fields of the list."
        ),
        responses=DealDetailSerializer,
    ),
)
class DealViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deal registrations (docs/deals.md)."""

    queryset = Deal.objects
    permission_classes = [permissions.IsAuthenticated, DealPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = DealFilter
    search_fields = ["company", "domain"]
    ordering_fields = ["submitted_at", "expected_close_date", "amount", "status", "company"]
    ordering = ["-submitted_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type[DealSerializer]:
        """The partner's view or the staff view; a list without the history."""
        if self.partner is not None:
            return DealSerializer if self.action == "list" else DealDetailSerializer
        return StaffDealSerializer if self.action == "list" else StaffDealDetailSerializer

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("partner", "launch").prefetch_related(
            "products",
            Prefetch("extensions", DealExtension.objects.order_by("-requested_at", "-id")),
        )
        if self.partner is not None:
            return queryset
        queryset = queryset.select_related("registered_by", "decided_by").prefetch_related(
            Prefetch(
                "conflicts",
                DealConflict.objects.select_related("other_deal__partner", "protected_account"),
            ),
        )
        if self.action != "list":
            events = DealEvent.objects.select_related("actor").order_by("-at", "-id")
            queryset = queryset.prefetch_related(Prefetch("events", events))
        return queryset

    def _deal(self) -> Deal:
        deal = self.get_object()
        assert isinstance(deal, Deal)
        return deal

    def _show(self, deal: Deal) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=deal.pk)).data

    @_post_schema(
        "Register a deal",
        "Registers an opportunity with one end customer for a partner: the caller's own "
        "(its admins and sales reps, or their keys; `partner` may be left out or name "
        "it), or, for a staff integration key, the partner it names in `partner` (slug "
        "or UUID, required). It goes to the partner's channel manager for a decision "
        "(status `submitted`, whatever the decision involves). Bad input is a 400 "
        "naming the field: a `partner` a staff key leaves out or that does not exist, "
        "any other partner named by a partner caller (the same error as one that does "
        "not exist), an unknown currency or country, a negative amount, a close date in "
        "the past, a product or launch that is not offered or not the partner's, a "
        "second open registration of the same customer domain by the same partner.",
        201,
        DealDetailSerializer,
        request=DealCreateSerializer,
        conflict=False,
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = DealCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        named = data.pop("partner")
        try:
            partner = services.registration_partner(user=request.user, named=named)
            deal = services.deal_register(
                partner=partner, user=request.user, data=services.DealInput(**data)
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(deal), status=status.HTTP_201_CREATED)

    @_post_schema(
        "Move an approved deal's stage",
        f"prospecting → qualification → proposal → negotiation (any order). {DEAL_STATE}",
        200,
        DealDetailSerializer,
        request=DealStageSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def stage(self, request: Request, id: str | None = None) -> Response:
        deal = self._deal()
        serializer = DealStageSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            deal = services.deal_set_stage(
                deal=deal, user=request.user, stage=serializer.validated_data["stage"]
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(deal))

    @_post_schema(
        "Close a deal: won or lost",
        '`{"outcome": "won", "amount": "24000.00"}` or `{"outcome": "lost", "reason": '
        '"…"}`, optionally with `occurred_at`. Won and lost enter the results (the '
        f"dashboards, MDF ROI) with the partner and the launch. {DEAL_STATE}",
        200,
        DealDetailSerializer,
        request=DealCloseSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request: Request, id: str | None = None) -> Response:
        deal = self._deal()
        serializer = DealCloseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        when = data.get("occurred_at")
        try:
            if data["outcome"] == "won":
                deal = services.deal_close_won(
                    deal=deal, user=request.user, amount=data["amount"], occurred_at=when
                )
            else:
                deal = services.deal_close_lost(
                    deal=deal, user=request.user, reason=data["reason"], occurred_at=when
                )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(deal))

    @_post_schema(
        "Ask for an extension",
        "Asks the channel manager for more protected time for an approved deal, with a "
        "reason; the request shows in the deal's `extensions` until it is decided. One "
        f"pending request at a time. {DEAL_STATE}",
        201,
        DealDetailSerializer,
        request=DealExtensionRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def extension(self, request: Request, id: str | None = None) -> Response:
        deal = self._deal()
        serializer = DealExtensionRequestSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.extension_request(
                deal=deal, user=request.user, reason=serializer.validated_data["reason"]
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(deal), status=status.HTTP_201_CREATED)


# --- leads --------------------------------------------------------------------------


class LeadPermission(permissions.BasePermission):
    ANSWERS = ("accept", "decline")

    def has_permission(self, request: Request, view: APIView) -> bool:
        safe = request.method in permissions.SAFE_METHODS
        answer = getattr(view, "action", None) in self.ANSWERS
        if getattr(view, "is_staff_client", False):
            if answer:
                self.message = _("Only the partner a lead is offered to answers it.")
                return False
            if _is_key(request):
                return True
            perm = "deals.view_leadoffer" if safe else "deals.add_lead"
            self.message = _("Your staff role does not allow this (needs %(perm)s).") % {
                "perm": perm
            }
            return request.user.has_perm(perm)
        if safe:
            return True
        if not answer:
            self.message = _("Leads come from the vendor.")
            return False
        self.message = _("Only partner admins and sales reps answer leads.")
        return getattr(view, "request_role", None) in services.LEAD_ROLES


class LeadOfferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadOffer.Status.choices)
    partner = PartnerRefFilter(help_text="Partner slug or UUID (useful to staff).")
    lead = django_filters.UUIDFilter(field_name="lead__uuid", help_text="Lead UUID (staff).")

    class Meta:
        model = LeadOffer
        fields = ["status", "partner", "lead"]


# What a partner reads of its offers: those waiting for its answer and those it took.
LIVE_OFFERS = (LeadOffer.Status.PENDING, LeadOffer.Status.ACCEPTED)


@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(
    ["invalid", "does_not_exist"], field_name="partner", actions=["create"], methods=["post"]
)
@extend_validation_errors(["invalid"], field_name="route", actions=["create"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="domain", actions=["create"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="country", actions=["create"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="currency", actions=["create"], methods=["post"])
@extend_schema_view(
    list=extend_schema(
        summary="List lead offers",
        description=(
            "A partner caller sees the leads offered to it and waiting for its answer "
            "(`pending`, answer before `due_at`) and those it accepted. Staff see every "
            "partner's offers, whatever their status, with the lead's UUID and status. "
            "Filter by `status` (a partner sees its declined and lapsed offers this way), "
            "`partner` (slug or UUID) and `lead` (UUID). Staff callers also get each "
            "offer's `lead_id`, `lead_status`, `external_id` and `rule`."
        ),
        responses=LeadOfferSerializer,
    ),
    retrieve=extend_schema(
        summary="Read one lead offer",
        description=(
            "By the offer's UUID, whatever its status (an offer that lapsed still "
            "opens); another partner's answers 404 like a missing one."
        ),
        responses=LeadOfferSerializer,
    ),
)
class LeadViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Leads as offered to partners (`LeadOffer`); staff POST new leads here."""

    queryset = LeadOffer.objects
    permission_classes = [permissions.IsAuthenticated, LeadPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = LeadOfferFilter
    ordering_fields = ["offered_at", "due_at", "status"]
    ordering = ["-offered_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type[LeadOfferSerializer]:
        return LeadOfferSerializer if self.partner is not None else StaffLeadOfferSerializer

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related(
            "partner", "lead__region", "lead__specialisation", "deal", "rule"
        )
        if (
            self.partner is not None
            and self.action == "list"
            and not self.request.query_params.get("status")
        ):
            queryset = queryset.filter(status__in=LIVE_OFFERS)
        return queryset

    def _offer(self) -> LeadOffer:
        offer = self.get_object()
        assert isinstance(offer, LeadOffer)
        return offer

    def _show(self, offer: LeadOffer) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=offer.pk)).data

    @_post_schema(
        "Hand a lead to partners (staff)",
        "Staff keys (and staff allowed to add leads) send an inbound lead. `external_id` "
        "makes a resend harmless: a lead already received with it answers 200 with the "
        'lead as it is now (not routed again), a new one 201. `route: "rules"` offers it '
        "to the partner the routing rules choose (none left: it stays with staff, "
        "`returned`); `partner` offers it by hand; with neither it waits with staff. "
        "Creating and offering are one step: a refusal (400 naming the field) leaves no "
        "lead behind.",
        201,
        LeadSerializer,
        request=LeadCreateSerializer,
        conflict=False,
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = LeadCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        route = data.pop("route", None)
        partner: Partner | None = data.pop("partner", None)
        external_id = data.pop("external_id", "")
        try:
            lead, created = lead_receive(
                data=services.LeadInput(**data),
                actor=request.user,
                external_id=external_id,
                partner=partner,
                route=bool(route),
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        fresh = Lead.objects.prefetch_related(
            Prefetch("offers", LeadOffer.objects.select_related("partner").order_by("offered_at")),
            "routing__partner",
            "routing__rule",
        ).get(pk=lead.pk)
        return Response(
            LeadSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @_post_schema(
        "Accept a lead",
        "The partner takes the lead and works it. A lead no longer offered to the caller "
        "(not answered in time and offered to the next partner, or taken back by staff) "
        "answers 409 with the same words whoever holds it now.",
        200,
        LeadOfferSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request: Request, id: str | None = None) -> Response:
        offer = self._offer()
        try:
            offer = services.lead_accept(offer=offer, user=request.user)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(offer))

    @_post_schema(
        "Decline a lead",
        "With a `reason` (one of the listed codes) and an optional `note`; the lead "
        "goes on to the next partner and is never offered to the caller again. A lead no "
        "longer offered to the caller answers 409.",
        200,
        LeadOfferSerializer,
        request=LeadDeclineSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decline(self, request: Request, id: str | None = None) -> Response:
        offer = self._offer()
        serializer = LeadDeclineSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            offer = services.lead_decline(
                offer=offer, user=request.user, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(self._show(offer))


# --- protected accounts (staff) -----------------------------------------------------


class ProtectedAccountPermission(permissions.BasePermission):
    PERMS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "DELETE": "delete"}

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not getattr(view, "is_staff_client", False):
            self.message = _("Protected accounts are the vendor's: staff only.")
            return False
        if _is_key(request):
            return True
        perm = f"deals.{self.PERMS.get(request.method or '', 'change')}_protectedaccount"
        self.message = _("Your staff role does not allow this (needs %(perm)s).") % {"perm": perm}
        return request.user.has_perm(perm)


DOMAIN = OpenApiParameter(
    "domain", str, OpenApiParameter.PATH, description="The protected customer's web domain."
)


@extend_validation_errors(["invalid"], field_name=HEADER, methods=["post"])
@extend_validation_errors(["invalid"], field_name="domain", actions=["create"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="country", actions=["create"], methods=["post"])
@extend_schema_view(
    list=extend_schema(
        summary="List protected accounts (staff)",
        description=(
            "The customers the vendor's own sales team keeps: a registration of one of "
            "their domains is flagged to staff. Staff only. `search` finds words in the "
            "domain and company."
        ),
    ),
    destroy=extend_schema(
        summary="Remove a protected account (staff)",
        description="By its domain. Registrations flagged before keep their flag.",
        parameters=[DOMAIN],
    ),
)
class ProtectedAccountViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The vendor's protected accounts: not partner data, staff only."""

    queryset = ProtectedAccount.objects.select_related("added_by")
    partner_field = None
    serializer_class = ProtectedAccountSerializer
    permission_classes = [permissions.IsAuthenticated, ProtectedAccountPermission]
    lookup_field = "domain"
    lookup_url_kwarg = "domain"
    lookup_value_regex = r"[^/]+"
    search_fields = ["domain", "company"]
    ordering_fields = ["company", "domain", "added_at"]
    ordering = ["company", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    @_post_schema(
        "Add a protected account (staff)",
        "One account: its web domain (normalised as registrations' are) and company. "
        "A domain already protected is a 400 on `domain`. For many at once, the admin "
        "imports a CSV.",
        201,
        ProtectedAccountSerializer,
        request=ProtectedAccountCreateSerializer,
        conflict=False,
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = ProtectedAccountCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            account = protected_account_add(actor=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        fresh = self.get_queryset().get(pk=account.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ProtectedAccount) -> None:
        try:
            protected_account_remove(account=instance, actor=self.request.user)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
