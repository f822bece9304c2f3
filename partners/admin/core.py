"""Staff UI for partners. Decisions (status, tier, channel manager) go through
`partner_decide`, so the admin and the API record the same audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from rest_framework_api_key.models import APIKey

from assets.validation import LOGO_KINDS, validate_upload
from config.csv_export import csv_response
from mdf import selectors as mdf_selectors
from mdf import selectors_staff as mdf_staff_selectors
from mdf.models import MDFEvent
from mdf.money import format_money
from partners import selectors
from partners.admin.enablement import TierRequirementInline
from partners.admin.partner_import import PartnerImportForm, PartnerResource
from partners.models import (
    ContentRating,
    Language,
    Membership,
    Partner,
    PartnerAPIKey,
    PartnerAuditEntry,
    Region,
    Specialisation,
    Survey,
    SurveyQuestion,
    SurveyRound,
    SurveySend,
    Tier,
)
from partners.services import (
    STATUS_TRANSITIONS,
    api_key_create,
    api_key_revoke,
    membership_change_role,
    membership_check,
    membership_create,
    membership_remove,
    partner_create,
    partner_decide,
    partner_update_cobranding,
)

DECISION_FIELDS = ("status", "tier", "channel_manager")

# djangorestframework-api-key registers its own key model, which the project does not
# use (keys are `PartnerAPIKey`, below): without this the home page lists "API keys" twice.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "partner_count"]
    inlines = [TierRequirementInline]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["rank"]

    @admin.display(description=_("partners"))
    def partner_count(self, tier: Tier) -> int:
        return tier.partners.count()


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Specialisation)
class SpecialisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role"]
        # A tabular inline labels its columns in the header only: name the select itself
        # for screen readers.
        widgets = {"role": forms.Select(attrs={"aria-label": _("Role")})}

    def clean_user(self) -> Any:
        """The service's own check, so a refusal is shown on the field, not as an error
        after the partner was saved."""
        user = self.cleaned_data["user"]
        if user is not None:
            partner = self.instance.partner if self.instance.partner_id else None
            try:
                membership_check(partner=partner, user=user)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["user"]) from exc
        return user


class MembershipInline(admin.TabularInline):
    """The partner's people with their role. Adding, changing a role and removing go
    through the membership services (`PartnerAdmin.save_formset`), which audit them."""

    model = Membership
    form = MembershipInlineForm
    verbose_name = _("person")
    verbose_name_plural = _("people")
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "email", "role", "last_login", "created_at"]
    readonly_fields = ["email", "last_login", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # An API key's own user is not a person of the partner (partner_people).
        return (
            super().get_queryset(request).filter(user__api_key__isnull=True).select_related("user")
        )

    @admin.display(description=_("email"))
    def email(self, membership: Membership) -> str:
        return membership.user.email if membership.user_id else "—"

    @admin.display(description=_("last login"))
    def last_login(self, membership: Membership) -> Any:
        if not membership.user_id or membership.user.last_login is None:
            return _("never")
        # A read-only callable's value is shown as str(): format it as the admin does.
        return date_format(timezone.localtime(membership.user.last_login), "DATETIME_FORMAT")


class AuditTrailInline(admin.TabularInline):
    """Who decided what and when; written by services, never edited here."""

    model = PartnerAuditEntry
    verbose_name_plural = _("audit trail")
    extra = 0
    can_delete = False
    fields = ["at", "actor", "field", "old_value", "new_value", "reason"]
    readonly_fields = fields
    ordering = ["-at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartnerAdminForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label=_("Upload a new logo"),
        required=False,
        help_text=_("PNG, JPEG or WEBP; checked from its content, size and pixel count."),
    )
    decision_reason = forms.CharField(
        label=_("Reason for this decision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when you change the status, tier or channel manager; kept in the "
            "audit trail and sent to the partner's admins. Also kept with changes to the "
            "people below."
        ),
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "slug",
            "partner_type",
            "website",
            "status",
            "tier",
            "channel_manager",
            "regions",
            "languages",
            "specialisations",
            "display_name",
            "contact_phone",
            "contact_email",
            "contact_website",
            "address",
        ]
        # Short lists, ticked in place (the horizontal filter's widget is taller and its
        # search icons carry ARIA labels that axe-core rejects).
        widgets = {
            "regions": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
            "specialisations": forms.CheckboxSelectMultiple,
        }

    def clean_logo_upload(self) -> Any:
        logo = self.cleaned_data.get("logo_upload")
        if logo is not None:
            try:
                validate_upload(
                    logo,
                    field="logo_upload",
                    allowed=LOGO_KINDS,
                    max_bytes=settings.LOGO_MAX_BYTES,
                    max_pixels=settings.LOGO_MAX_PIXELS,
                )
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["logo_upload"]) from exc
        return logo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk:
            changed = [name for name in DECISION_FIELDS if name in self.changed_data]
            if changed and not (cleaned.get("decision_reason") or "").strip():
                self.add_error(
                    "decision_reason",
                    _("Say why you changed: %(fields)s.")
                    % {
                        "fields": ", ".join(
                            str(Partner._meta.get_field(f).verbose_name) for f in changed
                        )
                    },
                )
            new_status = cleaned.get("status")
            old_status = Partner.objects.filter(pk=self.instance.pk).values_list(
                "status", flat=True
            )[0]
            if (
                "status" in changed
                and new_status
                and new_status not in STATUS_TRANSITIONS[old_status]
            ):
                self.add_error(
                    "status",
                    _("A partner cannot move from %(old)s to %(new)s.")
                    % {
                        "old": Partner.Status(old_status).label,
                        "new": Partner.Status(new_status).label,
                    },
                )
        return cleaned


def _decision_row(request: HttpRequest, event: MDFEvent) -> dict[str, Any]:
    """One line of the partner page's decisions panel."""
    if event.claim_id:
        subject: Any = event.claim
        label = _("Claim on “%(title)s”") % {"title": event.claim.request}  # type: ignore[union-attr]
        currency = event.claim.request.allocation.pool.currency  # type: ignore[union-attr]
        perm, url_name = "mdf.view_claim", "admin:mdf_claim_change"
    else:
        subject = event.request
        label = str(subject)
        currency = event.request.allocation.pool.currency  # type: ignore[union-attr]
        perm, url_name = "mdf.view_fundrequest", "admin:mdf_fundrequest_change"
    what = event.action.replace("_", " ").capitalize()
    if event.old_status != event.new_status and event.new_status:
        what += f": {event.status_change_display()}"
    return {
        "at": event.at,
        "actor": event.actor or "—",
        "subject": label,
        "url": reverse(url_name, args=[subject.pk]) if request.user.has_perm(perm) else "",
        "what": what,
        "amount": "—" if event.amount is None else format_money(event.amount, currency),
    }


