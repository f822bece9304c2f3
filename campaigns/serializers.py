"""Serializers of the campaigns API: they parse and render; the rules live in
campaigns.services. Launches are named by their tracking code, kits by slug,
partners by slug or UUID; never a sequential id."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns import selectors
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
from config.api import StrictFieldsMixin
from mdf.models import ActivityType, FundRequest
from partners.models import Partner
from partners.selectors import partner_named


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class KitSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    channels = serializers.ListField(child=serializers.ChoiceField(Channel.choices), read_only=True)
    suggested_budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    assets = serializers.SerializerMethodField(
        help_text="The bundled library assets the caller may see (their UUIDs)."
    )
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = CampaignKit
        fields = [
            "id",
            "slug",
            "name",
            "objective",
            "description",
            "channels",
            "start_date",
            "end_date",
            "landing_url",
            "suggested_budget",
            "currency",
            "mdf_eligible",
            "status",
            "published_at",
            "assets",
            "portal_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_assets(self, kit: CampaignKit) -> list[str]:
        return [str(asset.uuid) for asset in getattr(kit, "visible_assets", [])]

    @extend_schema_field(serializers.URLField())
    def get_portal_url(self, kit: CampaignKit) -> str:
        return _absolute(self, reverse("campaigns:kit_detail", kwargs={"slug": kit.slug}))


class LaunchSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tracking_url = serializers.SerializerMethodField()
    destination_url = serializers.SerializerMethodField(
        help_text="Where the tracking link lands, with its UTM parameters."
    )

    class Meta:
        model = Launch
        fields = [
            "code",
            "partner",
            "kit",
            "name",
            "channel",
            "start_date",
            "end_date",
            "notes",
            "status",
            "tracking_url",
            "destination_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_tracking_url(self, launch: Launch) -> str:
        return _absolute(self, launch.tracking_path)

    @extend_schema_field(serializers.URLField())
    def get_destination_url(self, launch: Launch) -> str:
        return selectors.launch_destination(launch)


@extend_schema_field(OpenApiTypes.STR)
class PartnerRefField(serializers.Field):
    """A partner by slug or UUID, among those the caller may name
    (`partners.selectors.partner_named`: staff any, a partner's caller only its own;
    another partner "does not exist", like one that does not)."""

    default_error_messages = {
        "invalid": _("Name the partner by its slug or UUID."),
        "does_not_exist": _("Partner “{value}” does not exist."),
    }

    def to_internal_value(self, data: Any) -> Partner:
        if not isinstance(data, str) or not data.strip() or len(data) > 80 or "\x00" in data:
            self.fail("invalid")
        value = data.strip()
        own = getattr(self.context.get("view"), "partner", None)
        partner = partner_named(name=value, own=own)
        if partner is None:
            self.fail("does_not_exist", value=value)
        return partner

    def to_representation(self, value: Partner) -> str:
        return value.slug


@extend_schema_field(OpenApiTypes.STR)
class KitRefField(serializers.Field):
    """A published kit by slug (whether the partner may launch it is the service's
    rule, which answers on `kit` like a kit that does not exist)."""

    default_error_messages = {
        "invalid": _("Name the kit by its slug."),
        "does_not_exist": _("Campaign kit “{value}” does not exist."),
    }

    def to_internal_value(self, data: Any) -> CampaignKit:
        if not isinstance(data, str) or not data.strip() or len(data) > 80 or "\x00" in data:
            self.fail("invalid")
        kit = CampaignKit.objects.published().filter(slug=data.strip()).first()
        if kit is None:
            self.fail("does_not_exist", value=data.strip())
        return kit

    def to_representation(self, value: CampaignKit) -> str:
        return value.slug


class LaunchCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Launch a kit. Partner callers launch for their own partner; staff name it."""

    partner = PartnerRefField(
        required=False, help_text="Slug or UUID: required for staff, optional (own) for partners."
    )
    kit = KitRefField(help_text="The kit's slug.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        own = getattr(self.context.get("view"), "partner", None)
        partner = attrs.get("partner") or own
        if partner is None:
            raise serializers.ValidationError(
                {
                    "partner": [
                        serializers.ErrorDetail(
                            _("Staff act for a partner: name it (its slug or UUID)."),
                            code="required",
                        )
                    ]
                }
            )
        attrs["partner"] = partner
        return attrs


class LaunchUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A status move (`Launch.TRANSITIONS`) and/or a new name or notes."""

    status = serializers.ChoiceField(choices=Launch.Status.choices, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# --- Joint marketing plans ----------------------------------------------------------------
#
# Plans are named by UUID, their activities by UUID, their targets by their number in
# the plan (`position`), periods by id (vendor-wide reference data, like tiers).


class PlanPeriodSerializer(serializers.ModelSerializer):
    quarters = serializers.IntegerField(source="quarter_count", read_only=True)

    class Meta:
        model = PlanPeriod
        fields = ["id", "name", "kind", "start", "end", "quarters", "is_open"]
        read_only_fields = fields


class PlanTargetQuarterSerializer(serializers.Serializer):
    quarter = serializers.IntegerField(read_only=True)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    actual = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Custom targets: the actual entered (KPI actuals are in the scorecard).",
    )
    actual_entered_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PlanTargetSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(source="position", read_only=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    quarters = PlanTargetQuarterSerializer(many=True, read_only=True)

    class Meta:
        model = PlanTarget
        fields = ["number", "measure", "name", "currency", "weight", "quarters"]
        read_only_fields = fields


class PlanActivitySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    activity_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    kit = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    launch = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    fund_request = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)

    class Meta:
        model = PlanActivity
        fields = [
            "id",
            "title",
            "activity_type",
            "owner_side",
            "start_date",
            "end_date",
            "budget",
            "currency",
            "kit",
            "launch",
            "fund_request",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    period = PlanPeriodSerializer(read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "partner",
            "period",
            "title",
            "objectives",
            "status",
            "revision",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
            "closed_at",
        ]
        read_only_fields = fields


class PlanDetailSerializer(PlanSerializer):
    targets = serializers.SerializerMethodField()
    activities = serializers.SerializerMethodField()
    scorecard = serializers.SerializerMethodField(
        help_text=(
            "Targets against their actuals per quarter (KPI actuals from the results, "
            "custom actuals as entered), attainment in percent (null: a zero target or no "
            "actual yet) and the weighted total; frozen once the plan is closed."
        )
    )

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "targets", "activities", "scorecard"]
        read_only_fields = fields

    @extend_schema_field(PlanTargetSerializer(many=True))
    def get_targets(self, plan: Plan) -> Any:
        return PlanTargetSerializer(selectors.plan_targets(plan=plan), many=True).data

    @extend_schema_field(PlanActivitySerializer(many=True))
    def get_activities(self, plan: Plan) -> Any:
        return PlanActivitySerializer(selectors.plan_activities(plan=plan), many=True).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_scorecard(self, plan: Plan) -> dict[str, Any]:
        return selectors.plan_scorecard(plan=plan).as_json()


class PlanCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Start a plan for an open period (partner callers: for their own partner)."""

    partner = PartnerRefField(required=False, help_text="Slug or UUID: optional (your own).")
    period = serializers.PrimaryKeyRelatedField(
        queryset=PlanPeriod.objects.filter(is_open=True),
        help_text="An open planning period's id (GET /api/v1/plan-periods/).",
    )
    title = serializers.CharField(max_length=200)
    objectives = serializers.CharField(max_length=20000, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        attrs["partner"] = attrs.get("partner") or self.context["view"].partner
        return attrs


class PlanUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    objectives = serializers.CharField(max_length=20000, required=False, allow_blank=True)


# Numbers arrive as strings (or JSON integers) and are parsed by the services, which
# refuse floats, negatives and more than two decimals, naming the field.
class PlanTargetWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    measure = serializers.ChoiceField(choices=PlanTarget.Measure.choices)
    values = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=4,
        help_text='One target per quarter of the period, as decimal strings ("1500.00").',
    )
    weight = serializers.CharField(max_length=20, help_text='Greater than zero, e.g. "1".')
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="For pipeline and revenue."
    )


