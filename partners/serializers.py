from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictFieldsMixin
from partners.models import Membership, Partner, Tier


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