def partner_panels(request: HttpRequest, partner: Partner) -> dict[str, Any]:
    """What a partner's page shows above its fields: funds per pool, the latest
    decisions on its requests and claims, its latest downloads (each panel only for
    staff who may read what it shows)."""
    user: Any = request.user
    panels: dict[str, Any] = {}
    if user.has_perm("mdf.view_allocation"):
        panels["funds"] = [
            {
                "pool": allocation.pool,
                "url": reverse("admin:mdf_allocation_change", args=[allocation.pk]),
                **{
                    bucket: format_money(getattr(allocation, bucket), allocation.pool.currency)
                    for bucket in ("allocated", "committed", "spent", "paid", "available")
                },
            }
            for allocation in mdf_selectors.allocations_for_partner(partner=partner)
        ]
    if user.has_perm("mdf.view_fundrequest"):
        query = f"?partner__id__exact={partner.pk}&queue=all"
        panels["requests_url"] = reverse("admin:mdf_fundrequest_changelist") + query
        if user.has_perm("mdf.view_claim"):
            panels["claims_url"] = reverse("admin:mdf_claim_changelist") + query
    if user.has_perm("mdf.view_mdfevent"):
        panels["decisions"] = [
            _decision_row(request, event)
            for event in mdf_staff_selectors.decisions_for_partner(partner=partner)
        ]
    if user.has_perm("assets.view_downloadrecord"):
        panels["downloads"] = [
            {
                "at": record.at,
                "who": record.user or (_("API key") if record.api_key_id else "—"),
                "asset": record.asset.title,
                "file": f"v{record.version.number}"
                + (f" ({record.version.language.code})" if record.version.language else ""),
                "cobranded": record.cobranded,
            }
            for record in selectors.recent_downloads(partner=partner)
        ]
        panels["downloads_url"] = (
            reverse("admin:assets_downloadrecord_changelist") + f"?partner__id__exact={partner.pk}"
        )
    if user.has_perm("partners.view_surveyresponse"):
        panels["nps"] = selectors.latest_nps(partner_ids=[partner.pk]).get(
            partner.pk, selectors.NPS()
        )
        panels["nps_url"] = reverse("admin:voice_nps") + f"?partner={partner.slug}"
    return panels


