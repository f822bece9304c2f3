"""Staff UI for market development funds: pools, allocations, the request and claim
queues, payments to record, and reports.

Every money move and decision calls `mdf.services`; this module only parses, calls
and renders. A service's `ValidationError` is shown on the form field it names (or
above the form), never as a 500. The admin's scopes are disabled by
`PartnerScopeMiddleware` for staff, in one place.

Who does what (groups from `partners.roles`, permissions from migration 0003):
analysts read; channel managers decide their partners' requests; marketing admins
manage pools and allocations and decide any request; finance approvers decide
claims (and requests above a pool's threshold) and record payments.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from mdf import reports, selectors, services
from mdf.models import (
    ZERO,
    ActivityType,
    Allocation,
    Claim,
    ClaimProof,
    FundPool,
    FundRequest,
    LedgerEntry,
    MDFEvent,
    ProofKind,
)
from mdf.money import format_money, fund_share, to_money
from partners.models import Partner, Tier

RS = FundRequest.Status
CS = Claim.Status
FINANCE = "mdf.finance_approve"
# Bulk allocation goes to partners in these states; the preview counts the same ones.
BULK_STATUSES = (Partner.Status.ACTIVE,)
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp", "image/gif"}


# --- helpers ---------------------------------------------------------------------


def show_errors(form: forms.Form, exc: ValidationError, fields: Iterable[str]) -> None:
    """Put a service's errors on the form: on the named field when the form has it
    (and it is one of `fields`), otherwise above the form."""
    fields = set(fields)
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in fields and name in form.fields else None, errors)


def csv_cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_response(
    filename: str, header: list[str], rows: Iterable[list[Any]]
) -> StreamingHttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def badge(text: str, colour: str) -> str:
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 6px;border-radius:3px;'
        'white-space:nowrap">{}</span>',
        colour,
        text,
    )


def sla_badge(submitted_at: Any, sla_days: int, waiting: bool) -> str:
    """'Overdue (N business days)' in red once past the pool's decision SLA."""
    if not waiting or submitted_at is None:
        return "—"
    days = selectors.business_days_between(timezone.localdate(submitted_at), timezone.localdate())
    if selectors.is_overdue(submitted_at, sla_days):
        return badge(_("Overdue (%(days)d business days)") % {"days": days}, "#ba2121")
    return _("%(days)d of %(sla)d business days") % {"days": days, "sla": sla_days}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AwaitingMyDecisionFilter(admin.SimpleListFilter):
    """The queue: by default only what awaits the logged-in user's decision."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Awaiting my decision")), ("all", _("All"))]

    def choices(self, changelist: Any) -> Iterator[Any]:
        current = self.value() or "mine"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def awaiting(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if (self.value() or "mine") == "mine":
            return queryset.filter(pk__in=self.awaiting(request).values("pk"))
        return queryset


class RequestsAwaitingMe(AwaitingMyDecisionFilter):
    def awaiting(self, request: HttpRequest) -> QuerySet:
        user: Any = request.user
        return selectors.requests_awaiting(user=user)


class ClaimsAwaitingMe(AwaitingMyDecisionFilter):
    def awaiting(self, request: HttpRequest) -> QuerySet:
        user: Any = request.user
        return selectors.claims_awaiting(user=user)


class StaffPageMixin:
    """Renders the custom pages inside the admin's layout."""

    admin_site: admin.AdminSite
    model: Any

    def viewable_object(self, request: HttpRequest, object_id: str) -> Any:
        """The object behind a custom page: 404 if missing, 403 if not viewable."""
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        return obj

    def page(
        self, request: HttpRequest, template: str, title: Any, **context: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"admin/mdf/{template}", context)


# --- pools -----------------------------------------------------------------------


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


@admin.register(FundPool)
class FundPoolAdmin(StaffPageMixin, admin.ModelAdmin):
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
            obj.save()
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

    # --- bulk allocation by tier ---

    def bulk_allocate_view(self, request: HttpRequest) -> HttpResponse:
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

    # --- reports ---

    def reports_view(self, request: HttpRequest) -> HttpResponseBase:
        if not request.user.has_perm("mdf.view_fundpool"):
            raise PermissionDenied
        pool_id = request.GET.get("pool", "")
        pool = FundPool.objects.filter(pk=pool_id).first() if pool_id.isdigit() else None
        tables = reports.report_tables(pool=pool)
        export = request.GET.get("export")
        if export:
            if export not in tables:
                raise Http404
            _title, header, rows = tables[export]
            return csv_response(f"mdf-{export}", header, rows)
        return self.page(
            request,
            "reports.html",
            _("MDF reports"),
            tables=tables,
            pools=FundPool.objects.order_by("-period_start", "name"),
            pool=pool,
        )


