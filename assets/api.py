"""API of the content library: the assets available to the caller and download links."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assets import delivery, selectors, services
from assets.models import Asset, AssetVersion
from assets.serializers import (
    AssetSerializer,
    DownloadLinkSerializer,
    DownloadRequestSerializer,
)
from partners.models import PartnerAPIKey
from partners.scoping import PartnerScopedAPIMixin


class AssetPermission(permissions.BasePermission):
    """Partner callers (keys and users) read what is available to their partner; staff
    keys read everything; staff users need `assets.view_asset` (finance approvers, for
    one, do not have it)."""

    message = "Only staff allowed to view the content library can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(view, "is_staff_client", False) and not isinstance(request.auth, PartnerAPIKey):
            return request.user.has_perm("assets.view_asset")
        return True


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search title, description and tags")
    kind = django_filters.ChoiceFilter(choices=Asset.Kind.choices)
    category = django_filters.CharFilter(method="filter_category", label="Category slug")
    language = django_filters.CharFilter(method="filter_language", label="Language code")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag slug")
    featured = django_filters.BooleanFilter()

    class Meta:
        model = Asset
        fields = ["q", "kind", "category", "language", "tag", "featured"]

    # The portal library's own search and filters (selectors.library_search).

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.library_search(queryset, q=value)

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.library_search(queryset, category=value)

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.library_search(queryset, language=value)

    def filter_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.library_search(queryset, tag=value)


@extend_schema_view(
    list=extend_schema(
        summary="List the assets available to the caller",
        description=(
            "A partner key or partner user sees the published assets meant for its partner "
            "(audience, publish and expiry dates); staff see every asset. Filter by kind, "
            "category (slug), language (code), tag (slug), featured; `q` searches titles, "
            "descriptions and tags; order by live date, title or downloads."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one asset",
        description="By its UUID. An asset not available to the caller answers 404.",
    ),
)
class AssetViewSet(
    PartnerScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Shared content: narrowed to `available_to(partner)` for partner callers."""

    queryset = Asset.objects.all()
    partner_field = None  # shared content: the audience rule decides, not a partner column
    serializer_class = AssetSerializer
    permission_classes = [permissions.IsAuthenticated, AssetPermission]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filterset_class = AssetFilter
    ordering_fields = ["live_at", "title", "download_count"]
    ordering = ["-live_at", "-id"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.partner is not None:
            queryset = queryset.available_to(self.partner)
        elif not self.is_staff_client:
            return queryset.none()
        return queryset.select_related("category", "language").prefetch_related(
            "tags", Prefetch("versions", selectors.current_versions(), to_attr="current_versions")
        )

    @extend_schema(
        summary="Get a short-lived download link",
        description=(
            "Records the download for the caller's partner and answers a URL that serves "
            "the file without further authentication until `expires_at` (a presigned "
            "storage URL, or a signed link to this server). Choose the file by `file` (an "
            "id from `files`) or `language`; by default the caller's language."
        ),
        request=DownloadRequestSerializer,
        responses=DownloadLinkSerializer,
    )
    @action(detail=True, methods=["post"], url_path="download")
    def download(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        asset = self.get_object()
        body = DownloadRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = self._choose(asset, **body.validated_data)
        if self.partner is not None:
            services.download_record(
                partner=self.partner,
                version=version,
                user=None if isinstance(request.auth, PartnerAPIKey) else request.user,
                api_key=request.auth if isinstance(request.auth, PartnerAPIKey) else None,
                channel="api",
            )
        filename = services.download_filename(version)
        url, expires_at = delivery.short_lived_url(
            version.file.storage,
            delivery.Delivery(
                name=version.file.name, filename=filename, content_type=version.content_type
            ),
            request=request,
        )
        data = {"url": url, "expires_at": expires_at, "filename": filename, "file": version}
        return Response(DownloadLinkSerializer(data, context={"request": request}).data)

    def _choose(self, asset: Asset, file: Any = None, language: str | None = None) -> AssetVersion:
        versions = list(
            getattr(asset, "current_versions", None)
            or selectors.current_versions().filter(asset=asset)
        )
        if file is not None:
            chosen = [v for v in versions if v.uuid == file]
            if not chosen:
                raise serializers.ValidationError(
                    {"file": ["No current file of this asset has this id."]}
                )
            return chosen[0]
        if language:
            chosen = [v for v in versions if v.language and v.language.code == language]
            if not chosen:
                available = (
                    ", ".join(sorted(v.language.code for v in versions if v.language)) or "none"
                )
                raise serializers.ValidationError(
                    {"language": [f"No file in this language. Available: {available}."]}
                )
            return chosen[0]
        if not versions:
            raise serializers.ValidationError({"file": ["This asset has no file yet."]})
        if self.partner is not None:
            return selectors.variants_for(asset=asset, partner=self.partner)[0]
        return versions[0]
