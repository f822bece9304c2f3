"""Allocations and the ledger, for marketing admins and finance: give part of a pool
to one partner through `allocation_create`, and read each allocation's append-only
ledger (money never moves by editing a row here)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mdf import services
from mdf.admin.common import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    StaffPageMixin,
    pools_newest_first,
    show_errors,
)
from mdf.models import Allocation, LedgerEntry
from mdf.money import format_money
from partners.models import Partner


@admin.display(description=_("hash"))
def ledger_hash_prefix(model_admin: Any, entry: LedgerEntry) -> str:
    """A ledger row's hash, shortened for a column."""
    return entry.entry_hash[:12]


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fk_name = "allocation"
    verbose_name_plural = _("ledger (append-only)")
    fields = ["seq", "kind", "amount", "memo", "actor", "created_at", "hash_prefix"]
    readonly_fields = fields
    ordering = ["-seq"]
    hash_prefix = ledger_hash_prefix

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("actor")


class AllocationAddForm(forms.Form):
    pool = forms.ModelChoiceField(queryset=pools_newest_first())
    partner = forms.ModelChoiceField(queryset=Partner.objects.order_by("name"))
    amount = forms.CharField(help_text=_("In the pool's currency, e.g. 2500.00."))
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Allocation)
class AllocationAdmin(StaffPageMixin, admin.ModelAdmin):
    list_display = [
        "partner",
        "pool",
        "allocated",
        "committed",
        "spent",
        "paid",
        "expired",
        "carried_over",
        "available_amount",
        "created_at",
    ]
    list_filter = ["pool", "partner__tier", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "pool"]
    search_fields = ["partner__name", "pool__name"]
    fields = [
        "uuid",
        "pool",
        "partner",
        "allocated",
        "committed",
        "spent",
        "paid",
        "expired",
        "carried_over",
        "available_amount",
        "ledger_seq",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [LedgerInline]

    @admin.display(description=_("available"))
    def available_amount(self, allocation: Allocation) -> str:
        return format_money(allocation.available, allocation.pool.currency)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # money moves through services only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Give part of a pool to a partner, through `allocation_create`."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        user: Any = request.user
        data = request.POST if request.method == "POST" else None
        form = AllocationAddForm(data, initial={"pool": request.GET.get("pool")})
        if data is not None and form.is_valid():
            try:
                allocation = services.allocation_create(
                    pool=form.cleaned_data["pool"],
                    partner=form.cleaned_data["partner"],
                    amount=form.cleaned_data["amount"],
                    actor=user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                show_errors(form, exc, ["amount", "reason"])
            else:
                messages.success(request, _("Allocated to %(a)s.") % {"a": allocation})
                return HttpResponseRedirect(
                    reverse("admin:mdf_allocation_change", args=[allocation.pk])
                )
        return self.page(request, "allocation_add.html", _("Add allocation"), form=form)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """The ledger, read-only: the database refuses UPDATE and DELETE anyway."""

    list_display = [
        "created_at",
        "allocation",
        "seq",
        "kind",
        "amount",
        "memo",
        "actor",
        "hash_prefix",
    ]
    list_filter = ["kind", "allocation__pool", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["allocation__pool", "allocation__partner", "actor"]
    search_fields = ["memo", "entry_hash", "allocation__partner__name"]
    date_hierarchy = "created_at"
    hash_prefix = ledger_hash_prefix
