"""Portal pages of the content library (/portal/library/).

Assets are shared content: every view gets them from `AvailableAssetMixin`, whose
queryset is `Asset.objects.available_to(request.partner)` (subclasses may narrow it,
never replace it), so an asset the partner may not see answers 404 like one that
does not exist. Files go out through `assets.delivery` after the download is recorded.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from assets import cobranding, delivery, selectors, services
from assets.models import Asset, AssetVersion, CobrandedCopy
from partners.scoping import PortalAccessMixin, ProtectedQuerysetMeta
from partners.views import rating_panel

PAGE_SIZES = (12, 24, 48, 96)


class AvailableAssetMixin(ProtectedQuerysetMeta):
    """The one way portal views get assets: those available to the request's partner.

    Narrow in `narrow_queryset`; `get_queryset`/`get_object` cannot be overridden.
    """

    _owns_scoped_accessors = True
    lookup_url_kwarg: ClassVar[str] = "uuid"
    request: HttpRequest
    kwargs: dict[str, Any]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        partner = self.request.partner  # type: ignore[attr-defined]
        return self.narrow_queryset(selectors.assets_available(partner=partner))

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        try:
            return self.get_queryset().get(uuid=self.kwargs.get(self.lookup_url_kwarg))
        except (Asset.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
            # Missing, malformed, not (yet/any longer) published, not for this partner.
            raise Http404 from exc

    def get_version(self, asset: Asset, *, current_only: bool = True) -> AssetVersion:
        """One of the asset's files by its UUID (partners get current files only)."""
        versions = asset.versions.select_related("asset", "language")
        if current_only:
            versions = versions.filter(is_current=True)
        try:
            return versions.get(uuid=self.kwargs.get("version"))
        except (AssetVersion.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
            raise Http404 from exc


class LibraryFilterForm(forms.Form):
    """The library's query string. Invalid values are dropped, never an error page."""

    q = forms.CharField(required=False, label=gettext_lazy("Search"))
    kind = forms.ChoiceField(required=False, label=gettext_lazy("Kind"))
    category = forms.SlugField(required=False, label=gettext_lazy("Category"))
    language = forms.CharField(required=False, max_length=10, label=gettext_lazy("Language"))
    tag = forms.SlugField(required=False, label=gettext_lazy("Tag"))
    sort = forms.ChoiceField(required=False, label=gettext_lazy("Sort by"))
    per_page = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(n, n) for n in PAGE_SIZES], empty_value=24
    )

    def __init__(self, *args: Any, searching: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *Asset.Kind.choices]
        # "" is the default order: best match when searching, else newest first.
        sorts = [("", _("Best match") if searching else _("Newest"))]
        if searching:
            sorts.append(("newest", _("Newest")))
        sorts += [("downloads", _("Most downloaded")), ("title", _("Title (A–Z)"))]
        self.fields["sort"].choices = sorts

    def values(self) -> dict[str, Any]:
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name in self.cleaned_data
        }
        data["q"] = selectors.clean_query(data.get("q") or "")
        data["per_page"] = data.get("per_page") or 24
        return data


class LibraryView(PortalAccessMixin, AvailableAssetMixin, TemplateView):
    template_name = "assets/library.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        searching = bool(selectors.clean_query(request.GET.get("q", "")))
        form = LibraryFilterForm(request.GET, searching=searching)
        values = form.values()
        filters = {
            name: values.get(name) or ""
            for name in ("q", "kind", "category", "language", "tag", "sort")
        }
        assets = selectors.library_filter(self.get_queryset(), **filters)
        partner = request.partner  # type: ignore[attr-defined]
        signature = hashlib.sha256(repr(sorted(filters.items())).encode()).hexdigest()[:32]
        page = selectors.library_page(
            assets,
            page=request.GET.get("page"),
            per_page=values["per_page"],
            count_key=f"assets:library-count:{partner.pk}:{signature}",
        )
        last_visit = services.library_visit_touch(user=request.user, partner=partner)
        for asset in page.object_list:
            asset.is_new = bool(last_visit and asset.live_at and asset.live_at > last_visit)
            asset.is_updated = bool(
                not asset.is_new
                and last_visit
                and asset.content_updated_at
                and asset.content_updated_at > last_visit
            )
            asset.language_codes = sorted(
                {v.language.code.upper() for v in asset.current_versions if v.language}
            )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            form=form,
            filters=filters,
            page=page,
            choices=selectors.library_choices(partner=partner),
            last_visit=last_visit,
            query_string=query.urlencode(),
            active_filters=any(
                filters[name] for name in ("q", "kind", "category", "language", "tag")
            ),
            sort=filters["sort"] if filters["sort"] in selectors.SORTS else "",
            searching=searching,
        )
        return context


