"""Serializers of the deals API: they parse and render; the rules live in
deals.services (docs/deals.md).

Two views of a registration: the partner's (`DealSerializer`) never holds the
conflicts, who decided, or the events staff keep to themselves (a conflict flag, a
staff note), and its status is the partner's word for it; the staff view
(`StaffDealSerializer`) adds them. A lead is seen by a partner only through its own
offer (`LeadOfferSerializer`): never the lead's routing history, nor who else was
offered it. Amounts are decimal strings; public ids are UUIDs (slugs for partners,
products, regions and specialisations, tracking codes for launches).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

from campaigns.serializers import PartnerRefField
from config.api import StrictFieldsMixin
from deals import selectors
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    Lead,
    LeadOffer,
    LeadRoutingEntry,
    ProtectedAccount,
)
from mdf.serializers import MoneyField
from partners.models import Region, Specialisation

ZERO = Decimal("0")


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


# --- deals: what the partner sees ------------------------------------------------------


class DealExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealExtension
        fields = [
            "status",
            "requested_at",
            "reason",
            "days",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class DealEventSerializer(serializers.ModelSerializer):
    """One step of a registration's history, as the partner reads it (no actor)."""

    detail = serializers.CharField(source="detail_text", read_only=True)

    class Meta:
        model = DealEvent
        fields = ["at", "action", "old_value", "new_value", "detail"]
        read_only_fields = fields


class DealSerializer(serializers.ModelSerializer):
    """A registration as its partner sees it in a list: under review while staff look
    at it, whatever they look at."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    products = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    launch = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The tracking code of the campaign launch that sourced the deal.",
    )
    amount = _money(help_text="Estimated amount, a decimal string.")
    won_amount = _money(allow_null=True)
    extensions = DealExtensionSerializer(many=True, read_only=True)
    # Optional at registration: "" when none was given, which is not an email address.
    contact_email = serializers.CharField(read_only=True, help_text="Empty when none given.")

    class Meta:
        model = Deal
        fields = [
            "id",
            "partner",
            "company",
            "domain",
            "country",
            "contact_name",
            "contact_email",
            "products",
            "amount",
            "currency",
            "expected_close_date",
            "stage",
            "notes",
            "launch",
            "status",
            "submitted_at",
            "decided_at",
            "decision_reason",
            "expires_on",
            "closed_at",
            "won_amount",
            "lost_reason",
            "extensions",
        ]
        read_only_fields = fields


class DealDetailSerializer(DealSerializer):
    """One registration as its partner sees it, with the history shown to the partner
    (`selectors.deal_events_for_partner`: never a conflict flag or a staff note)."""

    history = serializers.SerializerMethodField(
        help_text="What happened to the registration, latest first."
    )

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(DealEventSerializer(many=True))
    def get_history(self, deal: Deal) -> list[dict[str, Any]]:
        return DealEventSerializer(selectors.deal_events_for_partner(deal=deal), many=True).data


class DealConflictSerializer(serializers.ModelSerializer):
    other_deal = serializers.UUIDField(source="other_deal.uuid", read_only=True, allow_null=True)
    other_partner = serializers.SlugRelatedField(
        source="other_deal.partner", slug_field="slug", read_only=True, allow_null=True
    )
    protected_account = serializers.CharField(
        source="protected_account.domain", read_only=True, allow_null=True
    )

    class Meta:
        model = DealConflict
        fields = ["kind", "other_deal", "other_partner", "protected_account", "detected_at"]
        read_only_fields = fields


class StaffDealEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    detail = serializers.CharField(source="detail_text", read_only=True)

    class Meta:
        model = DealEvent
        fields = ["at", "action", "actor", "old_value", "new_value", "detail", "shared"]
        read_only_fields = fields


STAFF_DEAL_FIELDS = ["registered_by", "decided_by", "conflicts", "conflict_cleared"]


class StaffDealSerializer(DealSerializer):
    """The staff view: the partner's, plus the conflicts and who registered and decided."""

    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    conflicts = DealConflictSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, *STAFF_DEAL_FIELDS]
        read_only_fields = fields


