"""Staff pages of deal registration: every partner's registrations (read-only content,
the conflict flag, filters, CSV export of the filtered list), a registration's page
with its conflicts side by side and its full history (staff-only events included),
the decisions, and the extension requests.

Partners register in the portal or the API; staff never edit a registration. What
staff do here goes through `deals.services`, as the portal's and the API's writes do:
mark the conflicts reviewed (`deal_clear_conflict`), approve (`deal_approve`), reject
with a reason (`deal_reject`), ask for more information (`deal_request_info`), and
decide an extension (`extension_approve`, `extension_reject`). Each decision has a
confirmation page; the services record who decided. Channel managers and marketing
admins (`deals.change_deal`, `deals.change_dealextension`) decide; analysts read. The
staff middleware has scopes disabled, visibly, for the admin.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.admin_columns import done_by
from config.csv_export import csv_response
from deals import selectors, services
from deals.models import Deal, DealConflict, DealEvent, DealExtension, DealProgram, LeadOffer
from mdf.money import format_money
from partners.admin.filters import PartnerChannelManagerFilter, PartnerTierFilter

DS = Deal.Status
ES = DealExtension.Status
DECIDE_DEALS = "deals.change_deal"
DECIDE_EXTENSIONS = "deals.change_dealextension"

STATUS_COLOURS = {
    DS.SUBMITTED: "#1d5f8a",
    DS.MORE_INFO: "#8a6d12",
    DS.APPROVED: "#1f7a4d",
    DS.REJECTED: "#a12622",
    DS.EXPIRED: "#495057",
    DS.WON: "#1f6b3a",
    DS.LOST: "#6c757d",
    ES.PENDING: "#1d5f8a",
}


def badge(colour: str, label: Any) -> str:
    """A status as a coloured pill (white on a dark colour: contrast AA)."""
    return format_html(
        '<span style="color:#fff;background:{};padding:2px 8px;border-radius:10px;'
        'white-space:nowrap">{}</span>',
        colour,
        label,
    )


def may_decide(user: Any, permission: str = DECIDE_DEALS) -> bool:
    return services.can_decide(user, permission)


def show_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's errors on the form: at the field it names, otherwise above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def staff_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    template: str,
    title: Any,
    **context: Any,
) -> HttpResponse:
    """One of the deals' own staff pages (a decision, an action) in the admin's layout."""
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request,
        f"admin/deals/{template}",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            **context,
        },
    )


# --- Filters ------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """ "Awaiting my decision": the undecided registrations of this staff member's
    partners (`deals_awaiting`, the desk's count)."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Awaiting my decision")), ("open", _("Awaiting a decision"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            user: Any = request.user
            return queryset.filter(pk__in=selectors.deals_awaiting(staff=user).deals.values("pk"))
        if self.value() == "open":
            return queryset.filter(status__in=Deal.UNDECIDED_STATUSES)
        return queryset


class ConflictFilter(admin.SimpleListFilter):
    title = _("conflict")
    parameter_name = "conflict"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("open", _("To review")),
            ("any", _("Has a conflict")),
            ("none", _("No conflict")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(has_conflict=True, conflict_cleared=False)
        if self.value() == "any":
            return queryset.filter(has_conflict=True)
        if self.value() == "none":
            return queryset.filter(has_conflict=False)
        return queryset


# --- Decisions ----------------------------------------------------------------------------


class DecisionForm(forms.Form):
    """One text field, named as the service's argument ("note", "reason", "question"),
    so the service's errors land at it."""

    def __init__(
        self, *args: Any, name: str, label: Any, help_text: Any, required: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.fields[name] = forms.CharField(
            label=label,
            help_text=help_text,
            required=required,
            widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        )

    @property
    def text(self) -> str:
        return self.cleaned_data[self.name]


# Each decision: its page title, its button, the text field (label, help, required),
# and what staff are told after it.
DECISIONS: dict[str, dict[str, Any]] = {
    "clear_conflict": {
        "field": "note",
        "title": _("Mark the conflicts reviewed?"),
        "button": _("Mark conflicts reviewed"),
        "label": _("Note (staff only)"),
        "help": _("Optional. Why the registration may go ahead; the partner never sees it."),
        "required": False,
        "done": _("Conflicts marked reviewed; the registration can now be decided."),
    },
    "approve": {
        "field": "note",
        "title": _("Approve this registration?"),
        "button": _("Approve registration"),
        "label": _("Note to the partner"),
        "help": _("Optional. The partner sees it."),
        "required": False,
        "done": _("Registration approved; the partner has been told."),
    },
    "reject": {
        "field": "reason",
        "title": _("Reject this registration?"),
        "button": _("Reject registration"),
        "label": _("Reason"),
        "help": _("Required. The partner sees it; never name another partner."),
        "required": True,
        "done": _("Registration rejected; the partner has been told."),
    },
    "request_info": {
        "field": "question",
        "title": _("Ask the partner for more information?"),
        "button": _("Ask for more information"),
        "label": _("Question to the partner"),
        "help": _("Required. The partner answers it in the portal."),
        "required": True,
        "done": _("Question sent; the registration waits for the partner's answer."),
    },
}


def open_conflicts(deal: Deal) -> bool:
    """Conflicts flagged on this registration and not reviewed yet: what
    `deal_clear_conflict` clears and `deal_approve` waits for. (An undecided registration
    is flagged against a later one of the same domain as well.)"""
    return bool(getattr(deal, "flagged_here", False)) and not deal.conflict_cleared


def decision_blocker(decision: str, deal: Deal, user: Any) -> str | None:
    """Why this user is not offered this decision on this deal now (None: offered): the
    services' rule, asked with the conflicts this page has already counted."""
    return services.deal_decision_blocker(decision, deal, user, conflicts_open=open_conflicts(deal))


def call_decision(decision: str, deal: Deal, user: Any, text: str) -> Deal:
    if decision == "clear_conflict":
        return services.deal_clear_conflict(deal=deal, actor=user, note=text)
    if decision == "approve":
        return services.deal_approve(deal=deal, actor=user, note=text)
    if decision == "reject":
        return services.deal_reject(deal=deal, actor=user, reason=text)
    return services.deal_request_info(deal=deal, actor=user, question=text)


def exclusivity_end() -> date:
    """The last protected day of a registration approved today, shown on the approval
    page before staff confirm (the service's own figure)."""
    return services.protected_until_if_approved_today()


def conflict_sides(deal: Deal, conflicts: list[DealConflict]) -> list[dict[str, Any]]:
    """Each conflict as the other side of this registration: the other partner's
    registration (whichever of the two was flagged; a pair flagged on both sides shows
    once, as flagged here) or the protected account."""
    sides = []
    shown: set[int] = set()
    here_first = sorted(conflicts, key=lambda conflict: conflict.deal_id != deal.pk)
    for conflict in here_first:
        other = conflict.other_deal if conflict.deal_id == deal.pk else conflict.deal
        if other is not None and other.pk in shown:
            continue
        if other is not None:
            shown.add(other.pk)
        sides.append(
            {
                "kind": conflict.get_kind_display(),
                "other_deal": other,
                "protected_account": conflict.protected_account,
                "detected_at": conflict.detected_at,
                "flagged_here": conflict.deal_id == deal.pk,
            }
        )
    return sides


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    """Every partner's registrations: the decision queue and each registration's page
    (read-only content, conflicts side by side, history, decisions)."""

    list_display = [
        "company",
        "domain",
        "partner",
        "status_shown",
        "conflict_flag",
        "amount_shown",
        "expected_close_date",
        "submitted_at",
        "expires_on",
    ]
    list_filter = [
        QueueFilter,
        "status",
        ConflictFilter,
        PartnerChannelManagerFilter,
        ("partner", admin.RelatedOnlyFieldListFilter),
        PartnerTierFilter,
    ]
    list_select_related = ["partner"]
    search_fields = ["company", "domain", "partner__name"]
    date_hierarchy = "submitted_at"
    change_form_template = "admin/deals/deal/change_form.html"
    change_list_template = "admin/deals/deal/change_list.html"
    fields = [
        "partner",
        "status_shown",
        "conflict_flag",
        "company",
        "domain",
        "country",
        "contact_name",
        "contact_email",
        "product_list",
        "amount_shown",
        "expected_close_date",
        "stage",
        "launch",
        "source_lead",
        "notes",
        "registered",
        "decision",
        "decision_reason",
        "expires_on",
        "closure",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners register in the portal or the API

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # staff never edit a registration; they decide it

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "partner__channel_manager",
                "partner__tier",
                "registered_by",
                "decided_by",
                "launch",
            )
            .annotate(
                # Either side of a conflict, as the staff queue counts it
                # (`deals_awaiting`); flagged on this registration itself.
                has_conflict=Exists(
                    DealConflict.objects.filter(
                        Q(deal=OuterRef("pk")) | Q(other_deal=OuterRef("pk"))
                    )
                ),
                flagged_here=Exists(DealConflict.objects.filter(deal=OuterRef("pk"))),
            )
        )

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, deal: Deal) -> str:
        return badge(STATUS_COLOURS.get(deal.status, "#495057"), deal.get_status_display())

    @admin.display(description=_("conflict"))
    def conflict_flag(self, deal: Deal) -> str:
        if not getattr(deal, "has_conflict", False):
            return "—"
        if deal.conflict_cleared:
            return str(_("Reviewed"))
        return format_html('<strong class="deal-conflict">{}</strong>', _("Conflict"))

    @admin.display(description=_("estimated amount"), ordering="amount")
    def amount_shown(self, deal: Deal) -> str:
        return format_money(deal.amount, deal.currency)

    @admin.display(description=_("products"))
    def product_list(self, deal: Deal) -> str:
        return ", ".join(product.name for product in deal.products.all()) or "—"

    @admin.display(description=_("from lead"))
    def source_lead(self, deal: Deal) -> str:
        offer = LeadOffer._base_manager.filter(deal=deal).select_related("lead").first()
        if offer is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:deals_lead_change", args=[offer.lead_id]),
            offer.lead.company,
        )

    @admin.display(description=_("registered"))
    def registered(self, deal: Deal) -> str:
        return done_by(deal.submitted_at, deal.registered_by)

    @admin.display(description=_("decided"))
    def decision(self, deal: Deal) -> str:
        return done_by(deal.decided_at, deal.decided_by or _("the system"))

    @admin.display(description=_("closed"))
    def closure(self, deal: Deal) -> str:
        if deal.closed_at is None:
            return "—"
        when = timezone.localtime(deal.closed_at).strftime("%Y-%m-%d")
        if deal.status == DS.WON:
            return str(
                _("Won on %(when)s: %(amount)s")
                % {"when": when, "amount": format_money(deal.won_amount, deal.currency)}
            )
        return str(_("Lost on %(when)s: %(reason)s") % {"when": when, "reason": deal.lost_reason})

    # --- the registration's page ------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        deal = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {}
        if deal is not None:
            extra = self.deal_context(request, deal)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def deal_context(self, request: HttpRequest, deal: Deal) -> dict[str, Any]:
        user: Any = request.user
        conflicts = conflict_sides(deal, list(selectors.deal_conflicts(deal=deal)))
        events = list(
            DealEvent.objects.filter(deal=deal).select_related("actor").order_by("-at", "-id")
        )
        extensions = list(
            DealExtension.objects.filter(deal=deal).select_related("requested_by", "decided_by")
        )
        decisions = [
            (reverse("admin:deals_deal_decide", args=[deal.pk, name]), spec["button"])
            for name, spec in DECISIONS.items()
            if decision_blocker(name, deal, user) is None
        ]
        return {
            "deal": deal,
            "conflicts": conflicts,
            "open_conflicts": open_conflicts(deal),
            "events": events,
            "extensions": extensions,
            "decisions": decisions,
            "extension_decider": may_decide(user, DECIDE_EXTENSIONS),
        }

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_csv), name="deals_deal_export"),
            path(
                "<path:object_id>/decide/<str:decision>/",
                view(self.decide_view),
                name="deals_deal_decide",
            ),
            *super().get_urls(),
        ]

    def viewable_deal(self, request: HttpRequest, object_id: str) -> Deal:
        deal = self.get_object(request, unquote(object_id))
        if deal is None:
            raise Http404
        if not self.has_view_permission(request, deal):
            raise PermissionDenied
        return deal

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        deal = self.viewable_deal(request, object_id)
        spec = DECISIONS.get(decision)
        if spec is None:
            raise Http404
        user: Any = request.user
        if not may_decide(user):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = DecisionForm(
            data,
            name=spec["field"],
            label=spec["label"],
            help_text=spec["help"],
            required=spec["required"],
        )
        if data is not None and form.is_valid():
            try:
                call_decision(decision, deal, user, form.text)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, spec["done"])
                return HttpResponseRedirect(reverse("admin:deals_deal_change", args=[deal.pk]))
        return staff_page(
            self,
            request,
            "deal/decide.html",
            spec["title"],
            deal=deal,
            decision=decision,
            form=form,
            button=spec["button"],
            blocker=decision_blocker(decision, deal, user),
            conflicts=conflict_sides(deal, list(selectors.deal_conflicts(deal=deal))),
            expires_on=exclusivity_end() if decision == "approve" else None,
            object_url=reverse("admin:deals_deal_change", args=[deal.pk]),
            object_label=str(deal),
        )

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The list as filtered and searched on screen, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).prefetch_related("products")
        header = [
            "uuid",
            "partner",
            "company",
            "domain",
            "country",
            "status",
            "conflict",
            "products",
            "amount",
            "currency",
            "stage",
            "expected_close_date",
            "registered_at",
            "registered_by",
            "decided_at",
            "decided_by",
            "expires_on",
            "won_amount",
            "closed_at",
        ]

        def conflict(deal: Deal) -> str:
            if not getattr(deal, "has_conflict", False):
                return ""
            return "reviewed" if deal.conflict_cleared else "open"

        rows = (
            [
                deal.uuid,
                deal.partner.name,
                deal.company,
                deal.domain,
                deal.country,
                deal.status,
                conflict(deal),
                " ".join(product.slug for product in deal.products.all()),
                deal.amount,
                deal.currency,
                deal.stage,
                deal.expected_close_date.isoformat(),
                deal.submitted_at.isoformat(),
                deal.registered_by.get_username(),
                deal.decided_at.isoformat() if deal.decided_at else "",
                deal.decided_by.get_username() if deal.decided_by else "",
                deal.expires_on.isoformat() if deal.expires_on else "",
                deal.won_amount,
                deal.closed_at.isoformat() if deal.closed_at else "",
            ]
            # Read now, while the admin's scopes are disabled (the response streams later).
            for deal in list(queryset)
        )
        return csv_response("deal-registrations", header, rows)


