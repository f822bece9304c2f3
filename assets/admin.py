"""Staff UI of the content library: assets with their audiences, dates and files,
publishing and archiving, download counts (per asset, per file, per partner), a
co-branding preview with a sample partner, and bulk upload.

Every change goes through `assets.services`, as the portal's and the API's do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assets import cobranding, delivery, previews, selectors, services
from assets.models import (
    Asset,
    AssetEvent,
    AssetVersion,
    Category,
    CobrandedCopy,
    DownloadRecord,
    Tag,
)
from assets.validation import ASSET_KINDS, validate_upload
from partners.admin.core import AssetRatingInline
from partners.models import Language

AUDIENCE_FORM_FIELDS = {
    "audience_tiers": "tiers",
    "audience_partner_types": "partner_types",
    "audience_regions": "regions",
    "audience_languages": "languages",
    "audience_partners": "partners",
}


def _validate_asset_file(upload: Any, field: str) -> None:
    try:
        validate_upload(
            upload,
            field=field,
            allowed=ASSET_KINDS,
            max_bytes=settings.ASSET_MAX_BYTES,
            max_pixels=settings.ASSET_MAX_PIXELS,
        )
    except ValidationError as exc:
        raise ValidationError(exc.message_dict[field]) from exc


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class AssetVersionInline(admin.TabularInline):
    """The files: every version of every language variant, with its downloads."""

    model = AssetVersion
    extra = 0
    can_delete = False
    verbose_name_plural = _("files (every version of every language)")
    fields = [
        "number",
        "language",
        "is_current",
        "file_link",
        "size",
        "sha256_short",
        "change_note",
        "uploaded_by",
        "created_at",
        "preview_state",
        "download_count",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("language", "uploaded_by")

    @admin.display(description=_("file"))
    def file_link(self, version: AssetVersion) -> str:
        url = reverse("admin:assets_asset_file", args=[version.asset_id, version.pk])
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>',
            url,
            services.download_filename(version),
            version.original_name,
        )

    @admin.display(description=_("SHA-256"))
    def sha256_short(self, version: AssetVersion) -> str:
        return format_html('<code title="{}">{}…</code>', version.sha256, version.sha256[:12])


class AssetEventInline(admin.TabularInline):
    model = AssetEvent
    verbose_name_plural = _("history")
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssetAdminForm(forms.ModelForm):
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Comma-separated, e.g. “security, cloud, SMB”. New tags are created."),
    )
    decision = forms.ChoiceField(
        label=_("Publishing"),
        required=False,
        choices=[
            ("", _("Leave as it is")),
            ("publish", _("Publish")),
            ("archive", _("Archive (partners no longer see it)")),
        ],
    )
    new_file = forms.FileField(
        label=_("Upload a file"),
        required=False,
        help_text=_(
            "A new version of the chosen language's file (the previous one stays in the "
            "history). PDF, PNG, JPEG, WEBP, GIF, MP4, PPTX, DOCX, XLSX or ZIP, checked "
            "from its content; at most %(limit)s."
        )
        % {"limit": f"{settings.ASSET_MAX_BYTES // (1024 * 1024)} MB"},
    )
    new_file_language = forms.ModelChoiceField(
        label=_("Language of the file"),
        queryset=Language.objects.all(),
        required=False,
        help_text=_("Empty: the asset's main language (or none)."),
    )
    change_note = forms.CharField(
        label=_("Change note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed in this file; partners see it on the asset page."),
    )

    class Meta:
        model = Asset
        fields = [
            "title",
            "description",
            "kind",
            "category",
            "language",
            "owner",
            "featured",
            "publish_at",
            "expire_at",
            "cobrandable",
            "cobrand_zone",
            "cobrand_zone_size",
            *AUDIENCE_FORM_FIELDS,
        ]
        # Tiers, regions and languages are short lists: ticked in place, not picked in
        # the two tall boxes of a horizontal filter.
        widgets = {
            "audience_tiers": forms.CheckboxSelectMultiple,
            "audience_regions": forms.CheckboxSelectMultiple,
            "audience_languages": forms.CheckboxSelectMultiple,
        }
        labels = {"audience_partner_types": _("Partner types")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(
                self.instance.tags.values_list("name", flat=True)
            )

    def clean_new_file(self) -> Any:
        upload = self.cleaned_data.get("new_file")
        if upload is not None:
            _validate_asset_file(upload, "new_file")
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        publish_at, expire_at = cleaned.get("publish_at"), cleaned.get("expire_at")
        if publish_at and expire_at and expire_at <= publish_at:
            self.add_error("expire_at", _("The expiry must be after the publish date."))
        has_file = self.instance.pk and self.instance.versions.exists()
        if cleaned.get("decision") == "publish" and not has_file and not cleaned.get("new_file"):
            self.add_error("decision", _("Upload a file before publishing."))
        return cleaned


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetAdminForm
    list_display = [
        "title",
        "kind",
        "category",
        "status_badge",
        "live_at",
        "expire_at",
        "audience_scope",
        "featured",
        "cobrandable",
        "download_count",
    ]
    list_filter = ["status", "kind", "category", "featured", "cobrandable", "language"]
    search_fields = ["title", "description", "tags__name"]
    list_select_related = ["category"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["audience_partners", "owner"]
    readonly_fields = [
        "uuid",
        "status_badge",
        "published_at",
        "live_at",
        "audience_scope",
        "thumbnail_preview",
        "download_count",
        "downloads_by_partner",
        "cobrand_preview",
    ]
    inlines = [AssetVersionInline, AssetEventInline, AssetRatingInline]
    actions = ["publish_selected", "archive_selected"]
    change_list_template = "admin/assets/asset/change_list.html"
    # What staff set for every asset first (the file and its language), then who sees it
    # and when; the rest is folded ("collapse") until needed.
    fieldsets = [
        (
            _("File and language"),
            {
                "fields": [
                    "new_file",
                    "new_file_language",
                    "title",
                    "kind",
                    "language",
                    "change_note",
                    "thumbnail_preview",
                ]
            },
        ),
        (
            _("Audience"),
            {
                "description": _(
                    "Leave every rule empty for every partner. A partner must match each rule "
                    "that is set (any of the tiers, types, regions, languages). Partners in the "
                    "allow-list always see it; with only an allow-list, only they do."
                ),
                "fields": ["audience_scope", *AUDIENCE_FORM_FIELDS],
            },
        ),
        (
            _("Publishing and dates"),
            {
                "fields": [
                    "status_badge",
                    "decision",
                    "publish_at",
                    "expire_at",
                    "published_at",
                    "live_at",
                ]
            },
        ),
        (
            _("Description, category and tags"),
            {
                "classes": ["collapse"],
                "fields": ["description", "category", "tag_names", "featured", "owner"],
            },
        ),
        (
            _("Co-branding"),
            {
                "classes": ["collapse"],
                "fields": ["cobrandable", "cobrand_zone", "cobrand_zone_size", "cobrand_preview"],
            },
        ),
        (
            _("Downloads"),
            {"classes": ["collapse"], "fields": ["download_count", "downloads_by_partner"]},
        ),
        (_("Record"), {"classes": ["collapse"], "fields": ["uuid"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # nothing downloaded or recorded yet
            hidden = {str(_("Downloads")), str(_("Record"))}
            return [(name, options) for name, options in fieldsets if str(name) not in hidden]
        return fieldsets

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A new asset has no files and no history yet: no empty tables under its form.
        return super().get_inlines(request, obj) if obj is not None else []

    # --- display -------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, asset: Asset) -> str:
        colours = {"draft": "#6c757d", "published": "#1f7a4d", "archived": "#8a3b12"}
        return format_html(
            '<span style="color:#fff;background:{};padding:2px 8px;border-radius:10px">{}</span>',
            colours.get(asset.status, "#6c757d"),
            asset.get_status_display(),
        )

    @admin.display(description=_("thumbnail"))
    def thumbnail_preview(self, asset: Asset) -> str:
        if not asset.thumbnail:
            return "—"
        url = reverse("admin:assets_asset_thumbnail", args=[asset.pk])
        return format_html('<img src="{}" alt="" style="max-height:160px;max-width:240px">', url)

    @admin.display(description=_("downloads by partner"))
    def downloads_by_partner(self, asset: Asset) -> str:
        if not asset.pk:
            return "—"
        rows = selectors.downloads_by_partner(asset=asset)
        if not rows:
            return _("No downloads yet.")
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row["partner__name"],
                    row["downloads"],
                    row["cobranded"],
                    row["last"].strftime("%Y-%m-%d %H:%M"),
                )
                for row in rows
            ),
        )
        all_url = (
            reverse("admin:assets_downloadrecord_changelist") + f"?asset__id__exact={asset.pk}"
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("partner"),
            _("downloads"),
            _("co-branded"),
            _("last"),
            body,
            all_url,
            _("Every download of this asset"),
        )

    @admin.display(description=_("preview with a sample partner"))
    def cobrand_preview(self, asset: Asset) -> str:
        if not asset.pk or not asset.cobrandable:
            return _("Tick “co-brandable” and save to see a preview.")
        version = services.main_version(asset=asset)
        if version is None or version.file_kind not in cobranding.COBRANDABLE_KINDS:
            return _("Co-branding works on PDFs and PNG, JPEG or WEBP images.")
        url = reverse("admin:assets_asset_cobrand_preview", args=[asset.pk])
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}" '
            'style="max-height:360px;max-width:100%;border:1px solid #ccc"></a>',
            f"{url}?v={version.pk}-{asset.cobrand_zone}-{asset.cobrand_zone_size}",
            _("The first page with a sample partner's logo and contact block"),
        )

    # --- saving (through the services) -----------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in services.ASSET_FIELDS
            if name in form.cleaned_data
        }
        if change:
            services.asset_update(asset=obj, actor=request.user, **values)
            return
        title = values.pop("title")
        created = services.asset_create(actor=request.user, title=title, **values)
        obj.pk, obj.uuid = created.pk, created.uuid
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        asset = form.instance
        cleaned = form.cleaned_data
        audience = {
            rule: list(cleaned.get(field) or []) for field, rule in AUDIENCE_FORM_FIELDS.items()
        }
        tags = services.tags_from_names((cleaned.get("tag_names") or "").split(","))
        services.asset_update(asset=asset, actor=request.user, tags=tags, audience=audience)
        for formset in formsets:  # read-only inlines: nothing to save, but the log asks
            self.save_formset(request, form, formset, change=change)
        upload = cleaned.get("new_file")
        if upload is not None:
            language = cleaned.get("new_file_language") or asset.language
            try:
                services.asset_version_add(
                    asset=asset,
                    upload=upload,
                    uploaded_by=request.user,
                    language=language,
                    change_note=cleaned.get("change_note", ""),
                )
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
        decision = cleaned.get("decision")
        try:
            if decision == "publish":
                services.asset_publish(asset=asset, actor=request.user)
            elif decision == "archive":
                services.asset_archive(asset=asset, actor=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description=_("Publish the selected assets"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        done, refused = 0, []
        for asset in queryset:
            try:
                services.asset_publish(asset=asset, actor=request.user)
                done += 1
            except ValidationError:
                refused.append(asset.title)
        if done:
            messages.success(
                request, ngettext("%d asset published.", "%d assets published.", done) % done
            )
        if refused:
            messages.error(
                request,
                _("Not published (no file yet): %(titles)s") % {"titles": ", ".join(refused)},
            )

    @admin.action(description=_("Archive the selected assets"), permissions=["change"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        for asset in queryset:
            services.asset_archive(asset=asset, actor=request.user)
        messages.success(request, _("%(count)d archived.") % {"count": queryset.count()})

    # --- extra pages ------------------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("bulk-upload/", wrap(self.bulk_upload), name="assets_asset_bulk_upload"),
            path(
                "<int:asset_id>/thumbnail/",
                wrap(self.thumbnail_view),
                name="assets_asset_thumbnail",
            ),
            path(
                "<int:asset_id>/cobrand-preview/",
                wrap(self.cobrand_preview_view),
                name="assets_asset_cobrand_preview",
            ),
            path(
                "<int:asset_id>/files/<int:version_id>/",
                wrap(self.file_view),
                name="assets_asset_file",
            ),
            *super().get_urls(),
        ]

    def _asset_for_view(self, request: HttpRequest, asset_id: int) -> Asset:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Asset, pk=asset_id)

    def thumbnail_view(self, request: HttpRequest, asset_id: int) -> HttpResponse:
        asset = self._asset_for_view(request, asset_id)
        if not asset.thumbnail:
            raise Http404
        return delivery.respond(
            asset.thumbnail.storage,
            delivery.Delivery(asset.thumbnail.name, "thumbnail.png", "image/png", inline=True),
        )

    def file_view(self, request: HttpRequest, asset_id: int, version_id: int) -> HttpResponse:
        """Staff fetch any version (not a partner download: not recorded)."""
        asset = self._asset_for_view(request, asset_id)
        version = get_object_or_404(AssetVersion, pk=version_id, asset=asset)
        return delivery.respond(
            version.file.storage,
            delivery.Delivery(
                version.file.name, services.download_filename(version), version.content_type
            ),
        )

    def cobrand_preview_view(self, request: HttpRequest, asset_id: int) -> HttpResponse:
        asset = self._asset_for_view(request, asset_id)
        try:
            image = services.cobrand_sample_preview(asset=asset)
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=404, content_type="text/plain")
        except Exception:  # a damaged file: say so rather than a 500 in an <img>
            return HttpResponse(
                _("This file could not be co-branded."), status=422, content_type="text/plain"
            )
        response = HttpResponse(previews.as_png_file(image).read(), content_type="image/png")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def bulk_upload(self, request: HttpRequest) -> HttpResponse:
        """Several files at once: one draft (or published) asset per file."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = BulkUploadForm(request.POST, request.FILES)
            if form.is_valid():
                created, failed = bulk_create_assets(request, form.cleaned_data)
                if created:
                    messages.success(
                        request,
                        ngettext("%d asset created.", "%d assets created.", created) % created,
                    )
                for name, error in failed:
                    messages.error(request, f"{name}: {error}")
                if not failed:
                    return HttpResponseRedirect(reverse("admin:assets_asset_changelist"))
        else:
            form = BulkUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload several files"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/assets/asset/bulk_upload.html", context)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class BulkUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("One asset per file, titled after the file name. Checked from content."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Asset.Kind.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    language = forms.ModelChoiceField(
        label=_("Language"), queryset=Language.objects.all(), required=False
    )
    cobrandable = forms.BooleanField(label=_("Co-brandable"), required=False)
    publish = forms.BooleanField(
        label=_("Publish now (for every partner)"),
        required=False,
        help_text=_("Otherwise drafts: set audiences and dates, then publish."),
    )


def _title_from(name: str) -> str:
    stem = services.sanitize_name(name).rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split()).strip()[:200] or "Untitled"