class StaffDealDetailSerializer(StaffDealSerializer):
    """One registration for staff, with its whole history (staff-only events too)."""

    history = StaffDealEventSerializer(source="events", many=True, read_only=True)

    class Meta(StaffDealSerializer.Meta):
        fields = [*StaffDealSerializer.Meta.fields, "history"]
        read_only_fields = fields


# --- deals: input ---------------------------------------------------------------------


class DealCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Register an opportunity for a partner. The registration's rules (which partner
    the caller may name, domain, country, currency, dates, duplicates, the launch being
    the partner's) are the services': their errors name the field."""

    partner = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="Partner UUID or slug. A partner caller may omit it (or name its own); "
        "a staff key must give it.",
    )
    company = serializers.CharField(max_length=200, help_text="The end customer's company.")
    domain = serializers.CharField(
        max_length=253, help_text="The customer's web domain (example.com)."
    )
    country = serializers.CharField(max_length=100, help_text="ISO 3166 alpha-2 (DE).")
    products = serializers.ListField(
        child=serializers.SlugField(max_length=80),
        max_length=50,
        help_text="Product slugs.",
    )
    amount = MoneyField(min_value=ZERO, help_text="Estimated amount, e.g. “25000.00”.")
    currency = serializers.CharField(max_length=10, help_text="ISO 4217 (EUR).")
    expected_close_date = serializers.DateField(help_text="Today or later.")
    stage = serializers.ChoiceField(choices=Deal.Stage.choices, default=Deal.Stage.PROSPECTING)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    contact_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, default=""
    )
    launch = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="The tracking code of the partner's launch that sourced the deal.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs["launch"] = attrs.get("launch") or ""
        attrs["partner"] = attrs.get("partner") or ""
        return attrs


class DealStageSerializer(StrictFieldsMixin, serializers.Serializer):
    stage = serializers.ChoiceField(choices=Deal.Stage.choices)


class CloseOutcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class DealCloseSerializer(StrictFieldsMixin, serializers.Serializer):
    """`{"outcome": "won", "amount": "…"}` or `{"outcome": "lost", "reason": "…"}`."""

    outcome = serializers.ChoiceField(choices=CloseOutcome.choices)
    amount = MoneyField(
        min_value=ZERO, required=False, help_text="Won: the amount, e.g. “24000.00”."
    )
    reason = serializers.CharField(
        max_length=5000, required=False, help_text="Lost: why (required)."
    )
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When it was won or lost (ISO 8601); now unless given."
    )

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, list] = {}
        won = attrs["outcome"] == CloseOutcome.WON
        needed, refused = ("amount", "reason") if won else ("reason", "amount")
        if attrs.get(needed) in (None, ""):
            errors[needed] = [
                serializers.ErrorDetail(
                    _("A won deal needs its amount.") if won else _("Say why the deal was lost."),
                    code="required",
                )
            ]
        if refused in attrs:
            errors[refused] = [
                serializers.ErrorDetail(
                    _("A won deal has an amount, not a reason.")
                    if won
                    else _("A lost deal has a reason, not an amount."),
                    code="invalid",
                )
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DealExtensionRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why more protected time.")


# --- leads ----------------------------------------------------------------------------


class OfferedLeadSerializer(serializers.ModelSerializer):
    """The lead as the partner it is offered to reads it (no history, no other partner)."""

    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    specialisation = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    amount = _money(allow_null=True)
    # Optional: "" when the lead came without one, which is not an email address.
    contact_email = serializers.CharField(read_only=True, help_text="Empty when none given.")

    class Meta:
        model = Lead
        fields = [
            "company",
            "domain",
            "country",
            "region",
            "specialisation",
            "contact_name",
            "contact_email",
            "contact_phone",
            "description",
            "amount",
            "currency",
        ]
        read_only_fields = fields


class LeadOfferSerializer(serializers.ModelSerializer):
    """A lead offered to the caller's partner: answer it before `due_at`."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lead = OfferedLeadSerializer(read_only=True)
    deal = serializers.UUIDField(
        source="deal.uuid",
        read_only=True,
        allow_null=True,
        help_text="The registration the lead was converted into.",
    )

    class Meta:
        model = LeadOffer
        fields = [
            "id",
            "partner",
            "lead",
            "status",
            "offered_at",
            "due_at",
            "responded_at",
            "decline_reason",
            "decline_note",
            "work_status",
            "next_step",
            "next_step_due",
            "deal",
        ]
        read_only_fields = fields