class BulkAllocationForm(forms.Form):
    pool = forms.ModelChoiceField(queryset=FundPool.objects.order_by("-period_start", "name"))
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


# --- allocations and the ledger --------------------------------------------------


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fk_name = "allocation"
    verbose_name_plural = _("ledger (append-only)")
    fields = ["seq", "kind", "amount", "memo", "actor", "created_at", "hash_prefix"]
    readonly_fields = fields
    ordering = ["-seq"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("hash"))
    def hash_prefix(self, entry: LedgerEntry) -> str:
        return entry.entry_hash[:12]


class AllocationAddForm(forms.Form):
    pool = forms.ModelChoiceField(queryset=FundPool.objects.order_by("-period_start", "name"))
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

    @admin.display(description=_("hash"))
    def hash_prefix(self, entry: LedgerEntry) -> str:
        return entry.entry_hash[:12]


@admin.register(MDFEvent)
class MDFEventAdmin(ReadOnlyAdmin):
    """The decision trail, read-only."""

    list_display = ["at", "partner", "request", "claim", "action", "status_change", "amount"]
    list_filter = ["action", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "request", "claim__request", "actor"]
    search_fields = ["note", "partner__name"]
    date_hierarchy = "at"

    @admin.display(description=_("status"))
    def status_change(self, event: MDFEvent) -> str:
        return f"{event.old_status or '—'} → {event.new_status or '—'}"


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["proof_kinds"]


@admin.register(ProofKind)
class ProofKindAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "help_text"]
    prepopulated_fields = {"slug": ["name"]}


# --- the request queue -------------------------------------------------------------


def may_decide_requests(user: Any) -> bool:
    return user.is_staff and (
        user.has_perm("mdf.change_fundrequest")
        or user.has_perm(services.ANY_REQUEST_PERMISSION)
        or user.has_perm(FINANCE)
    )


def request_blocker(fund_request: FundRequest, user: Any) -> str | None:
    """Why this user cannot decide this request now (None: they can)."""
    if services.can_decide_request(fund_request, user):
        return None
    if user.pk in (fund_request.created_by_id, fund_request.submitted_by_id):
        return str(_("You submitted this; another person must decide it."))
    if fund_request.status == RS.SUBMITTED:
        return str(_("This request awaits the partner's channel manager."))
    if fund_request.status == RS.AWAITING_FINANCE:
        return str(_("This request awaits a finance approver."))
    return str(_("This request is not awaiting a decision."))


class EventInline(ReadOnlyInline):
    model = MDFEvent
    verbose_name_plural = _("history")
    fields = ["at", "actor", "action", "old_status", "new_status", "amount", "note"]
    readonly_fields = fields


class RequestEventInline(EventInline):
    fk_name = "request"


class ClaimEventInline(EventInline):
    fk_name = "claim"