def bulk_create_assets(request: HttpRequest, data: dict[str, Any]) -> tuple[int, list]:
    """One asset per file through `asset_upload` (all or nothing per file); a file that
    fails is reported by name and leaves nothing behind, the others are kept."""
    created, failed = 0, []
    for upload in data["files"]:
        try:
            services.asset_upload(
                actor=request.user,
                upload=upload,
                title=_title_from(upload.name),
                kind=data["kind"],
                category=data.get("category"),
                language=data.get("language"),
                cobrandable=bool(data.get("cobrandable")),
                publish=bool(data.get("publish")),
                change_note="Bulk upload",
            )
            created += 1
        except ValidationError as exc:
            failed.append((services.sanitize_name(upload.name), " ".join(exc.messages)))
    return created, failed


@admin.register(DownloadRecord)
class DownloadRecordAdmin(admin.ModelAdmin):
    """Who downloaded what and when. Written by the download service only."""

    list_display = ["at", "partner", "user", "asset", "version_label", "cobranded", "channel"]
    list_filter = [
        "cobranded",
        "channel",
        ("partner", admin.RelatedOnlyFieldListFilter),
        ("asset", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["asset__title", "partner__name", "user__username"]
    list_select_related = ["partner", "user", "asset", "version__language"]
    date_hierarchy = "at"

    @admin.display(description=_("file"))
    def version_label(self, record: DownloadRecord) -> str:
        version = record.version
        language = version.language.code if version.language else "—"
        return f"v{version.number} ({language})"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CobrandedCopy)
class CobrandedCopyAdmin(admin.ModelAdmin):
    list_display = ["created_at", "partner", "version", "cobranding_revision", "state", "size"]
    list_filter = ["state", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "version__asset", "version__language"]
    readonly_fields = ["error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
