"""Staff pages of the deal program's settings: the program itself (one row: exclusivity
days, extension days, the lead answer time), products, protected accounts (list,
search, CSV import through django-import-export, delete with Django's confirmation),
routing rules (position, conditions on the lead, the partners they go to) and the lead
weight of each tier.

These are the program's settings, written as they are entered (like planning periods);
the decisions on registrations and leads are in `registration` and `leads`, through
`deals.services`. Marketing admins run the settings; channel managers add to the
protected accounts; analysts read (deals/migrations/0002_staff_roles.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV

from deals.models import DealProgram, Product, ProtectedAccount, RoutingRule, TierLeadWeight
from deals.resources import IMPORT_HELP, ProtectedAccountResource
from deals.services import normalise_domain
from partners.admin.partner_import import PartnerImportForm
from partners.models import Partner
from partners.selectors import is_country

# --- The program (one row) ------------------------------------------------------------


@admin.register(DealProgram)
class DealProgramAdmin(admin.ModelAdmin):
    """The one row of settings: its list opens the row itself."""

    fields = ["exclusivity_days", "extension_days", "lead_sla_business_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row, made by `DealProgram.current()`

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)  # the admin's 403
        program = DealProgram.current()
        return HttpResponseRedirect(reverse("admin:deals_dealprogram_change", args=[program.pk]))


# --- Products ---------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# --- Protected accounts -------------------------------------------------------------------


class ProtectedAccountForm(forms.ModelForm):
    class Meta:
        model = ProtectedAccount
        fields = ["domain", "company", "country", "note"]

    def clean_domain(self) -> str:
        # Read as registrations read it, so the account matches them.
        try:
            return normalise_domain(self.cleaned_data["domain"])
        except ValidationError as exc:
            raise forms.ValidationError(
                exc.message_dict.get("domain", exc.messages)
                if hasattr(exc, "error_dict")
                else exc.messages
            ) from exc

    def clean_country(self) -> str:
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country and not is_country(country):
            raise forms.ValidationError(_("Use a country code (two letters, e.g. DE, US)."))
        return country


class ProtectedAccountImportForm(PartnerImportForm):
    """The library's upload form; the file passes the one upload validator first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["import_file"].help_text = IMPORT_HELP


@admin.register(ProtectedAccount)
class ProtectedAccountAdmin(ImportMixin, admin.ModelAdmin):
    """The vendor's own customers: a registration of one of their domains is flagged to
    staff. Imported from CSV (dry run with errors by row, then confirm)."""

    form = ProtectedAccountForm
    resource_classes = [ProtectedAccountResource]
    import_form_class = ProtectedAccountImportForm
    import_formats = [CSV]
    list_display = ["company", "domain", "country", "note", "added_at", "added_by"]
    list_filter = ["country"]
    search_fields = ["company", "domain", "note"]
    list_select_related = ["added_by"]
    readonly_fields = ["added_at", "added_by"]
    fields = ["domain", "company", "country", "note", "added_at", "added_by"]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Importing adds accounts: the same permission as adding one by hand.
        return request.user.has_perm("deals.add_protectedaccount")

    def save_model(
        self, request: HttpRequest, obj: ProtectedAccount, form: Any, change: bool
    ) -> None:
        if not change:
            obj.added_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


# --- Lead routing -----------------------------------------------------------------------


class RoutingRuleForm(forms.ModelForm):
    partner_types = forms.MultipleChoiceField(
        label=_("partner types"),
        choices=Partner.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: any type."),
    )

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "active",
            "regions",
            "specialisations",
            "partner_types",
            "tiers",
        ]
        help_texts = {
            "position": _(
                "Rules are tried in this order, lowest first; the first that matches decides."
            ),
            "regions": _("The lead's region must be one of these. Empty: any lead."),
            "specialisations": _(
                "The lead's specialisation must be one of these. Empty: any lead."
            ),
            "tiers": _("Offered to partners of these tiers. Empty: any tier."),
        }

    def clean_partner_types(self) -> list[str]:
        return list(self.cleaned_data.get("partner_types") or [])


def _names(items: Any) -> str:
    return ", ".join(str(item) for item in items) or str(_("any"))


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Which partners a lead may be offered to: the first active rule (by position) whose
    conditions the lead meets decides (`deals.services.lead_route`)."""

    form = RoutingRuleForm
    list_display = ["position", "name", "active", "lead_conditions", "partner_conditions"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    filter_horizontal = ["regions", "specialisations", "tiers"]
    fieldsets = [
        (None, {"fields": ["name", "position", "active"]}),
        (_("Leads it applies to"), {"fields": ["regions", "specialisations"]}),
        (_("Partners it offers them to"), {"fields": ["partner_types", "tiers"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingRule]:
        return super().get_queryset(request).prefetch_related("regions", "specialisations", "tiers")

    @admin.display(description=_("leads"))
    def lead_conditions(self, rule: RoutingRule) -> str:
        return str(
            _("regions: %(regions)s; specialisations: %(specialisations)s")
            % {
                "regions": _names(rule.regions.all()),
                "specialisations": _names(rule.specialisations.all()),
            }
        )

    @admin.display(description=_("partners"))
    def partner_conditions(self, rule: RoutingRule) -> str:
        labels = dict(Partner.Type.choices)
        return str(
            _("types: %(types)s; tiers: %(tiers)s")
            % {
                "types": _names(labels.get(kind, kind) for kind in rule.partner_types or []),
                "tiers": _names(rule.tiers.all()),
            }
        )


@admin.register(TierLeadWeight)
class TierLeadWeightAdmin(admin.ModelAdmin):
    """How many leads a partner of a tier gets for one of a weight-1 tier's (a tier
    without a row weighs 1)."""

    list_display = ["tier", "weight"]
    list_editable = ["weight"]
    list_select_related = ["tier"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["tier"] if obj is not None else []