# --- Extension requests -----------------------------------------------------------------


class ExtensionQueueFilter(admin.SimpleListFilter):
    """Pending requests first: the queue staff decide from."""

    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("pending", _("Pending")),
            ("approved", _("Approved")),
            ("rejected", _("Rejected")),
            ("all", _("All")),
        ]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or "pending"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or "pending"
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class ExtensionApproveForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days to add"),
        min_value=1,
        max_value=365,
        help_text=_("The program's extension is the default."),
    )


class ExtensionRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("Required. The partner sees it."),
    )


@admin.register(DealExtension)
class DealExtensionAdmin(admin.ModelAdmin):
    """Partners' requests for more protected time: approve (days, the program's by
    default) or reject with a reason."""

    list_display = [
        "deal_company",
        "partner",
        "requested_at",
        "requested_by",
        "reason",
        "status_shown",
        "protected_until",
        "days",
    ]
    list_filter = [ExtensionQueueFilter, ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["deal", "partner", "requested_by"]
    search_fields = ["deal__company", "deal__domain", "partner__name"]
    change_form_template = "admin/deals/dealextension/change_form.html"
    fields = [
        "deal_link",
        "partner",
        "requested_at",
        "requested_by",
        "reason",
        "status_shown",
        "protected_until",
        "days",
        "decided_at",
        "decided_by",
        "decision_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decided through the decision pages

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("registration"), ordering="deal__company")
    def deal_company(self, extension: DealExtension) -> str:
        return extension.deal.company

    @admin.display(description=_("registration"))
    def deal_link(self, extension: DealExtension) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:deals_deal_change", args=[extension.deal_id]),
            extension.deal,
        )

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, extension: DealExtension) -> str:
        return badge(
            STATUS_COLOURS.get(extension.status, "#495057"), extension.get_status_display()
        )

    @admin.display(description=_("protected until"), ordering="deal__expires_on")
    def protected_until(self, extension: DealExtension) -> Any:
        return extension.deal.expires_on or "—"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extension = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {}
        if extension is not None:
            user: Any = request.user
            if extension.status == ES.PENDING and may_decide(user, DECIDE_EXTENSIONS):
                extra["decisions"] = [
                    (
                        reverse("admin:deals_dealextension_decide", args=[extension.pk, name]),
                        label,
                    )
                    for name, label in (
                        ("approve", _("Approve extension")),
                        ("reject", _("Reject extension")),
                    )
                ]
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="deals_dealextension_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        extension = self.get_object(request, unquote(object_id))
        if extension is None or decision not in ("approve", "reject"):
            raise Http404
        user: Any = request.user
        if not may_decide(user, DECIDE_EXTENSIONS):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form: forms.Form
        if decision == "approve":
            form = ExtensionApproveForm(
                data, initial={"days": DealProgram.current().extension_days}
            )
        else:
            form = ExtensionRejectForm(data)
        if data is not None and form.is_valid():
            try:
                if decision == "approve":
                    services.extension_approve(
                        extension=extension, actor=user, days=form.cleaned_data["days"]
                    )
                else:
                    services.extension_reject(
                        extension=extension, actor=user, reason=form.cleaned_data["reason"]
                    )
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Extension approved; the partner has been told.")
                    if decision == "approve"
                    else _("Extension rejected; the partner has been told."),
                )
                return HttpResponseRedirect(reverse("admin:deals_dealextension_changelist"))
        return staff_page(
            self,
            request,
            "dealextension/decide.html",
            _("Approve this extension?") if decision == "approve" else _("Reject this extension?"),
            extension=extension,
            deal=extension.deal,
            form=form,
            button=_("Approve extension") if decision == "approve" else _("Reject extension"),
            pending=extension.status == ES.PENDING,
            object_url=reverse("admin:deals_dealextension_change", args=[extension.pk]),
            object_label=str(extension.deal),
        )
