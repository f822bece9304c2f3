"""Fund pools for marketing admins: the pools with their balances from the ledger,
new pools through `pool_create` and pool edits through `pool_update`, and bulk
allocation by partner tier (with a preview before anything is allocated)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mdf import selectors, services
from mdf.admin.common import StaffPageMixin, pools_newest_first, show_errors
from mdf.admin.reports import ReportPages
from mdf.models import ZERO, FundPool
from mdf.money import format_money, to_money
from partners.models import Partner, Tier

# Bulk allocation goes to partners in these states; the preview counts the same ones.
BULK_STATUSES = (Partner.Status.ACTIVE,)


def pool_figure(bucket: str, label: Any) -> Any:
    """A list/detail column showing one figure of a pool's balance (`pool_balance`'s
    sums, read from `pools_with_balances`' annotations)."""

    @admin.display(description=label)
    def column(model_admin: admin.ModelAdmin, pool: FundPool) -> str:
        balance = selectors.annotated_pool_balance(pool)
        if bucket == "unallocated":
            return format_money(pool.total - balance.allocated, pool.currency)
        return format_money(getattr(balance, bucket), pool.currency)

    return column


class FundPoolForm(forms.ModelForm):
    class Meta:
        model = FundPool
        fields = [
            "name",
            "currency",
            "total",
            "period_start",
            "period_end",
            "request_deadline",
            "claim_deadline",
            "reimbursement_percentage",
            "finance_threshold",
            "decision_sla_days",
            "rollover_policy",
            "rollover_pool",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk:
            # The admin validates and saves in one transaction; the service locks the
            # pool row here, so no allocation lands between this check and the save.
            changes = {name: cleaned[name] for name in self.changed_data if name in cleaned}
            for field, message in services.pool_update_errors(
                pool_id=self.instance.pk, changes=changes
            ).items():
                self.add_error(field, message)
        return cleaned


class BulkAllocationForm(forms.Form):
    pool = forms.ModelChoiceField(queryset=pools_newest_first())
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept on each partner's ledger."),
    )

    def __init__(self, *args: Any, tiers: list[Tier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        for tier in tiers:
            self.fields[f"tier_{tier.slug}"] = forms.CharField(
                label=_("Per %(tier)s partner") % {"tier": tier.name},
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "0.00", "size": 12}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._amounts = {}
        for tier in self.tiers:
            raw = (cleaned.get(f"tier_{tier.slug}") or "").strip()
            if raw in ("", "0", "0.00"):
                continue
            try:
                self._amounts[tier] = to_money(raw)
            except ValueError as exc:
                self.add_error(f"tier_{tier.slug}", str(exc))
        if not self._amounts and not self.errors:
            raise ValidationError(_("Enter an amount for at least one tier."))
        return cleaned

    def amounts(self) -> dict[Tier, Any]:
        return dict(self._amounts)

    def preview(self) -> dict[str, Any]:
        pool = self.cleaned_data["pool"]
        counts = selectors.partners_per_tier(statuses=BULK_STATUSES)
        holding = selectors.partners_per_tier(statuses=BULK_STATUSES, pool=pool)
        rows = []
        for tier, amount in self._amounts.items():
            partners = counts.get(tier.pk, 0)
            rows.append(
                {
                    "tier": tier,
                    "amount": format_money(amount, pool.currency),
                    "partners": partners,
                    "top_ups": holding.get(tier.pk, 0),
                    "subtotal": format_money(amount * partners, pool.currency),
                }
            )
        needed = sum((self._amounts[t] * counts.get(t.pk, 0) for t in self._amounts), ZERO)
        left = pool.total - pool.allocated
        return {
            "rows": rows,
            "needed": format_money(needed, pool.currency),
            "unallocated": format_money(left, pool.currency),
            "fits": needed <= left,
            "partners": sum(row["partners"] for row in rows),
        }


@admin.register(FundPool)
class FundPoolAdmin(ReportPages, StaffPageMixin, admin.ModelAdmin):
    form = FundPoolForm
    list_display = [
        "name",
        "currency",
        "total",
        "allocated_amount",
        "unallocated_amount",
        "committed_amount",
        "spent_amount",
        "paid_amount",
        "expired_amount",
        "utilisation",
        "period_start",
        "period_end",
        "request_deadline",
        "claim_deadline",
    ]
    list_filter = ["currency", "rollover_policy"]
    search_fields = ["name"]
    readonly_fields = [
        "uuid",
        "allocated_amount",
        "unallocated_amount",
        "committed_amount",
        "spent_amount",
        "paid_amount",
        "expired_amount",
        "carried_over_amount",
        "utilisation",
        "rolled_over_at",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "uuid", "currency", "total"]}),
        (
            _("Period and deadlines"),
            {"fields": ["period_start", "period_end", "request_deadline", "claim_deadline"]},
        ),
        (
            _("Rules"),
            {
                "fields": [
                    "reimbursement_percentage",
                    "finance_threshold",
                    "decision_sla_days",
                    "rollover_policy",
                    "rollover_pool",
                ]
            },
        ),
        (
            _("Balance (from the ledger)"),
            {
                "fields": [
                    "allocated_amount",
                    "unallocated_amount",
                    "committed_amount",
                    "spent_amount",
                    "paid_amount",
                    "expired_amount",
                    "carried_over_amount",
                    "utilisation",
                    "rolled_over_at",
                    "created_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FundPool]:
        return selectors.pools_with_balances(super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.sum_allocated:
            fields.append("currency")  # money was given in it
        return fields

    def save_model(self, request: HttpRequest, obj: FundPool, form: Any, change: bool) -> None:
        if not change:
            services.pool_create(pool=obj)
            return
        changed = [name for name in form.changed_data if name in FundPoolForm.Meta.fields]
        if changed:
            services.pool_update(
                pool=obj, changes={name: form.cleaned_data[name] for name in changed}
            )

    allocated_amount = pool_figure("allocated", _("allocated"))
    unallocated_amount = pool_figure("unallocated", _("unallocated"))
    committed_amount = pool_figure("committed", _("committed"))
    spent_amount = pool_figure("spent", _("spent"))
    paid_amount = pool_figure("paid", _("paid"))
    expired_amount = pool_figure("expired", _("expired"))
    carried_over_amount = pool_figure("carried_over", _("carried over"))

    @admin.display(description=_("utilisation"))
    def utilisation(self, pool: FundPool) -> str:
        return f"{selectors.annotated_pool_balance(pool).utilisation} %"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("bulk-allocate/", view(self.bulk_allocate_view), name="mdf_fundpool_bulk"),
            path("reports/", view(self.reports_view), name="mdf_reports"),
            *super().get_urls(),
        ]

    def bulk_allocate_view(self, request: HttpRequest) -> HttpResponse:
        """Give each partner (in `BULK_STATUSES`) the amount set for its tier, after a
        preview, through `allocations_bulk_by_tier`."""
        user: Any = request.user
        if not user.has_perm("mdf.add_allocation"):
            raise PermissionDenied
        tiers = list(Tier.objects.order_by("-rank"))
        data = request.POST if request.method == "POST" else None
        form = BulkAllocationForm(data, tiers=tiers, initial={"pool": request.GET.get("pool")})
        preview = None
        if data is not None and "edit" not in data and form.is_valid():
            pool = form.cleaned_data["pool"]
            if "confirm" in data:
                try:
                    created = services.allocations_bulk_by_tier(
                        pool=pool,
                        amounts=form.amounts(),
                        actor=user,
                        reason=form.cleaned_data["reason"],
                        statuses=BULK_STATUSES,
                    )
                except ValidationError as exc:
                    show_errors(form, exc, [*form.fields])
                else:
                    messages.success(
                        request,
                        _("%(count)d allocation(s) made in %(pool)s.")
                        % {"count": len(created), "pool": pool},
                    )
                    url = reverse("admin:mdf_allocation_changelist")
                    return HttpResponseRedirect(f"{url}?pool__id__exact={pool.pk}")
            preview = form.preview()
        return self.page(
            request,
            "bulk_allocate.html",
            _("Bulk allocate by tier"),
            form=form,
            preview=preview,
        )