@admin.register(Partner)
class PartnerAdmin(ImportMixin, admin.ModelAdmin):
    form = PartnerAdminForm
    # CSV import through django-import-export (partners.admin.partner_import): upload,
    # dry-run preview with row errors, confirm. The export stays ours (`export_csv`):
    # the filtered list, written through config/csv_export.py.
    resource_classes = [PartnerResource]
    import_form_class = PartnerImportForm
    import_formats = [CSV]
    change_list_template = "admin/partners/partner/change_list.html"
    list_display = [
        "name",
        "status",
        "tier",
        "partner_type",
        "region_list",
        "channel_manager",
        "created_at",
    ]
    list_filter = [
        "status",
        "tier",
        "partner_type",
        "regions",
        ("channel_manager", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "slug", "display_name", "contact_email", "website"]
    list_select_related = ["tier", "channel_manager"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["channel_manager"]
    readonly_fields = ["uuid", "cobranding_revision", "created_at", "updated_at", "logo_preview"]
    inlines = [MembershipInline, AuditTrailInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "uuid", "partner_type", "website"]}),
        (
            _("Program decisions"),
            {"fields": ["status", "tier", "channel_manager", "decision_reason"]},
        ),
        (
            _("Regions, languages and specialisations"),
            {
                "fields": ["regions", "languages", "specialisations"],
                "description": _("Leads are routed to partners by region and specialisation."),
            },
        ),
        (
            _("Co-branding profile"),
            {
                "fields": [
                    "logo_preview",
                    "logo_upload",
                    "display_name",
                    "contact_phone",
                    "contact_email",
                    "contact_website",
                    "address",
                    "cobranding_revision",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        return super().get_queryset(request).prefetch_related("regions")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        partner = self.get_object(request, unquote(object_id))
        extra = {"panels": partner_panels(request, partner)} if partner is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.display(description=_("regions"))
    def region_list(self, partner: Partner) -> str:
        # By name, as the regions filter beside the list names them.
        return ", ".join(str(region) for region in partner.regions.all())

    @admin.display(description=_("current logo"))
    def logo_preview(self, partner: Partner) -> str:
        if not partner.logo:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-height:64px;max-width:240px">',
            reverse("portal:partner_logo", args=[partner.uuid]),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not STATUS_TRANSITIONS[obj.status]:
            fields.append("status")  # terminated is final
        return fields

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        self._save_partner(request, obj, form, change)
        logo = form.cleaned_data.get("logo_upload")
        if logo is not None:
            partner_update_cobranding(partner=obj, actor=request.user, logo=logo)

    def _save_partner(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        reason = form.cleaned_data.get("decision_reason", "")
        if not change:
            excluded = {"id", "uuid", "created_at", "updated_at", "cobranding_revision", "logo"}
            values = {
                field.name: getattr(obj, field.name)
                for field in Partner._meta.concrete_fields
                if field.name not in excluded
            }
            created = partner_create(actor=request.user, reason=reason, **values)
            # The admin saves regions/languages next, on this same object.
            obj.pk = created.pk
            obj.uuid = created.uuid
            obj._state.adding = False
            return
        decided = {
            name: form.cleaned_data[name] for name in DECISION_FIELDS if name in form.changed_data
        }
        # Everything but the decisions is plain profile data; save it first.
        other_fields = [
            name
            for name in form.changed_data
            if name
            not in (
                *DECISION_FIELDS,
                "decision_reason",
                "logo_upload",
                "regions",
                "languages",
                "specialisations",
            )
        ]
        if other_fields:
            obj.save(update_fields=[*other_fields, "updated_at"])
        if decided:
            try:
                partner_decide(partner=obj, actor=request.user, reason=reason, **decided)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))

    def get_urls(self) -> list:
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_csv),
                name="partners_partner_export",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Importing creates partners: the same permission as adding one by hand.
        return request.user.has_perm("partners.add_partner")

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The list as filtered and searched on screen, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).prefetch_related("regions", "languages")

        header = [
            "uuid",
            "name",
            "slug",
            "status",
            "tier",
            "partner_type",
            "regions",
            "languages",
            "channel_manager",
            "website",
            "contact_email",
            "contact_phone",
            "display_name",
            "contact_website",
            "address",
            "created_at",
        ]
        rows = (
            [
                partner.uuid,
                partner.name,
                partner.slug,
                partner.status,
                partner.tier.slug,  # as the import reads it
                partner.partner_type,
                " ".join(r.code for r in partner.regions.all()),
                " ".join(lang.code for lang in partner.languages.all()),
                partner.channel_manager.get_username() if partner.channel_manager else "",
                partner.website,
                partner.contact_email,
                partner.contact_phone,
                partner.display_name,
                partner.contact_website,
                partner.address,
                partner.created_at.isoformat(),
            ]
            for partner in queryset.iterator(chunk_size=500)
        )
        return csv_response("partners", header, rows)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        reason = form.cleaned_data.get("decision_reason", "")
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            membership_remove(membership=deleted, actor=request.user, reason=reason)
        for membership in instances:
            if membership.pk is None:
                membership_create(
                    partner=form.instance,
                    user=membership.user,
                    role=membership.role,
                    actor=request.user,
                    reason=reason,
                )
            else:
                membership_change_role(
                    membership=membership, role=membership.role, actor=request.user, reason=reason
                )
        return None


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "owner", "created", "created_by", "last_used_at", "revoked"]
    list_filter = ["revoked", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix", "partner__name"]
    list_select_related = ["partner", "created_by"]
    fields = [
        "name",
        "partner",
        "prefix",
        "created",
        "created_by",
        "last_used_at",
        "revoked",
        "revoked_at",
        "revoked_by",
        "expiry_date",
    ]
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        always = [
            "prefix",
            "created",
            "created_by",
            "last_used_at",
            "revoked",
            "revoked_at",
            "revoked_by",
        ]
        if obj is not None:
            return [*always, "name", "partner", "expiry_date"]
        return always

    @admin.display(description=_("acts for"))
    def owner(self, api_key: PartnerAPIKey) -> str:
        return api_key.partner.name if api_key.partner else str(_("Staff (all partners)"))

    def save_model(self, request: HttpRequest, obj: PartnerAPIKey, form: Any, change: bool) -> None:
        if change:
            return
        created = api_key_create(name=obj.name, partner=obj.partner, created_by=request.user)
        obj.pk = created.api_key.pk
        obj.prefix = created.api_key.prefix
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                "The API key for {} is: <code>{}</code> — copy it now, it will not be shown again.",
                obj.partner.name if obj.partner else _("staff"),
                created.raw_key,
            ),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the history stays

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[PartnerAPIKey]) -> None:
        count = 0
        for api_key in queryset.filter(revoked=False):
            api_key_revoke(api_key=api_key, actor=request.user)
            count += 1
        self.message_user(request, _("%(count)d key(s) revoked.") % {"count": count})


