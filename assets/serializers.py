from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset, AssetVersion, Category
from config.api import StrictFieldsMixin


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class AssetFileSerializer(serializers.ModelSerializer):
    """One current file of an asset (a language variant at its latest version)."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    version = serializers.IntegerField(source="number", read_only=True)
    language = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    file_type = serializers.CharField(source="file_kind", read_only=True)

    class Meta:
        model = AssetVersion
        fields = [
            "id",
            "language",
            "version",
            "file_type",
            "content_type",
            "size",
            "sha256",
            "change_note",
            "created_at",
        ]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    category = CategorySerializer(read_only=True, allow_null=True)
    language = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    published_at = serializers.DateTimeField(source="live_at", read_only=True, allow_null=True)
    files = serializers.SerializerMethodField()
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "category",
            "tags",
            "language",
            "featured",
            "cobrandable",
            "published_at",
            "expire_at",
            "files",
            "portal_url",
        ]
        read_only_fields = fields

    @extend_schema_field(AssetFileSerializer(many=True))
    def get_files(self, asset: Asset) -> list:
        versions = getattr(asset, "current_versions", None)
        if versions is None:
            versions = asset.versions.filter(is_current=True).select_related("language")
        return AssetFileSerializer(versions, many=True, context=self.context).data

    @extend_schema_field(serializers.URLField())
    def get_portal_url(self, asset: Asset) -> str:
        request = self.context.get("request")
        path = reverse("library:detail", kwargs={"uuid": asset.uuid})
        return request.build_absolute_uri(path) if request else path


class DownloadRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """Which file: a file id from `files`, or a language code; neither means the
    caller's own language when the asset has it, else the asset's main file."""

    file = serializers.UUIDField(required=False)
    language = serializers.CharField(required=False, max_length=10)


class DownloadLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    filename = serializers.CharField()
    file = AssetFileSerializer()