class StaffLeadOfferSerializer(LeadOfferSerializer):
    """An offer as staff see it: which lead (its UUID and status) and by which rule."""

    lead_id = serializers.UUIDField(source="lead.uuid", read_only=True)
    lead_status = serializers.ChoiceField(
        source="lead.status", choices=Lead.Status.choices, read_only=True
    )
    external_id = serializers.CharField(source="lead.external_id", read_only=True)
    rule = serializers.CharField(source="rule.name", read_only=True, allow_null=True)

    class Meta(LeadOfferSerializer.Meta):
        fields = [*LeadOfferSerializer.Meta.fields, "lead_id", "lead_status", "external_id", "rule"]
        read_only_fields = fields


class LeadOfferSummarySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = LeadOffer
        fields = ["id", "partner", "status", "offered_at", "due_at", "responded_at"]
        read_only_fields = fields


class RoutingEntrySerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    rule = serializers.CharField(source="rule.name", read_only=True, allow_null=True)

    class Meta:
        model = LeadRoutingEntry
        fields = ["at", "action", "partner", "rule", "detail"]
        read_only_fields = fields


class LeadSerializer(OfferedLeadSerializer):
    """A lead as staff (or the vendor's integration) see it, with its routing history."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    offers = LeadOfferSummarySerializer(many=True, read_only=True)
    routing = RoutingEntrySerializer(many=True, read_only=True)

    class Meta(OfferedLeadSerializer.Meta):
        fields = [
            "id",
            "external_id",
            *OfferedLeadSerializer.Meta.fields,
            "status",
            "created_at",
            "offers",
            "routing",
        ]
        read_only_fields = fields


class LeadRoute(models.TextChoices):
    RULES = "rules", _("By the routing rules")


class LeadCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A lead from the vendor's side. `external_id` makes a resend harmless (the lead
    already received answers 200). Offer it by the rules (`route: "rules"`) or by hand
    to one partner (`partner`); with neither it waits with staff."""

    external_id = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id of the lead: a lead sent again with it is recognised.",
    )
    company = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Region code.",
    )
    specialisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Specialisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Specialisation slug.",
    )
    contact_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    contact_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, default=""
    )
    contact_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default=""
    )
    amount = MoneyField(min_value=ZERO, required=False, allow_null=True, default=None)
    currency = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    route = serializers.ChoiceField(
        choices=LeadRoute.choices,
        required=False,
        help_text="`rules`: offer it to the partner the routing rules choose.",
    )
    partner = PartnerRefField(
        required=False, help_text="Offer it by hand to this partner (slug or UUID)."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("route") and attrs.get("partner") is not None:
            raise serializers.ValidationError(
                {
                    "route": [
                        serializers.ErrorDetail(
                            _("Route by the rules or name a partner, not both."), code="invalid"
                        )
                    ]
                }
            )
        return attrs


class LeadDeclineSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=LeadOffer.DeclineReason.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


# --- protected accounts (staff) --------------------------------------------------------


class ProtectedAccountSerializer(serializers.ModelSerializer):
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ProtectedAccount
        fields = ["domain", "company", "country", "note", "added_at", "added_by"]
        read_only_fields = ["added_at", "added_by"]


class ProtectedAccountCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    domain = serializers.CharField(max_length=253, help_text="The customer's web domain.")
    company = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- errors ---------------------------------------------------------------------------


class ErrorCode409Enum(models.TextChoices):
    WRONG_STATE = "wrong_state"


class Error409Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode409Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse409Serializer(serializers.Serializer):
    """The object is not in a state that allows this (e.g. closing a deal under review,
    accepting a lead no longer offered to you)."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error409Serializer(many=True)