# --- The voice of the partner -------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services and shown as they are (a trail, a record): nothing
    added, changed or deleted in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows written by services and shown as they are: nothing added, changed, deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RatingInline(ReadOnlyInline):
    """The ratings and comments partners gave an item (on the asset's and the kit's
    page; `assets.admin` and `campaigns.admin` list these inlines)."""

    model = ContentRating
    verbose_name = _("partner rating")
    verbose_name_plural = _("partner ratings and comments")
    fields = ["updated_at", "partner", "user", "rating", "comment"]
    readonly_fields = fields
    ordering = ["rating", "-updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContentRating]:
        return super().get_queryset(request).select_related("partner", "user")


class AssetRatingInline(RatingInline):
    fk_name = "asset"


class KitRatingInline(RatingInline):
    fk_name = "kit"


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 1
    fields = ["position", "text"]


class SurveyRoundInline(ReadOnlyInline):
    model = SurveyRound
    fields = ["number", "opens_on", "closes_on", "reminded_at", "emails", "nps"]
    readonly_fields = fields
    ordering = ["-opens_on", "-number"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyRound]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent=Count("sends", filter=Q(sends__sent_at__isnull=False), distinct=True),
            )
        )

    @admin.display(description=_("emails sent"))
    def emails(self, survey_round: SurveyRound) -> int:
        return survey_round.sent  # type: ignore[attr-defined]

    @admin.display(description=_("NPS"))
    def nps(self, survey_round: SurveyRound) -> str:
        return str(selectors.nps_of(survey_round.responses.values_list("score", flat=True)))


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Staff define a survey and its schedule; the daily job opens its rounds."""

    list_display = ["title", "is_active", "interval_months", "next_send_on", "results"]
    list_filter = ["is_active"]
    search_fields = ["title"]
    fieldsets = [
        (None, {"fields": ["title", "intro", "nps_question"]}),
        (
            _("Schedule"),
            {
                "fields": [
                    "is_active",
                    "next_send_on",
                    "interval_months",
                    "open_days",
                    "reminder_days",
                ],
                "description": _(
                    "On the next send date a round opens and partner admins and marketers "
                    "of active partners are emailed a link; the date then moves on by the "
                    "interval."
                ),
            },
        ),
    ]
    inlines = [SurveyQuestionInline, SurveyRoundInline]

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.display(description=_("results"))
    def results(self, survey: Survey) -> str:
        return format_html(
            '<a href="{}?survey={}">{}</a>', reverse("admin:voice_nps"), survey.pk, _("NPS")
        )


class SurveySendInline(ReadOnlyInline):
    """Who was emailed, and when (empty: not sent yet)."""

    model = SurveySend
    fields = ["kind", "partner", "user", "email", "created_at", "sent_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveySend]:
        return super().get_queryset(request).select_related("partner", "user")


@admin.register(SurveyRound)
class SurveyRoundAdmin(admin.ModelAdmin):
    """A round and its emails; rounds are opened by the daily job, never here."""

    list_display = ["survey", "number", "opens_on", "closes_on", "reminded_at"]
    list_filter = ["survey"]
    fields = ["survey", "number", "opens_on", "closes_on", "opened_at", "reminded_at"]
    readonly_fields = fields
    inlines = [SurveySendInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
