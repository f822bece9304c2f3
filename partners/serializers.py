import uuid
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset
from campaigns.serializers import KitRefField, PartnerRefField
from config.api import StrictFieldsMixin
from partners.models import RATING_MAX, RATING_MIN, ContentRating, Membership, Partner, Tier


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["slug", "name", "rank", "benefits"]


class UserSummarySerializer(serializers.Serializer):
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class PartnerSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    tier = TierSerializer(read_only=True)
    regions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    channel_manager = UserSummarySerializer(read_only=True, allow_null=True)
    logo_url = serializers.SerializerMethodField()
    # Optional URL/email fields are "" when unset: say so in the schema (format or empty).
    website = serializers.URLField(read_only=True, allow_blank=True)
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)
    contact_website = serializers.URLField(read_only=True, allow_blank=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "slug",
            "name",
            "status",
            "partner_type",
            "tier",
            "regions",
            "languages",
            "website",
            "channel_manager",
            "display_name",
            "contact_phone",
            "contact_email",
            "contact_website",
            "address",
            "logo_url",
            "cobranding_revision",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_logo_url(self, partner: Partner) -> str | None:
        # Logos are served through the portal's access-checked view, not a media URL.
        if not partner.logo:
            return None
        request = self.context.get("request")
        path = reverse("portal:partner_logo", kwargs={"partner_uuid": partner.uuid})
        return request.build_absolute_uri(path) if request else path


class CobrandingUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """The co-branding profile: the only partner fields a PATCH may change."""

    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    contact_website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class MeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["partner_user", "staff_user", "partner_api_key", "staff_api_key"]
    )
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True)
    staff_roles = serializers.ListField(child=serializers.CharField())
    partner = PartnerSerializer(allow_null=True)


# --- Feedback (ratings of library assets and campaign kits) -----------------------------


class FeedbackSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    asset = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, allow_null=True, help_text="The rated asset's UUID."
    )
    kit = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The rated kit's slug."
    )

    class Meta:
        model = ContentRating
        fields = ["id", "partner", "asset", "kit", "rating", "comment", "created_at", "updated_at"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.UUID)
class AssetRefField(serializers.Field):
    """A library asset by UUID (whether the partner may see it is the service's rule,
    which answers on `asset` like an asset that does not exist)."""

    default_error_messages = {
        "invalid": _("Name the asset by its UUID."),
        "does_not_exist": _("Asset “{value}” does not exist."),
    }

    def to_internal_value(self, data: Any) -> Asset:
        try:
            value = uuid.UUID(str(data)) if isinstance(data, str) else None
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        asset = Asset.objects.filter(uuid=value).first()
        if asset is None:
            self.fail("does_not_exist", value=value)
        return asset

    def to_representation(self, value: Asset) -> str:
        return str(value.uuid)


class FeedbackCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Rate an asset or a kit. Rating an item again changes the caller's one rating."""

    partner = PartnerRefField(
        required=False,
        help_text="Slug or UUID: required for staff keys, optional (own) for partners.",
    )
    asset = AssetRefField(required=False, help_text="The asset's UUID (or give `kit`).")
    kit = KitRefField(required=False, help_text="The kit's slug (or give `asset`).")
    rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if ("asset" in attrs) == ("kit" in attrs):
            message = _("Name one asset or one kit.")
            raise serializers.ValidationError(
                {
                    name: [serializers.ErrorDetail(message, code="invalid")]
                    for name in ("asset", "kit")
                }
            )
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


class FeedbackUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX, required=False)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)