class PlanTargetActualSerializer(StrictFieldsMixin, serializers.Serializer):
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    actual = serializers.CharField(
        max_length=40, allow_null=True, help_text="A decimal string; null clears it."
    )


@extend_schema_field(OpenApiTypes.STR)
class OwnRefField(serializers.Field):
    """One of the caller's own launches (by tracking code) or fund requests (by UUID):
    another partner's "does not exist", like a missing one."""

    default_error_messages = {
        "invalid": _("Name it by its identifier."),
        "does_not_exist": _("“{value}” does not exist."),
    }

    def __init__(self, *, model: Any, lookup: str, **kwargs: Any) -> None:
        self.model, self.lookup = model, lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not data.strip() or len(data) > 80 or "\x00" in data:
            self.fail("invalid")
        value = data.strip()
        partner = getattr(self.context.get("view"), "partner", None)
        try:
            found = self.model.objects.filter(partner=partner, **{self.lookup: value}).first()
        except (ValueError, DjangoValidationError):
            found = None
        if found is None:
            self.fail("does_not_exist", value=value)
        return found

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, self.lookup))


class PlanActivityWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    activity_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ActivityType.objects.filter(active=True),
        help_text="An MDF activity type's slug (GET /api/v1/mdf/activity-types/).",
    )
    owner_side = serializers.ChoiceField(choices=PlanActivity.OwnerSide.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    budget = serializers.CharField(max_length=40, help_text='A decimal string, e.g. "2500.00".')
    currency = serializers.CharField(max_length=3)
    kit = KitRefField(required=False, allow_null=True, help_text="A kit's slug.")
    launch = OwnRefField(
        model=Launch, lookup="code", required=False, allow_null=True, help_text="Tracking code."
    )
    fund_request = OwnRefField(
        model=FundRequest,
        lookup="uuid",
        required=False,
        allow_null=True,
        help_text="One of your fund requests' UUID.",
    )
    status = serializers.ChoiceField(choices=PlanActivity.Status.choices, required=False)


# --- business reviews (read only) ----------------------------------------------------------


class ReviewPersonSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    side = serializers.ChoiceField(choices=PlanActivity.OwnerSide.choices, read_only=True)


def _person(user: Any) -> dict[str, str]:
    return {
        "name": user.get_full_name() or user.get_username(),
        "side": "vendor" if user.is_staff else "partner",
    }


class ActionItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SerializerMethodField(help_text="Who owns it, when someone was named.")
    overdue = serializers.SerializerMethodField(help_text="Open and due before today.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "owner_side",
            "owner",
            "due_date",
            "status",
            "completed_at",
            "overdue",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewPersonSerializer(allow_null=True))
    def get_owner(self, item: ActionItem) -> dict[str, str] | None:
        return _person(item.owner) if item.owner_id else None

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, item: ActionItem) -> bool:
        return selectors.is_overdue(item)


class ReviewSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    plan = serializers.UUIDField(source="plan.uuid", read_only=True)
    plan_title = serializers.CharField(source="plan.title", read_only=True)
    attendees = serializers.SerializerMethodField()
    snapshot = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text=(
            "The plan's scorecard frozen when the review was held (targets and actuals "
            "per quarter, attainment, weighted total; decimals as strings); null before."
        ),
    )
    action_items = ActionItemSerializer(many=True, read_only=True)
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = BusinessReview
        fields = [
            "id",
            "partner",
            "plan",
            "plan_title",
            "title",
            "scheduled_at",
            "status",
            "attendees",
            "other_attendees",
            "notes",
            "held_at",
            "snapshot",
            "action_items",
            "portal_url",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewPersonSerializer(many=True))
    def get_attendees(self, review: BusinessReview) -> list[dict[str, str]]:
        return [_person(user) for user in review.attendees.all()]

    @extend_schema_field(serializers.URLField())
    def get_portal_url(self, review: BusinessReview) -> str:
        return _absolute(self, reverse("plans:review_detail", kwargs={"uuid": review.uuid}))
