"""Staff UI of campaigns: campaign kits (fields, audience, bundled assets, publishing
and closing, every partner's launches, history) and a read-mostly list of launches.

Every change goes through `campaigns.services`, as the portal's and the API's do.
Launches are partner-owned: the admin reads them across partners (the staff
middleware has scopes disabled; the selectors say so visibly).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assets.admin import AUDIENCE_FORM_FIELDS
from campaigns import selectors, services
from campaigns.models import CampaignKit, CampaignKitEvent, Channel, Launch
from partners.admin.core import KitRatingInline

STATUS_COLOURS = {
    "draft": "#6c757d",
    "published": "#1f7a4d",
    "closed": "#8a3b12",
    "planned": "#6c757d",
    "active": "#1f7a4d",
    "paused": "#8a6d12",
    "completed": "#495057",
}


def badge(status: str, label: str) -> str:
    return format_html(
        '<span style="color:#fff;background:{};padding:2px 8px;border-radius:10px">{}</span>',
        STATUS_COLOURS.get(status, "#6c757d"),
        label,
    )


class ChannelFilter(admin.SimpleListFilter):
    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Channel.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in Channel.values:
            return queryset.filter(channels__contains=f",{self.value()},")
        return queryset


class CampaignKitEventInline(admin.TabularInline):
    model = CampaignKitEvent
    verbose_name_plural = _("history")
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CampaignKitAdminForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Publishing"),
        required=False,
        choices=[
            ("", _("Leave as it is")),
            ("publish", _("Publish (partners in the audience see it)")),
            ("close", _("Close (partners no longer see or launch it)")),
            ("reopen", _("Back to draft (a closed kit)")),
        ],
    )

    class Meta:
        model = CampaignKit
        fields = [
            "name",
            "slug",
            "objective",
            "description",
            "channels",
            "start_date",
            "end_date",
            "landing_url",
            "suggested_budget",
            "currency",
            "mdf_eligible",
            "assets",
            *AUDIENCE_FORM_FIELDS,
        ]
        # As on the asset form: short lists ticked in place.
        widgets = {
            "audience_tiers": forms.CheckboxSelectMultiple,
            "audience_regions": forms.CheckboxSelectMultiple,
            "audience_languages": forms.CheckboxSelectMultiple,
        }
        labels = {"audience_partner_types": _("Partner types")}

    def _post_clean(self) -> None:
        # The services check the kit (and say which field is wrong); the model form's
        # own full_clean would run before and without the audience rules.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        kit = CampaignKit(
            pk=self.instance.pk,
            **{name: cleaned.get(name) for name in services.KIT_FIELDS if name in cleaned},
        )
        kit._state.adding = self.instance._state.adding  # its own slug is no clash
        try:
            services.kit_check(kit)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(CampaignKit)
class CampaignKitAdmin(admin.ModelAdmin):
    form = CampaignKitAdminForm
    list_display = [
        "name",
        "status_badge",
        "objective",
        "start_date",
        "end_date",
        "channels_shown",
        "mdf_eligible",
        "launch_count",
        "published_at",
    ]
    list_filter = ["status", ChannelFilter, "objective", "mdf_eligible"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["audience_partners"]
    filter_horizontal = ["assets"]
    readonly_fields = [
        "uuid",
        "status_badge",
        "published_at",
        "audience_scope",
        "launches_table",
        "created_by",
        "created_at",
    ]
    inlines = [CampaignKitEventInline, KitRatingInline]
    actions = ["publish_selected", "close_selected"]
    date_hierarchy = "start_date"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "objective",
                    "description",
                    "channels",
                    ("start_date", "end_date"),
                    "landing_url",
                    ("suggested_budget", "currency"),
                    "mdf_eligible",
                ]
            },
        ),
        (_("Bundled assets"), {"fields": ["assets"]}),
        (
            _("Audience"),
            {
                "description": _(
                    "The content library's rules. Leave every rule empty for every partner. "
                    "A partner must match each rule that is set (any of the tiers, types, "
                    "regions, languages). Partners in the allow-list always see it; with "
                    "only an allow-list, only they do. Partners see only the bundled assets "
                    "their own audience allows."
                ),
                "fields": ["audience_scope", *AUDIENCE_FORM_FIELDS],
            },
        ),
        (_("Publishing"), {"fields": ["status_badge", "decision", "published_at"]}),
        (_("Launches by partners"), {"fields": ["launches_table"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["uuid", "created_by", "created_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(n_launches=Count("launches"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            hidden = {str(_("Launches by partners")), str(_("Record"))}
            return [(name, opts) for name, opts in fieldsets if str(name) not in hidden]
        return fieldsets

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return super().get_inlines(request, obj) if obj is not None else []

    # --- display -------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, kit: CampaignKit) -> str:
        return badge(kit.status, kit.get_status_display())

    @admin.display(description=_("channels"))
    def channels_shown(self, kit: CampaignKit) -> str:
        return ", ".join(str(Channel(value).label) for value in kit.channels)

    @admin.display(description=_("launches"), ordering="n_launches")
    def launch_count(self, kit: CampaignKit) -> int:
        return getattr(kit, "n_launches", 0)

    @admin.display(description=_("every partner's launches"))
    def launches_table(self, kit: CampaignKit) -> str:
        if not kit.pk:
            return "—"
        launches = list(selectors.launches_for_kit(kit=kit)[:200])
        if not launches:
            return _("No partner has launched this kit yet.")
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>',
            (
                (
                    launch.partner.name,
                    launch.get_channel_display(),
                    badge(launch.status, launch.get_status_display()),
                    reverse("admin:campaigns_launch_change", args=[launch.pk]),
                    launch.tracking_path,
                    launch.created_at.strftime("%Y-%m-%d %H:%M"),
                )
                for launch in launches
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("partner"),
            _("channel"),
            _("status"),
            _("tracking link"),
            _("created"),
            rows,
        )

    # --- saving (through the services) -----------------------------------------------------

    def save_model(self, request: HttpRequest, obj: CampaignKit, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.KIT_FIELDS}
        if change:
            services.kit_update(kit=obj, actor=request.user, **values)
            return
        created = services.kit_create(actor=request.user, **values)
        obj.pk, obj.uuid = created.pk, created.uuid
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        kit = form.instance
        cleaned = form.cleaned_data
        audience = {
            rule: list(cleaned.get(field) or []) for field, rule in AUDIENCE_FORM_FIELDS.items()
        }
        services.kit_update(
            kit=kit, actor=request.user, assets=list(cleaned.get("assets") or []), audience=audience
        )
        for formset in formsets:  # read-only inlines: nothing to save
            self.save_formset(request, form, formset, change=change)
        decision = {
            "publish": services.kit_publish,
            "close": services.kit_close,
            "reopen": services.kit_reopen,
        }.get(cleaned.get("decision") or "")
        if decision is not None:
            try:
                decision(kit=kit, actor=request.user)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description=_("Publish the selected kits"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[CampaignKit]) -> None:
        done, refused = 0, []
        for kit in queryset:
            try:
                services.kit_publish(kit=kit, actor=request.user)
                done += 1
            except ValidationError:
                refused.append(kit.name)
        if done:
            messages.success(
                request, ngettext("%d kit published.", "%d kits published.", done) % done
            )
        if refused:
            messages.error(
                request,
                _("Not published (closed kits go back to draft first): %(names)s")
                % {"names": ", ".join(refused)},
            )

    @admin.action(description=_("Close the selected kits…"), permissions=["change"])
    def close_selected(
        self, request: HttpRequest, queryset: QuerySet[CampaignKit]
    ) -> HttpResponse | None:
        """Asks first (partners stop seeing the kits), then closes through the service."""
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Close these campaign kits?"),
                "opts": self.model._meta,
                "kits": list(queryset.annotate(n=Count("launches"))),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "close_selected",
            }
            return TemplateResponse(
                request, "admin/campaigns/campaignkit/close_confirm.html", context
            )
        done, refused = 0, []
        for kit in queryset:
            try:
                services.kit_close(kit=kit, actor=request.user)
                done += 1
            except ValidationError:
                refused.append(kit.name)
        if done:
            messages.success(request, ngettext("%d kit closed.", "%d kits closed.", done) % done)
        if refused:
            messages.error(
                request, _("Not closed (not published): %(names)s") % {"names": ", ".join(refused)}
            )
        return None


@admin.register(Launch)
class LaunchAdmin(admin.ModelAdmin):
    """Every partner's launches: read-mostly (partners make and move them)."""

    list_display = [
        "code",
        "partner",
        "kit",
        "channel",
        "status_badge",
        "start_date",
        "end_date",
        "created_at",
    ]
    list_filter = [
        "status",
        "channel",
        ("partner", admin.RelatedOnlyFieldListFilter),
        ("kit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "name", "partner__name", "kit__name"]
    list_select_related = ["partner", "kit"]
    date_hierarchy = "created_at"
    fields = [
        "code",
        "tracking_link",
        "partner",
        "kit",
        "name",
        "channel",
        "status_badge",
        "start_date",
        "end_date",
        "notes",
        "created_by",
        "created_at",
        "history",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, launch: Launch) -> str:
        return badge(launch.status, launch.get_status_display())

    @admin.display(description=_("tracking link"))
    def tracking_link(self, launch: Launch) -> str:
        return format_html(
            "<code>{}</code><br><small>{}</small>",
            launch.tracking_path,
            selectors.launch_destination(launch),
        )

    @admin.display(description=_("history"))
    def history(self, launch: Launch) -> str:
        changes = selectors.launch_history(launch=launch)
        return format_html_join(
            "",
            "<div>{} · {} → {} · {}</div>",
            (
                (
                    change.at.strftime("%Y-%m-%d %H:%M"),
                    change.get_old_status_display() or "—",
                    change.get_new_status_display(),
                    change.actor,
                )
                for change in changes
            ),
        )