class DecisionForm(forms.Form):
    CHOICES: list[tuple[str, Any]] = []
    decision = forms.ChoiceField(widget=forms.RadioSelect)
    approved_amount = forms.CharField(
        required=False,
        label=_("Amount to approve"),
        help_text=_("Activity cost, for a partial approval."),
        widget=forms.TextInput(attrs={"size": 12}),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required. The partner sees it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = self.CHOICES  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "partly" and not cleaned.get("approved_amount", "").strip():
            self.add_error("approved_amount", _("Enter the amount to approve."))
        return cleaned

    def amount(self) -> str | None:
        if self.cleaned_data["decision"] != "partly":
            return None
        return self.cleaned_data["approved_amount"]


class RequestDecisionForm(DecisionForm):
    CHOICES = [
        ("approve", _("Approve in full")),
        ("partly", _("Approve partly")),
        ("reject", _("Reject")),
    ]


@admin.register(FundRequest)
class FundRequestAdmin(StaffPageMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "partner",
        "pool_name",
        "activity_type",
        "requested_amount",
        "approved_amount",
        "status",
        "submitted_at",
        "sla",
    ]
    list_filter = [
        RequestsAwaitingMe,
        "status",
        "allocation__pool",
        ("partner", admin.RelatedOnlyFieldListFilter),
        "activity_type",
    ]
    list_select_related = ["partner", "allocation__pool", "activity_type"]
    search_fields = ["title", "partner__name"]
    inlines = [RequestEventInline]
    readonly_fields = [
        "partner",
        "allocation",
        "activity_type",
        "title",
        "description",
        "activity_start",
        "activity_end",
        "requested_amount",
        "expected_leads",
        "expected_pipeline",
        "status",
        "approved_amount",
        "commitment",
        "created_by",
        "submitted_by",
        "on_behalf",
        "submitted_at",
        "manager_decided_by",
        "manager_decided_at",
        "manager_note",
        "finance_decided_by",
        "finance_decided_at",
        "finance_note",
        "decided_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/mdf/decidable_change_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions go through the decision page and `request_decide`

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners request in the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("pool"), ordering="allocation__pool__name")
    def pool_name(self, fund_request: FundRequest) -> str:
        return fund_request.allocation.pool.name

    @admin.display(description=_("SLA"))
    def sla(self, fund_request: FundRequest) -> str:
        waiting = fund_request.status in (RS.SUBMITTED, RS.AWAITING_FINANCE)
        return sla_badge(
            fund_request.submitted_at, fund_request.allocation.pool.decision_sla_days, waiting
        )

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        user: Any = request.user

        @admin.display(description="")
        def decide(fund_request: FundRequest) -> str:
            if not services.can_decide_request(fund_request, user):
                return ""
            url = reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk])
            return format_html('<a class="button" href="{}">{}</a>', url, _("Decide"))

        return [*self.list_display, decide]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        user: Any = request.user
        if obj is not None and services.can_decide_request(obj, user):
            extra["decide_url"] = reverse("admin:mdf_fundrequest_decide", args=[obj.pk])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="mdf_fundrequest_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        fund_request = self.viewable_object(request, object_id)
        user: Any = request.user
        data = request.POST if request.method == "POST" else None
        if data is not None and not may_decide_requests(user):
            raise PermissionDenied
        blocker = request_blocker(fund_request, user)
        form = RequestDecisionForm(data)
        if data is not None and form.is_valid():
            if blocker:
                form.add_error(None, blocker)
            else:
                try:
                    decided = services.request_decide(
                        fund_request=fund_request,
                        actor=user,
                        approve=form.cleaned_data["decision"] != "reject",
                        approved_amount=form.amount(),
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    show_errors(form, exc, ["note", "approved_amount"])
                else:
                    messages.success(request, request_outcome(decided))
                    return HttpResponseRedirect(reverse("admin:mdf_fundrequest_changelist"))
        pool = fund_request.allocation.pool
        allocation = fund_request.allocation
        return self.page(
            request,
            "request_decide.html",
            _("Decide: %(title)s") % {"title": fund_request.title},
            object=fund_request,
            pool=pool,
            form=form,
            blocker=blocker,
            share=format_money(
                fund_share(fund_request.requested_amount, pool.reimbursement_percentage),
                pool.currency,
            ),
            available=format_money(allocation.available, pool.currency),
            allocation=allocation,
            history=selectors.request_history(fund_request=fund_request),
            sla=sla_badge(
                fund_request.submitted_at,
                pool.decision_sla_days,
                fund_request.status in (RS.SUBMITTED, RS.AWAITING_FINANCE),
            ),
        )


def request_outcome(decided: FundRequest) -> str:
    currency = decided.allocation.pool.currency
    if decided.status == RS.AWAITING_FINANCE:
        return str(_("Approved by you; it now awaits a finance approver (above the threshold)."))
    if decided.status == RS.APPROVED:
        return str(
            _("Request approved: %(amount)s committed.")
            % {"amount": format_money(decided.commitment, currency)}
        )
    return str(_("Request rejected."))


# --- the claim queue, proof files and payments ---------------------------------------


class ClaimDecisionForm(DecisionForm):
    CHOICES = [
        ("approve", _("Approve in full")),
        ("partly", _("Approve partly")),
        ("return", _("Return for more proof")),
        ("reject", _("Reject")),
    ]


class PaymentForm(forms.Form):
    paid_at = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(required=False, max_length=100, label=_("Payment reference"))


class PaymentFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[("to_pay", _("To pay")), ("paid", _("Paid")), ("all", _("All"))],
    )
    pool = forms.ModelChoiceField(
        required=False, queryset=FundPool.objects.order_by("-period_start", "name")
    )
    date_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("from")
    )
    date_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("to")
    )

    def claims(self) -> QuerySet[Claim]:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.payments(
            state=data.get("state") or "to_pay",
            pool=data.get("pool"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class ProofInline(ReadOnlyInline):
    model = ClaimProof
    verbose_name_plural = _("proof of performance")
    fields = ["proof_kind", "file_link", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_link(self, proof: ClaimProof) -> str:
        url = reverse("admin:mdf_claimproof_file", args=[proof.uuid])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, proof)


@admin.register(Claim)
class ClaimAdmin(StaffPageMixin, admin.ModelAdmin):
    list_display = [
        "short_id",
        "partner",
        "request",
        "pool_name",
        "amount",
        "approved_amount",
        "reimbursement",
        "status",
        "times_returned",
        "submitted_at",
        "sla",
    ]
    list_filter = [
        ClaimsAwaitingMe,
        "status",
        "request__allocation__pool",
        ("partner", admin.RelatedOnlyFieldListFilter),
        "request__activity_type",
    ]
    list_select_related = ["partner", "request__allocation__pool"]
    search_fields = ["request__title", "partner__name", "payment_reference"]
    inlines = [ProofInline, ClaimEventInline]
    readonly_fields = [
        "uuid",
        "partner",
        "request",
        "amount",
        "approved_amount",
        "reimbursement",
        "actual_leads",
        "actual_pipeline",
        "results_note",
        "status",
        "created_by",
        "submitted_by",
        "on_behalf",
        "first_submitted_at",
        "submitted_at",
        "times_returned",
        "decided_by",
        "decided_at",
        "decision_note",
        "paid_at",
        "payment_reference",
        "payment_recorded_by",
    ]
    fields = readonly_fields
    change_form_template = "admin/mdf/decidable_change_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions and payments go through their pages and services

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("claim"))
    def short_id(self, claim: Claim) -> str:
        return str(claim.uuid)[:8]

    @admin.display(description=_("pool"), ordering="request__allocation__pool__name")
    def pool_name(self, claim: Claim) -> str:
        return claim.request.allocation.pool.name

    @admin.display(description=_("SLA"))
    def sla(self, claim: Claim) -> str:
        pool = claim.request.allocation.pool
        return sla_badge(claim.submitted_at, pool.decision_sla_days, claim.status == CS.SUBMITTED)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        user: Any = request.user

        @admin.display(description="")
        def next_step(claim: Claim) -> str:
            if services.can_decide_claim(claim, user):
                url = reverse("admin:mdf_claim_decide", args=[claim.pk])
                return format_html('<a class="button" href="{}">{}</a>', url, _("Decide"))
            if claim.status == CS.APPROVED and user.has_perm(FINANCE):
                url = reverse("admin:mdf_claim_record_payment", args=[claim.pk])
                return format_html('<a class="button" href="{}">{}</a>', url, _("Record payment"))
            return ""

        return [*self.list_display, next_step]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        user: Any = request.user
        if obj is not None and services.can_decide_claim(obj, user):
            extra["decide_url"] = reverse("admin:mdf_claim_decide", args=[obj.pk])
        if obj is not None and obj.status == CS.APPROVED and user.has_perm(FINANCE):
            extra["payment_url"] = reverse("admin:mdf_claim_record_payment", args=[obj.pk])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("payments/", view(self.payments_view), name="mdf_claim_payments"),
            path("payments.csv", view(self.payments_export), name="mdf_claim_payments_export"),
            path(
                "proof/<uuid:proof_uuid>/",
                never_cache(self.proof_file_view),
                name="mdf_claimproof_file",
            ),
            path("<path:object_id>/decide/", view(self.decide_view), name="mdf_claim_decide"),
            path(
                "<path:object_id>/record-payment/",
                view(self.record_payment_view),
                name="mdf_claim_record_payment",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self.viewable_object(request, object_id)
        user: Any = request.user
        data = request.POST if request.method == "POST" else None
        if data is not None and not user.has_perm(FINANCE):
            raise PermissionDenied
        blocker = None
        if not services.can_decide_claim(claim, user):
            if user.pk in (claim.created_by_id, claim.submitted_by_id):
                blocker = str(_("You submitted this; another person must decide it."))
            elif claim.status != CS.SUBMITTED:
                blocker = str(_("This claim is not awaiting a decision."))
            else:
                blocker = str(_("Claims are decided by a finance approver."))
        form = ClaimDecisionForm(data)
        if data is not None and form.is_valid():
            if blocker:
                form.add_error(None, blocker)
            else:
                choice = form.cleaned_data["decision"]
                try:
                    decided = services.claim_decide(
                        claim=claim,
                        actor=user,
                        decision="approve" if choice == "partly" else choice,
                        approved_amount=form.amount(),
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    show_errors(form, exc, ["note", "approved_amount"])
                else:
                    messages.success(
                        request,
                        _("Claim %(status)s.") % {"status": decided.get_status_display().lower()},
                    )
                    return HttpResponseRedirect(reverse("admin:mdf_claim_changelist"))
        fund_request = claim.request
        pool = fund_request.allocation.pool
        proofs = list(claim.proofs.select_related("proof_kind", "uploaded_by"))
        present = {proof.proof_kind_id for proof in proofs}
        return self.page(
            request,
            "claim_decide.html",
            _("Decide claim %(id)s") % {"id": str(claim.uuid)[:8]},
            object=claim,
            fund_request=fund_request,
            pool=pool,
            form=form,
            blocker=blocker,
            proofs=proofs,
            required=[(kind, kind.pk in present) for kind in services.required_proof(claim)],
            share=format_money(
                fund_share(claim.amount, pool.reimbursement_percentage), pool.currency
            ),
            open_commitment=format_money(fund_request.open_commitment, pool.currency),
            available=format_money(fund_request.allocation.available, pool.currency),
            history=selectors.claim_history(claim=claim),
            sla=sla_badge(claim.submitted_at, pool.decision_sla_days, claim.status == CS.SUBMITTED),
        )

    def proof_file_view(self, request: HttpRequest, proof_uuid: Any) -> HttpResponseBase:
        """Stream a proof file to staff who may view claims; partners get 404.

        Not behind a public media URL: the file is read through the storage API
        here, after the check. Only PDFs and images open in the browser.
        """
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (user.is_active and user.is_staff):
            raise Http404
        if not (user.has_perm("mdf.view_claimproof") or user.has_perm("mdf.view_claim")):
            raise PermissionDenied
        proof = ClaimProof.objects.filter(uuid=proof_uuid).first()
        if proof is None:
            raise Http404
        inline = proof.content_type in INLINE_TYPES
        response = FileResponse(
            proof.file.open("rb"),
            content_type=proof.content_type,
            as_attachment=not inline,
            filename=proof.original_name or f"proof-{proof.uuid}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    # --- payments ---

    def payments_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        filters = PaymentFilterForm(request.GET or None)
        claims = filters.claims()
        return self.page(
            request,
            "payments.html",
            _("Payments"),
            filters=filters,
            claims=claims,
            may_pay=request.user.has_perm(FINANCE),
            query=request.GET.urlencode(),
        )

    def payments_export(self, request: HttpRequest) -> HttpResponseBase:
        """Payments for the finance system, as filtered on the payments page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        claims = PaymentFilterForm(request.GET or None).claims()
        header = [
            "claim_id",
            "partner",
            "pool",
            "currency",
            "approved_amount",
            "reimbursement",
            "status",
            "paid_date",
            "reference",
        ]
        rows = (
            [
                claim.uuid,
                claim.partner.name,
                claim.request.allocation.pool.name,
                claim.request.allocation.pool.currency,
                claim.approved_amount,
                claim.reimbursement,
                claim.status,
                claim.paid_at.isoformat() if claim.paid_at else "",
                claim.payment_reference,
            ]
            for claim in claims.iterator(chunk_size=500)
        )
        return csv_response("mdf-payments", header, rows)

    def record_payment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self.viewable_object(request, object_id)
        user: Any = request.user
        if not user.has_perm(FINANCE):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = PaymentForm(data, initial={"paid_at": timezone.localdate()})
        if data is not None and form.is_valid():
            try:
                services.claim_record_payment(
                    claim=claim,
                    actor=user,
                    paid_at=form.cleaned_data["paid_at"],
                    reference=form.cleaned_data["reference"],
                )
            except ValidationError as exc:
                show_errors(form, exc, ["reference", "paid_at"])
            else:
                messages.success(request, _("Payment recorded."))
                return HttpResponseRedirect(reverse("admin:mdf_claim_payments"))
        pool = claim.request.allocation.pool
        return self.page(
            request,
            "record_payment.html",
            _("Record payment of claim %(id)s") % {"id": str(claim.uuid)[:8]},
            object=claim,
            pool=pool,
            form=form,
            payable=claim.status == CS.APPROVED,
            reimbursement=format_money(claim.reimbursement, pool.currency),
        )