class AssetDetailView(PortalAccessMixin, AvailableAssetMixin, TemplateView):
    template_name = "assets/asset_detail.html"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("category", "language").prefetch_related("tags")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asset = self.get_object()
        partner = self.request.partner  # type: ignore[attr-defined]
        variants = selectors.variants_for(asset=asset, partner=partner)
        cobrandable = [
            v for v in variants if asset.cobrandable and v.file_kind in cobranding.COBRANDABLE_KINDS
        ]
        copies = selectors.cobranded_copies_for(partner=partner, versions=cobrandable)
        for version in variants:
            version.cobrandable = version in cobrandable
            version.copy = copies.get(version.pk)
        partner_languages = set(partner.languages.values_list("pk", flat=True))
        context.update(
            asset=asset,
            main=variants[0] if variants else None,
            others=variants[1:],
            has_own_language=bool(variants and variants[0].language_id in partner_languages),
            history=selectors.version_history(asset=asset),
            profile_missing=cobranding.profile_missing(partner) if cobrandable else [],
            partner=partner,
            can_edit_profile=self.request.membership.role == "admin",  # type: ignore[attr-defined]
            **rating_panel(self.request, item=asset),
        )
        return context


class DownloadView(PortalAccessMixin, AvailableAssetMixin, View):
    """Check access, record the download, send the file (attachment)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, uuid: str, version: str) -> HttpResponse:
        asset = self.get_object()
        found = self.get_version(asset, current_only=False)
        if not found.is_current:
            messages.info(request, _("This file has been updated; here is the latest version."))
            return redirect("library:detail", uuid=asset.uuid)
        services.download_record(
            partner=request.partner,  # type: ignore[attr-defined]
            version=found,
            user=request.user,
            # A kit page links here with ?kit=<slug>; the service checks the claim.
            kit_slug=request.GET.get("kit"),
        )
        return delivery.respond(
            found.file.storage,
            delivery.Delivery(
                name=found.file.name,
                filename=services.download_filename(found),
                content_type=found.content_type,
            ),
        )


class PreviewView(PortalAccessMixin, AvailableAssetMixin, View):
    """A current version's preview image, inline (not a download, not recorded)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, uuid: str, version: str) -> HttpResponse:
        found = self.get_version(self.get_object())
        if not found.preview:
            raise Http404
        return delivery.respond(
            found.preview.storage,
            delivery.Delivery(
                name=found.preview.name,
                filename=f"preview-{found.number}.png",
                content_type="image/png",
                inline=True,
            ),
        )


class ThumbnailView(PortalAccessMixin, AvailableAssetMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        asset = self.get_object()
        if not asset.thumbnail:
            raise Http404
        return delivery.respond(
            asset.thumbnail.storage,
            delivery.Delivery(
                name=asset.thumbnail.name,
                filename="thumbnail.png",
                content_type="image/png",
                inline=True,
            ),
        )


class CobrandRequestView(PortalAccessMixin, AvailableAssetMixin, View):
    """Ask for a co-branded copy (POST), then back to the asset page, which says
    "preparing" until the copy is ready."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: str, version: str) -> HttpResponse:
        asset = self.get_object()
        found = self.get_version(asset)
        try:
            services.cobranded_copy_request(
                version=found,
                partner=request.partner,  # type: ignore[attr-defined]
                user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        # Otherwise the asset page itself says "preparing", then offers the copy.
        return redirect(reverse("library:detail", kwargs={"uuid": asset.uuid}) + "#downloads")


class CobrandStatusView(PortalAccessMixin, AvailableAssetMixin, View):
    """The state of the partner's co-branded copy, for the asset page's polling."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, uuid: str, version: str) -> HttpResponse:
        asset = self.get_object()
        found = self.get_version(asset)
        copy = selectors.cobranded_copy_for(partner=request.partner, version=found)  # type: ignore[attr-defined]
        state = copy.state if copy else "none"
        body: dict[str, Any] = {"state": state}
        if state == CobrandedCopy.State.READY:
            body["download_url"] = reverse(
                "library:cobrand_download", kwargs={"uuid": asset.uuid, "version": found.uuid}
            )
        elif state == CobrandedCopy.State.FAILED and copy is not None:
            body["error"] = copy.error
        response = JsonResponse(body)
        response["Cache-Control"] = "no-store"
        return response


class CobrandDownloadView(PortalAccessMixin, AvailableAssetMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, uuid: str, version: str) -> HttpResponse:
        asset = self.get_object()
        found = self.get_version(asset)
        partner = request.partner  # type: ignore[attr-defined]
        copy = selectors.cobranded_copy_for(partner=partner, version=found)
        if copy is None or copy.state != CobrandedCopy.State.READY or not copy.file:
            messages.info(request, _("Your co-branded copy is not ready yet."))
            return redirect(reverse("library:detail", kwargs={"uuid": asset.uuid}) + "#downloads")
        services.download_record(
            partner=partner,
            version=found,
            user=request.user,
            cobranded=True,
            kit_slug=request.GET.get("kit"),
        )
        name = services.download_filename(found)
        stem, _dot, extension = name.rpartition(".")
        return delivery.respond(
            copy.file.storage,
            delivery.Delivery(
                name=copy.file.name,
                filename=f"{stem}-{partner.slug}.{extension}",
                content_type=found.content_type,
            ),
        )


def signed_file(request: HttpRequest, token: str) -> HttpResponse:
    """A file named by a short-lived signed token (the API's download URLs on local
    storage). The token is the permission: it was issued, and the download recorded,
    by an access-checked API call; it expires after ASSET_DOWNLOAD_URL_TTL seconds."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    from django.core.files.storage import default_storage

    return delivery.respond(default_storage, delivery.from_token(token))
